//! RDP405 — The only admitting rule restricts source ports.
//!
//! Raised when the only rule that admits the client has source port ranges that cover only
//! part of the ephemeral range 49152-65535.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP405",
    title: "The only admitting rule restricts source ports",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Source 4: network security groups",
    rationale: "An RDP client connects from a random ephemeral source port (49152-65535 on \
        Windows). A rule that restricts source ports matches only the connections whose port \
        happens to fall in its range, so RDP works intermittently. Source port ranges should \
        almost always be *.",
    remediation: "az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
        --source-port-ranges '*'",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
    ],
    example: "nsg-web rule AllowRDP (priority 300) admits only source ports 49152-55000, so only \
        some RDP connections succeed",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter(|p| !p.client.partial.is_empty() && p.client.reachable.is_subset(&p.client.partial))
        .filter_map(|p| {
            let (nsg, level, part) =
                super::deciding(p, |o| o == crate::engine::nsg::Outcome::Partial)?;
            let rule = part.maybe.as_ref().or(part.rule.as_ref())?;
            Some(
                cx.finding(
                    &RULE,
                    &nsg.id,
                    format!(
                        "{} ({}) rule {} (priority {}) admits RDP only from some source ports: {}",
                        nsg.name,
                        level.to_lowercase(),
                        rule.name,
                        rule.priority,
                        rule.note.clone().unwrap_or_default()
                    ),
                    &[("<nsg>", &nsg.name), ("<rule>", &rule.name)],
                )
                .with_fix(super::Fix::WidenNsgRuleSourcePorts {
                    nsg: nsg.id.id.clone(),
                    rule: rule.name.clone(),
                }),
            )
        })
        .collect()
}
