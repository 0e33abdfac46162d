//! The rest of the doors (docs/decisions.md D28, D29, D33, D35, D36): a snapshot without the
//! `securityAdminRules` section says so (and stays complete), Deny admin rules are not applied to
//! a VNet holding SQL Managed Instance or Databricks, equal-priority admin rules, forced
//! tunnelling behind a DNAT rule, and internal load balancers / private DNAT as private paths.

mod common;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::Path;

use common::doc::{first_vm_rule_ids as ids, resource};
use common::live::{assert_code, json_of, live, serve};

const FIXTURES: &str = "tests/fixtures/rules";

const RG: &str = "/subscriptions/5b1e7c3a-9d2f-4e68-a1c4-3f7b2d9e6a15/resourceGroups/rg-rdp";
const VNET: &str = "/subscriptions/5b1e7c3a-9d2f-4e68-a1c4-3f7b2d9e6a15/resourceGroups/rg-rdp/providers/Microsoft.Network/virtualNetworks/vnet-app";

fn rdpaudit() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("NO_COLOR").env_remove("RDPAUDIT_ARM_ENDPOINT");
    c
}

fn fixture(rel: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(rel);
    serde_json::from_slice(&std::fs::read(p).expect("fixture")).expect("JSON")
}

/// `audit -o <format>` of a snapshot on stdin: (exit code, stdout).
fn audit_as(doc: &Value, format: &str, fail_on: &str) -> (Option<i32>, String) {
    let out = rdpaudit()
        .args([
            "audit",
            "-o",
            format,
            "--fail-on",
            fail_on,
            "--snapshot",
            "-",
        ])
        .write_stdin(doc.to_string())
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn audit(doc: &Value) -> (Option<i32>, Value) {
    let (code, out) = audit_as(doc, "json", "never");
    (code, serde_json::from_str(&out).expect("JSON report"))
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| format!("{}:{}", d["level"], d["code"].as_str().unwrap_or("-")))
        .collect()
}

const NOT_COLLECTED: &str = "\"info\":AdminRulesNotCollected";

#[test]
fn a_snapshot_without_admin_rules_says_so_and_stays_complete() {
    let doc = fixture("RDP801/bad-source-any.json");
    assert!(doc.get("securityAdminRules").is_none());
    let (code, r) = audit(&doc);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["complete"], true);
    assert_eq!(codes(&r), [NOT_COLLECTED]);
    assert_eq!(r["diagnostics"][0]["scope"], "securityAdminRules");
    assert_eq!(ids(&r), ["RDP801", "RDP804"]);
    // The notice does not change the exit code: findings at the threshold still exit 1, and
    // nothing else makes it 3.
    let (code, _) = audit_as(&doc, "json", "high");
    assert_eq!(code, Some(1));
    // The human outputs show it with the other diagnostics, without calling the audit
    // incomplete.
    let (_, table) = audit_as(&doc, "table", "never");
    assert!(
        table.contains("security admin rules were not collected"),
        "{table}"
    );
    assert!(!table.contains("INCOMPLETE"), "{table}");
    let (_, md) = audit_as(&doc, "markdown", "never");
    assert!(
        md.contains("## Diagnostics") && md.contains("were not collected"),
        "{md}"
    );
    // With the section (even one listing no rule for the VNet) there is nothing to say.
    let mut with = doc.clone();
    with["securityAdminRules"] = json!({ VNET: [] });
    let (code, r) = audit(&with);
    assert_eq!(code, Some(0));
    assert_eq!(r["diagnostics"], json!([]));
}

#[test]
fn a_live_audit_that_read_admin_rules_has_no_notice() {
    let doc = fixture("RDP801/bad-source-any.json");
    for backend in ["arm", "graph"] {
        let server = serve(&doc, |c| c);
        let out = live(&server, "audit")
            .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
            .args(["--backend", backend])
            .output()
            .expect("run");
        assert_code(&out, 0);
        let r = json_of(&out);
        assert!(
            !codes(&r).contains(&NOT_COLLECTED.to_string()),
            "{backend}: {r}"
        );
        assert_eq!(r["complete"], true, "{backend}");
    }
    // A snapshot saved by `collect` carries the section, so auditing it says nothing either.
    let server = serve(&doc, |c| c);
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("snap.json");
    let out = live(&server, "collect")
        .args(["--all-subscriptions", "--out"])
        .arg(&saved)
        .output()
        .expect("run");
    assert_code(&out, 0);
    let snap: Value = serde_json::from_slice(&std::fs::read(&saved).expect("saved")).expect("JSON");
    assert!(snap.get("securityAdminRules").is_some());
    let (_, r) = audit(&snap);
    assert!(!codes(&r).contains(&NOT_COLLECTED.to_string()), "{r}");
}

