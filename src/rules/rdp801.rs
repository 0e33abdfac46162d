//! RDP801 — RDP is open to the whole Internet.
//!
//! Raised when RDP on the VM admits every Internet address through some direct path, after
//! exact evaluation (deny shadowing, both NSG levels, SKU, routing), as if the VM were running.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP801",
    title: "RDP is open to the whole Internet",
    severity: Severity::High,
    category: Category::Exposure,
    seed: "Exposure: CIS Microsoft Azure Foundations 'RDP access from the Internet is restricted'",
    rationale: "RDP on this VM is reachable from any Internet address once every rule, both NSG \
        levels, the SKU and routing are taken into account. Internet-facing RDP is scanned and \
        brute-forced continuously and is a common ransomware entry point, and a deallocated VM is \
        exposed again the moment it starts. CIS Microsoft Azure Foundations requires RDP access \
        from the Internet to be restricted.",
    remediation: "az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
        --source-address-prefixes <admin public IP>/32   (or: az network nsg rule delete \
        --resource-group <rg> --nsg-name <nsg> --name <rule>)\n\
        Then administer through just-in-time access (portal <vm> > Configuration > Enable \
        just-in-time) or Azure Bastion",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-overview",
        "https://learn.microsoft.com/en-us/azure/bastion/bastion-overview",
    ],
    example: "nsg-web rule AllowRDP (priority 300) admits tcp/3389 from any address",
    needs: &[],
    defers_to: &[],
};

use crate::engine::nsg::Outcome;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    for p in cx.vm.direct_paths() {
        let exposed = p.exposed();
        if exposed.is_empty() || !p.internet.candidates.is_subset(&exposed) {
            continue;
        }
        if let Some(f) = super::doors::whole_internet(cx, p, &RULE) {
            return vec![door_fix(cx, p, f)];
        }
        return vec![match super::deciding_internet(p, |o| o == Outcome::Allow) {
            Some((nsg, _, rule)) => cx
                .finding(
                    &RULE,
                    &nsg.id,
                    format!(
                        "{} rule {} (priority {}) admits tcp/{} to {} from any address",
                        nsg.name, rule.name, rule.priority, p.delivered_port, cx.vm.name
                    ),
                    &[("<nsg>", &nsg.name), ("<rule>", &rule.name)],
                )
                .with_fix(super::fix::narrow(cx, nsg, &rule, p.delivered_port)),
            None => no_nsg(
                cx,
                p,
                cx.finding(
                    &RULE,
                    cx.vm_id(),
                    format!(
                        "{} accepts tcp/{} from any address through {}: {}",
                        cx.vm.name,
                        p.delivered_port,
                        p.connect_to().unwrap_or_default(),
                        match p.kind {
                            crate::engine::PathKind::ClassicEndpoint => {
                                "the endpoint ACL permits every address"
                            }
                            _ => "no NSG filters it",
                        }
                    ),
                    &[],
                ),
            ),
        }];
    }
    Vec::new()
}

/// The door that admits the whole Internet is what the fix narrows: the DNAT rule's sources,
/// or the admin rule's `AlwaysAllow` (then the NSGs decide).
fn door_fix(cx: &Cx<'_, '_>, p: &crate::engine::PathAnalysis<'_>, f: Finding) -> Finding {
    if let Some(d) = p.dnat.as_ref() {
        return match super::rdp607::narrow_dnat(cx, d) {
            Some(x) => f.with_fix_for(x, &d.clients),
            None => f,
        };
    }
    let rule = f.resource_id.id.clone();
    f.with_fix(super::Fix::SetAdminRuleAccess {
        rule,
        access: super::AdminAccess::Allow,
        region: cx.vm.location.clone(),
    })
}

/// No NSG decides: the advice creates one on the path's NIC (names from the data).
fn no_nsg(cx: &Cx<'_, '_>, p: &crate::engine::PathAnalysis<'_>, mut f: Finding) -> Finding {
    if let Some(text) = super::fix::nsg_for_path(cx, p) {
        f.remediation = text;
    } else if let (Some(ep), Some(svc)) = (
        p.endpoint,
        cx.vm
            .classic
            .and_then(|c| c.fqdn.as_deref())
            .and_then(|f| f.split('.').next()),
    ) {
        // A classic endpoint: its ACL, with Service Management PowerShell.
        let client = super::fix::client_source(&cx.vm.client_label);
        f.remediation = format!(
            "$vm = Get-AzureVM -ServiceName {svc} -Name {vm}; $acl = $vm | Get-AzureAclConfig \
             -EndpointName {ep}\n\
             Set-AzureAclConfig -AddRule -ACL $acl -Order 0 -Action Permit -RemoteSubnet {client} \
             -Description \"RDP admin\"   (and remove any rule that permits every address: \
             `$acl` lists each rule's ID for Set-AzureAclConfig -RemoveRule -ACL $acl -ID)\n\
             $vm | Set-AzureEndpoint -Name {ep} -ACL $acl | Update-AzureVM",
            vm = cx.vm.name,
            ep = ep.name,
        );
    }
    f
}
