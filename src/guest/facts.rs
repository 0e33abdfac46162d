//! The script's output object → [`GuestFacts`]. Every section is read separately and leniently.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::firewall::{firewall_allows, Firewall};
use super::lenient::*;
use crate::model::GuestFacts;

// ---------------------------------------------------------------------------------------------
// The output object. Every section is read separately and leniently: one section in an odd shape
// makes that section unknown, not the whole output.

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Output {
    rdp_tcp: Value,
    #[serde(rename = "fDenyTSConnections")]
    f_deny_ts_connections: Value,
    term_service: Value,
    listeners: Value,
    firewall: Value,
    errors: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RdpTcp {
    port_number: Value,
    user_authentication: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DenyTs {
    local: Value,
    policy: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TermService {
    status: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Listener {
    port: Value,
}

/// A section as `T`, or `None` (null or an unexpected shape, the latter noted).
fn section<T: DeserializeOwned>(v: Value, name: &str, notes: &mut Vec<String>) -> Option<T> {
    if v.is_null() {
        return None;
    }
    let t = object_as(v);
    if t.is_none() {
        notes.push(format!("`{name}` is not an object"));
    }
    t
}

pub(super) fn facts_from(out: Output) -> GuestFacts {
    let mut notes: Vec<String> = Vec::new();

    let rdp_tcp: Option<RdpTcp> = section(out.rdp_tcp, "rdpTcp", &mut notes);
    let rdp_port = rdp_tcp
        .as_ref()
        .and_then(|r| match int_from(&r.port_number) {
            Ok(Some(p)) => match u16::try_from(p) {
                Ok(port) if port >= 1 => Some(port),
                _ => {
                    notes.push(format!("rdpTcp.portNumber {p} is not a TCP port"));
                    None
                }
            },
            Ok(None) => None,
            Err(shown) => {
                notes.push(format!("rdpTcp.portNumber `{shown}` is not a number"));
                None
            }
        });
    let nla = rdp_tcp
        .as_ref()
        .and_then(|r| match int_from(&r.user_authentication) {
            Ok(v) => v.map(|v| v == 1),
            Err(shown) => {
                notes.push(format!(
                    "rdpTcp.userAuthentication `{shown}` is not a number"
                ));
                None
            }
        });

    let deny: Option<DenyTs> = section(out.f_deny_ts_connections, "fDenyTSConnections", &mut notes);
    let rdp_enabled = deny.and_then(|d| rdp_enabled(&d, &mut notes));

    let service: Option<TermService> = section(out.term_service, "termService", &mut notes);
    let term_service_running = service.and_then(|s| match &s.status {
        Value::String(status) => Some(status.trim().eq_ignore_ascii_case("Running")),
        // ServiceControllerStatus as a number: 4 = Running.
        Value::Number(n) => n.as_i64().map(|n| n == 4),
        _ => None,
    });

    let listeners: Option<Vec<Listener>> = match out.listeners {
        Value::Null => None,
        v => {
            let list = list_from(v);
            if list.is_none() {
                notes.push("`listeners` is not a list of objects".into());
            }
            list
        }
    };
    let listening = match (listeners, rdp_port) {
        (Some(list), Some(port)) => Some(
            list.iter()
                .any(|l| matches!(int_from(&l.port), Ok(Some(p)) if p == i64::from(port))),
        ),
        _ => None,
    };

    let firewall: Option<Firewall> = section(out.firewall, "firewall", &mut notes);
    let firewall_allows_rdp = match (&firewall, rdp_port) {
        (Some(fw), Some(port)) => firewall_allows(fw, port),
        _ => None,
    };

    let mut facts = GuestFacts {
        rdp_port,
        rdp_enabled,
        term_service_running,
        listening,
        firewall_allows_rdp,
        nla,
        error: None,
    };
    let unknown: Vec<&str> = [
        ("rdpPort", facts.rdp_port.is_none()),
        ("rdpEnabled", facts.rdp_enabled.is_none()),
        ("termServiceRunning", facts.term_service_running.is_none()),
        ("listening", facts.listening.is_none()),
        ("firewallAllowsRdp", facts.firewall_allows_rdp.is_none()),
    ]
    .iter()
    .filter(|(_, missing)| *missing)
    .map(|(name, _)| *name)
    .collect();
    if !unknown.is_empty() {
        let mut reasons = strings_from(&out.errors);
        reasons.extend(notes);
        let why = if reasons.is_empty() {
            "the script reported no error".to_string()
        } else {
            shorten(&reasons.join("; "), 400)
        };
        facts.error = Some(format!("unknown: {}; {why}", unknown.join(", ")));
    }
    facts
}

/// `rdpEnabled`: the policy value wins when present; otherwise the local value. 0 = enabled,
/// 1 = connections denied; anything else is unknown.
fn rdp_enabled(d: &DenyTs, notes: &mut Vec<String>) -> Option<bool> {
    let read = |v: &Value, name: &str, notes: &mut Vec<String>| match int_from(v) {
        Ok(None) => None,
        Ok(Some(0)) => Some(Some(true)),
        Ok(Some(1)) => Some(Some(false)),
        Ok(Some(n)) => {
            notes.push(format!("fDenyTSConnections.{name} is {n}, not 0 or 1"));
            Some(None)
        }
        Err(shown) => {
            notes.push(format!(
                "fDenyTSConnections.{name} `{shown}` is not a number"
            ));
            Some(None)
        }
    };
    match read(&d.policy, "policy", notes) {
        Some(decided) => decided,
        None => read(&d.local, "local", notes).flatten(),
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars).collect();
    out.push('…');
    out
}
