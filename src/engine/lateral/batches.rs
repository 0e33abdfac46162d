//! Splits an estate into batches of VMs that can be judged apart (docs/decisions.md D53).
//!
//! Every finding but the east-west ones reads one VM and the model. East-west edges (RDP812,
//! `--lateral`) join a source to the targets in its VNet's *near* VNets only (its own, its
//! connected peers, and where an appliance on its routes forwards: `eastwest::near_vnet_keys`).
//! So the VMs fall into components — VMs joined through the VNets of their endpoints, VNets
//! joined to the VNets near them — and no edge crosses a component. An audit evaluates one batch
//! of whole components at a time and keeps only its results: memory is bounded by the batch,
//! not by the estate, and the report is the same as judging everything at once.

use crate::engine::FastMap as Fast;

use super::super::topology::VmRef;
use super::eastwest::near_vnet_keys;
use crate::model::{Key, Model};

/// Groups the VMs (indices into `vms`) into batches of whole components, each batch at least
/// `target` VMs (bar the last) and sorted; batches in the order of their first VM. `target` 0,
/// or no fewer than `vms.len()`: one batch of every VM.
pub(crate) fn batches<'m>(model: &'m Model, vms: &[VmRef<'m>], target: usize) -> Vec<Vec<usize>> {
    if target == 0 || vms.len() <= target {
        return vec![(0..vms.len()).collect()];
    }
    let mut sets = Sets::new(vms.len());
    let mut vnets: Fast<Key<'m>, usize> = Fast::default();
    let mut node = |sets: &mut Sets, key: Key<'m>| -> usize {
        if let Some(&n) = vnets.get(&key) {
            return n;
        }
        let n = sets.add();
        vnets.insert(key, n);
        n
    };
    // Near VNets per subnet: every VM of a subnet shares its VNet and route table.
    let mut near: Fast<Key<'m>, Vec<Key<'m>>> = Fast::default();
    for (i, vm) in vms.iter().enumerate() {
        let Some(arm) = vm.arm() else { continue };
        // The endpoints `super::endpoints` finds: a private address in a subnet of the data.
        let subnets = arm
            .nics
            .iter()
            .filter_map(|(id, _)| model.nics.get(&id.key()))
            .flat_map(|nic| nic.ip_configs.iter())
            .filter(|ipc| ipc.private_ip.is_some())
            .filter_map(|ipc| ipc.subnet.as_ref());
        for sid in subnets {
            let Some((vnet, subnet)) = model.subnet(sid) else {
                continue;
            };
            let own = node(&mut sets, vnet.id.key());
            sets.join(i, own);
            let keys = near.entry(subnet.id.key()).or_insert_with(|| {
                let table = subnet
                    .route_table
                    .as_ref()
                    .and_then(|r| model.route_tables.get(&r.key()));
                near_vnet_keys(model, vnet, table)
            });
            for k in keys.iter() {
                let other = node(&mut sets, *k);
                sets.join(own, other);
            }
        }
    }
    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut at: Fast<usize, usize> = Fast::default();
    for i in 0..vms.len() {
        let root = sets.root(i);
        let c = *at.entry(root).or_insert_with(|| {
            components.push(Vec::new());
            components.len() - 1
        });
        if let Some(members) = components.get_mut(c) {
            members.push(i);
        }
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut batch: Vec<usize> = Vec::new();
    for c in components {
        batch.extend(c);
        if batch.len() >= target {
            batch.sort_unstable();
            out.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batch.sort_unstable();
        out.push(batch);
    }
    out
}

/// Disjoint sets over `0..n` (union by size, path halving).
struct Sets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn add(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.size.push(1);
        self.parent.len() - 1
    }

    fn root(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn join(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.root(a), self.root(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

#[cfg(test)]
mod tests {
    use super::Sets;

    #[test]
    fn sets_join_transitively_and_keep_others_apart() {
        let mut s = Sets::new(5);
        let extra = s.add();
        s.join(0, extra);
        s.join(3, extra);
        s.join(1, 2);
        assert_eq!(s.root(0), s.root(3));
        assert_eq!(s.root(1), s.root(2));
        assert_ne!(s.root(0), s.root(1));
        assert_ne!(s.root(4), s.root(0));
    }
}
