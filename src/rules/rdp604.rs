//! RDP604 — The public IP is on a secondary NIC.
//!
//! Raised when the public IP on the path belongs to an IP configuration of a NIC that is not
//! the VM's primary NIC.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP604",
    title: "The public IP is on a secondary NIC",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Extends preliminary steps: the public entry point (not in the article)",
    rationale: "Azure gives a default gateway only to the VM's primary NIC. A client reaches the \
        public IP of a secondary NIC, but Windows sends the reply out of the primary NIC with the \
        wrong source address, so it is dropped. The public IP belongs on the primary NIC, or the \
        guest needs routes for the secondary one.",
    remediation: "az network nic ip-config update --resource-group <rg> --nic-name <secondary \
        nic> --name <ipconfig> --remove publicIpAddress\n\
        az network nic ip-config update --resource-group <rg> --nic-name <primary nic> --name \
        <ipconfig> --public-ip-address <pip>",
    links: &["https://learn.microsoft.com/en-us/azure/virtual-machines/windows/multiple-nics"],
    example: "pip-web-02 is on secondary NIC vm-web-01-nic2, so replies leave through primary NIC \
        vm-web-01-nic1 and are dropped",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .direct_paths()
        .filter(|p| p.kind == crate::engine::PathKind::PublicIp && !p.on_primary_nic)
        .filter_map(|p| {
            let nic = p.nic?;
            let pip = p.public_ip.map(|x| x.name.as_str()).unwrap_or("a public IP");
            let mut f = cx.finding(
                &RULE,
                &nic.id,
                format!("{pip} is on {}, a secondary NIC of {}: replies leave through the primary NIC and are dropped", nic.name, cx.vm.name),
                &[("<nic>", &nic.name)],
            );
            if let Some(text) = advice(cx, p, nic) {
                f.remediation = text;
            }
            Some(f)
        })
        .collect()
}
/// Move the public IP from the secondary NIC's IP configuration to the primary NIC's, each
/// NIC named with its own group and subscription.
fn advice(
    cx: &Cx<'_, '_>,
    p: &crate::engine::PathAnalysis<'_>,
    nic: &crate::model::Nic,
) -> Option<String> {
    let q = super::fix::quote;
    let (ipc, pip) = (p.ip_config?, p.public_ip?);
    let arm = cx.vm.arm?;
    let primary = arm
        .nics
        .iter()
        .find(|(_, pr)| *pr == Some(true))
        .or(arm.nics.first())
        .and_then(|(id, _)| cx.model.nics.get(&id.key()))?;
    let pipc = primary
        .ip_configs
        .iter()
        .find(|c| c.primary == Some(true))
        .or(primary.ip_configs.first())?;
    Some(format!(
        "az network nic ip-config update {} --nic-name {} --name {} --remove publicIpAddress\n\
         az network nic ip-config update {} --nic-name {} --name {} --public-ip-address {}",
        super::fix::scope_of(&nic.id.id),
        q(&nic.name),
        q(ipc.id.name()),
        super::fix::scope_of(&primary.id.id),
        q(&primary.name),
        q(pipc.id.name()),
        q(&pip.id.id),
    ))
}
