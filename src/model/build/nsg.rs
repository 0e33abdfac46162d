//! Network security groups: custom and default rules, inbound and outbound.

use std::sync::Arc;

use super::*;

/// An NSG with its rules read, as the decoding threads leave it (on every core): the builder,
/// which runs alone, only shares its default rules and files it ([`nsg`]). Rules were most of
/// the builder's work.
pub(super) struct Prepared {
    head: Envelope<()>,
    provisioning_state: Option<String>,
    /// [inbound, outbound] × [custom, default], each by ascending priority.
    lists: [[Vec<SecurityRule>; 2]; 2],
}

/// Reads an NSG's rules (on a decoding thread; ids are shared later, by [`nsg`]).
pub(super) fn prepare(env: Envelope<wire::NsgProps>) -> Result<Prepared, String> {
    let (head, mut p) = props(env)?;
    let has_defaults = p.default_security_rules.is_some();
    // [inbound, outbound] × [custom, default]
    let mut lists: [[Vec<SecurityRule>; 2]; 2] = Default::default();
    // Taken, not borrowed: each rule's name moves into the model instead of being copied.
    for (list, is_default, rules) in [
        ("securityRules", false, p.security_rules.take()),
        (
            "defaultSecurityRules",
            true,
            p.default_security_rules.take(),
        ),
    ] {
        for (i, r) in rules.into_iter().flatten().enumerate() {
            let (direction, rule) = security_rule(list, i, is_default, r)?;
            let side = usize::from(direction == Direction::Outbound);
            lists[side][usize::from(is_default)].push(rule);
        }
    }
    let [[mut custom_in, mut default_in], [mut custom_out, mut default_out]] = lists;
    if !has_defaults {
        // The platform always applies the default rules, even when a body omits them.
        default_in = default_inbound_rules();
        default_out = default_outbound_rules();
    }
    // Custom rules before defaults, each by ascending priority (docs/decisions.md D6).
    for list in [
        &mut custom_in,
        &mut default_in,
        &mut custom_out,
        &mut default_out,
    ] {
        list.sort_by_key(|r| r.priority);
    }
    // Rules are large and grown by doubling: the spare room was a fifth of the model.
    custom_in.shrink_to_fit();
    custom_out.shrink_to_fit();
    Ok(Prepared {
        head,
        provisioning_state: p.provisioning_state.take(),
        lists: [[custom_in, default_in], [custom_out, default_out]],
    })
}

/// Files a prepared NSG: its rules' ASG ids shared with every other mention, its default rules
/// with other NSGs'.
pub(super) fn nsg(
    m: &mut Model,
    shared: &mut Defaults,
    rid: &ResId,
    p: Prepared,
) -> Result<(), String> {
    let Prepared {
        head,
        provisioning_state,
        mut lists,
    } = p;
    for rule in lists.iter_mut().flatten().flatten() {
        for side in [&mut rule.source, &mut rule.destination] {
            for asg in side.asgs.iter_mut() {
                *asg = asg.clone().shared();
            }
        }
    }
    let [[custom_in, default_in], [custom_out, default_out]] = lists;
    m.nsgs.insert(
        IdKey::from(rid),
        Nsg {
            id: rid.clone(),
            name: name_of(&head, rid),
            provisioning_state,
            inbound: Rules::with_defaults(custom_in, shared.share(default_in)),
            outbound: Rules::with_defaults(custom_out, shared.share(default_out)),
        },
    );
    Ok(())
}

/// The distinct lists of default rules read so far: NSGs whose defaults are the same (nearly
/// every NSG has Azure's six) share one copy, a fifth of an estate's rules.
#[derive(Default, Clone)]
pub(super) struct Defaults {
    lists: Vec<Arc<[SecurityRule]>>,
}

impl Defaults {
    /// More distinct lists than this are not remembered (each NSG compares against them).
    const KEPT: usize = 8;

    fn share(&mut self, rules: Vec<SecurityRule>) -> Arc<[SecurityRule]> {
        if let Some(same) = self.lists.iter().find(|l| l[..] == rules[..]) {
            return same.clone();
        }
        let list: Arc<[SecurityRule]> = rules.into();
        if self.lists.len() < Self::KEPT {
            self.lists.push(list.clone());
        }
        list
    }
}

