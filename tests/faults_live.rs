//! Hardening: the real `rdpaudit` binary against `mock-arm` misbehaving over real HTTP. Each
//! fault must end in a diagnostic that names the request, `complete: false` and exit 3 (or, when
//! nothing could be read, one clear line and exit 2) — never in a quietly smaller audit.
#![cfg(unix)]

mod common;

use assert_cmd::Command;
use mock_arm::{
    EmptyPage, Faults, GraphPageFault, MockServer, NextLinkFault, RetryAfter, Throttle,
};
use serde_json::{json, Value};
use std::process::Output;
use std::time::Duration;

use common::live::{assert_code, json_of, live, serve, HEADER};

const NSGS: &str = "Microsoft.Network/networkSecurityGroups";
const BASTIONS: &str = "Microsoft.Network/bastionHosts";

/// The demo without guest facts, with two more (empty) subscriptions: three to list.
fn three_subscriptions() -> Value {
    let mut d: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    let o = d.as_object_mut().expect("object");
    o.remove("guest");
    if let Some(subs) = o.get_mut("subscriptions").and_then(Value::as_array_mut) {
        for (i, name) in ["Contoso Dev", "Contoso Test"].iter().enumerate() {
            subs.push(json!({
                "subscriptionId": format!("00000000-0000-4000-8000-00000000000{i}"),
                "displayName": name,
                "state": "Enabled"
            }));
        }
    }
    d
}

fn audit(server: &MockServer, extra: &[&str]) -> Output {
    live(server, "audit")
        .args(["-o", "json", "--fail-on", "never"])
        .args(extra)
        .output()
        .expect("run")
}

/// Exit 3, `complete: false`, and a diagnostic containing every one of `needles`.
fn assert_incomplete(out: &Output, needles: &[&str]) -> Value {
    assert_code(out, 3);
    let r = json_of(out);
    assert_eq!(r["complete"], false);
    let diags = r["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(
        diags.iter().any(|d| {
            let text = d.to_string();
            needles.iter().all(|n| text.contains(n))
        }),
        "no diagnostic with {needles:?} in {diags:#?}"
    );
    r
}

/// `audit` saving its snapshot too; returns the run and how many subscriptions it covered.
fn audit_counting(server: &MockServer, extra: &[&str]) -> (Output, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("snap.json");
    let path_arg = path.to_string_lossy().into_owned();
    let mut args = vec!["--save-snapshot", path_arg.as_str()];
    args.extend_from_slice(extra);
    let out = audit(server, &args);
    let snap: Value = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let subs = snap["subscriptions"].as_array().map_or(0, Vec::len);
    (out, subs)
}

#[test]
fn a_subscription_list_stopped_by_a_foreign_or_looping_next_link_is_incomplete() {
    let snap = three_subscriptions();
    // Baseline: the same estate, paged two subscriptions at a time, is complete.
    let server = serve(&snap, |c| c.page_size(2));
    let (out, subs) = audit_counting(&server, &["--all-subscriptions"]);
    assert_code(&out, 0);
    assert_eq!(subs, 3);
    for (fault, why) in [
        (NextLinkFault::Foreign, "refused a nextLink"),
        (NextLinkFault::SelfLoop, "repeats an earlier page"),
    ] {
        for backend in ["arm", "graph"] {
            let server = serve(&snap, |c| {
                c.page_size(2)
                    .faults(Faults::none().subscriptions_next_link(fault))
            });
            let first_page = format!("GET {}/subscriptions?api-version=", server.url());
            let (out, subs) =
                audit_counting(&server, &["--all-subscriptions", "--backend", backend]);
            assert_incomplete(&out, &[&first_page, why, "PagingStopped"]);
            assert_eq!(subs, 2, "{fault:?} {backend}: the first page only");
        }
    }
}

#[test]
fn a_named_subscription_does_not_depend_on_the_subscription_list() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| {
        c.page_size(2)
            .faults(Faults::none().subscriptions_next_link(NextLinkFault::Foreign))
    });
    let out = audit(
        &server,
        &["--subscription", "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10"],
    );
    assert_code(&out, 0);
    let r = json_of(&out);
    assert_eq!(r["complete"], true);
    assert!(r["diagnostics"].to_string().contains("refused a nextLink"));
}

