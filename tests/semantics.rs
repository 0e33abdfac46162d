//! The worked examples of `docs/decisions.md` ("Worked examples", TV-1 … TV-16), each as a test of the engine
//! through the pure pipeline: verdicts and the deciding NSG rules.

mod common;

use common::*;
use serde_json::json;

fn nsg_hop(report: &serde_json::Value, vm: &str, kind: &str, level: &str) -> (String, String) {
    let h = hop(path(report, vm, kind), level);
    (
        h["decision"].as_str().unwrap_or_default().to_string(),
        h["rule"].as_str().unwrap_or_default().to_string(),
    )
}

fn pip(s: VmSpec, addr: &str) -> VmSpec {
    VmSpec {
        pip: Some(("Standard".into(), addr.into())),
        ..s
    }
}

#[test]
fn tv1_subnet_nsg_denies_before_nic_nsg_is_consulted() {
    let base = |subnet_rules| {
        World::default()
            .subnet("app", "10.0.0.0/24", Some("nsg1"), None)
            .nsg("nsg1", subnet_rules)
            .nsg(
                "nsg2",
                vec![rule("allow-80", 100, "Allow", "Internet", "*", "80")],
            )
            .vm(VmSpec {
                nic_nsg: Some("nsg2".into()),
                ..pip(spec("vm1", "10.0.0.4", "app"), "20.0.0.1")
            })
    };
    let r = audit(&base(vec![]), None, 80);
    assert_eq!(verdict(&r, "vm1"), "blocked");
    assert_eq!(
        nsg_hop(&r, "vm1", "publicIp", "subnetNsg"),
        ("deny".into(), "DenyAllInBound".into())
    );
    assert_eq!(
        hop(path(&r, "vm1", "publicIp"), "nicNsg")["decision"],
        "skipped"
    );
    let r = audit(
        &base(vec![rule("allow-80", 100, "Allow", "Internet", "*", "80")]),
        None,
        80,
    );
    assert_eq!(verdict(&r, "vm1"), "reachable");
    assert_eq!(
        nsg_hop(&r, "vm1", "publicIp", "nicNsg"),
        ("allow".into(), "allow-80".into())
    );
}

#[test]
fn tv2_tv3_one_level_alone_decides() {
    // TV-2: only a subnet NSG.
    let w = World::default()
        .subnet("app", "10.0.0.0/24", Some("nsg1"), None)
        .nsg(
            "nsg1",
            vec![rule("allow-80", 100, "Allow", "Internet", "*", "80")],
        )
        .vm(pip(spec("vm2", "10.0.0.5", "app"), "20.0.0.2"));
    let r = audit(&w, None, 80);
    assert_eq!(verdict(&r, "vm2"), "reachable");
    assert_eq!(
        hop(path(&r, "vm2", "publicIp"), "nicNsg")["decision"],
        "allow"
    );
    // TV-3: only a NIC NSG.
    let w = World::default()
        .subnet("app", "10.0.0.0/24", None, None)
        .nsg("nsg2", vec![])
        .vm(VmSpec {
            nic_nsg: Some("nsg2".into()),
            ..pip(spec("vm3", "10.0.0.6", "app"), "20.0.0.3")
        });
    let r = audit(&w, None, 80);
    assert_eq!(verdict(&r, "vm3"), "blocked");
    assert_eq!(
        nsg_hop(&r, "vm3", "publicIp", "nicNsg"),
        ("deny".into(), "DenyAllInBound".into())
    );
}

#[test]
fn tv4_no_nsg_standard_closed_basic_open() {
    let w = |sku: &str| {
        World::default()
            .subnet("app", "10.0.0.0/24", None, None)
            .vm(VmSpec {
                pip: Some((sku.into(), "20.0.0.4".into())),
                ..spec("vm4", "10.0.0.7", "app")
            })
    };
    let r = audit(&w("Standard"), None, 3389);
    assert_eq!(verdict(&r, "vm4"), "blocked");
    assert!(rule_ids(&r, "vm4").contains(&"RDP402".to_string()));
    let r = audit(&w("Basic"), None, 3389);
    assert_eq!(verdict(&r, "vm4"), "reachable");
    assert_eq!(
        path(&r, "vm4", "publicIp")["allowedSources"],
        json!(["0.0.0.0/0"])
    );
    let ids = rule_ids(&r, "vm4");
    assert!(
        ids.contains(&"RDP803".to_string()) && ids.contains(&"RDP801".to_string()),
        "{ids:?}"
    );
}

