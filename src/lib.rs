//! rdpaudit — why Remote Desktop to an Azure Windows VM fails, and who RDP is open to.
//!
//! # Library surface
//!
//! The binary is a one-line wrapper around [`cli::main`]; the library exists for it and for the
//! integration tests. The public entry points:
//!
//! - [`cli`]: [`cli::main`] (the whole program) and [`cli::DEMO`] (the built-in demo snapshot).
//! - [`snapshot`]: [`snapshot::parse`] reads a snapshot file into [`snapshot::Snapshot`].
//! - [`model`]: [`model::build`] types ARM resources into a [`model::Model`], plus the model
//!   types tests construct (NSGs, rules, ports, probes, guest facts) and the ARM grammar
//!   ([`model::parse_prefix`], [`model::parse_port`], [`model::parse_port_item`]).
//! - [`engine`]: [`engine::Options`], [`engine::Observations`], and the NSG set evaluator
//!   ([`engine::net_eval`] over [`engine::AddrSet`]s) the property tests drive.
//! - [`rules`]: [`rules::CATALOGUE`], each rule's [`rules::RuleMeta`], and the compliance
//!   mapping ([`rules::compliance::controls`], [`rules::compliance::tag`]) SARIF tags carry.
//! - [`report`]: [`report::Report`], the document every output format renders, and
//!   [`report::catalogue_markdown`].
//! - [`pipeline`]: [`pipeline::run`] (resources in, report out), or step by step with
//!   [`pipeline::build_model`] and [`pipeline::Audit`].
//! - [`remedy`]: proving typed fixes on a patched copy of the data ([`remedy::run`]).
//! - [`guest`]: the in-guest [`guest::SCRIPT`] and [`guest::parse_output`] for what it prints.
//! - [`arm`]: [`arm::auth`] (sign-in) and [`arm::probe`] (TCP/DNS probes).
//!
//! Everything else is `pub(crate)`.
//!
//! # Design
//!
//! Data flows one way: a source of ARM resources (`snapshot`, `arm`) → [`model`] (typed,
//! indexed, immutable) and [`engine::Observations`] (guest facts, probe results) → [`engine`]
//! (topology once, then exact evaluation) → [`rules`] (findings) → [`report`] (table, check,
//! JSON, CSV, SARIF, Markdown); [`pipeline`] strings them together for `cli`. Everything below
//! the sources is pure: no network, files, clock, environment or printing. Only `cli` prints or
//! exits. `tests/layering.rs` keeps imports pointing down.

#![warn(missing_docs)]

pub mod arm;
pub mod cli;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod guest;
pub mod model;
pub mod pipeline;
pub mod remedy;
pub mod report;
pub mod rules;
pub mod snapshot;
