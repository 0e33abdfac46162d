//! Guest inspection, the pure half: the read-only PowerShell script `--guest` runs through Run
//! Command (compiled in), and the parser that turns its output into guest facts.
//!
//! The output format (`rdpaudit.guest/1`) and its mapping to [`GuestFacts`] are described in
//! `docs/guest.md`. Everything here is pure: the text comes from a VM, so nothing panics on it,
//! and output that cannot be trusted gives `GuestFacts::error` instead of a guessed fact.

use crate::model::GuestFacts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The script, exactly as shipped in the repository.
pub const SCRIPT: &str = include_str!("inspect.ps1");

/// The `schema` the script's JSON carries.
pub const OUTPUT_SCHEMA: &str = "rdpaudit.guest/1";

/// Run Command keeps only the last 4,096 bytes of stdout; output this long may have lost its start.
const CUT_THRESHOLD: usize = 4000;

/// How much of a foreign text (stderr, a non-JSON stdout) an error quotes.
const QUOTE_CHARS: usize = 200;

/// The script as Run Command's `script` array (one string per line, no trailing `\r`).
pub fn script_lines() -> Vec<String> {
    SCRIPT
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// Splits a `RunCommandResult` body into (stdout, stderr), by status code, not array position.
///
/// Accepts the result itself (`{"value": [...]}`) and the asynchronous operation's status
/// (`{"status": "Succeeded", "properties": {"output": {"value": [...]}}}`). A missing stream is
/// an empty string.
pub fn split_run_command_result(body: &[u8]) -> Result<(String, String), String> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the Run Command result is not JSON: {e}"))?;
    if !doc.is_object() {
        return Err("the Run Command result is not a JSON object".into());
    }
    let value = doc
        .get("value")
        .or_else(|| doc.pointer("/properties/output/value"))
        .or_else(|| doc.pointer("/output/value"));
    let Some(entries) = value.and_then(Value::as_array) else {
        return Err(match doc.get("status").and_then(Value::as_str) {
            Some(status) => format!(
                "the Run Command result has no output (`value` array); operation status {status}"
            ),
            None => "the Run Command result has no `value` array".into(),
        });
    };
    let mut stdout: Option<String> = None;
    let mut stderr: Option<String> = None;
    for entry in entries {
        let code = entry
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let message = || {
            entry
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if code.starts_with("componentstatus/stdout/") && stdout.is_none() {
            stdout = Some(message());
        } else if code.starts_with("componentstatus/stderr/") && stderr.is_none() {
            stderr = Some(message());
        }
    }
    Ok((stdout.unwrap_or_default(), stderr.unwrap_or_default()))
}

/// Turns the script's stdout (and stderr) into guest facts; unusable output gives `error`.
pub fn parse_output(stdout: &str, stderr: &str) -> GuestFacts {
    match read_object(stdout, stderr) {
        Ok(doc) => facts_from(doc),
        Err(reason) => GuestFacts {
            error: Some(reason),
            ..Default::default()
        },
    }
}

/// Finds the script's JSON object in stdout and checks its schema.
fn read_object(stdout: &str, stderr: &str) -> Result<Output, String> {
    let text = stdout.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        let err = quote(stderr);
        return Err(if err.is_empty() {
            "the script printed nothing".into()
        } else {
            format!("the script printed nothing (stderr: {err})")
        });
    }
    let maybe_cut = stdout.len() >= CUT_THRESHOLD;
    let cut_reason = || {
        "the output was cut: Run Command keeps only the last 4,096 bytes of stdout, and the start \
         of the JSON object is missing"
            .to_string()
    };
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .collect();
    let Some(last) = lines.iter().rposition(|l| l.starts_with('{')) else {
        return Err(if maybe_cut {
            cut_reason()
        } else {
            format!("the output is not JSON: {}", quote(text))
        });
    };
    let value = match serde_json::from_str::<Value>(lines[last]) {
        Ok(v) => v,
        Err(first_error) => {
            // Pretty-printed output spreads the object over lines: try from the first `{` line.
            let first = lines
                .iter()
                .position(|l| l.starts_with('{'))
                .unwrap_or(last);
            match serde_json::from_str::<Value>(&lines[first..].join("\n")) {
                Ok(v) => v,
                Err(_) if maybe_cut => return Err(cut_reason()),
                Err(_) => {
                    return Err(format!(
                        "the output is not JSON ({first_error}): {}",
                        quote(lines[last])
                    ))
                }
            }
        }
    };
    let schema = value.get("schema").cloned();
    match schema {
        Some(Value::String(s)) if s == OUTPUT_SCHEMA => {}
        Some(Value::String(s)) => {
            return Err(format!(
                "the output is `{}`, not {OUTPUT_SCHEMA}",
                quote(&s)
            ))
        }
        _ => {
            return Err(format!(
                "the output is a JSON object without a `schema`, not {OUTPUT_SCHEMA}"
            ))
        }
    }
    serde_json::from_value(value).map_err(|e| format!("the output is not {OUTPUT_SCHEMA}: {e}"))
}

