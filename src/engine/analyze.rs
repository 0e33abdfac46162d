//! Per-VM analysis: the paths a client can take to RDP on a VM (decision 11), each evaluated
//! exactly (NSGs, SKU, routing, power, guest), with the hops a traceroute-style view prints.

use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

use super::addrset::AddrSet;
use super::nsg::{self, Outcome, Part, TagSets, Target};
use super::route::{reply_routes, ReplyFate, RoutePart};
use super::tags;
use crate::model::*;

/// Evaluation settings (product.md §2 EVALUATION).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--client-ip`: evaluate for this client only. `None`: any Internet address.
    pub client: Option<Client>,
    /// `--port`: the RDP port to expect when the guest's real port is unknown.
    pub port: u16,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            client: None,
            port: 3389,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub set: AddrSet,
    pub text: String,
}

impl Client {
    /// Parses `--client-ip` (one address or a CIDR).
    pub fn parse(s: &str) -> Result<Client, String> {
        let net = super::addrset::parse_prefix(s)
            .ok_or_else(|| format!("--client-ip: \"{s}\" is not an IP address or CIDR prefix"))?;
        Ok(Client {
            set: AddrSet::from_net(&net),
            text: net.to_string(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Reachable,
    Blocked,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PathKind {
    PublicIp,
    NatRule,
    ClassicEndpoint,
    Bastion,
}

impl PathKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::PublicIp => "publicIp",
            PathKind::NatRule => "natRule",
            PathKind::ClassicEndpoint => "classicEndpoint",
            PathKind::Bastion => "bastion",
        }
    }

    pub fn is_direct(self) -> bool {
        self != PathKind::Bastion
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Arm,
    Classic,
}

/// One step of a path as `check` prints it and the JSON report lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hop {
    pub hop: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Hop {
    fn new(hop: &'static str, resource: Option<String>, decision: &'static str) -> Hop {
        Hop {
            hop,
            resource,
            decision,
            rule: None,
            priority: None,
            detail: None,
        }
    }

    fn detail(mut self, d: impl Into<String>) -> Hop {
        self.detail = Some(d.into());
        self
    }

    /// A hop that stops the connection.
    pub fn is_stop(&self) -> bool {
        matches!(self.decision, "deny" | "blocked" | "dropped" | "asymmetric")
    }

    pub fn is_unknown(&self) -> bool {
        self.decision == "unknown"
    }
}

/// An NSG at one level of a path.
#[derive(Debug, Clone)]
pub enum Slot<'m> {
    /// No NSG at this level: it passes everything (but see Standard SKU).
    None,
    Present(&'m Nsg),
    /// Referenced but missing or malformed: the level cannot be evaluated.
    Unusable(ResId, String),
}

impl<'m> Slot<'m> {
    pub fn nsg(&self) -> Option<&'m Nsg> {
        match self {
            Slot::Present(n) => Some(n),
            _ => None,
        }
    }
}

/// How a part of the client set fares on a path's NSGs.
#[derive(Debug, Clone)]
pub struct PathPart {
    pub set: AddrSet,
    pub outcome: Outcome,
    pub subnet: Option<Part>,
    pub nic: Option<Part>,
}

/// The network evaluation of one path for one client set.
#[derive(Debug, Clone, Default)]
pub struct NetEval {
    pub candidates: AddrSet,
    pub parts: Vec<PathPart>,
    pub routes: Vec<RoutePart>,
    /// Admitted by the NSGs (allow or partial).
    pub admitted: AddrSet,
    /// Admitted only for some source ports.
    pub partial: AddrSet,
    /// Undecidable from the data (tags, ASGs, unusable NSGs, ACL not visible).
    pub unknown: AddrSet,
    /// Admitted and the reply comes back.
    pub reachable: AddrSet,
    /// Standard SKU with no NSG on either level (RDP402).
    pub secure_by_default: bool,
    /// Why the NSGs could not be evaluated.
    pub unusable: Option<String>,
}

/// Why the entry of a path fails regardless of the NSGs.
#[derive(Debug, Clone)]
pub struct Block {
    pub hop: &'static str,
    pub resource: String,
    pub message: String,
    /// `true` when the block disappears once the VM runs (e.g. a dynamic IP without address):
    /// exposure rules judge the configuration as if the VM were running (decision 16).
    pub while_stopped_only: bool,
}

#[derive(Debug, Clone)]
pub struct PathAnalysis<'m> {
    pub kind: PathKind,
    /// The address a client connects to (public IP, LB frontend, classic VIP; Bastion: none).
    pub address: Option<IpAddr>,
    pub connect_port: Option<u16>,
    /// v2 NAT rules: the frontend port is one of this range.
    pub connect_range: Option<(u16, u16)>,
    /// The port the packet carries when it reaches the VM (and the NSGs).
    pub delivered_port: u16,
    pub nic: Option<&'m Nic>,
    pub ip_config: Option<&'m IpConfig>,
    pub on_primary_nic: bool,
    pub public_ip: Option<&'m PublicIp>,
    pub lb: Option<&'m LoadBalancer>,
    pub nat_rule: Option<&'m NatRule>,
    pub endpoint: Option<&'m ClassicEndpoint>,
    pub bastion: Option<&'m Bastion>,
    pub sku: Option<Sku>,
    pub place: Option<(&'m Vnet, &'m Subnet)>,
    pub subnet_nsg: Slot<'m>,
    pub nic_nsg: Slot<'m>,
    pub route_table: Option<&'m RouteTable>,
    pub blocks: Vec<Block>,
    /// Entry-level facts the data does not show (the path's verdict is at best unknown).
    pub unknowns: Vec<String>,
    /// For the client (`--client-ip`, or any Internet address).
    pub client: NetEval,
    /// For any Internet address, as if the VM were running (exposure rules).
    pub internet: NetEval,
    /// When the guest's port differs from `--port`: would the network admit `--port`?
    pub admits_default_port: Option<bool>,
    /// NAT paths whose frontend port differs from the backend port: would the NSGs admit the
    /// frontend port (the classic mistake of RDP403)?
    pub admits_frontend_port: Option<bool>,
    pub verdict: Verdict,
    pub hops: Vec<Hop>,
    /// `--probe`: the TCP connect from this machine to `address:connect_port`.
    pub probe: Option<&'m TcpProbe>,
    /// `--probe`: the DNS name clients use for this entry point, and what it resolved to.
    pub dns: Option<(&'m str, &'m DnsAnswer)>,
}

impl<'m> PathAnalysis<'m> {
    /// The address a user puts into the RDP client, e.g. `20.1.2.3:50001` (`[2001:db8::1]:3389`
    /// for IPv6, as the RDP client wants it).
    pub fn connect_to(&self) -> Option<String> {
        let addr = self.address?;
        let host = match addr {
            IpAddr::V6(a) => format!("[{a}]"),
            IpAddr::V4(a) => a.to_string(),
        };
        Some(match (self.connect_port, self.connect_range) {
            (Some(p), _) => format!("{host}:{p}"),
            (None, Some((a, b))) => format!("{host}:{a}-{b}"),
            (None, None) => addr.to_string(),
        })
    }

