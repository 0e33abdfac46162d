//! RDP501 — Remote Desktop connections are disabled in Windows.
//!
//! Guest facts: raised when `rdpEnabled` is false (`fDenyTSConnections` = 1, set locally or
//! by group policy).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP501",
    title: "Remote Desktop connections are disabled in Windows",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM",
    rationale: "With fDenyTSConnections = 1 (under \
        HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server, or the policy key \
        HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services) Windows refuses \
        Remote Desktop connections whatever the network allows. A group policy value overrides \
        the local one and comes back after a reset, so on domain members the policy itself must \
        change.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RDPSettings\n\
        Domain member: enable the GPO 'Allow users to connect remotely by using Remote Desktop \
        Services'; portal alternative: <vm> > Help > Reset password > Reset configuration only",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/reset-rdp",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-general-error",
    ],
    example: "vm-web-01 refuses remote connections: fDenyTSConnections = 1 is set by group policy",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    match cx.vm.guest {
        Some(g) if g.rdp_enabled == Some(false) => vec![cx.finding(&RULE, cx.vm_id(), format!("remote connections are disabled on {} (fDenyTSConnections = 1, locally or by group policy)", cx.vm.name), &[])],
        _ => Vec::new(),
    }
}
