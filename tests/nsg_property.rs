//! Property test: the set evaluator (both NSG levels, priorities, deny shadowing, port ranges and
//! lists, tags, partial source ports) agrees with a brute-force evaluator that walks the rules
//! for one address at a time (`rdpaudit::fuzzing::nsg_oracle`, which the `nsg` fuzz target
//! drives on decoded cases), here on every address of the candidate pools.

use ipnet::IpNet;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

use rdpaudit::engine::{net_eval_admin, AddrSet, Nsgs, Outcome, Reply, Slot, TagSets, Target};
use rdpaudit::fuzzing::nsg_oracle::{self, nsg_with};
use rdpaudit::model::parse_prefix;
use rdpaudit::model::{
    Access, AddrSpec, AdminAccess, AdminRule, Nsg, PortSet, Protocol, SecurityRule, ServiceTag,
};

const VM_IP: &str = "10.0.0.4";
const PORT: u16 = nsg_oracle::PORT;

/// Addresses the candidates are drawn from: inside the VNet, public, and other private space.
const POOLS: [&str; 3] = ["10.0.0.0/24", "20.1.2.0/24", "192.168.7.0/24"];

#[derive(Debug, Clone)]
enum Src {
    Any,
    Prefix(u8, u8, u8), // pool, offset (host), length
    Internet,
    VirtualNetwork,
    Opaque,
}

fn src_strategy() -> impl Strategy<Value = Src> {
    prop_oneof![
        Just(Src::Any),
        (0u8..3, any::<u8>(), 24u8..=32).prop_map(|(p, o, l)| Src::Prefix(p, o, l)),
        Just(Src::Internet),
        Just(Src::VirtualNetwork),
        Just(Src::Opaque),
    ]
}

#[derive(Debug, Clone)]
struct RuleSpec {
    access: bool,
    protocol: u8,
    sources: Vec<Src>,
    dest_any: bool,
    ports: Vec<(u16, u16)>,
    sport: u8,
}

fn rule_strategy() -> impl Strategy<Value = RuleSpec> {
    let port_item = prop_oneof![
        Just((3389u16, 3389u16)),
        Just((0u16, 65535u16)),
        (3380u16..3400, 0u16..20).prop_map(|(a, w)| (a, a + w)),
        Just((80u16, 80u16)),
    ];
    (
        any::<bool>(),
        0u8..3,
        prop::collection::vec(src_strategy(), 1..3),
        any::<bool>(),
        prop::collection::vec(port_item, 1..3),
        0u8..3,
    )
        .prop_map(
            |(access, protocol, sources, dest_any, ports, sport)| RuleSpec {
                access,
                protocol,
                sources,
                dest_any,
                ports,
                sport,
            },
        )
}

fn prefix_of(s: &Src) -> Option<IpNet> {
    match s {
        Src::Prefix(p, o, l) => {
            let base = parse_prefix(POOLS[*p as usize])?;
            let IpNet::V4(b) = base else { return None };
            let ip = Ipv4Addr::from(u32::from(b.network()) + u32::from(*o));
            parse_prefix(&format!("{ip}/{l}"))
        }
        _ => None,
    }
}

fn build_rule(i: usize, r: &RuleSpec, default: bool) -> SecurityRule {
    let mut source = AddrSpec::default();
    for s in &r.sources {
        match s {
            Src::Any => source.any = true,
            Src::Prefix(..) => source.prefixes.extend(prefix_of(s)),
            Src::Internet => source.tags.push(ServiceTag::Internet),
            Src::VirtualNetwork => source.tags.push(ServiceTag::VirtualNetwork),
            Src::Opaque => source.tags.push(ServiceTag::Other("AzureCloud".into())),
        }
    }
    let mut destination = AddrSpec::default();
    if r.dest_any {
        destination.any = true;
    } else {
        destination
            .prefixes
            .extend(parse_prefix(if i % 2 == 0 { VM_IP } else { "10.0.0.5" }));
    }
    SecurityRule {
        name: format!("r{i}"),
        priority: 100 + i as u32 * 10,
        access: if r.access {
            Access::Allow
        } else {
            Access::Deny
        },
        protocol: [Protocol::Tcp, Protocol::Udp, Protocol::Any][r.protocol as usize],
        source,
        source_ports: match r.sport {
            0 => PortSet::all(),
            1 => PortSet::from_ranges(vec![(1024, 50000)]),
            _ => PortSet::from_ranges(vec![(1, 1023)]),
        },
        destination,
        destination_ports: PortSet::from_ranges(r.ports.clone()),
        is_default: default,
    }
}

