//! Network security groups: custom and default rules, inbound and outbound.

use super::*;

pub(super) fn nsg(m: &mut Model, rid: &ResId, env: Envelope<wire::NsgProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let mut inbound = Vec::new();
    let mut outbound = Vec::new();
    for (list, is_default, rules) in [
        ("securityRules", false, &p.security_rules),
        ("defaultSecurityRules", true, &p.default_security_rules),
    ] {
        for (i, r) in rules.iter().flatten().enumerate() {
            match security_rule(list, i, is_default, r)? {
                (Direction::Inbound, rule) => inbound.push(rule),
                (Direction::Outbound, rule) => outbound.push(rule),
            }
        }
    }
    if p.default_security_rules.is_none() {
        // The platform always applies the default rules, even when a body omits them.
        inbound.extend(default_inbound_rules());
        outbound.extend(default_outbound_rules());
    }
    // Custom rules before defaults, each by ascending priority (docs/decisions.md D6).
    inbound.sort_by_key(|r| (r.is_default, r.priority));
    outbound.sort_by_key(|r| (r.is_default, r.priority));
    // Rules are large and grown by doubling: the spare room was a fifth of the model.
    inbound.shrink_to_fit();
    outbound.shrink_to_fit();
    m.nsgs.insert(
        IdKey::from(rid),
        Nsg {
            id: rid.clone(),
            name: name_of(&head, rid),
            provisioning_state: p.provisioning_state.clone(),
            inbound,
            outbound,
        },
    );
    Ok(())
}

/// Parses one rule with its direction.
pub(super) fn security_rule(
    list: &str,
    i: usize,
    is_default: bool,
    r: &Child<wire::RuleProps>,
) -> Result<(Direction, SecurityRule), String> {
    let name = r.name.clone().unwrap_or_else(|| format!("{list}[{i}]"));
    let at = |field: &str| format!("{list}[{i}] ({name}): field `properties.{field}`");
    let Some(p) = &r.properties else {
        return Err(format!(
            "{list}[{i}] ({name}): field `properties` is missing or null"
        ));
    };
    let direction = required(
        &p.direction,
        &at("direction"),
        "direction",
        Direction::parse,
    )?;
    let priority = p
        .priority
        .ok_or_else(|| format!("{} is missing", at("priority")))?;
    let valid = if is_default {
        (1..=65535).contains(&priority)
    } else {
        (100..=4096).contains(&priority)
    };
    if !valid {
        return Err(format!(
            "{}: {priority} is outside the allowed range {}",
            at("priority"),
            if is_default { "1-65535" } else { "100-4096" }
        ));
    }
    let access = required(&p.access, &at("access"), "access", Access::parse)?;
    let protocol = required(&p.protocol, &at("protocol"), "protocol", Protocol::parse)?;
    let source_ports = rule_ports(&at, &p.source_port_range, &p.source_port_ranges, "source")?;
    let destination_ports = rule_ports(
        &at,
        &p.destination_port_range,
        &p.destination_port_ranges,
        "destination",
    )?;
    let source = rule_addrs(
        &at,
        &p.source_address_prefix,
        &p.source_address_prefixes,
        &p.source_application_security_groups,
        "source",
    )?;
    let destination = rule_addrs(
        &at,
        &p.destination_address_prefix,
        &p.destination_address_prefixes,
        &p.destination_application_security_groups,
        "destination",
    )?;
    Ok((
        direction,
        SecurityRule {
            name,
            priority: priority as u32,
            access,
            protocol,
            source,
            source_ports,
            destination,
            destination_ports,
            is_default,
        },
    ))
}

