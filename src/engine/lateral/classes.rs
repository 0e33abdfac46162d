//! A VM's RDP sources split into named classes (docs/decisions.md D42–D44): each an exact set
//! of addresses that can open RDP, the addresses that may (unknown), and the rules that decide.

use super::super::addrset::AddrSet;
use super::super::analysis::VmAnalysis;

use super::super::gateways::{self, GatewayClass, GatewaySource, OpenReason};
use super::super::nsg::{Outcome, Part};
use super::super::tags::AZURE_HOST;
use super::super::types::{NetEval, PathKind, Slot};
use super::eastwest::{marker, Inbound};
use super::Endpoint;
use crate::model::{Model, Nsg, ResId, Vnet};

/// The source classes (fixed names in the JSON report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ClassKind {
    Internet,
    Vnet,
    Peered,
    OnPremises,
    PointToSite,
    Bastion,
    AzurePlatform,
}

impl ClassKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClassKind::Internet => "internet",
            ClassKind::Vnet => "vnet",
            ClassKind::Peered => "peered",
            ClassKind::OnPremises => "onPremises",
            ClassKind::PointToSite => "pointToSite",
            ClassKind::Bastion => "bastion",
            ClassKind::AzurePlatform => "azurePlatform",
        }
    }

    /// Sources outside Azure arriving over a gateway (RDP811).
    pub(crate) fn is_gateway(self) -> bool {
        matches!(self, ClassKind::OnPremises | ClassKind::PointToSite)
    }
}

/// Why part of a class is `unknown` rather than decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClassNote {
    /// The gateway's prefixes are not all in the data (BGP, ExpressRoute, a missing resource).
    Open(OpenReason),
    /// This VNet's own peering has `allowVirtualNetworkAccess: false` while the peer's allows
    /// (D43: "traffic doesn't flow" is not said per direction).
    OwnPeeringDenies(String),
}

/// One NSG rule deciding part of a class.
#[derive(Debug, Clone)]
pub(crate) struct Decider<'m> {
    pub(crate) nsg: &'m Nsg,
    pub(crate) part: Part,
}

/// One class of sources and what it can do to the VM's RDP.
#[derive(Debug, Clone)]
pub(crate) struct ClassReach<'m> {
    pub(crate) kind: ClassKind,
    /// Subnet, peering, local gateway, gateway or Bastion name.
    pub(crate) name: String,
    /// The resource the class comes from.
    pub(crate) resource: Option<ResId>,
    /// The gateway and, for a hub's gateway, the peering used for transit.
    pub(crate) via: Option<String>,
    /// `connectionStatus` of the connection, as written.
    pub(crate) status: Option<String>,
    /// Can open RDP.
    pub(crate) reachable: AddrSet,
    /// May: the data cannot decide.
    pub(crate) unknown: AddrSet,
    /// Prefixes beyond the data (BGP, ExpressRoute) would be admitted.
    pub(crate) open_admitted: bool,
    pub(crate) note: Option<ClassNote>,
    pub(crate) rules: Vec<Decider<'m>>,
}

impl ClassReach<'_> {
    /// Some source of this class can (or may) open RDP.
    pub(crate) fn reaches(&self) -> bool {
        !self.reachable.is_empty() || !self.unknown.is_empty() || self.open_admitted
    }
}

fn new_class<'m>(kind: ClassKind, name: &str, resource: Option<ResId>) -> ClassReach<'m> {
    ClassReach {
        kind,
        name: name.to_string(),
        resource,
        via: None,
        status: None,
        reachable: AddrSet::empty(),
        unknown: AddrSet::empty(),
        open_admitted: false,
        note: None,
        rules: Vec::new(),
    }
}