    /// The one `address:port` a client connects to on a direct path (what `--probe` tests).
    pub fn endpoint(&self) -> Option<std::net::SocketAddr> {
        if !self.kind.is_direct() {
            return None;
        }
        Some(std::net::SocketAddr::new(self.address?, self.connect_port?))
    }

    /// The DNS name clients use for the entry point: the public IP's `dnsSettings.fqdn`, or a
    /// classic VM's cloud-service name.
    pub fn entry_name<'a>(&self, a: &VmAnalysis<'a>) -> Option<&'a str>
    where
        'm: 'a,
    {
        match self.kind {
            PathKind::ClassicEndpoint => a.classic.and_then(|c| c.fqdn.as_deref()),
            PathKind::Bastion => None,
            _ => self.public_ip.and_then(|pip| pip.fqdn.as_deref()),
        }
    }

    /// `--probe`: the DNS name resolved here to the entry point's current address (`None`: not
    /// resolved, or no address to compare with).
    pub fn dns_current(&self) -> Option<bool> {
        match (self.dns?.1, self.address?) {
            (DnsAnswer::Resolved(addrs), addr) if !addrs.is_empty() => Some(addrs.contains(&addr)),
            _ => None,
        }
    }

    /// Every client address evaluated (`--client-ip`, or the whole Internet) can open RDP here:
    /// a probe from this machine should then connect.
    pub fn admits_every_client(&self) -> bool {
        self.verdict == Verdict::Reachable
            && !self.client.candidates.is_empty()
            && self.client.candidates.is_subset(&self.client.reachable)
    }

    /// No Internet address at all could open RDP here, by the data (the VM's state, the entry
    /// point, the NSGs, routing or the guest): a probe from anywhere should fail.
    pub fn blocks_every_client(&self, host: Verdict) -> bool {
        self.verdict == Verdict::Blocked
            && (!self.blocks.is_empty()
                || host == Verdict::Blocked
                || (self.internet.reachable.is_empty() && self.internet.unknown.is_empty()))
    }

    /// Config-level blocks (those that remain when the VM is running).
    pub fn config_blocked(&self) -> bool {
        self.blocks.iter().any(|b| !b.while_stopped_only)
    }

    /// Exposure: addresses that can open RDP through this path as if the VM were running.
    pub fn exposed(&self) -> AddrSet {
        if !self.kind.is_direct() || self.config_blocked() || !self.unknowns.is_empty() {
            return AddrSet::empty();
        }
        self.internet.reachable.clone()
    }
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub resource: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct VmAnalysis<'m> {
    pub id: ResId,
    pub name: String,
    pub resource_group: String,
    pub subscription: String,
    pub location: Option<String>,
    pub deployment: Deployment,
    pub os: OsType,
    pub power: PowerState,
    pub arm: Option<&'m Vm>,
    pub classic: Option<&'m ClassicVm>,
    pub guest: Option<&'m GuestFacts>,
    /// The RDP port the guest listens on (guest facts) or `--port`.
    pub port: u16,
    pub port_from_guest: bool,
    pub default_port: u16,
    pub nics: Vec<(ResId, Option<&'m Nic>, bool)>,
    /// The subnet of the primary IP configuration of the primary NIC.
    pub place: Option<(&'m Vnet, &'m Subnet)>,
    pub paths: Vec<PathAnalysis<'m>>,
    pub bastions: Vec<&'m Bastion>,
    pub problems: Vec<Problem>,
    pub verdict: Verdict,
    /// What the client is: "internet" or the `--client-ip` value.
    pub client_label: String,
    /// `--client-ip` was given (the user says this is the client's address).
    pub client_given: bool,
}

impl<'m> VmAnalysis<'m> {
    pub fn direct_paths(&self) -> impl Iterator<Item = &PathAnalysis<'m>> {
        self.paths.iter().filter(|p| p.kind.is_direct())
    }

    /// Every Internet address that can open RDP on some direct path, as if running.
    pub fn exposed(&self) -> AddrSet {
        self.direct_paths()
            .fold(AddrSet::empty(), |acc, p| acc.union(&p.exposed()))
    }
}

/// Shared, per-model context for analysing many VMs.
pub struct Context<'m> {
    pub model: &'m Model,
    pub options: Options,
    asg_members: HashMap<String, AddrSet>,
    /// NAT rules by the IP configuration they are bound to (rule side), and by backend pool.
    nat_by_ip_config: HashMap<String, Vec<(String, usize)>>,
    nat_by_pool: HashMap<String, Vec<(String, usize)>>,
}

impl<'m> Context<'m> {
    pub fn new(model: &'m Model, options: Options) -> Context<'m> {
        let mut nat_by_ip_config: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        let mut nat_by_pool: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for lb in model.load_balancers.values() {
            for (idx, r) in lb.nat_rules.iter().enumerate() {
                let entry = (lb.id.key.clone(), idx);
                if let Some(c) = &r.backend_ip_config {
                    nat_by_ip_config
                        .entry(c.key.clone())
                        .or_default()
                        .push(entry.clone());
                }
                if let Some(pool) = &r.backend_pool {
                    nat_by_pool
                        .entry(pool.key.clone())
                        .or_default()
                        .push(entry.clone());
                    // Pool members as the load balancer lists them.
                    for (pid, members) in &lb.pools {
                        if pid.key == pool.key {
                            for mm in members {
                                nat_by_ip_config
                                    .entry(mm.key.clone())
                                    .or_default()
                                    .push(entry.clone());
                            }
                        }
                    }
                }
            }
        }
        Context {
            model,
            asg_members: tags::asg_members(model),
            options,
            nat_by_ip_config,
            nat_by_pool,
        }
    }

    pub fn client_label(&self) -> String {
        self.options
            .client
            .as_ref()
            .map(|c| c.text.clone())
            .unwrap_or_else(|| "internet".into())
    }

    /// Analyses every ARM and classic VM (Windows and not), sorted by id.
    pub fn analyze_all(&self) -> Vec<VmAnalysis<'m>> {
        let mut out: Vec<VmAnalysis<'m>> = self
            .model
            .vms
            .iter()
            .map(|vm| self.analyze_arm(vm))
            .chain(
                self.model
                    .classic_vms
                    .iter()
                    .map(|vm| self.analyze_classic(vm)),
            )
            .collect();
        out.sort_by(|a, b| a.id.key.cmp(&b.id.key));
        out
    }

