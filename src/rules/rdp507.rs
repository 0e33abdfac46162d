//! RDP507 — Network Level Authentication is off on a VM reachable from the Internet.
//!
//! Raised when the guest facts say NLA is not required and RDP on the VM is reachable from
//! some Internet address through a direct path (as if the VM were running).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP507",
    title: "Network Level Authentication is off on a VM reachable from the Internet",
    severity: Severity::Medium,
    category: Category::Exposure,
    seed: "Source 5: Windows-based Azure VM (the RDP listener's security settings)",
    rationale: "With Network Level Authentication (NLA) the client must authenticate before a \
        Remote Desktop session, and the Windows logon screen, is created. With NLA off, anyone \
        who can open a TCP connection gets the logon screen and reaches pre-authentication code \
        in the RDP stack, the surface that wormable RDP vulnerabilities such as BlueKeep \
        (CVE-2019-0708) used. On a VM reachable from the Internet that is everyone.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RunPowerShellScript --scripts \"Set-ItemProperty -Path \
        'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' \
        -Name UserAuthentication -Value 1\"\n\
        (or Group Policy: Require user authentication for remote connections by using Network \
        Level Authentication = Enabled), and restrict the NSG rule that exposes RDP",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/remote-desktop-services-network-level-authentication",
        "https://learn.microsoft.com/en-us/windows-server/remote/remote-desktop-services/clients/remote-desktop-allow-access",
        "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2019-0708",
    ],
    example: "NLA is off on vm-legacy-01 and RDP is reachable from any address through \
        20.50.1.12:3389",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    if cx.vm.guest.and_then(|g| g.nla) != Some(false) {
        return Vec::new();
    }
    let Some(p) = cx.vm.direct_paths().find(|p| p.is_exposed()) else {
        return Vec::new();
    };
    let via = super::forwarding_rule(p)
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    vec![cx
        .finding(
            &RULE,
            cx.vm_id(),
            format!(
                "NLA is off on {} and RDP is reachable from {} through {}{via}",
                cx.vm.name,
                super::phrases::describe_set(&p.exposed(), &p.internet.candidates),
                p.connect_to().unwrap_or_else(|| "a direct path".into()),
            ),
            &[],
        )
        .with_fix(super::Fix::EnableNla {
            vm: cx.vm_id().to_string(),
        })]
}
