//! The report and its output formats (docs/output-formats.md). Building the report and
//! rendering it are pure: every format is a function from a [`Report`] to a `String`; every
//! sentence about the engine's results is in `words`.

pub(crate) mod baseline;
pub(crate) mod catalogue;
pub(crate) mod check;
pub(crate) mod compliance;
pub(crate) mod csv;
pub(crate) mod eastwest;
pub mod fix;
pub(crate) mod fix_examples;
pub(crate) mod fix_more;
pub(crate) mod fix_text;
pub(crate) mod graph;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod lateral;
pub(crate) mod markdown;
pub(crate) mod overview;
pub(crate) mod sarif;
pub(crate) mod style;
pub(crate) mod suppress;
pub(crate) mod table;
pub(crate) mod trace;
pub(crate) mod tsv;
pub(crate) mod words;

pub use baseline::{BaselineSummary, Change, ResolvedFinding, SourceChange, VmChange};
pub use catalogue::markdown as catalogue_markdown;
pub use compliance::{ComplianceSummary, ControlStatus, Status as ComplianceStatus};
pub use fix::{FixFormat, FixReport, Proof};

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::types::Deployment;
use crate::engine::{Decision, Hop, HopKind, PathAnalysis, PathKind, Verdict, VmAnalysis};
use crate::model::{Diagnostic, Model, OsType};
use crate::rules::{Category, Finding, Severity};

pub(crate) const TOOL_NAME: &str = "rdpaudit";
pub(crate) const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The audit result every output format (table, JSON, CSV, SARIF, Markdown, HTML) renders.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The JSON report's schema version.
    pub schema_version: u32,
    /// Which tool wrote it.
    pub tool: Tool,
    /// Who the audit is for: "internet" or the `--client-ip` value.
    pub client: String,
    /// `false` when an error or warning diagnostic says data is missing.
    pub complete: bool,
    /// Counts over all VMs and findings.
    pub summary: Summary,
    /// One entry per audited VM.
    pub vms: Vec<VmReport>,
    /// What could not be read or understood.
    pub diagnostics: Vec<Diagnostic>,
    /// `--baseline`: what changed since the earlier report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineSummary>,
    /// `--framework`: the per-control pass/fail summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance: Option<compliance::ComplianceSummary>,
    /// `--lateral`, `check --from`: the NSG rules the east-west sections name, each once; the
    /// sections refer to them by index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lateral_rules: Vec<trace::RuleReport>,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `rdpaudit`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// Counts over a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// VMs audited.
    pub vms: usize,
    /// VMs RDP reaches.
    pub reachable: usize,
    /// VMs RDP does not reach.
    pub blocked: usize,
    /// VMs the data does not decide.
    pub unknown: usize,
    /// Non-Windows VMs, not audited.
    pub skipped: usize,
    /// Findings by severity.
    pub findings: SeverityCounts,
}

/// A count per severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeverityCounts {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Info findings.
    pub info: usize,
}

impl Summary {
    /// Adds another batch's counts.
    fn absorb(&mut self, o: &Summary) {
        self.vms += o.vms;
        self.reachable += o.reachable;
        self.blocked += o.blocked;
        self.unknown += o.unknown;
        self.skipped += o.skipped;
        let (f, g) = (&mut self.findings, &o.findings);
        f.critical += g.critical;
        f.high += g.high;
        f.medium += g.medium;
        f.low += g.low;
        f.info += g.info;
    }
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

/// One VM's audit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmReport {
    /// The VM's resource id.
    pub id: crate::model::ResId,
    /// The VM's name.
    pub name: String,
    /// Its resource group.
    pub resource_group: String,
    /// Its subscription.
    pub subscription_id: String,
    /// Its Azure region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `arm` or `classic`.
    pub deployment: &'static str,
    /// Its power state, e.g. `running`.
    pub power_state: String,
    /// Guest facts (`--guest`, or a snapshot's `guest` section), as `docs/guest.md` names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest: Option<crate::model::GuestFacts>,
    /// Whether and how RDP reaches it.
    pub rdp: Rdp,
    /// What the rules found.
    pub findings: Vec<FindingReport>,
    /// `--baseline`: how this VM changed since the earlier report (boxed: most reports have no
    /// baseline, and it was a fifth of every VM's report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Box<baseline::VmChange>>,
    /// `--lateral`: the source classes and VMs that can reach its RDP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lateral: Option<Box<lateral::LateralReport>>,
}

/// RDP to one VM: the verdict and every path.
#[derive(Debug, Clone, Serialize)]
pub struct Rdp {
    /// The port RDP listens on in the guest (guest facts or `--port`).
    pub port: u16,
    /// The VM's verdict over all paths.
    pub verdict: Verdict,
    /// One line: the deciding hop, or where RDP is open from (empty in a brief report:
    /// `Audit::findings_only`).
    pub explanation: String,
    /// Each way in: public IP, NAT rule, classic endpoint, Bastion.
    pub paths: Vec<PathReport>,
}

