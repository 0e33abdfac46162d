//! What `audit` and `check` share: read the data (live or offline, with `--guest`), run the
//! pipeline on the VMs asked about (with `--probe`), apply suppressions, print the chosen format,
//! and say how the run ended. They differ only in what they look at and in their table.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::args::{EvalArgs, Format, InputArgs, OutputArgs, ScopeArgs, VmArgs};
use crate::cli::output::{self, SnapshotParts};
use crate::cli::{input, inspect, live, CliError, ExitStatus};
use crate::engine::lateral::SearchReach;
use crate::engine::{Observations, Options};
use crate::model::{Diagnostic, GuestFacts, Model};
use crate::pipeline::{self, Scope};
use crate::remedy;
use crate::report::{self, CategoryFilter, Report};
use crate::snapshot;

/// What a command looks at.
#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    /// `audit`: every Windows VM in scope.
    Scope(&'a ScopeArgs),
    /// `check`, `fix`: one VM by resource id, or by `-g RG -n NAME`.
    Vm(&'a VmArgs),
}

impl<'a> Subject<'a> {
    fn target(self) -> Result<live::Target<'a>, CliError> {
        match self {
            Subject::Scope(s) => Ok(live::Target::Scope(s)),
            Subject::Vm(VmArgs {
                vm_resource_id: Some(id),
                ..
            }) => Ok(live::Target::Vm(id)),
            Subject::Vm(VmArgs {
                group: Some(group),
                name: Some(name),
                subscription,
                ..
            }) => Ok(live::Target::VmNamed {
                subscription: subscription.as_deref(),
                group,
                name,
            }),
            Subject::Vm(_) => Err(CliError::BadArgs(
                "live runs need the VM's full resource id, or -g RG -n NAME".into(),
            )),
        }
    }

    /// A live run of this subject reads only what its scope references (one VM, resource
    /// groups), not the subscription.
    fn reads_only_its_scope(self) -> bool {
        match self {
            Subject::Vm(_) => true,
            Subject::Scope(s) => !s.resource_groups.is_empty(),
        }
    }

    fn scope_args(self) -> Option<&'a ScopeArgs> {
        match self {
            Subject::Scope(s) => Some(s),
            Subject::Vm(_) => None,
        }
    }

    /// What to audit; `-g RG -n NAME` is looked up in the model (case-insensitively).
    fn scope(self, model: &Model) -> Result<Scope, CliError> {
        match self {
            Subject::Scope(s) => crate::cli::filter::scope(s, model),
            Subject::Vm(v) => match (&v.vm_resource_id, &v.group, &v.name) {
                (Some(id), _, _) => Ok(Scope::Vm(id.to_string())),
                (None, group, Some(name)) => {
                    let ids = model.vm_ids_named(group.as_deref(), name);
                    match ids.as_slice() {
                        [one] => Ok(Scope::Vm(one.clone())),
                        [] => Err(CliError::BadArgs(format!(
                            "no VM named {name}{} in the data",
                            group
                                .as_deref()
                                .map(|g| format!(" in resource group {g}"))
                                .unwrap_or_default()
                        ))),
                        many => Err(CliError::BadArgs(format!(
                            "{} VMs are named {name}; add -g RG or give the full id: {}",
                            many.len(),
                            many.join(", ")
                        ))),
                    }
                }
                (None, _, None) => Err(CliError::BadArgs(
                    "name the VM: its id, or -g RG -n NAME".into(),
                )),
            },
        }
    }
}

/// The command's `-o table` renderer: the report and whether to colour it.
pub(super) type TableFn = fn(&Report, bool) -> String;

/// The flags `audit` and `check` share.
pub(super) struct Flags<'a> {
    pub(crate) input: &'a InputArgs,
    pub(crate) eval: &'a EvalArgs,
    pub(crate) out: &'a OutputArgs,
    /// The caller needs the raw resources back (`fix --apply-to-snapshot`), even when no fix is
    /// proven; otherwise they are kept only as long as proofs need them.
    pub(crate) keep_raw: bool,
}

/// Runs `audit` or `check`: everything but their table.
pub(super) fn assess(
    flags: Flags<'_>,
    subject: Subject<'_>,
    table: TableFn,
) -> Result<ExitStatus, CliError> {
    let out = flags.out;
    let lateral = Lateral {
        full: flags.eval.lateral,
        from: None,
    };
    let Assessed { report, .. } = prepare(flags, subject, lateral)?;
    if !out.quiet {
        output::print(&render(&report, out, table));
    }
    let status = ExitStatus::of_report(&report, out.fail_on, out.fail_on_new);
    leave_to_exit(report);
    Ok(status)
}

