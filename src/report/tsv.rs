//! `--output tsv`, like the Azure CLI's: no header, one line per row, tab-separated, the
//! columns of `-o csv` (docs/output-formats.md). Tabs and line breaks inside a value become
//! spaces, so every line splits into the same columns (`cut -f`, `while read`).

use super::Report;

pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    for row in super::csv::rows(report) {
        let cells: Vec<String> = row
            .iter()
            .map(|c| c.replace(['\t', '\n', '\r'], " "))
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}
