//! VM Run Command over real HTTP: the 202 and its polling URLs, the operation status and
//! result, the output computed from guest facts, conflicts, the per-VM failure modes, input
//! validation, and the pipeline (authentication, api-version, throttling) on the new routes.

mod common;

use common::*;
use mock_arm::{
    Faults, MockConfig, MockServer, RunCommandFault, Throttle, DEFAULT_FOREIGN_HOST,
    RUN_COMMAND_OUTPUT_LIMIT,
};
use serde_json::{json, Value};
use std::process::Command;

const POWERSHELL: &str = "RunPowerShellScript";

fn running_vm(name: &str, location: &str, agent: Option<&str>) -> Value {
    let mut iv = json!({"statuses": [
        {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
        {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}
    ]});
    if let Some(status) = agent {
        iv["vmAgent"] = json!({"vmAgentVersion": "2.7.41491.1102", "statuses": [{
            "code": "ProvisioningState/succeeded",
            "level": if status == "Ready" { "Info" } else { "Warning" },
            "displayStatus": status,
            "message": "GuestAgent is running and processing the extensions."
        }]});
    }
    json!({"id": vm_id(name), "name": name, "type": "Microsoft.Compute/virtualMachines",
           "location": location, "properties": {"provisioningState": "Succeeded",
           "storageProfile": {"osDisk": {"osType": "Windows"}}, "instanceView": iv}})
}

/// The small estate (web1 running with no guest facts, Db1 deallocated, app1 without power
/// state) plus running VMs for the guest-fact and failure cases.
fn snapshot() -> Value {
    let mut doc = small_snapshot();
    let extra = [
        running_vm("web2", "eastus2", Some("Ready")),
        running_vm("agent1", "westeurope", Some("Not Ready")),
        running_vm("broken1", "westeurope", None),
        running_vm("f-conflict", "westeurope", None),
        running_vm("f-agent", "westeurope", Some("Ready")),
        running_vm("f-forbidden", "westeurope", None),
        running_vm("f-never", "westeurope", None),
        running_vm("f-malformed", "westeurope", None),
        running_vm("f-truncated", "westeurope", None),
        running_vm("f-foreign", "westeurope", None),
    ];
    if let Some(resources) = doc["resources"].as_array_mut() {
        resources.extend(extra);
    }
    doc["guest"] = json!({
        vm_id("web2").to_uppercase(): {"rdpPort": 3390, "rdpEnabled": false, "termServiceRunning": false,
            "firewallAllowsRdp": false, "nla": false},
        vm_id("broken1"): {"error": "Run command extension failed: the script host exited with code 1."},
        vm_id("f-truncated"): {"rdpPort": 3391}
    });
    doc
}

fn cfg() -> MockConfig {
    MockConfig::new(snapshot())
        .expected_token(TOKEN)
        .run_command_retry_after(0)
}

fn run_command_path(vm: &str) -> String {
    format!("{}/runCommand?api-version={VM_API}", vm_id(vm))
}

fn post_json(server: &MockServer, path: &str, body: &Value) -> reqwest::blocking::Response {
    client()
        .post(format!("{}{path}", server.url()))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .expect("request succeeds")
}

fn run(server: &MockServer, vm: &str) -> reqwest::blocking::Response {
    post_json(
        server,
        &run_command_path(vm),
        &json!({"commandId": POWERSHELL, "script": ["Write-Output 1"], "parameters": []}),
    )
}

fn header(resp: &reqwest::blocking::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Accepts a run command; returns (status URL, result URL).
fn accept(server: &MockServer, vm: &str) -> (String, String) {
    let resp = run(server, vm);
    assert_eq!(resp.status(), 202, "{vm}");
    (
        header(&resp, "azure-asyncoperation"),
        header(&resp, "location"),
    )
}

/// The operation id in a polling URL.
fn op_id(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<usize> = s.split('-').map(str::len).collect();
    parts == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// Polls the status URL until the operation leaves `InProgress` (at most 20 polls).
fn finish(status_url: &str) -> Value {
    for _ in 0..20 {
        let body = json(get_url(status_url));
        if body["status"] != "InProgress" {
            return body;
        }
    }
    panic!("{status_url} never finished");
}

fn stdout_of(result: &Value) -> String {
    entry(result, "ComponentStatus/StdOut/succeeded")
}

fn stderr_of(result: &Value) -> String {
    entry(result, "ComponentStatus/StdErr/succeeded")
}

fn entry(result: &Value, code: &str) -> String {
    result["value"]
        .as_array()
        .and_then(|v| v.iter().find(|e| e["code"] == code))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {result}"))
        .to_owned()
}

/// Runs a command to completion on `vm`; returns the `RunCommandResult`.
fn run_to_result(server: &MockServer, vm: &str) -> Value {
    let (status, result) = accept(server, vm);
    assert_eq!(finish(&status)["status"], "Succeeded", "{vm}");
    let resp = get_url(&result);
    assert_eq!(resp.status(), 200);
    json(resp)
}

// ---------------------------------------------------------------- the long-running operation

#[test]
fn accepted_then_in_progress_then_succeeded_on_both_urls() {
    let server = start(cfg().run_command_polls(2));
    let resp = run(&server, "web1");
    assert_eq!(resp.status(), 202);
    assert!(resp.headers().get("content-type").is_none());
    assert!(resp
        .headers()
        .contains_key("x-ms-ratelimit-remaining-subscription-writes"));
    assert!(resp.headers().contains_key("x-ms-request-id"));
    assert_eq!(header(&resp, "retry-after"), "0");
    let status_url = header(&resp, "azure-asyncoperation");
    let result_url = header(&resp, "location");
    assert_eq!(resp.text().expect("body"), "");

    // {base}/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{id}?p={uuid}&api-version=2025-04-01
    let prefix = format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/operations/",
        server.url()
    );
    let rest = status_url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{status_url}"));
    let (op, query) = rest.split_once("?p=").expect("?p=");
    let p = query
        .strip_suffix("&api-version=2025-04-01")
        .expect("api-version last");
    assert!(is_uuid(op) && is_uuid(p), "{status_url}");
    assert_eq!(
        result_url,
        format!("{prefix}{op}?p={p}&monitor=true&api-version=2025-04-01")
    );

    // Poll 1 (status): InProgress, exactly startTime/status/name.
    let resp = get_url(&status_url);
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "retry-after"), "0");
    let body = json(resp);
    assert_eq!(body["status"], "InProgress");
    assert_eq!(body["name"], op);
    let start_time = body["startTime"].as_str().expect("startTime").to_owned();
    assert!(
        start_time.ends_with("+00:00") && start_time.len() == 33,
        "{start_time}"
    );
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["name", "startTime", "status"]);

    // Poll 2 (result): 202, no body, Location to itself, Retry-After.
    let resp = get_url(&result_url);
    assert_eq!(resp.status(), 202);
    assert_eq!(header(&resp, "location"), result_url);
    assert_eq!(header(&resp, "retry-after"), "0");
    assert_eq!(resp.text().expect("body"), "");

    // Poll 3: done.
    let resp = get_url(&status_url);
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("retry-after").is_none());
    let done = json(resp);
    assert_eq!(done["status"], "Succeeded");
    assert_eq!(done["name"], op);
    assert_eq!(done["startTime"], start_time.as_str());
    assert!(done["endTime"]
        .as_str()
        .is_some_and(|e| e >= start_time.as_str()));
    let output = &done["properties"]["output"];
    assert_eq!(
        output["value"][0],
        json!({"code": "ComponentStatus/StdOut/succeeded", "level": "Info",
               "displayStatus": "Provisioning succeeded", "message": stdout_of(output)})
    );
    assert_eq!(
        output["value"][1],
        json!({"code": "ComponentStatus/StdErr/succeeded", "level": "Info",
               "displayStatus": "Provisioning succeeded", "message": ""})
    );

    let resp = get_url(&result_url);
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp), *output);
    // The outcome stays available.
    assert_eq!(json(get_url(&status_url))["status"], "Succeeded");

    let log = server.requests();
    let count = |kind: &str| log.iter().filter(|r| r.route == kind).count();
    assert_eq!(
        (
            count("runCommand"),
            count("operationStatus"),
            count("operationResult")
        ),
        (1, 3, 2)
    );
    assert!(log
        .iter()
        .all(|r| r.bearer_present && r.token_matched && !r.unmatched));
    assert_eq!(
        log[0].resource_type.as_deref(),
        Some("Microsoft.Compute/virtualMachines")
    );
    assert_eq!(
        log[1].resource_type.as_deref(),
        Some("Microsoft.Compute/locations/operations")
    );
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn defaults_are_two_in_progress_polls_and_retry_after_one_second() {
    let server = start(MockConfig::new(snapshot()).expected_token(TOKEN));
    let resp = run(&server, "web2");
    assert_eq!(header(&resp, "retry-after"), "1");
    let status_url = header(&resp, "azure-asyncoperation");
    assert!(
        status_url.contains("/locations/eastus2/operations/"),
        "the VM's location: {status_url}"
    );
    let statuses: Vec<Value> = (0..3)
        .map(|_| json(get_url(&status_url))["status"].clone())
        .collect();
    assert_eq!(statuses, ["InProgress", "InProgress", "Succeeded"]);
}

