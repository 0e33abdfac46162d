//! RDP701 — A user route sends RDP replies to an appliance.
//!
//! Raised when the subnet's route covering the client has next hop `VirtualAppliance` or
//! `VirtualNetworkGateway` while RDP enters through a public IP or public load balancer.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP701",
    title: "A user route sends RDP replies to an appliance",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Extends source 4: routing of the reply (not in the article)",
    rationale: "A user route on the VM's subnet (typically 0.0.0.0/0) sends traffic for the \
        client's address to a network virtual appliance or gateway. The SYN arrives directly on \
        the public IP or load balancer, but the reply follows the route to the appliance, which \
        has no state for the flow and drops it (asymmetric routing). The same route also widens \
        the VirtualNetwork service tag, so AllowVnetInBound admits every source: the NSG looks \
        open while RDP fails.",
    remediation: "az network route-table route create --resource-group <rg> --route-table-name \
        <route table> --name Rdp-Client-Direct --address-prefix <client IP>/32 --next-hop-type \
        Internet\n\
        Or publish RDP through the appliance (DNAT) or use Azure Bastion",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/virtual-networks-udr-overview",
        "https://learn.microsoft.com/en-us/azure/firewall/integrate-lb",
    ],
    example: "route table rt-spoke route default-to-fw (0.0.0.0/0 -> VirtualAppliance 10.0.100.4) \
        on subnet app sends RDP replies to the appliance, which drops them",
    needs: &[],
    defers_to: &[],
};

use crate::engine::route::ReplyFate;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter_map(|p| {
            let r = p
                .client
                .routes
                .iter()
                .find(|r| r.fate == ReplyFate::Asymmetric && r.set.intersects(&p.client.admitted))?;
            let table = p.route_table?;
            Some(cx.finding(
                &RULE,
                &table.id,
                format!(
                    "route {} ({} → {}{}) in {} sends replies to {} away from the path RDP came in: asymmetric routing drops them",
                    r.route.clone().unwrap_or_default(),
                    r.prefix,
                    r.next_hop.as_str(),
                    r.next_hop_ip.as_ref().map(|ip| format!(" {ip}")).unwrap_or_default(),
                    table.name,
                    super::client_text(cx)
                ),
                &[("<route-table>", &table.name), ("<route>", r.route.as_deref().unwrap_or("<route>"))],
            ).with_fix_for(super::Fix::AddRoute {
                route_table: table.id.id.clone(),
                name: "Rdp-Client-Direct-rdpaudit".into(),
                prefix: super::fix::client_source(&cx.vm.client_label),
            }, &r.set.intersect(&p.client.admitted)))
        })
        .take(1)
        .collect()
}
