//! `check -g RG -n NAME` against live Azure (issue 16): the VM is found by a GET of the VM in
//! the subscription `--subscription` names, else the default one, over real HTTP to
//! `mock-arm`, and the report is the one `check <full id>` gives.
#![cfg(unix)]

mod common;

use common::live::{assert_code, json_of, live, serve};
use serde_json::Value;

const DEMO_SUB: &str = "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10";

/// The demo without its guest section: live ARM has no guest facts.
fn demo() -> Value {
    let mut d: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    if let Some(o) = d.as_object_mut() {
        o.remove("guest");
    }
    d
}

fn web_02() -> String {
    format!(
        "/subscriptions/{DEMO_SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/\
         virtualMachines/web-02"
    )
}

#[test]
fn check_by_group_and_name_reads_the_vm_like_check_by_id() {
    let snap = demo();
    let server = serve(&snap, |c| c);
    let by_id = live(&server, "check")
        .args(["-o", "json", &web_02()])
        .output()
        .expect("run");
    // A server of its own, so its log shows what the by-name run asked for.
    let server = serve(&snap, |c| c);
    let by_name = live(&server, "check")
        .args(["-o", "json", "--subscription", DEMO_SUB])
        .args(["-g", "rg-web", "-n", "web-02"])
        .output()
        .expect("run");
    assert_eq!(by_name.status.code(), by_id.status.code());
    let (a, b) = (json_of(&by_id), json_of(&by_name));
    assert_eq!(a["vms"], b["vms"]);
    assert_eq!(b["vms"][0]["id"], Value::String(web_02()));
    // The VM itself was asked for by its id under the named subscription and group.
    let asked = server
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.split('?').next().is_some_and(|p| p == web_02()));
    assert!(asked, "GET {}", web_02());
}

#[test]
fn without_subscription_the_default_one_is_used() {
    let snap = demo();
    let server = serve(&snap, |c| c);
    // The identity sees one subscription (the demo's): that is the default.
    let out = live(&server, "check")
        .args(["-o", "json", "-g", "rg-web", "-n", "web-02"])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["vms"][0]["name"], "web-02");
    // AZURE_SUBSCRIPTION_ID names it too.
    let out = live(&server, "check")
        .env("AZURE_SUBSCRIPTION_ID", DEMO_SUB)
        .args(["-o", "json", "-g", "rg-web", "-n", "web-02"])
        .output()
        .expect("run");
    assert_eq!(json_of(&out)["vms"][0]["name"], "web-02");
}

#[test]
fn a_vm_that_is_not_there_is_one_not_found_error_exit_2() {
    let snap = demo();
    let server = serve(&snap, |c| c);
    let out = live(&server, "check")
        .args(["--subscription", DEMO_SUB, "-g", "rg-web", "-n", "web-99"])
        .output()
        .expect("run");
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with(&format!(
            "rdpaudit: error: VM web-99 was not found in resource group rg-web of subscription \
             {DEMO_SUB}"
        )),
        "{err}"
    );
}

#[test]
fn subscription_with_a_snapshot_is_refused() {
    let out = assert_cmd::Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["check", "--demo", "--subscription", DEMO_SUB])
        .args(["-g", "rg-web", "-n", "web-02"])
        .output()
        .expect("run");
    assert_code(&out, 2);
}
