//! `--guest`: runs the read-only guest script (`crate::guest::SCRIPT`) in a VM through the
//! classic Run Command action, a long-running operation: `POST …/runCommand` answers 202 with
//! `Azure-AsyncOperation` and `Location`; rdpaudit polls the status URL exactly as returned (only
//! on the ARM origin: the token goes nowhere else), waiting as `Retry-After` says, until the
//! operation succeeds or fails, or the per-VM timeout ends.
//! <https://learn.microsoft.com/azure/virtual-machines/windows/run-command>
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>

use reqwest::Url;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

use super::client::{retry_after, ArmClient, ArmError, Reply};
use super::request::{run_command, same_origin};
use crate::guest;
use crate::model::{DiagLevel, Diagnostic, GuestFacts};

/// How guest inspection runs.
#[derive(Debug, Clone)]
pub(crate) struct GuestSettings {
    /// The most a VM may take, from the POST to the result (`--guest-timeout`).
    pub(crate) timeout: Duration,
    /// VMs inspected at once.
    pub(crate) concurrency: usize,
    /// The wait between polls when the server gives no `Retry-After`.
    pub(crate) default_poll: Duration,
}

impl Default for GuestSettings {
    fn default() -> Self {
        GuestSettings {
            timeout: Duration::from_secs(300),
            concurrency: 8,
            default_poll: Duration::from_secs(5),
        }
    }
}

/// What inspecting one VM gave: the facts (`error` set when it could not be inspected) and,
/// when the failure is the audit's rather than the VM's (permission, HTTP, timeout, unusable
/// output), a diagnostic that makes the audit incomplete.
#[derive(Debug, Clone)]
pub(crate) struct Inspected {
    pub(crate) facts: GuestFacts,
    pub(crate) diagnostic: Option<Diagnostic>,
}

/// Inspects `vms` (resource ids), at most `settings.concurrency` at once. Results in input order.
pub(crate) async fn inspect_all(
    client: Arc<ArmClient>,
    vms: &[String],
    settings: &GuestSettings,
) -> Vec<(String, Inspected)> {
    let permits = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, vm) in vms.iter().enumerate() {
        let client = client.clone();
        let permits = permits.clone();
        let settings = settings.clone();
        let vm = vm.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire().await;
            let out = inspect(&client, &vm, &settings).await;
            (i, vm, out)
        });
    }
    let mut out: Vec<(usize, String, Inspected)> = Vec::with_capacity(vms.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => tracing::error!("a guest inspection task failed: {e}"),
        }
    }
    // A task that died (it cannot, short of a bug) still leaves its VM reported, not skipped.
    for (i, vm) in vms.iter().enumerate() {
        if !out.iter().any(|(j, _, _)| *j == i) {
            out.push((
                i,
                vm.clone(),
                failure(
                    vm,
                    "the inspection task ended unexpectedly".into(),
                    None,
                    None,
                ),
            ));
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, vm, r)| (vm, r)).collect()
}

/// Inspects one VM.
pub(crate) async fn inspect(
    client: &ArmClient,
    vm_id: &str,
    settings: &GuestSettings,
) -> Inspected {
    tracing::info!(vm = vm_id, "running the guest script through Run Command");
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(settings.timeout, run(client, vm_id, settings)).await;
    tracing::info!(
        vm = vm_id,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "guest inspection finished"
    );
    let body = match result {
        Err(_) => {
            return failure(
                vm_id,
                format!(
                    "no result within {} s (--guest-timeout); the script may still be running in the VM",
                    settings.timeout.as_secs()
                ),
                None,
                Some("Timeout".into()),
            )
        }
        Ok(Err(e)) => return classify(vm_id, e),
        Ok(Ok(body)) => body,
    };
    let facts = match guest::split_run_command_result(&body) {
        Ok((stdout, stderr)) => guest::parse_output(&stdout, &stderr),
        Err(why) => GuestFacts {
            error: Some(format!("the Run Command result is unusable: {why}")),
            ..GuestFacts::default()
        },
    };
    // Unusable output is the audit's problem too: the guest was reachable but not read.
    // Partial output (a part the script could not read in the VM) is the VM's condition, told
    // by RDP506; output with no fact at all is the audit's failure.
    let nothing_read = GuestFacts {
        error: None,
        ..facts.clone()
    } == GuestFacts::default();
    let diagnostic = match &facts.error {
        Some(e) if nothing_read => Some(diag(vm_id, format!("guest inspection: {e}"), None, None)),
        _ => None,
    };
    Inspected { facts, diagnostic }
}

/// Why one run failed.
#[derive(Debug)]
enum RunError {
    Arm(ArmError),
    /// A polling URL off the ARM origin: nothing was sent there.
    Refused(String),
    /// The operation ended `Failed`/`Canceled`.
    Failed {
        code: Option<String>,
        message: String,
    },
    Protocol(String),
}

impl From<ArmError> for RunError {
    fn from(e: ArmError) -> Self {
        RunError::Arm(e)
    }
}

