//! Model types of the doors beside NICs and load balancers: Azure Firewall DNAT rules (classic
//! and Firewall Policy), IP Groups, and Azure Virtual Network Manager security admin rules
//! (docs/decisions.md D25–D36).

use ipnet::IpNet;
use std::net::IpAddr;

use super::types::{AddrSpec, PortSet, Protocol};
use super::ResId;

/// Addresses as firewall rules and IP Groups write them: `*`, IPs, CIDRs and `a-b` ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AddrItems {
    pub(crate) any: bool,
    pub(crate) nets: Vec<IpNet>,
    /// Inclusive ranges `a.b.c.d-e.f.g.h` (same family).
    pub(crate) ranges: Vec<(IpAddr, IpAddr)>,
}

/// An Azure Firewall (`Microsoft.Network/azureFirewalls`).
#[derive(Debug, Clone)]
pub(crate) struct Firewall {
    pub(crate) id: ResId,
    pub(crate) name: String,
    /// The Virtual WAN hub of a secured-hub firewall (docs/decisions.md D29).
    pub(crate) hub: Option<String>,
    /// Public IP resources of `ipConfigurations` (the management configuration excluded).
    pub(crate) public_ips: Vec<ResId>,
    /// A hub firewall's public addresses (`hubIPAddresses.publicIPs.addresses`).
    pub(crate) hub_public: Vec<IpAddr>,
    /// The `AzureFirewallSubnet` of each IP configuration.
    pub(crate) subnets: Vec<ResId>,
    /// The Firewall Policy holding the rules, when the firewall uses one.
    pub(crate) policy: Option<ResId>,
    /// Classic `natRuleCollections`.
    pub(crate) collections: Vec<DnatCollection>,
    /// `managementIpConfiguration`: the Management NIC that lets a forced-tunnelling firewall
    /// keep DNAT (docs/decisions.md D28).
    pub(crate) management: Option<Management>,
    /// The firewall's private addresses (`ipConfigurations[].privateIPAddress`, a hub's
    /// `hubIPAddresses.privateIPAddress`): a DNAT rule naming one is a private DNAT (D29).
    pub(crate) private_ips: Vec<IpAddr>,
}

/// A firewall's Management NIC: its public IP serves the platform only, never DNAT (D28).
#[derive(Debug, Clone)]
pub(crate) struct Management {
    pub(crate) public_ip: Option<ResId>,
}

/// A DNAT rule collection (classic, or inside a policy's rule collection group).
#[derive(Debug, Clone)]
pub(crate) struct DnatCollection {
    pub(crate) name: String,
    pub(crate) priority: u32,
    pub(crate) rules: Vec<DnatRule>,
}

/// Where a DNAT rule translates to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DnatTarget {
    Address(IpAddr),
    /// `translatedFqdn`: resolved by the firewall at run time, not from ARM.
    Fqdn(String),
    /// Neither is readable: why (field-named).
    Malformed(String),
}

/// One DNAT rule.
#[derive(Debug, Clone)]
pub(crate) struct DnatRule {
    pub(crate) name: String,
    /// The protocols include TCP (`TCP` or `Any`).
    pub(crate) tcp: bool,
    pub(crate) sources: AddrItems,
    pub(crate) source_groups: Vec<ResId>,
    /// `destinationAddresses`: the firewall addresses the rule answers on (`*`: any).
    pub(crate) destinations: AddrItems,
    /// `None`: a malformed port list (the rule's connect port is unknown).
    pub(crate) ports: Option<PortSet>,
    pub(crate) target: DnatTarget,
    /// `None`: malformed (see `problems`).
    pub(crate) translated_port: Option<u16>,
    /// Field-named problems that leave part of the rule unreadable (the rule is then unknown).
    pub(crate) problems: Vec<String>,
}

/// A Firewall Policy (`Microsoft.Network/firewallPolicies`).
#[derive(Debug, Clone)]
pub(crate) struct FirewallPolicy {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) base: Option<ResId>,
    pub(crate) groups: Vec<ResId>,
}

/// A policy's rule collection group (`…/firewallPolicies/{p}/ruleCollectionGroups/{g}`).
#[derive(Debug, Clone)]
pub(crate) struct RuleGroup {
    pub(crate) id: ResId,
    pub(crate) name: String,
    /// The policy, from the group's id.
    pub(crate) policy: Option<ResId>,
    pub(crate) priority: u32,
    /// Its DNAT collections (filter collections are not read: DNAT is decided first).
    pub(crate) collections: Vec<DnatCollection>,
}

/// An IP Group (`Microsoft.Network/ipGroups`).
#[derive(Debug, Clone)]
pub(crate) struct IpGroup {
    pub(crate) addresses: AddrItems,
}

/// An admin rule's access (docs/decisions.md D32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAccess {
    /// Hands the decision to the NSGs.
    Allow,
    /// Drops the traffic whatever the NSGs say.
    Deny,
    /// Delivers the traffic and skips the NSGs.
    AlwaysAllow,
}

impl AdminAccess {
    pub(crate) fn parse(s: &str) -> Option<AdminAccess> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "allow" => AdminAccess::Allow,
            "deny" => AdminAccess::Deny,
            "alwaysallow" => AdminAccess::AlwaysAllow,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AdminAccess::Allow => "Allow",
            AdminAccess::Deny => "Deny",
            AdminAccess::AlwaysAllow => "AlwaysAllow",
        }
    }
}

/// One effective inbound security admin rule of a VNet.
#[derive(Debug, Clone)]
pub struct AdminRule {
    /// The rule's resource id (network manager / configuration / collection / rule).
    pub id: String,
    /// Lower is evaluated first (1–4096).
    pub priority: u32,
    /// Deny, Allow or AlwaysAllow.
    pub access: AdminAccess,
    /// The protocol it matches.
    pub protocol: Protocol,
    /// The sources it matches.
    pub source: AddrSpec,
    /// The source ports it matches.
    pub source_ports: PortSet,
    /// The destinations it matches.
    pub destination: AddrSpec,
    /// The destination ports it matches.
    pub destination_ports: PortSet,
}

impl AdminRule {
    fn after(&self, segment: &str) -> Option<String> {
        ResId::new(&self.id)
            .segment_after(segment)
            .map(str::to_string)
    }

    /// The rule's name (last id segment).
    pub(crate) fn name(&self) -> String {
        ResId::new(&self.id).name().to_string()
    }

    pub(crate) fn manager(&self) -> Option<String> {
        self.after("networkManagers")
    }

    pub(crate) fn configuration(&self) -> Option<String> {
        self.after("securityAdminConfigurations")
    }

    pub(crate) fn collection(&self) -> Option<String> {
        self.after("ruleCollections")
    }
}

/// The effective admin rules of one VNet as read.
#[derive(Debug, Clone)]
pub(crate) enum VnetAdminRules {
    /// Inbound rules, sorted by priority (ties: AlwaysAllow, Allow, Deny — D33).
    Rules(Vec<AdminRule>),
    /// The list could not be understood: why (field-named).
    Broken(String),
}

/// The `securityAdminRules` section: `None` when the data was collected without it.
pub(crate) type AdminSection = Option<crate::model::IdMap<VnetAdminRules>>;
