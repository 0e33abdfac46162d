//! RDP203 — The DNS name points to an old address.
//!
//! With `--probe`: resolves the public IP's FQDN (`dnsSettings.fqdn`) and compares the answer
//! with the public IP's current `ipAddress`.

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP203",
    title: "The DNS name points to an old address",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Source 1: Remote Desktop client computer (the VIP changed and DNS still has the old \
        address)",
    rationale: "Clients connect by name, but the name resolves to an address the public IP no \
        longer has. A dynamic public IP gets a new address after a deallocation or redeploy, and \
        resolvers and the client's DNS cache may still hold the old one (the article's 'the VIP \
        changed'); a record in your own DNS zone may never have been updated. Connections then go \
        to an address that is not this VM.",
    remediation: "On the client: ipconfig /flushdns, then connect to the current address from az \
        network public-ip show --resource-group <rg> --name <pip> --query ipAddress --output tsv\n\
        If the name is a record in your own DNS zone, update its A record to that address",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
    ],
    example: "vm-web-01.westeurope.cloudapp.azure.com resolves to 20.50.7.3, but pip-web-01 now \
        has 20.50.1.9",
    needs: &[Need::Probe],
    defers_to: &[],
};

/// `--probe`: the entry point's DNS name resolves, but not to its current address.
pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for p in cx.vm.direct_paths() {
        let (Some(false), Some((name, DnsAnswer::Resolved(addrs))), Some(addr)) =
            (p.dns_current(), p.dns, p.address)
        else {
            continue;
        };
        let (resource, owner) = match p.public_ip {
            Some(pip) => (&pip.id, pip.name.as_str()),
            None => (cx.vm_id(), cx.vm.name.as_str()),
        };
        let answers: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        let f = cx.finding(
            &RULE,
            resource,
            format!(
                "{name} resolves to {} here, but {owner} now has {addr}",
                answers.join(", ")
            ),
            &[("<pip>", owner)],
        );
        if !out.iter().any(|x| x.message == f.message) {
            out.push(f);
        }
    }
    out
}

use crate::model::DnsAnswer;
