//! The brute-force oracle for the NSG set evaluator (`engine::net_eval`), shared by the property
//! test (`tests/nsg_property.rs`) and the differential fuzz target (`fuzzing::nsg`).
//!
//! The evaluator splits whole address *sets* by rule, keeping classes of "may match" addresses
//! (docs/decisions.md D6). The oracle is written the other way round and independently: one
//! address at a time, rules walked in order, a three-valued result; source-port coverage is
//! computed by probing instead of by counting. Where both agree on every address that matters
//! (each range end of every set involved and the addresses just outside), they agree everywhere.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::engine::{net_eval, AddrSet, Nsgs, Outcome, Reply, Slot, TagSets, Target};
use crate::model::{Access, AddrSpec, Nsg, PortSet, Protocol, ResId, SecurityRule, ServiceTag};
use crate::model::{Sku, EPHEMERAL};

/// The port the property test and the fuzz target ask about.
pub const PORT: u16 = 3389;

/// The Azure host address (`168.63.129.16`): in `VirtualNetwork` and `AzureLoadBalancer`.
pub const AZURE_HOST: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);

/// An NSG named `name`: the `custom` rules (in the order given), then Azure's three inbound
/// default rules unless `defaults` is false, held apart as the model holds them
/// ([`crate::model::Rules`]), so the evaluator walks the two lists as one.
pub fn nsg_with(name: &str, custom: Vec<SecurityRule>, defaults: bool) -> Nsg {
    let mut inbound = Vec::new();
    if defaults {
        let tag = |t: ServiceTag| AddrSpec {
            tags: thin_vec::thin_vec![t],
            ..AddrSpec::default()
        };
        let any = AddrSpec {
            any: true,
            ..AddrSpec::default()
        };
        for (n, p, a, s, d) in [
            (
                "AllowVnetInBound",
                65000,
                Access::Allow,
                tag(ServiceTag::VirtualNetwork),
                tag(ServiceTag::VirtualNetwork),
            ),
            (
                "AllowAzureLoadBalancerInBound",
                65001,
                Access::Allow,
                tag(ServiceTag::AzureLoadBalancer),
                any.clone(),
            ),
            ("DenyAllInBound", 65500, Access::Deny, any.clone(), any),
        ] {
            inbound.push(SecurityRule {
                name: n.into(),
                priority: p,
                access: a,
                protocol: Protocol::Any,
                source: s,
                source_ports: PortSet::all(),
                destination: d,
                destination_ports: PortSet::all(),
                is_default: true,
            });
        }
    }
    Nsg {
        id: ResId::new(&format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/{name}"
        )),
        name: name.into(),
        provisioning_state: None,
        inbound: crate::model::Rules::with_defaults(custom, inbound.into()),
        outbound: Default::default(),
    }
}

/// Tag expansions for a VNet of address space `space`: `VirtualNetwork` is the space and the
/// Azure host, `Internet` the public space outside it, `AzureLoadBalancer` the Azure host.
pub fn tag_sets<'a>(space: &[IpNet], asgs: &'a crate::model::IdMap<AddrSet>) -> TagSets<'a> {
    let vnet = AddrSet::from_nets(space);
    let host = AddrSet::from_nets(&[IpNet::from(IpAddr::V4(AZURE_HOST))]);
    TagSets {
        internet: crate::engine::public_space().difference(&vnet),
        virtual_network: vnet.union(&host),
        azure_load_balancer: host,
        asg_members: asgs,
    }
}

/// How much of `lo..=hi` a port set covers, by probing each range end and its neighbours:
/// membership only changes there, so the probes see every constant stretch.
fn coverage(ports: &PortSet, lo: u16, hi: u16) -> (bool, bool) {
    let mut probes = vec![lo, hi];
    for &(a, b) in ports.ranges() {
        for p in [a.checked_sub(1), Some(a), Some(b), b.checked_add(1)]
            .into_iter()
            .flatten()
        {
            if (lo..=hi).contains(&p) {
                probes.push(p);
            }
        }
    }
    let inside = |p: &u16| ports.ranges().iter().any(|&(a, b)| a <= *p && *p <= b);
    (probes.iter().any(inside), probes.iter().all(inside))
}

