//! `--framework ID`: a per-control pass/fail summary of one framework (`docs/compliance.md`).
//!
//! A control fails when an unsuppressed finding of a rule mapped to it is in the report. It
//! passes only when none is and the audit could decide every VM: an incomplete audit, or a VM
//! whose verdict is `unknown`, makes an otherwise clean control `unknown`, never `pass` — a
//! compliance report must not certify what was not seen.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

use super::{CategoryFilter, Report};
use crate::engine::Verdict;
use crate::rules::compliance::{Framework, MAPPINGS};

/// The outcome of one control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No VM fails it, and the audit is complete enough to say so.
    Pass,
    /// A VM has a finding of a rule that evidences it.
    Fail,
    /// No VM fails it, but the audit cannot vouch for that (`reason` says why).
    Unknown,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
        }
    }
}

/// The per-control summary of one compliance framework (`--framework`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// The framework's id, as `--framework` takes it.
    pub framework: &'static str,
    /// The framework's full name.
    pub name: &'static str,
    /// Each mapped control and its outcome.
    pub controls: Vec<ControlStatus>,
}

/// One control of a framework and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlStatus {
    /// The control's id within the framework.
    pub control: &'static str,
    /// The control's title.
    pub title: &'static str,
    /// Pass, fail or unknown.
    pub status: Status,
    /// The rules that evidence this control.
    pub rules: Vec<&'static str>,
    /// VMs with an unsuppressed finding of those rules.
    pub failing_vms: Vec<String>,
    /// Findings of those rules that are suppressed (accepted).
    pub suppressed: usize,
    /// Why the control is `unknown`, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The summary of `fw` over `report`, controls in id order. `filter` is the `--category` the
/// report was built with: a control whose rules it hid cannot pass.
pub(crate) fn summarize(
    report: &Report,
    fw: &Framework,
    filter: CategoryFilter,
) -> ComplianceSummary {
    let mut by_control: BTreeMap<&'static str, (&'static str, BTreeSet<&'static str>)> =
        BTreeMap::new();
    for m in MAPPINGS.iter().filter(|m| m.framework == fw.id) {
        by_control
            .entry(m.control)
            .or_insert((m.title, BTreeSet::new()))
            .1
            .insert(m.rule);
    }
    let undecided = report
        .vms
        .iter()
        .filter(|v| v.rdp.verdict == Verdict::Unknown)
        .count();
    let controls = by_control
        .into_iter()
        .map(|(control, (title, rules))| {
            let mut failing = BTreeSet::new();
            let mut suppressed = 0;
            for vm in &report.vms {
                for f in vm.findings.iter().filter(|f| rules.contains(f.rule_id)) {
                    if f.suppressed {
                        suppressed += 1;
                    } else {
                        failing.insert(vm.name.clone());
                    }
                }
            }
            let hidden = rules.iter().any(|r| {
                crate::rules::find(r).is_some_and(|rule| match filter {
                    CategoryFilter::All => false,
                    CategoryFilter::Only(c) => rule.meta.category != c,
                })
            });
            let reason = if hidden {
                Some("--category hides the findings this control needs".to_string())
            } else if !report.complete {
                Some("the audit is incomplete (see diagnostics)".to_string())
            } else if undecided > 0 {
                Some(format!("{undecided} VM(s) have an unknown verdict"))
            } else {
                None
            };
            let status = match (failing.is_empty(), &reason) {
                (false, _) => Status::Fail,
                (true, Some(_)) => Status::Unknown,
                (true, None) => Status::Pass,
            };
            ControlStatus {
                control,
                title,
                status,
                rules: rules.into_iter().collect(),
                failing_vms: failing.into_iter().collect(),
                suppressed,
                reason: if status == Status::Unknown {
                    reason
                } else {
                    None
                },
            }
        })
        .collect();
    ComplianceSummary {
        framework: fw.id,
        name: fw.name,
        controls,
    }
}

/// Plain-text lines of the summary (table and Markdown outputs).
pub(crate) fn lines(s: &ComplianceSummary) -> Vec<String> {
    let mut out = vec![format!("Compliance: {} ({})", s.name, s.framework)];
    for c in &s.controls {
        let detail = match c.status {
            Status::Fail => format!(
                "{} VM(s): {}",
                c.failing_vms.len(),
                c.failing_vms
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
                    + if c.failing_vms.len() > 5 { ", …" } else { "" }
            ),
            Status::Unknown => c.reason.clone().unwrap_or_default(),
            Status::Pass => "no finding".into(),
        };
        out.push(format!(
            "  {:<8} {:<7} {} — {} [{}]",
            c.control,
            c.status.as_str().to_uppercase(),
            c.title,
            detail,
            c.rules.join(", ")
        ));
    }
    out
}
