//! VM Run Command as Azure Resource Manager serves it: a long-running operation.
//!
//! `POST {vm id}/runCommand` (body `RunCommandInput`) answers 202 Accepted with an empty body and
//! two polling URLs on `…/providers/Microsoft.Compute/locations/{location}/operations/{id}`:
//! `Azure-AsyncOperation` (the operation status: `InProgress`, then `Succeeded` with the output
//! or `Failed` with an error) and `Location` (the same URL plus `monitor=true`: 202 while in
//! progress, then the `RunCommandResult`). Swagger: `VirtualMachines_RunCommand`,
//! `x-ms-long-running-operation`, `final-state-via: location`
//! (<https://learn.microsoft.com/rest/api/compute/virtual-machines/run-command>; async polling:
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>).
//!
//! The output is what rdpaudit's guest script prints (`rdpaudit.guest/1`, docs/guest.md),
//! computed from the snapshot's `guest` facts; like Run Command, only the last 4,096 bytes of
//! stdout and stderr are kept. One run command at a time per VM: a second POST while one is in
//! progress is a 409 `Conflict`, until a poll has reported the first one finished.
//!
//! Layout: this file answers the requests, [`report`] computes what the script prints, [`body`]
//! writes Compute's status and result bodies.

mod body;
mod report;
#[cfg(test)]
mod tests;

pub use report::RUN_COMMAND_OUTPUT_LIMIT;

use crate::config::RunCommandFault;
use crate::dice::{rng_for, uuid_like};
use crate::http::{self, Ctx, Reply};
use crate::ids::{eq, ResourceId};
use crate::operations::{Operation, Outcome};
use body::{status_body, timestamp, to_json, ErrorDetail, Output, RunCommandResult};
use report::{outcome, AGENT_ERROR};
use serde_json::Value;
use std::time::SystemTime;

/// The resource type the request log gives operation status and result polls.
pub(crate) const OPERATION_TYPE: &str = "Microsoft.Compute/locations/operations";

/// The api-version Compute puts in its polling URLs.
const OPERATION_API_VERSION: &str = "2025-04-01";

/// The RBAC action a run command needs.
const RUN_COMMAND_ACTION: &str = "Microsoft.Compute/virtualMachines/runCommand/action";

/// The command ids the mock runs (the built-in script commands; others are 404 `NotFound`).
const COMMAND_IDS: [&str; 2] = ["RunPowerShellScript", "RunShellScript"];

/// Compute's text for an entity it does not know (command id, operation id).
const ENTITY_NOT_FOUND: &str = "The entity was not found in this Azure location.";

/// `POST {vm id}/runCommand`.
pub(crate) fn post(ctx: &Ctx<'_>, id: &ResourceId) -> Reply {
    let name = &id.names[0];
    let vm_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}/{}/{}",
        id.subscription, id.resource_group, id.namespace, id.types[0], name
    );
    let mode = ctx.cfg.run_command_fault_for(name, &vm_id);
    // ARM checks access before the request reaches Compute.
    if mode == Some(RunCommandFault::Forbidden) {
        return http::authorization_failed(ctx, RUN_COMMAND_ACTION, &vm_id);
    }
    if let Some(r) = http::unregistered_fault(ctx, &id.namespace) {
        return r;
    }
    if let Err(r) = check_input(ctx) {
        return r;
    }
    if !ctx.store.has_group(&id.subscription, &id.resource_group) {
        return http::group_not_found(&id.resource_group);
    }
    let vm_lc = id.top_id_lc();
    let Some(entry) = ctx.store.get(&vm_lc) else {
        return http::resource_not_found(
            &format!("Microsoft.Compute/virtualMachines/{name}"),
            &id.resource_group,
        );
    };
    let plain: Value = serde_json::from_str(&entry.plain).unwrap_or_default();
    let iv: Value = entry
        .instance_view
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    if !power_state(&iv).is_some_and(|p| eq(p, "PowerState/running")) {
        return Reply::error(
            409,
            "OperationNotAllowed",
            "The operation requires the VM to be running (or set to run).",
        );
    }
    if mode == Some(RunCommandFault::Conflict) {
        return in_progress_conflict().with_fault(RunCommandFault::Conflict.label());
    }
    let location = plain
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.is_empty())
        .unwrap_or("westeurope")
        .to_owned();
    let outcome = outcome(
        name,
        ctx.runs.guest.get(&vm_lc),
        agent_ready(&iv) && mode != Some(RunCommandFault::AgentNotReady),
        mode,
    );
    accept(ctx, &id.subscription, vm_lc, &location, outcome, mode)
}

