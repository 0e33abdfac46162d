//! The shell: parses arguments, reads input, prints, and maps the outcome to an exit code.
//! The only module that prints or exits.

pub mod args;
mod check;
mod info;
mod live;

use clap::Parser;
use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};

use crate::model::GuestFacts;

use crate::engine::analyze::Client;
use crate::engine::Options;
use crate::pipeline::{self, Scope};
use crate::report::{self, CategoryFilter, Report};
use crate::rules::{Category, Severity};
use crate::snapshot;
use args::*;

/// The demo subscription (mocks/demo), compiled in so `audit --demo` needs nothing else.
pub const DEMO: &str = include_str!("../../mocks/demo/demo-subscription.json");

/// Exit codes (product.md §2).
pub mod exit {
    pub const CLEAN: i32 = 0;
    pub const FINDINGS: i32 = 1;
    pub const ERROR: i32 = 2;
    pub const INCOMPLETE: i32 = 3;
}

/// A failure that stops the run: printed as one message, exit 2.
#[derive(Debug)]
pub struct Fatal(pub String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

/// Entry point: returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::CLEAN
            };
        }
    };
    let verbosity = match &cli.command {
        Command::Audit(a) => a.output.verbose,
        Command::Check(c) => c.output.verbose,
        Command::Collect(c) => c.verbose,
        _ => 0,
    };
    init_logging(verbosity);
    let result = match cli.command {
        Command::Audit(a) => audit(&a.input, &a.eval, &a.output, &a.scope, Scope::All),
        Command::Check(c) => {
            let scope = Scope::Vm(c.vm_resource_id.clone());
            audit(
                &c.input,
                &c.eval,
                &c.output,
                &ScopeArgs::default_scope(),
                scope,
            )
        }
        Command::Collect(c) => collect(&c),
        Command::Rules(r) => info::rules(r.output),
        Command::Explain(e) => info::explain(&e.rule_id),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("rdpaudit: error: {msg}");
            exit::ERROR
        }
    }
}

impl ScopeArgs {
    fn default_scope() -> ScopeArgs {
        ScopeArgs {
            subscriptions: Vec::new(),
            all_subscriptions: false,
            resource_groups: Vec::new(),
            management_group: None,
        }
    }
}

/// `-v` info, `-vv` debug, `-vvv` trace; to stderr only. No log line carries a token: the
/// ARM client logs methods, URLs and statuses, never headers.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "rdpaudit=info",
        2 => "rdpaudit=debug",
        _ => "rdpaudit=trace,azure_identity=debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

/// Whether this run reads live Azure (neither `--demo` nor `--snapshot`).
fn is_live(input: &InputArgs) -> bool {
    !input.demo && input.snapshot.is_none()
}

fn read_input(input: &InputArgs) -> Result<Vec<u8>, Fatal> {
    if input.demo {
        return Ok(DEMO.as_bytes().to_vec());
    }
    match &input.snapshot {
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| Fatal(format!("cannot read the snapshot from standard input: {e}")))?;
            Ok(buf)
        }
        Some(p) => std::fs::read(p)
            .map_err(|e| Fatal(format!("cannot read snapshot {}: {e}", p.display()))),
        None => Err(Fatal(
            "no input: use --snapshot FILE, --demo, or live Azure".into(),
        )),
    }
}

fn options(eval: &EvalArgs) -> Result<(Options, CategoryFilter), Fatal> {
    let client = eval
        .client_ip
        .as_deref()
        .map(Client::parse)
        .transpose()
        .map_err(Fatal)?;
    let filter = match eval.category {
        CategoryArg::All => CategoryFilter::All,
        CategoryArg::Connectivity => CategoryFilter::Only(Category::Connectivity),
        CategoryArg::Exposure => CategoryFilter::Only(Category::Exposure),
    };
    Ok((
        Options {
            client,
            port: eval.port,
        },
        filter,
    ))
}

