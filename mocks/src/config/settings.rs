//! Smaller settings of the mock: management groups, Run Command faults and the Resource Graph
//! quota, each parsed from its `mock-arm serve` flag form.

use std::str::FromStr;
use std::time::Duration;

/// A management group as Resource Graph sees it: a name and the subscriptions below it
/// (flattened: the mock has no nesting). Parsed from the CLI form `NAME=SUB1,SUB2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementGroup {
    /// The management group name (ARG's `managementGroups` takes names, not ids).
    pub name: String,
    /// Subscription ids below the group.
    pub subscriptions: Vec<String>,
}

impl FromStr for ManagementGroup {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, subs) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not NAME=SUB1,SUB2"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("{s:?} has an empty management group name"));
        }
        Ok(ManagementGroup {
            name: name.to_owned(),
            subscriptions: subs
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// How Run Command misbehaves for one VM (`--run-command-fault VM=MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCommandFault {
    /// `conflict`: every POST answers 409 `Conflict`, as when another run command is in progress.
    Conflict,
    /// `agent-not-ready`: accepted (202), then the operation fails with
    /// `VMAgentStatusCommunicationError`.
    AgentNotReady,
    /// `forbidden`: 403 `AuthorizationFailed` for `Microsoft.Compute/virtualMachines/runCommand/action`.
    Forbidden,
    /// `never`: the operation stays `InProgress` forever (and the VM stays busy).
    Never,
    /// `malformed`: succeeds with a PowerShell error text (not JSON) in stdout and stderr.
    Malformed,
    /// `truncated`: succeeds with the script's JSON padded past 4,096 bytes and cut to its last
    /// 4,096 bytes, as Run Command does (the start is missing).
    Truncated,
    /// `foreign-poll`: the 202's `Azure-AsyncOperation` and `Location` point at the foreign host
    /// (`Faults::foreign_host`), path unchanged.
    ForeignPoll,
    /// `location-only`: the 202 carries only `Location` (no `Azure-AsyncOperation`), as in the
    /// official `VirtualMachineRunCommand` example; the client must poll the result URL.
    LocationOnly,
}

impl RunCommandFault {
    /// Every mode, in CLI spelling order.
    pub const ALL: [RunCommandFault; 8] = [
        RunCommandFault::Conflict,
        RunCommandFault::AgentNotReady,
        RunCommandFault::Forbidden,
        RunCommandFault::Never,
        RunCommandFault::Malformed,
        RunCommandFault::Truncated,
        RunCommandFault::ForeignPoll,
        RunCommandFault::LocationOnly,
    ];

    /// The CLI name (`conflict`, `agent-not-ready`, …).
    pub fn name(self) -> &'static str {
        match self {
            RunCommandFault::Conflict => "conflict",
            RunCommandFault::AgentNotReady => "agent-not-ready",
            RunCommandFault::Forbidden => "forbidden",
            RunCommandFault::Never => "never",
            RunCommandFault::Malformed => "malformed",
            RunCommandFault::Truncated => "truncated",
            RunCommandFault::ForeignPoll => "foreign-poll",
            RunCommandFault::LocationOnly => "location-only",
        }
    }

    /// The request log's `fault` label of the POST (or poll) the mode shapes.
    pub(crate) fn label(self) -> &'static str {
        match self {
            RunCommandFault::Conflict => "conflict",
            RunCommandFault::AgentNotReady => "agentNotReady",
            RunCommandFault::Forbidden => "forbidden",
            RunCommandFault::Never => "never",
            RunCommandFault::Malformed => "malformed",
            RunCommandFault::Truncated => "truncated",
            RunCommandFault::ForeignPoll => "foreignPoll",
            RunCommandFault::LocationOnly => "locationOnly",
        }
    }
}

impl std::fmt::Display for RunCommandFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RunCommandFault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        RunCommandFault::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = RunCommandFault::ALL.iter().map(|m| m.name()).collect();
                format!("{s:?} is not a run command fault ({})", names.join(", "))
            })
    }
}

/// One VM's Run Command fault. Parsed from the CLI form `VM=MODE`, where VM is a VM name or
/// its full resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCommandFaultRule {
    /// VM name or full resource id (compared case-insensitively).
    pub vm: String,
    /// What happens to its run commands.
    pub mode: RunCommandFault,
}

impl FromStr for RunCommandFaultRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A resource id holds no `=`, so the last one separates the mode.
        let (vm, mode) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("{s:?} is not VM=MODE"))?;
        let vm = vm.trim();
        if vm.is_empty() {
            return Err(format!("{s:?} has an empty VM name"));
        }
        Ok(RunCommandFaultRule {
            vm: vm.to_owned(),
            mode: mode.parse()?,
        })
    }
}

/// Resource Graph's per-user quota: at most `queries` queries in every `window`, counted per
/// caller token (<https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests>).
/// Parsed from the CLI form `15/5s` (window units `ms`, `s`, `m`; a bare number is seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphQuota {
    /// Queries allowed per window (each page is one query).
    pub queries: u32,
    /// The window; it starts with a caller's first query and resets when it has elapsed.
    pub window: Duration,
}

impl Default for GraphQuota {
    /// 15 queries per 5 seconds: the example the Resource Graph throttling guidance gives.
    fn default() -> Self {
        GraphQuota {
            queries: 15,
            window: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Display for GraphQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}ms", self.queries, self.window.as_millis())
    }
}

impl FromStr for GraphQuota {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not QUERIES/WINDOW (e.g. 15/5s, 100/500ms, 30/1m)");
        let (q, w) = s.split_once('/').ok_or_else(bad)?;
        let queries: u32 = q.trim().parse().map_err(|_| bad())?;
        let w = w.trim();
        let (num, unit_ms) = if let Some(n) = w.strip_suffix("ms") {
            (n, 1)
        } else if let Some(n) = w.strip_suffix('s') {
            (n, 1000)
        } else if let Some(n) = w.strip_suffix('m') {
            (n, 60_000)
        } else {
            (w, 1000)
        };
        let n: u64 = num.trim().parse().map_err(|_| bad())?;
        let window = Duration::from_millis(n.checked_mul(unit_ms).ok_or_else(bad)?);
        if queries == 0 || window.is_zero() {
            return Err(format!("{s:?} allows no query"));
        }
        Ok(GraphQuota { queries, window })
    }
}
