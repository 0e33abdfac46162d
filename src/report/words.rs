//! Every sentence the report says about the engine's results: hop details, why a hop stops
//! RDP, block and problem messages, the verdict line's explanation. The engine is typed and
//! carries no prose; this is the one place that phrases it.

use std::net::IpAddr;

use crate::engine::addrset::AddrSet;
use crate::engine::admin::{AdminOutcome, AdminPart};
use crate::engine::hop::{
    AclFact, BastionFlags, DnatFact, EntryFact, Hop, HopFact, HopKind, LevelPart, END_OF_RULES,
};
use crate::engine::types::*;
use crate::engine::{PathAnalysis, VmAnalysis};
use crate::model::{DnsAnswer, GuestFacts, ResId, TcpOutcome, TcpProbe};
use crate::rules::phrases::describe_set;

mod doors;
pub(crate) use doors::PRIVATE_PATH;

/// A resource's kind as messages name it.
fn kind(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::VirtualMachine => "virtual machine",
        ResourceKind::NetworkInterface => "network interface",
        ResourceKind::PublicIp => "public IP",
        ResourceKind::LoadBalancer => "load balancer",
        ResourceKind::VirtualNetwork => "virtual network",
        ResourceKind::RouteTable => "route table",
        ResourceKind::NetworkSecurityGroup => "network security group",
        ResourceKind::BackendPool => "backend pool",
        ResourceKind::FirewallPolicy => "firewall policy",
        ResourceKind::RuleCollectionGroup => "rule collection group",
        ResourceKind::IpGroup => "IP group",
    }
}

/// `public IP pip1 is not in the data (dangling reference …)` or `… is malformed: why`.
pub(crate) fn unusable(u: &Unusable) -> String {
    match &u.state {
        UnusableState::Malformed(why) => format!("{} {} is malformed: {why}", kind(u.what), u.name),
        UnusableState::Dangling(id) => format!(
            "{} {} is not in the data (dangling reference {id})",
            kind(u.what),
            u.name
        ),
    }
}

pub(crate) fn unknown(u: &Unknown) -> String {
    match u {
        Unknown::Resource(x) => unusable(x),
        Unknown::NatFrontendMissing { rule, lb } => {
            format!("the frontend of NAT rule {rule} on {lb} is not in the data")
        }
        Unknown::SubnetMissing { subnet, vnet } => {
            format!("subnet {subnet} is not in the data: {}", unusable(vnet))
        }
        Unknown::RouteTable(x) => format!("route table: {}", unusable(x)),
        Unknown::BastionSubnetMissing { bastion } => {
            format!("the subnet of Bastion {bastion} is not in the data")
        }
        Unknown::LbFrontendMissing { rule, lb } => {
            format!("the frontend of load-balancing rule {rule} on {lb} is not in the data")
        }
        Unknown::AdminRulesNotRead { vnet } => format!(
            "the security admin rules (Azure Virtual Network Manager) of virtual network {vnet} \
             were not read: an admin rule could deny or always-allow RDP"
        ),
        Unknown::AdminRulesUnusable { vnet, why } => {
            format!("the security admin rules of virtual network {vnet} cannot be evaluated: {why}")
        }
        Unknown::Dnat {
            firewall,
            rule,
            gap,
        } => dnat_gap(firewall, rule, gap),
    }
}

/// A VM problem as its diagnostic says it.
pub(crate) fn problem(p: &ProblemReason) -> String {
    match p {
        ProblemReason::Unusable(u) => unusable(u),
        ProblemReason::NatRuleUnusable { rule, lb } => format!(
            "inbound NAT rule {rule} cannot be evaluated: {}",
            unusable(lb)
        ),
        ProblemReason::Unknown(u) => unknown(u),
        ProblemReason::PoolUnusable { pool, lb } => format!(
            "the load-balancing rules of backend pool {pool} cannot be evaluated: {}",
            unusable(lb)
        ),
    }
}