/// Whether `set` (a tag or ASG expansion) holds `x`.
fn tag_holds(tag: &ServiceTag, x: IpAddr, t: &TagSets<'_>) -> Option<bool> {
    match tag {
        ServiceTag::Internet => Some(t.internet.contains(x)),
        ServiceTag::VirtualNetwork => Some(t.virtual_network.contains(x)),
        ServiceTag::AzureLoadBalancer => Some(t.azure_load_balancer.contains(x)),
        ServiceTag::Other(_) => None,
    }
}

/// Whether a rule's destination is the target: `Some(true)` certainly, `Some(false)` certainly
/// not, `None` maybe (an unexpandable tag, or no private IP in the data).
fn destination(spec: &AddrSpec, t: &Target<'_>) -> Option<bool> {
    if spec.any
        || spec
            .asgs
            .iter()
            .any(|a| t.dest_asgs.iter().any(|m| m.key() == a.key()))
    {
        return Some(true);
    }
    let Some(ip) = t.dest_ip else {
        return if spec.prefixes.is_empty() && spec.tags.is_empty() {
            Some(false)
        } else {
            None
        };
    };
    if spec.prefixes.iter().any(|p| p.contains(&ip)) {
        return Some(true);
    }
    let mut maybe = false;
    for tag in &spec.tags {
        match tag_holds(tag, ip, t.tags) {
            Some(true) => return Some(true),
            Some(false) => {}
            // An opaque tag is part of the public space: a public destination may be in it.
            None => maybe |= t.tags.internet.contains(ip),
        }
    }
    if maybe {
        None
    } else {
        Some(false)
    }
}

/// One NSG, one source address `x`: rules in order (docs/decisions.md D6), three-valued.
pub fn brute_one(n: &Nsg, x: IpAddr, t: &Target<'_>) -> Outcome {
    let (mut may_allow, mut may_deny, mut opaque) = (false, false, false);
    for r in &n.inbound {
        let tcp = matches!(r.protocol, Protocol::Tcp | Protocol::Any);
        if !tcp || !r.destination_ports.contains(t.dest_port) {
            continue;
        }
        let dest_certain = match destination(&r.destination, t) {
            Some(false) => continue,
            Some(true) => true,
            None => false,
        };
        let (some_ports, all_ports) = coverage(&r.source_ports, EPHEMERAL.0, EPHEMERAL.1);
        if !some_ports {
            continue;
        }
        let s = &r.source;
        let certain_src = s.any
            || s.prefixes.iter().any(|p| p.contains(&x))
            || s.tags
                .iter()
                .any(|tg| tag_holds(tg, x, t.tags) == Some(true))
            || s.asgs.iter().any(|a| {
                t.tags
                    .asg_members
                    .get(&a.key())
                    .is_some_and(|m| m.contains(x))
            });
        let maybe_src = !certain_src
            && s.tags.iter().any(|tg| tag_holds(tg, x, t.tags).is_none())
            && t.tags.internet.contains(x);
        let allow = r.access == Access::Allow;
        if certain_src && dest_certain && all_ports {
            let disagree = if allow { may_deny } else { may_allow };
            return match (disagree, opaque) {
                (false, _) if allow => Outcome::Allow,
                (false, _) => Outcome::Deny,
                (true, true) => Outcome::Unknown,
                (true, false) => Outcome::Partial,
            };
        }
        if certain_src || maybe_src {
            may_allow |= allow;
            may_deny |= !allow;
            // Missing data (an opaque tag, an unknown destination) makes it unknown; a partial
            // source-port range alone makes it partial.
            opaque |= maybe_src || !dest_certain;
        }
    }
    match (may_allow, opaque) {
        (false, _) => Outcome::Deny,
        (true, true) => Outcome::Unknown,
        (true, false) => Outcome::Partial,
    }
}

