//! RDP804 — RDP is reachable without just-in-time access.
//!
//! Raised when RDP is reachable from some Internet address through a standing allow rule
//! rather than a just-in-time (JIT) grant.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP804",
    title: "RDP is reachable without just-in-time access",
    severity: Severity::Low,
    category: Category::Exposure,
    seed: "Exposure: CIS Microsoft Azure Foundations 'RDP access from the Internet is restricted' \
        (just-in-time access)",
    rationale: "A standing allow rule keeps RDP open around the clock to its sources. \
        Just-in-time VM access in Microsoft Defender for Cloud keeps the port closed and opens it \
        only for an approved request, for a limited time and for the requester's address.",
    remediation: "Portal: <vm> > Configuration > Just-in-time access > Enable just-in-time (needs \
        Defender for Servers Plan 2), then delete the standing rule: az network nsg rule delete \
        --resource-group <rg> --nsg-name <nsg> --name <rule>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-overview",
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-usage",
    ],
    example: "nsg-web rule AllowRDP-Office (priority 300) admits tcp/3389 from 203.0.113.0/24 \
        permanently, without just-in-time access",
    needs: &[],
    defers_to: &[],
};

use crate::engine::nsg::Outcome;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    for p in cx.vm.direct_paths() {
        if !p.is_exposed() {
            continue;
        }
        let rule = super::deciding_internet(p, Outcome::admits);
        if rule
            .as_ref()
            .is_some_and(|(_, _, r)| super::is_jit(&r.name))
        {
            continue;
        }
        let by = match &rule {
            Some((nsg, _, r)) => format!("{} rule {} (priority {})", nsg.name, r.name, r.priority),
            None => match p.endpoint {
                Some(ep) => format!("the ACL of endpoint {}", ep.name),
                None => "the absence of any NSG".to_string(),
            },
        };
        let f = cx.finding(
            &RULE,
            rule.as_ref().map(|(n, _, _)| &n.id).unwrap_or(cx.vm_id()),
            format!(
                "RDP on {} is open to {} by a standing rule, {}, not just-in-time access",
                cx.vm.name,
                super::phrases::describe_set(&p.exposed(), &p.internet.candidates),
                by
            ),
            &[],
        );
        let dnat = p.kind == crate::engine::PathKind::FirewallDnat;
        return vec![match rule {
            Some((nsg, _, r)) => standing_rule_fix(f, nsg, &r, p.delivered_port, dnat),
            None => no_rule_advice(f, cx, &by),
        }];
    }
    Vec::new()
}

/// Delete the standing rule once just-in-time access replaces it; a rule that also serves other
/// ports (or one of Azure's default rules) cannot simply go: then the advice names it exactly.
fn standing_rule_fix(
    mut f: Finding,
    nsg: &crate::model::Nsg,
    r: &crate::engine::nsg::RuleRef,
    port: u16,
    dnat: bool,
) -> Finding {
    let (sub, rg, name) = super::fix::parts(&nsg.id.id);
    if dnat {
        // Behind a firewall's DNAT the NSG sees the firewall, not the client: the standing
        // door is the DNAT rule (RDP607 narrows it).
        f.remediation = format!(
            "RDP arrives through an Azure Firewall DNAT rule: rule {} of NSG {name} (resource \
             group {rg}, subscription {sub}) admits the firewall's addresses, not the client. \
             Narrow or remove the DNAT rule (see RDP607's fix) and use just-in-time access or \
             Azure Bastion instead",
            r.name
        );
        return f;
    }
    if !r.is_default && !super::fix::serves_more_than(nsg, &r.name, port) {
        return f.with_fix(super::Fix::DeleteNsgRule {
            nsg: nsg.id.id.clone(),
            rule: r.name.clone(),
        });
    }
    f.remediation = format!(
        "Enable just-in-time access for the VM (Defender for Servers Plan 2); rule {} of NSG {name} \
         (resource group {rg}, subscription {sub}) also serves other traffic, so narrow its \
         destination ports to leave tcp/{port} to just-in-time access instead of deleting it",
        r.name
    );
    f
}

/// No NSG rule decides (an endpoint ACL, or no NSG at all): the advice names what does.
fn no_rule_advice(mut f: Finding, cx: &Cx<'_, '_>, by: &str) -> Finding {
    f.remediation = format!(
        "RDP on {} is open by {by}: put an NSG in front of it that admits RDP only through \
         just-in-time access (Defender for Servers Plan 2), or connect through Azure Bastion",
        cx.vm.name
    );
    f
}
