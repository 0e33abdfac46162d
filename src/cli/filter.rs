//! `--resource-group` and `--vm` on any data (live, snapshot, demo): the VMs to audit, as a
//! [`Scope`]. A resource group that holds no VM in the data, or a `--vm` that matches none, is
//! an error naming what the data has (a typo must not look like a clean estate).

use globset::{GlobBuilder, GlobSetBuilder};
use std::collections::BTreeSet;

use super::args::ScopeArgs;
use super::CliError;
use crate::model::Model;
use crate::pipeline::Scope;

/// The VMs `--resource-group` and `--vm` select (`Scope::All` when neither is given).
pub(crate) fn scope(args: &ScopeArgs, model: &Model) -> Result<Scope, CliError> {
    if args.resource_groups.is_empty() && args.vms.is_empty() {
        return Ok(Scope::All);
    }
    let mut globs = GlobSetBuilder::new();
    for p in &args.vms {
        let g = GlobBuilder::new(p)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| CliError::BadArgs(format!("--vm {p}: {e}")))?;
        globs.add(g);
    }
    let globs = globs
        .build()
        .map_err(|e| CliError::BadArgs(format!("--vm: {e}")))?;
    let vms = model.vm_names();
    let group_of = |id: &crate::model::ResId| {
        id.segment_after("resourceGroups")
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let groups: BTreeSet<String> = vms.iter().map(|(id, _)| group_of(id)).collect();
    for g in &args.resource_groups {
        if !groups.contains(&g.to_ascii_lowercase()) {
            return Err(CliError::BadArgs(format!(
                "resource group {g} not found: the data has VMs in {}",
                list(&groups)
            )));
        }
    }
    let in_groups = |id: &crate::model::ResId| {
        args.resource_groups.is_empty()
            || args
                .resource_groups
                .iter()
                .any(|g| g.eq_ignore_ascii_case(&group_of(id)))
    };
    let keys: BTreeSet<String> = vms
        .iter()
        .filter(|(id, name)| in_groups(id) && (args.vms.is_empty() || globs.is_match(name)))
        .map(|(id, _)| id.key().folded())
        .collect();
    if keys.is_empty() {
        return Err(CliError::BadArgs(format!(
            "no VM matches --vm {}{}",
            args.vms.join(" --vm "),
            if args.resource_groups.is_empty() {
                String::new()
            } else {
                format!(" in {}", args.resource_groups.join(", "))
            }
        )));
    }
    Ok(Scope::Keys(keys))
}

fn list(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        return "no resource group (it has no VM)".into();
    }
    let v: Vec<&str> = s.iter().map(String::as_str).take(10).collect();
    v.join(", ") + if s.len() > 10 { ", …" } else { "" }
}

/// `--rule`: every id must be a rule of the catalogue.
pub(crate) fn rules(ids: &[String]) -> Result<(), CliError> {
    match ids.iter().find(|id| {
        crate::rules::CATALOGUE
            .iter()
            .all(|r| !r.meta.id.eq_ignore_ascii_case(id.trim()))
    }) {
        Some(bad) => Err(CliError::UnknownRule(bad.clone())),
        None => Ok(()),
    }
}
