//! East-west: which VMs can open RDP to which (docs/decisions.md D45, D46).
//!
//! VMs are grouped by *context*: a target context is (subnet, NIC NSG, subnet NSG, port, and
//! how each rule's destination matches the endpoint's private IP and ASGs: a rule naming one
//! VM's address sets that VM apart, an ASG only the rules that name it); a source context is
//! (subnet, NSGs, ASGs, and the private IP when an outbound rule names source prefixes). Each
//! inbound context is evaluated once over every address, each source context once per port over
//! every address; an edge A → B is then a look-up of A's address in B's inbound parts and of B's
//! address in A's outbound parts, plus the route from A's subnet to B's address. Sources only
//! meet targets in their own VNet, its peers, and the VNets an appliance on their routes can
//! forward to.

use std::net::IpAddr;

use ipnet::IpNet;
use rayon::prelude::*;

use super::super::addrset::AddrSet;
use super::super::admin::{self, AdminOutcome};
use super::super::analysis::VmAnalysis;
use super::super::evaluate::{net_eval_admin, Nsgs, Reply};
use super::super::nsg::{point_signature, Outcome, Part, Side as RuleSide, TagSets, Target};
use super::super::tags;
use super::super::types::{NetEval, PathPart, Slot, Unknown, Verdict};
use super::outbound::{self, AdminDecided, OutEval, OutPart};
use super::{slot_key, Endpoint};
use crate::engine::FastMap as Fast;
use crate::model::{AdminRule, Key, Model, NextHop, OsType, Peering, Rules, SecurityRule, Vnet};

/// A class-E range no real source uses: added to `VirtualNetwork` in the inbound evaluation so
/// that whether prefixes learned over BGP (inside `VirtualNetwork` by definition, D42) would be
/// admitted can be read off like any other address.
pub(crate) const OPEN_MARKER: &str = "240.0.0.0/8";

pub(crate) fn marker() -> AddrSet {
    OPEN_MARKER
        .parse::<IpNet>()
        .map(|n| AddrSet::from_net(&n))
        .unwrap_or_default()
}

/// What the route from the source's subnet does with the target's address (D46).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteFate {
    /// Within the VNet (`VnetLocal`).
    Direct,
    /// Over a peering of the source's VNet (its name).
    Peering(String),
    /// Through an appliance rdpaudit does not model: its address and the user route.
    Appliance { ip: String, route: String },
    /// A next hop that leaves the estate's data (`VirtualNetworkGateway`, `Internet` for a
    /// private address, a service-tag route): the route's name and next hop.
    Unknown { route: String, hop: String },
    /// The peering's far side has `allowVirtualNetworkAccess: false` (D43): named.
    PeeringRemoteDenies(String),
}

/// The rule of one NSG that decided (`rule: None`: the end of its list, the implicit deny).
/// Two pointers, so that an estate's million edges stay small.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleAt<'m> {
    pub(crate) nsg: &'m crate::model::Nsg,
    pub(crate) rule: Option<&'m SecurityRule>,
}

impl<'m> RuleAt<'m> {
    /// The rule behind `part` in `rules` (one NSG's list of the direction evaluated).
    fn of(nsg: &'m crate::model::Nsg, rules: &'m Rules, part: &Part) -> RuleAt<'m> {
        let rule = part.rule.as_ref().and_then(|r| {
            rules.iter().find(|x| {
                x.priority == r.priority && x.is_default == r.is_default && x.name == r.name
            })
        });
        RuleAt { nsg, rule }
    }
}

