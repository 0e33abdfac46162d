//! The load-balancing-rule and Bastion doors end to end (docs/decisions.md D17–D24, D37–D41):
//! what the report says about each path and hop, and what bad input does (a diagnostic naming
//! the resource and field, the VM `unknown`, never a panic). The fixtures are the rule fixtures
//! of `tests/fixtures/rules/`, changed one field at a time.

use serde_json::{json, Value};
use std::path::Path;

fn fixture(rel: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture")).expect("JSON")
}

fn audit(doc: &Value) -> Value {
    let text = serde_json::to_string(doc).expect("serialise");
    let snap = rdpaudit::snapshot::parse(&text).expect("parse");
    let report = rdpaudit::pipeline::run(
        &snap.resources,
        snap.guest,
        &snap.diagnostics,
        rdpaudit::engine::Options::default(),
        rdpaudit::report::CategoryFilter::All,
        &rdpaudit::pipeline::Scope::All,
    )
    .expect("pipeline");
    serde_json::to_value(&report).expect("report JSON")
}

/// The resource of `doc` named `name`.
fn resource<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc["resources"]
        .as_array_mut()
        .expect("resources")
        .iter_mut()
        .find(|r| r["name"] == name)
        .expect("resource by name")
}

fn vm(report: &Value) -> &Value {
    &report["vms"][0]
}

fn rule_ids(report: &Value) -> Vec<String> {
    vm(report)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn message_of(report: &Value, id: &str) -> String {
    vm(report)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["ruleId"] == id)
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("{id} did not fire: {:?}", rule_ids(report)))
}

fn paths<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    vm(report)["rdp"]["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter(|p| p["kind"] == kind)
        .collect()
}

fn hop<'a>(path: &'a Value, kind: &str) -> &'a Value {
    path["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .find(|h| h["hop"] == kind)
        .unwrap_or_else(|| panic!("no {kind} hop in {path}"))
}

fn diagnostics(report: &Value) -> String {
    report["diagnostics"].to_string()
}

#[test]
fn a_load_balancing_rule_is_an_lb_rule_path_with_its_hop_like_a_traceroute() {
    let r = audit(&fixture("RDP801/bad-lb-rule-standard-lb.json"));
    assert_eq!(vm(&r)["rdp"]["verdict"], "reachable");
    let p = paths(&r, "lbRule");
    assert_eq!(p.len(), 1, "{}", vm(&r)["rdp"]);
    assert_eq!(p[0]["address"], "20.60.1.10");
    assert_eq!(p[0]["port"], 3389);
    let kinds: Vec<&str> = p[0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hop"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..3],
        &["publicIp", "lbRule", "subnetNsg"],
        "{kinds:?}"
    );
    let h = hop(p[0], "lbRule");
    assert_eq!(h["rule"], "rdp-lb");
    assert!(h["detail"]
        .as_str()
        .unwrap()
        .contains("20.60.1.10:3389 → backend port 3389"));
    assert!(rule_ids(&r).contains(&"RDP801".to_string()));
}

#[test]
fn forwarding_rule_findings_name_the_load_balancing_rule() {
    let r = audit(&fixture("RDP403/bad-lb-rule-nsg-allows-frontend-port.json"));
    assert!(message_of(&r, "RDP403")
        .starts_with("load-balancing rule rdp-lb on lb-web maps port 50001 to 3389"));
    let r = audit(&fixture("RDP606/bad-lb-rule-port-50001.json"));
    assert!(message_of(&r, "RDP606")
        .contains("connect to 20.60.1.10:50001 (load-balancing rule rdp-lb on lb-web)"));
    let r = audit(&fixture("RDP606/good-lb-rule-ha-ports.json"));
    let p = paths(&r, "lbRule");
    assert!(hop(p[0], "lbRule")["detail"]
        .as_str()
        .unwrap()
        .contains("HA ports"));
}

#[test]
fn a_v2_nat_rule_uses_the_port_the_pool_lists_and_the_range_otherwise() {
    let doc = fixture("RDP606/bad-nat-rule-v2-mapped-port.json");
    let r = audit(&doc);
    assert!(message_of(&r, "RDP606").contains("20.60.1.10:50003"));
    let p = paths(&r, "natRule");
    assert_eq!(p[0]["port"], 50003);
    assert!(hop(p[0], "natRule")["detail"]
        .as_str()
        .unwrap()
        .contains("20.60.1.10:50003 → backend port 3389"));
    // Without the mapping the exact port is not known: the range is given, the NSG verdict is
    // still exact (the NSGs see the backend port).
    let mut doc = doc;
    let lb = resource(&mut doc, "lb-web");
    lb["properties"]["backendAddressPools"][0]["properties"]["loadBalancerBackendAddresses"][0]
        ["properties"]
        .as_object_mut()
        .unwrap()
        .remove("inboundNatRulesPortMapping");
    let r = audit(&doc);
    assert_eq!(vm(&r)["rdp"]["verdict"], "reachable");
    assert!(message_of(&r, "RDP606").contains("20.60.1.10:50000-50099"));
    let p = paths(&r, "natRule");
    let detail = hop(p[0], "natRule")["detail"].as_str().unwrap().to_string();
    assert!(
        detail
            .contains("50000-50099 (the port of this range assigned to the VM is not in the data)"),
        "{detail}"
    );
    assert!(rule_ids(&r).contains(&"RDP801".to_string()));
}

