//! The hops of a path as `check` walks them: typed decisions and the facts behind each, built
//! from an evaluated path. `report::words` phrases them.

use super::addrset::AddrSet;
use super::analysis::PathAnalysis;
pub(crate) use super::hop::*;
use super::nsg::{Outcome, Part};
use super::route::ReplyFate;
use super::types::{NetEval, PathKind, Slot};
use crate::model::{DnsAnswer, GuestFacts, Nsg, PowerState, TcpOutcome};

/// Every hop of an evaluated path, in the order a connection meets them.
pub(crate) fn path_hops(p: &PathAnalysis<'_>, host: &HostFacts<'_>) -> Vec<Hop> {
    let mut hops: Vec<Hop> = dns_hop(p).into_iter().collect();
    hops.extend(entry_hops(p, host));
    if p.kind != PathKind::ClassicEndpoint {
        hops.extend(super::hops_doors::admin_hop(&p.client));
        hops.extend(nsg_hops(p)); // classic endpoints have an ACL, not NSGs
    }
    if p.kind.is_direct() && p.kind != PathKind::ClassicEndpoint {
        hops.extend(route_hops(&p.client));
    }
    if p.kind == PathKind::FirewallDnat {
        hops.extend(super::hops_doors::forced_tunnel_hop(p));
    }
    hops.push(power_hop(host));
    hops.extend(guest_hop(host));
    hops
}

fn entry_hops(p: &PathAnalysis<'_>, host: &HostFacts<'_>) -> Vec<Hop> {
    let mut hops: Vec<Hop> = match p.kind {
        PathKind::PublicIp => public_ip_hop(p).into_iter().collect(),
        PathKind::NatRule => nat_rule_hop(p).into_iter().collect(),
        PathKind::ClassicEndpoint => endpoint_hops(p, host),
        PathKind::Bastion => bastion_hop(p).into_iter().collect(),
        // The frontend's public IP, then the rule (a traceroute's order).
        PathKind::LbRule => public_ip_hop(p).into_iter().chain(lb_rule_hop(p)).collect(),
        PathKind::FirewallDnat => super::hops_doors::dnat_hop(p).into_iter().collect(),
    };
    if let Some(b) = p.block_at(HopKind::Nic) {
        hops.push(Hop::new(
            HopKind::Nic,
            Some(b.resource.clone()),
            Decision::Blocked,
            HopFact::Blocked(b.reason.clone()),
        ));
    }
    for u in &p.unknowns {
        hops.push(Hop::new(
            HopKind::Data,
            None,
            Decision::Unknown,
            HopFact::Missing(u.clone()),
        ));
    }
    hops
}

/// `ok`, or `blocked` with the block as the fact.
fn entry(p: &PathAnalysis<'_>, kind: HopKind, fact: EntryFact) -> (Decision, HopFact) {
    match p.block_at(kind) {
        Some(b) => (Decision::Blocked, HopFact::Blocked(b.reason.clone())),
        None => (Decision::Ok, HopFact::Entry(fact)),
    }
}

fn public_ip_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let pip = p.public_ip?;
    let fact = EntryFact::PublicIp {
        address: pip.address,
        sku: pip.sku,
        dynamic: pip.dynamic,
        fqdn: pip.fqdn.clone(),
    };
    let (decision, fact) = entry(p, HopKind::PublicIp, fact);
    Some(Hop::new(
        HopKind::PublicIp,
        Some(pip.id.id.clone()),
        decision,
        fact,
    ))
}

fn nat_rule_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let (lb, r) = (p.lb?, p.nat_rule?);
    let fact = EntryFact::NatRule {
        lb: lb.name.clone(),
        sku: lb.sku,
        address: p.address,
        // v2 rules: the member's port when the pool lists it (docs/decisions.md D23).
        frontend_port: p.connect_port,
        frontend_range: r.frontend_range,
        backend_port: p.delivered_port,
        floating: r.floating_ip,
    };
    let (decision, fact) = entry(p, HopKind::NatRule, fact);
    Some(
        Hop::new(HopKind::NatRule, Some(r.id.id.clone()), decision, fact)
            .rule(Some(r.name.clone())),
    )
}

