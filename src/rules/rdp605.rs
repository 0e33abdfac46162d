//! RDP605 — An RDP NAT rule is not wired up.
//!
//! Looks at inbound NAT rules aimed at the RDP port: raised when one has no backend IP
//! configuration, or its frontend IP configuration has no public IP.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP605",
    title: "An RDP NAT rule is not wired up",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Extends source 3: load-balancer inbound NAT rule, the ARM successor of the endpoint",
    rationale: "An inbound NAT rule forwards only when it is bound to a backend IP configuration \
        (the VM's NIC) and its frontend carries a public IP. A rule missing either one is a dead \
        end: packets reach no VM, or the load balancer has no Internet-facing address.",
    remediation: "az network nic ip-config inbound-nat-rule add --resource-group <rg> --nic-name \
        <nic> --ip-config-name <ipconfig> --lb-name <lb> --inbound-nat-rule <rule>\n\
        If the frontend has no public IP: az network lb frontend-ip update --resource-group <rg> \
        --lb-name <lb> --name <frontend> --public-ip-address <pip>",
    links: &["https://learn.microsoft.com/en-us/azure/load-balancer/inbound-nat-rules"],
    example: "NAT rule rdp-web-03 on lb-public targets port 3389 but is bound to no backend IP \
        configuration",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .direct_paths()
        .flat_map(|p| p.blocks.iter().map(move |b| (p, b)))
        .filter_map(|(p, b)| {
            let message = match &b.reason {
                BlockReason::NatRuleUnbound { rule, lb } => {
                    format!("NAT rule {rule} on {lb} is not bound to a backend IP configuration")
                }
                BlockReason::FrontendWithoutPublicIp { frontend, rule, lb } => format!(
                    "frontend {frontend} of NAT rule {rule} on {lb} has no public IP (internal \
                     load balancer)"
                ),
                _ => return None,
            };
            let mut f = cx.finding(&RULE, &b.resource, message, &[]);
            if let Some(text) = advice(p, &b.reason) {
                f.remediation = text;
            }
            Some(f)
        })
        .collect()
}

/// Bind the NAT rule to the VM's IP configuration, or give the frontend a public IP (which
/// one is the user's choice: the marked placeholder), each resource with its own group.
fn advice(p: &crate::engine::PathAnalysis<'_>, reason: &BlockReason) -> Option<String> {
    let q = super::fix::quote;
    let lb = p.lb?;
    let lb_scope = super::fix::scope_of(&lb.id.id);
    match reason {
        BlockReason::NatRuleUnbound { .. } => {
            let (nic, ipc, rule) = (p.nic?, p.ip_config?, p.nat_rule?);
            Some(format!(
                "az network nic ip-config inbound-nat-rule add {} --nic-name {} --ip-config-name \
                 {} --inbound-nat-rule {}",
                super::fix::scope_of(&nic.id.id),
                q(&nic.name),
                q(ipc.id.name()),
                q(&rule.id.id),
            ))
        }
        BlockReason::FrontendWithoutPublicIp { frontend, .. } => Some(format!(
            "az network lb frontend-ip update {lb_scope} --lb-name {} --name {} \
             --public-ip-address '<PUBLIC-IP-NAME-OR-ID>'   (a Standard public IP of your choice; \
             an internal load balancer's frontend cannot take one: publish RDP another way)",
            q(&lb.name),
            q(frontend),
        )),
        _ => None,
    }
}

use crate::engine::BlockReason;
