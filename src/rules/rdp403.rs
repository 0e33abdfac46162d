//! RDP403 — The NSG allows the NAT frontend port, not the backend port.
//!
//! For an inbound NAT rule mapping frontend port F to backend port B != F: raised when the
//! NSGs allow F but not B.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP403",
    title: "The NSG allows the NAT frontend port, not the backend port",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 4: network security groups (what the NSG sees behind a NAT rule)",
    rationale: "An inbound NAT rule translates frontend port F to backend port B before the NSG \
        sees the packet, so NSG rules must allow the backend port B on the VM's private IP. A \
        rule that allows the frontend port F never matches RDP arriving through the load balancer.",
    remediation: "az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
        --destination-port-ranges <backend port>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/en-us/azure/load-balancer/inbound-nat-rules",
    ],
    example: "NAT rule rdp-web-02 on lb-public maps 50001 to 3389, but nsg-web rule AllowRDP \
        (priority 300) allows tcp/50001, not tcp/3389",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::arm_paths(cx)
        .filter(|p| p.admits_frontend_port == Some(true) && p.client.admitted.is_empty())
        .filter_map(|p| Some((p, p.lb?, super::forwarding_rule(p)?)))
        .map(|(p, lb, via)| {
            let nsgs: Vec<String> = super::path_nsgs(p)
                .iter()
                .map(|(n, _)| n.name.clone())
                .collect();
            let front = p.connect_port.unwrap_or_default().to_string();
            let deny = super::deciding(p, |o| o == crate::engine::nsg::Outcome::Deny);
            let fix = deny.map(|(nsg, _, part)| {
                let destination = p
                    .ip_config
                    .and_then(|c| c.private_ip)
                    .map_or_else(|| "*".to_string(), |ip| ip.to_string());
                let deciding = part.rule.as_ref().map(|r| (r.name.as_str(), r.priority));
                let f = super::fix::admit_client(
                    nsg,
                    deciding,
                    &cx.vm.client_label,
                    destination,
                    p.delivered_port,
                );
                (f, part.set.clone())
            });
            let finding = cx.finding(
                &RULE,
                &lb.id,
                format!(
                    "{} maps port {} to {}, and {} {} {} but not {} (NSGs see the backend port)",
                    via,
                    front,
                    p.delivered_port,
                    nsgs.join(" and "),
                    if nsgs.len() == 1 { "allows" } else { "allow" },
                    front,
                    p.delivered_port
                ),
                &[("<nsg>", nsgs.first().map(String::as_str).unwrap_or("<nsg>"))],
            );
            match fix {
                Some((f, set)) => finding.with_fix_for(f, &set),
                None => finding,
            }
        })
        .collect()
}
