//! Private reach (docs/decisions.md D43, D44): virtual network gateways, local network gateways,
//! connections, and VNet peerings read as their own resources (a peering GET).

use super::*;

pub(super) fn gateway(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::GatewayProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    // The gateway's VNet is the parent of its GatewaySubnet.
    let vnet = p
        .ip_configurations
        .iter()
        .flatten()
        .filter_map(|c| c.properties.as_ref().and_then(|p| reference(&p.subnet)))
        .find_map(|s| parent_vnet(&s));
    let pool = p
        .vpn_client_configuration
        .as_ref()
        .and_then(|c| c.vpn_client_address_pool.as_ref())
        .and_then(|a| a.address_prefixes.clone());
    m.gateways.insert(
        rid.into(),
        VnetGateway {
            id: rid.clone(),
            name: name_of(&head, rid),
            vnet,
            bgp: p.enable_bgp.unwrap_or(false),
            p2s_pool: prefixes(
                "properties.vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
                &None,
                &pool,
            )?,
        },
    );
    Ok(())
}

pub(super) fn local_gateway(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::LocalGatewayProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let space = p
        .local_network_address_space
        .as_ref()
        .and_then(|a| a.address_prefixes.clone());
    m.local_gateways.insert(
        rid.into(),
        LocalGateway {
            id: rid.clone(),
            name: name_of(&head, rid),
            prefixes: prefixes(
                "properties.localNetworkAddressSpace.addressPrefixes",
                &None,
                &space,
            )?,
            bgp: p.bgp_settings.as_ref().is_some_and(|b| b.asn.is_some()),
        },
    );
    Ok(())
}

pub(super) fn connection(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::ConnectionProps>,
) -> Result<(), String> {
    let (head, p) = props(env)?;
    let kind = match p.connection_type.as_deref().map(str::to_ascii_lowercase) {
        Some(t) if t == "ipsec" => ConnectionKind::IpSec,
        Some(t) if t == "vnet2vnet" => ConnectionKind::Vnet2Vnet,
        Some(t) if t == "expressroute" => ConnectionKind::ExpressRoute,
        Some(t) if t == "vpnclient" => ConnectionKind::VpnClient,
        Some(_) => ConnectionKind::Other(p.connection_type.clone().unwrap_or_default()),
        None => return Err("field `properties.connectionType` is missing".into()),
    };
    m.connections.push(Connection {
        id: rid.clone(),
        name: name_of(&head, rid),
        kind,
        status: p.connection_status.clone(),
        gateway1: reference(&p.virtual_network_gateway1),
        gateway2: reference(&p.virtual_network_gateway2),
        local_gateway2: reference(&p.local_network_gateway2),
        bgp: p.enable_bgp.unwrap_or(false),
    });
    Ok(())
}

/// A peering read by itself (`…/virtualNetworks/{v}/virtualNetworkPeerings/{p}`): kept until the
/// model is complete, then given to its VNet unless the VNet's body already lists it.
pub(super) fn peering(
    m: &mut Model,
    rid: &ResId,
    env: Envelope<wire::PeeringProps>,
) -> Result<(), String> {
    let (head, pp) = props(env)?;
    let Some(vnet) = parent_vnet(rid) else {
        return Err("the id does not name its virtual network".into());
    };
    let peering = super::network::peering_of("properties", name_of(&head, rid), &pp)?;
    m.loose_peerings.push((vnet, peering));
    Ok(())
}

/// Gives each loose peering to its VNet (once the VNets are read); sorts connections.
pub(super) fn finish(m: &mut Model) {
    for (vnet, p) in std::mem::take(&mut m.loose_peerings) {
        if let Some(v) = m.vnets.get_mut(&vnet.key()) {
            if !v
                .peerings
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&p.name))
            {
                v.peerings.push(p);
            }
        }
    }
    m.connections.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
}