/// TV-5 and TV-6: application security groups (NSG on the subnet, NICs without NSGs).
fn asg_world() -> World {
    World::default()
        .asg("AsgWeb")
        .asg("AsgLogic")
        .asg("AsgDb")
        .subnet("app", "10.0.0.0/24", Some("nsg1"), None)
        .nsg(
            "nsg1",
            vec![
                rule("web-80", 100, "Allow", "Internet", "asg:AsgWeb", "80"),
                rule(
                    "logic-db",
                    110,
                    "Allow",
                    "asg:AsgLogic",
                    "asg:AsgDb",
                    "1433",
                ),
                with_protocol(rule("deny-db", 120, "Deny", "*", "asg:AsgDb", "1433"), "*"),
            ],
        )
        .vm(VmSpec {
            asgs: vec!["AsgWeb".into()],
            ..pip(spec("nic1", "10.0.0.4", "app"), "20.0.1.1")
        })
        .vm(VmSpec {
            asgs: vec!["AsgLogic".into()],
            ..pip(spec("nic3", "10.0.0.6", "app"), "20.0.1.3")
        })
        .vm(VmSpec {
            asgs: vec!["AsgDb".into()],
            ..pip(spec("nic4", "10.0.0.7", "app"), "20.0.1.4")
        })
}

#[test]
fn tv5_application_security_groups() {
    let w = asg_world();
    let r = audit(&w, None, 80);
    assert_eq!(verdict(&r, "nic1"), "reachable");
    assert_eq!(
        nsg_hop(&r, "nic1", "publicIp", "subnetNsg"),
        ("allow".into(), "web-80".into())
    );
    assert_eq!(verdict(&r, "nic3"), "blocked");
    assert_eq!(
        nsg_hop(&r, "nic3", "publicIp", "subnetNsg"),
        ("deny".into(), "DenyAllInBound".into())
    );
    // NIC3 → NIC4:1433 allowed by 110; NIC1 → NIC4:1433 denied by 120.
    let r = audit(&w, Some("10.0.0.6"), 1433);
    assert_eq!(
        nsg_hop(&r, "nic4", "publicIp", "subnetNsg"),
        ("allow".into(), "logic-db".into())
    );
    let r = audit(&w, Some("10.0.0.4"), 1433);
    assert_eq!(
        nsg_hop(&r, "nic4", "publicIp", "subnetNsg"),
        ("deny".into(), "deny-db".into())
    );
    // NIC1 → NIC3:3389 allowed by AllowVnetInBound.
    let r = audit(&w, Some("10.0.0.4"), 3389);
    assert_eq!(
        nsg_hop(&r, "nic3", "publicIp", "subnetNsg"),
        ("allow".into(), "AllowVnetInBound".into())
    );
    // A source ASG never matches an Internet client.
    let r = audit(&w, Some("198.51.100.1"), 1433);
    assert_eq!(
        nsg_hop(&r, "nic4", "publicIp", "subnetNsg"),
        ("deny".into(), "deny-db".into())
    );
}

#[test]
fn tv6_rdp_to_the_management_asg_only() {
    let w = World::default()
        .asg("asg-web")
        .asg("asg-mgmt")
        .subnet("app", "10.0.0.0/24", Some("nsg"), None)
        .nsg(
            "nsg",
            vec![
                rule("Allow-Web-All", 100, "Allow", "*", "asg:asg-web", "80,443"),
                rule("Allow-RDP-All", 110, "Allow", "*", "asg:asg-mgmt", "3389"),
            ],
        )
        .vm(VmSpec {
            asgs: vec!["asg-web".into()],
            ..pip(spec("vm-1", "10.0.0.4", "app"), "20.0.2.1")
        })
        .vm(VmSpec {
            asgs: vec!["asg-mgmt".into()],
            ..pip(spec("vm-2", "10.0.0.5", "app"), "20.0.2.2")
        });
    let r = audit(&w, None, 3389);
    assert_eq!(verdict(&r, "vm-2"), "reachable");
    assert_eq!(
        nsg_hop(&r, "vm-2", "publicIp", "subnetNsg").1,
        "Allow-RDP-All"
    );
    assert_eq!(verdict(&r, "vm-1"), "blocked");
    let r = audit(&w, Some("10.0.0.5"), 3389);
    assert_eq!(
        nsg_hop(&r, "vm-1", "publicIp", "subnetNsg"),
        ("allow".into(), "AllowVnetInBound".into())
    );
    let r = audit(&w, None, 80);
    assert_eq!(verdict(&r, "vm-1"), "reachable");
}

