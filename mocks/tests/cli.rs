//! The `mock-arm` binary: `generate` is deterministic, `serve` announces its URL and serves.

mod common;

use common::{serve_binary, BIN};
use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mock-arm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(name)
}

#[test]
fn generate_is_deterministic() {
    let run = |seed: &str, out: &PathBuf| {
        let status = Command::new(BIN)
            .args([
                "generate",
                "--vms",
                "40",
                "--seed",
                seed,
                "--subscriptions",
                "2",
                "--out",
            ])
            .arg(out)
            .status()
            .expect("runs");
        assert!(status.success());
        std::fs::read(out).expect("written")
    };
    let a = run("9", &tmp("a.json"));
    let b = run("9", &tmp("b.json"));
    let c = run("10", &tmp("c.json"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let doc: serde_json::Value = serde_json::from_slice(&a).expect("JSON");
    assert_eq!(doc["schema"], "rdpaudit.snapshot/1");
    assert_eq!(doc["subscriptions"].as_array().map(Vec::len), Some(2));
}

#[test]
fn serve_prints_its_url_and_answers() {
    let snapshot = tmp("serve.json");
    let status = Command::new(BIN)
        .args(["generate", "--vms", "30", "--seed", "1", "--out"])
        .arg(&snapshot)
        .status()
        .expect("runs");
    assert!(status.success());
    let log = tmp("serve.jsonl");
    let mut server = serve_binary(
        Command::new(BIN)
            .args([
                "serve",
                "--page-size",
                "7",
                "--token",
                "cli-token",
                "--identity-header",
                "h",
                "--snapshot",
            ])
            .arg(&snapshot)
            .arg("--log")
            .arg(&log),
    );
    let url = server.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"));
    let second = server
        .lines
        .next()
        .and_then(Result::ok)
        .expect("second line");
    assert_eq!(
        second,
        format!("mock-arm managed identity: IDENTITY_ENDPOINT={url}/msi/token IDENTITY_HEADER=h")
    );

    let client = reqwest::blocking::Client::new();
    let subs: serde_json::Value = client
        .get(format!("{url}/subscriptions?api-version=2022-12-01"))
        .bearer_auth("cli-token")
        .send()
        .and_then(|r| r.json())
        .expect("subscriptions");
    let sub = subs["value"][0]["subscriptionId"]
        .as_str()
        .expect("sub")
        .to_owned();
    let mut url_next = Some(format!("{url}/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines?api-version=2025-04-01"));
    let mut count = 0;
    while let Some(u) = url_next {
        let page: serde_json::Value = client
            .get(u)
            .bearer_auth("cli-token")
            .send()
            .and_then(|r| r.json())
            .expect("page");
        count += page["value"].as_array().map_or(0, Vec::len);
        url_next = page["nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(count, 30);
    drop(server);
    let logged = std::fs::read_to_string(&log).expect("log file");
    assert_eq!(
        logged.lines().count(),
        1 + 5,
        "one subscriptions call and five pages of 7"
    );
}

#[test]
fn serve_configures_resource_graph() {
    let snapshot = tmp("graph.json");
    let status = Command::new(BIN)
        .args([
            "generate",
            "--vms",
            "20",
            "--seed",
            "2",
            "--subscriptions",
            "2",
            "--out",
        ])
        .arg(&snapshot)
        .status()
        .expect("runs");
    assert!(status.success());
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&snapshot).expect("written")).expect("JSON");
    let sub = doc["subscriptions"][1]["subscriptionId"]
        .as_str()
        .expect("sub")
        .to_owned();
    let server = serve_binary(
        Command::new(BIN)
            .args(["serve", "--graph-page-size", "4", "--graph-quota", "2/1m"])
            .arg("--management-group")
            .arg(format!("mg-one={sub}"))
            .arg("--snapshot")
            .arg(&snapshot),
    );
    let url = server.url.clone();
    let query = |body: serde_json::Value| {
        reqwest::blocking::Client::new()
            .post(format!(
                "{url}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
            ))
            .bearer_auth("any")
            .json(&body)
            .send()
            .expect("answers")
    };
    let resp = query(
        serde_json::json!({"managementGroups": ["mg-one"], "query": "Resources | project id, subscriptionId"}),
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-ms-user-quota-remaining"], "1");
    assert_eq!(resp.headers()["x-ms-user-quota-resets-after"], "00:01:00");
    let page: serde_json::Value = resp.json().expect("JSON");
    assert_eq!(page["count"], 4);
    assert!(page["data"]
        .as_array()
        .expect("rows")
        .iter()
        .all(|r| r["subscriptionId"] == sub.as_str()));
    assert_eq!(
        query(serde_json::json!({"query": "Resources"})).status(),
        200
    );
    let throttled = query(serde_json::json!({"query": "Resources"}));
    assert_eq!(throttled.status(), 429);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("seconds");
    assert!((59..=60).contains(&retry), "{retry}");

    let bad = Command::new(BIN)
        .args(["serve", "--graph-quota", "fast", "--snapshot"])
        .arg(&snapshot)
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("QUERIES/WINDOW"));
}
