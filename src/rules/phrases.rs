//! Phrases several rules share. Rules write their own messages from typed engine data; they
//! never quote the engine or the report.

use crate::engine::addrset::AddrSet;
use crate::engine::nsg::Part;
use crate::engine::tags;

use super::Cx;

/// A short description of `set` within `care`, e.g. `0.0.0.0/0` or `203.0.113.0/24`.
pub(crate) fn describe_set(set: &AddrSet, care: &AddrSet) -> String {
    let cidrs = tags::minimal_cidrs(set, care);
    if cidrs.is_empty() {
        return "no address".into();
    }
    let shown: Vec<String> = cidrs.iter().take(4).map(|c| c.to_string()).collect();
    if cidrs.len() > 4 {
        format!("{} and {} more", shown.join(", "), cidrs.len() - 4)
    } else {
        shown.join(", ")
    }
}

/// `rule (priority N)` or `the end of its rule list`.
pub(crate) fn rule_text(part: &Part) -> String {
    match &part.rule {
        Some(r) => format!("{} (priority {})", r.name, r.priority),
        None => "the end of its rule list".into(),
    }
}

/// The client as a message names it.
pub(crate) fn client_text(cx: &Cx<'_, '_>) -> String {
    if cx.vm.client_label == "internet" {
        "any Internet address".into()
    } else {
        cx.vm.client_label.clone()
    }
}