#[derive(Deserialize)]
struct OperationStatus {
    status: Option<String>,
    error: Option<OperationError>,
    properties: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OperationError {
    code: Option<String>,
    message: Option<String>,
}

/// POST, then poll until done. Returns the body holding the result (a `RunCommandResult`, or
/// the operation status whose `properties.output` holds it).
async fn run(
    client: &ArmClient,
    vm_id: &str,
    settings: &GuestSettings,
) -> Result<Vec<u8>, RunError> {
    let url = run_command(client.base(), vm_id);
    let input = serde_json::json!({
        "commandId": "RunPowerShellScript",
        "script": guest::script_lines(),
    });
    let started = client.post_action(&url, &input).await?;
    if started.status == 200 {
        return Ok(started.body); // finished at once
    }
    let poll_url = |name: &str| -> Result<Option<Url>, RunError> {
        let Some(raw) = started.header(name) else {
            return Ok(None);
        };
        // Used verbatim (ARM's Location may carry another api-version and signed parameters).
        let u = Url::parse(raw)
            .map_err(|_| RunError::Protocol(format!("the {name} header is not a URL: {raw}")))?;
        if !same_origin(client.base(), &u) {
            return Err(RunError::Refused(u.host_str().unwrap_or("?").to_string()));
        }
        Ok(Some(u))
    };
    let status_url = poll_url("azure-asyncoperation")?;
    let location = poll_url("location")?;
    if status_url.is_none() && location.is_none() {
        return Err(RunError::Protocol(format!(
            "HTTP {} without an Azure-AsyncOperation or Location header",
            started.status
        )));
    }
    let mut wait = next_wait(&started, settings);
    loop {
        tokio::time::sleep(wait).await;
        if let Some(op) = &status_url {
            let r = client.get_reply(op).await?;
            let status: OperationStatus = serde_json::from_slice(&r.body).map_err(|e| {
                RunError::Protocol(format!("the operation status is not JSON: {e}"))
            })?;
            match status
                .status
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("succeeded") => {
                    let has_output = status
                        .properties
                        .as_ref()
                        .is_some_and(|p| p.get("output").is_some());
                    if has_output {
                        return Ok(r.body);
                    }
                    // The result lives at the Location URL (final-state-via: location).
                    return match &location {
                        Some(loc) => Ok(client.get_reply(loc).await?.body),
                        None => Err(RunError::Protocol(
                            "the operation succeeded but gave no output and no Location".into(),
                        )),
                    };
                }
                Some("failed" | "canceled" | "cancelled") => {
                    let e = status.error;
                    return Err(RunError::Failed {
                        code: e.as_ref().and_then(|e| e.code.clone()),
                        message: e
                            .and_then(|e| e.message)
                            .unwrap_or_else(|| "the operation failed without a message".into()),
                    });
                }
                _ => wait = next_wait(&r, settings),
            }
        } else if let Some(loc) = &location {
            let r = client.get_reply(loc).await?;
            if r.status != 202 {
                return Ok(r.body);
            }
            wait = next_wait(&r, settings);
        }
    }
}

fn next_wait(r: &Reply, settings: &GuestSettings) -> Duration {
    retry_after(&r.headers).unwrap_or(settings.default_poll)
}

/// The RDP506 reason, and a diagnostic when the audit (not the VM) is at fault.
fn classify(vm_id: &str, e: RunError) -> Inspected {
    match e {
        RunError::Arm(e) => {
            let code = e.code.clone();
            match (e.status, code.as_deref()) {
                (Some(409), Some("Conflict")) => failure(
                    vm_id,
                    "another run command is in progress on the VM (409 Conflict: one at a time per VM); run rdpaudit again when it has finished".into(),
                    Some(&e),
                    None,
                ),
                // The VM's state, not the audit's: RDP101 already says why.
                (Some(409), Some("OperationNotAllowed")) => not_audit_fault(format!(
                    "Run Command is not allowed on the VM now: {}",
                    e.message
                )),
                (_, Some("VMAgentStatusCommunicationError")) => {
                    not_audit_fault(format!("the VM agent did not answer: {}", e.message))
                }
                (Some(403), _) => failure(
                    vm_id,
                    format!(
                        "no permission to run commands on the VM (needs Microsoft.Compute/virtualMachines/runCommand/action): {}",
                        e.message
                    ),
                    Some(&e),
                    None,
                ),
                _ => failure(vm_id, format!("the Run Command request failed: {e}"), Some(&e), None),
            }
        }
        RunError::Refused(host) => failure(
            vm_id,
            format!("refused to poll {host}: the operation's status URL is not on the ARM endpoint, and the token is only sent there"),
            None,
            Some("ForeignPollingUrl".into()),
        ),
        RunError::Failed { code, message } => match code.as_deref() {
            Some("VMAgentStatusCommunicationError") => {
                not_audit_fault(format!("the VM agent did not answer: {message}"))
            }
            _ => failure(
                vm_id,
                format!(
                    "the run command failed{}: {message}",
                    code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
                ),
                None,
                code,
            ),
        },
        RunError::Protocol(why) => failure(
            vm_id,
            format!("unexpected Run Command answer: {why}"),
            None,
            None,
        ),
    }
}

fn not_audit_fault(reason: String) -> Inspected {
    Inspected {
        facts: GuestFacts {
            error: Some(reason),
            ..GuestFacts::default()
        },
        diagnostic: None,
    }
}

fn failure(vm_id: &str, reason: String, e: Option<&ArmError>, code: Option<String>) -> Inspected {
    let d = diag(vm_id, format!("guest inspection: {reason}"), e, code);
    Inspected {
        facts: GuestFacts {
            error: Some(reason),
            ..GuestFacts::default()
        },
        diagnostic: Some(d),
    }
}

fn diag(vm_id: &str, message: String, e: Option<&ArmError>, code: Option<String>) -> Diagnostic {
    Diagnostic {
        level: DiagLevel::Warning,
        scope: Some(vm_id.to_string()),
        message,
        status: e.and_then(|e| e.status),
        code: code.or_else(|| e.and_then(|e| e.code.clone())),
        request_id: e.and_then(|e| e.request_id.clone()),
    }
}