/// The RDP409 fixture (a Deny admin rule drops RDP before the NSG allow) with its subnet
/// delegated to `service`.
fn delegated(service: &str) -> Value {
    let mut doc = fixture("RDP409/bad-admin-deny-before-nsg-allow.json");
    let vnet = resource(&mut doc, "vnet-app");
    vnet["properties"]["subnets"][0]["properties"]["delegations"] = json!([{
        "name": "delegation",
        "properties": { "serviceName": service }
    }]);
    doc
}

#[test]
fn deny_admin_rules_do_not_apply_to_a_vnet_with_sql_mi_or_databricks() {
    for service in [
        "Microsoft.Sql/managedInstances",
        "microsoft.databricks/workspaces",
    ] {
        let (code, r) = audit(&delegated(service));
        assert_eq!(code, Some(0), "{r}");
        assert_eq!(ids(&r), ["RDP801", "RDP804"], "{service}");
        assert_eq!(r["vms"][0]["rdp"]["verdict"], "reachable");
        assert_eq!(r["complete"], true);
        assert_eq!(codes(&r), ["\"info\":AdminDenyRulesNotApplied"], "{r}");
        assert_eq!(r["diagnostics"][0]["scope"], VNET);
    }
    // Another delegation does not exempt the VNet: the Deny still drops RDP.
    let (_, r) = audit(&delegated("Microsoft.Web/serverFarms"));
    assert_eq!(ids(&r), ["RDP409"]);
    assert_eq!(r["vms"][0]["rdp"]["verdict"], "blocked");
    assert_eq!(r["diagnostics"], json!([]));
}

fn hop<'a>(report: &'a Value, path: usize, kind: &str) -> &'a Value {
    report["vms"][0]["rdp"]["paths"][path]["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .find(|h| h["hop"] == kind)
        .unwrap_or_else(|| panic!("no {kind} hop: {report:#}"))
}

/// The RDP409 fixture (Deny, priority 10, tcp/3389 from anywhere) plus a second admin rule of
/// the same priority with `access`.
fn tied_with(access: &str) -> Value {
    let mut doc = fixture("RDP409/bad-admin-deny-before-nsg-allow.json");
    let list = doc["securityAdminRules"][VNET]
        .as_array_mut()
        .expect("the VNet's rules");
    let mut other = list[0].clone();
    other["id"] = json!(format!(
        "{}-tied",
        other["id"]
            .as_str()
            .expect("id")
            .replace("deny-rdp-internet", "tied")
    ));
    other["properties"]["access"] = json!(access);
    // Listed after the Deny: the order in the list must not matter.
    list.push(other);
    doc
}

#[test]
fn an_allow_deny_tie_is_conditional_never_blocked() {
    let (code, r) = audit(&tied_with("Allow"));
    assert_eq!(code, Some(0), "{r}");
    // Handed to the NSGs, which allow RDP from anywhere: reachable, exposure counted.
    assert_eq!(r["vms"][0]["rdp"]["verdict"], "reachable");
    assert_eq!(ids(&r), ["RDP801", "RDP804"]);
    let h = hop(&r, 0, "adminRule");
    assert_eq!(h["decision"], "conditional", "{h}");
    let detail = h["detail"].as_str().expect("detail");
    assert!(
        detail.contains("tied-tied") && detail.contains("deny-rdp-internet"),
        "both rules are named: {detail}"
    );
    assert!(detail.contains("not concluded blocked"), "{detail}");
    // `check` shows the same hop.
    let out = rdpaudit()
        .args([
            "check",
            &format!("{RG}/providers/Microsoft.Compute/virtualMachines/web-01"),
        ])
        .args(["--snapshot", "-"])
        .write_stdin(tied_with("Allow").to_string())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("conditional"), "{text}");
}