fn endpoint_hops(p: &PathAnalysis<'_>, host: &HostFacts<'_>) -> Vec<Hop> {
    let Some(ep) = p.endpoint else {
        return Vec::new();
    };
    let fact = EntryFact::Endpoint {
        address: p.address,
        public_port: ep.public_port,
        private_port: ep.private_port,
    };
    let (decision, fact) = entry(p, HopKind::ClassicEndpoint, fact);
    let vm = Some(host.vm_id.to_string());
    let endpoint =
        Hop::new(HopKind::ClassicEndpoint, vm.clone(), decision, fact).rule(Some(ep.name.clone()));
    let ev = &p.client;
    let (decision, acl) = match &ep.acl {
        None => (Decision::Unknown, AclFact::NotVisible),
        Some(r) => (
            set_decision(&ev.admitted, &ev.candidates),
            if r.is_empty() {
                AclFact::NoRules
            } else {
                AclFact::Permits {
                    admitted: ev.admitted.clone(),
                    candidates: ev.candidates.clone(),
                }
            },
        ),
    };
    vec![
        endpoint,
        Hop::new(
            HopKind::ClassicAcl,
            vm,
            decision,
            HopFact::Entry(EntryFact::Acl(acl)),
        ),
    ]
}

fn lb_rule_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let (lb, r) = (p.lb?, p.lb_rule?);
    let fact = EntryFact::LbRule {
        lb: lb.name.clone(),
        sku: lb.sku,
        address: p.address,
        frontend_port: r.frontend_port,
        backend_port: p.delivered_port,
        floating: r.floating_ip,
        ha_ports: r.ha_ports(),
    };
    let (decision, fact) = entry(p, HopKind::LbRule, fact);
    Some(
        Hop::new(HopKind::LbRule, Some(r.id.id.clone()), decision, fact).rule(Some(r.name.clone())),
    )
}

fn bastion_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let b = p.bastion?;
    let flags = BastionFlags {
        sku: b.sku.clone(),
        developer: b.developer(),
        shareable_link: b.shareable_link,
        ip_connect: b.ip_connect,
        tunneling: b.tunneling,
        private_only: b.private_only,
        ip_rules: b.ip_rules.clone(),
    };
    let fact = EntryFact::Bastion {
        sources: p.client.candidates.clone(),
        private_ip: p.ip_config.and_then(|c| c.private_ip),
        port: p.delivered_port,
        flags,
    };
    let (decision, fact) = entry(p, HopKind::Bastion, fact);
    Some(Hop::new(
        HopKind::Bastion,
        Some(b.id.id.clone()),
        decision,
        fact,
    ))
}

/// `allow` (all), `deny` (none), `partial` (some) of `cands` in `set`.
fn set_decision(set: &AddrSet, cands: &AddrSet) -> Decision {
    let admitted = set.intersect(cands);
    if admitted.is_empty() {
        Decision::Deny
    } else if cands.is_subset(&admitted) {
        Decision::Allow
    } else {
        Decision::Partial
    }
}

fn nsg_hops(p: &PathAnalysis<'_>) -> Vec<Hop> {
    let ev = &p.client;
    if ev.secure_by_default {
        return vec![Hop::new(
            HopKind::SubnetNsg,
            None,
            Decision::Deny,
            HopFact::SecureByDefault { sku: p.sku },
        )];
    }
    let mut hops = Vec::new();
    for (kind, slot) in [
        (HopKind::SubnetNsg, &p.subnet_nsg),
        (HopKind::NicNsg, &p.nic_nsg),
    ] {
        let hop = match slot {
            Slot::None => Hop::new(kind, None, Decision::Allow, HopFact::NoNsg),
            Slot::Unusable(id, why) => Hop::new(
                kind,
                Some(id.id.clone()),
                Decision::Unknown,
                HopFact::NsgUnusable(why.clone()),
            ),
            Slot::Present(n) => {
                let parts: Vec<&Part> = ev
                    .parts
                    .iter()
                    .filter_map(|pp| match kind {
                        HopKind::SubnetNsg => pp.subnet.as_ref(),
                        _ => pp.nic.as_ref(),
                    })
                    .collect();
                if parts.is_empty() && super::hops_doors::bypassed(ev) {
                    Hop::new(
                        kind,
                        Some(n.id.id.clone()),
                        Decision::Skipped,
                        HopFact::AdminBypass,
                    )
                } else if parts.is_empty() {
                    Hop::new(
                        kind,
                        Some(n.id.id.clone()),
                        Decision::Skipped,
                        HopFact::NotReached,
                    )
                } else {
                    level_hop(kind, n, &parts, ev.snat.as_ref().unwrap_or(&ev.candidates))
                }
            }
        };
        hops.push(hop);
    }
    hops
}