/// The rules of the parts of `ev` that admit (or may admit) some address of `set`.
fn deciders<'m>(
    ev: &NetEval,
    set: &AddrSet,
    subnet: &Slot<'m>,
    nic: &Slot<'m>,
) -> Vec<Decider<'m>> {
    let mut out: Vec<Decider<'m>> = Vec::new();
    for p in ev
        .parts
        .iter()
        .filter(|p| p.outcome != Outcome::Deny && p.set.intersects(set))
    {
        for (slot, part) in [(subnet, &p.subnet), (nic, &p.nic)] {
            if let (Slot::Present(n), Some(part)) = (slot, part) {
                if part.rule.is_some()
                    && !out
                        .iter()
                        .any(|d| d.nsg.id == n.id && d.part.rule == part.rule)
                {
                    out.push(Decider {
                        nsg: n,
                        part: part.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Fills a class from the inbound evaluation over `set`.
fn fill<'m>(
    mut c: ClassReach<'m>,
    ev: &NetEval,
    set: &AddrSet,
    e: &Endpoint<'m>,
) -> ClassReach<'m> {
    c.reachable = ev.admitted.intersect(set);
    c.unknown = ev.unknown.intersect(set);
    c.rules = deciders(ev, set, &e.subnet_nsg, &e.nic_nsg);
    c
}

/// The classes of VM `index` (its first endpoint in a known subnet), only those that reach.
/// `at`: the index of the VM's first endpoint; `cache`: gateway sources by VNet key.
pub(crate) fn classes_for<'m>(
    model: &'m Model,
    vm: &VmAnalysis<'m>,
    at: Option<usize>,
    eps: &[Endpoint<'m>],
    inbound: &Inbound,
    gateways: &crate::engine::FastMap<crate::model::Key<'m>, Vec<GatewaySource<'m>>>,
) -> Vec<ClassReach<'m>> {
    let mut out = internet_and_bastion(vm);
    let Some((at, e)) = at.and_then(|i| Some((i, eps.get(i)?))) else {
        return out;
    };
    let ev = inbound.of(at);
    for s in &e.vnet.subnets {
        let set = AddrSet::from_nets(&s.prefixes);
        out.push(fill(
            new_class(ClassKind::Vnet, &s.name, Some(s.id.clone())),
            ev,
            &set,
            e,
        ));
    }
    out.extend(peered(model, e.vnet, ev, e));
    let computed;
    let sources = match gateways.get(&e.vnet.id.key()) {
        Some(s) => s,
        None => {
            computed = gateways::sources_for(model, e.vnet);
            &computed
        }
    };
    for g in sources.iter() {
        let kind = match g.class {
            GatewayClass::OnPremises => ClassKind::OnPremises,
            GatewayClass::PointToSite => ClassKind::PointToSite,
            GatewayClass::Vnet2Vnet => ClassKind::Peered,
        };
        let resource = g
            .local
            .map(|l| l.id.clone())
            .or_else(|| g.connection.map(|c| c.id.clone()))
            .unwrap_or_else(|| g.gateway.id.clone());
        let mut c = new_class(kind, g.name(), Some(resource));
        c.via = Some(match &g.transit {
            Some(p) => format!("{} (gateway transit over peering {p})", g.gateway.name),
            None => g.gateway.name.clone(),
        });
        c.status = g.connection.and_then(|x| x.status.clone());
        let set = AddrSet::from_nets(&g.prefixes);
        let mut c = fill(c, ev, &set, e);
        if let Some(open) = g.open.clone() {
            let m = marker();
            c.open_admitted = ev.admitted.intersects(&m) || ev.unknown.intersects(&m);
            if c.open_admitted {
                c.rules.extend(deciders(ev, &m, &e.subnet_nsg, &e.nic_nsg));
            }
            c.note = Some(ClassNote::Open(open));
        }
        out.push(c);
    }
    if let Ok(host) = AZURE_HOST.parse::<ipnet::IpNet>() {
        let set = AddrSet::from_net(&host);
        out.push(fill(
            new_class(ClassKind::AzurePlatform, "AzureLoadBalancer", None),
            ev,
            &set,
            e,
        ));
    }
    out.retain(ClassReach::reaches);
    out
}

/// The Internet class (the direct paths' exposure) and one class per Bastion that reaches.
fn internet_and_bastion<'m>(vm: &VmAnalysis<'m>) -> Vec<ClassReach<'m>> {
    let mut out = Vec::new();
    let exposed = vm.exposed();
    if !exposed.is_empty() {
        let mut c = new_class(ClassKind::Internet, "Internet", None);
        for p in vm.direct_paths().filter(|p| p.is_exposed()) {
            c.rules.extend(deciders(
                &p.internet,
                &p.exposed(),
                &p.subnet_nsg,
                &p.nic_nsg,
            ));
        }
        c.reachable = exposed;
        out.push(c);
    }
    for p in vm.paths.iter().filter(|p| p.kind == PathKind::Bastion) {
        let Some(b) = p.bastion else { continue };
        if p.client.reachable.is_empty() && p.client.unknown.is_empty() {
            continue;
        }
        let mut c = new_class(ClassKind::Bastion, &b.name, Some(b.id.clone()));
        c.reachable = p.client.reachable.clone();
        c.unknown = p.client.unknown.clone();
        c.rules = deciders(&p.client, &p.client.candidates, &p.subnet_nsg, &p.nic_nsg);
        out.push(c);
    }
    out
}

/// One class per connected peering of the VM's VNet whose far side lets its VMs in (D43).
fn peered<'m>(model: &Model, vnet: &Vnet, ev: &NetEval, e: &Endpoint<'m>) -> Vec<ClassReach<'m>> {
    let mut out = Vec::new();
    for p in vnet.peerings.iter().filter(|p| p.connected) {
        let far = p
            .remote_vnet
            .as_ref()
            .and_then(|r| model.vnets.get(&r.key()))
            .and_then(|v| {
                v.peerings.iter().find(|q| {
                    q.remote_vnet
                        .as_ref()
                        .is_some_and(|r| r.key() == vnet.id.key())
                })
            });
        if far.is_some_and(|q| !q.allow_access || !q.connected) {
            continue; // the peer's VMs may not come here
        }
        let set = AddrSet::from_nets(&p.remote_space);
        let mut c = fill(
            new_class(ClassKind::Peered, &p.name, p.remote_vnet.clone()),
            ev,
            &set,
            e,
        );
        if !p.allow_access {
            c.unknown = c.unknown.union(&c.reachable);
            c.reachable = AddrSet::empty();
            c.note = Some(ClassNote::OwnPeeringDenies(p.name.clone()));
        }
        out.push(c);
    }
    out
}
