//! rdpaudit — why Remote Desktop to an Azure Windows VM fails, and who RDP is open to.
//!
//! Data flows one way: a source of ARM resources (`snapshot`, later `arm`) → [`model`] (typed,
//! indexed) → [`engine`] (topology and exact NSG set evaluation) → [`rules`] (findings) →
//! [`report`] (table, JSON, CSV, SARIF, Markdown). Everything below the sources is pure: no
//! network, files, clock, environment or printing. Only `cli` prints or exits.

pub mod arm;
pub mod cli;
pub mod engine;
pub mod guest;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod snapshot;
