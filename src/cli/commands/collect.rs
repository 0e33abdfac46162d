//! `rdpaudit collect --out FILE`: saves what live Azure holds (and, with `--guest`, what the
//! guests say) as a snapshot to audit offline later.

use std::collections::HashMap;

use crate::cli::args::CollectArgs;
use crate::cli::output::{self, SnapshotParts};
use crate::cli::{input, inspect, live, CliError, ExitStatus};
use crate::model::Diagnostic;
use crate::pipeline::Scope;

/// 0 when everything in scope was read, 3 when something could not be.
pub(crate) fn run(c: &CollectArgs) -> Result<ExitStatus, CliError> {
    if !input::is_live(&c.input) {
        return Err(CliError::BadArgs(
            "collect reads live Azure; --demo and --snapshot are already snapshots".into(),
        ));
    }
    let session = live::Session::open(&c.input)?;
    // A model only to plan which guests to inspect (`--guest`); otherwise none is built.
    let mut collected =
        session.collect(&c.input, live::Target::Scope(&c.scope), c.guest.guest, None)?;
    let model = c.guest.guest.then(|| collected.model());
    let refs = collected.resource_refs();
    let mut diagnostics = collected.diagnostics.clone();
    let mut guest = HashMap::new();
    if let Some(model) = &model {
        let timeout = c.guest.guest_timeout;
        guest = inspect::guests(&session, model, &Scope::All, timeout, &mut diagnostics);
    }
    let parts = SnapshotParts {
        cloud: session.cloud(),
        collected_at: None,
        subscriptions: &collected.subscriptions,
        resources: &refs,
        guest: &guest,
        diagnostics: &diagnostics,
        security_admin_rules: collected.security_admin_rules.as_deref(),
    };
    output::write_snapshot(&c.out, parts)?;
    tracing::info!(resources = collected.resources.len(), "snapshot written");
    let complete = !diagnostics.iter().any(Diagnostic::makes_incomplete);
    Ok(ExitStatus::complete_or_not(complete))
}
