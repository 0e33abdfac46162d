//! RDP502 — The guest's RDP port differs from the port the network delivers.
//!
//! Guest facts: compares `rdpPort` (RDP-Tcp PortNumber) with the port the path delivers to
//! (NSG-allowed port, NAT backend port, classic endpoint private port).

use super::meta::{Category, Need, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP502",
    title: "The guest's RDP port differs from the port the network delivers",
    severity: Severity::High,
    category: Category::Connectivity,
    seed: "Source 5: Windows-based Azure VM",
    rationale: "Packets arrive at the port the network delivers to: the port the NSG allows on a \
        public IP, the NAT rule's backend port, or the classic endpoint's private port. If the \
        RDP-Tcp PortNumber in the guest differs, they reach a port nothing listens on. The \
        article's fix is to set PortNumber back to 3389; pointing the NAT rule and NSG at the \
        guest's port works too.",
    remediation: "az vm run-command invoke --resource-group <rg> --name <vm> --command-id \
        SetRDPPort --parameters \"RDPPort=<delivered port>\"\n\
        Or move the network to the guest's port: az network lb inbound-nat-rule update \
        --resource-group <rg> --lb-name <lb> --name <rule> --backend-port <guest port> (and allow \
        it in the NSG)",
    links: &[
        "https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
        "https://learn.microsoft.com/en-us/azure/virtual-machines/windows/run-command",
        "https://learn.microsoft.com/en-us/azure/load-balancer/inbound-nat-rules",
    ],
    example: "vm-web-01 listens for RDP on port 3390, but NAT rule rdp-web-01 on lb-public \
        delivers to port 3389",
    needs: &[Need::Guest],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let vm = cx.vm;
    if !vm.port_from_guest {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in vm.direct_paths() {
        let delivered = if p.admits_default_port == Some(true) && p.client.reachable.is_empty() {
            Some((vm.default_port, "the NSGs allow"))
        } else if p.delivered_port != vm.port {
            Some((
                p.delivered_port,
                match p.kind {
                    crate::engine::PathKind::NatRule => "the NAT rule delivers",
                    crate::engine::PathKind::LbRule => "the load-balancing rule delivers",
                    _ => "the endpoint delivers",
                },
            ))
        } else {
            None
        };
        if let Some((port, what)) = delivered {
            let (port_s, guest) = (port.to_string(), vm.port.to_string());
            let (lb, rule) = match (p.lb, p.nat_rule) {
                (Some(lb), Some(r)) => (lb.name.clone(), r.name.clone()),
                _ => ("<lb>".into(), "<rule>".into()),
            };
            let mut f = cx.finding(
                &RULE,
                cx.vm_id(),
                format!(
                    "{what} port {port} but RDP on {} listens on port {}",
                    vm.name, vm.port
                ),
                &[
                    ("<port>", &port_s),
                    ("<delivered port>", &port_s),
                    ("<guest port>", &guest),
                    ("<lb>", &lb),
                    ("<rule>", &rule),
                ],
            );
            // The load balancer's own group and subscription (it may live apart from the VM);
            // without a NAT rule, the other way is the NSG.
            if p.nat_rule.is_none() {
                let first = f.remediation.lines().next().unwrap_or_default().to_string();
                f.remediation = format!(
                    "{first}\nOr allow the guest's port: admit tcp/{guest} where the NSG rules \
                     now admit tcp/{port_s}"
                );
            } else if let Some(lb) = p.lb {
                let (vm_rg, lb_scope) = (
                    format!("--resource-group {}", super::fix::quote(&vm.resource_group)),
                    super::fix::scope_of(&lb.id.id),
                );
                f.remediation = f.remediation.replacen(
                    &format!("{vm_rg} --lb-name"),
                    &format!("{lb_scope} --lb-name"),
                    1,
                );
            }
            out.push(f);
        }
    }
    out.truncate(1);
    out
}
