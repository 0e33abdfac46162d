//! RDP505 — Windows Firewall does not allow the RDP port.
//!
//! Guest facts: raised when `firewallAllowsRdp` is false (no enabled inbound Windows Firewall
//! rule allows `rdpPort`).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP505",
    title: "Windows Firewall does not allow the RDP port",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM",
    rationale: "Windows Firewall drops inbound connections that no enabled rule allows. The \
        built-in Remote Desktop rule covers only TCP 3389, so a custom RDP port needs its own \
        rule, and a profile set to block all inbound connections overrides every rule. The \
        article's reset re-enables the default Remote Desktop firewall rule.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        SetRDPPort --parameters \"RDPPort=<guest RDP port>\"\n\
        (enables the Remote Desktop rule for 3389 or adds one for a custom port; for 3389 also \
        portal <vm> > Help > Reset password > Reset configuration only)",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/guest-os-firewall-blocking-inbound-traffic",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/reset-rdp",
    ],
    example: "vm-web-01 has no enabled inbound Windows Firewall rule allowing tcp/3389",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    match cx.vm.guest {
        Some(g) if g.firewall_allows_rdp == Some(false) => vec![cx.finding(
            &RULE,
            cx.vm_id(),
            format!(
                "no enabled inbound Windows Firewall rule on {} allows port {}",
                cx.vm.name, cx.vm.port
            ),
            &[],
        )],
        _ => Vec::new(),
    }
}
