//! The `securityAdminRules` section: Azure Virtual Network Manager effective security admin rules
//! per VNet, as `listNetworkManagerEffectiveSecurityAdminRules` returns them (docs/decisions.md
//! D32–D36). A VNet listed with `[]` has none; a VNet missing from a present section was not read;
//! no section: not collected.

use serde::Deserialize;
use std::collections::HashMap;

use super::*;
use crate::model::doors::{AdminAccess, AdminRule, AdminSection, VnetAdminRules};

#[derive(Debug, Deserialize)]
struct Item {
    id: Option<String>,
    properties: Option<ItemProps>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemProps {
    priority: Option<i64>,
    direction: Option<String>,
    access: Option<String>,
    protocol: Option<String>,
    sources: Option<Vec<AddrWire>>,
    destinations: Option<Vec<AddrWire>>,
    source_port_ranges: Option<Vec<String>>,
    destination_port_ranges: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddrWire {
    address_prefix: Option<String>,
    address_prefix_type: Option<String>,
}

/// An `info` diagnostic with a stable `code`: worth knowing, the audit stays complete.
fn notice(scope: impl Into<String>, code: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        level: DiagLevel::Info,
        code: Some(code.to_string()),
        ..Diagnostic::error(scope, message)
    }
}

/// The stable code of the notice that the input has no `securityAdminRules` section.
pub(crate) const NOT_COLLECTED: &str = "AdminRulesNotCollected";

/// Data collected without the section is audited as if no admin rule applied; the report says
/// so (an `info` diagnostic: the audit stays complete; docs/decisions.md D36). Live collection
/// always writes the section (a VNet it could not read has an error of its own), and an estate
/// without ARM VMs has nothing the rules could change.
pub(crate) fn not_collected(m: &Model) -> Option<Diagnostic> {
    (m.admin_rules.is_none() && !m.vms.is_empty()).then(|| {
        notice(
            "securityAdminRules",
            NOT_COLLECTED,
            "the input has no `securityAdminRules` section: Azure Virtual Network Manager \
             security admin rules were not collected, so every verdict assumes that none apply",
        )
    })
}

/// The stable code of the notice that a VNet's `Deny` admin rules are not applied.
pub(crate) const DENY_EXEMPT: &str = "AdminDenyRulesNotApplied";

/// Subnet delegations of the services whose whole VNet Azure exempts from security admin rules
/// by default (docs/decisions.md D35).
const EXEMPT_SERVICES: [&str; 2] = [
    "Microsoft.Sql/managedInstances",
    "Microsoft.Databricks/workspaces",
];

/// Drops the `Deny` items of every VNet that holds Azure SQL Managed Instance or Azure Databricks
/// (a subnet delegated to either): by default Azure applies no admin rule there, and with
/// `applyOnNetworkIntentPolicyBasedServices: AllowRulesOnly` only allow rules. Only `All` would
/// apply the denies, and the security admin configuration that says so is not in the data
/// (the effective list does not carry it), so the denies are ignored: a false "reachable" is
/// acceptable, a false "blocked" is not (docs/decisions.md D35). An `info` diagnostic names
/// the VNet and the service.
pub(crate) fn exempt_denies(m: &mut Model) {
    let Some(section) = m.admin_rules.as_mut() else {
        return;
    };
    let mut notes = Vec::new();
    for vnet in m.vnets.values() {
        let Some(VnetAdminRules::Rules(rules)) = section.get_mut(&vnet.id.key()) else {
            continue;
        };
        let Some(service) = vnet
            .subnets
            .iter()
            .flat_map(|s| &s.delegations)
            .find_map(|d| EXEMPT_SERVICES.iter().find(|x| x.eq_ignore_ascii_case(d)))
        else {
            continue;
        };
        let before = rules.len();
        rules.retain(|r| r.access != AdminAccess::Deny);
        if rules.len() < before {
            notes.push(notice(
                vnet.id.id.clone(),
                DENY_EXEMPT,
                format!(
                    "securityAdminRules: {} Deny rule(s) of this virtual network are not applied: \
                     a subnet is delegated to {service}, and Azure does not apply Deny admin \
                     rules to such a network unless its security admin configuration says `All` \
                     (not in the data)",
                    before - rules.len()
                ),
            ));
        }
    }
    notes.sort_by(|a, b| a.scope.cmp(&b.scope));
    m.diagnostics.extend(notes);
}

/// Reads the section; problems become diagnostics in `m`.
pub(crate) fn section(m: &mut Model, raw: Option<&RawValue>) -> AdminSection {
    let raw = raw.filter(|r| r.get().trim() != "null")?;
    let by_vnet: HashMap<String, &RawValue> = match serde_json::from_str(raw.get()) {
        Ok(v) => v,
        Err(_) => {
            m.diagnostics.push(Diagnostic::error(
                "securityAdminRules",
                format!(
                    "field `securityAdminRules`: expected an object (virtual network id → rules), \
                     found {}; every VNet's admin rules are unknown",
                    json_kind_of_text(raw.get())
                ),
            ));
            return Some(crate::model::IdMap::default());
        }
    };
    let mut out = crate::model::IdMap::default();
    for (vnet, list) in by_vnet {
        let rid = ResId::new(&vnet);
        let rules = match vnet_rules(m, &rid, list, Direction::Inbound) {
            Ok(r) => VnetAdminRules::Rules(r),
            Err(why) => {
                m.diagnostics.push(Diagnostic::error(
                    rid.id.clone(),
                    format!("securityAdminRules: {why}"),
                ));
                VnetAdminRules::Broken(why)
            }
        };
        out.insert(rid.into(), rules);
    }
    Some(out)
}

/// The rules of one direction (`want`) of one VNet's list.
fn vnet_rules(
    m: &mut Model,
    vnet: &ResId,
    raw: &RawValue,
    want: Direction,
) -> Result<Vec<AdminRule>, String> {
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|_| {
        format!(
            "expected an array of admin rules, found {}",
            json_kind_of_text(raw.get())
        )
    })?;
    let mut rules = Vec::new();
    for (i, raw) in items.iter().enumerate() {
        let item: Item = decode(raw.get()).map_err(|e| format!("[{i}]: {e}"))?;
        let id = item.id.clone().unwrap_or_else(|| format!("[{i}]"));
        let at = |f: &str| format!("rule {id}: field `properties.{f}`");
        let Some(p) = item.properties else {
            return Err(format!("rule {id}: field `properties` is missing or null"));
        };
        let direction = p.direction.as_deref().and_then(Direction::parse);
        match direction {
            Some(d) if d == want => {}
            Some(_) => continue,
            None => {
                return Err(format!(
                    "{}: unknown direction {:?}",
                    at("direction"),
                    p.direction
                ))
            }
        }
        let access = match p.access.as_deref().map(|s| (s, AdminAccess::parse(s))) {
            Some((_, Some(a))) => a,
            Some((s, None)) => return Err(format!("{}: unknown access \"{s}\"", at("access"))),
            None => return Err(format!("{} is missing", at("access"))),
        };
        let priority = p
            .priority
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("{} is missing or negative", at("priority")))?;
        let protocol = p
            .protocol
            .as_deref()
            .and_then(Protocol::parse)
            .ok_or_else(|| format!("{}: unknown protocol {:?}", at("protocol"), p.protocol))?;
        let parts = (
            addrs(&at("sources"), &p.sources)?,
            ports(&at("sourcePortRanges"), &p.source_port_ranges)?,
            addrs(&at("destinations"), &p.destinations)?,
            ports(&at("destinationPortRanges"), &p.destination_port_ranges)?,
        );
        let (source, source_ports, destination, destination_ports) = match parts {
            (Some(s), Some(sp), Some(d), Some(dp)) => (s, sp, d, dp),
            // Undocumented empty lists: a Deny is not applied (never a guess towards "blocked"),
            // an allow matches everything (docs/decisions.md D34).
            _ if access == AdminAccess::Deny => {
                m.diagnostics.push(Diagnostic::warning(
                    vnet.id.clone(),
                    format!("securityAdminRules: rule {id} has an empty address or port list; this Deny rule is not applied"),
                ));
                continue;
            }
            (s, sp, d, dp) => (
                s.unwrap_or_else(any),
                sp.unwrap_or_else(PortSet::all),
                d.unwrap_or_else(any),
                dp.unwrap_or_else(PortSet::all),
            ),
        };
        rules.push(AdminRule {
            id,
            priority,
            access,
            protocol,
            source,
            source_ports,
            destination,
            destination_ports,
        });
    }
    let rank = |a: AdminAccess| match a {
        AdminAccess::AlwaysAllow => 0,
        AdminAccess::Allow => 1,
        AdminAccess::Deny => 2,
    };
    rules.sort_by_key(|r| (r.priority, rank(r.access)));
    Ok(rules)
}

