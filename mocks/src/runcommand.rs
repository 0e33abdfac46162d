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

use crate::config::RunCommandFault;
use crate::faults::{rng_for, uuid_like};
use crate::ids::{eq, ResourceId};
use crate::routes::{self, Ctx, Reply};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

/// Run Command keeps only the last 4,096 bytes of a script's stdout (and stderr).
pub const RUN_COMMAND_OUTPUT_LIMIT: usize = 4096;

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

/// What a PowerShell host prints when the script uses a cmdlet the guest lacks: the `malformed`
/// mode's stdout and stderr.
const POWERSHELL_ERROR: &str = "Get-NetTCPConnection : The term 'Get-NetTCPConnection' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\nAt C:\\Packages\\Plugins\\Microsoft.CPlat.Core.RunCommandWindows\\1.1.18\\Downloads\\script0.ps1:41 char:13\n+ $listen = @(Get-NetTCPConnection -State Listen -LocalPort $port)\n+             ~~~~~~~~~~~~~~~~~~~~\n    + CategoryInfo          : ObjectNotFound: (Get-NetTCPConnection:String) [], CommandNotFoundException\n    + FullyQualifiedErrorId : CommandNotFoundException\n";

/// Run Command state: the guest facts outputs are computed from, and the operations.
#[derive(Debug)]
pub(crate) struct RunCommands {
    /// The snapshot's `guest` object, keyed by lower-cased VM id.
    guest: HashMap<String, Value>,
    /// Seed for operation ids and their `p` tokens.
    seed: u64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Operations by lower-cased id.
    ops: HashMap<String, Operation>,
    /// VMs (lower-cased id) with a run command not yet reported finished → its operation id.
    busy: HashMap<String, String>,
    /// Operations created so far (numbers the random draws).
    created: u64,
}

#[derive(Debug)]
struct Operation {
    /// The operation id, as in the URLs.
    name: String,
    subscription_lc: String,
    location_lc: String,
    vm_lc: String,
    start: String,
    /// Set by the first poll that reports the outcome.
    end: Option<String>,
    polls: u32,
    /// `never` mode: stays `InProgress`.
    never: bool,
    outcome: Outcome,
    /// Path and query of the result (`Location`) URL.
    result_path: String,
    /// The foreign host the polling URLs point at (`foreign-poll` mode).
    foreign_host: Option<String>,
}

