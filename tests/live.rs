//! Live collection end to end: the real `rdpaudit` binary against `mock-arm` over real HTTP.
//! Credentials come from the mock's App Service managed-identity endpoint (or a stand-in `az`),
//! set only in the child process's environment.
#![cfg(unix)]

mod common;

use assert_cmd::Command;
use mock_arm::{Faults, MockServer, RetryAfter, Throttle};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::live::{assert_code, json_of, live, serve};

const DEMO_SUB: &str = "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10";

fn demo_value() -> Value {
    serde_json::from_str(rdpaudit::cli::DEMO).expect("demo")
}

/// The demo without its guest section: live ARM has no guest facts (they need `--guest`).
fn demo_without_guest() -> Value {
    let mut d = demo_value();
    if let Some(o) = d.as_object_mut() {
        o.remove("guest");
    }
    d
}

/// `audit -o json --fail-on never --subscription <demo>` live against `server`, plus `extra`.
fn audit_json(server: &MockServer, extra: &[&str]) -> std::process::Output {
    live(server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            DEMO_SUB,
        ])
        .args(extra)
        .output()
        .expect("run")
}

fn offline(snapshot: &Value, extra: &[&str]) -> Value {
    json_of(&common::live::audit_stdin(snapshot, extra))
}

fn assert_same_report(live: &Value, offline: &Value) {
    assert_eq!(live["summary"], offline["summary"]);
    assert_eq!(
        live["vms"], offline["vms"],
        "live and offline audits differ"
    );
    assert_eq!(live["complete"], offline["complete"]);
}

#[test]
fn live_audit_of_the_demo_equals_the_offline_audit() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c.page_size(3));
    let mut cmd = live(&server, "audit");
    cmd.args([
        "-o",
        "json",
        "--fail-on",
        "never",
        "--subscription",
        DEMO_SUB,
    ]);
    let out = cmd.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live_report = json_of(&out);
    assert_same_report(&live_report, &offline(&snap, &[]));
    // A subscription-wide run read every stepping stone: no scope note (docs/decisions.md D47).
    assert!(
        !has_two_hop_note(&live_report),
        "{:#}",
        live_report["diagnostics"]
    );
    assert!(
        server.unmatched_requests().is_empty(),
        "{:?}",
        server.unmatched_requests()
    );
    assert!(server
        .requests()
        .iter()
        .filter(|r| r.route != "msi")
        .all(|r| r.token_matched));
}

/// Lower bound of requests: the subscription look-up plus one per page per resource type.
fn lower_bound(snapshot: &Value, page: usize) -> usize {
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for r in snapshot["resources"].as_array().expect("resources") {
        *per_type
            .entry(r["type"].as_str().unwrap_or_default().to_lowercase())
            .or_default() += 1;
    }
    let types = [
        "microsoft.compute/virtualmachines",
        "microsoft.network/networkinterfaces",
        "microsoft.network/networksecuritygroups",
        "microsoft.network/publicipaddresses",
        "microsoft.network/virtualnetworks",
        "microsoft.network/loadbalancers",
        "microsoft.network/routetables",
        "microsoft.network/bastionhosts",
        "microsoft.network/applicationsecuritygroups",
        "microsoft.classiccompute/virtualmachines",
        "microsoft.network/azurefirewalls",
        "microsoft.network/firewallpolicies",
        "microsoft.network/ipgroups",
    ];
    1 + types
        .iter()
        .map(|t| per_type.get(*t).copied().unwrap_or(0).div_ceil(page).max(1))
        .sum::<usize>()
        + door_requests(snapshot, page)
}

