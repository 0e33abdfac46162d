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
//! What the mock does not model: writes, long-running operations (Run Command, effective NSG),
//! KQL beyond that subset, and list filters (`$filter` is accepted and ignored).

mod config;
mod error;
mod faults;
pub mod generate;
mod graph;
mod ids;
mod log;
mod msi;
mod routes;
mod server;
mod store;

pub use config::{
    Faults, GraphQuota, ManagementGroup, MockConfig, RetryAfter, Throttle, ThrottleMode,
    DEFAULT_FOREIGN_HOST, DEFAULT_GRAPH_PAGE_SIZE, DEFAULT_PAGE_SIZE, DEFAULT_PRINCIPAL_ID,
    DEFAULT_TENANT_ID, DEFAULT_TOKEN, MAX_GRAPH_PAGE_SIZE,
};
pub use error::Error;
pub use log::LoggedRequest;
pub use msi::SYSTEM_ASSIGNED_CLIENT_ID;
pub use server::MockServer;
