//! Evaluation: each path of the topology judged exactly for the client and for the whole
//! Internet (NSG sets, SKU, reply routing, classic ACLs), then the VM's power and guest and what
//! `--probe` saw; the verdicts and the typed hops.

use std::net::IpAddr;

use super::addrset::AddrSet;
use super::admin::{self, AdminOutcome};
pub(crate) use super::analysis::{PathAnalysis, VmAnalysis};
use super::hops::{self, HostFacts};
use super::nsg::{self, Outcome, Part, Target};
use super::observe::Observations;
use super::route::{reply_routes, ReplyFate};
use super::tags;
use super::topology::{PathTopology, VmTopology};
use super::types::*;
use crate::model::*;

mod private;

/// Evaluates VM topologies of one model with one set of options and observations.
pub(crate) struct Evaluator<'m> {
    model: &'m Model,
    options: &'m Options,
    observations: &'m Observations,
    asg_members: std::sync::Arc<crate::model::IdMap<AddrSet>>,
}

impl<'m> Evaluator<'m> {
    pub(crate) fn new(
        model: &'m Model,
        options: &'m Options,
        observations: &'m Observations,
    ) -> Evaluator<'m> {
        Evaluator {
            model,
            options,
            observations,
            asg_members: observations
                .asg_members()
                .cloned()
                .unwrap_or_else(|| std::sync::Arc::new(tags::asg_members(model))),
        }
    }

    /// The ASG member sets this evaluator uses (shared, computed once).
    pub(crate) fn asg_members(&self) -> std::sync::Arc<crate::model::IdMap<AddrSet>> {
        self.asg_members.clone()
    }

    /// Evaluates a VM's topology, taking it over (nothing is copied or kept twice).
    pub(crate) fn vm(&self, mut t: VmTopology<'m>) -> VmAnalysis<'m> {
        let guest = self.observations.guest(&t.id);
        let host = HostFacts {
            vm_id: &t.id.id,
            power: &t.power,
            guest,
        };
        let topologies = std::mem::take(&mut t.paths);
        let paths: Vec<PathAnalysis<'m>> = topologies
            .into_iter()
            .map(|p| self.path(&t, p, &host))
            .collect();
        let private_paths: Vec<PathAnalysis<'m>> = std::mem::take(&mut t.private_paths)
            .into_iter()
            .map(|p| self.private_path(p, &host))
            .collect();
        // Private paths answer for a `--client-ip` inside the networks they serve; the
        // Internet (no `--client-ip`) never reaches them.
        let private_count = self.options.client.is_some();
        let direct: Vec<Verdict> = paths
            .iter()
            .filter(|p| p.kind.is_direct())
            .chain(private_paths.iter().filter(|_| private_count))
            .map(|p| p.verdict)
            .collect();
        let verdict = if direct.contains(&Verdict::Reachable) {
            Verdict::Reachable
        } else if direct.contains(&Verdict::Unknown) || !t.problems.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Blocked
        };
        VmAnalysis {
            id: t.id,
            name: t.name,
            resource_group: t.resource_group,
            subscription: t.subscription,
            location: t.location,
            deployment: t.deployment,
            os: t.os,
            power: t.power,
            arm: t.arm,
            classic: t.classic,
            guest,
            port: t.port,
            port_from_guest: t.port_from_guest,
            default_port: t.default_port,
            place: t.place,
            paths,
            bastions: t.bastions,
            problems: t.problems,
            verdict,
            client_label: self.options.client_label(),
            private_paths,
        }
    }

    fn path(
        &self,
        vm: &VmTopology<'m>,
        path: PathTopology<'m>,
        host: &HostFacts<'_>,
    ) -> PathAnalysis<'m> {
        let mut p = PathAnalysis::unevaluated(path);
        match p.kind {
            PathKind::PublicIp | PathKind::NatRule | PathKind::LbRule => self.direct(&mut p, vm),
            PathKind::ClassicEndpoint => self.classic(&mut p),
            PathKind::Bastion => self.bastion(&mut p, vm),
            PathKind::FirewallDnat => self.firewall(&mut p),
        }
        self.attach_probes(&mut p);
        let mut hops = hops::path_hops(&p, host);
        p.verdict = path_verdict(&p, host.power, host.guest);
        // Last: what the network did when this machine tried, against what the data says.
        hops.extend(hops::probe_hop(&p));
        p.hops = hops;
        p
    }

    /// The client set: `--client-ip`, or `everyone`; of the entry point's address family.
    fn client_within(&self, everyone: &AddrSet, family: &AddrSet) -> AddrSet {
        self.options
            .client
            .as_ref()
            .map(|c| c.set.intersect(family))
            .unwrap_or_else(|| everyone.clone())
    }

    /// NSG + SKU + routing evaluation of a direct ARM path for the client and for the Internet.
    fn direct(&self, p: &mut PathAnalysis<'m>, vm: &VmTopology<'m>) {
        let tags = tags::tag_sets(self.model, p.place, &self.asg_members);
        let admin_rules = admin::rules_for(self.model, p.place);
        // Floating IP: the VM sees the frontend IP as destination (docs/decisions.md D18).
        let floating = p.floating_ip();
        let dest_ip = if floating {
            p.public_ip.and_then(|x| x.address)
        } else {
            p.ip_config.and_then(|c| c.private_ip)
        };
        let asgs: &[ResId] = p.ip_config.map(|c| c.asgs.as_slice()).unwrap_or(&[]);
        // A client reaches an IPv4 entry point from an IPv4 address (and IPv6 likewise).
        let family = family_of(p.address);
        let internet = tags.internet.intersect(&family);
        let client = self.client_within(&internet, &family);
        let path = &p.path;
        let eval_at = |port: u16, cands: &AddrSet| {
            let target = Target {
                dest_ip,
                dest_port: port,
                dest_asgs: asgs,
                tags: &tags,
            };
            let nsgs = Nsgs {
                subnet: &path.subnet_nsg,
                nic: &path.nic_nsg,
                sku: path.sku,
            };
            let reply = Reply::Routed(path.place.map(|x| x.0), path.route_table);
            net_eval_admin(cands, admin_rules, &nsgs, &target, reply)
        };
        let client_eval = eval_at(path.delivered_port, &client);
        let internet_eval = if self.options.client.is_some() {
            eval_at(path.delivered_port, &internet)
        } else {
            client_eval.clone()
        };
        if path.kind == PathKind::PublicIp && vm.port != vm.default_port {
            let alt = eval_at(vm.default_port, &client);
            p.admits_default_port = Some(!alt.reachable.is_empty());
        }
        let forwards = matches!(path.kind, PathKind::NatRule | PathKind::LbRule);
        if let (true, Some(front)) = (forwards, path.connect_port) {
            if front != path.delivered_port {
                let alt = eval_at(front, &client);
                p.admits_frontend_port = Some(!alt.admitted.is_empty());
            }
        }
        p.client = client_eval;
        p.internet = internet_eval;
    }

    /// A classic endpoint: its ACL, for the client and for every public address.
    fn classic(&self, p: &mut PathAnalysis<'m>) {
        let Some(ep) = p.endpoint else { return };
        let family = family_of(p.address);
        let public = tags::public_space().intersect(&family);
        let client = self.client_within(&public, &family);
        p.client = acl_eval(ep, &client);
        p.internet = acl_eval(ep, &public);
    }

    /// Bastion: from its subnets, through the VM's NSGs (no SKU rule, no reply route).
    fn bastion(&self, p: &mut PathAnalysis<'m>, vm: &VmTopology<'m>) {
        let tags = tags::tag_sets(self.model, p.place, &self.asg_members);
        let ipc = p.ip_config;
        let target = Target {
            dest_ip: ipc.and_then(|c| c.private_ip),
            dest_port: vm.port,
            dest_asgs: ipc.map(|c| c.asgs.as_slice()).unwrap_or(&[]),
            tags: &tags,
        };
        let nsgs = Nsgs {
            subnet: &p.path.subnet_nsg,
            nic: &p.path.nic_nsg,
            sku: None,
        };
        let admin_rules = admin::rules_for(self.model, p.place);
        p.client = net_eval_admin(&p.path.sources, admin_rules, &nsgs, &target, Reply::Assumed);
        p.internet = NetEval::default();
    }

    /// A firewall DNAT path: the rule's clients, judged through the firewall's SNAT addresses.
    fn firewall(&self, p: &mut PathAnalysis<'m>) {
        let tags = tags::tag_sets(self.model, p.place, &self.asg_members);
        let admin_rules = admin::rules_for(self.model, p.place);
        let family = family_of(p.address);
        let internet = tags.internet.intersect(&family);
        let client = self.client_within(&internet, &family);
        let (c, i) = dnat_eval(p, &tags, admin_rules, &client, &internet);
        p.client = c;
        p.internet = i;
    }

    /// `--probe` results that concern this path: its endpoint's TCP connect, its DNS name.
    fn attach_probes(&self, p: &mut PathAnalysis<'m>) {
        let Some(probes) = self.observations.probes() else {
            return;
        };
        p.probe = p.endpoint().and_then(|e| probes.tcp.get(&e));
        if let Some(name) = p.entry_name {
            p.dns = probes
                .dns
                .get(&Probes::dns_key(name))
                .map(|ans| (name, ans));
        }
    }
}

