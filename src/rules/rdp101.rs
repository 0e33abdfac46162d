//! RDP101 — The VM is not running.
//!
//! Looks at the power state in the VM's instance view (`PowerState/<state>`): anything but
//! `running` (deallocated, stopped, starting, stopping, deallocating, hibernated).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP101",
    title: "The VM is not running",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status",
    rationale: "Only a VM whose power state is running can accept a Remote Desktop connection: a \
        stopped (still allocated and billed), deallocated or hibernated VM has no running guest, \
        and the starting, stopping and deallocating states are transitions. A deallocated VM also \
        releases a dynamic public IP, so its address can change when it starts. Checking the VM's \
        status is the article's first preliminary step.",
    remediation: "az vm start --resource-group <rg> --name <vm>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/states-billing",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
    ],
    example: "vm-web-01 is deallocated (PowerState/deallocated), not running",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::model::PowerState;
    match &cx.vm.power {
        PowerState::Running | PowerState::Unknown => Vec::new(),
        state => vec![cx
            .finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "{} is {}: a VM that is not running cannot accept RDP",
                    cx.vm.name,
                    state.as_str()
                ),
                &[],
            )
            .with_fix(super::Fix::StartVm {
                vm: cx.vm_id().to_string(),
            })],
    }
}
