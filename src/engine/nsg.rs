//! Exact evaluation of one NSG's inbound rules over a set of source addresses
//! (docs/decisions.md D6).
//!
//! Rules are walked by ascending priority; each rule that matches protocol (TCP), destination
//! address and destination port takes the part of the still-undecided source set that it
//! covers. A rule that only *may* match — its source is a tag whose addresses the data does not
//! show, or its source ports cover only part of the ephemeral range — moves the part it may
//! cover into a "pending" class: the final outcome of those addresses is certain only when every
//! possible deciding rule agrees. Every part of the result keeps the rule that decided it.

use std::net::IpAddr;

use super::addrset::AddrSet;
use crate::model::{
    Access, AddrSpec, Coverage, Nsg, ResId, Rules, SecurityRule, ServiceTag, EPHEMERAL,
};

/// What an NSG (or a whole path) decided for a part of the source set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Admitted.
    Allow,
    /// Denied.
    Deny,
    /// Some connections are admitted, depending on the client's source port (RDP405).
    Partial,
    /// Depends on a tag, ASG or destination the data cannot expand (RDP407).
    Unknown,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Partial => "partial",
            Outcome::Unknown => "unknown",
        }
    }

    /// Admits at least some connections.
    pub(crate) fn admits(self) -> bool {
        matches!(self, Outcome::Allow | Outcome::Partial)
    }

    /// Both levels in sequence (subnet then NIC): a definite deny anywhere wins.
    pub(crate) fn then(self, next: Outcome) -> Outcome {
        use Outcome::*;
        match (self, next) {
            (Deny, _) | (_, Deny) => Deny,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Partial, _) | (_, Partial) => Partial,
            (Allow, Allow) => Allow,
        }
    }
}

/// The rule behind a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleRef {
    pub(crate) name: String,
    pub(crate) priority: u32,
    pub(crate) access: Access,
    pub(crate) is_default: bool,
    /// Why the rule only possibly matched (for pending decisions).
    pub(crate) note: Option<String>,
    /// Service tags of the rule's source the data cannot expand (`AzureCloud`, …).
    pub(crate) opaque_tags: Vec<String>,
}

impl RuleRef {
    fn of_side(r: &SecurityRule, side: Side, note: Option<String>) -> RuleRef {
        RuleRef {
            opaque_tags: side
                .set_spec(r)
                .tags
                .iter()
                .filter(|t| matches!(t, ServiceTag::Other(_)))
                .map(|t| t.name().to_string())
                .collect(),
            name: r.name.clone(),
            priority: r.priority,
            access: r.access,
            is_default: r.is_default,
            note,
        }
    }
}

/// One part of the evaluated source set and how it was decided.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) set: AddrSet,
    pub(crate) outcome: Outcome,
    /// The rule that finally decided these addresses (`None`: no NSG at this level, or the
    /// implicit end of the rule list).
    pub(crate) rule: Option<RuleRef>,
    /// The first rule that only possibly matched these addresses before `rule` decided.
    pub(crate) maybe: Option<RuleRef>,
}

/// What the NSG compares against (docs/decisions.md D7), and how tags expand for this subnet
/// (D8).
pub struct Target<'a> {
    /// The target IP configuration's private IP (or the LB frontend IP with floating IP).
    pub dest_ip: Option<IpAddr>,
    /// The destination port (the RDP port).
    pub dest_port: u16,
    /// ASGs the target IP configuration belongs to.
    pub dest_asgs: &'a [ResId],
    /// The service tag expansions for the target's subnet.
    pub tags: &'a TagSets<'a>,
}

/// Expansions of the service tags for one subnet.
#[derive(Debug, Clone)]
pub struct TagSets<'a> {
    /// `Internet`: the public space outside this VNet.
    pub internet: AddrSet,
    /// `VirtualNetwork`: the VNet, its peerings and the Azure host address.
    pub virtual_network: AddrSet,
    /// `AzureLoadBalancer`: the load balancer health probe source.
    pub azure_load_balancer: AddrSet,
    /// Private addresses of members of each ASG (key → set), computed once per model.
    pub asg_members: &'a crate::model::IdMap<AddrSet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Pending {
    allow: bool,
    deny: bool,
    opaque: bool,
}

impl Pending {
    fn add(self, access: Access, opaque: bool) -> Pending {
        Pending {
            allow: self.allow || access == Access::Allow,
            deny: self.deny || access == Access::Deny,
            opaque: self.opaque || opaque,
        }
    }

    fn resolve(self, last: Access) -> Outcome {
        let disagree = match last {
            Access::Allow => self.deny,
            Access::Deny => self.allow,
        };
        if !disagree {
            match last {
                Access::Allow => Outcome::Allow,
                Access::Deny => Outcome::Deny,
            }
        } else if self.opaque {
            Outcome::Unknown
        } else {
            Outcome::Partial
        }
    }
}