/// The newer doors' requests: one rule-collection-group list per Firewall Policy (per page), and
/// one admin-rule POST per VNet that holds a VM's NIC (per 20 rules, `$top` = 20).
fn door_requests(snapshot: &Value, page: usize) -> usize {
    let resources = snapshot["resources"].as_array().expect("resources");
    let groups_of = |policy: &str| {
        resources
            .iter()
            .filter(|r| {
                r["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .starts_with(&format!("{}/rulecollectiongroups/", policy.to_lowercase()))
            })
            .count()
    };
    let policies: usize = resources
        .iter()
        .filter(|r| {
            r["type"]
                .as_str()
                .unwrap_or_default()
                .eq_ignore_ascii_case("Microsoft.Network/firewallPolicies")
        })
        .map(|r| {
            groups_of(r["id"].as_str().unwrap_or_default())
                .div_ceil(page)
                .max(1)
        })
        .sum();
    let mut vnets: Vec<String> = resources
        .iter()
        .filter(|r| {
            r["type"]
                .as_str()
                .unwrap_or_default()
                .eq_ignore_ascii_case("Microsoft.Network/networkInterfaces")
                && !r["properties"]["virtualMachine"].is_null()
        })
        .flat_map(|r| {
            r["properties"]["ipConfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| {
            let s = c["properties"]["subnet"]["id"].as_str()?.to_lowercase();
            Some(s.split("/subnets/").next()?.to_string())
        })
        .collect();
    vnets.sort();
    vnets.dedup();
    let admin: usize = vnets
        .iter()
        .map(|v| {
            let n = snapshot["securityAdminRules"]
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(v)))
                .and_then(|(_, l)| l.as_array().map(Vec::len))
                .unwrap_or(0);
            n.div_ceil(20.min(page)).max(1)
        })
        .sum();
    policies + admin
}

#[test]
fn generated_300_vm_subscription_50_per_page_live_equals_offline_at_the_request_lower_bound() {
    let snap = common::generated_live(300, 1, 7);
    let server = serve(&snap, |c| c.page_size(50));
    let out = live(&server, "audit")
        .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_report(&json_of(&out), &offline(&snap, &[]));
    let arm: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route != "msi")
        .collect();
    assert_eq!(
        arm.len(),
        lower_bound(&snap, 50),
        "requests: {:#?}",
        arm.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    // Pipelined: the admin-rule POSTs start while the lists are still paging (a NIC page that
    // names its VM is enough to know the VNet), not after the last page.
    let first_admin = arm
        .iter()
        .filter(|r| r.route == "adminRules")
        .map(|r| r.seq)
        .min();
    let last_list = arm
        .iter()
        .filter(|r| r.route == "list")
        .map(|r| r.seq)
        .max();
    assert!(
        matches!((first_admin, last_list), (Some(a), Some(l)) if a < l),
        "first admin-rule POST #{first_admin:?}, last list page #{last_list:?}"
    );
}

#[test]
fn throttling_waits_exactly_retry_after() {
    let snap = demo_without_guest();
    for retry_after in [RetryAfter::Seconds(2), RetryAfter::HttpDate(2)] {
        let server = serve(&snap, |c| {
            c.faults(
                Faults::none().throttle(
                    Throttle::first(1)
                        .retry_after(retry_after)
                        .only_type("Microsoft.Network/networkSecurityGroups"),
                ),
            )
        });
        let out = audit_json(&server, &[]);
        assert_code(&out, 0);
        assert_same_report(&json_of(&out), &offline(&snap, &[]));
        let nsg: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| {
                r.resource_type.as_deref() == Some("Microsoft.Network/networkSecurityGroups")
            })
            .collect();
        assert_eq!(nsg[0].status, Some(429));
        let waited = nsg[1].at.saturating_sub(nsg[0].at);
        // HTTP-dates have whole seconds: the mock rounds up, so at least 1 s is guaranteed.
        let floor = if matches!(retry_after, RetryAfter::Seconds(_)) {
            2000
        } else {
            1000
        };
        assert!(
            waited >= Duration::from_millis(floor),
            "retried after {waited:?}"
        );
    }
}

#[test]
fn server_errors_and_dropped_connections_are_retried() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| {
        c.faults(Faults::none().error_first(3).drop_first(2))
    });
    let out = audit_json(&server, &[]);
    assert_code(&out, 0);
    assert_same_report(&json_of(&out), &offline(&snap, &[]));
    assert!(server
        .requests()
        .iter()
        .any(|r| r.fault.as_deref() == Some("drop")));
}