fn nsg(name: &str, rules: &[RuleSpec]) -> Nsg {
    let custom = rules
        .iter()
        .enumerate()
        .map(|(i, r)| build_rule(i, r, false))
        .collect();
    nsg_with(name, custom, true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn set_evaluator_matches_brute_force(
        subnet_rules in prop::collection::vec(rule_strategy(), 0..6),
        nic_rules in prop::collection::vec(rule_strategy(), 0..6),
        has_subnet in any::<bool>(),
        has_nic in any::<bool>(),
        cand_mask in 1u8..8,
    ) {
        let asgs = Default::default();
        let space = [parse_prefix("10.0.0.0/16").unwrap_or_else(|| unreachable!())];
        let t = nsg_oracle::tag_sets(&space, &asgs);
        let subnet = nsg("subnet", &subnet_rules);
        let nic = nsg("nic", &nic_rules);
        let subnet_slot = if has_subnet { Slot::Present(&subnet) } else { Slot::None };
        let nic_slot = if has_nic { Slot::Present(&nic) } else { Slot::None };
        let nets: Vec<IpNet> = POOLS.iter().enumerate()
            .filter(|(i, _)| cand_mask & (1 << i) != 0)
            .filter_map(|(_, p)| parse_prefix(p))
            .collect();
        let cands = AddrSet::from_nets(&nets);
        let target = Target { dest_ip: VM_IP.parse().ok(), dest_port: PORT, dest_asgs: &[], tags: &t };
        let nsgs = Nsgs {
            subnet: &subnet_slot,
            nic: &nic_slot,
            sku: None,
        };
        // Every address of the pools, not only the edges the fuzz target probes.
        let every: Vec<IpAddr> = nets
            .iter()
            .flat_map(|n| n.hosts().chain([n.network(), n.broadcast()]))
            .collect();
        if let Err(e) = nsg_oracle::check(&cands, &nsgs, &target, every) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// An AVNM security admin rule from a generated rule: the access is one of three, source ports
/// cover everything and opaque tags are dropped, so that the brute force below stays exact.
fn admin_rule(i: usize, r: &RuleSpec, access: u8) -> AdminRule {
    let s = build_rule(i, r, false);
    let mut source = s.source;
    source.tags.retain(|t| !matches!(t, ServiceTag::Other(_)));
    AdminRule {
        id: format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/securityAdminConfigurations/c/ruleCollections/rc/rules/a{i}"),
        priority: s.priority,
        access: [AdminAccess::Allow, AdminAccess::Deny, AdminAccess::AlwaysAllow][access as usize],
        protocol: s.protocol,
        source,
        source_ports: PortSet::all(),
        destination: s.destination,
        destination_ports: s.destination_ports,
    }
}

/// What the admin rules do with one address, by the matching rules of the lowest priority
/// (docs/decisions.md D33): any `AlwaysAllow` among them delivers (`Some(Allow)`), else any
/// `Allow` hands the address to the NSGs (`None`; with a `Deny` of the same priority too it is a
/// tie: the second value), else `Deny` drops it. No match: the NSGs decide.
fn brute_admin(rules: &[AdminRule], x: IpAddr, t: &TagSets) -> (Option<Outcome>, bool) {
    let matching = matching_admin(rules, x, t);
    let Some(low) = matching.iter().map(|r| r.priority).min() else {
        return (None, false);
    };
    let at: Vec<AdminAccess> = matching
        .iter()
        .filter(|r| r.priority == low)
        .map(|r| r.access)
        .collect();
    if at.contains(&AdminAccess::AlwaysAllow) {
        (Some(Outcome::Allow), false)
    } else if at.contains(&AdminAccess::Allow) {
        (None, at.contains(&AdminAccess::Deny))
    } else {
        (Some(Outcome::Deny), false)
    }
}

/// The admin rules that match TCP from `x` to the VM's RDP port, in any order.
fn matching_admin<'r>(rules: &'r [AdminRule], x: IpAddr, t: &TagSets) -> Vec<&'r AdminRule> {
    let vm: IpAddr = VM_IP.parse().unwrap_or_else(|_| unreachable!());
    let mut out = Vec::new();
    for r in rules {
        if !matches!(r.protocol, Protocol::Tcp | Protocol::Any)
            || !r.destination_ports.contains(PORT)
            || !(r.destination.any || r.destination.prefixes.iter().any(|p| p.contains(&vm)))
        {
            continue;
        }
        let s = &r.source;
        let src = s.any
            || s.prefixes.iter().any(|p| p.contains(&x))
            || s.tags.iter().any(|tg| match tg {
                ServiceTag::Internet => t.internet.contains(x),
                ServiceTag::VirtualNetwork => t.virtual_network.contains(x),
                ServiceTag::AzureLoadBalancer => t.azure_load_balancer.contains(x),
                ServiceTag::Other(_) => false,
            });
        if src {
            out.push(r);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Admin rules before the NSGs (docs/decisions.md D32): Deny drops whatever the NSGs say,
    /// AlwaysAllow delivers without them, Allow hands the decision to them. Rules may share a
    /// priority (`ties`: rule i takes rule i-1's priority), and may come in any order (D33).
    #[test]
    fn admin_rules_then_nsgs_match_brute_force(
        admin_specs in prop::collection::vec((rule_strategy(), 0u8..3), 0..5),
        ties in any::<u8>(),
        reverse in any::<bool>(),
        nic_rules in prop::collection::vec(rule_strategy(), 0..5),
        has_nic in any::<bool>(),
        cand_mask in 1u8..8,
    ) {
        let asgs = Default::default();
        let space = [parse_prefix("10.0.0.0/16").unwrap_or_else(|| unreachable!())];
        let t = nsg_oracle::tag_sets(&space, &asgs);
        let mut admin: Vec<AdminRule> = admin_specs
            .iter()
            .enumerate()
            .map(|(i, (r, a))| admin_rule(i, r, *a))
            .collect();
        for i in 1..admin.len() {
            if ties & (1 << i) != 0 {
                admin[i].priority = admin[i - 1].priority;
            }
        }
        if reverse {
            admin.reverse();
        }
        let nic = nsg("nic", &nic_rules);
        let none = Slot::None;
        let nic_slot = if has_nic { Slot::Present(&nic) } else { Slot::None };
        let nets: Vec<IpNet> = POOLS.iter().enumerate()
            .filter(|(i, _)| cand_mask & (1 << i) != 0)
            .filter_map(|(_, p)| parse_prefix(p))
            .collect();
        let cands = AddrSet::from_nets(&nets);
        let target = Target { dest_ip: VM_IP.parse().ok(), dest_port: PORT, dest_asgs: &[], tags: &t };
        let nsgs = Nsgs { subnet: &none, nic: &nic_slot, sku: None };
        let ev = net_eval_admin(&cands, &admin, &nsgs, &target, Reply::Assumed);
        let mut union = AddrSet::empty();
        for p in &ev.parts {
            prop_assert!(!union.intersects(&p.set), "parts overlap");
            union = union.union(&p.set);
        }
        prop_assert_eq!(&union, &cands);
        for net in &nets {
            for x in net.hosts().chain([net.network(), net.broadcast()]) {
                let got = ev.parts.iter().find(|p| p.set.contains(x)).map(|p| p.outcome);
                let (admin_says, tie) = brute_admin(&admin, x, &t);
                let want = admin_says.unwrap_or_else(|| {
                    if has_nic { nsg_oracle::brute_one(&nic, x, &target) } else { Outcome::Allow }
                });
                prop_assert_eq!(got, Some(want), "address {}", x);
                prop_assert_eq!(ev.admin_ties().contains(x), tie, "tie at address {}", x);
            }
        }
    }
}