/// Blocks first, then missing data, then the network; a host that cannot answer decides the
/// rest.
fn path_verdict(p: &PathAnalysis<'_>, power: &PowerState, guest: Option<&GuestFacts>) -> Verdict {
    let net = if !p.blocks.is_empty() {
        Verdict::Blocked
    } else if !p.unknowns.is_empty() {
        Verdict::Unknown
    } else if !p.client.reachable.is_empty() {
        Verdict::Reachable
    } else if !p.client.unknown.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Blocked
    };
    match net {
        Verdict::Blocked => Verdict::Blocked,
        v => match host_state(power, guest) {
            Verdict::Reachable => v,
            other => other,
        },
    }
}

/// All addresses of the entry point's family (IPv4 when the address is not known).
fn family_of(addr: Option<IpAddr>) -> AddrSet {
    let all = AddrSet::all();
    match addr {
        Some(IpAddr::V6(_)) => AddrSet {
            v4: Default::default(),
            v6: all.v6,
        },
        _ => AddrSet {
            v4: all.v4,
            v6: Default::default(),
        },
    }
}

/// Power and guest facts: can the VM answer at all?
pub(crate) fn host_verdict(a: &VmAnalysis<'_>) -> Verdict {
    host_state(&a.power, a.guest)
}

fn host_state(power: &PowerState, guest: Option<&GuestFacts>) -> Verdict {
    match power {
        PowerState::Running => {}
        PowerState::Unknown => return Verdict::Unknown,
        _ => return Verdict::Blocked,
    }
    if guest.is_some_and(hops::guest_blocks) {
        return Verdict::Blocked;
    }
    Verdict::Reachable
}

