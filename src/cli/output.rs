//! What the commands write: standard output, JSON files, saved snapshots, and the terminal
//! questions (colour, width) the renderers are told the answers to.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::value::RawValue;

use super::args::ColorArg;
use super::CliError;
use crate::model::{Diagnostic, GuestFacts};
use crate::report::style;
use crate::snapshot::{self, Subscription};

/// Prints to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|_| out.flush());
}

/// Writes JSON to a file, or to standard output for `-`.
pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    if path.as_os_str() == "-" {
        print(&text);
        return Ok(());
    }
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// What a saved snapshot holds (`--save-snapshot`, `collect --out`).
pub(crate) struct SnapshotParts<'a> {
    pub(crate) cloud: &'a str,
    /// When the data was read; `None`: now.
    pub(crate) collected_at: Option<&'a str>,
    pub(crate) subscriptions: &'a [Subscription],
    pub(crate) resources: &'a [&'a RawValue],
    pub(crate) guest: &'a HashMap<String, GuestFacts>,
    pub(crate) diagnostics: &'a [Diagnostic],
    /// The `securityAdminRules` section (`None`: not collected).
    pub(crate) security_admin_rules: Option<&'a RawValue>,
}

/// Writes a `rdpaudit.snapshot/1` document: the one place it is built.
pub(crate) fn write_snapshot(path: &Path, parts: SnapshotParts<'_>) -> Result<(), CliError> {
    let collected_at = match parts.collected_at {
        Some(t) => t.to_string(),
        None => super::live::now_rfc3339(),
    };
    let out = snapshot::SnapshotOut {
        schema: snapshot::SCHEMA,
        cloud: parts.cloud,
        collected_at: &collected_at,
        subscriptions: parts.subscriptions,
        resources: parts.resources,
        guest: parts.guest,
        diagnostics: parts.diagnostics,
        security_admin_rules: parts.security_admin_rules,
    };
    write_json(path, &out)
}

/// Colour only on a terminal, never with `NO_COLOR` (https://no-color.org).
pub(crate) fn use_color(arg: ColorArg) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color
        && match arg {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => std::io::stdout().is_terminal(),
        }
}

/// How wide tables may be: the terminal's, else the pipe width.
pub(crate) fn table_width() -> Option<u16> {
    style::width(std::io::stdout().is_terminal())
}
