//! RDP202 — The RDP connection is refused.
//!
//! With `--probe`: a TCP connect to the public RDP endpoint was actively refused (TCP reset),
//! so the packet reached the VM but nothing accepted it.

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP202",
    title: "The RDP connection is refused",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Sources 1 and 2 probe; cause in source 5: the RDP service is not listening",
    rationale: "A refusal (TCP reset) means the packet crossed Azure's network and reached the \
        VM, but nothing accepted it: Remote Desktop Services is stopped, its listener is \
        disabled, or it listens on another port. NSGs and endpoint ACLs drop packets silently and \
        never refuse them, so the cause is inside the guest.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        RunPowerShellScript --scripts \"Start-Service TermService\"\n\
        az vm run-command invoke --resource-group <rg> --name <vm> --command-id SetRDPPort \
        --parameters \"RDPPort=<port the network delivers>\"",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-remote-desktop-services-issues",
    ],
    example: "a TCP connect to 20.50.1.9:3389 was refused: it reached vm-web-01 but nothing \
        listens on port 3389",
    needs: &[Need::Probe],
    defers_to: &[],
};

/// `--probe` was refused on a direct path.
pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .direct_paths()
        .filter(|p| p.probe.is_some_and(|t| t.outcome == TcpOutcome::Refused))
        .filter_map(|p| {
            let target = p.connect_to()?;
            Some(cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "a TCP connect to {target} was refused: it reached {} but nothing listens on \
                     port {}",
                    cx.vm.name, p.delivered_port
                ),
                &[("<port the network delivers>", &p.delivered_port.to_string())],
            ))
        })
        .take(1)
        .collect()
}

use crate::model::TcpOutcome;