#[test]
fn an_always_allow_tie_delivers_and_a_lone_deny_still_blocks() {
    let (_, r) = audit(&tied_with("AlwaysAllow"));
    assert_eq!(r["vms"][0]["rdp"]["verdict"], "reachable");
    assert!(ids(&r).contains(&"RDP410".to_string()), "{:?}", ids(&r));
    assert_eq!(hop(&r, 0, "adminRule")["decision"], "allow");
    // Two Deny rules at one priority are no tie: blocked, RDP409.
    let (_, r) = audit(&tied_with("Deny"));
    assert_eq!(ids(&r), ["RDP409"]);
    assert_eq!(hop(&r, 0, "adminRule")["decision"], "deny");
}

const FW: &str = "/subscriptions/5b1e7c3a-9d2f-4e68-a1c4-3f7b2d9e6a15/resourceGroups/rg-rdp/providers/Microsoft.Network/azureFirewalls/fw-hub";

/// The RDP607 fixture (DNAT 20.61.20.10:50001 from anywhere to web-01:3389) with a route table
/// on AzureFirewallSubnet sending 0.0.0.0/0 to `next_hop`.
fn forced(next_hop: &str) -> Value {
    let mut doc = fixture("RDP607/bad-classic-dnat-any-source.json");
    let rt = format!("{RG}/providers/Microsoft.Network/routeTables/rt-fw");
    let mut route = json!({ "addressPrefix": "0.0.0.0/0", "nextHopType": next_hop });
    if next_hop == "VirtualAppliance" {
        route["nextHopIpAddress"] = json!("192.168.10.4");
    }
    doc["resources"]
        .as_array_mut()
        .expect("resources")
        .push(json!({
            "id": rt, "name": "rt-fw", "type": "Microsoft.Network/routeTables",
            "location": "westeurope",
            "properties": { "routes": [ { "name": "default-to-onprem", "properties": route } ] }
        }));
    let vnet = resource(&mut doc, "vnet-app");
    let subnets = vnet["properties"]["subnets"]
        .as_array_mut()
        .expect("subnets");
    let fw_subnet = subnets
        .iter_mut()
        .find(|s| s["name"] == "AzureFirewallSubnet")
        .expect("AzureFirewallSubnet");
    fw_subnet["properties"]["routeTable"] = json!({ "id": rt });
    doc
}

/// Gives fw-hub a Management NIC whose public IP is 20.61.20.99.
fn with_management(doc: &mut Value) {
    let pip = format!("{RG}/providers/Microsoft.Network/publicIPAddresses/pip-fw-mgmt");
    doc["resources"]
        .as_array_mut()
        .expect("resources")
        .push(json!({
            "id": pip, "name": "pip-fw-mgmt", "type": "Microsoft.Network/publicIPAddresses",
            "location": "westeurope", "sku": { "name": "Standard" },
            "properties": { "publicIPAllocationMethod": "Static", "ipAddress": "20.61.20.99" }
        }));
    resource(doc, "fw-hub")["properties"]["managementIpConfiguration"] = json!({
        "name": "fw-mgmt",
        "id": format!("{FW}/azureFirewallIpConfigurations/fw-mgmt"),
        "properties": {
            "subnet": { "id": format!("{VNET}/subnets/AzureFirewallManagementSubnet") },
            "publicIPAddress": { "id": pip }
        }
    });
}

fn dnat_paths(r: &Value) -> Vec<&Value> {
    r["vms"][0]["rdp"]["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter(|p| p["kind"] == "firewallDnat")
        .collect()
}

#[test]
fn dnat_behind_forced_tunnelling_is_kept_but_conditional() {
    for next_hop in ["VirtualAppliance", "VirtualNetworkGateway"] {
        let (code, r) = audit(&forced(next_hop));
        assert_eq!(code, Some(0), "{r}");
        // Exposure still counts the path.
        assert_eq!(
            ids(&r),
            ["RDP606", "RDP607", "RDP801", "RDP804"],
            "{next_hop}"
        );
        let paths = dnat_paths(&r);
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0]["verdict"], "reachable");
        let route = paths[0]["hops"]
            .as_array()
            .expect("hops")
            .iter()
            .find(|h| h["hop"] == "route" && h["decision"] == "conditional")
            .unwrap_or_else(|| panic!("no conditional route hop: {:#}", paths[0]));
        assert_eq!(route["rule"], "default-to-onprem");
        let detail = route["detail"].as_str().expect("detail");
        assert!(
            detail.contains("forced tunnelling") && detail.contains("Management NIC"),
            "{detail}"
        );
    }
    // A default route to the Internet is no forced tunnel.
    let (_, r) = audit(&forced("Internet"));
    let hops = dnat_paths(&r)[0]["hops"].to_string();
    assert!(!hops.contains("conditional"), "{hops}");
}