/// Records an accepted run command and answers 202 with its polling URLs.
fn accept(
    ctx: &Ctx<'_>,
    subscription: &str,
    vm_lc: String,
    location: &str,
    outcome: Outcome,
    mode: Option<RunCommandFault>,
) -> Reply {
    let Ok(mut inner) = ctx.runs.inner.lock() else {
        return poisoned();
    };
    if inner.busy.contains_key(&vm_lc) {
        return in_progress_conflict();
    }
    inner.created += 1;
    let mut rng = rng_for(ctx.runs.seed ^ 0x52_554e_434d_4421, inner.created);
    let op_id = uuid_like(&mut rng);
    let p = uuid_like(&mut rng);
    let base_path = format!(
        "/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/operations/{op_id}"
    );
    let status_path = format!("{base_path}?p={p}&api-version={OPERATION_API_VERSION}");
    let result_path = format!("{base_path}?p={p}&monitor=true&api-version={OPERATION_API_VERSION}");
    let foreign_host = (mode == Some(RunCommandFault::ForeignPoll)).then(|| foreign_host(ctx));
    let host = foreign_host.as_deref().unwrap_or(ctx.base_url).to_owned();
    inner.busy.insert(vm_lc.clone(), op_id.to_ascii_lowercase());
    inner.ops.insert(
        op_id.to_ascii_lowercase(),
        Operation {
            name: op_id,
            subscription_lc: subscription.to_ascii_lowercase(),
            location_lc: location.to_ascii_lowercase(),
            vm_lc,
            start: timestamp(SystemTime::now()),
            end: None,
            polls: 0,
            never: mode == Some(RunCommandFault::Never),
            outcome,
            result_path: result_path.clone(),
            foreign_host,
        },
    );
    drop(inner);

    let reply = Reply::empty(202);
    let reply = if mode == Some(RunCommandFault::LocationOnly) {
        reply
    } else {
        reply.with_header("azure-asyncoperation", format!("{host}{status_path}"))
    };
    let reply = reply
        .with_header("location", format!("{host}{result_path}"))
        .with_header("retry-after", ctx.cfg.run_command_retry_after.to_string());
    match mode {
        Some(m) => reply.with_fault(m.label()),
        None => reply,
    }
}

/// `GET …/locations/{loc}/operations/{op}`: the status (`result == false`) or, with
/// `monitor=true`, the result of a run command.
pub(crate) fn poll(ctx: &Ctx<'_>, sub: &str, location: &str, op: &str, result: bool) -> Reply {
    let retry_after = ctx.cfg.run_command_retry_after.to_string();
    let Ok(mut inner) = ctx.runs.inner.lock() else {
        return poisoned();
    };
    let key = op.to_ascii_lowercase();
    let Some(o) = inner
        .ops
        .get_mut(&key)
        .filter(|o| eq(&o.subscription_lc, sub) && eq(&o.location_lc, location))
    else {
        return Reply::error(404, "NotFound", ENTITY_NOT_FOUND);
    };
    o.polls = o.polls.saturating_add(1);
    let done = o.end.is_some() || (!o.never && o.polls > ctx.cfg.run_command_polls);
    let mut freed = None;
    if done && o.end.is_none() {
        o.end = Some(timestamp(SystemTime::now()));
        freed = Some(o.vm_lc.clone());
    }
    let reply = match (done, result) {
        (false, false) => Reply::ok(status_body(o, "InProgress", None, None))
            .with_header("retry-after", retry_after),
        (false, true) => {
            let host = o.foreign_host.as_deref().unwrap_or(ctx.base_url);
            Reply::empty(202)
                .with_header("location", format!("{host}{}", o.result_path))
                .with_header("retry-after", retry_after)
        }
        (true, false) => match &o.outcome {
            Outcome::Succeeded { stdout, stderr } => Reply::ok(status_body(
                o,
                "Succeeded",
                Some(Output {
                    output: RunCommandResult::new(stdout, stderr),
                }),
                None,
            )),
            Outcome::Failed { code, message } => Reply::ok(status_body(
                o,
                "Failed",
                None,
                Some(ErrorDetail { code, message }),
            )),
        },
        (true, true) => match &o.outcome {
            Outcome::Succeeded { stdout, stderr } => {
                Reply::ok(to_json(&RunCommandResult::new(stdout, stderr)))
            }
            Outcome::Failed { code, message } => {
                let status = if *code == AGENT_ERROR { 409 } else { 500 };
                Reply::error(status, code, message.as_str())
            }
        },
    };
    // A reported outcome frees the VM for its next run command.
    if let Some(vm) = freed {
        if inner.busy.get(&vm) == Some(&key) {
            inner.busy.remove(&vm);
        }
    }
    reply
}

