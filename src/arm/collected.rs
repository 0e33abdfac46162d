//! What a collection read, as it arrives: the raw resources, their references and the model
//! built from them page by page (the same model as one built from all of them at once).

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;

use crate::model::refs::Index;
use crate::model::{Building, DecodedBlock, Diagnostic, Model, ResId};
use crate::snapshot::Subscription;

/// What was read: the same shape as a snapshot.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) resources: Vec<Box<RawValue>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The `securityAdminRules` section (VNet id → effective admin rules), when read.
    pub(crate) security_admin_rules: Option<Box<RawValue>>,
    /// Ids already asked for by id (lower case): one that failed is not asked again.
    pub(crate) asked: HashSet<String>,
    /// The references of `resources[..indexed]`, built as they arrived ([`Collected::index`]).
    index: Index,
    indexed: usize,
    /// The model of `resources[..built]`, built as they arrived ([`Collected::model`]).
    building: Building,
    built: usize,
    /// The admin-rule section an early model was built with ([`Collected::speculate`]).
    speculated: Option<Box<RawValue>>,
    /// Counts the changes of `index` (merged, replaced): what was found in it before is stale.
    index_changes: u64,
    /// The VMs' VNets and the `index_changes` they were found at ([`Collected::missing`]).
    vm_vnets: Option<(u64, Vec<ResId>)>,
}

impl Collected {
    pub(crate) fn resource_refs(&self) -> Vec<&RawValue> {
        self.resources.iter().map(|r| r.as_ref()).collect()
    }

    /// Adds resources with their index and (when the collection decodes) their decoded
    /// bodies, made beside them in the task that read them (while other pages were still
    /// downloading). Behind resources added without one (rule collection groups), the index is
    /// not merged: [`Collected::index`] reads them all in order then; those resources are
    /// decoded here first, so the model takes every resource in its order.
    pub(crate) fn add_indexed(
        &mut self,
        items: Vec<Box<RawValue>>,
        index: Index,
        decoded: Option<DecodedBlock>,
    ) {
        if self.indexed == self.resources.len() {
            self.index.merge(index);
            self.index_changes += 1;
            self.indexed += items.len();
        }
        if let Some(block) = decoded {
            self.catch_up();
            self.building.absorb(block);
            self.built += items.len();
        }
        self.resources.extend(items);
    }

    /// Adds the resources that came without decoded bodies to the model under construction.
    fn catch_up(&mut self) {
        if let Some(rest) = self.resources.get(self.built..) {
            let refs: Vec<&RawValue> = rest.iter().map(|r| r.as_ref()).collect();
            self.building.add(&refs);
        }
        self.built = self.resources.len();
    }

