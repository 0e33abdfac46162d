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