/// One NSG level: the overall decision and the rule that decided the most addresses of it.
fn level_hop(kind: HopKind, n: &Nsg, parts: &[&Part], cands: &AddrSet) -> Hop {
    let mut reached = AddrSet::empty();
    let mut admitted = AddrSet::empty();
    let mut unknown = AddrSet::empty();
    for p in parts {
        reached = reached.union(&p.set);
        match p.outcome {
            Outcome::Allow | Outcome::Partial => admitted = admitted.union(&p.set),
            Outcome::Unknown => unknown = unknown.union(&p.set),
            Outcome::Deny => {}
        }
    }
    let has = |o: Outcome| parts.iter().any(|p| p.outcome == o);
    let decision = if has(Outcome::Unknown) && admitted.is_empty() {
        Decision::Unknown
    } else if admitted.is_empty() {
        Decision::Deny
    } else if has(Outcome::Partial) || !reached.is_subset(&admitted) {
        Decision::Partial
    } else {
        Decision::Allow
    };
    // The deciding rule shown: the admitting rule when anything is admitted, else the denying
    // (or undecidable) one; the one covering the most addresses.
    let pick = parts
        .iter()
        .filter(|p| match decision {
            Decision::Deny => p.outcome == Outcome::Deny,
            Decision::Unknown => p.outcome == Outcome::Unknown,
            _ => p.outcome.admits(),
        })
        .max_by_key(|p| (p.set.count_v4(), p.set.v6.count()));
    let fact = HopFact::NsgLevel {
        parts: parts
            .iter()
            .map(|p| LevelPart {
                outcome: p.outcome,
                set: p.set.clone(),
                rule: p.rule.clone(),
                maybe: p.maybe.clone(),
            })
            .collect(),
        undecided: (!unknown.is_empty() && decision != Decision::Unknown).then_some(unknown),
        candidates: cands.clone(),
    };
    let mut h = Hop::new(kind, Some(n.id.id.clone()), decision, fact);
    if let Some(p) = pick {
        let r = if decision == Decision::Unknown {
            p.maybe.as_ref().or(p.rule.as_ref())
        } else {
            p.rule.as_ref().or(p.maybe.as_ref())
        };
        h.rule = Some(
            r.map(|r| r.name.clone())
                .unwrap_or_else(|| END_OF_RULES.into()),
        );
        h.priority = r.map(|r| r.priority);
    }
    h
}

fn route_hops(ev: &NetEval) -> Option<Hop> {
    let bad = ev.routes.iter().find(|r| r.fate != ReplyFate::Returns);
    let pick = bad.or(ev.routes.first())?;
    let decision = match pick.fate {
        ReplyFate::Returns => Decision::Ok,
        ReplyFate::Asymmetric => Decision::Asymmetric,
        ReplyFate::Dropped => Decision::Dropped,
        ReplyFate::Unknown => Decision::Unknown,
    };
    let fact = HopFact::Route {
        set: pick.set.clone(),
        candidates: ev.candidates.clone(),
        user_route: pick.route.is_some(),
        prefix: pick.prefix.clone(),
        next_hop: pick.next_hop.clone(),
        next_hop_ip: pick.next_hop_ip.clone(),
    };
    Some(Hop::new(HopKind::Route, None, decision, fact).rule(pick.route.clone()))
}

