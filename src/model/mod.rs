//! The typed model: every ARM resource rdpaudit reads, parsed once and indexed by id.
//!
//! `build` turns raw ARM resource objects (from a snapshot, live ARM or Resource Graph: all the
//! same) into typed resources. A resource that cannot be understood becomes a [`Diagnostic`]
//! naming the resource and the field, and is remembered in `Model::broken` so that every VM
//! depending on it gets the verdict `unknown` instead of a guess. Nothing here panics on input.

mod build;
pub(crate) mod decode;
pub(crate) mod doors;
mod id;
pub(crate) mod net;
pub(crate) mod refs;
pub(crate) mod refs_doors;
mod rules;
mod swap;
pub(crate) mod types;
pub(crate) mod wire;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

pub use build::{
    build, build_with, decode_each, Background, Building, DecodedBlock, Incomplete, Texts,
};
pub use doors::{AdminAccess, AdminRule};
pub use id::IdMap;
pub use id::{IdKey, IdText, Key, ResId};
pub(crate) use id::{IdSet, Interner};
pub use net::{parse_port, parse_port_item, parse_prefix};
pub use rules::{Rules, RulesIter};
pub use types::*;

/// Something that could not be read or understood (the report's `diagnostics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// Error, warning or info.
    pub level: DiagLevel,
    /// What it is about, e.g. a resource id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
    /// What went wrong, in words.
    pub message: String,
    /// The HTTP status, for a failed ARM request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    /// The ARM error code, for a failed ARM request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    /// ARM's request id (`x-ms-request-id`), for support cases.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_id: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(scope: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: DiagLevel::Error,
            scope: Some(scope.into()),
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
        }
    }

    pub(crate) fn warning(scope: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: DiagLevel::Warning,
            ..Diagnostic::error(scope, message)
        }
    }

    /// Errors and warnings make an audit incomplete; `info` does not.
    pub(crate) fn makes_incomplete(&self) -> bool {
        matches!(self.level, DiagLevel::Error | DiagLevel::Warning)
    }
}

/// How much a diagnostic matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagLevel {
    /// Something could not be read: the audit is incomplete.
    Error,
    /// Something may be missing: the audit is incomplete.
    Warning,
    /// Worth knowing; the audit stays complete.
    Info,
}

/// Facts about the Windows guest (a snapshot's `guest`), every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestFacts {
    /// The port RDP listens on in the guest.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rdp_port: Option<u16>,
    /// RDP connections are allowed (`fDenyTSConnections` is 0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rdp_enabled: Option<bool>,
    /// The Remote Desktop Services service (`TermService`) is running.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub term_service_running: Option<bool>,
    /// Something listens on the RDP port.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub listening: Option<bool>,
    /// Windows Firewall admits RDP on the active profile.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub firewall_allows_rdp: Option<bool>,
    /// Network Level Authentication is required.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nla: Option<bool>,
    /// Why the guest could not be inspected.
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
    pub(crate) fn as_str(self) -> &'static str {
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
    /// What the connect did.
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
    /// The addresses the name resolved to.
    Resolved(Vec<IpAddr>),
    /// The look-up failed; the resolver's error.
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
    /// Public endpoints (`address:port`) to connect to.
    pub endpoints: Vec<std::net::SocketAddr>,
    /// DNS names as ARM gives them (`dnsSettings.fqdn`), normalised by [`Probes::dns_key`].
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OsType {
    Windows,
    Linux,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgentState {
    Ready,
    NotReady,
    Unknown,
}

/// An ARM virtual machine.
#[derive(Debug, Clone)]
pub(crate) struct Vm {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) location: Option<String>,
    pub(crate) os: OsType,
    /// NIC references with the VM-side `primary` flag when present.
    pub(crate) nics: Vec<(ResId, Option<bool>)>,
    pub(crate) power: PowerState,
    pub(crate) provisioning_state: Option<String>,
    /// Instance view `ProvisioningState/failed/...`.
    pub(crate) provisioning_failed: bool,
    pub(crate) agent: AgentState,
    pub(crate) agent_status: Option<String>,
    pub(crate) boot_diagnostics: Option<bool>,
}