/// The outbound rules of the same section (east-west flows leaving a VNet, docs/decisions.md
/// D45). A section that is not an object was reported by [`section`]; a VNet whose outbound
/// rules cannot be understood is `Broken` here (and said once, as a diagnostic).
pub(crate) fn section_outbound(m: &mut Model, raw: Option<&RawValue>) -> AdminSection {
    let raw = raw.filter(|r| r.get().trim() != "null")?;
    let Ok(by_vnet) = serde_json::from_str::<HashMap<String, &RawValue>>(raw.get()) else {
        return Some(crate::model::IdMap::default());
    };
    let mut out = crate::model::IdMap::default();
    for (vnet, list) in by_vnet {
        let rid = ResId::new(&vnet);
        let rules = match vnet_rules(m, &rid, list, Direction::Outbound) {
            Ok(r) => VnetAdminRules::Rules(r),
            Err(why) => {
                let said = m.diagnostics.iter().any(|d| {
                    d.scope.as_deref() == Some(rid.id.as_str()) && d.message.ends_with(&why)
                });
                if !said {
                    m.diagnostics.push(Diagnostic::error(
                        rid.id.clone(),
                        format!("securityAdminRules (outbound): {why}"),
                    ));
                }
                VnetAdminRules::Broken(why)
            }
        };
        out.insert(rid.into(), rules);
    }
    Some(out)
}

