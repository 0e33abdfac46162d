//! A small builder of ARM-shaped snapshots for tests: one VNet, subnets, NSGs, VMs, public IPs,
//! load balancers, route tables and Bastion hosts, with ids and references exactly as ARM writes
//! them. Used by the semantics tests (TV-1 … TV-16) and the property tests.
#![allow(dead_code)]

pub mod doc;
pub mod live;

use serde_json::{json, Value};

pub const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

/// `mock-arm generate`'s estate of `vms` VMs over `subscriptions` subscriptions (every
/// reference resolvable; the same seed gives the same estate).
pub fn generated(vms: usize, subscriptions: usize, seed: u64) -> Value {
    mock_arm::generate::generate(&mock_arm::generate::GenerateOptions {
        vms,
        seed,
        subscriptions,
        hub_spoke: false,
    })
}

/// [`generated`] with a hub per subscription peered both ways with every VNet (a jump box,
/// a VPN gateway): east-west paths cross VNets.
pub fn generated_hub_spoke(vms: usize, subscriptions: usize, seed: u64) -> Value {
    mock_arm::generate::generate(&mock_arm::generate::GenerateOptions {
        vms,
        seed,
        subscriptions,
        hub_spoke: true,
    })
}

/// [`generated`] without its `guest` section: what live collection reads (guest facts come from
/// `--guest`, not from ARM).
pub fn generated_live(vms: usize, subscriptions: usize, seed: u64) -> Value {
    let mut snap = generated(vms, subscriptions, seed);
    if let Some(o) = snap.as_object_mut() {
        o.remove("guest");
    }
    snap
}

/// A one-subscription [`generated`] estate written to a file; the directory keeps it alive.
pub fn generated_file(vms: usize, seed: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("estate.json");
    std::fs::write(&path, generated(vms, 1, seed).to_string()).expect("write");
    (dir, path)
}

pub fn rid(rg: &str, ty: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/{ty}/{name}")
}

/// An inbound rule. `src`/`dst` may be "*", a tag, a CIDR, or "asg:NAME"; `ports` is one item or
/// a comma list (→ `destinationPortRanges`).
pub fn rule(name: &str, priority: u32, access: &str, src: &str, dst: &str, ports: &str) -> Value {
    let mut p = json!({
        "priority": priority, "direction": "Inbound", "access": access, "protocol": "Tcp",
        "sourcePortRange": "*", "sourceAddressPrefixes": [], "destinationAddressPrefixes": [],
    });
    let side = |p: &mut Value, which: &str, v: &str| {
        if let Some(asg) = v.strip_prefix("asg:") {
            p[format!("{which}ApplicationSecurityGroups")] =
                json!([{"id": rid("rg", "Microsoft.Network/applicationSecurityGroups", asg)}]);
        } else {
            p[format!("{which}AddressPrefix")] = json!(v);
        }
    };
    side(&mut p, "source", src);
    side(&mut p, "destination", dst);
    if ports.contains(',') {
        p["destinationPortRanges"] = json!(ports.split(',').collect::<Vec<_>>());
    } else {
        p["destinationPortRange"] = json!(ports);
    }
    json!({"name": name, "properties": p})
}

pub fn with_protocol(mut r: Value, protocol: &str) -> Value {
    r["properties"]["protocol"] = json!(protocol);
    r
}

pub fn with_source_ports(mut r: Value, ports: &str) -> Value {
    r["properties"]["sourcePortRange"] = json!(ports);
    r
}

#[derive(Default, Clone)]
pub struct VmSpec {
    pub name: String,
    pub ip: String,
    pub subnet: String,
    pub nic_nsg: Option<String>,
    pub pip: Option<(String, String)>, // (sku, address)
    pub asgs: Vec<String>,
    pub power: String,
    pub nat_rules: Vec<String>,
}

