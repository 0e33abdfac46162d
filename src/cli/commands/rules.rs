//! `rdpaudit rules`: the rule catalogue, as a table or as JSON.

use crate::cli::args::{RulesArgs, RulesFormat};
use crate::cli::{output, CliError, ExitStatus};
use crate::report::catalogue;

pub(crate) fn run(args: &RulesArgs) -> Result<ExitStatus, CliError> {
    let text = match args.output {
        RulesFormat::Table => catalogue::table(),
        RulesFormat::Json => catalogue::json()?,
    };
    output::print(&text);
    Ok(ExitStatus::Clean)
}
