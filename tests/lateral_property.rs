//! Property test for east-west reach: on random estates (VMs in two subnets of one VNet, random
//! NIC and subnet NSGs with inbound and outbound rules), the class-based computation of `audit
//! --lateral` (which VMs can open RDP to which) agrees with a brute-force oracle that walks, for
//! each pair A → B, A's NIC then subnet NSG outbound and B's subnet then NIC NSG inbound, rule by
//! rule for the two addresses (docs/decisions.md D45).

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

mod common;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers";

#[derive(Debug, Clone)]
enum Addr {
    Any,
    VirtualNetwork,
    Internet,
    Subnet(u8),
    Host(u8),
    /// The application security group `asg0` (NSG rules only; its members: `Estate::asg`).
    Asg,
}

fn addr() -> impl Strategy<Value = Addr> {
    prop_oneof![
        Just(Addr::Any),
        Just(Addr::VirtualNetwork),
        Just(Addr::Internet),
        (0u8..2).prop_map(Addr::Subnet),
        (0u8..5).prop_map(Addr::Host),
    ]
}

/// An NSG rule's address: also the ASG (admin rules name no ASGs).
fn nsg_addr() -> impl Strategy<Value = Addr> {
    prop_oneof![4 => addr(), 1 => Just(Addr::Asg)]
}

#[derive(Debug, Clone)]
struct Rule {
    outbound: bool,
    allow: bool,
    src: Addr,
    dst: Addr,
    port_rdp: bool,
}

/// A rule on RDP's port (`outbound`, `allow`, from `src` to `dst`).
fn rdp_rule(outbound: bool, allow: bool, src: Addr, dst: Addr) -> Rule {
    Rule {
        outbound,
        allow,
        src,
        dst,
        port_rdp: true,
    }
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        any::<bool>(),
        any::<bool>(),
        nsg_addr(),
        nsg_addr(),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(outbound, allow, src, dst, port_rdp)| Rule {
            outbound,
            allow,
            src,
            dst,
            port_rdp,
        })
}

/// A security admin rule's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminAccess {
    Deny,
    Allow,
    AlwaysAllow,
}

/// A security admin rule of the VNet (priority: its index; no ties).
#[derive(Debug, Clone)]
struct AdminRule {
    outbound: bool,
    access: AdminAccess,
    src: Addr,
    dst: Addr,
    port_rdp: bool,
}

fn admin_rule() -> impl Strategy<Value = AdminRule> {
    (
        any::<bool>(),
        prop_oneof![
            Just(AdminAccess::Deny),
            Just(AdminAccess::Allow),
            Just(AdminAccess::AlwaysAllow)
        ],
        addr(),
        addr(),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(outbound, access, src, dst, port_rdp)| AdminRule {
            outbound,
            access,
            src,
            dst,
            port_rdp,
        })
}

#[derive(Debug, Clone)]
struct Estate {
    /// Per VM: subnet (0/1) and NIC NSG (None or rules).
    vms: Vec<(u8, Option<Vec<Rule>>)>,
    subnet_nsgs: [Option<Vec<Rule>>; 2],
    /// The VNet's effective security admin rules, both directions.
    admin: Vec<AdminRule>,
    /// Bit `i`: VM `i`'s NIC is in the ASG `asg0`.
    asg: u8,
}

fn rules() -> impl Strategy<Value = Option<Vec<Rule>>> {
    prop::option::weighted(0.7, prop::collection::vec(rule(), 0..5))
}

fn estate() -> impl Strategy<Value = Estate> {
    (
        prop::collection::vec((0u8..2, rules()), 2..5),
        rules(),
        rules(),
        prop::collection::vec(admin_rule(), 0..4),
        any::<u8>(),
    )
        .prop_map(|(vms, a, b, admin, asg)| Estate {
            vms,
            subnet_nsgs: [a, b],
            admin,
            asg,
        })
}

fn ip(vm: usize, subnet: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, subnet + 1, 4 + vm as u8)
}