/// One way in to a VM, hop by hop.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathReport {
    /// What kind of entry point the path starts at.
    pub kind: &'static str,
    /// The entry point's public address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The port the client connects to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// v2 NAT rules: the frontend port range the VM's port is taken from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_range: Option<String>,
    /// Whether RDP gets through on this path.
    pub verdict: Verdict,
    /// Who may connect, as CIDR prefixes (exposure).
    pub allowed_sources: Vec<String>,
    /// Each step from the entry point to the guest.
    pub hops: Vec<HopReport>,
    /// `--probe`: the TCP connect from the machine rdpaudit ran on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeReport>,
    /// `--probe`: the entry point's DNS name and what it resolved to there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsReport>,
    /// `"private"` on a path that only private networks reach (an internal load-balancer
    /// frontend, a DNAT rule on the firewall's private address; docs/decisions.md D21, D29): its
    /// `allowedSources` are private sources, never Internet exposure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frontend: Option<&'static str>,
}

/// The value of `frontend` on a private path.
pub const PRIVATE_FRONTEND: &str = "private";

fn private_path_report(p: &PathAnalysis<'_>) -> PathReport {
    PathReport {
        frontend: Some(PRIVATE_FRONTEND),
        ..path_report(p)
    }
}

/// One hop as `check` prints it and the JSON report lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HopReport {
    /// Which step this is.
    pub hop: HopKind,
    /// The resource that decides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What it decided.
    pub decision: Decision,
    /// The deciding rule's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The deciding rule's priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// The decision in words.
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

/// A `--probe` TCP connect in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReport {
    /// The endpoint connected to (`address:port`).
    pub target: String,
    /// What happened.
    #[serde(flatten)]
    pub result: crate::model::TcpProbe,
}

/// A `--probe` DNS look-up in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsReport {
    /// The DNS name looked up.
    pub name: String,
    /// The addresses it resolved to (empty when it did not resolve).
    pub addresses: Vec<String>,
    /// The resolver's error, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It resolved to the entry point's current address.
    pub current: bool,
}

/// One finding of one rule.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingReport {
    /// The rule id, e.g. `RDP801`.
    pub rule_id: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Connectivity or exposure.
    pub category: Category,
    /// The rule's title.
    pub title: &'static str,
    /// What was found, specific to this VM.
    pub message: String,
    /// The resource to change (shared with the model: one id names many findings).
    pub resource_id: crate::model::ResId,
    /// What to do about it: the fix in the chosen `--fix-format`, or the rule's advice.
    pub remediation: String,
    /// The typed fix and its proof (absent: the rule has advice only, in `remediation`).
    /// Boxed: most findings of a large estate carry none, and a fix is larger than the rest
    /// of the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Box<FixReport>>,
    /// Matched by `--suppress`: kept in the report, not counted.
    pub suppressed: bool,
    /// The controls this finding evidences, as `framework:control` (`docs/compliance.md`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub compliance: &'static [String],
    /// `--baseline`: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<baseline::Change>,
}

impl From<&Finding> for FindingReport {
    fn from(f: &Finding) -> Self {
        FindingReport {
            // A finding that quotes the hop that stops RDP gets the report's words for it.
            message: match &f.cause {
                Some(h) => format!("{} ({})", f.message, words::hop_reason(h)),
                None => f.message.clone(),
            },
            remediation: f.remediation.clone(),
            fix: f
                .fix
                .clone()
                .map(|x| Box::new(FixReport::for_client(x, f.fix_client.clone()))),
            ..FindingReport::brief(f)
        }
    }
}

impl FindingReport {
    /// The finding without its words or what to do about it (no message, remediation or
    /// fix): what the summary table, suppressions, frameworks and the proofs read (rule,
    /// severity, category, resource), at a fraction of the memory.
    fn brief(f: &Finding) -> Self {
        FindingReport {
            rule_id: f.rule.id,
            severity: f.rule.severity,
            category: f.rule.category,
            title: f.rule.title,
            message: String::new(),
            resource_id: f.resource_id.clone(),
            remediation: String::new(),
            fix: None,
            suppressed: f.suppressed,
            compliance: crate::rules::compliance::tags(f.rule.id),
            change: None,
        }
    }
}

/// Keeps only the findings of these rules (`--rule`, ids compared case-insensitively) and
/// counts the findings again.
pub fn keep_rules(report: &mut Report, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let mut counts = SeverityCounts::default();
    for vm in &mut report.vms {
        vm.findings.retain(|f| {
            ids.iter()
                .any(|id| id.trim().eq_ignore_ascii_case(f.rule_id))
        });
        for f in vm.findings.iter().filter(|f| !f.suppressed) {
            counts.add(f.severity);
        }
    }
    report.summary.findings = counts;
}

/// Which findings a report keeps (`--category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CategoryFilter {
    /// Every finding.
    #[default]
    All,
    /// Only findings of this category.
    Only(Category),
}

