//! Property test: Azure Firewall DNAT paths (docs/decisions.md D25–D27) agree with a brute-force
//! oracle. Random estates put a firewall with several DNAT rule collections (classic, or in the
//! rule collection groups of a child policy and its parent; random priorities, ties included) in
//! front of one VM whose subnet and NIC NSGs allow or deny random sources. The oracle walks the
//! rules for one client address at a time: for each frontend port, the DNAT rules at the earliest
//! position that answer (ties all count, D26) decide where the flow goes; the NSGs are walked for
//! every address of `AzureFirewallSubnet`, the source the VM sees (SNAT, D27). Each
//! `firewallDnat` path of the JSON report (verdict, `allowedSources`) must say the same for every
//! sample address: the edges of every source item and random public addresses.

use ipnet::Ipv4Net;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

mod common;

const RG: &str = "/subscriptions/00000000-0000-0000-0000-0000000000d1/resourceGroups/rg/providers";
const PIP: &str = "20.61.20.10";
const VM_IP: &str = "10.0.1.4";
/// `AzureFirewallSubnet`: 10.0.0.0/26.
const FW_SUBNET: (u32, u32) = (0x0a00_0000, 0x0a00_003f);
/// DNAT sources: all public (every edge of an item is a public address), one range.
#[rustfmt::skip]
const CLIENTS: [&str; 7] = [
    "*", "20.0.0.0/8", "20.1.0.0/16", "20.1.2.0/24",
    "52.10.0.0/16", "198.51.100.7", "52.10.255.200-52.11.0.10",
];
const OTHER_PIP: &str = "20.61.20.99";
/// The firewall's public IP, every address, an address the firewall does not have.
const DEST_ADDRS: [&str; 4] = [PIP, PIP, "*", OTHER_PIP];
/// One entry per rule, so no two earlier rules together cover a later one (the engine takes a
/// later rule's clients only from one earlier rule that covers all its ports, D26).
const DEST_PORTS: [&str; 5] = ["3389", "3389", "5000", "3000-4000", "*"];
/// A port of every class `DEST_PORTS` makes.
const PROBE_PORTS: [u16; 4] = [3389, 5000, 3500, 6000];
const PROTOCOLS: [&[&str]; 4] = [&["TCP"], &["UDP"], &["Any"], &["TCP", "UDP"]];
/// (translatedAddress, translatedPort); the VM's RDP port twice to weight it.
const TARGETS: [(&str, &str); 4] = [
    (VM_IP, "3389"),
    (VM_IP, "3389"),
    (VM_IP, "22"),
    ("10.0.1.9", "3389"),
];
#[rustfmt::skip]
const NSG_SRC: [&str; 9] = [
    "*", "10.0.0.0/26", "10.0.0.0/27", "10.0.0.4", "10.0.0.0/16",
    "VirtualNetwork", "Internet", "10.0.1.0/24", "20.0.0.0/8",
];
const NSG_DST: [&str; 5] = ["*", VM_IP, "10.0.1.0/24", "10.0.2.0/24", "VirtualNetwork"];
const NSG_PORTS: [&str; 5] = ["3389", "*", "22", "3000-4000", "3390-3400"];
const NSG_PROTO: [&str; 3] = ["Tcp", "Udp", "*"];

#[derive(Debug, Clone)]
struct Dnat {
    sources: Vec<&'static str>,
    dest: &'static str,
    ports: &'static str,
    protocols: &'static [&'static str],
    target: (&'static str, &'static str),
}

/// (allow, source, destination, port, protocol), keyed by priority in the NSG.
type NsgRule = (bool, &'static str, &'static str, &'static str, &'static str);
type Nsg = Option<BTreeMap<u32, NsgRule>>;

#[derive(Debug, Clone)]
struct Estate {
    /// Firewall Policy dialect: collections in rule collection groups of a parent or child policy.
    policy: bool,
    /// ((policy layer: 0 parent, 1 child; group priority; collection priority), rules).
    colls: Vec<((u32, u32, u32), Vec<Dnat>)>,
    subnet_nsg: Nsg,
    nic_nsg: Nsg,
    extra: Vec<u32>,
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &[T]) -> prop::sample::Select<T> {
    prop::sample::select(items.to_vec())
}

prop_compose! {
    fn dnat()(sources in vec(pick(&CLIENTS), 1..3), dest in pick(&DEST_ADDRS),
        ports in pick(&DEST_PORTS), protocols in pick(&PROTOCOLS), target in pick(&TARGETS))
        -> Dnat {
        Dnat { sources, dest, ports, protocols, target }
    }
}

