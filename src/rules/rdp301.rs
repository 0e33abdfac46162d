//! RDP301 — The classic VM has no RDP endpoint.
//!
//! Looks at a classic VM's input endpoints: none is named `RemoteDesktop`/`RDP` and none has
//! the RDP port as its private port.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP301",
    title: "The classic VM has no RDP endpoint",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 3: cloud service endpoint and ACL",
    rationale: "A classic VM is reachable from the Internet only through an input endpoint on its \
        cloud service's public VIP; without one the default ACL blocks all inbound traffic. This \
        VM has no endpoint named RemoteDesktop or RDP and none that forwards to the RDP port, so \
        no RDP packet can reach it.",
    remediation: "Get-AzureVM -ServiceName <cloud service> -Name <vm> | Add-AzureEndpoint -Name \
        RemoteDesktop -Protocol tcp -LocalPort 3389 -PublicPort <public port> | Update-AzureVM\n\
        (Service Management PowerShell; classic VMs are retired, see RDP106)",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/previous-versions/azure/virtual-network/virtual-networks-acl",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/classic-vm-deprecation",
    ],
    example: "classic VM vm-legacy-01 (cloud service legacy-svc) has no RemoteDesktop endpoint \
        and no endpoint with private port 3389",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::engine::PathKind;
    if cx.vm.classic.is_none()
        || cx
            .vm
            .paths
            .iter()
            .any(|p| p.kind == PathKind::ClassicEndpoint)
    {
        return Vec::new();
    }
    vec![cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "{} has no input endpoint for RDP (none named RemoteDesktop or RDP, none to private port {})",
            cx.vm.name, cx.vm.port
        ),
        &[],
    )]
}
