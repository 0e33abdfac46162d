//! `check` in table form: the path walked hop by hop, like a traceroute.

use super::style;

use super::overview::verdict_line;
use super::table::summary_line;
use super::Report;
use crate::model::ResId;

/// `check -o table`: the verdict, then each path's hops, then the findings and diagnostics.
pub(crate) fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for vm in &report.vms {
        out.push_str(&verdict_line(report, vm, color));
        out.push_str(&format!(
            "\n{}\nPower: {}    RDP port: {}\n",
            vm.id, vm.power_state, vm.rdp.port
        ));
        if vm.rdp.paths.is_empty() {
            out.push_str(
                "\nNo path: no public IP, NAT rule, classic endpoint or Bastion reaches this VM.\n",
            );
        }
        for (i, p) in vm.rdp.paths.iter().enumerate() {
            let entry = match (&p.address, p.port, &p.port_range) {
                (Some(a), Some(port), _) => format!(" {a}:{port}"),
                (Some(a), None, Some(r)) => format!(" {a}:{r}"),
                (Some(a), None, None) => format!(" {a}"),
                _ => String::new(),
            };
            let sources = if p.allowed_sources.is_empty() {
                "no source".to_string()
            } else {
                p.allowed_sources.join(", ")
            };
            let private = match p.frontend {
                Some(super::PRIVATE_FRONTEND) => super::words::PRIVATE_PATH,
                _ => "",
            };
            out.push_str(&format!(
                "\nPath {} — {}{}{private}: {} (allowed sources: {})\n",
                i + 1,
                p.kind,
                entry,
                p.verdict.as_str(),
                sources
            ));
            let mut t = style::plain_table(Some(style::PIPE_WIDTH));
            for (n, h) in p.hops.iter().enumerate() {
                let rule = match (&h.rule, h.priority) {
                    (Some(r), Some(prio)) => format!("{r} ({prio})"),
                    (Some(r), None) => r.clone(),
                    _ => String::new(),
                };
                t.add_row(vec![
                    format!("{:>2}", n + 1),
                    h.hop.to_string(),
                    h.resource
                        .as_deref()
                        .map(|r| ResId::new(r).name().to_string())
                        .unwrap_or_default(),
                    h.decision.to_string(),
                    rule,
                    h.detail.clone().unwrap_or_default(),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        if !vm.findings.is_empty() {
            let mut t = style::table(
                &["Severity", "Rule", "Finding", "Fix"],
                Some(style::PIPE_WIDTH),
            );
            for f in &vm.findings {
                t.add_row(vec![
                    f.severity.as_str().to_string(),
                    f.rule_id.to_string(),
                    f.message.clone(),
                    f.remediation.clone(),
                ]);
            }
            out.push_str(&format!("\nFindings\n{t}\n"));
        }
    }
    out.push_str(&format!("\n{}\n", summary_line(report)));
    for d in &report.diagnostics {
        out.push_str(&format!(
            "{:?}: {}{}\n",
            d.level,
            d.scope
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default(),
            d.message
        ));
    }
    out
}
