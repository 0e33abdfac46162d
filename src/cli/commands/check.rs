//! `rdpaudit check ID`: one VM, its path walked hop by hop (`-o table`), like a traceroute;
//! with `--from`, RDP from one source traced hop by hop.

use super::assess::{assess, prepare, Assessed, Flags, Lateral, Subject};
use crate::cli::args::{CheckArgs, Format};
use crate::cli::{output, CliError, ExitStatus};
use crate::report::check;

pub(crate) fn run(args: &CheckArgs) -> Result<ExitStatus, CliError> {
    let flags = Flags {
        input: &args.input,
        eval: &args.eval,
        out: &args.output,
        keep_raw: false,
    };
    let subject = Subject::Vm(&args.vm);
    let Some(from) = args.from.as_deref() else {
        return assess(flags, subject, check::render);
    };
    // `--from`: one source traced hop by hop (docs/decisions.md D45-D47).
    let lateral = Lateral {
        full: true,
        from: Some(from),
    };
    let Assessed { report, .. } = prepare(flags, subject, lateral)?;
    if !args.output.quiet {
        output::print(&match args.output.output {
            Format::Json => crate::report::json::render(&report),
            _ => crate::report::trace::render(&report, output::use_color(args.output.color)),
        });
    }
    Ok(ExitStatus::of_report(
        &report,
        args.output.fail_on,
        args.output.fail_on_new,
    ))
}
