//! Azure Firewall DNAT paths (docs/decisions.md D25–D31): which DNAT rules translate to a VM's
//! private IP and RDP port, in the order the firewall processes them, and how such a path is
//! judged — the clients are the rule's sources, but the VM's NSGs see the firewall's own
//! addresses (SNAT, D27), so they can only let the whole rule through or stop it.

use std::collections::HashSet;
use std::net::IpAddr;

use super::addrset::{AddrSet, RangeSet};
use super::types::*;
use crate::model::doors::*;
use crate::model::*;

/// What a DNAT path carries beside the common topology.
#[derive(Debug, Clone)]
pub(crate) struct DnatEntry<'m> {
    pub(crate) firewall: &'m Firewall,
    pub(crate) policy: Option<&'m FirewallPolicy>,
    pub(crate) group: Option<&'m RuleGroup>,
    pub(crate) collection: Option<&'m DnatCollection>,
    pub(crate) rule: Option<&'m DnatRule>,
    /// Who can connect: the rule's sources and IP Groups, minus what earlier rules take.
    pub(crate) clients: AddrSet,
    /// The firewall's `AzureFirewallSubnet`: the source the VM's NSGs see.
    pub(crate) snat: AddrSet,
    pub(crate) translated: Option<IpAddr>,
    /// Forced tunnelling without a Management NIC: DNAT is not supported (D28 (c)).
    pub(crate) forced: Option<ForcedTunnel>,
}

/// One DNAT rule in the firewall's processing order (D26).
struct Ordered<'m> {
    policy: Option<&'m FirewallPolicy>,
    group: Option<&'m RuleGroup>,
    collection: &'m DnatCollection,
    rule: &'m DnatRule,
    /// (policy depth from the root parent, group priority, collection priority).
    pos: (usize, u32, u32),
    clients: AddrSet,
    /// IP Groups the rule names that are not usable.
    missing_groups: Vec<Unusable>,
}

/// One firewall, ready for path building.
struct FwRules<'m> {
    fw: &'m Firewall,
    rules: Vec<Ordered<'m>>,
    /// What makes every path of this firewall unknown (missing policy or group, SNAT range).
    gaps: Vec<DnatGap>,
    /// The VNets the firewall can forward into (its own and connected peers); `None`: any (hub).
    vnets: Option<crate::model::IdSet>,
    public: Vec<IpAddr>,
    /// Every public IP of the firewall is in the data with its address.
    complete: bool,
    snat: AddrSet,
    /// The Management NIC's public address: used by the platform only, never a DNAT
    /// destination (D28).
    management: Vec<IpAddr>,
    /// Forced tunnelling without a Management NIC (D28 (c)).
    forced: Option<ForcedTunnel>,
}

/// Every firewall's DNAT rules, computed once per audit.
#[derive(Default)]
pub(crate) struct Index<'m> {
    firewalls: Vec<FwRules<'m>>,
}

fn to_set(items: &AddrItems) -> AddrSet {
    if items.any {
        return AddrSet::all();
    }
    let mut set = AddrSet::from_nets(&items.nets);
    for (a, b) in &items.ranges {
        let r = match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => AddrSet {
                v4: RangeSet::range(u32::from(*a), u32::from(*b)),
                v6: RangeSet::empty(),
            },
            (IpAddr::V6(a), IpAddr::V6(b)) => AddrSet {
                v4: RangeSet::empty(),
                v6: RangeSet::range(u128::from(*a), u128::from(*b)),
            },
            _ => continue,
        };
        set = set.union(&r);
    }
    set
}

impl<'m> Index<'m> {
    pub(crate) fn new(model: &'m Model) -> Index<'m> {
        Index {
            firewalls: model.firewalls.iter().map(|f| fw_rules(model, f)).collect(),
        }
    }

    /// The DNAT rules that land on this IP configuration (`port`: the guest's RDP port,
    /// `default_port`: `--port`; `main`: the VM's primary configuration, where rules whose
    /// target is not an address land).
    pub(crate) fn matches(
        &self,
        ipc: &IpConfig,
        (port, default_port, guest): (u16, u16, Option<u16>),
        main: bool,
        vm: &ResId,
    ) -> Vec<DnatMatch<'m>> {
        let vnet = ipc.subnet.as_ref().and_then(|s| s.parent_key("subnets"));
        let mut out = Vec::new();
        for f in &self.firewalls {
            let reaches = match (&f.vnets, &vnet) {
                (None, _) => true,
                (Some(set), Some(v)) => set.contains(v),
                (Some(_), None) => false,
            };
            if !reaches {
                continue;
            }
            if !f.gaps.is_empty() && f.rules.is_empty() && main {
                // Rules not in the data: any of them could translate to this VM.
                out.push(DnatMatch {
                    entry: entry(f, None, AddrSet::empty(), ipc),
                    delivered: port,
                    address: None,
                    connect_port: None,
                    connect_range: None,
                    unknowns: unknowns(f, "", &f.gaps),
                    blocks: Vec::new(),
                });
                continue;
            }
            for (i, r) in f.rules.iter().enumerate() {
                let at = destinations(f, r.rule);
                out.extend(rule_matches(f, i, r, ipc, (port, default_port), main, at));
            }
        }
        guest_port(&mut out, port, guest, vm);
        out
    }

