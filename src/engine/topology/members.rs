//! The VMs an audit judges, before their topology is built: a topology is built with its batch
//! (docs/decisions.md D53) and dropped with it, so no more than two batches' topologies are
//! alive at once, one being evaluated while the last is finished (100,000 VMs held 100 MB of
//! them when every topology was built up front).

use rayon::prelude::*;

use super::{Builder, VmTopology};
use crate::model::{ClassicVm, Model, OsType, ResId, Vm};

/// A VM of the model, ARM or classic.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VmRef<'m> {
    Arm(&'m Vm),
    Classic(&'m ClassicVm),
}

impl<'m> VmRef<'m> {
    pub(crate) fn id(self) -> &'m ResId {
        match self {
            VmRef::Arm(vm) => &vm.id,
            VmRef::Classic(vm) => &vm.id,
        }
    }

    pub(crate) fn os(self) -> OsType {
        match self {
            VmRef::Arm(vm) => vm.os,
            VmRef::Classic(vm) => vm.os,
        }
    }

    /// The ARM VM (its NICs place it in the network), `None` for a classic one.
    pub(crate) fn arm(self) -> Option<&'m Vm> {
        match self {
            VmRef::Arm(vm) => Some(vm),
            VmRef::Classic(_) => None,
        }
    }

    /// Every ARM and classic VM of `model` (Windows and not), sorted by id.
    pub(crate) fn every(model: &'m Model) -> Vec<VmRef<'m>> {
        let arm = model.vms.iter().map(VmRef::Arm);
        let mut out: Vec<VmRef<'m>> = arm
            .chain(model.classic_vms.iter().map(VmRef::Classic))
            .collect();
        out.sort_by(|a, b| a.id().key().cmp(&b.id().key()));
        out
    }
}

impl<'m> Builder<'m, '_> {
    /// The topology of one VM.
    pub(crate) fn of(&self, vm: VmRef<'m>) -> VmTopology<'m> {
        match vm {
            VmRef::Arm(vm) => self.arm(vm),
            VmRef::Classic(vm) => self.classic(vm),
        }
    }

    /// The topologies of `vms`, in their order, on every core.
    pub(crate) fn each(&self, vms: &[VmRef<'m>]) -> Vec<VmTopology<'m>> {
        vms.par_iter().map(|&vm| self.of(vm)).collect()
    }
}