pub(crate) fn block(b: &BlockReason) -> String {
    match b {
        BlockReason::NoAddress {
            pip,
            via_lb: Some(lb),
            ..
        } => format!("public IP {pip} of {lb} has no address assigned"),
        BlockReason::NoAddress { pip, dynamic, .. } => format!(
            "public IP {pip} has no address assigned{}",
            if *dynamic {
                " (dynamic IP released while the VM is deallocated)"
            } else {
                ""
            }
        ),
        BlockReason::NatRuleUnbound { rule, lb } => {
            format!("NAT rule {rule} on {lb} is not bound to a backend IP configuration")
        }
        BlockReason::FrontendWithoutPublicIp { frontend, rule, lb } => format!(
            "frontend {frontend} of NAT rule {rule} on {lb} has no public IP (internal load \
             balancer)"
        ),
        BlockReason::SecondaryNic { nic } => format!(
            "{nic} is a secondary NIC: replies leave through the primary NIC and are dropped"
        ),
        BlockReason::GuestPortMismatch { delivered, guest } => {
            format!("NAT rule delivers port {delivered} but the guest listens on {guest}")
        }
        BlockReason::EndpointPortMismatch {
            endpoint,
            private_port,
            guest,
        } => format!(
            "endpoint {endpoint} forwards to private port {private_port} but the guest listens \
             on {guest}"
        ),
        BlockReason::BastionInboundDenied { bastion, nsg, rule } => format!(
            "{nsg} on the AzureBastionSubnet of {bastion} denies inbound tcp/443 from the \
             Internet{}: clients cannot reach Bastion",
            rule.as_ref()
                .map(|r| format!(" (rule {r})"))
                .unwrap_or_default()
        ),
        BlockReason::BastionOutboundDenied {
            bastion,
            nsg,
            rule,
            port,
        } => format!(
            "{nsg} on the AzureBastionSubnet of {bastion} denies outbound tcp/{port} to the \
             VM{}: Bastion cannot open RDP",
            rule.as_ref()
                .map(|r| format!(" (rule {r})"))
                .unwrap_or_default()
        ),
    }
}

fn addr_or_unknown(a: Option<IpAddr>) -> String {
    a.map(|x| x.to_string()).unwrap_or_else(|| "?".into())
}

/// A hop's `detail`.
pub(crate) fn hop_detail(h: &Hop) -> String {
    match &h.fact {
        HopFact::Blocked(b) => block(b),
        HopFact::Missing(u) => unknown(u),
        HopFact::SecureByDefault { sku } => format!(
            "no NSG on the subnet or the NIC: {} SKU entry points are closed until an NSG allows",
            sku.map(|s| s.to_string()).unwrap_or_default()
        ),
        HopFact::NoNsg => "no NSG at this level".into(),
        HopFact::NsgUnusable(u) => unusable(u),
        HopFact::NotReached => "not reached: denied before this level".into(),
        HopFact::NsgLevel {
            parts,
            undecided,
            candidates,
        } => nsg_level(parts, undecided.as_ref(), candidates),
        HopFact::Route {
            set,
            candidates,
            user_route,
            prefix,
            next_hop,
            next_hop_ip,
        } => format!(
            "reply to {} via {} {prefix}{}",
            describe_set(set, candidates),
            if *user_route {
                "user route"
            } else {
                "system route"
            },
            match next_hop_ip {
                Some(ip) => format!(" → {} {ip}", next_hop.as_str()),
                None => format!(" → {}", next_hop.as_str()),
            }
        ),
        HopFact::Dns {
            name,
            answer,
            address,
        } => dns(name, answer, *address),
        HopFact::Probe { target, result } => probe(target, result),
        HopFact::Power(state) => state.as_str().to_string(),
        HopFact::Guest(g) => guest(g),
        HopFact::Entry(e) => entry_detail(e),
        HopFact::Admin { parts, candidates } => admin_parts(parts, candidates),
        HopFact::AdminBypass => {
            "skipped: an AlwaysAllow security admin rule delivered RDP without the NSGs".into()
        }
        HopFact::ForcedTunnel(f) => doors::forced_tunnel(f),
    }
}

