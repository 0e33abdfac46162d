//! The real `rdpaudit` binary against `mock-arm` over real HTTP. Credentials come from the
//! mock's App Service managed-identity endpoint, set only in the child process's environment.

use assert_cmd::Command;
use mock_arm::{MockConfig, MockServer};
use serde_json::Value;
use std::process::Output;
use std::time::Duration;

/// The `X-IDENTITY-HEADER` secret the mock's managed-identity endpoint is started with.
pub const HEADER: &str = "test-identity-header";

/// Starts the mock on `snapshot`; Run Command answers without `Retry-After` waits unless `cfg`
/// says otherwise, so tests stay fast.
pub fn serve(snapshot: &Value, cfg: impl FnOnce(MockConfig) -> MockConfig) -> MockServer {
    let base = MockConfig::new(snapshot.clone())
        .identity_header(HEADER)
        .run_command_retry_after(0);
    MockServer::start(cfg(base)).expect("mock-arm starts")
}

/// `rdpaudit <command> --arm-endpoint <mock> --auth managed-identity`, with nothing else from
/// this process's environment but `PATH`.
pub fn live(server: &MockServer, command: &str) -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IDENTITY_ENDPOINT", server.identity_endpoint())
        .env("IDENTITY_HEADER", HEADER)
        .args([
            command,
            "--arm-endpoint",
            &server.url(),
            "--auth",
            "managed-identity",
        ])
        .timeout(Duration::from_secs(180));
    c
}

pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stdout as JSON; a panic shows both streams.
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stdout: {} stderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Runs `cmd`, checks the exit code, returns the JSON report.
pub fn report_of(cmd: &mut Command, code: i32) -> Value {
    let out = cmd.output().expect("run");
    assert_code(&out, code);
    json_of(&out)
}

/// `rdpaudit audit -o json --fail-on never --snapshot`, the snapshot's path or `-` still to add.
pub fn audit_json() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("RDPAUDIT_ARM_ENDPOINT").args([
        "audit",
        "-o",
        "json",
        "--fail-on",
        "never",
        "--snapshot",
    ]);
    c
}

/// [`audit_json`] of `doc` (a JSON value or its text) on stdin, with `extra` arguments.
pub fn audit_stdin(doc: impl std::fmt::Display, extra: &[&str]) -> Output {
    audit_json()
        .arg("-")
        .args(extra)
        .write_stdin(doc.to_string())
        .output()
        .expect("run")
}

/// The report of `doc` audited offline: what a live audit of the same data is compared with.
pub fn audit_offline(doc: &Value) -> Value {
    json_of(&audit_stdin(doc, &[]))
}

/// A report's VMs without RDP103: Resource Graph has no VM agent status (docs/backends.md).
pub fn without_rdp103(vms: &Value) -> Value {
    let mut vms = vms.clone();
    for vm in vms.as_array_mut().into_iter().flatten() {
        if let Some(f) = vm["findings"].as_array_mut() {
            f.retain(|x| x["ruleId"] != "RDP103");
        }
    }
    vms
}
