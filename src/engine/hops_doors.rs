//! The hops of the newer doors: a firewall DNAT rule (docs/decisions.md D25) and the VNet's
//! security admin rules (D32), as `check` walks them.

use super::addrset::AddrSet;
use super::admin_types::{AdminOutcome, AdminPart};
use super::analysis::PathAnalysis;
use super::hop::*;
use super::types::NetEval;

/// The DNAT rule: from its clients to the firewall's address and port, translated to the VM.
pub(super) fn dnat_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let d = p.dnat.as_ref()?;
    let ports = p.connect_port.map(|x| x.to_string()).or_else(|| {
        d.rule
            .and_then(|r| r.ports.as_ref())
            .map(|ps| ps.to_string())
    });
    let fact = EntryFact::FirewallDnat(DnatFact {
        firewall: d.firewall.name.clone(),
        policy: d.policy.map(|x| x.name.clone()),
        group: d.group.map(|g| g.name.clone()),
        collection: d.collection.map(|c| c.name.clone()),
        rule: d.rule.map(|r| r.name.clone()),
        address: p.address,
        ports,
        translated: d.translated,
        translated_port: p.delivered_port,
        clients: d.clients.clone(),
        snat: d.snat.clone(),
    });
    let (decision, fact) = match p.block_at(HopKind::FirewallDnat) {
        Some(b) => (Decision::Blocked, HopFact::Blocked(b.reason.clone())),
        None => (Decision::Ok, HopFact::Entry(fact)),
    };
    let decision = match (decision, d.clients.is_empty() && d.rule.is_some()) {
        (Decision::Ok, true) => Decision::Deny, // earlier rules take every client
        (x, _) => x,
    };
    Some(
        Hop::new(
            HopKind::FirewallDnat,
            Some(d.firewall.id.id.clone()),
            decision,
            fact,
        )
        .rule(d.rule.map(|r| r.name.clone())),
    )
}

/// Everything the admin rules saw was delivered by `AlwaysAllow`: the NSGs were skipped.
pub(super) fn bypassed(ev: &NetEval) -> bool {
    ev.admin
        .iter()
        .any(|p| p.outcome == AdminOutcome::AlwaysAllow)
        && ev
            .admin
            .iter()
            .all(|p| matches!(p.outcome, AdminOutcome::AlwaysAllow | AdminOutcome::Deny))
}

/// The security admin rules' decision, before the NSGs; none when no admin rule matched.
pub(super) fn admin_hop(ev: &NetEval) -> Option<Hop> {
    if ev.admin.is_empty() {
        return None;
    }
    let cands = ev.snat.as_ref().unwrap_or(&ev.candidates);
    let of = |o: AdminOutcome| -> AddrSet { super::admin::set_of(&ev.admin, o) };
    let (deny, always, unknown) = (
        of(AdminOutcome::Deny),
        of(AdminOutcome::AlwaysAllow),
        of(AdminOutcome::Unknown),
    );
    let decision = if !deny.is_empty() && cands.is_subset(&deny) {
        Decision::Deny
    } else if !always.is_empty() && cands.is_subset(&always) {
        Decision::Allow
    } else if !unknown.is_empty() && cands.is_subset(&unknown) {
        Decision::Unknown
    } else if deny.is_empty() && always.is_empty() && unknown.is_empty() {
        // An Allow/Deny tie at one priority is handed on, but not as a clean pass (D33).
        if super::admin::tied(&ev.admin).is_empty() {
            Decision::Ok
        } else {
            Decision::Conditional
        }
    } else {
        Decision::Partial
    };
    // The rule shown: the one that decided the most (deny first, then always-allow).
    let order = [
        AdminOutcome::Deny,
        AdminOutcome::AlwaysAllow,
        AdminOutcome::Unknown,
        AdminOutcome::Handed,
    ];
    let pick: Option<&AdminPart> = order.iter().find_map(|o| {
        ev.admin
            .iter()
            .filter(|p| p.outcome == *o && p.rule.is_some())
            .max_by_key(|p| (p.set.count_v4(), p.set.v6.count()))
    });
    let rule = pick.and_then(|p| p.rule.as_ref());
    let mut h = Hop::new(
        HopKind::AdminRule,
        rule.map(|r| r.id.clone()),
        decision,
        HopFact::Admin {
            parts: ev.admin.clone(),
            candidates: cands.clone(),
        },
    )
    .rule(rule.map(|r| r.name.clone()));
    h.priority = rule.map(|r| r.priority);
    Some(h)
}

/// The firewall's forced tunnel, after the DNAT rule: DNAT "isn't supported with forced
/// tunneling enabled" unless the firewall has a Management NIC (docs/decisions.md D28 (c)). The
/// path is kept (exposure still counts it) and this hop says on what it depends.
pub(super) fn forced_tunnel_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let f = p.dnat.as_ref()?.forced.as_ref()?;
    Some(
        Hop::new(
            HopKind::Route,
            Some(f.route_table.id.clone()),
            Decision::Conditional,
            HopFact::ForcedTunnel(f.clone()),
        )
        .rule(Some(f.route.clone())),
    )
}