    /// The DNAT rules that answer on a firewall's private address and translate to this IP
    /// configuration (private DNAT, D29): only rules whose target is this address (a rule that
    /// cannot be pinned lands on the Internet paths already).
    pub(crate) fn private_matches(
        &self,
        ipc: &IpConfig,
        (port, default_port, guest): (u16, u16, Option<u16>),
        vm: &ResId,
    ) -> Vec<DnatMatch<'m>> {
        let mut out = Vec::new();
        for f in &self.firewalls {
            for (i, r) in f.rules.iter().enumerate() {
                let named = to_set(&r.rule.destinations);
                let at: Vec<Option<IpAddr>> =
                    f.fw.private_ips
                        .iter()
                        .filter(|a| named.contains(**a))
                        .map(|a| Some(*a))
                        .collect();
                if at.is_empty() {
                    continue;
                }
                out.extend(rule_matches(f, i, r, ipc, (port, default_port), false, at));
            }
        }
        guest_port(&mut out, port, guest, vm);
        out
    }
}

/// A guest listening elsewhere than the translated port (RDP502).
fn guest_port(out: &mut [DnatMatch<'_>], port: u16, guest: Option<u16>, vm: &ResId) {
    for m in out
        .iter_mut()
        .filter(|m| guest.is_some_and(|g| g != m.delivered))
    {
        m.blocks.push(Block {
            reason: BlockReason::GuestPortMismatch {
                delivered: m.delivered,
                guest: guest.unwrap_or(port),
            },
            resource: vm.id.clone(),
            while_stopped_only: false,
        });
    }
}

/// A DNAT rule that lands on an IP configuration, for one firewall address.
pub(crate) struct DnatMatch<'m> {
    pub(crate) entry: DnatEntry<'m>,
    /// `translatedPort` (the port the NSGs and the guest see).
    pub(crate) delivered: u16,
    pub(crate) address: Option<IpAddr>,
    pub(crate) connect_port: Option<u16>,
    pub(crate) connect_range: Option<(u16, u16)>,
    /// What the data lacks about this rule (the path is at best unknown).
    pub(crate) unknowns: Vec<Unknown>,
    pub(crate) blocks: Vec<Block>,
}

fn rule_matches<'m>(
    f: &FwRules<'m>,
    i: usize,
    r: &Ordered<'m>,
    ipc: &IpConfig,
    (port, default_port): (u16, u16),
    main: bool,
    at: Vec<Option<IpAddr>>,
) -> Vec<DnatMatch<'m>> {
    let rule = r.rule;
    if !rule.tcp {
        return Vec::new();
    }
    if let Some(p) = rule.translated_port {
        if p != port && p != default_port {
            return Vec::new();
        }
    }
    let mut gaps: Vec<DnatGap> = f.gaps.clone();
    match &rule.target {
        DnatTarget::Address(ip) if Some(*ip) == ipc.private_ip => {}
        DnatTarget::Address(_) => return Vec::new(),
        DnatTarget::Fqdn(q) if main => gaps.push(DnatGap::Fqdn(q.clone())),
        DnatTarget::Malformed(_) if main => {}
        _ => return Vec::new(),
    }
    gaps.extend(rule.problems.iter().map(|p| DnatGap::Malformed(p.clone())));
    gaps.extend(r.missing_groups.iter().cloned().map(DnatGap::Resource));
    let (connect_port, connect_range) = match rule.ports.as_ref().map(PortSet::ranges) {
        Some([(p, q)]) if p == q => (Some(*p), None),
        Some([(p, q), ..]) => (None, Some((*p, *q))),
        _ => (None, None),
    };
    let mut out = Vec::new();
    for addr in at {
        // A client reaches an IPv4 firewall address from an IPv4 address (and IPv6 likewise).
        let mut clients = r.clients.intersect(&family(addr));
        for earlier in f.rules[..i].iter().filter(|e| e.pos < r.pos) {
            if takes_first(earlier, rule, addr) {
                clients = clients.difference(&earlier.clients);
            }
        }
        let mut e = entry(f, Some(r), clients, ipc);
        e.translated = match rule.target {
            DnatTarget::Address(ip) => Some(ip),
            _ => None,
        };
        out.push(DnatMatch {
            entry: e,
            delivered: rule.translated_port.unwrap_or(port),
            address: addr,
            connect_port,
            connect_range,
            unknowns: unknowns(f, &rule.name, &gaps),
            blocks: Vec::new(),
        });
    }
    out
}