/// A classic (ASM) VM seen through ARM (`Microsoft.ClassicCompute/virtualMachines`).
#[derive(Debug, Clone)]
pub(crate) struct ClassicVm {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) location: Option<String>,
    pub(crate) os: OsType,
    pub(crate) power: PowerState,
    pub(crate) endpoints: Vec<ClassicEndpoint>,
    pub(crate) fqdn: Option<String>,
    /// The VIP from the instance view, used when an endpoint does not name its own.
    pub(crate) vip: Option<IpAddr>,
}

#[derive(Debug, Clone)]
pub(crate) struct ClassicEndpoint {
    pub(crate) name: String,
    pub(crate) private_port: u16,
    pub(crate) public_port: u16,
    pub(crate) protocol: Protocol,
    pub(crate) vip: Option<IpAddr>,
    /// `None`: the ACL is not visible in the data (docs/decisions.md D13: unknown, not open).
    pub(crate) acl: Option<Vec<AclRule>>,
}

#[derive(Debug, Clone)]
pub(crate) struct AclRule {
    pub(crate) order: i64,
    pub(crate) permit: bool,
    pub(crate) subnet: IpNet,
}

#[derive(Debug, Clone)]
pub(crate) struct Nic {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) nsg: Option<ResId>,
    pub(crate) ip_configs: Vec<IpConfig>,
    pub(crate) primary: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct IpConfig {
    pub(crate) id: ResId,
    pub(crate) primary: Option<bool>,
    pub(crate) private_ip: Option<IpAddr>,
    pub(crate) subnet: Option<ResId>,
    pub(crate) public_ip: Option<ResId>,
    pub(crate) asgs: thin_vec::ThinVec<ResId>,
    pub(crate) nat_rules: thin_vec::ThinVec<ResId>,
    pub(crate) backend_pools: thin_vec::ThinVec<ResId>,
}

/// A network security group.
#[derive(Debug, Clone)]
pub struct Nsg {
    /// Its resource id.
    pub id: ResId,
    /// Its name.
    pub name: String,
    /// ARM's `provisioningState` (RDP408 flags anything but `Succeeded`).
    pub provisioning_state: Option<String>,
    /// Inbound rules sorted by priority, custom then default (docs/decisions.md D6).
    pub inbound: Rules,
    /// Outbound rules sorted the same way (the AzureBastionSubnet check reads them).
    pub outbound: Rules,
}

/// One NSG security rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRule {
    /// The rule's name.
    pub name: String,
    /// Lower is evaluated first.
    pub priority: u32,
    /// Allow or deny.
    pub access: Access,
    /// The protocol it matches.
    pub protocol: Protocol,
    /// The source addresses it matches.
    pub source: AddrSpec,
    /// The source ports it matches.
    pub source_ports: PortSet,
    /// The destination addresses it matches.
    pub destination: AddrSpec,
    /// The destination ports it matches.
    pub destination_ports: PortSet,
    /// One of Azure's default rules (priority 65000 and up).
    pub is_default: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct PublicIp {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub sku: Sku,
    pub(crate) address: Option<IpAddr>,
    pub(crate) dynamic: bool,
    pub(crate) fqdn: Option<String>,
}

/// A virtual network.
#[derive(Debug, Clone)]
pub struct Vnet {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) address_space: Vec<IpNet>,
    pub(crate) subnets: Vec<Subnet>,
    pub(crate) peerings: Vec<Peering>,
}

#[derive(Debug, Clone)]
pub(crate) struct Subnet {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) prefixes: Vec<IpNet>,
    pub(crate) nsg: Option<ResId>,
    pub(crate) route_table: Option<ResId>,
    /// `Some(n)` when the body lists the subnet's ipConfigurations (gateway detection).
    pub(crate) ip_config_count: Option<usize>,
    /// The services the subnet is delegated to (`delegations[].properties.serviceName`).
    pub(crate) delegations: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Peering {
    pub(crate) remote_vnet: Option<ResId>,
    pub(crate) remote_space: Vec<IpNet>,
    pub(crate) connected: bool,
    pub(crate) use_remote_gateways: bool,
    /// The peering's name (`virtualNetworkPeerings[].name`).
    pub(crate) name: String,
    /// `allowVirtualNetworkAccess` (default true): this VNet's VMs may reach the remote VNet.
    pub(crate) allow_access: bool,
    /// `allowForwardedTraffic` (default false): traffic an appliance forwards may enter here.
    pub(crate) allow_forwarded: bool,
    /// `allowGatewayTransit` (default false): the remote VNet may use this VNet's gateway.
    pub(crate) allow_gateway_transit: bool,
}

