//! RDP603 — The public IP is dynamic.
//!
//! Looks at `publicIPAllocationMethod` of the public IP on the path: raised when it is
//! `Dynamic`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP603",
    title: "The public IP is dynamic",
    severity: Severity::Low,
    category: Category::Connectivity,
    seed: "Preliminary steps: the VIP changed",
    rationale: "A dynamic public IP is released when the VM is deallocated (and may change on \
        redeploy), so the VM comes back with another address. Saved RDP files, third-party \
        managers and cached DNS answers then point to the old one, the article's 'the VIP \
        changed'. A static IP keeps the address and a DNS label gives a stable name; only the \
        Basic SKU, retired on 30 September 2025, allows dynamic addresses.",
    remediation: "az network public-ip update --resource-group <rg> --name <pip> \
        --allocation-method Static\n\
        Or give it a stable name: az network public-ip update --resource-group <rg> --name <pip> \
        --dns-name <label>   (then connect to <label>.<region>.cloudapp.azure.com)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/virtual-network-public-ip-address",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
    ],
    example: "pip-web-01 is Dynamic: its address 20.50.1.9 changes when vm-web-01 is deallocated",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for pip in cx
        .vm
        .direct_paths()
        .filter_map(|p| p.public_ip)
        .filter(|p| p.dynamic)
    {
        if out.iter().any(|f| f.resource_id == pip.id) {
            continue;
        }
        out.push(
            cx.finding(
                &RULE,
                &pip.id,
                format!(
                    "public IP {} of {} is dynamic: its address changes after a deallocation",
                    pip.name, cx.vm.name
                ),
                &[("<pip>", &pip.name)],
            )
            .with_fix(super::Fix::StaticPublicIp {
                public_ip: pip.id.id.clone(),
            }),
        );
    }
    out
}
