//! `--guest` end to end: the real binary runs the guest script through Run Command against
//! `mock-arm` over real HTTP (202, polling `Azure-AsyncOperation`, the result), maps the output
//! to guest facts and raises RDP501–RDP506. Every failure mode of Run Command is covered, and a
//! polling URL on another host never receives anything.
#![cfg(unix)]

mod common;

use assert_cmd::Command;
use common::live::{assert_code, live, report_of, serve};
use common::*;
use mock_arm::{MockConfig, RunCommandFault};
use serde_json::{json, Value};
use std::time::Duration;

/// An estate where every VM's guest differs in one way: a healthy VM, one per guest rule, one
/// per Run Command failure mode, and VMs Run Command must not be tried on.
fn estate() -> World {
    let mut w = World::default()
        .subnet("app", "10.0.1.0/24", Some("nsg-app"), None)
        .nsg(
            "nsg-app",
            vec![rule("AllowRDP", 300, "Allow", "*", "*", "3389")],
        );
    let names = [
        "ok-01",
        "disabled-01",
        "port-01",
        "svc-01",
        "nolisten-01",
        "fw-01",
        "conflict-01",
        "forbid-01",
        "never-01",
        "malformed-01",
        "truncated-01",
        "foreign-01",
        "agentfail-01",
        "agent-01",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut s = spec(name, &format!("10.0.1.{}", 10 + i), "app");
        s.pip = Some(("Standard".into(), format!("20.0.0.{}", 10 + i)));
        w = w.vm(s);
    }
    let mut s = spec("dealloc-01", "10.0.1.40", "app");
    s.power = "deallocated".into();
    w = w.vm(s);
    // agent-01's instance view reports the agent Not Ready: Run Command is not even tried.
    let agent_id = World::vm_id("agent-01");
    for r in &mut w.resources {
        if r["id"] == agent_id.as_str() {
            r["properties"]["instanceView"]["vmAgent"] = json!({"statuses": [{"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready"}]});
        }
    }
    for (name, facts) in [
        ("disabled-01", json!({"rdpEnabled": false})),
        ("port-01", json!({"rdpPort": 3390})),
        ("svc-01", json!({"termServiceRunning": false})),
        ("nolisten-01", json!({"listening": false})),
        ("fw-01", json!({"firewallAllowsRdp": false})),
    ] {
        w.guest.insert(World::vm_id(name), facts);
    }
    w
}

fn with_modes(c: MockConfig) -> MockConfig {
    c.run_command_fault("conflict-01", RunCommandFault::Conflict)
        .run_command_fault("forbid-01", RunCommandFault::Forbidden)
        .run_command_fault("never-01", RunCommandFault::Never)
        .run_command_fault("malformed-01", RunCommandFault::Malformed)
        .run_command_fault("truncated-01", RunCommandFault::Truncated)
        .run_command_fault("foreign-01", RunCommandFault::ForeignPoll)
        .run_command_fault("agentfail-01", RunCommandFault::AgentNotReady)
}

fn findings<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    vm(report, name)["findings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn message_of<'a>(report: &'a Value, name: &str, rule: &str) -> &'a str {
    findings(report, name)
        .into_iter()
        .find(|f| f["ruleId"] == rule)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("{name} has no {rule}: {:#}", vm(report, name)["findings"]))
}

