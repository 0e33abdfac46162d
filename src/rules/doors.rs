//! Shared phrases and helpers of the rules about the newer doors: firewall DNAT paths
//! (RDP607, and RDP801 on such a path) and security admin rules (RDP409, RDP410, RDP801).

use super::phrases::describe_set;
use super::{Cx, Finding, RuleMeta};
use crate::engine::addrset::AddrSet;
use crate::engine::admin::{AdminOutcome, AdminPart, AdminRef};
use crate::engine::types::NetEval;
use crate::engine::{PathAnalysis, PathKind};

/// `rule (priority N, Deny) in network manager m / configuration c / collection r`.
pub(crate) fn admin_rule_text(r: &AdminRef) -> String {
    let place: Vec<String> = [
        r.manager.as_ref().map(|x| format!("network manager {x}")),
        r.configuration
            .as_ref()
            .map(|x| format!("security admin configuration {x}")),
        r.collection
            .as_ref()
            .map(|x| format!("rule collection {x}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!(
        "security admin rule {} (priority {}, {}){}",
        r.name,
        r.priority,
        r.access.as_str(),
        if place.is_empty() {
            String::new()
        } else {
            format!(" in {}", place.join(" / "))
        }
    )
}

/// The largest part with this outcome that names its rule.
pub(crate) fn admin_part(ev: &NetEval, outcome: AdminOutcome) -> Option<&AdminPart> {
    ev.admin
        .iter()
        .filter(|p| p.outcome == outcome && p.rule.is_some())
        .max_by_key(|p| (p.set.count_v4(), p.set.v6.count()))
}

/// What the admin rules and NSGs of a path judged: the firewall's addresses on a DNAT path,
/// otherwise the clients.
pub(crate) fn judged(ev: &NetEval) -> &AddrSet {
    ev.snat.as_ref().unwrap_or(&ev.candidates)
}

/// `firewall fw-hub DNAT rule rdp-jump (collection c) forwards 20.1.2.3:50001 to 10.0.0.4:3389`.
pub(crate) fn dnat_text(p: &PathAnalysis<'_>) -> Option<String> {
    let d = p.dnat.as_ref()?;
    let rule = d.rule?;
    Some(format!(
        "firewall {} DNAT rule {}{} forwards {} to {}:{}",
        d.firewall.name,
        rule.name,
        d.collection
            .map(|c| format!(" (collection {})", c.name))
            .unwrap_or_default(),
        p.connect_to().unwrap_or_else(|| "?".into()),
        d.translated
            .map(|a| a.to_string())
            .unwrap_or_else(|| "?".into()),
        p.delivered_port
    ))
}

/// RDP801 on a path the NSGs do not decide: a DNAT rule, or an `AlwaysAllow` admin rule.
pub(crate) fn whole_internet(
    cx: &Cx<'_, '_>,
    p: &PathAnalysis<'_>,
    rule: &'static RuleMeta,
) -> Option<Finding> {
    if p.kind == PathKind::FirewallDnat {
        let d = p.dnat.as_ref()?;
        return Some(cx.finding(
            rule,
            &d.firewall.id,
            format!(
                "{} from any address (the NSGs see only the firewall)",
                dnat_text(p)?
            ),
            &[],
        ));
    }
    let part = admin_part(&p.internet, AdminOutcome::AlwaysAllow)?;
    let r = part.rule.as_ref()?;
    p.internet.candidates.is_subset(&part.set).then(|| {
        cx.finding(
            rule,
            &r.id,
            format!(
                "{} admits tcp/{} to {} from any address without consulting the NSGs",
                admin_rule_text(r),
                p.delivered_port,
                cx.vm.name
            ),
            &[],
        )
    })
}

/// `describe_set` of a part of what a path judged.
pub(crate) fn judged_text(ev: &NetEval, set: &AddrSet) -> String {
    describe_set(set, judged(ev))
}
