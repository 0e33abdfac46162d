//! One file per subcommand, each with its entry point `run`, returning how the run ended.
//! `audit` and `check` share their core in `assess`.

mod assess;
pub(crate) mod audit;
pub(crate) mod check;
pub(crate) mod collect;
pub(crate) mod completions;
pub(crate) mod explain;
pub(crate) mod fix;
pub(crate) mod graph;
pub(crate) mod rules;