/// What the security admin rules of one side's VNet did with an edge (docs/decisions.md D45):
/// a `Deny` makes no edge, so only what lets it through (or leaves it open) is kept.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AdminAt<'m> {
    /// No admin rule decided: the NSGs did.
    Handed,
    /// An `AlwaysAllow` rule delivered it: this side's NSGs were skipped.
    AlwaysAllow(&'m AdminRule),
    /// A rule may match (a network group, a service tag it cannot resolve): unknown.
    Maybe(Option<&'m AdminRule>),
    /// The VNet's admin rules were not read: unknown.
    NotRead(&'m Vnet),
    /// The VNet's admin rules could not be understood (a diagnostic says why): unknown.
    Unusable(&'m Vnet),
    /// A `Deny` rule drops it (`check --from` shows it; an edge never holds it).
    Denied(Option<&'m AdminRule>),
}

/// The deciding NSG rules of one side of an edge.
#[derive(Debug, Clone)]
pub(crate) struct Side<'m> {
    pub(crate) outcome: Outcome,
    /// The NIC and the subnet level, when an NSG is there.
    pub(crate) nic: Option<RuleAt<'m>>,
    pub(crate) subnet: Option<RuleAt<'m>>,
    /// The security admin rules of this side's VNet (outbound: the source's, inbound: the
    /// target's).
    pub(crate) admin: AdminAt<'m>,
}

/// A can open RDP to B (or may: `verdict` is `Unknown`).
#[derive(Debug, Clone)]
pub(crate) struct Edge<'m> {
    /// Index of the source VM.
    pub(crate) from: usize,
    pub(crate) from_ip: IpAddr,
    pub(crate) to_ip: IpAddr,
    pub(crate) verdict: Verdict,
    pub(crate) outbound: Side<'m>,
    pub(crate) route: RouteFate,
    pub(crate) inbound: Side<'m>,
}

/// Inbound evaluation per target context.
pub(crate) struct Inbound {
    /// Endpoint index → context index.
    pub(crate) context_of: Vec<usize>,
    /// Per context: the evaluation over every address (and the open marker).
    pub(crate) evals: Vec<NetEval>,
    pub(crate) asg_members: std::sync::Arc<crate::model::IdMap<AddrSet>>,
}

fn asg_key(e: &Endpoint<'_>) -> String {
    let mut v: Vec<String> = e.ipc.asgs.iter().map(|a| a.key().folded()).collect();
    v.sort_unstable();
    v.join(",")
}

/// Whether the NSG's outbound rules name source prefixes: then a source's private IP is part of
/// its context.
fn names_source_prefixes(slot: &Slot<'_>) -> bool {
    let Slot::Present(n) = slot else { return false };
    n.outbound.iter().any(|r| !r.source.prefixes.is_empty())
}

/// Whether the outbound admin rules of the endpoint's VNet name source prefixes: then its
/// private IP is part of its context.
fn admin_names_source_prefixes(model: &Model, e: &Endpoint<'_>) -> bool {
    admin::rules_out_for(model, e.vnet)
        .iter()
        .any(|r| !r.source.prefixes.is_empty())
}

/// The tag sets of an endpoint's subnet, `VirtualNetwork` widened by the open marker.
pub(crate) fn tag_sets_for<'a>(
    model: &Model,
    e: &Endpoint<'_>,
    asgs: &'a crate::model::IdMap<AddrSet>,
) -> TagSets<'a> {
    let mut t = tags::tag_sets(model, Some((e.vnet, e.subnet)), asgs);
    t.virtual_network = t.virtual_network.union(&marker());
    t
}

/// What of an endpoint's own address and ASGs the rules of [`inbound_eval`] read: how each
/// admin rule's and each NSG rule's destination matches it (`nsg::point_signature`), per list.
/// Endpoints of one subnet, NSGs and port with the same signature are evaluated alike, whatever
/// their addresses and ASGs: a rule naming one VM's address (or an ASG) splits only the VMs it
/// names off.
fn inbound_signature(
    model: &Model,
    e: &Endpoint<'_>,
    port: u16,
    tags: &TagSets<'_>,
    out: &mut Vec<u8>,
) {
    let place = Some((e.vnet, e.subnet));
    if admin::missing(model, place).is_some() {
        return; // every address unknown, whatever the rules
    }
    let t = Target {
        dest_ip: Some(e.ip),
        dest_port: port,
        dest_asgs: &e.ipc.asgs,
        tags,
    };
    let admin = admin::rules_for(model, place)
        .iter()
        .map(|r| &r.destination);
    point_signature(admin, &t, out);
    for slot in [&e.subnet_nsg, &e.nic_nsg] {
        out.push(b'|');
        if let Slot::Present(n) = slot {
            point_signature(
                n.inbound.iter().map(|r| RuleSide::Inbound.point_spec(r)),
                &t,
                out,
            );
        }
    }
}