#[test]
fn floating_ip_makes_the_frontend_ip_the_destination_the_nsg_sees() {
    let r = audit(&fixture("RDP801/bad-lb-rule-floating-ip.json"));
    assert_eq!(vm(&r)["rdp"]["verdict"], "reachable");
    // The NSG rule naming the frontend IP is right with floating IP: no RDP404.
    assert!(!rule_ids(&r).contains(&"RDP404".to_string()));
    let r = audit(&fixture(
        "RDP801/good-lb-rule-floating-ip-nsg-names-private-ip.json",
    ));
    assert_eq!(vm(&r)["rdp"]["verdict"], "blocked");
}

#[test]
fn closed_lb_doors_are_no_internet_path() {
    for f in [
        "RDP801/good-lb-rule-udp-only.json",
        "RDP801/good-lb-rule-other-pool.json",
        "RDP801/good-lb-rule-internal-frontend.json",
    ] {
        let r = audit(&fixture(f));
        // An internal frontend is a private path (tests/doors_more.rs), never an Internet one.
        assert!(
            paths(&r, "lbRule")
                .iter()
                .all(|p| p["frontend"] == "private"),
            "{f}: {}",
            vm(&r)["rdp"]
        );
        assert_eq!(vm(&r)["rdp"]["verdict"], "blocked", "{f}");
        assert_eq!(r["complete"], true, "{f}");
    }
    let r = audit(&fixture("RDP801/good-lb-rule-standard-no-nsg.json"));
    let p = paths(&r, "lbRule");
    assert_eq!(p[0]["verdict"], "blocked");
    assert!(
        rule_ids(&r).contains(&"RDP402".to_string()),
        "{:?}",
        rule_ids(&r)
    );
}

/// A bad field of a load-balancing rule: a diagnostic naming the load balancer and the field,
/// the VM in its pool `unknown`, the report incomplete.
fn assert_bad_input(doc: &Value, field: &str) {
    let r = audit(doc);
    assert_eq!(r["complete"], false, "{field}");
    assert_eq!(
        vm(&r)["rdp"]["verdict"],
        "unknown",
        "{field}: {}",
        vm(&r)["rdp"]
    );
    let d = diagnostics(&r);
    assert!(d.contains(field), "{field} not named in {d}");
    assert!(
        d.contains("lb-web"),
        "the load balancer is not named in {d}"
    );
}

#[test]
fn bad_load_balancing_rules_are_diagnostics_and_the_vm_is_unknown() {
    let base = fixture("RDP801/bad-lb-rule-standard-lb.json");
    for (field, value) in [
        ("backendPort", json!(70000)),
        ("frontendPort", json!(-1)),
        ("protocol", json!("Sctp")),
        ("backendPort", json!("3389")),
    ] {
        let mut doc = base.clone();
        resource(&mut doc, "lb-web")["properties"]["loadBalancingRules"][0]["properties"][field] =
            value;
        assert_bad_input(&doc, field);
    }
}

#[test]
fn a_dangling_pool_or_frontend_is_unknown_never_clean() {
    // The NIC names a pool of a load balancer that is not in the data.
    let mut doc = fixture("RDP801/bad-lb-rule-standard-lb.json");
    doc["resources"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["name"] != "lb-web");
    let r = audit(&doc);
    assert_eq!(vm(&r)["rdp"]["verdict"], "unknown");
    assert_eq!(r["complete"], false);
    let d = diagnostics(&r);
    assert!(
        d.contains("backend pool pool-web") && d.contains("dangling reference"),
        "{d}"
    );
    // The load balancer is there, the pool is not.
    let mut doc = fixture("RDP801/bad-lb-rule-standard-lb.json");
    let lb = resource(&mut doc, "lb-web");
    lb["properties"]["backendAddressPools"][0]["id"] = json!(format!(
        "{}/backendAddressPools/other",
        lb["id"].as_str().unwrap()
    ));
    let r = audit(&doc);
    assert_eq!(vm(&r)["rdp"]["verdict"], "unknown");
    assert!(diagnostics(&r).contains("backend pool pool-web is not in the data"));
    // The rule's frontend is not in the data.
    let mut doc = fixture("RDP801/bad-lb-rule-standard-lb.json");
    let lb = resource(&mut doc, "lb-web");
    lb["properties"]["loadBalancingRules"][0]["properties"]["frontendIPConfiguration"]["id"] =
        json!("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb-web/frontendIPConfigurations/gone");
    let r = audit(&doc);
    assert_eq!(vm(&r)["rdp"]["verdict"], "unknown");
    assert!(diagnostics(&r).contains("frontend of load-balancing rule rdp-lb on lb-web"));
}

