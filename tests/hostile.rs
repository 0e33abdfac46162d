//! Hostile and odd snapshots through the real binary: no panic (exit 101), bounded diagnostics,
//! one rule for duplicate keys (the last one wins), errors in JSON terms.
//!
//! Small cases live in `tests/fixtures/snapshots-hostile/`; big ones are generated here.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/snapshots-hostile")
        .join(name)
}

/// `audit -o json` on a snapshot given as a file path or as text on stdin: (exit code, report).
fn audit(path: Option<&Path>, stdin: Option<String>) -> (i32, Value) {
    let mut c = common::live::audit_json();
    match (path, stdin) {
        (Some(p), _) => c.arg(p),
        (None, Some(text)) => c.arg("-").write_stdin(text),
        (None, None) => unreachable!("a path or a text"),
    };
    let out = c.output().expect("run");
    let code = out.status.code().expect("exit code");
    assert_ne!(
        code,
        101,
        "panicked: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "exit {code}, stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// The errors and warnings (an `info` notice, such as a snapshot without `securityAdminRules`,
/// is not a problem with the input).
fn diagnostics(r: &Value) -> Vec<Value> {
    r["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d["level"] != "info")
        .collect()
}

#[test]
fn multibyte_power_state_code_is_unknown_not_a_panic() {
    let (code, r) = audit(Some(&fixture("power-state-multibyte.json")), None);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["vms"], 1);
    assert_eq!(r["vms"][0]["powerState"], "unknown");
}

#[test]
fn multibyte_provisioning_state_code_is_not_a_panic() {
    let (code, r) = audit(Some(&fixture("provisioning-state-multibyte.json")), None);
    assert_eq!(code, 0);
    assert_eq!(r["vms"][0]["powerState"], "running");
}

/// `n` copies of `item` as the resources of a bare-array snapshot, in a temporary file.
fn generated(item: &str, n: usize) -> tempfile::NamedTempFile {
    let mut text = String::with_capacity(n * (item.len() + 1) + 2);
    text.push('[');
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(item);
    }
    text.push(']');
    let f = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(f.path(), text).expect("write");
    f
}

#[test]
fn many_nulls_give_one_aggregate_diagnostic() {
    let f = generated("null", 200_000);
    let (code, r) = audit(Some(f.path()), None);
    assert_eq!(code, 3, "unreadable resources make the audit incomplete");
    let d = diagnostics(&r);
    assert!(d.len() <= 3, "{} diagnostics", d.len());
    let msg = d[0]["message"].as_str().expect("message");
    assert!(
        msg.starts_with("200000 resources are not JSON objects"),
        "{msg}"
    );
    assert!(
        msg.contains("resources[0], resources[1], resources[2]"),
        "{msg}"
    );
    assert!(msg.contains("found null"), "{msg}");
}

#[test]
fn many_empty_objects_give_one_aggregate_diagnostic() {
    let f = generated("{}", 200_000);
    let (_, r) = audit(Some(f.path()), None);
    let d = diagnostics(&r);
    assert_eq!(d.len(), 1, "{d:?}");
    let msg = d[0]["message"].as_str().expect("message");
    assert!(msg.starts_with("200000 resources have no `id`"), "{msg}");
}

#[test]
fn many_resources_with_one_problem_aggregate_and_a_few_are_listed() {
    let vm = |i: usize| {
        format!(
            r#"{{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}","type":"Microsoft.Compute/virtualMachines"}}"#
        )
    };
    let many: Vec<String> = (0..50).map(vm).collect();
    let (_, r) = audit(None, Some(format!("[{}]", many.join(","))));
    let d = diagnostics(&r);
    assert_eq!(d.len(), 1, "{d:?}");
    let msg = d[0]["message"].as_str().expect("message");
    assert!(
        msg.starts_with("field `properties` is missing or null (50 resources; first: "),
        "{msg}"
    );
    // A few of one kind are still reported one by one, each naming its resource.
    let few: Vec<String> = (0..3).map(vm).collect();
    let (_, r) = audit(None, Some(format!("[{}]", few.join(","))));
    let d = diagnostics(&r);
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d
        .iter()
        .all(|d| d["message"] == "field `properties` is missing or null"
            && d["scope"].as_str().is_some_and(|s| s.contains("/vm"))));
}

#[test]
fn duplicate_keys_last_one_wins_everywhere() {
    for name in [
        "duplicate-top-level-key.json",
        "duplicate-type-key.json",
        "duplicate-nested-key.json",
    ] {
        let (code, r) = audit(Some(&fixture(name)), None);
        assert_eq!(code, 0, "{name}: {r}");
        assert!(diagnostics(&r).is_empty(), "{name}: {r}");
        // The last `resources`, the last `type` (a VM, not a public IP), the last `osType`
        // (Windows, not Linux): in each case one Windows VM.
        assert_eq!(r["summary"]["vms"], 1, "{name}");
        assert_eq!(r["vms"][0]["name"], "vm-dup", "{name}");
    }
}

#[test]
fn wrong_types_are_named_by_json_path_not_rust_type() {
    let (code, r) = audit(Some(&fixture("storage-profile-wrong-type.json")), None);
    assert_eq!(code, 3);
    let d = diagnostics(&r);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0]["scope"]
        .as_str()
        .is_some_and(|s| s.ends_with("/virtualMachines/vm-bad")));
    assert_eq!(
        d[0]["message"],
        "field `properties.storageProfile`: expected an object, found a string"
    );
}

#[test]
fn wrong_types_elsewhere_speak_json_too() {
    let cases = [
        // a port as a string where ARM has a number
        (
            r#"[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb","type":"Microsoft.Network/loadBalancers","properties":{"inboundNatRules":[{"name":"r","properties":{"frontendPort":"3389"}}]}}]"#,
            "field `properties.inboundNatRules[0].properties.frontendPort`: expected an integer, found a string",
        ),
        // a list as an object
        (
            r#"[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n","type":"Microsoft.Network/networkSecurityGroups","properties":{"securityRules":{}}}]"#,
            "field `properties.securityRules`: expected an array, found an object",
        ),
    ];
    for (text, want) in cases {
        let (_, r) = audit(None, Some(text.to_string()));
        let d = diagnostics(&r);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0]["message"], want);
    }
    // Guest facts in a snapshot: the same words.
    let text = r#"{"schema":"rdpaudit.snapshot/1","resources":[],"guest":{"/subscriptions/s/x":{"rdpPort":99999}}}"#;
    let (_, r) = audit(None, Some(text.to_string()));
    assert_eq!(
        diagnostics(&r)[0]["message"],
        "guest facts ignored: field `rdpPort`: expected an integer 0-65535, found 99999"
    );
}

#[test]
fn wrong_top_level_types_exit_2_naming_the_field() {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    let out = c
        .args(["audit", "--snapshot", "-"])
        .write_stdin(r#"{"schema":"rdpaudit.snapshot/1","resources":[],"subscriptions":[{"subscriptionId":5}]}"#)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("field `subscriptions[0].subscriptionId`: expected a string, found 5"),
        "{err}"
    );
}
