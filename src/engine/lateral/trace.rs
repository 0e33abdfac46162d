//! `check --from`: one source traced to one VM, hop by hop, both directions' NSGs shown
//! (docs/decisions.md D45–D47). A VM source: Internet → source (when exposed), the source's NIC
//! and subnet NSGs outbound, the route, the target's subnet and NIC NSGs inbound. A CIDR: the
//! target's inbound NSGs over that set, one step per part.

use super::super::addrset::AddrSet;
use super::super::analysis::VmAnalysis;
use super::super::nsg::{Outcome, Part};
use super::super::types::{Slot, Verdict};
use super::eastwest::{
    inbound_eval, inbound_side, outbound_eval, outbound_side, route_to, tag_sets_for,
};
use super::eastwest::{AdminAt, RouteFate, Side};
use super::{endpoints, Endpoint};
use crate::model::{Model, Nsg};

/// Where traced traffic comes from.
#[derive(Debug, Clone)]
pub(crate) enum TraceSource {
    /// A VM (index into the analyses).
    Vm(usize),
    /// Addresses (`--from 10.1.0.0/16`).
    Cidr(AddrSet, String),
    /// Nothing in the data matches the text.
    NotFound(String),
}

/// Which hop a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TraceHop {
    /// The source VM's own exposure to the Internet (the first of two hops).
    InternetToSource,
    OutboundNic,
    OutboundSubnet,
    Route,
    InboundSubnet,
    InboundNic,
    /// The source VNet's outbound security admin rules (shown when one decided).
    OutboundAdmin,
    /// The target VNet's inbound security admin rules (shown when one decided).
    InboundAdmin,
}

/// One step of a trace.
#[derive(Debug, Clone)]
pub(crate) struct TraceStep<'m> {
    pub(crate) hop: TraceHop,
    /// The NSG at this level (`None`: none there).
    pub(crate) nsg: Option<&'m Nsg>,
    /// Its deciding part (rule and outcome), when the level was evaluated.
    pub(crate) part: Option<Part>,
    /// The addresses this step is about (CIDR traces split by part).
    pub(crate) set: Option<AddrSet>,
    /// For `Route`: what routing does (`None`: dropped).
    pub(crate) route: Option<Option<RouteFate>>,
    /// This step's outcome (`None`: not reached).
    pub(crate) outcome: Option<Outcome>,
    /// For the admin hops: what the admin rules did.
    pub(crate) admin: Option<AdminAt<'m>>,
}

/// A traced flow.
#[derive(Debug, Clone)]
pub(crate) struct Trace<'m> {
    pub(crate) source: TraceSource,
    pub(crate) from_ip: Option<std::net::IpAddr>,
    pub(crate) to_ip: Option<std::net::IpAddr>,
    pub(crate) steps: Vec<TraceStep<'m>>,
    pub(crate) verdict: Verdict,
}

fn step<'m>(
    hop: TraceHop,
    slot: &Slot<'m>,
    part: Option<Part>,
    outcome: Option<Outcome>,
) -> TraceStep<'m> {
    TraceStep {
        hop,
        nsg: match slot {
            Slot::Present(n) => Some(*n),
            _ => None,
        },
        part,
        set: None,
        route: None,
        outcome,
        admin: None,
    }
}

fn admin_step<'m>(hop: TraceHop, side: &Side<'m>) -> Option<TraceStep<'m>> {
    let mut s = step(hop, &Slot::None, None, Some(side.outcome));
    match side.admin {
        AdminAt::Handed => return None,
        at => s.admin = Some(at),
    }
    Some(s)
}

/// Resolves `--from`: a VM by resource id or name, else an IP or CIDR.
pub(crate) fn resolve(vms: &[VmAnalysis<'_>], text: &str) -> TraceSource {
    let t = text.trim();
    let rid = crate::model::ResId::new(t);
    if let Some(i) = vms
        .iter()
        .position(|v| v.id.key() == rid.key() || v.name.eq_ignore_ascii_case(t))
    {
        return TraceSource::Vm(i);
    }
    match crate::model::parse_prefix(t) {
        Some(net) => TraceSource::Cidr(AddrSet::from_net(&net), net.to_string()),
        None => TraceSource::NotFound(t.to_string()),
    }
}

/// Traces `source` to the VM at `to`.
pub(crate) fn trace<'m>(
    model: &'m Model,
    vms: &[VmAnalysis<'m>],
    to: usize,
    source: TraceSource,
) -> Trace<'m> {
    let eps = endpoints(model, vms);
    let asgs = super::super::tags::asg_members(model);
    let mut t = Trace {
        source: source.clone(),
        from_ip: None,
        to_ip: None,
        steps: Vec::new(),
        verdict: Verdict::Unknown,
    };
    let Some(b) = eps.iter().find(|e| e.vm == to) else {
        return t;
    };
    t.to_ip = Some(b.ip);
    let port = vms[to].port;
    let inbound = inbound_eval(model, b, port, &tag_sets_for(model, b, &asgs));
    match source {
        TraceSource::Vm(a_index) => {
            let Some(a) = eps.iter().find(|e| e.vm == a_index) else {
                return t;
            };
            t.from_ip = Some(a.ip);
            vm_steps(model, &mut t, &vms[a_index], a, b, port, &inbound, &asgs);
        }
        TraceSource::Cidr(set, _) => {
            let mut admitted = false;
            let mut unknown = false;
            for p in inbound.parts.iter().filter(|p| p.set.intersects(&set)) {
                let set = p.set.intersect(&set);
                admitted |= p.outcome.admits();
                unknown |= p.outcome == Outcome::Unknown;
                // A part no NSG level decided may have been decided by the admin rules.
                let some_ip = set.to_cidrs().first().map(|n| n.addr());
                let admin = some_ip
                    .filter(|_| p.subnet.is_none() && p.nic.is_none())
                    .and_then(|ip| inbound_side(model, b, &inbound, ip))
                    .and_then(|side| admin_step(TraceHop::InboundAdmin, &side));
                if let Some(mut s) = admin {
                    s.set = Some(set.clone());
                    t.steps.push(s);
                    continue;
                }
                for (hop, slot, part) in [
                    (TraceHop::InboundSubnet, &b.subnet_nsg, &p.subnet),
                    (TraceHop::InboundNic, &b.nic_nsg, &p.nic),
                ] {
                    let mut s = step(hop, slot, part.clone(), part.as_ref().map(|x| x.outcome));
                    s.set = Some(set.clone());
                    t.steps.push(s);
                }
            }
            t.verdict = if admitted {
                Verdict::Reachable
            } else if unknown {
                Verdict::Unknown
            } else {
                Verdict::Blocked
            };
        }
        TraceSource::NotFound(_) => {}
    }
    t
}

