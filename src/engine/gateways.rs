//! Which networks outside Azure (and other VNets over Vnet2Vnet) a VNet hears from through a
//! virtual network gateway: its own, or a peer's through gateway transit (docs/decisions.md
//! D43, D44). Pure: from the model only. Feeds the `VirtualNetwork` tag (D42) and the source
//! classes of the lateral analysis.

use ipnet::IpNet;

use crate::model::{Connection, ConnectionKind, LocalGateway, Model, ResId, Vnet, VnetGateway};

/// What a gateway source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GatewayClass {
    /// Site-to-site: a local network gateway's prefixes, BGP, or ExpressRoute.
    OnPremises,
    /// Point-to-site clients (`vpnClientAddressPool`).
    PointToSite,
    /// Another VNet over a `Vnet2Vnet` connection.
    Vnet2Vnet,
}

/// Why a gateway source's prefixes are not (all) in the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenReason {
    /// BGP is enabled (on the gateway, the connection or the local gateway): on-premises may
    /// advertise prefixes the configuration does not show.
    Bgp,
    /// ExpressRoute: the prefixes come from the circuit's BGP sessions.
    ExpressRoute,
    /// The connection names a local network gateway (or remote gateway) that is not in the data.
    Missing(String),
    /// A connection type rdpaudit does not read (`VPNClient`, …).
    OtherType(String),
}

/// One set of sources a gateway brings into a VNet.
#[derive(Debug, Clone)]
pub(crate) struct GatewaySource<'m> {
    pub(crate) class: GatewayClass,
    pub(crate) gateway: &'m VnetGateway,
    pub(crate) connection: Option<&'m Connection>,
    pub(crate) local: Option<&'m LocalGateway>,
    /// The prefixes the data shows.
    pub(crate) prefixes: Vec<IpNet>,
    /// Set when more prefixes may arrive than the data shows.
    pub(crate) open: Option<OpenReason>,
    /// The peering of the VNet through which the (hub's) gateway is used, for transit.
    pub(crate) transit: Option<String>,
}

impl GatewaySource<'_> {
    /// The name to show: the local gateway, connection or gateway.
    pub(crate) fn name(&self) -> &str {
        match (self.class, self.local, self.connection) {
            (GatewayClass::PointToSite, _, _) => &self.gateway.name,
            (_, Some(l), _) => &l.name,
            (_, None, Some(c)) => &c.name,
            _ => &self.gateway.name,
        }
    }
}

/// The gateways whose sources reach `vnet`: its own, and a peer's when this VNet's peering has
/// `useRemoteGateways` and the peer's side (when in the data) has `allowGatewayTransit`.
pub(crate) fn gateways_for<'m>(
    model: &'m Model,
    vnet: &Vnet,
) -> Vec<(&'m VnetGateway, Option<String>)> {
    if model.gateways.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(&VnetGateway, Option<String>)> = Vec::new();
    let on = |v: &ResId| {
        let mut gws: Vec<&'m VnetGateway> = model
            .gateways
            .values()
            .filter(|g| g.vnet.as_ref().is_some_and(|gv| gv.key() == v.key()))
            .collect();
        gws.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        gws
    };
    out.extend(on(&vnet.id).into_iter().map(|g| (g, None)));
    for p in vnet
        .peerings
        .iter()
        .filter(|p| p.connected && p.use_remote_gateways)
    {
        let Some(remote) = &p.remote_vnet else {
            continue;
        };
        let transit = match model.vnets.get(&remote.key()) {
            // The hub's side must allow transit; a side missing from the data is assumed to.
            Some(hub) => hub
                .peerings
                .iter()
                .filter(|q| {
                    q.remote_vnet
                        .as_ref()
                        .is_some_and(|r| r.key() == vnet.id.key())
                })
                .all(|q| q.allow_gateway_transit),
            None => true,
        };
        if transit {
            out.extend(on(remote).into_iter().map(|g| (g, Some(p.name.clone()))));
        }
    }
    out
}

/// Every gateway source of `vnet` (D44).
pub(crate) fn sources_for<'m>(model: &'m Model, vnet: &Vnet) -> Vec<GatewaySource<'m>> {
    let mut out = Vec::new();
    for (g, transit) in gateways_for(model, vnet) {
        let base = GatewaySource {
            class: GatewayClass::PointToSite,
            gateway: g,
            connection: None,
            local: None,
            prefixes: Vec::new(),
            open: None,
            transit,
        };
        if !g.p2s_pool.is_empty() {
            out.push(GatewaySource {
                prefixes: g.p2s_pool.clone(),
                ..base.clone()
            });
        }
        let conns = model
            .connections
            .iter()
            .filter(|c| c.gateway1.as_ref().is_some_and(|x| x.key() == g.id.key()));
        for c in conns {
            out.push(connection_source(model, &base, g, c));
        }
    }
    out
}

fn connection_source<'m>(
    model: &'m Model,
    base: &GatewaySource<'m>,
    g: &'m VnetGateway,
    c: &'m Connection,
) -> GatewaySource<'m> {
    let mut s = GatewaySource {
        class: GatewayClass::OnPremises,
        connection: Some(c),
        ..base.clone()
    };
    match &c.kind {
        ConnectionKind::IpSec => {
            let local = c
                .local_gateway2
                .as_ref()
                .and_then(|l| model.local_gateways.get(&l.key()));
            match local {
                Some(l) => {
                    s.local = Some(l);
                    s.prefixes = l.prefixes.clone();
                    if g.bgp || c.bgp || l.bgp {
                        s.open = Some(OpenReason::Bgp);
                    }
                }
                None => {
                    let name = c.local_gateway2.as_ref().map(|l| l.name().to_string());
                    s.open = Some(OpenReason::Missing(
                        name.unwrap_or_else(|| "localNetworkGateway2".into()),
                    ));
                }
            }
        }
        ConnectionKind::Vnet2Vnet => {
            s.class = GatewayClass::Vnet2Vnet;
            let remote = c
                .gateway2
                .as_ref()
                .and_then(|r| model.gateways.get(&r.key()))
                .and_then(|rg| rg.vnet.as_ref())
                .and_then(|v| model.vnets.get(&v.key()));
            match remote {
                Some(v) => s.prefixes = v.address_space.clone(),
                None => {
                    let name = c.gateway2.as_ref().map(|r| r.name().to_string());
                    s.open = Some(OpenReason::Missing(
                        name.unwrap_or_else(|| "virtualNetworkGateway2".into()),
                    ));
                }
            }
        }
        ConnectionKind::ExpressRoute => s.open = Some(OpenReason::ExpressRoute),
        ConnectionKind::VpnClient => s.open = Some(OpenReason::OtherType("VPNClient".into())),
        ConnectionKind::Other(t) => s.open = Some(OpenReason::OtherType(t.clone())),
    }
    s
}

/// The prefixes the gateways bring into `vnet` (for the `VirtualNetwork` tag, D42); computed
/// for every VNet at the first call.
pub(crate) fn prefixes_for<'m>(model: &'m Model, vnet: &Vnet) -> &'m [IpNet] {
    if model.gateways.is_empty() {
        return &[];
    }
    let all = model.gateway_prefixes.get_or_init(|| {
        model
            .vnets
            .values()
            .map(|v| {
                let p: Vec<IpNet> = sources_for(model, v)
                    .into_iter()
                    .flat_map(|s| s.prefixes)
                    .collect();
                (crate::model::IdKey::from(&v.id), p)
            })
            .collect()
    });
    all.get(&vnet.id.key()).map(Vec::as_slice).unwrap_or(&[])
}
