//! Raw ARM resource objects → [`Model`].
//!
//! This file routes each resource to its parser (`compute`, `network`, `nsg`) and holds the
//! helpers they share; `sink` keeps diagnostics of one kind from growing with hostile input.

mod avnm;
mod background;
mod blocks;
mod compute;
mod firewall;
mod gateways;
mod lb;
mod network;
mod nsg;
mod sink;

use rayon::prelude::*;
use serde_json::value::RawValue;
use std::net::IpAddr;

use super::decode::{decode, json_kind_of_text};
use super::net::{parse_ip, parse_port, parse_port_item, parse_prefix, private_ip};
use super::wire::{self, Child, Envelope};
use super::*;
pub use background::{Background, Incomplete};
pub use blocks::{decode_each, DecodedBlock, Texts};
use blocks::{decode_resource, Body, Decoded, DECODE_BLOCK};
use compute::{classic_vm, vm};
use network::{bastion, load_balancer, nic, public_ip, route_table, vnet};
use nsg::{nsg, Defaults};
use sink::Sink;

/// The resource types rdpaudit reads , by case-folded type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vm,
    ClassicVm,
    Nic,
    Nsg,
    PublicIp,
    Vnet,
    LoadBalancer,
    RouteTable,
    Bastion,
    Asg,
    Firewall,
    FirewallPolicy,
    RuleGroup,
    IpGroup,
    Gateway,
    LocalGateway,
    Connection,
    Peering,
}

fn kind_of(t: &str) -> Option<Kind> {
    Some(match t.to_ascii_lowercase().as_str() {
        "microsoft.compute/virtualmachines" => Kind::Vm,
        "microsoft.classiccompute/virtualmachines" => Kind::ClassicVm,
        "microsoft.network/networkinterfaces" => Kind::Nic,
        "microsoft.network/networksecuritygroups" => Kind::Nsg,
        "microsoft.network/publicipaddresses" => Kind::PublicIp,
        "microsoft.network/virtualnetworks" => Kind::Vnet,
        "microsoft.network/loadbalancers" => Kind::LoadBalancer,
        "microsoft.network/routetables" => Kind::RouteTable,
        "microsoft.network/bastionhosts" => Kind::Bastion,
        "microsoft.network/applicationsecuritygroups" => Kind::Asg,
        "microsoft.network/azurefirewalls" => Kind::Firewall,
        "microsoft.network/firewallpolicies" => Kind::FirewallPolicy,
        "microsoft.network/firewallpolicies/rulecollectiongroups" => Kind::RuleGroup,
        "microsoft.network/ipgroups" => Kind::IpGroup,
        "microsoft.network/virtualnetworkgateways" => Kind::Gateway,
        "microsoft.network/localnetworkgateways" => Kind::LocalGateway,
        "microsoft.network/connections" => Kind::Connection,
        "microsoft.network/virtualnetworks/virtualnetworkpeerings" => Kind::Peering,
        _ => return None,
    })
}

/// The resource type as it appears in an id (`…/providers/Microsoft.Network/networkInterfaces/x`),
/// for bodies that omit `type` (api-version 2015-05-01-preview does).
fn kind_from_id(id: &str) -> Option<Kind> {
    let lower = id.to_ascii_lowercase();
    let after = lower.rsplit_once("/providers/")?.1;
    let mut parts = after.split('/');
    let ns = parts.next()?;
    let ty = parts.next()?;
    // Rule collection group bodies carry no `type`: `…/firewallPolicies/p/ruleCollectionGroups/g`.
    let child: Vec<&str> = after.split('/').collect();
    if let [ns, ty, _, child_ty, _] = child.as_slice() {
        return kind_of(&format!("{ns}/{ty}/{child_ty}"));
    }
    // A top-level resource id has exactly namespace/type/name after `providers`.
    let _name = parts.next()?;
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => kind_of(&format!("{ns}/{ty}")),
        // A VNet peering read by itself (its GET body has no `type`).
        (Some(child), Some(_), None) => {
            kind_of(&format!("{ns}/{ty}/{child}")).filter(|k| *k == Kind::Peering)
        }
        _ => None,
    }
}

/// Builds the model from raw resources, once; nothing changes it afterwards.
pub fn build(resources: &[&RawValue]) -> Model {
    build_with(resources, None)
}