    /// Drops the resources from `len` on (a query that failed after some of its pages were
    /// added): the index and the model are made again from what is left when next asked for.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.resources.len() {
            self.resources.truncate(len);
            self.index = Index::default();
            self.index_changes += 1;
            self.indexed = 0;
            self.changed();
        }
    }

    /// Resources already in the model were changed or dropped: it is built again, from all of
    /// them, when asked for.
    pub(super) fn changed(&mut self) {
        self.building = Building::default();
        self.built = 0;
    }

    /// The model of every resource collected, with the admin-rule section: the same model as
    /// one built from `resources` at once, mostly built while the pages arrived.
    pub(crate) fn model(&mut self) -> Model {
        self.catch_up();
        let admin = self.security_admin_rules.as_deref();
        std::mem::take(&mut self.building).finish(admin)
    }

    /// The model of every resource collected, with `section` as its admin rules: sent on while
    /// the admin-rule answers arrive. Remembers `section` for [`Collected::speculation_held`].
    /// `copy`: the model under construction stays for [`Collected::model`] (a copy, ≈ 10 ms at
    /// 10,000 VMs); otherwise it is taken, and built again from the resources only if that is
    /// asked for, when a late answer holds admin rules (≈ 100 ms: the model of a 10,000-VM
    /// snapshot is built in 107 ms offline). The caller copies where an answer in already has
    /// some (docs/performance.md).
    pub(crate) fn speculate(&mut self, section: Box<RawValue>, copy: bool) -> Model {
        self.catch_up();
        let building = if copy {
            self.building.clone()
        } else {
            let taken = std::mem::take(&mut self.building);
            self.changed();
            taken
        };
        let model = building.finish(Some(&section));
        self.speculated = Some(section);
        model
    }

    /// The model under construction, no longer needed (the early one held): to be freed.
    pub(crate) fn drop_model(&mut self) -> Building {
        self.built = 0;
        std::mem::take(&mut self.building)
    }

    /// Nothing was judged on the model [`Collected::speculate`] made (no one took it).
    pub(super) fn forget_speculation(&mut self) {
        self.speculated = None;
    }

    /// Whether the model [`Collected::speculate`] made is [`Collected::model`]'s: the same
    /// resources (none is added after it) and, byte for byte, the same admin-rule section.
    pub(crate) fn speculation_held(&self) -> bool {
        match (&self.speculated, &self.security_admin_rules) {
            (Some(guess), Some(read)) => guess.get() == read.get(),
            _ => false,
        }
    }

    /// Collection is over: the index is no longer needed (it is rebuilt if asked for again).
    pub(crate) fn finished(mut self) -> Collected {
        self.index = Index::default();
        self.index_changes += 1;
        self.indexed = 0;
        self
    }

    /// The references of every resource collected so far: each resource is read once, when it
    /// arrives or here, however often collection asks (docs/performance.md).
    pub(crate) fn index(&mut self) -> &Index {
        if self.indexed < self.resources.len() {
            let more = Index::of(&self.resources[self.indexed..]);
            self.index.merge(more);
            self.index_changes += 1;
            self.indexed = self.resources.len();
        }
        &self.index
    }

    /// The top-level ids referenced but not collected ([`Index::missing`]). The VMs' VNets are
    /// found beside them, on the other core, for [`Collected::vm_vnets`]: both walk every
    /// resource's references (≈ 6 and 3 ms at 10,000 VMs, between the last page and judging).
    pub(crate) fn missing(&mut self, focus: Option<&ResId>) -> Vec<String> {
        let ix = self.index();
        let (missing, vnets) = rayon::join(|| ix.missing(focus), || ix.vm_vnets());
        self.vm_vnets = Some((self.index_changes, vnets));
        missing
    }

    /// The VNets of the VMs' NICs ([`Index::vm_vnets`]): those [`Collected::missing`] found
    /// unless the index changed since.
    pub(crate) fn vm_vnets(&mut self) -> Vec<ResId> {
        self.index();
        match self.vm_vnets.take() {
            Some((at, vnets)) if at == self.index_changes => vnets,
            _ => self.index.vm_vnets(),
        }
    }
}

