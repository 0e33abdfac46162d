//! Raw ARM resource objects → [`Model`].

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::net::IpAddr;

use super::wire::{self, Child, Envelope, Head};
use super::*;
use crate::engine::addrset::parse_prefix;

/// The resource types rdpaudit reads (product.md §3), by case-folded type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vm,
    ClassicVm,
    Nic,
    Nsg,
    PublicIp,
    Vnet,
    LoadBalancer,
    RouteTable,
    Bastion,
    Asg,
}

fn kind_of(t: &str) -> Option<Kind> {
    Some(match t.to_ascii_lowercase().as_str() {
        "microsoft.compute/virtualmachines" => Kind::Vm,
        "microsoft.classiccompute/virtualmachines" => Kind::ClassicVm,
        "microsoft.network/networkinterfaces" => Kind::Nic,
        "microsoft.network/networksecuritygroups" => Kind::Nsg,
        "microsoft.network/publicipaddresses" => Kind::PublicIp,
        "microsoft.network/virtualnetworks" => Kind::Vnet,
        "microsoft.network/loadbalancers" => Kind::LoadBalancer,
        "microsoft.network/routetables" => Kind::RouteTable,
        "microsoft.network/bastionhosts" => Kind::Bastion,
        "microsoft.network/applicationsecuritygroups" => Kind::Asg,
        _ => return None,
    })
}

/// The resource type as it appears in an id (`…/providers/Microsoft.Network/networkInterfaces/x`),
/// for bodies that omit `type` (api-version 2015-05-01-preview does).
fn kind_from_id(id: &str) -> Option<Kind> {
    let lower = id.to_ascii_lowercase();
    let after = lower.rsplit_once("/providers/")?.1;
    let mut parts = after.split('/');
    let ns = parts.next()?;
    let ty = parts.next()?;
    // A top-level resource id has exactly namespace/type/name after `providers`.
    if parts.next().is_none() || parts.next().is_some() {
        return None;
    }
    kind_of(&format!("{ns}/{ty}"))
}

/// Builds the model from raw resources. `guest` holds guest facts by VM id.
pub fn build(resources: &[&RawValue], guest: HashMap<String, GuestFacts>) -> Model {
    build_with(resources, guest, true)
}

/// Only what links resources together: NSG rules are not parsed (collection uses this to find
/// referenced resources it has not read yet, without paying for rule parsing twice).
pub fn build_references(resources: &[&RawValue]) -> Model {
    build_with(resources, HashMap::new(), false)
}

fn build_with(
    resources: &[&RawValue],
    guest: HashMap<String, GuestFacts>,
    nsg_rules: bool,
) -> Model {
    let mut m = Model {
        guest: guest
            .into_iter()
            .map(|(k, v)| (ResId::new(&k).key, v))
            .collect(),
        ..Model::default()
    };
    for (index, raw) in resources.iter().enumerate() {
        add_resource(&mut m, index, raw, nsg_rules);
    }
    m.vms.sort_by(|a, b| a.id.key.cmp(&b.id.key));
    m.classic_vms.sort_by(|a, b| a.id.key.cmp(&b.id.key));
    m.bastions.sort_by(|a, b| a.id.key.cmp(&b.id.key));
    m
}