#[test]
fn tv7_private_space_outside_the_vnet_is_not_virtual_network() {
    let w = World::default()
        .subnet("app", "10.0.0.0/24", None, None)
        .nsg("nic-nsg", vec![])
        .vm(VmSpec {
            nic_nsg: Some("nic-nsg".into()),
            ..pip(spec("vm", "10.0.0.4", "app"), "20.0.3.1")
        });
    let r = audit(&w, Some("10.10.10.10"), 80);
    assert_eq!(
        nsg_hop(&r, "vm", "publicIp", "nicNsg"),
        ("deny".into(), "DenyAllInBound".into())
    );
    let r = audit(&w, Some("10.0.1.10"), 80);
    assert_eq!(
        nsg_hop(&r, "vm", "publicIp", "nicNsg"),
        ("allow".into(), "AllowVnetInBound".into())
    );
}

#[test]
fn tv8_rule_must_exist_at_both_levels() {
    let allow = || vec![rule("Allow-HTTP-All", 100, "Allow", "*", "10.0.0.4", "80")];
    let w = |subnet_rules, nic_rules| {
        World::default()
            .subnet("app", "10.0.0.0/24", Some("sub"), None)
            .nsg("sub", subnet_rules)
            .nsg("nic", nic_rules)
            .vm(VmSpec {
                nic_nsg: Some("nic".into()),
                ..pip(spec("vm", "10.0.0.4", "app"), "20.0.4.1")
            })
    };
    assert_eq!(
        verdict(&audit(&w(vec![], vec![]), None, 80), "vm"),
        "blocked"
    );
    assert_eq!(
        verdict(&audit(&w(allow(), vec![]), None, 80), "vm"),
        "blocked"
    );
    assert_eq!(
        verdict(&audit(&w(vec![], allow()), None, 80), "vm"),
        "blocked"
    );
    let r = audit(&w(allow(), allow()), None, 80);
    assert_eq!(verdict(&r, "vm"), "reachable");
    assert_eq!(
        path(&r, "vm", "publicIp")["allowedSources"],
        json!(["0.0.0.0/0"])
    );
}

#[test]
fn tv9_tv10_allow_rules_and_source_restriction() {
    let w = |r| {
        World::default()
            .subnet("app", "10.0.0.0/24", None, None)
            .nsg("nsg", vec![r])
            .vm(VmSpec {
                nic_nsg: Some("nsg".into()),
                ..pip(spec("vm", "10.0.0.4", "app"), "20.0.5.1")
            })
    };
    let r = audit(
        &w(rule("default-allow-rdp", 1000, "Allow", "*", "*", "3389")),
        None,
        3389,
    );
    assert_eq!(verdict(&r, "vm"), "reachable");
    assert!(rule_ids(&r, "vm").contains(&"RDP801".to_string()));
    let r = audit(
        &w(rule("Port_3389", 300, "Allow", "Any", "Any", "3389")),
        None,
        3389,
    );
    assert_eq!(
        path(&r, "vm", "publicIp")["allowedSources"],
        json!(["0.0.0.0/0"])
    );
    let restricted = w(rule(
        "Port_3389",
        300,
        "Allow",
        "198.51.100.0/24",
        "Any",
        "3389",
    ));
    let r = audit(&restricted, None, 3389);
    assert_eq!(
        path(&r, "vm", "publicIp")["allowedSources"],
        json!(["198.51.100.0/24"])
    );
    assert!(!rule_ids(&r, "vm").contains(&"RDP801".to_string()));
    assert_eq!(
        verdict(&audit(&restricted, Some("198.51.100.77"), 3389), "vm"),
        "reachable"
    );
    assert_eq!(
        verdict(&audit(&restricted, Some("203.0.113.5"), 3389), "vm"),
        "blocked"
    );
}

