//! `--baseline PREVIOUS.json`: what changed since an earlier run.
//!
//! Both reports are compared in their JSON form (the stable contract, `docs/schemas/
//! report.schema.json`), so a baseline written by any rdpaudit with the same schema major works.
//! Findings are matched by (VM id, rule id, resource id), case-insensitively like ARM ids: a
//! finding whose wording changed (say, a wider range in its message) is `unchanged`, and the
//! widening shows in the VM's source changes instead — per path, the exact addresses added and
//! removed, computed as set differences, not by comparing CIDR strings.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{FindingReport, Report, VmReport};
use crate::engine::addrset::AddrSet;
use crate::rules::Severity;

/// The report schema major this build writes and accepts as a baseline.
pub(crate) const SCHEMA_MAJOR: u64 = 1;

/// Why a file cannot serve as a baseline (exit 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum BaselineError {
    #[error("the baseline is not JSON: {0}")]
    NotJson(String),
    #[error("the baseline is not an rdpaudit JSON report (no \"schemaVersion\" and \"tool\": {{\"name\": \"rdpaudit\"}}); write one with `rdpaudit audit -o json`")]
    NotAReport,
    #[error("the baseline has report schemaVersion {found}; this rdpaudit reads schemaVersion {SCHEMA_MAJOR} (same major needed)")]
    OtherMajor { found: String },
    #[error("the baseline report is malformed at {path}: {message}")]
    Malformed { path: String, message: String },
}

/// Whether a finding is new since the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the baseline.
    New,
    /// Also in the baseline.
    Unchanged,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
        }
    }
}

/// How a VM changed since the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmChange {
    /// `new` (not in the baseline), `changed` or `unchanged`.
    pub status: &'static str,
    /// The verdict in the baseline, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_was: Option<String>,
    /// Per path: the sources that can now reach RDP and could not, and the reverse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceChange>,
}

/// The change of one path's `allowedSources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceChange {
    /// The path, e.g. `publicIp 20.1.2.3:3389`.
    pub path: String,
    /// Sources allowed now but not in the baseline.
    pub added: Vec<String>,
    /// Sources allowed in the baseline but no longer.
    pub removed: Vec<String>,
    /// The rules that admit the added sources (`nsg/rule`), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// The baseline section of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BaselineSummary {
    /// The rdpaudit version that wrote the baseline.
    pub tool_version: String,
    /// Findings not in the baseline.
    pub new: usize,
    /// Findings also in the baseline.
    pub unchanged: usize,
    /// Findings of the baseline that are gone.
    pub resolved: usize,
    /// Findings of the baseline that are gone, each listed once.
    pub resolved_findings: Vec<ResolvedFinding>,
    /// VMs in the baseline that are no longer in the report.
    pub removed_vms: Vec<String>,
    /// Set when the baseline covered other subscriptions than this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_warning: Option<String>,
}

/// A finding of the baseline that this run no longer raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedFinding {
    /// The VM's resource id.
    pub vm_id: String,
    /// The VM's name.
    pub vm_name: String,
    /// The rule id, e.g. `RDP801`.
    pub rule_id: String,
    /// The severity, as the baseline wrote it.
    pub severity: String,
    /// The rule's title.
    pub title: String,
    /// The finding's message.
    pub message: String,
    /// The resource the finding was about.
    pub resource_id: String,
}

// ---- the JSON shape both reports are read in -------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JReport {
    tool: JTool,
    #[serde(default)]
    vms: Vec<JVm>,
}

