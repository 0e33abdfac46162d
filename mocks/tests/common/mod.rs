//! Shared fixtures for the HTTP tests: a small estate, and a blocking client.

#![allow(dead_code)]

use mock_arm::{MockConfig, MockServer};
use serde_json::{json, Value};

pub const SUB: &str = "11111111-2222-3333-4444-555555555555";
pub const SUB2: &str = "99999999-8888-7777-6666-555555555555";
pub const TOKEN: &str = "test-token";
pub const VM_API: &str = "2025-04-01";
pub const NET_API: &str = "2025-07-01";

pub fn rg_id(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}

pub fn vm_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{name}",
        rg_id("rg-app")
    )
}

pub fn net_id(ty: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{ty}/{name}",
        rg_id("rg-net")
    )
}

fn vm(name: &str, power: Option<&str>) -> Value {
    let mut props = json!({
        "provisioningState": "Succeeded",
        "storageProfile": {"osDisk": {"osType": "Windows"}},
        "networkProfile": {"networkInterfaces": [{"id": format!("{}/providers/Microsoft.Network/networkInterfaces/nic-{name}", rg_id("rg-app"))}]}
    });
    if let Some(p) = power {
        props["instanceView"] = json!({"statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
            {"code": format!("PowerState/{p}"), "level": "Info", "displayStatus": format!("VM {p}")}
        ]});
    }
    json!({"id": vm_id(name), "name": name, "type": "Microsoft.Compute/virtualMachines",
           "location": "westeurope", "properties": props})
}

/// Three VMs (running, deallocated, no instance view), a NIC, an NSG, a VNet with two subnets,
/// a load balancer with a NAT rule; one listed subscription without resources.
pub fn small_snapshot() -> Value {
    json!({
        "schema": "rdpaudit.snapshot/1",
        "cloud": "public",
        "collectedAt": "2026-01-01T00:00:00Z",
        "subscriptions": [
            {"subscriptionId": SUB, "displayName": "Contoso Prod", "state": "Enabled"},
            {"subscriptionId": SUB2, "displayName": "Contoso Empty", "state": "Enabled"}
        ],
        "resources": [
            vm("web1", Some("running")),
            vm("Db1", Some("deallocated")),
            vm("app1", None),
            {"id": format!("{}/providers/Microsoft.Network/networkInterfaces/nic-web1", rg_id("rg-app")),
             "name": "nic-web1", "type": "Microsoft.Network/networkInterfaces", "location": "westeurope",
             "properties": {"ipConfigurations": [{"name": "ipconfig1",
                "id": format!("{}/providers/Microsoft.Network/networkInterfaces/nic-web1/ipConfigurations/ipconfig1", rg_id("rg-app")),
                "properties": {"privateIPAddress": "10.0.0.4", "subnet": {"id": format!("{}/subnets/web", net_id("virtualNetworks", "vnet1"))}}}]}},
            {"id": net_id("networkSecurityGroups", "nsg1"), "name": "nsg1",
             "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
             "properties": {"securityRules": [{"name": "AllowRDP", "properties": {"priority": 300, "access": "Allow",
                "direction": "Inbound", "protocol": "Tcp", "sourceAddressPrefix": "*",
                "destinationPortRange": "3389"}}], "defaultSecurityRules": []}},
            {"id": net_id("virtualNetworks", "vnet1"), "name": "vnet1",
             "type": "Microsoft.Network/virtualNetworks", "location": "westeurope",
             "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [
                {"name": "web", "id": format!("{}/subnets/web", net_id("virtualNetworks", "vnet1")),
                 "properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": net_id("networkSecurityGroups", "nsg1")}}},
                {"name": "AzureBastionSubnet", "id": format!("{}/subnets/AzureBastionSubnet", net_id("virtualNetworks", "vnet1")),
                 "properties": {"addressPrefix": "10.0.1.0/26"}}]}},
            {"id": net_id("loadBalancers", "lb1"), "name": "lb1",
             "type": "Microsoft.Network/loadBalancers", "location": "westeurope", "sku": {"name": "Standard"},
             "properties": {"inboundNatRules": [{"name": "rdp-web1",
                "id": format!("{}/inboundNatRules/rdp-web1", net_id("loadBalancers", "lb1")),
                "properties": {"frontendPort": 50001, "backendPort": 3389, "protocol": "Tcp"}}]}}
        ],
        "guest": {},
        "diagnostics": []
    })
}

pub fn config() -> MockConfig {
    MockConfig::new(small_snapshot()).expected_token(TOKEN)
}

pub fn start(cfg: MockConfig) -> MockServer {
    MockServer::start(cfg).expect("mock starts")
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// GET with the test token.
pub fn get(server: &MockServer, path_and_query: &str) -> reqwest::blocking::Response {
    get_url(&format!("{}{}", server.url(), path_and_query))
}

pub fn get_url(url: &str) -> reqwest::blocking::Response {
    client()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .expect("request succeeds")
}

pub fn json(resp: reqwest::blocking::Response) -> Value {
    resp.json().expect("JSON body")
}

/// Follows `nextLink` from `first`, returning every item and the number of pages.
pub fn collect_pages(server: &MockServer, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}{}", server.url(), first);
    loop {
        let resp = get_url(&url);
        assert_eq!(resp.status(), 200, "{url}");
        let body = json(resp);
        pages += 1;
        items.extend(body["value"].as_array().cloned().unwrap_or_default());
        match body.get("nextLink").and_then(Value::as_str) {
            Some(next) => {
                assert!(
                    next.starts_with(&server.url()),
                    "nextLink {next} is not on this server"
                );
                url = next.to_owned();
            }
            None => return (items, pages),
        }
        assert!(pages < 1000, "paging does not end");
    }
}

pub fn error_code(body: &Value) -> &str {
    body.pointer("/error/code")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The `mock-arm` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_mock-arm");

/// A `mock-arm serve` child process, killed on drop so a failing assertion leaks no server.
pub struct Served {
    child: std::process::Child,
    /// The URL it announced on its first line.
    pub url: String,
    /// The rest of its stdout, line by line.
    pub lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` (a `mock-arm serve …` command) and reads the URL it announces.
pub fn serve_binary(cmd: &mut std::process::Command) -> Served {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let mut served = Served {
        child,
        url: String::new(),
        lines: std::io::BufReader::new(stdout).lines(),
    };
    let first = served
        .lines
        .next()
        .and_then(Result::ok)
        .expect("first line");
    served.url = first
        .strip_prefix("mock-arm listening on ")
        .expect("announces URL")
        .to_owned();
    served
}