fn classic(acl: serde_json::Value) -> World {
    let mut w = World::default();
    w.resources.push(json!({
        "id": rid("rg-classic", "Microsoft.ClassicCompute/virtualMachines", "cvm"), "name": "cvm",
        "type": "Microsoft.ClassicCompute/virtualMachines", "location": "westeurope",
        "properties": {
            "storageProfile": {"operatingSystemDisk": {"operatingSystem": "Windows"}},
            "instanceView": {"powerState": "Started", "publicIpAddresses": ["23.97.1.2"]},
            "networkProfile": {"inputEndpoints": [{
                "endpointName": "RemoteDesktop", "privatePort": 3389, "publicPort": 80,
                "protocol": "tcp", "publicIpAddress": "23.97.1.2", "endpointAcl": {"rules": acl}}]}
        }
    }));
    w
}

#[test]
fn tv11_classic_endpoint_acls() {
    let acl_rule = |order: i64, action: &str, subnet: &str| json!({"order": order, "action": action, "remoteSubnet": subnet});
    let check = |acl, ip: &str, want: &str| {
        let r = audit(&classic(acl), Some(ip), 3389);
        assert_eq!(verdict(&r, "cvm"), want, "{ip}");
    };
    let default = json!([acl_rule(100, "permit", "0.0.0.0/0")]);
    check(default.clone(), "8.8.8.8", "reachable");
    let two = json!([
        acl_rule(100, "permit", "65.0.0.0/8"),
        acl_rule(200, "permit", "159.0.0.0/8")
    ]);
    check(two.clone(), "65.1.2.3", "reachable");
    check(two.clone(), "159.9.9.9", "reachable");
    check(two, "8.8.8.8", "blocked");
    let mixed = json!([
        acl_rule(100, "deny", "175.1.0.1/24"),
        acl_rule(200, "permit", "175.0.0.0/8")
    ]);
    check(mixed.clone(), "175.1.0.9", "blocked");
    check(mixed.clone(), "175.2.3.4", "reachable");
    check(mixed, "8.8.8.8", "blocked");
    check(json!([]), "8.8.8.8", "reachable");
    let r = audit(
        &classic(json!([acl_rule(100, "deny", "8.0.0.0/8")])),
        Some("9.9.9.9"),
        3389,
    );
    assert_eq!(
        verdict(&r, "cvm"),
        "reachable",
        "deny-only lists permit the rest"
    );
    assert!(rule_ids(&r, "cvm").contains(&"RDP106".to_string()));
}

#[test]
fn tv12_default_route_to_an_appliance_breaks_the_reply() {
    let w = World::default()
        .subnet("app", "10.0.0.0/24", Some("nsg"), Some("rt"))
        .nsg("nsg", vec![])
        .route_table(
            "rt",
            &[("0.0.0.0/0", "VirtualAppliance", Some("10.0.100.4"))],
        )
        .bastion("10.0.1.0/26")
        .vm(pip(spec("vm", "10.0.0.4", "app"), "20.0.6.1"));
    let r = audit(&w, Some("203.0.113.5"), 3389);
    // The NSG admits (VirtualNetwork ⊇ 0.0.0.0/0 through the route) but routing fails.
    assert_eq!(
        nsg_hop(&r, "vm", "publicIp", "subnetNsg"),
        ("allow".into(), "AllowVnetInBound".into())
    );
    assert_eq!(
        hop(path(&r, "vm", "publicIp"), "route")["decision"],
        "asymmetric"
    );
    assert_eq!(verdict(&r, "vm"), "blocked");
    assert!(rule_ids(&r, "vm").contains(&"RDP701".to_string()));
    assert_eq!(path(&r, "vm", "bastion")["verdict"], "reachable");
}

#[test]
fn tv13_host_route_to_the_internet_restores_symmetry() {
    let w = |routes: &[(&str, &str, Option<&str>)]| {
        let (w, nat) = World::default()
            .subnet("app", "10.0.0.0/24", Some("nsg"), Some("rt"))
            .nsg("nsg", vec![rule("rdp", 100, "Allow", "*", "*", "3389")])
            .route_table("rt", routes)
            .lb_nat("Standard", "52.0.0.10", "vm", 3389, 3389);
        w.vm(VmSpec {
            nat_rules: vec![nat],
            ..spec("vm", "10.0.0.4", "app")
        })
    };
    let fw = ("0.0.0.0/0", "VirtualAppliance", Some("10.0.100.4"));
    let r = audit(&w(&[fw]), Some("198.51.100.9"), 3389);
    assert_eq!(path(&r, "vm", "natRule")["verdict"], "blocked");
    let r = audit(
        &w(&[fw, ("198.51.100.9/32", "Internet", None)]),
        Some("198.51.100.9"),
        3389,
    );
    assert_eq!(path(&r, "vm", "natRule")["verdict"], "reachable");
}