#[test]
fn forbidden_type_is_a_diagnostic_and_exit_3() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| {
        c.faults(Faults::none().forbid_type("Microsoft.Network/routeTables"))
    });
    let out = audit_json(&server, &[]);
    assert_code(&out, 3);
    let r = json_of(&out);
    assert_eq!(r["complete"], false);
    let d = r["diagnostics"].to_string();
    assert!(
        d.contains("AuthorizationFailed") && d.contains("403"),
        "{d}"
    );
    // The VM behind the route table is unknown, not guessed.
    let fw = r["vms"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == "fw-app-01"))
        .expect("fw-app-01");
    assert_eq!(fw["rdp"]["verdict"], "unknown");
}

#[test]
fn unregistered_provider_means_none() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| {
        c.faults(Faults::none().unregistered("Microsoft.ClassicCompute"))
    });
    let out = audit_json(&server, &[]);
    assert_code(&out, 0);
    assert_eq!(
        json_of(&out)["summary"]["vms"],
        18,
        "the classic VM is not listed"
    );
}

/// A directory with a stand-in `az` that prints `token` like Azure CLI 2.54+.
fn stand_in_az(dir: &Path, token: &str) {
    let script = format!(
        "#!/bin/sh\n\
         case \"$*\" in\n\
         *get-access-token*) printf '%s' '{{\"accessToken\": \"{token}\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \"expires_on\": 4070908800, \"subscription\": \"{DEMO_SUB}\", \"tenant\": \"00000000-0000-0000-0000-000000000001\", \"tokenType\": \"Bearer\"}}';;\n\
         *) echo \"unexpected: $*\" >&2; exit 2;;\n\
         esac\n"
    );
    let path = dir.join("az");
    std::fs::write(&path, script).expect("write az");
    let mut perm = std::fs::metadata(&path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
}

fn with_az(server: &MockServer, dir: &Path, command: &str) -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    c.env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .args([command, "--arm-endpoint", &server.url(), "--auth", "cli"])
        .timeout(Duration::from_secs(120));
    c
}

#[test]
fn azure_cli_credential_through_a_stand_in_az() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c.expected_token("token-from-az"));
    let dir = tempfile::tempdir().expect("tmp");
    stand_in_az(dir.path(), "token-from-az");
    let out = with_az(&server, dir.path(), "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            DEMO_SUB,
        ])
        .output()
        .expect("run");
    assert_code(&out, 0);
    assert_same_report(&json_of(&out), &offline(&snap, &[]));
}

#[test]
fn a_rejected_token_exits_2_with_an_authentication_message() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c.expected_token("the-right-token"));
    let dir = tempfile::tempdir().expect("tmp");
    stand_in_az(dir.path(), "a-wrong-token");
    let out = with_az(&server, dir.path(), "audit")
        .args(["--subscription", DEMO_SUB])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("authentication failed") && err.contains("401"),
        "{err}"
    );
    assert!(!err.contains("a-wrong-token"), "the token leaked: {err}");
}

#[test]
fn no_credential_exits_2_listing_what_was_tried() {
    let server = serve(&demo_without_guest(), |c| c);
    let dir = tempfile::tempdir().expect("tmp");
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .env_clear()
        .env("PATH", dir.path())
        .env("HOME", dir.path())
        .args(["audit", "--arm-endpoint", &server.url()])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("az login"), "{err}");
    assert!(err.contains("AZURE_CLIENT_ID"), "{err}");
}

#[test]
fn a_foreign_next_link_never_receives_the_token() {
    let snap = demo_without_guest();
    // The "foreign" host is a second server on another port: it must see no request at all.
    let foreign = serve(&snap, |c| c);
    let foreign_origin = foreign.url();
    let server = serve(&snap, |c| {
        let mut f = Faults::none().foreign_next_link("Microsoft.Network/networkInterfaces");
        f.foreign_host = Some(foreign_origin.clone());
        c.faults(f)
    });
    let out = audit_json(&server, &[]);
    assert_code(&out, 3);
    assert!(json_of(&out)["diagnostics"]
        .to_string()
        .contains("refused a nextLink"));
    assert!(
        foreign.requests().is_empty(),
        "the foreign host was contacted: {:?}",
        foreign.requests()
    );
}

