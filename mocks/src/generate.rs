//! A synthetic estate for benchmarks and soak tests: `mock-arm generate --vms N --seed S`.
//!
//! The shape follows a typical hub-less enterprise landing zone: per region a network resource
//! group (VNets, subnet NSGs, route tables, ASGs, Bastions), and application resource groups
//! (VMs, NICs, public IPs, NIC NSGs, load balancers). Proportions per VM: one NIC; ~70% with an
//! instance public IP (85% Standard); ~7% behind a load-balancer inbound NAT rule; ~10% Linux;
//! ~10% deallocated. About VMs/5 NSGs of ~20 custom rules plus the six default rules, about
//! VMs/20 VNets. Every reference resolves, back-links included (NSG → subnets/NICs, subnet →
//! ipConfigurations, public IP → ipConfiguration, route table → subnets), and some references
//! differ in case from the target id, as they do in live ARM.
//!
//! Deterministic: the output depends only on the options (one seeded generator, no clock).

use crate::faults::uuid_like;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::io::Write;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of VMs in total.
    pub vms: usize,
    /// Seed: the same options give the same snapshot.
    pub seed: u64,
    /// Number of subscriptions the VMs are spread over (at least 1).
    pub subscriptions: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            vms: 100,
            seed: 1,
            subscriptions: 1,
        }
    }
}

const REGIONS: &[(&str, &str)] = &[
    ("westeurope", "weu"),
    ("northeurope", "neu"),
    ("eastus", "eus"),
    ("eastus2", "eu2"),
    ("westus2", "wu2"),
    ("uksouth", "uks"),
    ("southeastasia", "sea"),
];

const VM_SIZES: &[&str] = &[
    "Standard_D2s_v5",
    "Standard_D4s_v5",
    "Standard_B2ms",
    "Standard_E4s_v5",
    "Standard_D2as_v5",
    "Standard_F4s_v2",
];

const ROLES: &[&str] = &["web", "app", "sql", "jmp", "rds", "dc", "fs", "api"];

const CORP_CIDRS: &[&str] = &[
    "203.0.113.0/24",
    "198.51.100.0/24",
    "192.0.2.0/25",
    "198.51.100.17/32",
    "203.0.113.128/26",
    "80.80.80.0/22",
];

const COLLECTED_AT: &str = "2026-01-15T02:00:00Z";

/// Generates a complete `rdpaudit.snapshot/1` document in memory.
pub fn generate(opts: &GenerateOptions) -> Value {
    let mut resources = Vec::with_capacity(opts.vms * 4);
    let (subscriptions, guest) = run(opts, &mut |v| {
        resources.push(v);
        Ok(())
    })
    .unwrap_or_default();
    json!({
        "schema": "rdpaudit.snapshot/1",
        "cloud": "public",
        "collectedAt": COLLECTED_AT,
        "subscriptions": subscriptions,
        "resources": resources,
        "guest": Value::Object(guest),
        "diagnostics": []
    })
}

/// Writes the same document as [`generate`] without holding it in memory: each resource is
/// serialised as soon as it is complete (a 10,000-VM estate is ~100 MB of JSON; building it as
/// one `Value` tree first would cost several times that and most of the run time).
pub fn write_snapshot(
    opts: &GenerateOptions,
    pretty: bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let subscriptions = subscription_bodies(opts);
    write!(
        w,
        "{{\"schema\":\"rdpaudit.snapshot/1\",\"cloud\":\"public\",\"collectedAt\":\"{COLLECTED_AT}\""
    )?;
    w.write_all(b",\"subscriptions\":")?;
    write_value(w, &Value::Array(subscriptions), pretty)?;
    w.write_all(b",\"resources\":[")?;
    let mut first = true;
    let (_, guest) = run(opts, &mut |v| {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        if pretty {
            w.write_all(b"\n")?;
        }
        write_value(w, &v, pretty)
    })?;
    w.write_all(b"],\"guest\":")?;
    write_value(w, &Value::Object(guest), pretty)?;
    w.write_all(b",\"diagnostics\":[]}\n")?;
    w.flush()
}

fn write_value(w: &mut dyn Write, v: &Value, pretty: bool) -> std::io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *w, v)?;
    } else {
        serde_json::to_writer(&mut *w, v)?;
    }
    Ok(())
}

/// The `subscriptions` entries; their ids come from a generator of their own so that the
/// resources do not depend on how the subscriptions are written.
fn subscription_bodies(opts: &GenerateOptions) -> Vec<Value> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed ^ 0x5eed_5eed);
    (0..opts.subscriptions.max(1))
        .map(|s| {
            let state = if s % 10 == 9 { "Warned" } else { "Enabled" };
            json!({
                "subscriptionId": uuid_like(&mut rng),
                "displayName": format!("Contoso Landing Zone {:02}", s + 1),
                "state": state
            })
        })
        .collect()
}

type Sink<'a> = &'a mut dyn FnMut(Value) -> std::io::Result<()>;

/// Generates every resource into `sink`; returns the subscription entries and guest facts.
fn run(
    opts: &GenerateOptions,
    sink: Sink<'_>,
) -> std::io::Result<(Vec<Value>, Map<String, Value>)> {
    let subscriptions = subscription_bodies(opts);
    let mut g = Gen {
        rng: Xoshiro256PlusPlus::seed_from_u64(opts.seed),
        sink,
        vnet_counter: 0,
        pip_counter: 0,
        guest: Map::new(),
    };
    let subs = subscriptions.len();
    for (s, body) in subscriptions.iter().enumerate() {
        let share = opts.vms / subs + usize::from(s < opts.vms % subs);
        let sid = body["subscriptionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        g.subscription(&sid, share)?;
    }
    Ok((subscriptions, g.guest))
}

struct Gen<'a> {
    rng: Xoshiro256PlusPlus,
    sink: Sink<'a>,
    vnet_counter: usize,
    pip_counter: usize,
    guest: Map<String, Value>,
}

/// Address of one side of a security rule.
enum Addr {
    One(String),
    Many(Vec<String>),
    Asgs(Vec<String>),
}

/// Destination ports of a security rule.
enum Ports {
    One(String),
    Many(Vec<String>),
}

struct Rule {
    name: String,
    description: Option<&'static str>,
    protocol: &'static str,
    src: Addr,
    dst: Addr,
    ports: Ports,
    allow: bool,
    priority: u32,
    inbound: bool,
}

struct Nsg {
    id: String,
    name: String,
    region: &'static str,
    rules: Vec<Rule>,
    subnets: Vec<String>,
    nics: Vec<String>,
}

struct Subnet {
    name: String,
    prefix: String,
    nsg: Option<usize>,
    route_table: Option<usize>,
    ip_configs: Vec<String>,
    next_host: u32,
    base: [u8; 3],
}

struct Vnet {
    id: String,
    name: String,
    region: &'static str,
    region_short: &'static str,
    net_rg: String,
    app_rg: String,
    space: String,
    subnets: Vec<Subnet>,
    /// Indexes of workload subnets (VMs go there).
    workload: Vec<usize>,
    nic_nsgs: Vec<usize>,
    bastion_subnet: Option<usize>,
    lbs: Vec<usize>,
    /// Whether VMs here may sit behind a load balancer.
    lb_allowed: bool,
    asgs: Vec<String>,
}

struct RouteTable {
    id: String,
    name: String,
    region: &'static str,
    routes: Vec<Value>,
    disable_bgp: bool,
    subnets: Vec<String>,
}

struct NatRule {
    name: String,
    frontend_port: u16,
    backend_port: u16,
    backend_ip_config: String,
}