#[derive(Debug, Deserialize)]
struct JTool {
    #[serde(default)]
    version: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JVm {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    subscription_id: String,
    rdp: JRdp,
    #[serde(default)]
    findings: Vec<JFinding>,
}

#[derive(Debug, Deserialize)]
struct JRdp {
    verdict: String,
    #[serde(default)]
    paths: Vec<JPath>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JPath {
    kind: String,
    address: Option<String>,
    port: Option<u64>,
    port_range: Option<String>,
    #[serde(default)]
    allowed_sources: Vec<String>,
    #[serde(default)]
    hops: Vec<JHop>,
    /// `"private"` on a private path (docs/decisions.md D21, D29): keyed apart from the
    /// Internet path of the same rule.
    frontend: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JHop {
    hop: String,
    resource: Option<String>,
    decision: String,
    rule: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JFinding {
    rule_id: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    resource_id: String,
}

/// A parsed baseline report.
#[derive(Debug)]
pub(crate) struct Baseline {
    report: JReport,
}

impl Baseline {
    /// Reads a JSON report written by an earlier run.
    pub(crate) fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BaselineError::NotJson(e.to_string()))?;
        let is_report = value.get("tool").and_then(|t| t.get("name")) == Some(&"rdpaudit".into())
            && value.get("schemaVersion").is_some();
        if !is_report {
            return Err(BaselineError::NotAReport);
        }
        let major = value.get("schemaVersion").and_then(|v| v.as_u64());
        if major != Some(SCHEMA_MAJOR) {
            return Err(BaselineError::OtherMajor {
                found: value["schemaVersion"].to_string(),
            });
        }
        let report =
            serde_path_to_error::deserialize(value).map_err(|e| BaselineError::Malformed {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        Ok(Baseline { report })
    }
}

fn key(vm: &str, rule: &str, resource: &str) -> (String, String, String) {
    (
        vm.to_ascii_lowercase(),
        rule.to_ascii_uppercase(),
        resource.to_ascii_lowercase(),
    )
}

/// Marks every finding `new` or `unchanged`, lists resolved findings once, and records per VM how
/// its reachable sources changed. The report's own JSON form is compared with the baseline's.
pub(crate) fn apply(report: &mut Report, baseline: &Baseline) {
    let current: Option<JReport> = serde_json::to_value(&*report)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok());
    let old = &baseline.report;
    // Findings of the baseline, as a multiset by key.
    let mut remaining: HashMap<(String, String, String), Vec<&JFinding>> = HashMap::new();
    for vm in &old.vms {
        for f in &vm.findings {
            remaining
                .entry(key(&vm.id, &f.rule_id, &f.resource_id))
                .or_default()
                .push(f);
        }
    }
    let mut summary = BaselineSummary {
        tool_version: old.tool.version.clone(),
        ..BaselineSummary::default()
    };
    for vm in &mut report.vms {
        for f in &mut vm.findings {
            let k = key(&vm.id.id, f.rule_id, &f.resource_id.id);
            let matched = remaining.get_mut(&k).and_then(|v| v.pop()).is_some();
            f.change = Some(if matched {
                Change::Unchanged
            } else {
                Change::New
            });
            if matched {
                summary.unchanged += 1;
            } else {
                summary.new += 1;
            }
        }
    }
    let names: HashMap<String, &JVm> = old
        .vms
        .iter()
        .map(|v| (v.id.to_ascii_lowercase(), v))
        .collect();
    for vm in old.vms.iter() {
        for f in &vm.findings {
            let k = key(&vm.id, &f.rule_id, &f.resource_id);
            if let Some(left) = remaining.get_mut(&k) {
                if left.iter().any(|x| std::ptr::eq(*x, f)) {
                    left.retain(|x| !std::ptr::eq(*x, f));
                    summary.resolved_findings.push(ResolvedFinding {
                        vm_id: vm.id.clone(),
                        vm_name: vm.name.clone(),
                        rule_id: f.rule_id.clone(),
                        severity: f.severity.clone(),
                        title: f.title.clone(),
                        message: f.message.clone(),
                        resource_id: f.resource_id.clone(),
                    });
                }
            }
        }
    }
    summary.resolved = summary.resolved_findings.len();
    let now_ids: BTreeSet<String> = report
        .vms
        .iter()
        .map(|v| v.id.id.to_ascii_lowercase())
        .collect();
    summary.removed_vms = old
        .vms
        .iter()
        .filter(|v| !now_ids.contains(&v.id.to_ascii_lowercase()))
        .map(|v| v.id.clone())
        .collect();
    if let Some(cur) = current {
        let cur_vms: HashMap<String, &JVm> = cur
            .vms
            .iter()
            .map(|v| (v.id.to_ascii_lowercase(), v))
            .collect();
        for vm in &mut report.vms {
            let id = vm.id.id.to_ascii_lowercase();
            let (Some(now), was) = (cur_vms.get(&id), names.get(&id)) else {
                continue;
            };
            vm.change = Some(Box::new(vm_change(now, was.copied())));
        }
        summary.scope_warning = scope_warning(old, &cur);
    }
    report.baseline = Some(summary);
}

fn subscriptions(r: &JReport) -> BTreeSet<String> {
    r.vms
        .iter()
        .map(|v| v.subscription_id.to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn scope_warning(old: &JReport, now: &JReport) -> Option<String> {
    let (a, b) = (subscriptions(old), subscriptions(now));
    if a.is_empty() || b.is_empty() || a == b {
        return None;
    }
    let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
        x.difference(y).cloned().collect::<Vec<_>>().join(", ")
    };
    Some(format!(
        "the baseline covers other subscriptions than this run (only in the baseline: {}; only now: {}): findings there show as resolved or new",
        none_if_empty(only(&a, &b)),
        none_if_empty(only(&b, &a))
    ))
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// `publicIp 20.1.2.3:3389`, `natRule 20.1.2.3:50001`, `bastion bas-hub`.
fn path_key(p: &JPath) -> String {
    let mut s = p.kind.clone();
    let bastion = p
        .hops
        .iter()
        .find(|h| h.hop == "bastion")
        .and_then(|h| h.resource.as_deref())
        .map(last_segment);
    match (&p.address, p.port, &p.port_range, bastion) {
        (_, _, _, Some(b)) if p.kind == "bastion" => s.push_str(&format!(" {b}")),
        (Some(a), Some(port), _, _) => s.push_str(&format!(" {a}:{port}")),
        (Some(a), None, Some(r), _) => s.push_str(&format!(" {a}:{r}")),
        (Some(a), None, None, _) => s.push_str(&format!(" {a}")),
        _ => {}
    }
    if let Some(f) = &p.frontend {
        s.push_str(&format!(" ({f})"));
    }
    s
}

fn last_segment(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// The address part (as a set) and the tag part of `allowedSources`.
fn sources(p: Option<&JPath>) -> (AddrSet, BTreeSet<String>) {
    let mut nets: Vec<IpNet> = Vec::new();
    let mut tags = BTreeSet::new();
    for s in p.map(|p| p.allowed_sources.as_slice()).unwrap_or_default() {
        match s
            .parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        {
            Ok(n) => nets.push(n),
            Err(_) => {
                tags.insert(s.clone());
            }
        }
    }
    (AddrSet::from_nets(&nets), tags)
}

/// The NSG rules that admit on a path, as `nsg/rule`.
fn via(p: &JPath) -> Option<String> {
    let admitting: Vec<String> = p
        .hops
        .iter()
        .filter(|h| matches!(h.hop.as_str(), "subnetNsg" | "nicNsg"))
        .filter(|h| matches!(h.decision.as_str(), "allow" | "partial"))
        .filter_map(|h| {
            Some(format!(
                "{}/{}",
                last_segment(h.resource.as_deref()?),
                h.rule.as_deref()?
            ))
        })
        .collect();
    (!admitting.is_empty()).then(|| admitting.join(" + "))
}

fn vm_change(now: &JVm, was: Option<&JVm>) -> VmChange {
    let Some(was) = was else {
        return VmChange {
            status: "new",
            verdict_was: None,
            sources: Vec::new(),
        };
    };
    let before: BTreeMap<String, &JPath> = was.rdp.paths.iter().map(|p| (path_key(p), p)).collect();
    let after: BTreeMap<String, &JPath> = now.rdp.paths.iter().map(|p| (path_key(p), p)).collect();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Vec::new();
    for k in keys {
        let (old_set, old_tags) = sources(before.get(k).copied());
        let (new_set, new_tags) = sources(after.get(k).copied());
        let mut added: Vec<String> = new_set
            .difference(&old_set)
            .to_cidrs()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let mut removed: Vec<String> = old_set
            .difference(&new_set)
            .to_cidrs()
            .iter()
            .map(|n| n.to_string())
            .collect();
        added.extend(new_tags.difference(&old_tags).cloned());
        removed.extend(old_tags.difference(&new_tags).cloned());
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        let via = if added.is_empty() {
            None
        } else {
            after.get(k).and_then(|p| via(p))
        };
        changes.push(SourceChange {
            path: k.clone(),
            added,
            removed,
            via,
        });
    }
    let verdict_was = (was.rdp.verdict != now.rdp.verdict).then(|| was.rdp.verdict.clone());
    let status = if changes.is_empty() && verdict_was.is_none() {
        "unchanged"
    } else {
        "changed"
    };
    VmChange {
        status,
        verdict_was,
        sources: changes,
    }
}

/// One line per source change, e.g. `web-01: +0.0.0.0/0 via nsg-web/AllowRdp (publicIp
/// 20.1.2.3:3389)`, for the table, Markdown and HTML outputs.
pub(crate) fn change_lines(vm: &VmReport) -> Vec<String> {
    let Some(c) = &vm.change else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if c.status == "new" {
        lines.push(format!("{}: new since the baseline", vm.name));
    }
    if let Some(was) = &c.verdict_was {
        lines.push(format!(
            "{}: verdict {} → {}",
            vm.name,
            was,
            vm.rdp.verdict.as_str()
        ));
    }
    for s in &c.sources {
        let mut parts: Vec<String> = s.added.iter().map(|a| format!("+{a}")).collect();
        parts.extend(s.removed.iter().map(|r| format!("-{r}")));
        lines.push(format!(
            "{}: {}{} ({})",
            vm.name,
            parts.join(" "),
            s.via
                .as_deref()
                .map(|v| format!(" via {v}"))
                .unwrap_or_default(),
            s.path
        ));
    }
    lines
}

/// Whether a finding counts for `--fail-on` (with `--fail-on-new`, only new ones do).
pub(crate) fn counts_for_exit(f: &FindingReport, only_new: bool) -> bool {
    !f.suppressed && (!only_new || f.change == Some(Change::New))
}

/// The highest severity among findings that count, for exit codes and summaries.
pub(crate) fn worst(report: &Report, only_new: bool) -> Option<Severity> {
    report
        .vms
        .iter()
        .flat_map(|v| v.findings.iter())
        .filter(|f| counts_for_exit(f, only_new))
        .map(|f| f.severity)
        .max()
}