#[test]
fn a_developer_bastion_comes_from_the_host_address_and_lists_its_acl() {
    let mut doc = fixture("RDP805/good-shareable-link-off.json");
    let vnet_id = resource(&mut doc, "vnet-app")["id"].clone();
    let b = resource(&mut doc, "bas-web");
    b["sku"]["name"] = json!("Developer");
    b["properties"]["ipConfigurations"] = json!([]);
    b["properties"]["virtualNetwork"] = json!({ "id": vnet_id });
    b["properties"]["networkAcls"] = json!({"ipRules": [{"addressPrefix": "1.1.1.1/16"}]});
    // The VM's NSG admits only the default rules' VirtualNetwork, which holds 168.63.129.16.
    resource(&mut doc, "nsg-app")["properties"]["securityRules"] = json!([]);
    let r = audit(&doc);
    let p = paths(&r, "bastion");
    assert_eq!(p.len(), 1, "{}", vm(&r)["rdp"]);
    assert_eq!(p[0]["verdict"], "reachable");
    let detail = hop(p[0], "bastion")["detail"].as_str().unwrap().to_string();
    assert!(detail.starts_with("from 168.63.129.16"), "{detail}");
    assert!(
        detail.contains("Developer") && detail.contains("sessions only from 1.1.0.0/16"),
        "{detail}"
    );
    // A deny of the host address above the defaults closes it.
    resource(&mut doc, "nsg-app")["properties"]["securityRules"] = json!([{"name": "DenyHost",
        "properties": {"protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
        "sourceAddressPrefix": "168.63.129.16", "destinationAddressPrefix": "*",
        "access": "Deny", "priority": 100, "direction": "Inbound"}}]);
    let r = audit(&doc);
    assert_eq!(paths(&r, "bastion")[0]["verdict"], "blocked");
}

fn bastion_subnet_nsg(doc: &mut Value, rules: Value) {
    let vnet = resource(doc, "vnet-app");
    let id = vnet["id"].as_str().unwrap().replace(
        "virtualNetworks/vnet-app",
        "networkSecurityGroups/nsg-bastion",
    );
    vnet["properties"]["subnets"][1]["properties"]["networkSecurityGroup"] = json!({"id": id});
    doc["resources"].as_array_mut().unwrap().push(json!({
        "name": "nsg-bastion", "id": id, "type": "Microsoft.Network/networkSecurityGroups",
        "properties": {"securityRules": rules}}));
}

fn nsg_rule(
    name: &str,
    prio: u32,
    dir: &str,
    access: &str,
    port: &str,
    src: &str,
    dst: &str,
) -> Value {
    json!({"name": name, "properties": {"protocol": "Tcp", "sourcePortRange": "*",
        "destinationPortRange": port, "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
        "access": access, "priority": prio, "direction": dir}})
}

