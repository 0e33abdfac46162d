//! Virtual machines: ARM (`Microsoft.Compute`) and classic (`Microsoft.ClassicCompute`).

use super::*;

fn os_type(t: Option<&str>) -> OsType {
    match t {
        Some(t) if t.eq_ignore_ascii_case("windows") => OsType::Windows,
        Some(t) if t.eq_ignore_ascii_case("linux") => OsType::Linux,
        _ => OsType::Unknown,
    }
}

pub(super) fn vm(m: &mut Model, rid: &ResId, env: Envelope<wire::VmProps>) -> Result<(), String> {
    let (head, p) = props(env)?;
    let os = os_type(
        p.storage_profile
            .as_ref()
            .and_then(|s| s.os_disk.as_ref())
            .and_then(|d| d.os_type.as_deref()),
    );
    let nics = vm_nics(&p)?;
    let iv = p.instance_view.as_ref();
    let statuses = iv.and_then(|v| v.statuses.as_deref()).unwrap_or(&[]);
    let mut power = status_code(statuses, "PowerState/")
        .map(PowerState::from_code)
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
    let provisioning_failed = status_code(statuses, "ProvisioningState/").is_some_and(|c| {
        c.to_ascii_lowercase()
            .starts_with("provisioningstate/failed")
    }) || p
        .provisioning_state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("failed"));
    let (agent, agent_status) = vm_agent(iv.and_then(|v| v.vm_agent.as_ref()));
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

/// The VM's NIC references with their `primary` flag.
fn vm_nics(p: &wire::VmProps) -> Result<Vec<(ResId, Option<bool>)>, String> {
    let mut nics = Vec::new();
    let list = p
        .network_profile
        .as_ref()
        .and_then(|n| n.network_interfaces.as_ref());
    for (i, n) in list.into_iter().flatten().enumerate() {
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
    nics.shrink_to_fit();
    Ok(nics)
}

/// The first instance-view status code starting with `prefix` (ASCII case-insensitive).
fn status_code<'a>(statuses: &'a [wire::Status], prefix: &str) -> Option<&'a str> {
    statuses
        .iter()
        .filter_map(|s| s.code.as_deref())
        // `get`, not slicing: a code is outside text, and a multi-byte character where the
        // prefix would end ("PowerStateé") is not a char boundary.
        .find(|c| {
            c.get(..prefix.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
        })
}

fn vm_agent(agent: Option<&wire::VmAgent>) -> (AgentState, Option<String>) {
    let Some(a) = agent else {
        return (AgentState::Unknown, None);
    };
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

pub(super) fn classic_vm(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::ClassicVmProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let os = os_type(
        p.storage_profile
            .as_ref()
            .and_then(|s| s.operating_system_disk.as_ref())
            .and_then(|d| d.operating_system.as_deref()),
    );
    let iv = p.instance_view.as_ref();
    let power = iv
        .and_then(|v| v.power_state.as_deref())
        .map(PowerState::from_classic)
        .unwrap_or(PowerState::Unknown);
    let vip = iv
        .and_then(|v| v.public_ip_addresses.as_ref())
        .and_then(|a| a.first())
        .and_then(|s| s.trim().parse::<IpAddr>().ok());
    let eps = p
        .network_profile
        .as_ref()
        .and_then(|n| n.input_endpoints.as_ref());
    let endpoints = eps
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, e)| classic_endpoint(i, e))
        .collect::<Result<Vec<_>, String>>()?;
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

fn classic_endpoint(i: usize, e: &wire::InputEndpoint) -> Result<ClassicEndpoint, String> {
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
            let mut rules = acl
                .rules
                .iter()
                .flatten()
                .enumerate()
                .map(|(j, r)| acl_rule(&format!("{}.rules[{j}]", f("endpointAcl")), r))
                .collect::<Result<Vec<_>, String>>()?;
            rules.sort_by_key(|r| r.order);
            Some(rules)
        }
    };
    Ok(ClassicEndpoint {
        name: e.endpoint_name.clone().unwrap_or_default(),
        private_port,
        public_port,
        protocol,
        vip: parse_ip(&f("publicIpAddress"), &e.public_ip_address)?,
        acl,
    })
}

/// One endpoint ACL rule; `at` is its JSON path.
fn acl_rule(at: &str, r: &wire::AclRule) -> Result<AclRule, String> {
    let g = |name: &str| format!("{at}.{name}");
    let order = r
        .order
        .ok_or_else(|| format!("field `{}` is missing", g("order")))?;
    let permit = match r.action.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        Some(a) if a == "permit" => true,
        Some(a) if a == "deny" => false,
        Some(a) => {
            return Err(format!(
                "field `{}`: expected \"permit\" or \"deny\", found \"{a}\"",
                g("action")
            ))
        }
        None => return Err(format!("field `{}` is missing", g("action"))),
    };
    let subnet = match r.remote_subnet.as_deref() {
        None => return Err(format!("field `{}` is missing", g("remoteSubnet"))),
        Some(s) => parse_prefix(s).ok_or_else(|| {
            format!(
                "field `{}`: \"{s}\" is not an IP address or CIDR prefix",
                g("remoteSubnet")
            )
        })?,
    };
    Ok(AclRule {
        order,
        permit,
        subnet,
    })
}
