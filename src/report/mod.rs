//! The report and its output formats (docs/output-formats.md). Building the report and
//! rendering it are pure: every format is a function from a [`Report`] to a `String`; every
//! sentence about the engine's results is in [`words`].

pub mod baseline;
pub mod catalogue;
pub mod check;
pub mod compliance;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod style;
pub mod suppress;
pub mod table;
pub mod words;

use serde::Serialize;

use crate::engine::types::Deployment;
use crate::engine::{Decision, Hop, HopKind, PathAnalysis, PathKind, Verdict, VmAnalysis};
use crate::model::{Diagnostic, Model, OsType};
use crate::rules::{Category, Finding, Severity};

pub const TOOL_NAME: &str = "rdpaudit";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub client: String,
    pub complete: bool,
    pub summary: Summary,
    pub vms: Vec<VmReport>,
    pub diagnostics: Vec<Diagnostic>,
    /// `--baseline`: what changed since the earlier report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineSummary>,
    /// `--framework`: the per-control pass/fail summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance: Option<compliance::ComplianceSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub vms: usize,
    pub reachable: usize,
    pub blocked: usize,
    pub unknown: usize,
    pub skipped: usize,
    pub findings: SeverityCounts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmReport {
    pub id: String,
    pub name: String,
    pub resource_group: String,
    pub subscription_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub deployment: &'static str,
    pub power_state: String,
    /// Guest facts (`--guest`, or a snapshot's `guest` section), as `docs/guest.md` names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest: Option<crate::model::GuestFacts>,
    pub rdp: Rdp,
    pub findings: Vec<FindingReport>,
    /// `--baseline`: how this VM changed since the earlier report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<baseline::VmChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rdp {
    pub port: u16,
    pub verdict: Verdict,
    /// One line: the deciding hop, or where RDP is open from.
    pub explanation: String,
    pub paths: Vec<PathReport>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathReport {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// v2 NAT rules: the frontend port range the VM's port is taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_range: Option<String>,
    pub verdict: Verdict,
    pub allowed_sources: Vec<String>,
    pub hops: Vec<HopReport>,
    /// `--probe`: the TCP connect from the machine rdpaudit ran on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeReport>,
    /// `--probe`: the entry point's DNS name and what it resolved to there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsReport>,
}

/// One hop as `check` prints it and the JSON report lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HopReport {
    pub hop: HopKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&Hop> for HopReport {
    fn from(h: &Hop) -> Self {
        HopReport {
            hop: h.kind,
            resource: h.resource.clone(),
            decision: h.decision,
            rule: h.rule.clone(),
            priority: h.priority,
            detail: Some(words::hop_detail(h)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    pub target: String,
    #[serde(flatten)]
    pub result: crate::model::TcpProbe,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsReport {
    pub name: String,
    /// The addresses it resolved to (empty when it did not resolve).
    pub addresses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It resolved to the entry point's current address.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingReport {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub title: &'static str,
    pub message: String,
    pub resource_id: String,
    pub remediation: String,
    pub suppressed: bool,
    /// The controls this finding evidences, as `framework:control` (`docs/compliance.md`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compliance: Vec<String>,
    /// `--baseline`: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<baseline::Change>,
}

impl From<&Finding> for FindingReport {
    fn from(f: &Finding) -> Self {
        FindingReport {
            rule_id: f.rule.id,
            severity: f.rule.severity,
            category: f.rule.category,
            title: f.rule.title,
            // A finding that quotes the hop that stops RDP gets the report's words for it.
            message: match &f.cause {
                Some(h) => format!("{} ({})", f.message, words::hop_reason(h)),
                None => f.message.clone(),
            },
            resource_id: f.resource_id.clone(),
            remediation: f.remediation.clone(),
            suppressed: f.suppressed,
            compliance: crate::rules::compliance::controls(f.rule.id)
                .map(crate::rules::compliance::tag)
                .collect(),
            change: None,
        }
    }
}

/// Which findings a report keeps (`--category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CategoryFilter {
    #[default]
    All,
    Only(Category),
}

/// One audited VM: its analysis and its findings (all of them; `filter` applies here).
pub struct Audited<'a, 'm> {
    pub vm: &'a VmAnalysis<'m>,
    pub findings: Vec<Finding>,
}

/// Builds the report of analysed VMs. Non-Windows VMs are skipped and counted.
pub fn build(
    model: &Model,
    audited: &[Audited<'_, '_>],
    client: &str,
    filter: CategoryFilter,
    extra: &[Diagnostic],
) -> Report {
    let mut summary = Summary::default();
    let mut vms = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = model.diagnostics.iter().chain(extra).cloned().collect();
    for Audited { vm: a, findings } in audited {
        if a.os == OsType::Linux {
            summary.skipped += 1;
            continue;
        }
        for p in &a.problems {
            diagnostics.push(Diagnostic::warning(
                a.id.id.clone(),
                format!("{}: {}", a.name, words::problem(&p.reason)),
            ));
        }
        let findings: Vec<FindingReport> = findings
            .iter()
            .filter(|f| match filter {
                CategoryFilter::All => true,
                CategoryFilter::Only(c) => f.rule.category == c,
            })
            .map(FindingReport::from)
            .collect();
        summary.vms += 1;
        match a.verdict {
            Verdict::Reachable => summary.reachable += 1,
            Verdict::Blocked => summary.blocked += 1,
            Verdict::Unknown => summary.unknown += 1,
        }
        for f in findings.iter().filter(|f| !f.suppressed) {
            summary.findings.add(f.severity);
        }
        vms.push(vm_report(a, findings));
    }
    diagnostics.sort_by(|a, b| a.scope.cmp(&b.scope).then(a.message.cmp(&b.message)));
    diagnostics.dedup();
    Report {
        schema_version: 1,
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        client: client.to_string(),
        complete: !diagnostics.iter().any(Diagnostic::makes_incomplete),
        summary,
        vms,
        diagnostics,
        baseline: None,
        compliance: None,
    }
}

fn vm_report(a: &VmAnalysis<'_>, findings: Vec<FindingReport>) -> VmReport {
    VmReport {
        id: a.id.id.clone(),
        name: a.name.clone(),
        resource_group: a.resource_group.clone(),
        subscription_id: a.subscription.clone(),
        location: a.location.clone(),
        deployment: match a.deployment {
            Deployment::Arm => "arm",
            Deployment::Classic => "classic",
        },
        power_state: a.power.as_str().to_string(),
        guest: a.guest.cloned(),
        rdp: Rdp {
            port: a.port,
            verdict: a.verdict,
            explanation: words::explain(a),
            paths: a.paths.iter().map(path_report).collect(),
        },
        findings,
        change: None,
    }
}

/// `allowedSources`: minimal CIDRs of the admitted part of the client set, or the tags the
/// answer depends on when nothing is admitted for sure.
pub(crate) fn allowed_sources(p: &PathAnalysis<'_>) -> Vec<String> {
    let ev = &p.client;
    if !ev.reachable.is_empty() {
        return crate::engine::tags::minimal_cidrs(&ev.reachable, &ev.candidates)
            .iter()
            .map(|n| n.to_string())
            .collect();
    }
    let mut tags: Vec<String> = ev
        .parts
        .iter()
        .filter(|pp| pp.outcome == crate::engine::nsg::Outcome::Unknown)
        .flat_map(|pp| pp.nic.iter().chain(pp.subnet.iter()))
        .flat_map(|part| part.maybe.iter().chain(part.rule.iter()))
        .flat_map(|r| r.opaque_tags.iter().cloned())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

fn path_report(p: &PathAnalysis<'_>) -> PathReport {
    PathReport {
        kind: p.kind.as_str(),
        address: p.address.map(|a| a.to_string()),
        port: p.connect_port.or(match p.kind {
            PathKind::Bastion => Some(p.delivered_port),
            _ => None,
        }),
        port_range: p.connect_range.map(|(a, b)| format!("{a}-{b}")),
        verdict: p.verdict,
        allowed_sources: allowed_sources(p),
        hops: p.hops.iter().map(HopReport::from).collect(),
        probe: p.probe.and_then(|t| {
            Some(ProbeReport {
                target: p.connect_to()?,
                result: t.clone(),
            })
        }),
        dns: p.dns.map(|(name, answer)| {
            let (addresses, error) = match answer {
                crate::model::DnsAnswer::Resolved(a) => (a.clone(), None),
                crate::model::DnsAnswer::Failed(e) => (Vec::new(), Some(e.clone())),
            };
            DnsReport {
                name: name.to_string(),
                current: p.dns_current() == Some(true),
                addresses: addresses.iter().map(|a| a.to_string()).collect(),
                error,
            }
        }),
    }
}