pub struct World {
    pub resources: Vec<Value>,
    pub guest: serde_json::Map<String, Value>,
    vnet_space: Vec<String>,
    subnets: Vec<Value>,
    peerings: Vec<Value>,
}

impl Default for World {
    fn default() -> Self {
        World::new("10.0.0.0/16")
    }
}

impl World {
    pub fn new(space: &str) -> World {
        World {
            resources: Vec::new(),
            guest: Default::default(),
            vnet_space: vec![space.to_string()],
            subnets: Vec::new(),
            peerings: Vec::new(),
        }
    }

    pub fn vnet_id() -> String {
        rid("rg", "Microsoft.Network/virtualNetworks", "vnet")
    }

    pub fn subnet_id(name: &str) -> String {
        format!("{}/subnets/{name}", World::vnet_id())
    }

    pub fn subnet(
        mut self,
        name: &str,
        prefix: &str,
        nsg: Option<&str>,
        route_table: Option<&str>,
    ) -> World {
        let mut p = json!({"addressPrefix": prefix, "provisioningState": "Succeeded"});
        if let Some(n) = nsg {
            p["networkSecurityGroup"] =
                json!({"id": rid("rg", "Microsoft.Network/networkSecurityGroups", n)});
        }
        if let Some(r) = route_table {
            p["routeTable"] = json!({"id": rid("rg", "Microsoft.Network/routeTables", r)});
        }
        self.subnets
            .push(json!({"id": World::subnet_id(name), "name": name, "properties": p}));
        self
    }

    pub fn nsg(mut self, name: &str, rules: Vec<Value>) -> World {
        self.resources.push(json!({
            "id": rid("rg", "Microsoft.Network/networkSecurityGroups", name), "name": name,
            "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
            "properties": {"provisioningState": "Succeeded", "securityRules": rules}
        }));
        self
    }

    pub fn route_table(mut self, name: &str, routes: &[(&str, &str, Option<&str>)]) -> World {
        let routes: Vec<Value> = routes
            .iter()
            .enumerate()
            .map(|(i, (prefix, hop, ip))| {
                let mut p = json!({"addressPrefix": prefix, "nextHopType": hop});
                if let Some(ip) = ip {
                    p["nextHopIpAddress"] = json!(ip);
                }
                json!({"name": format!("route-{i}"), "properties": p})
            })
            .collect();
        self.resources.push(json!({
            "id": rid("rg", "Microsoft.Network/routeTables", name), "name": name,
            "type": "Microsoft.Network/routeTables", "location": "westeurope",
            "properties": {"routes": routes, "disableBgpRoutePropagation": false}
        }));
        self
    }

    pub fn pip(mut self, name: &str, sku: &str, address: &str) -> World {
        self.resources.push(json!({
            "id": rid("rg", "Microsoft.Network/publicIPAddresses", name), "name": name,
            "type": "Microsoft.Network/publicIPAddresses", "location": "westeurope",
            "sku": {"name": sku},
            "properties": {"ipAddress": address, "publicIPAllocationMethod": "Static"}
        }));
        self
    }