#[allow(clippy::too_many_arguments)]
fn vm_steps<'m>(
    model: &'m Model,
    t: &mut Trace<'m>,
    source: &VmAnalysis<'m>,
    a: &Endpoint<'m>,
    b: &Endpoint<'m>,
    port: u16,
    inbound: &crate::engine::types::NetEval,
    asgs: &crate::model::IdMap<AddrSet>,
) {
    let exposed = source.exposed();
    if !exposed.is_empty() {
        let mut s = step(
            TraceHop::InternetToSource,
            &Slot::None,
            None,
            Some(Outcome::Allow),
        );
        s.set = Some(exposed);
        t.steps.push(s);
    }
    let out = outbound_eval(model, a, port, asgs);
    let Some(op) = out.part_of(b.ip) else { return };
    let out_side = outbound_side(model, a, op);
    match admin_step(TraceHop::OutboundAdmin, &out_side) {
        // The admin rules decided: the NSGs were not asked (D45).
        Some(s) => t.steps.push(s),
        None => outbound_nsg_steps(t, a, op),
    }
    if op.outcome == Outcome::Deny {
        t.verdict = Verdict::Blocked;
        return;
    }
    let route = route_to(model, a, b);
    t.steps.push(TraceStep {
        hop: TraceHop::Route,
        nsg: None,
        part: None,
        set: None,
        route: Some(route.clone()),
        outcome: Some(if route.is_some() {
            Outcome::Allow
        } else {
            Outcome::Deny
        }),
        admin: None,
    });
    let Some(route) = route else {
        t.verdict = Verdict::Blocked;
        return;
    };
    let Some(in_side) = inbound_side(model, b, inbound, a.ip) else {
        return;
    };
    let Some(ip) = inbound.parts.iter().find(|p| p.set.contains(a.ip)) else {
        return;
    };
    match admin_step(TraceHop::InboundAdmin, &in_side) {
        Some(s) => t.steps.push(s),
        None => inbound_nsg_steps(t, b, ip),
    }
    let all = op.outcome.then(ip.outcome);
    t.verdict = match all {
        Outcome::Deny => Verdict::Blocked,
        Outcome::Unknown => Verdict::Unknown,
        _ if matches!(route, RouteFate::Direct | RouteFate::Peering(_)) => Verdict::Reachable,
        _ => Verdict::Unknown,
    };
}

fn outbound_nsg_steps<'m>(t: &mut Trace<'m>, a: &Endpoint<'m>, op: &super::outbound::OutPart) {
    let nic_outcome = op.nic.as_ref().map(|p| p.outcome).unwrap_or(Outcome::Allow);
    t.steps.push(step(
        TraceHop::OutboundNic,
        &a.nic_nsg,
        op.nic.clone(),
        Some(nic_outcome),
    ));
    let sub_outcome = op
        .subnet
        .as_ref()
        .map(|p| p.outcome)
        .or((nic_outcome != Outcome::Deny).then_some(Outcome::Allow));
    t.steps.push(step(
        TraceHop::OutboundSubnet,
        &a.subnet_nsg,
        op.subnet.clone(),
        sub_outcome,
    ));
}

fn inbound_nsg_steps<'m>(t: &mut Trace<'m>, b: &Endpoint<'m>, ip: &crate::engine::types::PathPart) {
    let sub = ip
        .subnet
        .as_ref()
        .map(|p| p.outcome)
        .unwrap_or(Outcome::Allow);
    t.steps.push(step(
        TraceHop::InboundSubnet,
        &b.subnet_nsg,
        ip.subnet.clone(),
        Some(sub),
    ));
    let nic = ip
        .nic
        .as_ref()
        .map(|p| p.outcome)
        .or((sub != Outcome::Deny).then_some(Outcome::Allow));
    t.steps
        .push(step(TraceHop::InboundNic, &b.nic_nsg, ip.nic.clone(), nic));
}