    fn base(
        &self,
        id: &ResId,
        name: &str,
        location: Option<&String>,
        deployment: Deployment,
        os: OsType,
        power: PowerState,
    ) -> VmAnalysis<'m> {
        let guest = self.model.guest.get(&id.key);
        let guest_port = guest.and_then(|g| g.rdp_port);
        VmAnalysis {
            id: id.clone(),
            name: name.to_string(),
            resource_group: id.resource_group().unwrap_or_default().to_string(),
            subscription: id.subscription().unwrap_or_default().to_string(),
            location: location.cloned(),
            deployment,
            os,
            power,
            arm: None,
            classic: None,
            guest,
            port: guest_port.unwrap_or(self.options.port),
            port_from_guest: guest_port.is_some(),
            default_port: self.options.port,
            nics: Vec::new(),
            place: None,
            paths: Vec::new(),
            bastions: Vec::new(),
            problems: Vec::new(),
            verdict: Verdict::Unknown,
            client_label: self.client_label(),
            client_given: self.options.client.is_some(),
        }
    }

    pub fn analyze_arm(&self, vm: &'m Vm) -> VmAnalysis<'m> {
        let m = self.model;
        let mut a = self.base(
            &vm.id,
            &vm.name,
            vm.location.as_ref(),
            Deployment::Arm,
            vm.os,
            vm.power.clone(),
        );
        a.arm = Some(vm);
        if m.broken.contains_key(&vm.id.key) {
            a.problems.push(Problem {
                resource: vm.id.id.clone(),
                message: m.unusable(&vm.id, "virtual machine"),
            });
        }
        // Primary NIC: VM-side flag, else NIC-side flag, else the only/first one.
        let flagged = vm.nics.iter().position(|(_, p)| *p == Some(true));
        let nic_flagged = || {
            vm.nics
                .iter()
                .position(|(id, _)| m.nics.get(&id.key).and_then(|n| n.primary) == Some(true))
        };
        let primary_idx = flagged.or_else(nic_flagged).unwrap_or(0);
        for (i, (nid, _)) in vm.nics.iter().enumerate() {
            let nic = m.nics.get(&nid.key);
            if nic.is_none() {
                a.problems.push(Problem {
                    resource: nid.id.clone(),
                    message: m.unusable(nid, "network interface"),
                });
            }
            a.nics.push((nid.clone(), nic, i == primary_idx));
        }
        if let Some((_, Some(nic), _)) = a.nics.iter().find(|(_, _, p)| *p) {
            if let Some(ipc) = primary_ip_config(nic) {
                if let Some(sid) = &ipc.subnet {
                    a.place = m.subnet(sid);
                }
            }
        }
        let nics: Vec<(&'m Nic, bool)> = a
            .nics
            .iter()
            .filter_map(|(_, n, p)| n.map(|n| (n, *p)))
            .collect();
        for (nic, primary) in nics {
            for ipc in &nic.ip_configs {
                self.arm_paths_for(&mut a, nic, ipc, primary);
            }
        }
        a.bastions = self.bastions_for(a.place.map(|p| p.0));
        if let Some((nic, ipc)) = a
            .nics
            .iter()
            .find(|(_, _, p)| *p)
            .and_then(|(_, n, _)| *n)
            .and_then(|n| primary_ip_config(n).map(|c| (n, c)))
        {
            for b in a.bastions.clone() {
                let path = self.bastion_path(&a, b, nic, ipc);
                a.paths.push(path);
            }
        }
        self.finish(&mut a);
        a
    }

    fn arm_paths_for(
        &self,
        a: &mut VmAnalysis<'m>,
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
    ) {
        let m = self.model;
        let place = ipc.subnet.as_ref().and_then(|s| m.subnet(s));
        if let Some(pid) = &ipc.public_ip {
            let mut path = self.new_path(PathKind::PublicIp, a.port, nic, ipc, primary, place, a);
            match m.public_ips.get(&pid.key) {
                None => path.unknowns.push(m.unusable(pid, "public IP")),
                Some(pip) => {
                    path.public_ip = Some(pip);
                    path.sku = Some(pip.sku);
                    path.address = pip.address;
                    path.connect_port = Some(a.port);
                    if pip.address.is_none() {
                        path.blocks.push(Block {
                            hop: "publicIp",
                            resource: pip.id.id.clone(),
                            message: format!(
                                "public IP {} has no address assigned{}",
                                pip.name,
                                if pip.dynamic {
                                    " (dynamic IP released while the VM is deallocated)"
                                } else {
                                    ""
                                }
                            ),
                            while_stopped_only: pip.dynamic && a.power != PowerState::Running,
                        });
                    }
                }
            }
            self.secondary_block(&mut path, nic);
            a.paths.push(self.evaluate(path, a));
        }
        // Inbound NAT rules bound to this IP configuration, from either side of the link.
        let mut rules: Vec<(&'m LoadBalancer, &'m NatRule)> = Vec::new();
        for rid in &ipc.nat_rules {
            match m.nat_rule(rid) {
                Some(x) => rules.push(x),
                None => {
                    let lb_id = rid.split_child("inboundNatRules").map(|(lb, _)| lb);
                    let missing = lb_id.as_ref().unwrap_or(rid);
                    a.problems.push(Problem {
                        resource: rid.id.clone(),
                        message: format!(
                            "inbound NAT rule {} cannot be evaluated: {}",
                            rid.name(),
                            m.unusable(missing, "load balancer")
                        ),
                    });
                }
            }
        }
        // NAT rules that name this IP configuration, or a backend pool it is in (either side).
        let by_pool = ipc
            .backend_pools
            .iter()
            .filter_map(|p| self.nat_by_pool.get(&p.key));
        let linked = self
            .nat_by_ip_config
            .get(&ipc.id.key)
            .into_iter()
            .chain(by_pool);
        for (lb_key, idx) in linked.flatten() {
            let Some(lb) = m.load_balancers.get(lb_key) else {
                continue;
            };
            let Some(r) = lb.nat_rules.get(*idx) else {
                continue;
            };
            if !rules.iter().any(|(_, x)| x.id.key == r.id.key) {
                rules.push((lb, r));
            }
        }
        rules.sort_by(|x, y| x.1.id.key.cmp(&y.1.id.key));
        for (lb, rule) in rules {
            let Some(backend) = rule.backend_port else {
                continue;
            };
            if !rule.protocol.matches_tcp() || (backend != a.port && backend != a.default_port) {
                continue;
            }
            let mut path = self.new_path(PathKind::NatRule, backend, nic, ipc, primary, place, a);
            path.lb = Some(lb);
            path.nat_rule = Some(rule);
            path.sku = Some(lb.sku);
            path.connect_port = rule.frontend_port;
            path.connect_range = rule.frontend_range;
            let via_pool = rule.backend_ip_config.is_none() && rule.backend_pool.is_some();
            if rule.backend_ip_config.is_none() && !via_pool {
                path.blocks.push(Block {
                    hop: "natRule",
                    resource: rule.id.id.clone(),
                    message: format!(
                        "NAT rule {} on {} is not bound to a backend IP configuration",
                        rule.name, lb.name
                    ),
                    while_stopped_only: false,
                });
            }
            match rule.frontend.as_ref().and_then(|f| m.frontend(f)) {
                None => path.unknowns.push(format!("the frontend of NAT rule {} on {} is not in the data", rule.name, lb.name)),
                Some((_, fe)) => match &fe.public_ip {
                    None => path.blocks.push(Block {
                        hop: "natRule",
                        resource: rule.id.id.clone(),
                        message: format!("frontend {} of NAT rule {} on {} has no public IP (internal load balancer)", fe.name, rule.name, lb.name),
                        while_stopped_only: false,
                    }),
                    Some(pid) => match m.public_ips.get(&pid.key) {
                        None => path.unknowns.push(m.unusable(pid, "public IP")),
                        Some(pip) => {
                            path.public_ip = Some(pip);
                            path.address = pip.address;
                            if pip.address.is_none() {
                                path.blocks.push(Block {
                                    hop: "publicIp",
                                    resource: pip.id.id.clone(),
                                    message: format!("public IP {} of {} has no address assigned", pip.name, lb.name),
                                    while_stopped_only: false,
                                });
                            }
                        }
                    },
                },
            }
            self.secondary_block(&mut path, nic);
            a.paths.push(self.evaluate(path, a));
        }
    }

    fn secondary_block(&self, path: &mut PathAnalysis<'m>, nic: &'m Nic) {
        if !path.on_primary_nic {
            path.blocks.push(Block {
                hop: "nic",
                resource: nic.id.id.clone(),
                message: format!(
                    "{} is a secondary NIC: replies leave through the primary NIC and are dropped",
                    nic.name
                ),
                while_stopped_only: false,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_path(
        &self,
        kind: PathKind,
        delivered_port: u16,
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
        place: Option<(&'m Vnet, &'m Subnet)>,
        a: &VmAnalysis<'m>,
    ) -> PathAnalysis<'m> {
        let m = self.model;
        let mut unknowns = Vec::new();
        if ipc.subnet.is_some() && place.is_none() {
            if let Some(s) = &ipc.subnet {
                let vnet_id = s
                    .split_child("subnets")
                    .map(|(v, _)| v)
                    .unwrap_or_else(|| s.clone());
                unknowns.push(format!(
                    "subnet {} is not in the data: {}",
                    s.name(),
                    m.unusable(&vnet_id, "virtual network")
                ));
            }
        }
        let slot = |r: Option<&ResId>, what: &str| match r {
            None => Slot::None,
            Some(id) => match m.nsgs.get(&id.key) {
                Some(n) => Slot::Present(n),
                None => Slot::Unusable(id.clone(), m.unusable(id, what)),
            },
        };
        let subnet_nsg = slot(
            place.and_then(|(_, s)| s.nsg.as_ref()),
            "network security group",
        );
        let nic_nsg = slot(nic.nsg.as_ref(), "network security group");
        let route_table = place
            .and_then(|(_, s)| s.route_table.as_ref())
            .and_then(|r| {
                let t = m.route_tables.get(&r.key);
                if t.is_none() {
                    unknowns.push(format!("route table: {}", m.unusable(r, "route table")));
                }
                t
            });
        let _ = a;
        PathAnalysis {
            kind,
            address: None,
            connect_port: None,
            connect_range: None,
            delivered_port,
            nic: Some(nic),
            ip_config: Some(ipc),
            on_primary_nic: primary,
            public_ip: None,
            lb: None,
            nat_rule: None,
            endpoint: None,
            bastion: None,
            sku: None,
            place,
            subnet_nsg,
            nic_nsg,
            route_table,
            blocks: Vec::new(),
            unknowns,
            client: NetEval {
                candidates: AddrSet::all(), // replaced in `evaluate`
                ..NetEval::default()
            },
            internet: NetEval::default(),
            admits_default_port: None,
            admits_frontend_port: None,
            verdict: Verdict::Unknown,
            hops: Vec::new(),
            probe: None,
            dns: None,
        }
    }

    fn tag_sets(&self, place: Option<(&'m Vnet, &'m Subnet)>) -> TagSets<'_> {
        tags::tag_sets(self.model, place, &self.asg_members)
    }

    /// NSG + SKU + routing evaluation of a direct ARM path for the client and for the Internet.
    fn evaluate(&self, mut path: PathAnalysis<'m>, a: &VmAnalysis<'m>) -> PathAnalysis<'m> {
        let tags = self.tag_sets(path.place);
        let floating = path.nat_rule.is_some_and(|r| r.floating_ip);
        let dest_ip = if floating {
            path.public_ip.and_then(|p| p.address)
        } else {
            path.ip_config.and_then(|c| c.private_ip)
        };
        let asgs: &[ResId] = path.ip_config.map(|c| c.asgs.as_slice()).unwrap_or(&[]);
        // A client reaches an IPv4 entry point from an IPv4 address (and IPv6 likewise).
        let family = family_of(path.address);
        let internet = tags.internet.intersect(&family);
        let client = self
            .options
            .client
            .as_ref()
            .map(|c| c.set.intersect(&family))
            .unwrap_or_else(|| internet.clone());
        let eval_at = |port: u16, cands: &AddrSet| {
            let target = Target {
                dest_ip,
                dest_port: port,
                dest_asgs: asgs,
                tags: &tags,
            };
            net_eval(
                cands,
                &path.subnet_nsg,
                &path.nic_nsg,
                path.sku,
                &target,
                path.place.map(|p| p.0),
                path.route_table,
                true,
            )
        };
        path.client = eval_at(path.delivered_port, &client);
        path.internet = if self.options.client.is_some() {
            eval_at(path.delivered_port, &internet)
        } else {
            path.client.clone()
        };
        if path.kind == PathKind::PublicIp && a.port != a.default_port {
            let alt = eval_at(a.default_port, &client);
            path.admits_default_port = Some(!alt.reachable.is_empty());
        }
        if let (PathKind::NatRule, Some(front)) = (path.kind, path.connect_port) {
            if front != path.delivered_port {
                let alt = eval_at(front, &client);
                path.admits_frontend_port = Some(!alt.admitted.is_empty());
            }
        }
        if path.kind == PathKind::NatRule && a.port_from_guest && path.delivered_port != a.port {
            path.blocks.push(Block {
                hop: "guest",
                resource: a.id.id.clone(),
                message: format!(
                    "NAT rule delivers port {} but the guest listens on {}",
                    path.delivered_port, a.port
                ),
                while_stopped_only: false,
            });
        }
        self.finish_path(path, a)
    }

    fn bastion_path(
        &self,
        a: &VmAnalysis<'m>,
        b: &'m Bastion,
        nic: &'m Nic,
        ipc: &'m IpConfig,
    ) -> PathAnalysis<'m> {
        let m = self.model;
        let place = ipc.subnet.as_ref().and_then(|s| m.subnet(s));
        let mut path = self.new_path(PathKind::Bastion, a.port, nic, ipc, true, place, a);
        path.bastion = Some(b);
        path.route_table = None;
        let sources: Vec<IpNet> = b
            .subnets
            .iter()
            .filter_map(|s| m.subnet(s))
            .flat_map(|(_, s)| s.prefixes.clone())
            .collect();
        if sources.is_empty() {
            path.unknowns.push(format!(
                "the subnet of Bastion {} is not in the data",
                b.name
            ));
        }
        let cands = AddrSet::from_nets(&sources);
        let tags = self.tag_sets(place);
        let target = Target {
            dest_ip: ipc.private_ip,
            dest_port: a.port,
            dest_asgs: &ipc.asgs,
            tags: &tags,
        };
        path.client = net_eval(
            &cands,
            &path.subnet_nsg,
            &path.nic_nsg,
            None,
            &target,
            None,
            None,
            false,
        );
        path.internet = NetEval::default();
        self.finish_path(path, a)
    }

    fn bastions_for(&self, vnet: Option<&'m Vnet>) -> Vec<&'m Bastion> {
        let Some(vnet) = vnet else { return Vec::new() };
        let m = self.model;
        let peers: Vec<&str> = vnet
            .peerings
            .iter()
            .filter(|p| p.connected)
            .filter_map(|p| p.remote_vnet.as_ref().map(|r| r.key.as_str()))
            .collect();
        m.bastions
            .iter()
            .filter(|b| {
                b.subnets.iter().any(|s| {
                    let parent = s.split_child("subnets").map(|(v, _)| v.key);
                    parent
                        .as_deref()
                        .is_some_and(|k| k == vnet.id.key || peers.contains(&k))
                })
            })
            .collect()
    }

    pub fn analyze_classic(&self, vm: &'m ClassicVm) -> VmAnalysis<'m> {
        let mut a = self.base(
            &vm.id,
            &vm.name,
            vm.location.as_ref(),
            Deployment::Classic,
            vm.os,
            vm.power.clone(),
        );
        a.classic = Some(vm);
        for ep in &vm.endpoints {
            let family = family_of(ep.vip.or(vm.vip));
            let public = tags::public_space().intersect(&family);
            let client = self
                .options
                .client
                .as_ref()
                .map(|c| c.set.intersect(&family))
                .unwrap_or_else(|| public.clone());
            let named = ep.name.eq_ignore_ascii_case("remotedesktop")
                || ep.name.eq_ignore_ascii_case("rdp");
            let port_match = ep.private_port == a.port || ep.private_port == a.default_port;
            if !ep.protocol.matches_tcp() || !(named || port_match) {
                continue;
            }
            let mut path = PathAnalysis {
                kind: PathKind::ClassicEndpoint,
                address: ep.vip.or(vm.vip),
                connect_port: Some(ep.public_port),
                connect_range: None,
                delivered_port: ep.private_port,
                nic: None,
                ip_config: None,
                on_primary_nic: true,
                public_ip: None,
                lb: None,
                nat_rule: None,
                endpoint: Some(ep),
                bastion: None,
                sku: None,
                place: None,
                subnet_nsg: Slot::None,
                nic_nsg: Slot::None,
                route_table: None,
                blocks: Vec::new(),
                unknowns: Vec::new(),
                client: acl_eval(ep, &client),
                internet: acl_eval(ep, &public),
                admits_default_port: None,
                admits_frontend_port: None,
                verdict: Verdict::Unknown,
                hops: Vec::new(),
                probe: None,
                dns: None,
            };
            if ep.private_port != a.port {
                path.blocks.push(Block {
                    hop: "classicEndpoint",
                    resource: vm.id.id.clone(),
                    message: format!(
                        "endpoint {} forwards to private port {} but the guest listens on {}",
                        ep.name, ep.private_port, a.port
                    ),
                    while_stopped_only: false,
                });
            }
            let path = self.finish_path(path, &a);
            a.paths.push(path);
        }
        self.finish(&mut a);
        a
    }

    /// `--probe` results that concern this path: its endpoint's TCP connect, its DNS name.
    fn attach_probes(&self, p: &mut PathAnalysis<'m>, a: &VmAnalysis<'m>) {
        let Some(probes) = &self.model.probes else {
            return;
        };
        p.probe = p.endpoint().and_then(|e| probes.tcp.get(&e));
        if let Some(name) = p.entry_name(a) {
            p.dns = probes
                .dns
                .get(&Probes::dns_key(name))
                .map(|ans| (name, ans));
        }
    }

    /// Verdict and hops of one path.
    fn finish_path(&self, mut p: PathAnalysis<'m>, a: &VmAnalysis<'m>) -> PathAnalysis<'m> {
        self.attach_probes(&mut p, a);
        let mut hops: Vec<Hop> = dns_hop(&p).into_iter().collect();
        hops.extend(entry_hops(&p, a));
        if p.kind != PathKind::ClassicEndpoint {
            hops.extend(nsg_hops(&p)); // classic endpoints have an ACL, not NSGs
        }
        if p.kind.is_direct() && p.kind != PathKind::ClassicEndpoint {
            hops.extend(route_hops(&p.client));
        }
        hops.push(power_hop(a));
        if let Some(h) = guest_hop(a) {
            hops.push(h);
        }
        let net = if !p.blocks.is_empty() {
            Verdict::Blocked
        } else if !p.unknowns.is_empty() {
            Verdict::Unknown
        } else if !p.client.reachable.is_empty() {
            Verdict::Reachable
        } else if !p.client.unknown.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Blocked
        };
        p.verdict = match net {
            Verdict::Blocked => Verdict::Blocked,
            v => match host_verdict(a) {
                Verdict::Reachable => v,
                other => other,
            },
        };
        // Last: what the network did when this machine tried, against what the data says.
        hops.extend(probe_hop(&p));
        p.hops = hops;
        p
    }

    fn finish(&self, a: &mut VmAnalysis<'m>) {
        // Data the paths needed but did not find is a problem of the audit (a diagnostic that
        // makes it incomplete), not only an `unknown` verdict (semantics.md decision 15).
        let mut missing: Vec<Problem> = Vec::new();
        for p in &a.paths {
            for slot in [&p.subnet_nsg, &p.nic_nsg] {
                if let Slot::Unusable(id, why) = slot {
                    missing.push(Problem {
                        resource: id.id.clone(),
                        message: why.clone(),
                    });
                }
            }
            for u in &p.unknowns {
                missing.push(Problem {
                    resource: a.id.id.clone(),
                    message: u.clone(),
                });
            }
        }
        for m in missing {
            if !a.problems.iter().any(|x| x.message == m.message) {
                a.problems.push(m);
            }
        }
        let direct: Vec<Verdict> = a.direct_paths().map(|p| p.verdict).collect();
        a.verdict = if direct.contains(&Verdict::Reachable) {
            Verdict::Reachable
        } else if direct.contains(&Verdict::Unknown) || !a.problems.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Blocked
        };
    }
}

