//! The script's output object → [`GuestFacts`]. Every section is read separately and leniently.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::firewall::{firewall_allows, Firewall};
use super::quote;
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

pub(super) fn de_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(list_from(Value::deserialize(d)?))
}

pub(super) fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_from(&Value::deserialize(d)?))
}

pub(super) fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(flag_from(&Value::deserialize(d)?))
}

pub(super) fn de_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(strings_from(&Value::deserialize(d)?))
}

/// `defaultInboundAction`: the name, or the `Action` enum number when it was not stringified.
pub(super) fn de_action<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v.as_i64() {
        Some(0) => Some("NotConfigured".into()),
        Some(2) => Some("Allow".into()),
        Some(4) => Some("Block".into()),
        _ => text_from(&v),
    })
}

/// A list; a single object counts as a one-element list (PowerShell unrolls those); any element
/// in an unexpected shape makes the whole list unknown.
fn list_from<T: DeserializeOwned>(v: Value) -> Option<Vec<T>> {
    match v {
        Value::Null => None,
        Value::Array(items) => items.into_iter().map(object_as).collect(),
        other => object_as(other).map(|x| vec![x]),
    }
}

/// An object as `T` (serde would also take a struct from an array: not here).
fn object_as<T: DeserializeOwned>(v: Value) -> Option<T> {
    if v.is_object() {
        serde_json::from_value(v).ok()
    } else {
        None
    }
}

fn text_from(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `true`/`false`, `"True"`/`"False"`, `1`/`0`; anything else (e.g. `NotConfigured`) is unknown.
fn flag_from(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Strings from a string (split at commas) or an array of them; numbers are written out.
fn strings_from(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(strings_from).collect(),
        _ => Vec::new(),
    }
}

/// An integer (a registry DWORD): a JSON integer, a whole float, or a numeric string.
/// `Ok(None)` when absent (`null`), `Err(shown)` when present but not an integer.
fn int_from(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| n.to_string()),
        Value::String(s) => s.trim().parse::<i64>().map(Some).map_err(|_| quote(s)),
        other => Err(quote(&other.to_string())),
    }
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