/// One audited VM: its analysis and its findings (all of them; `filter` applies here).
pub(crate) struct Audited<'a, 'm> {
    pub(crate) vm: &'a VmAnalysis<'m>,
    pub(crate) findings: Vec<Finding>,
    /// `--lateral`: the VM's east-west picture for the report.
    pub(crate) lateral: Option<crate::rules::LateralCx<'a, 'm>>,
}

/// The report of one batch of analysed VMs (an audit judges an estate in batches, D53).
/// Non-Windows VMs are skipped and counted.
pub(crate) struct Part {
    summary: Summary,
    /// Each Windows VM's report with its place in the audit's order.
    vms: Vec<(usize, VmReport)>,
    /// What the VMs' topologies could not resolve.
    diagnostics: Vec<Diagnostic>,
    /// `--lateral`'s rule table (an audit with it runs as one batch).
    rules: lateral::RuleTable,
}

/// Reports a batch: `places[i]` is `audited[i]`'s place in the audit's order. `full`: each
/// VM's paths and each finding's remediation and fix are in the report (otherwise verdicts
/// and findings only).
pub(crate) fn part(
    audited: &[Audited<'_, '_>],
    places: &[usize],
    filter: CategoryFilter,
    full: bool,
) -> Part {
    // Each VM's report on its own, on every core; then, in order, what they share.
    let reports: Vec<Option<VmReport>> = audited
        .par_iter()
        .map(
            |Audited {
                 vm: a, findings, ..
             }| {
                if a.os == OsType::Linux {
                    return None;
                }
                let mut findings: Vec<FindingReport> = findings
                    .iter()
                    .filter(|f| match filter {
                        CategoryFilter::All => true,
                        CategoryFilter::Only(c) => f.rule.category == c,
                    })
                    .map(|f| match full {
                        true => FindingReport::from(f),
                        false => FindingReport::brief(f),
                    })
                    .collect();
                // A filtered list keeps room for four findings; it lives until the report is written.
                findings.shrink_to_fit();
                Some(vm_report(a, findings, full))
            },
        )
        .collect();
    let mut summary = Summary::default();
    let mut vms = Vec::with_capacity(reports.len());
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut rules = lateral::RuleTable::default();
    for ((Audited { vm: a, lateral, .. }, &place), report) in
        audited.iter().zip(places).zip(reports)
    {
        let Some(mut report) = report else {
            summary.skipped += 1;
            continue;
        };
        for p in &a.problems {
            diagnostics.push(Diagnostic::warning(
                a.id.id.clone(),
                format!("{}: {}", a.name, words::problem(&p.reason)),
            ));
        }
        summary.vms += 1;
        match a.verdict {
            Verdict::Reachable => summary.reachable += 1,
            Verdict::Blocked => summary.blocked += 1,
            Verdict::Unknown => summary.unknown += 1,
        }
        for f in report.findings.iter().filter(|f| !f.suppressed) {
            summary.findings.add(f.severity);
        }
        report.lateral = lateral.map(|l| Box::new(lateral::report(l.vm, l.all, &mut rules)));
        vms.push((place, report));
    }
    Part {
        summary,
        vms,
        diagnostics,
        rules,
    }
}

/// The report of an audit from its batches' parts, VMs in the audit's order: the same report
/// whichever way the VMs were batched.
pub(crate) fn assemble(
    model: &Model,
    parts: Vec<Part>,
    client: &str,
    extra: &[Diagnostic],
) -> Report {
    let mut summary = Summary::default();
    // Every VM's report is alive here: a list grown by doubling held up to twice their room.
    let mut vms: Vec<(usize, VmReport)> =
        Vec::with_capacity(parts.iter().map(|p| p.vms.len()).sum());
    let mut diagnostics: Vec<Diagnostic> = model.diagnostics.iter().chain(extra).cloned().collect();
    let mut rules: Vec<trace::RuleReport> = Vec::new();
    for p in parts {
        summary.absorb(&p.summary);
        vms.extend(p.vms);
        diagnostics.extend(p.diagnostics);
        // Indices into a rule table are per part: only a single part may carry rules.
        let more = p.rules.into_rules();
        debug_assert!(rules.is_empty() || more.is_empty());
        rules.extend(more);
    }
    vms.sort_by_key(|(place, _)| *place);
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
        vms: vms.into_iter().map(|(_, r)| r).collect(),
        diagnostics,
        baseline: None,
        compliance: None,
        lateral_rules: rules,
    }
}

/// `paths: false` leaves the paths out (proofs compare findings only).
fn vm_report(a: &VmAnalysis<'_>, findings: Vec<FindingReport>, paths: bool) -> VmReport {
    VmReport {
        id: a.id.clone(),
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
            // A brief report (the summary table, proofs) prints and compares no explanation.
            explanation: if paths {
                words::explain(a)
            } else {
                String::new()
            },
            paths: if paths {
                a.paths
                    .iter()
                    .map(path_report)
                    .chain(a.private_paths.iter().map(private_path_report))
                    .collect()
            } else {
                Vec::new()
            },
        },
        findings,
        change: None,
        lateral: None,
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
        frontend: None,
    }
}
