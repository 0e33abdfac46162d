//! One subscription's layout: regions, ASGs, VNets and subnets, NSGs, route tables and load
//! balancers, kept compact while the VMs are generated (names and ids are rebuilt from indexes
//! when a body is written), and the order in which everything is generated and emitted.

use super::gen::{Gen, Rng};
use super::routes::routes;
use super::rules::rules;
use super::tables::{ENVS, REGIONS, ROLES, WORKLOAD_2, WORKLOAD_3};
use rand::RngExt;
use serde_json::json;

/// One subscription while it is generated.
pub(super) struct Estate<'s> {
    pub sid: &'s str,
    /// Application security group ids by region index (into `regions`).
    pub asgs: Vec<Vec<String>>,
    pub vnets: Vec<Vnet>,
    pub nsgs: Vec<Nsg>,
    pub rts: Vec<RouteTable>,
    pub lbs: Vec<Lb>,
}

pub(super) struct Subnet {
    pub name: &'static str,
    pub base: [u8; 3],
    bits: u8,
    /// Last octet of the prefix (a gateway subnet shares a /24 with the Bastion subnet).
    host0: u8,
    pub nsg: Option<usize>,
    pub route_table: Option<usize>,
    /// Indexes of the VMs whose NIC is in this subnet, in order.
    pub vms: Vec<usize>,
    /// Whether the VNet's Bastion has its IP configuration here.
    pub bastion: bool,
    pub next_host: u32,
}

impl Subnet {
    fn new(name: &'static str, base: [u8; 3], bits: u8, host0: u8) -> Subnet {
        Subnet {
            name,
            base,
            bits,
            host0,
            nsg: None,
            route_table: None,
            vms: Vec::new(),
            bastion: false,
            next_host: 4,
        }
    }

    pub fn prefix(&self) -> String {
        let [a, b, c] = self.base;
        format!("{a}.{b}.{c}.{}/{}", self.host0, self.bits)
    }
}

pub(super) struct Vnet {
    /// Index in the subscription.
    pub v: usize,
    /// Second and third octet of the address space.
    o2: u8,
    o3: u8,
    /// Region index (into the subscription's regions).
    pub ri: usize,
    pub region: &'static str,
    pub region_short: &'static str,
    pub subnets: Vec<Subnet>,
    /// Indexes of workload subnets (VMs go there).
    pub workload: &'static [usize],
    pub nic_nsgs: Vec<usize>,
    pub bastion_subnet: Option<usize>,
    pub lbs: Vec<usize>,
    /// Whether VMs here may sit behind a load balancer.
    pub lb_allowed: bool,
}

impl Vnet {
    pub fn name(&self) -> String {
        format!("vnet-{}-{:03}", self.region_short, self.v)
    }

    /// The network resource group (VNets, subnet NSGs, route tables, ASGs, Bastions).
    pub fn net_rg(&self) -> String {
        format!("rg-network-{}", self.region)
    }

    /// The application resource group (VMs, NICs, public IPs, NIC NSGs, load balancers).
    pub fn app_rg(&self) -> String {
        format!("rg-app{:03}-{}", self.v / 2, ENVS[self.v % 3])
    }

    pub fn id(&self, sid: &str) -> String {
        format!(
            "/subscriptions/{sid}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}",
            self.net_rg(),
            self.name()
        )
    }

    pub fn space(&self) -> String {
        format!("10.{}.{}.0/20", self.o2, self.o3)
    }

    pub fn subnet_id(&self, sid: &str, si: usize) -> String {
        format!("{}/subnets/{}", self.id(sid), self.subnets[si].name)
    }

    pub fn bastion_name(&self) -> String {
        format!("bas-{}", self.name())
    }

    pub fn bastion_id(&self, sid: &str) -> String {
        format!(
            "/subscriptions/{sid}/resourceGroups/{}/providers/Microsoft.Network/bastionHosts/{}",
            self.net_rg(),
            self.bastion_name()
        )
    }
}

