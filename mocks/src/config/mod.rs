//! What the mock serves and how it misbehaves. Plain data with builder-style setters, shared by
//! the library API (tests start the server in-process) and the CLI (`mock-arm serve`).

use crate::error::Error;
pub use crate::fault_kinds::{Chaos, ChaosMode, EmptyPage, GraphPageFault, NextLinkFault};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod settings;
pub use settings::{GraphQuota, ManagementGroup, RunCommandFault, RunCommandFaultRule};

/// Default number of items per list page. ARM's own page sizes vary by provider (the Network RP
/// pages at a few hundred, Compute at 1,000); 100 makes paging visible on small snapshots.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// Token handed out by the managed-identity endpoint when no `expected_token` is configured.
pub const DEFAULT_TOKEN: &str = "mock-arm-token";

/// Tenant id used in subscription bodies and `WWW-Authenticate` when none is configured.
pub const DEFAULT_TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// Object id of the calling principal, quoted in `AuthorizationFailed` messages.
pub const DEFAULT_PRINCIPAL_ID: &str = "5f1c3e2a-9b7d-4c8e-a1f0-3d2b6e4c8a90";

/// Host that `foreign_next_link_types` point `nextLink` at.
pub const DEFAULT_FOREIGN_HOST: &str = "https://evil.example.net";

/// Rows per Resource Graph page when the request sets no `$top`. Resource Graph returns at most
/// 1,000 rows per response (`$top` is declared `1..=1000` in the 2024-04-01 swagger).
pub const DEFAULT_GRAPH_PAGE_SIZE: usize = 1000;

/// The largest Resource Graph page, whatever is configured or asked for.
pub const MAX_GRAPH_PAGE_SIZE: usize = 1000;

/// Polls of a Run Command operation answered `InProgress` before it completes.
pub const DEFAULT_RUN_COMMAND_POLLS: u32 = 2;

/// `Retry-After` (seconds) of Run Command's 202 and of in-progress polls.
pub const DEFAULT_RUN_COMMAND_RETRY_AFTER: u64 = 1;

/// Everything the server needs: the snapshot, paging, authentication and injected faults.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The snapshot document (`rdpaudit.snapshot/1`, a bare array, `{"value": [...]}` or
    /// `{"data": [...]}`).
    pub snapshot: Value,
    /// Address to listen on. `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    /// Items per list page (at least 1).
    pub page_size: usize,
    /// Fixed delay before every response (and before a dropped connection is closed).
    pub latency: Duration,
    /// The bearer token ARM routes accept. `None`: any non-empty bearer token is accepted.
    pub expected_token: Option<String>,
    /// The `X-IDENTITY-HEADER` secret the managed-identity endpoint requires. `None`: any
    /// non-empty value is accepted.
    pub identity_header: Option<String>,
    /// Tenant id reported for subscriptions and in `WWW-Authenticate`.
    pub tenant_id: String,
    /// Object id of the caller, used in `AuthorizationFailed` messages.
    pub principal_id: String,
    /// Injected faults.
    pub faults: Faults,
    /// Seed for every random choice (fault rates, request ids): same seed, same behaviour for
    /// the same sequence of requests.
    pub seed: u64,
    /// Also append every logged request to this file as one JSON object per line.
    pub log_file: Option<PathBuf>,
    /// Management groups Resource Graph queries can be scoped to. The tenant root group (named
    /// after `tenant_id`, holding every subscription) exists unless one here has that name.
    pub management_groups: Vec<ManagementGroup>,
    /// Resource Graph rows per page when the request sets no `$top` (1..=1000).
    pub graph_page_size: usize,
    /// Resource Graph's per-caller query quota.
    pub graph_quota: GraphQuota,
    /// Run Command misbehaviour per VM (first matching rule wins; builders keep one per VM).
    pub run_command_faults: Vec<RunCommandFaultRule>,
    /// Polls of a Run Command operation (status and result URLs together) answered
    /// `InProgress` before it reports its outcome.
    pub run_command_polls: u32,
    /// `Retry-After` seconds of Run Command's 202 and of its in-progress polls.
    pub run_command_retry_after: u64,
}