/// A required enum-like string field; `at` names the field for the message.
fn required<T>(
    v: &Option<String>,
    at: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, String> {
    let s = v.as_deref().ok_or_else(|| format!("{at} is missing"))?;
    parse(s).ok_or_else(|| format!("{at}: unknown {what} \"{s}\""))
}

/// `{side}PortRange` and `{side}PortRanges` together (grammar in `model::net`).
fn rule_ports(
    at: &dyn Fn(&str) -> String,
    single: &Option<String>,
    plural: &Option<Vec<String>>,
    side: &str,
) -> Result<PortSet, String> {
    // Field names are only spelled out for an error (this runs for every rule).
    let sf = || format!("{side}PortRange");
    let pf = || format!("{side}PortRanges");
    let mut v = Vec::new();
    if let Some(s) = single.as_deref().filter(|s| !s.trim().is_empty()) {
        v.push(PortSet::parse_item(s).map_err(|e| format!("{}: {e}", at(&sf())))?);
    }
    for s in plural.iter().flatten().filter(|s| !s.trim().is_empty()) {
        v.push(PortSet::parse_item(s).map_err(|e| format!("{}: {e}", at(&pf())))?);
    }
    if v.is_empty() {
        return Err(format!("{} and `{}` are both empty", at(&sf()), pf()));
    }
    Ok(PortSet::from_ranges(v))
}

/// `{side}AddressPrefix`, `{side}AddressPrefixes` and `{side}ApplicationSecurityGroups`.
fn rule_addrs(
    at: &dyn Fn(&str) -> String,
    single: &Option<String>,
    plural: &Option<Vec<String>>,
    asgs: &Option<Vec<wire::Ref>>,
    side: &str,
) -> Result<AddrSpec, String> {
    let mut spec = AddrSpec::default();
    let sf = || format!("{side}AddressPrefix");
    let pf = || format!("{side}AddressPrefixes");
    if let Some(s) = single.as_deref().filter(|s| !s.trim().is_empty()) {
        spec.push_item(s)
            .map_err(|e| format!("{}: {e}", at(&sf())))?;
    }
    for s in plural.iter().flatten().filter(|s| !s.trim().is_empty()) {
        spec.push_item(s)
            .map_err(|e| format!("{}: {e}", at(&pf())))?;
    }
    spec.asgs = references(asgs);
    // Most rules name one prefix or tag; a pushed list keeps room for four (5.5 MB of
    // prefixes at 10,000 VMs, for rules that live through the audit).
    spec.prefixes.shrink_to_fit();
    spec.tags.shrink_to_fit();
    if spec.is_empty() {
        return Err(format!(
            "{}, `{}` and `{side}ApplicationSecurityGroups` are all empty",
            at(&sf()),
            pf()
        ));
    }
    Ok(spec)
}

/// The three inbound default rules every NSG has (<https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview#default-security-rules>).
pub(super) fn default_inbound_rules() -> Vec<SecurityRule> {
    let mut deny = default_rule(
        "DenyAllInBound",
        65500,
        Access::Deny,
        ServiceTag::Internet,
        None,
    );
    deny.source = AddrSpec {
        any: true,
        ..AddrSpec::default()
    };
    vec![
        default_rule(
            "AllowVnetInBound",
            65000,
            Access::Allow,
            ServiceTag::VirtualNetwork,
            Some(ServiceTag::VirtualNetwork),
        ),
        default_rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            Access::Allow,
            ServiceTag::AzureLoadBalancer,
            None,
        ),
        deny,
    ]
}

/// The three outbound default rules (same page): VNet to VNet, anything to the Internet, deny.
pub(super) fn default_outbound_rules() -> Vec<SecurityRule> {
    let mut internet = default_rule(
        "AllowInternetOutBound",
        65001,
        Access::Allow,
        ServiceTag::Internet,
        Some(ServiceTag::Internet),
    );
    internet.source = AddrSpec {
        any: true,
        ..AddrSpec::default()
    };
    let mut deny = default_rule(
        "DenyAllOutBound",
        65500,
        Access::Deny,
        ServiceTag::Internet,
        None,
    );
    deny.source = AddrSpec {
        any: true,
        ..AddrSpec::default()
    };
    vec![
        default_rule(
            "AllowVnetOutBound",
            65000,
            Access::Allow,
            ServiceTag::VirtualNetwork,
            Some(ServiceTag::VirtualNetwork),
        ),
        internet,
        deny,
    ]
}

fn default_rule(
    name: &str,
    priority: u32,
    access: Access,
    source: ServiceTag,
    dest: Option<ServiceTag>,
) -> SecurityRule {
    let mut src = AddrSpec::default();
    src.tags.push(source);
    let mut dst = AddrSpec::default();
    match dest {
        Some(t) => dst.tags.push(t),
        None => dst.any = true,
    }
    SecurityRule {
        name: name.into(),
        priority,
        access,
        protocol: Protocol::Any,
        source: src,
        source_ports: PortSet::all(),
        destination: dst,
        destination_ports: PortSet::all(),
        is_default: true,
    }
}
