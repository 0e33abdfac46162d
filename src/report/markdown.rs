//! `--output markdown`: a report to paste into a ticket, a wiki or a pull-request comment.

use super::overview::client_phrase;
use super::table::summary_line;
use super::Report;
use crate::engine::Verdict;

/// Text from ARM as inert Markdown: no emphasis, links, images, headings or raw HTML can be
/// smuggled in through a resource name or rule description.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backslashes are literal there, so only what would end the span or
/// the table cell is replaced.
fn code(s: &str) -> String {
    s.replace('`', "'")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

pub(crate) fn render(report: &Report) -> String {
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
    changes(&mut out, report);
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
        out.push_str(&format!(
            "\n## {}\n\n`{}`\n\n",
            cell(&vm.name),
            code(&vm.id.id)
        ));
        out.push_str("| Severity | Rule | Finding | Fix |\n|---|---|---|---|\n");
        for f in &vm.findings {
            out.push_str(&format!(
                "| {}{}{} | {} | {} | `{}` |\n",
                f.severity.as_str(),
                if f.suppressed { " (suppressed)" } else { "" },
                f.change
                    .map(|c| format!(" ({})", c.as_str()))
                    .unwrap_or_default(),
                f.rule_id,
                cell(&f.message),
                code(&f.remediation)
            ));
        }
    }
    out.push_str(&super::eastwest::markdown(report, cell));
    resolved(&mut out, report);
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

/// With `--baseline` and `--framework`: what changed, and the per-control summary.
fn changes(out: &mut String, report: &Report) {
    if let Some(b) = &report.baseline {
        out.push_str(&format!(
            "**Since the baseline** (rdpaudit {}): {} new, {} unchanged, {} resolved finding(s).\n\n",
            cell(&b.tool_version),
            b.new,
            b.unchanged,
            b.resolved
        ));
        if let Some(w) = &b.scope_warning {
            out.push_str(&format!("> **Warning**: {}\n\n", cell(w)));
        }
        for line in report.vms.iter().flat_map(super::baseline::change_lines) {
            out.push_str(&format!("- {}\n", cell(&line)));
        }
        out.push('\n');
    }
    if let Some(c) = &report.compliance {
        out.push_str(&format!(
            "## Compliance: {}\n\n| Control | Status | Title | Failing VMs |\n|---|---|---|---|\n",
            cell(c.name)
        ));
        for ctl in &c.controls {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(ctl.control),
                ctl.status.as_str(),
                cell(ctl.title),
                cell(&ctl.failing_vms.join(", "))
            ));
        }
        out.push('\n');
    }
}

/// With `--baseline`: the findings the baseline had and this run does not.
fn resolved(out: &mut String, report: &Report) {
    if let Some(b) = report
        .baseline
        .as_ref()
        .filter(|b| !b.resolved_findings.is_empty())
    {
        out.push_str("\n## Resolved since the baseline\n\n| VM | Severity | Rule | Finding |\n|---|---|---|---|\n");
        for f in &b.resolved_findings {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&f.vm_name),
                cell(&f.severity),
                cell(&f.rule_id),
                cell(&f.message)
            ));
        }
    }
}
