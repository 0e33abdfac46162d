//! Security rules: ~20 custom rules per NSG drawn from the templates in [`super::tables`], and
//! the bodies of custom and default rules as ARM returns them.

use super::gen::{etag, Rng};
use super::tables::{
    Access, Inbound, OutDst, PortsT, Side, CORP_CIDRS, DEFAULT_RULES, INBOUND, INBOUND_NO_ASG,
    OUTBOUND, REGIONS,
};
use rand::seq::IndexedRandom;
use rand::RngExt;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Address of one side of a security rule.
pub(super) enum Addr {
    One(String),
    Many(Vec<String>),
    Asgs(Vec<String>),
}

/// Destination ports of a security rule.
pub(super) enum Ports {
    One(String),
    Many(Vec<String>),
}

pub(super) struct Rule {
    name: String,
    description: Option<&'static str>,
    protocol: &'static str,
    src: Addr,
    dst: Addr,
    ports: Ports,
    allow: bool,
    priority: u32,
    inbound: bool,
}

/// 16 to 24 custom rules with distinct priorities (every fourth outbound), sometimes followed by
/// an explicit deny-all. `asgs` are the application security groups of the NSG's region.
pub(super) fn rules(rng: &mut Rng, asgs: &[String]) -> Vec<Rule> {
    let n = rng.random_range(16..=24);
    let mut priorities = BTreeSet::new();
    while priorities.len() < n {
        priorities.insert(rng.random_range(100..=4000u32));
    }
    let mut out = Vec::with_capacity(n + 1);
    for (k, priority) in priorities.into_iter().enumerate() {
        out.push(if k % 4 != 3 {
            inbound_rule(rng, priority, asgs)
        } else {
            outbound_rule(rng, priority)
        });
    }
    if rng.random_bool(0.3) {
        out.push(Rule {
            name: "Deny-All-Inbound".into(),
            description: Some("Explicit deny below all allows"),
            protocol: "*",
            src: Addr::One("*".into()),
            dst: Addr::One("*".into()),
            ports: Ports::One("*".into()),
            allow: false,
            priority: 4096,
            inbound: true,
        });
    }
    out
}

fn corp(rng: &mut Rng, n: usize) -> Vec<String> {
    CORP_CIDRS.sample(rng, n).map(|s| s.to_string()).collect()
}

/// Draws one side of a rule from its template; `pick` is the template roll.
fn side(rng: &mut Rng, s: &Side, pick: usize, asgs: &[String]) -> Addr {
    match s {
        Side::One(x) => Addr::One((*x).into()),
        Side::ByPick(xs) => Addr::One(xs[pick % xs.len()].into()),
        Side::List(xs) => Addr::Many(xs.iter().map(|x| x.to_string()).collect()),
        Side::Corp(n) => Addr::Many(corp(rng, *n)),
        Side::CorpOneToThree => {
            let n = rng.random_range(1..=3);
            let mut xs = corp(rng, n);
            if n == 1 {
                Addr::One(xs.remove(0))
            } else {
                Addr::Many(xs)
            }
        }
        Side::Partner => Addr::One(format!(
            "52.{}.{}.{}",
            rng.random_range(0..255),
            rng.random_range(0..255),
            rng.random_range(1..255)
        )),
        Side::Asg => Addr::Asgs(vec![asgs.choose(rng).cloned().unwrap_or_default()]),
    }
}

fn inbound_rule(rng: &mut Rng, priority: u32, asgs: &[String]) -> Rule {
    let pick: usize = rng.random_range(0..100);
    let t: &Inbound = INBOUND
        .iter()
        .find(|t| pick <= t.upto)
        .unwrap_or(&INBOUND_NO_ASG);
    let t = if matches!(t.src, Side::Asg) && asgs.is_empty() {
        &INBOUND_NO_ASG
    } else {
        t
    };
    let src = side(rng, &t.src, pick, asgs);
    let dst = side(rng, &t.dst, pick, asgs);
    let ports = match t.ports {
        PortsT::One(p) => Ports::One(p.into()),
        PortsT::ByPick(ps) => Ports::One(ps[pick % ps.len()].into()),
        PortsT::Many(ps) => Ports::Many(ps.iter().map(|p| p.to_string()).collect()),
    };
    let allow = match t.access {
        Access::Allow => true,
        Access::Deny => false,
        Access::Coin => rng.random_bool(0.5),
    };
    Rule {
        name: format!("{}-{priority}", t.name),
        description: t.description,
        protocol: t.protocol,
        src,
        dst,
        ports,
        allow,
        priority,
        inbound: true,
    }
}

