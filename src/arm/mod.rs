//! Azure Resource Manager access: the only code that talks to the network.
//!
//! `auth` picks a credential (azure_identity) and hands out ARM tokens for the chosen cloud;
//! `client` sends requests (retries, 429 `Retry-After`, paging pinned to the ARM host,
//! concurrency); `collect` reads a subscription, a resource group or one VM and returns the same
//! list of raw ARM resources a snapshot holds, so everything after collection is shared;
//! `collected` keeps what was read and builds the model from it as the pages arrive.

pub mod auth;
pub(crate) mod client;
pub(crate) mod collect;
pub(crate) mod collect_doors;
pub(crate) mod collect_named;
pub(crate) mod collected;
pub(crate) mod error;
pub(crate) mod graph;
mod graph_quota;
mod in_order;
mod link_scan;
pub(crate) mod paging;
mod permits;
pub mod probe;
pub(crate) mod request;
pub(crate) mod runcommand;

pub(crate) use client::fuzz_page;
