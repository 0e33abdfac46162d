//! A live audit starts work before what it waits for has all arrived.
//!
//! - Named subscriptions (`--subscription`) are listed while the subscription list is read for
//!   their names.
//! - When the lists are done while admin-rule answers are still awaited, the VMs are judged on a
//!   thread meanwhile, on the model the answers make if every one still awaited is an empty list
//!   (the answers already in as they are; docs/performance.md, "Live: the chain's next page
//!   first, judging before the last admin-rule answer"); an admin-rule POST is throttled here so
//!   that an answer is still awaited. Both ways out are checked: the late answers were empty and
//!   the early judgment stands (with the admin rules that came in time); or a late answer has
//!   admin rules, or failed, and the VMs are judged again on the model the answers make.
//!
//! The real binary runs against mock-arm over HTTP; every report is the one the same data gives
//! offline.

mod common;

use mock_arm::{Faults, Throttle};
use serde_json::Value;

use common::live::audit_offline as offline;
use common::live::{assert_code, json_of, live, serve, without_rdp103};

const STOOD: &str = "the VMs judged early stand";
const AGAIN: &str = "judging again";

/// The admin-rule POSTs (resource type `networkManagers` in mock-arm).
const ADMIN: &str = "Microsoft.Network/networkManagers";

/// `faults`, and the first admin-rule POST answered 429 `Retry-After: 1`: one answer is still
/// awaited when the lists are done (a model is built early only then).
fn slow_admin(faults: Faults) -> Faults {
    faults.throttle(Throttle::first(1).only_type(ADMIN))
}

/// A live `audit -vv` of `doc` through mock-arm with `faults` and [`slow_admin`]: (exit code,
/// report, stderr).
fn audit_live(doc: &Value, backend: &str, faults: Faults) -> (Option<i32>, Value, String) {
    audit_throttled(doc, backend, slow_admin(faults))
}

/// A live `audit -vv` of `doc` through mock-arm with `faults`, the lists 5 items a page at
/// 20 ms a request (ARM and Resource Graph alike): (exit code, report, stderr).
fn audit_throttled(doc: &Value, backend: &str, faults: Faults) -> (Option<i32>, Value, String) {
    let server = serve(doc, |c| {
        c.page_size(5)
            .graph_page_size(5)
            .graph_quota(1000, std::time::Duration::from_secs(1))
            .latency(std::time::Duration::from_millis(20))
            .faults(faults)
    });
    let out = live(&server, "audit")
        .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
        .args(["--backend", backend, "-vv"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), json_of(&out), stderr)
}

/// No VNet has an admin rule (the generated estate has no network manager): every answer is an
/// empty list, the model judged early is the final one, and its judgment is the report.
#[test]
fn empty_admin_answers_keep_the_early_judgment() {
    let snap = common::generated_live(90, 2, 5);
    judged_on_both_backends(&snap, STOOD, AGAIN);
}

/// Audits `snap` live on both backends: each run exits 0, logs `way` and not `other`, and has
/// the offline report's VMs (without RDP103). Returns the last run's VMs.
fn judged_on_both_backends(snap: &Value, way: &str, other: &str) -> Value {
    judged_throttled(snap, slow_admin(Faults::none()), way, other)
}

/// [`judged_on_both_backends`] with `faults` instead of [`slow_admin`].
fn judged_throttled(snap: &Value, faults: Faults, way: &str, other: &str) -> Value {
    let want = without_rdp103(&offline(snap)["vms"]);
    let mut got = Value::Null;
    for backend in ["arm", "graph"] {
        let (code, r, stderr) = audit_throttled(snap, backend, faults.clone());
        assert_eq!(code, Some(0), "{backend}: {stderr}");
        assert!(stderr.contains(way), "{backend}: {stderr}");
        assert!(!stderr.contains(other), "{backend}");
        got = without_rdp103(&r["vms"]);
        assert_eq!(got, want, "{backend}");
    }
    got
}