/// A load balancer.
#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub(crate) id: ResId,
    pub(crate) name: String,
    /// Basic or Standard.
    pub sku: Sku,
    pub(crate) frontends: Vec<Frontend>,
    pub(crate) nat_rules: Vec<NatRule>,
    /// Backend pool id → member ipconfig ids (as the LB lists them).
    pub(crate) pools: Vec<(ResId, Vec<ResId>)>,
    /// Load-balancing rules (docs/decisions.md D17).
    pub(crate) lb_rules: Vec<LbRule>,
    /// Backend pool id → members defined by IP address (docs/decisions.md D22).
    pub(crate) pool_addresses: Vec<(ResId, Vec<PoolAddress>)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Frontend {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) public_ip: Option<ResId>,
    /// An internal frontend's address (`privateIPAddress`; `None` when absent or malformed).
    pub(crate) private_ip: Option<IpAddr>,
    /// An internal frontend's subnet: where its private clients are (docs/decisions.md D21).
    pub(crate) subnet: Option<ResId>,
}

/// A load-balancing rule: `frontend:frontend_port` → every pool member's `backend_port`.
#[derive(Debug, Clone)]
pub(crate) struct LbRule {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) frontend: Option<ResId>,
    /// `backendAddressPool`, plus the plural `backendAddressPools` of Gateway-style rules.
    pub(crate) pools: Vec<ResId>,
    /// `Tcp` or `All` (RDP is TCP); `Udp` and `Quic` do not carry it.
    pub(crate) carries_tcp: bool,
    /// `All` (HA ports when both ports are 0).
    pub(crate) all_protocols: bool,
    /// `None`: port 0, every port (docs/decisions.md D19).
    pub(crate) frontend_port: Option<u16>,
    /// `None`: port 0, every port, unchanged.
    pub(crate) backend_port: Option<u16>,
    pub(crate) floating_ip: bool,
}

impl LbRule {
    /// HA ports: protocol `All`, frontend and backend port 0.
    pub(crate) fn ha_ports(&self) -> bool {
        self.all_protocols && self.frontend_port.is_none() && self.backend_port.is_none()
    }
}

/// A backend pool member defined by IP address (and VNet), not by NIC.
#[derive(Debug, Clone)]
pub(crate) struct PoolAddress {
    pub(crate) ip: Option<IpAddr>,
    pub(crate) vnet: Option<ResId>,
    /// The NIC IP configuration ARM resolved it to (read-only field), when present.
    pub(crate) ip_config: Option<ResId>,
    /// v2 NAT rules: (rule name, frontend port) assigned to this member.
    pub(crate) nat_ports: Vec<(String, u16)>,
}

#[derive(Debug, Clone)]
pub(crate) struct NatRule {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) frontend: Option<ResId>,
    pub(crate) backend_ip_config: Option<ResId>,
    pub(crate) protocol: Protocol,
    pub(crate) frontend_port: Option<u16>,
    pub(crate) backend_port: Option<u16>,
    /// v2 NAT rules on a backend pool: the per-VM frontend port comes from this range.
    pub(crate) frontend_range: Option<(u16, u16)>,
    pub(crate) backend_pool: Option<ResId>,
    pub(crate) floating_ip: bool,
}

