//! RDP302 — The RDP endpoint's private port is not the guest's RDP port.
//!
//! Compares the private port of the RDP endpoint (named `RemoteDesktop`/`RDP`, or the one the
//! user points at) with the guest's RDP port (3389 unless known otherwise).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP302",
    title: "The RDP endpoint's private port is not the guest's RDP port",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 3: cloud service endpoint and ACL",
    rationale: "A classic endpoint forwards its public port on the cloud service VIP to a private \
        port on the VM. The article requires the endpoint's private TCP port to match the port \
        Remote Desktop Services listens on (3389 by default); otherwise packets arrive on a port \
        nothing listens on.",
    remediation: "Get-AzureVM -ServiceName <cloud service> -Name <vm> | Set-AzureEndpoint -Name \
        RemoteDesktop -Protocol tcp -LocalPort <guest RDP port> -PublicPort <public port> | \
        Update-AzureVM\n\
        (or set the guest's RDP port to the endpoint's private port, see RDP502)",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/classic-vm-deprecation",
    ],
    example: "endpoint RemoteDesktop on vm-legacy-01 forwards public port 53389 to private port \
        3390, but the guest listens on 3389",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    if cx.vm.port_from_guest {
        return Vec::new(); // RDP502 compares with the real guest port
    }
    cx.vm
        .paths
        .iter()
        .filter_map(|p| p.endpoint)
        .filter(|ep| ep.private_port != cx.vm.port)
        .map(|ep| {
            cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "endpoint {} on {} forwards public port {} to private port {}, but RDP listens on {}",
                    ep.name, cx.vm.name, ep.public_port, ep.private_port, cx.vm.port
                ),
                &[("<public port>", &ep.public_port.to_string())],
            )
        })
        .collect()
}