fn add_resource(m: &mut Model, index: usize, raw: &RawValue, nsg_rules: bool) {
    let scope_of_index = || format!("resources[{index}]");
    let head: Head = match serde_json::from_str(raw.get()) {
        Ok(h) => h,
        Err(e) => {
            m.diagnostics.push(Diagnostic::error(
                scope_of_index(),
                format!("not a resource object: {e}"),
            ));
            return;
        }
    };
    let id = match head.id {
        Some(serde_json::Value::String(s)) if s.trim().starts_with('/') => s,
        Some(serde_json::Value::String(s)) => {
            m.diagnostics.push(Diagnostic::error(
                scope_of_index(),
                format!("field `id`: \"{s}\" is not an ARM resource id (it must start with /subscriptions/ or /providers/)"),
            ));
            return;
        }
        Some(other) => {
            m.diagnostics.push(Diagnostic::error(
                scope_of_index(),
                format!("field `id`: expected a string, found {}", json_kind(&other)),
            ));
            return;
        }
        None => {
            m.diagnostics.push(Diagnostic::error(
                scope_of_index(),
                "field `id` is missing: the resource cannot be identified and is skipped",
            ));
            return;
        }
    };
    let rid = ResId::new(&id);
    let kind = match head.kind {
        Some(serde_json::Value::String(t)) => kind_of(&t),
        Some(other) => {
            m.diagnostics.push(Diagnostic::error(
                rid.id.clone(),
                format!(
                    "field `type`: expected a string, found {}",
                    json_kind(&other)
                ),
            ));
            m.broken
                .insert(rid.key.clone(), "field `type` is not a string".into());
            return;
        }
        None => kind_from_id(&rid.id),
    };
    let Some(kind) = kind else {
        m.ignored += 1;
        return;
    };
    let result = match kind {
        Kind::Vm => parse::<wire::VmProps>(raw).and_then(|e| vm(m, &rid, e)),
        Kind::ClassicVm => parse::<wire::ClassicVmProps>(raw).and_then(|e| classic_vm(m, &rid, e)),
        Kind::Nic => parse::<wire::NicProps>(raw).and_then(|e| nic(m, &rid, e)),
        Kind::Nsg if !nsg_rules => {
            m.nsgs.insert(
                rid.key.clone(),
                Nsg {
                    id: rid.clone(),
                    name: rid.name().to_string(),
                    provisioning_state: None,
                    inbound: Vec::new(),
                },
            );
            Ok(())
        }
        Kind::Nsg => parse::<wire::NsgProps>(raw).and_then(|e| nsg(m, &rid, e)),
        Kind::PublicIp => parse::<wire::PipProps>(raw).and_then(|e| public_ip(m, &rid, e)),
        Kind::Vnet => parse::<wire::VnetProps>(raw).and_then(|e| vnet(m, &rid, e)),
        Kind::LoadBalancer => parse::<wire::LbProps>(raw).and_then(|e| load_balancer(m, &rid, e)),
        Kind::RouteTable => {
            parse::<wire::RouteTableProps>(raw).and_then(|e| route_table(m, &rid, e))
        }
        Kind::Bastion => parse::<wire::BastionProps>(raw).and_then(|e| bastion(m, &rid, e)),
        Kind::Asg => {
            m.asgs.insert(rid.key.clone(), rid.clone());
            Ok(())
        }
    };
    if let Err(why) = result {
        m.diagnostics
            .push(Diagnostic::error(rid.id.clone(), why.clone()));
        m.broken.insert(rid.key.clone(), why);
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Parses one resource envelope. The fast path deserialises the text directly; when that fails
/// (a wrong type, or a duplicate key such as the two `sku` keys of the official
/// `LoadBalancerGet.json` example) the text is re-read as a `Value` — where the last duplicate
/// wins, like ARM clients do — and deserialised again with the JSON path of any error.
fn parse<P: DeserializeOwned>(raw: &RawValue) -> Result<Envelope<P>, String> {
    if let Ok(env) = serde_json::from_str::<Envelope<P>>(raw.get()) {
        return Ok(env);
    }
    let value: serde_json::Value =
        serde_json::from_str(raw.get()).map_err(|e| format!("invalid JSON: {e}"))?;
    serde_path_to_error::deserialize::<_, Envelope<P>>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            inner
        } else {
            format!("field `{path}`: {inner}")
        }
    })
}

fn props<P>(env: Envelope<P>) -> Result<(Envelope<()>, P), String> {
    let Envelope {
        id,
        name,
        location,
        sku,
        properties,
    } = env;
    let head = Envelope {
        id,
        name,
        location,
        sku,
        properties: Some(()),
    };
    match properties {
        Some(p) => Ok((head, p)),
        None => Err("field `properties` is missing or null".into()),
    }
}

fn name_of(env: &Envelope<()>, id: &ResId) -> String {
    env.name.clone().unwrap_or_else(|| id.name().to_string())
}

