//! What `audit` and `check` share: read the data (live or offline, with `--guest`), run the
//! pipeline on the VMs asked about (with `--probe`), apply suppressions, print the chosen format,
//! and say how the run ended. They differ only in what they look at and in their table.

use std::collections::HashMap;

use crate::cli::args::{EvalArgs, Format, InputArgs, OutputArgs, ScopeArgs};
use crate::cli::output::{self, SnapshotParts};
use crate::cli::{input, inspect, live, CliError, ExitStatus};
use crate::engine::Observations;
use crate::model::{Diagnostic, GuestFacts, Model};
use crate::pipeline::{self, Scope};
use crate::report::{self, Report};
use crate::snapshot;

/// What a command looks at.
#[derive(Clone, Copy)]
pub(super) enum Subject<'a> {
    /// `audit`: every Windows VM in scope.
    Scope(&'a ScopeArgs),
    /// `check`: one VM by resource id.
    Vm(&'a str),
}

impl<'a> Subject<'a> {
    fn target(self) -> live::Target<'a> {
        match self {
            Subject::Scope(s) => live::Target::Scope(s),
            Subject::Vm(id) => live::Target::Vm(id),
        }
    }

    fn scope_args(self) -> Option<&'a ScopeArgs> {
        match self {
            Subject::Scope(s) => Some(s),
            Subject::Vm(_) => None,
        }
    }

    fn scope(self) -> Scope {
        match self {
            Subject::Scope(_) => Scope::All,
            Subject::Vm(id) => Scope::Vm(id.to_string()),
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
}

/// Runs `audit` or `check`: everything but their table.
pub(super) fn assess(
    flags: Flags<'_>,
    subject: Subject<'_>,
    table: TableFn,
) -> Result<ExitStatus, CliError> {
    let Flags { input, eval, out } = flags;
    let suppressions = input::suppressions(out.suppress.as_deref())?;
    let baseline = input::baseline(out.baseline.as_deref())?;
    let framework = input::framework(out.framework.as_deref())?;
    let lateral = Lateral {
        full: eval.lateral,
        from: None,
    };
    let (mut report, filter) = assess_report(input, eval, subject, out.quiet, lateral)?;
    finish(
        &mut report,
        suppressions.as_ref(),
        baseline.as_ref(),
        framework,
        filter,
    );
    if !out.quiet {
        output::print(&render(&report, out, table));
    }
    Ok(ExitStatus::of_report(&report, out.fail_on, out.fail_on_new))
}

/// The east-west analysis a command asks for.
#[derive(Clone, Copy, Default)]
pub(super) struct Lateral<'a> {
    /// `--lateral` (or a command that needs every edge).
    pub(super) full: bool,
    /// `check --from`: the one source to trace (a VM id or name, or a CIDR).
    pub(super) from: Option<&'a str>,
}

/// Suppressions, the baseline diff and the compliance summary, in that order.
pub(super) fn finish(
    report: &mut Report,
    suppressions: Option<&report::suppress::Suppressions>,
    baseline: Option<&report::baseline::Baseline>,
    framework: Option<&'static crate::rules::compliance::Framework>,
    filter: report::CategoryFilter,
) {
    if let Some(s) = suppressions {
        let now = live::now_rfc3339();
        let today = now.get(..10).unwrap_or_default();
        let notices = s.apply(report, today);
        report.diagnostics.extend(notices);
    }
    if let Some(b) = baseline {
        report::baseline::apply(report, b);
    }
    if let Some(fw) = framework {
        report.compliance = Some(report::compliance::summarize(report, fw, filter));
    }
}

/// Reads the data and runs the pipeline: the report before suppressions and baselines.
pub(super) fn assess_report(
    input: &InputArgs,
    eval: &EvalArgs,
    subject: Subject<'_>,
    quiet: bool,
    lateral: Lateral<'_>,
) -> Result<(Report, report::CategoryFilter), CliError> {
    input::check_live_only_flags(input, subject.scope_args(), eval)?;
    let (opts, filter) = input::options(eval)?;
    let what = subject.scope();
    let Data {
        model,
        guest,
        diagnostics,
    } = if input::is_live(input) {
        live_data(input, eval, subject, &what, quiet)?
    } else {
        offline_data(input)?
    };
    // Pipeline: topology once; the probe plan comes from it; then evaluation and the report.
    let mut audit = pipeline::Audit::new(&model, opts, Observations::new(guest), &what)?;
    if eval.probe {
        let plan = audit.probe_plan();
        let concurrency = usize::from(input.concurrency);
        audit = audit.with_probes(inspect::probes(&plan, eval.probe_timeout, concurrency)?);
    }
    let audit = audit
        .with_lateral(lateral.full)
        .with_trace_from(lateral.from.map(str::to_string));
    Ok((audit.report(&diagnostics, filter), filter))
}

/// What was read: the model (immutable from here on), the guest facts observed next to it, and
/// what could not be read.
struct Data {
    model: Model,
    guest: HashMap<String, GuestFacts>,
    diagnostics: Vec<Diagnostic>,
}

/// Reads live Azure (and the guests, with `--guest`); `--save-snapshot` writes what was read.
fn live_data(
    input: &InputArgs,
    eval: &EvalArgs,
    subject: Subject<'_>,
    what: &Scope,
    quiet: bool,
) -> Result<Data, CliError> {
    let session = live::Session::open(input)?.quiet(quiet);
    let collected = session.collect(input, subject.target())?;
    let refs = collected.resource_refs();
    let mut diagnostics = collected.diagnostics.clone();
    // Pipeline: the model, then the guest facts `--guest` observes beside it.
    let model = pipeline::build_model(&refs);
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
        };
        output::write_snapshot(path, parts)?;
    }
    Ok(Data {
        model,
        guest,
        diagnostics,
    })
}

/// Reads `--demo` or `--snapshot`; `--save-snapshot` writes it again.
fn offline_data(input: &InputArgs) -> Result<Data, CliError> {
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
        };
        output::write_snapshot(path, parts)?;
    }
    // Pipeline: the model; the guest facts the snapshot carries are observations beside it.
    Ok(Data {
        model: pipeline::build_model(&snap.resources),
        guest: snap.guest,
        diagnostics: snap.diagnostics,
    })
}

fn render(report: &Report, out: &OutputArgs, table: TableFn) -> String {
    match out.output {
        Format::Table => table(report, output::use_color(out.color)),
        Format::Json => report::json::render(report),
        Format::Csv => report::csv::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Html => report::html::render(report),
    }
}