    /// A Windows VM with one NIC (`<name>-nic`, ipconfig `ipconfig1`).
    pub fn vm(mut self, spec: VmSpec) -> World {
        let nic_id = rid(
            "rg",
            "Microsoft.Network/networkInterfaces",
            &format!("{}-nic", spec.name),
        );
        let mut ipc = json!({
            "privateIPAddress": spec.ip, "privateIPAllocationMethod": "Static", "primary": true,
            "subnet": {"id": World::subnet_id(&spec.subnet)},
        });
        if let Some((sku, addr)) = &spec.pip {
            let pname = format!("{}-pip", spec.name);
            ipc["publicIPAddress"] =
                json!({"id": rid("rg", "Microsoft.Network/publicIPAddresses", &pname)});
            self = self.pip(&pname, sku, addr);
        }
        if !spec.asgs.is_empty() {
            ipc["applicationSecurityGroups"] = json!(spec
                .asgs
                .iter()
                .map(|a| json!({"id": rid("rg", "Microsoft.Network/applicationSecurityGroups", a)}))
                .collect::<Vec<_>>());
        }
        if !spec.nat_rules.is_empty() {
            ipc["loadBalancerInboundNatRules"] = json!(spec
                .nat_rules
                .iter()
                .map(|r| json!({"id": r}))
                .collect::<Vec<_>>());
        }
        let mut nic = json!({
            "id": nic_id, "name": format!("{}-nic", spec.name), "type": "Microsoft.Network/networkInterfaces",
            "location": "westeurope",
            "properties": {"ipConfigurations": [{"id": format!("{nic_id}/ipConfigurations/ipconfig1"), "name": "ipconfig1", "properties": ipc}]}
        });
        if let Some(n) = &spec.nic_nsg {
            nic["properties"]["networkSecurityGroup"] =
                json!({"id": rid("rg", "Microsoft.Network/networkSecurityGroups", n)});
        }
        self.resources.push(nic);
        let power = if spec.power.is_empty() {
            "running".to_string()
        } else {
            spec.power.clone()
        };
        self.resources.push(json!({
            "id": World::vm_id(&spec.name), "name": spec.name, "type": "Microsoft.Compute/virtualMachines",
            "location": "westeurope",
            "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": {"osDisk": {"osType": "Windows"}},
                "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}},
                "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": true}}]},
                "instanceView": {"statuses": [
                    {"code": "ProvisioningState/succeeded"}, {"code": format!("PowerState/{power}")}],
                    "vmAgent": {"statuses": [{"displayStatus": "Ready"}]}}
            }
        }));
        self
    }

    pub fn vm_id(name: &str) -> String {
        rid("rg", "Microsoft.Compute/virtualMachines", name)
    }

    pub fn asg(mut self, name: &str) -> World {
        self.resources.push(json!({
            "id": rid("rg", "Microsoft.Network/applicationSecurityGroups", name), "name": name,
            "type": "Microsoft.Network/applicationSecurityGroups", "location": "westeurope", "properties": {}
        }));
        self
    }

    /// A Standard public load balancer `lb` with a frontend on `pip-lb` and one NAT rule to the
    /// VM's ipconfig. Returns the NAT rule id to put on the VM.
    pub fn lb_nat(
        mut self,
        sku: &str,
        address: &str,
        vm: &str,
        frontend: u16,
        backend: u16,
    ) -> (World, String) {
        let lb_id = rid("rg", "Microsoft.Network/loadBalancers", "lb");
        let fe_id = format!("{lb_id}/frontendIPConfigurations/fe");
        let rule_id = format!("{lb_id}/inboundNatRules/rdp-{vm}");
        self = self.pip("pip-lb", sku, address);
        let nic_id = rid(
            "rg",
            "Microsoft.Network/networkInterfaces",
            &format!("{vm}-nic"),
        );
        self.resources.push(json!({
            "id": lb_id, "name": "lb", "type": "Microsoft.Network/loadBalancers", "location": "westeurope",
            "sku": {"name": sku},
            "properties": {
                "frontendIPConfigurations": [{"id": fe_id, "name": "fe", "properties": {
                    "publicIPAddress": {"id": rid("rg", "Microsoft.Network/publicIPAddresses", "pip-lb")}}}],
                "inboundNatRules": [{"id": rule_id, "name": format!("rdp-{vm}"), "properties": {
                    "frontendIPConfiguration": {"id": fe_id}, "protocol": "Tcp",
                    "frontendPort": frontend, "backendPort": backend, "enableFloatingIP": false,
                    "backendIPConfiguration": {"id": format!("{nic_id}/ipConfigurations/ipconfig1")}}}]
            }
        }));
        (self, rule_id)
    }

    pub fn bastion(mut self, subnet_prefix: &str) -> World {
        self = self.subnet("AzureBastionSubnet", subnet_prefix, None, None);
        self.resources.push(json!({
            "id": rid("rg", "Microsoft.Network/bastionHosts", "bastion"), "name": "bastion",
            "type": "Microsoft.Network/bastionHosts", "location": "westeurope", "sku": {"name": "Standard"},
            "properties": {"ipConfigurations": [{"name": "ipconf", "properties": {
                "subnet": {"id": World::subnet_id("AzureBastionSubnet")}}}]}
        }));
        self
    }

    pub fn snapshot(&self) -> Value {
        let mut resources = self.resources.clone();
        resources.push(json!({
            "id": World::vnet_id(), "name": "vnet", "type": "Microsoft.Network/virtualNetworks",
            "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": self.vnet_space},
                           "subnets": self.subnets, "virtualNetworkPeerings": self.peerings}
        }));
        json!({"schema": "rdpaudit.snapshot/1", "resources": resources, "guest": self.guest})
    }

    pub fn text(&self) -> String {
        self.snapshot().to_string()
    }
}