#[test]
fn guest_audit_maps_every_guest_fact_and_every_failure_mode() {
    let w = estate();
    // `foreign-poll` points the polling URLs at a second server: it must see nothing at all.
    let foreign = serve(&w.snapshot(), |c| c);
    // The guest facts live only in the mock: it answers Run Command from them.
    let server = serve(&w.snapshot(), |c| {
        let mut c = with_modes(c);
        c.faults.foreign_host = Some(foreign.url());
        c
    });
    let mut out = live(&server, "audit");
    out.args([
        "--subscription",
        SUB,
        "--guest",
        "--guest-timeout",
        "4",
        "-o",
        "json",
        "--fail-on",
        "never",
    ]);
    // Run Command failures the audit is responsible for make it incomplete.
    let report = report_of(&mut out, 3);
    assert_eq!(report["complete"], false);

    // The healthy guest: facts read, nothing raised, the guest hop says what was seen.
    let ok = vm(&report, "ok-01");
    assert_eq!(ok["guest"]["rdpPort"], 3389, "{ok:#}");
    assert_eq!(ok["guest"]["firewallAllowsRdp"], true);
    assert_eq!(ok["guest"]["nla"], true);
    assert_eq!(ok["rdp"]["verdict"], "reachable");
    let ids = rule_ids(&report, "ok-01");
    assert!(ids.iter().all(|id| !id.starts_with("RDP5")), "{ids:?}");
    let g = hop(path(&report, "ok-01", "publicIp"), "guest");
    assert_eq!(g["decision"], "ok");
    assert!(
        g["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("RDP-Tcp port 3389"),
        "{g}"
    );

    // One guest rule per VM, each blocking RDP.
    for (name, rule) in [
        ("disabled-01", "RDP501"),
        ("port-01", "RDP502"),
        ("svc-01", "RDP503"),
        ("nolisten-01", "RDP504"),
        ("fw-01", "RDP505"),
    ] {
        assert!(
            rule_ids(&report, name).contains(&rule.to_string()),
            "{name}: {:?}",
            rule_ids(&report, name)
        );
        assert_eq!(verdict(&report, name), "blocked", "{name}");
    }
    assert!(message_of(&report, "port-01", "RDP502").contains("3390"));

    // Each failure mode is RDP506 with its reason.
    for (name, reason) in [
        ("conflict-01", "another run command is in progress"),
        ("forbid-01", "runCommand/action"),
        ("never-01", "no result within 4 s"),
        ("malformed-01", "not JSON"),
        ("truncated-01", "4,096 bytes"),
        ("foreign-01", "refused to poll"),
        ("agentfail-01", "VM agent did not answer"),
        ("agent-01", "Not Ready"),
        ("dealloc-01", "not running (deallocated)"),
    ] {
        let m = message_of(&report, name, "RDP506");
        assert!(m.contains(reason), "{name}: {m}");
        assert!(
            rule_ids(&report, name).iter().all(|id| !matches!(
                id.as_str(),
                "RDP501" | "RDP502" | "RDP503" | "RDP504" | "RDP505"
            )),
            "{name}: no guest fact may be guessed"
        );
    }
    // The audit's own failures are diagnostics (exit 3); the VMs' states are not.
    let diag_scopes: Vec<String> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["scope"].as_str().map(|s| s.to_ascii_lowercase()))
        .collect();
    for name in [
        "conflict-01",
        "forbid-01",
        "never-01",
        "malformed-01",
        "truncated-01",
        "foreign-01",
    ] {
        let id = World::vm_id(name).to_ascii_lowercase();
        assert!(
            diag_scopes.contains(&id),
            "no diagnostic for {name}: {diag_scopes:?}"
        );
    }
    for name in ["ok-01", "agent-01", "dealloc-01", "agentfail-01"] {
        let id = World::vm_id(name).to_ascii_lowercase();
        assert!(!diag_scopes.contains(&id), "a diagnostic for {name}");
    }

    // Run Command was not tried where it cannot work, and tried once everywhere else.
    let posts: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == "runCommand")
        .map(|r| r.path)
        .collect();
    for name in ["agent-01", "dealloc-01"] {
        assert!(
            !posts.iter().any(|p| p.contains(&format!("/{name}/"))),
            "{name} was run"
        );
    }
    assert_eq!(posts.len(), 13, "{posts:#?}");
    // A 5xx-free POST is never retried: one POST per VM, the conflicting one included.
    assert_eq!(
        posts.iter().filter(|p| p.contains("/conflict-01/")).count(),
        1
    );
    assert!(
        foreign.requests().is_empty(),
        "the foreign polling host was contacted: {:?}",
        foreign.requests()
    );
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn polling_follows_the_operation_and_waits_as_retry_after_says() {
    let w = estate();
    let server = serve(&w.snapshot(), |c| {
        c.run_command_polls(2).run_command_retry_after(1)
    });
    let id = World::vm_id("ok-01");
    let report = report_of(
        live(&server, "check").args([&id, "--guest", "-o", "json", "--fail-on", "never"]),
        0,
    );
    assert_eq!(vm(&report, "ok-01")["guest"]["termServiceRunning"], true);
    let log = server.requests();
    let run: Vec<_> = log
        .iter()
        .filter(|r| {
            matches!(
                r.route.as_str(),
                "runCommand" | "operationStatus" | "operationResult"
            )
        })
        .collect();
    let routes: Vec<&str> = run.iter().map(|r| r.route.as_str()).collect();
    // POST, two InProgress polls, then Succeeded with the output inline: nothing else.
    assert_eq!(
        routes,
        [
            "runCommand",
            "operationStatus",
            "operationStatus",
            "operationStatus"
        ],
        "{run:#?}"
    );
    assert!(run.iter().all(|r| r.bearer_present && r.token_matched));
    // The status URL was used exactly as the 202 gave it (its `p` parameter included).
    assert!(run[1].path.contains("?p="), "{}", run[1].path);
    // Retry-After: 1 — no poll came earlier than told.
    for pair in run.windows(2) {
        let gap = pair[1].at.saturating_sub(pair[0].at);
        assert!(gap >= Duration::from_millis(990), "polled after {gap:?}");
    }
}