#[test]
fn verbose_logs_never_contain_the_token() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c.expected_token("super-secret-token-value"));
    let out = live(&server, "audit")
        .args([
            "-vvv",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            DEMO_SUB,
        ])
        .output()
        .expect("run");
    assert_code(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GET"), "expected request logs at -vvv: {err}");
    assert!(!err.contains("super-secret-token-value"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("super-secret-token-value"));
}

/// Runs `check` live with 300 ms per request (one round's requests arrive together, rounds
/// 300 ms apart) and returns the report, after checking the request pattern: at most four
/// sequential rounds, and no subscription-wide list but the Bastion one.
fn check_live_in_four_rounds(snap: &Value, id: &str, extra: &[&str]) -> Value {
    let server = serve(snap, |c| c.latency(Duration::from_millis(300)));
    let out = live(&server, "check")
        .args(["-o", "json", id])
        .args(extra)
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let arm: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route != "msi")
        .collect();
    let lists: Vec<_> = arm.iter().filter(|r| r.route == "list").collect();
    let mut listed: Vec<&str> = lists
        .iter()
        .filter_map(|r| r.resource_type.as_deref())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "Microsoft.Network/azureFirewalls",
            "Microsoft.Network/bastionHosts",
            "Microsoft.Network/firewallPolicies",
            "Microsoft.Network/ipGroups"
        ],
        "only the subscription-wide lists (Bastion, firewalls, policies, IP Groups): {lists:?}"
    );
    let mut times: Vec<Duration> = arm.iter().map(|r| r.at).collect();
    times.sort();
    let rounds = 1 + times
        .windows(2)
        .filter(|w| w[1] - w[0] > Duration::from_millis(150))
        .count();
    assert!(
        rounds <= 4,
        "{rounds} sequential rounds: {:#?}",
        arm.iter().map(|r| (&r.path, r.at)).collect::<Vec<_>>()
    );
    json_of(&out)
}

#[test]
fn one_vm_check_needs_four_rounds_and_no_subscription_lists_but_bastion() {
    let snap = demo_without_guest();
    let id = format!("/subscriptions/{DEMO_SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-02");
    let live_report = check_live_in_four_rounds(&snap, &id, &[]);
    // The same verdict and findings as the offline check.
    let off = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["check", "-o", "json", "--snapshot", "-", &id])
        .write_stdin(snap.to_string())
        .output()
        .expect("run");
    // RDP812 names stepping stones among the VMs read: a one-VM live check reads only this VM's
    // path (docs/decisions.md D47), so the two-hop finding is compared only offline.
    let off = json_of(&off);
    assert_eq!(
        without_rule(&live_report["vms"], "RDP812"),
        without_rule(&off["vms"], "RDP812")
    );
    // …and the live report says that its two-hop search was limited (an info note: the audit
    // is not incomplete for it); the offline check of the whole snapshot has no such note.
    assert!(
        has_two_hop_note(&live_report),
        "{:#}",
        live_report["diagnostics"]
    );
    assert!(!has_two_hop_note(&off));
    assert_eq!(live_report["complete"], off["complete"]);
}

/// The report's typed note that the two-hop search covered only a scoped live run's data.
fn has_two_hop_note(report: &Value) -> bool {
    report["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| d["code"] == "TwoHopScope" && d["level"] == "info")
}

/// A live `-g` run reads only its resource groups: the note is there; the offline `-g` audit of
/// the whole snapshot still finds stepping stones outside the group (app-01 in rg-app is reached
/// from web-01 in rg-web).
#[test]
fn a_resource_group_run_says_its_two_hop_search_was_limited() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c);
    let out = audit_json(&server, &["-g", "rg-app"]);
    let live_report = json_of(&out);
    assert!(
        has_two_hop_note(&live_report),
        "{:#}",
        live_report["diagnostics"]
    );
    let off = offline(&snap, &["-g", "rg-app"]);
    assert!(!has_two_hop_note(&off));
    let app = off["vms"]
        .as_array()
        .and_then(|v| v.iter().find(|vm| vm["name"] == "app-01"))
        .expect("app-01");
    assert!(
        app["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["ruleId"] == "RDP812"),
        "{app:#}"
    );
}

