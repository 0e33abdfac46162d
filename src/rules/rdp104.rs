//! RDP104 — The VM's power state is unknown.
//!
//! Raised when the data holds no instance view (no `PowerState/*` status) for the VM, so its
//! power state cannot be read.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP104",
    title: "The VM's power state is unknown",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status",
    rationale: "The data has no instance view for this VM (a listing without statusOnly=true, a \
        Resource Graph row without the extended power state, or a transient gap in the API), so \
        whether it is running is not known. rdpaudit does not guess: the connectivity verdict is \
        unknown rather than reachable or blocked. Read the instance view again to decide.",
    remediation: "az vm get-instance-view --resource-group <rg> --name <vm> --query \
        \"instanceView.statuses[?starts_with(code, 'PowerState/')].code\" --output tsv",
    links: &["https://learn.microsoft.com/en-us/azure/virtual-machines/states-billing"],
    example: "vm-web-01 has no instance view in the data, so its power state is unknown",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    if cx.vm.power != crate::model::PowerState::Unknown {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "the data has no power state for {}: whether it runs is unknown",
            cx.vm.name
        ),
        &[],
    )]
}
