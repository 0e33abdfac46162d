//! RDP402 — A Standard public entry point has no NSG.
//!
//! Raised when RDP enters through a Standard public IP or a Standard load-balancer frontend
//! and neither the subnet nor the NIC has an NSG.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP402",
    title: "A Standard public entry point has no NSG",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 4: network security groups (Standard SKU is closed by default)",
    rationale: "Standard public IPs and Standard load balancers are secure by default: inbound \
        traffic is dropped unless an NSG on the subnet or the NIC explicitly allows it. With no \
        NSG at either level RDP is therefore blocked, unlike the retired Basic SKU, which was \
        open by default.",
    remediation: "az network nsg create --resource-group <rg> --name <nsg>\n\
        az network nsg rule create --resource-group <rg> --nsg-name <nsg> --name \
        Allow-RDP-From-Office --priority 300 --direction Inbound --access Allow --protocol Tcp \
        --source-address-prefixes <your public IP>/32 --destination-port-ranges 3389\n\
        az network nic update --resource-group <rg> --name <nic> --network-security-group <nsg>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
        "https://learn.microsoft.com/en-us/azure/load-balancer/skus",
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-group-how-it-works",
    ],
    example: "vm-web-01 is reached through Standard public IP pip-web-01, but neither subnet app \
        nor NIC vm-web-01-nic has an NSG, so inbound RDP is dropped",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter(|p| p.client.secure_by_default)
        .map(|p| {
            let (what, id) = match (p.lb, p.public_ip) {
                (Some(lb), _) => (
                    format!("Standard load balancer {}", lb.name),
                    lb.id.id.clone(),
                ),
                (None, Some(pip)) => (
                    format!("Standard public IP {}", pip.name),
                    pip.id.id.clone(),
                ),
                _ => ("a Standard entry point".to_string(), cx.vm_id().to_string()),
            };
            let nic = p.nic.map(|n| n.name.clone()).unwrap_or_default();
            let mut f = cx.finding(
                &RULE,
                &id,
                format!(
                    "RDP to {} enters through {} but neither the subnet nor NIC {} has an NSG",
                    cx.vm.name, what, nic
                ),
                &[("<nic>", &nic)],
            );
            // The NIC's own group and subscription; only the NSG's name is a suggestion.
            if let Some(text) = super::fix::nsg_for_path(cx, p) {
                f.remediation = text;
            }
            f
        })
        .collect()
}
