//! `--output json`: the report exactly as `docs/schemas/report.schema.json` describes it.

use super::Report;

pub(crate) fn render(report: &Report) -> String {
    // Serialising plain data structures cannot fail; fall back to an error object regardless.
    serde_json::to_string_pretty(report)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}
