//! Typed domain values parsed once from ARM strings (docs/decisions.md D1–D3).

use ipnet::IpNet;
use std::fmt;
use thin_vec::ThinVec;

use super::net::{parse_port_item, parse_prefix};
use super::ResId;

/// The protocol a security rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// IPsec ESP.
    Esp,
    /// IPsec AH.
    Ah,
    /// Any protocol (`*`).
    Any,
}

impl Protocol {
    pub(crate) fn parse(s: &str) -> Option<Protocol> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "icmp" => Protocol::Icmp,
            "esp" => Protocol::Esp,
            "ah" => Protocol::Ah,
            // `All` is how effective-rule and NAT-rule bodies spell "any".
            "*" | "any" | "all" => Protocol::Any,
            _ => return None,
        })
    }

    /// RDP is TCP (docs/decisions.md D4).
    pub(crate) fn matches_tcp(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Any)
    }
}

/// Whether a security rule allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// The rule allows.
    Allow,
    /// The rule denies.
    Deny,
}

impl Access {
    pub(crate) fn parse(s: &str) -> Option<Access> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allow" => Some(Access::Allow),
            "deny" => Some(Access::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Allow => "allow",
            Access::Deny => "deny",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub(crate) fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// A set of TCP/UDP ports as sorted, merged inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet {
    ranges: Ranges,
}

/// The ranges of a [`PortSet`]: most sets are one range, held without an allocation (every NSG
/// rule has two sets, and the rules of an estate live through its audit). Always canonical:
/// exactly one range is `One`, so the derived equality compares sets.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ranges {
    One((u16, u16)),
    Many(Box<[(u16, u16)]>),
}

impl Default for Ranges {
    fn default() -> Self {
        Ranges::Many(Box::default())
    }
}

impl Ranges {
    fn of(v: Vec<(u16, u16)>) -> Ranges {
        match v.as_slice() {
            [one] => Ranges::One(*one),
            _ => Ranges::Many(v.into_boxed_slice()),
        }
    }
}

/// The ephemeral range an RDP client's source port comes from (docs/decisions.md D5).
pub const EPHEMERAL: (u16, u16) = (49152, 65535);

impl PortSet {
    /// Every port, 0-65535.
    pub fn all() -> PortSet {
        PortSet {
            ranges: Ranges::One((0, 65535)),
        }
    }

    #[cfg(test)]
    pub(crate) fn single(p: u16) -> PortSet {
        PortSet {
            ranges: Ranges::One((p, p)),
        }
    }

    /// These inclusive ranges, sorted and merged.
    pub fn from_ranges(mut v: Vec<(u16, u16)>) -> PortSet {
        v.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            if let Some(last) = out.last_mut() {
                if u32::from(a) <= u32::from(last.1) + 1 {
                    last.1 = last.1.max(b);
                    continue;
                }
            }
            out.push((a, b));
        }
        PortSet {
            ranges: Ranges::of(out),
        }
    }

    /// Parses one ARM port item: `*`, `N` or `A-B` (inclusive; grammar in `model::net`).
    pub(crate) fn parse_item(s: &str) -> Result<(u16, u16), String> {
        parse_port_item(s)
    }

    /// The sorted, merged ranges (for the oracle in `crate::fuzzing`).
    pub(crate) fn ranges(&self) -> &[(u16, u16)] {
        match &self.ranges {
            Ranges::One(r) => std::slice::from_ref(r),
            Ranges::Many(v) => v,
        }
    }

    /// Whether port `p` is in the set.
    pub fn contains(&self, p: u16) -> bool {
        self.ranges().iter().any(|&(a, b)| a <= p && p <= b)
    }

    /// How this set relates to a range: covers all of it, some of it, or none.
    pub fn coverage(&self, lo: u16, hi: u16) -> Coverage {
        let covered: u32 = self
            .ranges()
            .iter()
            .map(|&(a, b)| {
                let (x, y) = (a.max(lo), b.min(hi));
                if x <= y {
                    u32::from(y - x) + 1
                } else {
                    0
                }
            })
            .sum();
        if covered == 0 {
            Coverage::None
        } else if covered == u32::from(hi - lo) + 1 {
            Coverage::All
        } else {
            Coverage::Some
        }
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .ranges()
            .iter()
            .map(|&(a, b)| match (a, b) {
                (0, 65535) => "*".to_string(),
                (a, b) if a == b => a.to_string(),
                (a, b) => format!("{a}-{b}"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// How much of a port range a set covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// All of it.
    All,
    /// Part of it.
    Some,
    /// None of it.
    None,
}

/// A service tag named in a rule (docs/decisions.md D8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceTag {
    /// `Internet`.
    Internet,
    /// `VirtualNetwork`.
    VirtualNetwork,
    /// `AzureLoadBalancer`.
    AzureLoadBalancer,
    /// Any other tag (`AzureCloud`, `Storage.WestEurope`, …): an opaque part of the public space.
    Other(String),
}

impl ServiceTag {
    /// Recognises the tag names including the classic spellings (`INTERNET`, `VIRTUAL_NETWORK`,
    /// `AZURE_LOADBALANCER`). `None` when `s` does not look like a tag name at all.
    pub(crate) fn parse(s: &str) -> Option<ServiceTag> {
        let t = s.trim();
        let mut chars = t.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return None;
        }
        Some(match t.to_ascii_lowercase().as_str() {
            "internet" => ServiceTag::Internet,
            "virtualnetwork" | "virtual_network" => ServiceTag::VirtualNetwork,
            "azureloadbalancer" | "azure_loadbalancer" => ServiceTag::AzureLoadBalancer,
            _ => ServiceTag::Other(t.to_string()),
        })
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            ServiceTag::Internet => "Internet",
            ServiceTag::VirtualNetwork => "VirtualNetwork",
            ServiceTag::AzureLoadBalancer => "AzureLoadBalancer",
            ServiceTag::Other(s) => s,
        }
    }
}