/// A VNet with admin rules answers late: the early model, which took it for a VNet without any,
/// is not the final one, so the VMs are judged again, and the report has what the rules change
/// (RDP409 for the `Deny`s, RDP410 for the `AlwaysAllow`s).
#[test]
fn admin_rules_that_arrive_late_make_the_vms_judged_again() {
    let (snap, vnets) = with_doors(120, 2, 11);
    let ruled = (vnets.iter())
        .find(|v| !admin_rules_of(&snap, v).is_empty())
        .expect("a VNet with VMs and admin rules");
    judged_with_rules(&snap, ruled, AGAIN, STOOD);
}

/// The admin rules arrive early, on the first VM's VNet (asked for from the first NIC page),
/// while another VNet's answer, an empty list, is late: the early model has the rules that came
/// and takes the late answer for the empty list it is, so the VMs judged early stand — with
/// what the rules change (RDP409, RDP410).
#[test]
fn admin_rules_already_in_are_part_of_the_early_model() {
    let (mut snap, vnets) = with_doors(60, 1, 13);
    let (first, late) = (&vnets[0], vnets.last().expect("VNets"));
    assert_ne!(first, late);
    keep_rules_only_on(&mut snap, first);
    judged_with_rules(&snap, late, STOOD, AGAIN);
}

/// Only the late VNet has admin rules: every answer in was an empty list, so the model under
/// construction went early whole (not copied); the late rules prove it wrong, and the model is
/// built again from the resources read — the report is the offline one, rules and all.
#[test]
fn a_late_admin_rule_after_empty_answers_has_the_model_built_again() {
    let (mut snap, vnets) = with_doors(60, 1, 17);
    let late = vnets.last().expect("VNets");
    keep_rules_only_on(&mut snap, late);
    judged_with_rules(&snap, late, AGAIN, STOOD);
}

/// A generated estate with the newer doors (`add_doors`: a firewall hub and admin rules), and
/// the VNets of its VM NICs in list order.
fn with_doors(vms: usize, subscriptions: usize, seed: u64) -> (Value, Vec<String>) {
    let mut snap = common::generated_live(vms, subscriptions, seed);
    mock_arm::generate::add_doors(&mut snap);
    let vnets = vm_vnets(&snap);
    (snap, vnets)
}

/// [`judged_throttled`] with `late`'s admin-rule POST held back; the report has what the admin
/// rules change (RDP409 for a `Deny`, RDP410 for an `AlwaysAllow`).
fn judged_with_rules(snap: &Value, late: &str, way: &str, other: &str) {
    let text = judged_throttled(snap, slow_vnet(late), way, other).to_string();
    assert!(text.contains("RDP409") && text.contains("RDP410"));
}

/// Gives `vnet` a `Deny` and an `AlwaysAllow` admin rule (from those `add_doors` wrote) and every
/// other VNet of the section an empty list.
fn keep_rules_only_on(snap: &mut Value, vnet: &str) {
    let named = |s: &Value| {
        (s.as_object().into_iter().flat_map(|o| o.keys())).any(|k| k.eq_ignore_ascii_case(vnet))
    };
    assert!(named(&snap["securityAdminRules"]), "{vnet} in the section");
    let section = snap["securityAdminRules"].as_object_mut().expect("section");
    let rules: Vec<Value> = (section.values())
        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
        .collect();
    let deny = rules.iter().find(|r| r["properties"]["access"] == "Deny");
    let always = rules
        .iter()
        .find(|r| r["properties"]["access"] == "AlwaysAllow");
    let both: Vec<Value> = deny.into_iter().chain(always).cloned().collect();
    assert_eq!(both.len(), 2);
    for (id, list) in section.iter_mut() {
        // ARM ids ignore case; the generator spells some references in other cases.
        let rules = match id.eq_ignore_ascii_case(vnet) {
            true => both.clone(),
            false => Vec::new(),
        };
        *list = Value::Array(rules);
    }
}

/// The admin-rule POST of `vnet` (an id) answered 429 `Retry-After: 1` once.
fn slow_vnet(vnet: &str) -> Faults {
    let name = vnet.rsplit('/').next().unwrap_or(vnet);
    let only = Throttle::first(1).only_type(ADMIN);
    Faults::none().throttle(only.only_path(format!("/virtualNetworks/{name}/")))
}