/// Validates the `RunCommandInput` body: 400 `InvalidParameter` for a body that is not one, 404
/// `NotFound` for a command id Compute does not have.
fn check_input(ctx: &Ctx<'_>) -> Result<(), Reply> {
    let invalid = |message: String| Reply::error(400, "InvalidParameter", message);
    if let Some(e) = ctx.body_error {
        return Err(invalid(e.to_owned()));
    }
    let input: Value = serde_json::from_slice(ctx.body).map_err(|e| {
        invalid(format!(
            "The request content was invalid and could not be deserialized: {e}."
        ))
    })?;
    let Some(input) = input.as_object() else {
        return Err(invalid(
            "The request content was invalid and could not be deserialized: expected a RunCommandInput object.".into(),
        ));
    };
    let param_invalid =
        |name: &str| invalid(format!("The value of parameter '{name}' is invalid."));
    let command = match input.get("commandId") {
        None | Some(Value::Null) => {
            return Err(invalid(
                "Required parameter 'commandId' is missing (null).".into(),
            ))
        }
        Some(Value::String(c)) if !c.trim().is_empty() => c.trim(),
        Some(_) => return Err(param_invalid("commandId")),
    };
    match input.get("script") {
        None | Some(Value::Null) => {}
        Some(Value::Array(lines)) if lines.iter().all(Value::is_string) => {}
        Some(_) => return Err(param_invalid("script")),
    }
    match input.get("parameters") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ps)) if ps.iter().all(is_parameter) => {}
        Some(_) => return Err(param_invalid("parameters")),
    }
    if !COMMAND_IDS.iter().any(|c| eq(c, command)) {
        return Err(Reply::error(404, "NotFound", ENTITY_NOT_FOUND));
    }
    Ok(())
}

/// A `RunCommandInputParameter`: `{"name": "...", "value": "..."}`.
fn is_parameter(p: &Value) -> bool {
    let field = |k: &str| p.get(k).is_some_and(Value::is_string);
    p.is_object() && field("name") && field("value")
}

fn in_progress_conflict() -> Reply {
    Reply::error(
        409,
        "Conflict",
        "Run command extension execution is in progress. Please wait for completion before invoking a run command.",
    )
}

fn poisoned() -> Reply {
    Reply::error(
        500,
        "InternalServerError",
        "mock-arm lost its run command state (a handler panicked).",
    )
}

fn foreign_host(ctx: &Ctx<'_>) -> String {
    ctx.cfg
        .faults
        .foreign_host
        .as_deref()
        .unwrap_or(crate::config::DEFAULT_FOREIGN_HOST)
        .trim_end_matches('/')
        .to_owned()
}

/// The `PowerState/…` code of an instance view, if it has one.
fn power_state(iv: &Value) -> Option<&str> {
    iv.get("statuses")?
        .as_array()?
        .iter()
        .filter_map(|s| s.get("code").and_then(Value::as_str))
        .find(|c| {
            c.get(..11)
                .is_some_and(|p| p.eq_ignore_ascii_case("PowerState/"))
        })
}

/// Whether the VM agent is Ready. An instance view without `vmAgent` says nothing about the
/// agent (snapshots often lack it): taken as Ready. A `vmAgent` with no status, or any status
/// whose `displayStatus` is not `Ready`, is not Ready.
fn agent_ready(iv: &Value) -> bool {
    match iv.get("vmAgent") {
        None | Some(Value::Null) => true,
        Some(agent) => agent
            .get("statuses")
            .and_then(Value::as_array)
            .is_some_and(|st| {
                !st.is_empty()
                    && st.iter().all(|s| {
                        s.get("displayStatus")
                            .and_then(Value::as_str)
                            .is_some_and(|d| d.eq_ignore_ascii_case("Ready"))
                    })
            }),
    }
}
