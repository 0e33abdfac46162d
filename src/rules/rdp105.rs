//! RDP105 — Boot diagnostics are disabled.
//!
//! Looks at `diagnosticsProfile.bootDiagnostics.enabled`: raised when it is false or absent.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP105",
    title: "Boot diagnostics are disabled",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status (console screenshot)",
    rationale: "Boot diagnostics capture a screenshot of the VM's console and its serial log. \
        Without them there is no way to see from outside whether Windows reached the logon screen \
        or is stuck in a boot error, an update or a stop error, a common reason RDP fails on a VM \
        that looks healthy in Azure Resource Manager. Managed boot diagnostics need no storage \
        account.",
    remediation: "az vm boot-diagnostics enable --resource-group <rg> --name <vm>\n\
        Then view the screenshot: portal <vm> > Help > Boot diagnostics",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-machines/boot-diagnostics",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/boot-diagnostics",
    ],
    example: "vm-web-01 has boot diagnostics disabled, so there is no console screenshot",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let Some(vm) = cx.vm.arm else {
        return Vec::new();
    };
    // ARM omits diagnosticsProfile when boot diagnostics were never enabled.
    if vm.boot_diagnostics == Some(true) {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "boot diagnostics are disabled on {}: no screenshot shows whether Windows booted",
            vm.name
        ),
        &[],
    )]
}
