//! The pure pipeline every input shares: raw ARM resources → model → analyses → report.

use serde_json::value::RawValue;
use std::collections::HashMap;

use crate::engine::analyze::VmAnalysis;
use crate::engine::{Context, Options};
use crate::model::{
    self, AgentState, Diagnostic, GuestFacts, Model, OsType, PowerState, ProbePlan, Probes, ResId,
};
use crate::report::{self, CategoryFilter, Report};

/// What to audit: everything, or one VM by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Vm(String),
}

impl Scope {
    /// Whether the VM with this id is audited.
    pub fn includes(&self, id: &ResId) -> bool {
        match self {
            Scope::All => true,
            Scope::Vm(v) => ResId::new(v).key == id.key,
        }
    }
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
    let model = build_model(resources, guest);
    report(&model, diagnostics, options, filter, scope)
}

/// Builds the model from raw resources and guest facts (by VM id).
pub fn build_model(resources: &[&RawValue], guest: HashMap<String, GuestFacts>) -> Model {
    model::build(resources, guest)
}

/// Adds guest facts (by VM id, any case) to a built model.
pub fn add_guest_facts(model: &mut Model, guest: &HashMap<String, GuestFacts>) {
    for (id, facts) in guest {
        model.guest.insert(ResId::new(id).key, facts.clone());
    }
}

/// The VMs `--guest` inspects, and why the others in scope are not inspected.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GuestPlan {
    /// VM resource ids to run the script in.
    pub run: Vec<String>,
    /// (VM resource id, why not): these VMs get guest facts with that `error` (RDP506).
    pub skipped: Vec<(String, String)>,
}

/// Running Windows VMs whose agent is Ready (or not reported: Run Command then says) are
/// inspected; the rest are skipped with the reason. Classic VMs have no Run Command.
pub fn guest_plan(model: &Model, scope: &Scope) -> GuestPlan {
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

/// What `--probe` tries for the VMs in scope: every direct path's `address:port`, and the DNS
/// names of their entry points. Sorted and without duplicates.
pub fn probe_plan(
    model: &Model,
    options: Options,
    scope: &Scope,
) -> Result<ProbePlan, PipelineError> {
    let cx = Context::new(model, options);
    let analyses = analyses(&cx, scope)?;
    let mut endpoints = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for a in analyses.iter().filter(|a| a.os == OsType::Windows) {
        for p in a.direct_paths() {
            endpoints.extend(p.endpoint());
            names.extend(p.entry_name(a).map(Probes::dns_key));
        }
    }
    Ok(ProbePlan {
        endpoints: endpoints.into_iter().collect(),
        names: names.into_iter().collect(),
    })
}

/// Audits a built model (guest facts and probe results already in it).
pub fn report(
    model: &Model,
    diagnostics: &[Diagnostic],
    options: Options,
    filter: CategoryFilter,
    scope: &Scope,
) -> Result<Report, PipelineError> {
    let cx = Context::new(model, options);
    let analyses = analyses(&cx, scope)?;
    Ok(report::build(
        model,
        &analyses,
        &cx.client_label(),
        filter,
        diagnostics,
    ))
}

/// The analyses of the VMs in scope, sorted by id; an unknown VM for `Scope::Vm` is an error
/// that lists some of the VMs the data has.
fn analyses<'m>(cx: &Context<'m>, scope: &Scope) -> Result<Vec<VmAnalysis<'m>>, PipelineError> {
    let Scope::Vm(id) = scope else {
        return Ok(cx.analyze_all());
    };
    let model = cx.model;
    let arm = model
        .vms
        .iter()
        .find(|v| scope.includes(&v.id))
        .map(|v| cx.analyze_arm(v));
    let classic = || {
        model
            .classic_vms
            .iter()
            .find(|v| scope.includes(&v.id))
            .map(|v| cx.analyze_classic(v))
    };
    if let Some(a) = arm.or_else(classic) {
        return Ok(vec![a]);
    }
    let names: Vec<String> = model
        .vms
        .iter()
        .map(|v| v.id.id.clone())
        .chain(model.classic_vms.iter().map(|v| v.id.id.clone()))
        .collect();
    Err(PipelineError::VmNotFound {
        id: id.clone(),
        count: names.len(),
        sample: if names.is_empty() {
            "none".into()
        } else {
            names.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                + if names.len() > 5 { ", …" } else { "" }
        },
    })
}
