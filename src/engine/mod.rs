//! Topology and reachability: from a VM to its paths, and exact evaluation of each path.
//!
//! - [`topology`]: the paths per VM (entry points, NIC and IP configuration, NSG slots, route
//!   table, Bastions) and what blocks an entry, computed once from the model, the options and
//!   the guest's port.
//! - [`evaluate`]: each path judged for the client and the Internet (NSG sets, SKU, routes,
//!   classic ACLs), then power, guest and probes; verdicts.
//! - [`hops`]: the typed hops of an evaluated path (no prose: `report::words` phrases them).
//! - [`observe`]: guest facts and probe results, an input next to the model.
//! - [`types`]: options, verdicts, path kinds, typed blocks, unknowns and problems.

pub mod addrset;
pub mod evaluate;
pub mod hops;
pub mod nsg;
pub mod observe;
pub mod route;
pub mod tags;
pub mod topology;
pub mod types;

pub use evaluate::{Evaluator, PathAnalysis, VmAnalysis};
pub use hops::{Decision, Hop, HopFact, HopKind};
pub use observe::Observations;
pub use topology::{PathTopology, VmTopology};
pub use types::{Block, BlockReason, Client, Options, PathKind, Verdict};
