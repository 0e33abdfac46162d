//! Topology and reachability: from a VM to its paths, and exact evaluation of each path.
//!
//! - `topology`: the paths per VM (entry points, NIC and IP configuration, NSG slots, route
//!   table, Bastions) and what blocks an entry, computed once from the model, the options and
//!   the guest's port.
//! - `evaluate`: each path judged for the client and the Internet (NSG sets, SKU, routes,
//!   classic ACLs), then power, guest and probes; verdicts.
//! - `hops`: the typed hops of an evaluated path (no prose: `report::words` phrases them).
//! - `observe`: guest facts and probe results, an input next to the model.
//! - `types`: options, verdicts, path kinds, typed blocks, unknowns and problems.

pub(crate) mod addrset;
pub(crate) mod admin;
pub(crate) mod admin_types;
pub(crate) mod analysis;
pub(crate) mod dnat;
pub(crate) mod evaluate;
pub(crate) mod gateways;
pub(crate) mod hop;
pub(crate) mod hops;
mod hops_doors;
pub(crate) mod lateral;
pub(crate) mod nsg;
pub(crate) mod observe;
pub(crate) mod route;
pub(crate) mod tags;
pub(crate) mod topology;
pub(crate) mod types;

pub use addrset::AddrSet;
pub(crate) use analysis::{PathAnalysis, VmAnalysis};
pub(crate) use evaluate::Evaluator;
pub use evaluate::{net_eval, net_eval_admin, Nsgs, Reply};
pub(crate) use hop::Hop;
pub use hop::{Decision, HopKind};
pub use nsg::{Outcome, TagSets, Target};
pub use observe::Observations;
pub use tags::public_space;
pub use types::Verdict;
pub(crate) use types::{BlockReason, PathKind};

/// A map of the engine's own keys (ids, contexts, indices), hashed with foldhash: SipHash, the
/// standard map's default, showed in the profile of a 10,000-VM audit.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub use types::{Client, Options, Slot};
pub use types::{NetEval, PathPart, Unusable};
