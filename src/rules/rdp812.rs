//! RDP812 — RDP is reachable from another VM whose own RDP is reachable from the Internet.
//!
//! A two-hop path: Internet → stepping-stone VM → this VM (docs/decisions.md D47). Raised for a
//! VM that is not exposed itself; the message names the stepping stone and the deciding rule on
//! each hop.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::lateral::eastwest::{AdminAt, Edge, RouteFate, Side};
use crate::engine::Verdict;

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP812",
    title: "RDP is reachable from another VM whose own RDP is reachable from the Internet",
    severity: Severity::High,
    category: Category::Exposure,
    seed: "Exposure: lateral movement over RDP (MITRE ATT&CK T1021.001) through a stepping stone",
    rationale: "Attackers rarely reach the VM that matters directly: they take over one machine \
        whose RDP faces the Internet and move sideways over RDP. A VM that is closed to the \
        Internet but open to such a stepping stone is one hop away from every Internet address.",
    remediation: "Close the second hop: az network nsg rule create --resource-group <rg> \
        --nsg-name <nsg> --name Deny-RDP-From-<stone> --priority 4000 --direction Inbound \
        --access Deny --protocol Tcp --destination-port-ranges 3389 --source-address-prefixes \
        <stone-ip>; and close the first (RDP801) or move the stepping stone behind Bastion",
    links: &[
        "https://attack.mitre.org/techniques/T1021/001/",
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-group-how-it-works",
        "https://learn.microsoft.com/en-us/azure/bastion/bastion-overview",
    ],
    example: "RDP on vm-db is reachable in two hops: Internet → vm-jump (nsg-jump rule AllowRDP \
        (priority 300)) → vm-db from 10.0.1.4 (outbound: AllowVnetOutBound (priority 65000); \
        route: within the VNet; inbound: nsg-db rule AllowVnetInBound (priority 65000))",
    needs: &[],
    defers_to: &[],
};

fn side_text(side: &Side<'_>) -> String {
    let mut bits = Vec::new();
    let text = |r: &crate::model::AdminRule| {
        super::doors::admin_rule_text(&crate::engine::admin::AdminRef::of(r))
    };
    // A side the security admin rules decided: the NSGs were not asked (docs/decisions.md D45).
    match side.admin {
        AdminAt::AlwaysAllow(r) => return format!("{}, NSGs skipped", text(r)),
        AdminAt::Maybe(Some(r)) => return format!("{} may match", text(r)),
        AdminAt::Maybe(None) => return "a security admin rule may match".into(),
        AdminAt::NotRead(v) => {
            return format!("the security admin rules of {} were not read", v.name)
        }
        AdminAt::Unusable(v) => {
            return format!("the security admin rules of {} cannot be evaluated", v.name)
        }
        AdminAt::Handed | AdminAt::Denied(_) => {}
    }
    for at in [&side.nic, &side.subnet].into_iter().flatten() {
        bits.push(match at.rule {
            Some(r) => format!("{} rule {} (priority {})", at.nsg.name, r.name, r.priority),
            None => format!("{}: the end of its rule list", at.nsg.name),
        });
    }
    if bits.is_empty() {
        "no NSG".into()
    } else {
        bits.join(", ")
    }
}

