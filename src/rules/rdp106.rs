//! RDP106 — The VM is a retired classic (ASM) VM.
//!
//! Raised for every `Microsoft.ClassicCompute/virtualMachines` resource: a VM of the retired
//! classic (Azure Service Manager) deployment model.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP106",
    title: "The VM is a retired classic (ASM) VM",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status (classic deployment model, source 3)",
    rationale: "The classic (Azure Service Manager) IaaS platform was retired on 1 September \
        2023: classic VMs can no longer be started, and those still running were stopped and \
        deallocated. No endpoint, ACL or guest fix makes RDP work again; the VM has to be \
        migrated to Azure Resource Manager or re-created there from its disk.",
    remediation: "Migrate to Azure Resource Manager (see the classic-to-ARM migration overview), \
        or re-create the VM from its OS disk VHD:\n\
        az disk create --resource-group <rg> --name <disk> --source <OS disk VHD blob URI>\n\
        az vm create --resource-group <rg> --name <vm> --attach-os-disk <disk> --os-type Windows",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/classic-vm-deprecation",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/migration-classic-resource-manager-overview",
    ],
    example: "vm-legacy-01 (cloud service legacy-svc) is a classic (ASM) VM on a platform retired \
        since 2023",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    if cx.vm.classic.is_none() {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!("{} is a classic (ASM) VM: the classic IaaS platform is retired and the VM cannot be started", cx.vm.name),
        &[],
    )]
}
