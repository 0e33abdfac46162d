//! Load-balancer parts beyond NAT rules: load-balancing rules and IP-based backend pool members
//! (docs/decisions.md D17–D23).

use super::*;

/// `frontendPort`/`backendPort` of a load-balancing rule: 0 means every port (D19).
fn any_port(field: &str, v: Option<i64>) -> Result<Option<u16>, String> {
    match v {
        None => Err(format!("field `{field}` is missing")),
        Some(0) => Ok(None),
        Some(n) => u16::try_from(n)
            .ok()
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: port {n} is out of range 0-65535")),
    }
}

/// The load-balancing rules of one load balancer.
pub(super) fn lb_rules(
    rid: &ResId,
    rules: &Option<Vec<Child<wire::LbRuleProps>>>,
) -> Result<Vec<LbRule>, String> {
    let mut out = Vec::new();
    for (i, r) in rules.iter().flatten().enumerate() {
        let name = r.name.clone().unwrap_or_else(|| format!("lbRule{i}"));
        let f =
            |field: &str| format!("properties.loadBalancingRules[{i}] ({name}).properties.{field}");
        let Some(rp) = &r.properties else {
            return Err(format!(
                "field `properties.loadBalancingRules[{i}].properties` is missing or null"
            ));
        };
        // Known values: Tcp, Udp, All, Quic (docs/decisions.md D17); RDP is TCP.
        let protocol = rp
            .protocol
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let (carries_tcp, all_protocols) = match protocol.as_str() {
            "tcp" => (true, false),
            "all" | "*" => (true, true),
            "udp" | "quic" => (false, false),
            _ => {
                return Err(format!(
                    "field `{}`: unknown protocol \"{}\"",
                    f("protocol"),
                    rp.protocol.as_deref().unwrap_or("")
                ))
            }
        };
        let mut pools: Vec<ResId> = reference(&rp.backend_address_pool).into_iter().collect();
        for p in references::<Vec<ResId>>(&rp.backend_address_pools) {
            if !pools.iter().any(|x| x.key() == p.key()) {
                pools.push(p);
            }
        }
        let id = match r.id.as_deref() {
            Some(s) if !s.trim().is_empty() => ResId::new(s),
            _ => ResId::new(&format!("{}/loadBalancingRules/{name}", rid.id)),
        };
        out.push(LbRule {
            id,
            frontend: reference(&rp.frontend),
            pools,
            carries_tcp,
            all_protocols,
            frontend_port: any_port(&f("frontendPort"), rp.frontend_port)?,
            backend_port: any_port(&f("backendPort"), rp.backend_port)?,
            floating_ip: rp.enable_floating_ip.unwrap_or(false),
            name,
        });
    }
    Ok(out)
}

/// The IP-based members of backend pool `i` (D22) and their v2 NAT port mappings (D23).
pub(super) fn pool_addresses(
    i: usize,
    props: Option<&wire::PoolProps>,
) -> Result<Vec<PoolAddress>, String> {
    let mut out = Vec::new();
    let list = props.and_then(|p| p.load_balancer_backend_addresses.as_ref());
    for (j, a) in list.into_iter().flatten().enumerate() {
        let f = |field: &str| {
            format!("properties.backendAddressPools[{i}].properties.loadBalancerBackendAddresses[{j}].properties.{field}")
        };
        let Some(ap) = &a.properties else { continue };
        let mut nat_ports = Vec::new();
        for (k, m) in ap
            .inbound_nat_rules_port_mapping
            .iter()
            .flatten()
            .enumerate()
        {
            let field = format!("{}[{k}].frontendPort", f("inboundNatRulesPortMapping"));
            let (Some(rule), Some(port)) =
                (&m.inbound_nat_rule_name, port(&field, m.frontend_port)?)
            else {
                continue;
            };
            nat_ports.push((rule.clone(), port));
        }
        out.push(PoolAddress {
            ip: parse_ip(&f("ipAddress"), &ap.ip_address)?,
            vnet: reference(&ap.virtual_network),
            ip_config: reference(&ap.network_interface_ip_configuration),
            nat_ports,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    /// The response body of an official example (`responses.200.body`).
    fn body(text: &str) -> Box<serde_json::value::RawValue> {
        let v: serde_json::Value = serde_json::from_str(text).expect("JSON");
        serde_json::value::to_raw_value(&v["responses"]["200"]["body"]).expect("raw")
    }

    fn model(text: &str) -> Model {
        let raw = body(text);
        crate::model::build(&[raw.as_ref()])
    }

    #[test]
    fn official_load_balancer_bodies_keep_their_rules_and_pools() {
        let m = model(include_str!(
            "../../../tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/LoadBalancerGet.json"
        ));
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        let lb = m.load_balancers.values().next().expect("lb");
        let r = &lb.lb_rules[0];
        assert_eq!(
            (r.name.as_str(), r.frontend_port, r.backend_port),
            ("rulelb", Some(80), Some(80))
        );
        assert!(r.carries_tcp && r.floating_ip && !r.ha_ports());
        assert!(r.pools[0].id.ends_with("/backendAddressPools/be-lb"));
        let m = model(include_str!(
            "../../../tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/LoadBalancerCreateGatewayLoadBalancerProviderWithOneBackendPool.json"
        ));
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        let lb = m.load_balancers.values().next().expect("lb");
        assert_eq!(
            lb.lb_rules[0].pools.len(),
            1,
            "the plural backendAddressPools is read"
        );
    }

    #[test]
    fn the_official_developer_bastion_has_a_vnet_and_an_acl() {
        let m = model(include_str!(
            "../../../tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/BastionHostDeveloperGet.json"
        ));
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        let b = &m.bastions[0];
        assert!(b.developer() && b.subnets.is_empty());
        assert!(b
            .vnet
            .as_ref()
            .is_some_and(|v| v.id.ends_with("/virtualNetworks/vnet2")));
        assert_eq!(
            b.ip_rules[0].to_string(),
            "1.1.0.0/16",
            "host bits are normalised"
        );
        let m = model(include_str!(
            "../../../tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/BastionHostGet.json"
        ));
        let b = &m.bastions[0];
        assert!(!b.developer() && !b.shareable_link && !b.ip_connect && !b.tunneling);
        assert_eq!(b.sku.as_deref(), Some("Standard"));
    }
}
