//! What a hop is: its kind, its decision and the typed facts behind it (`report::words` phrases
//! them). The builders that read an evaluated path are in `hops`; these types are their own
//! module so that the evaluated path (`analysis`) can hold hops without importing the builders.

use serde::Serialize;
use std::net::IpAddr;

use super::addrset::AddrSet;
use super::nsg::{Outcome, RuleRef};
use super::types::{BlockReason, Unknown, Unusable};
use crate::model::{DnsAnswer, GuestFacts, NextHop, PowerState, Sku, TcpProbe};

/// Which step of a path a hop is. Serialised as the report's `hop` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum HopKind {
    /// Resolving the public IP's DNS name.
    Dns,
    /// The public IP address.
    PublicIp,
    /// A load balancer inbound NAT rule.
    NatRule,
    /// A classic cloud service endpoint.
    ClassicEndpoint,
    /// A classic endpoint's ACL.
    ClassicAcl,
    /// Azure Bastion.
    Bastion,
    /// The network interface.
    Nic,
    /// Data the path needs is missing or unreadable.
    Data,
    /// The subnet's NSG.
    SubnetNsg,
    /// The NIC's NSG.
    NicNsg,
    /// The route the reply takes.
    Route,
    /// The VM's power state.
    Power,
    /// The Windows guest (guest facts).
    Guest,
    /// The `--probe` TCP connect.
    Probe,
    /// A load balancer load-balancing rule.
    LbRule,
    /// An Azure Firewall DNAT rule (docs/decisions.md D25).
    FirewallDnat,
    /// The VNet's security admin rules (Azure Virtual Network Manager, D32).
    AdminRule,
}

impl HopKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HopKind::Dns => "dns",
            HopKind::PublicIp => "publicIp",
            HopKind::NatRule => "natRule",
            HopKind::ClassicEndpoint => "classicEndpoint",
            HopKind::ClassicAcl => "classicAcl",
            HopKind::Bastion => "bastion",
            HopKind::Nic => "nic",
            HopKind::Data => "data",
            HopKind::SubnetNsg => "subnetNsg",
            HopKind::NicNsg => "nicNsg",
            HopKind::Route => "route",
            HopKind::Power => "power",
            HopKind::Guest => "guest",
            HopKind::Probe => "probe",
            HopKind::LbRule => "lbRule",
            HopKind::FirewallDnat => "firewallDnat",
            HopKind::AdminRule => "adminRule",
        }
    }
}

impl std::fmt::Display for HopKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a hop decided. Serialised as the report's `decision` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    /// The hop passes.
    Ok,
    /// An NSG or ACL rule allows.
    Allow,
    /// An NSG or ACL rule denies.
    Deny,
    /// Allowed only for some source ports.
    Partial,
    /// The hop stops RDP regardless of rules.
    Blocked,
    /// The reply's route drops it.
    Dropped,
    /// The reply takes another way back (asymmetric routing).
    Asymmetric,
    /// Undecidable from the data.
    Unknown,
    /// Not reached: no traffic gets this far.
    Skipped,
    /// DNS resolves to an address the entry point no longer has.
    Stale,
    /// The probe connected.
    Open,
    /// The probe's connection was refused.
    Refused,
    /// The probe timed out.
    TimedOut,
    /// The hop lets RDP through only under a condition the data cannot settle (an undocumented
    /// admin-rule tie, a DNAT path behind forced tunnelling: docs/decisions.md D28, D33). It
    /// does not stop the connection: exposure still counts it.
    Conditional,
}

impl Decision {
    /// A decision that stops the connection.
    pub(crate) fn stops(self) -> bool {
        matches!(
            self,
            Decision::Deny | Decision::Blocked | Decision::Dropped | Decision::Asymmetric
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Ok => "ok",
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Partial => "partial",
            Decision::Blocked => "blocked",
            Decision::Dropped => "dropped",
            Decision::Asymmetric => "asymmetric",
            Decision::Unknown => "unknown",
            Decision::Skipped => "skipped",
            Decision::Stale => "stale",
            Decision::Open => "open",
            Decision::Refused => "refused",
            Decision::TimedOut => "timedOut",
            Decision::Conditional => "conditional",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classic endpoint's ACL as the hop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AclFact {
    NotVisible,
    NoRules,
    Permits {
        admitted: AddrSet,
        candidates: AddrSet,
    },
}

/// One part of an NSG level's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LevelPart {
    pub(crate) outcome: Outcome,
    pub(crate) set: AddrSet,
    pub(crate) rule: Option<RuleRef>,
    pub(crate) maybe: Option<RuleRef>,
}

/// The entry point of a path as its hop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryFact {
    PublicIp {
        address: Option<IpAddr>,
        sku: Sku,
        dynamic: bool,
        fqdn: Option<String>,
    },
    NatRule {
        lb: String,
        sku: Sku,
        address: Option<IpAddr>,
        frontend_port: Option<u16>,
        frontend_range: Option<(u16, u16)>,
        backend_port: u16,
        floating: bool,
    },
    Endpoint {
        address: Option<IpAddr>,
        public_port: u16,
        private_port: u16,
    },
    Acl(AclFact),
    Bastion {
        sources: AddrSet,
        private_ip: Option<IpAddr>,
        port: u16,
        flags: BastionFlags,
    },
    /// A load-balancing rule: `address:frontend_port` → backend port (docs/decisions.md D17).
    LbRule {
        lb: String,
        sku: Sku,
        address: Option<IpAddr>,
        /// `None`: every port (port 0).
        frontend_port: Option<u16>,
        backend_port: u16,
        floating: bool,
        ha_ports: bool,
    },
    /// A firewall DNAT rule: where clients connect and where the firewall translates to.
    FirewallDnat(DnatFact),
}