pub(crate) fn route_text(r: &RouteFate) -> String {
    match r {
        RouteFate::Direct => "within the VNet".into(),
        RouteFate::Peering(p) => format!("over peering {p}"),
        RouteFate::Appliance { ip, route } => {
            format!("through appliance {ip} (route {route}), whose filtering is not in the data")
        }
        RouteFate::Unknown { route, hop } => {
            format!("route {route} to next hop {hop}, which leaves the data")
        }
        RouteFate::PeeringRemoteDenies(p) => {
            format!("peering {p} on the far side has allowVirtualNetworkAccess false")
        }
    }
}

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let Some(lat) = cx.lateral else {
        return Vec::new();
    };
    if cx.vm.is_exposed() {
        return Vec::new(); // exposed itself: RDP801/802 say more
    }
    let stones: Vec<&Edge<'_>> = lat
        .vm
        .edges
        .iter()
        .filter(|e| lat.all.get(e.from).is_some_and(|a| a.is_exposed()))
        .collect();
    // A certain second hop before an uncertain one.
    let Some(e) = stones
        .iter()
        .find(|e| e.verdict == Verdict::Reachable)
        .or_else(|| stones.first())
    else {
        return Vec::new();
    };
    let Some(stone) = lat.all.get(e.from) else {
        return Vec::new();
    };
    let first_hop: Vec<String> = stone
        .direct_paths()
        .filter(|p| p.is_exposed())
        .flat_map(|p| {
            [
                (
                    &p.subnet_nsg,
                    p.internet
                        .parts
                        .iter()
                        .find(|x| x.outcome.admits())
                        .and_then(|x| x.subnet.clone()),
                ),
                (
                    &p.nic_nsg,
                    p.internet
                        .parts
                        .iter()
                        .find(|x| x.outcome.admits())
                        .and_then(|x| x.nic.clone()),
                ),
            ]
        })
        .filter_map(|(slot, part)| match (slot, part) {
            (crate::engine::Slot::Present(n), Some(part)) => {
                Some(format!("{} rule {}", n.name, super::rule_text(&part)))
            }
            _ => None,
        })
        .collect();
    let first = if first_hop.is_empty() {
        "no NSG".to_string()
    } else {
        first_hop.join(", ")
    };
    let more = if stones.len() > 1 {
        format!(" ({} stepping stones in all)", stones.len())
    } else {
        String::new()
    };
    let may = if e.verdict == Verdict::Reachable {
        "is"
    } else {
        "may be"
    };
    let (nsg_id, nsg_name) = e
        .inbound
        .nic
        .as_ref()
        .or(e.inbound.subnet.as_ref())
        .map(|at| (at.nsg.id.id.clone(), at.nsg.name.clone()))
        .unwrap_or_else(|| (cx.vm_id().to_string(), String::new()));
    let ip = e.from_ip.to_string();
    let f = cx.finding(
        &RULE,
        &nsg_id,
        format!(
            "RDP on {} {may} reachable in two hops: Internet → {} ({first}) → {} from {} (outbound: {}; route: {}; inbound: {}){more}",
            cx.vm.name,
            stone.name,
            cx.vm.name,
            ip,
            side_text(&e.outbound),
            route_text(&e.route),
            side_text(&e.inbound),
        ),
        // No NSG on the target: the `<nsg>` placeholder stays (one has to be created).
        &[
            ("<nsg>", if nsg_name.is_empty() { "<nsg>" } else { &nsg_name }),
            ("<stone>", &stone.name),
            ("<stone-ip>", &ip),
        ],
    );
    // The fix is advice too: not read without it (`Cx::brief`).
    if cx.brief {
        return vec![f];
    }
    let fix = e
        .inbound
        .nic
        .as_ref()
        .or(e.inbound.subnet.as_ref())
        .map(|at| deny_stones(at, &stone.name, &stones, cx.vm.port));
    vec![match fix {
        Some(x) => f.with_fix(x),
        None => {
            let ips: Vec<super::Source> = stones
                .iter()
                .map(|e| super::fix::client_source(&e.from_ip.to_string()))
                .fold(Vec::new(), |mut acc, s| {
                    if !acc.contains(&s) {
                        acc.push(s);
                    }
                    acc
                });
            super::fix::deny_on_new_nsg(cx, f, &ips)
        }
    }]
}

/// The narrowest fix: one deny for the stepping stones' addresses to this VM, above the rules
/// that admit them in this NSG (either NSG level denying is enough: both must allow).
fn deny_stones(
    at: &crate::engine::lateral::eastwest::RuleAt<'_>,
    stone: &str,
    stones: &[&Edge<'_>],
    port: u16,
) -> super::Fix {
    let admitting = stones
        .iter()
        .flat_map(|e| [e.inbound.nic.as_ref(), e.inbound.subnet.as_ref()])
        .flatten()
        .filter(|x| x.nsg.id.key() == at.nsg.id.key())
        .filter_map(|x| x.rule)
        .min_by_key(|r| r.priority);
    let below = admitting.map_or(65000, |r| r.priority);
    // Each distinct address once, in the stones' order, written only then.
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    for e in stones {
        if !ips.contains(&e.from_ip) {
            ips.push(e.from_ip);
        }
    }
    let sources: Vec<super::Source> = ips
        .iter()
        .map(|ip| super::fix::client_source(&ip.to_string()))
        .collect();
    // The VM's address the stones reach (`*` when they reach more than one).
    let to = match stones.first() {
        Some(f) if stones.iter().all(|e| e.to_ip == f.to_ip) => f.to_ip.to_string(),
        _ => "*".to_string(),
    };
    super::Fix::AddNsgRule {
        nsg: at.nsg.id.id.clone(),
        name: if sources.len() > 1 {
            "Deny-RDP-From-Stepping-Stones-rdpaudit".to_string()
        } else {
            format!("Deny-RDP-From-{stone}-rdpaudit")
        },
        priority: super::fix::free_priority(at.nsg, below),
        wins_over: admitting.map(|r| (r.name.clone(), r.priority)),
        access: super::FixAccess::Deny,
        sources,
        destination: to,
        port,
    }
}
