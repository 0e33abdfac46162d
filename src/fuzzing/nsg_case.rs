//! Turns fuzz bytes into one NSG evaluation case: the candidate sources, the subnet's and the
//! NIC's NSGs (rules over prefixes, service tags, ASGs, port ranges, source-port ranges and
//! protocols), the target and the tag expansions. Every byte string decodes to some case
//! (missing bytes read as 0), so the fuzzer's mutations all reach the evaluator.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::nsg_oracle::{nsg_with, PORT};
use crate::engine::AddrSet;
use crate::model::{Access, AddrSpec, Nsg, PortSet, Protocol, ResId, SecurityRule, ServiceTag};

/// Bases the decoded prefixes start from: the VNet, public space, other private space, the
/// Azure host, everything, and IPv6.
const BASES: [IpAddr; 8] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)),
    IpAddr::V4(Ipv4Addr::new(20, 1, 2, 0)),
    IpAddr::V4(Ipv4Addr::new(192, 168, 7, 0)),
    IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),
    IpAddr::V4(Ipv4Addr::new(0, 0, 0, 0)),
    IpAddr::V4(Ipv4Addr::new(100, 64, 0, 0)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0)),
];

/// The target VM's private address (or none in the data), chosen by the case.
const TARGETS: [Option<Ipv4Addr>; 4] = [
    Some(Ipv4Addr::new(10, 0, 0, 4)),
    Some(Ipv4Addr::new(10, 0, 0, 5)),
    Some(Ipv4Addr::new(20, 1, 2, 3)),
    None,
];

/// The ASGs a case can name: two with members, one without.
pub(crate) const ASGS: [&str; 3] = ["asg-web", "asg-jump", "asg-missing"];

fn asg_id(name: &str) -> ResId {
    ResId::new(&format!(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/{name}"
    ))
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// A prefix: a base, an offset into it, a length.
    fn net(&mut self) -> IpNet {
        let base = BASES[usize::from(self.u8()) % BASES.len()];
        let offset = self.u16();
        let len = self.u8();
        match base {
            IpAddr::V4(b) => {
                let ip = Ipv4Addr::from(u32::from(b).wrapping_add(u32::from(offset)));
                IpNet::V4(
                    ipnet::Ipv4Net::new(ip, len % 33)
                        .unwrap_or_default()
                        .trunc(),
                )
            }
            IpAddr::V6(b) => {
                let ip = Ipv6Addr::from(u128::from(b).wrapping_add(u128::from(offset)));
                IpNet::V6(
                    ipnet::Ipv6Net::new(ip, len % 129)
                        .unwrap_or_default()
                        .trunc(),
                )
            }
        }
    }

    /// A port range: mostly around the RDP port, sometimes any two ports.
    fn range(&mut self) -> (u16, u16) {
        match self.u8() % 6 {
            0 => (PORT, PORT),
            1 => (0, 65535),
            2 => {
                let a = PORT - 10 + u16::from(self.u8() % 20);
                (a, a + u16::from(self.u8() % 20))
            }
            3 => (80, 80),
            4 => {
                let (a, b) = (self.u16(), self.u16());
                (a.min(b), a.max(b))
            }
            _ => {
                // Around the client's ephemeral range (49152-65535).
                let a = 49150 + u16::from(self.u8());
                let b = 65535 - u16::from(self.u8());
                (a.min(b), a.max(b))
            }
        }
    }

    fn addr_spec(&mut self, destination: bool) -> AddrSpec {
        let mut spec = AddrSpec::default();
        for _ in 0..1 + self.u8() % 3 {
            match self.u8() % 9 {
                0 => spec.any = true,
                1 | 2 if destination => {
                    let host =
                        [(10, 0, 0, 4), (10, 0, 0, 5), (20, 1, 2, 3)][usize::from(self.u8() % 3)];
                    spec.prefixes.push(IpNet::from(IpAddr::V4(Ipv4Addr::new(
                        host.0, host.1, host.2, host.3,
                    ))));
                }
                1 | 2 => spec.prefixes.push(self.net()),
                3 => spec.prefixes.push(self.net()),
                4 => spec.tags.push(ServiceTag::Internet),
                5 => spec.tags.push(ServiceTag::VirtualNetwork),
                6 => spec.tags.push(ServiceTag::AzureLoadBalancer),
                7 => spec.tags.push(ServiceTag::Other("AzureCloud".into())),
                _ => spec
                    .asgs
                    .push(asg_id(ASGS[usize::from(self.u8()) % ASGS.len()])),
            }
        }
        spec
    }

    fn rule(&mut self, i: usize) -> SecurityRule {
        let flags = self.u8();
        let protocol = [
            Protocol::Tcp,
            Protocol::Any,
            Protocol::Udp,
            Protocol::Icmp,
            Protocol::Esp,
            Protocol::Ah,
        ][usize::from(flags >> 1) % 6];
        let source = self.addr_spec(false);
        let destination = self.addr_spec(true);
        let ports: Vec<(u16, u16)> = (0..1 + self.u8() % 2).map(|_| self.range()).collect();
        let source_ports = match self.u8() % 4 {
            0 | 1 => PortSet::all(),
            _ => PortSet::from_ranges((0..1 + self.u8() % 2).map(|_| self.range()).collect()),
        };
        SecurityRule {
            name: format!("r{i}"),
            priority: 100 + 10 * u32::try_from(i).unwrap_or(0),
            access: if flags & 1 == 0 {
                Access::Allow
            } else {
                Access::Deny
            },
            protocol,
            source,
            source_ports,
            destination,
            destination_ports: PortSet::from_ranges(ports),
            is_default: false,
        }
    }

    fn nsg(&mut self, name: &str) -> Nsg {
        let head = self.u8();
        let rules = (0..usize::from(head % 7)).map(|i| self.rule(i)).collect();
        // Azure always adds its defaults; a list without them still ends in a deny.
        nsg_with(name, rules, head & 0x80 == 0)
    }
}