fn family(addr: Option<IpAddr>) -> AddrSet {
    let all = AddrSet::all();
    match addr {
        Some(IpAddr::V6(_)) => AddrSet {
            v4: RangeSet::empty(),
            v6: all.v6,
        },
        _ => AddrSet {
            v4: all.v4,
            v6: RangeSet::empty(),
        },
    }
}

fn entry<'m>(
    f: &FwRules<'m>,
    r: Option<&Ordered<'m>>,
    clients: AddrSet,
    ipc: &IpConfig,
) -> DnatEntry<'m> {
    DnatEntry {
        firewall: f.fw,
        policy: r.and_then(|r| r.policy),
        group: r.and_then(|r| r.group),
        collection: r.map(|r| r.collection),
        rule: r.map(|r| r.rule),
        clients,
        snat: f.snat.clone(),
        translated: ipc.private_ip,
        forced: f.forced.clone(),
    }
}

fn unknowns(f: &FwRules<'_>, rule: &str, gaps: &[DnatGap]) -> Vec<Unknown> {
    let mut out: Vec<Unknown> = Vec::new();
    for g in gaps {
        let u = Unknown::Dnat {
            firewall: f.fw.name.clone(),
            rule: rule.to_string(),
            gap: g.clone(),
        };
        if !out.contains(&u) {
            out.push(u);
        }
    }
    out
}

/// The firewall addresses a rule answers on that clients connect to: its public addresses the
/// rule names (all of them for `*`), plus, when the firewall's address list is incomplete,
/// named addresses that could be an unlisted public IP (D29). `[None]` when none is known.
fn destinations(f: &FwRules<'_>, rule: &DnatRule) -> Vec<Option<IpAddr>> {
    let named = to_set(&rule.destinations);
    let mut out: Vec<Option<IpAddr>> = f
        .public
        .iter()
        .filter(|a| named.contains(**a))
        .map(|a| Some(*a))
        .collect();
    if !f.complete {
        for n in rule
            .destinations
            .nets
            .iter()
            .filter(|n| n.prefix_len() == n.max_prefix_len())
        {
            let a = n.addr();
            let known = f.public.contains(&a) || f.management.contains(&a);
            if !known && !f.snat.contains(a) && !f.fw.private_ips.contains(&a) {
                out.push(Some(a));
            }
        }
        if out.is_empty() {
            out.push(None);
        }
    }
    out
}

/// An earlier rule takes the flow first when it is TCP, its clients are exact, and it answers on
/// the same address for every port the later rule does (D26: rules are terminating).
fn takes_first(earlier: &Ordered<'_>, later: &DnatRule, addr: Option<IpAddr>) -> bool {
    let e = earlier.rule;
    let Some(addr) = addr else { return false };
    if !e.tcp || !e.problems.is_empty() || !earlier.missing_groups.is_empty() {
        return false;
    }
    if !to_set(&e.destinations).contains(addr) {
        return false;
    }
    match (&e.ports, &later.ports) {
        (Some(ep), Some(lp)) => lp
            .ranges()
            .iter()
            .all(|&(a, b)| ep.coverage(a, b) == Coverage::All),
        _ => false,
    }
}

fn fw_rules<'m>(model: &'m Model, fw: &'m Firewall) -> FwRules<'m> {
    let mut gaps = Vec::new();
    let mut rules: Vec<Ordered<'m>> = Vec::new();
    let mut push = |policy, group: Option<&'m RuleGroup>, c: &'m DnatCollection, pos| {
        for r in &c.rules {
            let (clients, missing_groups) = clients_of(model, r);
            rules.push(Ordered {
                policy,
                group,
                collection: c,
                rule: r,
                pos,
                clients,
                missing_groups,
            });
        }
    };
    for c in &fw.collections {
        push(None, None, c, (0, 0, c.priority));
    }
    for (depth, policy) in policy_chain(model, fw, &mut gaps).into_iter().enumerate() {
        let mut found: HashSet<crate::model::Key<'_>> = HashSet::new();
        for g in model.rule_groups.iter().filter(|g| {
            g.policy
                .as_ref()
                .is_some_and(|p| p.key() == policy.id.key())
        }) {
            found.insert(g.id.key());
            for c in &g.collections {
                push(
                    Some(policy),
                    Some(g),
                    c,
                    (depth + 1, g.priority, c.priority),
                );
            }
        }
        for gid in policy.groups.iter().filter(|g| !found.contains(&g.key())) {
            let why = Unusable::of(model, gid, ResourceKind::RuleCollectionGroup);
            gaps.push(DnatGap::Resource(why));
        }
    }
    rules.sort_by_key(|r| r.pos);
    let mut public = fw.hub_public.clone();
    let mut complete = fw.hub.is_none() || !fw.hub_public.is_empty();
    for pid in &fw.public_ips {
        match model.public_ips.get(&pid.key()).and_then(|p| p.address) {
            Some(a) => public.push(a),
            None => complete = false,
        }
    }
    let nets: Vec<ipnet::IpNet> = fw
        .subnets
        .iter()
        .filter_map(|s| model.subnet(s))
        .flat_map(|(_, s)| s.prefixes.clone())
        .collect();
    match (&fw.hub, nets.is_empty()) {
        (Some(hub), _) => gaps.push(DnatGap::HubFirewall { hub: hub.clone() }),
        (None, true) => gaps.push(DnatGap::SnatUnknown),
        _ => {}
    }
    let management = fw
        .management
        .iter()
        .filter_map(|mg| mg.public_ip.as_ref())
        .filter_map(|pid| model.public_ips.get(&pid.key()).and_then(|p| p.address))
        .collect();
    FwRules {
        fw,
        rules,
        gaps,
        vnets: reach(model, fw),
        public,
        complete,
        snat: AddrSet::from_nets(&nets),
        management,
        forced: forced_tunnel(model, fw),
    }
}

