//! The east-west section (`--lateral`) in the formats for people and tools other than JSON:
//! the table, CSV, Markdown, HTML and SARIF. Each VM with a section gets its sources — the VMs
//! and the source classes that can (or may) open RDP to it — with the deciding rules, resolved
//! from the report's rule table. Without `--lateral` no VM has a section and every function here
//! adds nothing, so those outputs stay as they were.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::words::lateral as words;
use super::{Report, VmReport};
use crate::engine::Verdict;

/// One source that can (or may) open RDP to one VM.
pub(crate) struct Row<'a> {
    /// The VM reached.
    pub(crate) target: &'a VmReport,
    /// `vm`, or the class (`vnet`, `peered`, `onPremises`, …).
    pub(crate) kind: &'a str,
    /// The source VM's or the class's name.
    pub(crate) source: &'a str,
    /// The source VM's id, or the class's resource.
    pub(crate) source_id: Option<&'a str>,
    pub(crate) verdict: Verdict,
    /// The source VM's own RDP is open to the Internet (RDP812's first hop).
    pub(crate) stone: bool,
    /// A class's CIDRs that can (then `may:` those the data cannot decide); a VM's address.
    pub(crate) addresses: String,
    /// The same, long lists cut (the table and Markdown).
    pub(crate) short: String,
    /// The deciding rules, in words.
    pub(crate) rules: String,
}

/// How many CIDRs the table and Markdown print before "and N more" (the JSON, CSV and HTML
/// have them all).
const SHORT: usize = 4;

/// Whether any VM has an east-west section (`--lateral` or `check --from`).
pub(crate) fn present(report: &Report) -> bool {
    report.vms.iter().any(|v| v.lateral.is_some())
}

fn rule_labels(report: &Report, idx: &[usize]) -> Vec<String> {
    idx.iter()
        .filter_map(|i| report.lateral_rules.get(*i))
        .map(|r| format!("{}/{} ({})", r.nsg, r.rule, r.priority))
        .collect()
}

/// The sources of one VM: its classes, then the VMs (by the order of the section).
pub(crate) fn rows_of<'a>(report: &'a Report, vm: &'a VmReport) -> Vec<Row<'a>> {
    let Some(l) = &vm.lateral else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let join = |allowed: &[String], unknown: &[String], max: usize| {
        let mut s = words::cut_list(allowed, max);
        if !unknown.is_empty() {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(&format!("may: {}", words::cut_list(unknown, max)));
        }
        s
    };
    for c in &l.sources {
        let addresses = join(&c.allowed_sources, &c.unknown_sources, usize::MAX);
        let short = join(&c.allowed_sources, &c.unknown_sources, SHORT);
        let mut rules = words::class_rules(&rule_labels(report, &c.rules));
        if let Some(r) = &c.reason {
            rules.push_str(&format!(" ({r})"));
        }
        out.push(Row {
            target: vm,
            kind: c.class,
            source: &c.name,
            source_id: c.resource_id.as_deref(),
            verdict: c.verdict,
            stone: false,
            addresses,
            short,
            rules,
        });
    }
    for e in &l.from_vms {
        out.push(Row {
            target: vm,
            kind: "vm",
            source: &e.name,
            source_id: Some(&e.id),
            verdict: e.verdict,
            stone: e.stepping_stone,
            addresses: format!("{} → {}", e.source_ip, e.target_ip),
            short: format!("{} → {}", e.source_ip, e.target_ip),
            rules: words::edge_rules(
                &rule_labels(report, &e.outbound),
                e.outbound_admin.as_deref(),
                &e.route,
                e.inbound_admin.as_deref(),
                &rule_labels(report, &e.inbound),
            ),
        });
    }
    out
}

/// A VM's line above its sources.
pub(crate) fn head(vm: &VmReport) -> String {
    let (vms, classes) = vm
        .lateral
        .as_ref()
        .map(|l| (l.from_vms.len(), l.sources.len()))
        .unwrap_or_default();
    words::vm_head(&vm.name, vms, classes)
}

