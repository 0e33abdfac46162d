//! `rdpaudit explain ID`: one rule — what, why, how to fix, an example, links.

use crate::cli::args::ExplainArgs;
use crate::cli::{output, CliError, ExitStatus};
use crate::report::catalogue;
use crate::rules;

pub(crate) fn run(args: &ExplainArgs) -> Result<ExitStatus, CliError> {
    let rule =
        rules::find(&args.rule_id).ok_or_else(|| CliError::UnknownRule(args.rule_id.clone()))?;
    output::print(&catalogue::explain_in(rule.meta, args.fix_format.into()));
    Ok(ExitStatus::Clean)
}
