//! Firewall DNAT and AVNM security admin rules end to end: the official admin-rule body loads as
//! a `securityAdminRules` section, bad input becomes a diagnostic naming the resource and the
//! field with the VM `unknown` (exit 3), and live collection through mock-arm (admin rules
//! paged by `skipToken`, a 403 on them) gives the offline answer or says what it could not read.

mod common;

use mock_arm::Faults;
use serde_json::{json, Value};
use std::path::Path;

use common::doc::{first_vm_rule_ids as ids, resource};
use common::live::{assert_code, json_of, live, serve, without_rdp103};

const FIXTURES: &str = "tests/fixtures/rules";

fn fixture(rel: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(rel);
    serde_json::from_slice(&std::fs::read(p).expect("fixture")).expect("JSON")
}

/// `audit -o json` of a snapshot on stdin: (exit code, report).
fn audit(doc: &Value) -> (Option<i32>, Value) {
    let out = common::live::audit_stdin(doc, &[]);
    (out.status.code(), json_of(&out))
}

const VNET: &str = "/subscriptions/5b1e7c3a-9d2f-4e68-a1c4-3f7b2d9e6a15/resourceGroups/rg-rdp/providers/Microsoft.Network/virtualNetworks/vnet-app";

#[test]
fn the_official_effective_admin_rules_body_is_a_section() {
    let example: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/NetworkManagerEffectiveSecurityAdminRulesList.json",
        ))
        .expect("example"),
    )
    .expect("JSON");
    let items = example["responses"]["200"]["body"]["value"].clone();
    let mut doc = fixture("RDP801/bad-source-any.json");
    doc["securityAdminRules"] = json!({ VNET: items.clone() });
    // The official item denies tcp/22 (a Default rule with flag AllowVnetInbound): RDP is
    // handed to the NSGs, which admit it.
    let (code, r) = audit(&doc);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["diagnostics"], json!([]));
    assert_eq!(ids(&r), ["RDP801", "RDP804"]);
    // The same item on port 3389 drops RDP before the NSGs.
    let mut items = items;
    items[0]["properties"]["destinationPortRanges"] = json!(["3389"]);
    doc["securityAdminRules"] = json!({ VNET: items });
    let (_, r) = audit(&doc);
    assert_eq!(ids(&r), ["RDP409"]);
    assert_eq!(r["vms"][0]["rdp"]["verdict"], "blocked");
}

/// Each edit makes one part of a door unreadable: a diagnostic naming the resource and the
/// field, the VM `unknown`, exit 3.
#[test]
fn bad_door_input_is_a_diagnostic_and_an_unknown_verdict() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let dnat_rule = |d: &mut Value| -> Value {
        resource(d, "fw-hub")["properties"]["natRuleCollections"][0]["properties"]["rules"][0]
            .take()
    };
    let set_rule = |d: &mut Value, r: Value| {
        resource(d, "fw-hub")["properties"]["natRuleCollections"][0]["properties"]["rules"][0] = r;
    };
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "RDP607/bad-classic-dnat-any-source.json",
            Box::new(move |d| {
                let mut r = dnat_rule(d);
                r["translatedPort"] = json!("33a89");
                set_rule(d, r);
            }),
            "fw-hub",
            "translatedPort",
        ),
        (
            "RDP607/bad-classic-dnat-any-source.json",
            Box::new(move |d| {
                let mut r = dnat_rule(d);
                r["sourceAddresses"] = json!(["203.0.113.400"]);
                set_rule(d, r);
            }),
            "fw-hub",
            "sourceAddresses",
        ),
        (
            "RDP607/bad-classic-dnat-any-source.json",
            Box::new(move |d| {
                let mut r = dnat_rule(d);
                r["translatedAddress"] = json!("10.0.1");
                set_rule(d, r);
            }),
            "fw-hub",
            "translatedAddress",
        ),
        (
            "RDP607/bad-policy-dnat-inherited-ip-group.json",
            Box::new(|d| {
                d["resources"]
                    .as_array_mut()
                    .expect("resources")
                    .retain(|r| r["name"] != "ipg-admins");
            }),
            "ipg-admins",
            "IP group",
        ),
        (
            "RDP410/bad-admin-always-allow-bypasses-nsg-deny.json",
            Box::new(|d| {
                let v = d["securityAdminRules"]
                    .as_object_mut()
                    .and_then(|m| m.values_mut().next())
                    .expect("a VNet");
                v[0]["properties"]["access"] = json!("Block");
            }),
            "vnet-app",
            "access",
        ),
        (
            "RDP410/bad-admin-always-allow-bypasses-nsg-deny.json",
            Box::new(|d| {
                d["securityAdminRules"] = json!({});
            }),
            "vnet-app",
            "were not read",
        ),
    ];
    for (file, edit, resource_name, field) in cases {
        let mut doc = fixture(file);
        edit(&mut doc);
        let (code, r) = audit(&doc);
        assert_eq!(code, Some(3), "{file} {field}: {r}");
        assert_eq!(r["complete"], false, "{file} {field}");
        let diags = r["diagnostics"].to_string();
        assert!(
            diags.contains(resource_name) && diags.contains(field),
            "{file}: {field}: {diags}"
        );
        assert_eq!(r["vms"][0]["rdp"]["verdict"], "unknown", "{file} {field}");
    }
}

