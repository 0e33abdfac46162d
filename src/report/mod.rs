//! The report (product.md §5) and its output formats. Building the report and rendering it are
//! pure: every format is a function from a [`Report`] to a `String`.

pub mod baseline;
pub mod compliance;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod suppress;
pub mod table;

use serde::Serialize;

use crate::engine::analyze::{describe_set, Hop, PathAnalysis, Verdict, VmAnalysis};
use crate::model::{Diagnostic, Model, OsType, ResId};
use crate::rules::{self, Category, Finding, Severity};

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
    /// Guest facts (`--guest`, or a snapshot's `guest` section), as product.md §4 names them.
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
    pub hops: Vec<Hop>,
    /// `--probe`: the TCP connect from the machine rdpaudit ran on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeReport>,
    /// `--probe`: the entry point's DNS name and what it resolved to there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsReport>,
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
            message: f.message.clone(),
            resource_id: f.resource_id.clone(),
            remediation: f.remediation.clone(),
            suppressed: f.suppressed,
            compliance: rules::compliance::controls(f.rule.id)
                .map(rules::compliance::tag)
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

/// Builds the report of analysed VMs. Non-Windows VMs are skipped and counted.
pub fn build(
    model: &Model,
    analyses: &[VmAnalysis<'_>],
    client: &str,
    filter: CategoryFilter,
    extra: &[Diagnostic],
) -> Report {
    let mut summary = Summary::default();
    let mut vms = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = model.diagnostics.iter().chain(extra).cloned().collect();
    for a in analyses {
        if a.os == OsType::Linux {
            summary.skipped += 1;
            continue;
        }
        for p in &a.problems {
            diagnostics.push(Diagnostic::warning(
                a.id.id.clone(),
                format!("{}: {}", a.name, p.message),
            ));
        }
        let findings: Vec<FindingReport> = rules::check_vm(a, model)
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
            crate::engine::analyze::Deployment::Arm => "arm",
            crate::engine::analyze::Deployment::Classic => "classic",
        },
        power_state: a.power.as_str().to_string(),
        guest: a.guest.cloned(),
        rdp: Rdp {
            port: a.port,
            verdict: a.verdict,
            explanation: explain(a),
            paths: a.paths.iter().map(path_report).collect(),
        },
        findings,
        change: None,
    }
}

/// `allowedSources`: minimal CIDRs of the admitted part of the client set, or the tags the
/// answer depends on when nothing is admitted for sure.
fn allowed_sources(p: &PathAnalysis<'_>) -> Vec<String> {
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
            crate::engine::PathKind::Bastion => Some(p.delivered_port),
            _ => None,
        }),
        port_range: p.connect_range.map(|(a, b)| format!("{a}-{b}")),
        verdict: p.verdict,
        allowed_sources: allowed_sources(p),
        hops: p.hops.clone(),
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

fn name_of(id: &Option<String>) -> String {
    id.as_deref()
        .map(|i| ResId::new(i).name().to_string())
        .unwrap_or_default()
}

/// Why a hop stops (or cannot decide) RDP, in a few words; `by …` when a resource decides.
pub fn hop_reason(h: &Hop) -> String {
    let level = match h.hop {
        "subnetNsg" => Some("subnet"),
        "nicNsg" => Some("NIC"),
        _ => None,
    };
    let detail = h.detail.clone().unwrap_or_default();
    match (level, &h.rule, h.priority) {
        (Some(level), Some(rule), Some(prio)) => format!(
            "by {} / {} ({}, {})",
            name_of(&h.resource),
            rule,
            prio,
            level
        ),
        (Some(_), _, _) if h.resource.is_none() => {
            "by Standard SKU secure-by-default: no NSG on the subnet or the NIC allows RDP".into()
        }
        _ => match h.hop {
            "route" => format!(
                "by route {} ({})",
                h.rule.clone().unwrap_or_default(),
                detail
            ),
            "power" => format!("the VM is {detail}"),
            "classicAcl" => format!("by the endpoint ACL, which {detail}"),
            _ => detail,
        },
    }
}

/// The verdict line's explanation.
pub fn explain(a: &VmAnalysis<'_>) -> String {
    let direct: Vec<&PathAnalysis<'_>> = a.direct_paths().collect();
    match a.verdict {
        Verdict::Reachable => {
            let p = direct.iter().find(|p| p.verdict == Verdict::Reachable);
            match p {
                Some(p) => format!(
                    "via {} — open to {}",
                    p.connect_to().unwrap_or_else(|| "?".into()),
                    describe_set(&p.client.reachable, &p.client.candidates)
                ),
                None => String::new(),
            }
        }
        Verdict::Blocked if direct.is_empty() => {
            let via = a
                .paths
                .iter()
                .find(|p| p.verdict == Verdict::Reachable)
                .and_then(|p| p.bastion)
                .map(|b| format!("; Bastion {} can reach it", b.name))
                .unwrap_or_default();
            format!("no public IP, NAT rule or endpoint{via}")
        }
        Verdict::Blocked => {
            let p = direct[0];
            // Name the port when it is not the usual one (a changed guest port, a NAT backend).
            let port = if p.delivered_port != a.default_port
                && matches!(
                    p.hops.iter().find(|h| h.is_stop()).map(|h| h.hop),
                    Some("subnetNsg" | "nicNsg")
                ) {
                format!(" for tcp/{}", p.delivered_port)
            } else {
                String::new()
            };
            match p.hops.iter().find(|h| h.is_stop()) {
                Some(h) => hop_reason(h) + &port,
                None => "no path admits the client".into(),
            }
        }
        Verdict::Unknown => {
            if let Some(p) = a.problems.first() {
                return p.message.clone();
            }
            let hop = direct
                .iter()
                .filter(|p| p.verdict == Verdict::Unknown)
                .flat_map(|p| p.hops.iter())
                .find(|h| h.is_unknown());
            let tags: Vec<String> = direct.iter().flat_map(|p| allowed_sources(p)).collect();
            match hop {
                Some(h) if matches!(h.hop, "subnetNsg" | "nicNsg") && h.rule.is_some() => format!(
                    "{} depends on {}, which the data does not expand",
                    hop_reason(h).trim_start_matches("by "),
                    if tags.is_empty() {
                        "addresses".to_string()
                    } else {
                        tags.join(", ")
                    }
                ),
                Some(h) => h.detail.clone().unwrap_or_default(),
                None => "the data does not decide".into(),
            }
        }
    }
}