#[test]
fn polls_of_both_urls_count_together() {
    let server = start(cfg().run_command_polls(2));
    let (status, result) = accept(&server, "web1");
    assert_eq!(get_url(&result).status(), 202);
    assert_eq!(json(get_url(&status))["status"], "InProgress");
    assert_eq!(get_url(&result).status(), 200);
}

#[test]
fn routes_are_case_insensitive() {
    let server = start(cfg().run_command_polls(0));
    let path = format!(
        "/SUBSCRIPTIONS/{SUB}/resourcegroups/RG-APP/providers/microsoft.compute/VIRTUALMACHINES/WEB1/RUNCOMMAND?api-version={VM_API}"
    );
    let resp = post_json(&server, &path, &json!({"commandId": "runpowershellscript"}));
    assert_eq!(resp.status(), 202);
    let op = op_id(&header(&resp, "azure-asyncoperation"));
    let status = format!(
        "{}/SUBSCRIPTIONS/{SUB}/PROVIDERS/microsoft.compute/LOCATIONS/WestEurope/Operations/{}?API-VERSION=2025-04-01",
        server.url(),
        op.to_uppercase()
    );
    assert_eq!(json(get_url(&status))["status"], "Succeeded");
    assert_eq!(get_url(&format!("{status}&monitor=TRUE")).status(), 200);
    assert!(server.unmatched_requests().is_empty());
}

