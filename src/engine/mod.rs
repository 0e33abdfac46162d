//! Topology and reachability: from a VM to its paths, and exact NSG evaluation of each path.

pub mod addrset;
pub mod analyze;
pub mod nsg;
pub mod route;
pub mod tags;

pub use analyze::{Context, Options, PathAnalysis, PathKind, Verdict, VmAnalysis};