/// A route table (user-defined routes).
#[derive(Debug, Clone)]
pub struct RouteTable {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) routes: Vec<Route>,
    pub(crate) disable_bgp_propagation: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) name: String,
    /// `None` when the prefix is a service tag (not expandable from the data).
    pub(crate) prefix: Option<IpNet>,
    pub(crate) next_hop: NextHop,
    pub(crate) next_hop_ip: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Bastion {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) subnets: Vec<ResId>,
    /// `sku.name` as written (`Developer`, `Basic`, `Standard`, `Premium`); `None`: absent.
    pub(crate) sku: Option<String>,
    /// Developer SKU: the VNet it serves from Azure's shared pool (docs/decisions.md D39).
    pub(crate) vnet: Option<ResId>,
    /// `enableShareableLink` (RDP805).
    pub(crate) shareable_link: bool,
    /// `enableIpConnect` (RDP806).
    pub(crate) ip_connect: bool,
    /// `enableTunneling`: native RDP client (informative).
    pub(crate) tunneling: bool,
    /// `enablePrivateOnlyBastion` (Premium): no public ingress.
    pub(crate) private_only: bool,
    /// `networkAcls.ipRules`: the client addresses allowed to open sessions (Developer SKU).
    pub(crate) ip_rules: Vec<IpNet>,
}

impl Bastion {
    /// The Developer SKU: no AzureBastionSubnet, shared infrastructure (a host with a VNet
    /// and no subnet is read as one even without `sku`).
    pub(crate) fn developer(&self) -> bool {
        let named = self
            .sku
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("developer"));
        named || (self.subnets.is_empty() && self.vnet.is_some())
    }
}

/// Everything read, typed and indexed by case-folded id.
#[derive(Debug, Default, Clone)]
pub struct Model {
    pub(crate) vms: Vec<Vm>,
    pub(crate) classic_vms: Vec<ClassicVm>,
    pub(crate) nics: IdMap<Nic>,
    pub(crate) nsgs: IdMap<Nsg>,
    pub(crate) public_ips: IdMap<PublicIp>,
    pub(crate) vnets: IdMap<Vnet>,
    /// Subnet key → (VNet key, index in `Vnet::subnets`).
    pub(crate) subnets: IdMap<(IdKey, usize)>,
    /// Load balancers by id key.
    pub load_balancers: IdMap<LoadBalancer>,
    pub(crate) route_tables: IdMap<RouteTable>,
    pub(crate) bastions: Vec<Bastion>,
    pub(crate) asgs: IdMap<ResId>,
    /// ipconfig key → (NIC key, index in `Nic::ip_configs`).
    pub(crate) ip_configs: IdMap<(IdKey, usize)>,
    /// NAT rule key → (LB key, index in `LoadBalancer::nat_rules`).
    pub(crate) nat_rules: IdMap<(IdKey, usize)>,
    /// LB frontend key → (LB key, index in `LoadBalancer::frontends`).
    pub(crate) frontends: IdMap<(IdKey, usize)>,
    /// Resources that were present but could not be understood: key → what was wrong.
    pub(crate) broken: IdMap<String>,
    /// What could not be read while building the model.
    pub diagnostics: Vec<Diagnostic>,
    /// Resources of types rdpaudit does not read (not an error).
    pub(crate) ignored: usize,
    /// Azure Firewalls (docs/decisions.md D25–D31), sorted by id.
    pub(crate) firewalls: Vec<doors::Firewall>,
    /// Firewall Policies by id key.
    pub(crate) firewall_policies: IdMap<doors::FirewallPolicy>,
    /// Firewall Policy rule collection groups.
    pub(crate) rule_groups: Vec<doors::RuleGroup>,
    /// IP Groups by id key.
    pub(crate) ip_groups: IdMap<doors::IpGroup>,
    /// Security admin rules by VNet key (docs/decisions.md D32–D36); `None`: not collected.
    pub(crate) admin_rules: doors::AdminSection,
    /// Virtual network gateways by id key.
    pub(crate) gateways: IdMap<VnetGateway>,
    /// Local network gateways by id key.
    pub(crate) local_gateways: IdMap<LocalGateway>,
    /// Gateway connections, sorted by id key.
    pub(crate) connections: Vec<Connection>,
    /// Peerings read as their own resources, by VNet key, until `build` gives them to the VNet.
    pub(crate) loose_peerings: Vec<(ResId, Peering)>,
    /// Outbound security admin rules by VNet key, for east-west flows leaving a VNet
    /// (docs/decisions.md D45); `None`: not collected.
    pub(crate) admin_rules_out: doors::AdminSection,
    /// The prefixes each VNet's gateways bring in (`engine::gateways`), computed on first use:
    /// every tag expansion needs them, and a hub's peerings are many.
    pub(crate) gateway_prefixes: std::sync::OnceLock<IdMap<Vec<IpNet>>>,
}