// ---------------------------------------------------------------- output from guest facts

#[test]
fn stdout_is_the_guest_script_report_built_from_guest_facts() {
    let server = start(cfg().run_command_polls(0));

    // web1 has no guest facts: the defaults.
    let result = run_to_result(&server, "web1");
    assert_eq!(stderr_of(&result), "");
    let stdout = stdout_of(&result);
    assert_eq!(stdout.trim_end().lines().count(), 1, "one line: {stdout}");
    let r: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(r["schema"], "rdpaudit.guest/1");
    assert_eq!(
        r["rdpTcp"],
        json!({"portNumber": 3389, "securityLayer": 2, "userAuthentication": 1, "fEnableWinStation": 1})
    );
    assert_eq!(r["fDenyTSConnections"], json!({"local": 0, "policy": null}));
    assert_eq!(
        r["termService"],
        json!({"status": "Running", "startType": "Manual"})
    );
    assert_eq!(
        r["listeners"],
        json!([{"address": "0.0.0.0", "port": 3389}, {"address": "::", "port": 3389}])
    );
    let profiles = r["firewall"]["profiles"].as_array().expect("profiles");
    let names: Vec<&str> = profiles.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["Domain", "Private", "Public"]);
    for p in profiles {
        assert_eq!(p["enabled"], true);
        assert_eq!(p["defaultInboundAction"], "Block");
        assert_eq!(p["allowInboundRules"], true);
        assert_eq!(p["active"], p["name"] == "Public");
    }
    assert_eq!(
        r["firewall"]["allowRules"],
        json!([{"name": "RemoteDesktop-UserMode-In-TCP", "displayName": "Remote Desktop - User Mode (TCP-In)",
                "profiles": ["Any"], "localPorts": ["3389"], "remoteAddresses": ["Any"]}])
    );
    assert_eq!(r["firewall"]["blockRules"], json!([]));
    assert_eq!(r["errors"], json!([]));
    // Key order as docs/guest.md prints it.
    let keys: Vec<&String> = r.as_object().expect("object").keys().collect();
    let pos = |k: &str| stdout.find(&format!("\"{k}\":")).unwrap_or(usize::MAX);
    assert!(keys.len() == 7 && pos("schema") < pos("rdpTcp") && pos("firewall") < pos("errors"));

    // web2 (guest key in another case): port 3390, RDP disabled, service stopped (so not
    // listening), firewall closed, no NLA.
    let r: Value = serde_json::from_str(&stdout_of(&run_to_result(&server, "web2"))).expect("JSON");
    assert_eq!(
        r["rdpTcp"],
        json!({"portNumber": 3390, "securityLayer": 1, "userAuthentication": 0, "fEnableWinStation": 1})
    );
    assert_eq!(r["fDenyTSConnections"], json!({"local": 1, "policy": null}));
    assert_eq!(r["termService"]["status"], "Stopped");
    assert_eq!(r["listeners"], json!([]));
    assert_eq!(r["firewall"]["allowRules"], json!([]));
    assert_eq!(r["firewall"]["profiles"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_guest_error_fails_the_operation() {
    let server = start(cfg().run_command_polls(0));
    let (status, result) = accept(&server, "broken1");
    let body = json(get_url(&status));
    assert_eq!(body["status"], "Failed");
    assert!(body["endTime"].is_string() && body.get("properties").is_none());
    assert_eq!(
        body["error"],
        json!({"code": "VMExtensionProvisioningError",
               "message": "Run command extension failed: the script host exited with code 1."})
    );
    let resp = get_url(&result);
    assert_eq!(resp.status(), 500);
    let err = json(resp);
    assert_eq!(error_code(&err), "VMExtensionProvisioningError");
    // A reported failure frees the VM too.
    assert_eq!(run(&server, "broken1").status(), 202);
}

#[test]
fn an_agent_that_is_not_ready_fails_the_operation() {
    let server = start(cfg().run_command_polls(1));
    let (status, result) = accept(&server, "agent1");
    // Still a long-running operation: InProgress first.
    assert_eq!(get_url(&result).status(), 202);
    let resp = get_url(&result);
    assert_eq!(resp.status(), 409);
    let err = json(resp);
    assert_eq!(error_code(&err), "VMAgentStatusCommunicationError");
    assert_eq!(
        err["error"]["message"],
        "VM 'agent1' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure storage."
    );
    let body = json(get_url(&status));
    assert_eq!(body["status"], "Failed");
    assert_eq!(body["error"], err["error"]);
    assert_eq!(body["name"].as_str().map(is_uuid), Some(true));
}

// ---------------------------------------------------------------- refusals and conflicts

#[test]
fn vm_checks_come_in_order() {
    let server = start(cfg());
    let resp = run(&server, "nope");
    assert_eq!(resp.status(), 404);
    let body = json(resp);
    assert_eq!(error_code(&body), "ResourceNotFound");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Microsoft.Compute/virtualMachines/nope")));

    let path = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/web1/runCommand?api-version={VM_API}",
        rg_id("rg-none")
    );
    let resp = post_json(&server, &path, &json!({"commandId": POWERSHELL}));
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "ResourceGroupNotFound");

    // Deallocated, and no power state at all: not running.
    for vm in ["Db1", "app1"] {
        let resp = run(&server, vm);
        assert_eq!(resp.status(), 409, "{vm}");
        assert_eq!(
            json(resp),
            json!({"error": {"code": "OperationNotAllowed",
                   "message": "The operation requires the VM to be running (or set to run)."}})
        );
    }
    let other_sub = format!(
        "/subscriptions/00000000-0000-0000-0000-00000000dead/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1/runCommand?api-version={VM_API}"
    );
    let resp = post_json(&server, &other_sub, &json!({"commandId": POWERSHELL}));
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "SubscriptionNotFound");
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn one_run_command_per_vm_until_a_poll_reports_it_finished() {
    let server = start(cfg().run_command_polls(1));
    let conflict = json!({"error": {"code": "Conflict",
        "message": "Run command extension execution is in progress. Please wait for completion before invoking a run command."}});
    let (status, _) = accept(&server, "web1");
    let resp = run(&server, "web1");
    assert_eq!(resp.status(), 409);
    assert_eq!(json(resp), conflict);
    // Other VMs are not affected.
    let (other, _) = accept(&server, "web2");
    assert_eq!(json(get_url(&status))["status"], "InProgress");
    assert_eq!(run(&server, "web1").status(), 409);
    assert_eq!(json(get_url(&status))["status"], "Succeeded");
    // Free again; the new operation has a new id.
    let (again, _) = accept(&server, "web1");
    assert_ne!(again, status);
    assert_eq!(finish(&other)["status"], "Succeeded");
}