use ipnet::IpNet;

/// All addresses of the entry point's family (IPv4 when the address is not known).
fn family_of(addr: Option<IpAddr>) -> AddrSet {
    let all = AddrSet::all();
    match addr {
        Some(IpAddr::V6(_)) => AddrSet {
            v4: Default::default(),
            v6: all.v6,
        },
        _ => AddrSet {
            v4: all.v4,
            v6: Default::default(),
        },
    }
}

/// The primary IP configuration of a NIC (flag, else the only/first one).
pub fn primary_ip_config(nic: &Nic) -> Option<&IpConfig> {
    nic.ip_configs
        .iter()
        .find(|c| c.primary == Some(true))
        .or_else(|| nic.ip_configs.first())
}

/// Power and guest facts: can the VM answer at all?
pub fn host_verdict(a: &VmAnalysis<'_>) -> Verdict {
    match a.power {
        PowerState::Running => {}
        PowerState::Unknown => return Verdict::Unknown,
        _ => return Verdict::Blocked,
    }
    if let Some(g) = a.guest {
        let bad = g.rdp_enabled == Some(false)
            || g.term_service_running == Some(false)
            || g.listening == Some(false)
            || g.firewall_allows_rdp == Some(false);
        if bad {
            return Verdict::Blocked;
        }
    }
    Verdict::Reachable
}

