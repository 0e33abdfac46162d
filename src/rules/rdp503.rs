//! RDP503 — The Remote Desktop Services service is not running.
//!
//! Guest facts: raised when `termServiceRunning` is false (service `TermService`).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP503",
    title: "The Remote Desktop Services service is not running",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM",
    rationale: "The Remote Desktop Services service (TermService) owns the RDP listener; while it \
        is stopped or disabled nothing accepts connections, even with every network layer open. \
        The article lists it first among the guest-side causes.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RunPowerShellScript --scripts \"Set-Service TermService -StartupType Manual; \
        Start-Service TermService\"",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-remote-desktop-services-issues",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
    ],
    example: "vm-web-01 service TermService (Remote Desktop Services) is stopped",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    match cx.vm.guest {
        Some(g) if g.term_service_running == Some(false) => vec![cx.finding(
            &RULE,
            cx.vm_id(),
            format!(
                "the Remote Desktop Services service (TermService) is not running on {}",
                cx.vm.name
            ),
            &[],
        )],
        _ => Vec::new(),
    }
}