/// The path for one address: an unusable NSG makes it unknown; a Standard SKU with no NSG
/// denies; otherwise the subnet's NSG, then the NIC's, written out independently of
/// `Outcome::then`.
pub fn brute_path(nsgs: &Nsgs<'_, '_>, x: IpAddr, t: &Target<'_>) -> Outcome {
    use Outcome::*;
    let unusable = |s: &Slot<'_>| matches!(s, Slot::Unusable(..));
    if unusable(nsgs.subnet) || unusable(nsgs.nic) {
        return Unknown;
    }
    let level = |s: &Slot<'_>| match s {
        Slot::Present(n) => brute_one(n, x, t),
        _ => Allow,
    };
    let none = |s: &Slot<'_>| matches!(s, Slot::None);
    if none(nsgs.subnet) && none(nsgs.nic) && nsgs.sku == Some(Sku::Standard) {
        return Deny;
    }
    let a = level(nsgs.subnet);
    if a == Deny {
        return Deny;
    }
    let b = level(nsgs.nic);
    if b == Deny {
        Deny
    } else if a == Unknown || b == Unknown {
        Unknown
    } else if a == Partial || b == Partial {
        Partial
    } else {
        Allow
    }
}

/// The addresses where `set`'s membership changes: each range's ends and the addresses just
/// outside them.
pub fn edges(set: &AddrSet, out: &mut BTreeSet<IpAddr>) {
    for &(a, b) in set.v4.ranges() {
        for x in [a.checked_sub(1), Some(a), Some(b), b.checked_add(1)]
            .into_iter()
            .flatten()
        {
            out.insert(IpAddr::V4(Ipv4Addr::from(x)));
        }
    }
    for &(a, b) in set.v6.ranges() {
        for x in [a.checked_sub(1), Some(a), Some(b), b.checked_add(1)]
            .into_iter()
            .flatten()
        {
            out.insert(IpAddr::V6(Ipv6Addr::from(x)));
        }
    }
}

/// The addresses worth asking the oracle about for this case: the edges of the candidates, of
/// every prefix and tag or ASG expansion the rules can use, and of every part the evaluator
/// returned. Between two consecutive edges every set involved is constant, so the oracle's
/// answer is too.
pub fn probes(cands: &AddrSet, nsgs: &Nsgs<'_, '_>, t: &Target<'_>) -> BTreeSet<IpAddr> {
    let mut out = BTreeSet::new();
    edges(cands, &mut out);
    edges(&t.tags.internet, &mut out);
    edges(&t.tags.virtual_network, &mut out);
    edges(&t.tags.azure_load_balancer, &mut out);
    for m in t.tags.asg_members.values() {
        edges(m, &mut out);
    }
    for slot in [nsgs.subnet, nsgs.nic] {
        if let Slot::Present(n) = slot {
            for r in &n.inbound {
                edges(&AddrSet::from_nets(&r.source.prefixes), &mut out);
            }
        }
    }
    out.retain(|x| cands.contains(*x));
    out
}

/// Evaluates the case with `net_eval` and compares it with the oracle: the parts partition the
/// candidates, the evaluation's summary sets follow from the parts, and every address in
/// `probes` gets the oracle's outcome. `Err` says what differs first.
pub fn check(
    cands: &AddrSet,
    nsgs: &Nsgs<'_, '_>,
    t: &Target<'_>,
    probes: impl IntoIterator<Item = IpAddr>,
) -> Result<(), String> {
    let ev = net_eval(cands, nsgs, t, Reply::Assumed);
    let mut union = AddrSet::empty();
    let (mut admitted, mut unknown) = (AddrSet::empty(), AddrSet::empty());
    for p in &ev.parts {
        if union.intersects(&p.set) {
            return Err(format!("parts overlap at {:?}", union.intersect(&p.set)));
        }
        union = union.union(&p.set);
        match p.outcome {
            Outcome::Allow | Outcome::Partial => admitted = admitted.union(&p.set),
            Outcome::Unknown => unknown = unknown.union(&p.set),
            Outcome::Deny => {}
        }
    }
    if &union != cands {
        return Err(format!("parts cover {union:?}, candidates are {cands:?}"));
    }
    if ev.admitted != admitted || ev.unknown != unknown || ev.reachable != admitted {
        return Err(format!(
            "summary sets disagree with the parts: admitted {:?} / {admitted:?}, unknown {:?} / {unknown:?}",
            ev.admitted, ev.unknown
        ));
    }
    for x in probes {
        let got = ev
            .parts
            .iter()
            .find(|p| p.set.contains(x))
            .map(|p| p.outcome);
        let want = brute_path(nsgs, x, t);
        if got != Some(want) {
            return Err(format!("address {x}: evaluator {got:?}, oracle {want:?}"));
        }
    }
    Ok(())
}