#[test]
fn operations_belong_to_their_subscription_and_location() {
    let server = start(cfg().run_command_polls(5));
    let (status, result) = accept(&server, "web1");
    let not_found = json!({"error": {"code": "NotFound",
        "message": "The entity was not found in this Azure location."}});
    for url in [
        status.replace(SUB, SUB2),
        result.replace(SUB, SUB2),
        status.replace("/westeurope/", "/eastus/"),
        format!(
            "{}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/operations/00000000-0000-4000-8000-000000000000?api-version=2025-04-01",
            server.url()
        ),
    ] {
        let resp = get_url(&url);
        assert_eq!(resp.status(), 404, "{url}");
        assert_eq!(json(resp), not_found, "{url}");
    }
    let resp = get_url(&status.replace(SUB, "00000000-0000-0000-0000-00000000dead"));
    assert_eq!(error_code(&json(resp)), "SubscriptionNotFound");
    // The operation id is case-insensitive.
    let op = op_id(&status);
    assert_eq!(
        get_url(&status.replace(&op, &op.to_uppercase())).status(),
        200
    );
    assert!(server.unmatched_requests().is_empty());
}

// ---------------------------------------------------------------- failure modes

fn faulty() -> MockServer {
    start(
        cfg()
            .run_command_polls(0)
            .run_command_fault("f-conflict", RunCommandFault::Conflict)
            .run_command_fault("F-AGENT", RunCommandFault::AgentNotReady)
            .run_command_fault(
                vm_id("f-forbidden").to_uppercase(),
                RunCommandFault::Forbidden,
            )
            .run_command_fault("f-never", RunCommandFault::Never)
            .run_command_fault("f-malformed", RunCommandFault::Malformed)
            .run_command_fault("f-truncated", RunCommandFault::Truncated)
            .run_command_fault("f-foreign", RunCommandFault::ForeignPoll),
    )
}