fn nsg() -> impl Strategy<Value = Nsg> {
    let rule = (
        any::<bool>(),
        pick(&NSG_SRC),
        pick(&NSG_DST),
        pick(&NSG_PORTS),
        pick(&NSG_PROTO),
    );
    prop::option::of(prop::collection::btree_map(100u32..=130, rule, 0..5))
}

prop_compose! {
    fn estate()(policy in any::<bool>(), colls in vec(((0u32..2, pick(&[100u32, 200]),
            pick(&[100u32, 200, 300])), vec(dnat(), 1..4)), 1..5),
        subnet_nsg in nsg(), nic_nsg in nsg(),
        // Random public clients in 20.0.0.0/8 and 52.0.0.0/8.
        extra in vec((pick(&[20u32 << 24, 52 << 24]), 0u32..1 << 24), 3)) -> Estate {
        let extra = extra.into_iter().map(|(net, host)| net | host).collect();
        Estate { policy, colls, subnet_nsg, nic_nsg, extra }
    }
}

fn v4(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().expect("address"))
}

/// An address item (`*`, address, CIDR, `a-b` range) as an inclusive range.
fn range(s: &str) -> (u32, u32) {
    if s == "*" {
        return (0, u32::MAX);
    }
    if let Some((a, b)) = s.split_once('-') {
        return (v4(a), v4(b));
    }
    let n: Ipv4Net = s
        .parse()
        .or_else(|_| format!("{s}/32").parse())
        .expect("prefix");
    (u32::from(n.network()), u32::from(n.broadcast()))
}

fn within(item: &str, x: u32) -> bool {
    let (a, b) = range(item);
    (a..=b).contains(&x)
}

fn port_in(spec: &str, p: u16) -> bool {
    let (a, b) = spec.split_once('-').unwrap_or((spec, spec));
    spec == "*" || (a.parse::<u16>().expect("port")..=b.parse().expect("port")).contains(&p)
}

/// The rule takes a TCP flow from `x` to the firewall's public IP on port `p`.
fn answers(r: &Dnat, x: u32, p: u16) -> bool {
    r.protocols != ["UDP"]
        && r.dest != OTHER_PIP
        && port_in(r.ports, p)
        && r.sources.iter().any(|s| within(s, x))
}

/// The rule makes a `firewallDnat` path to the VM's RDP port.
fn lands(r: &Dnat) -> bool {
    r.protocols != ["UDP"] && r.dest != OTHER_PIP && r.target == (VM_IP, "3389")
}

/// Where a collection stands in processing order: parent policy first, then group priority,
/// then collection priority; classic collections by their priority alone (D26).
fn order(e: &Estate, (layer, group, prio): (u32, u32, u32)) -> (u32, u32, u32) {
    if e.policy {
        (layer, group, prio)
    } else {
        (0, 0, prio)
    }
}

/// `x` reaches the VM through this rule on some port: the rule answers there and no rule of a
/// strictly earlier collection does (equal positions are not ordered, D26).
fn via(e: &Estate, at: (u32, u32, u32), r: &Dnat, x: u32) -> bool {
    PROBE_PORTS.iter().any(|&p| {
        answers(r, x, p)
            && !e
                .colls
                .iter()
                .filter(|(q, _)| order(e, *q) < order(e, at))
                .flat_map(|(_, rs)| rs)
                .any(|o| answers(o, x, p))
    })
}

/// One NSG level's answer for a TCP flow from `a` to the VM's port 3389, walking by priority.
fn nsg_admits(nsg: &Nsg, a: u32) -> bool {
    let Some(rules) = nsg else { return true };
    for &(allow, src, dst, port, proto) in rules.values() {
        let src_ok = match src {
            "VirtualNetwork" => true, // the firewall subnet is in the VNet
            "Internet" => false,
            s => within(s, a),
        };
        let dst_ok = match dst {
            "VirtualNetwork" => true,
            s => within(s, v4(VM_IP)),
        };
        if src_ok && dst_ok && port_in(port, 3389) && proto != "Udp" {
            return allow;
        }
    }
    true // AllowVnetInBound (65000): firewall subnet and VM share the VNet
}

/// How many addresses of the firewall subnet both NSG levels admit, out of how many.
fn snat_admitted(e: &Estate) -> (u32, u32) {
    let n = (FW_SUBNET.0..=FW_SUBNET.1)
        .filter(|&a| nsg_admits(&e.subnet_nsg, a) && nsg_admits(&e.nic_nsg, a))
        .count();
    (n as u32, FW_SUBNET.1 - FW_SUBNET.0 + 1)
}

fn samples(e: &Estate) -> Vec<u32> {
    let mut out = vec![v4("8.8.8.8"), v4("203.0.113.9")];
    for s in CLIENTS.iter().filter(|s| **s != "*") {
        let (a, b) = range(s);
        out.extend([a - 1, a, b, b + 1]);
    }
    out.extend(&e.extra);
    out.sort_unstable();
    out.dedup();
    out
}

