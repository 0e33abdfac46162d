//! The pure pipeline every input shares, one way through:
//!
//! ```text
//! raw ARM resources → model (immutable)      build_model
//!   + Observations (guest facts, probes)     engine::Observations, never written into the model
//!   → the VMs in scope                       Audit::new
//!   → [--probe: plan from the topology]      Audit::probe_plan, then Audit::with_probes
//!   → per batch: topology (paths per VM) → evaluation → findings → report part
//!   → report                                 Audit::report
//! ```
//!
//! The CLI renders the report (`report::{table, check, json, …}`). With `--probe`, the CLI
//! takes `Audit::probe_plan`, runs the probes and hands the results back with
//! `Audit::with_probes`: evaluation runs once. Topologies are built a batch at a time and dropped
//! with it (the plan builds its own): memory follows the batch, not the estate. Snapshot and
//! demo audits take the one call, [`run`].

use rayon::prelude::*;
use serde_json::value::RawValue;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::engine::topology::{Builder, Indexes, VmRef};
use crate::engine::{Evaluator, Observations, Options, VmAnalysis};
use crate::model::{
    self, AgentState, Diagnostic, GuestFacts, Model, OsType, PowerState, ProbePlan, Probes, ResId,
};
use crate::report::{self, Audited, CategoryFilter, Report};
use crate::rules;

/// What to audit: everything, or one VM by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every VM in the data.
    All,
    /// The VM with this resource id (compared case-insensitively).
    Vm(String),
    /// The VMs whose case-folded ids are in the set (ids not in the data are left out).
    Keys(BTreeSet<String>),
}

impl Scope {
    /// Whether the VM with this id is audited.
    pub(crate) fn includes(&self, id: &ResId) -> bool {
        match self {
            Scope::All => true,
            Scope::Vm(v) => ResId::new(v).key() == id.key(),
            Scope::Keys(keys) => keys.contains(&id.key().folded()),
        }
    }
}

/// Why the pipeline could not run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PipelineError {
    /// `--vm` names a VM that is not in the data.
    #[error("VM {id} is not in the data ({count} VMs are: {sample})")]
    VmNotFound {
        /// The id asked for.
        id: String,
        /// How many VMs the data holds.
        count: usize,
        /// A few of their ids, for the message.
        sample: String,
    },
}

/// Audits raw resources in one call. `guest` holds guest facts by VM id; `diagnostics` are
/// carried over from collection (what could not be read).
pub fn run(
    resources: &[&RawValue],
    guest: HashMap<String, GuestFacts>,
    diagnostics: &[Diagnostic],
    options: Options,
    filter: CategoryFilter,
    scope: &Scope,
) -> Result<Report, PipelineError> {
    let model = build_model(resources);
    let audit = Audit::new(&model, options, Observations::new(guest), scope)?;
    Ok(audit.report(diagnostics, filter))
}

/// Builds the model from raw resources.
pub fn build_model(resources: &[&RawValue]) -> Model {
    model::build(resources)
}

/// Builds the model from raw resources and a snapshot's `securityAdminRules` section (`None`:
/// collected without admin rules).
pub fn build_model_with(resources: &[&RawValue], admin_rules: Option<&RawValue>) -> Model {
    model::build_with(resources, admin_rules)
}

/// One audit of the VMs in scope: the model, the observations, and the VMs to judge.
pub struct Audit<'m> {
    model: &'m Model,
    options: Options,
    observations: Observations,
    /// The VMs in scope, sorted by id; their topologies are built a batch at a time.
    vms: Vec<VmRef<'m>>,
    /// `--lateral`: compute every east-west edge and put the section in the report.
    lateral: bool,
    /// Which VMs outside the scope are evaluated as possible stepping stones (RDP812).
    stones: Stones,
    /// How far the data reaches for stepping stones; a limited reach adds a note.
    reach: crate::engine::lateral::SearchReach,
    /// Whether the report carries each VM's paths and each finding's remediation and fix
    /// (proofs and the summary table read verdicts and findings only).
    full: bool,
    /// The topology's estate-wide indexes (stepping stones are built with them too).
    ix: Arc<Indexes<'m>>,
    /// `check --from`: the source to trace to the VM in scope.
    trace_from: Option<String>,
    /// How many VMs are judged at a time, in whole components (D53); 0: all at once.
    batch: usize,
}

