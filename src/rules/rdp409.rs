//! RDP409 — A security admin rule denies RDP before the NSGs.
//!
//! Raised when an Azure Virtual Network Manager security admin rule with access `Deny` drops RDP
//! for the client on a path to the VM: admin rules are evaluated before NSGs, so no NSG allow
//! rule can admit it (docs/decisions.md D32).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::admin::AdminOutcome;

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP409",
    title: "A security admin rule denies RDP before the NSGs",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 4: network security groups (Azure Virtual Network Manager security admin rules \
        are evaluated before them)",
    rationale: "Azure Virtual Network Manager security admin rules are evaluated before network \
        security groups. A rule with access Deny drops the traffic without delivering it, \
        whatever the NSGs on the subnet or the NIC allow, so editing the NSGs cannot open RDP. \
        The rule belongs to the network manager that manages the VM's virtual network, often \
        owned by a central network team.",
    remediation: "Ask the owner of network manager <manager> to add a higher-priority (lower \
        number) Allow rule for tcp/3389 from your admin range in security admin configuration \
        <configuration>, rule collection <collection>, or to narrow rule <rule>; then redeploy: \
        az network manager post-commit --resource-group <manager rg> --name <manager> \
        --commit-type SecurityAdmin --target-locations <region> --configuration-ids \
        <configuration id>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network-manager/concept-security-admins",
        "https://learn.microsoft.com/en-us/azure/virtual-network-manager/concept-enforcement",
    ],
    example: "security admin rule deny-rdp (priority 10, Deny) in network manager nm-corp / \
        security admin configuration baseline / rule collection block-mgmt denies tcp/3389 to \
        vm-web-01 from 0.0.0.0/0 before any NSG is consulted",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    for p in &cx.vm.paths {
        let Some(part) = super::doors::admin_part(&p.client, AdminOutcome::Deny) else {
            continue;
        };
        let Some(r) = &part.rule else { continue };
        let from = match &p.client.snat {
            Some(_) => format!(
                "the firewall's addresses {} (every DNAT client)",
                super::doors::judged_text(&p.client, &part.set)
            ),
            None => super::doors::judged_text(&p.client, &part.set),
        };
        let extra = [
            ("<manager>", r.manager.clone().unwrap_or_default()),
            (
                "<configuration>",
                r.configuration.clone().unwrap_or_default(),
            ),
            ("<collection>", r.collection.clone().unwrap_or_default()),
            ("<rule>", r.name.clone()),
            // The manager's own group, its configuration's id, the VM's region (a VNet and
            // its VMs share one).
        ];
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut f = cx.finding(
            &RULE,
            &r.id,
            format!(
                "{} denies tcp/{} to {} from {from} before any NSG is consulted",
                super::doors::admin_rule_text(r),
                p.delivered_port,
                cx.vm.name
            ),
            &extra,
        );
        f.remediation = advice(r, cx.vm.location.as_deref(), p.delivered_port);
        return vec![f];
    }
    Vec::new()
}
/// The request to the manager's owner with the manager's own group and subscription, and the
/// redeploy in the VM's region (a VNet and its VMs share one). Only the admins' range is the
/// user's to fill in.
fn advice(r: &crate::engine::admin_types::AdminRef, region: Option<&str>, port: u16) -> String {
    let q = super::fix::quote;
    let scope = super::fix::scope_of(&r.id);
    let (m, c) = (
        q(&r.manager.clone().unwrap_or_default()),
        q(&r.configuration.clone().unwrap_or_default()),
    );
    format!(
        "Ask the owner of network manager {m} to add a higher-priority (lower number) Allow rule \
         for tcp/{port} from your admin range in security admin configuration {c}, rule \
         collection {}, or to narrow rule {}; then deploy again (a commit replaces what the \
         region has deployed: list every configuration it should keep):\n\
         cfg=$(az network manager security-admin-config show {scope} --network-manager-name {m} \
         --configuration-name {c} --query id --output tsv)\n\
         az network manager post-commit {scope} --network-manager-name {m} --commit-type \
         SecurityAdmin --configuration-ids \"$cfg\" --target-locations {}",
        q(&r.collection.clone().unwrap_or_default()),
        q(&r.name),
        q(region.unwrap_or("<REGION-OF-THE-VNET>")),
    )
}
