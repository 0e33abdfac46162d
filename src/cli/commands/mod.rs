//! One file per subcommand, each with its entry point `run`, returning how the run ended.
//! `audit` and `check` share their core in `assess`.

mod assess;
pub mod audit;
pub mod check;
pub mod collect;
pub mod explain;
pub mod rules;