fn id(kind: &str, name: &str) -> String {
    format!("{RG}/Microsoft.Network/{kind}/{name}")
}

fn nsg_json(name: &str, rules: &BTreeMap<u32, NsgRule>) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|(prio, &(allow, src, dst, port, proto))| {
            let access = if allow { "Allow" } else { "Deny" };
            json!({"name": format!("r{prio}"), "properties": {"protocol": proto,
                "sourcePortRange": "*", "destinationPortRange": port, "sourceAddressPrefix": src,
                "destinationAddressPrefix": dst, "access": access, "priority": prio,
                "direction": "Inbound"}})
        })
        .collect();
    json!({"id": id("networkSecurityGroups", name), "name": name,
        "type": "Microsoft.Network/networkSecurityGroups", "properties": {"securityRules": rules}})
}

/// One DNAT rule collection, classic (`natRuleCollections[]`) or policy (`ruleCollections[]`).
fn collection(ci: usize, prio: u32, rules: &[Dnat], policy: bool) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let mut rule = json!({"name": format!("c{ci}-r{ri}"), "sourceAddresses": r.sources,
                "destinationAddresses": [r.dest], "destinationPorts": [r.ports],
                "translatedAddress": r.target.0, "translatedPort": r.target.1});
            match policy {
                true => rule["ipProtocols"] = json!(r.protocols),
                false => rule["protocols"] = json!(r.protocols),
            }
            rule
        })
        .collect();
    let (name, kind) = (format!("c{ci}"), "FirewallPolicyNatRuleCollection");
    match policy {
        true => json!({"name": name, "ruleCollectionType": kind, "priority": prio,
            "action": {"type": "DNAT"}, "rules": rules}),
        false => json!({"name": name,
            "properties": {"priority": prio, "action": {"type": "Dnat"}, "rules": rules}}),
    }
}

/// The parent and child Firewall Policies and their rule collection groups.
fn policies(e: &Estate) -> Vec<Value> {
    const NAMES: [&str; 2] = ["parent", "child"];
    let pol = |layer: u32| id("firewallPolicies", NAMES[layer as usize]);
    let base = json!({"id": pol(0)});
    let mut out: Vec<Value> = (0..2)
        .map(|layer| {
            let props = if layer == 1 {
                json!({"basePolicy": base})
            } else {
                json!({})
            };
            json!({"id": pol(layer), "name": NAMES[layer as usize], "properties": props,
                "type": "Microsoft.Network/firewallPolicies"})
        })
        .collect();
    let mut groups: BTreeMap<(u32, u32), Vec<Value>> = BTreeMap::new();
    for (ci, ((layer, group, prio), rs)) in e.colls.iter().enumerate() {
        let c = collection(ci, *prio, rs, true);
        groups.entry((*layer, *group)).or_default().push(c);
    }
    for ((layer, group), colls) in groups {
        out.push(
            json!({"id": format!("{}/ruleCollectionGroups/g{group}", pol(layer)),
            "name": format!("g{group}"),
            "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
            "properties": {"priority": group, "ruleCollections": colls}}),
        );
    }
    out
}