/// Evaluates both NSG levels, the SKU rule and the reply route for `cands`.
#[allow(clippy::too_many_arguments)]
pub fn net_eval(
    cands: &AddrSet,
    subnet: &Slot<'_>,
    nic: &Slot<'_>,
    sku: Option<Sku>,
    target: &Target<'_>,
    vnet: Option<&Vnet>,
    table: Option<&RouteTable>,
    route: bool,
) -> NetEval {
    let mut ev = NetEval {
        candidates: cands.clone(),
        ..NetEval::default()
    };
    for s in [subnet, nic] {
        if let Slot::Unusable(_, why) = s {
            ev.unusable = Some(why.clone());
        }
    }
    if ev.unusable.is_some() {
        ev.unknown = cands.clone();
        ev.parts.push(PathPart {
            set: cands.clone(),
            outcome: Outcome::Unknown,
            subnet: None,
            nic: None,
        });
        return ev;
    }
    let no_nsg = matches!(subnet, Slot::None) && matches!(nic, Slot::None);
    if no_nsg && sku == Some(Sku::Standard) {
        // Standard public IPs and load balancers are closed until an NSG allows (decision 10).
        ev.secure_by_default = true;
        ev.parts.push(PathPart {
            set: cands.clone(),
            outcome: Outcome::Deny,
            subnet: None,
            nic: None,
        });
        return ev;
    }
    let level = |slot: &Slot<'_>, set: &AddrSet| -> Vec<Part> {
        match slot {
            Slot::Present(n) => nsg::evaluate(n, set, target),
            _ => vec![Part {
                set: set.clone(),
                outcome: Outcome::Allow,
                rule: None,
                maybe: None,
            }],
        }
    };
    for sp in level(subnet, cands) {
        let sub_part = matches!(subnet, Slot::Present(_)).then(|| sp.clone());
        if sp.outcome == Outcome::Deny {
            ev.parts.push(PathPart {
                set: sp.set.clone(),
                outcome: Outcome::Deny,
                subnet: sub_part,
                nic: None,
            });
            continue;
        }
        for np in level(nic, &sp.set) {
            ev.parts.push(PathPart {
                set: np.set.clone(),
                outcome: sp.outcome.then(np.outcome),
                subnet: sub_part.clone(),
                nic: matches!(nic, Slot::Present(_)).then_some(np),
            });
        }
    }
    for p in &ev.parts {
        match p.outcome {
            Outcome::Allow => ev.admitted = ev.admitted.union(&p.set),
            Outcome::Partial => {
                ev.admitted = ev.admitted.union(&p.set);
                ev.partial = ev.partial.union(&p.set);
            }
            Outcome::Unknown => ev.unknown = ev.unknown.union(&p.set),
            Outcome::Deny => {}
        }
    }
    if route {
        ev.routes = reply_routes(&ev.admitted.union(&ev.unknown), vnet, table);
        let mut ok = AddrSet::empty();
        for r in &ev.routes {
            match r.fate {
                ReplyFate::Returns => ok = ok.union(&r.set),
                ReplyFate::Unknown => ev.unknown = ev.unknown.union(&r.set.intersect(&ev.admitted)),
                _ => {}
            }
        }
        ev.reachable = ev.admitted.intersect(&ok);
        ev.unknown = ev.unknown.intersect(&ok.union(&ev.unknown));
    } else {
        ev.reachable = ev.admitted.clone();
    }
    ev
}

