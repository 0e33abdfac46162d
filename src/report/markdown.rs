//! `--output markdown`: a report to paste into a ticket, a wiki or a pull-request comment.

use super::table::{client_phrase, summary_line};
use super::Report;
use crate::engine::Verdict;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(report: &Report) -> String {
    let mut out = String::from("# rdpaudit report\n\n");
    out.push_str(&format!(
        "{} — {}\n\n",
        client_phrase(report),
        summary_line(report)
    ));
    if !report.complete {
        out.push_str(
            "> **Incomplete audit**: some resources could not be read (see Diagnostics).\n\n",
        );
    }
    out.push_str("| VM | Resource group | Power | Verdict | Why |\n|---|---|---|---|---|\n");
    for vm in &report.vms {
        let verdict = match vm.rdp.verdict {
            Verdict::Reachable => "**reachable**",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "_unknown_",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&vm.name),
            cell(&vm.resource_group),
            vm.power_state,
            verdict,
            cell(&vm.rdp.explanation)
        ));
    }
    for vm in report.vms.iter().filter(|v| !v.findings.is_empty()) {
        out.push_str(&format!("\n## {}\n\n`{}`\n\n", vm.name, vm.id));
        out.push_str("| Severity | Rule | Finding | Fix |\n|---|---|---|---|\n");
        for f in &vm.findings {
            out.push_str(&format!(
                "| {}{} | {} | {} | `{}` |\n",
                f.severity.as_str(),
                if f.suppressed { " (suppressed)" } else { "" },
                f.rule_id,
                cell(&f.message),
                cell(&f.remediation).replace('`', "'")
            ));
        }
    }
    if !report.diagnostics.is_empty() {
        out.push_str("\n## Diagnostics\n\n");
        for d in &report.diagnostics {
            out.push_str(&format!(
                "- **{:?}** {}{}\n",
                d.level,
                d.scope
                    .as_ref()
                    .map(|s| format!("`{s}`: "))
                    .unwrap_or_default(),
                cell(&d.message)
            ));
        }
    }
    out
}
