//! Azure Virtual Network Manager security admin rules, evaluated before the NSGs
//! (docs/decisions.md D32–D35): `Deny` drops, `AlwaysAllow` delivers and skips the NSGs, `Allow`
//! (or no match) hands the decision to the NSGs.
//!
//! The matching reuses the NSG evaluator exactly (protocol, destination, ports, source sets,
//! service tags, "may match" classes): two passes over the rules as an NSG — one where only
//! `Deny` denies (and the end of the list allows), one where only `AlwaysAllow` allows — and the
//! intersection of their parts says which addresses are dropped, delivered, handed on, or
//! undecidable.

use super::addrset::AddrSet;
pub(crate) use super::admin_types::*;
use super::nsg::{self, Outcome, Part, RuleRef, Target};
use super::types::Unknown;
use crate::model::doors::VnetAdminRules;
use crate::model::{
    Access, AddrSpec, AdminAccess, AdminRule, Model, Nsg, PortSet, Protocol, ResId, Rules,
    SecurityRule, Subnet, Vnet,
};

/// The effective admin rules of the VNet a path lands in (none when not collected or not read;
/// [`missing`] makes those paths unknown).
pub(crate) fn rules_for<'m>(model: &'m Model, place: Option<(&Vnet, &Subnet)>) -> &'m [AdminRule] {
    let Some(((vnet, _), section)) = place.zip(model.admin_rules.as_ref()) else {
        return &[];
    };
    match section.get(&vnet.id.key()) {
        Some(VnetAdminRules::Rules(r)) => r,
        _ => &[],
    }
}

/// Why a path's admin rules are unknown: the section is present but this VNet was not read, or
/// its list could not be understood. `None` when the section is absent (collected without admin
/// rules: audited as before, and the report says so).
pub(crate) fn missing(model: &Model, place: Option<(&Vnet, &Subnet)>) -> Option<Unknown> {
    let ((vnet, _), section) = place.zip(model.admin_rules.as_ref())?;
    unread(section, vnet)
}

/// Why `vnet`'s list in a present section cannot be used, if it cannot.
fn unread(section: &crate::model::IdMap<VnetAdminRules>, vnet: &Vnet) -> Option<Unknown> {
    match section.get(&vnet.id.key()) {
        None => Some(Unknown::AdminRulesNotRead {
            vnet: vnet.name.clone(),
        }),
        Some(VnetAdminRules::Broken(why)) => Some(Unknown::AdminRulesUnusable {
            vnet: vnet.name.clone(),
            why: why.clone(),
        }),
        Some(VnetAdminRules::Rules(_)) => None,
    }
}

fn as_nsg(rules: &[AdminRule], access: impl Fn(AdminAccess) -> Access, end: Option<Access>) -> Nsg {
    let mut inbound: Vec<SecurityRule> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| SecurityRule {
            name: i.to_string(),
            priority: r.priority,
            access: access(r.access),
            protocol: r.protocol,
            source: r.source.clone(),
            source_ports: r.source_ports.clone(),
            destination: r.destination.clone(),
            destination_ports: r.destination_ports.clone(),
            is_default: false,
        })
        .collect();
    if let Some(a) = end {
        let any = AddrSpec {
            any: true,
            ..AddrSpec::default()
        };
        inbound.push(SecurityRule {
            name: "end".into(),
            priority: u32::MAX,
            access: a,
            protocol: Protocol::Any,
            source: any.clone(),
            source_ports: PortSet::all(),
            destination: any,
            destination_ports: PortSet::all(),
            is_default: true,
        });
    }
    Nsg {
        id: ResId::new("/securityAdminRules"),
        name: "securityAdminRules".into(),
        provisioning_state: None,
        inbound: inbound.into(),
        outbound: Rules::default(),
    }
}

fn rule_of(rules: &[AdminRule], r: Option<&RuleRef>) -> Option<AdminRef> {
    let idx: usize = r?.name.parse().ok()?;
    rules.get(idx).map(AdminRef::of)
}

/// Splits `cands` by what the admin rules do with TCP to the target (docs/decisions.md D32–D34).
/// No rules: everything is handed to the NSGs.
pub(crate) fn split(rules: &[AdminRule], cands: &AddrSet, t: &Target<'_>) -> Vec<AdminPart> {
    split_walking(rules, cands, t, &|r, c, t| {
        nsg::evaluate_rules(r, c, t, nsg::Side::Inbound)
    })
}