/// The demo through mock-arm with one admin rule per page: the live report (admin rules paged
/// by `skipToken` in the POST body) is the offline one, DNAT and admin rules included.
#[test]
fn admin_rules_paged_by_skip_token_live_equal_offline() {
    let mut snap: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    if let Some(o) = snap.as_object_mut() {
        o.remove("guest");
    }
    let server = serve(&snap, |c| c.page_size(1));
    let out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10",
        ])
        .output()
        .expect("run");
    assert_code(&out, 0);
    let live_report = json_of(&out);
    let (_, offline) = audit(&snap);
    assert_eq!(live_report["vms"], offline["vms"]);
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == "adminRules")
        .collect();
    // vnet-shared-weu has two rules: two pages; every other VM VNet one (empty) page.
    assert!(
        posts
            .iter()
            .filter(|r| r.path.contains("vnet-shared-weu"))
            .count()
            == 2,
        "{posts:?}"
    );
    let names: Vec<String> = live_report["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .map(|v| {
            format!(
                "{}:{}",
                v["name"].as_str().unwrap_or(""),
                v["rdp"]["verdict"]
            )
        })
        .collect();
    for want in [
        "jump-02:\"reachable\"",
        "locked-01:\"blocked\"",
        "noc-01:\"reachable\"",
    ] {
        assert!(names.contains(&want.to_string()), "{want}: {names:?}");
    }
}

/// A Reader without `Microsoft.Network/networkManagers` read: the admin-rule POST answers 403.
/// That is a diagnostic and an incomplete audit (exit 3) with the affected VMs `unknown`, never a
/// crash and never "no admin rules".
#[test]
fn forbidden_admin_rules_are_a_diagnostic_never_no_rules() {
    let mut snap: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    if let Some(o) = snap.as_object_mut() {
        o.remove("guest");
    }
    let server = serve(&snap, |c| {
        c.faults(Faults::none().forbid_type("Microsoft.Network/networkManagers"))
    });
    let out = live(&server, "audit")
        .args([
            "-o",
            "json",
            "--fail-on",
            "never",
            "--subscription",
            "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10",
        ])
        .output()
        .expect("run");
    assert_code(&out, 3);
    let r = json_of(&out);
    assert_eq!(r["complete"], false);
    let diags = r["diagnostics"].to_string();
    assert!(
        diags.contains("security admin rules") && diags.contains("403"),
        "{diags}"
    );
    for v in r["vms"].as_array().expect("vms") {
        if v["deployment"] == "arm" {
            assert_eq!(v["rdp"]["verdict"], "unknown", "{}", v["name"]);
        }
    }
}

/// A generated estate with the doors (`mock-arm generate --doors`): a firewall policy with a
/// base policy, DNAT rules from `*`, an IP Group and a range, and admin rules (Deny,
/// AlwaysAllow) on some VNets. Live through mock-arm — ARM and Resource Graph backends — and
/// from the snapshot, the same report.
#[test]
fn generated_doors_live_arm_and_graph_equal_offline() {
    let mut snap = common::generated_live(120, 2, 11);
    mock_arm::generate::add_doors(&mut snap);
    let (_, offline) = audit(&snap);
    let found: Vec<&str> = offline["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .flat_map(|v| v["findings"].as_array().into_iter().flatten())
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    for id in ["RDP409", "RDP410", "RDP607"] {
        assert!(found.contains(&id), "{id} in the generated estate");
    }
    for backend in ["arm", "graph"] {
        let server = serve(&snap, |c| c.page_size(7));
        let out = live(&server, "audit")
            .args([
                "-o",
                "json",
                "--fail-on",
                "never",
                "--all-subscriptions",
                "--backend",
                backend,
            ])
            .output()
            .expect("run");
        assert_code(&out, 0);
        let r = json_of(&out);
        let (got, want) = (without_rdp103(&r["vms"]), without_rdp103(&offline["vms"]));
        let first_diff = got
            .as_array()
            .into_iter()
            .flatten()
            .zip(want.as_array().into_iter().flatten())
            .find(|(a, b)| a != b);
        assert!(first_diff.is_none(), "{backend}: {first_diff:#?}");
        assert_eq!(got, want, "{backend}");
        assert!(
            server.unmatched_requests().is_empty(),
            "{backend}: {:?}",
            server.unmatched_requests()
        );
    }
}
