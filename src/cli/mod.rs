//! The shell: parses arguments, dispatches to one file per subcommand (`commands/`), prints, and
//! maps how the run ended to the exit code. The only module that prints or exits.

pub(crate) mod args;
mod commands;
mod error;
mod filter;
mod input;
mod inspect;
mod live;
mod output;
mod status;

use clap::error::ErrorKind;
use clap::Parser;

use args::{Cli, Command};
pub(crate) use error::CliError;
pub use input::DEMO;
pub use status::ExitStatus;

/// Entry point: how the run ended (`main` turns it into the exit code).
pub fn main() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return argument_error(e),
    };
    init_logging(verbosity(&cli.command));
    let result = match &cli.command {
        Command::Audit(a) => commands::audit::run(a),
        Command::Check(c) => commands::check::run(c),
        Command::Collect(c) => commands::collect::run(c),
        Command::Rules(r) => commands::rules::run(r),
        Command::Explain(e) => commands::explain::run(e),
        Command::Fix(f) => commands::fix::run(f),
        Command::Completions(c) => commands::completions::completions(c),
        Command::Man => commands::completions::man(),
        Command::Graph(g) => commands::graph::run(g),
    };
    result.unwrap_or_else(|e| error::report(&e))
}

/// clap prints help and version to stdout (exit 0) and help for a bare `rdpaudit` to stderr
/// (exit 2); every other argument error is ours to print.
fn argument_error(e: clap::Error) -> ExitStatus {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitStatus::Clean;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitStatus::Error;
    }
    error::report(&CliError::Usage(e))
}

fn verbosity(command: &Command) -> u8 {
    match command {
        Command::Audit(a) => a.output.verbose,
        Command::Check(c) => c.output.verbose,
        Command::Collect(c) => c.verbose,
        Command::Fix(f) => f.output.verbose,
        Command::Rules(_) | Command::Explain(_) | Command::Completions(_) | Command::Man => 0,
        Command::Graph(g) => g.verbose,
    }
}

/// `-v` info, `-vv` debug, `-vvv` trace; to stderr only. No log line carries a token: the
/// ARM client logs methods, URLs and statuses, never headers.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "rdpaudit=info",
        2 => "rdpaudit=debug",
        _ => "rdpaudit=trace,azure_identity=debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}