#[test]
fn tv14_nat_rule_nsg_sees_the_backend_port() {
    let w = |rules: Option<Vec<serde_json::Value>>| {
        let (mut w, nat) = World::default()
            .subnet("app", "10.0.0.0/24", None, None)
            .lb_nat("Standard", "52.0.0.10", "vm", 50001, 3389);
        if let Some(r) = &rules {
            w = w.nsg("nic-nsg", r.clone());
        }
        w.vm(VmSpec {
            nat_rules: vec![nat],
            nic_nsg: rules.map(|_| "nic-nsg".to_string()),
            ..spec("vm", "10.0.0.4", "app")
        })
    };
    let r = audit(
        &w(Some(vec![rule(
            "fe", 100, "Allow", "Internet", "*", "50001",
        )])),
        None,
        3389,
    );
    assert_eq!(verdict(&r, "vm"), "blocked");
    assert!(rule_ids(&r, "vm").contains(&"RDP403".to_string()));
    let r = audit(
        &w(Some(vec![rule(
            "be", 100, "Allow", "Internet", "10.0.0.4", "3389",
        )])),
        None,
        3389,
    );
    assert_eq!(verdict(&r, "vm"), "reachable");
    assert_eq!(path(&r, "vm", "natRule")["port"], 50001);
    assert!(rule_ids(&r, "vm").contains(&"RDP606".to_string()));
    let r = audit(&w(None), None, 3389);
    assert_eq!(verdict(&r, "vm"), "blocked");
    assert!(rule_ids(&r, "vm").contains(&"RDP402".to_string()));
}

#[test]
fn tv15_bastion_comes_from_the_virtual_network() {
    let w = |rules| {
        World::default()
            .subnet("app", "10.0.0.0/24", Some("nsg"), None)
            .nsg("nsg", rules)
            .bastion("10.0.1.0/26")
            .vm(spec("vm", "10.0.0.4", "app"))
    };
    let r = audit(
        &w(vec![rule(
            "deny-internet",
            100,
            "Deny",
            "Internet",
            "*",
            "3389",
        )]),
        None,
        3389,
    );
    assert_eq!(path(&r, "vm", "bastion")["verdict"], "reachable");
    assert_eq!(
        nsg_hop(&r, "vm", "bastion", "subnetNsg").1,
        "AllowVnetInBound"
    );
    assert_eq!(
        verdict(&r, "vm"),
        "blocked",
        "Bastion does not make the VM reachable"
    );
    let r = audit(
        &w(vec![
            rule("deny-internet", 100, "Deny", "Internet", "*", "3389"),
            rule("deny-all", 110, "Deny", "*", "*", "3389"),
        ]),
        None,
        3389,
    );
    assert_eq!(path(&r, "vm", "bastion")["verdict"], "blocked");
}

#[test]
fn tv16_just_in_time_rules() {
    let jit_deny = rule(
        "SecurityCenter-JITRule_-1_abc",
        1000,
        "Deny",
        "*",
        "10.0.0.4",
        "3389",
    );
    let jit_allow = rule(
        "SecurityCenter-JITRule-1-def",
        100,
        "Allow",
        "198.51.100.7",
        "10.0.0.4",
        "3389",
    );
    let w = |rules| {
        World::default()
            .subnet("app", "10.0.0.0/24", None, None)
            .nsg("nsg", rules)
            .vm(VmSpec {
                nic_nsg: Some("nsg".into()),
                ..pip(spec("vm", "10.0.0.4", "app"), "20.0.7.1")
            })
    };
    let approved = w(vec![jit_allow, jit_deny.clone()]);
    assert_eq!(
        verdict(&audit(&approved, Some("198.51.100.7"), 3389), "vm"),
        "reachable"
    );
    assert_eq!(
        verdict(&audit(&approved, Some("198.51.100.8"), 3389), "vm"),
        "blocked"
    );
    let expired = audit(&w(vec![jit_deny]), None, 3389);
    assert_eq!(verdict(&expired, "vm"), "blocked");
    assert!(rule_ids(&expired, "vm").contains(&"RDP406".to_string()));
}
