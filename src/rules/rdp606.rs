//! RDP606 — Clients must connect to a non-default address or port.
//!
//! Raised when the address a client must use differs from `<public ip>:3389` (NAT rule
//! frontend port, classic public port); the message gives the exact `host:port`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP606",
    title: "Clients must connect to a non-default address or port",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Preliminary steps: third-party RDP managers must use the right port",
    rationale: "Behind an inbound NAT rule, clients must connect to the load balancer's frontend \
        IP and the rule's frontend port, not to port 3389; a classic endpoint likewise uses its \
        public port on the cloud service VIP. The article warns that third-party RDP managers \
        must be configured with that exact TCP port.",
    remediation: "mstsc /v:<host>:<port>   (or put <host>:<port> into the third-party RDP \
        manager's connection settings)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/load-balancer/inbound-nat-rules",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/connect-rdp",
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
    ],
    example: "connect to 20.50.1.9:50001 (NAT rule rdp-web-02 on lb-public), not to port 3389",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::engine::PathKind;
    cx.vm
        .direct_paths()
        .filter(|p| {
            matches!(
                p.kind,
                PathKind::NatRule
                    | PathKind::LbRule
                    | PathKind::ClassicEndpoint
                    | PathKind::FirewallDnat
            )
        })
        .filter(|p| p.connect_port != Some(cx.vm.default_port) && !p.config_blocked())
        .filter(|p| !p.client.reachable.is_empty() || !p.client.unknown.is_empty())
        .filter_map(|p| {
            let to = p.connect_to()?;
            let via = match (super::forwarding_rule(p), p.endpoint) {
                (Some(rule), _) => rule,
                (_, Some(ep)) => format!("endpoint {}", ep.name),
                _ => "the entry point".into(),
            };
            let extra = if p.connect_range.is_some() && p.connect_port.is_none() {
                " (one port of this range is assigned to the VM: see the load balancer's port mappings)"
            } else {
                ""
            };
            Some(cx.finding(
                &RULE,
                cx.vm_id(),
                format!("connect to {to} ({via}), not to port {}{extra}", cx.vm.default_port),
                &[("<host>:<port>", &to)],
            ))
        })
        .collect()
}
