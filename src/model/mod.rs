//! The typed model: every ARM resource rdpaudit reads, parsed once and indexed by id.
//!
//! `build` turns raw ARM resource objects (from a snapshot, live ARM or Resource Graph: all the
//! same) into typed resources. A resource that cannot be understood becomes a [`Diagnostic`]
//! naming the resource and the field, and is remembered in [`Model::broken`] so that every VM
//! depending on it gets the verdict `unknown` instead of a guess. Nothing here panics on input.

pub mod build;
pub mod decode;
pub mod net;
pub mod refs;
pub mod types;
pub mod wire;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

pub use build::build;
pub use types::*;

/// Something that could not be read or understood (the report's `diagnostics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub level: DiagLevel,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_id: Option<String>,
}

impl Diagnostic {
    pub fn error(scope: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: DiagLevel::Error,
            scope: Some(scope.into()),
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
        }
    }

    pub fn warning(scope: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: DiagLevel::Warning,
            ..Diagnostic::error(scope, message)
        }
    }

    /// Errors and warnings make an audit incomplete; `info` does not.
    pub fn makes_incomplete(&self) -> bool {
        matches!(self.level, DiagLevel::Error | DiagLevel::Warning)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagLevel {
    Error,
    Warning,
    Info,
}

/// Facts about the Windows guest (a snapshot's `guest`), every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestFacts {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rdp_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rdp_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub term_service_running: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub listening: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub firewall_allows_rdp: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nla: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// What a TCP connect from this machine to a public RDP endpoint did (`--probe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TcpOutcome {
    /// The three-way handshake completed: something listens and nothing on the way drops it.
    Open,
    /// A RST came back: the packet reached a host, but nothing listens on the port.
    Refused,
    /// No answer within the timeout: something on the way (or the guest firewall) drops it.
    TimedOut,
    /// This machine could not send at all (no route, network down, address family missing).
    Unreachable,
}

impl TcpOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TcpOutcome::Open => "open",
            TcpOutcome::Refused => "refused",
            TcpOutcome::TimedOut => "timedOut",
            TcpOutcome::Unreachable => "unreachable",
        }
    }
}

/// One TCP probe's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpProbe {
    pub outcome: TcpOutcome,
    /// The OS error for `Unreachable` (e.g. "Network is unreachable (os error 101)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Time until the outcome, in milliseconds.
    pub millis: u64,
}

/// What this machine's resolver answered for a public IP's DNS name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    Resolved(Vec<IpAddr>),
    Failed(String),
}

/// Results of `--probe`, keyed by what was probed. Empty maps when `--probe` was not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    /// By endpoint (`address:port`).
    pub tcp: HashMap<std::net::SocketAddr, TcpProbe>,
    /// By DNS name, lower-cased, without a trailing dot.
    pub dns: HashMap<String, DnsAnswer>,
}

impl Probes {
    /// The key of `dns`: trimmed, lower-cased, without trailing dots, so
    /// `Host.CloudApp.Azure.com.` and `host.cloudapp.azure.com` are one look-up.
    pub fn dns_key(name: &str) -> String {
        name.trim().trim_end_matches('.').to_ascii_lowercase()
    }
}

/// What `--probe` tries: TCP endpoints and DNS names (duplicates are probed once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbePlan {
    pub endpoints: Vec<std::net::SocketAddr>,
    /// DNS names as ARM gives them (`dnsSettings.fqdn`), normalised by [`Probes::dns_key`].
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsType {
    Windows,
    Linux,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    Ready,
    NotReady,
    Unknown,
}

/// An ARM virtual machine.
#[derive(Debug, Clone)]
pub struct Vm {
    pub id: ResId,
    pub name: String,
    pub location: Option<String>,
    pub os: OsType,
    /// NIC references with the VM-side `primary` flag when present.
    pub nics: Vec<(ResId, Option<bool>)>,
    pub power: PowerState,
    pub provisioning_state: Option<String>,
    /// Instance view `ProvisioningState/failed/...`.
    pub provisioning_failed: bool,
    pub agent: AgentState,
    pub agent_status: Option<String>,
    pub boot_diagnostics: Option<bool>,
}

