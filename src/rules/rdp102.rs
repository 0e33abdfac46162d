//! RDP102 — The VM's provisioning failed.
//!
//! Looks at the VM's provisioning state: `properties.provisioningState` = `Failed` or an
//! instance-view status `ProvisioningState/failed/<error code>`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP102",
    title: "The VM's provisioning failed",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status",
    rationale: "A Failed provisioning state means the last operation on the VM (create, update, \
        resize, extension install, start) did not complete, so the VM may not be running or may \
        run with a half-applied configuration. The instance-view status \
        ProvisioningState/failed/<code> names the error. Clear it before troubleshooting the \
        network.",
    remediation: "az vm get-instance-view --resource-group <rg> --name <vm> --query \
        \"instanceView.statuses[?starts_with(code, 'ProvisioningState')]\"\n\
        az vm reapply --resource-group <rg> --name <vm>   (if it stays Failed: az vm redeploy \
        --resource-group <rg> --name <vm>)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/states-billing",
        "https://learn.microsoft.com/en-us/cli/azure/vm#az-vm-reapply",
    ],
    example: "vm-web-01 provisioning state is Failed (ProvisioningState/failed/AllocationFailed)",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let Some(vm) = cx.vm.arm else {
        return Vec::new();
    };
    if !vm.provisioning_failed {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "{} is in provisioning state {}: its last operation failed",
            vm.name,
            vm.provisioning_state.as_deref().unwrap_or("Failed")
        ),
        &[],
    )]
}