fn audit(
    input: &InputArgs,
    eval: &EvalArgs,
    out: &OutputArgs,
    scope: &ScopeArgs,
    what: Scope,
) -> Result<i32, Fatal> {
    let live_scope = !scope.subscriptions.is_empty()
        || scope.all_subscriptions
        || scope.management_group.is_some()
        || !scope.resource_groups.is_empty();
    if live_scope && (input.demo || input.snapshot.is_some()) {
        return Err(Fatal(
            "--subscription, --all-subscriptions, --resource-group and --management-group select \
             live data; they cannot be used with --snapshot or --demo"
                .into(),
        ));
    }
    let (opts, filter) = options(eval)?;
    let suppressions = match &out.suppress {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Fatal(format!(
                    "cannot read suppression file {}: {e}",
                    path.display()
                ))
            })?;
            Some(crate::report::suppress::Suppressions::parse(&text).map_err(Fatal)?)
        }
        None => None,
    };
    let baseline = match &out.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Fatal(format!("cannot read baseline {}: {e}", path.display())))?;
            Some(
                report::baseline::Baseline::parse(&text)
                    .map_err(|e| Fatal(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let framework = match out.framework.as_deref() {
        Some(name) => Some(crate::rules::compliance::framework(name).ok_or_else(|| {
            Fatal(format!(
                "--framework {name}: unknown framework; known: {}",
                crate::rules::compliance::FRAMEWORKS
                    .iter()
                    .map(|f| f.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?),
        None => None,
    };
    if eval.guest.guest && !is_live(input) {
        return Err(Fatal(
            "--guest runs a script in live VMs; it cannot be used with --snapshot or --demo \
             (a snapshot carries the guest facts `collect --guest` or --save-snapshot recorded)"
                .into(),
        ));
    }
    if eval.probe && input.demo {
        return Err(Fatal(
            "--probe sends packets to the data's public addresses; the demo's addresses are made \
             up and belong to others, so --probe cannot be used with --demo"
                .into(),
        ));
    }
    let (mut model, diagnostics) = if is_live(input) {
        let target = match &what {
            Scope::All => live::Target::Scope(scope),
            Scope::Vm(id) => live::Target::Vm(id),
        };
        let session = live::Session::open(input)?;
        let collected = session.collect(input, target)?;
        let refs = collected.resource_refs();
        let mut model = pipeline::build_model(&refs, Default::default());
        let mut diagnostics = collected.diagnostics.clone();
        let mut guest = HashMap::new();
        if eval.guest.guest {
            guest = inspect_guests(
                &session,
                &model,
                &what,
                eval.guest.guest_timeout,
                &mut diagnostics,
            );
            pipeline::add_guest_facts(&mut model, &guest);
        }
        if let Some(path) = &input.save_snapshot {
            write_snapshot(path, session.cloud(), &collected, &guest, &diagnostics)?;
        }
        (model, diagnostics)
    } else {
        let bytes = read_input(input)?;
        let text = snapshot::as_text(&bytes)?;
        let snap = snapshot::parse(text)?;
        tracing::info!(resources = snap.resources.len(), "snapshot read");
        if let Some(path) = &input.save_snapshot {
            let collected_at = snap.collected_at.clone().unwrap_or_else(live::now_rfc3339);
            let out = snapshot::SnapshotOut {
                schema: snapshot::SCHEMA,
                cloud: snap.cloud.as_deref().unwrap_or("public"),
                collected_at: &collected_at,
                subscriptions: &snap.subscriptions,
                resources: &snap.resources,
                guest: &snap.guest,
                diagnostics: &snap.diagnostics,
            };
            write_json(path, &out)?;
        }
        let model = pipeline::build_model(&snap.resources, snap.guest);
        (model, snap.diagnostics)
    };
    if eval.probe {
        let plan = pipeline::probe_plan(&model, opts.clone(), &what)?;
        model.probes = Some(run_probes(
            &plan,
            eval.probe_timeout,
            usize::from(input.concurrency),
        )?);
    }
    let mut report = pipeline::report(&model, &diagnostics, opts, filter, &what)?;
    if let Some(s) = &suppressions {
        let today = live::now_rfc3339()
            .get(..10)
            .unwrap_or_default()
            .to_string();
        let notices = s.apply(&mut report, &today);
        report.diagnostics.extend(notices);
    }
    if let Some(b) = &baseline {
        report::baseline::apply(&mut report, b);
    }
    if let Some(fw) = framework {
        report.compliance = Some(report::compliance::summarize(&report, fw, filter));
    }
    let color = use_color(out.color);
    let rendered = match (out.output, &what) {
        (Format::Table, Scope::Vm(_)) => check::render(&report, color),
        (Format::Table, Scope::All) => report::table::render(&report, color, terminal_width()),
        (Format::Json, _) => report::json::render(&report),
        (Format::Csv, _) => report::csv::render(&report),
        (Format::Sarif, _) => report::sarif::render(&report),
        (Format::Markdown, _) => report::markdown::render(&report),
        (Format::Html, _) => report::html::render(&report),
    };
    if !out.quiet {
        print(&rendered);
    }
    Ok(exit_code(&report, out.fail_on, out.fail_on_new))
}

fn write_snapshot(
    path: &std::path::Path,
    cloud: &str,
    c: &crate::arm::collect::Collected,
    guest: &HashMap<String, GuestFacts>,
    diagnostics: &[crate::model::Diagnostic],
) -> Result<(), Fatal> {
    let refs = c.resource_refs();
    let out = snapshot::SnapshotOut {
        schema: snapshot::SCHEMA,
        cloud,
        collected_at: &live::now_rfc3339(),
        subscriptions: &c.subscriptions,
        resources: &refs,
        guest,
        diagnostics,
    };
    write_json(path, &out)
}

/// `--guest`: runs the script where it can, records why not elsewhere (RDP506), and adds a
/// diagnostic for each VM the audit failed to read. Returns guest facts by VM id.
fn inspect_guests(
    session: &live::Session,
    model: &crate::model::Model,
    what: &Scope,
    timeout_secs: u64,
    diagnostics: &mut Vec<crate::model::Diagnostic>,
) -> HashMap<String, GuestFacts> {
    let plan = pipeline::guest_plan(model, what);
    tracing::info!(
        run = plan.run.len(),
        skipped = plan.skipped.len(),
        "guest inspection"
    );
    let mut guest: HashMap<String, GuestFacts> = plan
        .skipped
        .into_iter()
        .map(|(id, why)| {
            (
                id,
                GuestFacts {
                    error: Some(why),
                    ..GuestFacts::default()
                },
            )
        })
        .collect();
    for (id, inspected) in session.inspect_guests(&plan.run, timeout_secs) {
        diagnostics.extend(inspected.diagnostic);
        guest.insert(id, inspected.facts);
    }
    guest
}

/// `--probe`: DNS look-ups and TCP connects from this machine (docs/guest.md).
fn run_probes(
    plan: &crate::model::ProbePlan,
    timeout_secs: u64,
    concurrency: usize,
) -> Result<crate::model::Probes, Fatal> {
    use crate::arm::probe;
    tracing::info!(
        endpoints = plan.endpoints.len(),
        names = plan.names.len(),
        "probing from this machine"
    );
    let runtime = live::runtime()?;
    let settings = probe::ProbeSettings {
        timeout: std::time::Duration::from_secs(timeout_secs),
        concurrency,
    };
    Ok(runtime.block_on(probe::run(plan, &settings)))
}

/// Writes JSON to a file, or to standard output for `-`.
fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<(), Fatal> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    if path.as_os_str() == "-" {
        print(&text);
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))
}

/// `collect --out FILE`: 0 when everything in scope was read, 3 when something could not be.
fn collect(c: &CollectArgs) -> Result<i32, Fatal> {
    if !is_live(&c.input) {
        return Err(Fatal(
            "collect reads live Azure; --demo and --snapshot are already snapshots".into(),
        ));
    }
    let session = live::Session::open(&c.input)?;
    let collected = session.collect(&c.input, live::Target::Scope(&c.scope))?;
    let mut diagnostics = collected.diagnostics.clone();
    let mut guest = HashMap::new();
    if c.guest.guest {
        let refs = collected.resource_refs();
        let model = pipeline::build_model(&refs, HashMap::new());
        guest = inspect_guests(
            &session,
            &model,
            &Scope::All,
            c.guest.guest_timeout,
            &mut diagnostics,
        );
    }
    write_snapshot(&c.out, session.cloud(), &collected, &guest, &diagnostics)?;
    let incomplete = diagnostics
        .iter()
        .any(crate::model::Diagnostic::makes_incomplete);
    tracing::info!(resources = collected.resources.len(), "snapshot written");
    Ok(if incomplete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

/// 1 when an unsuppressed finding (with `--fail-on-new`, a new one) reaches `--fail-on`; else 3
/// when incomplete; else 0.
pub fn exit_code(report: &Report, fail_on: FailOn, only_new: bool) -> i32 {
    let threshold = match fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    let failing = threshold
        .is_some_and(|t| report::baseline::worst(report, only_new).is_some_and(|w| w >= t));
    if failing {
        exit::FINDINGS
    } else if !report.complete {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    }
}

/// Colour only on a terminal, never with `NO_COLOR` (https://no-color.org).
fn use_color(arg: ColorArg) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color
        && match arg {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => std::io::stdout().is_terminal(),
        }
}

fn terminal_width() -> Option<u16> {
    if std::io::stdout().is_terminal() {
        None // comfy-table asks the terminal
    } else {
        Some(160)
    }
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|_| out.flush());
}