fn reference(r: &Option<wire::Ref>) -> Option<ResId> {
    r.as_ref()
        .and_then(|r| r.id.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(ResId::new)
}

fn references(v: &Option<Vec<wire::Ref>>) -> Vec<ResId> {
    v.iter()
        .flatten()
        .filter_map(|r| r.id.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(ResId::new)
        .collect()
}

fn parse_ip(field: &str, s: &Option<String>) -> Result<Option<IpAddr>, String> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<IpAddr>()
            .map(Some)
            .map_err(|_| format!("field `{field}`: \"{t}\" is not an IP address")),
    }
}

/// An ipconfig's private address. With an IP prefix on the NIC (`privateIPAddressPrefixLength`)
/// ARM writes `a.b.c.d/n` here; the first address stands for the configuration.
fn private_ip(field: &str, s: &Option<String>) -> Result<Option<IpAddr>, String> {
    match s.as_deref().map(str::trim) {
        Some(t) if t.contains('/') => t
            .parse::<IpNet>()
            .map(|n| Some(n.addr()))
            .map_err(|_| format!("field `{field}`: \"{t}\" is not an IP address or prefix")),
        _ => parse_ip(field, s),
    }
}

fn port(field: &str, v: Option<i64>) -> Result<Option<u16>, String> {
    match v {
        None => Ok(None),
        Some(n) => u16::try_from(n)
            .ok()
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: port {n} is out of range 1-65535")),
    }
}