/// B's VNet's security admin rules, then B's subnet NSG then NIC NSG, for every address
/// (stateful: the reply is assumed). Admin rules not read make every address unknown (an
/// `AlwaysAllow` there could skip the NSGs, a `Deny` drop it; docs/decisions.md D45).
/// `tags`: the endpoint's subnet's ([`tag_sets_for`]).
pub(crate) fn inbound_eval(
    model: &Model,
    e: &Endpoint<'_>,
    port: u16,
    tags: &TagSets<'_>,
) -> NetEval {
    let place = Some((e.vnet, e.subnet));
    if admin::missing(model, place).is_some() {
        return all_unknown();
    }
    let target = Target {
        dest_ip: Some(e.ip),
        dest_port: port,
        dest_asgs: &e.ipc.asgs,
        tags,
    };
    let nsgs = Nsgs {
        subnet: &e.subnet_nsg,
        nic: &e.nic_nsg,
        sku: None,
    };
    let rules = admin::rules_for(model, place);
    net_eval_admin(&AddrSet::all(), rules, &nsgs, &target, Reply::Assumed)
}

fn all_unknown() -> NetEval {
    let all = AddrSet::all();
    NetEval {
        candidates: all.clone(),
        parts: vec![PathPart {
            set: all.clone(),
            outcome: Outcome::Unknown,
            subnet: None,
            nic: None,
        }],
        unknown: all,
        ..NetEval::default()
    }
}

/// A's VNet's outbound security admin rules, then A's NIC NSG then subnet NSG outbound, for
/// every destination on `port`.
pub(crate) fn outbound_eval(
    model: &Model,
    e: &Endpoint<'_>,
    port: u16,
    asgs: &crate::model::IdMap<AddrSet>,
) -> OutEval {
    let all = AddrSet::all();
    if let Some(why) = admin::missing_out(model, e.vnet) {
        return OutEval {
            parts: vec![OutPart {
                set: all,
                outcome: Outcome::Unknown,
                nic: None,
                subnet: None,
                admin: Some(AdminDecided::Missing(why)),
            }],
        };
    }
    let tags = tags::tag_sets(model, Some((e.vnet, e.subnet)), asgs);
    let t = Target {
        dest_ip: Some(e.ip),
        dest_port: port,
        dest_asgs: &e.ipc.asgs,
        tags: &tags,
    };
    let split = admin::split_outbound(admin::rules_out_for(model, e.vnet), &all, &t);
    let handed = admin::set_of(&split, AdminOutcome::Handed);
    let mut ev = if handed.is_empty() {
        OutEval::default()
    } else {
        outbound::evaluate(&e.nic_nsg, &e.subnet_nsg, &handed, &t)
    };
    for p in split {
        let outcome = match p.outcome {
            AdminOutcome::Handed => continue,
            AdminOutcome::Deny => Outcome::Deny,
            AdminOutcome::AlwaysAllow => Outcome::Allow,
            AdminOutcome::Unknown => Outcome::Unknown,
        };
        ev.parts.push(OutPart {
            set: p.set,
            outcome,
            nic: None,
            subnet: None,
            admin: Some(AdminDecided::Rule(p.outcome, p.rule)),
        });
    }
    ev
}