/// The report, its fixes proven, and the data it was made from (`rdpaudit fix` patches it).
pub(super) struct Assessed {
    pub(super) report: Report,
    pub(super) resources: Vec<Box<serde_json::value::RawValue>>,
    pub(super) guest: HashMap<String, GuestFacts>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) meta: Meta,
}

/// What a snapshot written again keeps of the data's origin.
pub(super) struct Meta {
    pub(super) cloud: String,
    pub(super) collected_at: Option<String>,
    pub(super) subscriptions: Vec<crate::snapshot::Subscription>,
    /// The `securityAdminRules` section, as read.
    pub(super) security_admin_rules: Option<Box<serde_json::value::RawValue>>,
}

impl Meta {
    /// What a snapshot says about its data (no `cloud`: the public cloud).
    fn of(snap: &snapshot::Snapshot<'_>) -> Meta {
        Meta {
            cloud: snap.cloud.clone().unwrap_or_else(|| "public".into()),
            collected_at: snap.collected_at.clone(),
            subscriptions: snap.subscriptions.clone(),
            security_admin_rules: snap.security_admin_rules.map(|a| a.to_owned()),
        }
    }
}

/// The east-west analysis a command asks for.
#[derive(Clone, Copy, Default)]
pub(super) struct Lateral<'a> {
    /// `--lateral` (or a command that needs every edge).
    pub(super) full: bool,
    /// `check --from`: the one source to trace (a VM id or name, or a CIDR).
    pub(super) from: Option<&'a str>,
}

/// Reads the data, audits, proves the fixes, applies suppressions, baseline and framework.
pub(super) fn prepare(
    flags: Flags<'_>,
    subject: Subject<'_>,
    lateral: Lateral<'_>,
) -> Result<Assessed, CliError> {
    let Flags {
        input,
        eval,
        out,
        keep_raw,
    } = flags;
    // `--summary` prints no fix: nothing to prove, and no raw resource to keep for proofs.
    let proving = !(out.summary && out.output == Format::Table);
    input::check_live_only_flags(input, subject.scope_args(), eval)?;
    if let Subject::Vm(VmArgs {
        subscription: Some(_),
        ..
    }) = subject
    {
        if !input::is_live(input) {
            return Err(CliError::BadArgs(
                "--subscription selects live data; it cannot be used with --snapshot or --demo"
                    .into(),
            ));
        }
    }
    let (opts, filter) = input::options(eval)?;
    crate::cli::filter::rules(&out.rules)?;
    let suppressions = input::suppressions(out.suppress.as_deref())?;
    let baseline = input::baseline(out.baseline.as_deref())?;
    let framework = input::framework(out.framework.as_deref())?;
    let judging = Judging {
        input,
        eval,
        subject,
        lateral,
        options: &opts,
        filter,
        // The summary table reads findings and verdicts; only a baseline's changes read paths.
        detail: proving || baseline.is_some(),
    };
    let started = std::time::Instant::now();
    let Data {
        model,
        guest,
        diagnostics,
        resources,
        read,
        meta,
        judged,
    } = if input::is_live(input) {
        live_data(input, judging, out.quiet, proving || keep_raw)?
    } else {
        offline_data(input, proving || keep_raw)?
    };
    tracing::info!(elapsed_ms = started.elapsed().as_millis(), "model built");
    let mut diagnostics = diagnostics;
    if read == 0 {
        // An empty collection (wrong scope, no permission) must not look like a clean estate.
        diagnostics.push(Diagnostic {
            code: Some("NothingRead".into()),
            ..Diagnostic::error(
                "data",
                "nothing was read: the data holds no resources (check the scope and the \
                 identity's Reader role)",
            )
        });
    }
    let guest_copy = guest.clone();
    let clock = std::time::Instant::now();
    let judged = match judged {
        Some(early) => early?,
        None => judging.judge(&model, guest)?,
    };
    let mut report = judged.report(&model, &diagnostics);
    tracing::info!(elapsed_ms = clock.elapsed().as_millis(), "audit judged");
    // Every typed fix is proven on a patched copy before it is printed (remedy).
    let refs: Vec<&serde_json::value::RawValue> = resources.iter().map(|r| r.as_ref()).collect();
    let estate = remedy::Estate {
        resources: &refs,
        model: &model,
        guest: &guest_copy,
        options: &opts,
    };
    report::keep_rules(&mut report, &out.rules);
    if proving {
        remedy::prove(&mut report, &estate);
    }
    report::fix::finish(&mut report, out.fix_format.into());
    if let Some(s) = &suppressions {
        let now = live::now_rfc3339();
        let today = now.get(..10).unwrap_or_default();
        let notices = s.apply(&mut report, today);
        report.diagnostics.extend(notices);
    }
    if let Some(b) = &baseline {
        report::baseline::apply(&mut report, b);
    }
    if let Some(fw) = framework {
        report.compliance = Some(report::compliance::summarize(&report, fw, filter));
    }
    free_aside(model);
    Ok(Assessed {
        report,
        resources,
        guest: guest_copy,
        diagnostics,
        meta,
    })
}

