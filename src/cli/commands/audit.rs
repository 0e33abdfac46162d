//! `rdpaudit audit`: every Windows VM in scope, one verdict line each plus its findings.

use super::assess::{assess, Flags, Subject};
use crate::cli::args::AuditArgs;
use crate::cli::{output, CliError, ExitStatus};
use crate::report::table;

pub(crate) fn run(args: &AuditArgs) -> Result<ExitStatus, CliError> {
    let flags = Flags {
        input: &args.input,
        eval: &args.eval,
        out: &args.output,
        keep_raw: false,
    };
    assess(flags, Subject::Scope(&args.scope), |report, color| {
        table::render(report, color, output::table_width())
    })
}