impl Inbound {
    /// `asg_members`: the evaluator's ASG member sets (computed once per model).
    pub(crate) fn new(
        model: &Model,
        vms: &[VmAnalysis<'_>],
        eps: &[Endpoint<'_>],
        asg_members: std::sync::Arc<crate::model::IdMap<AddrSet>>,
    ) -> Inbound {
        let mut index: Fast<Vec<u8>, usize> = Fast::default();
        // The first endpoint of each context, in order.
        let mut firsts = Vec::new();
        let mut context_of = Vec::with_capacity(eps.len());
        // Each subnet's tag sets once, for the signatures and the evaluations.
        let mut subnet_tags: Fast<Key<'_>, usize> = Fast::default();
        let mut tags: Vec<TagSets<'_>> = Vec::new();
        for e in eps {
            let port = vms[e.vm].port;
            let mut key = format!(
                "{}|{}|{}|{}|",
                e.subnet.id.key(),
                slot_key(&e.nic_nsg),
                slot_key(&e.subnet_nsg),
                port,
            )
            .into_bytes();
            let t = *subnet_tags.entry(e.subnet.id.key()).or_insert_with(|| {
                tags.push(tag_sets_for(model, e, &asg_members));
                tags.len() - 1
            });
            // `t` was handed out by `tags` itself.
            inbound_signature(model, e, port, &tags[t], &mut key);
            let next = firsts.len();
            let at = *index.entry(key).or_insert(next);
            if at == next {
                firsts.push((e, t));
            }
            context_of.push(at);
        }
        // Each context once, on every core.
        let evals = firsts
            .par_iter()
            .map(|&(e, t)| inbound_eval(model, e, vms[e.vm].port, &tags[t]))
            .collect();
        Inbound {
            context_of,
            evals,
            asg_members,
        }
    }

    pub(crate) fn of(&self, endpoint: usize) -> &NetEval {
        &self.evals[self.context_of[endpoint]]
    }
}

/// The NSG (and admin) rules behind an inbound part.
pub(crate) fn inbound_side<'m>(
    model: &'m Model,
    e: &Endpoint<'m>,
    ev: &NetEval,
    ip: IpAddr,
) -> Option<Side<'m>> {
    let part = ev.parts.iter().find(|p| p.set.contains(ip))?;
    // Only a part no NSG level decided can have been decided by the admin rules.
    let admin = if part.subnet.is_none() && part.nic.is_none() {
        inbound_admin(model, e, ev, ip)
    } else {
        AdminAt::Handed
    };
    Some(Side {
        outcome: part.outcome,
        nic: with_nsg(&e.nic_nsg, part.nic.as_ref(), false),
        subnet: with_nsg(&e.subnet_nsg, part.subnet.as_ref(), false),
        admin,
    })
}

fn inbound_admin<'m>(model: &'m Model, e: &Endpoint<'m>, ev: &NetEval, ip: IpAddr) -> AdminAt<'m> {
    let place = Some((e.vnet, e.subnet));
    match admin::missing(model, place) {
        Some(Unknown::AdminRulesNotRead { .. }) => return AdminAt::NotRead(e.vnet),
        Some(_) => return AdminAt::Unusable(e.vnet),
        None => {}
    }
    let rules = admin::rules_for(model, place);
    match ev.admin.iter().find(|p| p.set.contains(ip)) {
        Some(p) => admin_at(rules, p.outcome, p.rule.as_ref()),
        None => AdminAt::Handed,
    }
}

fn admin_at<'m>(
    rules: &'m [AdminRule],
    outcome: AdminOutcome,
    rule: Option<&admin::AdminRef>,
) -> AdminAt<'m> {
    let found = rule.and_then(|r| admin::find(rules, r));
    match (outcome, found) {
        (AdminOutcome::AlwaysAllow, Some(r)) => AdminAt::AlwaysAllow(r),
        (AdminOutcome::AlwaysAllow | AdminOutcome::Unknown, r) => AdminAt::Maybe(r),
        (AdminOutcome::Deny, r) => AdminAt::Denied(r),
        (AdminOutcome::Handed, _) => AdminAt::Handed,
    }
}

pub(crate) fn outbound_side<'m>(model: &'m Model, e: &Endpoint<'m>, part: &OutPart) -> Side<'m> {
    let admin = match &part.admin {
        None => AdminAt::Handed,
        Some(AdminDecided::Missing(Unknown::AdminRulesNotRead { .. })) => AdminAt::NotRead(e.vnet),
        Some(AdminDecided::Missing(_)) => AdminAt::Unusable(e.vnet),
        Some(AdminDecided::Rule(o, r)) => {
            admin_at(admin::rules_out_for(model, e.vnet), *o, r.as_ref())
        }
    };
    Side {
        outcome: part.outcome,
        nic: with_nsg(&e.nic_nsg, part.nic.as_ref(), true),
        subnet: with_nsg(&e.subnet_nsg, part.subnet.as_ref(), true),
        admin,
    }
}

