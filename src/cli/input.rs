//! What the commands read: the input document (`--demo`, `--snapshot`), the evaluation options,
//! the suppression file, and the checks on flags that cannot go together.

use std::io::Read;
use std::path::Path;

use super::args::{CategoryArg, EvalArgs, InputArgs, ScopeArgs};
use super::CliError;
use crate::engine::Client;
use crate::engine::Options;
use crate::report::baseline::Baseline;
use crate::report::suppress::Suppressions;
use crate::report::CategoryFilter;
use crate::rules::compliance::{self, Framework};
use crate::rules::Category;

/// The demo subscription (mocks/demo), compiled in so `audit --demo` needs nothing else.
pub const DEMO: &str = include_str!("../../mocks/demo/demo-subscription.json");

/// Whether this run reads live Azure (neither `--demo` nor `--snapshot`).
pub(crate) fn is_live(input: &InputArgs) -> bool {
    !input.demo && input.snapshot.is_none()
}

/// The bytes of the offline input: the demo, a snapshot file, or standard input (`-`).
pub(crate) fn read_input(input: &InputArgs) -> Result<Vec<u8>, CliError> {
    if input.demo {
        return Ok(DEMO.as_bytes().to_vec());
    }
    match &input.snapshot {
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(CliError::Stdin)?;
            Ok(buf)
        }
        Some(p) => std::fs::read(p).map_err(|source| CliError::Read {
            what: "snapshot",
            path: p.clone(),
            source,
        }),
        None => Err(CliError::BadArgs(
            "no input: use --snapshot FILE, --demo, or live Azure".into(),
        )),
    }
}

/// The engine's options and the report's category filter.
pub(crate) fn options(eval: &EvalArgs) -> Result<(Options, CategoryFilter), CliError> {
    let client = eval
        .client_ip
        .as_deref()
        .map(Client::parse)
        .transpose()
        .map_err(CliError::BadArgs)?;
    let filter = match eval.category {
        CategoryArg::All => CategoryFilter::All,
        CategoryArg::Connectivity => CategoryFilter::Only(Category::Connectivity),
        CategoryArg::Exposure => CategoryFilter::Only(Category::Exposure),
    };
    Ok((
        Options {
            client,
            port: eval.port,
        },
        filter,
    ))
}

/// `--suppress FILE`, when given.
pub(crate) fn suppressions(path: Option<&Path>) -> Result<Option<Suppressions>, CliError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        what: "suppression file",
        path: path.to_path_buf(),
        source,
    })?;
    Suppressions::parse(&text)
        .map(Some)
        .map_err(CliError::Suppressions)
}

/// `--baseline FILE`: an earlier JSON report to compare with.
pub(crate) fn baseline(path: Option<&Path>) -> Result<Option<Baseline>, CliError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        what: "baseline",
        path: path.to_path_buf(),
        source,
    })?;
    Baseline::parse(&text)
        .map(Some)
        .map_err(|source| CliError::Baseline {
            path: path.to_path_buf(),
            source,
        })
}

/// `--framework ID`: one of the frameworks rdpaudit maps its rules to (docs/compliance.md).
pub(crate) fn framework(name: Option<&str>) -> Result<Option<&'static Framework>, CliError> {
    let Some(name) = name else {
        return Ok(None);
    };
    compliance::framework(name).map(Some).ok_or_else(|| {
        let known: Vec<&str> = compliance::FRAMEWORKS.iter().map(|f| f.id).collect();
        CliError::BadArgs(format!(
            "--framework {name}: unknown framework; known: {}",
            known.join(", ")
        ))
    })
}

/// Rejects flags that select or test live data when the input is offline (`scope`: the
/// command's scope flags, if it has them).
pub(crate) fn check_live_only_flags(
    input: &InputArgs,
    scope: Option<&ScopeArgs>,
    eval: &EvalArgs,
) -> Result<(), CliError> {
    let live_scope = scope.is_some_and(|s| {
        !s.subscriptions.is_empty() || s.all_subscriptions || s.management_group.is_some()
    });
    if live_scope && !is_live(input) {
        return Err(CliError::BadArgs(
            "--subscription, --all-subscriptions and --management-group select live data; they \
             cannot be used with --snapshot or --demo"
                .into(),
        ));
    }
    if eval.guest.guest && !is_live(input) {
        return Err(CliError::BadArgs(
            "--guest runs a script in live VMs; it cannot be used with --snapshot or --demo \
             (a snapshot carries the guest facts `collect --guest` or --save-snapshot recorded)"
                .into(),
        ));
    }
    if eval.probe && input.demo {
        return Err(CliError::BadArgs(
            "--probe sends packets to the data's public addresses; the demo's addresses are made \
             up and belong to others, so --probe cannot be used with --demo"
                .into(),
        ));
    }
    Ok(())
}
