//! The hops of a path as `check` walks them: typed decisions and the facts behind each, built
//! from an evaluated path. `report::words` phrases them.

use serde::Serialize;
use std::net::IpAddr;

use super::addrset::AddrSet;
use super::evaluate::PathAnalysis;
use super::nsg::{Outcome, Part, RuleRef};
use super::route::ReplyFate;
use super::types::{BlockReason, NetEval, PathKind, Slot, Unknown, Unusable};
use crate::model::{DnsAnswer, GuestFacts, NextHop, Nsg, PowerState, Sku, TcpOutcome, TcpProbe};

/// Which step of a path a hop is. Serialised as the report's `hop` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum HopKind {
    /// Resolving the public IP's DNS name.
    Dns,
    /// The public IP address.
    PublicIp,
    /// A load balancer inbound NAT rule.
    NatRule,
    /// A classic cloud service endpoint.
    ClassicEndpoint,
    /// A classic endpoint's ACL.
    ClassicAcl,
    /// Azure Bastion.
    Bastion,
    /// The network interface.
    Nic,
    /// Data the path needs is missing or unreadable.
    Data,
    /// The subnet's NSG.
    SubnetNsg,
    /// The NIC's NSG.
    NicNsg,
    /// The route the reply takes.
    Route,
    /// The VM's power state.
    Power,
    /// The Windows guest (guest facts).
    Guest,
    /// The `--probe` TCP connect.
    Probe,
}

impl HopKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HopKind::Dns => "dns",
            HopKind::PublicIp => "publicIp",
            HopKind::NatRule => "natRule",
            HopKind::ClassicEndpoint => "classicEndpoint",
            HopKind::ClassicAcl => "classicAcl",
            HopKind::Bastion => "bastion",
            HopKind::Nic => "nic",
            HopKind::Data => "data",
            HopKind::SubnetNsg => "subnetNsg",
            HopKind::NicNsg => "nicNsg",
            HopKind::Route => "route",
            HopKind::Power => "power",
            HopKind::Guest => "guest",
            HopKind::Probe => "probe",
        }
    }
}

impl std::fmt::Display for HopKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a hop decided. Serialised as the report's `decision` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// The hop passes.
    Ok,
    /// An NSG or ACL rule allows.
    Allow,
    /// An NSG or ACL rule denies.
    Deny,
    /// Allowed only for some source ports.
    Partial,
    /// The hop stops RDP regardless of rules.
    Blocked,
    /// The reply's route drops it.
    Dropped,
    /// The reply takes another way back (asymmetric routing).
    Asymmetric,
    /// Undecidable from the data.
    Unknown,
    /// Not reached: no traffic gets this far.
    Skipped,
    /// DNS resolves to an address the entry point no longer has.
    Stale,
    /// The probe connected.
    Open,
    /// The probe's connection was refused.
    Refused,
    /// The probe timed out.
    TimedOut,
}

impl Decision {
    /// A decision that stops the connection.
    pub(crate) fn stops(self) -> bool {
        matches!(
            self,
            Decision::Deny | Decision::Blocked | Decision::Dropped | Decision::Asymmetric
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Ok => "ok",
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Partial => "partial",
            Decision::Blocked => "blocked",
            Decision::Dropped => "dropped",
            Decision::Asymmetric => "asymmetric",
            Decision::Unknown => "unknown",
            Decision::Skipped => "skipped",
            Decision::Stale => "stale",
            Decision::Open => "open",
            Decision::Refused => "refused",
            Decision::TimedOut => "timedOut",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classic endpoint's ACL as the hop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AclFact {
    NotVisible,
    NoRules,
    Permits {
        admitted: AddrSet,
        candidates: AddrSet,
    },
}

/// One part of an NSG level's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LevelPart {
    pub(crate) outcome: Outcome,
    pub(crate) set: AddrSet,
    pub(crate) rule: Option<RuleRef>,
    pub(crate) maybe: Option<RuleRef>,
}

/// The entry point of a path as its hop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryFact {
    PublicIp {
        address: Option<IpAddr>,
        sku: Sku,
        dynamic: bool,
        fqdn: Option<String>,
    },
    NatRule {
        lb: String,
        sku: Sku,
        address: Option<IpAddr>,
        frontend_port: Option<u16>,
        frontend_range: Option<(u16, u16)>,
        backend_port: u16,
        floating: bool,
    },
    Endpoint {
        address: Option<IpAddr>,
        public_port: u16,
        private_port: u16,
    },
    Acl(AclFact),
    Bastion {
        sources: AddrSet,
        private_ip: Option<IpAddr>,
        port: u16,
    },
}