/// `outbound`: the NSG's outbound list, else its inbound list.
fn with_nsg<'m>(slot: &Slot<'m>, part: Option<&Part>, outbound: bool) -> Option<RuleAt<'m>> {
    match (slot, part) {
        (Slot::Present(n), Some(p)) => {
            let rules: &'m Rules = if outbound { &n.outbound } else { &n.inbound };
            Some(RuleAt::of(n, rules, p))
        }
        _ => None,
    }
}

/// The route from `from`'s subnet to `ip` (D46); `None`: dropped.
pub(crate) fn route_to(model: &Model, from: &Endpoint<'_>, to: &Endpoint<'_>) -> Option<RouteFate> {
    let ip = to.ip;
    // (prefix length, user route, fate)
    let mut best: Option<(u8, bool, Option<RouteFate>)> = None;
    let mut consider = |len: u8, user: bool, fate: Option<RouteFate>| {
        let better = match &best {
            None => true,
            Some((l, u, _)) => len > *l || (len == *l && user && !*u),
        };
        if better {
            best = Some((len, user, fate));
        }
    };
    for p in from.vnet.address_space.iter().filter(|p| p.contains(&ip)) {
        let same = to.vnet.id.key() == from.vnet.id.key();
        consider(p.prefix_len(), false, same.then_some(RouteFate::Direct));
    }
    for peer in from.vnet.peerings.iter().filter(|p| p.connected) {
        for p in peer.remote_space.iter().filter(|p| p.contains(&ip)) {
            consider(
                p.prefix_len(),
                false,
                peering_fate(model, from.vnet, peer, to.vnet),
            );
        }
    }
    for r in from.table.iter().flat_map(|t| t.routes.iter()) {
        let Some(p) = r.prefix.filter(|p| p.contains(&ip)) else {
            continue;
        };
        let fate = match &r.next_hop {
            NextHop::None => None,
            NextHop::VnetLocal => {
                (to.vnet.id.key() == from.vnet.id.key()).then_some(RouteFate::Direct)
            }
            NextHop::VirtualAppliance => {
                appliance_fate(model, from, to, r.name.clone(), r.next_hop_ip.as_deref())
            }
            other => Some(RouteFate::Unknown {
                route: r.name.clone(),
                hop: hop_name(other),
            }),
        };
        consider(p.prefix_len(), true, fate);
    }
    // No route: Azure's default routes for private ranges drop (next hop `None`).
    best.and_then(|(_, _, f)| f)
}

fn hop_name(h: &NextHop) -> String {
    match h {
        NextHop::Internet => "Internet".into(),
        NextHop::VirtualAppliance => "VirtualAppliance".into(),
        NextHop::VirtualNetworkGateway => "VirtualNetworkGateway".into(),
        NextHop::VnetLocal => "VnetLocal".into(),
        NextHop::None => "None".into(),
        NextHop::Other(s) => s.clone(),
    }
}

/// Over a peering (D43): the client side's `allowVirtualNetworkAccess` false cuts it; the far
/// side's false makes it unknown; a far side missing from the data is assumed permissive.
fn peering_fate(model: &Model, from: &Vnet, peer: &Peering, to: &Vnet) -> Option<RouteFate> {
    if !peer.allow_access {
        return None;
    }
    if peer
        .remote_vnet
        .as_ref()
        .is_none_or(|r| r.key() != to.id.key())
    {
        return None;
    }
    let back = model
        .vnets
        .get(&to.id.key())
        .into_iter()
        .flat_map(|v| v.peerings.iter())
        .find(|q| {
            q.remote_vnet
                .as_ref()
                .is_some_and(|r| r.key() == from.id.key())
        });
    match back {
        Some(q) if !q.connected => None,
        Some(q) if !q.allow_access => Some(RouteFate::PeeringRemoteDenies(q.name.clone())),
        _ => Some(RouteFate::Peering(peer.name.clone())),
    }
}