impl MockConfig {
    /// A configuration serving `snapshot` with defaults: `127.0.0.1:0`, 100 items per page,
    /// no latency, any bearer token, no faults, seed 0.
    pub fn new(snapshot: Value) -> Self {
        MockConfig {
            snapshot,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            page_size: DEFAULT_PAGE_SIZE,
            latency: Duration::ZERO,
            expected_token: None,
            identity_header: None,
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            principal_id: DEFAULT_PRINCIPAL_ID.to_owned(),
            faults: Faults::default(),
            seed: 0,
            log_file: None,
            management_groups: Vec::new(),
            graph_page_size: DEFAULT_GRAPH_PAGE_SIZE,
            graph_quota: GraphQuota::default(),
            run_command_faults: Vec::new(),
            run_command_polls: DEFAULT_RUN_COMMAND_POLLS,
            run_command_retry_after: DEFAULT_RUN_COMMAND_RETRY_AFTER,
        }
    }

    /// Parses a snapshot document. The shape is checked here, so a bad file fails before the
    /// server starts rather than on the first request.
    pub fn from_snapshot_json(bytes: &[u8]) -> Result<Self, Error> {
        let snapshot: Value = serde_json::from_slice(bytes)?;
        crate::store::resources_of(&snapshot)?;
        Ok(Self::new(snapshot))
    }

    /// Reads and parses a snapshot file.
    pub fn from_snapshot_file(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        Self::from_snapshot_json(&bytes)
    }

    /// Sets the listening address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Sets the page size (values below 1 are treated as 1).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Sets a fixed per-request latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Requires exactly this bearer token on ARM routes (and serves it from `/msi/token`).
    pub fn expected_token(mut self, token: impl Into<String>) -> Self {
        self.expected_token = Some(token.into());
        self
    }

    /// Requires exactly this `X-IDENTITY-HEADER` on the managed-identity endpoint.
    pub fn identity_header(mut self, secret: impl Into<String>) -> Self {
        self.identity_header = Some(secret.into());
        self
    }

    /// Sets the tenant id.
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = tenant.into();
        self
    }

    /// Sets the caller's object id.
    pub fn principal_id(mut self, oid: impl Into<String>) -> Self {
        self.principal_id = oid.into();
        self
    }

    /// Replaces the fault configuration.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Also writes the request log to this file (JSON lines).
    pub fn log_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.log_file = Some(path.into());
        self
    }

    /// Adds (or replaces, by case-insensitive name) a management group for Resource Graph
    /// queries. Subscriptions the snapshot does not hold may be listed: they yield no rows.
    pub fn management_group<S: Into<String>>(
        mut self,
        name: impl Into<String>,
        subscriptions: impl IntoIterator<Item = S>,
    ) -> Self {
        let mg = ManagementGroup {
            name: name.into(),
            subscriptions: subscriptions.into_iter().map(Into::into).collect(),
        };
        self.management_groups
            .retain(|m| !m.name.eq_ignore_ascii_case(&mg.name));
        self.management_groups.push(mg);
        self
    }

    /// Sets the Resource Graph page size used when a request has no `$top` (clamped to
    /// 1..=1000, Resource Graph's own limit).
    pub fn graph_page_size(mut self, n: usize) -> Self {
        self.graph_page_size = n.clamp(1, MAX_GRAPH_PAGE_SIZE);
        self
    }

    /// Sets Resource Graph's per-caller quota: `queries` per `window` (default 15 per 5 s).
    pub fn graph_quota(mut self, queries: u32, window: Duration) -> Self {
        self.graph_quota = GraphQuota { queries, window };
        self
    }

    /// Makes Run Command misbehave for one VM, named by name or full resource id (both compared
    /// case-insensitively). A later call for the same VM replaces the earlier mode.
    pub fn run_command_fault(mut self, vm: impl Into<String>, mode: RunCommandFault) -> Self {
        let rule = RunCommandFaultRule {
            vm: vm.into(),
            mode,
        };
        self.run_command_faults
            .retain(|r| !r.vm.eq_ignore_ascii_case(&rule.vm));
        self.run_command_faults.push(rule);
        self
    }

    /// Sets how many polls of a Run Command operation answer `InProgress` before it completes
    /// (default 2; 0 completes on the first poll).
    pub fn run_command_polls(mut self, n: u32) -> Self {
        self.run_command_polls = n;
        self
    }

    /// Sets the `Retry-After` seconds of Run Command answers (default 1; 0 allowed).
    pub fn run_command_retry_after(mut self, seconds: u64) -> Self {
        self.run_command_retry_after = seconds;
        self
    }

    /// The Run Command fault configured for a VM, matched by name or full id.
    pub(crate) fn run_command_fault_for(&self, name: &str, id: &str) -> Option<RunCommandFault> {
        let id = id.trim_end_matches('/');
        self.run_command_faults
            .iter()
            .find(|r| {
                let vm = r.vm.trim().trim_end_matches('/');
                vm.eq_ignore_ascii_case(name) || vm.eq_ignore_ascii_case(id)
            })
            .map(|r| r.mode)
    }

    /// The token the managed-identity endpoint hands out: the one ARM routes expect.
    pub fn served_token(&self) -> &str {
        self.expected_token.as_deref().unwrap_or(DEFAULT_TOKEN)
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let f = &self.faults;
        let chaos_rate = f.chaos.as_ref().map_or(0.0, |c| c.rate);
        for (name, rate) in [
            ("error rate", f.error_rate),
            ("drop rate", f.drop_rate),
            ("fault rate", chaos_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(Error::Config(format!("{name} {rate} is not within 0..=1")));
            }
        }
        if let Some(Throttle {
            mode: ThrottleMode::Every(0),
            ..
        }) = f.throttle
        {
            return Err(Error::Config("throttle every 0th request".into()));
        }
        let q = &self.graph_quota;
        if q.queries == 0 || q.window.is_zero() {
            return Err(Error::Config(format!(
                "Resource Graph quota {q} allows no query (need at least 1 query per non-zero window)"
            )));
        }
        Ok(())
    }
}

