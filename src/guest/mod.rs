//! Guest inspection, the pure half: the read-only PowerShell script `--guest` runs through Run
//! Command (compiled in), and the parser that turns its output into guest facts.
//!
//! The output format (`rdpaudit.guest/1`) and its mapping to [`GuestFacts`] are described in
//! `docs/guest.md`. Everything here is pure: the text comes from a VM, so nothing panics on it,
//! and output that cannot be trusted gives `GuestFacts::error` instead of a guessed fact.

mod facts;
mod firewall;
mod lenient;
#[cfg(test)]
mod tests;

use crate::model::GuestFacts;
use serde_json::Value;

use facts::{facts_from, Output};

/// The script, exactly as shipped in the repository.
pub const SCRIPT: &str = include_str!("inspect.ps1");

/// The `schema` the script's JSON carries.
pub(crate) const OUTPUT_SCHEMA: &str = "rdpaudit.guest/1";

/// Run Command keeps only the last 4,096 bytes of stdout; output this long may have lost its start.
const CUT_THRESHOLD: usize = 4000;

/// How much of a foreign text (stderr, a non-JSON stdout) an error quotes.
const QUOTE_CHARS: usize = 200;

/// The script as Run Command's `script` array (one string per line, no trailing `\r`).
pub(crate) fn script_lines() -> Vec<String> {
    SCRIPT
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// Splits a `RunCommandResult` body into (stdout, stderr), by status code, not array position.
///
/// Accepts the result itself (`{"value": [...]}`) and the asynchronous operation's status
/// (`{"status": "Succeeded", "properties": {"output": {"value": [...]}}}`). A missing stream is
/// an empty string.
pub fn split_run_command_result(body: &[u8]) -> Result<(String, String), String> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the Run Command result is not JSON: {e}"))?;
    if !doc.is_object() {
        return Err("the Run Command result is not a JSON object".into());
    }
    let value = doc
        .get("value")
        .or_else(|| doc.pointer("/properties/output/value"))
        .or_else(|| doc.pointer("/output/value"));
    let Some(entries) = value.and_then(Value::as_array) else {
        return Err(match doc.get("status").and_then(Value::as_str) {
            Some(status) => format!(
                "the Run Command result has no output (`value` array); operation status {status}"
            ),
            None => "the Run Command result has no `value` array".into(),
        });
    };
    let mut stdout: Option<String> = None;
    let mut stderr: Option<String> = None;
    for entry in entries {
        let code = entry
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let message = || {
            entry
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if code.starts_with("componentstatus/stdout/") && stdout.is_none() {
            stdout = Some(message());
        } else if code.starts_with("componentstatus/stderr/") && stderr.is_none() {
            stderr = Some(message());
        }
    }
    Ok((stdout.unwrap_or_default(), stderr.unwrap_or_default()))
}

/// Turns the script's stdout (and stderr) into guest facts; unusable output gives `error`.
pub fn parse_output(stdout: &str, stderr: &str) -> GuestFacts {
    match read_object(stdout, stderr) {
        Ok(doc) => facts_from(doc),
        Err(reason) => GuestFacts {
            error: Some(reason),
            ..Default::default()
        },
    }
}

/// Finds the script's JSON object in stdout and checks its schema.
fn read_object(stdout: &str, stderr: &str) -> Result<Output, String> {
    let text = stdout.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        let err = quote(stderr);
        return Err(if err.is_empty() {
            "the script printed nothing".into()
        } else {
            format!("the script printed nothing (stderr: {err})")
        });
    }
    let maybe_cut = stdout.len() >= CUT_THRESHOLD;
    let cut_reason = || {
        "the output was cut: Run Command keeps only the last 4,096 bytes of stdout, and the start \
         of the JSON object is missing"
            .to_string()
    };
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .collect();
    let Some(last) = lines.iter().rposition(|l| l.starts_with('{')) else {
        return Err(if maybe_cut {
            cut_reason()
        } else {
            format!("the output is not JSON: {}", quote(text))
        });
    };
    let value = match serde_json::from_str::<Value>(lines[last]) {
        Ok(v) => v,
        Err(first_error) => {
            // Pretty-printed output spreads the object over lines: try from the first `{` line.
            let first = lines
                .iter()
                .position(|l| l.starts_with('{'))
                .unwrap_or(last);
            match serde_json::from_str::<Value>(&lines[first..].join("\n")) {
                Ok(v) => v,
                Err(_) if maybe_cut => return Err(cut_reason()),
                Err(_) => {
                    return Err(format!(
                        "the output is not JSON ({first_error}): {}",
                        quote(lines[last])
                    ))
                }
            }
        }
    };
    let schema = value.get("schema").cloned();
    match schema {
        Some(Value::String(s)) if s == OUTPUT_SCHEMA => {}
        Some(Value::String(s)) => {
            return Err(format!(
                "the output is `{}`, not {OUTPUT_SCHEMA}",
                quote(&s)
            ))
        }
        _ => {
            return Err(format!(
                "the output is a JSON object without a `schema`, not {OUTPUT_SCHEMA}"
            ))
        }
    }
    serde_json::from_value(value).map_err(|e| format!("the output is not {OUTPUT_SCHEMA}: {e}"))
}

/// At most [`QUOTE_CHARS`] characters of a foreign text, whitespace runs collapsed.
pub(super) fn quote(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(QUOTE_CHARS).collect();
    if flat.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}