fn addr_text(a: &Addr, e: &Estate) -> String {
    match a {
        Addr::Any => "*".into(),
        Addr::VirtualNetwork => "VirtualNetwork".into(),
        Addr::Internet => "Internet".into(),
        Addr::Subnet(s) => format!("10.0.{}.0/24", s + 1),
        Addr::Host(h) => {
            let i = (*h as usize) % e.vms.len();
            ip(i, e.vms[i].0).to_string()
        }
        Addr::Asg => unreachable!("an ASG is not a prefix"),
    }
}

const ASG: &str = "Microsoft.Network/applicationSecurityGroups/asg0";

fn in_asg(vm: usize, e: &Estate) -> bool {
    e.asg & (1 << vm) != 0
}

/// An NSG rule's side: a prefix, or the ASG.
fn nsg_side(a: &Addr, e: &Estate) -> (Value, Value) {
    match a {
        Addr::Asg => (Value::Null, json!([{"id": format!("{SUB}/{ASG}")}])),
        _ => (json!(addr_text(a, e)), Value::Null),
    }
}

/// Does `a` (a rule's address) cover `x`, for addresses inside the VNet 10.0.0.0/16?
fn covers(a: &Addr, x: Ipv4Addr, e: &Estate) -> bool {
    match a {
        Addr::Any | Addr::VirtualNetwork => true,
        Addr::Internet => false,
        Addr::Subnet(s) => x.octets()[2] == s + 1,
        Addr::Host(h) => {
            let i = (*h as usize) % e.vms.len();
            ip(i, e.vms[i].0) == x
        }
        Addr::Asg => (0..e.vms.len()).any(|i| ip(i, e.vms[i].0) == x && in_asg(i, e)),
    }
}

/// One NSG, one direction, for the flow src → dst on 3389: the first matching custom rule by
/// priority (index order here), then the defaults (`AllowVnetInBound`/`AllowVnetOutBound`
/// admit VNet to VNet). `None` NSG: allow.
fn oracle_nsg(
    nsg: &Option<Vec<Rule>>,
    outbound: bool,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    e: &Estate,
) -> bool {
    let Some(rules) = nsg else { return true };
    for r in rules.iter().filter(|r| r.outbound == outbound) {
        if r.port_rdp && covers(&r.src, src, e) && covers(&r.dst, dst, e) {
            return r.allow;
        }
    }
    true // AllowVnetInBound / AllowVnetOutBound: both ends are in the VNet
}

/// What the admin rules do with src → dst on 3389 on one side: the first matching rule of that
/// direction decides (`Some(true)`: AlwaysAllow, `Some(false)`: Deny, `None`: handed to the NSGs).
fn oracle_admin(outbound: bool, src: Ipv4Addr, dst: Ipv4Addr, e: &Estate) -> Option<bool> {
    let r = e.admin.iter().find(|r| {
        r.outbound == outbound && r.port_rdp && covers(&r.src, src, e) && covers(&r.dst, dst, e)
    })?;
    match r.access {
        AdminAccess::Deny => Some(false),
        AdminAccess::AlwaysAllow => Some(true),
        AdminAccess::Allow => None,
    }
}

/// The admin rules in the shape `listNetworkManagerEffectiveSecurityAdminRules` returns.
fn admin_json(e: &Estate) -> Value {
    let wire = |a: &Addr| -> Value {
        match a {
            Addr::VirtualNetwork | Addr::Internet => {
                json!({"addressPrefix": addr_text(a, e), "addressPrefixType": "ServiceTag"})
            }
            _ => json!({"addressPrefix": addr_text(a, e), "addressPrefixType": "IPPrefix"}),
        }
    };
    let rules: Vec<Value> = e
        .admin
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({"id": format!("{SUB}/Microsoft.Network/networkManagers/nm/securityAdminConfigurations/c/ruleCollections/rc/rules/a{i}"),
                "properties": {"priority": 10 + i as u32,
                "direction": if r.outbound { "Outbound" } else { "Inbound" },
                "access": match r.access { AdminAccess::Deny => "Deny", AdminAccess::Allow => "Allow", AdminAccess::AlwaysAllow => "AlwaysAllow" },
                "protocol": "Tcp", "sources": [wire(&r.src)], "destinations": [wire(&r.dst)],
                "sourcePortRanges": ["0-65535"],
                "destinationPortRanges": [if r.port_rdp { "3389" } else { "22" }]}})
        })
        .collect();
    json!({ format!("{SUB}/Microsoft.Network/virtualNetworks/v"): rules })
}