/// A classic endpoint ACL over `cands` (decision 13).
fn acl_eval(ep: &ClassicEndpoint, cands: &AddrSet) -> NetEval {
    let mut ev = NetEval {
        candidates: cands.clone(),
        ..NetEval::default()
    };
    let Some(rules) = &ep.acl else {
        ev.unknown = cands.clone();
        return ev;
    };
    let mut rest = cands.clone();
    for r in rules {
        let covered = rest.intersect(&AddrSet::from_net(&r.subnet));
        rest = rest.difference(&covered);
        if r.permit {
            ev.admitted = ev.admitted.union(&covered);
        }
    }
    // No match: deny when the list has any permit rule, else permit (no rules: permit all).
    if !rules.iter().any(|r| r.permit) {
        ev.admitted = ev.admitted.union(&rest);
    }
    ev.reachable = ev.admitted.clone();
    ev
}

fn entry_hops(p: &PathAnalysis<'_>, a: &VmAnalysis<'_>) -> Vec<Hop> {
    let mut hops = Vec::new();
    let block_for = |hop: &str| p.blocks.iter().find(|b| b.hop == hop);
    match p.kind {
        PathKind::PublicIp => {
            if let Some(pip) = p.public_ip {
                let mut h = Hop::new(
                    "publicIp",
                    Some(pip.id.id.clone()),
                    if block_for("publicIp").is_some() {
                        "blocked"
                    } else {
                        "ok"
                    },
                );
                h.detail = Some(match (pip.address, block_for("publicIp")) {
                    (_, Some(b)) => b.message.clone(),
                    (Some(addr), None) => format!(
                        "{} {} SKU, {}{}",
                        addr,
                        pip.sku,
                        if pip.dynamic { "dynamic" } else { "static" },
                        pip.fqdn
                            .as_ref()
                            .map(|f| format!(", {f}"))
                            .unwrap_or_default()
                    ),
                    (None, None) => "no address".into(),
                });
                hops.push(h);
            }
        }
        PathKind::NatRule => {
            if let (Some(lb), Some(r)) = (p.lb, p.nat_rule) {
                let blocked = block_for("natRule");
                let mut h = Hop::new(
                    "natRule",
                    Some(r.id.id.clone()),
                    if blocked.is_some() { "blocked" } else { "ok" },
                );
                h.rule = Some(r.name.clone());
                h.detail = Some(match blocked {
                    Some(b) => b.message.clone(),
                    None => format!(
                        "{} ({} SKU) {}:{} → backend port {}{}",
                        lb.name,
                        lb.sku,
                        p.address
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "?".into()),
                        match (r.frontend_port, r.frontend_range) {
                            (Some(f), _) => f.to_string(),
                            (None, Some((s, e))) => format!("{s}-{e}"),
                            _ => "?".into(),
                        },
                        p.delivered_port,
                        if r.floating_ip { ", floating IP" } else { "" }
                    ),
                });
                hops.push(h);
            }
        }
        PathKind::ClassicEndpoint => {
            if let Some(ep) = p.endpoint {
                let mut h = Hop::new(
                    "classicEndpoint",
                    Some(a.id.id.clone()),
                    if block_for("classicEndpoint").is_some() {
                        "blocked"
                    } else {
                        "ok"
                    },
                );
                h.rule = Some(ep.name.clone());
                h.detail = Some(match block_for("classicEndpoint") {
                    Some(b) => b.message.clone(),
                    None => format!(
                        "{}:{} → private port {}",
                        p.address
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "?".into()),
                        ep.public_port,
                        ep.private_port
                    ),
                });
                hops.push(h);
                let ev = &p.client;
                let decision = if ep.acl.is_none() {
                    "unknown"
                } else {
                    set_decision(&ev.admitted, &ev.candidates)
                };
                let detail = match &ep.acl {
                    None => "the endpoint ACL is not visible in the data".to_string(),
                    Some(r) if r.is_empty() => {
                        "no ACL rules: every source is permitted".to_string()
                    }
                    Some(_) => format!("permits {}", describe_set(&ev.admitted, &ev.candidates)),
                };
                hops.push(Hop::new("classicAcl", Some(a.id.id.clone()), decision).detail(detail));
            }
        }
        PathKind::Bastion => {
            if let Some(b) = p.bastion {
                hops.push(
                    Hop::new("bastion", Some(b.id.id.clone()), "ok").detail(format!(
                        "from {} to {}:{}",
                        describe_set(&p.client.candidates, &p.client.candidates),
                        p.ip_config
                            .and_then(|c| c.private_ip)
                            .map(|x| x.to_string())
                            .unwrap_or_else(|| "?".into()),
                        p.delivered_port
                    )),
                );
            }
        }
    }
    if let Some(b) = block_for("nic") {
        hops.push(Hop::new("nic", Some(b.resource.clone()), "blocked").detail(b.message.clone()));
    }
    for u in &p.unknowns {
        hops.push(Hop::new("data", None, "unknown").detail(u.clone()));
    }
    hops
}