/// A report's VMs (or one VM) without one rule's findings.
fn without_rule(vms: &Value, rule: &str) -> Value {
    let mut vms = vms.clone();
    let strip = |vm: &mut Value| {
        if let Some(f) = vm["findings"].as_array_mut() {
            f.retain(|x| x["ruleId"] != rule);
        }
    };
    match vms.as_array_mut() {
        Some(list) => list.iter_mut().for_each(strip),
        None => strip(&mut vms),
    }
    vms
}

#[test]
fn one_vm_check_ignores_bastions_of_unrelated_networks() {
    // Regression: every Bastion's VNet was fetched in the second round, which pushed the VM's own
    // dependencies into rounds five and six in an estate with many Bastions.
    let snap = common::generated_live(1500, 1, 3);
    let bastions = snap["resources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["type"] == "Microsoft.Network/bastionHosts")
                .count()
        })
        .unwrap_or(0);
    assert!(
        bastions > 1,
        "the estate needs several Bastions, has {bastions}"
    );
    let vm = snap["resources"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|r| {
                r["type"] == "Microsoft.Compute/virtualMachines"
                    && r["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows"
            })
        })
        .and_then(|r| r["id"].as_str())
        .expect("a Windows VM")
        .to_string();
    let server = serve(&snap, |c| c);
    let out = live(&server, "check")
        .args(["-o", "json", &vm])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    // The VM's VNet and its peers are the only VNets worth reading.
    let find = |id: &str| {
        snap["resources"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|x| x["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
            })
            .cloned()
    };
    let vm_body = find(&vm).expect("vm");
    let nic = find(
        vm_body["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
            .as_str()
            .unwrap_or_default(),
    )
    .expect("nic");
    let subnet = nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let vnet_id = subnet
        .split("/subnets/")
        .next()
        .unwrap_or_default()
        .to_string();
    let mut allowed = vec![vnet_id.clone()];
    if let Some(peers) = find(&vnet_id).and_then(|v| {
        v["properties"]["virtualNetworkPeerings"]
            .as_array()
            .cloned()
    }) {
        allowed.extend(peers.iter().filter_map(|p| {
            p["properties"]["remoteVirtualNetwork"]["id"]
                .as_str()
                .map(str::to_lowercase)
        }));
    }
    for req in server
        .requests()
        .iter()
        .filter(|q| q.resource_type.as_deref() == Some("Microsoft.Network/virtualNetworks"))
    {
        let path = req
            .path
            .split('?')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        assert!(
            allowed.iter().any(|a| path.ends_with(a.as_str())),
            "read an unrelated VNet: {path}"
        );
    }
    assert_eq!(r["vms"].as_array().map(Vec::len), Some(1));
}

#[test]
fn collect_writes_a_snapshot_that_replays_identically() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c.page_size(5));
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("collected.json");
    live(&server, "collect")
        .args(["--subscription", DEMO_SUB, "--out"])
        .arg(&file)
        .assert()
        .code(0);
    let collected: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(collected["schema"], "rdpaudit.snapshot/1");
    assert_eq!(collected["subscriptions"][0]["subscriptionId"], DEMO_SUB);
    let live_out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            DEMO_SUB,
            "--save-snapshot",
        ])
        .arg(dir.path().join("saved.json"))
        .output()
        .expect("run");
    let replay = offline(&collected, &[]);
    assert_same_report(&json_of(&live_out), &replay);
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("saved.json")).expect("read"),
    )
    .expect("json");
    assert_same_report(&offline(&saved, &[]), &replay);
}

