//! rdpaudit — why Remote Desktop to an Azure Windows VM fails, and who RDP is open to.
//!
//! Data flows one way: a source of ARM resources (`snapshot`, `arm`) → [`model`] (typed,
//! indexed, immutable) and [`engine::Observations`] (guest facts, probe results) → [`engine`]
//! (topology once, then exact evaluation) → [`rules`] (findings) → [`report`] (table, check,
//! JSON, CSV, SARIF, Markdown); [`pipeline`] strings them together for `cli`. Everything below
//! the sources is pure: no network, files, clock, environment or printing. Only `cli` prints or
//! exits. `tests/layering.rs` keeps imports pointing down.

pub mod arm;
pub mod cli;
pub mod engine;
pub mod guest;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod snapshot;