fn fault_of(server: &MockServer, vm: &str) -> Option<String> {
    server
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.route == "runCommand" && r.path.contains(&format!("/{vm}/")))
        .and_then(|r| r.fault)
}

#[test]
fn conflict_mode_refuses_every_post() {
    let server = faulty();
    for _ in 0..2 {
        let resp = run(&server, "f-conflict");
        assert_eq!(resp.status(), 409);
        assert_eq!(error_code(&json(resp)), "Conflict");
    }
    assert_eq!(fault_of(&server, "f-conflict").as_deref(), Some("conflict"));
}

#[test]
fn agent_not_ready_mode_fails_after_acceptance() {
    let server = faulty();
    let (status, result) = accept(&server, "f-agent");
    let body = finish(&status);
    assert_eq!(body["status"], "Failed");
    assert_eq!(body["error"]["code"], "VMAgentStatusCommunicationError");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("VM 'f-agent' has not reported status")));
    assert_eq!(get_url(&result).status(), 409);
    assert_eq!(
        fault_of(&server, "f-agent").as_deref(),
        Some("agentNotReady")
    );
}

#[test]
fn forbidden_mode_is_an_authorization_failure_for_the_run_command_action() {
    let server = faulty();
    let resp = run(&server, "f-forbidden");
    assert_eq!(resp.status(), 403);
    let body = json(resp);
    assert_eq!(error_code(&body), "AuthorizationFailed");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("does not have authorization to perform action 'Microsoft.Compute/virtualMachines/runCommand/action'")
            && msg.contains(&format!("over scope '{}'", vm_id("f-forbidden"))),
        "{msg}"
    );
    assert_eq!(
        fault_of(&server, "f-forbidden").as_deref(),
        Some("forbidden")
    );
}