/// `allow` (all), `deny` (none), `partial` (some) of `cands` in `set`.
fn set_decision(set: &AddrSet, cands: &AddrSet) -> &'static str {
    let admitted = set.intersect(cands);
    if admitted.is_empty() {
        "deny"
    } else if cands.is_subset(&admitted) {
        "allow"
    } else {
        "partial"
    }
}

/// A short description of `set` within `care`, e.g. `0.0.0.0/0` or `203.0.113.0/24`.
pub fn describe_set(set: &AddrSet, care: &AddrSet) -> String {
    let cidrs = tags::minimal_cidrs(set, care);
    if cidrs.is_empty() {
        return "no address".into();
    }
    let shown: Vec<String> = cidrs.iter().take(4).map(|c| c.to_string()).collect();
    if cidrs.len() > 4 {
        format!("{} and {} more", shown.join(", "), cidrs.len() - 4)
    } else {
        shown.join(", ")
    }
}

fn nsg_hops(p: &PathAnalysis<'_>) -> Vec<Hop> {
    let ev = &p.client;
    let mut hops = Vec::new();
    if ev.secure_by_default {
        let mut h = Hop::new("subnetNsg", None, "deny");
        h.detail = Some(format!(
            "no NSG on the subnet or the NIC: {} SKU entry points are closed until an NSG allows",
            p.sku.map(|s| s.to_string()).unwrap_or_default()
        ));
        hops.push(h);
        return hops;
    }
    for (hop, slot, is_subnet) in [
        ("subnetNsg", &p.subnet_nsg, true),
        ("nicNsg", &p.nic_nsg, false),
    ] {
        match slot {
            Slot::None => hops.push(Hop::new(hop, None, "allow").detail("no NSG at this level")),
            Slot::Unusable(id, why) => {
                hops.push(Hop::new(hop, Some(id.id.clone()), "unknown").detail(why.clone()))
            }
            Slot::Present(n) => {
                let parts: Vec<&Part> = ev
                    .parts
                    .iter()
                    .filter_map(|pp| {
                        if is_subnet {
                            pp.subnet.as_ref()
                        } else {
                            pp.nic.as_ref()
                        }
                    })
                    .collect();
                if parts.is_empty() {
                    hops.push(
                        Hop::new(hop, Some(n.id.id.clone()), "skipped")
                            .detail("not reached: denied before this level"),
                    );
                    continue;
                }
                hops.push(level_hop(hop, n, &parts, &ev.candidates));
            }
        }
    }
    hops
}

/// One NSG level: the overall decision and the rule that decided the most addresses of it.
fn level_hop(hop: &'static str, n: &Nsg, parts: &[&Part], cands: &AddrSet) -> Hop {
    let mut reached = AddrSet::empty();
    let mut admitted = AddrSet::empty();
    let mut unknown = AddrSet::empty();
    for p in parts {
        reached = reached.union(&p.set);
        match p.outcome {
            Outcome::Allow | Outcome::Partial => admitted = admitted.union(&p.set),
            Outcome::Unknown => unknown = unknown.union(&p.set),
            Outcome::Deny => {}
        }
    }
    let has = |o: Outcome| parts.iter().any(|p| p.outcome == o);
    let decision = if has(Outcome::Unknown) && admitted.is_empty() {
        "unknown"
    } else if admitted.is_empty() {
        "deny"
    } else if has(Outcome::Partial) {
        "partial"
    } else if reached.is_subset(&admitted) {
        "allow"
    } else {
        "partial"
    };
    // The deciding rule shown: the admitting rule when anything is admitted, else the denying
    // (or undecidable) one; the one covering the most addresses.
    let pick = parts
        .iter()
        .filter(|p| match decision {
            "deny" => p.outcome == Outcome::Deny,
            "unknown" => p.outcome == Outcome::Unknown,
            _ => p.outcome.admits(),
        })
        .max_by_key(|p| (p.set.count_v4(), p.set.v6.count()));
    let mut h = Hop::new(hop, Some(n.id.id.clone()), decision);
    if let Some(p) = pick {
        let r = if decision == "unknown" {
            p.maybe.as_ref().or(p.rule.as_ref())
        } else {
            p.rule.as_ref().or(p.maybe.as_ref())
        };
        h.rule = Some(
            r.map(|r| r.name.clone())
                .unwrap_or_else(|| "(end of rules)".into()),
        );
        h.priority = r.map(|r| r.priority);
    }
    let mut lines = Vec::new();
    for p in parts {
        let rule = p
            .rule
            .as_ref()
            .map(|r| format!("{} ({})", r.name, r.priority))
            .unwrap_or_else(|| "(end of rules)".into());
        let mut line = format!(
            "{} {} by {}",
            p.outcome.as_str(),
            describe_set(&p.set, cands),
            rule
        );
        if let Some(m) = &p.maybe {
            line.push_str(&format!(
                "; {} ({}) may match first: {}",
                m.name,
                m.priority,
                m.note.clone().unwrap_or_default()
            ));
        }
        lines.push(line);
    }
    if !unknown.is_empty() && decision != "unknown" {
        lines.push(format!("undecidable for {}", describe_set(&unknown, cands)));
    }
    h.detail = Some(lines.join("; "));
    h
}