/// One side (source or destination) of a security rule: docs/decisions.md D2.
///
/// The lists are `ThinVec`s (one pointer each, an empty one allocates nothing): a rule has two
/// sides, an estate of 100,000 VMs holds about 400,000 rules for the whole audit, and most
/// sides name one prefix or tag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddrSpec {
    /// `*`, `Any`, or any `x/0`.
    pub any: bool,
    /// CIDR prefixes (a single address is a /32 or /128).
    pub prefixes: ThinVec<IpNet>,
    /// Service tags.
    pub tags: ThinVec<ServiceTag>,
    /// Application security groups.
    pub asgs: ThinVec<ResId>,
}

impl AddrSpec {
    /// Adds one ARM address item (`*`, a CIDR, a bare IP or a service tag).
    pub(crate) fn push_item(&mut self, s: &str) -> Result<(), String> {
        let t = s.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            self.any = true;
            return Ok(());
        }
        if let Some(net) = parse_prefix(t) {
            if net.prefix_len() == 0 {
                self.any = true;
            } else {
                self.prefixes.push(net);
            }
            return Ok(());
        }
        if let Some(tag) = ServiceTag::parse(t) {
            self.tags.push(tag);
            return Ok(());
        }
        Err(format!(
            "\"{s}\" is neither *, an IP address, a CIDR prefix, nor a service tag"
        ))
    }

    pub(crate) fn is_empty(&self) -> bool {
        !self.any && self.prefixes.is_empty() && self.tags.is_empty() && self.asgs.is_empty()
    }
}

/// Public IP / load balancer SKU (docs/decisions.md D10). A missing `sku` is Basic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sku {
    /// Basic SKU: open unless an NSG denies.
    Basic,
    /// Standard SKU: closed unless an NSG allows.
    Standard,
}

impl Sku {
    pub(crate) fn parse(name: Option<&str>) -> Sku {
        match name.map(|s| s.trim().to_ascii_lowercase()) {
            Some(s) if s.starts_with("standard") => Sku::Standard,
            _ => Sku::Basic,
        }
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sku::Basic => "Basic",
            Sku::Standard => "Standard",
        })
    }
}

/// VM power state from the instance view (`PowerState/<x>`), states-billing.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PowerState {
    Running,
    Starting,
    Stopping,
    Stopped,
    Deallocating,
    Deallocated,
    Hibernated,
    /// No instance view in the data.
    Unknown,
    Other(String),
}

impl PowerState {
    pub(crate) fn from_code(code: &str) -> PowerState {
        let state = code
            .split_once('/')
            .map(|(_, s)| s)
            .unwrap_or(code)
            .to_ascii_lowercase();
        match state.as_str() {
            "running" => PowerState::Running,
            "starting" => PowerState::Starting,
            "stopping" => PowerState::Stopping,
            "stopped" => PowerState::Stopped,
            "deallocating" => PowerState::Deallocating,
            "deallocated" => PowerState::Deallocated,
            "hibernated" => PowerState::Hibernated,
            "unknown" | "" => PowerState::Unknown,
            _ => PowerState::Other(state),
        }
    }

    /// Classic instance views say `Started` / `Stopped` / `StoppedDeallocated`.
    pub(crate) fn from_classic(s: &str) -> PowerState {
        match s.trim().to_ascii_lowercase().as_str() {
            "started" | "running" => PowerState::Running,
            "starting" => PowerState::Starting,
            "stopping" => PowerState::Stopping,
            "stopped" => PowerState::Stopped,
            "stoppeddeallocated" | "deallocated" => PowerState::Deallocated,
            "" | "unknown" => PowerState::Unknown,
            other => PowerState::Other(other.to_string()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            PowerState::Running => "running",
            PowerState::Starting => "starting",
            PowerState::Stopping => "stopping",
            PowerState::Stopped => "stopped",
            PowerState::Deallocating => "deallocating",
            PowerState::Deallocated => "deallocated",
            PowerState::Hibernated => "hibernated",
            PowerState::Unknown => "unknown",
            PowerState::Other(s) => s,
        }
    }
}

/// Route next hop types (udr-overview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NextHop {
    Internet,
    VirtualAppliance,
    VirtualNetworkGateway,
    VnetLocal,
    None,
    Other(String),
}