/// The NSGs of a path and the SKU of its entry point.
pub struct Nsgs<'a, 'm> {
    /// The subnet-level NSG.
    pub subnet: &'a Slot<'m>,
    /// The NIC-level NSG.
    pub nic: &'a Slot<'m>,
    /// The SKU of the path's entry point, when it has one.
    pub sku: Option<Sku>,
}

/// How the reply is judged.
#[derive(Clone, Copy)]
pub enum Reply<'m> {
    /// By the subnet's routes (its network and route table).
    Routed(Option<&'m Vnet>, Option<&'m RouteTable>),
    /// It returns (Bastion: within the network).
    Assumed,
}

/// Evaluates both NSG levels, the SKU rule and the reply route for `cands`.
pub fn net_eval(
    cands: &AddrSet,
    nsgs: &Nsgs<'_, '_>,
    target: &Target<'_>,
    reply: Reply<'_>,
) -> NetEval {
    net_eval_admin(cands, &[], nsgs, target, reply)
}

/// [`net_eval`] after the VNet's security admin rules (docs/decisions.md D32): `Deny` drops,
/// `AlwaysAllow` delivers without the NSGs (and without the Standard SKU rule), the rest goes to
/// the NSGs.
pub fn net_eval_admin(
    cands: &AddrSet,
    admin_rules: &[AdminRule],
    nsgs: &Nsgs<'_, '_>,
    target: &Target<'_>,
    reply: Reply<'_>,
) -> NetEval {
    let split = admin::split(admin_rules, cands, target);
    let handed = admin::set_of(&split, AdminOutcome::Handed);
    let always = admin::set_of(&split, AdminOutcome::AlwaysAllow);
    let undecided = admin::set_of(&split, AdminOutcome::Unknown);
    let denied = admin::set_of(&split, AdminOutcome::Deny);
    let mut ev = if handed.is_empty() && !admin_rules.is_empty() {
        NetEval::default()
    } else {
        nsg_stage(&handed, nsgs, target)
    };
    ev.candidates = cands.clone();
    for (set, outcome) in [
        (denied, Outcome::Deny),
        (always.clone(), Outcome::Allow),
        (undecided.clone(), Outcome::Unknown),
    ] {
        if !set.is_empty() {
            ev.parts.push(whole(&set, outcome));
        }
    }
    ev.admitted = ev.admitted.union(&always);
    ev.unknown = ev.unknown.union(&undecided);
    ev.admin = admin::shown(split);
    if (ev.unusable.is_some() || ev.secure_by_default) && always.is_empty() {
        return ev; // nothing admitted: no reply to route
    }
    match reply {
        Reply::Routed(vnet, table) => route_reply(&mut ev, vnet, table),
        Reply::Assumed => ev.reachable = ev.admitted.clone(),
    }
    ev
}