/// The VMs an audit judges at a time by default: a batch's evaluation takes a few kB per VM;
/// on 10,000 VMs, batches of 128 to 1,024 took the same time, 4,096 took 60 MB more memory,
/// and since two batches are judged at once (one evaluated, one finished) smaller batches peak
/// lower: 256 10-20 MB below 512, 128 20 MB below 256 at 100,000 VMs (docs/performance.md).
pub const BATCH_VMS: usize = 128;

impl<'m> Audit<'m> {
    /// An audit of the VMs in scope (sorted by id). An unknown VM for `Scope::Vm` is an error
    /// that lists some of the VMs the data has.
    pub fn new(
        model: &'m Model,
        options: Options,
        observations: Observations,
        scope: &Scope,
    ) -> Result<Audit<'m>, PipelineError> {
        Audit::sharing(model, options, observations, scope, Indexes::new(model))
    }

    /// [`Audit::new`] with the topology's estate-wide indexes built earlier: from `model`, or
    /// from a model that differs from it only in NSGs and VMs (proofs, src/remedy).
    pub(crate) fn sharing(
        model: &'m Model,
        options: Options,
        observations: Observations,
        scope: &Scope,
        ix: Arc<Indexes<'m>>,
    ) -> Result<Audit<'m>, PipelineError> {
        let vms = match scope {
            Scope::All => VmRef::every(model),
            Scope::Vm(id) => {
                let arm = model.vms.iter().find(|v| scope.includes(&v.id));
                let classic = || model.classic_vms.iter().find(|v| scope.includes(&v.id));
                match (arm, classic()) {
                    (Some(vm), _) => vec![VmRef::Arm(vm)],
                    (None, Some(vm)) => vec![VmRef::Classic(vm)],
                    (None, None) => return Err(not_found(model, id)),
                }
            }
            Scope::Keys(keys) => {
                // The model's VM lists are sorted by key (model::build): look each key up
                // rather than scanning the estate (proofs audit a few VMs thousands of times).
                let arm =
                    (keys.iter()).filter_map(|k| by_key(&model.vms, k, |v| &v.id).map(VmRef::Arm));
                let classic = (keys.iter())
                    .filter_map(|k| by_key(&model.classic_vms, k, |v| &v.id).map(VmRef::Classic));
                let mut v: Vec<VmRef<'m>> = arm.chain(classic).collect();
                v.sort_by(|a, b| a.id().key().cmp(&b.id().key()));
                v
            }
        };
        Ok(Audit {
            model,
            options,
            observations,
            vms,
            lateral: false,
            // A VM's two-hop findings must not depend on which other VMs are reported: when
            // only some are in scope, every other VM is a possible stepping stone.
            stones: if matches!(scope, Scope::All) {
                Stones::InScope
            } else {
                Stones::All
            },
            reach: crate::engine::lateral::SearchReach::Data,
            full: true,
            ix,
            trace_from: None,
            batch: BATCH_VMS,
        })
    }

    /// The same audit with these VMs outside the scope as the possible stepping stones
    /// (proofs judge among the VMs a change reaches only).
    pub(crate) fn with_stepping_stones(self, stones: Stones) -> Audit<'m> {
        Audit { stones, ..self }
    }

    /// The same audit with every VM of the data as a possible stepping stone for the VMs in
    /// scope (a filtered audit: `-g`, `--vm`; already the default for any partial scope).
    pub fn with_all_stones(self, on: bool) -> Audit<'m> {
        if on {
            self.with_stepping_stones(Stones::All)
        } else {
            self
        }
    }

    /// The same audit whose report leaves each VM's paths, its verdict's explanation and each
    /// finding's remediation and fix out: proofs compare findings only, and describing every
    /// path of every re-audited VM cost them a sixth of their time; the summary table reads
    /// verdicts and findings.
    pub(crate) fn findings_only(self) -> Audit<'m> {
        self.with_detail(false)
    }

    /// The same audit, its report whole (`true`) or [`Audit::findings_only`].
    pub(crate) fn with_detail(self, full: bool) -> Audit<'m> {
        Audit { full, ..self }
    }

    /// The same audit noting how far its data reaches for stepping stones (a scoped live run:
    /// `SearchReach::CollectedScope`, said in the report's diagnostics).
    pub(crate) fn with_reach(self, reach: crate::engine::lateral::SearchReach) -> Audit<'m> {
        Audit { reach, ..self }
    }

    /// The same audit with (or without) the full east-west analysis in the report
    /// (`--lateral`). RDP811 and RDP812 are evaluated either way.
    pub fn with_lateral(self, on: bool) -> Audit<'m> {
        Audit {
            lateral: on,
            ..self
        }
    }

    /// The same audit judging `n` VMs at a time in whole components (0: all at once). The
    /// report is the same whatever `n` is; memory follows the batch (docs/decisions.md D53).
    pub fn with_batch(self, n: usize) -> Audit<'m> {
        Audit { batch: n, ..self }
    }

    /// The same audit tracing one source (a VM id or name, an IP or a CIDR) to the VM in scope
    /// (`check --from`); it lands in the VM's east-west section.
    pub fn with_trace_from(self, from: Option<String>) -> Audit<'m> {
        Audit {
            trace_from: from,
            ..self
        }
    }

    /// What `--probe` tries for the Windows VMs in scope: every direct path's `address:port`,
    /// and the DNS names of their entry points. Sorted and without duplicates.
    pub(crate) fn probe_plan(&self) -> ProbePlan {
        let mut endpoints = BTreeSet::new();
        let mut names = BTreeSet::new();
        let builder = Builder::sharing(
            self.model,
            self.options.port,
            &self.observations,
            self.ix.clone(),
        );
        let windows: Vec<VmRef<'m>> = (self.vms.iter().copied())
            .filter(|v| v.os() == OsType::Windows)
            .collect();
        for vm in builder.each(&windows) {
            for p in vm.direct_paths() {
                endpoints.extend(p.endpoint());
                names.extend(p.entry_name.map(Probes::dns_key));
            }
        }
        ProbePlan {
            endpoints: endpoints.into_iter().collect(),
            names: names.into_iter().collect(),
        }
    }

    /// The same audit with what `--probe` saw.
    pub(crate) fn with_probes(self, probes: Probes) -> Audit<'m> {
        Audit {
            observations: self.observations.with_probes(probes),
            ..self
        }
    }

    /// Evaluates, runs the rules on the Windows VMs, and builds the report, a batch at a time:
    /// each VM's topology is built for its batch and moves into its evaluation.
    pub fn report(self, diagnostics: &[Diagnostic], filter: CategoryFilter) -> Report {
        let model = self.model;
        self.judged(filter).report(model, diagnostics)
    }

    /// [`Audit::report`] without the run's diagnostics: every VM judged and reported, waiting
    /// for what the run still has to say (a live audit judges while the last admin-rule answers
    /// arrive, docs/performance.md).
    pub fn judged(self, filter: CategoryFilter) -> Judged {
        let (client, reach, full) = (self.options.client_label(), self.reach, self.full);
        let parts = self.judge(|audited, places| report::part(audited, places, filter, full));
        Judged {
            parts,
            client,
            reach,
        }
    }

    /// [`Audit::judged`], given up between two batches once `stop` is set: `None` then (a live
    /// run's early judgment, on a model the last admin-rule answers proved wrong, frees both
    /// cores for the right one).
    pub fn judged_unless(self, filter: CategoryFilter, stop: &AtomicBool) -> Option<Judged> {
        let (client, reach, full) = (self.options.client_label(), self.reach, self.full);
        let parts = self.judge_unless(stop, |audited, places| {
            report::part(audited, places, filter, full)
        })?;
        Some(Judged {
            parts,
            client,
            reach,
        })
    }

    /// Each Windows VM's findings as (VM key, [(rule, category)]), without a report: what a
    /// proof compares with (`remedy`), at a fraction of a report's memory.
    pub(crate) fn rule_hits(self) -> Vec<(String, Vec<(&'static str, rules::Category)>)> {
        let parts = self.judge(|audited, places| {
            audited
                .iter()
                .zip(places)
                .filter(|(a, _)| a.vm.os != OsType::Linux)
                .map(|(a, &place)| {
                    let hits = a.findings.iter().map(|f| (f.rule.id, f.rule.category));
                    (place, (a.vm.id.key().folded(), hits.collect()))
                })
                .collect::<Vec<_>>()
        });
        let mut hits: Vec<_> = parts.into_iter().flatten().collect();
        hits.sort_by_key(|(place, _)| *place);
        hits.into_iter().map(|(_, h)| h).collect()
    }

    /// Evaluates the VMs, their lateral picture and their rules, one batch of whole components
    /// at a time (docs/decisions.md D53: no east-west edge leaves a component, so each batch is
    /// judged as it would be among every VM), and hands each batch's VMs in scope to `part`
    /// with their places in the scope's order. Only what `part` returns outlives its batch.
    fn judge<P: Send>(self, part: impl FnMut(&[Audited<'_, '_>], &[usize]) -> P + Send) -> Vec<P> {
        // Nothing sets this flag: every batch is judged.
        self.judge_unless(&AtomicBool::new(false), part)
            .unwrap_or_default()
    }

    /// [`Audit::judge`], given up (`None`) between two batches once `stop` is set.
    fn judge_unless<P: Send>(
        self,
        stop: &AtomicBool,
        mut part: impl FnMut(&[Audited<'_, '_>], &[usize]) -> P + Send,
    ) -> Option<Vec<P>> {
        let in_scope = self.vms.len();
        let mut all = self.vms;
        all.extend(stepping_stones(self.model, &self.stones, &all));
        // The full east-west section and a trace read every VM at once: one batch.
        let whole = self.lateral || self.trace_from.is_some();
        let target = if whole { 0 } else { self.batch };
        // Each of these runs alone on one core: side by side.
        let (model, options, observations, ix) =
            (self.model, &self.options, &self.observations, self.ix);
        let ((evaluator, builder), groups) = rayon::join(
            || {
                let evaluator = Evaluator::new(model, options, observations);
                let builder = Builder::sharing(model, options.port, observations, ix);
                (evaluator, builder)
            },
            || crate::engine::lateral::batches::batches(model, &all, target),
        );
        let batch = Batch {
            model: self.model,
            evaluator: &evaluator,
            builder: &builder,
            lateral: self.lateral,
            trace_from: self.trace_from.as_deref(),
            full: self.full,
        };
        let mut out = Vec::with_capacity(groups.len());
        // A batch is evaluated while the one before is finished: the finishing has serial
        // stretches (the lateral picture's merges), and the evaluation fills the other core.
        let mut evaluated: Option<(Vec<VmAnalysis<'_>>, Vec<usize>)> = None;
        for group in groups {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let members: Vec<VmRef<'m>> =
                group.iter().filter_map(|&i| all.get(i).copied()).collect();
            // Batches are sorted and the VMs in scope come first: they lead each batch.
            let places: Vec<usize> = group.into_iter().filter(|&i| i < in_scope).collect();
            let (analyses, done) = rayon::join(
                || batch.evaluate(&members),
                || {
                    let (analyses, places) = evaluated.take()?;
                    Some(batch.finish(analyses, &places, &mut part))
                },
            );
            out.extend(done);
            evaluated = Some((analyses, places));
        }
        if let Some((analyses, places)) = evaluated {
            out.push(batch.finish(analyses, &places, &mut part));
        }
        Some(out)
    }
}

/// Every VM of an audit judged and reported ([`Audit::judged`]); [`Judged::report`] adds the
/// run's diagnostics. It borrows nothing: it may be made on another thread, from a model built
/// before the run ended, and kept only if the final model is the same.
pub struct Judged {
    parts: Vec<report::Part>,
    client: String,
    reach: crate::engine::lateral::SearchReach,
}

impl Judged {
    /// The report: the judged VMs, `model`'s diagnostics and the run's `diagnostics`. `model`
    /// is the one the VMs were judged on (or one built from the same data).
    pub fn report(self, model: &Model, diagnostics: &[Diagnostic]) -> Report {
        let mut notes: Vec<Diagnostic> = diagnostics.to_vec();
        if let Some(text) = report::words::lateral::reach_note(self.reach) {
            notes.push(Diagnostic {
                level: crate::model::DiagLevel::Info,
                code: Some("TwoHopScope".into()),
                ..Diagnostic::error("lateral", text)
            });
        }
        report::assemble(model, self.parts, &self.client, &notes)
    }
}

/// What judging one batch of VMs needs.
struct Batch<'a, 'm> {
    model: &'m Model,
    evaluator: &'a Evaluator<'m>,
    builder: &'a Builder<'m, 'a>,
    lateral: bool,
    trace_from: Option<&'a str>,
    /// Whether the report carries each finding's remediation ([`Audit::with_detail`]).
    full: bool,
}

impl<'m> Batch<'_, 'm> {
    /// Builds the topologies of `members` (the VMs in scope first, then stepping stones) and
    /// evaluates them. Each VM on its own (the model is shared read-only): both cores help.
    fn evaluate(&self, members: &[VmRef<'m>]) -> Vec<VmAnalysis<'m>> {
        members
            .par_iter()
            .map(|&vm| self.evaluator.vm(self.builder.of(vm)))
            .collect()
    }

    /// The lateral picture and the rules of evaluated VMs ([`Batch::evaluate`]); hands the VMs
    /// at `places` to `part`.
    fn finish<P>(
        &self,
        analyses: Vec<VmAnalysis<'m>>,
        places: &[usize],
        part: &mut impl FnMut(&[Audited<'_, '_>], &[usize]) -> P,
    ) -> P {
        let (model, evaluator) = (self.model, self.evaluator);
        let mut lateral = crate::engine::lateral::analyse(
            model,
            &analyses,
            self.lateral,
            evaluator.asg_members(),
        );
        if let (Some(from), false) = (self.trace_from, places.is_empty()) {
            use crate::engine::lateral::trace;
            let source = trace::resolve(&analyses, from);
            let t = trace::trace(model, &analyses, 0, source);
            if let Some(v) = lateral.vms.first_mut() {
                v.trace = Some(t);
            }
        }
        let audited: Vec<Audited<'_, '_>> = analyses[..places.len()]
            .par_iter()
            .enumerate()
            .map(|(i, vm)| {
                let cx = lateral.of(i).map(|l| rules::LateralCx {
                    vm: l,
                    all: &analyses,
                });
                Audited {
                    vm,
                    findings: match vm.os {
                        OsType::Linux => Vec::new(), // skipped by the report
                        _ => rules::check_vm_with(vm, model, cx, self.full),
                    },
                    lateral: cx.filter(|_| self.lateral),
                }
            })
            .collect();
        let out = part(&audited, places);
        // Freeing a batch's findings and evaluations is a fair share of judging it: on every
        // core too (the findings first: they point into the evaluations and the lateral picture).
        audited.into_par_iter().for_each(drop);
        rayon::join(|| drop(lateral), || analyses.into_par_iter().for_each(drop));
        out
    }
}

/// The VMs outside the scope that may be stepping stones (RDP812).
fn stepping_stones<'m>(
    model: &'m Model,
    stones: &Stones,
    in_scope: &[VmRef<'m>],
) -> Vec<VmRef<'m>> {
    // The keys in scope, built only when stones are looked for (not for a whole-estate audit).
    let scoped = || -> std::collections::HashSet<crate::model::Key<'m>> {
        in_scope.iter().map(|a| a.id().key()).collect()
    };
    match stones {
        Stones::InScope => Vec::new(),
        Stones::All => {
            let scoped = scoped();
            VmRef::every(model)
                .into_iter()
                .filter(|t| !scoped.contains(&t.id().key()))
                .collect()
        }
        Stones::Only(keys) => {
            let scoped = scoped();
            keys.iter()
                .filter(|k| !scoped.contains(&crate::model::Key::of(k)))
                .filter_map(|k| by_key(&model.vms, k, |v| &v.id).map(VmRef::Arm))
                .collect()
        }
    }
}