fn prefixes(
    field: &str,
    single: &Option<String>,
    plural: &Option<Vec<String>>,
) -> Result<Vec<IpNet>, String> {
    let mut out = Vec::new();
    let items = single
        .iter()
        .chain(plural.iter().flatten())
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    for s in items {
        out.push(
            parse_prefix(s)
                .ok_or_else(|| format!("field `{field}`: \"{s}\" is not a CIDR prefix"))?,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------

fn vm(m: &mut Model, rid: &ResId, env: Envelope<wire::VmProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let os = match p
        .storage_profile
        .as_ref()
        .and_then(|s| s.os_disk.as_ref())
        .and_then(|d| d.os_type.as_deref())
    {
        Some(t) if t.eq_ignore_ascii_case("windows") => OsType::Windows,
        Some(t) if t.eq_ignore_ascii_case("linux") => OsType::Linux,
        _ => OsType::Unknown,
    };
    let mut nics = Vec::new();
    for (i, n) in p
        .network_profile
        .as_ref()
        .and_then(|n| n.network_interfaces.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        match n.id.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(id) => nics.push((
                ResId::new(id),
                n.properties.as_ref().and_then(|p| p.primary),
            )),
            None => {
                return Err(format!(
                    "field `properties.networkProfile.networkInterfaces[{i}].id` is missing"
                ))
            }
        }
    }
    let iv = p.instance_view.as_ref();
    let statuses = iv.and_then(|v| v.statuses.as_deref()).unwrap_or(&[]);
    let code_with = |prefix: &str| {
        statuses
            .iter()
            .filter_map(|s| s.code.as_deref())
            .find(|c| c.len() >= prefix.len() && c[..prefix.len()].eq_ignore_ascii_case(prefix))
            .map(str::to_string)
    };
    let mut power = code_with("PowerState/")
        .map(|c| PowerState::from_code(&c))
        .unwrap_or(PowerState::Unknown);
    if power == PowerState::Unknown {
        // Resource Graph: properties.extended.instanceView.powerState.code
        if let Some(code) = p
            .extended
            .as_ref()
            .and_then(|e| e.instance_view.as_ref())
            .and_then(|iv| iv.power_state.as_ref())
            .and_then(|s| s.code.as_deref())
        {
            power = PowerState::from_code(code);
        }
    }
    let provisioning_failed = code_with("ProvisioningState/").is_some_and(|c| {
        c.to_ascii_lowercase()
            .starts_with("provisioningstate/failed")
    }) || p
        .provisioning_state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("failed"));
    let (agent, agent_status) = match iv.and_then(|v| v.vm_agent.as_ref()) {
        None => (AgentState::Unknown, None),
        Some(a) => {
            let status = a
                .statuses
                .iter()
                .flatten()
                .find_map(|s| s.display_status.clone());
            let state = match status.as_deref() {
                Some(s) if s.eq_ignore_ascii_case("ready") => AgentState::Ready,
                Some(_) => AgentState::NotReady,
                None => AgentState::Unknown,
            };
            (state, status)
        }
    };
    m.vms.push(Vm {
        id: rid.clone(),
        name: name_of(&head, rid),
        location: head.location.clone(),
        os,
        nics,
        power,
        provisioning_state: p.provisioning_state.clone(),
        provisioning_failed,
        agent,
        agent_status,
        boot_diagnostics: p
            .diagnostics_profile
            .as_ref()
            .and_then(|d| d.boot_diagnostics.as_ref())
            .and_then(|b| b.enabled),
    });
    Ok(())
}

fn classic_vm(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::ClassicVmProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let os = match p
        .storage_profile
        .as_ref()
        .and_then(|s| s.operating_system_disk.as_ref())
        .and_then(|d| d.operating_system.as_deref())
    {
        Some(t) if t.eq_ignore_ascii_case("windows") => OsType::Windows,
        Some(t) if t.eq_ignore_ascii_case("linux") => OsType::Linux,
        _ => OsType::Unknown,
    };
    let iv = p.instance_view.as_ref();
    let power = iv
        .and_then(|v| v.power_state.as_deref())
        .map(PowerState::from_classic)
        .unwrap_or(PowerState::Unknown);
    let vip = iv
        .and_then(|v| v.public_ip_addresses.as_ref())
        .and_then(|a| a.first())
        .and_then(|s| s.trim().parse::<IpAddr>().ok());
    let mut endpoints = Vec::new();
    let eps = p
        .network_profile
        .as_ref()
        .and_then(|n| n.input_endpoints.as_ref());
    for (i, e) in eps.into_iter().flatten().enumerate() {
        let f = |name: &str| format!("properties.networkProfile.inputEndpoints[{i}].{name}");
        let private_port = port(&f("privatePort"), e.private_port)?
            .ok_or_else(|| format!("field `{}` is missing", f("privatePort")))?;
        let public_port = port(&f("publicPort"), e.public_port)?
            .ok_or_else(|| format!("field `{}` is missing", f("publicPort")))?;
        let protocol = match e.protocol.as_deref() {
            None => Protocol::Tcp,
            Some(s) => Protocol::parse(s)
                .ok_or_else(|| format!("field `{}`: unknown protocol \"{s}\"", f("protocol")))?,
        };
        let acl = match &e.endpoint_acl {
            None => None,
            Some(acl) => {
                let mut rules = Vec::new();
                for (j, r) in acl.rules.iter().flatten().enumerate() {
                    let g = |name: &str| format!("{}.rules[{j}].{name}", f("endpointAcl"));
                    let order = r
                        .order
                        .ok_or_else(|| format!("field `{}` is missing", g("order")))?;
                    let permit = match r.action.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
                        Some(a) if a == "permit" => true,
                        Some(a) if a == "deny" => false,
                        other => {
                            return Err(format!(
                                "field `{}`: expected \"permit\" or \"deny\", found {other:?}",
                                g("action")
                            ))
                        }
                    };
                    let subnet = r
                        .remote_subnet
                        .as_deref()
                        .and_then(parse_prefix)
                        .ok_or_else(|| {
                            format!(
                                "field `{}`: {:?} is not a CIDR prefix",
                                g("remoteSubnet"),
                                r.remote_subnet
                            )
                        })?;
                    rules.push(AclRule {
                        order,
                        permit,
                        subnet,
                        description: r.description.clone(),
                    });
                }
                rules.sort_by_key(|r| r.order);
                Some(rules)
            }
        };
        endpoints.push(ClassicEndpoint {
            name: e.endpoint_name.clone().unwrap_or_default(),
            private_port,
            public_port,
            protocol,
            vip: parse_ip(&f("publicIpAddress"), &e.public_ip_address)?,
            acl,
        });
    }
    m.classic_vms.push(ClassicVm {
        id: rid.clone(),
        name: name_of(&head, rid),
        location: head.location.clone(),
        os,
        power,
        endpoints,
        fqdn: iv.and_then(|v| v.fully_qualified_domain_name.clone()),
        vip,
    });
    Ok(())
}