/// Frees `value` on a thread of its own while the report is printed: freeing the model of a
/// 10,000-VM estate took as long as rendering its summary. The process may exit first; the
/// system takes the memory back then.
fn free_aside<T: Send + 'static>(value: T) {
    // If no thread can be started, the closure and `value` are freed here.
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(value));
}

/// Leaves `value` to the process's exit, which takes its memory back whole: for what is done
/// with only when the command ends (the report once printed, the HTTP runtime, the emptied
/// collection). Freeing them on threads of their own, or shutting the runtime's workers and
/// connections down, took a core from printing: the live 10,000-VM audit ≈ 10 ms faster
/// without (docs/performance.md). Nothing large is allocated after these, so the peak is the
/// same; the model and the raw resources are still freed aside, since judging or rendering
/// may follow.
fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// How the VMs are judged: everything the audit needs but the data.
#[derive(Clone, Copy)]
struct Judging<'a> {
    input: &'a InputArgs,
    eval: &'a EvalArgs,
    subject: Subject<'a>,
    lateral: Lateral<'a>,
    options: &'a Options,
    filter: CategoryFilter,
    /// Each VM's paths and each finding's fix in the report, not only verdicts and findings.
    detail: bool,
}

impl Judging<'_> {
    /// Judges the VMs asked about in `model`. Pipeline: topology once; the probe plan comes
    /// from it; then evaluation and the report's parts.
    fn judge(
        &self,
        model: &Model,
        guest: HashMap<String, GuestFacts>,
    ) -> Result<pipeline::Judged, CliError> {
        Ok(self.audit(model, guest)?.judged(self.filter))
    }

    /// [`Judging::judge`], given up between two batches once `stop` is set (`Ok(None)`).
    fn judge_unless(
        &self,
        model: &Model,
        guest: HashMap<String, GuestFacts>,
        stop: &AtomicBool,
    ) -> Result<Option<pipeline::Judged>, CliError> {
        Ok(self.audit(model, guest)?.judged_unless(self.filter, stop))
    }

    /// The audit of the VMs asked about in `model`, with what the command asks for.
    fn audit<'m>(
        &self,
        model: &'m Model,
        guest: HashMap<String, GuestFacts>,
    ) -> Result<pipeline::Audit<'m>, CliError> {
        let (input, eval, lateral) = (self.input, self.eval, self.lateral);
        let what = self.subject.scope(model)?;
        let observations = Observations::new(guest);
        let mut audit = pipeline::Audit::new(model, self.options.clone(), observations, &what)?;
        if eval.probe {
            let plan = audit.probe_plan();
            let concurrency = usize::from(input.concurrency);
            audit = audit.with_probes(inspect::probes(&plan, eval.probe_timeout, concurrency)?);
        }
        // A filtered audit still looks for stepping stones among every VM of the data; a scoped
        // live run read only its scope, and says so (docs/decisions.md D47).
        let reach = if input::is_live(input) && self.subject.reads_only_its_scope() {
            SearchReach::CollectedScope
        } else {
            SearchReach::Data
        };
        let audit = audit
            .with_lateral(lateral.full)
            .with_all_stones(matches!(what, Scope::Keys(_)))
            .with_reach(reach)
            .with_trace_from(lateral.from.map(str::to_string))
            .with_batch(eval.batch_vms);
        Ok(match self.detail {
            true => audit,
            false => audit.findings_only(),
        })
    }

    /// Whether a live run may judge before its last admin-rule answers: only when nothing the
    /// judging reads comes later (guest facts, probes) and the subject is a scope (one VM's
    /// check is a few round trips).
    fn may_start_early(&self) -> bool {
        !self.eval.probe && !self.eval.guest.guest && matches!(self.subject, Subject::Scope(_))
    }
}