/// The names and ids of VM `i` (of its subscription) and of its NIC.
pub(super) struct VmIds {
    pub name: String,
    pub vm_id: String,
    pub nic_name: String,
    pub nic_id: String,
    pub ipc_id: String,
}

impl VmIds {
    pub fn new(sid: &str, vnet: &Vnet, i: usize) -> VmIds {
        let role = ROLES[i % ROLES.len()];
        let name = format!("vm{}{role}{i:04}", vnet.region_short);
        let prefix = format!(
            "/subscriptions/{sid}/resourceGroups/{}/providers",
            vnet.app_rg()
        );
        let vm_id = format!("{prefix}/Microsoft.Compute/virtualMachines/{name}");
        let nic_name = format!("nic-{name}");
        let nic_id = format!("{prefix}/Microsoft.Network/networkInterfaces/{nic_name}");
        let ipc_id = format!("{nic_id}/ipConfigurations/ipconfig1");
        VmIds {
            name,
            vm_id,
            nic_name,
            nic_id,
            ipc_id,
        }
    }
}

pub(super) enum NsgKind {
    /// On this workload subnet of its VNet.
    Subnet(usize),
    /// The k-th NIC-level NSG of its VNet.
    Nic(usize),
}

pub(super) struct Nsg {
    pub vnet: usize,
    pub kind: NsgKind,
    /// The generator as it was when the rules were drawn: they are drawn again when the NSG is
    /// written instead of being kept.
    pub rules_rng: Rng,
    /// Indexes of the VMs whose NIC it is on.
    pub nics: Vec<usize>,
}

pub(super) struct RouteTable {
    pub vnet: usize,
    pub subnet: usize,
    /// The generator as it was when the routes were drawn (see [`Nsg::rules_rng`]).
    pub routes_rng: Rng,
    pub nva: bool,
    pub disable_bgp: bool,
}

pub(super) struct NatRule {
    /// Index of the VM behind it.
    pub vm: usize,
    pub frontend_port: u16,
    pub backend_port: u16,
}

pub(super) struct Lb {
    pub vnet: usize,
    /// Index among its VNet's load balancers.
    pub k: usize,
    pub standard: bool,
    pub nat_rules: Vec<NatRule>,
    /// Whether it also has a port-range NAT rule onto its backend pool.
    pub range_rule: bool,
}

impl Estate<'_> {
    pub fn nsg_name(&self, n: usize) -> String {
        let nsg = &self.nsgs[n];
        let vnet = &self.vnets[nsg.vnet];
        match nsg.kind {
            NsgKind::Subnet(si) => format!("nsg-{}-{}", vnet.name(), vnet.subnets[si].name),
            NsgKind::Nic(k) => format!("nsg-{}-nic-{k:02}", vnet.name()),
        }
    }

    pub fn nsg_id(&self, n: usize) -> String {
        let nsg = &self.nsgs[n];
        let vnet = &self.vnets[nsg.vnet];
        let rg = match nsg.kind {
            NsgKind::Subnet(_) => vnet.net_rg(),
            NsgKind::Nic(_) => vnet.app_rg(),
        };
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{}",
            self.sid,
            self.nsg_name(n)
        )
    }

    pub fn route_table_name(&self, r: usize) -> String {
        let rt = &self.rts[r];
        let vnet = &self.vnets[rt.vnet];
        format!("rt-{}-{}", vnet.name(), vnet.subnets[rt.subnet].name)
    }

    pub fn route_table_id(&self, r: usize) -> String {
        let vnet = &self.vnets[self.rts[r].vnet];
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/routeTables/{}",
            self.sid,
            vnet.net_rg(),
            self.route_table_name(r)
        )
    }

    pub fn lb_name(&self, l: usize) -> String {
        let lb = &self.lbs[l];
        format!("lb-{}-{:02}", self.vnets[lb.vnet].name(), lb.k)
    }

    fn app_prefix(&self, vnet: usize) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers",
            self.sid,
            self.vnets[vnet].app_rg()
        )
    }

    pub fn lb_id(&self, l: usize) -> String {
        format!(
            "{}/Microsoft.Network/loadBalancers/{}",
            self.app_prefix(self.lbs[l].vnet),
            self.lb_name(l)
        )
    }

    /// The id of a public IP in the application resource group of `vnet`.
    pub fn app_public_ip_id(&self, vnet: usize, name: &str) -> String {
        format!(
            "{}/Microsoft.Network/publicIPAddresses/{name}",
            self.app_prefix(vnet)
        )
    }
}

