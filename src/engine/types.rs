//! The engine's vocabulary: options, verdicts, path kinds, and the typed reasons a path is
//! blocked or undecidable. No prose: `report::words` phrases every one of these.

use serde::Serialize;

use super::addrset::AddrSet;
use super::nsg::{Outcome, Part};
use super::route::RoutePart;
use crate::model::{Model, Nsg, ResId};

/// Evaluation settings (`--client-ip`, `--port`).
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

impl Options {
    /// What the client is: "internet" or the `--client-ip` value.
    pub(crate) fn client_label(&self) -> String {
        self.client
            .as_ref()
            .map(|c| c.text.clone())
            .unwrap_or_else(|| "internet".into())
    }
}

/// The client (`--client-ip`) as an address set, with its text.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's addresses.
    pub set: AddrSet,
    pub(crate) text: String,
}

impl Client {
    /// Parses `--client-ip` (one address or a CIDR).
    pub fn parse(s: &str) -> Result<Client, String> {
        let net = crate::model::net::parse_prefix(s)
            .ok_or_else(|| format!("--client-ip: \"{s}\" is not an IP address or CIDR prefix"))?;
        Ok(Client {
            set: AddrSet::from_net(&net),
            text: net.to_string(),
        })
    }
}

/// Whether RDP gets through, for a path or a whole VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// RDP gets through from the client.
    Reachable,
    /// Something on the way stops RDP.
    Blocked,
    /// The data does not decide.
    Unknown,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        }
    }
}

/// How a client enters (docs/decisions.md D11). New entry kinds (load-balancing rules, firewall
/// DNAT, …) become new variants here and new builders in `topology`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum PathKind {
    PublicIp,
    NatRule,
    ClassicEndpoint,
    Bastion,
    /// A load-balancing rule (HA ports included) whose backend pool holds the VM.
    LbRule,
    /// An Azure Firewall DNAT rule (docs/decisions.md D25–D29).
    FirewallDnat,
}

impl PathKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PathKind::PublicIp => "publicIp",
            PathKind::NatRule => "natRule",
            PathKind::ClassicEndpoint => "classicEndpoint",
            PathKind::Bastion => "bastion",
            PathKind::LbRule => "lbRule",
            PathKind::FirewallDnat => "firewallDnat",
        }
    }

    pub(crate) fn is_direct(self) -> bool {
        self != PathKind::Bastion
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deployment {
    Arm,
    Classic,
}

/// The kind of a resource a message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    VirtualMachine,
    NetworkInterface,
    PublicIp,
    LoadBalancer,
    VirtualNetwork,
    RouteTable,
    NetworkSecurityGroup,
    BackendPool,
    FirewallPolicy,
    RuleCollectionGroup,
    IpGroup,
}

/// Why a referenced resource cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnusableState {
    /// In the data but unreadable: why.
    Malformed(String),
    /// Not in the data: the id referenced.
    Dangling(String),
}

/// A referenced resource that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub(crate) what: ResourceKind,
    pub(crate) name: String,
    pub(crate) state: UnusableState,
}

impl Unusable {
    pub(crate) fn of(model: &Model, id: &ResId, what: ResourceKind) -> Unusable {
        Unusable {
            what,
            name: id.name().to_string(),
            state: match model.broken.get(&id.key()) {
                Some(why) => UnusableState::Malformed(why.clone()),
                None => UnusableState::Dangling(id.id.clone()),
            },
        }
    }
}

/// Entry-level data a path needs and the model does not have (the verdict is at best unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// A referenced resource is missing or malformed.
    Resource(Unusable),
    /// The frontend a NAT rule names is not in the data.
    NatFrontendMissing { rule: String, lb: String },
    /// The subnet of an IP configuration is not in the data (nor, then, its network).
    SubnetMissing { subnet: String, vnet: Unusable },
    /// The subnet's route table is missing or malformed.
    RouteTable(Unusable),
    /// None of a Bastion's subnets is in the data.
    BastionSubnetMissing { bastion: String },
    /// The frontend a load-balancing rule names is not in the data.
    LbFrontendMissing { rule: String, lb: String },
    /// The security admin rules of the VM's VNet were not read (docs/decisions.md D36).
    AdminRulesNotRead { vnet: String },
    /// The security admin rules of the VM's VNet could not be understood: why.
    AdminRulesUnusable { vnet: String, why: String },
    /// Part of a firewall DNAT rule (or what it depends on) cannot be read.
    Dnat {
        firewall: String,
        rule: String,
        gap: DnatGap,
    },
}

/// What the data lacks about a DNAT path (docs/decisions.md D25–D31).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DnatGap {
    /// `translatedFqdn`: resolved by the firewall at run time.
    Fqdn(String),
    /// A field of the rule is malformed (field-named).
    Malformed(String),
    /// A referenced IP Group, policy or rule collection group is missing or malformed.
    Resource(Unusable),
    /// A secured Virtual WAN hub firewall: its SNAT addresses are not in the data.
    HubFirewall { hub: String },
    /// The firewall's `AzureFirewallSubnet` is not in the data (the SNAT source is unknown).
    SnatUnknown,
}