fn nic(m: &mut Model, rid: &ResId, env: Envelope<wire::NicProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let mut ip_configs = Vec::new();
    for (i, c) in p.ip_configurations.iter().flatten().enumerate() {
        let field = |name: &str| format!("properties.ipConfigurations[{i}].{name}");
        let Some(cp) = &c.properties else {
            return Err(format!(
                "field `{}` is missing or null",
                field("properties")
            ));
        };
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("ipconfig{}", i + 1));
        let id = match c.id.as_deref() {
            Some(id) if !id.trim().is_empty() => ResId::new(id),
            _ => ResId::new(&format!("{}/ipConfigurations/{name}", rid.id)),
        };
        ip_configs.push(IpConfig {
            id,
            name,
            primary: cp.primary,
            private_ip: private_ip(
                &field("properties.privateIPAddress"),
                &cp.private_ip_address,
            )?,
            subnet: reference(&cp.subnet),
            public_ip: reference(&cp.public_ip_address),
            asgs: references(&cp.application_security_groups),
            nat_rules: references(&cp.load_balancer_inbound_nat_rules),
            backend_pools: references(&cp.load_balancer_backend_address_pools),
        });
    }
    for (idx, c) in ip_configs.iter().enumerate() {
        m.ip_configs
            .insert(c.id.key.clone(), (rid.key.clone(), idx));
    }
    m.nics.insert(
        rid.key.clone(),
        Nic {
            id: rid.clone(),
            name: name_of(&head, rid),
            nsg: reference(&p.network_security_group),
            ip_configs,
            primary: p.primary,
        },
    );
    Ok(())
}

fn nsg(m: &mut Model, rid: &ResId, env: Envelope<wire::NsgProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let mut inbound = Vec::new();
    for (list, is_default, rules) in [
        ("securityRules", false, &p.security_rules),
        ("defaultSecurityRules", true, &p.default_security_rules),
    ] {
        for (i, r) in rules.iter().flatten().enumerate() {
            if let Some(rule) = security_rule(list, i, is_default, r)? {
                inbound.push(rule);
            }
        }
    }
    if p.default_security_rules.is_none() {
        // The platform always applies the default rules, even when a body omits them.
        inbound.extend(default_inbound_rules());
    }
    // Custom rules before defaults, each by ascending priority (decision 6).
    inbound.sort_by_key(|r| (r.is_default, r.priority));
    m.nsgs.insert(
        rid.key.clone(),
        Nsg {
            id: rid.clone(),
            name: name_of(&head, rid),
            provisioning_state: p.provisioning_state.clone(),
            inbound,
        },
    );
    Ok(())
}