fn outbound_rule(rng: &mut Rng, priority: u32) -> Rule {
    let region = REGIONS.choose(rng).map(|r| r.0).unwrap_or("westeurope");
    // An `i32` roll, as the generator has always drawn it (another type draws differently).
    let pick: i32 = rng.random_range(0..4);
    let (name, dst, port, allow) = &OUTBOUND[pick as usize];
    let dst = match dst {
        OutDst::One(x) => Addr::One((*x).into()),
        OutDst::RegionalStorage => Addr::One(format!("Storage.{}", capitalise(region))),
        OutDst::List(xs) => Addr::Many(xs.iter().map(|x| x.to_string()).collect()),
    };
    Rule {
        name: format!("{name}-{priority}"),
        description: None,
        protocol: "Tcp",
        src: Addr::One("VirtualNetwork".into()),
        dst,
        ports: Ports::One((*port).into()),
        allow: *allow,
        priority,
        inbound: false,
    }
}

fn capitalise(region: &str) -> String {
    let mut c = region.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn addr_fields(p: &mut Map<String, Value>, side: &str, a: &Addr) {
    match a {
        Addr::One(x) => {
            p.insert(format!("{side}AddressPrefix"), json!(x));
            p.insert(format!("{side}AddressPrefixes"), json!([]));
        }
        Addr::Many(xs) => {
            p.insert(format!("{side}AddressPrefixes"), json!(xs));
        }
        Addr::Asgs(ids) => {
            p.insert(format!("{side}AddressPrefixes"), json!([]));
            p.insert(
                format!("{side}ApplicationSecurityGroups"),
                json!(ids.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()),
            );
        }
    }
}

/// A security rule the way live ARM returns it: the unused plural arrays are present and
/// empty, the unused singular field is absent.
pub(super) fn rule_body(rng: &mut Rng, nsg_id: &str, r: &Rule) -> Value {
    let mut p = Map::new();
    p.insert("provisioningState".into(), json!("Succeeded"));
    if let Some(d) = r.description {
        p.insert("description".into(), json!(d));
    }
    p.insert("protocol".into(), json!(r.protocol));
    p.insert("sourcePortRange".into(), json!("*"));
    match &r.ports {
        Ports::One(x) => {
            p.insert("destinationPortRange".into(), json!(x));
            p.insert("destinationPortRanges".into(), json!([]));
        }
        Ports::Many(xs) => {
            p.insert("destinationPortRanges".into(), json!(xs));
        }
    }
    addr_fields(&mut p, "source", &r.src);
    addr_fields(&mut p, "destination", &r.dst);
    p.insert(
        "access".into(),
        json!(if r.allow { "Allow" } else { "Deny" }),
    );
    p.insert("priority".into(), json!(r.priority));
    p.insert(
        "direction".into(),
        json!(if r.inbound { "Inbound" } else { "Outbound" }),
    );
    p.insert("sourcePortRanges".into(), json!([]));
    json!({
        "name": r.name, "id": format!("{nsg_id}/securityRules/{}", r.name), "etag": etag(rng),
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "properties": p
    })
}

/// The six default rules every NSG carries, exactly as ARM returns them
/// (<https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules>).
pub fn default_rules(nsg_id: &str) -> Vec<Value> {
    DEFAULT_RULES
        .iter()
        .map(
            |&(name, description, src, dst, access, priority, direction)| {
                json!({
                    "name": name,
                    "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                    "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "description": description,
                        "protocol": "*",
                        "sourcePortRange": "*",
                        "destinationPortRange": "*",
                        "sourceAddressPrefix": src,
                        "destinationAddressPrefix": dst,
                        "access": access,
                        "priority": priority,
                        "direction": direction,
                        "sourcePortRanges": [],
                        "destinationPortRanges": [],
                        "sourceAddressPrefixes": [],
                        "destinationAddressPrefixes": []
                    }
                })
            },
        )
        .collect()
}
