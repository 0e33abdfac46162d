//! RDP811 — RDP is reachable from networks outside Azure over a gateway.
//!
//! Raised when a gateway source class (`onPremises`: site-to-site prefixes, BGP or
//! ExpressRoute; `pointToSite`: the VPN client pool) can, or may, open RDP on the VM
//! (docs/decisions.md D42, D44).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::gateways::OpenReason;
use crate::engine::lateral::classes::{ClassNote, ClassReach};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP811",
    title: "RDP is reachable from networks outside Azure over a gateway",
    severity: Severity::Low,
    category: Category::Exposure,
    seed: "Exposure: lateral movement over RDP (MITRE ATT&CK T1021.001) from on-premises \
        networks and VPN clients",
    rationale: "A VPN or ExpressRoute gateway brings on-premises networks and point-to-site \
        clients into the virtual network, and the default rule AllowVnetInBound admits them: \
        every machine on those networks can open RDP. A compromised office PC or VPN laptop then \
        reaches the VM directly.",
    remediation: "Limit RDP to the administrators' addresses: az network nsg rule create \
        --resource-group <rg> --nsg-name <nsg> --name Deny-RDP-OnPrem --priority 4000 \
        --direction Inbound --access Deny --protocol Tcp --destination-port-ranges 3389 \
        --source-address-prefixes <prefixes>, with an allow rule for the jump hosts above it",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview",
        "https://learn.microsoft.com/en-us/azure/vpn-gateway/vpn-gateway-about-vpngateways",
        "https://learn.microsoft.com/en-us/azure/virtual-network/virtual-network-manage-peering",
    ],
    example: "RDP on vm-app is reachable over gateway vpngw-hub (gateway transit over peering \
        spoke-to-hub) from on-premises onprem-office (10.50.0.0/16, connection Connected): \
        nsg-app rule AllowVnetInBound (priority 65000)",
    needs: &[],
    defers_to: &[],
};

fn class_text(c: &ClassReach<'_>) -> String {
    let what = if c.kind == crate::engine::lateral::ClassKind::PointToSite {
        "point-to-site clients".to_string()
    } else {
        format!("on-premises {}", c.name)
    };
    let mut bits = Vec::new();
    let known = c.reachable.union(&c.unknown);
    if !known.is_empty() {
        bits.push(super::phrases::describe_set(&known, &known));
    }
    if let Some(ClassNote::Open(why)) = &c.note {
        if c.open_admitted {
            bits.push(match why {
                OpenReason::Bgp => "and any prefix learned over BGP".to_string(),
                OpenReason::ExpressRoute => "any prefix learned over ExpressRoute".to_string(),
                OpenReason::Missing(n) => format!("prefixes of {n}, which is not in the data"),
                OpenReason::OtherType(t) => format!("prefixes of a {t} connection"),
            });
        }
    }
    if let Some(s) = &c.status {
        bits.push(format!("connection {s}"));
    }
    format!("{what} ({})", bits.join(", "))
}

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let Some(lat) = cx.lateral else {
        return Vec::new();
    };
    let gw: Vec<&ClassReach<'_>> = lat
        .vm
        .classes
        .iter()
        .filter(|c| c.kind.is_gateway() && c.reaches())
        .collect();
    let Some(first) = gw.first() else {
        return Vec::new();
    };
    let rules: Vec<String> = gw
        .iter()
        .flat_map(|c| c.rules.iter())
        .map(|d| format!("{} rule {}", d.nsg.name, super::rule_text(&d.part)))
        .fold(Vec::new(), |mut acc, r| {
            if !acc.contains(&r) {
                acc.push(r);
            }
            acc
        });
    let via = first.via.clone().unwrap_or_default();
    let classes: Vec<String> = gw.iter().map(|c| class_text(c)).collect();
    let by = if rules.is_empty() {
        "no NSG filters it".to_string()
    } else {
        rules.join(", ")
    };
    let resource = first
        .rules
        .first()
        .map(|d| d.nsg.id.id.clone())
        .unwrap_or_else(|| cx.vm_id().to_string());
    let nsg = first
        .rules
        .first()
        .map(|d| d.nsg.name.clone())
        .unwrap_or_default();
    let prefixes: Vec<String> = gw
        .iter()
        .flat_map(|c| c.reachable.union(&c.unknown).to_cidrs())
        .map(|n| n.to_string())
        .collect();
    // Prefixes beyond the data (BGP, ExpressRoute) cannot be listed in a rule: then the
    // template's advice, not a command that would leave them in.
    let listable = gw.iter().all(|c| !c.open_admitted);
    let fix = first.rules.first().filter(|_| listable).map(|d| {
        // Above the rules that admit the gateway's prefixes in that NSG.
        let below = gw
            .iter()
            .flat_map(|c| c.rules.iter())
            .filter(|x| x.nsg.id.key() == d.nsg.id.key())
            .filter_map(|x| x.part.rule.as_ref())
            .min_by_key(|r| r.priority)
            .map(|r| (r.name.clone(), r.priority));
        deny_gateway(d.nsg, &prefixes, below, cx.vm.port)
    });
    let f = cx.finding(
        &RULE,
        &resource,
        format!(
            "RDP on {} is reachable over gateway {} from {}: {}",
            cx.vm.name,
            via,
            classes.join("; "),
            by
        ),
        &[("<nsg>", &nsg), ("<prefixes>", &prefixes.join(" "))],
    );
    vec![match fix {
        Some(x) => f.with_fix(x),
        // No NSG on the way (prefixes beyond the data keep the template's advice).
        None if listable && first.rules.is_empty() => {
            let sources: Vec<super::Source> = prefixes
                .iter()
                .map(|p| super::Source::Prefix(p.clone()))
                .collect();
            super::fix::deny_on_new_nsg(cx, f, &sources)
        }
        None => f,
    }]
}

/// One deny for the prefixes behind the gateway, above the rule of the NSG that admits
/// them (an allow rule for the jump hosts can then go above it).
fn deny_gateway(
    nsg: &crate::model::Nsg,
    prefixes: &[String],
    wins_over: Option<(String, u32)>,
    port: u16,
) -> super::Fix {
    let below = wins_over.as_ref().map_or(65000, |(_, p)| *p);
    super::Fix::AddNsgRule {
        nsg: nsg.id.id.clone(),
        name: format!("Deny-RDP-{port}-Gateway-rdpaudit"),
        priority: super::fix::free_priority(nsg, below),
        wins_over,
        access: super::FixAccess::Deny,
        sources: prefixes
            .iter()
            .map(|p| super::Source::Prefix(p.clone()))
            .collect(),
        destination: "*".into(),
        port,
    }
}