struct Class {
    pending: Pending,
    set: AddrSet,
    maybe: Option<RuleRef>,
}

enum Match {
    No,
    Yes,
    /// May match: the string says why; `true` when the reason is missing data (opaque).
    Maybe(String, bool),
}

/// How the fixed point of `t` (its address and ASGs) matches each of `specs` (the rules'
/// [`Side::point_spec`]), one entry per rule appended to `out`. [`evaluate_rules`] reads the
/// fixed point only through this match, so two targets alike in port and tag sets and in this
/// signature get the same parts: east-west contexts share one evaluation on it.
pub(crate) fn point_signature<'s>(
    specs: impl IntoIterator<Item = &'s AddrSpec>,
    t: &Target<'_>,
    out: &mut Vec<u8>,
) {
    for spec in specs {
        match match_destination(spec, t) {
            Match::No => out.push(0),
            Match::Yes => out.push(1),
            // The reason is part of the parts a maybe makes: it is part of the signature.
            Match::Maybe(why, opaque) => {
                out.push(2 + u8::from(opaque));
                out.extend_from_slice(why.as_bytes());
                out.push(0xFF); // never a byte of UTF-8 text
            }
        }
    }
}

fn match_destination(spec: &AddrSpec, t: &Target<'_>) -> Match {
    if spec.any {
        return Match::Yes;
    }
    if spec
        .asgs
        .iter()
        .any(|a| t.dest_asgs.iter().any(|m| m.key() == a.key()))
    {
        return Match::Yes;
    }
    let Some(ip) = t.dest_ip else {
        return if spec.prefixes.is_empty() && spec.tags.is_empty() {
            Match::No
        } else {
            Match::Maybe("the target's private IP is not in the data".into(), true)
        };
    };
    if spec.prefixes.iter().any(|p| p.contains(&ip)) {
        return Match::Yes;
    }
    let mut maybe = None;
    for tag in &spec.tags {
        let set = match tag {
            ServiceTag::Internet => &t.tags.internet,
            ServiceTag::VirtualNetwork => &t.tags.virtual_network,
            ServiceTag::AzureLoadBalancer => &t.tags.azure_load_balancer,
            ServiceTag::Other(name) => {
                // Opaque tags are parts of the public space; a private destination is never in one.
                if t.tags.internet.contains(ip) {
                    maybe = Some(Match::Maybe(
                        format!("destination tag {name} is not expandable from the data"),
                        true,
                    ));
                }
                continue;
            }
        };
        if set.contains(ip) {
            return Match::Yes;
        }
    }
    maybe.unwrap_or(Match::No)
}

/// The definite and possible source sets of a rule.
fn source_sets(spec: &AddrSpec, t: &Target<'_>) -> (AddrSet, AddrSet, Option<String>) {
    if spec.any {
        return (AddrSet::all(), AddrSet::empty(), None);
    }
    let mut definite = AddrSet::from_nets(&spec.prefixes);
    let mut maybe = AddrSet::empty();
    let mut why = None;
    for tag in &spec.tags {
        match tag {
            ServiceTag::Internet => definite = definite.union(&t.tags.internet),
            ServiceTag::VirtualNetwork => definite = definite.union(&t.tags.virtual_network),
            ServiceTag::AzureLoadBalancer => definite = definite.union(&t.tags.azure_load_balancer),
            ServiceTag::Other(name) => {
                maybe = maybe.union(&t.tags.internet);
                why.get_or_insert_with(|| {
                    format!("source tag {name} is not expandable from the data")
                });
            }
        }
    }
    for asg in &spec.asgs {
        if let Some(members) = t.tags.asg_members.get(&asg.key()) {
            definite = definite.union(members);
        }
    }
    let maybe = maybe.difference(&definite);
    (definite, maybe, why)
}

/// Which way a rule list is read (docs/decisions.md D45). Inbound: the candidates are sources
/// and the fixed point (`Target::dest_ip`, `dest_asgs`) is the destination. Outbound: the
/// candidates are destinations and the fixed point is the sending VM's address and ASGs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Inbound,
    Outbound,
}

impl Side {
    /// The side of the rule the candidate set is matched against.
    fn set_spec(self, r: &SecurityRule) -> &AddrSpec {
        match self {
            Side::Inbound => &r.source,
            Side::Outbound => &r.destination,
        }
    }

    /// The side of the rule the fixed point is matched against.
    pub(crate) fn point_spec(self, r: &SecurityRule) -> &AddrSpec {
        match self {
            Side::Inbound => &r.destination,
            Side::Outbound => &r.source,
        }
    }
}