struct Lb {
    id: String,
    name: String,
    region: &'static str,
    standard: bool,
    pip: String,
    nat_rules: Vec<NatRule>,
    pool_members: Vec<String>,
    range_rule: bool,
}

impl Gen<'_> {
    fn emit(&mut self, v: Value) -> std::io::Result<()> {
        (self.sink)(v)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn etag(&mut self) -> String {
        format!("W/\"{}\"", uuid_like(&mut self.rng))
    }

    /// A reference id as a live ARM body may spell it: mostly verbatim, sometimes with the
    /// resource group upper-cased (clients must compare ids case-insensitively).
    fn reference(&mut self, id: &str) -> String {
        if !self.chance(0.1) {
            return id.to_owned();
        }
        let lower = id.to_ascii_lowercase();
        match (lower.find("/resourcegroups/"), lower.find("/providers/")) {
            (Some(a), Some(b)) if a < b => {
                let start = a + "/resourcegroups/".len();
                format!(
                    "{}{}{}",
                    &id[..start],
                    id[start..b].to_ascii_uppercase(),
                    &id[b..]
                )
            }
            _ => id.to_owned(),
        }
    }

    fn subscription(&mut self, sid: &str, vms: usize) -> std::io::Result<()> {
        if vms == 0 {
            return Ok(());
        }
        let n_regions = (vms / 400 + 1).min(REGIONS.len());
        let first = self.rng.random_range(0..REGIONS.len());
        let regions: Vec<(&'static str, &'static str)> = (0..n_regions)
            .map(|i| REGIONS[(first + i) % REGIONS.len()])
            .collect();
        let n_vnets = vms.div_ceil(20).max(1);
        let nsg_budget = (vms / 5).max(1);
        let sub_prefix = format!("/subscriptions/{sid}");

        // ASGs: about one per 50 VMs, per region.
        let mut asgs_by_region: Vec<Vec<String>> = vec![Vec::new(); regions.len()];
        let n_asgs = (vms / 50).max(1);
        for a in 0..n_asgs {
            let ri = a % regions.len();
            let (region, short) = regions[ri];
            let rg = format!("rg-network-{region}");
            let name = format!(
                "asg-{}-{short}-{:02}",
                ROLES[a % ROLES.len()],
                a / ROLES.len()
            );
            let id = format!("{sub_prefix}/resourceGroups/{rg}/providers/Microsoft.Network/applicationSecurityGroups/{name}");
            let body = json!({
                "name": name, "id": id, "etag": self.etag(),
                "type": "Microsoft.Network/applicationSecurityGroups", "location": region,
                "properties": {"provisioningState": "Succeeded", "resourceGuid": uuid_like(&mut self.rng)}
            });
            self.emit(body)?;
            asgs_by_region[ri].push(id);
        }

        // VNets and their subnets.
        let mut vnets: Vec<Vnet> = Vec::with_capacity(n_vnets);
        for v in 0..n_vnets {
            let ri = v % regions.len();
            let (region, short) = regions[ri];
            let g = self.vnet_counter;
            self.vnet_counter += 1;
            let (o2, o3) = (((g >> 4) & 0xff) as u8, ((g & 0xf) << 4) as u8);
            let net_rg = format!("rg-network-{region}");
            let name = format!("vnet-{short}-{v:03}");
            let id = format!("{sub_prefix}/resourceGroups/{net_rg}/providers/Microsoft.Network/virtualNetworks/{name}");
            let mut subnets = vec![
                self.subnet("snet-web", [10, o2, o3], 24),
                self.subnet("snet-app", [10, o2, o3 + 1], 24),
            ];
            if self.chance(0.5) {
                subnets.push(self.subnet("snet-data", [10, o2, o3 + 2], 24));
            }
            let workload: Vec<usize> = (0..subnets.len()).collect();
            let bastion_subnet = if v % 25 == 0 {
                let mut s = self.subnet("AzureBastionSubnet", [10, o2, o3 + 3], 26);
                s.prefix = format!("10.{o2}.{}.0/26", o3 + 3);
                subnets.push(s);
                Some(subnets.len() - 1)
            } else {
                None
            };
            if self.chance(0.1) {
                let mut s = self.subnet("GatewaySubnet", [10, o2, o3 + 3], 27);
                s.prefix = format!("10.{o2}.{}.64/27", o3 + 3);
                subnets.push(s);
            }
            vnets.push(Vnet {
                id,
                name,
                region,
                region_short: short,
                net_rg,
                app_rg: format!("rg-app{:03}-{}", v / 2, ["prd", "dev", "tst"][v % 3]),
                space: format!("10.{o2}.{o3}.0/20"),
                subnets,
                workload,
                nic_nsgs: Vec::new(),
                bastion_subnet,
                lbs: Vec::new(),
                lb_allowed: v % 4 == 0,
                asgs: asgs_by_region[ri].clone(),
            });
        }

        // NSGs: subnet NSGs first (60% of workload subnets), the rest of the budget as NIC NSGs.
        let mut nsgs: Vec<Nsg> = Vec::with_capacity(nsg_budget);
        for vnet in vnets.iter_mut() {
            for &si in &vnet.workload.clone() {
                if nsgs.len() > nsg_budget / 2 || !self.rng.random_bool(0.6) {
                    continue;
                }
                let name = format!("nsg-{}-{}", vnet.name, vnet.subnets[si].name);
                let id = format!("{sub_prefix}/resourceGroups/{}/providers/Microsoft.Network/networkSecurityGroups/{name}", vnet.net_rg);
                let rules = self.rules(&vnet.asgs);
                vnet.subnets[si].nsg = Some(nsgs.len());
                nsgs.push(Nsg {
                    id,
                    name,
                    region: vnet.region,
                    rules,
                    subnets: Vec::new(),
                    nics: Vec::new(),
                });
            }
        }
        let mut v = 0;
        while nsgs.len() < nsg_budget {
            let vnet = &mut vnets[v % n_vnets];
            let name = format!("nsg-{}-nic-{:02}", vnet.name, vnet.nic_nsgs.len());
            let id = format!("{sub_prefix}/resourceGroups/{}/providers/Microsoft.Network/networkSecurityGroups/{name}", vnet.app_rg);
            let rules = self.rules(&vnet.asgs.clone());
            vnet.nic_nsgs.push(nsgs.len());
            nsgs.push(Nsg {
                id,
                name,
                region: vnet.region,
                rules,
                subnets: Vec::new(),
                nics: Vec::new(),
            });
            v += 1;
        }

        // Route tables on ~20% of workload subnets; ~15% of them send 0.0.0.0/0 to an NVA.
        let mut rts: Vec<RouteTable> = Vec::new();
        for vnet in vnets.iter_mut() {
            for &si in &vnet.workload.clone() {
                if !self.rng.random_bool(0.2) {
                    continue;
                }
                let name = format!("rt-{}-{}", vnet.name, vnet.subnets[si].name);
                let id = format!(
                    "{sub_prefix}/resourceGroups/{}/providers/Microsoft.Network/routeTables/{name}",
                    vnet.net_rg
                );
                let base = vnet.subnets[0].base;
                // Every seventh table (the first included) forces traffic through an appliance.
                let routes = self.routes(&id, base, rts.len() % 7 == 0);
                vnet.subnets[si].route_table = Some(rts.len());
                let disable_bgp = self.chance(0.3);
                rts.push(RouteTable {
                    id,
                    name,
                    region: vnet.region,
                    routes,
                    disable_bgp,
                    subnets: Vec::new(),
                });
            }
        }

        // VMs, NICs, public IPs, load balancers.
        let mut lbs: Vec<Lb> = Vec::new();
        for i in 0..vms {
            let vi = (i * n_vnets / vms).min(n_vnets - 1);
            self.vm(sid, i, &mut vnets[vi], &mut nsgs, &mut lbs)?;
        }

        // Bastions.
        for vnet in vnets.iter_mut() {
            if let Some(si) = vnet.bastion_subnet {
                self.bastion(sid, vnet, si)?;
            }
        }

        // Back-links, then emit the network resources.
        for vnet in &vnets {
            for s in &vnet.subnets {
                let sid_ = format!("{}/subnets/{}", vnet.id, s.name);
                if let Some(n) = s.nsg {
                    nsgs[n].subnets.push(sid_.clone());
                }
                if let Some(r) = s.route_table {
                    rts[r].subnets.push(sid_);
                }
            }
        }
        for vnet in &vnets {
            let body = self.vnet_body(vnet, &nsgs, &rts);
            self.emit(body)?;
        }
        for nsg in &nsgs {
            let body = self.nsg_body(nsg, &vnets[0].net_rg);
            self.emit(body)?;
        }
        for rt in &rts {
            let body = self.route_table_body(rt);
            self.emit(body)?;
        }
        for lb in &lbs {
            let body = self.lb_body(lb);
            self.emit(body)?;
        }
        Ok(())
    }

    fn subnet(&mut self, name: &str, base: [u8; 3], bits: u8) -> Subnet {
        Subnet {
            name: name.to_owned(),
            prefix: format!("{}.{}.{}.0/{bits}", base[0], base[1], base[2]),
            nsg: None,
            route_table: None,
            ip_configs: Vec::new(),
            next_host: 4,
            base,
        }
    }

    /// ~20 custom rules with distinct priorities: a realistic mix of RDP exposure patterns
    /// (open to the Internet, to corporate ranges, via port ranges and lists, shadowed by
    /// denies, over UDP), other services, service tags and ASGs.
    fn rules(&mut self, asgs: &[String]) -> Vec<Rule> {
        let n = self.rng.random_range(16..=24);
        let mut priorities = BTreeSet::new();
        while priorities.len() < n {
            priorities.insert(self.rng.random_range(100..=4000u32));
        }
        let mut out = Vec::with_capacity(n + 1);
        for (k, priority) in priorities.into_iter().enumerate() {
            let inbound = k % 4 != 3;
            out.push(if inbound {
                self.inbound_rule(priority, asgs)
            } else {
                self.outbound_rule(priority)
            });
        }
        if self.chance(0.3) {
            out.push(Rule {
                name: "Deny-All-Inbound".into(),
                description: Some("Explicit deny below all allows"),
                protocol: "*",
                src: Addr::One("*".into()),
                dst: Addr::One("*".into()),
                ports: Ports::One("*".into()),
                allow: false,
                priority: 4096,
                inbound: true,
            });
        }
        out
    }

    fn inbound_rule(&mut self, priority: u32, asgs: &[String]) -> Rule {
        let corp = |g: &mut Gen, n: usize| -> Vec<String> {
            CORP_CIDRS
                .sample(&mut g.rng, n)
                .map(|s| s.to_string())
                .collect()
        };
        let any = || Addr::One("*".into());
        let pick = self.rng.random_range(0..100);
        let (name, description, protocol, src, dst, ports, allow): (
            &str,
            Option<&'static str>,
            &str,
            Addr,
            Addr,
            Ports,
            bool,
        ) = match pick {
            0..=4 => (
                "Allow-RDP-Any",
                Some("Temporary: vendor access"),
                "Tcp",
                Addr::One(["*", "Internet", "0.0.0.0/0"][pick % 3].into()),
                any(),
                Ports::One("3389".into()),
                true,
            ),
            5..=16 => {
                let n = self.rng.random_range(1..=3);
                let src = if n == 1 {
                    Addr::One(corp(self, 1).remove(0))
                } else {
                    Addr::Many(corp(self, n))
                };
                (
                    "Allow-RDP-Corp",
                    Some("RDP from corporate egress"),
                    "Tcp",
                    src,
                    any(),
                    Ports::One("3389".into()),
                    true,
                )
            }
            17..=22 => (
                "Allow-RDP-VNet",
                None,
                "Tcp",
                Addr::One("VirtualNetwork".into()),
                any(),
                Ports::One("3389".into()),
                true,
            ),
            23..=27 => (
                "Allow-Mgmt-Range",
                Some("Management ports"),
                "*",
                Addr::Many(corp(self, 2)),
                any(),
                Ports::One("3380-3390".into()),
                true,
            ),
            28..=32 => (
                "Allow-Mgmt-List",
                None,
                "Tcp",
                Addr::One("Internet".into()),
                any(),
                Ports::Many(vec!["22".into(), "3389".into(), "5985-5986".into()]),
                self.chance(0.5),
            ),
            33..=39 => (
                "Deny-RDP-Internet",
                Some("Block RDP from the Internet"),
                "Tcp",
                Addr::One("Internet".into()),
                any(),
                Ports::One("3389".into()),
                false,
            ),
            40..=51 => (
                "Allow-HTTPS",
                None,
                "Tcp",
                Addr::One("Internet".into()),
                any(),
                Ports::Many(vec!["80".into(), "443".into()]),
                true,
            ),
            52..=58 => (
                "Allow-SSH-Corp",
                None,
                "Tcp",
                Addr::Many(corp(self, 2)),
                any(),
                Ports::One("22".into()),
                true,
            ),
            59..=62 => (
                "Allow-AzureLB",
                None,
                "*",
                Addr::One("AzureLoadBalancer".into()),
                any(),
                Ports::One("*".into()),
                true,
            ),
            63..=70 => {
                if asgs.is_empty() {
                    (
                        "Allow-SQL-VNet",
                        None,
                        "Tcp",
                        Addr::One("VirtualNetwork".into()),
                        any(),
                        Ports::One("1433".into()),
                        true,
                    )
                } else {
                    let s = asgs.choose(&mut self.rng).cloned().unwrap_or_default();
                    let d = asgs.choose(&mut self.rng).cloned().unwrap_or_default();
                    let port = ["1433", "3389", "*", "445"][pick % 4];
                    (
                        "Allow-ASG",
                        Some("Tier to tier"),
                        "Tcp",
                        Addr::Asgs(vec![s]),
                        Addr::Asgs(vec![d]),
                        Ports::One(port.into()),
                        true,
                    )
                }
            }
            71..=74 => (
                "Allow-RDP-UDP",
                Some("RDP Shortpath"),
                "Udp",
                Addr::Many(corp(self, 1)),
                any(),
                Ports::One("3389".into()),
                true,
            ),
            75..=78 => (
                "Allow-ICMP",
                None,
                "Icmp",
                Addr::One("VirtualNetwork".into()),
                any(),
                Ports::One("*".into()),
                true,
            ),
            79..=82 => {
                let ip = format!(
                    "52.{}.{}.{}",
                    self.rng.random_range(0..255),
                    self.rng.random_range(0..255),
                    self.rng.random_range(1..255)
                );
                (
                    "Allow-Partner-IP",
                    Some("Partner jump host"),
                    "Tcp",
                    Addr::One(ip),
                    Addr::One("VirtualNetwork".into()),
                    Ports::One("3389".into()),
                    true,
                )
            }
            83..=86 => (
                "Allow-WinRM",
                None,
                "Tcp",
                Addr::One("AzureCloud".into()),
                any(),
                Ports::One("5985-5986".into()),
                true,
            ),
            87..=90 => (
                "Deny-Any-Corp-Bad",
                None,
                "*",
                Addr::Many(vec!["80.80.80.0/22".into(), "198.51.100.17/32".into()]),
                any(),
                Ports::One("*".into()),
                false,
            ),
            91..=94 => (
                "Allow-GatewayManager",
                None,
                "Tcp",
                Addr::One("GatewayManager".into()),
                any(),
                Ports::One("443".into()),
                true,
            ),
            _ => (
                "Allow-App-Ports",
                None,
                "Tcp",
                Addr::One("VirtualNetwork".into()),
                Addr::Many(vec!["10.0.0.0/8".into()]),
                Ports::Many(vec!["8080-8090".into(), "9000".into()]),
                true,
            ),
        };
        Rule {
            name: format!("{name}-{priority}"),
            description,
            protocol: static_protocol(protocol),
            src,
            dst,
            ports,
            allow,
            priority,
            inbound: true,
        }
    }

    fn outbound_rule(&mut self, priority: u32) -> Rule {
        let region = REGIONS
            .choose(&mut self.rng)
            .map(|r| r.0)
            .unwrap_or("westeurope");
        let pick = self.rng.random_range(0..4);
        let (name, dst, ports, allow) = match pick {
            0 => (
                "Allow-HTTPS-Out",
                Addr::One("Internet".into()),
                Ports::One("443".into()),
                true,
            ),
            1 => (
                "Allow-Storage-Out",
                Addr::One(format!("Storage.{}", capitalise(region))),
                Ports::One("443".into()),
                true,
            ),
            2 => (
                "Deny-Internet-Out",
                Addr::One("Internet".into()),
                Ports::One("*".into()),
                false,
            ),
            _ => (
                "Allow-KMS-Out",
                Addr::Many(vec!["20.118.99.224/32".into(), "40.83.235.53/32".into()]),
                Ports::One("1688".into()),
                true,
            ),
        };
        Rule {
            name: format!("{name}-{priority}"),
            description: None,
            protocol: "Tcp",
            src: Addr::One("VirtualNetwork".into()),
            dst,
            ports,
            allow,
            priority,
            inbound: false,
        }
    }

    fn routes(&mut self, rt_id: &str, base: [u8; 3], nva: bool) -> Vec<Value> {
        let mut routes = Vec::new();
        let mut add = |g: &mut Gen, name: &str, prefix: &str, hop: &str, ip: Option<String>| {
            let mut props = json!({"provisioningState": "Succeeded", "addressPrefix": prefix, "nextHopType": hop, "hasBgpOverride": false});
            if let (Some(ip), Some(o)) = (ip, props.as_object_mut()) {
                o.insert("nextHopIpAddress".into(), json!(ip));
            }
            routes.push(json!({
                "name": name, "id": format!("{rt_id}/routes/{name}"), "etag": g.etag(),
                "type": "Microsoft.Network/routeTables/routes", "properties": props
            }));
        };
        if nva {
            add(
                self,
                "default-to-nva",
                "0.0.0.0/0",
                "VirtualAppliance",
                Some(format!("{}.{}.{}.4", base[0], base[1], base[2] + 4)),
            );
        }
        if self.chance(0.6) {
            add(
                self,
                "to-onprem",
                "192.168.0.0/16",
                "VirtualNetworkGateway",
                None,
            );
        }
        if self.chance(0.3) {
            add(self, "blackhole-legacy", "10.250.0.0/16", "None", None);
        }
        add(self, "kms", "20.118.99.224/32", "Internet", None);
        routes
    }

    fn next_public_ip(&mut self) -> String {
        let c = self.pip_counter;
        self.pip_counter += 1;
        let first = [20u8, 40, 51, 52, 13, 4][c % 6];
        let rest = c / 6;
        format!(
            "{first}.{}.{}.{}",
            64 + (rest >> 16) % 160,
            (rest >> 8) & 0xff,
            1 + (rest & 0xff) % 254
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn public_ip(
        &mut self,
        sid: &str,
        rg: &str,
        name: &str,
        region: &str,
        standard: bool,
        attached_to: &str,
        deallocated: bool,
    ) -> std::io::Result<String> {
        let id = format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Network/publicIPAddresses/{name}");
        let dynamic = !standard && self.chance(0.5);
        let mut props = Map::new();
        props.insert("provisioningState".into(), json!("Succeeded"));
        props.insert("resourceGuid".into(), json!(uuid_like(&mut self.rng)));
        let address = self.next_public_ip();
        if !(dynamic && deallocated) {
            props.insert("ipAddress".into(), json!(address));
        }
        props.insert("publicIPAddressVersion".into(), json!("IPv4"));
        props.insert(
            "publicIPAllocationMethod".into(),
            json!(if dynamic { "Dynamic" } else { "Static" }),
        );
        props.insert("idleTimeoutInMinutes".into(), json!(4));
        props.insert("ipTags".into(), json!([]));
        if self.chance(0.35) {
            let label = format!(
                "{}-{:04x}",
                name.trim_start_matches("pip-"),
                self.rng.random_range(0..0xffffu32)
            );
            props.insert(
                "dnsSettings".into(),
                json!({"domainNameLabel": label, "fqdn": format!("{label}.{region}.cloudapp.azure.com")}),
            );
        }
        let reference = self.reference(attached_to);
        props.insert("ipConfiguration".into(), json!({"id": reference}));
        let mut body = json!({
            "name": name, "id": id, "etag": self.etag(), "location": region,
            "type": "Microsoft.Network/publicIPAddresses",
            "properties": props,
        });
        if let Some(o) = body.as_object_mut() {
            // Live ARM omits `sku` on some old Basic addresses.
            if standard || self.rng.random_bool(0.7) {
                o.insert("sku".into(), json!({"name": if standard { "Standard" } else { "Basic" }, "tier": "Regional"}));
            }
            if standard && self.rng.random_bool(0.3) {
                o.insert("zones".into(), json!(["1", "2", "3"]));
            }
        }
        self.emit(body)?;
        Ok(id)
    }

    fn vm(
        &mut self,
        sid: &str,
        i: usize,
        vnet: &mut Vnet,
        nsgs: &mut [Nsg],
        lbs: &mut Vec<Lb>,
    ) -> std::io::Result<()> {
        let role = ROLES[i % ROLES.len()];
        let name = format!("vm{}{role}{i:04}", vnet.region_short);
        let rg = vnet.app_rg.clone();
        let region = vnet.region;
        let prefix = format!("/subscriptions/{sid}/resourceGroups/{rg}/providers");
        let vm_id = format!("{prefix}/Microsoft.Compute/virtualMachines/{name}");
        let nic_name = format!("nic-{name}");
        let nic_id = format!("{prefix}/Microsoft.Network/networkInterfaces/{nic_name}");
        let ipc_id = format!("{nic_id}/ipConfigurations/ipconfig1");
        let linux = self.chance(0.1);
        let power = match self.rng.random_range(0..100) {
            0..=81 => Some("running"),
            82..=91 => Some("deallocated"),
            92..=95 => Some("stopped"),
            96 => Some("starting"),
            97 => Some("deallocating"),
            98 => Some("stopping"),
            _ => None,
        };
        let deallocated = matches!(power, Some("deallocated") | Some("deallocating"));

        // Subnet and private address.
        let si = *vnet.workload.choose(&mut self.rng).unwrap_or(&0);
        let subnet_id = format!("{}/subnets/{}", vnet.id, vnet.subnets[si].name);
        let subnet = &mut vnet.subnets[si];
        let host = subnet.next_host;
        subnet.next_host = if host >= 254 { 4 } else { host + 1 };
        let private_ip = format!(
            "{}.{}.{}.{}",
            subnet.base[0], subnet.base[1], subnet.base[2], host
        );
        subnet.ip_configs.push(ipc_id.clone());

        // Ingress: an instance public IP, a load-balancer NAT rule (only in every fourth VNet, so
        // load balancers stay few and well filled), or private only. Overall ~70% / ~7% / ~23%.
        let roll = self.rng.random_range(0..100);
        let path = match (vnet.lb_allowed, roll) {
            (true, r) if r < 60 => 0,
            (true, r) if r < 90 => 75,
            (false, r) if r < 73 => 0,
            _ => 99,
        };
        let mut pip_id = None;
        let mut nat_rule_ids = Vec::new();
        let mut pool_ids = Vec::new();
        if path < 70 {
            let standard = self.chance(0.85);
            pip_id = Some(self.public_ip(
                sid,
                &rg,
                &format!("pip-{name}"),
                region,
                standard,
                &ipc_id,
                deallocated,
            )?);
        } else if path < 80 {
            let lbi = match vnet.lbs.last() {
                Some(&l) if lbs[l].nat_rules.len() < 25 => l,
                _ => {
                    let standard = self.chance(0.8);
                    let lb_name = format!("lb-{}-{:02}", vnet.name, vnet.lbs.len());
                    let lb_id = format!("{prefix}/Microsoft.Network/loadBalancers/{lb_name}");
                    let fe = format!("{lb_id}/frontendIPConfigurations/fe-public");
                    let pip = self.public_ip(
                        sid,
                        &rg,
                        &format!("pip-{lb_name}"),
                        region,
                        standard,
                        &fe,
                        false,
                    )?;
                    let range_rule = self.chance(0.3);
                    lbs.push(Lb {
                        id: lb_id,
                        name: lb_name,
                        region,
                        standard,
                        pip,
                        nat_rules: Vec::new(),
                        pool_members: Vec::new(),
                        range_rule,
                    });
                    vnet.lbs.push(lbs.len() - 1);
                    lbs.len() - 1
                }
            };
            let lb = &mut lbs[lbi];
            let k = lb.nat_rules.len() as u16;
            let rule_name = format!("rdp-{name}");
            let frontend_port = if k == 0 && self.rng.random_bool(0.2) {
                3389
            } else {
                50001 + k
            };
            let backend_port = if linux {
                22
            } else if self.rng.random_bool(0.05) {
                3390
            } else {
                3389
            };
            nat_rule_ids.push(format!("{}/inboundNatRules/{rule_name}", lb.id));
            lb.nat_rules.push(NatRule {
                name: rule_name,
                frontend_port,
                backend_port,
                backend_ip_config: ipc_id.clone(),
            });
            lb.pool_members.push(ipc_id.clone());
            pool_ids.push(format!("{}/backendAddressPools/be-pool", lb.id));
        }

        // NIC-level NSG on ~45% of NICs.
        let nic_nsg = if !vnet.nic_nsgs.is_empty() && self.chance(0.45) {
            let n = *vnet
                .nic_nsgs
                .choose(&mut self.rng)
                .unwrap_or(&vnet.nic_nsgs[0]);
            nsgs[n].nics.push(nic_id.clone());
            Some(nsgs[n].id.clone())
        } else {
            None
        };
        let asgs: Vec<String> = if self.chance(0.4) && !vnet.asgs.is_empty() {
            let k = self.rng.random_range(1..=2.min(vnet.asgs.len()));
            vnet.asgs.sample(&mut self.rng, k).cloned().collect()
        } else {
            Vec::new()
        };

        // NIC.
        let mut ipc_props = json!({
            "provisioningState": "Succeeded",
            "privateIPAddress": private_ip,
            "privateIPAllocationMethod": if self.chance(0.2) { "Static" } else { "Dynamic" },
            "subnet": {"id": self.reference(&subnet_id)},
            "primary": true,
            "privateIPAddressVersion": "IPv4"
        });
        if let Some(o) = ipc_props.as_object_mut() {
            if let Some(p) = &pip_id {
                o.insert("publicIPAddress".into(), json!({"id": p}));
            }
            if !asgs.is_empty() {
                o.insert(
                    "applicationSecurityGroups".into(),
                    json!(asgs.iter().map(|a| json!({"id": a})).collect::<Vec<_>>()),
                );
            }
            if !nat_rule_ids.is_empty() {
                o.insert(
                    "loadBalancerInboundNatRules".into(),
                    json!(nat_rule_ids
                        .iter()
                        .map(|a| json!({"id": a}))
                        .collect::<Vec<_>>()),
                );
                o.insert(
                    "loadBalancerBackendAddressPools".into(),
                    json!(pool_ids
                        .iter()
                        .map(|a| json!({"id": a}))
                        .collect::<Vec<_>>()),
                );
            }
        }
        let mut nic_props = json!({
            "provisioningState": "Succeeded",
            "resourceGuid": uuid_like(&mut self.rng),
            "ipConfigurations": [{
                "name": "ipconfig1", "id": ipc_id, "etag": self.etag(),
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": ipc_props
            }],
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": [], "internalDomainNameSuffix": format!("{}.ax.internal.cloudapp.net", &uuid_like(&mut self.rng)[..8])},
            "macAddress": format!("00-22-48-{:02X}-{:02X}-{:02X}", self.rng.random_range(0..256u32), self.rng.random_range(0..256u32), self.rng.random_range(0..256u32)),
            "enableAcceleratedNetworking": self.chance(0.6),
            "vnetEncryptionSupported": false,
            "enableIPForwarding": false,
            "disableTcpStateTracking": false,
            "primary": true,
            "virtualMachine": {"id": self.reference(&vm_id)},
            "hostedWorkloads": [],
            "tapConfigurations": [],
            "nicType": "Standard",
            "auxiliaryMode": "None",
            "auxiliarySku": "None"
        });
        if let (Some(n), Some(o)) = (nic_nsg, nic_props.as_object_mut()) {
            o.insert("networkSecurityGroup".into(), json!({"id": n}));
        }
        let nic = json!({
            "name": nic_name, "id": nic_id, "etag": self.etag(), "location": region,
            "type": "Microsoft.Network/networkInterfaces", "kind": "Regular",
            "properties": nic_props
        });
        self.emit(nic)?;

        // VM.
        let nic_ref = self.reference(&nic_id);
        let body = self.vm_body(&name, &vm_id, region, linux, power, &nic_ref, &rg, sid);
        self.emit(body)?;

        // Guest facts for ~5% of running Windows VMs (as `rdpaudit --guest` would record).
        if !linux && power == Some("running") && self.chance(0.05) {
            let port = if self.chance(0.2) { 3390 } else { 3389 };
            self.guest.insert(
                vm_id,
                json!({
                    "rdpPort": port, "rdpEnabled": self.rng.random_bool(0.9),
                    "termServiceRunning": self.rng.random_bool(0.95), "listening": self.rng.random_bool(0.9),
                    "firewallAllowsRdp": self.rng.random_bool(0.85), "nla": self.rng.random_bool(0.8)
                }),
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn vm_body(
        &mut self,
        name: &str,
        id: &str,
        region: &str,
        linux: bool,
        power: Option<&str>,
        nic: &str,
        rg: &str,
        sid: &str,
    ) -> Value {
        let provisioning = match self.rng.random_range(0..100) {
            0 => "Failed",
            1 => "Updating",
            _ => "Succeeded",
        };
        let (image, os_name, os_version) = if linux {
            (
                json!({"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest", "exactVersion": "22.04.202501080"}),
                "ubuntu",
                "22.04",
            )
        } else if self.chance(0.6) {
            (
                json!({"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition", "version": "latest", "exactVersion": "20348.2966.241205"}),
                "Windows Server 2022 Datacenter Azure Edition",
                "10.0.20348.2966",
            )
        } else {
            (
                json!({"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2019-datacenter-gensecond", "version": "latest", "exactVersion": "17763.6659.241205"}),
                "Windows Server 2019 Datacenter",
                "10.0.17763.6659",
            )
        };
        let os_type = if linux { "Linux" } else { "Windows" };
        let disk = format!(
            "{name}_OsDisk_1_{}",
            uuid_like(&mut self.rng).replace('-', "")
        );
        let specialized = self.chance(0.02);
        let mut props = json!({
            "vmId": uuid_like(&mut self.rng),
            "hardwareProfile": {"vmSize": VM_SIZES.choose(&mut self.rng).copied().unwrap_or("Standard_D2s_v5")},
            "storageProfile": {
                "imageReference": image,
                "osDisk": {
                    "osType": os_type, "name": disk,
                    "createOption": if specialized { "Attach" } else { "FromImage" },
                    "caching": "ReadWrite",
                    "managedDisk": {"storageAccountType": "Premium_LRS", "id": format!("/subscriptions/{sid}/resourceGroups/{}/providers/Microsoft.Compute/disks/{disk}", rg.to_ascii_uppercase())},
                    "deleteOption": "Delete", "diskSizeGB": if linux { 30 } else { 127 }
                },
                "dataDisks": [], "diskControllerType": "SCSI"
            },
            "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true, "deleteOption": "Detach"}}]},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}},
            "provisioningState": provisioning,
            "timeCreated": format!("2024-{:02}-{:02}T{:02}:{:02}:11.5546187+00:00", self.rng.random_range(1..=12), self.rng.random_range(1..=28), self.rng.random_range(0..24), self.rng.random_range(0..60)),
        });
        let computer = name
            .to_ascii_uppercase()
            .chars()
            .take(15)
            .collect::<String>();
        if let Some(o) = props.as_object_mut() {
            if !specialized {
                let config = if linux {
                    (
                        "linuxConfiguration",
                        json!({"disablePasswordAuthentication": true, "provisionVMAgent": true, "patchSettings": {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}}),
                    )
                } else {
                    (
                        "windowsConfiguration",
                        json!({"provisionVMAgent": true, "enableAutomaticUpdates": true, "patchSettings": {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault", "enableHotpatching": false}}),
                    )
                };
                let mut profile = json!({"computerName": computer, "adminUsername": "azureadmin", "secrets": [], "allowExtensionOperations": true, "requireGuestProvisionSignal": true});
                if let Some(p) = profile.as_object_mut() {
                    p.insert(config.0.into(), config.1);
                }
                o.insert("osProfile".into(), profile);
            }
            if self.rng.random_bool(0.5) {
                o.insert("securityProfile".into(), json!({"uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}, "securityType": "TrustedLaunch"}));
            }
            o.insert(
                "instanceView".into(),
                self.instance_view(&computer, os_name, os_version, provisioning, power),
            );
        }
        let env = ["prd", "dev", "tst"][self.rng.random_range(0..3)];
        let mut body = json!({
            "name": name, "id": id, "type": "Microsoft.Compute/virtualMachines", "location": region,
            "tags": {"env": env, "owner": format!("team-{}", self.rng.random_range(1..=12)), "costCenter": format!("CC{}", self.rng.random_range(1000..1100))},
            "properties": props
        });
        if self.chance(0.3) {
            if let Some(o) = body.as_object_mut() {
                let zone = ["1", "2", "3"][self.rng.random_range(0..3)];
                o.insert("zones".into(), json!([zone]));
            }
        }
        body
    }

    fn instance_view(
        &mut self,
        computer: &str,
        os_name: &str,
        os_version: &str,
        provisioning: &str,
        power: Option<&str>,
    ) -> Value {
        let mut statuses = vec![json!({
            "code": format!("ProvisioningState/{}", provisioning.to_ascii_lowercase()),
            "level": if provisioning == "Failed" { "Error" } else { "Info" },
            "displayStatus": format!("Provisioning {}", provisioning.to_ascii_lowercase()),
            "time": "2025-12-01T08:12:44.4566134+00:00"
        })];
        if let Some(p) = power {
            statuses.push(json!({"code": format!("PowerState/{p}"), "level": "Info", "displayStatus": format!("VM {p}")}));
        }
        let mut iv = json!({"computerName": computer, "osName": os_name, "osVersion": os_version, "hyperVGeneration": "V2", "statuses": statuses});
        if power == Some("running") {
            let ready = self.chance(0.9);
            let agent = json!({
                "vmAgentVersion": "2.7.41491.1102",
                "statuses": [{
                    "code": "ProvisioningState/succeeded",
                    "level": if ready { "Info" } else { "Warning" },
                    "displayStatus": if ready { "Ready" } else { "Not Ready" },
                    "message": if ready { "GuestAgent is running and processing the extensions." } else { "VM status blob is found but not yet populated." },
                    "time": "2026-01-15T01:58:02+00:00"
                }],
                "extensionHandlers": []
            });
            if let Some(o) = iv.as_object_mut() {
                o.insert("vmAgent".into(), agent);
            }
        }
        iv
    }

    fn bastion(&mut self, sid: &str, vnet: &mut Vnet, si: usize) -> std::io::Result<()> {
        let name = format!("bas-{}", vnet.name);
        let rg = vnet.net_rg.clone();
        let id = format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{name}");
        let ipc = format!("{id}/bastionHostIpConfigurations/IpConf");
        let pip = self.public_ip(
            sid,
            &rg,
            &format!("pip-{name}"),
            vnet.region,
            true,
            &ipc,
            false,
        )?;
        let subnet_id = format!("{}/subnets/AzureBastionSubnet", vnet.id);
        vnet.subnets[si].ip_configs.push(ipc.clone());
        let standard = self.chance(0.5);
        let body = json!({
            "name": name, "id": id, "etag": self.etag(), "location": vnet.region,
            "type": "Microsoft.Network/bastionHosts",
            "sku": {"name": if standard { "Standard" } else { "Basic" }},
            "properties": {
                "provisioningState": "Succeeded",
                "dnsName": format!("bst-{}.bastion.azure.com", uuid_like(&mut self.rng)),
                "scaleUnits": 2,
                "enableTunneling": standard,
                "enableIpConnect": false,
                "enableShareableLink": false,
                "enableKerberos": false,
                "disableCopyPaste": false,
                "ipConfigurations": [{
                    "name": "IpConf", "id": ipc, "etag": self.etag(),
                    "type": "Microsoft.Network/bastionHosts/bastionHostIpConfigurations",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateIPAllocationMethod": "Dynamic",
                        "publicIPAddress": {"id": pip},
                        "subnet": {"id": subnet_id}
                    }
                }]
            }
        });
        self.emit(body)?;
        Ok(())
    }

    fn vnet_body(&mut self, vnet: &Vnet, nsgs: &[Nsg], rts: &[RouteTable]) -> Value {
        let subnets: Vec<Value> = vnet
            .subnets
            .iter()
            .map(|s| {
                let mut props = json!({
                    "provisioningState": "Succeeded",
                    "addressPrefix": s.prefix,
                    "delegations": [],
                    "privateEndpointNetworkPolicies": "Disabled",
                    "privateLinkServiceNetworkPolicies": "Enabled",
                    "ipConfigurations": s.ip_configs.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()
                });
                if let Some(o) = props.as_object_mut() {
                    if let Some(n) = s.nsg {
                        o.insert("networkSecurityGroup".into(), json!({"id": nsgs[n].id}));
                    }
                    if let Some(r) = s.route_table {
                        o.insert("routeTable".into(), json!({"id": rts[r].id}));
                    }
                    if s.name == "snet-data" {
                        o.insert("defaultOutboundAccess".into(), json!(false));
                    }
                }
                json!({
                    "name": s.name, "id": format!("{}/subnets/{}", vnet.id, s.name), "etag": self.etag(),
                    "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props
                })
            })
            .collect();
        json!({
            "name": vnet.name, "id": vnet.id, "etag": self.etag(), "location": vnet.region,
            "type": "Microsoft.Network/virtualNetworks",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": uuid_like(&mut self.rng),
                "addressSpace": {"addressPrefixes": [vnet.space]},
                "subnets": subnets,
                "virtualNetworkPeerings": [],
                "enableDdosProtection": false
            }
        })
    }

    fn nsg_body(&mut self, nsg: &Nsg, _net_rg: &str) -> Value {
        let rules: Vec<Value> = nsg
            .rules
            .iter()
            .map(|r| self.rule_body(&nsg.id, r))
            .collect();
        let defaults: Vec<Value> = default_rules(&nsg.id)
            .into_iter()
            .map(|mut d| {
                if let Some(o) = d.as_object_mut() {
                    o.insert("etag".into(), json!(self.etag()));
                }
                d
            })
            .collect();
        json!({
            "name": nsg.name, "id": nsg.id, "etag": self.etag(), "location": nsg.region,
            "type": "Microsoft.Network/networkSecurityGroups",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": uuid_like(&mut self.rng),
                "securityRules": rules,
                "defaultSecurityRules": defaults,
                "subnets": nsg.subnets.iter().map(|s| json!({"id": s})).collect::<Vec<_>>(),
                "networkInterfaces": nsg.nics.iter().map(|n| json!({"id": n})).collect::<Vec<_>>()
            }
        })
    }

    /// A security rule the way live ARM returns it: the unused plural arrays are present and
    /// empty, the unused singular field is absent.
    fn rule_body(&mut self, nsg_id: &str, r: &Rule) -> Value {
        let mut p = Map::new();
        p.insert("provisioningState".into(), json!("Succeeded"));
        if let Some(d) = r.description {
            p.insert("description".into(), json!(d));
        }
        p.insert("protocol".into(), json!(r.protocol));
        p.insert("sourcePortRange".into(), json!("*"));
        match &r.ports {
            Ports::One(x) => {
                p.insert("destinationPortRange".into(), json!(x));
                p.insert("destinationPortRanges".into(), json!([]));
            }
            Ports::Many(xs) => {
                p.insert("destinationPortRanges".into(), json!(xs));
            }
        }
        addr_fields(&mut p, "source", &r.src);
        addr_fields(&mut p, "destination", &r.dst);
        p.insert(
            "access".into(),
            json!(if r.allow { "Allow" } else { "Deny" }),
        );
        p.insert("priority".into(), json!(r.priority));
        p.insert(
            "direction".into(),
            json!(if r.inbound { "Inbound" } else { "Outbound" }),
        );
        p.insert("sourcePortRanges".into(), json!([]));
        json!({
            "name": r.name, "id": format!("{nsg_id}/securityRules/{}", r.name), "etag": self.etag(),
            "type": "Microsoft.Network/networkSecurityGroups/securityRules",
            "properties": p
        })
    }

    fn route_table_body(&mut self, rt: &RouteTable) -> Value {
        json!({
            "name": rt.name, "id": rt.id, "etag": self.etag(), "location": rt.region,
            "type": "Microsoft.Network/routeTables",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": uuid_like(&mut self.rng),
                "disableBgpRoutePropagation": rt.disable_bgp,
                "routes": rt.routes,
                "subnets": rt.subnets.iter().map(|s| json!({"id": s})).collect::<Vec<_>>()
            }
        })
    }

    fn lb_body(&mut self, lb: &Lb) -> Value {
        let fe = format!("{}/frontendIPConfigurations/fe-public", lb.id);
        let pool = format!("{}/backendAddressPools/be-pool", lb.id);
        let probe = format!("{}/probes/probe-443", lb.id);
        let lbr = format!("{}/loadBalancingRules/https", lb.id);
        let mut nat_rules: Vec<Value> = lb
            .nat_rules
            .iter()
            .map(|r| {
                json!({
                    "name": r.name, "id": format!("{}/inboundNatRules/{}", lb.id, r.name), "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "frontendIPConfiguration": {"id": fe},
                        "frontendPort": r.frontend_port,
                        "backendPort": r.backend_port,
                        "enableFloatingIP": false,
                        "idleTimeoutInMinutes": 4,
                        "protocol": "Tcp",
                        "enableDestinationServiceEndpoint": false,
                        "enableTcpReset": lb.standard,
                        "allowBackendPortConflict": false,
                        "backendIPConfiguration": {"id": self.reference(&r.backend_ip_config)}
                    }
                })
            })
            .collect();
        if lb.range_rule {
            // New-style NAT rule: a frontend port range mapped onto a backend pool.
            nat_rules.push(json!({
                "name": "rdp-range", "id": format!("{}/inboundNatRules/rdp-range", lb.id), "etag": self.etag(),
                "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": {"id": fe},
                    "frontendPortRangeStart": 60000, "frontendPortRangeEnd": 60099,
                    "backendPort": 3389, "protocol": "Tcp", "enableFloatingIP": false,
                    "idleTimeoutInMinutes": 4, "enableTcpReset": lb.standard,
                    "backendAddressPool": {"id": pool}
                }
            }));
        }
        let nat_ids: Vec<Value> = nat_rules.iter().map(|r| json!({"id": r["id"]})).collect();
        json!({
            "name": lb.name, "id": lb.id, "etag": self.etag(), "location": lb.region,
            "type": "Microsoft.Network/loadBalancers",
            "sku": {"name": if lb.standard { "Standard" } else { "Basic" }, "tier": "Regional"},
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": uuid_like(&mut self.rng),
                "frontendIPConfigurations": [{
                    "name": "fe-public", "id": fe, "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/frontendIPConfigurations",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateIPAllocationMethod": "Dynamic",
                        "publicIPAddress": {"id": lb.pip},
                        "inboundNatRules": nat_ids,
                        "loadBalancingRules": [{"id": lbr}]
                    }
                }],
                "backendAddressPools": [{
                    "name": "be-pool", "id": pool, "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/backendAddressPools",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "backendIPConfigurations": lb.pool_members.iter().map(|m| json!({"id": m})).collect::<Vec<_>>(),
                        "loadBalancingRules": [{"id": lbr}]
                    }
                }],
                "loadBalancingRules": [{
                    "name": "https", "id": lbr, "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "frontendIPConfiguration": {"id": fe},
                        "frontendPort": 443, "backendPort": 443, "enableFloatingIP": false,
                        "idleTimeoutInMinutes": 4, "protocol": "Tcp", "loadDistribution": "Default",
                        "disableOutboundSnat": lb.standard, "enableTcpReset": lb.standard,
                        "backendAddressPool": {"id": pool}, "backendAddressPools": [{"id": pool}],
                        "probe": {"id": probe}
                    }
                }],
                "probes": [{
                    "name": "probe-443", "id": probe, "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/probes",
                    "properties": {"provisioningState": "Succeeded", "protocol": "Tcp", "port": 443, "intervalInSeconds": 5, "numberOfProbes": 2, "probeThreshold": 1, "loadBalancingRules": [{"id": lbr}]}
                }],
                "inboundNatRules": nat_rules,
                "inboundNatPools": [],
                "outboundRules": []
            }
        })
    }
}

fn static_protocol(p: &str) -> &'static str {
    match p {
        "Tcp" => "Tcp",
        "Udp" => "Udp",
        "Icmp" => "Icmp",
        _ => "*",
    }
}