/// Parses one rule; `Ok(None)` for outbound rules (RDP evaluation reads inbound only).
fn security_rule(
    list: &str,
    i: usize,
    is_default: bool,
    r: &Child<wire::RuleProps>,
) -> Result<Option<SecurityRule>, String> {
    let name = r.name.clone().unwrap_or_else(|| format!("{list}[{i}]"));
    let at = |field: &str| format!("{list}[{i}] ({name}): field `properties.{field}`");
    let Some(p) = &r.properties else {
        return Err(format!(
            "{list}[{i}] ({name}): field `properties` is missing or null"
        ));
    };
    let direction = p
        .direction
        .as_deref()
        .map(|s| {
            Direction::parse(s)
                .ok_or_else(|| format!("{}: unknown direction \"{s}\"", at("direction")))
        })
        .transpose()?
        .ok_or_else(|| format!("{} is missing", at("direction")))?;
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
    let access = p
        .access
        .as_deref()
        .map(|s| {
            Access::parse(s).ok_or_else(|| format!("{}: unknown access \"{s}\"", at("access")))
        })
        .transpose()?
        .ok_or_else(|| format!("{} is missing", at("access")))?;
    let protocol = p
        .protocol
        .as_deref()
        .map(|s| {
            Protocol::parse(s)
                .ok_or_else(|| format!("{}: unknown protocol \"{s}\"", at("protocol")))
        })
        .transpose()?
        .ok_or_else(|| format!("{} is missing", at("protocol")))?;
    let ports = |single: &Option<String>, plural: &Option<Vec<String>>, sf: &str, pf: &str| {
        let mut v = Vec::new();
        if let Some(s) = single.as_deref().filter(|s| !s.trim().is_empty()) {
            v.push(PortSet::parse_item(s).map_err(|e| format!("{}: {e}", at(sf)))?);
        }
        for s in plural.iter().flatten().filter(|s| !s.trim().is_empty()) {
            v.push(PortSet::parse_item(s).map_err(|e| format!("{}: {e}", at(pf)))?);
        }
        if v.is_empty() {
            return Err(format!("{} and `{pf}` are both empty", at(sf)));
        }
        Ok(PortSet::from_ranges(v))
    };
    let addrs = |single: &Option<String>,
                 plural: &Option<Vec<String>>,
                 asgs: &Option<Vec<wire::Ref>>,
                 side: &str| {
        let mut spec = AddrSpec::default();
        let sf = format!("{side}AddressPrefix");
        if let Some(s) = single.as_deref().filter(|s| !s.trim().is_empty()) {
            spec.push_item(s).map_err(|e| format!("{}: {e}", at(&sf)))?;
        }
        let pf = format!("{side}AddressPrefixes");
        for s in plural.iter().flatten().filter(|s| !s.trim().is_empty()) {
            spec.push_item(s).map_err(|e| format!("{}: {e}", at(&pf)))?;
        }
        spec.asgs = references(asgs);
        if spec.is_empty() {
            return Err(format!(
                "{}, `{pf}` and `{side}ApplicationSecurityGroups` are all empty",
                at(&sf)
            ));
        }
        Ok(spec)
    };
    let source_ports = ports(
        &p.source_port_range,
        &p.source_port_ranges,
        "sourcePortRange",
        "sourcePortRanges",
    )?;
    let destination_ports = ports(
        &p.destination_port_range,
        &p.destination_port_ranges,
        "destinationPortRange",
        "destinationPortRanges",
    )?;
    let source = addrs(
        &p.source_address_prefix,
        &p.source_address_prefixes,
        &p.source_application_security_groups,
        "source",
    )?;
    let destination = addrs(
        &p.destination_address_prefix,
        &p.destination_address_prefixes,
        &p.destination_application_security_groups,
        "destination",
    )?;
    if direction == Direction::Outbound {
        return Ok(None);
    }
    Ok(Some(SecurityRule {
        name,
        priority: priority as u32,
        access,
        protocol,
        source,
        source_ports,
        destination,
        destination_ports,
        is_default,
        description: p.description.clone(),
    }))
}

fn public_ip(m: &mut Model, rid: &ResId, env: Envelope<wire::PipProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    m.public_ips.insert(
        rid.key.clone(),
        PublicIp {
            id: rid.clone(),
            name: name_of(&head, rid),
            sku: Sku::parse(head.sku.as_ref().and_then(|s| s.name.as_deref())),
            address: parse_ip("properties.ipAddress", &p.ip_address)?,
            dynamic: p
                .allocation
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("dynamic")),
            attached_to: reference(&p.ip_configuration),
            fqdn: p.dns_settings.as_ref().and_then(|d| d.fqdn.clone()),
        },
    );
    Ok(())
}

