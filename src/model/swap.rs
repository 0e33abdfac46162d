//! Swapping changed resources into a scratch copy of the model and back: how `remedy` proves
//! fixes on one copy instead of a copy per fix (docs/performance.md).

use super::{doors, Bastion, IdKey, Model, Nsg, PublicIp, RouteTable, Vm};

impl Model {
    /// Puts `changed`'s NSGs, route tables and VMs in place of this model's and returns what they
    /// replaced, for [`Model::restore`]. Only `remedy`'s own scratch copy is changed this way (one
    /// copy for every proof, not one per fix); the audited model is never touched.
    pub(crate) fn swap_in(&mut self, changed: &Model) -> Replaced {
        let mut undo = Replaced::default();
        for (k, v) in &changed.nsgs {
            undo.nsgs
                .push((k.clone(), self.nsgs.insert(k.clone(), v.clone())));
        }
        for (k, v) in &changed.route_tables {
            let old = self.route_tables.insert(k.clone(), v.clone());
            undo.route_tables.push((k.clone(), old));
        }
        for vm in &changed.vms {
            // The VMs are sorted by key (`build`): the first of that key, as a scan finds.
            let i = self.vms.partition_point(|x| x.id.key() < vm.id.key());
            if self.vms.get(i).is_some_and(|x| x.id.key() == vm.id.key()) {
                undo.vms
                    .push((i, std::mem::replace(&mut self.vms[i], vm.clone())));
            }
        }
        self.swap_in_doors(changed, &mut undo);
        undo
    }

    /// [`Model::swap_in`] for public IPs, Bastion hosts, firewalls and rule collection groups
    /// (the fixes of RDP603, RDP805/806 and RDP607 change them).
    fn swap_in_doors(&mut self, changed: &Model, undo: &mut Replaced) {
        for (k, v) in &changed.public_ips {
            let old = self.public_ips.insert(k.clone(), v.clone());
            undo.public_ips.push((k.clone(), old));
        }
        for b in &changed.bastions {
            if let Some(i) = self.bastions.iter().position(|x| x.id.key() == b.id.key()) {
                undo.bastions
                    .push((i, std::mem::replace(&mut self.bastions[i], b.clone())));
            }
        }
        for f in &changed.firewalls {
            if let Some(i) = self.firewalls.iter().position(|x| x.id.key() == f.id.key()) {
                undo.firewalls
                    .push((i, std::mem::replace(&mut self.firewalls[i], f.clone())));
            }
        }
        for g in &changed.rule_groups {
            if let Some(i) = self
                .rule_groups
                .iter()
                .position(|x| x.id.key() == g.id.key())
            {
                undo.rule_groups
                    .push((i, std::mem::replace(&mut self.rule_groups[i], g.clone())));
            }
        }
    }

    /// Undoes [`Model::swap_in`].
    pub(crate) fn restore(&mut self, undo: Replaced) {
        for (k, old) in undo.nsgs {
            match old {
                Some(v) => self.nsgs.insert(k, v),
                None => self.nsgs.remove(&k),
            };
        }
        for (k, old) in undo.route_tables {
            match old {
                Some(v) => self.route_tables.insert(k, v),
                None => self.route_tables.remove(&k),
            };
        }
        for (i, vm) in undo.vms {
            if let Some(slot) = self.vms.get_mut(i) {
                *slot = vm;
            }
        }
        for (k, old) in undo.public_ips {
            match old {
                Some(v) => self.public_ips.insert(k, v),
                None => self.public_ips.remove(&k),
            };
        }
        for (i, b) in undo.bastions {
            if let Some(slot) = self.bastions.get_mut(i) {
                *slot = b;
            }
        }
        for (i, f) in undo.firewalls {
            if let Some(slot) = self.firewalls.get_mut(i) {
                *slot = f;
            }
        }
        for (i, g) in undo.rule_groups {
            if let Some(slot) = self.rule_groups.get_mut(i) {
                *slot = g;
            }
        }
    }
}

/// What [`Model::swap_in`] replaced.
#[derive(Default)]
pub(crate) struct Replaced {
    nsgs: Vec<(IdKey, Option<Nsg>)>,
    route_tables: Vec<(IdKey, Option<RouteTable>)>,
    vms: Vec<(usize, Vm)>,
    public_ips: Vec<(IdKey, Option<PublicIp>)>,
    bastions: Vec<(usize, Bastion)>,
    firewalls: Vec<(usize, doors::Firewall)>,
    rule_groups: Vec<(usize, doors::RuleGroup)>,
}