fn any() -> AddrSpec {
    AddrSpec {
        any: true,
        ..AddrSpec::default()
    }
}

/// `{addressPrefix, addressPrefixType}` objects; `Ok(None)` for an empty list.
fn addrs(at: &str, v: &Option<Vec<AddrWire>>) -> Result<Option<AddrSpec>, String> {
    let mut spec = AddrSpec::default();
    for (i, a) in v.iter().flatten().enumerate() {
        let prefix = a.address_prefix.as_deref().unwrap_or("").trim();
        let kind = a.address_prefix_type.as_deref().unwrap_or("IPPrefix");
        match kind.to_ascii_lowercase().as_str() {
            "ipprefix" => spec
                .push_item(prefix)
                .map_err(|why| format!("{at}[{i}].addressPrefix: {why}"))?,
            "servicetag" => spec.tags.push(ServiceTag::parse(prefix).ok_or_else(|| {
                format!("{at}[{i}].addressPrefix: \"{prefix}\" is not a service tag")
            })?),
            // Network-group members are not in the data: an opaque set (unknown when it decides).
            "networkgroup" => spec
                .tags
                .push(ServiceTag::Other(format!("NetworkGroup {prefix}"))),
            other => {
                return Err(format!(
                    "{at}[{i}].addressPrefixType: unknown type \"{other}\""
                ))
            }
        }
    }
    Ok((!spec.is_empty()).then_some(spec))
}

fn ports(at: &str, v: &Option<Vec<String>>) -> Result<Option<PortSet>, String> {
    let mut ranges = Vec::new();
    for (i, s) in v.iter().flatten().enumerate() {
        ranges.push(parse_port_item(s).map_err(|why| format!("{at}[{i}]: {why}"))?);
    }
    Ok((!ranges.is_empty()).then(|| PortSet::from_ranges(ranges)))
}