fn vnet(m: &mut Model, rid: &ResId, env: Envelope<wire::VnetProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let address_space = prefixes(
        "properties.addressSpace.addressPrefixes",
        &None,
        &p.address_space
            .as_ref()
            .and_then(|a| a.address_prefixes.clone()),
    )?;
    let mut subnets = Vec::new();
    for (i, s) in p.subnets.iter().flatten().enumerate() {
        let f = |name: &str| format!("properties.subnets[{i}].{name}");
        let name = s.name.clone().unwrap_or_default();
        let id = match s.id.as_deref() {
            Some(id) if !id.trim().is_empty() => ResId::new(id),
            _ => ResId::new(&format!("{}/subnets/{name}", rid.id)),
        };
        let Some(sp) = &s.properties else {
            return Err(format!("field `{}` is missing or null", f("properties")));
        };
        subnets.push(Subnet {
            id,
            name,
            prefixes: prefixes(
                &f("properties.addressPrefix"),
                &sp.address_prefix,
                &sp.address_prefixes,
            )?,
            nsg: reference(&sp.network_security_group),
            route_table: reference(&sp.route_table),
            ip_config_count: sp.ip_configurations.as_ref().map(Vec::len),
        });
    }
    let mut peerings = Vec::new();
    for (i, pe) in p.virtual_network_peerings.iter().flatten().enumerate() {
        let Some(pp) = &pe.properties else { continue };
        peerings.push(Peering {
            name: pe.name.clone().unwrap_or_default(),
            remote_vnet: reference(&pp.remote_virtual_network),
            remote_space: prefixes(
                &format!("properties.virtualNetworkPeerings[{i}].properties.remoteAddressSpace.addressPrefixes"),
                &None,
                &pp.remote_address_space.as_ref().and_then(|a| a.address_prefixes.clone()),
            )?,
            connected: pp
                .peering_state
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("connected")),
            use_remote_gateways: pp.use_remote_gateways.unwrap_or(false),
        });
    }
    for (idx, s) in subnets.iter().enumerate() {
        m.subnets.insert(s.id.key.clone(), (rid.key.clone(), idx));
    }
    m.vnets.insert(
        rid.key.clone(),
        Vnet {
            id: rid.clone(),
            name: name_of(&head, rid),
            address_space,
            subnets,
            peerings,
        },
    );
    Ok(())
}

fn load_balancer(m: &mut Model, rid: &ResId, env: Envelope<wire::LbProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let child_id = |id: &Option<String>, kind: &str, name: &str| match id.as_deref() {
        Some(s) if !s.trim().is_empty() => ResId::new(s),
        _ => ResId::new(&format!("{}/{kind}/{name}", rid.id)),
    };
    let mut frontends = Vec::new();
    for (i, f) in p.frontends.iter().flatten().enumerate() {
        let name = f.name.clone().unwrap_or_else(|| format!("frontend{i}"));
        frontends.push(Frontend {
            id: child_id(&f.id, "frontendIPConfigurations", &name),
            public_ip: f
                .properties
                .as_ref()
                .and_then(|p| reference(&p.public_ip_address)),
            name,
        });
    }
    let mut nat_rules = Vec::new();
    for (i, r) in p.inbound_nat_rules.iter().flatten().enumerate() {
        let name = r.name.clone().unwrap_or_else(|| format!("natRule{i}"));
        let f =
            |field: &str| format!("properties.inboundNatRules[{i}] ({name}).properties.{field}");
        let Some(rp) = &r.properties else {
            return Err(format!(
                "field `properties.inboundNatRules[{i}].properties` is missing or null"
            ));
        };
        let protocol = match rp.protocol.as_deref() {
            None => Protocol::Any,
            Some(s) => Protocol::parse(s)
                .ok_or_else(|| format!("field `{}`: unknown protocol \"{s}\"", f("protocol")))?,
        };
        let start = port(&f("frontendPortRangeStart"), rp.frontend_port_range_start)?;
        let end = port(&f("frontendPortRangeEnd"), rp.frontend_port_range_end)?;
        let frontend_range = match (start, end) {
            (Some(a), Some(b)) if a <= b => Some((a, b)),
            (Some(a), Some(b)) => {
                return Err(format!(
                    "field `{}`: range {a}-{b} is empty",
                    f("frontendPortRangeStart")
                ))
            }
            _ => None,
        };
        nat_rules.push(NatRule {
            id: child_id(&r.id, "inboundNatRules", &name),
            frontend: reference(&rp.frontend),
            backend_ip_config: reference(&rp.backend_ip_configuration),
            protocol,
            frontend_port: port(&f("frontendPort"), rp.frontend_port)?,
            backend_port: port(&f("backendPort"), rp.backend_port)?,
            frontend_range,
            backend_pool: reference(&rp.backend_address_pool),
            floating_ip: rp.enable_floating_ip.unwrap_or(false),
            name,
        });
    }
    let mut pools = Vec::new();
    for (i, pl) in p.backend_address_pools.iter().flatten().enumerate() {
        let name = pl.name.clone().unwrap_or_else(|| format!("pool{i}"));
        let members = pl
            .properties
            .as_ref()
            .map(|pp| references(&pp.backend_ip_configurations))
            .unwrap_or_default();
        pools.push((child_id(&pl.id, "backendAddressPools", &name), members));
    }
    for (idx, r) in nat_rules.iter().enumerate() {
        m.nat_rules.insert(r.id.key.clone(), (rid.key.clone(), idx));
    }
    for (idx, f) in frontends.iter().enumerate() {
        m.frontends.insert(f.id.key.clone(), (rid.key.clone(), idx));
    }
    m.load_balancers.insert(
        rid.key.clone(),
        LoadBalancer {
            id: rid.clone(),
            name: name_of(&head, rid),
            sku: Sku::parse(head.sku.as_ref().and_then(|s| s.name.as_deref())),
            frontends,
            nat_rules,
            pools,
        },
    );
    Ok(())
}