#[test]
fn a_management_nic_keeps_dnat_and_its_address_is_never_a_destination() {
    let mut doc = forced("VirtualAppliance");
    with_management(&mut doc);
    let (code, r) = audit(&doc);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(ids(&r), ["RDP606", "RDP607", "RDP801", "RDP804"]);
    let paths = dnat_paths(&r);
    assert_eq!(paths.len(), 1);
    assert!(!paths[0]["hops"].to_string().contains("conditional"));
    // A rule naming the management address publishes nothing there, whether the firewall's
    // address list is complete or not (its data-plane public IP missing from the data).
    let rule = &mut resource(&mut doc, "fw-hub")["properties"]["natRuleCollections"][0]
        ["properties"]["rules"][0];
    rule["destinationAddresses"] = json!(["20.61.20.99"]);
    let (_, r) = audit(&doc);
    assert!(dnat_paths(&r).is_empty(), "{:#}", r["vms"][0]["rdp"]);
    assert!(!ids(&r).contains(&"RDP801".to_string()));
    doc["resources"]
        .as_array_mut()
        .expect("resources")
        .retain(|x| x["name"] != "pip-fw-hub");
    let (_, r) = audit(&doc);
    assert!(
        dnat_paths(&r).iter().all(|p| p["address"] != "20.61.20.99"),
        "{:#}",
        r["vms"][0]["rdp"]
    );
}

fn private_paths<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["vms"][0]["rdp"]["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter(|p| p["kind"] == kind && p["frontend"] == "private")
        .collect()
}

fn audit_client(doc: &Value, client: &str) -> Value {
    let out = rdpaudit()
        .args(["audit", "-o", "json", "--fail-on", "never", "--client-ip"])
        .args([client, "--snapshot", "-"])
        .write_stdin(doc.to_string())
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn an_internal_lb_rule_is_a_private_path_never_internet_exposure() {
    // An HA-ports rule on the internal frontend 10.1.0.100; the NSG admits the VNet by its
    // default rule and RDP from the Internet by AllowRDP.
    let doc = fixture("RDP801/good-lb-rule-internal-frontend.json");
    let (_, r) = audit(&doc);
    assert_eq!(
        r["vms"][0]["rdp"]["verdict"], "blocked",
        "not from the Internet"
    );
    let found = ids(&r);
    assert!(
        !found.contains(&"RDP801".to_string()) && !found.contains(&"RDP802".to_string()),
        "{found:?}"
    );
    let p = private_paths(&r, "lbRule");
    assert_eq!(p.len(), 1, "{:#}", r["vms"][0]["rdp"]);
    assert_eq!(p[0]["address"], "10.1.0.100");
    assert_eq!(p[0]["verdict"], "reachable");
    assert_eq!(p[0]["allowedSources"], json!(["10.1.0.0/16"]));
    // `--client-ip` inside the VNet reaches the VM through it; one on the Internet does not.
    let inside = audit_client(&doc, "10.1.7.7");
    assert_eq!(inside["vms"][0]["rdp"]["verdict"], "reachable");
    assert_eq!(
        private_paths(&inside, "lbRule")[0]["allowedSources"],
        json!(["10.1.7.7/32"])
    );
    let outside = audit_client(&doc, "203.0.113.9");
    assert_eq!(outside["vms"][0]["rdp"]["verdict"], "blocked");
    assert_eq!(private_paths(&outside, "lbRule")[0]["verdict"], "blocked");
    // `check` marks the path.
    let id = resource(&mut doc.clone(), "web-lb")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let out = rdpaudit()
        .args(["check", &id, "--snapshot", "-"])
        .write_stdin(doc.to_string())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("lbRule 10.1.0.100:3389 (private frontend"),
        "{text}"
    );
}