/// [`build`] plus the snapshot's `securityAdminRules` section (`None`: not collected).
pub fn build_with(resources: &[&RawValue], admin_rules: Option<&RawValue>) -> Model {
    let mut b = Building::default();
    b.add(resources);
    b.finish(admin_rules)
}

/// A model built from resources handed over in pieces (a snapshot read in blocks, a live
/// collection's pages), in their order: the same model as [`build_with`] over all of them at
/// once.
#[derive(Default, Clone)]
pub struct Building {
    m: Model,
    sink: Sink,
    /// How many resources were added: the next one's position in the data.
    next: usize,
    /// The ids read so far, so that every mention of one shares its text.
    ids: Interner,
    /// The NSGs' default rules read so far, shared the same way.
    defaults: Defaults,
}

impl std::fmt::Debug for Building {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Building({} resources)", self.next)
    }
}

impl Building {
    /// Adds the next resources. Decoding a resource needs no other one: both cores decode a
    /// block of resources, then they are added in their order (so diagnostics keep it). Blocks
    /// bound the memory the decoded bodies take.
    pub fn add(&mut self, resources: &[&RawValue]) {
        let mut waiting: Option<Vec<Decoded>> = None;
        for raws in resources.chunks(DECODE_BLOCK) {
            // The next block is decoded while the last one is added.
            let (decoded, ()) = rayon::join(
                || {
                    raws.par_iter()
                        .map(|raw| decode_resource(raw.get()))
                        .collect()
                },
                || {
                    if let Some(block) = waiting.take() {
                        self.absorb(DecodedBlock(block));
                    }
                },
            );
            waiting = Some(decoded);
        }
        if let Some(block) = waiting {
            self.absorb(DecodedBlock(block));
        }
    }

    /// Adds resources decoded elsewhere ([`decode_each`]) as the next ones, in their order: a live
    /// collection decodes each page in the task that read it, while others download.
    pub fn absorb(&mut self, block: DecodedBlock) {
        let Building {
            m,
            sink,
            next,
            ids,
            defaults,
        } = self;
        ids.serve(|| {
            for d in block.0 {
                // A resource's position in all the data is known only here.
                add_resource(m, sink, defaults, d, *next);
                *next += 1;
            }
        });
    }

    /// The model, with the snapshot's `securityAdminRules` section (`None`: not collected).
    pub fn finish(self, admin_rules: Option<&RawValue>) -> Model {
        let Building {
            mut m,
            sink,
            mut ids,
            ..
        } = self;
        // The admin-rule section's diagnostics come first, as when it was read before the
        // resources.
        let later = std::mem::take(&mut m.diagnostics);
        ids.serve(|| {
            m.admin_rules = avnm::section(&mut m, admin_rules);
            m.admin_rules_out = avnm::section_outbound(&mut m, admin_rules);
        });
        // The interner goes; the ids it handed out stay shared.
        drop(ids);
        m.diagnostics.extend(later);
        gateways::finish(&mut m);
        m.diagnostics.extend(sink.finish());
        if let Some(d) = avnm::not_collected(&m) {
            m.diagnostics.push(d);
        }
        avnm::exempt_denies(&mut m);
        // Alone on one core here; the VMs are many and large to move.
        m.vms.par_sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        m.classic_vms.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        m.bastions.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        m.firewalls.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        m.rule_groups.sort_by(|a, b| a.id.key().cmp(&b.id.key()));
        shrink(&mut m);
        m
    }
}

/// Gives back the room collections grew into (up to half of each): the model lives for the
/// whole audit.
fn shrink(m: &mut Model) {
    m.vms.shrink_to_fit();
    m.classic_vms.shrink_to_fit();
    m.nics.shrink_to_fit();
    m.nsgs.shrink_to_fit();
    m.public_ips.shrink_to_fit();
    m.vnets.shrink_to_fit();
    m.subnets.shrink_to_fit();
    m.load_balancers.shrink_to_fit();
    m.route_tables.shrink_to_fit();
    m.bastions.shrink_to_fit();
    m.asgs.shrink_to_fit();
    m.ip_configs.shrink_to_fit();
    m.nat_rules.shrink_to_fit();
    m.frontends.shrink_to_fit();
}