/// Both NSG levels and the SKU rule (no routing) for what the admin rules handed on.
fn nsg_stage(cands: &AddrSet, nsgs: &Nsgs<'_, '_>, target: &Target<'_>) -> NetEval {
    let mut ev = NetEval {
        candidates: cands.clone(),
        ..NetEval::default()
    };
    for s in [nsgs.subnet, nsgs.nic] {
        if let Slot::Unusable(_, why) = s {
            ev.unusable = Some(why.clone());
        }
    }
    if ev.unusable.is_some() {
        ev.unknown = cands.clone();
        ev.parts.push(whole(cands, Outcome::Unknown));
        return ev;
    }
    let no_nsg = matches!(nsgs.subnet, Slot::None) && matches!(nsgs.nic, Slot::None);
    if no_nsg && nsgs.sku == Some(Sku::Standard) {
        // Standard public IPs and load balancers are closed until an NSG allows
        // (docs/decisions.md D10).
        ev.secure_by_default = true;
        ev.parts.push(whole(cands, Outcome::Deny));
        return ev;
    }
    ev.parts = nsg_parts(cands, nsgs, target);
    for p in &ev.parts {
        match p.outcome {
            Outcome::Allow => ev.admitted = ev.admitted.union(&p.set),
            Outcome::Partial => {
                ev.admitted = ev.admitted.union(&p.set);
                ev.partial = ev.partial.union(&p.set);
            }
            Outcome::Unknown => ev.unknown = ev.unknown.union(&p.set),
            Outcome::Deny => {}
        }
    }
    ev
}

fn whole(cands: &AddrSet, outcome: Outcome) -> PathPart {
    PathPart {
        set: cands.clone(),
        outcome,
        subnet: None,
        nic: None,
    }
}

/// The subnet level, then the NIC level for what the subnet did not deny.
fn nsg_parts(cands: &AddrSet, nsgs: &Nsgs<'_, '_>, target: &Target<'_>) -> Vec<PathPart> {
    let level = |slot: &Slot<'_>, set: &AddrSet| -> Vec<Part> {
        match slot {
            Slot::Present(n) => nsg::evaluate(n, set, target),
            _ => vec![Part {
                set: set.clone(),
                outcome: Outcome::Allow,
                rule: None,
                maybe: None,
            }],
        }
    };
    let mut parts = Vec::new();
    for sp in level(nsgs.subnet, cands) {
        let sub_part = matches!(nsgs.subnet, Slot::Present(_)).then(|| sp.clone());
        if sp.outcome == Outcome::Deny {
            parts.push(PathPart {
                set: sp.set.clone(),
                outcome: Outcome::Deny,
                subnet: sub_part,
                nic: None,
            });
            continue;
        }
        for np in level(nsgs.nic, &sp.set) {
            parts.push(PathPart {
                set: np.set.clone(),
                outcome: sp.outcome.then(np.outcome),
                subnet: sub_part.clone(),
                nic: matches!(nsgs.nic, Slot::Present(_)).then_some(np),
            });
        }
    }
    parts
}

