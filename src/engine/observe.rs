//! Observations: what was seen outside the ARM data — guest facts (`--guest`, or a snapshot's
//! `guest` section) and `--probe` results from this machine. An input of the engine next to
//! the model, never written into it.

use std::collections::HashMap;
use std::sync::Arc;

use super::addrset::AddrSet;

use crate::model::{GuestFacts, Probes, ResId};

/// What was observed outside the ARM data: guest facts and `--probe` results.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// Guest facts by VM id key (case-folded); shared, so that the many audits proving fixes
    /// copy no per-VM data (a copy per audit grew with the square of the estate).
    guest: Arc<crate::model::IdMap<GuestFacts>>,
    /// `--probe` results; `None` when no probe ran.
    probes: Option<Probes>,
    /// The ASG member sets, when computed once for many audits of models with the same NICs
    /// (proving fixes: docs/performance.md); `None`: each evaluation computes them.
    asg_members: Option<Arc<crate::model::IdMap<AddrSet>>>,
}

impl Observations {
    /// Guest facts by VM resource id (any case).
    pub fn new(guest: HashMap<String, GuestFacts>) -> Observations {
        Observations {
            guest: Arc::new(
                guest
                    .into_iter()
                    .map(|(id, facts)| (crate::model::IdKey::from(ResId::new(&id)), facts))
                    .collect(),
            ),
            probes: None,
            asg_members: None,
        }
    }

    /// The same observations, with ASG member sets computed once (`tags::asg_members` of a
    /// model whose NICs are those of every model these observations will meet).
    pub(crate) fn sharing_asg_members(
        self,
        asgs: Arc<crate::model::IdMap<AddrSet>>,
    ) -> Observations {
        Observations {
            asg_members: Some(asgs),
            ..self
        }
    }

    /// The shared ASG member sets, if any.
    pub(crate) fn asg_members(&self) -> Option<&Arc<crate::model::IdMap<AddrSet>>> {
        self.asg_members.as_ref()
    }

    /// These observations plus what `--probe` saw.
    pub fn with_probes(mut self, probes: Probes) -> Observations {
        self.probes = Some(probes);
        self
    }

    pub(crate) fn guest(&self, vm: &ResId) -> Option<&GuestFacts> {
        self.guest.get(&vm.key())
    }

    pub(crate) fn probes(&self) -> Option<&Probes> {
        self.probes.as_ref()
    }
}
