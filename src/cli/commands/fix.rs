//! `rdpaudit fix ID`: one VM's fixes, each proven on a patched copy of the data or marked as
//! advice; `--apply-to-snapshot OUT.json` writes the copy with the proven fixes applied, so
//! `rdpaudit audit --snapshot OUT.json` shows the result.

use super::assess::{prepare, Assessed, Flags, Lateral, Subject};
use crate::cli::args::{FixArgs, Format};
use crate::cli::output::{self, SnapshotParts};
use crate::cli::{CliError, ExitStatus};
use crate::remedy;
use crate::report::{self, Proof, Report};

pub(crate) fn run(args: &FixArgs) -> Result<ExitStatus, CliError> {
    let flags = Flags {
        input: &args.input,
        eval: &args.eval,
        out: &args.output,
        keep_raw: args.apply_to_snapshot.is_some(),
    };
    let Assessed {
        report,
        resources,
        guest,
        diagnostics,
        meta,
    } = prepare(flags, Subject::Vm(&args.vm), Lateral::default())?;
    if let Some(path) = &args.apply_to_snapshot {
        let proven: Vec<report::FixReport> = report
            .vms
            .iter()
            .flat_map(|v| v.findings.iter())
            .filter_map(|f| f.fix.as_deref().cloned())
            .filter(|f| f.proof == Proof::Proven)
            .collect();
        let refs: Vec<&serde_json::value::RawValue> =
            resources.iter().map(|r| r.as_ref()).collect();
        let (patched, problems) = remedy::patched_resources(&refs, &proven);
        if let Some(p) = problems.first() {
            return Err(CliError::BadArgs(format!("cannot apply the fixes: {p}")));
        }
        let refs: Vec<&serde_json::value::RawValue> = patched.iter().map(|r| r.as_ref()).collect();
        let parts = SnapshotParts {
            cloud: &meta.cloud,
            collected_at: meta.collected_at.as_deref(),
            subscriptions: &meta.subscriptions,
            resources: &refs,
            guest: &guest,
            diagnostics: &diagnostics,
            security_admin_rules: meta.security_admin_rules.as_deref(),
        };
        output::write_snapshot(path, parts)?;
    }
    let out = &args.output;
    if !out.quiet {
        output::print(&match out.output {
            Format::Table => report::fix::listing(&report),
            Format::Json => report::json::render(&report),
            Format::Csv => report::csv::render(&report),
            Format::Sarif => report::sarif::render(&report),
            Format::Markdown => report::markdown::render(&report),
            Format::Html => report::html::render(&report),
            Format::Tsv => report::tsv::render(&report),
        });
    }
    Ok(status(&report, out))
}

fn status(report: &Report, out: &crate::cli::args::OutputArgs) -> ExitStatus {
    ExitStatus::of_report(report, out.fail_on, out.fail_on_new)
}