fn subscription_ids(snap: &Value) -> Vec<String> {
    snap["subscriptions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["subscriptionId"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn many_subscriptions_concurrently_and_a_failing_one_is_a_diagnostic() {
    let snap = common::generated_live(60, 3, 11);
    let subs = subscription_ids(&snap);
    assert_eq!(subs.len(), 3);
    let server = serve(&snap, |c| c.page_size(20));
    let out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--all-subscriptions",
            "--concurrency",
            "4",
        ])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_report(&json_of(&out), &offline(&snap, &[]));
    // One subscription that does not exist: recorded, the others still audited, exit 3.
    let missing = "99999999-9999-9999-9999-999999999999";
    let out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            &subs[0],
            "--subscription",
            missing,
        ])
        .output()
        .expect("run");
    assert_code(&out, 3);
    let r = json_of(&out);
    assert!(r["diagnostics"].to_string().contains(missing));
    assert!(r["summary"]["vms"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn resource_group_scope_still_reads_what_it_references_elsewhere() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c);
    let out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            DEMO_SUB,
            "--resource-group",
            "rg-web",
        ])
        .output()
        .expect("run");
    assert_code(&out, 0);
    let scoped = json_of(&out);
    let names: Vec<&str> = scoped["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(names, ["shop-01", "web-01", "web-02"]);
    // Their VNet and subnet NSGs live in rg-hub: read by id, so the verdicts match the full audit.
    let full = offline(&snap, &[]);
    for vm in scoped["vms"].as_array().expect("vms") {
        let same = full["vms"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["id"] == vm["id"]))
            .expect("in the full audit");
        // RDP812 names the stepping stones among the VMs read (docs/decisions.md D47): the
        // scoped run does not read rg-hub's jump box, so it names another one.
        assert_eq!(without_rule(vm, "RDP812"), without_rule(same, "RDP812"));
        let two_hop = |v: &Value| {
            v["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x["ruleId"] == "RDP812"))
        };
        assert_eq!(two_hop(vm), two_hop(same));
    }
    let gets: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.route == "get")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        gets.iter().any(|p| p.contains("/resourceGroups/rg-hub/")),
        "{gets:?}"
    );
    assert!(
        server.requests().iter().any(|r| r.route == "instanceView"),
        "a resource-group list has no power state"
    );
}

/// Live = offline for the load-balancing-rule door: the demo's `shop-01` is reached through
/// `lb-web`'s rule `rdp-shop`; a one-VM check reads the load balancer through the NIC's pool and
/// stays within four rounds, with the same report as offline.
#[test]
fn a_load_balancing_rule_vm_checks_live_like_offline() {
    let snap = demo_without_guest();
    let id = format!("/subscriptions/{DEMO_SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/shop-01");
    let live_report = check_live_in_four_rounds(&snap, &id, &[]);
    let paths = live_report["vms"][0]["rdp"]["paths"]
        .as_array()
        .expect("paths")
        .clone();
    assert!(
        paths
            .iter()
            .any(|p| p["kind"] == "lbRule" && p["verdict"] == "reachable"),
        "{paths:?}"
    );
    let off = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["check", "-o", "json", "--snapshot", "-", &id])
        .write_stdin(snap.to_string())
        .output()
        .expect("run");
    assert_eq!(live_report["vms"], json_of(&off)["vms"]);
    // And the whole-subscription audit carries the same lbRule path live and offline.
    let server = serve(&snap, |c| c.page_size(5));
    let out = audit_json(&server, &[]);
    let live_all = json_of(&out);
    assert_same_report(&live_all, &offline(&snap, &[]));
    let shop = live_all["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .find(|v| v["name"] == "shop-01")
        .expect("shop-01");
    assert_eq!(shop["rdp"]["paths"][0]["kind"], "lbRule");
}

/// A misspelt `--resource-group` is one "not found" error naming the group, exit 2 (not one
/// diagnostic per resource type and exit 3).
#[test]
fn a_misspelt_resource_group_is_one_not_found_error_exit_2() {
    let snap = demo_without_guest();
    let server = serve(&snap, |c| c);
    let out = live(&server, "audit")
        .args(["--subscription", DEMO_SUB, "--resource-group", "rg-wbe"])
        .output()
        .expect("run");
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("rdpaudit: error: resource group rg-wbe not found in subscription"),
        "{err}"
    );
}
