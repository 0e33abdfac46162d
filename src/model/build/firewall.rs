//! Azure Firewall DNAT rules in both dialects (classic `natRuleCollections`, Firewall Policy
//! rule collection groups), Firewall Policies and IP Groups (docs/decisions.md D25, D29, D31).
//!
//! A malformed value inside one DNAT rule does not make the whole firewall unreadable: the rule
//! keeps what could be read plus a field-named problem, the model gets a diagnostic, and the
//! engine makes the paths that rule could create `unknown`.

use serde::Deserialize;

use super::*;
use crate::model::doors::*;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FirewallProps {
    sku: Option<wire::Sku>,
    ip_configurations: Option<Vec<Child<FwIpConfigProps>>>,
    firewall_policy: Option<wire::Ref>,
    virtual_hub: Option<wire::Ref>,
    #[serde(rename = "hubIPAddresses")]
    hub_ip_addresses: Option<HubIps>,
    nat_rule_collections: Option<Vec<Child<ClassicCollectionProps>>>,
    /// The Management NIC (forced-tunnelling capable firewalls, docs/decisions.md D28).
    #[serde(rename = "managementIpConfiguration")]
    management_ip_configuration: Option<Child<FwIpConfigProps>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FwIpConfigProps {
    subnet: Option<wire::Ref>,
    #[serde(rename = "publicIPAddress")]
    public_ip_address: Option<wire::Ref>,
    #[serde(rename = "privateIPAddress")]
    private_ip_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HubIps {
    #[serde(rename = "publicIPs")]
    public_ips: Option<HubPublicIps>,
    #[serde(rename = "privateIPAddress")]
    private_ip_address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HubPublicIps {
    addresses: Option<Vec<HubAddress>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct HubAddress {
    address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Action {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClassicCollectionProps {
    priority: Option<i64>,
    action: Option<Action>,
    rules: Option<Vec<NatRuleWire>>,
}

/// A DNAT rule as both dialects write it (classic `protocols`, policy `ipProtocols`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NatRuleWire {
    name: Option<String>,
    rule_type: Option<String>,
    protocols: Option<Vec<String>>,
    ip_protocols: Option<Vec<String>>,
    source_addresses: Option<Vec<String>>,
    source_ip_groups: Option<Vec<String>>,
    destination_addresses: Option<Vec<String>>,
    destination_ports: Option<Vec<String>>,
    translated_address: Option<String>,
    translated_fqdn: Option<String>,
    translated_port: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyProps {
    base_policy: Option<wire::Ref>,
    rule_collection_groups: Option<Vec<wire::Ref>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupProps {
    priority: Option<i64>,
    rule_collections: Option<Vec<PolicyCollection>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyCollection {
    rule_collection_type: Option<String>,
    name: Option<String>,
    priority: Option<i64>,
    rules: Option<Vec<NatRuleWire>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IpGroupProps {
    ip_addresses: Option<Vec<String>>,
}

/// A priority in 100–65000 (rule collection groups and collections).
fn priority(field: &str, v: Option<i64>) -> Result<u32, String> {
    let p = v.ok_or_else(|| format!("field `{field}` is missing"))?;
    u32::try_from(p)
        .ok()
        .filter(|p| (100..=65000).contains(p))
        .ok_or_else(|| format!("field `{field}`: {p} is outside 100-65000"))
}

/// One address item of a firewall rule or IP Group: `*`, an IP, a CIDR or an `a-b` range.
pub(crate) fn push_addr(items: &mut AddrItems, s: &str) -> Result<(), String> {
    let t = s.trim();
    if t == "*" {
        items.any = true;
        return Ok(());
    }
    if let Some(net) = parse_prefix(t) {
        if net.prefix_len() == 0 {
            items.any = true;
        } else {
            items.nets.push(net);
        }
        return Ok(());
    }
    if let Some((a, b)) = t.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
            if a.is_ipv4() == b.is_ipv4() && a <= b {
                items.ranges.push((a, b));
                return Ok(());
            }
        }
    }
    Err(format!(
        "\"{s}\" is not *, an IP address, a CIDR prefix or a range a-b"
    ))
}

fn addr_list(at: &str, v: &Option<Vec<String>>, problems: &mut Vec<String>) -> AddrItems {
    let mut items = AddrItems::default();
    for (i, s) in v.iter().flatten().enumerate() {
        if let Err(why) = push_addr(&mut items, s) {
            problems.push(format!("{at}[{i}]: {why}"));
        }
    }
    items
}

fn dnat_rule(at: &str, r: &NatRuleWire) -> DnatRule {
    let mut problems = Vec::new();
    let name = r.name.clone().unwrap_or_else(|| at.to_string());
    let f = |field: &str| format!("{at} ({name}): field `{field}`");
    let protocols = r.ip_protocols.as_ref().or(r.protocols.as_ref());
    let tcp = protocols.is_some_and(|ps| {
        ps.iter()
            .any(|p| p.eq_ignore_ascii_case("tcp") || p.eq_ignore_ascii_case("any"))
    });
    let sources = addr_list(&f("sourceAddresses"), &r.source_addresses, &mut problems);
    let destinations = addr_list(
        &f("destinationAddresses"),
        &r.destination_addresses,
        &mut problems,
    );
    let mut ranges = Vec::new();
    let mut ports_ok = true;
    for (i, s) in r.destination_ports.iter().flatten().enumerate() {
        match parse_port_item(s) {
            Ok(x) => ranges.push(x),
            Err(why) => {
                ports_ok = false;
                problems.push(format!("{}[{i}]: {why}", f("destinationPorts")));
            }
        }
    }
    let target = match (&r.translated_address, &r.translated_fqdn) {
        (Some(a), _) if !a.trim().is_empty() => match a.trim().parse::<IpAddr>() {
            Ok(ip) => DnatTarget::Address(ip),
            Err(_) => {
                let why = format!("{}: \"{a}\" is not an IP address", f("translatedAddress"));
                problems.push(why.clone());
                DnatTarget::Malformed(why)
            }
        },
        (_, Some(q)) if !q.trim().is_empty() => DnatTarget::Fqdn(q.trim().to_string()),
        _ => {
            let why = format!(
                "{} and `translatedFqdn` are both missing",
                f("translatedAddress")
            );
            problems.push(why.clone());
            DnatTarget::Malformed(why)
        }
    };
    let translated_port = match r.translated_port.as_deref().map(parse_port) {
        Some(Ok(p)) if p > 0 => Some(p),
        Some(Ok(p)) => {
            problems.push(format!(
                "{}: port {p} is out of range 1-65535",
                f("translatedPort")
            ));
            None
        }
        Some(Err(why)) => {
            problems.push(format!("{}: {why}", f("translatedPort")));
            None
        }
        None => {
            problems.push(format!("{} is missing", f("translatedPort")));
            None
        }
    };
    DnatRule {
        name,
        tcp,
        sources,
        source_groups: r
            .source_ip_groups
            .iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .map(|s| ResId::new(s))
            .collect(),
        destinations,
        ports: ports_ok.then(|| PortSet::from_ranges(ranges)),
        target,
        translated_port,
        problems,
    }
}

fn rules_of(at: &str, rules: &Option<Vec<NatRuleWire>>) -> Vec<DnatRule> {
    rules
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, r)| {
            r.rule_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case("natrule"))
        })
        .map(|(i, r)| dnat_rule(&format!("{at}.rules[{i}]"), r))
        .collect()
}

/// Problems of rules become diagnostics (the rules stay, marked).
fn report_problems(m: &mut Model, rid: &ResId, collections: &[DnatCollection]) {
    for c in collections {
        for r in &c.rules {
            for p in &r.problems {
                m.diagnostics
                    .push(Diagnostic::error(rid.id.clone(), p.clone()));
            }
        }
    }
}

pub(super) fn firewall(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<FirewallProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let sku_hub = p
        .sku
        .as_ref()
        .and_then(|s| s.name.as_deref())
        .is_some_and(|n| n.eq_ignore_ascii_case("AZFW_Hub"));
    let hub = reference(&p.virtual_hub)
        .map(|h| h.into_id())
        .or_else(|| sku_hub.then(|| "(Virtual WAN hub)".to_string()));
    let mut public_ips = Vec::new();
    let mut subnets = Vec::new();
    let mut private_ips = Vec::new();
    for (i, c) in p.ip_configurations.iter().flatten().enumerate() {
        let Some(cp) = &c.properties else { continue };
        public_ips.extend(reference(&cp.public_ip_address));
        subnets.extend(reference(&cp.subnet));
        let field = format!("properties.ipConfigurations[{i}].properties.privateIPAddress");
        private_ips.extend(parse_ip(&field, &cp.private_ip_address)?);
    }
    if let Some(h) = &p.hub_ip_addresses {
        let field = "properties.hubIPAddresses.privateIPAddress";
        private_ips.extend(parse_ip(field, &h.private_ip_address)?);
    }
    let management = p.management_ip_configuration.as_ref().map(|c| Management {
        public_ip: c
            .properties
            .as_ref()
            .and_then(|cp| reference(&cp.public_ip_address)),
    });
    let mut hub_public = Vec::new();
    let addrs = p
        .hub_ip_addresses
        .as_ref()
        .and_then(|h| h.public_ips.as_ref())
        .and_then(|x| x.addresses.as_ref());
    for (i, a) in addrs.into_iter().flatten().enumerate() {
        let field = format!("properties.hubIPAddresses.publicIPs.addresses[{i}].address");
        hub_public.extend(parse_ip(&field, &a.address)?);
    }
    let mut collections = Vec::new();
    for (i, c) in p.nat_rule_collections.iter().flatten().enumerate() {
        let at = format!("properties.natRuleCollections[{i}]");
        let Some(cp) = &c.properties else {
            return Err(format!("field `{at}.properties` is missing or null"));
        };
        let dnat = cp
            .action
            .as_ref()
            .and_then(|a| a.kind.as_deref())
            .is_none_or(|k| k.eq_ignore_ascii_case("dnat"));
        if !dnat {
            continue;
        }
        collections.push(DnatCollection {
            name: c.name.clone().unwrap_or_else(|| at.clone()),
            priority: priority(&format!("{at}.properties.priority"), cp.priority)?,
            rules: rules_of(&format!("{at}.properties"), &cp.rules),
        });
    }
    report_problems(m, rid, &collections);
    m.firewalls.push(Firewall {
        id: rid.clone(),
        name: name_of(&head, rid),
        hub,
        public_ips,
        hub_public,
        subnets,
        policy: reference(&p.firewall_policy),
        collections,
        management,
        private_ips,
    });
    Ok(())
}

pub(super) fn policy(m: &mut Model, rid: &ResId, env: Envelope<PolicyProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    m.firewall_policies.insert(
        rid.into(),
        FirewallPolicy {
            id: rid.clone(),
            name: name_of(&head, rid),
            base: reference(&p.base_policy),
            groups: references(&p.rule_collection_groups),
        },
    );
    Ok(())
}

pub(super) fn rule_group(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<GroupProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let mut collections = Vec::new();
    for (i, c) in p.rule_collections.iter().flatten().enumerate() {
        let at = format!("properties.ruleCollections[{i}]");
        let nat = c
            .rule_collection_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("FirewallPolicyNatRuleCollection"));
        if !nat {
            continue;
        }
        collections.push(DnatCollection {
            name: c.name.clone().unwrap_or_else(|| at.clone()),
            priority: priority(&format!("{at}.priority"), c.priority)?,
            rules: rules_of(&at, &c.rules),
        });
    }
    report_problems(m, rid, &collections);
    m.rule_groups.push(RuleGroup {
        id: rid.clone(),
        name: name_of(&head, rid),
        policy: rid.split_child("ruleCollectionGroups").map(|(p, _)| p),
        priority: priority("properties.priority", p.priority)?,
        collections,
    });
    Ok(())
}

pub(super) fn ip_group(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<IpGroupProps>,
) -> Result<(), String> {
    let (_, p) = props(env)?;
    let mut addresses = AddrItems::default();
    for (i, s) in p.ip_addresses.iter().flatten().enumerate() {
        push_addr(&mut addresses, s)
            .map_err(|why| format!("field `properties.ipAddresses[{i}]`: {why}"))?;
    }
    m.ip_groups.insert(rid.into(), IpGroup { addresses });
    Ok(())
}