/// `--probe`: does the entry point's DNS name still lead to its address?
fn dns_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let (name, answer) = p.dns?;
    let decision = match (answer, p.address, p.dns_current()) {
        (DnsAnswer::Failed(_), _, _) => Decision::Unknown,
        (_, Some(_), Some(true)) => Decision::Ok,
        (DnsAnswer::Resolved(_), Some(_), Some(false)) => Decision::Stale,
        (DnsAnswer::Resolved(_), _, _) => Decision::Unknown,
    };
    let fact = HopFact::Dns {
        name: name.to_string(),
        answer: answer.clone(),
        address: p.address,
    };
    let resource = p.public_ip.map(|pip| pip.id.id.clone());
    Some(Hop::new(HopKind::Dns, resource, decision, fact))
}

/// `--probe`: what a TCP connect from this machine to the entry point did.
pub(crate) fn probe_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let t = p.probe?;
    let target = p.connect_to()?;
    let decision = match t.outcome {
        TcpOutcome::Open => Decision::Open,
        TcpOutcome::Refused => Decision::Refused,
        TcpOutcome::TimedOut => Decision::TimedOut,
        TcpOutcome::Unreachable => Decision::Unknown,
    };
    let fact = HopFact::Probe {
        target,
        result: t.clone(),
    };
    Some(Hop::new(HopKind::Probe, None, decision, fact))
}

fn power_hop(host: &HostFacts<'_>) -> Hop {
    let decision = match host.power {
        PowerState::Running => Decision::Ok,
        PowerState::Unknown => Decision::Unknown,
        _ => Decision::Blocked,
    };
    Hop::new(
        HopKind::Power,
        Some(host.vm_id.to_string()),
        decision,
        HopFact::Power(host.power.clone()),
    )
}

/// A guest fact that stops RDP (RDP501, RDP503–RDP505).
pub(crate) fn guest_blocks(g: &GuestFacts) -> bool {
    g.rdp_enabled == Some(false)
        || g.term_service_running == Some(false)
        || g.listening == Some(false)
        || g.firewall_allows_rdp == Some(false)
}

fn guest_hop(host: &HostFacts<'_>) -> Option<Hop> {
    let g = host.guest?;
    let decision = match (guest_blocks(g), &g.error) {
        (true, _) => Decision::Blocked,
        (false, Some(_)) => Decision::Unknown,
        (false, None) => Decision::Ok,
    };
    Some(Hop::new(
        HopKind::Guest,
        Some(host.vm_id.to_string()),
        decision,
        HopFact::Guest(g.clone()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report's `hop` and `decision` strings are part of the JSON contract.
    #[test]
    fn kinds_and_decisions_serialise_as_the_report_strings() {
        use Decision as D;
        use HopKind as K;
        let kinds = [
            (K::Dns, "dns"),
            (K::PublicIp, "publicIp"),
            (K::NatRule, "natRule"),
            (K::ClassicEndpoint, "classicEndpoint"),
            (K::ClassicAcl, "classicAcl"),
            (K::Bastion, "bastion"),
            (K::Nic, "nic"),
            (K::Data, "data"),
            (K::SubnetNsg, "subnetNsg"),
            (K::NicNsg, "nicNsg"),
            (K::Route, "route"),
            (K::Power, "power"),
            (K::Guest, "guest"),
            (K::Probe, "probe"),
            (K::LbRule, "lbRule"),
        ];
        for (k, s) in kinds {
            assert_eq!(serde_json::to_value(k).unwrap(), s);
            assert_eq!(k.to_string(), s);
        }
        let decisions = [
            (D::Ok, "ok"),
            (D::Allow, "allow"),
            (D::Deny, "deny"),
            (D::Partial, "partial"),
            (D::Blocked, "blocked"),
            (D::Dropped, "dropped"),
            (D::Asymmetric, "asymmetric"),
            (D::Unknown, "unknown"),
            (D::Skipped, "skipped"),
            (D::Stale, "stale"),
            (D::Open, "open"),
            (D::Refused, "refused"),
            (D::TimedOut, "timedOut"),
        ];
        for (d, s) in decisions {
            assert_eq!(serde_json::to_value(d).unwrap(), s);
            assert_eq!(d.to_string(), s);
        }
    }
}