/// The data behind a hop's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HopFact {
    /// The entry point is blocked.
    Blocked(BlockReason),
    /// Data the path needs is not in the model.
    Missing(Unknown),
    Entry(EntryFact),
    /// Standard SKU entry points are closed until an NSG allows (docs/decisions.md D10).
    SecureByDefault {
        sku: Option<Sku>,
    },
    NoNsg,
    NsgUnusable(Unusable),
    /// Every address was denied at an earlier level.
    NotReached,
    NsgLevel {
        parts: Vec<LevelPart>,
        /// Addresses the level cannot decide, shown when the level decided others.
        undecided: Option<AddrSet>,
        candidates: AddrSet,
    },
    Route {
        set: AddrSet,
        candidates: AddrSet,
        user_route: bool,
        prefix: String,
        next_hop: NextHop,
        next_hop_ip: Option<String>,
    },
    Dns {
        name: String,
        answer: DnsAnswer,
        address: Option<IpAddr>,
    },
    Probe {
        target: String,
        result: TcpProbe,
    },
    Power(PowerState),
    Guest(GuestFacts),
}

/// One step of a path as `check` prints it and the JSON report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub(crate) kind: HopKind,
    pub(crate) resource: Option<String>,
    pub(crate) decision: Decision,
    pub(crate) rule: Option<String>,
    pub(crate) priority: Option<u32>,
    pub(crate) fact: HopFact,
}

impl Hop {
    fn new(kind: HopKind, resource: Option<String>, decision: Decision, fact: HopFact) -> Hop {
        Hop {
            kind,
            resource,
            decision,
            rule: None,
            priority: None,
            fact,
        }
    }

    fn rule(mut self, rule: Option<String>) -> Hop {
        self.rule = rule;
        self
    }

    /// A hop that stops the connection.
    pub(crate) fn is_stop(&self) -> bool {
        self.decision.stops()
    }

    pub(crate) fn is_unknown(&self) -> bool {
        self.decision == Decision::Unknown
    }

    /// A subnet or NIC NSG hop.
    pub(crate) fn is_nsg(&self) -> bool {
        matches!(self.kind, HopKind::SubnetNsg | HopKind::NicNsg)
    }
}

/// The host a path ends at, as hops see it.
pub(crate) struct HostFacts<'a> {
    pub(crate) vm_id: &'a str,
    pub(crate) power: &'a PowerState,
    pub(crate) guest: Option<&'a GuestFacts>,
}

/// Every hop of an evaluated path, in the order a connection meets them.
pub(crate) fn path_hops(p: &PathAnalysis<'_>, host: &HostFacts<'_>) -> Vec<Hop> {
    let mut hops: Vec<Hop> = dns_hop(p).into_iter().collect();
    hops.extend(entry_hops(p, host));
    if p.kind != PathKind::ClassicEndpoint {
        hops.extend(nsg_hops(p)); // classic endpoints have an ACL, not NSGs
    }
    if p.kind.is_direct() && p.kind != PathKind::ClassicEndpoint {
        hops.extend(route_hops(&p.client));
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
        frontend_port: r.frontend_port,
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

fn bastion_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let b = p.bastion?;
    Some(Hop::new(
        HopKind::Bastion,
        Some(b.id.id.clone()),
        Decision::Ok,
        HopFact::Entry(EntryFact::Bastion {
            sources: p.client.candidates.clone(),
            private_ip: p.ip_config.and_then(|c| c.private_ip),
            port: p.delivered_port,
        }),
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
                if parts.is_empty() {
                    Hop::new(
                        kind,
                        Some(n.id.id.clone()),
                        Decision::Skipped,
                        HopFact::NotReached,
                    )
                } else {
                    level_hop(kind, n, &parts, &ev.candidates)
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

/// The `rule` of a hop decided by the implicit end of an NSG's rule list.
pub(crate) const END_OF_RULES: &str = "(end of rules)";

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

impl BlockReason {
    /// The hop a block shows on.
    pub(crate) fn hop(&self) -> HopKind {
        match self {
            BlockReason::NoAddress { .. } => HopKind::PublicIp,
            BlockReason::NatRuleUnbound { .. } | BlockReason::FrontendWithoutPublicIp { .. } => {
                HopKind::NatRule
            }
            BlockReason::SecondaryNic { .. } => HopKind::Nic,
            BlockReason::GuestPortMismatch { .. } => HopKind::Guest,
            BlockReason::EndpointPortMismatch { .. } => HopKind::ClassicEndpoint,
        }
    }
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