/// A walk of admin rules (as NSG rules) in one direction over a candidate set.
type Walk<'w> = &'w dyn Fn(&Rules, &AddrSet, &Target<'_>) -> Vec<nsg::Part>;

/// [`split`] with the direction's walk: the deny pass and the always-allow pass, combined part
/// by part, then the undocumented ties marked (docs/decisions.md D33).
fn split_walking(
    rules: &[AdminRule],
    cands: &AddrSet,
    t: &Target<'_>,
    walk: Walk<'_>,
) -> Vec<AdminPart> {
    let ordered = in_order(rules);
    let rules: &[AdminRule] = &ordered;
    if rules.is_empty() || cands.is_empty() {
        return vec![AdminPart {
            set: cands.clone(),
            outcome: AdminOutcome::Handed,
            rule: None,
            tie: None,
        }];
    }
    let deny_pass = as_nsg(
        rules,
        |a| match a {
            AdminAccess::Deny => Access::Deny,
            _ => Access::Allow,
        },
        Some(Access::Allow),
    );
    let always_pass = as_nsg(
        rules,
        |a| match a {
            AdminAccess::AlwaysAllow => Access::Allow,
            _ => Access::Deny,
        },
        None,
    );
    let a_parts = walk(&deny_pass.inbound, cands, t);
    let b_parts = walk(&always_pass.inbound, cands, t);
    let mut out: Vec<AdminPart> = Vec::new();
    for a in &a_parts {
        for b in &b_parts {
            let set = a.set.intersect(&b.set);
            if set.is_empty() {
                continue;
            }
            let (outcome, rule) = combine(rules, a, b);
            match out
                .iter_mut()
                .find(|p| p.outcome == outcome && p.rule == rule)
            {
                Some(p) => p.set = p.set.union(&set),
                None => out.push(AdminPart {
                    set,
                    outcome,
                    rule,
                    tie: None,
                }),
            }
        }
    }
    mark_ties(rules, out, t, walk)
}

/// The rules in evaluation order: priority ascending, and among equal priorities
/// `AlwaysAllow`, `Allow`, `Deny` — a tie with an `AlwaysAllow` delivers, one between `Allow` and
/// `Deny` is handed to the NSGs and marked (docs/decisions.md D33). Borrowed when already so.
fn in_order(rules: &[AdminRule]) -> std::borrow::Cow<'_, [AdminRule]> {
    let key = |r: &AdminRule| {
        let rank = match r.access {
            AdminAccess::AlwaysAllow => 0,
            AdminAccess::Allow => 1,
            AdminAccess::Deny => 2,
        };
        (r.priority, rank)
    };
    if rules.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
        return std::borrow::Cow::Borrowed(rules);
    }
    let mut v = rules.to_vec();
    v.sort_by_key(key);
    std::borrow::Cow::Owned(v)
}

