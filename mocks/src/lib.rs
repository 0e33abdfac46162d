//! `mock-arm`: a mock Azure Resource Manager that serves an rdpaudit snapshot over real HTTP,
//! with ARM's URL shapes, paging, error bodies, headers and authentication, and with injectable
//! faults (latency, 429 with `Retry-After`, 5xx, dropped connections, 403, 409 unregistered
//! provider, a `nextLink` to a foreign host). rdpaudit's integration tests start it in-process
//! and run the real binary against it; users run `mock-arm serve` to try the tool.
//!
//! ```no_run
//! use mock_arm::{Faults, MockConfig, MockServer, Throttle};
//! let snapshot = std::fs::read("mocks/demo/demo-subscription.json")?;
//! let cfg = MockConfig::from_snapshot_json(&snapshot)?
//!     .page_size(2)
//!     .expected_token("t0ken")
//!     .faults(Faults::none().throttle(Throttle::first(1)));
//! let server = MockServer::start(cfg)?;
//! println!("ARM endpoint: {}", server.url());
//! // ... run the client against server.url() ...
//! assert!(server.unmatched_requests().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! It also answers Azure Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`)
//! in the KQL subset rdpaudit sends, with `$skipToken` paging, subscription / management-group /
//! tenant scopes and the per-caller quota (see mocks/README.md).
//!
//! VM Run Command (`POST {vm id}/runCommand`) is served as ARM's long-running operation: 202 with
//! `Azure-AsyncOperation` and `Location`, `InProgress` polls, then the script's output, which the
//! mock computes from the snapshot's `guest` facts in the `rdpaudit.guest/1` format (cut to its
//! last 4,096 bytes, as Run Command does). Per-VM failure modes ([`RunCommandFault`]: conflict,
//! agent not ready, forbidden, never finishing, malformed or truncated output, polling URLs on a
//! foreign host) are set with [`MockConfig::run_command_fault`].
//!
//! What the mock does not model: other writes and long-running operations (effective NSG and
//! routes), KQL beyond that subset, and list filters (`$filter` is accepted and ignored).

mod chaos;
mod config;
mod dice;
mod doors;
mod doors_store;
mod error;
mod fault_args;
mod fault_kinds;
mod faults;
pub mod generate;
mod graph;
mod http;
mod ids;
mod log;
mod msi;
mod operations;
mod routes;
mod rows;
mod runcommand;
mod server;
mod store;

pub use config::{
    Chaos, ChaosMode, EmptyPage, Faults, GraphPageFault, GraphQuota, ManagementGroup, MockConfig,
    NextLinkFault, RetryAfter, RunCommandFault, RunCommandFaultRule, Throttle, ThrottleMode,
    DEFAULT_FOREIGN_HOST, DEFAULT_GRAPH_PAGE_SIZE, DEFAULT_PAGE_SIZE, DEFAULT_PRINCIPAL_ID,
    DEFAULT_RUN_COMMAND_POLLS, DEFAULT_RUN_COMMAND_RETRY_AFTER, DEFAULT_TENANT_ID, DEFAULT_TOKEN,
    MAX_GRAPH_PAGE_SIZE,
};
pub use error::Error;
pub use fault_args::FaultArgs;
pub use log::LoggedRequest;
pub use msi::SYSTEM_ASSIGNED_CLIENT_ID;
pub use runcommand::RUN_COMMAND_OUTPUT_LIMIT;
pub use server::MockServer;
