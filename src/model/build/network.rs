//! NICs, public IPs, VNets, load balancers, route tables and Bastion hosts.

use super::*;

pub(super) fn nic(m: &mut Model, rid: &ResId, env: Envelope<wire::NicProps>) -> Result<(), String> {
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
    // Most NICs have one configuration; a first push makes room for four.
    ip_configs.shrink_to_fit();
    for (idx, c) in ip_configs.iter().enumerate() {
        m.ip_configs
            .insert(IdKey::from(&c.id), (IdKey::from(rid), idx));
    }
    m.nics.insert(
        IdKey::from(rid),
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

pub(super) fn public_ip(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::PipProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    m.public_ips.insert(
        IdKey::from(rid),
        PublicIp {
            id: rid.clone(),
            name: name_of(&head, rid),
            sku: Sku::parse(head.sku.as_ref().and_then(|s| s.name.as_deref())),
            address: parse_ip("properties.ipAddress", &p.ip_address)?,
            dynamic: p
                .allocation
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("dynamic")),
            fqdn: p.dns_settings.as_ref().and_then(|d| d.fqdn.clone()),
        },
    );
    Ok(())
}

pub(super) fn vnet(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::VnetProps>,
) -> Result<(), String> {
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
            delegations: sp
                .delegations
                .iter()
                .flatten()
                .filter_map(|d| d.properties.as_ref()?.service_name.clone())
                .collect(),
        });
    }
    let mut peerings = Vec::new();
    for (i, pe) in p.virtual_network_peerings.iter().flatten().enumerate() {
        let Some(pp) = &pe.properties else { continue };
        peerings.push(peering_of(
            &format!("properties.virtualNetworkPeerings[{i}].properties"),
            pe.name.clone().unwrap_or_else(|| format!("peering{i}")),
            pp,
        )?);
    }
    for (idx, s) in subnets.iter().enumerate() {
        m.subnets
            .insert(IdKey::from(&s.id), (IdKey::from(rid), idx));
    }
    m.vnets.insert(
        IdKey::from(rid),
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

pub(super) fn load_balancer(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::LbProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let child_id = |id: &Option<String>, kind: &str, name: &str| match id.as_deref() {
        Some(s) if !s.trim().is_empty() => ResId::new(s),
        _ => ResId::new(&format!("{}/{kind}/{name}", rid.id)),
    };
    let mut frontends = Vec::new();
    for (i, f) in p.frontends.iter().flatten().enumerate() {
        let name = f.name.clone().unwrap_or_else(|| format!("frontend{i}"));
        let fp = f.properties.as_ref();
        frontends.push(Frontend {
            id: child_id(&f.id, "frontendIPConfigurations", &name),
            public_ip: fp.and_then(|p| reference(&p.public_ip_address)),
            // An internal frontend's address only places its private path; an unreadable one
            // leaves the path without an address (the path stays, the data decides nothing).
            private_ip: fp
                .and_then(|p| p.private_ip_address.as_deref())
                .and_then(|s| s.trim().parse().ok()),
            subnet: fp.and_then(|p| reference(&p.subnet)),
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
    let mut pool_addresses = Vec::new();
    for (i, pl) in p.backend_address_pools.iter().flatten().enumerate() {
        let name = pl.name.clone().unwrap_or_else(|| format!("pool{i}"));
        let members = pl
            .properties
            .as_ref()
            .map(|pp| references(&pp.backend_ip_configurations))
            .unwrap_or_default();
        let pool_id = child_id(&pl.id, "backendAddressPools", &name);
        let addresses = lb::pool_addresses(i, pl.properties.as_ref())?;
        if !addresses.is_empty() {
            pool_addresses.push((pool_id.clone(), addresses));
        }
        pools.push((pool_id, members));
    }
    let lb_rules = lb::lb_rules(rid, &p.load_balancing_rules)?;
    for (idx, r) in nat_rules.iter().enumerate() {
        m.nat_rules
            .insert(IdKey::from(&r.id), (IdKey::from(rid), idx));
    }
    for (idx, f) in frontends.iter().enumerate() {
        m.frontends
            .insert(IdKey::from(&f.id), (IdKey::from(rid), idx));
    }
    m.load_balancers.insert(
        IdKey::from(rid),
        LoadBalancer {
            id: rid.clone(),
            name: name_of(&head, rid),
            sku: Sku::parse(head.sku.as_ref().and_then(|s| s.name.as_deref())),
            frontends,
            nat_rules,
            pools,
            lb_rules,
            pool_addresses,
        },
    );
    Ok(())
}

pub(super) fn route_table(
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
            next_hop: NextHop::parse(hop),
            next_hop_ip: rp.next_hop_ip_address.clone(),
        });
    }
    m.route_tables.insert(
        IdKey::from(rid),
        RouteTable {
            id: rid.clone(),
            name: name_of(&head, rid),
            routes,
            disable_bgp_propagation: p.disable_bgp_route_propagation.unwrap_or(false),
        },
    );
    Ok(())
}

pub(super) fn bastion(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::BastionProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let subnets = p
        .ip_configurations
        .iter()
        .flatten()
        .filter_map(|c| c.properties.as_ref().and_then(|p| reference(&p.subnet)))
        .collect();
    let mut ip_rules = Vec::new();
    let rules = p.network_acls.as_ref().and_then(|a| a.ip_rules.as_ref());
    for (i, r) in rules.into_iter().flatten().enumerate() {
        let field = format!("properties.networkAcls.ipRules[{i}].addressPrefix");
        // Host bits are normalised (the official example writes 1.1.1.1/16).
        ip_rules.extend(prefixes(&field, &r.address_prefix, &None)?);
    }
    m.bastions.push(Bastion {
        id: rid.clone(),
        name: name_of(&head, rid),
        subnets,
        sku: head.sku.as_ref().and_then(|s| s.name.clone()),
        vnet: reference(&p.virtual_network),
        shareable_link: p.enable_shareable_link.unwrap_or(false),
        ip_connect: p.enable_ip_connect.unwrap_or(false),
        tunneling: p.enable_tunneling.unwrap_or(false),
        private_only: p.enable_private_only_bastion.unwrap_or(false),
        ip_rules,
    });
    Ok(())
}

/// A peering's properties, as a VNet's body lists them or a peering GET returns them; `at`: the
/// field path of the properties object (for diagnostics).
pub(super) fn peering_of(
    at: &str,
    name: String,
    pp: &wire::PeeringProps,
) -> Result<Peering, String> {
    Ok(Peering {
        remote_vnet: reference(&pp.remote_virtual_network),
        remote_space: prefixes(
            &format!("{at}.remoteAddressSpace.addressPrefixes"),
            &None,
            &pp.remote_address_space
                .as_ref()
                .and_then(|a| a.address_prefixes.clone()),
        )?,
        connected: pp
            .peering_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("connected")),
        use_remote_gateways: pp.use_remote_gateways.unwrap_or(false),
        name,
        allow_access: pp.allow_virtual_network_access.unwrap_or(true),
        allow_forwarded: pp.allow_forwarded_traffic.unwrap_or(false),
        allow_gateway_transit: pp.allow_gateway_transit.unwrap_or(false),
    })
}