fn capitalise(region: &str) -> String {
    let mut c = region.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn addr_fields(p: &mut Map<String, Value>, side: &str, a: &Addr) {
    match a {
        Addr::One(x) => {
            p.insert(format!("{side}AddressPrefix"), json!(x));
            p.insert(format!("{side}AddressPrefixes"), json!([]));
        }
        Addr::Many(xs) => {
            p.insert(format!("{side}AddressPrefixes"), json!(xs));
        }
        Addr::Asgs(ids) => {
            p.insert(format!("{side}AddressPrefixes"), json!([]));
            p.insert(
                format!("{side}ApplicationSecurityGroups"),
                json!(ids.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()),
            );
        }
    }
}

/// The six default rules every NSG carries, exactly as ARM returns them
/// (<https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules>).
pub fn default_rules(nsg_id: &str) -> Vec<Value> {
    const DEFAULTS: [(&str, &str, &str, &str, &str, u32, &str); 6] = [
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        (
            "DenyAllInBound",
            "Deny all inbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Inbound",
        ),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        (
            "DenyAllOutBound",
            "Deny all outbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Outbound",
        ),
    ];
    DEFAULTS
        .iter()
        .map(
            |&(name, description, src, dst, access, priority, direction)| {
                json!({
                    "name": name,
                    "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                    "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "description": description,
                        "protocol": "*",
                        "sourcePortRange": "*",
                        "destinationPortRange": "*",
                        "sourceAddressPrefix": src,
                        "destinationAddressPrefix": dst,
                        "access": access,
                        "priority": priority,
                        "direction": direction,
                        "sourcePortRanges": [],
                        "destinationPortRanges": [],
                        "sourceAddressPrefixes": [],
                        "destinationAddressPrefixes": []
                    }
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn resources(doc: &Value) -> &Vec<Value> {
        doc["resources"].as_array().expect("resources array")
    }

    fn count(doc: &Value, ty: &str) -> usize {
        resources(doc).iter().filter(|r| r["type"] == ty).count()
    }

    #[test]
    fn deterministic_for_a_seed() {
        let opts = GenerateOptions {
            vms: 60,
            seed: 42,
            subscriptions: 2,
        };
        assert_eq!(generate(&opts), generate(&opts));
        assert_ne!(
            generate(&opts),
            generate(&GenerateOptions {
                seed: 43,
                ..opts.clone()
            })
        );
    }

    #[test]
    fn streamed_output_equals_the_in_memory_document() {
        let opts = GenerateOptions {
            vms: 50,
            seed: 4,
            subscriptions: 2,
        };
        for pretty in [false, true] {
            let mut buf = Vec::new();
            write_snapshot(&opts, pretty, &mut buf).expect("writes");
            let streamed: Value = serde_json::from_slice(&buf).expect("valid JSON");
            assert_eq!(streamed, generate(&opts));
        }
    }

    #[test]
    fn proportions_are_realistic() {
        let doc = generate(&GenerateOptions {
            vms: 1000,
            seed: 7,
            subscriptions: 1,
        });
        assert_eq!(count(&doc, "Microsoft.Compute/virtualMachines"), 1000);
        assert_eq!(count(&doc, "Microsoft.Network/networkInterfaces"), 1000);
        assert_eq!(count(&doc, "Microsoft.Network/networkSecurityGroups"), 200);
        assert_eq!(count(&doc, "Microsoft.Network/virtualNetworks"), 50);
        let pips = count(&doc, "Microsoft.Network/publicIPAddresses");
        assert!((650..=800).contains(&pips), "{pips} public IPs");
        assert!(count(&doc, "Microsoft.Network/loadBalancers") >= 2);
        assert!(count(&doc, "Microsoft.Network/bastionHosts") >= 1);
        assert!(count(&doc, "Microsoft.Network/routeTables") >= 10);
        let linux = resources(&doc)
            .iter()
            .filter(|r| {
                r.pointer("/properties/storageProfile/osDisk/osType") == Some(&json!("Linux"))
            })
            .count();
        assert!((50..=160).contains(&linux), "{linux} Linux VMs");
        let deallocated = resources(&doc)
            .iter()
            .filter(|r| r.to_string().contains("PowerState/deallocated"))
            .count();
        assert!(deallocated > 30, "{deallocated} deallocated");
        let nva = resources(&doc)
            .iter()
            .filter(|r| r.to_string().contains("\"VirtualAppliance\""))
            .count();
        assert!(nva >= 1, "no route table sends 0.0.0.0/0 to an appliance");
        for nsg in resources(&doc)
            .iter()
            .filter(|r| r["type"] == "Microsoft.Network/networkSecurityGroups")
        {
            let custom = nsg
                .pointer("/properties/securityRules")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            assert!((16..=25).contains(&custom));
            let defaults = nsg
                .pointer("/properties/defaultSecurityRules")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            assert_eq!(defaults, 6);
            let mut seen = HashSet::new();
            for r in nsg
                .pointer("/properties/securityRules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = (
                    r.pointer("/properties/direction").cloned(),
                    r.pointer("/properties/priority").cloned(),
                );
                assert!(seen.insert(key), "duplicate priority in {}", nsg["name"]);
            }
        }
    }

    /// Every `{"id": ...}` reference resolves (case-insensitively) to a resource or to a child
    /// inline in one, and ids are unique.
    #[test]
    fn every_reference_resolves() {
        let doc = generate(&GenerateOptions {
            vms: 400,
            seed: 3,
            subscriptions: 2,
        });
        let mut known: HashSet<String> = HashSet::new();
        fn collect_ids(v: &Value, out: &mut HashSet<String>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::String(id)) = o.get("id") {
                        if o.contains_key("name") {
                            out.insert(id.to_ascii_lowercase());
                        }
                    }
                    o.values().for_each(|x| collect_ids(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| collect_ids(x, out)),
                _ => {}
            }
        }
        let mut top: HashMap<String, usize> = HashMap::new();
        for r in resources(&doc) {
            collect_ids(r, &mut known);
            *top.entry(r["id"].as_str().unwrap_or("").to_ascii_lowercase())
                .or_default() += 1;
        }
        assert!(top.values().all(|&n| n == 1), "duplicate resource ids");
        fn check_refs(v: &Value, known: &HashSet<String>, missing: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    if o.len() == 1 {
                        if let Some(Value::String(id)) = o.get("id") {
                            // Managed disks are not part of the audited estate.
                            if !id.contains("/disks/") && !known.contains(&id.to_ascii_lowercase())
                            {
                                missing.push(id.clone());
                            }
                        }
                    }
                    o.values().for_each(|x| check_refs(x, known, missing));
                }
                Value::Array(a) => a.iter().for_each(|x| check_refs(x, known, missing)),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        for r in resources(&doc) {
            check_refs(r, &known, &mut missing);
        }
        assert!(
            missing.is_empty(),
            "unresolved: {:?}",
            &missing[..missing.len().min(5)]
        );
    }
}
