//! The script's `firewall` section and the decision whether it lets RDP in (docs/guest.md).

use serde::Deserialize;

use super::lenient::{de_action, de_flag, de_list, de_strings, de_text};

/// The script's `firewall` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Firewall {
    #[serde(default, deserialize_with = "de_list")]
    pub(crate) profiles: Option<Vec<FirewallProfile>>,
    /// `None`: the list is missing or unreadable (not the same as empty).
    #[serde(default, deserialize_with = "de_list")]
    pub(crate) allow_rules: Option<Vec<FirewallRule>>,
    #[serde(default, deserialize_with = "de_list")]
    pub(crate) block_rules: Option<Vec<FirewallRule>>,
}

/// One Windows Firewall profile (`Domain`, `Private`, `Public`) of the active policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FirewallProfile {
    #[serde(default, deserialize_with = "de_text")]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "de_flag")]
    pub(crate) enabled: Option<bool>,
    #[serde(default, deserialize_with = "de_action")]
    pub(crate) default_inbound_action: Option<String>,
    #[serde(default, deserialize_with = "de_flag")]
    pub(crate) allow_inbound_rules: Option<bool>,
    #[serde(default, deserialize_with = "de_flag")]
    pub(crate) active: Option<bool>,
}

/// An enabled inbound rule that covers the RDP port (as the script reports it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FirewallRule {
    #[serde(default, deserialize_with = "de_text")]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "de_text")]
    pub(crate) display_name: Option<String>,
    /// `Any`, or some of `Domain`/`Private`/`Public` (a string "Domain, Private" is split).
    #[serde(default, deserialize_with = "de_strings")]
    pub(crate) profiles: Vec<String>,
    /// Ports (`3389`), ranges (`3389-3390`) or `Any`.
    #[serde(default, deserialize_with = "de_strings")]
    pub(crate) local_ports: Vec<String>,
    #[serde(default, deserialize_with = "de_strings")]
    pub(crate) remote_addresses: Vec<String>,
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
pub(crate) fn firewall_allows(fw: &Firewall, port: u16) -> Option<bool> {
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