/// How a case fills one NSG slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// No NSG at this level.
    None,
    /// The decoded NSG.
    Present,
    /// Referenced but missing.
    Unusable,
}

/// One decoded case.
pub(crate) struct Case {
    pub(crate) candidates: AddrSet,
    pub(crate) subnet: (SlotKind, Nsg),
    pub(crate) nic: (SlotKind, Nsg),
    pub(crate) standard_sku: bool,
    pub(crate) dest_ip: Option<IpAddr>,
    pub(crate) dest_asgs: Vec<ResId>,
    pub(crate) vnet_space: Vec<IpNet>,
    pub(crate) asg_members: crate::model::IdMap<AddrSet>,
}

/// The VNet's usual space, `10.0.0.0/16`.
fn vnet() -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::new(10, 0, 0, 0), 16).unwrap_or_default())
}

fn slot(b: u8) -> SlotKind {
    match b % 8 {
        0 => SlotKind::None,
        7 => SlotKind::Unusable,
        _ => SlotKind::Present,
    }
}

/// Decodes a case from any bytes.
pub(crate) fn decode(data: &[u8]) -> Case {
    let mut b = Bytes(data);
    let head = b.u8();
    let kinds = b.u8();
    let nets: Vec<IpNet> = (0..1 + b.u8() % 3).map(|_| b.net()).collect();
    let dest_ip = TARGETS[usize::from(head % 4)].map(IpAddr::V4);
    let vnet_space = match (head >> 2) % 4 {
        0 | 1 => vec![vnet()],
        2 => vec![b.net()],
        _ => vec![vnet(), b.net()],
    };
    let mut asg_members = crate::model::IdMap::default();
    for name in &ASGS[..2] {
        asg_members.insert(asg_id(name).into(), AddrSet::from_nets(&[b.net()]));
    }
    let dest_asgs = ASGS
        .iter()
        .enumerate()
        .filter(|(i, _)| head & (0x10 << i) != 0)
        .map(|(_, n)| asg_id(n))
        .collect();
    Case {
        candidates: AddrSet::from_nets(&nets),
        subnet: (slot(kinds), b.nsg("subnet")),
        nic: (slot(kinds >> 3), b.nsg("nic")),
        standard_sku: kinds & 0x40 != 0,
        dest_ip,
        dest_asgs,
        vnet_space,
        asg_members,
    }
}
