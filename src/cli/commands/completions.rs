//! `rdpaudit completions SHELL` and `rdpaudit man`: generated from the same clap definition
//! the parser uses, so they never drift from the real flags.

use clap::CommandFactory;

use crate::cli::args::{Cli, CompletionsArgs, ShellArg};
use crate::cli::{CliError, ExitStatus};

pub(crate) fn completions(args: &CompletionsArgs) -> Result<ExitStatus, CliError> {
    use clap_complete::Shell;
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "rdpaudit", &mut buf);
    crate::cli::output::print(&String::from_utf8_lossy(&buf));
    Ok(ExitStatus::Clean)
}

pub(crate) fn man() -> Result<ExitStatus, CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| CliError::BadArgs(format!("cannot render the man page: {e}")))?;
    crate::cli::output::print(&String::from_utf8_lossy(&buf));
    Ok(ExitStatus::Clean)
}