/// Runs the pure pipeline; returns the JSON report.
pub fn audit(w: &World, client: Option<&str>, port: u16) -> Value {
    let text = w.text();
    let snap = rdpaudit::snapshot::parse(&text).expect("snapshot parses");
    let options = rdpaudit::engine::Options {
        client: client.map(|c| rdpaudit::engine::Client::parse(c).expect("client")),
        port,
    };
    let report = rdpaudit::pipeline::run(
        &snap.resources,
        snap.guest,
        &snap.diagnostics,
        options,
        rdpaudit::report::CategoryFilter::All,
        &rdpaudit::pipeline::Scope::All,
    )
    .expect("pipeline");
    let v = serde_json::to_value(&report).expect("report serialises");
    // Notices (`info`, e.g. no `securityAdminRules` section) leave the audit complete.
    let problems: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level != rdpaudit::model::DiagLevel::Info)
        .collect();
    assert!(problems.is_empty(), "unexpected diagnostics: {problems:?}");
    v
}

pub fn vm<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["vms"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("VM {name} not in report: {report:#}"))
}

pub fn verdict(report: &Value, name: &str) -> String {
    vm(report, name)["rdp"]["verdict"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The first path of `kind`.
pub fn path<'a>(report: &'a Value, name: &str, kind: &str) -> &'a Value {
    vm(report, name)["rdp"]["paths"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} path for {name}: {:#}", vm(report, name)))
}

/// The hop named `hop` of a path.
pub fn hop<'a>(path: &'a Value, hop: &str) -> &'a Value {
    path["hops"]
        .as_array()
        .and_then(|a| a.iter().find(|h| h["hop"] == hop))
        .unwrap_or_else(|| panic!("no {hop} hop in {path:#}"))
}

pub fn rule_ids(report: &Value, name: &str) -> Vec<String> {
    vm(report, name)["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["ruleId"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub fn spec(name: &str, ip: &str, subnet: &str) -> VmSpec {
    VmSpec {
        name: name.into(),
        ip: ip.into(),
        subnet: subnet.into(),
        ..VmSpec::default()
    }
}

/// The report of a whole-estate audit of a snapshot document: default options, no guest facts,
/// `lateral` for the east-west section (what the property tests compare with their oracles).
pub fn audit_doc(doc: &Value, lateral: bool) -> rdpaudit::report::Report {
    use rdpaudit::pipeline::{self, Scope};
    let text = doc.to_string();
    let snap = rdpaudit::snapshot::parse(&text).expect("parses");
    let model = pipeline::build_model_with(&snap.resources, snap.security_admin_rules);
    pipeline::Audit::new(
        &model,
        rdpaudit::engine::Options::default(),
        rdpaudit::engine::Observations::default(),
        &Scope::All,
    )
    .expect("audit")
    .with_lateral(lateral)
    .report(&[], rdpaudit::report::CategoryFilter::All)
}
