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
    let mut f = cx.finding(
        &RULE,
        &vm.id,
        format!(
            "{} has no public IP, NAT rule or endpoint: RDP works only from its network{}",
            vm.name, bastion
        ),
        &[],
    );
    if let Some(text) = advice(cx) {
        f.remediation = text;
    }
    vec![f]
}

/// The template with the primary NIC's names, group and private IP; the public IP's name is a
/// suggestion.
fn advice(cx: &Cx<'_, '_>) -> Option<String> {
    let arm = cx.vm.arm?;
    let nic = arm
        .nics
        .iter()
        .find(|(_, p)| *p == Some(true))
        .or(arm.nics.first())
        .and_then(|(id, _)| cx.model.nics.get(&id.key()))?;
    let ipc = nic
        .ip_configs
        .iter()
        .find(|c| c.primary == Some(true))
        .or(nic.ip_configs.first())?;
    let q = super::fix::quote;
    let scope = super::fix::scope_of(&nic.id.id);
    let pip = q(&format!("{}-pip", cx.vm.name));
    Some(format!(
        "Portal: {vm} > Connect > Connect via Bastion (or from the VNet or VPN: mstsc /v:{ip})\n\
         Only if direct access is required: az network public-ip create {scope} --name {pip} \
         --sku Standard\n\
         az network nic ip-config update {scope} --nic-name {} --name {} --public-ip-address \
         {pip}   (then allow RDP from your address, RDP402)",
        q(&nic.name),
        q(ipc.id.name()),
        vm = cx.vm.name,
        ip = ipc
            .private_ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "<private IP>".into()),
    ))
}
