//! The pure pipeline every input shares: raw ARM resources → model → analyses → report.

use serde_json::value::RawValue;
use std::collections::HashMap;

use crate::engine::{Context, Options};
use crate::model::{self, Diagnostic, GuestFacts, ResId};
use crate::report::{self, CategoryFilter, Report};

/// What to audit: everything, or one VM by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Vm(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PipelineError {
    #[error("VM {id} is not in the data ({count} VMs are: {sample})")]
    VmNotFound {
        id: String,
        count: usize,
        sample: String,
    },
}

/// Audits raw resources. `diagnostics` are carried over from collection (what could not be read).
pub fn run(
    resources: &[&RawValue],
    guest: HashMap<String, GuestFacts>,
    diagnostics: &[Diagnostic],
    options: Options,
    filter: CategoryFilter,
    scope: &Scope,
) -> Result<Report, PipelineError> {
    let model = model::build(resources, guest);
    let cx = Context::new(&model, options);
    let client = cx.client_label();
    let analyses = match scope {
        Scope::All => cx.analyze_all(),
        Scope::Vm(id) => {
            let key = ResId::new(id).key;
            let arm = model
                .vms
                .iter()
                .find(|v| v.id.key == key)
                .map(|v| cx.analyze_arm(v));
            let classic = || {
                model
                    .classic_vms
                    .iter()
                    .find(|v| v.id.key == key)
                    .map(|v| cx.analyze_classic(v))
            };
            match arm.or_else(classic) {
                Some(a) => vec![a],
                None => {
                    let names: Vec<String> = model
                        .vms
                        .iter()
                        .map(|v| v.id.id.clone())
                        .chain(model.classic_vms.iter().map(|v| v.id.id.clone()))
                        .collect();
                    return Err(PipelineError::VmNotFound {
                        id: id.clone(),
                        count: names.len(),
                        sample: if names.is_empty() {
                            "none".into()
                        } else {
                            names.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                                + if names.len() > 5 { ", …" } else { "" }
                        },
                    });
                }
            }
        }
    };
    Ok(report::build(
        &model,
        &analyses,
        &client,
        filter,
        diagnostics,
    ))
}
