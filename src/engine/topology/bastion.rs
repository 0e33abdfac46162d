//! Bastion variants: the Developer SKU's shared source address (docs/decisions.md D39) and the
//! NSG on AzureBastionSubnet, which must admit the clients' 443 and let RDP out to the VM
//! (D40). A subnet NSG that denies either is a typed block on the Bastion path.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::engine::nsg::{self, Outcome, Part, Target};
use crate::engine::tags;

/// The Azure host address Developer-SKU sessions come from ("verify that your NSG rules allow
/// traffic to ports 22 and 3389 from the private IP address 168.63.129.16",
/// <https://learn.microsoft.com/en-us/azure/bastion/quickstart-developer-sku>).
pub(super) fn developer_source() -> AddrSet {
    AddrSet::from_net(&ipnet::IpNet::from(IpAddr::V4(Ipv4Addr::new(
        168, 63, 129, 16,
    ))))
}

/// The decisive deny of a one-address evaluation: `Some(rule name or None)` when every part
/// is a definite deny, `None` when anything is admitted or undecidable (over-report reach).
fn denied(parts: &[Part]) -> Option<Option<String>> {
    if parts.is_empty() || parts.iter().any(|p| p.outcome != Outcome::Deny) {
        return None;
    }
    Some(
        parts
            .iter()
            .find_map(|p| p.rule.as_ref().map(|r| r.name.clone())),
    )
}

/// The rules of `nsg`'s outbound list with source and destination swapped, so that the
/// inbound evaluator answers "may the Bastion subnet send to this address?" (ports unchanged).
fn mirrored_outbound(n: &Nsg) -> Nsg {
    let inbound = n
        .outbound
        .iter()
        .map(|r| SecurityRule {
            source: r.destination.clone(),
            destination: r.source.clone(),
            ..r.clone()
        })
        .collect();
    Nsg {
        id: n.id.clone(),
        name: n.name.clone(),
        provisioning_state: n.provisioning_state.clone(),
        inbound,
        outbound: Rules::default(),
    }
}

impl Builder<'_, '_> {
    /// Blocks from the NSG on the Bastion's own subnet: inbound 443 from the Internet and
    /// outbound `port` to the VM's private IP. An NSG not in the data adds nothing (the VM's
    /// own NSGs still decide; reach is over-reported rather than guessed away).
    pub(super) fn bastion_subnet_blocks(
        &self,
        path: &mut PathTopology<'_>,
        b: &Bastion,
        ipc: &IpConfig,
        port: u16,
    ) {
        let m = self.model;
        let no_asgs: crate::model::IdMap<AddrSet> = crate::model::IdMap::default();
        for sid in &b.subnets {
            let Some((vnet, subnet)) = m.subnet(sid) else {
                continue;
            };
            let Some(n) = subnet.nsg.as_ref().and_then(|id| m.nsgs.get(&id.key())) else {
                continue;
            };
            let t = tags::tag_sets(m, Some((vnet, subnet)), &no_asgs);
            // Any address of the subnet stands for the Bastion's instances.
            let host = subnet.prefixes.first().map(|p| p.network());
            let inbound = Target {
                dest_ip: host,
                dest_port: 443,
                dest_asgs: &[],
                tags: &t,
            };
            // A private-only Bastion (Premium) has no Internet clients to admit.
            let from_internet = if b.private_only {
                Vec::new()
            } else {
                nsg::evaluate(n, &t.internet, &inbound)
            };
            if let Some(rule) = denied(&from_internet) {
                path.blocks.push(Block {
                    reason: BlockReason::BastionInboundDenied {
                        bastion: b.name.clone(),
                        nsg: n.name.clone(),
                        rule,
                    },
                    resource: n.id.id.clone(),
                    while_stopped_only: false,
                });
            }
            let (Some(host), Some(vm_ip)) = (host, ipc.private_ip) else {
                continue;
            };
            let out = Target {
                dest_ip: Some(host),
                dest_port: port,
                dest_asgs: &[],
                tags: &t,
            };
            let vm = AddrSet::from_net(&ipnet::IpNet::from(vm_ip));
            if let Some(rule) = denied(&nsg::evaluate(&mirrored_outbound(n), &vm, &out)) {
                path.blocks.push(Block {
                    reason: BlockReason::BastionOutboundDenied {
                        bastion: b.name.clone(),
                        nsg: n.name.clone(),
                        rule,
                        port,
                    },
                    resource: n.id.id.clone(),
                    while_stopped_only: false,
                });
            }
        }
    }
}

/// Which Bastions serve a VNet, by VNet key: positions in `Model::bastions` (sorted by id) of
/// the Bastions with a subnet in that VNet, and of the Developer-SKU ones bound to it. Looked up
/// once per VM audit; a scan of every Bastion per VM grew with the square of the estate.
#[derive(Debug, Default)]
pub(crate) struct BastionIndex {
    by_subnet_vnet: crate::model::IdMap<Vec<usize>>,
    developer: crate::model::IdMap<Vec<usize>>,
}

impl BastionIndex {
    pub(crate) fn new(model: &Model) -> BastionIndex {
        let mut ix = BastionIndex::default();
        for (i, b) in model.bastions.iter().enumerate() {
            for s in &b.subnets {
                if let Some((vnet, _)) = s.split_child("subnets") {
                    ix.by_subnet_vnet
                        .entry(crate::model::IdKey::from(vnet))
                        .or_default()
                        .push(i);
                }
            }
            if let (true, Some(v)) = (b.developer(), &b.vnet) {
                ix.developer
                    .entry(crate::model::IdKey::from(v))
                    .or_default()
                    .push(i);
            }
        }
        ix
    }

    /// Bastions in `vnet` or in one of `peers` (keys); the Developer SKU serves its own VNet
    /// only, never a peer (docs/decisions.md D39). In the model's order.
    pub(super) fn serving(&self, vnet: Key<'_>, peers: &[Key<'_>]) -> Vec<usize> {
        let mut at: Vec<usize> = self.developer.get(&vnet).cloned().unwrap_or_default();
        for k in std::iter::once(vnet).chain(peers.iter().copied()) {
            at.extend(self.by_subnet_vnet.get(&k).into_iter().flatten());
        }
        at.sort_unstable();
        at.dedup();
        at
    }
}