fn snapshot(e: &Estate) -> Value {
    let nsg_ref = |n: &Nsg, name: &str| {
        n.as_ref()
            .map(|_| json!({"id": id("networkSecurityGroups", name)}))
    };
    let colls: Vec<Value> = e
        .colls
        .iter()
        .enumerate()
        .filter(|_| !e.policy)
        .map(|(ci, ((_, _, p), rs))| collection(ci, *p, rs, false))
        .collect();
    let vnet = id("virtualNetworks", "vnet");
    let child = id("firewallPolicies", "child");
    let (fw_subnet, app) = (
        format!("{vnet}/subnets/AzureFirewallSubnet"),
        format!("{vnet}/subnets/app"),
    );
    let (pip, nic) = (
        id("publicIPAddresses", "pip-fw"),
        id("networkInterfaces", "nic"),
    );
    let mut res = vec![
        json!({"id": vnet, "type": "Microsoft.Network/virtualNetworks", "name": "vnet",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [
                {"id": fw_subnet, "name": "AzureFirewallSubnet",
                    "properties": {"addressPrefix": "10.0.0.0/26"}},
                {"id": app, "name": "app", "properties": {"addressPrefix": "10.0.1.0/24",
                    "networkSecurityGroup": nsg_ref(&e.subnet_nsg, "subnet-nsg")}}]}}),
        json!({"id": pip, "type": "Microsoft.Network/publicIPAddresses", "name": "pip-fw",
            "sku": {"name": "Standard"},
            "properties": {"ipAddress": PIP, "publicIPAllocationMethod": "Static"}}),
        json!({"id": id("azureFirewalls", "fw"), "type": "Microsoft.Network/azureFirewalls",
            "name": "fw", "properties": {"sku": {"name": "AZFW_VNet", "tier": "Standard"},
                "ipConfigurations": [{"name": "ipc", "properties": {"privateIPAddress": "10.0.0.4",
                    "subnet": {"id": fw_subnet}, "publicIPAddress": {"id": pip}}}],
                "natRuleCollections": colls,
                "firewallPolicy": e.policy.then(|| json!({"id": child}))}}),
        json!({"id": nic, "type": "Microsoft.Network/networkInterfaces", "name": "nic",
            "properties": {"ipConfigurations": [{"name": "ipconfig1",
                "id": format!("{nic}/ipConfigurations/ipconfig1"), "properties": {
                    "privateIPAddress": VM_IP, "primary": true, "subnet": {"id": app}}}],
                "networkSecurityGroup": nsg_ref(&e.nic_nsg, "nic-nsg")}}),
        json!({"id": format!("{RG}/Microsoft.Compute/virtualMachines/vm"), "name": "vm",
            "type": "Microsoft.Compute/virtualMachines", "properties": {
                "storageProfile": {"osDisk": {"osType": "Windows"}},
                "networkProfile": {"networkInterfaces": [{"id": nic}]},
                "instanceView": {"statuses": [{"code": "PowerState/running"}]}}}),
    ];
    if e.policy {
        res.extend(policies(e));
    }
    res.extend(e.subnet_nsg.as_ref().map(|n| nsg_json("subnet-nsg", n)));
    res.extend(e.nic_nsg.as_ref().map(|n| nsg_json("nic-nsg", n)));
    json!({"schema": "rdpaudit.snapshot/1", "resources": res})
}

/// The audit's `firewallDnat` paths as JSON: rule name → (verdict, allowedSources).
fn computed(e: &Estate) -> BTreeMap<String, (String, Vec<Ipv4Net>)> {
    let report = serde_json::to_value(common::audit_doc(&snapshot(e), false)).expect("JSON");
    let mut out = BTreeMap::new();
    for p in report["vms"][0]["rdp"]["paths"].as_array().expect("paths") {
        if p["kind"] != "firewallDnat" || !p["frontend"].is_null() {
            continue;
        }
        let rule = p["hops"][0]["rule"].as_str().expect("rule hop").to_string();
        let nets = p["allowedSources"].as_array().expect("sources").iter();
        let nets = nets.map(|s| s.as_str().expect("CIDR").parse().expect("CIDR"));
        let verdict = p["verdict"].as_str().expect("verdict").to_string();
        assert!(
            out.insert(rule, (verdict, nets.collect())).is_none(),
            "one path per rule: {p}"
        );
    }
    out
}

/// Compares every path with the oracle; `Err` names the first disagreement.
fn check(e: &Estate) -> Result<(), String> {
    let got = computed(e);
    let (admitted, size) = snat_admitted(e);
    let xs = samples(e);
    let mut want_rules = Vec::new();
    for (ci, (at, rules)) in e.colls.iter().enumerate() {
        for (ri, r) in rules.iter().enumerate().filter(|(_, r)| lands(r)) {
            let name = format!("c{ci}-r{ri}");
            let (verdict, nets) = got
                .get(&name)
                .ok_or(format!("no path for {name}: {got:?}"))?;
            let clients: Vec<Ipv4Addr> = xs
                .iter()
                .copied()
                .filter(|&x| via(e, *at, r, x))
                .map(Ipv4Addr::from)
                .collect();
            let want = match (clients.is_empty(), admitted) {
                (true, _) | (false, 0) => "blocked",
                (false, n) if n == size => "reachable",
                _ => "unknown",
            };
            if verdict != want {
                let why = format!("clients {clients:?}, SNAT {admitted}/{size}");
                return Err(format!("{name}: verdict {verdict}, oracle {want} ({why})"));
            }
            for &x in &xs {
                let x = Ipv4Addr::from(x);
                let listed = nets.iter().any(|n| n.contains(&x));
                let reach = want == "reachable" && clients.contains(&x);
                if listed != reach {
                    return Err(format!("{name}: {x} listed {listed}, oracle {reach}"));
                }
            }
            want_rules.push(name);
        }
    }
    match got.len() == want_rules.len() {
        true => Ok(()),
        false => Err(format!(
            "paths {got:?}, the oracle makes only {want_rules:?}"
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn firewall_dnat_paths_agree_with_the_rule_by_rule_oracle(e in estate()) {
        if let Err(why) = check(&e) {
            return Err(TestCaseError::fail(format!("{why}\nestate: {e:?}")));
        }
    }
}
