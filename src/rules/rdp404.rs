//! RDP404 — An NSG rule targets the public IP, which NSGs never see.
//!
//! Looks at inbound allow rules aimed at the RDP port: raised when one names the VM's public
//! IP as its destination.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP404",
    title: "An NSG rule targets the public IP, which NSGs never see",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Source 4: network security groups",
    rationale: "Azure translates the public IP to the VM's private IP before NSG evaluation, so \
        NSGs compare the private address. A rule whose destination is the public IP never matches \
        inbound RDP, and the traffic falls through to a later rule, usually DenyAllInBound.",
    remediation: "az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
        --destination-address-prefixes <VM private IP>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
    ],
    example: "nsg-web rule AllowRDP (priority 300) has destination 20.50.1.9, the public IP, so \
        it never matches traffic to 10.0.1.4",
    needs: &[],
    defers_to: &[],
};

use crate::model::Access;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // With floating IP the NSGs do see the frontend IP (docs/decisions.md D18).
    for p in super::arm_paths(cx).filter(|p| !p.floating_ip()) {
        let Some(addr) = p.address else { continue };
        let private = p.ip_config.and_then(|c| c.private_ip);
        for (nsg, level) in super::path_nsgs(p) {
            for r in nsg
                .inbound
                .iter()
                .filter(|r| r.access == Access::Allow && !r.is_default)
            {
                let aims_at_public = r.destination.prefixes.iter().any(|n| n.contains(&addr))
                    && !private
                        .is_some_and(|ip| r.destination.prefixes.iter().any(|n| n.contains(&ip)))
                    && !r.destination.any;
                if aims_at_public
                    && r.protocol.matches_tcp()
                    && r.destination_ports.contains(p.delivered_port)
                {
                    let f = cx.finding(
                        &RULE,
                        &nsg.id,
                        format!(
                            "{} ({}) rule {} (priority {}) names the public IP {} as destination; NSGs see the private IP {}, so it never matches",
                            nsg.name,
                            level.to_lowercase(),
                            r.name,
                            r.priority,
                            addr,
                            private.map(|ip| ip.to_string()).unwrap_or_else(|| "of the NIC".into())
                        ),
                        &[("<nsg>", &nsg.name), ("<rule>", &r.name)],
                    );
                    // The narrowest fix: the same rule, aimed at the address the NSG sees.
                    out.push(match private {
                        Some(ip) => f.with_fix(super::Fix::SetNsgRuleDestination {
                            nsg: nsg.id.id.clone(),
                            rule: r.name.clone(),
                            destination: ip.to_string(),
                        }),
                        None => f,
                    });
                }
            }
        }
    }
    out
}
