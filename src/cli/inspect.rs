//! The live tests beyond reading ARM: `--guest` (a script in each VM through Run Command) and
//! `--probe` (DNS look-ups and TCP connects from this machine; docs/guest.md).

use std::collections::HashMap;

use super::live;
use super::CliError;
use crate::model::{Diagnostic, GuestFacts, Model, ProbePlan, Probes};
use crate::pipeline::{self, Scope};

/// `--guest`: runs the script where it can, records why not elsewhere (RDP506), and adds a
/// diagnostic for each VM the audit failed to read. Returns guest facts by VM id.
pub(crate) fn guests(
    session: &live::Session,
    model: &Model,
    what: &Scope,
    timeout_secs: u64,
    diagnostics: &mut Vec<Diagnostic>,
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

/// `--probe`: runs the plan from this machine.
pub(crate) fn probes(
    plan: &ProbePlan,
    timeout_secs: u64,
    concurrency: usize,
) -> Result<Probes, CliError> {
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
