//! `rdpaudit check ID`: one VM, its path walked hop by hop (`-o table`), like a traceroute.

use super::assess::{assess, Flags, Subject};
use crate::cli::args::CheckArgs;
use crate::cli::{CliError, ExitStatus};
use crate::report::check;

pub(crate) fn run(args: &CheckArgs) -> Result<ExitStatus, CliError> {
    let flags = Flags {
        input: &args.input,
        eval: &args.eval,
        out: &args.output,
    };
    assess(flags, Subject::Vm(&args.vm), check::render)
}