fn nsg_json(name: &str, rules: &[Rule], e: &Estate) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let ((src, src_asgs), (dst, dst_asgs)) = (nsg_side(&r.src, e), nsg_side(&r.dst, e));
            let mut p = json!({
                "protocol": "Tcp", "sourcePortRange": "*",
                "destinationPortRange": if r.port_rdp { "3389" } else { "22" },
                "access": if r.allow { "Allow" } else { "Deny" },
                "priority": 100 + i as u32 * 10,
                "direction": if r.outbound { "Outbound" } else { "Inbound" }});
            for (key, v) in [
                ("sourceAddressPrefix", src),
                ("sourceApplicationSecurityGroups", src_asgs),
                ("destinationAddressPrefix", dst),
                ("destinationApplicationSecurityGroups", dst_asgs),
            ] {
                if !v.is_null() {
                    p[key] = v;
                }
            }
            json!({"name": format!("r{i}"), "properties": p})
        })
        .collect();
    json!({"id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/{name}"),
           "type": "Microsoft.Network/networkSecurityGroups", "name": name,
           "properties": {"securityRules": rules}})
}

fn snapshot(e: &Estate) -> Value {
    let mut res = Vec::new();
    let mut subnets = Vec::new();
    for s in 0..2u8 {
        let mut p = json!({"addressPrefix": format!("10.0.{}.0/24", s + 1)});
        if let Some(r) = &e.subnet_nsgs[s as usize] {
            res.push(nsg_json(&format!("nsg-sub{s}"), r, e));
            p["networkSecurityGroup"] =
                json!({"id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/nsg-sub{s}")});
        }
        subnets.push(json!({"name": format!("s{s}"), "id": format!("{SUB}/Microsoft.Network/virtualNetworks/v/subnets/s{s}"), "properties": p}));
    }
    res.push(json!({"id": format!("{SUB}/Microsoft.Network/virtualNetworks/v"), "type": "Microsoft.Network/virtualNetworks",
        "name": "v", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": subnets}}));
    for (i, (s, nsg)) in e.vms.iter().enumerate() {
        let nic = format!("{SUB}/Microsoft.Network/networkInterfaces/nic{i}");
        let mut np = json!({"ipConfigurations": [{"name": "c", "id": format!("{nic}/ipConfigurations/c"), "properties": {
            "privateIPAddress": ip(i, *s).to_string(),
            "subnet": {"id": format!("{SUB}/Microsoft.Network/virtualNetworks/v/subnets/s{s}")}}}]});
        if in_asg(i, e) {
            np["ipConfigurations"][0]["properties"]["applicationSecurityGroups"] =
                json!([{"id": format!("{SUB}/{ASG}")}]);
        }
        if let Some(r) = nsg {
            res.push(nsg_json(&format!("nsg-nic{i}"), r, e));
            np["networkSecurityGroup"] =
                json!({"id": format!("{SUB}/Microsoft.Network/networkSecurityGroups/nsg-nic{i}")});
        }
        res.push(json!({"id": nic, "type": "Microsoft.Network/networkInterfaces", "name": format!("nic{i}"), "properties": np}));
        res.push(json!({"id": format!("{SUB}/Microsoft.Compute/virtualMachines/vm{i}"), "type": "Microsoft.Compute/virtualMachines",
            "name": format!("vm{i}"), "properties": {
                "storageProfile": {"osDisk": {"osType": "Windows"}},
                "networkProfile": {"networkInterfaces": [{"id": nic}]},
                "instanceView": {"statuses": [{"code": "PowerState/running"}]}}}));
    }
    res.push(
        json!({"id": format!("{SUB}/{ASG}"), "type": "Microsoft.Network/applicationSecurityGroups",
        "name": "asg0", "properties": {}}),
    );
    json!({"schema": "rdpaudit.snapshot/1", "resources": res, "securityAdminRules": admin_json(e)})
}

/// (source, target) pairs the class-based computation finds reachable.
fn computed(e: &Estate) -> BTreeSet<(String, String)> {
    let report = common::audit_doc(&snapshot(e), true);
    // The model read every resource (its diagnostics are the report's, with nothing added).
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let mut out = BTreeSet::new();
    for vm in &report.vms {
        for edge in &vm.lateral.as_ref().expect("--lateral").from_vms {
            assert_eq!(
                edge.verdict,
                rdpaudit::engine::Verdict::Reachable,
                "nothing here is unknown"
            );
            out.insert((edge.name.clone(), vm.name.clone()));
        }
    }
    out
}

fn oracle(e: &Estate) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (a, (sa, nic_a)) in e.vms.iter().enumerate() {
        for (b, (sb, nic_b)) in e.vms.iter().enumerate() {
            if a == b {
                continue;
            }
            let (x, y) = (ip(a, *sa), ip(b, *sb));
            let leaves = oracle_admin(true, x, y, e).unwrap_or_else(|| {
                oracle_nsg(nic_a, true, x, y, e)
                    && oracle_nsg(&e.subnet_nsgs[*sa as usize], true, x, y, e)
            });
            let inb = oracle_admin(false, x, y, e).unwrap_or_else(|| {
                oracle_nsg(&e.subnet_nsgs[*sb as usize], false, x, y, e)
                    && oracle_nsg(nic_b, false, x, y, e)
            });
            let ok = leaves && inb;
            if ok {
                out.insert((format!("vm{a}"), format!("vm{b}")));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn class_based_east_west_agrees_with_the_pairwise_oracle(e in estate()) {
        prop_assert_eq!(computed(&e), oracle(&e));
    }
}

#[test]
fn an_outbound_deny_on_the_source_cuts_only_its_own_flows() {
    let deny_out = rdp_rule(true, false, Addr::Any, Addr::Any);
    let e = Estate {
        vms: vec![(0, Some(vec![deny_out])), (0, None), (1, None)],
        subnet_nsgs: [None, None],
        admin: Vec::new(),
        asg: 0,
    };
    let got = computed(&e);
    assert!(!got.iter().any(|(a, _)| a == "vm0"), "{got:?}");
    assert!(got.contains(&("vm1".into(), "vm0".into())));
    assert_eq!(got, oracle(&e));
}

#[test]
fn an_admin_deny_cuts_east_west_and_always_allow_skips_the_nsgs() {
    let deny_in = rdp_rule(false, false, Addr::Any, Addr::Any);
    // Subnet 1's NSG denies all RDP in; an AlwaysAllow from subnet 0 to subnet 1 skips it, and
    // an inbound admin Deny to vm0 (subnet 0) cuts every flow to it.
    let e = Estate {
        vms: vec![(0, None), (0, None), (1, None)],
        subnet_nsgs: [None, Some(vec![deny_in])],
        admin: vec![
            AdminRule {
                outbound: false,
                access: AdminAccess::Deny,
                src: Addr::VirtualNetwork,
                dst: Addr::Host(0),
                port_rdp: true,
            },
            AdminRule {
                outbound: false,
                access: AdminAccess::AlwaysAllow,
                src: Addr::Subnet(0),
                dst: Addr::Subnet(1),
                port_rdp: true,
            },
        ],
        asg: 0,
    };
    let got = computed(&e);
    assert_graph_names_the_always_allow(&e);
    assert!(!got.iter().any(|(_, b)| b == "vm0"), "{got:?}");
    assert!(got.contains(&("vm0".into(), "vm2".into())), "{got:?}");
    assert!(got.contains(&("vm0".into(), "vm1".into())), "{got:?}");
    assert_eq!(got, oracle(&e));
    // An outbound admin Deny from vm1 cuts only vm1's flows.
    let mut e2 = e.clone();
    e2.admin.insert(
        0,
        AdminRule {
            outbound: true,
            access: AdminAccess::Deny,
            src: Addr::Host(1),
            dst: Addr::Any,
            port_rdp: true,
        },
    );
    let got = computed(&e2);
    assert!(!got.iter().any(|(a, _)| a == "vm1"), "{got:?}");
    assert_eq!(got, oracle(&e2));
}

/// A VNet whose admin rules were collected but not read: an `AlwaysAllow` there could skip the
/// NSGs, a `Deny` drop the flow, so every routed pair is `unknown` — even one an NSG denies —
/// and never left out as if blocked (docs/decisions.md D45).
#[test]
fn admin_rules_not_read_make_every_east_west_flow_unknown() {
    let deny_in = rdp_rule(false, false, Addr::Any, Addr::Any);
    let e = Estate {
        vms: vec![(0, None), (1, None)],
        subnet_nsgs: [None, Some(vec![deny_in])],
        admin: Vec::new(),
        asg: 0,
    };
    let mut snap = snapshot(&e);
    snap["securityAdminRules"] = json!({});
    let report = common::audit_doc(&snap, true);
    let mut edges = BTreeSet::new();
    for vm in &report.vms {
        for edge in &vm.lateral.as_ref().expect("--lateral").from_vms {
            assert_eq!(edge.verdict, rdpaudit::engine::Verdict::Unknown, "{edge:?}");
            assert!(
                edge.inbound_admin
                    .as_deref()
                    .is_some_and(|t| t.contains("were not read")),
                "{edge:?}"
            );
            edges.insert((edge.name.clone(), vm.name.clone()));
        }
    }
    let want: BTreeSet<(String, String)> = [("vm0", "vm1"), ("vm1", "vm0")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(edges, want);
}

/// `rdpaudit graph` labels an edge with the admin rule that decided it: vm0 → vm2 is delivered
/// by the AlwaysAllow (subnet 1's NSG, which denies, is skipped).
fn assert_graph_names_the_always_allow(e: &Estate) {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), snapshot(e).to_string()).expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rdpaudit"))
        .args(["graph", "--snapshot"])
        .arg(file.path())
        .args(["-o", "json"])
        .output()
        .expect("runs");
    let g: Value = serde_json::from_slice(&out.stdout).expect("graph JSON");
    let id_of = |label: &str| {
        g["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["label"] == label)
            .map(|n| n["id"].clone())
            .expect(label)
    };
    let (from, to) = (id_of("vm0"), id_of("vm2"));
    let edge = g["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|x| x["from"] == from && x["to"] == to)
        .expect("vm0 -> vm2");
    let rules: Vec<&str> = edge["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(rules.iter().any(|r| r.contains("delivers it")), "{rules:?}");
}

/// VMs alike in subnet and NSGs but not in ASG membership are judged apart: a subnet NSG's deny
/// to the ASG cuts RDP to its member only.
#[test]
fn an_asg_rule_sets_its_members_apart() {
    let deny_asg = rdp_rule(false, false, Addr::Any, Addr::Asg);
    let e = Estate {
        vms: vec![(0, None), (0, None), (1, None)],
        subnet_nsgs: [Some(vec![deny_asg]), None],
        admin: Vec::new(),
        asg: 0b001,
    };
    let got = computed(&e);
    assert!(!got.iter().any(|(_, b)| b == "vm0"), "{got:?}");
    assert!(got.contains(&("vm2".into(), "vm1".into())), "{got:?}");
    assert_eq!(got, oracle(&e));
}
