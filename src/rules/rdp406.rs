//! RDP406 — RDP is closed by just-in-time access.
//!
//! Raised when the rule that denies RDP is a just-in-time (JIT) deny rule added by Microsoft
//! Defender for Cloud.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP406",
    title: "RDP is closed by just-in-time access",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Source 4: network security groups (just-in-time rules)",
    rationale: "Just-in-time VM access in Microsoft Defender for Cloud adds a deny rule for the \
        protected ports and opens them only for an approved request, for a limited time and for \
        the requester's address. RDP is closed by design: request access rather than editing the \
        NSG.",
    remediation: "Portal: <vm> > Connect > Request access (or Defender for Cloud > Just-in-time \
        VM access > Configured > select the VM > Request access)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-overview",
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-usage",
    ],
    example: "nsg-web rule SecurityCenter-JITRule_-1834-9a1e (priority 4096) closes tcp/3389 \
        under just-in-time access",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::engine::nsg::Outcome;
    super::arm_paths(cx)
        .filter(|p| p.client.admitted.is_empty() && p.client.unknown.is_empty())
        .filter_map(|p| {
            let (nsg, level, part) = super::deciding(p, |o| o == Outcome::Deny)?;
            let rule = part.rule.as_ref().filter(|r| super::is_jit(&r.name))?;
            Some(cx.finding(
                &RULE,
                &nsg.id,
                format!(
                    "{} ({}) closes RDP with just-in-time rule {} (priority {}): request access instead of editing the NSG",
                    nsg.name,
                    level.to_lowercase(),
                    rule.name,
                    rule.priority
                ),
                &[("<nsg>", &nsg.name)],
            ))
        })
        .take(1)
        .collect()
}