/// What was read: the model (immutable from here on), the guest facts observed next to it, and
/// what could not be read.
struct Data {
    model: Model,
    guest: HashMap<String, GuestFacts>,
    diagnostics: Vec<Diagnostic>,
    /// The raw resources the model was built from (fixes are proven on a patched copy), when
    /// they are needed; otherwise empty (about the file's size saved).
    resources: Vec<Box<serde_json::value::RawValue>>,
    /// How many resources were read.
    read: usize,
    meta: Meta,
    /// The VMs already judged on this model, while the last admin-rule answers arrived.
    judged: Option<Result<pipeline::Judged, CliError>>,
}

/// Reads live Azure (and the guests, with `--guest`); `--save-snapshot` writes what was read.
fn live_data(
    input: &InputArgs,
    judging: Judging<'_>,
    quiet: bool,
    need_raw: bool,
) -> Result<Data, CliError> {
    let (eval, subject) = (judging.eval, judging.subject);
    let target = subject.target()?;
    let session = live::Session::open(input)?.quiet(quiet);
    // Pipeline: the model (mostly built while the pages arrived), then the guest facts
    // `--guest` observes beside it. When nothing else is awaited, the VMs are judged on a
    // thread while the last admin-rule answers arrive, on the model those answers make if they
    // are empty lists (the answers already in as they are); kept only if they were.
    let stop = AtomicBool::new(false);
    let (mut collected, early) = std::thread::scope(|s| {
        if !judging.may_start_early() {
            return session
                .collect(input, target, true, None)
                .map(|c| (c, None));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel::<Model>(1);
        let stop = &stop;
        let thread = s.spawn(move || {
            let model = rx.recv().ok()?;
            // The model goes back either way: freeing it here would hold up the join.
            let judged = judging
                .judge_unless(&model, HashMap::new(), stop)
                .transpose();
            match judged {
                Some(_) => tracing::debug!("judged before the admin-rule answers"),
                None => tracing::debug!("early judging stopped: the admin rules differ"),
            }
            Some((model, judged))
        });
        let collected = session.collect(input, target, true, Some(tx));
        // The answers proved the early model wrong: its judging stops at the next batch and
        // leaves both cores to the right one.
        if !collected.as_ref().is_ok_and(|c| c.speculation_held()) {
            stop.store(true, Ordering::Relaxed);
        }
        let early = thread.join().ok().flatten();
        collected.map(|c| (c, early))
    })?;
    let (model, judged) = match early {
        Some((model, Some(judged))) if collected.speculation_held() => {
            tracing::debug!("the admin rules were as expected: the VMs judged early stand");
            free_aside(collected.drop_model());
            (model, Some(judged))
        }
        Some((model, _)) => {
            tracing::debug!("the admin rules changed the model: judging again");
            free_aside(model);
            (collected.model(), None)
        }
        None => (collected.model(), None),
    };
    let refs = collected.resource_refs();
    let mut diagnostics = collected.diagnostics.clone();
    let admin = collected.security_admin_rules.as_deref();
    let what = subject.scope(&model)?;
    let what = &what;
    let mut guest = HashMap::new();
    if eval.guest.guest {
        let timeout = eval.guest.guest_timeout;
        guest = inspect::guests(&session, &model, what, timeout, &mut diagnostics);
    }
    if let Some(path) = &input.save_snapshot {
        let parts = SnapshotParts {
            cloud: session.cloud(),
            collected_at: None,
            subscriptions: &collected.subscriptions,
            resources: &refs,
            guest: &guest,
            diagnostics: &diagnostics,
            security_admin_rules: admin,
        };
        output::write_snapshot(path, parts)?;
    }
    let read = refs.len();
    let meta = Meta {
        cloud: session.cloud().to_string(),
        collected_at: None,
        subscriptions: collected.subscriptions.clone(),
        security_admin_rules: admin.map(|a| a.to_owned()),
    };
    drop(refs);
    // Moved, not copied: collection is done with them. What is not kept (30,000 resources at
    // 10,000 VMs) is freed on a thread of its own.
    let resources = std::mem::take(&mut collected.resources);
    let resources = match need_raw {
        true => resources,
        false => {
            free_aside(resources);
            Vec::new()
        }
    };
    leave_to_exit(collected);
    // Shutting the HTTP runtime down (its workers, 64 idle connections) took ≈ 13 ms here,
    // and ≈ 10 ms of a core on a thread of its own while the report was printed.
    leave_to_exit(session);
    Ok(Data {
        model,
        guest,
        diagnostics,
        resources,
        read,
        meta,
        judged,
    })
}

/// Reads `--demo` or `--snapshot`; `--save-snapshot` writes it again.
fn offline_data(input: &InputArgs, need_raw: bool) -> Result<Data, CliError> {
    if input.save_snapshot.is_none() {
        if let Some(data) = streamed_data(input, need_raw)? {
            return Ok(data);
        }
    }
    let bytes = input::read_input(input)?;
    let text = snapshot::as_text(&bytes)?;
    let snap = snapshot::parse(text)?;
    tracing::info!(resources = snap.resources.len(), "snapshot read");
    if let Some(path) = &input.save_snapshot {
        let parts = SnapshotParts {
            cloud: snap.cloud.as_deref().unwrap_or("public"),
            collected_at: snap.collected_at.as_deref(),
            subscriptions: &snap.subscriptions,
            resources: &snap.resources,
            guest: &snap.guest,
            diagnostics: &snap.diagnostics,
            security_admin_rules: snap.security_admin_rules,
        };
        output::write_snapshot(path, parts)?;
    }
    // Pipeline: the model; the guest facts the snapshot carries are observations beside it.
    let meta = Meta::of(&snap);
    Ok(Data {
        model: pipeline::build_model_with(&snap.resources, snap.security_admin_rules),
        guest: snap.guest,
        diagnostics: snap.diagnostics,
        resources: match need_raw {
            true => snap.resources.iter().map(|r| (*r).to_owned()).collect(),
            false => Vec::new(),
        },
        read: snap.resources.len(),
        meta,
        judged: None,
    })
}

/// A snapshot file read in blocks into the model, the file never whole in memory; with
/// `need_raw` (proofs), each resource is kept as its own copy, as the whole read keeps them.
/// `None`: not a file, or not the common shape (`snapshot::stream`); the caller reads it
/// whole, which reports any error.
fn streamed_data(input: &InputArgs, need_raw: bool) -> Result<Option<Data>, CliError> {
    let Some(path) = input.snapshot.as_ref().filter(|p| p.as_os_str() != "-") else {
        return Ok(None);
    };
    if input.demo {
        return Ok(None);
    }
    let read_err = |source| CliError::Read {
        what: "snapshot",
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut building = crate::model::Background::new(crate::model::Building::default());
    let mut resources: Vec<Box<serde_json::value::RawValue>> = Vec::new();
    let block = |texts: crate::model::Texts| {
        if need_raw {
            // Proofs patch each resource's own copy, as the whole read keeps them: a copy is
            // checked as it is made (`Break` if it is not JSON, as the model would find).
            for &(a, b) in &texts.spans {
                let raw = texts
                    .bytes
                    .get(a..b)
                    .and_then(|t| std::str::from_utf8(t).ok())
                    .and_then(|t| serde_json::value::RawValue::from_string(t.to_owned()).ok());
                match raw {
                    Some(raw) => resources.push(raw),
                    None => return std::ops::ControlFlow::Break(()),
                }
            }
        }
        building.add_texts(texts)
    };
    let Some(rest) = snapshot::stream::read(file, block).map_err(read_err)? else {
        return Ok(None);
    };
    let Ok(building) = building.finish() else {
        return Ok(None);
    };
    let snap = rest.snapshot()?;
    tracing::info!(resources = rest.resources, "snapshot read in blocks");
    let meta = Meta::of(&snap);
    Ok(Some(Data {
        model: building.finish(snap.security_admin_rules),
        guest: snap.guest,
        diagnostics: snap.diagnostics,
        resources,
        read: rest.resources,
        meta,
        judged: None,
    }))
}

fn render(report: &Report, out: &OutputArgs, table: TableFn) -> String {
    match out.output {
        Format::Table if out.summary => {
            report::table::render_summary(report, output::use_color(out.color))
        }
        Format::Table => table(report, output::use_color(out.color)),
        Format::Json => report::json::render(report),
        Format::Csv => report::csv::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Html => report::html::render(report),
        Format::Tsv => report::tsv::render(report),
    }
}
