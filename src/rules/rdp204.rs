//! RDP204 — RDP answers although the data says it is blocked.
//!
//! With `--probe`: a TCP connect from this machine to a public RDP endpoint succeeded, while the
//! evaluation of the data says no Internet address can reach it. The data and the network
//! disagree: either the data is stale, or something rdpaudit cannot see admits RDP.

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::evaluate::host_verdict;
use crate::model::TcpOutcome;

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP204",
    title: "RDP answers although the data says it is blocked",
    severity: Severity::High,
    category: Category::Exposure,
    seed: "Sources 1 and 2 probe, checked against sources 3 and 4 (what the configuration says)",
    rationale: "rdpaudit's evaluation of the data says no Internet address can open RDP on this \
        path, yet a TCP connect from this machine completed. Either the data is out of date (an \
        NSG rule, the VM's state or the address changed since it was read), or something the \
        data does not show admits the traffic: an Azure Virtual Network Manager admin rule that \
        always allows, a firewall or NVA that forwards the port, or another resource that now \
        holds the address. Until it is explained, the audit's 'blocked' cannot be trusted for \
        this VM.",
    remediation: "Read the data again and compare: rdpaudit check <vm resource id> --probe\n\
        az network nic list-effective-nsg --resource-group <rg> --name <nic>   (the rules Azure \
        applies, AVNM admin rules included)\n\
        az network public-ip list --query \"[?ipAddress=='<address>']\"   (who holds the address)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network-manager/concept-security-admins",
        "https://learn.microsoft.com/en-us/azure/network-watcher/effective-security-rules-overview",
    ],
    example: "20.50.1.9:3389 accepted a TCP connection from this machine, but the data says \
        vm-web-01 is blocked (nsg-web / DenyAllInBound)",
    needs: &[Need::Probe],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let host = host_verdict(cx.vm);
    cx.vm
        .direct_paths()
        .filter(|p| p.probe.is_some_and(|t| t.outcome == TcpOutcome::Open))
        .filter(|p| p.blocks_every_client(host))
        .filter_map(|p| {
            let target = p.connect_to()?;
            // The report words the hop that stops RDP after the message, in parentheses.
            let stop = p.hops.iter().find(|h| h.is_stop()).cloned();
            let addr = p.address.map(|a| a.to_string()).unwrap_or_default();
            let nic = p.nic.map(|n| n.name.clone()).unwrap_or_default();
            let finding = cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "{target} accepted a TCP connection from this machine, but the data says {} is blocked",
                    cx.vm.name
                ),
                &[("<address>", &addr), ("<nic>", &nic), ("<vm resource id>", cx.vm_id().id.as_str())],
            );
            Some(Finding { cause: stop, ..finding })
        })
        .take(1)
        .collect()
}