/// A virtual network gateway (VPN or ExpressRoute), docs/decisions.md D44.
#[derive(Debug, Clone)]
pub(crate) struct VnetGateway {
    pub(crate) id: ResId,
    pub(crate) name: String,
    /// The VNet of its `GatewaySubnet` (from its IP configurations).
    pub(crate) vnet: Option<ResId>,
    /// `enableBgp`: on-premises may advertise prefixes the configuration does not show.
    pub(crate) bgp: bool,
    /// `vpnClientConfiguration.vpnClientAddressPool.addressPrefixes` (point-to-site clients).
    pub(crate) p2s_pool: Vec<IpNet>,
}

/// A local network gateway: the on-premises side of a site-to-site connection.
#[derive(Debug, Clone)]
pub(crate) struct LocalGateway {
    pub(crate) id: ResId,
    pub(crate) name: String,
    /// `localNetworkAddressSpace.addressPrefixes`.
    pub(crate) prefixes: Vec<IpNet>,
    /// `bgpSettings` is present: more prefixes may be learned over BGP.
    pub(crate) bgp: bool,
}

/// What a connection joins (`connectionType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectionKind {
    IpSec,
    Vnet2Vnet,
    ExpressRoute,
    VpnClient,
    Other(String),
}

/// A `Microsoft.Network/connections` resource.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) kind: ConnectionKind,
    /// `connectionStatus` as written (every status counts, D44; it is printed).
    pub(crate) status: Option<String>,
    pub(crate) gateway1: Option<ResId>,
    pub(crate) gateway2: Option<ResId>,
    pub(crate) local_gateway2: Option<ResId>,
    pub(crate) bgp: bool,
}

impl Model {
    pub(crate) fn subnet(&self, id: &ResId) -> Option<(&Vnet, &Subnet)> {
        let (vk, idx) = self.subnets.get(&id.key())?;
        let vnet = self.vnets.get(vk)?;
        Some((vnet, vnet.subnets.get(*idx)?))
    }

    pub(crate) fn nat_rule(&self, id: &ResId) -> Option<(&LoadBalancer, &NatRule)> {
        let (lk, idx) = self.nat_rules.get(&id.key())?;
        let lb = self.load_balancers.get(lk)?;
        Some((lb, lb.nat_rules.get(*idx)?))
    }

    pub(crate) fn frontend(&self, id: &ResId) -> Option<(&LoadBalancer, &Frontend)> {
        let (lk, idx) = self.frontends.get(&id.key())?;
        let lb = self.load_balancers.get(lk)?;
        Some((lb, lb.frontends.get(*idx)?))
    }
}

impl Model {
    /// Every VM (ARM and classic): its id and name.
    pub fn vm_names(&self) -> Vec<(&ResId, &str)> {
        let arm = self.vms.iter().map(|v| (&v.id, v.name.as_str()));
        arm.chain(self.classic_vms.iter().map(|v| (&v.id, v.name.as_str())))
            .collect()
    }

    /// The ids of the VMs (ARM and classic) with this name, in this resource group when given;
    /// both compared case-insensitively, as Azure does.
    pub fn vm_ids_named(&self, group: Option<&str>, name: &str) -> Vec<String> {
        let arm = self.vms.iter().map(|v| (&v.id, &v.name));
        let classic = self.classic_vms.iter().map(|v| (&v.id, &v.name));
        arm.chain(classic)
            .filter(|(id, n)| {
                n.eq_ignore_ascii_case(name)
                    && group.is_none_or(|g| {
                        id.segment_after("resourceGroups")
                            .is_some_and(|rg| rg.eq_ignore_ascii_case(g))
                    })
            })
            .map(|(id, _)| id.id.clone())
            .collect()
    }
}