fn route_table(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::RouteTableProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let mut routes = Vec::new();
    for (i, r) in p.routes.iter().flatten().enumerate() {
        let name = r.name.clone().unwrap_or_else(|| format!("route{i}"));
        let f = |field: &str| format!("properties.routes[{i}] ({name}).properties.{field}");
        let Some(rp) = &r.properties else {
            return Err(format!(
                "field `properties.routes[{i}].properties` is missing or null"
            ));
        };
        let text = rp
            .address_prefix
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| format!("field `{}` is missing", f("addressPrefix")))?;
        let prefix = parse_prefix(&text);
        if prefix.is_none() && ServiceTag::parse(&text).is_none() {
            return Err(format!(
                "field `{}`: \"{text}\" is neither a CIDR prefix nor a service tag",
                f("addressPrefix")
            ));
        }
        let hop = rp
            .next_hop_type
            .as_deref()
            .ok_or_else(|| format!("field `{}` is missing", f("nextHopType")))?;
        routes.push(Route {
            name,
            prefix,
            prefix_text: text,
            next_hop: NextHop::parse(hop),
            next_hop_ip: rp.next_hop_ip_address.clone(),
        });
    }
    m.route_tables.insert(
        rid.key.clone(),
        RouteTable {
            id: rid.clone(),
            name: name_of(&head, rid),
            routes,
            disable_bgp_propagation: p.disable_bgp_route_propagation.unwrap_or(false),
        },
    );
    Ok(())
}

fn bastion(m: &mut Model, rid: &ResId, env: Envelope<wire::BastionProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let subnets = p
        .ip_configurations
        .iter()
        .flatten()
        .filter_map(|c| c.properties.as_ref().and_then(|p| reference(&p.subnet)))
        .collect();
    m.bastions.push(Bastion {
        id: rid.clone(),
        name: name_of(&head, rid),
        subnets,
    });
    Ok(())
}

/// The three inbound default rules every NSG has (network-security-groups-overview.md).
fn default_inbound_rules() -> Vec<SecurityRule> {
    let rule = |name: &str,
                priority: u32,
                access: Access,
                source: ServiceTag,
                dest: Option<ServiceTag>| {
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
            description: None,
        }
    };
    let mut deny = rule(
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
        rule(
            "AllowVnetInBound",
            65000,
            Access::Allow,
            ServiceTag::VirtualNetwork,
            Some(ServiceTag::VirtualNetwork),
        ),
        rule(
            "AllowAzureLoadBalancerInBound",
            65001,
            Access::Allow,
            ServiceTag::AzureLoadBalancer,
            None,
        ),
        deny,
    ]
}
