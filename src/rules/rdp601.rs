//! RDP601 — The VM has no public path.
//!
//! Raised when the VM has no public IP, no inbound NAT rule and no classic endpoint; names a
//! Bastion host in its VNet or a peered VNet when there is one.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP601",
    title: "The VM has no public path",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Preliminary steps: check the VM's status (its public entry point)",
    rationale: "Without a public IP, an inbound NAT rule or a classic endpoint no packet from the \
        Internet can reach the VM, which is often intended. RDP then works only from its own \
        network (the VNet, peered VNets, VPN or ExpressRoute) or through Azure Bastion, which \
        connects to the private IP from inside the VNet.",
    remediation: "Portal: <vm> > Connect > Connect via Bastion (or from the VNet or VPN: mstsc \
        /v:<private IP>)\n\
        Only if direct access is required: az network public-ip create --resource-group <rg> \
        --name <pip> --sku Standard\n\
        az network nic ip-config update --resource-group <rg> --nic-name <nic> --name <ipconfig> \
        --public-ip-address <pip>   (then allow RDP from your address, RDP402)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/bastion/bastion-overview",
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
    ],
    example: "vm-app-01 has no public IP, NAT rule or endpoint; it is reachable through Bastion \
        bas-hub in peered VNet vnet-hub",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let vm = cx.vm;
    if vm.arm.is_none() || vm.direct_paths().next().is_some() || !vm.problems.is_empty() {
        return Vec::new();
    }
    let bastion = match vm.bastions.first() {
        Some(b) => format!("; Azure Bastion {} serves its network", b.name),
        None => "; no Azure Bastion serves its network".to_string(),
    };
    vec![cx.finding(
        &RULE,
        vm.id.id.as_str(),
        format!(
            "{} has no public IP, NAT rule or endpoint: RDP works only from its network{}",
            vm.name, bastion
        ),
        &[],
    )]
}
