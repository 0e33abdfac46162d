//! `mock-arm serve`'s fault flags: `--faults MODES --fault-rate R --seed N` gives random faults
//! of every chosen kind (a truncated body is really cut short, a slow one arrives whole), and
//! the individual flags reach their faults.

mod common;

use common::{serve_binary, small_snapshot, BIN, SUB};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn snapshot_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mock-arm-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(name);
    std::fs::write(&path, small_snapshot().to_string()).expect("write");
    path
}

fn nsg_list(url: &str) -> String {
    format!("{url}/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups?api-version=2025-07-01")
}

#[test]
fn random_faults_give_every_chosen_kind_from_the_seed() {
    let snapshot = snapshot_file("random.json");
    let log = snapshot.with_extension("jsonl");
    // Every request gets a fault; no hang, so each request ends.
    let server = serve_binary(
        Command::new(BIN)
            .args(["serve", "--seed", "7", "--fault-rate", "1", "--faults"])
            .arg("throttle,error,reset,slow,truncate,empty-page")
            .arg("--snapshot")
            .arg(&snapshot)
            .arg("--log")
            .arg(&log),
    );
    let client = reqwest::blocking::Client::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..80 {
        let got = client
            .get(nsg_list(&server.url))
            .bearer_auth("t")
            .send()
            .and_then(|r| Ok((r.status().as_u16(), r.text()?)));
        let kind = match got {
            Err(_) => "transport error".to_owned(),
            Ok((200, body)) => match serde_json::from_str::<Value>(&body) {
                Ok(v) if v["value"].is_array() => "whole page".to_owned(),
                Ok(_) => "page without its array".to_owned(),
                Err(_) => format!("not JSON: {body:.40}"),
            },
            Ok((status, _)) => format!("HTTP {status}"),
        };
        *outcomes.entry(kind).or_default() += 1;
    }
    for kind in [
        "transport error",
        "whole page",
        "page without its array",
        "HTTP 429",
        "HTTP 500",
        "HTTP 503",
    ] {
        assert!(outcomes.contains_key(kind), "no {kind}: {outcomes:?}");
    }
    assert!(
        !outcomes.keys().any(|k| k.starts_with("not JSON")),
        "a cut body must not arrive as a complete answer: {outcomes:?}"
    );
    drop(server);
    let logged = std::fs::read_to_string(&log).expect("log");
    let faults: Vec<String> = logged
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["fault"].as_str().map(str::to_owned))
        .collect();
    for label in [
        "chaosThrottle",
        "chaosError500",
        "chaosReset",
        "chaosSlow",
        "chaosTruncate",
        "chaosEmptyPage",
    ] {
        assert!(faults.iter().any(|f| f == label), "{label} not logged");
    }
    assert_eq!(faults.len(), 80, "every request got a fault");
}

#[test]
fn individual_fault_flags_reach_their_faults() {
    let snapshot = snapshot_file("individual.json");
    let server = serve_binary(
        Command::new(BIN)
            .args(["serve", "--snapshot"])
            .arg(&snapshot)
            .args([
                "--empty-page",
                "Microsoft.Network/networkSecurityGroups=null-value",
                "--subscriptions-next-link",
                "self-loop",
                "--token-status",
                "500",
                "--identity-header",
                "h",
            ]),
    );
    let client = reqwest::blocking::Client::new();
    let page: Value = client
        .get(nsg_list(&server.url))
        .bearer_auth("t")
        .send()
        .and_then(|r| r.json())
        .expect("page");
    assert_eq!(page, serde_json::json!({"value": null}));
    let subs: Value = client
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            server.url
        ))
        .bearer_auth("t")
        .send()
        .and_then(|r| r.json())
        .expect("subscriptions");
    let next = subs["nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("{}/subscriptions?", server.url)),
        "{next}"
    );
    let token = client
        .get(format!(
            "{}/msi/token?api-version=2019-08-01&resource=https://management.azure.com",
            server.url
        ))
        .header("X-IDENTITY-HEADER", "h")
        .send()
        .expect("token answer");
    assert_eq!(token.status().as_u16(), 500);

    // A value no fault has is refused before serving, naming itself.
    let out = Command::new(BIN)
        .args(["serve", "--snapshot"])
        .arg(&snapshot)
        .args(["--faults", "reset,flood"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flood"));
}

/// `--later-empty-page`: a list's first page is whole, and the page its `nextLink` names comes
/// without its array (a list that fails after pages were read).
#[test]
fn a_later_empty_page_spares_the_first() {
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo-subscription.json");
    let server = serve_binary(Command::new(BIN).args(["serve", "--snapshot", demo]).args([
        "--page-size",
        "2",
        "--later-empty-page",
        "Microsoft.Network/publicIPAddresses=no-value",
    ]));
    let snap: Value =
        serde_json::from_str(&std::fs::read_to_string(demo).expect("demo")).expect("JSON");
    let sub = snap["subscriptions"][0]["subscriptionId"]
        .as_str()
        .expect("a subscription");
    let client = reqwest::blocking::Client::new();
    let get = |url: &str| -> Value {
        (client.get(url).bearer_auth("t").send())
            .and_then(|r| r.json())
            .expect("page")
    };
    let first = get(&format!(
        "{}/subscriptions/{sub}/providers/Microsoft.Network/publicIPAddresses?api-version=2025-07-01",
        server.url
    ));
    assert_eq!(first["value"].as_array().map(Vec::len), Some(2), "{first}");
    let next = first["nextLink"].as_str().expect("a second page");
    assert_eq!(get(next), serde_json::json!({}));
}