/// Injected faults. They apply to ARM routes only, never to the managed-identity endpoint, and
/// are checked in this order: drop, (authentication), throttle, server error, unregistered
/// namespace, forbidden type. Counters ("first K", "every N-th") count ARM requests from server
/// start; `MockServer::clear_log` does not reset them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// 429 throttling.
    pub throttle: Option<Throttle>,
    /// Probability (0..=1) that an ARM request fails with 500 or 503.
    pub error_rate: f64,
    /// The first K ARM requests fail with 500 or 503.
    pub error_first: u64,
    /// The first K ARM requests have their connection closed without a response.
    pub drop_first: u64,
    /// Probability (0..=1) that an ARM request has its connection closed without a response.
    pub drop_rate: f64,
    /// Resource types (e.g. `Microsoft.Network/networkSecurityGroups`) the caller may not read:
    /// 403 `AuthorizationFailed`.
    pub forbidden_types: Vec<String>,
    /// Provider namespaces (e.g. `Microsoft.ClassicCompute`) the subscription is not registered
    /// for: 409 `MissingSubscriptionRegistration`.
    pub unregistered_namespaces: Vec<String>,
    /// Resource types whose lists get a `nextLink` on a foreign host on their first page, to
    /// check that clients never send their token anywhere but the ARM endpoint.
    pub foreign_next_link_types: Vec<String>,
    /// Scheme and host of the foreign `nextLink` (default `https://evil.example.net`).
    pub foreign_host: Option<String>,
    /// What the `/subscriptions` list's `nextLink` does (pages follow `page_size`).
    pub subscriptions_next_link: Option<NextLinkFault>,
    /// Lists of a resource type answered HTTP 200 without their array: (type, shape).
    pub empty_pages: Vec<(String, EmptyPage)>,
    /// The same, from a type's second page on: a list that fails after pages were read.
    pub later_empty_pages: Vec<(String, EmptyPage)>,
    /// How successful Resource Graph answers misbehave.
    pub graph_page: Option<GraphPageFault>,
    /// Requests for this resource type (`*`: every ARM request) are accepted and never answered.
    pub hang: Option<String>,
    /// Requests for this resource type (`*`: every ARM request) answer 200 with a body of this
    /// many bytes (valid JSON, padded).
    pub oversized: Option<(String, usize)>,
    /// The managed-identity endpoint answers every token request with this status.
    pub token_status: Option<u16>,
    /// The managed-identity endpoint answers with a token response padded to this many bytes.
    pub token_oversized: Option<usize>,
    /// Random faults of several kinds at a rate (soak runs).
    pub chaos: Option<Chaos>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Throttles with 429 according to `throttle`.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Fails a fraction of requests with 500/503.
    pub fn error_rate(mut self, rate: f64) -> Self {
        self.error_rate = rate;
        self
    }

    /// Fails the first `k` requests with 500/503.
    pub fn error_first(mut self, k: u64) -> Self {
        self.error_first = k;
        self
    }

    /// Drops the connection of the first `k` requests.
    pub fn drop_first(mut self, k: u64) -> Self {
        self.drop_first = k;
        self
    }

    /// Drops the connection of a fraction of requests.
    pub fn drop_rate(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    /// Answers 403 `AuthorizationFailed` for this resource type.
    pub fn forbid_type(mut self, resource_type: impl Into<String>) -> Self {
        self.forbidden_types.push(resource_type.into());
        self
    }

    /// Answers 409 `MissingSubscriptionRegistration` for this namespace.
    pub fn unregistered(mut self, namespace: impl Into<String>) -> Self {
        self.unregistered_namespaces.push(namespace.into());
        self
    }

    /// Points the first page's `nextLink` of this type's lists at a foreign host.
    pub fn foreign_next_link(mut self, resource_type: impl Into<String>) -> Self {
        self.foreign_next_link_types.push(resource_type.into());
        self
    }

    /// Makes the `/subscriptions` list's `nextLink` foreign or self-looping.
    pub fn subscriptions_next_link(mut self, f: NextLinkFault) -> Self {
        self.subscriptions_next_link = Some(f);
        self
    }

    /// Answers this type's lists with HTTP 200 and no `value` array.
    pub fn empty_page(mut self, resource_type: impl Into<String>, shape: EmptyPage) -> Self {
        self.empty_pages.push((resource_type.into(), shape));
        self
    }

    /// Answers this type's lists' pages after the first with HTTP 200 and no `value` array.
    pub fn later_empty_page(mut self, resource_type: impl Into<String>, shape: EmptyPage) -> Self {
        self.later_empty_pages.push((resource_type.into(), shape));
        self
    }

    /// Makes successful Resource Graph answers misbehave.
    pub fn graph_page(mut self, f: GraphPageFault) -> Self {
        self.graph_page = Some(f);
        self
    }

    /// Never answers requests for this type (`*`: every ARM request).
    pub fn hang(mut self, resource_type: impl Into<String>) -> Self {
        self.hang = Some(resource_type.into());
        self
    }

    /// Answers requests for this type (`*`: every ARM request) with `bytes` of padded JSON.
    pub fn oversized(mut self, resource_type: impl Into<String>, bytes: usize) -> Self {
        self.oversized = Some((resource_type.into(), bytes));
        self
    }

    /// Answers every managed-identity token request with this status.
    pub fn token_status(mut self, status: u16) -> Self {
        self.token_status = Some(status);
        self
    }

    /// Pads managed-identity token responses to `bytes`.
    pub fn token_oversized(mut self, bytes: usize) -> Self {
        self.token_oversized = Some(bytes);
        self
    }

    /// Gives each ARM request, with probability `rate`, one fault drawn from `modes`.
    pub fn chaos(mut self, rate: f64, modes: impl IntoIterator<Item = ChaosMode>) -> Self {
        self.chaos = Some(Chaos {
            rate,
            modes: modes.into_iter().collect(),
        });
        self
    }
}

