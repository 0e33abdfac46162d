//! RDP401 — A network security group denies RDP.
//!
//! Evaluates the subnet and NIC NSGs on every path for the client and the RDP port (after
//! NAT): raised when they deny it everywhere, naming the deciding NSG, level, rule and priority.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP401",
    title: "A network security group denies RDP",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 4: network security groups",
    rationale: "Inbound traffic passes the subnet's NSG first, then the NIC's; each walks its \
        rules by ascending priority and the first match decides, so a deny rule (or the default \
        DenyAllInBound at 65500) at either level drops the packet silently. NSGs compare the VM's \
        private IP and the port after NAT, not the public address. An allow rule for RDP must \
        have a lower priority number than the deciding rule, in every NSG on the path.",
    remediation: "az network nsg rule create --resource-group <rg> --nsg-name <nsg> --name \
        Allow-RDP-From-Office --priority <priority lower than the deciding rule> --direction \
        Inbound --access Allow --protocol Tcp --source-address-prefixes <your public IP>/32 \
        --destination-port-ranges 3389",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-group-how-it-works",
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/troubleshoot-rdp-nsg-problem",
    ],
    example: "nsg-app-subnet (subnet) denies tcp/3389 from any Internet address by DenyAllInBound \
        (priority 65500)",
    needs: &[],
    defers_to: &["RDP404", "RDP406"],
};

use crate::engine::nsg::Outcome;

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let paths: Vec<_> = super::arm_paths(cx)
        .filter(|p| !p.config_blocked())
        .collect();
    // Every path is denied by an NSG (not by secure-by-default, not undecidable)...
    let all_denied = !paths.is_empty()
        && paths.iter().all(|p| {
            !p.client.secure_by_default
                && p.client.unusable.is_none()
                && p.client.admitted.is_empty()
                && p.client.unknown.is_empty()
        });
    // ...and no more specific rule explains it (frontend port: RDP403; guest port: RDP502;
    // JIT: RDP406 and a rule aimed at the public IP: RDP404, by `defers_to`).
    if !all_denied
        || paths
            .iter()
            .any(|p| p.admits_frontend_port == Some(true) || p.admits_default_port == Some(true))
    {
        return Vec::new();
    }
    let Some((nsg, level, part)) = super::deciding(paths[0], |o| o == Outcome::Deny) else {
        return Vec::new();
    };
    let destination = paths[0]
        .ip_config
        .and_then(|c| c.private_ip)
        .map_or_else(|| "*".to_string(), |ip| ip.to_string());
    let fix = super::fix::admit_client(
        nsg,
        part.rule.as_ref().map(|r| (r.name.as_str(), r.priority)),
        &cx.vm.client_label,
        destination,
        paths[0].delivered_port,
    );
    vec![cx
        .finding(
            &RULE,
            &nsg.id,
            format!(
                "{} ({}) denies tcp/{} from {} by {}",
                nsg.name,
                level.to_lowercase(),
                paths[0].delivered_port,
                super::client_text(cx),
                super::rule_text(part)
            ),
            &[
                ("<nsg>", &nsg.name),
                (
                    "--destination-port-ranges 3389",
                    &format!("--destination-port-ranges {}", paths[0].delivered_port),
                ),
            ],
        )
        .with_fix_for(fix, &part.set)]
}