/// The VNets of the NICs attached to VMs, in the order the NICs are listed (each once).
fn vm_vnets(snap: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in snap["resources"].as_array().expect("resources") {
        let nic = r["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(NIC));
        if !nic || r["properties"]["virtualMachine"].is_null() {
            continue;
        }
        let subnet = r["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
            .as_str()
            .expect("subnet");
        let vnet = subnet
            .split("/subnets/")
            .next()
            .unwrap_or(subnet)
            .to_string();
        if !out.contains(&vnet) {
            out.push(vnet);
        }
    }
    out
}

const NIC: &str = "Microsoft.Network/networkInterfaces";

/// The admin rules `snap` gives `vnet`.
fn admin_rules_of(snap: &Value, vnet: &str) -> Vec<Value> {
    let section = snap["securityAdminRules"].as_object();
    (section.into_iter().flatten())
        .find(|(id, _)| id.eq_ignore_ascii_case(vnet))
        .and_then(|(_, rules)| rules.as_array().cloned())
        .unwrap_or_default()
}

/// An admin-rule answer that fails (403) is not an empty list: the early judgment is dropped and
/// the VMs are `unknown`, never judged as if the VNet had no admin rule.
#[test]
fn a_failed_admin_answer_never_keeps_the_early_judgment() {
    let snap = common::generated_live(40, 1, 3);
    let faults = Faults::none().forbid_type(ADMIN);
    let (code, r, stderr) = audit_live(&snap, "arm", faults);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains(AGAIN), "{stderr}");
    assert_eq!(r["complete"], false);
    for v in r["vms"].as_array().expect("vms") {
        if v["os"] == "windows" && v["deployment"] == "arm" {
            assert_eq!(v["rdp"]["verdict"], "unknown", "{}", v["name"]);
        }
    }
}

/// `--guest` observes the guests after the collection: nothing is judged before it ends.
#[test]
fn nothing_is_judged_early_when_guests_are_inspected_later() {
    let snap = common::generated_live(12, 1, 7);
    let server = serve(&snap, |c| c.faults(slow_admin(Faults::none())));
    let out = live(&server, "audit")
        .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
        .args(["--guest", "--guest-timeout", "60", "-vv"])
        .output()
        .expect("run");
    assert_code(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(STOOD) && !stderr.contains(AGAIN),
        "{stderr}"
    );
}

/// `--subscription` names what to list: the lists (and Resource Graph queries) go out while the
/// subscription list is read for the names, here held back a second by a 429. Without a name
/// (`--all-subscriptions`) nothing is listed before the subscription list has answered. Either
/// way the report is the offline one.
#[test]
fn named_subscriptions_are_listed_while_the_subscription_list_is_read() {
    let snap = common::generated_live(30, 1, 9);
    let sub = snap["subscriptions"][0]["subscriptionId"]
        .as_str()
        .expect("subscription id")
        .to_string();
    let want = offline(&snap);
    for backend in ["arm", "graph"] {
        for named in [true, false] {
            let slow = Throttle::first(1).only_type("Microsoft.Resources/subscriptions");
            let server = serve(&snap, |c| c.faults(Faults::none().throttle(slow)));
            let scope = match named {
                true => vec!["--subscription", sub.as_str()],
                false => vec!["--all-subscriptions"],
            };
            let out = live(&server, "audit")
                .args(["-o", "json", "--fail-on", "never", "--backend", backend])
                .args(&scope)
                .output()
                .expect("run");
            assert_code(&out, 0);
            let r = json_of(&out);
            let got = without_rdp103(&r["vms"]);
            assert_eq!(got, without_rdp103(&want["vms"]), "{backend} {named}");
            let log = server.requests();
            let answered = (log.iter())
                .filter(|q| q.route == "listSubscriptions")
                .map(|q| q.seq)
                .max()
                .expect("the subscription list, asked again after its 429");
            let first_list = (log.iter())
                .filter(|q| q.route == "list" || q.route == "graph")
                .map(|q| q.seq)
                .min()
                .expect("lists");
            assert_eq!(first_list < answered, named, "{backend} {named}: {log:?}");
        }
    }
}
