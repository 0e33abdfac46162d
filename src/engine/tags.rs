//! Service-tag expansion for one subnet (docs/decisions.md D8).

use ipnet::IpNet;

use super::addrset::AddrSet;
use super::nsg::TagSets;
use crate::model::net::parse_prefix;
use crate::model::{Model, Subnet, Vnet};

/// The Azure host address (DNS, health probes, agent). Never an RDP client.
pub(crate) const AZURE_HOST: &str = "168.63.129.16/32";

/// IPv4 ranges that are never public Internet addresses (docs/decisions.md D8).
const NOT_INTERNET_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
    AZURE_HOST,
];

fn nets(list: &[&str]) -> AddrSet {
    let v: Vec<IpNet> = list.iter().filter_map(|s| parse_prefix(s)).collect();
    AddrSet::from_nets(&v)
}

/// The public address space: IPv4 minus the reserved ranges, IPv6 global unicast (2000::/3).
pub fn public_space() -> AddrSet {
    public().clone()
}

/// [`public_space`], computed once: every path and proof asks for it (≈ 5 % of an audit's
/// cycles when built from the prefix list each time).
fn public() -> &'static AddrSet {
    static SPACE: std::sync::OnceLock<AddrSet> = std::sync::OnceLock::new();
    SPACE.get_or_init(|| {
        let v4 = AddrSet::all().difference(&nets(NOT_INTERNET_V4));
        let v6 = nets(&["2000::/3"]);
        AddrSet {
            v4: v4.v4,
            v6: v6.v6,
        }
    })
}

/// Every address outside [`public_space`], computed once (each finding's message describes a
/// set with it).
fn not_public() -> &'static AddrSet {
    static REST: std::sync::OnceLock<AddrSet> = std::sync::OnceLock::new();
    REST.get_or_init(|| public().complement())
}

/// `Internet` for a VNet: the public space minus the VNet's own address space.
pub(crate) fn internet_for(vnet: Option<&Vnet>) -> AddrSet {
    let space = vnet
        .map(|v| AddrSet::from_nets(&v.address_space))
        .unwrap_or_default();
    public_space().difference(&space)
}

/// `VirtualNetwork` for a subnet: the VNet's spaces ∪ connected peers' spaces ∪ the prefixes of
/// the subnet's user routes (a `0.0.0.0/0` route makes it every address) ∪ the Azure host.
/// <https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags>
pub(crate) fn virtual_network_for(model: &Model, vnet: &Vnet, subnet: &Subnet) -> AddrSet {
    let mut v: Vec<IpNet> = vnet.address_space.clone();
    for p in vnet.peerings.iter().filter(|p| p.connected) {
        v.extend(p.remote_space.iter().copied());
    }
    if let Some(rt) = subnet
        .route_table
        .as_ref()
        .and_then(|r| model.route_tables.get(&r.key()))
    {
        v.extend(rt.routes.iter().filter_map(|r| r.prefix));
    }
    v.extend(parse_prefix(AZURE_HOST));
    // Connected on-premises spaces and point-to-site pools (docs/decisions.md D42).
    v.extend(super::gateways::prefixes_for(model, vnet).iter().copied());
    AddrSet::from_nets(&v)
}

/// Private addresses of the members of every ASG (membership lives on NIC IP configurations).
pub(crate) fn asg_members(model: &Model) -> crate::model::IdMap<AddrSet> {
    let mut m: crate::model::IdMap<Vec<IpNet>> = crate::model::IdMap::default();
    for nic in model.nics.values() {
        for c in &nic.ip_configs {
            let Some(ip) = c.private_ip else { continue };
            for a in &c.asgs {
                m.entry(crate::model::IdKey::from(a))
                    .or_default()
                    .push(IpNet::from(ip));
            }
        }
    }
    m.into_iter()
        .map(|(k, v)| (k, AddrSet::from_nets(&v)))
        .collect()
}

/// All tag expansions for a subnet (or for no VNet at all, e.g. a classic VM).
pub(crate) fn tag_sets<'a>(
    model: &Model,
    place: Option<(&Vnet, &Subnet)>,
    asgs: &'a crate::model::IdMap<AddrSet>,
) -> TagSets<'a> {
    let host = nets(&[AZURE_HOST]);
    TagSets {
        internet: internet_for(place.map(|p| p.0)),
        virtual_network: match place {
            Some((v, s)) => virtual_network_for(model, v, s),
            None => host.clone(),
        },
        azure_load_balancer: host,
        asg_members: asgs,
    }
}

/// The shortest exact description of `set ∩ candidates` as CIDRs. When the candidates are public
/// addresses (the Internet, a `--client-ip`), non-public ranges may fill gaps, so admitting the
/// whole Internet prints as `0.0.0.0/0`; private candidates (a Bastion subnet) print exactly.
pub(crate) fn minimal_cidrs(set: &AddrSet, candidates: &AddrSet) -> Vec<IpNet> {
    if candidates.is_subset(public()) {
        set.to_cidrs_within(candidates, not_public())
    } else {
        set.intersect(candidates).to_cidrs()
    }
}