/// At most [`QUOTE_CHARS`] characters of a foreign text, whitespace runs collapsed.
fn quote(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(QUOTE_CHARS).collect();
    if flat.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The output object. Every section is read separately and leniently: one section in an odd shape
// makes that section unknown, not the whole output.

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Output {
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

/// The script's `firewall` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Firewall {
    #[serde(default, deserialize_with = "de_list")]
    pub profiles: Option<Vec<FirewallProfile>>,
    /// `None`: the list is missing or unreadable (not the same as empty).
    #[serde(default, deserialize_with = "de_list")]
    pub allow_rules: Option<Vec<FirewallRule>>,
    #[serde(default, deserialize_with = "de_list")]
    pub block_rules: Option<Vec<FirewallRule>>,
}

/// One Windows Firewall profile (`Domain`, `Private`, `Public`) of the active policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallProfile {
    #[serde(default, deserialize_with = "de_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de_flag")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "de_action")]
    pub default_inbound_action: Option<String>,
    #[serde(default, deserialize_with = "de_flag")]
    pub allow_inbound_rules: Option<bool>,
    #[serde(default, deserialize_with = "de_flag")]
    pub active: Option<bool>,
}

/// An enabled inbound rule that covers the RDP port (as the script reports it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRule {
    #[serde(default, deserialize_with = "de_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de_text")]
    pub display_name: Option<String>,
    /// `Any`, or some of `Domain`/`Private`/`Public` (a string "Domain, Private" is split).
    #[serde(default, deserialize_with = "de_strings")]
    pub profiles: Vec<String>,
    /// Ports (`3389`), ranges (`3389-3390`) or `Any`.
    #[serde(default, deserialize_with = "de_strings")]
    pub local_ports: Vec<String>,
    #[serde(default, deserialize_with = "de_strings")]
    pub remote_addresses: Vec<String>,
}

fn de_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(list_from(Value::deserialize(d)?))
}

fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_from(&Value::deserialize(d)?))
}

fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(flag_from(&Value::deserialize(d)?))
}

fn de_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(strings_from(&Value::deserialize(d)?))
}

/// `defaultInboundAction`: the name, or the `Action` enum number when it was not stringified.
fn de_action<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
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

