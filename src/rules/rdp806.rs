//! RDP806 — A Bastion that reaches the VM has IP-based connection enabled.
//!
//! Raised when an Azure Bastion host that serves the VM's network has `enableIpConnect` on: it
//! connects to any routable private address, so its reach is wider than its VNet
//! (docs/decisions.md D38, D41).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP806",
    title: "A Bastion with IP-based connection enabled can reach the VM",
    severity: Severity::Low,
    category: Category::Exposure,
    seed: "Exposure: Azure Bastion as the alternative to a public RDP port",
    rationale: "With IP-based connection a Bastion user connects to a private IP address \
        rather than to a VM resource: any address routable from the Bastion's network, \
        including peered VNets, VNets behind a Virtual WAN hub and on-premises machines over VPN \
        or ExpressRoute. Who can use Bastion then reaches more than its VNet, and Azure RBAC on \
        the target VM is no longer what limits it.",
    remediation: "az network bastion update --resource-group <rg> --name <bastion> \
        --enable-ip-connect false",
    links: &[
        "https://learn.microsoft.com/en-us/azure/bastion/connect-ip-address",
        "https://learn.microsoft.com/en-us/azure/bastion/configuration-settings",
    ],
    example: "Bastion bas-hub has IP-based connection enabled and reaches vm-app-01 on tcp/3389 \
        by its private address: its reach is any routable private address, not only its VNet",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::bastions_reaching(cx)
        .filter(|(b, _)| b.ip_connect)
        .map(|(b, port)| {
            cx.finding(
                &RULE,
                &b.id,
                format!(
                    "Bastion {} has IP-based connection enabled and reaches {} on tcp/{port} by \
                     its private address: its reach is any routable private address, not only \
                     its VNet",
                    b.name, cx.vm.name
                ),
                &[("<bastion>", &b.name)],
            )
            .with_fix(super::Fix::DisableBastionFeature {
                bastion: b.id.id.clone(),
                feature: super::BastionFeature::IpConnect,
            })
        })
        .collect()
}