#[test]
fn never_mode_stays_in_progress_and_keeps_the_vm_busy() {
    let server = faulty();
    let (status, result) = accept(&server, "f-never");
    for _ in 0..5 {
        let resp = get_url(&status);
        assert_eq!(header(&resp, "retry-after"), "0");
        assert_eq!(json(resp)["status"], "InProgress");
        assert_eq!(get_url(&result).status(), 202);
    }
    assert_eq!(run(&server, "f-never").status(), 409);
}

#[test]
fn malformed_mode_succeeds_with_a_powershell_error_instead_of_json() {
    let server = faulty();
    let result = run_to_result(&server, "f-malformed");
    let stdout = stdout_of(&result);
    assert!(serde_json::from_str::<Value>(&stdout).is_err());
    assert!(stdout.starts_with("Get-NetTCPConnection : The term 'Get-NetTCPConnection' is not recognized as the name of a cmdlet"));
    assert_eq!(stderr_of(&result), stdout);
    assert_eq!(
        fault_of(&server, "f-malformed").as_deref(),
        Some("malformed")
    );
}

#[test]
fn truncated_mode_keeps_only_the_last_4096_bytes() {
    let server = faulty();
    let result = run_to_result(&server, "f-truncated");
    let stdout = stdout_of(&result);
    assert_eq!(RUN_COMMAND_OUTPUT_LIMIT, 4096);
    assert_eq!(stdout.len(), 4096);
    assert!(!stdout.starts_with('{'), "the start is cut off");
    assert!(serde_json::from_str::<Value>(&stdout).is_err());
    assert!(stdout.trim_end().ends_with("]}"), "the end survives");
    assert_eq!(stderr_of(&result), "");
    assert_eq!(
        fault_of(&server, "f-truncated").as_deref(),
        Some("truncated")
    );
    // The full report (what the script printed) would have started with the schema.
    assert!(stdout.contains("could not be read"));
}