/// The entry point of a path: public IP, NAT rule, classic endpoint and ACL, Bastion.
fn entry_detail(fact: &EntryFact) -> String {
    match fact {
        EntryFact::PublicIp {
            address: Some(addr),
            sku,
            dynamic,
            fqdn,
        } => format!(
            "{addr} {sku} SKU, {}{}",
            if *dynamic { "dynamic" } else { "static" },
            fqdn.as_ref().map(|f| format!(", {f}")).unwrap_or_default()
        ),
        EntryFact::PublicIp { address: None, .. } => "no address".into(),
        EntryFact::NatRule {
            lb,
            sku,
            address,
            frontend_port,
            frontend_range,
            backend_port,
            floating,
        } => format!(
            "{lb} ({sku} SKU) {}:{} → backend port {backend_port}{}",
            addr_or_unknown(*address),
            match (frontend_port, frontend_range) {
                (Some(f), _) => f.to_string(),
                (None, Some((s, e))) => format!(
                    "{s}-{e} (the port of this range assigned to the VM is not in the data)"
                ),
                _ => "?".into(),
            },
            if *floating { ", floating IP" } else { "" }
        ),
        EntryFact::Endpoint {
            address,
            public_port,
            private_port,
        } => format!(
            "{}:{public_port} → private port {private_port}",
            addr_or_unknown(*address)
        ),
        EntryFact::Acl(AclFact::NotVisible) => "the endpoint ACL is not visible in the data".into(),
        EntryFact::Acl(AclFact::NoRules) => "no ACL rules: every source is permitted".into(),
        EntryFact::Acl(AclFact::Permits {
            admitted,
            candidates,
        }) => format!("permits {}", describe_set(admitted, candidates)),
        EntryFact::Bastion {
            sources,
            private_ip,
            port,
            flags,
        } => format!(
            "from {} to {}:{port}{}",
            describe_set(sources, sources),
            addr_or_unknown(*private_ip),
            bastion_flags(flags)
        ),
        EntryFact::FirewallDnat(d) => dnat_detail(d),
        EntryFact::LbRule {
            lb,
            sku,
            address,
            frontend_port,
            backend_port,
            floating,
            ha_ports,
        } => format!(
            "{lb} ({sku} SKU) {}:{} → backend port {backend_port}{}{}",
            addr_or_unknown(*address),
            frontend_port
                .map(|p| p.to_string())
                .unwrap_or_else(|| backend_port.to_string()),
            if *ha_ports {
                ", HA ports (every port, unchanged)"
            } else if frontend_port.is_none() {
                ", every frontend port"
            } else {
                ""
            },
            if *floating {
                ", floating IP (the VM sees the frontend IP as destination)"
            } else {
                ""
            }
        ),
    }
}

/// What a Bastion host's configuration adds to its hop.
fn bastion_flags(f: &BastionFlags) -> String {
    let mut out = Vec::new();
    if let Some(sku) = &f.sku {
        out.push(format!("{sku} SKU"));
    }
    if f.developer {
        out.push("shared Developer host, source 168.63.129.16".into());
    }
    if f.shareable_link {
        out.push("shareable links on".into());
    }
    if f.ip_connect {
        out.push("IP-based connection on".into());
    }
    if f.tunneling {
        out.push("native client (tunneling) on".into());
    }
    if f.private_only {
        out.push("private-only".into());
    }
    if !f.ip_rules.is_empty() {
        let nets: Vec<String> = f.ip_rules.iter().map(|n| n.to_string()).collect();
        out.push(format!("sessions only from {}", nets.join(", ")));
    }
    if out.is_empty() {
        String::new()
    } else {
        format!(" ({})", out.join("; "))
    }
}

/// `--probe`: what the TCP connect did.
fn probe(target: &str, result: &TcpProbe) -> String {
    let ms = result.millis;
    match result.outcome {
        TcpOutcome::Open => {
            format!("TCP connect to {target} from this machine: open after {ms} ms")
        }
        TcpOutcome::Refused => format!(
            "TCP connect to {target} from this machine: refused after {ms} ms (a host answered, \
             nothing listens)"
        ),
        TcpOutcome::TimedOut => format!(
            "TCP connect to {target} from this machine: no answer within {ms} ms (dropped on the \
             way)"
        ),
        TcpOutcome::Unreachable => format!(
            "TCP connect to {target} could not be sent from this machine: {}",
            result.detail.as_deref().unwrap_or("unreachable")
        ),
    }
}