/// The VM of `list` (sorted by key, as the model keeps its VM lists) whose id has this key.
fn by_key<'m, T>(list: &'m [T], key: &str, id: impl Fn(&T) -> &ResId) -> Option<&'m T> {
    let i = list
        .binary_search_by(|v| id(v).key().cmp(&crate::model::Key::of(key)))
        .ok()?;
    list.get(i)
}

/// The VMs outside an audit's scope that are evaluated as possible stepping stones.
#[derive(Debug, Clone)]
pub(crate) enum Stones {
    /// None outside the scope: every VM is in it, or the caller judges among these only.
    InScope,
    /// Every other VM.
    All,
    /// These (case-folded keys).
    Only(Arc<BTreeSet<String>>),
}

fn not_found(model: &Model, id: &str) -> PipelineError {
    let names: Vec<String> = model
        .vms
        .iter()
        .map(|v| v.id.id.clone())
        .chain(model.classic_vms.iter().map(|v| v.id.id.clone()))
        .collect();
    PipelineError::VmNotFound {
        id: id.to_string(),
        count: names.len(),
        sample: if names.is_empty() {
            "none".into()
        } else {
            names.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                + if names.len() > 5 { ", …" } else { "" }
        },
    }
}

/// The VMs `--guest` inspects, and why the others in scope are not inspected.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct GuestPlan {
    /// VM resource ids to run the script in.
    pub(crate) run: Vec<String>,
    /// (VM resource id, why not): these VMs get guest facts with that `error` (RDP506).
    pub(crate) skipped: Vec<(String, String)>,
}