#[derive(Debug, Clone)]
enum Outcome {
    Succeeded { stdout: String, stderr: String },
    Failed { code: &'static str, message: String },
}

impl RunCommands {
    /// Takes the guest facts out of the snapshot (`{"guest": {"<vm id>": {...}}}`; other
    /// shapes have none).
    pub fn new(snapshot: &Value, seed: u64) -> RunCommands {
        let guest = snapshot
            .get("guest")
            .and_then(Value::as_object)
            .map(|g| {
                g.iter()
                    .map(|(id, facts)| {
                        (id.trim_end_matches('/').to_ascii_lowercase(), facts.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunCommands {
            guest,
            seed,
            inner: Mutex::new(Inner::default()),
        }
    }
}

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
        return routes::authorization_failed(ctx, RUN_COMMAND_ACTION, &vm_id);
    }
    if let Some(r) = routes::unregistered_fault(ctx, &id.namespace) {
        return r;
    }
    if let Err(r) = check_input(ctx) {
        return r;
    }
    if !ctx.store.has_group(&id.subscription, &id.resource_group) {
        return routes::group_not_found(&id.resource_group);
    }
    let vm_lc = id.top_id_lc();
    let Some(entry) = ctx.store.get(&vm_lc) else {
        return routes::resource_not_found(
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
        "/subscriptions/{}/providers/Microsoft.Compute/locations/{location}/operations/{op_id}",
        id.subscription
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
            subscription_lc: id.subscription.to_ascii_lowercase(),
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

const AGENT_ERROR: &str = "VMAgentStatusCommunicationError";

/// What the operation will report, decided when it is accepted.
fn outcome(
    vm_name: &str,
    facts: Option<&Value>,
    agent_ready: bool,
    mode: Option<RunCommandFault>,
) -> Outcome {
    if !agent_ready {
        return Outcome::Failed {
            code: AGENT_ERROR,
            message: format!(
                "VM '{vm_name}' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage."
            ),
        };
    }
    if let Some(error) = facts.and_then(|f| f.get("error")).filter(|e| !e.is_null()) {
        let message = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Outcome::Failed {
            code: "VMExtensionProvisioningError",
            message,
        };
    }
    let (stdout, stderr) = match mode {
        Some(RunCommandFault::Malformed) => {
            (POWERSHELL_ERROR.to_owned(), POWERSHELL_ERROR.to_owned())
        }
        Some(RunCommandFault::Truncated) => (padded_report(facts), String::new()),
        _ => (report(facts), String::new()),
    };
    Outcome::Succeeded {
        stdout: tail(&stdout, RUN_COMMAND_OUTPUT_LIMIT),
        stderr: tail(&stderr, RUN_COMMAND_OUTPUT_LIMIT),
    }
}

/// The last `limit` bytes of `s` (fewer if a UTF-8 character straddles the cut).
fn tail(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut start = s.len() - limit;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_owned()
}

/// The guest facts of one VM, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Facts {
    port: u64,
    enabled: bool,
    running: bool,
    listening: bool,
    firewall_allows: bool,
    nla: bool,
}

impl Facts {
    fn of(v: Option<&Value>) -> Facts {
        let empty = Map::new();
        let o = v.and_then(Value::as_object).unwrap_or(&empty);
        let flag = |k: &str| o.get(k).and_then(Value::as_bool);
        let running = flag("termServiceRunning").unwrap_or(true);
        Facts {
            port: o.get("rdpPort").and_then(Value::as_u64).unwrap_or(3389),
            enabled: flag("rdpEnabled").unwrap_or(true),
            running,
            listening: flag("listening").unwrap_or(running),
            firewall_allows: flag("firewallAllowsRdp").unwrap_or(true),
            nla: flag("nla").unwrap_or(true),
        }
    }
}

/// The guest script's report (`rdpaudit.guest/1`, docs/guest.md), fields in the documented
/// order.
#[derive(Debug, Serialize)]
struct GuestReport {
    schema: &'static str,
    #[serde(rename = "rdpTcp")]
    rdp_tcp: RdpTcp,
    #[serde(rename = "fDenyTSConnections")]
    deny_ts_connections: DenyTs,
    #[serde(rename = "termService")]
    term_service: TermService,
    listeners: Vec<Listener>,
    firewall: Firewall,
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RdpTcp {
    port_number: u64,
    security_layer: u8,
    user_authentication: u8,
    f_enable_win_station: u8,
}

#[derive(Debug, Serialize)]
struct DenyTs {
    local: u8,
    policy: Option<u8>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TermService {
    status: &'static str,
    start_type: &'static str,
}

#[derive(Debug, Serialize)]
struct Listener {
    address: &'static str,
    port: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Firewall {
    profiles: Vec<Profile>,
    allow_rules: Vec<Rule>,
    block_rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    name: &'static str,
    enabled: bool,
    default_inbound_action: &'static str,
    allow_inbound_rules: bool,
    active: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    name: &'static str,
    display_name: &'static str,
    profiles: Vec<&'static str>,
    local_ports: Vec<String>,
    remote_addresses: Vec<&'static str>,
}

fn guest_report(f: Facts) -> GuestReport {
    let nla = u8::from(f.nla);
    GuestReport {
        schema: "rdpaudit.guest/1",
        rdp_tcp: RdpTcp {
            port_number: f.port,
            security_layer: if f.nla { 2 } else { 1 },
            user_authentication: nla,
            f_enable_win_station: 1,
        },
        deny_ts_connections: DenyTs {
            local: u8::from(!f.enabled),
            policy: None,
        },
        term_service: TermService {
            status: if f.running { "Running" } else { "Stopped" },
            start_type: "Manual",
        },
        listeners: if f.listening {
            vec![
                Listener {
                    address: "0.0.0.0",
                    port: f.port,
                },
                Listener {
                    address: "::",
                    port: f.port,
                },
            ]
        } else {
            Vec::new()
        },
        firewall: Firewall {
            profiles: ["Domain", "Private", "Public"]
                .into_iter()
                .map(|name| Profile {
                    name,
                    enabled: true,
                    default_inbound_action: "Block",
                    allow_inbound_rules: true,
                    active: name == "Public",
                })
                .collect(),
            allow_rules: if f.firewall_allows {
                vec![Rule {
                    name: "RemoteDesktop-UserMode-In-TCP",
                    display_name: "Remote Desktop - User Mode (TCP-In)",
                    profiles: vec!["Any"],
                    local_ports: vec![f.port.to_string()],
                    remote_addresses: vec!["Any"],
                }]
            } else {
                Vec::new()
            },
            block_rules: Vec::new(),
        },
        errors: Vec::new(),
    }
}

/// The script's stdout: one line of compact JSON.
fn report(facts: Option<&Value>) -> String {
    let mut line = to_json(&guest_report(Facts::of(facts)));
    line.push('\n');
    line
}

/// The report with an `errors` list long enough to push it well past the output limit.
fn padded_report(facts: Option<&Value>) -> String {
    let mut r = guest_report(Facts::of(facts));
    let mut len = to_json(&r).len();
    let mut i = 0;
    while len < RUN_COMMAND_OUTPUT_LIMIT + 2048 {
        i += 1;
        let e = format!(
            "Get-NetFirewallRule: rule {i} of the ActiveStore could not be read: Access is denied."
        );
        len += e.len() + 3;
        r.errors.push(e);
    }
    let mut line = to_json(&r);
    line.push('\n');
    line
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Serialising these plain structs cannot fail; an empty object is a safe fallback anyway.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// One `InstanceViewStatus` of a `RunCommandResult`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputStatus<'a> {
    code: &'static str,
    level: &'static str,
    display_status: &'static str,
    message: &'a str,
}

/// `RunCommandResult`: `{"value": [stdout, stderr]}`.
#[derive(Debug, Serialize)]
struct RunCommandResult<'a> {
    value: [OutputStatus<'a>; 2],
}

impl<'a> RunCommandResult<'a> {
    fn new(stdout: &'a str, stderr: &'a str) -> Self {
        let entry = |code, message| OutputStatus {
            code,
            level: "Info",
            display_status: "Provisioning succeeded",
            message,
        };
        RunCommandResult {
            value: [
                entry("ComponentStatus/StdOut/succeeded", stdout),
                entry("ComponentStatus/StdErr/succeeded", stderr),
            ],
        }
    }
}

#[derive(Debug, Serialize)]
struct Output<'a> {
    output: RunCommandResult<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

/// Compute's operation status body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationStatus<'a> {
    start_time: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<&'a str>,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Output<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorDetail<'a>>,
    name: &'a str,
}

fn status_body(
    o: &Operation,
    status: &str,
    properties: Option<Output<'_>>,
    error: Option<ErrorDetail<'_>>,
) -> String {
    to_json(&OperationStatus {
        start_time: &o.start,
        end_time: if status == "InProgress" {
            None
        } else {
            o.end.as_deref()
        },
        status,
        properties,
        error,
        name: &o.name,
    })
}

/// `2026-01-15T01:58:02.1234567+00:00`: Compute's timestamp format.
fn timestamp(t: SystemTime) -> String {
    let z = crate::graph::iso8601(t);
    match z.strip_suffix('Z') {
        Some(s) => format!("{s}+00:00"),
        None => z,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_follows_the_documented_format() {
        let line = report(None);
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        assert_eq!(
            line.trim_end(),
            concat!(
                r#"{"schema":"rdpaudit.guest/1","#,
                r#""rdpTcp":{"portNumber":3389,"securityLayer":2,"userAuthentication":1,"fEnableWinStation":1},"#,
                r#""fDenyTSConnections":{"local":0,"policy":null},"#,
                r#""termService":{"status":"Running","startType":"Manual"},"#,
                r#""listeners":[{"address":"0.0.0.0","port":3389},{"address":"::","port":3389}],"#,
                r#""firewall":{"#,
                r#""profiles":[{"name":"Domain","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},"#,
                r#"{"name":"Private","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},"#,
                r#"{"name":"Public","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":true}],"#,
                r#""allowRules":[{"name":"RemoteDesktop-UserMode-In-TCP","displayName":"Remote Desktop - User Mode (TCP-In)","profiles":["Any"],"localPorts":["3389"],"remoteAddresses":["Any"]}],"#,
                r#""blockRules":[]},"#,
                r#""errors":[]}"#
            )
        );
    }

    #[test]
    fn facts_default_and_listening_follows_the_service() {
        let f = Facts::of(Some(&json!({"termServiceRunning": false, "rdpPort": null})));
        assert_eq!(
            f,
            Facts {
                port: 3389,
                enabled: true,
                running: false,
                listening: false,
                firewall_allows: true,
                nla: true
            }
        );
        let f = Facts::of(Some(
            &json!({"termServiceRunning": false, "listening": true}),
        ));
        assert!(f.listening);
    }

    #[test]
    fn tail_keeps_the_last_bytes_on_a_char_boundary() {
        assert_eq!(tail("abcdef", 4), "cdef");
        assert_eq!(tail("abc", 4), "abc");
        assert_eq!(tail("aé", 1), "");
        assert_eq!(tail("aéb", 2), "b");
        let padded = padded_report(None);
        assert!(padded.len() > RUN_COMMAND_OUTPUT_LIMIT + 1000);
        assert_eq!(tail(&padded, RUN_COMMAND_OUTPUT_LIMIT).len(), 4096);
    }

    #[test]
    fn agent_readiness_and_power_state() {
        assert!(agent_ready(&json!({"statuses": []})));
        assert!(agent_ready(
            &json!({"vmAgent": {"statuses": [{"displayStatus": "Ready"}]}})
        ));
        assert!(!agent_ready(
            &json!({"vmAgent": {"statuses": [{"displayStatus": "Not Ready"}]}})
        ));
        assert!(!agent_ready(&json!({"vmAgent": {"statuses": []}})));
        assert_eq!(
            power_state(
                &json!({"statuses": [{"code": "ProvisioningState/succeeded"}, {"code": "PowerState/running"}]})
            ),
            Some("PowerState/running")
        );
        assert_eq!(power_state(&json!({"statuses": [{"code": "x"}]})), None);
    }

    #[test]
    fn timestamps_use_computes_offset_form() {
        assert_eq!(
            timestamp(SystemTime::UNIX_EPOCH),
            "1970-01-01T00:00:00.0000000+00:00"
        );
    }
}
