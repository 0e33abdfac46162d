//! Why a run could not finish: one typed error per layer, all printed the same way, in one
//! place ([`report`]): `rdpaudit: error: …` on stderr, exit 2.

use std::path::PathBuf;

use super::ExitStatus;
use crate::arm::auth::AuthError;
use crate::arm::collect::CollectError;
use crate::pipeline::PipelineError;
use crate::snapshot::SnapshotError;

/// A failure that stops the run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// clap rejected the command line; shown with clap's usage text.
    #[error("{}", usage_text(.0))]
    Usage(#[from] clap::Error),
    /// Arguments clap accepts one by one but that cannot be used (together).
    #[error("{0}")]
    BadArgs(String),
    #[error("cannot read {what} {}: {source}", .path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the snapshot from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
    /// The suppression file is not usable (the message names the file).
    #[error("{0}")]
    Suppressions(String),
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    /// `--baseline` names a file that is not a usable earlier report.
    #[error("{}: {source}", .path.display())]
    Baseline {
        path: PathBuf,
        source: crate::report::baseline::BaselineError,
    },
    /// The cloud or its ARM endpoint (`--cloud`, `--arm-endpoint`) is not usable.
    #[error("{0}")]
    Cloud(String),
    #[error("{0}")]
    Auth(Box<AuthError>),
    /// The ARM client could not be built.
    #[error("{0}")]
    Client(String),
    #[error("{}", collect_text(.0))]
    Collect(Box<CollectError>),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot serialise the output: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unknown rule id \"{0}\"; `rdpaudit rules` lists them (RDP101 … RDP804)")]
    UnknownRule(String),
}

// Boxed: they are large, and every `Result` in the shell carries a `CliError`.
impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        CliError::Auth(Box::new(e))
    }
}

impl From<CollectError> for CliError {
    fn from(e: CollectError) -> Self {
        CliError::Collect(Box::new(e))
    }
}

/// clap's own message without its `error: ` (ours replaces it), usage and hint kept.
fn usage_text(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    text.trim_end().to_string()
}

fn collect_text(e: &CollectError) -> String {
    match e {
        CollectError::Auth(e) => format!(
            "authentication failed: {e}\nThe credential produced a token that ARM rejected: check \
             the tenant, that the identity has Reader on the scope, and (with --arm-endpoint) the \
             --cloud"
        ),
        other => other.to_string(),
    }
}

/// Prints the one error line (and whatever detail the error carries) and says: exit 2.
pub(crate) fn report(e: &CliError) -> ExitStatus {
    eprintln!("rdpaudit: error: {e}");
    ExitStatus::Error
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn clap_errors_keep_their_usage_but_lose_their_prefix() {
        let e = super::super::args::Cli::try_parse_from(["rdpaudit", "frobnicate"])
            .expect_err("unknown subcommand");
        let text = CliError::from(e).to_string();
        assert!(
            text.starts_with("unrecognized subcommand 'frobnicate'"),
            "{text}"
        );
        assert!(text.contains("Usage: rdpaudit <COMMAND>"), "{text}");
        assert!(!text.contains("error:"), "{text}");
        assert!(!text.ends_with('\n'));
    }

    #[test]
    fn io_errors_name_the_file() {
        let e = CliError::Read {
            what: "snapshot",
            path: PathBuf::from("/x/y.json"),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(e
            .to_string()
            .starts_with("cannot read snapshot /x/y.json: "));
    }
}
