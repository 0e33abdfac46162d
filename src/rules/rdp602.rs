//! RDP602 — The public IP has no address.
//!
//! Raised when the public IP on the path has no `ipAddress` (dynamic IP while deallocated, or
//! allocation failed).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP602",
    title: "The public IP has no address",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Preliminary steps: the VIP changed (public IP address)",
    rationale: "A dynamic public IP holds an address only while its VM is allocated: the address \
        is released on deallocation and a new one is assigned at start. A public IP with no \
        address gives clients nothing to connect to.",
    remediation: "az vm start --resource-group <rg> --name <vm>\n\
        az network public-ip show --resource-group <rg> --name <pip> --query ipAddress --output \
        tsv\n\
        To keep the address: az network public-ip update --resource-group <rg> --name <pip> \
        --allocation-method Static",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/ip-services/public-ip-addresses",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/states-billing",
    ],
    example: "pip-web-01 (Dynamic) on vm-web-01 has no address assigned",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .direct_paths()
        .flat_map(|p| p.blocks.iter())
        .find_map(|b| match &b.reason {
            BlockReason::NoAddress {
                pip,
                via_lb,
                dynamic,
            } => {
                let message = match via_lb {
                    Some(lb) => format!("public IP {pip} of {lb} has no address assigned"),
                    None if *dynamic => format!(
                        "public IP {pip} has no address assigned (dynamic IP released while the \
                         VM is deallocated)"
                    ),
                    None => format!("public IP {pip} has no address assigned"),
                };
                let mut f = cx.finding(&RULE, &b.resource, message, &[]);
                // The public IP's own group and subscription (it may live apart from the VM).
                if crate::model::ResId::new(&b.resource)
                    .segment_after("publicIPAddresses")
                    .is_some()
                {
                    let (vm, ip) = (
                        super::fix::scope_of(&cx.vm_id().id),
                        super::fix::scope_of(&b.resource),
                    );
                    let name = super::fix::quote(&super::fix::parts(&b.resource).2);
                    f.remediation = format!(
                        "az vm start {vm} --name {}\n\
                         az network public-ip show {ip} --name {name} --query ipAddress --output \
                         tsv\n\
                         To keep the address: az network public-ip update {ip} --name {name} \
                         --allocation-method Static",
                        super::fix::quote(&cx.vm.name)
                    );
                }
                Some(f)
            }
            _ => None,
        })
        .into_iter()
        .collect()
}

use crate::engine::BlockReason;