/// 429 throttling: which requests, what `Retry-After`, optionally only for one resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    /// Which of the eligible requests are throttled.
    pub mode: ThrottleMode,
    /// The `Retry-After` value.
    pub retry_after: RetryAfter,
    /// Only requests for this resource type are eligible (and counted). `None`: all ARM
    /// requests.
    pub resource_type: Option<String>,
    /// Only requests whose path holds this text (any case) are eligible, e.g. one VNet's name.
    pub path_contains: Option<String>,
}

impl Throttle {
    /// Throttles the first `k` eligible requests, `Retry-After: 1`.
    pub fn first(k: u64) -> Self {
        Throttle {
            mode: ThrottleMode::First(k),
            retry_after: RetryAfter::Seconds(1),
            resource_type: None,
            path_contains: None,
        }
    }

    /// Throttles every `n`-th eligible request, `Retry-After: 1`.
    pub fn every(n: u64) -> Self {
        Throttle {
            mode: ThrottleMode::Every(n),
            retry_after: RetryAfter::Seconds(1),
            resource_type: None,
            path_contains: None,
        }
    }

    /// Sets the `Retry-After` value.
    pub fn retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Limits throttling to one resource type.
    pub fn only_type(mut self, resource_type: impl Into<String>) -> Self {
        self.resource_type = Some(resource_type.into());
        self
    }

