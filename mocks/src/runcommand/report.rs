//! What rdpaudit's guest script prints (`rdpaudit.guest/1`, docs/guest.md), computed from a
//! VM's guest facts, and the outcome an accepted run command will report.

use super::body::to_json;
use crate::config::RunCommandFault;
use crate::operations::Outcome;
use serde::Serialize;
use serde_json::{Map, Value};

/// Run Command keeps only the last 4,096 bytes of a script's stdout (and stderr).
pub const RUN_COMMAND_OUTPUT_LIMIT: usize = 4096;

/// What a PowerShell host prints when the script uses a cmdlet the guest lacks: the `malformed`
/// mode's stdout and stderr.
const POWERSHELL_ERROR: &str = "Get-NetTCPConnection : The term 'Get-NetTCPConnection' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt C:\\Packages\\Plugins\\Microsoft.CPlat.Core.RunCommandWindows\\1.1.18\\Downloads\\script0.ps1:41 char:13\n+ $listen = @(Get-NetTCPConnection -State Listen -LocalPort $port)\n+             ~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (Get-NetTCPConnection:String) [], CommandNotFoundException\n    + FullyQualifiedErrorId : CommandNotFoundException\n";

pub(super) const AGENT_ERROR: &str = "VMAgentStatusCommunicationError";

/// What the operation will report, decided when it is accepted.
pub(super) fn outcome(
    vm_name: &str,
    facts: Option<&Value>,
    agent_ready: bool,
    mode: Option<RunCommandFault>,
) -> Outcome {
    if !agent_ready {
        return Outcome::Failed {
            code: AGENT_ERROR,
            message: format!(
                "VM '{vm_name}' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage."
            ),
        };
    }
    if let Some(error) = facts.and_then(|f| f.get("error")).filter(|e| !e.is_null()) {
        let message = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Outcome::Failed {
            code: "VMExtensionProvisioningError",
            message,
        };
    }
    let (stdout, stderr) = match mode {
        Some(RunCommandFault::Malformed) => {
            (POWERSHELL_ERROR.to_owned(), POWERSHELL_ERROR.to_owned())
        }
        Some(RunCommandFault::Truncated) => (padded_report(facts), String::new()),
        _ => (report(facts), String::new()),
    };
    Outcome::Succeeded {
        stdout: tail(&stdout, RUN_COMMAND_OUTPUT_LIMIT),
        stderr: tail(&stderr, RUN_COMMAND_OUTPUT_LIMIT),
    }
}

/// The last `limit` bytes of `s` (fewer if a UTF-8 character straddles the cut).
pub(super) fn tail(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut start = s.len() - limit;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_owned()
}

/// The guest facts of one VM, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Facts {
    pub(super) port: u64,
    pub(super) enabled: bool,
    pub(super) running: bool,
    pub(super) listening: bool,
    pub(super) firewall_allows: bool,
    pub(super) nla: bool,
}

impl Facts {
    pub(super) fn of(v: Option<&Value>) -> Facts {
        let empty = Map::new();
        let o = v.and_then(Value::as_object).unwrap_or(&empty);
        let flag = |k: &str| o.get(k).and_then(Value::as_bool);
        let running = flag("termServiceRunning").unwrap_or(true);
        Facts {
            port: o.get("rdpPort").and_then(Value::as_u64).unwrap_or(3389),
            enabled: flag("rdpEnabled").unwrap_or(true),
            running,
            listening: flag("listening").unwrap_or(running),
            firewall_allows: flag("firewallAllowsRdp").unwrap_or(true),
            nla: flag("nla").unwrap_or(true),
        }
    }
}

/// The guest script's report (`rdpaudit.guest/1`, docs/guest.md), fields in the documented
/// order.
#[derive(Debug, Serialize)]
pub(super) struct GuestReport {
    schema: &'static str,
    #[serde(rename = "rdpTcp")]
    rdp_tcp: RdpTcp,
    #[serde(rename = "fDenyTSConnections")]
    deny_ts_connections: DenyTs,
    #[serde(rename = "termService")]
    term_service: TermService,
    listeners: Vec<Listener>,
    firewall: Firewall,
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RdpTcp {
    port_number: u64,
    security_layer: u8,
    user_authentication: u8,
    f_enable_win_station: u8,
}

#[derive(Debug, Serialize)]
pub(super) struct DenyTs {
    local: u8,
    policy: Option<u8>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TermService {
    status: &'static str,
    start_type: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct Listener {
    address: &'static str,
    port: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Firewall {
    profiles: Vec<Profile>,
    allow_rules: Vec<Rule>,
    block_rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Profile {
    name: &'static str,
    enabled: bool,
    default_inbound_action: &'static str,
    allow_inbound_rules: bool,
    active: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Rule {
    name: &'static str,
    display_name: &'static str,
    profiles: Vec<&'static str>,
    local_ports: Vec<String>,
    remote_addresses: Vec<&'static str>,
}

pub(super) fn guest_report(f: Facts) -> GuestReport {
    let nla = u8::from(f.nla);
    GuestReport {
        schema: "rdpaudit.guest/1",
        rdp_tcp: RdpTcp {
            port_number: f.port,
            security_layer: if f.nla { 2 } else { 1 },
            user_authentication: nla,
            f_enable_win_station: 1,
        },
        deny_ts_connections: DenyTs {
            local: u8::from(!f.enabled),
            policy: None,
        },
        term_service: TermService {
            status: if f.running { "Running" } else { "Stopped" },
            start_type: "Manual",
        },
        listeners: if f.listening {
            vec![
                Listener {
                    address: "0.0.0.0",
                    port: f.port,
                },
                Listener {
                    address: "::",
                    port: f.port,
                },
            ]
        } else {
            Vec::new()
        },
        firewall: Firewall {
            profiles: ["Domain", "Private", "Public"]
                .into_iter()
                .map(|name| Profile {
                    name,
                    enabled: true,
                    default_inbound_action: "Block",
                    allow_inbound_rules: true,
                    active: name == "Public",
                })
                .collect(),
            allow_rules: if f.firewall_allows {
                vec![Rule {
                    name: "RemoteDesktop-UserMode-In-TCP",
                    display_name: "Remote Desktop - User Mode (TCP-In)",
                    profiles: vec!["Any"],
                    local_ports: vec![f.port.to_string()],
                    remote_addresses: vec!["Any"],
                }]
            } else {
                Vec::new()
            },
            block_rules: Vec::new(),
        },
        errors: Vec::new(),
    }
}

/// The script's stdout: one line of compact JSON.
pub(super) fn report(facts: Option<&Value>) -> String {
    let mut line = to_json(&guest_report(Facts::of(facts)));
    line.push('\n');
    line
}

/// The report with an `errors` list long enough to push it well past the output limit.
pub(super) fn padded_report(facts: Option<&Value>) -> String {
    let mut r = guest_report(Facts::of(facts));
    let mut len = to_json(&r).len();
    let mut i = 0;
    while len < RUN_COMMAND_OUTPUT_LIMIT + 2048 {
        i += 1;
        let e = format!(
            "Get-NetFirewallRule: rule {i} of the ActiveStore could not be read: Access is denied."
        );
        len += e.len() + 3;
        r.errors.push(e);
    }
    let mut line = to_json(&r);
    line.push('\n');
    line
}
