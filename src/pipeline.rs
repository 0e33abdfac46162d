//! The pure pipeline every input shares: raw ARM resources → model → analyses → report.

use serde_json::value::RawValue;
use std::collections::HashMap;

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
    let in_scope = |id: &ResId| match scope {
        Scope::All => true,
        Scope::Vm(v) => ResId::new(v).key == id.key,
    };
    let mut plan = GuestPlan::default();
    for vm in model.vms.iter().filter(|v| in_scope(&v.id)) {
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
    for vm in model.classic_vms.iter().filter(|v| in_scope(&v.id)) {
        if vm.os == OsType::Windows {
            plan.skipped
                .push((vm.id.id.clone(), "classic VMs have no Run Command".into()));
        }
    }
    plan
}

/// What `--probe` tries for the VMs in scope: every direct path's `address:port`, and the DNS
/// names of their entry points. Sorted and without duplicates.
pub fn probe_plan(model: &Model, options: Options, scope: &Scope) -> ProbePlan {
    let cx = Context::new(model, options);
    let analyses = match scope {
        Scope::All => cx.analyze_all(),
        Scope::Vm(id) => {
            let key = ResId::new(id).key;
            let arm = model
                .vms
                .iter()
                .filter(|v| v.id.key == key)
                .map(|v| cx.analyze_arm(v));
            let classic = model
                .classic_vms
                .iter()
                .filter(|v| v.id.key == key)
                .map(|v| cx.analyze_classic(v));
            arm.chain(classic).collect()
        }
    };
    let mut endpoints = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for a in analyses.iter().filter(|a| a.os == OsType::Windows) {
        for p in a.direct_paths() {
            if let (Some(addr), Some(port)) = (p.address, p.connect_port) {
                endpoints.insert(std::net::SocketAddr::new(addr, port));
            }
            let fqdn = match p.kind {
                crate::engine::PathKind::ClassicEndpoint => {
                    a.classic.and_then(|c| c.fqdn.as_deref())
                }
                _ => p.public_ip.and_then(|pip| pip.fqdn.as_deref()),
            };
            if let Some(f) = fqdn {
                names.insert(Probes::dns_key(f));
            }
        }
    }
    ProbePlan {
        endpoints: endpoints.into_iter().collect(),
        names: names.into_iter().collect(),
    }
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
        model,
        &analyses,
        &client,
        filter,
        diagnostics,
    ))
}