/// A classic (ASM) VM seen through ARM (`Microsoft.ClassicCompute/virtualMachines`).
#[derive(Debug, Clone)]
pub struct ClassicVm {
    pub id: ResId,
    pub name: String,
    pub location: Option<String>,
    pub os: OsType,
    pub power: PowerState,
    pub endpoints: Vec<ClassicEndpoint>,
    pub fqdn: Option<String>,
    /// The VIP from the instance view, used when an endpoint does not name its own.
    pub vip: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub struct ClassicEndpoint {
    pub name: String,
    pub private_port: u16,
    pub public_port: u16,
    pub protocol: Protocol,
    pub vip: Option<IpAddr>,
    /// `None`: the ACL is not visible in the data (docs/decisions.md D13: unknown, not open).
    pub acl: Option<Vec<AclRule>>,
}

#[derive(Debug, Clone)]
pub struct AclRule {
    pub order: i64,
    pub permit: bool,
    pub subnet: IpNet,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Nic {
    pub id: ResId,
    pub name: String,
    pub nsg: Option<ResId>,
    pub ip_configs: Vec<IpConfig>,
    pub primary: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct IpConfig {
    pub id: ResId,
    pub name: String,
    pub primary: Option<bool>,
    pub private_ip: Option<IpAddr>,
    pub subnet: Option<ResId>,
    pub public_ip: Option<ResId>,
    pub asgs: Vec<ResId>,
    pub nat_rules: Vec<ResId>,
    pub backend_pools: Vec<ResId>,
}

#[derive(Debug, Clone)]
pub struct Nsg {
    pub id: ResId,
    pub name: String,
    pub provisioning_state: Option<String>,
    /// Inbound rules sorted by priority, custom then default (docs/decisions.md D6).
    pub inbound: Vec<SecurityRule>,
}

#[derive(Debug, Clone)]
pub struct SecurityRule {
    pub name: String,
    pub priority: u32,
    pub access: Access,
    pub protocol: Protocol,
    pub source: AddrSpec,
    pub source_ports: PortSet,
    pub destination: AddrSpec,
    pub destination_ports: PortSet,
    pub is_default: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PublicIp {
    pub id: ResId,
    pub name: String,
    pub sku: Sku,
    pub address: Option<IpAddr>,
    pub dynamic: bool,
    pub attached_to: Option<ResId>,
    pub fqdn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Vnet {
    pub id: ResId,
    pub name: String,
    pub address_space: Vec<IpNet>,
    pub subnets: Vec<Subnet>,
    pub peerings: Vec<Peering>,
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: ResId,
    pub name: String,
    pub prefixes: Vec<IpNet>,
    pub nsg: Option<ResId>,
    pub route_table: Option<ResId>,
    /// `Some(n)` when the body lists the subnet's ipConfigurations (gateway detection).
    pub ip_config_count: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Peering {
    pub name: String,
    pub remote_vnet: Option<ResId>,
    pub remote_space: Vec<IpNet>,
    pub connected: bool,
    pub use_remote_gateways: bool,
}

#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub id: ResId,
    pub name: String,
    pub sku: Sku,
    pub frontends: Vec<Frontend>,
    pub nat_rules: Vec<NatRule>,
    /// Backend pool id → member ipconfig ids (as the LB lists them).
    pub pools: Vec<(ResId, Vec<ResId>)>,
}

#[derive(Debug, Clone)]
pub struct Frontend {
    pub id: ResId,
    pub name: String,
    pub public_ip: Option<ResId>,
}

#[derive(Debug, Clone)]
pub struct NatRule {
    pub id: ResId,
    pub name: String,
    pub frontend: Option<ResId>,
    pub backend_ip_config: Option<ResId>,
    pub protocol: Protocol,
    pub frontend_port: Option<u16>,
    pub backend_port: Option<u16>,
    /// v2 NAT rules on a backend pool: the per-VM frontend port comes from this range.
    pub frontend_range: Option<(u16, u16)>,
    pub backend_pool: Option<ResId>,
    pub floating_ip: bool,
}

#[derive(Debug, Clone)]
pub struct RouteTable {
    pub id: ResId,
    pub name: String,
    pub routes: Vec<Route>,
    pub disable_bgp_propagation: bool,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    /// `None` when the prefix is a service tag (not expandable from the data).
    pub prefix: Option<IpNet>,
    pub prefix_text: String,
    pub next_hop: NextHop,
    pub next_hop_ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Bastion {
    pub id: ResId,
    pub name: String,
    pub subnets: Vec<ResId>,
}

/// Everything read, typed and indexed by case-folded id.
#[derive(Debug, Default)]
pub struct Model {
    pub vms: Vec<Vm>,
    pub classic_vms: Vec<ClassicVm>,
    pub nics: HashMap<String, Nic>,
    pub nsgs: HashMap<String, Nsg>,
    pub public_ips: HashMap<String, PublicIp>,
    pub vnets: HashMap<String, Vnet>,
    /// Subnet key → (VNet key, index in `Vnet::subnets`).
    pub subnets: HashMap<String, (String, usize)>,
    pub load_balancers: HashMap<String, LoadBalancer>,
    pub route_tables: HashMap<String, RouteTable>,
    pub bastions: Vec<Bastion>,
    pub asgs: HashMap<String, ResId>,
    /// ipconfig key → (NIC key, index in `Nic::ip_configs`).
    pub ip_configs: HashMap<String, (String, usize)>,
    /// NAT rule key → (LB key, index in `LoadBalancer::nat_rules`).
    pub nat_rules: HashMap<String, (String, usize)>,
    /// LB frontend key → (LB key, index in `LoadBalancer::frontends`).
    pub frontends: HashMap<String, (String, usize)>,
    /// Resources that were present but could not be understood: key → what was wrong.
    pub broken: HashMap<String, String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Resources of types rdpaudit does not read (not an error).
    pub ignored: usize,
}

impl Model {
    pub fn subnet(&self, id: &ResId) -> Option<(&Vnet, &Subnet)> {
        let (vk, idx) = self.subnets.get(&id.key)?;
        let vnet = self.vnets.get(vk)?;
        Some((vnet, vnet.subnets.get(*idx)?))
    }

    pub fn ip_config(&self, id: &ResId) -> Option<(&Nic, &IpConfig)> {
        let (nk, idx) = self.ip_configs.get(&id.key)?;
        let nic = self.nics.get(nk)?;
        Some((nic, nic.ip_configs.get(*idx)?))
    }

    pub fn nat_rule(&self, id: &ResId) -> Option<(&LoadBalancer, &NatRule)> {
        let (lk, idx) = self.nat_rules.get(&id.key)?;
        let lb = self.load_balancers.get(lk)?;
        Some((lb, lb.nat_rules.get(*idx)?))
    }

    pub fn frontend(&self, id: &ResId) -> Option<(&LoadBalancer, &Frontend)> {
        let (lk, idx) = self.frontends.get(&id.key)?;
        let lb = self.load_balancers.get(lk)?;
        Some((lb, lb.frontends.get(*idx)?))
    }

    /// Why a referenced resource cannot be used: broken (malformed) or missing from the data.
    pub fn unusable(&self, id: &ResId, what: &str) -> String {
        match self.broken.get(&id.key) {
            Some(why) => format!("{what} {} is malformed: {why}", id.name()),
            None => format!(
                "{what} {} is not in the data (dangling reference {})",
                id.name(),
                id.id
            ),
        }
    }
}