impl Gen<'_> {
    /// Generates one subscription's share of the VMs and everything around them.
    pub(super) fn subscription(&mut self, sid: &str, vms: usize) -> std::io::Result<()> {
        if vms == 0 {
            return Ok(());
        }
        let n_regions = (vms / 400 + 1).min(REGIONS.len());
        let first = self.rng.random_range(0..REGIONS.len());
        let regions: Vec<(&'static str, &'static str)> = (0..n_regions)
            .map(|i| REGIONS[(first + i) % REGIONS.len()])
            .collect();
        let mut e = Estate {
            sid,
            asgs: Vec::new(),
            vnets: Vec::new(),
            nsgs: Vec::new(),
            rts: Vec::new(),
            lbs: Vec::new(),
        };
        self.asgs(&mut e, &regions, vms)?;
        self.vnets(&mut e, &regions, vms.div_ceil(20).max(1));
        self.nsgs(&mut e, (vms / 5).max(1));
        self.route_tables(&mut e);

        // VMs, NICs, public IPs, load balancers.
        let n_vnets = e.vnets.len();
        for i in 0..vms {
            let vi = (i * n_vnets / vms).min(n_vnets - 1);
            self.vm(&mut e, i, vi)?;
        }
        for vi in 0..n_vnets {
            if let Some(si) = e.vnets[vi].bastion_subnet {
                self.bastion(&mut e, vi, si)?;
            }
        }

        // The network resources, now that their back-links are known.
        for vi in 0..n_vnets {
            let body = self.vnet_body(&e, vi);
            self.emit(body)?;
        }
        for n in 0..e.nsgs.len() {
            let body = self.nsg_body(&e, n);
            self.emit(body)?;
        }
        for r in 0..e.rts.len() {
            let body = self.route_table_body(&e, r);
            self.emit(body)?;
        }
        for l in 0..e.lbs.len() {
            let body = self.lb_body(&e, l);
            self.emit(body)?;
        }
        if self.hub_spoke {
            let k = self.subscription_index;
            self.hub_spoke(&e, k)?;
        }
        Ok(())
    }

    /// ASGs: about one per 50 VMs, spread over the regions.
    fn asgs(
        &mut self,
        e: &mut Estate<'_>,
        regions: &[(&'static str, &'static str)],
        vms: usize,
    ) -> std::io::Result<()> {
        e.asgs = vec![Vec::new(); regions.len()];
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
            let id = format!(
                "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/applicationSecurityGroups/{name}",
                e.sid
            );
            let body = json!({
                "name": name, "id": id, "etag": self.etag(),
                "type": "Microsoft.Network/applicationSecurityGroups", "location": region,
                "properties": {"provisioningState": "Succeeded", "resourceGuid": self.uuid()}
            });
            self.emit(body)?;
            e.asgs[ri].push(id);
        }
        Ok(())
    }

    /// VNets and their subnets: two or three workload subnets, a Bastion subnet in every 25th
    /// VNet, sometimes a gateway subnet.
    fn vnets(&mut self, e: &mut Estate<'_>, regions: &[(&'static str, &'static str)], n: usize) {
        e.vnets.reserve(n);
        for v in 0..n {
            let ri = v % regions.len();
            let (region, short) = regions[ri];
            let g = self.vnet_counter;
            self.vnet_counter += 1;
            let (o2, o3) = (((g >> 4) & 0xff) as u8, ((g & 0xf) << 4) as u8);
            let mut subnets = vec![
                Subnet::new("snet-web", [10, o2, o3], 24, 0),
                Subnet::new("snet-app", [10, o2, o3 + 1], 24, 0),
            ];
            let workload = if self.chance(0.5) {
                subnets.push(Subnet::new("snet-data", [10, o2, o3 + 2], 24, 0));
                WORKLOAD_3
            } else {
                WORKLOAD_2
            };
            let bastion_subnet = (v % 25 == 0).then(|| {
                subnets.push(Subnet::new("AzureBastionSubnet", [10, o2, o3 + 3], 26, 0));
                subnets.len() - 1
            });
            if self.chance(0.1) {
                subnets.push(Subnet::new("GatewaySubnet", [10, o2, o3 + 3], 27, 64));
            }
            e.vnets.push(Vnet {
                v,
                o2,
                o3,
                ri,
                region,
                region_short: short,
                subnets,
                workload,
                nic_nsgs: Vec::new(),
                bastion_subnet,
                lbs: Vec::new(),
                lb_allowed: v % 4 == 0,
            });
        }
    }

    /// NSGs: subnet NSGs first (60% of workload subnets, up to half the budget), the rest of
    /// the budget as NIC NSGs, handed to the VNets in turn.
    fn nsgs(&mut self, e: &mut Estate<'_>, budget: usize) {
        e.nsgs.reserve(budget);
        for vi in 0..e.vnets.len() {
            for &si in e.vnets[vi].workload {
                if e.nsgs.len() > budget / 2 || !self.rng.random_bool(0.6) {
                    continue;
                }
                let rules_rng = self.draw_rules(e, vi);
                e.vnets[vi].subnets[si].nsg = Some(e.nsgs.len());
                e.nsgs.push(Nsg {
                    vnet: vi,
                    kind: NsgKind::Subnet(si),
                    rules_rng,
                    nics: Vec::new(),
                });
            }
        }
        let mut v = 0;
        while e.nsgs.len() < budget {
            let vi = v % e.vnets.len();
            let rules_rng = self.draw_rules(e, vi);
            let k = e.vnets[vi].nic_nsgs.len();
            e.vnets[vi].nic_nsgs.push(e.nsgs.len());
            e.nsgs.push(Nsg {
                vnet: vi,
                kind: NsgKind::Nic(k),
                rules_rng,
                nics: Vec::new(),
            });
            v += 1;
        }
    }

    /// Draws (and drops) an NSG's rules for VNet `vi`; returns the generator they start from.
    fn draw_rules(&mut self, e: &Estate<'_>, vi: usize) -> Rng {
        let saved = self.rng.clone();
        rules(&mut self.rng, &e.asgs[e.vnets[vi].ri]);
        saved
    }

    /// Route tables on ~20% of workload subnets; every seventh table (the first included)
    /// sends 0.0.0.0/0 to a network virtual appliance.
    fn route_tables(&mut self, e: &mut Estate<'_>) {
        for vi in 0..e.vnets.len() {
            for &si in e.vnets[vi].workload {
                if !self.rng.random_bool(0.2) {
                    continue;
                }
                let r = e.rts.len();
                let nva = r % 7 == 0;
                e.vnets[vi].subnets[si].route_table = Some(r);
                e.rts.push(RouteTable {
                    vnet: vi,
                    subnet: si,
                    routes_rng: self.rng.clone(),
                    nva,
                    disable_bgp: false,
                });
                // Drawn (and dropped) here to keep the generator's order; drawn again from
                // `routes_rng` when the table is written.
                routes(
                    &mut self.rng,
                    &e.route_table_id(r),
                    e.vnets[vi].subnets[0].base,
                    nva,
                );
                e.rts[r].disable_bgp = self.chance(0.3);
            }
        }
    }
}
