//! RDP303 — The endpoint ACL denies the client.
//!
//! Evaluates the RDP endpoint's ACL for the client: rules by ascending order, first match
//! wins; unmatched = deny if any permit rule exists, else permit; no rules = permit all.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP303",
    title: "The endpoint ACL denies the client",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 3: cloud service endpoint and ACL",
    rationale: "Endpoint ACLs are enforced on the host, lowest rule number first, and the first \
        matching rule decides. A list with permit rules denies everything it does not match, a \
        list of only deny rules permits the rest, and an empty list permits all. The article \
        warns that a wrong ACL keeps RDP out, notably when the client reaches Azure through a \
        proxy or edge device whose public address is not permitted.",
    remediation: "$vm = Get-AzureVM -ServiceName <cloud service> -Name <vm>; $acl = $vm | \
        Get-AzureAclConfig -EndpointName RemoteDesktop\n\
        Set-AzureAclConfig -AddRule -ACL $acl -Order <lower than the deciding rule> -Action \
        Permit -RemoteSubnet <your public IP>/32 -Description \"RDP admin\"\n\
        $vm | Set-AzureEndpoint -Name RemoteDesktop -ACL $acl | Update-AzureVM",
    links: &[
        "https://learn.microsoft.com/en-us/previous-versions/azure/virtual-network/virtual-networks-acl",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
    ],
    example: "endpoint RemoteDesktop on vm-legacy-01 denies any Internet address outside \
        65.0.0.0/8: its only rule 100 permits 65.0.0.0/8",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .paths
        .iter()
        .filter(|p| p.endpoint.is_some_and(|e| e.acl.is_some()))
        .filter(|p| p.client.admitted.is_empty())
        .filter_map(|p| p.endpoint)
        .map(|ep| {
            // Lower than every rule of the ACL: the new permit is evaluated first.
            let first = ep
                .acl
                .as_ref()
                .and_then(|a| a.iter().map(|r| r.order).min())
                .map_or(0, |o| (o - 1).max(0));
            let client = super::fix::client_source(&cx.vm.client_label).to_string();
            let order = first.to_string();
            cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "the ACL of endpoint {} on {} denies {}",
                    ep.name,
                    cx.vm.name,
                    super::client_text(cx)
                ),
                &[
                    ("<lower than the deciding rule>", &order),
                    ("<your public IP>/32", &client),
                ],
            )
        })
        .collect()
}