#[test]
fn an_nsg_that_denies_the_vnet_closes_the_private_path() {
    let mut doc = fixture("RDP801/good-lb-rule-internal-frontend.json");
    let rules = resource(&mut doc, "nsg-web")["properties"]["securityRules"]
        .as_array_mut()
        .expect("rules");
    rules.push(json!({
        "name": "DenyVnetRdp",
        "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389",
            "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "*",
            "access": "Deny", "priority": 400, "direction": "Inbound"
        }
    }));
    let (_, r) = audit(&doc);
    let p = private_paths(&r, "lbRule");
    assert_eq!(p[0]["verdict"], "blocked");
    assert_eq!(p[0]["allowedSources"], json!([]));
}

#[test]
fn a_nat_rule_on_an_internal_frontend_is_a_private_path() {
    let (_, r) = audit(&fixture("RDP605/bad-nat-rule-on-internal-lb.json"));
    // The Internet path stays blocked at the frontend (RDP605) ...
    assert!(ids(&r).contains(&"RDP605".to_string()));
    assert_eq!(r["vms"][0]["rdp"]["verdict"], "blocked");
    // ... and the private one carries the VNet.
    let p = private_paths(&r, "natRule");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["address"], "10.0.1.10");
    assert_eq!(p[0]["verdict"], "reachable");
    assert_eq!(p[0]["allowedSources"], json!(["10.0.0.0/16"]));
}

#[test]
fn dnat_to_the_firewall_private_address_is_a_private_path() {
    let mut doc = fixture("RDP607/bad-classic-dnat-any-source.json");
    let rule = &mut resource(&mut doc, "fw-hub")["properties"]["natRuleCollections"][0]
        ["properties"]["rules"][0];
    rule["destinationAddresses"] = json!(["10.0.0.4"]);
    let (code, r) = audit(&doc);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["complete"], true);
    let found = ids(&r);
    assert!(!found.contains(&"RDP801".to_string()), "{found:?}");
    assert!(dnat_paths(&r).iter().all(|p| p["frontend"] == "private"));
    let p = private_paths(&r, "firewallDnat");
    assert_eq!(p.len(), 1, "{:#}", r["vms"][0]["rdp"]);
    assert_eq!(p[0]["address"], "10.0.0.4");
    assert_eq!(p[0]["port"], 50001);
    assert_eq!(p[0]["verdict"], "reachable");
    assert_eq!(p[0]["allowedSources"], json!(["10.0.0.0/16"]));
    // The public rule stays an Internet path, with no private twin.
    let (_, r) = audit(&fixture("RDP607/bad-classic-dnat-any-source.json"));
    assert!(private_paths(&r, "firewallDnat").is_empty());
    assert!(ids(&r).contains(&"RDP801".to_string()));
}

#[test]
fn a_baseline_keys_a_private_path_apart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.json");
    let (_, r) = audit(&fixture("RDP801/good-lb-rule-internal-frontend.json"));
    std::fs::write(&before, r.to_string()).expect("write");
    // The VNet loses RDP through the internal frontend.
    let mut doc = fixture("RDP801/good-lb-rule-internal-frontend.json");
    resource(&mut doc, "nsg-web")["properties"]["securityRules"]
        .as_array_mut()
        .expect("rules")
        .push(json!({
            "name": "DenyVnetRdp",
            "properties": {
                "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389",
                "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "*",
                "access": "Deny", "priority": 400, "direction": "Inbound"
            }
        }));
    let out = rdpaudit()
        .args(["audit", "-o", "json", "--fail-on", "never", "--baseline"])
        .arg(&before)
        .args(["--snapshot", "-"])
        .write_stdin(doc.to_string())
        .output()
        .expect("run");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let change = &r["vms"][0]["change"];
    assert_eq!(change["status"], "changed", "{change}");
    assert_eq!(
        change["sources"][0]["path"], "lbRule 10.1.0.100:3389 (private)",
        "{change}"
    );
    assert_eq!(change["sources"][0]["removed"], json!(["10.1.0.0/16"]));
}