impl NextHop {
    pub(crate) fn parse(s: &str) -> NextHop {
        match s.trim().to_ascii_lowercase().as_str() {
            "internet" => NextHop::Internet,
            "virtualappliance" => NextHop::VirtualAppliance,
            "virtualnetworkgateway" => NextHop::VirtualNetworkGateway,
            "vnetlocal" => NextHop::VnetLocal,
            "none" => NextHop::None,
            other => NextHop::Other(other.to_string()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            NextHop::Internet => "Internet",
            NextHop::VirtualAppliance => "VirtualAppliance",
            NextHop::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHop::VnetLocal => "VnetLocal",
            NextHop::None => "None",
            NextHop::Other(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_items() {
        assert_eq!(PortSet::parse_item("*"), Ok((0, 65535)));
        assert_eq!(PortSet::parse_item("3389"), Ok((3389, 3389)));
        assert_eq!(PortSet::parse_item(" 3380-3390 "), Ok((3380, 3390)));
        assert!(PortSet::parse_item("99999").is_err());
        assert!(PortSet::parse_item("4000-3000").is_err());
        assert!(PortSet::parse_item("rdp").is_err());
        assert!(PortSet::parse_item("").is_err());
    }

    #[test]
    fn port_coverage() {
        let p = PortSet::from_ranges(vec![(1024, 50000)]);
        assert_eq!(p.coverage(EPHEMERAL.0, EPHEMERAL.1), Coverage::Some);
        assert_eq!(PortSet::all().coverage(49152, 65535), Coverage::All);
        assert_eq!(PortSet::single(80).coverage(49152, 65535), Coverage::None);
        assert_eq!(
            PortSet::from_ranges(vec![(3389, 3389), (3390, 3400)]).to_string(),
            "3389-3400"
        );
    }

    #[test]
    fn port_sets_compare_as_sets_whichever_way_they_were_built() {
        let merged = PortSet::from_ranges(vec![(3390, 3400), (3389, 3389)]);
        assert_eq!(merged, PortSet::from_ranges(vec![(3389, 3400)]));
        assert_eq!(merged.ranges(), &[(3389, 3400)]);
        assert_eq!(
            PortSet::from_ranges(vec![(3389, 3389)]),
            PortSet::single(3389)
        );
        assert_eq!(PortSet::from_ranges(vec![(0, 65535)]), PortSet::all());
        let two = PortSet::from_ranges(vec![(443, 443), (3389, 3389)]);
        assert_eq!(two.ranges(), &[(443, 443), (3389, 3389)]);
        assert!(two.contains(443) && two.contains(3389) && !two.contains(444));
        assert_ne!(two, PortSet::single(443));
        assert!(PortSet::default().ranges().is_empty());
        assert_eq!(PortSet::default(), PortSet::from_ranges(Vec::new()));
        // One range needs no allocation, and the set is smaller than the Vec it replaced.
        assert!(std::mem::size_of::<PortSet>() < std::mem::size_of::<Vec<(u16, u16)>>());
    }

    #[test]
    fn address_items() {
        let mut a = AddrSpec::default();
        a.push_item("Internet").unwrap();
        a.push_item("INTERNET").unwrap();
        a.push_item("VIRTUAL_NETWORK").unwrap();
        a.push_item("Storage.WestEurope").unwrap();
        a.push_item("10.0.0.1").unwrap();
        a.push_item("0.0.0.0/0").unwrap();
        assert!(a.any);
        assert_eq!(a.tags[0], ServiceTag::Internet);
        assert_eq!(a.tags[1], ServiceTag::Internet);
        assert_eq!(a.tags[2], ServiceTag::VirtualNetwork);
        assert!(a.push_item("300.1.1.1/33").is_err());
        assert!(a.push_item("10.0.0.0/40").is_err());
    }

    #[test]
    fn ids_compare_case_insensitively() {
        let a = ResId::new("/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/networkInterfaces/Nic1/ipConfigurations/ipconfig1");
        let (parent, child) = a.split_child("ipConfigurations").unwrap();
        assert_eq!(child, "ipconfig1");
        assert_eq!(
            parent.key().folded(),
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/networkinterfaces/nic1"
        );
        assert_eq!(a.resource_group(), Some("RG"));
    }
}
