//! Who inside can reach a VM's RDP (docs/decisions.md D42–D47).
//!
//! - `classes`: each VM's RDP sources split into named classes (internet, vnet by subnet,
//!   peered, onPremises, pointToSite, bastion, azurePlatform), each an exact set with the rules
//!   that decide it.
//! - `outbound`: a sending VM's NIC and subnet NSGs, outbound.
//! - `eastwest`: which VMs can open RDP to which, computed per *context* (VMs with the same
//!   subnet, NSGs and ASGs share one outbound and one inbound evaluation), not per pair.
//!
//! Without `--lateral` only the edges RDP812 needs are computed: those leaving a VM whose own
//! RDP is reachable from the Internet.

pub(crate) mod batches;
pub(crate) mod classes;
pub(crate) mod eastwest;
pub(crate) mod outbound;
pub(crate) mod trace;

use rayon::prelude::*;
use std::net::IpAddr;

use super::analysis::VmAnalysis;
use super::types::ResourceKind;
use super::types::{Slot, Unusable};
use crate::model::{IpConfig, Model, ResId, RouteTable, Subnet, Vnet};

pub(crate) use classes::{ClassKind, ClassReach};
pub(crate) use eastwest::{Edge, RouteFate};

/// How far the data reaches for stepping stones (RDP812) and east-west sources (D47).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchReach {
    /// Every VM of the data was a candidate, and the data holds the estate (a snapshot, a
    /// subscription-wide live run).
    Data,
    /// A live run limited to one VM or to resource groups read only what its scope references:
    /// stepping stones elsewhere are not in the data, so a missing RDP812 proves nothing.
    CollectedScope,
}

/// One IP configuration of a VM that has a private address in a known subnet.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint<'m> {
    /// Index of the VM in the analyses given to [`analyse`].
    pub(crate) vm: usize,
    pub(crate) ip: IpAddr,
    pub(crate) ipc: &'m IpConfig,
    pub(crate) vnet: &'m Vnet,
    pub(crate) subnet: &'m Subnet,
    pub(crate) nic_nsg: Slot<'m>,
    pub(crate) subnet_nsg: Slot<'m>,
    pub(crate) table: Option<&'m RouteTable>,
}

/// A VM's lateral picture: the source classes that reach its RDP, and the VMs that can.
#[derive(Debug, Clone, Default)]
pub(crate) struct VmLateral<'m> {
    pub(crate) classes: Vec<ClassReach<'m>>,
    /// Edges into this VM, one per source VM (the best endpoint pair), sorted by source.
    pub(crate) edges: Vec<Edge<'m>>,
    /// `check --from`: the traced source.
    pub(crate) trace: Option<trace::Trace<'m>>,
}

/// The lateral analysis of an estate.
#[derive(Debug, Default)]
pub(crate) struct Lateral<'m> {
    /// Parallel to the analyses given to [`analyse`].
    pub(crate) vms: Vec<VmLateral<'m>>,
}

impl<'m> Lateral<'m> {
    /// The lateral picture of the VM at `index`.
    pub(crate) fn of(&self, index: usize) -> Option<&VmLateral<'m>> {
        self.vms.get(index)
    }
}

/// The lateral analysis: classes for every VM, edges from every VM (`full`) or only from the
/// Internet-exposed ones (what RDP812 needs).
/// `asgs`: the ASG member sets of the model (the evaluator's).
pub(crate) fn analyse<'m>(
    model: &'m Model,
    vms: &[VmAnalysis<'m>],
    full: bool,
    asgs: std::sync::Arc<crate::model::IdMap<crate::engine::AddrSet>>,
) -> Lateral<'m> {
    let endpoints = endpoints(model, vms);
    let mut out: Vec<VmLateral<'m>> = vec![VmLateral::default(); vms.len()];
    let inbound = eastwest::Inbound::new(model, vms, &endpoints, asgs);
    let mut first: Vec<Option<usize>> = vec![None; vms.len()];
    for (i, e) in endpoints.iter().enumerate().rev() {
        first[e.vm] = Some(i);
    }
    // Each VNet's gateway sources once, then every VM's classes on every core.
    let mut gateways = crate::engine::FastMap::default();
    for e in first.iter().flatten().filter_map(|&i| endpoints.get(i)) {
        gateways
            .entry(e.vnet.id.key())
            .or_insert_with(|| crate::engine::gateways::sources_for(model, e.vnet));
    }
    let classes: Vec<_> = vms
        .par_iter()
        .enumerate()
        .map(|(i, vm)| classes::classes_for(model, vm, first[i], &endpoints, &inbound, &gateways))
        .collect();
    for (o, c) in out.iter_mut().zip(classes) {
        o.classes = c;
    }
    for (to, edge) in eastwest::edges(model, vms, &endpoints, &inbound, full) {
        out[to].edges.push(edge);
    }
    for v in &mut out {
        v.edges.sort_by_key(|e| e.from);
    }
    Lateral { vms: out }
}

/// Every VM's IP configurations with a private address in a subnet of the data.
pub(crate) fn endpoints<'m>(model: &'m Model, vms: &[VmAnalysis<'m>]) -> Vec<Endpoint<'m>> {
    let mut out = Vec::new();
    for (i, a) in vms.iter().enumerate() {
        let Some(vm) = a.arm else { continue };
        for (nic_id, _) in &vm.nics {
            let Some(nic) = model.nics.get(&nic_id.key()) else {
                continue;
            };
            for ipc in &nic.ip_configs {
                let (Some(ip), Some(sid)) = (ipc.private_ip, &ipc.subnet) else {
                    continue;
                };
                let Some((vnet, subnet)) = model.subnet(sid) else {
                    continue;
                };
                out.push(Endpoint {
                    vm: i,
                    ip,
                    ipc,
                    vnet,
                    subnet,
                    nic_nsg: slot(model, nic.nsg.as_ref()),
                    subnet_nsg: slot(model, subnet.nsg.as_ref()),
                    table: subnet
                        .route_table
                        .as_ref()
                        .and_then(|r| model.route_tables.get(&r.key())),
                });
            }
        }
    }
    out
}

fn slot<'m>(model: &'m Model, r: Option<&ResId>) -> Slot<'m> {
    match r {
        None => Slot::None,
        Some(id) => match model.nsgs.get(&id.key()) {
            Some(n) => Slot::Present(n),
            None => Slot::Unusable(
                id.clone(),
                Unusable::of(model, id, ResourceKind::NetworkSecurityGroup),
            ),
        },
    }
}

fn slot_key(s: &Slot<'_>) -> String {
    match s {
        Slot::None => String::new(),
        Slot::Present(n) => n.id.key().folded(),
        Slot::Unusable(id, _) => format!("!{}", id.key()),
    }
}