#[test]
fn a_list_page_without_its_array_is_not_an_empty_list() {
    let snap = three_subscriptions();
    for ty in [NSGS, BASTIONS] {
        for shape in [
            EmptyPage::NoValue,
            EmptyPage::NullValue,
            EmptyPage::ErrorBody,
        ] {
            let server = serve(&snap, |c| c.faults(Faults::none().empty_page(ty, shape)));
            let out = audit(&server, &["--all-subscriptions"]);
            let list = format!("/providers/{ty}?api-version=");
            assert_incomplete(&out, &["GET ", &list]);
        }
    }
    // A one-VM check reads the subscription's Bastion list too.
    let server = serve(&snap, |c| {
        c.faults(Faults::none().empty_page(BASTIONS, EmptyPage::NullValue))
    });
    let vm = "/subscriptions/3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01";
    let out = live(&server, "check")
        .args(["-o", "json", "--fail-on", "never", vm])
        .output()
        .expect("run");
    assert_incomplete(&out, &["bastionHosts?api-version=", "no `value` array"]);
}

#[test]
fn resource_graph_pages_that_stop_early_are_incomplete() {
    let snap = three_subscriptions();
    for (fault, why) in [
        (GraphPageFault::NoData, "no `data`"),
        (GraphPageFault::Truncated, "resultTruncated"),
        (GraphPageFault::RepeatSkipToken, "$skipToken repeats"),
    ] {
        let server = serve(&snap, |c| {
            c.graph_page_size(10)
                .graph_quota(1000, Duration::from_secs(1))
                .faults(Faults::none().graph_page(fault))
        });
        let query = format!(
            "POST {}/providers/Microsoft.ResourceGraph/resources?api-version=",
            server.url()
        );
        let out = audit(&server, &["--all-subscriptions", "--backend", "graph"]);
        assert_incomplete(&out, &[&query, why]);
    }
}

#[test]
fn a_server_that_never_answers_is_cut_off_by_timeout() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| c.faults(Faults::none().hang(NSGS)));
    let out = audit(&server, &["--all-subscriptions", "--timeout", "3s"]);
    let r = assert_incomplete(&out, &["networkSecurityGroups?api-version=", "--timeout"]);
    // What was read is still reported.
    assert!(r["vms"].as_array().is_some_and(|v| !v.is_empty()));

    // Nothing answering at all: nothing could be read (exit 2), said in one line.
    let server = serve(&snap, |c| c.faults(Faults::none().hang("*")));
    let out = audit(&server, &["--all-subscriptions", "--timeout", "2s"]);
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--timeout"), "{err}");
}

#[test]
fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| {
        c.faults(
            Faults::none().throttle(
                Throttle::first(1000)
                    .retry_after(RetryAfter::Seconds(299))
                    .only_type(NSGS),
            ),
        )
    });
    let out = audit(&server, &["--all-subscriptions", "--timeout", "60s"]);
    assert_incomplete(
        &out,
        &[
            "\"status\":429",
            "Retry-After 299s",
            "would pass the run's --timeout",
        ],
    );
    // Not retried: each throttled request (the lists, then NSGs by id) was sent once.
    let mut sent: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.resource_type.as_deref() == Some(NSGS))
        .map(|r| r.path)
        .collect();
    let total = sent.len();
    sent.sort();
    sent.dedup();
    assert!(total >= 3, "{total}");
    assert_eq!(sent.len(), total, "a request was repeated");
}

#[test]
fn an_oversized_list_page_is_refused_not_read() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| {
        c.faults(Faults::none().oversized(NSGS, (64 << 20) + 1))
    });
    let out = audit(&server, &["--all-subscriptions"]);
    assert_incomplete(
        &out,
        &[
            "networkSecurityGroups?api-version=",
            "larger than the 64 MiB cap",
        ],
    );
}

#[test]
fn an_oversized_token_response_is_refused() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| c.faults(Faults::none().token_oversized(2 << 20)));
    let out = audit(&server, &["--all-subscriptions"]);
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token response larger than 1024 KiB"), "{err}");
}

#[test]
fn a_failing_token_endpoint_says_what_it_answered() {
    let snap = three_subscriptions();
    let server = serve(&snap, |c| c.faults(Faults::none().token_status(500)));
    let out = audit(&server, &["--all-subscriptions"]);
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.contains("An unexpected error occured"), "{err}");
    assert!(
        !err.contains(HEADER),
        "the identity header never shows: {err}"
    );
}

#[test]
fn a_closed_arm_endpoint_fails_fast_with_one_clear_line() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind");
    let snap = three_subscriptions();
    let server = serve(&snap, |c| c);
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IDENTITY_ENDPOINT", server.identity_endpoint())
        .env("IDENTITY_HEADER", HEADER)
        .args(["audit", "--auth", "managed-identity", "--all-subscriptions"])
        .args(["--arm-endpoint", &format!("http://{closed}")])
        .timeout(Duration::from_secs(180))
        .output()
        .expect("run");
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(&format!("cannot connect to the ARM endpoint {closed}")),
        "{err}"
    );
}