/// What a Bastion host's configuration adds to its hop (docs/decisions.md D37–D41).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct BastionFlags {
    pub(crate) sku: Option<String>,
    pub(crate) developer: bool,
    pub(crate) shareable_link: bool,
    pub(crate) ip_connect: bool,
    pub(crate) tunneling: bool,
    pub(crate) private_only: bool,
    pub(crate) ip_rules: Vec<ipnet::IpNet>,
}

/// A DNAT rule as its hop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DnatFact {
    pub(crate) firewall: String,
    pub(crate) policy: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) collection: Option<String>,
    pub(crate) rule: Option<String>,
    pub(crate) address: Option<IpAddr>,
    pub(crate) ports: Option<String>,
    pub(crate) translated: Option<IpAddr>,
    pub(crate) translated_port: u16,
    pub(crate) clients: AddrSet,
    /// The firewall addresses the NSGs see.
    pub(crate) snat: AddrSet,
}

/// The data behind a hop's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HopFact {
    /// The entry point is blocked.
    Blocked(BlockReason),
    /// Data the path needs is not in the model.
    Missing(Unknown),
    Entry(EntryFact),
    /// Standard SKU entry points are closed until an NSG allows (docs/decisions.md D10).
    SecureByDefault {
        sku: Option<Sku>,
    },
    NoNsg,
    NsgUnusable(Unusable),
    /// Every address was denied at an earlier level.
    NotReached,
    NsgLevel {
        parts: Vec<LevelPart>,
        /// Addresses the level cannot decide, shown when the level decided others.
        undecided: Option<AddrSet>,
        candidates: AddrSet,
    },
    Route {
        set: AddrSet,
        candidates: AddrSet,
        user_route: bool,
        prefix: String,
        next_hop: NextHop,
        next_hop_ip: Option<String>,
    },
    Dns {
        name: String,
        answer: DnsAnswer,
        address: Option<IpAddr>,
    },
    Probe {
        target: String,
        result: TcpProbe,
    },
    Power(PowerState),
    Guest(GuestFacts),
    /// What the security admin rules did with the candidates.
    Admin {
        parts: Vec<super::admin_types::AdminPart>,
        candidates: AddrSet,
    },
    /// An `AlwaysAllow` admin rule delivered the traffic: the NSGs were not consulted.
    AdminBypass,
    /// The firewall behind a DNAT path tunnels its default route elsewhere without a
    /// Management NIC (docs/decisions.md D28 (c)).
    ForcedTunnel(super::types::ForcedTunnel),
}

/// One step of a path as `check` prints it and the JSON report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub(crate) kind: HopKind,
    pub(crate) resource: Option<String>,
    pub(crate) decision: Decision,
    pub(crate) rule: Option<String>,
    pub(crate) priority: Option<u32>,
    pub(crate) fact: HopFact,
}

impl Hop {
    pub(super) fn new(
        kind: HopKind,
        resource: Option<String>,
        decision: Decision,
        fact: HopFact,
    ) -> Hop {
        Hop {
            kind,
            resource,
            decision,
            rule: None,
            priority: None,
            fact,
        }
    }

    pub(super) fn rule(mut self, rule: Option<String>) -> Hop {
        self.rule = rule;
        self
    }

    /// A hop that stops the connection.
    pub(crate) fn is_stop(&self) -> bool {
        self.decision.stops()
    }

    pub(crate) fn is_unknown(&self) -> bool {
        self.decision == Decision::Unknown
    }

    /// A subnet or NIC NSG hop.
    pub(crate) fn is_nsg(&self) -> bool {
        matches!(self.kind, HopKind::SubnetNsg | HopKind::NicNsg)
    }
}

/// The host a path ends at, as hops see it.
pub(crate) struct HostFacts<'a> {
    pub(crate) vm_id: &'a str,
    pub(crate) power: &'a PowerState,
    pub(crate) guest: Option<&'a GuestFacts>,
}

/// The `rule` of a hop decided by the implicit end of an NSG's rule list.
pub(crate) const END_OF_RULES: &str = "(end of rules)";

impl BlockReason {
    /// The hop a block shows on.
    pub(crate) fn hop(&self) -> HopKind {
        match self {
            BlockReason::NoAddress { .. } => HopKind::PublicIp,
            BlockReason::NatRuleUnbound { .. } | BlockReason::FrontendWithoutPublicIp { .. } => {
                HopKind::NatRule
            }
            BlockReason::SecondaryNic { .. } => HopKind::Nic,
            BlockReason::GuestPortMismatch { .. } => HopKind::Guest,
            BlockReason::EndpointPortMismatch { .. } => HopKind::ClassicEndpoint,
            BlockReason::BastionInboundDenied { .. }
            | BlockReason::BastionOutboundDenied { .. } => HopKind::Bastion,
        }
    }
}
