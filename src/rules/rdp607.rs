//! RDP607 — RDP reaches the VM through an Azure Firewall DNAT rule.
//!
//! Raised when a firewall DNAT rule translates to the VM's RDP port and the path gets through
//! (as if the VM were running): the firewall SNATs the traffic, so the VM's NSGs see the
//! firewall's private address, not the client (docs/decisions.md D27).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::PathKind;

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP607",
    title: "RDP reaches the VM through an Azure Firewall DNAT rule",
    severity: Severity::Info,
    category: Category::Exposure,
    seed: "Source 6: the path to the VM (Azure Firewall DNAT in front of the VM)",
    rationale: "Azure Firewall translates the destination of DNAT traffic to the VM and also \
        translates its source to one of the firewall's own addresses in AzureFirewallSubnet. The \
        VM's NSGs therefore see the firewall, not the client: NSG source filters cannot limit who \
        connects. Who can open RDP is decided by the DNAT rule's source addresses and IP Groups.",
    remediation: "Restrict the DNAT rule's sources to your admin range: az network firewall \
        policy rule-collection-group collection rule update --resource-group <rg> --policy-name \
        <policy> --rule-collection-group-name <group> --collection-name <collection> --name \
        <rule> --source-addresses <admin public IP>/32   (classic rules: az network firewall \
        nat-rule create … --source-addresses <admin public IP>/32 after deleting the rule)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/firewall/tutorial-firewall-dnat",
        "https://learn.microsoft.com/en-us/azure/firewall/rule-processing",
        "https://learn.microsoft.com/en-us/azure/architecture/example-scenario/gateway/firewall-application-gateway",
    ],
    example: "firewall fw-hub DNAT rule rdp-jump (collection dnat-mgmt) forwards \
        20.50.1.10:50001 to 10.1.0.4:3389 for 0.0.0.0/0; the NSGs of vm-jump see only the \
        firewall's addresses 10.0.1.0/26",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    for p in cx
        .vm
        .paths
        .iter()
        .filter(|p| p.kind == PathKind::FirewallDnat)
    {
        let open = p.is_exposed() || !p.client.reachable.is_empty();
        let (Some(d), Some(text)) = (p.dnat.as_ref(), super::doors::dnat_text(p)) else {
            continue;
        };
        if !open {
            continue;
        }
        let all = crate::engine::addrset::AddrSet::all();
        let fill = [
            (
                "<policy>",
                d.policy.map(|x| x.name.clone()).unwrap_or_default(),
            ),
            (
                "<group>",
                d.group.map(|x| x.name.clone()).unwrap_or_default(),
            ),
            (
                "<collection>",
                d.collection.map(|x| x.name.clone()).unwrap_or_default(),
            ),
            ("<rule>", d.rule.map(|x| x.name.clone()).unwrap_or_default()),
        ];
        let fill: Vec<(&str, &str)> = fill.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fix = narrow_dnat(cx, d);
        let f = cx.finding(
            &RULE,
            &d.firewall.id,
            format!(
                "{text} for {}; the NSGs of {} see only the firewall's addresses {}",
                super::phrases::describe_set(&d.clients, &all),
                cx.vm.name,
                super::phrases::describe_set(&d.snat, &d.snat)
            ),
            &fill,
        );
        return vec![match fix {
            Some(x) => f.with_fix_for(x, &d.clients),
            None => f,
        }];
    }
    Vec::new()
}

/// The narrowest fix: the DNAT rule admits only the admins' address (the NSGs cannot filter
/// behind the firewall's SNAT, so the rule's sources are the only filter).
pub(super) fn narrow_dnat(
    cx: &Cx<'_, '_>,
    d: &crate::engine::dnat::DnatEntry<'_>,
) -> Option<super::Fix> {
    let (collection, rule) = (d.collection?, d.rule?);
    let resource = match d.group {
        Some(g) => g.id.id.clone(),
        None => d.firewall.id.id.clone(),
    };
    let recreate = d.group.is_none().then(|| recreate_flags(rule));
    Some(super::Fix::NarrowDnatRuleSources {
        resource,
        collection: collection.name.clone(),
        rule: rule.name.clone(),
        sources: super::fix::client_sources(&cx.vm.client_label),
        recreate,
    })
}

/// A classic rule's fields as `az network firewall nat-rule create` flags, sources aside.
fn recreate_flags(r: &crate::model::doors::DnatRule) -> Vec<(String, Vec<String>)> {
    let addrs = |a: &crate::model::doors::AddrItems| -> Vec<String> {
        if a.any {
            return vec!["*".into()];
        }
        let nets = a.nets.iter().map(|n| n.to_string());
        nets.chain(a.ranges.iter().map(|(x, y)| format!("{x}-{y}")))
            .collect()
    };
    let mut out = vec![
        (
            "--protocols".to_string(),
            vec![if r.tcp { "TCP" } else { "Any" }.to_string()],
        ),
        (
            "--destination-addresses".to_string(),
            addrs(&r.destinations),
        ),
    ];
    if let Some(p) = &r.ports {
        let ports = p
            .ranges()
            .iter()
            .map(|(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        out.push(("--destination-ports".to_string(), ports));
    }
    match &r.target {
        crate::model::doors::DnatTarget::Address(ip) => {
            out.push(("--translated-address".into(), vec![ip.to_string()]));
        }
        crate::model::doors::DnatTarget::Fqdn(f) => {
            out.push(("--translated-fqdn".into(), vec![f.clone()]));
        }
        crate::model::doors::DnatTarget::Malformed(_) => {}
    }
    if let Some(p) = r.translated_port {
        out.push(("--translated-port".into(), vec![p.to_string()]));
    }
    out
}