/// Drops resources read twice (a list and a GET by id), keeping the first.
pub(super) fn dedup(out: &mut Collected) {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    // As many distinct ids as resources: nothing was read twice (the index has them all).
    if out.index().distinct_ids() == out.resources.len() {
        return;
    }
    let mut seen = HashSet::new();
    // Dropped resources among the indexed ones shift the rest: count them (the index keeps
    // their references, which the first copy has too).
    let (mut at, mut dropped_indexed) = (0, 0);
    let indexed = out.indexed;
    out.resources.retain(|r| {
        let keep = match serde_json::from_str::<IdOnly>(r.get())
            .ok()
            .and_then(|h| h.id)
        {
            Some(id) => seen.insert(id.to_ascii_lowercase()),
            None => true,
        };
        if !keep && at < indexed {
            dropped_indexed += 1;
        }
        at += 1;
        keep
    });
    out.indexed -= dropped_indexed;
    out.changed();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decode_each;
    use serde_json::json;

    fn res(name: &str) -> Box<RawValue> {
        let id = format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/{name}");
        serde_json::value::to_raw_value(
            &json!({"id": id, "type": "Microsoft.Network/networkSecurityGroups", "properties": {}}),
        )
        .unwrap_or_else(|_| unreachable!())
    }

    /// A VM with its NIC in `vnet` (the NIC names its VM, as ARM's do).
    fn vm_in(name: &str, vnet: &str) -> Vec<Box<RawValue>> {
        let rg = "/subscriptions/s/resourceGroups/rg/providers";
        let nic = format!("{rg}/Microsoft.Network/networkInterfaces/nic-{name}");
        let vm = format!("{rg}/Microsoft.Compute/virtualMachines/{name}");
        let subnet = format!("{rg}/Microsoft.Network/virtualNetworks/{vnet}/subnets/s");
        [
            json!({"id": vm, "type": "Microsoft.Compute/virtualMachines",
                "properties": {"networkProfile": {"networkInterfaces": [{"id": nic}]}}}),
            json!({"id": nic, "type": "Microsoft.Network/networkInterfaces",
                "properties": {"virtualMachine": {"id": vm},
                    "ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]}}),
        ]
        .iter()
        .map(|v| serde_json::value::to_raw_value(v).unwrap_or_else(|_| unreachable!()))
        .collect()
    }

    fn names(vnets: &[ResId]) -> Vec<String> {
        vnets.iter().map(|v| v.name().to_string()).collect()
    }

    /// The VNets found beside the missing references are the index's while it stays as it
    /// was; a page added after, or a list taken back out, has them found again.
    #[test]
    fn the_vnets_found_beside_the_references_are_kept_only_while_the_index_stands() {
        let mut out = Collected::default();
        let first = vm_in("a", "va");
        out.add_indexed(first.clone(), Index::of(&first), None);
        assert!(out
            .missing(None)
            .iter()
            .any(|id| id.ends_with("/virtualNetworks/va")));
        assert_eq!(names(&out.vm_vnets()), ["va"]);
        out.missing(None);
        let more = vm_in("b", "vb");
        out.add_indexed(more.clone(), Index::of(&more), None);
        assert_eq!(
            names(&out.vm_vnets()),
            ["va", "vb"],
            "the page added after counts"
        );
        out.missing(None);
        out.truncate(2);
        assert_eq!(
            names(&out.vm_vnets()),
            ["va"],
            "the list taken back out does not"
        );
        out.missing(None);
        out.resources.extend(vm_in("c", "vc"));
        assert_eq!(
            names(&out.vm_vnets()),
            ["va", "vc"],
            "nor do resources not yet indexed"
        );
    }

    /// Dropping a duplicate among the indexed resources keeps the index in step: a resource
    /// added afterwards is still indexed.
    #[test]
    fn dedup_keeps_the_index_in_step() {
        let mut out = Collected::default();
        let first = vec![res("a"), res("b"), res("A")];
        let ix = Index::of(&first);
        let decoded = decode_each(first.iter().map(|r| r.as_ref()));
        out.add_indexed(first, ix, Some(decoded));
        dedup(&mut out);
        assert_eq!(out.resources.len(), 2);
        out.resources.push(res("c"));
        assert_eq!(out.index().distinct_ids(), 3);
        dedup(&mut out);
        assert_eq!(out.resources.len(), 3);
        // The model dropped the duplicate with the resources.
        let model = out.model();
        assert_eq!(
            digest(&model),
            digest(&crate::model::build(&out.resource_refs()))
        );
        assert_eq!(model.nsgs.len(), 3);
    }

    /// What a model holds, in an order that does not depend on its maps' hashing.
    fn digest(m: &Model) -> String {
        let mut nsgs: Vec<_> = m.nsgs.keys().collect();
        nsgs.sort();
        let mut broken: Vec<_> = m.broken.iter().collect();
        broken.sort();
        format!("{nsgs:?} {broken:?} {:?} {}", m.diagnostics, m.ignored)
    }

    /// The model built page by page as the resources arrive (decoded in the tasks that read
    /// them) is the model built from all of them at once: resources added without decoded
    /// bodies (rule collection groups) are taken in their order, a resource's position in a
    /// diagnostic counts every resource before it, and a changed resource (a merged instance
    /// view) makes the model be built again.
    #[test]
    fn the_model_built_as_pages_arrive_is_the_model_built_at_once() {
        let bad: Box<RawValue> =
            serde_json::value::to_raw_value(&json!({"name": "no-id"})).expect("json");
        let page = |names: &[&str], with_bad: bool| {
            let mut items: Vec<Box<RawValue>> = names.iter().map(|n| res(n)).collect();
            if with_bad {
                items.push(bad.clone());
            }
            let ix = Index::of(&items);
            let decoded = decode_each(items.iter().map(|r| r.as_ref()));
            (items, ix, Some(decoded))
        };
        let mut out = Collected::default();
        let (items, ix, decoded) = page(&["a", "b"], true);
        out.add_indexed(items, ix, decoded);
        // Added without decoded bodies, then another page: taken in order.
        out.resources.push(res("c"));
        out.resources.push(bad.clone());
        let (items, ix, decoded) = page(&["d"], true);
        out.add_indexed(items, ix, decoded);
        out.resources.push(res("e"));
        let whole = crate::model::build(&out.resource_refs());
        let model = out.model();
        assert_eq!(digest(&model), digest(&whole));
        assert_eq!(model.nsgs.len(), 5);
        let at: Vec<_> = model
            .diagnostics
            .iter()
            .filter_map(|d| d.scope.clone())
            .collect();
        assert!(
            at.iter().any(|s| s.contains("resources[2]"))
                && at.iter().any(|s| s.contains("resources[6]")),
            "{at:?}"
        );
        // A resource already in the model changes: the model is built again from all.
        let mut out = Collected::default();
        let (items, ix, decoded) = page(&["a", "b"], false);
        out.add_indexed(items, ix, decoded);
        out.resources[1] = res("z");
        out.changed();
        let model = out.model();
        assert_eq!(
            digest(&model),
            digest(&crate::model::build(&out.resource_refs()))
        );
        assert!(model.nsgs.keys().any(|k| k.id.ends_with("/z")));
    }
}