fn nsg_level(parts: &[LevelPart], undecided: Option<&AddrSet>, cands: &AddrSet) -> String {
    let mut lines = Vec::new();
    for p in parts {
        let rule = p
            .rule
            .as_ref()
            .map(|r| format!("{} ({})", r.name, r.priority))
            .unwrap_or_else(|| END_OF_RULES.into());
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
    if let Some(u) = undecided {
        lines.push(format!("undecidable for {}", describe_set(u, cands)));
    }
    lines.join("; ")
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

fn dns(name: &str, answer: &DnsAnswer, address: Option<IpAddr>) -> String {
    match (answer, address) {
        (DnsAnswer::Failed(why), _) => format!("{name} does not resolve here: {why}"),
        (DnsAnswer::Resolved(addrs), Some(addr)) if !addrs.is_empty() => {
            if addrs.contains(&addr) {
                format!("{name} resolves to {addr} here")
            } else {
                format!(
                    "{name} resolves to {} here, not to the current address {addr}",
                    list(addrs)
                )
            }
        }
        (DnsAnswer::Resolved(addrs), _) => format!(
            "{name} resolves to {} here; the entry point has no address to compare",
            list(addrs)
        ),
    }
}

/// Every guest fact known, in the order a connection meets them.
fn guest(g: &GuestFacts) -> String {
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
    match (&g.error, facts.is_empty()) {
        (Some(e), true) => format!("not inspected: {e}"),
        (Some(e), false) => format!("{} (partly inspected: {e})", facts.join(", ")),
        (None, _) => facts.join(", "),
    }
}

fn name_of(id: &Option<String>) -> String {
    id.as_deref()
        .map(|i| ResId::new(i).name().to_string())
        .unwrap_or_default()
}

/// Why a hop stops (or cannot decide) RDP, in a few words; `by …` when a resource decides.
pub(crate) fn hop_reason(h: &Hop) -> String {
    let level = match h.kind {
        HopKind::SubnetNsg => Some("subnet"),
        HopKind::NicNsg => Some("NIC"),
        _ => None,
    };
    match (level, &h.rule, h.priority) {
        (Some(level), Some(rule), Some(prio)) => format!(
            "by {} / {} ({}, {})",
            name_of(&h.resource),
            rule,
            prio,
            level
        ),
        (Some(_), _, _) if h.resource.is_none() => {
            "by Standard SKU secure-by-default: no NSG on the subnet or the NIC allows RDP".into()
        }
        _ => match h.kind {
            HopKind::Route => format!(
                "by route {} ({})",
                h.rule.clone().unwrap_or_default(),
                hop_detail(h)
            ),
            HopKind::Power => format!("the VM is {}", hop_detail(h)),
            HopKind::ClassicAcl => format!("by the endpoint ACL, which {}", hop_detail(h)),
            _ => hop_detail(h),
        },
    }
}

/// The verdict line's explanation.
pub(crate) fn explain(a: &VmAnalysis<'_>) -> String {
    let direct: Vec<&PathAnalysis<'_>> = a.direct_paths().collect();
    match a.verdict {
        // A `--client-ip` inside the private networks may reach the VM on a private path only.
        Verdict::Reachable => direct
            .iter()
            .copied()
            .chain(a.private_paths.iter())
            .find(|p| p.verdict == Verdict::Reachable)
            .map(|p| {
                format!(
                    "via {} — open to {}",
                    p.connect_to().unwrap_or_else(|| "?".into()),
                    describe_set(&p.client.reachable, &p.client.candidates)
                )
            })
            .unwrap_or_default(),
        Verdict::Blocked if direct.is_empty() => {
            let via = a
                .paths
                .iter()
                .find(|p| p.verdict == Verdict::Reachable)
                .and_then(|p| p.bastion)
                .map(|b| format!("; Bastion {} can reach it", b.name))
                .unwrap_or_default();
            format!("no public IP, NAT rule or endpoint{via}")
        }
        Verdict::Blocked => explain_blocked(a, direct[0]),
        Verdict::Unknown => explain_unknown(a, &direct),
    }
}

fn explain_blocked(a: &VmAnalysis<'_>, p: &PathAnalysis<'_>) -> String {
    let stop = p.hops.iter().find(|h| h.is_stop());
    // Name the port when it is not the usual one (a changed guest port, a NAT backend).
    let port = if p.delivered_port != a.default_port && stop.is_some_and(Hop::is_nsg) {
        format!(" for tcp/{}", p.delivered_port)
    } else {
        String::new()
    };
    match stop {
        Some(h) => hop_reason(h) + &port,
        None => "no path admits the client".into(),
    }
}

fn explain_unknown(a: &VmAnalysis<'_>, direct: &[&PathAnalysis<'_>]) -> String {
    if let Some(p) = a.problems.first() {
        return problem(&p.reason);
    }
    let hop = direct
        .iter()
        .filter(|p| p.verdict == Verdict::Unknown)
        .flat_map(|p| p.hops.iter())
        .find(|h| h.is_unknown());
    let tags: Vec<String> = direct
        .iter()
        .flat_map(|p| super::allowed_sources(p))
        .collect();
    match hop {
        Some(h) if h.is_nsg() && h.rule.is_some() => format!(
            "{} depends on {}, which the data does not expand",
            hop_reason(h).trim_start_matches("by "),
            if tags.is_empty() {
                "addresses".to_string()
            } else {
                tags.join(", ")
            }
        ),
        Some(h) => hop_detail(h),
        None => "the data does not decide".into(),
    }
}

// ---- firewall DNAT and security admin rules (docs/decisions.md D25-D36) ----------------------

fn dnat_gap(firewall: &str, rule: &str, gap: &DnatGap) -> String {
    let rule = if rule.is_empty() {
        format!("firewall {firewall}")
    } else {
        format!("DNAT rule {rule} of firewall {firewall}")
    };
    match gap {
        DnatGap::Fqdn(q) => format!(
            "{rule} translates to FQDN {q}, which the firewall resolves at run time (not in the data)"
        ),
        DnatGap::Malformed(why) => format!("{rule} cannot be read: {why}"),
        DnatGap::Resource(u) => format!("{rule}: {}", unusable(u)),
        DnatGap::HubFirewall { hub } => format!(
            "{rule} is a secured Virtual WAN hub firewall ({hub}): the addresses it translates \
             from are not in the data"
        ),
        DnatGap::SnatUnknown => format!(
            "{rule}: the AzureFirewallSubnet (the source the VM's NSGs see) is not in the data"
        ),
    }
}

/// `fw-hub (policy p / group g / collection c) 20.1.2.3:50001 → 10.0.0.4:3389 for …`.
fn dnat_detail(d: &DnatFact) -> String {
    let place: Vec<String> = [
        d.policy.as_ref().map(|p| format!("policy {p}")),
        d.group.as_ref().map(|g| format!("group {g}")),
        d.collection.as_ref().map(|c| format!("collection {c}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" ({})", place.join(" / "))
    };
    let all = AddrSet::all();
    format!(
        "{}{place} {}:{} → {}:{} from {}; the NSGs see the firewall's {}",
        d.firewall,
        addr_or_unknown(d.address),
        d.ports.as_deref().unwrap_or("?"),
        addr_or_unknown(d.translated),
        d.translated_port,
        if d.clients.is_empty() {
            "no client (earlier rules take them)".to_string()
        } else {
            describe_set(&d.clients, &all)
        },
        describe_set(&d.snat, &d.snat),
    )
}

fn admin_parts(parts: &[AdminPart], cands: &AddrSet) -> String {
    parts
        .iter()
        .map(|p| {
            let what = match p.outcome {
                AdminOutcome::Deny => "denied",
                AdminOutcome::AlwaysAllow => "always allowed (NSGs skipped)",
                AdminOutcome::Handed => "handed to the NSGs",
                AdminOutcome::Unknown => "undecidable",
            };
            let by = p
                .rule
                .as_ref()
                .map(|r| format!(" by {}", crate::rules::doors::admin_rule_text(r)))
                .unwrap_or_else(|| " (no admin rule matches)".into());
            let tie = p.tie.as_ref().map(doors::tie).unwrap_or_default();
            format!("{what} {}{by}{tie}", describe_set(&p.set, cands))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why part of a source class is unknown (docs/decisions.md D42–D44).
pub(crate) fn class_note(
    n: &crate::engine::lateral::classes::ClassNote,
    open_admitted: bool,
) -> String {
    use crate::engine::gateways::OpenReason;
    use crate::engine::lateral::classes::ClassNote;
    match n {
        ClassNote::Open(why) => {
            let what = match why {
                OpenReason::Bgp => "prefixes learned over BGP are not in the data".to_string(),
                OpenReason::ExpressRoute => {
                    "prefixes learned over ExpressRoute are not in the data".to_string()
                }
                OpenReason::Missing(name) => format!("{name} is not in the data"),
                OpenReason::OtherType(t) => format!("a {t} connection's prefixes are not read"),
            };
            if open_admitted {
                format!("{what}; they belong to VirtualNetwork, which the NSGs admit")
            } else {
                format!("{what}; the NSGs admit none of them unless a rule names them")
            }
        }
        ClassNote::OwnPeeringDenies(p) => format!(
            "this VNet's peering {p} has allowVirtualNetworkAccess false while the peer's side allows: whether traffic flows is not documented per direction"
        ),
    }
}

/// What routing does with an east-west flow (docs/decisions.md D46).
pub(crate) fn route_fate(r: &crate::engine::lateral::RouteFate) -> String {
    use crate::engine::lateral::RouteFate;
    match r {
        RouteFate::Direct => "within the virtual network".into(),
        RouteFate::Peering(p) => format!("over peering {p}"),
        RouteFate::Appliance { ip, route } => format!(
            "through appliance {ip} (user route {route}); rdpaudit does not model its filtering"
        ),
        RouteFate::Unknown { route, hop } => {
            format!("user route {route} to next hop {hop}, which leaves the data")
        }
        RouteFate::PeeringRemoteDenies(p) => {
            format!("the far side's peering {p} has allowVirtualNetworkAccess false")
        }
    }
}

/// The east-west section's sentences (`--lateral` in every format, `check --from`).
pub(crate) mod lateral;