/// The default route of the firewall's `AzureFirewallSubnet` when it leaves elsewhere than the
/// Internet and the firewall has no Management NIC: DNAT is then not supported, "because of
/// asymmetric routing" (docs/decisions.md D28 (c),
/// <https://learn.microsoft.com/en-us/azure/firewall/forced-tunneling>). A hub firewall has no
/// subnet in the data; a missing route table is read as no forced tunnel (over-reports).
fn forced_tunnel(model: &Model, fw: &Firewall) -> Option<ForcedTunnel> {
    if fw.management.is_some() {
        return None;
    }
    let default = |n: &ipnet::IpNet| n.prefix_len() == 0 && n.addr().is_ipv4();
    fw.subnets.iter().find_map(|s| {
        let (_, subnet) = model.subnet(s)?;
        let rt = subnet.route_table.as_ref()?;
        let table = model.route_tables.get(&rt.key())?;
        let route = table
            .routes
            .iter()
            .find(|r| r.prefix.as_ref().is_some_and(default) && r.next_hop != NextHop::Internet)?;
        Some(ForcedTunnel {
            firewall: fw.name.clone(),
            route_table: table.id.clone(),
            route: route.name.clone(),
            next_hop: route.next_hop.clone(),
            next_hop_ip: route.next_hop_ip.clone(),
        })
    })
}

/// The policy and its parents, root parent first (parent rules are processed before the
/// child's, D26); a missing policy is a gap.
fn policy_chain<'m>(
    model: &'m Model,
    fw: &Firewall,
    gaps: &mut Vec<DnatGap>,
) -> Vec<&'m FirewallPolicy> {
    let mut chain = Vec::new();
    let mut seen = crate::model::IdSet::default();
    let mut next = fw.policy.clone();
    while let Some(id) = next {
        if !seen.insert(crate::model::IdKey::from(&id)) {
            break; // a cycle: each policy once
        }
        match model.firewall_policies.get(&id.key()) {
            Some(p) => {
                chain.push(p);
                next = p.base.clone();
            }
            None => {
                gaps.push(DnatGap::Resource(Unusable::of(
                    model,
                    &id,
                    ResourceKind::FirewallPolicy,
                )));
                break;
            }
        }
    }
    chain.reverse();
    chain
}

fn clients_of(model: &Model, r: &DnatRule) -> (AddrSet, Vec<Unusable>) {
    let mut set = to_set(&r.sources);
    let mut missing = Vec::new();
    for g in &r.source_groups {
        match model.ip_groups.get(&g.key()) {
            Some(ig) => set = set.union(&to_set(&ig.addresses)),
            None => missing.push(Unusable::of(model, g, ResourceKind::IpGroup)),
        }
    }
    (set, missing)
}

/// The VNets a VNet firewall forwards into: its own and its connected peers.
fn reach(model: &Model, fw: &Firewall) -> Option<crate::model::IdSet> {
    if fw.hub.is_some() {
        return None;
    }
    let mut set = crate::model::IdSet::default();
    for s in &fw.subnets {
        let Some((v, _)) = s.split_child("subnets") else {
            continue;
        };
        if let Some(vnet) = model.vnets.get(&v.key()) {
            for p in vnet.peerings.iter().filter(|p| p.connected) {
                set.extend(p.remote_vnet.as_ref().map(crate::model::IdKey::from));
            }
        }
        set.insert(v.into());
    }
    Some(set)
}
