//! RDP702 — A user route drops RDP replies.
//!
//! Raised when the route on the VM's subnet covering the client has next hop `None`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP702",
    title: "A user route drops RDP replies",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Extends source 4: routing of the reply (not in the article)",
    rationale: "A user route with next hop None discards every packet it matches. When it covers \
        the client's address, the VM's replies are dropped, so RDP from that client fails on \
        every path.",
    remediation: "az network route-table route update --resource-group <rg> --route-table-name \
        <route table> --name <route> --next-hop-type Internet\n\
        (or delete it: az network route-table route delete --resource-group <rg> \
        --route-table-name <route table> --name <route>)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/virtual-networks-udr-overview",
    ],
    example: "route table rt-app route blackhole (0.0.0.0/0 -> None) on subnet app drops the \
        replies to every Internet address",
    needs: &[],
    defers_to: &[],
};

use crate::engine::route::ReplyFate;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter_map(|p| {
            let r =
                p.client.routes.iter().find(|r| {
                    r.fate == ReplyFate::Dropped && r.set.intersects(&p.client.admitted)
                })?;
            let table = p.route_table?;
            Some(
                cx.finding(
                    &RULE,
                    &table.id,
                    format!(
                        "route {} ({} → {}) in {} drops replies to {}",
                        r.route.clone().unwrap_or_default(),
                        r.prefix,
                        r.next_hop.as_str(),
                        table.name,
                        super::client_text(cx)
                    ),
                    &[
                        ("<route table>", &table.name),
                        ("<route>", r.route.as_deref().unwrap_or("<route>")),
                    ],
                )
                // The narrowest fix: a more specific route for the client alone, next hop Internet
                // (the dropping route stays for everything else).
                .with_fix_for(
                    super::Fix::AddRoute {
                        route_table: table.id.id.clone(),
                        name: "Rdp-Client-Direct-rdpaudit".into(),
                        prefix: super::fix::client_source(&cx.vm.client_label),
                    },
                    &r.set.intersect(&p.client.admitted),
                ),
            )
        })
        .take(1)
        .collect()
}