/// The table's section: per VM (worst first, as the details) a line, then one wrapped entry per
/// source, every line within 80 columns.
pub(crate) fn table(report: &Report) -> String {
    use super::overview::{wrap, WIDTH};
    if !present(report) {
        return String::new();
    }
    let mut out = format!("{}\n\n", words::SECTION_TITLE);
    for vm in super::overview::order(report)
        .into_iter()
        .filter(|v| v.lateral.is_some())
    {
        for l in wrap(&head(vm), WIDTH, "  ") {
            out.push_str(&l);
            out.push('\n');
        }
        for r in rows_of(report, vm) {
            let text = format!(
                "{} [{}]: {}; {}",
                words::source_label(r.kind, r.source, r.stone),
                r.short,
                r.verdict.as_str(),
                r.rules
            );
            for l in wrap(&text, WIDTH - 2, "    ") {
                out.push_str(&format!("  {l}\n"));
            }
        }
        out.push('\n');
    }
    out
}

/// The CSV's second table (after a blank line, with its own header).
pub(crate) const CSV_HEADER: [&str; 9] = [
    "target_vm_id",
    "target_vm_name",
    "source_kind",
    "source_name",
    "source_id",
    "verdict",
    "stepping_stone",
    "addresses",
    "deciding_rules",
];

/// The rows of the CSV's east-west table, in [`CSV_HEADER`]'s columns.
pub(crate) fn csv_rows(report: &Report) -> Vec<Vec<String>> {
    report
        .vms
        .iter()
        .flat_map(|vm| rows_of(report, vm))
        .map(|r| {
            vec![
                r.target.id.id.to_string(),
                r.target.name.clone(),
                r.kind.to_string(),
                r.source.to_string(),
                r.source_id.unwrap_or_default().to_string(),
                r.verdict.as_str().to_string(),
                r.stone.to_string(),
                r.addresses,
                r.rules,
            ]
        })
        .collect()
}

/// The Markdown section; `cell` makes ARM text inert.
pub(crate) fn markdown(report: &Report, cell: fn(&str) -> String) -> String {
    if !present(report) {
        return String::new();
    }
    let mut out = format!(
        "\n## {}\n\n| VM | Source | Verdict | Addresses | Deciding rules |\n|---|---|---|---|---|\n",
        cell(words::SECTION_TITLE)
    );
    for vm in &report.vms {
        let rows = rows_of(report, vm);
        if rows.is_empty() && vm.lateral.is_some() {
            let _ = writeln!(
                out,
                "| {} | — | — | — | {} |",
                cell(&vm.name),
                cell(&head(vm))
            );
        }
        for r in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&vm.name),
                cell(&words::source_label(r.kind, r.source, r.stone)),
                r.verdict.as_str(),
                cell(&r.short),
                cell(&r.rules)
            );
        }
    }
    out
}

/// SARIF: an RDP812 result's related locations — every stepping stone that can open RDP to the
/// VM, with the deciding rules as the message. `None` without an east-west section.
pub(crate) fn related_locations(report: &Report, vm: &VmReport) -> Option<Value> {
    vm.lateral.as_ref()?;
    let locs: Vec<Value> = rows_of(report, vm)
        .into_iter()
        .filter(|r| r.stone)
        .enumerate()
        .map(|(i, r)| {
            json!({
                "id": i,
                "logicalLocations": [{
                    "fullyQualifiedName": r.source_id.unwrap_or_default(),
                    "name": r.source,
                    "kind": "virtualMachine"
                }],
                "message": {"text": format!("{} ({}): {}; {}", r.source, r.addresses, r.verdict.as_str(), r.rules)}
            })
        })
        .collect();
    (!locs.is_empty()).then_some(Value::Array(locs))
}

/// SARIF: the run's `properties.lateral` — the JSON report's sections and rule table, so a
/// SARIF consumer has the whole east-west picture. `None` without one.
pub(crate) fn sarif_run_property(report: &Report) -> Option<Value> {
    if !present(report) {
        return None;
    }
    let vms: Vec<Value> = report
        .vms
        .iter()
        .filter_map(|vm| {
            let l = vm.lateral.as_ref()?;
            Some(json!({"id": vm.id, "name": vm.name, "lateral": l}))
        })
        .collect();
    Some(json!({"rules": report.lateral_rules, "vms": vms}))
}