/// Which admitted (or undecided) clients the reply reaches.
fn route_reply(ev: &mut NetEval, vnet: Option<&Vnet>, table: Option<&RouteTable>) {
    ev.routes = reply_routes(&ev.admitted.union(&ev.unknown), vnet, table);
    let mut ok = AddrSet::empty();
    for r in &ev.routes {
        match r.fate {
            ReplyFate::Returns => ok = ok.union(&r.set),
            ReplyFate::Unknown => ev.unknown = ev.unknown.union(&r.set.intersect(&ev.admitted)),
            _ => {}
        }
    }
    ev.reachable = ev.admitted.intersect(&ok);
    ev.unknown = ev.unknown.intersect(&ok.union(&ev.unknown));
}

/// A classic endpoint ACL over `cands` (docs/decisions.md D13).
fn acl_eval(ep: &ClassicEndpoint, cands: &AddrSet) -> NetEval {
    let mut ev = NetEval {
        candidates: cands.clone(),
        ..NetEval::default()
    };
    let Some(rules) = &ep.acl else {
        ev.unknown = cands.clone();
        return ev;
    };
    let mut rest = cands.clone();
    for r in rules {
        let covered = rest.intersect(&AddrSet::from_net(&r.subnet));
        rest = rest.difference(&covered);
        if r.permit {
            ev.admitted = ev.admitted.union(&covered);
        }
    }
    // No match: deny when the list has any permit rule, else permit (no rules: permit all).
    if !rules.iter().any(|r| r.permit) {
        ev.admitted = ev.admitted.union(&rest);
    }
    ev.reachable = ev.admitted.clone();
    ev
}

/// Judges a DNAT path: the admin rules and NSGs over the firewall's SNAT addresses decide
/// whether the rule's clients get through — all of them, none, or (when only some firewall
/// addresses are admitted) unknown, since the instance address is not in the data (D27).
fn dnat_eval(
    p: &PathAnalysis<'_>,
    tags: &super::nsg::TagSets<'_>,
    admin_rules: &[AdminRule],
    client: &AddrSet,
    internet: &AddrSet,
) -> (NetEval, NetEval) {
    let Some(d) = &p.dnat else {
        return (NetEval::default(), NetEval::default());
    };
    let ipc = p.ip_config;
    let target = Target {
        dest_ip: ipc.and_then(|c| c.private_ip),
        dest_port: p.delivered_port,
        dest_asgs: ipc.map(|c| c.asgs.as_slice()).unwrap_or(&[]),
        tags,
    };
    let nsgs = Nsgs {
        subnet: &p.subnet_nsg,
        nic: &p.nic_nsg,
        sku: None,
    };
    let fw = net_eval_admin(&d.snat, admin_rules, &nsgs, &target, Reply::Assumed);
    let all = !d.snat.is_empty() && d.snat.is_subset(&fw.reachable) && fw.partial.is_empty();
    let none = fw.reachable.is_empty() && fw.unknown.is_empty();
    let judge = |cands: &AddrSet| {
        let s = cands.intersect(&d.clients);
        let mut ev = NetEval {
            candidates: cands.clone(),
            parts: fw.parts.clone(),
            unusable: fw.unusable.clone(),
            admin: fw.admin.clone(),
            snat: Some(d.snat.clone()),
            ..NetEval::default()
        };
        if all {
            ev.admitted = s.clone();
            ev.reachable = s;
        } else if !none {
            ev.unknown = s;
        }
        ev
    };
    (judge(client), judge(internet))
}