/// Splits off, from each part an `Allow` rule handed to the NSGs, what a `Deny` rule of the
/// same priority also matches (or may match): Azure does not document which of the two wins
/// (docs/decisions.md D33), so that part is not concluded blocked — it stays with the NSGs and
/// carries the `Deny` rule as its tie.
fn mark_ties(
    rules: &[AdminRule],
    parts: Vec<AdminPart>,
    t: &Target<'_>,
    walk: Walk<'_>,
) -> Vec<AdminPart> {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let allow = p
            .rule
            .clone()
            .filter(|r| p.outcome == AdminOutcome::Handed && r.access == AdminAccess::Allow);
        let tied: Vec<AdminRule> = allow
            .as_ref()
            .map(|a| {
                rules
                    .iter()
                    .filter(|r| r.priority == a.priority && r.access == AdminAccess::Deny)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if tied.is_empty() {
            out.push(p);
            continue;
        }
        let pass = as_nsg(&tied, |_| Access::Deny, Some(Access::Allow));
        let mut rest = p.set.clone();
        for q in walk(&pass.inbound, &p.set, t) {
            if q.outcome == Outcome::Allow {
                continue; // no tied Deny matches these
            }
            rest = rest.difference(&q.set);
            let tie = [&q.rule, &q.maybe]
                .into_iter()
                .find_map(|r| rule_of(&tied, r.as_ref()));
            out.push(AdminPart {
                set: q.set,
                outcome: AdminOutcome::Handed,
                rule: allow.clone(),
                tie,
            });
        }
        if !rest.is_empty() {
            out.push(AdminPart { set: rest, ..p });
        }
    }
    out
}

/// The addresses whose admin-rule decision is an undocumented `Allow`/`Deny` tie (handed to the
/// NSGs, marked `conditional`; docs/decisions.md D33).
pub(crate) fn tied(parts: &[AdminPart]) -> AddrSet {
    parts
        .iter()
        .filter(|p| p.tie.is_some())
        .fold(AddrSet::empty(), |acc, p| acc.union(&p.set))
}

impl super::types::NetEval {
    /// The candidates whose admin-rule decision was an `Allow`/`Deny` tie at one priority (handed
    /// to the NSGs, not concluded blocked; docs/decisions.md D33).
    pub fn admin_ties(&self) -> AddrSet {
        tied(&self.admin)
    }
}

fn combine(rules: &[AdminRule], a: &Part, b: &Part) -> (AdminOutcome, Option<AdminRef>) {
    match (a.outcome, b.outcome) {
        (Outcome::Deny, _) => (AdminOutcome::Deny, rule_of(rules, a.rule.as_ref())),
        (Outcome::Allow, Outcome::Allow) => {
            (AdminOutcome::AlwaysAllow, rule_of(rules, b.rule.as_ref()))
        }
        (Outcome::Allow, Outcome::Deny) => (AdminOutcome::Handed, rule_of(rules, a.rule.as_ref())),
        _ => {
            let r = [&a.maybe, &b.maybe, &a.rule, &b.rule]
                .into_iter()
                .find_map(|r| rule_of(rules, r.as_ref()));
            (AdminOutcome::Unknown, r)
        }
    }
}

/// The union of the parts with this outcome.
pub(crate) fn set_of(parts: &[AdminPart], outcome: AdminOutcome) -> AddrSet {
    parts
        .iter()
        .filter(|p| p.outcome == outcome)
        .fold(AddrSet::empty(), |acc, p| acc.union(&p.set))
}

/// The parts worth showing: none when no admin rule decided anything.
pub(crate) fn shown(parts: Vec<AdminPart>) -> Vec<AdminPart> {
    if parts
        .iter()
        .all(|p| p.outcome == AdminOutcome::Handed && p.rule.is_none())
    {
        return Vec::new();
    }
    parts
}

// ---- east-west flows (docs/decisions.md D45) -------------------------------------------------

/// The effective *outbound* admin rules of the VNet a flow leaves (east-west flows, D45).
pub(crate) fn rules_out_for<'m>(model: &'m Model, vnet: &Vnet) -> &'m [AdminRule] {
    match model
        .admin_rules_out
        .as_ref()
        .and_then(|s| s.get(&vnet.id.key()))
    {
        Some(VnetAdminRules::Rules(r)) => r,
        _ => &[],
    }
}

/// Why the outbound admin rules of `vnet` are unknown (as [`missing`] for inbound).
pub(crate) fn missing_out(model: &Model, vnet: &Vnet) -> Option<Unknown> {
    unread(model.admin_rules_out.as_ref()?, vnet)
}

/// [`split`] for a flow *leaving* the VM at `t.dest_ip` towards each address of `dests` on
/// `t.dest_port` (outbound rules: their destinations are matched against `dests`, their
/// sources against the VM). The same two passes and the same combination as inbound.
pub(crate) fn split_outbound(
    rules: &[AdminRule],
    dests: &AddrSet,
    t: &Target<'_>,
) -> Vec<AdminPart> {
    // `as_nsg` lists the rules as inbound; walked here in the outbound direction.
    split_walking(rules, dests, t, &|r, d, t| nsg::evaluate_outbound(r, d, t))
}

/// The rule of `rules` an [`AdminRef`] names (for pointers kept on east-west edges).
pub(crate) fn find<'m>(rules: &'m [AdminRule], r: &AdminRef) -> Option<&'m AdminRule> {
    rules
        .iter()
        .find(|x| x.id == r.id && x.priority == r.priority && x.access == r.access)
}