#[test]
fn collect_guest_saves_the_facts_and_the_snapshot_replays_identically() {
    let w = estate();
    let server = serve(&w.snapshot(), |c| c);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("snap.json");
    let out = live(&server, "collect")
        .args([
            "--subscription",
            SUB,
            "--guest",
            "--guest-timeout",
            "4",
            "--out",
        ])
        .arg(&file)
        .output()
        .expect("run");
    assert_code(&out, 0);
    let snap: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("written")).expect("json");
    let guest = &snap["guest"];
    assert_eq!(guest[World::vm_id("port-01")]["rdpPort"], 3390, "{guest:#}");
    assert_eq!(guest[World::vm_id("fw-01")]["firewallAllowsRdp"], false);
    assert!(guest[World::vm_id("dealloc-01")]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not running")));

    // The same audit, live with --guest and offline from the saved snapshot, agree.
    let a = report_of(
        live(&server, "audit").args([
            "--subscription",
            SUB,
            "--guest",
            "-o",
            "json",
            "--fail-on",
            "never",
        ]),
        0,
    );
    let b = report_of(
        Command::cargo_bin("rdpaudit")
            .expect("binary")
            .args(["audit", "-o", "json", "--fail-on", "never", "--snapshot"])
            .arg(&file),
        0,
    );
    assert_eq!(a["vms"], b["vms"]);
    assert_eq!(a["summary"], b["summary"]);
}

#[test]
fn guest_needs_live_data() {
    Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--demo", "--guest"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--guest runs a script in live VMs",
        ));
}

#[test]
fn a_202_with_only_location_is_polled_at_the_result_url() {
    // The official example's 202 carries only `Location`: poll it (202 until done, then 200).
    let w = estate();
    let server = serve(&w.snapshot(), |c| {
        c.run_command_polls(1)
            .run_command_fault("port-01", RunCommandFault::LocationOnly)
    });
    let report = report_of(
        live(&server, "check").args([
            &World::vm_id("port-01"),
            "--guest",
            "-o",
            "json",
            "--fail-on",
            "never",
        ]),
        0,
    );
    assert_eq!(vm(&report, "port-01")["guest"]["rdpPort"], 3390);
    let routes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.route.starts_with("operation") || r.route == "runCommand")
        .map(|r| r.route)
        .collect();
    assert_eq!(routes, ["runCommand", "operationResult", "operationResult"]);
}

#[test]
fn at_most_concurrency_run_commands_are_in_flight() {
    let w = estate();
    let server = serve(&w.snapshot(), |c| c.run_command_polls(2));
    let out = live(&server, "audit")
        .args([
            "--subscription",
            SUB,
            "--guest",
            "--concurrency",
            "2",
            "-o",
            "json",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run");
    assert_code(&out, 0);
    // Each operation is polled exactly three times (two InProgress, then Succeeded): a POST
    // starts one, its third poll ends it. In between it counts against the bound.
    let mut polls: std::collections::HashMap<String, u32> = Default::default();
    let (mut active, mut most, mut started) = (0i32, 0i32, 0);
    for r in server.requests() {
        match r.route.as_str() {
            "runCommand" => {
                started += 1;
                active += 1;
                most = most.max(active);
            }
            "operationStatus" => {
                let op = r.path.split("/operations/").nth(1).unwrap_or_default();
                let op = op.split('?').next().unwrap_or_default().to_string();
                let n = polls.entry(op).or_default();
                *n += 1;
                if *n == 3 {
                    active -= 1;
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        started, 13,
        "every running VM with a Ready agent is inspected"
    );
    assert_eq!(active, 0, "every operation finished");
    assert!(most <= 2, "{most} run commands were in flight at once");
    assert_eq!(most, 2, "the bound is used");
}