#[test]
fn foreign_poll_mode_points_both_urls_at_the_foreign_host() {
    let server = faulty();
    let resp = run(&server, "f-foreign");
    assert_eq!(resp.status(), 202);
    let status = header(&resp, "azure-asyncoperation");
    let result = header(&resp, "location");
    let prefix = format!("{DEFAULT_FOREIGN_HOST}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/operations/");
    assert!(status.starts_with(&prefix), "{status}");
    assert!(
        result.starts_with(&prefix) && result.contains("&monitor=true&"),
        "{result}"
    );
    assert_eq!(
        fault_of(&server, "f-foreign").as_deref(),
        Some("foreignPoll")
    );
    // Only the host differs: the operation answers on the mock itself.
    let local = status.replace(DEFAULT_FOREIGN_HOST, &server.url());
    assert_eq!(finish(&local)["status"], "Succeeded");

    // The host is the one `--foreign-host` sets for nextLinks.
    let mut f = Faults::none();
    f.foreign_host = Some("https://attacker.example.org/".into());
    let custom = start(
        cfg()
            .faults(f)
            .run_command_fault("web1", RunCommandFault::ForeignPoll),
    );
    let resp = run(&custom, "web1");
    assert!(header(&resp, "azure-asyncoperation")
        .starts_with("https://attacker.example.org/subscriptions/"));
}

// ---------------------------------------------------------------- input validation

#[test]
fn the_body_must_be_a_run_command_input() {
    let server = start(cfg());
    let raw = |body: &str| {
        client()
            .post(format!("{}{}", server.url(), run_command_path("web1")))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .expect("request succeeds")
    };
    for (body, needle) in [
        ("", "could not be deserialized"),
        ("{not json", "could not be deserialized"),
        ("[1]", "could not be deserialized"),
        ("{}", "Required parameter 'commandId' is missing (null)."),
        (r#"{"commandId": null}"#, "'commandId' is missing"),
        (r#"{"commandId": 7}"#, "parameter 'commandId' is invalid"),
        (
            r#"{"commandId": "RunPowerShellScript", "script": "one line"}"#,
            "parameter 'script' is invalid",
        ),
        (
            r#"{"commandId": "RunPowerShellScript", "script": [1]}"#,
            "parameter 'script' is invalid",
        ),
        (
            r#"{"commandId": "RunPowerShellScript", "parameters": [{"name": "a"}]}"#,
            "parameter 'parameters' is invalid",
        ),
    ] {
        let resp = raw(body);
        assert_eq!(resp.status(), 400, "{body}");
        let err = json(resp);
        assert_eq!(error_code(&err), "InvalidParameter", "{body}");
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(needle)),
            "{body}: {err}"
        );
        assert_eq!(err.as_object().map(|o| o.len()), Some(1));
    }
    let resp = post_json(
        &server,
        &run_command_path("web1"),
        &json!({"commandId": "RunFooScript", "script": []}),
    );
    assert_eq!(resp.status(), 404);
    assert_eq!(
        json(resp),
        json!({"error": {"code": "NotFound", "message": "The entity was not found in this Azure location."}})
    );
    // Shell scripts run too, with parameters.
    let resp = post_json(
        &server,
        &run_command_path("web1"),
        &json!({"commandId": "RunShellScript", "script": ["echo $1"], "parameters": [{"name": "a", "value": "b"}]}),
    );
    assert_eq!(resp.status(), 202);
    // Nothing was accepted for the rejected bodies: the VM was free.
    assert!(server.unmatched_requests().is_empty());
}

// ---------------------------------------------------------------- the request pipeline