fn route_hops(ev: &NetEval) -> Vec<Hop> {
    if ev.routes.is_empty() {
        return Vec::new();
    }
    let bad = ev.routes.iter().find(|r| r.fate != ReplyFate::Returns);
    let pick = bad.unwrap_or(&ev.routes[0]);
    let decision = match pick.fate {
        ReplyFate::Returns => "ok",
        ReplyFate::Asymmetric => "asymmetric",
        ReplyFate::Dropped => "dropped",
        ReplyFate::Unknown => "unknown",
    };
    let mut h = Hop::new("route", None, decision);
    h.rule = pick.route.clone();
    h.detail = Some(format!(
        "reply to {} via {} {}{}",
        describe_set(&pick.set, &ev.candidates),
        if pick.route.is_some() {
            "user route"
        } else {
            "system route"
        },
        pick.prefix,
        match (&pick.next_hop, &pick.next_hop_ip) {
            (hop, Some(ip)) => format!(" → {} {}", hop.as_str(), ip),
            (hop, None) => format!(" → {}", hop.as_str()),
        }
    ));
    vec![h]
}

/// `--probe`: does the entry point's DNS name still lead to its address?
fn dns_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let (name, answer) = p.dns?;
    let resource = p.public_ip.map(|pip| pip.id.id.clone());
    let (decision, detail) = match (answer, p.address, p.dns_current()) {
        (DnsAnswer::Failed(why), _, _) => {
            ("unknown", format!("{name} does not resolve here: {why}"))
        }
        (_, Some(addr), Some(true)) => ("ok", format!("{name} resolves to {addr} here")),
        (DnsAnswer::Resolved(addrs), Some(addr), Some(false)) => (
            "stale",
            format!(
                "{name} resolves to {} here, not to the current address {addr}",
                list(addrs)
            ),
        ),
        (DnsAnswer::Resolved(addrs), _, _) => (
            "unknown",
            format!(
                "{name} resolves to {} here; the entry point has no address to compare",
                list(addrs)
            ),
        ),
    };
    let mut h = Hop::new("dns", resource, decision);
    h.detail = Some(detail);
    Some(h)
}

fn list(addrs: &[IpAddr]) -> String {
    if addrs.is_empty() {
        return "no address".into();
    }
    addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--probe`: what a TCP connect from this machine to the entry point did.
fn probe_hop(p: &PathAnalysis<'_>) -> Option<Hop> {
    let t = p.probe?;
    let target = p.connect_to()?;
    let (decision, detail) = match t.outcome {
        TcpOutcome::Open => (
            "open",
            format!("TCP connect to {target} from this machine: open after {} ms", t.millis),
        ),
        TcpOutcome::Refused => (
            "refused",
            format!(
                "TCP connect to {target} from this machine: refused after {} ms (a host answered, nothing listens)",
                t.millis
            ),
        ),
        TcpOutcome::TimedOut => (
            "timedOut",
            format!(
                "TCP connect to {target} from this machine: no answer within {} ms (dropped on the way)",
                t.millis
            ),
        ),
        TcpOutcome::Unreachable => (
            "unknown",
            format!(
                "TCP connect to {target} could not be sent from this machine: {}",
                t.detail.as_deref().unwrap_or("unreachable")
            ),
        ),
    };
    let mut h = Hop::new("probe", None, decision);
    h.detail = Some(detail);
    Some(h)
}

fn power_hop(a: &VmAnalysis<'_>) -> Hop {
    let decision = match a.power {
        PowerState::Running => "ok",
        PowerState::Unknown => "unknown",
        _ => "blocked",
    };
    Hop::new("power", Some(a.id.id.clone()), decision).detail(a.power.as_str().to_string())
}

fn guest_hop(a: &VmAnalysis<'_>) -> Option<Hop> {
    let g = a.guest?;
    let mut problems = Vec::new();
    if g.rdp_enabled == Some(false) {
        problems.push("remote connections are disabled (fDenyTSConnections = 1)");
    }
    if g.term_service_running == Some(false) {
        problems.push("TermService is not running");
    }
    if g.listening == Some(false) {
        problems.push("nothing listens on the RDP port");
    }
    if g.firewall_allows_rdp == Some(false) {
        problems.push("Windows Firewall does not allow the RDP port");
    }
    let decision = match (problems.is_empty(), &g.error) {
        (false, _) => "blocked",
        (true, Some(_)) => "unknown",
        (true, None) => "ok",
    };
    // Every fact known, in the order a connection meets them.
    let fact =
        |v: Option<bool>, yes: &str, no: &str| v.map(|b| if b { yes } else { no }.to_string());
    let facts: Vec<String> = [
        g.rdp_port.map(|p| format!("RDP-Tcp port {p}")),
        fact(
            g.rdp_enabled,
            "remote connections allowed",
            "remote connections disabled (fDenyTSConnections = 1)",
        ),
        fact(
            g.term_service_running,
            "TermService running",
            "TermService not running",
        ),
        fact(g.listening, "listening", "nothing listening"),
        fact(
            g.firewall_allows_rdp,
            "Windows Firewall allows it",
            "Windows Firewall blocks it",
        ),
        fact(g.nla, "NLA required", "NLA off"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let detail = match (&g.error, facts.is_empty()) {
        (Some(e), true) => format!("not inspected: {e}"),
        (Some(e), false) => format!("{} (partly inspected: {e})", facts.join(", ")),
        (None, _) => facts.join(", "),
    };
    Some(Hop::new("guest", Some(a.id.id.clone()), decision).detail(detail))
}