/// Through an appliance: the target must sit in the appliance's VNet, or in a peer of it whose
/// peering back to the appliance's VNet allows forwarded traffic (D43).
fn appliance_fate(
    model: &Model,
    from: &Endpoint<'_>,
    to: &Endpoint<'_>,
    route: String,
    hop_ip: Option<&str>,
) -> Option<RouteFate> {
    let ip_text = hop_ip.unwrap_or("?").to_string();
    let fate = RouteFate::Appliance {
        ip: ip_text.clone(),
        route,
    };
    let Some(ip) = hop_ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
        return Some(fate);
    };
    let Some(nva_vnet) = vnet_holding(model, from.vnet, ip) else {
        return Some(fate);
    };
    if nva_vnet.id.key() == to.vnet.id.key() {
        return Some(fate);
    }
    let to_nva = to.vnet.peerings.iter().find(|q| {
        q.remote_vnet
            .as_ref()
            .is_some_and(|r| r.key() == nva_vnet.id.key())
    })?;
    (to_nva.connected && to_nva.allow_forwarded).then_some(fate)
}

/// The VNet (the source's own or a peer) whose address space holds `ip`.
fn vnet_holding<'m>(model: &'m Model, own: &'m Vnet, ip: IpAddr) -> Option<&'m Vnet> {
    if own.address_space.iter().any(|p| p.contains(&ip)) {
        return Some(own);
    }
    own.peerings
        .iter()
        .filter_map(|p| p.remote_vnet.as_ref())
        .filter_map(|r| model.vnets.get(&r.key()))
        .find(|v| v.address_space.iter().any(|p| p.contains(&ip)))
}

/// The VNets a source may reach: its own, its connected peers, and those an appliance on its
/// routes forwards to (the appliance's VNet and that VNet's peers).
fn near_vnets<'m>(model: &'m Model, e: &Endpoint<'m>) -> Vec<Key<'m>> {
    near_vnet_keys(model, e.vnet, e.table)
}

/// [`near_vnets`] of a source in `vnet` whose subnet routes by `table` (case-folded keys,
/// sorted): also what splits an estate into independent batches (`super::batches`).
pub(crate) fn near_vnet_keys<'m>(
    model: &'m Model,
    vnet: &'m Vnet,
    table: Option<&'m crate::model::RouteTable>,
) -> Vec<Key<'m>> {
    let mut out = vec![vnet.id.key()];
    let peers = |v: &'m Vnet| -> Vec<Key<'m>> {
        v.peerings
            .iter()
            .filter(|p| p.connected)
            .filter_map(|p| p.remote_vnet.as_ref().map(|r| r.key()))
            .collect()
    };
    out.extend(peers(vnet));
    for r in table.iter().flat_map(|t| t.routes.iter()) {
        if r.next_hop != NextHop::VirtualAppliance {
            continue;
        }
        let ip = r
            .next_hop_ip
            .as_deref()
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        if let Some(v) = ip.and_then(|ip| vnet_holding(model, vnet, ip)) {
            out.push(v.id.key());
            out.extend(peers(v));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every edge (`full`), or only those from VMs whose own RDP is reachable from the Internet.
/// Returns (target VM index, edge), at most one edge per (source, target), the best, in no
/// particular order.
pub(crate) fn edges<'m>(
    model: &'m Model,
    vms: &[VmAnalysis<'m>],
    eps: &[Endpoint<'m>],
    inbound: &Inbound,
    full: bool,
) -> Vec<(usize, Edge<'m>)> {
    let exposed: Vec<bool> = vms.iter().map(|a| a.is_exposed()).collect();
    let mut by_vnet: Fast<Key<'m>, Vec<usize>> = Fast::default();
    for (i, e) in eps.iter().enumerate() {
        if vms[e.vm].os != OsType::Linux {
            by_vnet.entry(e.vnet.id.key()).or_default().push(i);
        }
    }
    // Source contexts: endpoints sharing subnet, NSGs and ASGs (and IP when a rule needs it).
    let mut groups: Fast<String, Vec<usize>> = Fast::default();
    for (i, e) in eps.iter().enumerate() {
        if !full && !exposed[e.vm] {
            continue;
        }
        let by_ip = names_source_prefixes(&e.nic_nsg)
            || names_source_prefixes(&e.subnet_nsg)
            || admin_names_source_prefixes(model, e);
        let key = format!(
            "{}|{}|{}|{}|{}",
            e.subnet.id.key(),
            slot_key(&e.nic_nsg),
            slot_key(&e.subnet_nsg),
            asg_key(e),
            if by_ip {
                e.ip.to_string()
            } else {
                String::new()
            }
        );
        groups.entry(key).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    groups.sort();
    // Each group on its own, then merged in order: for every (target, source), the first
    // certain edge, else the first one, as when the groups were walked one after another.
    let found: Vec<Fast<(usize, usize), Edge<'m>>> = groups
        .par_iter()
        .map(|members| {
            let cx = Sources {
                model,
                vms,
                eps,
                inbound,
                by_vnet: &by_vnet,
            };
            cx.edges_from(members)
        })
        .collect();
    // Sized once: growing it moved every (large) edge again.
    let mut best: Fast<(usize, usize), Edge<'m>> =
        Fast::with_capacity_and_hasher(found.iter().map(|g| g.len()).sum(), Default::default());
    for group in found {
        for (k, edge) in group {
            keep_best(&mut best, k, edge);
        }
    }
    // One edge per (target, source), in no order: the caller sorts each target's edges by
    // source, which orders them totally.
    best.into_iter().map(|((to, _), e)| (to, e)).collect()
}

/// Keeps `edge` for `k` unless one is kept already: a certain edge replaces an uncertain one.
fn keep_best<'m>(best: &mut Fast<(usize, usize), Edge<'m>>, k: (usize, usize), edge: Edge<'m>) {
    match best.entry(k) {
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(edge);
        }
        std::collections::hash_map::Entry::Occupied(mut o) => {
            if o.get().verdict != Verdict::Reachable && edge.verdict == Verdict::Reachable {
                o.insert(edge);
            }
        }
    }
}

/// What finding the edges from one group of source endpoints needs.
struct Sources<'a, 'm> {
    model: &'m Model,
    vms: &'a [VmAnalysis<'m>],
    eps: &'a [Endpoint<'m>],
    inbound: &'a Inbound,
    by_vnet: &'a Fast<Key<'m>, Vec<usize>>,
}

