//! RDP803 — A Basic public IP without any NSG leaves every port open.
//!
//! Raised when the VM has a Basic (or SKU-less) public IP and neither its subnet nor its NIC
//! has an NSG.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP803",
    title: "A Basic public IP without any NSG leaves every port open",
    severity: Severity::Medium,
    category: Category::Exposure,
    seed: "Exposure: CIS Microsoft Azure Foundations 'RDP access from the Internet is restricted' \
        (Basic SKU is open by default)",
    rationale: "A Basic public IP with no NSG on the subnet or the NIC forwards every port to the \
        VM: RDP, SMB, WinRM and anything else the guest listens on. Basic public IPs were retired \
        on 30 September 2025; Standard public IPs stay closed until an NSG allows traffic.",
    remediation: "az network nsg create --resource-group <rg> --name <nsg>   (only the default \
        rules: all inbound from the Internet denied)\n\
        az network nic update --resource-group <rg> --name <nic> --network-security-group <nsg>\n\
        Then upgrade the public IP to Standard (see the public IP documentation)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
    ],
    example: "vm-web-01 has Basic public IP pip-web-01 and no NSG on subnet app or NIC \
        vm-web-01-nic, so every port is open",
    needs: &[],
    defers_to: &[],
};

use crate::engine::types::Slot;
use crate::model::Sku;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter(|p| p.sku == Some(Sku::Basic))
        .filter(|p| matches!((&p.subnet_nsg, &p.nic_nsg), (Slot::None, Slot::None)))
        .filter_map(|p| {
            let pip = p.public_ip?;
            let nic = p.nic.map(|n| n.name.clone()).unwrap_or_default();
            let mut f = cx.finding(
                &RULE,
                &pip.id,
                format!("{} has Basic public IP {} and no NSG on its subnet or NIC {}: every port is open", cx.vm.name, pip.name, nic),
                &[("<nic>", &nic)],
            );
            if let Some(text) = super::fix::nsg_for_path(cx, p) {
                f.remediation = format!(
                    "{text}\nThen upgrade the public IP to Standard (see the public IP \
                     documentation)"
                );
            }
            Some(f)
        })
        .take(1)
        .collect()
}