/// Evaluates `nsg` for TCP flows from `candidates` to the target (docs/decisions.md D6).
pub(crate) fn evaluate(nsg: &Nsg, candidates: &AddrSet, t: &Target<'_>) -> Vec<Part> {
    evaluate_rules(&nsg.inbound, candidates, t, Side::Inbound)
}

/// Evaluates outbound `rules` (one NSG's, `Nsg::outbound`) for TCP flows from the VM at
/// `t.dest_ip` to each address of `destinations` on port `t.dest_port`: the same exact walk as
/// inbound with source and destination swapped. The implicit end is `DenyAllOutBound`.
pub(crate) fn evaluate_outbound(
    rules: &Rules,
    destinations: &AddrSet,
    t: &Target<'_>,
) -> Vec<Part> {
    evaluate_rules(rules, destinations, t, Side::Outbound)
}

pub(crate) fn evaluate_rules(
    rules: &Rules,
    candidates: &AddrSet,
    t: &Target<'_>,
    side: Side,
) -> Vec<Part> {
    let mut classes = vec![Class {
        pending: Pending::default(),
        set: candidates.clone(),
        maybe: None,
    }];
    let mut parts: Vec<Part> = Vec::new();
    for rule in rules {
        if classes.iter().all(|c| c.set.is_empty()) {
            break;
        }
        if !rule.protocol.matches_tcp() || !rule.destination_ports.contains(t.dest_port) {
            continue;
        }
        let mut rule_maybe: Option<(String, bool)> =
            match match_destination(side.point_spec(rule), t) {
                Match::No => continue,
                Match::Yes => None,
                Match::Maybe(why, opaque) => Some((why, opaque)),
            };
        match rule.source_ports.coverage(EPHEMERAL.0, EPHEMERAL.1) {
            Coverage::None => continue,
            Coverage::All => {}
            Coverage::Some => {
                if rule_maybe.is_none() {
                    rule_maybe = Some((
                        format!("source ports {} cover only part of the client's ephemeral range 49152-65535", rule.source_ports),
                        false,
                    ));
                }
            }
        }
        let (definite, tag_maybe, tag_why) = source_sets(side.set_spec(rule), t);
        // Sets this rule may (not must) match, each with whether missing data is the reason.
        let (certain_src, maybes) = match rule_maybe {
            None => (definite, vec![(tag_maybe, true, tag_why)]),
            Some((why, opaque)) => (
                AddrSet::empty(),
                vec![
                    (definite, opaque, Some(why.clone())),
                    (tag_maybe, true, tag_why.or(Some(why))),
                ],
            ),
        };
        let mut new_classes: Vec<Class> = Vec::new();
        for class in &mut classes {
            if class.set.is_empty() {
                continue;
            }
            let covered = class.set.intersect(&certain_src);
            if !covered.is_empty() {
                class.set = class.set.difference(&covered);
                parts.push(Part {
                    set: covered,
                    outcome: class.pending.resolve(rule.access),
                    rule: Some(RuleRef::of_side(rule, side, None)),
                    maybe: class.maybe.clone(),
                });
            }
            for (maybe_src, opaque, why) in &maybes {
                let possible = class.set.intersect(maybe_src);
                if possible.is_empty() {
                    continue;
                }
                class.set = class.set.difference(&possible);
                new_classes.push(Class {
                    pending: class.pending.add(rule.access, *opaque),
                    set: possible,
                    maybe: class
                        .maybe
                        .clone()
                        .or_else(|| Some(RuleRef::of_side(rule, side, why.clone()))),
                });
            }
        }
        for nc in new_classes {
            match classes
                .iter_mut()
                .find(|c| c.pending == nc.pending && c.maybe == nc.maybe)
            {
                Some(c) => c.set = c.set.union(&nc.set),
                None => classes.push(nc),
            }
        }
    }
    // Azure always ends with DenyAllInBound; a rule list without it still denies the rest.
    for class in classes {
        if !class.set.is_empty() {
            parts.push(Part {
                set: class.set,
                outcome: class.pending.resolve(Access::Deny),
                rule: None,
                maybe: class.maybe,
            });
        }
    }
    merge_parts(parts)
}

/// Merges parts with the same outcome and rules, keeping first-seen order.
pub(crate) fn merge_parts(parts: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::with_capacity(parts.len());
    for p in parts {
        match out
            .iter_mut()
            .find(|o| o.outcome == p.outcome && o.rule == p.rule && o.maybe == p.maybe)
        {
            Some(o) => o.set = o.set.union(&p.set),
            None => out.push(p),
        }
    }
    out
}
