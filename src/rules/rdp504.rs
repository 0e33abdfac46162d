//! RDP504 — Nothing listens on the RDP port.
//!
//! Guest facts: raised when `listening` is false (no socket listens on `rdpPort`).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP504",
    title: "Nothing listens on the RDP port",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM",
    rationale: "Even with TermService running, the RDP-Tcp listener may be disabled \
        (fEnableWinStation = 0), bound to another port, or the port may be taken by another \
        process, so no socket accepts connections on the RDP port. The article lists 'Remote \
        Desktop Services is not listening on TCP port 3389' among the guest-side causes.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RDPSettings\n\
        az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RunPowerShellScript --scripts \"Restart-Service TermService -Force; netstat -ano | \
        findstr :<port>\"",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-remote-desktop-services-issues",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
    ],
    example: "vm-web-01 has nothing listening on tcp/3389",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    match cx.vm.guest {
        Some(g) if g.listening == Some(false) => vec![cx.finding(
            &RULE,
            cx.vm_id(),
            format!("nothing listens on port {} on {}", cx.vm.port, cx.vm.name),
            &[("<port>", &cx.vm.port.to_string())],
        )],
        _ => Vec::new(),
    }
}