/// A problem of the audit on one VM (a diagnostic that makes it incomplete; docs/decisions.md
/// D15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The resource the diagnostic is about.
    pub(crate) resource: String,
    pub(crate) reason: ProblemReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProblemReason {
    /// The VM, a NIC or an NSG is missing or malformed.
    Unusable(Unusable),
    /// An inbound NAT rule's load balancer is missing or malformed.
    NatRuleUnusable { rule: String, lb: Unusable },
    /// A path needed data the model does not have.
    Unknown(Unknown),
    /// A backend pool the IP configuration is in cannot be read: its load-balancing rules are
    /// unknown.
    PoolUnusable { pool: String, lb: Unusable },
}

/// An NSG at one level of a path.
#[derive(Debug, Clone)]
pub enum Slot<'m> {
    /// No NSG at this level: it passes everything (but see Standard SKU).
    None,
    /// The NSG at this level.
    Present(&'m Nsg),
    /// Referenced but missing or malformed: the level cannot be evaluated.
    Unusable(ResId, Unusable),
}

/// Why the entry of a path fails regardless of the NSGs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlockReason {
    /// The public IP has no address (`via_lb`: it is a load balancer's frontend IP).
    NoAddress {
        pip: String,
        dynamic: bool,
        via_lb: Option<String>,
    },
    /// The NAT rule is bound to no backend IP configuration or pool.
    NatRuleUnbound { rule: String, lb: String },
    /// The NAT rule's frontend has no public IP (an internal load balancer).
    FrontendWithoutPublicIp {
        frontend: String,
        rule: String,
        lb: String,
    },
    /// The path enters on a secondary NIC: replies leave through the primary one.
    SecondaryNic { nic: String },
    /// The NAT rule delivers a port the guest does not listen on.
    GuestPortMismatch { delivered: u16, guest: u16 },
    /// The classic endpoint forwards to a port the guest does not listen on.
    EndpointPortMismatch {
        endpoint: String,
        private_port: u16,
        guest: u16,
    },
    /// The NSG on AzureBastionSubnet denies the clients' inbound 443 (docs/decisions.md D40).
    BastionInboundDenied {
        bastion: String,
        nsg: String,
        rule: Option<String>,
    },
    /// The NSG on AzureBastionSubnet denies Bastion's outbound RDP to the VM.
    BastionOutboundDenied {
        bastion: String,
        nsg: String,
        rule: Option<String>,
        port: u16,
    },
}

/// A block on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) reason: BlockReason,
    /// The resource that blocks.
    pub(crate) resource: String,
    /// `true` when the block disappears once the VM runs (e.g. a dynamic IP without address):
    /// exposure rules judge the configuration as if the VM were running (docs/decisions.md D16).
    pub(crate) while_stopped_only: bool,
}

/// How a part of the client set fares on a path's NSGs.
#[derive(Debug, Clone)]
pub struct PathPart {
    /// The client addresses in this part.
    pub set: AddrSet,
    /// What the NSGs decided for them.
    pub outcome: Outcome,
    pub(crate) subnet: Option<Part>,
    pub(crate) nic: Option<Part>,
}

/// The network evaluation of one path for one client set.
#[derive(Debug, Clone, Default)]
pub struct NetEval {
    pub(crate) candidates: AddrSet,
    /// The client set split by outcome; the parts do not overlap.
    pub parts: Vec<PathPart>,
    pub(crate) routes: Vec<RoutePart>,
    /// Admitted by the NSGs (allow or partial).
    pub(crate) admitted: AddrSet,
    /// Admitted only for some source ports.
    pub(crate) partial: AddrSet,
    /// Undecidable from the data (tags, ASGs, unusable NSGs, ACL not visible).
    pub(crate) unknown: AddrSet,
    /// Admitted and the reply comes back.
    pub(crate) reachable: AddrSet,
    /// Standard SKU with no NSG on either level (RDP402).
    pub(crate) secure_by_default: bool,
    /// Why the NSGs could not be evaluated.
    pub(crate) unusable: Option<Unusable>,
    /// How the VNet's security admin rules split the set (empty: no admin rules apply).
    pub(crate) admin: Vec<super::admin_types::AdminPart>,
    /// Firewall DNAT paths: the firewall addresses the NSGs saw instead of the clients (SNAT;
    /// the NSG parts are over these).
    pub(crate) snat: Option<AddrSet>,
}

/// A DNAT path behind forced tunnelling (docs/decisions.md D28): the route table of the
/// firewall's `AzureFirewallSubnet` sends `0.0.0.0/0` to a next hop other than `Internet`, and
/// the firewall has no Management NIC (`managementIpConfiguration`). Microsoft documents that
/// DNAT is then not supported (replies take the tunnel): the path stays, marked conditional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForcedTunnel {
    pub(crate) firewall: String,
    pub(crate) route_table: ResId,
    pub(crate) route: String,
    pub(crate) next_hop: crate::model::NextHop,
    pub(crate) next_hop_ip: Option<String>,
}