impl<'m> Sources<'_, 'm> {
    /// The best edge per (target, source) from the endpoints `members`, which share a context.
    fn edges_from(&self, members: &[usize]) -> Fast<(usize, usize), Edge<'m>> {
        let (model, vms, eps, inbound) = (self.model, self.vms, self.eps, self.inbound);
        let mut best = Fast::default();
        let rep = &eps[members[0]];
        let mut outs: Fast<u16, OutEval> = Fast::default();
        for vnet in near_vnets(model, rep) {
            for &b in self.by_vnet.get(&vnet).into_iter().flatten() {
                let to = &eps[b];
                let Some(route) = route_to(model, rep, to) else {
                    continue;
                };
                let port = vms[to.vm].port;
                let out = outs
                    .entry(port)
                    .or_insert_with(|| outbound_eval(model, rep, port, &inbound.asg_members));
                let Some(op) = out.part_of(to.ip) else {
                    continue;
                };
                if op.outcome == Outcome::Deny {
                    continue;
                }
                let ev = inbound.of(b);
                for &a in members {
                    let from = &eps[a];
                    if from.vm == to.vm {
                        continue;
                    }
                    let Some(inb) = inbound_side(model, to, ev, from.ip) else {
                        continue;
                    };
                    if inb.outcome == Outcome::Deny {
                        continue;
                    }
                    let certain = op.outcome.then(inb.outcome) != Outcome::Unknown
                        && matches!(route, RouteFate::Direct | RouteFate::Peering(_));
                    let edge = Edge {
                        from: from.vm,
                        from_ip: from.ip,
                        to_ip: to.ip,
                        verdict: if certain {
                            Verdict::Reachable
                        } else {
                            Verdict::Unknown
                        },
                        outbound: outbound_side(model, from, op),
                        route: route.clone(),
                        inbound: inb,
                    };
                    keep_best(&mut best, (to.vm, from.vm), edge);
                }
            }
        }
        best
    }
}