#[test]
fn authentication_and_api_version_are_required() {
    let server = start(cfg().run_command_polls(3));
    let url = format!("{}{}", server.url(), run_command_path("web1"));
    let resp = client()
        .post(&url)
        .json(&json!({"commandId": POWERSHELL}))
        .send()
        .expect("answers");
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = client()
        .post(&url)
        .bearer_auth("wrong")
        .json(&json!({"commandId": POWERSHELL}))
        .send()
        .expect("answers");
    assert_eq!(resp.status(), 401);
    assert_eq!(error_code(&json(resp)), "InvalidAuthenticationToken");
    let resp = post_json(
        &server,
        &format!("{}/runCommand", vm_id("web1")),
        &json!({"commandId": POWERSHELL}),
    );
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&json(resp)), "MissingApiVersionParameter");

    let (status, result) = accept(&server, "web1");
    for url in [&status, &result] {
        let resp = client().get(url.as_str()).send().expect("answers");
        assert_eq!(resp.status(), 401, "{url}");
    }
    let log = server.requests();
    assert_eq!(log.iter().filter(|r| !r.bearer_present).count(), 3);
    assert!(log
        .iter()
        .filter(|r| !r.bearer_present)
        .all(|r| r.status == Some(401)));
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn throttling_and_server_errors_apply_to_run_command() {
    let server = start(
        cfg().run_command_polls(0).faults(
            Faults::none()
                .throttle(Throttle::first(1).only_type("Microsoft.Compute/virtualMachines"))
                .error_first(2),
        ),
    );
    // Request 1: throttled (a write).
    let resp = run(&server, "web1");
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "retry-after"), "1");
    let body = json(resp);
    assert_eq!(error_code(&body), "SubscriptionRequestsThrottled");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Number of 'write' requests")));
    // Request 2: a server error.
    let resp = run(&server, "web1");
    assert!(resp.status().is_server_error());
    // Then through.
    let (status, _) = accept(&server, "web1");
    assert_eq!(json(get_url(&status))["status"], "Succeeded");
    let faults: Vec<Option<String>> = server.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults[0].as_deref(), Some("throttle"));
    assert!(faults[1]
        .as_deref()
        .is_some_and(|f| f.starts_with("error5")));
}

#[test]
fn unregistered_compute_namespace_is_refused() {
    let server = start(cfg().faults(Faults::none().unregistered("Microsoft.Compute")));
    let resp = run(&server, "web1");
    assert_eq!(resp.status(), 409);
    assert_eq!(error_code(&json(resp)), "MissingSubscriptionRegistration");
}

// ---------------------------------------------------------------- the CLI

#[test]
fn serve_flags_configure_run_command() {
    let dir = std::env::temp_dir().join(format!("mock-arm-runcommand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let file = dir.join("snapshot.json");
    std::fs::write(&file, snapshot().to_string()).expect("written");
    let server = serve_binary(
        Command::new(BIN)
            .args([
                "serve",
                "--token",
                TOKEN,
                "--run-command-polls",
                "1",
                "--run-command-retry-after",
                "0",
                "--run-command-fault",
                "f-never=never",
                "--run-command-fault",
            ])
            .arg(format!("{}=conflict", vm_id("web2")))
            .arg("--snapshot")
            .arg(&file),
    );
    let url = server.url.clone();
    let post = |vm: &str| {
        client()
            .post(format!("{url}{}", run_command_path(vm)))
            .bearer_auth(TOKEN)
            .json(&json!({"commandId": POWERSHELL}))
            .send()
            .expect("answers")
    };
    let resp = post("web1");
    assert_eq!(resp.status(), 202);
    assert_eq!(header(&resp, "retry-after"), "0");
    let status = header(&resp, "azure-asyncoperation");
    assert_eq!(json(get_url(&status))["status"], "InProgress");
    assert_eq!(json(get_url(&status))["status"], "Succeeded");
    assert_eq!(post("web2").status(), 409);
    let never = header(&post("f-never"), "azure-asyncoperation");
    for _ in 0..3 {
        assert_eq!(json(get_url(&never))["status"], "InProgress");
    }
    drop(server);

    let bad = Command::new(BIN)
        .args([
            "serve",
            "--run-command-fault",
            "web1=sometimes",
            "--snapshot",
        ])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("agent-not-ready"));
}