/// Parses one rule with its direction.
pub(super) fn security_rule(
    list: &str,
    i: usize,
    is_default: bool,
    r: Child<wire::RuleProps>,
) -> Result<(Direction, SecurityRule), String> {
    let name = r.name.unwrap_or_else(|| format!("{list}[{i}]"));
    let at = |field: &str| format!("{list}[{i}] ({name}): field `properties.{field}`");
    let Some(p) = &r.properties else {
        return Err(format!(
            "{list}[{i}] ({name}): field `properties` is missing or null"
        ));
    };
    let direction = required(&p.direction, &at, "direction", Direction::parse)?;
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
    let access = required(&p.access, &at, "access", Access::parse)?;
    let protocol = required(&p.protocol, &at, "protocol", Protocol::parse)?;
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

/// A required field parsed (`field` names it and what it holds); `at` spells out where it is,
/// for an error only (this runs for every field of every rule).
fn required<T>(
    v: &Option<String>,
    at: &dyn Fn(&str) -> String,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, String> {
    let s = v
        .as_deref()
        .ok_or_else(|| format!("{} is missing", at(field)))?;
    parse(s).ok_or_else(|| format!("{}: unknown {field} \"{s}\"", at(field)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    /// A recorded `networkSecurityGroups` list (tests/fixtures/arm/recordings/README.md).
    const RECORDED: &str =
        include_str!("../../../tests/fixtures/arm/recordings/cloud-custodian/nsg-list-1.json");

    #[test]
    fn nsgs_with_the_same_default_rules_share_one_copy_in_evaluation_order() {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            value: Vec<&'a RawValue>,
        }
        let page: Page<'_> = serde_json::from_str(RECORDED).expect("a list page");
        let model = crate::model::build(&page.value);
        assert!(model.diagnostics.is_empty(), "{:?}", model.diagnostics);
        let nsgs: Vec<&Nsg> = model.nsgs.values().collect();
        assert_eq!(nsgs.len(), 43);
        let (first_in, first_out) = (nsgs[0].inbound.defaults(), nsgs[0].outbound.defaults());
        for n in &nsgs {
            assert!(Arc::ptr_eq(n.inbound.defaults(), first_in), "{}", n.name);
            assert!(Arc::ptr_eq(n.outbound.defaults(), first_out), "{}", n.name);
            // Custom rules first, then defaults, each by priority: as one sorted list.
            for rules in [&n.inbound, &n.outbound] {
                let mut sorted: Vec<&SecurityRule> = rules.iter().collect();
                sorted.sort_by_key(|r| (r.is_default, r.priority));
                assert!(rules.iter().eq(sorted.iter().copied()), "{}", n.name);
                assert_eq!(rules.iter().filter(|r| r.is_default).count(), 3);
            }
        }
        // What ARM lists as each NSG's defaults is what the platform applies when a body
        // leaves them out (docs/decisions.md D6).
        assert_eq!(first_in[..], default_inbound_rules()[..]);
        assert_eq!(first_out[..], default_outbound_rules()[..]);
    }

    #[test]
    fn different_defaults_are_not_shared_and_a_list_without_them_gets_the_platforms() {
        let nsg = |name: &str, defaults: &str| {
            format!(
                r#"{{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/{name}",
                "type": "Microsoft.Network/networkSecurityGroups", "name": "{name}",
                "properties": {{"securityRules": []{defaults}}}}}"#
            )
        };
        let changed = r#", "defaultSecurityRules": [{"name": "DenyAllInBound", "properties": {
            "priority": 65500, "direction": "Inbound", "access": "Deny", "protocol": "*",
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "sourcePortRange": "*", "destinationPortRange": "3389"}}]"#;
        let texts = [nsg("a", ""), nsg("b", changed), nsg("c", "")];
        let raws: Vec<Box<RawValue>> = texts
            .iter()
            .map(|t| RawValue::from_string(t.clone()).expect("JSON"))
            .collect();
        let refs: Vec<&RawValue> = raws.iter().map(|r| r.as_ref()).collect();
        let model = crate::model::build(&refs);
        let get = |n: &str| {
            let key = format!("/subscriptions/s/resourcegroups/g/providers/microsoft.network/networksecuritygroups/{n}");
            model.nsgs.get(&crate::model::Key::of(&key)).expect("read")
        };
        let (a, b, c) = (get("a"), get("b"), get("c"));
        assert!(Arc::ptr_eq(a.inbound.defaults(), c.inbound.defaults()));
        assert_eq!(a.inbound.defaults()[..], default_inbound_rules()[..]);
        assert!(!Arc::ptr_eq(a.inbound.defaults(), b.inbound.defaults()));
        assert_eq!(b.inbound.len(), 1);
        assert!(
            b.outbound.is_empty(),
            "the body's defaults are all there is"
        );
        let port = |r: &SecurityRule| r.destination_ports.to_string();
        assert_eq!(b.inbound.iter().map(port).collect::<Vec<_>>(), ["3389"]);
    }

    /// A rule whose required field is missing or unknown is an error naming the list, the
    /// rule and the field (the field's place is spelled out only then).
    #[test]
    fn a_wrong_rule_field_is_named() {
        let body = |rule: &str| {
            format!(
                r#"{{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n",
                "type": "Microsoft.Network/networkSecurityGroups", "name": "n",
                "properties": {{"securityRules": [{{"name": "r1", "properties": {{"priority": 100,
                "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                "sourcePortRange": "*", "destinationPortRange": "3389", {rule}}}}}]}}}}"#
            )
        };
        let why = |rule: &str| {
            let raw = RawValue::from_string(body(rule)).expect("JSON");
            let model = crate::model::build(&[raw.as_ref()]);
            model.diagnostics.first().map(|d| d.message.clone())
        };
        assert_eq!(
            why(r#""access": "Allow", "protocol": "Tcp""#).as_deref(),
            Some("securityRules[0] (r1): field `properties.direction` is missing")
        );
        assert_eq!(
            why(r#""direction": "Inbound", "access": "Maybe", "protocol": "Tcp""#).as_deref(),
            Some("securityRules[0] (r1): field `properties.access`: unknown access \"Maybe\"")
        );
        assert_eq!(
            why(r#""direction": "Inbound", "access": "Allow", "protocol": "Tcp""#),
            None
        );
    }
}
