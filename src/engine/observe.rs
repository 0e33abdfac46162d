//! Observations: what was seen outside the ARM data — guest facts (`--guest`, or a snapshot's
//! `guest` section) and `--probe` results from this machine. An input of the engine next to
//! the model, never written into it.

use std::collections::HashMap;

use crate::model::{GuestFacts, Probes, ResId};

/// What was observed outside the ARM data: guest facts and `--probe` results.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    /// Guest facts by VM id key (case-folded).
    guest: HashMap<String, GuestFacts>,
    /// `--probe` results; `None` when no probe ran.
    probes: Option<Probes>,
}

impl Observations {
    /// Guest facts by VM resource id (any case).
    pub fn new(guest: HashMap<String, GuestFacts>) -> Observations {
        Observations {
            guest: guest
                .into_iter()
                .map(|(id, facts)| (ResId::new(&id).key, facts))
                .collect(),
            probes: None,
        }
    }

    /// These observations plus what `--probe` saw.
    pub fn with_probes(mut self, probes: Probes) -> Observations {
        self.probes = Some(probes);
        self
    }

    pub(crate) fn guest(&self, vm: &ResId) -> Option<&GuestFacts> {
        self.guest.get(&vm.key)
    }

    pub(crate) fn probes(&self) -> Option<&Probes> {
        self.probes.as_ref()
    }
}