/// `…/virtualNetworks/{v}/subnets/{s}` or `…/virtualNetworks/{v}/virtualNetworkPeerings/{p}` → the VNet id.
fn parent_vnet(child: &ResId) -> Option<ResId> {
    let lower = child.id.to_ascii_lowercase();
    let at = lower.find("/providers/microsoft.network/virtualnetworks/")?;
    let rest = &child.id[at + "/providers/microsoft.network/virtualnetworks/".len()..];
    let name = rest.split('/').next().filter(|n| !n.is_empty())?;
    let end = at + "/providers/microsoft.network/virtualnetworks/".len() + name.len();
    Some(ResId::new(&child.id[..end]))
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    /// The response body of an official example (`responses.200.body`).
    fn body(text: &str) -> Box<RawValue> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        serde_json::value::to_raw_value(&v["responses"]["200"]["body"]).unwrap()
    }

    const DIR: &str = "tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/";

    fn load(names: &[&str]) -> crate::model::Model {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
        let bodies: Vec<Box<RawValue>> = names
            .iter()
            .map(|n| body(&std::fs::read_to_string(root.join(n)).unwrap()))
            .collect();
        let refs: Vec<&RawValue> = bodies.iter().map(|b| b.as_ref()).collect();
        crate::model::build(&refs)
    }

    #[test]
    fn official_gateway_bodies_load() {
        let m = load(&[
            "VirtualNetworkGatewayGet.json",
            "LocalNetworkGatewayGet.json",
        ]);
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        let g = m.gateways.values().next().unwrap();
        assert_eq!(g.name, "vpngw");
        assert_eq!(g.vnet.as_ref().unwrap().name(), "vnet1");
        assert!(!g.bgp);
        assert!(g.p2s_pool.is_empty(), "the example has no client pool");
        let l = m.local_gateways.values().next().unwrap();
        assert_eq!(l.prefixes, vec!["10.1.0.0/16".parse().unwrap()]);
    }

    #[test]
    fn official_peering_joins_its_vnet() {
        let m = load(&["VirtualNetworkPeeringGet.json"]);
        assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
        assert!(m.loose_peerings.is_empty());
        // No parent VNet in the data: the peering has nowhere to go and is dropped.
        assert!(m.vnets.is_empty());
        let vnet = r#"{"id": "/subscriptions/subid/resourceGroups/peerTest/providers/Microsoft.Network/virtualNetworks/vnet1",
            "type": "Microsoft.Network/virtualNetworks", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}"#;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
        let peering =
            body(&std::fs::read_to_string(root.join("VirtualNetworkPeeringGet.json")).unwrap());
        let v = RawValue::from_string(vnet.to_string()).unwrap();
        let m = crate::model::build(&[peering.as_ref(), v.as_ref()]);
        let p = &m.vnets.values().next().unwrap().peerings[0];
        assert_eq!(p.name, "peer");
        assert!(p.allow_access && p.allow_forwarded && !p.allow_gateway_transit);
        assert!(!p.connected, "Initiated carries no traffic");
    }

    #[test]
    fn connections_read_their_ends() {
        let c = r#"{"id": "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/connections/c1",
            "type": "Microsoft.Network/connections", "properties": {"connectionType": "IPsec",
            "connectionStatus": "Connected",
            "virtualNetworkGateway1": {"id": "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/virtualNetworkGateways/gw"},
            "localNetworkGateway2": {"id": "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/localNetworkGateways/onprem"}}}"#;
        let bad = r#"{"id": "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/connections/c2",
            "type": "Microsoft.Network/connections", "properties": {}}"#;
        let raws: Vec<Box<RawValue>> = [c, bad]
            .iter()
            .map(|t| RawValue::from_string(t.to_string()).unwrap())
            .collect();
        let refs: Vec<&RawValue> = raws.iter().map(|b| b.as_ref()).collect();
        let m = crate::model::build(&refs);
        assert_eq!(m.connections.len(), 1);
        assert_eq!(m.connections[0].kind, super::ConnectionKind::IpSec);
        assert_eq!(
            m.connections[0].local_gateway2.as_ref().unwrap().name(),
            "onprem"
        );
        assert!(
            m.diagnostics[0].message.contains("connectionType"),
            "{:?}",
            m.diagnostics
        );
        assert!(m.broken.keys().any(|k| k.id.ends_with("/connections/c2")));
    }
}