/// Running Windows VMs whose agent is Ready (or not reported: Run Command then says) are
/// inspected; the rest are skipped with the reason. Classic VMs have no Run Command.
pub(crate) fn guest_plan(model: &Model, scope: &Scope) -> GuestPlan {
    let mut plan = GuestPlan::default();
    for vm in model.vms.iter().filter(|v| scope.includes(&v.id)) {
        if vm.os != OsType::Windows {
            continue;
        }
        let id = vm.id.id.clone();
        match (&vm.power, vm.agent) {
            (PowerState::Running, AgentState::NotReady) => plan.skipped.push((
                id,
                format!(
                    "the VM agent is {} (Run Command needs a Ready agent)",
                    vm.agent_status.as_deref().unwrap_or("not Ready")
                ),
            )),
            (PowerState::Running, _) => plan.run.push(id),
            (PowerState::Unknown, _) => plan.skipped.push((
                id,
                "the VM's power state is not in the data, so Run Command was not tried".into(),
            )),
            (state, _) => plan
                .skipped
                .push((id, format!("the VM is not running ({})", state.as_str()))),
        }
    }
    for vm in model.classic_vms.iter().filter(|v| scope.includes(&v.id)) {
        if vm.os == OsType::Windows {
            plan.skipped
                .push((vm.id.id.clone(), "classic VMs have no Run Command".into()));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TcpOutcome, TcpProbe};

    const DEMO: &str = include_str!("../mocks/demo/demo-subscription.json");

    /// An audit of every VM of the demo with its guest facts.
    fn whole<'m>(model: &'m Model, snap: &crate::snapshot::Snapshot<'_>) -> Audit<'m> {
        let observations = Observations::new(snap.guest.clone());
        Audit::new(model, Options::default(), observations, &Scope::All).expect("every VM")
    }

    #[test]
    fn the_probe_plan_comes_from_the_topology_and_the_results_reach_the_report() {
        let snap = crate::snapshot::parse(DEMO).expect("demo parses");
        let model = build_model(&snap.resources);
        let audit = || whole(&model, &snap);
        let plan = audit().probe_plan();
        assert!(!plan.endpoints.is_empty() && !plan.names.is_empty());
        assert!(
            plan.endpoints.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        let open = TcpProbe {
            outcome: TcpOutcome::Open,
            detail: None,
            millis: 7,
        };
        let probes = Probes {
            tcp: plan.endpoints.iter().map(|e| (*e, open.clone())).collect(),
            dns: HashMap::new(),
        };
        let before = audit().report(&[], CategoryFilter::All);
        let report = audit().with_probes(probes).report(&[], CategoryFilter::All);
        let targets: BTreeSet<String> = report
            .vms
            .iter()
            .flat_map(|v| v.rdp.paths.iter())
            .filter_map(|p| p.probe.as_ref().map(|t| t.target.clone()))
            .collect();
        let planned: BTreeSet<String> = plan.endpoints.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            targets, planned,
            "every planned endpoint, and only those, is probed"
        );
        assert!(before
            .vms
            .iter()
            .flat_map(|v| v.rdp.paths.iter())
            .all(|p| p.probe.is_none()));
    }

    #[test]
    fn is_exposed_answers_as_the_exposed_set_would() {
        let snap = crate::snapshot::parse(DEMO).expect("demo parses");
        let model = build_model(&snap.resources);
        let (opts, observations) = (Options::default(), Observations::new(snap.guest.clone()));
        let evaluator = Evaluator::new(&model, &opts, &observations);
        let builder = Builder::sharing(&model, opts.port, &observations, Indexes::new(&model));
        let analyses: Vec<VmAnalysis<'_>> = (builder.each(&VmRef::every(&model)).into_iter())
            .map(|t| evaluator.vm(t))
            .collect();
        let paths: Vec<_> = analyses.iter().flat_map(|a| a.paths.iter()).collect();
        for p in &paths {
            assert_eq!(p.is_exposed(), !p.exposed().is_empty(), "{:?}", p.kind);
        }
        for a in &analyses {
            assert_eq!(a.is_exposed(), !a.exposed().is_empty(), "{}", a.name);
        }
        // A path that reaches but does not count: not direct, blocked by its configuration, or
        // with facts the data does not show.
        let open = (paths.iter().find(|p| p.is_exposed())).expect("an exposed path in the demo");
        let unknown = crate::engine::types::Unknown::NatFrontendMissing {
            rule: "nat".into(),
            lb: "lb".into(),
        };
        let block = crate::engine::types::Block {
            reason: crate::engine::BlockReason::NatRuleUnbound {
                rule: "nat".into(),
                lb: "lb".into(),
            },
            resource: "lb".into(),
            while_stopped_only: false,
        };
        let (mut bastion, mut unsure, mut blocked) =
            ((*open).clone(), (*open).clone(), (*open).clone());
        bastion.path.kind = crate::engine::PathKind::Bastion;
        unsure.path.unknowns.push(unknown);
        blocked.path.blocks.push(block);
        for p in [bastion, unsure, blocked] {
            assert!(!p.internet.reachable.is_empty());
            assert!(!p.is_exposed() && p.exposed().is_empty(), "{:?}", p.kind);
        }
    }

    #[test]
    fn an_unknown_vm_is_an_error_naming_some_of_the_data() {
        let model = build_model(&[]);
        let scope = Scope::Vm(
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope"
                .into(),
        );
        let err = Audit::new(&model, Options::default(), Observations::default(), &scope)
            .err()
            .expect("not found");
        assert!(matches!(err, PipelineError::VmNotFound { count: 0, .. }));
    }

    /// A stop set before judging gives nothing (no partial report can be taken for a whole
    /// one); unset, the judgment is [`Audit::judged`]'s.
    #[test]
    fn judging_gives_nothing_once_stopped_and_the_whole_report_otherwise() {
        let snap = crate::snapshot::parse(DEMO).expect("demo parses");
        let model = build_model(&snap.resources);
        let audit = || whole(&model, &snap).with_batch(1);
        let json = |j: Judged| serde_json::to_string(&j.report(&model, &[])).expect("serialises");
        let stop = AtomicBool::new(true);
        assert!(audit().judged_unless(CategoryFilter::All, &stop).is_none());
        stop.store(false, Ordering::Relaxed);
        let judged = audit().judged_unless(CategoryFilter::All, &stop);
        let whole = json(audit().judged(CategoryFilter::All));
        assert_eq!(judged.map(json), Some(whole));
    }

    /// Every VM's findings as rule, message, resource and whether suppressed, in order.
    fn findings_of(audit: Audit<'_>) -> Vec<Vec<(&'static str, String, String, bool)>> {
        let parts = audit.judge(|audited, _| {
            (audited.iter())
                .map(|a| {
                    (a.findings.iter())
                        .map(|f| {
                            (
                                f.rule.id,
                                f.message.clone(),
                                f.resource_id.id.to_string(),
                                f.suppressed,
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        });
        parts.into_iter().flatten().collect()
    }

    /// A findings-only audit leaves the advice out, and keeps the very findings of the whole
    /// one: on the demo and on generated estates (with and without hubs, where two-hop
    /// findings name stepping stones).
    #[test]
    fn findings_without_their_advice_are_the_findings_with_it() {
        let generated = |hub_spoke| {
            mock_arm::generate::generate(&mock_arm::generate::GenerateOptions {
                vms: 300,
                seed: 5,
                subscriptions: 2,
                hub_spoke,
            })
            .to_string()
        };
        for text in [DEMO.to_string(), generated(false), generated(true)] {
            let snap = crate::snapshot::parse(&text).expect("parses");
            let model = build_model(&snap.resources);
            let full = findings_of(whole(&model, &snap));
            let brief = findings_of(whole(&model, &snap).findings_only());
            assert!(full.iter().map(Vec::len).sum::<usize>() > 0);
            assert_eq!(brief, full);
        }
    }

    #[test]
    fn batches_keep_every_east_west_edge_inside_one_batch_and_the_report_unchanged() {
        let snap = crate::snapshot::parse(DEMO).expect("demo parses");
        let model = build_model(&snap.resources);
        let audit = || whole(&model, &snap);
        let vms = audit().vms;
        let batches = crate::engine::lateral::batches::batches(&model, &vms, 1);
        assert!(batches.len() > 1, "the demo's VNets are not all joined");
        let mut batch_of = vec![usize::MAX; vms.len()];
        for (b, group) in batches.iter().enumerate() {
            for &i in group {
                batch_of[i] = b;
            }
        }
        assert!(
            batch_of.iter().all(|&b| b != usize::MAX),
            "every VM in a batch"
        );
        let (opts, observations) = (Options::default(), Observations::new(snap.guest.clone()));
        let evaluator = Evaluator::new(&model, &opts, &observations);
        let builder = Builder::sharing(&model, opts.port, &observations, Indexes::new(&model));
        let analyses: Vec<VmAnalysis<'_>> = builder
            .each(&vms)
            .into_iter()
            .map(|t| evaluator.vm(t))
            .collect();
        let lateral =
            crate::engine::lateral::analyse(&model, &analyses, true, evaluator.asg_members());
        let edges: Vec<(usize, usize)> = (lateral.vms.iter().enumerate())
            .flat_map(|(to, l)| l.edges.iter().map(move |e| (e.from, to)))
            .collect();
        let across = |&(from, to): &(usize, usize)| {
            let vnet = |i: usize| analyses[i].place.map(|(v, _)| v.id.key());
            vnet(from) != vnet(to)
        };
        assert!(edges.iter().any(across), "the demo has edges across VNets");
        for (from, to) in edges {
            assert_eq!(batch_of[from], batch_of[to], "edge {from} → {to} cut");
        }
        let json = |batch: usize| {
            let report = audit().with_batch(batch).report(&[], CategoryFilter::All);
            serde_json::to_string(&report).expect("serialises")
        };
        let whole = json(0);
        assert_eq!(json(1), whole);
        assert_eq!(json(2), whole);
    }
}