    /// Limits throttling to requests whose path holds `text` (any case).
    pub fn only_path(mut self, text: impl Into<String>) -> Self {
        self.path_contains = Some(text.into());
        self
    }
}

/// Which eligible requests are throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleMode {
    /// Requests 1..=K.
    First(u64),
    /// Requests N, 2N, 3N, ...
    Every(u64),
}

/// The `Retry-After` header of a 429. RFC 9110 §10.2.3 allows delay-seconds or an HTTP-date;
/// ARM sends seconds, but clients must handle both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, that many seconds (rounded up to the next whole second)
    /// after the response.
    HttpDate(u64),
}

impl RetryAfter {
    /// The delay in seconds.
    pub fn seconds(&self) -> u64 {
        match *self {
            RetryAfter::Seconds(s) | RetryAfter::HttpDate(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graph_quotas() {
        let q = |s: &str| s.parse::<GraphQuota>();
        assert_eq!(
            q("15/5s"),
            Ok(GraphQuota {
                queries: 15,
                window: Duration::from_secs(5)
            })
        );
        assert_eq!(
            q("100/500ms").map(|g| g.window),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(q("30/1m").map(|g| g.window), Ok(Duration::from_secs(60)));
        assert_eq!(q(" 3 / 2 ").map(|g| g.window), Ok(Duration::from_secs(2)));
        for bad in ["15", "x/5s", "15/5h", "0/5s", "15/0s", "-1/5s"] {
            assert!(q(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_management_groups() {
        let mg: ManagementGroup = "prod=S1, s2,".parse().expect("parses");
        assert_eq!(mg.name, "prod");
        assert_eq!(mg.subscriptions, ["S1", "s2"]);
        let empty: ManagementGroup = "empty=".parse().expect("parses");
        assert!(empty.subscriptions.is_empty());
        assert!("noequals".parse::<ManagementGroup>().is_err());
        assert!("=s1".parse::<ManagementGroup>().is_err());
    }

    #[test]
    fn builders_replace_groups_and_clamp_page_sizes() {
        let cfg = MockConfig::new(Value::Null)
            .management_group("Prod", ["a"])
            .management_group("prod", ["b", "c"])
            .graph_page_size(5000);
        assert_eq!(cfg.management_groups.len(), 1);
        assert_eq!(cfg.management_groups[0].subscriptions, ["b", "c"]);
        assert_eq!(cfg.graph_page_size, MAX_GRAPH_PAGE_SIZE);
        assert_eq!(cfg.clone().graph_page_size(0).graph_page_size, 1);
        assert!(cfg
            .clone()
            .graph_quota(0, Duration::from_secs(1))
            .validate()
            .is_err());
        assert!(cfg
            .graph_quota(1, Duration::from_secs(1))
            .validate()
            .is_ok());
    }

    #[test]
    fn parses_and_matches_run_command_faults() {
        let rule: RunCommandFaultRule = "web-01=Agent-Not-Ready".parse().expect("parses");
        assert_eq!(rule.mode, RunCommandFault::AgentNotReady);
        for m in RunCommandFault::ALL {
            assert_eq!(m.name().parse::<RunCommandFault>(), Ok(m));
        }
        assert!("web-01".parse::<RunCommandFaultRule>().is_err());
        assert!("=never".parse::<RunCommandFaultRule>().is_err());
        assert!("web-01=sometimes".parse::<RunCommandFaultRule>().is_err());

        let id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2";
        let cfg = MockConfig::new(Value::Null)
            .run_command_fault("VM1", RunCommandFault::Never)
            .run_command_fault("vm1", RunCommandFault::Conflict)
            .run_command_fault(id.to_uppercase(), RunCommandFault::Malformed);
        assert_eq!(cfg.run_command_faults.len(), 2);
        assert_eq!(
            cfg.run_command_fault_for("vm1", "/x"),
            Some(RunCommandFault::Conflict)
        );
        assert_eq!(
            cfg.run_command_fault_for("vm2", id),
            Some(RunCommandFault::Malformed)
        );
        assert_eq!(cfg.run_command_fault_for("vm3", "/y"), None);
    }
}