#[test]
fn the_nsg_on_azure_bastion_subnet_can_break_the_bastion_path() {
    // The documented rule set: the path works.
    let mut doc = fixture("RDP805/bad-shareable-link.json");
    bastion_subnet_nsg(
        &mut doc,
        json!([
            nsg_rule(
                "AllowHttpsInbound",
                120,
                "Inbound",
                "Allow",
                "443",
                "Internet",
                "*"
            ),
            nsg_rule(
                "AllowGatewayManagerInbound",
                130,
                "Inbound",
                "Allow",
                "443",
                "GatewayManager",
                "*"
            ),
            nsg_rule(
                "AllowSshRdpOutbound",
                100,
                "Outbound",
                "Allow",
                "3389",
                "*",
                "VirtualNetwork"
            ),
        ]),
    );
    let r = audit(&doc);
    assert_eq!(
        paths(&r, "bastion")[0]["verdict"],
        "reachable",
        "{}",
        vm(&r)["rdp"]
    );
    // No inbound 443 from the Internet: clients cannot reach Bastion.
    let mut doc = fixture("RDP805/bad-shareable-link.json");
    bastion_subnet_nsg(&mut doc, json!([]));
    let r = audit(&doc);
    let p = paths(&r, "bastion");
    assert_eq!(p[0]["verdict"], "blocked");
    let h = hop(p[0], "bastion");
    assert_eq!(h["decision"], "blocked");
    assert!(
        h["detail"]
            .as_str()
            .unwrap()
            .contains("denies inbound tcp/443"),
        "{h}"
    );
    // A private-only Bastion has no Internet clients: that NSG does not break it.
    resource(&mut doc, "bas-web")["properties"]["enablePrivateOnlyBastion"] = json!(true);
    let r = audit(&doc);
    assert_eq!(paths(&r, "bastion")[0]["verdict"], "reachable");
    assert!(message_of(&r, "RDP805").contains("private-only"));
    // Inbound fine, outbound RDP to the VNet denied: Bastion cannot open RDP.
    let mut doc = fixture("RDP805/bad-shareable-link.json");
    bastion_subnet_nsg(
        &mut doc,
        json!([
            nsg_rule(
                "AllowHttpsInbound",
                120,
                "Inbound",
                "Allow",
                "443",
                "Internet",
                "*"
            ),
            nsg_rule(
                "DenyRdpOut",
                100,
                "Outbound",
                "Deny",
                "3389",
                "*",
                "VirtualNetwork"
            ),
        ]),
    );
    let r = audit(&doc);
    let p = paths(&r, "bastion");
    assert_eq!(p[0]["verdict"], "blocked");
    let detail = hop(p[0], "bastion")["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("denies outbound tcp/3389") && detail.contains("DenyRdpOut"),
        "{detail}"
    );
    // The link stays configured: RDP805 still reports (docs/decisions.md D40).
    assert!(rule_ids(&r).contains(&"RDP805".to_string()));
    // Outbound denies that do not cover this VM's address leave the path working.
    for (dst, port) in [
        ("Internet", "3389"),
        ("10.1.0.99/32", "3389"),
        ("VirtualNetwork", "22"),
    ] {
        let mut doc = fixture("RDP805/bad-shareable-link.json");
        bastion_subnet_nsg(
            &mut doc,
            json!([
                nsg_rule(
                    "AllowHttpsInbound",
                    120,
                    "Inbound",
                    "Allow",
                    "443",
                    "Internet",
                    "*"
                ),
                nsg_rule("DenyOut", 100, "Outbound", "Deny", port, "*", dst),
            ]),
        );
        let r = audit(&doc);
        assert_eq!(
            paths(&r, "bastion")[0]["verdict"],
            "reachable",
            "deny to {dst}:{port}"
        );
    }
}

/// Pool membership is read from every side (docs/decisions.md D22), and an IP-based member
/// counts only in its own VNet.
#[test]
fn pool_membership_from_the_pool_side_and_by_address_in_the_right_vnet() {
    let base = fixture("RDP801/bad-lb-rule-standard-lb.json");
    let nic_ipc = resource(&mut base.clone(), "web-lb-nic")["properties"]["ipConfigurations"][0]
        ["id"]
        .clone();
    let without_nic_side = |doc: &mut Value| {
        resource(doc, "web-lb-nic")["properties"]["ipConfigurations"][0]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("loadBalancerBackendAddressPools");
    };
    // Nothing names the pool membership: no path.
    let mut doc = base.clone();
    without_nic_side(&mut doc);
    assert!(paths(&audit(&doc), "lbRule").is_empty());
    // The pool lists the IP configuration (backendIPConfigurations).
    let mut doc = base.clone();
    without_nic_side(&mut doc);
    resource(&mut doc, "lb-web")["properties"]["backendAddressPools"][0]["properties"] =
        json!({"backendIPConfigurations": [{"id": nic_ipc}]});
    assert_eq!(paths(&audit(&doc), "lbRule").len(), 1);
    // An IP-based member resolved by ARM to the IP configuration.
    let mut doc = base.clone();
    without_nic_side(&mut doc);
    resource(&mut doc, "lb-web")["properties"]["backendAddressPools"][0]["properties"] = json!({
        "loadBalancerBackendAddresses": [{"name": "a", "properties": {
            "ipAddress": "10.1.0.4",
            "networkInterfaceIPConfiguration": {"id": nic_ipc}}}]});
    assert_eq!(paths(&audit(&doc), "lbRule").len(), 1);
    // The same address in another VNet is another machine.
    let doc_ip = fixture("RDP801/bad-lb-rule-ip-based-pool.json");
    let mut doc = doc_ip.clone();
    let lb = resource(&mut doc, "lb-web");
    let member = &mut lb["properties"]["backendAddressPools"][0]["properties"]
        ["loadBalancerBackendAddresses"][0]["properties"];
    member["virtualNetwork"]["id"] = json!(member["virtualNetwork"]["id"]
        .as_str()
        .unwrap()
        .replace("vnet-app", "vnet-other"));
    let r = audit(&doc);
    assert!(paths(&r, "lbRule").is_empty(), "{}", vm(&r)["rdp"]);
    assert_eq!(paths(&audit(&doc_ip), "lbRule").len(), 1);
}
