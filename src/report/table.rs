//! `--output table` (default): per VM a verdict line naming the deciding hop, then its findings
//! in a table, then a summary. Colour only when asked (decided once by the CLI).

use super::Report;

/// The default table: the overview (one row per VM, worst first), then each VM's details
/// with every fix under its finding (`report::overview`), then the summary and diagnostics.
pub(crate) fn render(report: &Report, color: bool, _width: Option<u16>) -> String {
    let mut out = super::overview::overview(report, color);
    out.push('\n');
    out.push_str(&super::overview::details(report, color));
    out.push_str(&super::eastwest::table(report));
    out.push_str(&tail(report));
    out
}

/// `--summary`: the overview and the summary only.
pub(crate) fn render_summary(report: &Report, color: bool) -> String {
    let mut out = super::overview::overview(report, color);
    out.push('\n');
    out.push_str(&tail(report));
    out
}

/// The summary line, the baseline and compliance sections, and the diagnostics.
fn tail(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&wrap_summary(report));
    out.push('\n');
    if let Some(b) = &report.baseline {
        out.push_str(&format!(
            "Since the baseline (rdpaudit {}): {} new, {} unchanged, {} resolved finding(s)\n",
            b.tool_version, b.new, b.unchanged, b.resolved
        ));
        if let Some(w) = &b.scope_warning {
            out.push_str(&format!("warning: {w}\n"));
        }
        for line in report.vms.iter().flat_map(super::baseline::change_lines) {
            out.push_str(&format!("  {line}\n"));
        }
        for f in &b.resolved_findings {
            out.push_str(&format!(
                "  resolved: {} {} {}: {}\n",
                f.vm_name, f.severity, f.rule_id, f.message
            ));
        }
    }
    if let Some(c) = &report.compliance {
        out.push('\n');
        for line in super::compliance::lines(c) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !report.diagnostics.is_empty() {
        out.push_str(&format!(
            "\n{} diagnostic(s){}:\n",
            report.diagnostics.len(),
            if report.complete {
                ""
            } else {
                " — the audit is INCOMPLETE"
            }
        ));
        for d in &report.diagnostics {
            let line = format!(
                "  {:?}: {}{}",
                d.level,
                d.scope
                    .as_ref()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default(),
                d.message
            );
            // Within the overview's width, like the rest of the table output.
            for l in super::overview::wrap(&line, super::overview::WIDTH, "    ") {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    out
}

fn wrap_summary(report: &Report) -> String {
    super::overview::wrap(&summary_line(report), super::overview::WIDTH, "  ").join("\n")
}

pub(crate) fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let f = &s.findings;
    format!(
        "Summary: {} Windows VM(s){}: {} reachable, {} blocked, {} unknown; findings: {} critical, {} high, {} medium, {} low, {} info",
        s.vms,
        if s.skipped > 0 { format!(" ({} non-Windows skipped)", s.skipped) } else { String::new() },
        s.reachable,
        s.blocked,
        s.unknown,
        f.critical,
        f.high,
        f.medium,
        f.low,
        f.info
    )
}