fn facts_from(out: Output) -> GuestFacts {
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

// ---------------------------------------------------------------------------------------------
// The firewall decision (docs/guest.md), in three-valued logic: `None` is "cannot tell".

fn not3(a: Option<bool>) -> Option<bool> {
    a.map(|b| !b)
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    not3(and3(not3(a), not3(b)))
}

/// Whether the Windows Firewall lets inbound TCP to `port` in.
///
/// Considers the active profiles (every profile when none is marked active). In a profile: a
/// disabled profile lets everything in; `allowInboundRules: false` (shields up) blocks
/// everything; a matching block rule blocks (block rules win); a matching allow rule allows;
/// otherwise `defaultInboundAction` decides (`Allow` allows, `Block`, `NotConfigured` and
/// anything else block). `Some(true)` when every profile considered allows, `Some(false)` when
/// none does, `None` when they disagree or something needed is missing.
pub fn firewall_allows(fw: &Firewall, port: u16) -> Option<bool> {
    let profiles = fw.profiles.as_deref().unwrap_or_default();
    let active: Vec<&FirewallProfile> =
        profiles.iter().filter(|p| p.active == Some(true)).collect();
    let considered: Vec<&FirewallProfile> = if active.is_empty() {
        profiles.iter().collect()
    } else {
        active
    };
    let verdicts: Vec<Option<bool>> = considered
        .iter()
        .map(|p| profile_allows(fw, p, port))
        .collect();
    if verdicts.is_empty() {
        None
    } else if verdicts.iter().all(|v| *v == Some(true)) {
        Some(true)
    } else if verdicts.iter().all(|v| *v == Some(false)) {
        Some(false)
    } else {
        None
    }
}

fn profile_allows(fw: &Firewall, profile: &FirewallProfile, port: u16) -> Option<bool> {
    let blocked = any_rule_matches(fw.block_rules.as_deref(), profile, port);
    let allowed = any_rule_matches(fw.allow_rules.as_deref(), profile, port);
    let default_allows = profile
        .default_inbound_action
        .as_deref()
        .map(|a| a.trim().eq_ignore_ascii_case("Allow"));
    let shields_up = not3(profile.allow_inbound_rules);
    let when_enabled = and3(
        not3(shields_up),
        and3(not3(blocked), or3(allowed, default_allows)),
    );
    or3(not3(profile.enabled), when_enabled)
}

/// Whether some rule of `rules` applies to `profile` and covers `port`; `None` when the list is
/// unknown or a rule's applicability cannot be told.
fn any_rule_matches(
    rules: Option<&[FirewallRule]>,
    profile: &FirewallProfile,
    port: u16,
) -> Option<bool> {
    let each: Vec<Option<bool>> = rules?
        .iter()
        .map(|rule| {
            and3(
                rule_applies_to(rule, profile),
                Some(ports_include(&rule.local_ports, port)),
            )
        })
        .collect();
    // Kleene "or" over the rules: one certain match decides, else one unknown leaves it unknown.
    if each.contains(&Some(true)) {
        Some(true)
    } else if each.contains(&None) {
        None
    } else {
        Some(false)
    }
}

/// A rule applies to a profile when its `profiles` contain `Any` or the profile's name
/// (case-insensitive). An empty list is Windows' default, `Any`.
fn rule_applies_to(rule: &FirewallRule, profile: &FirewallProfile) -> Option<bool> {
    if rule.profiles.is_empty() || rule.profiles.iter().any(|p| p.eq_ignore_ascii_case("Any")) {
        return Some(true);
    }
    let name = profile.name.as_deref()?;
    Some(rule.profiles.iter().any(|p| p.eq_ignore_ascii_case(name)))
}

/// `Any`, the port itself, or a range `a-b` containing it.
fn ports_include(ports: &[String], port: u16) -> bool {
    ports.iter().any(|p| {
        let p = p.trim();
        if p.eq_ignore_ascii_case("Any") {
            return true;
        }
        match p.split_once('-') {
            Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                (Ok(a), Ok(b)) => a <= port && port <= b,
                _ => false,
            },
            None => p.parse::<u16>() == Ok(port),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, enabled: bool, default: &str, allow_rules: bool) -> FirewallProfile {
        FirewallProfile {
            name: Some(name.into()),
            enabled: Some(enabled),
            default_inbound_action: Some(default.into()),
            allow_inbound_rules: Some(allow_rules),
            active: Some(false),
        }
    }

    fn active(mut p: FirewallProfile) -> FirewallProfile {
        p.active = Some(true);
        p
    }

    fn rule(profiles: &[&str], ports: &[&str]) -> FirewallRule {
        FirewallRule {
            name: Some("r".into()),
            display_name: None,
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
            local_ports: ports.iter().map(|s| s.to_string()).collect(),
            remote_addresses: vec!["Any".into()],
        }
    }

    fn fw(
        profiles: Vec<FirewallProfile>,
        allow: Vec<FirewallRule>,
        block: Vec<FirewallRule>,
    ) -> Firewall {
        Firewall {
            profiles: Some(profiles),
            allow_rules: Some(allow),
            block_rules: Some(block),
        }
    }

    fn public_block() -> FirewallProfile {
        active(profile("Public", true, "Block", true))
    }

    // --- firewall decision ---

    #[test]
    fn firewall_allow_rule_allows() {
        let f = fw(
            vec![public_block()],
            vec![rule(&["Any"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(true));
    }

    #[test]
    fn firewall_no_rule_default_block_blocks() {
        let f = fw(vec![public_block()], vec![], vec![]);
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_not_configured_default_blocks() {
        let f = fw(
            vec![active(profile("Public", true, "NotConfigured", true))],
            vec![],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_default_allow_allows() {
        let f = fw(
            vec![active(profile("Public", true, "Allow", true))],
            vec![],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(true));
    }

    #[test]
    fn firewall_disabled_profile_lets_everything_in() {
        let mut p = active(profile("Public", false, "Block", false));
        p.allow_inbound_rules = Some(false);
        let f = fw(vec![p], vec![], vec![rule(&["Any"], &["3389"])]);
        assert_eq!(firewall_allows(&f, 3389), Some(true));
    }

    #[test]
    fn firewall_shields_up_blocks_even_with_allow_rule() {
        let f = fw(
            vec![active(profile("Public", true, "Allow", false))],
            vec![rule(&["Any"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_block_rule_beats_allow_rule() {
        let f = fw(
            vec![public_block()],
            vec![rule(&["Any"], &["3389"])],
            vec![rule(&["Public"], &["Any"])],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_block_rule_beats_default_allow() {
        let f = fw(
            vec![active(profile("Public", true, "Allow", true))],
            vec![],
            vec![rule(&["Any"], &["3000-4000"])],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_rule_for_another_profile_does_not_apply() {
        let f = fw(
            vec![profile("Domain", true, "Block", true), public_block()],
            vec![rule(&["Domain", "Private"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
        // A block rule for another profile does not block either.
        let f = fw(
            vec![public_block()],
            vec![rule(&["Any"], &["3389"])],
            vec![rule(&["Domain"], &["3389"])],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(true));
    }

    #[test]
    fn firewall_profile_names_match_case_insensitively() {
        let f = fw(
            vec![public_block()],
            vec![rule(&["public"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(true));
    }

    #[test]
    fn firewall_rule_on_another_port_does_not_apply() {
        let f = fw(
            vec![public_block()],
            vec![rule(&["Any"], &["3389", "5985-5986"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3390), Some(false));
        assert_eq!(firewall_allows(&f, 5986), Some(true));
        let any = fw(vec![public_block()], vec![rule(&["Any"], &["any"])], vec![]);
        assert_eq!(firewall_allows(&any, 3390), Some(true));
        let rpc = fw(vec![public_block()], vec![rule(&["Any"], &["RPC"])], vec![]);
        assert_eq!(firewall_allows(&rpc, 3389), Some(false));
    }

    #[test]
    fn firewall_mixed_active_profiles_is_unknown() {
        let f = fw(
            vec![
                active(profile("Private", true, "Block", true)),
                public_block(),
            ],
            vec![rule(&["Private"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), None);
    }

    #[test]
    fn firewall_all_profiles_when_none_active() {
        let mut f = fw(
            vec![
                profile("Domain", true, "Block", true),
                profile("Private", true, "Block", true),
                profile("Public", true, "Block", true),
            ],
            vec![rule(&["Domain"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), None);
        f.allow_rules = Some(vec![rule(&["Domain", "Private", "Public"], &["3389"])]);
        assert_eq!(firewall_allows(&f, 3389), Some(true));
        f.allow_rules = Some(vec![]);
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_only_active_profiles_count() {
        // Domain (inactive) has no firewall at all; Public (active) blocks.
        let f = fw(
            vec![profile("Domain", false, "Block", true), public_block()],
            vec![],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(false));
    }

    #[test]
    fn firewall_unknowns() {
        assert_eq!(firewall_allows(&Firewall::default(), 3389), None);
        // Rule lists unknown: cannot tell, unless the profile decides alone.
        let f = Firewall {
            profiles: Some(vec![public_block()]),
            allow_rules: None,
            block_rules: None,
        };
        assert_eq!(firewall_allows(&f, 3389), None);
        let off = Firewall {
            profiles: Some(vec![active(profile("Public", false, "Block", true))]),
            allow_rules: None,
            block_rules: None,
        };
        assert_eq!(firewall_allows(&off, 3389), Some(true));
        // Missing default action: unknown without a matching allow rule.
        let mut p = public_block();
        p.default_inbound_action = None;
        let f = fw(vec![p.clone()], vec![], vec![]);
        assert_eq!(firewall_allows(&f, 3389), None);
        let f = fw(vec![p], vec![rule(&["Any"], &["3389"])], vec![]);
        assert_eq!(firewall_allows(&f, 3389), Some(true));
        // A profile without a name: rules for `Any` apply, rules for named profiles cannot tell.
        let mut p = public_block();
        p.name = None;
        let f = fw(vec![p.clone()], vec![rule(&["Domain"], &["3389"])], vec![]);
        assert_eq!(firewall_allows(&f, 3389), None);
        let f = fw(
            vec![p],
            vec![rule(&["Domain"], &["3389"]), rule(&["Any"], &["3389"])],
            vec![],
        );
        assert_eq!(firewall_allows(&f, 3389), Some(true));
        // Enabled unknown: only a verdict that holds either way.
        let mut p = public_block();
        p.enabled = None;
        let f = fw(vec![p.clone()], vec![rule(&["Any"], &["3389"])], vec![]);
        assert_eq!(firewall_allows(&f, 3389), Some(true));
        let f = fw(vec![p], vec![], vec![]);
        assert_eq!(firewall_allows(&f, 3389), None);
    }

    #[test]
    fn firewall_section_parses_leniently() {
        let v: Firewall = serde_json::from_str(
            r#"{"profiles":{"name":"Public","enabled":"True","defaultInboundAction":4,
                "allowInboundRules":1,"active":true},
                "allowRules":{"name":"x","profiles":"Domain, Public","localPorts":3389},
                "blockRules":[]}"#,
        )
        .unwrap();
        let p = &v.profiles.as_ref().unwrap()[0];
        assert_eq!(p.enabled, Some(true));
        assert_eq!(p.default_inbound_action.as_deref(), Some("Block"));
        assert_eq!(p.allow_inbound_rules, Some(true));
        let r = &v.allow_rules.as_ref().unwrap()[0];
        assert_eq!(r.profiles, vec!["Domain", "Public"]);
        assert_eq!(r.local_ports, vec!["3389"]);
        assert_eq!(firewall_allows(&v, 3389), Some(true));
        // A rule in an odd shape makes its list unknown, not empty.
        let v: Firewall =
            serde_json::from_str(r#"{"profiles":[],"allowRules":[],"blockRules":[1]}"#).unwrap();
        assert_eq!(v.block_rules, None);
    }

    // --- mapping ---

    const HEALTHY: &str = r#"{"schema":"rdpaudit.guest/1","rdpTcp":{"portNumber":3389,"securityLayer":2,"userAuthentication":1,"fEnableWinStation":1},"fDenyTSConnections":{"local":0,"policy":null},"termService":{"status":"Running","startType":"Manual"},"listeners":[{"address":"0.0.0.0","port":3389},{"address":"::","port":3389}],"firewall":{"profiles":[{"name":"Domain","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},{"name":"Private","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},{"name":"Public","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":true}],"allowRules":[{"name":"RemoteDesktop-UserMode-In-TCP","displayName":"Remote Desktop - User Mode (TCP-In)","profiles":["Any"],"localPorts":["3389"],"remoteAddresses":["Any"]}],"blockRules":[]},"errors":[]}"#;

    fn healthy_facts() -> GuestFacts {
        GuestFacts {
            rdp_port: Some(3389),
            rdp_enabled: Some(true),
            term_service_running: Some(true),
            listening: Some(true),
            firewall_allows_rdp: Some(true),
            nla: Some(true),
            error: None,
        }
    }

    /// The healthy object with one JSON pointer replaced.
    fn with(pointer: &str, value: Value) -> String {
        let mut v: Value = serde_json::from_str(HEALTHY).unwrap();
        *v.pointer_mut(pointer).unwrap() = value;
        v.to_string()
    }

    #[test]
    fn healthy_output_gives_every_fact() {
        assert_eq!(parse_output(HEALTHY, ""), healthy_facts());
        // Warnings on stderr do not matter when stdout is good.
        assert_eq!(parse_output(HEALTHY, "WARNING: x"), healthy_facts());
    }

    #[test]
    fn rdp_port_from_port_number() {
        let f = parse_output(&with("/rdpTcp/portNumber", 3390.into()), "");
        assert_eq!(f.rdp_port, Some(3390));
        // The listeners are on 3389, not on the port: not listening.
        assert_eq!(f.listening, Some(false));
        // The rule covers 3389 only.
        assert_eq!(f.firewall_allows_rdp, Some(false));
        assert_eq!(f.error, None);
        // A numeric string (REG_SZ) is accepted too.
        let f = parse_output(&with("/rdpTcp/portNumber", "3389".into()), "");
        assert_eq!(f.rdp_port, Some(3389));
    }

    #[test]
    fn invalid_port_is_unknown_with_a_note() {
        for (bad, shown) in [
            (Value::from(70000), "70000 is not a TCP port"),
            (Value::from(0), "0 is not a TCP port"),
            (Value::from(-1), "-1 is not a TCP port"),
            (Value::from(3389.5), "`3389.5` is not a number"),
            (Value::from("abc"), "`abc` is not a number"),
            (Value::from(true), "`true` is not a number"),
        ] {
            let f = parse_output(&with("/rdpTcp/portNumber", bad), "");
            assert_eq!(f.rdp_port, None);
            assert_eq!(f.listening, None);
            assert_eq!(f.firewall_allows_rdp, None);
            let err = f.error.unwrap();
            assert!(
                err.starts_with("unknown: rdpPort, listening, firewallAllowsRdp;"),
                "{err}"
            );
            assert!(err.contains(shown), "{err}");
        }
    }

    #[test]
    fn rdp_enabled_policy_wins_over_local() {
        let cases = [
            (Value::from(0), Value::Null, Some(true)),
            (Value::from(1), Value::Null, Some(false)),
            (Value::from(0), Value::from(1), Some(false)),
            (Value::from(1), Value::from(0), Some(true)),
            (Value::Null, Value::from(1), Some(false)),
            (Value::Null, Value::Null, None),
            (Value::from(2), Value::Null, None),
        ];
        for (local, policy, expected) in cases {
            let mut v: Value = serde_json::from_str(HEALTHY).unwrap();
            v["fDenyTSConnections"] = serde_json::json!({"local": local, "policy": policy});
            let f = parse_output(&v.to_string(), "");
            assert_eq!(f.rdp_enabled, expected, "local {local} policy {policy}");
            assert_eq!(f.error.is_some(), expected.is_none());
        }
    }

    #[test]
    fn term_service_running_from_status() {
        let f = parse_output(&with("/termService/status", "Stopped".into()), "");
        assert_eq!(f.term_service_running, Some(false));
        let f = parse_output(&with("/termService/status", "StartPending".into()), "");
        assert_eq!(f.term_service_running, Some(false));
        let f = parse_output(&with("/termService/status", 4.into()), "");
        assert_eq!(f.term_service_running, Some(true));
        let f = parse_output(
            &with("/termService", Value::Null)
                .replace(r#""errors":[]"#, r#""errors":["termService: Cannot find any service with service name 'TermService'."]"#),
            "",
        );
        assert_eq!(f.term_service_running, None);
        assert_eq!(
            f.error.as_deref(),
            Some("unknown: termServiceRunning; termService: Cannot find any service with service name 'TermService'.")
        );
    }

    #[test]
    fn listening_means_a_listener_on_the_rdp_port() {
        let f = parse_output(&with("/listeners", serde_json::json!([])), "");
        assert_eq!(f.listening, Some(false));
        assert_eq!(f.error, None);
        let f = parse_output(
            &with(
                "/listeners",
                serde_json::json!({"address": "10.0.0.4", "port": "3389"}),
            ),
            "",
        );
        assert_eq!(f.listening, Some(true));
        let f = parse_output(&with("/listeners", Value::Null), "");
        assert_eq!(f.listening, None);
        assert_eq!(
            f.error.as_deref(),
            Some("unknown: listening; the script reported no error")
        );
        let f = parse_output(&with("/listeners", "x".into()), "");
        assert_eq!(f.listening, None);
        assert!(f.error.unwrap().contains("`listeners` is not a list"));
    }

    #[test]
    fn nla_from_user_authentication() {
        let f = parse_output(&with("/rdpTcp/userAuthentication", 0.into()), "");
        assert_eq!(f.nla, Some(false));
        assert_eq!(f.error, None);
        let f = parse_output(&with("/rdpTcp/userAuthentication", Value::Null), "");
        assert_eq!(f.nla, None);
        // NLA is not a key fact: no error for it alone.
        assert_eq!(f.error, None);
    }

    #[test]
    fn firewall_null_gives_partial_facts_and_the_script_errors() {
        let text = with("/firewall", Value::Null).replace(
            r#""errors":[]"#,
            r#""errors":["firewall: Access is denied.","activeProfile: x"]"#,
        );
        let f = parse_output(&text, "");
        assert_eq!(
            f,
            GuestFacts {
                firewall_allows_rdp: None,
                error: Some(
                    "unknown: firewallAllowsRdp; firewall: Access is denied.; activeProfile: x"
                        .into()
                ),
                ..healthy_facts()
            }
        );
    }

    #[test]
    fn sections_in_odd_shapes_are_unknown() {
        let f = parse_output(&with("/rdpTcp", serde_json::json!([1, 2])), "");
        assert_eq!(f.rdp_port, None);
        assert_eq!(f.nla, None);
        assert_eq!(f.rdp_enabled, Some(true));
        assert!(f.error.unwrap().contains("`rdpTcp` is not an object"));
    }

    #[test]
    fn script_errors_are_ignored_when_key_facts_are_known() {
        let text = HEALTHY.replace(r#""errors":[]"#, r#""errors":["activeProfile: x"]"#);
        assert_eq!(parse_output(&text, ""), healthy_facts());
    }

    #[test]
    fn finds_the_json_line_among_noise() {
        let text = format!("\u{feff}\r\nWARNING: something\r\n{{not json\r\n{HEALTHY}\r\n\r\n");
        assert_eq!(parse_output(&text, ""), healthy_facts());
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(HEALTHY).unwrap()).unwrap();
        assert_eq!(parse_output(&pretty, ""), healthy_facts());
    }

    #[test]
    fn unusable_output_gives_only_an_error() {
        let only_error = |e: &str| GuestFacts {
            error: Some(e.into()),
            ..Default::default()
        };
        assert_eq!(
            parse_output("", ""),
            only_error("the script printed nothing")
        );
        assert_eq!(
            parse_output(" \r\n", "At line:1 char:1\r\n+ oops"),
            only_error("the script printed nothing (stderr: At line:1 char:1 + oops)")
        );
        let long_err = "x".repeat(300);
        let e = parse_output("", &long_err).error.unwrap();
        assert_eq!(
            e.chars().count(),
            "the script printed nothing (stderr: )".len() + 201
        );
        assert_eq!(
            parse_output("Access is denied.", ""),
            only_error("the output is not JSON: Access is denied.")
        );
        let e = parse_output(r#"{"schema":"rdpaudit.guest/1","rdpTcp":"#, "")
            .error
            .unwrap();
        assert!(e.starts_with("the output is not JSON ("), "{e}");
        assert_eq!(
            parse_output(r#"{"schema":"other/2"}"#, ""),
            only_error("the output is `other/2`, not rdpaudit.guest/1")
        );
        assert_eq!(
            parse_output(r#"{"a":1}"#, ""),
            only_error("the output is a JSON object without a `schema`, not rdpaudit.guest/1")
        );
    }

    #[test]
    fn cut_output_is_recognised() {
        let long = format!(
            "{{\"schema\":\"rdpaudit.guest/1\",\"errors\":[\"{}\"]}}",
            "x".repeat(5000)
        );
        let tail = &long[long.len() - 4096..];
        let e = parse_output(tail, "").error.unwrap();
        assert!(e.starts_with("the output was cut:"), "{e}");
        // Cut exactly at an inner `{`: the line starts like an object but is not one.
        let inner = format!("{{\"a\":\"{}\"}}]}}", "y".repeat(4100));
        let e = parse_output(&inner, "").error.unwrap();
        assert!(e.starts_with("the output was cut:"), "{e}");
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "{",
            "}",
            "{}",
            "{\"schema\":null}",
            "{\"schema\":\"rdpaudit.guest/1\"}",
            "{\"schema\":\"rdpaudit.guest/1\",\"rdpTcp\":{\"portNumber\":1e400}}",
            "{\"schema\":\"rdpaudit.guest/1\",\"firewall\":{\"profiles\":\"x\"}}",
            "\u{feff}",
            "\u{feff}{\"schema\":\"rdpaudit.guest/1\",\"errors\":\"one\"}",
        ] {
            let f = parse_output(text, "é");
            assert!(f.error.is_some(), "{text}");
        }
    }

    // --- Run Command result ---

    #[test]
    fn split_by_code_not_position() {
        let body = br#"{"value":[
            {"code":"ComponentStatus/StdErr/succeeded","message":"err text"},
            {"code":"ComponentStatus/StdOut/succeeded","message":"out text"}]}"#;
        assert_eq!(
            split_run_command_result(body),
            Ok(("out text".into(), "err text".into()))
        );
    }

    #[test]
    fn split_missing_stderr_is_empty() {
        let body = br#"{"value":[{"code":"ComponentStatus/StdOut/succeeded","message":"out"}]}"#;
        assert_eq!(
            split_run_command_result(body),
            Ok(("out".into(), String::new()))
        );
        let body = br#"{"value":[]}"#;
        assert_eq!(
            split_run_command_result(body),
            Ok((String::new(), String::new()))
        );
    }

    #[test]
    fn split_accepts_the_operation_status_shape() {
        let body = br#"{"startTime":"2025-01-01T00:00:00Z","status":"Succeeded",
            "properties":{"output":{"value":[
              {"code":"ComponentStatus/StdOut/succeeded","message":"out"},
              {"code":"ComponentStatus/StdErr/succeeded","message":""}]}},
            "name":"x"}"#;
        assert_eq!(
            split_run_command_result(body),
            Ok(("out".into(), String::new()))
        );
    }

    #[test]
    fn split_rejects_garbage() {
        let e = split_run_command_result(b"<html>502</html>").unwrap_err();
        assert!(e.starts_with("the Run Command result is not JSON"), "{e}");
        assert_eq!(
            split_run_command_result(b"[1]"),
            Err("the Run Command result is not a JSON object".into())
        );
        assert_eq!(
            split_run_command_result(br#"{"value":"x"}"#),
            Err("the Run Command result has no `value` array".into())
        );
        assert_eq!(
            split_run_command_result(br#"{"status":"InProgress"}"#),
            Err(
                "the Run Command result has no output (`value` array); operation status InProgress"
                    .into()
            )
        );
        // Entries without codes or messages are skipped, not fatal.
        assert_eq!(
            split_run_command_result(br#"{"value":[1,{"code":5},{"message":"m"}]}"#),
            Ok((String::new(), String::new()))
        );
    }

    // --- the script ---

    #[test]
    fn script_is_compiled_in_and_split_into_lines() {
        let lines = script_lines();
        assert!(lines.len() > 50);
        assert!(lines.iter().all(|l| !l.contains('\r') && !l.contains('\n')));
        assert!(SCRIPT.contains(OUTPUT_SCHEMA));
        // Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page.
        assert!(SCRIPT.is_ascii());
    }

    #[test]
    fn script_is_read_only() {
        let lower = SCRIPT.to_ascii_lowercase();
        for verb in [
            "set-",
            "new-",
            "enable-",
            "disable-",
            "start-",
            "stop-",
            "restart-",
            "remove-",
            "rename-",
            "copy-",
            "move-",
            "clear-",
            "out-file",
            "add-content",
            "invoke-",
            "register-",
            "reg add",
            "reg delete",
            "netsh",
        ] {
            assert!(!lower.contains(verb), "the script contains `{verb}`");
        }
        assert!(!SCRIPT.contains(" > "), "the script redirects to a file");
        assert!(!SCRIPT.contains(">>"), "the script redirects to a file");
    }
}
