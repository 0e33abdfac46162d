//! Sentences about east-west reach (docs/decisions.md D42–D47): what the security admin rules
//! did with a flow, and the short forms the table, CSV, Markdown and HTML sections print.

use crate::engine::admin::AdminRef;
use crate::engine::lateral::eastwest::AdminAt;

/// What a VNet's security admin rules did with an east-west flow; `None` when they handed it to
/// the NSGs (the NSG rules say the rest).
pub(crate) fn admin_at(a: &AdminAt<'_>) -> Option<String> {
    let text = |r: &crate::model::AdminRule| crate::rules::doors::admin_rule_text(&AdminRef::of(r));
    Some(match a {
        AdminAt::Handed => return None,
        AdminAt::AlwaysAllow(r) => format!("{} delivers it; the NSGs are skipped", text(r)),
        AdminAt::Maybe(Some(r)) => format!("{} may match: unknown", text(r)),
        AdminAt::Maybe(None) => "a security admin rule may match: unknown".into(),
        AdminAt::NotRead(v) => format!(
            "the security admin rules of virtual network {} were not read: unknown",
            v.name
        ),
        AdminAt::Unusable(v) => format!(
            "the security admin rules of virtual network {} cannot be evaluated: unknown",
            v.name
        ),
        AdminAt::Denied(Some(r)) => format!("{} drops it", text(r)),
        AdminAt::Denied(None) => "a security admin rule drops it".into(),
    })
}

/// The east-west section's title (table, Markdown, HTML).
pub(crate) const SECTION_TITLE: &str = "East-west (--lateral): who can open RDP to each VM";

/// A VM's line above its sources.
pub(crate) fn vm_head(name: &str, vms: usize, classes: usize) -> String {
    match (vms, classes) {
        (0, 0) => format!("{name}: no VM of the data and no source class can open RDP"),
        _ => format!("{name}: {vms} VM(s) and {classes} source class(es) can (or may) open RDP"),
    }
}

/// The deciding rules of a source class.
pub(crate) fn class_rules(rules: &[String]) -> String {
    if rules.is_empty() {
        "no NSG rule".into()
    } else {
        rules.join(", ")
    }
}

/// The deciding rules of an edge, in the order the packet meets them.
pub(crate) fn edge_rules(
    out: &[String],
    out_admin: Option<&str>,
    route: &str,
    in_admin: Option<&str>,
    inb: &[String],
) -> String {
    let side = |admin: Option<&str>, rules: &[String]| match (admin, rules.is_empty()) {
        (Some(a), _) => a.to_string(),
        (None, true) => "no NSG rule".to_string(),
        (None, false) => rules.join(", "),
    };
    format!(
        "out: {}; route: {route}; in: {}",
        side(out_admin, out),
        side(in_admin, inb)
    )
}

/// A source's name with what it is (the table's and Markdown's short form).
pub(crate) fn source_label(kind: &str, name: &str, stone: bool) -> String {
    match (kind, stone) {
        ("vm", true) => format!("VM {name} (stepping stone: its RDP is open to the Internet)"),
        ("vm", false) => format!("VM {name}"),
        (class, _) => format!("{class} {name}"),
    }
}

/// A list cut after `max` items: "a, b, c and 57 more".
pub(crate) fn cut_list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

/// The note a report carries when the two-hop search could not see the whole estate.
pub(crate) fn reach_note(r: crate::engine::lateral::SearchReach) -> Option<&'static str> {
    use crate::engine::lateral::SearchReach;
    match r {
        SearchReach::Data => None,
        SearchReach::CollectedScope => Some(
            "the two-hop search (RDP812) and the east-west section cover only the VMs this \
             scoped live run read: stepping stones outside its scope are not in the data, so no \
             RDP812 here does not mean no two-hop path (audit the subscription, or a snapshot of \
             it, for the complete answer; docs/decisions.md D47)",
        ),
    }
}