/// Adds a decoded resource, the `index`th of the data, to the model.
fn add_resource(m: &mut Model, sink: &mut Sink, shared: &mut Defaults, d: Decoded, index: usize) {
    let (rid, body) = match d {
        // Only texts read unchecked can be, and those are never added (`Background`).
        Decoded::NotJson => {
            sink.push_unidentified(
                "are not JSON",
                Diagnostic::error(format!("resources[{index}]"), "not JSON".to_string()),
            );
            return;
        }
        Decoded::Unidentified(kind, message) => {
            sink.push_unidentified(
                kind,
                Diagnostic::error(format!("resources[{index}]"), message),
            );
            return;
        }
        Decoded::BadType(rid, why) => {
            sink.push(Diagnostic::error(rid.id.clone(), why));
            m.broken
                .insert(rid.into(), "field `type` is not a string".into());
            return;
        }
        Decoded::Ignored => {
            m.ignored += 1;
            return;
        }
        // Decoded on another thread, outside the building's ids.
        Decoded::Body(rid, body) => (rid.shared(), body),
    };
    if let Err(why) = body.and_then(|b| add_body(m, shared, &rid, b)) {
        sink.push(Diagnostic::error(rid.id.clone(), why.clone()));
        m.broken.insert(rid.into(), why);
    }
}

fn add_body(m: &mut Model, shared: &mut Defaults, rid: &ResId, body: Body) -> Result<(), String> {
    match body {
        Body::Vm(e) => vm(m, rid, e),
        Body::ClassicVm(e) => classic_vm(m, rid, e),
        Body::Nic(e) => nic(m, rid, e),
        Body::Nsg(p) => nsg(m, shared, rid, p?),
        Body::PublicIp(e) => public_ip(m, rid, e),
        Body::Vnet(e) => vnet(m, rid, e),
        Body::LoadBalancer(e) => load_balancer(m, rid, e),
        Body::RouteTable(e) => route_table(m, rid, e),
        Body::Bastion(e) => bastion(m, rid, e),
        Body::Gateway(e) => gateways::gateway(m, rid, e),
        Body::LocalGateway(e) => gateways::local_gateway(m, rid, e),
        Body::Connection(e) => gateways::connection(m, rid, e),
        Body::Peering(e) => gateways::peering(m, rid, e),
        Body::Asg => {
            m.asgs.insert(rid.into(), rid.clone());
            Ok(())
        }
        Body::Firewall(e) => firewall::firewall(m, rid, e),
        Body::FirewallPolicy(e) => firewall::policy(m, rid, e),
        Body::RuleGroup(e) => firewall::rule_group(m, rid, e),
        Body::IpGroup(e) => firewall::ip_group(m, rid, e),
    }
}

fn props<P>(env: Envelope<P>) -> Result<(Envelope<()>, P), String> {
    let Envelope {
        id,
        kind,
        name,
        location,
        sku,
        properties,
    } = env;
    let head = Envelope {
        id,
        kind,
        name,
        location,
        sku,
        properties: Some(()),
    };
    match properties {
        Some(p) => Ok((head, p)),
        None => Err("field `properties` is missing or null".into()),
    }
}

fn name_of(env: &Envelope<()>, id: &ResId) -> String {
    env.name.clone().unwrap_or_else(|| id.name().to_string())
}

fn reference(r: &Option<wire::Ref>) -> Option<ResId> {
    r.as_ref()
        .and_then(|r| r.id.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(ResId::new)
}

/// The ids of a list of references, as a `Vec` or the `ThinVec` a model field holds.
fn references<C: FromIterator<ResId>>(v: &Option<Vec<wire::Ref>>) -> C {
    v.iter()
        .flatten()
        .filter_map(|r| r.id.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(ResId::new)
        .collect()
}

fn port(field: &str, v: Option<i64>) -> Result<Option<u16>, String> {
    match v {
        None => Ok(None),
        Some(n) => u16::try_from(n)
            .ok()
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: port {n} is out of range 1-65535")),
    }
}

fn prefixes(
    field: &str,
    single: &Option<String>,
    plural: &Option<Vec<String>>,
) -> Result<Vec<IpNet>, String> {
    let mut out = Vec::new();
    let items = single
        .iter()
        .chain(plural.iter().flatten())
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    for s in items {
        out.push(
            parse_prefix(s)
                .ok_or_else(|| format!("field `{field}`: \"{s}\" is not a CIDR prefix"))?,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
