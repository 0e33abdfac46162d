//! RDP506 — The guest could not be inspected.
//!
//! Raised when guest facts were requested (`--guest`) but could not be read: VM not running,
//! agent not ready, no permission, timeout. The message says which.

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP506",
    title: "The guest could not be inspected",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM (inspecting the guest remotely)",
    rationale: "Guest facts come from a read-only script run through Run Command, which needs a \
        running VM, a Ready VM agent, the Microsoft.Compute/virtualMachines/runCommand/action \
        permission and outbound connectivity for the agent. When one is missing, the RDP setting, \
        service, port and firewall cannot be verified, and RDP501-RDP505 are not evaluated.",
    remediation: "az vm start --resource-group <rg> --name <vm>   (if not running; the agent must \
        then report Ready, see RDP103)\n\
        az role assignment create --assignee <principal> --role \"Virtual Machine Contributor\" \
        --scope <vm resource id>\n\
        Then run rdpaudit again with --guest",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/windows-azure-guest-agent",
    ],
    example: "vm-web-01 guest could not be inspected: the VM agent is Not Ready",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    match cx.vm.guest.and_then(|g| g.error.as_ref()) {
        Some(e) => vec![cx.finding(
            &RULE,
            cx.vm_id(),
            format!("the guest of {} could not be inspected: {}", cx.vm.name, e),
            &[],
        )],
        None => Vec::new(),
    }
}
