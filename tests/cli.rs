//! The real binary, end to end: the demo, exit codes, outputs against the JSON Schema, `check`,
//! `rules`, `explain`, and unusable input.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

mod common;

fn rdpaudit() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("NO_COLOR").env_remove("RDPAUDIT_ARM_ENDPOINT");
    c
}

fn schema(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).expect("schema")).expect("schema JSON")
}

fn assert_valid(schema_name: &str, doc: &Value) {
    let s = schema(schema_name);
    let v = jsonschema::validator_for(&s).expect("compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_name}: {errors:#?}");
}

/// The VM called `name` in a JSON report.
fn vm_named<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["vms"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not in the report"))
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// Every demo VM's verdict and rule ids, pinned (mocks/demo/README.md tells each story).
const DEMO: &[(&str, &str, &[&str])] = &[
    ("app-01", "blocked", &["RDP401", "RDP812"]),
    ("batch-01", "blocked", &["RDP402", "RDP812"]),
    (
        "contractor-01",
        "blocked",
        &["RDP601", "RDP805", "RDP806", "RDP812"],
    ),
    (
        "dev-01",
        "blocked",
        &["RDP101", "RDP801", "RDP804", "RDP805", "RDP806"],
    ),
    ("finance-01", "blocked", &["RDP406", "RDP703"]),
    ("fw-app-01", "blocked", &["RDP701", "RDP812"]),
    (
        "hr-01",
        "blocked",
        &["RDP502", "RDP703", "RDP811", "RDP812"],
    ),
    (
        "jump-02",
        "reachable",
        &["RDP606", "RDP607", "RDP801", "RDP804"],
    ),
    (
        "kiosk-01",
        "reachable",
        &["RDP105", "RDP507", "RDP603", "RDP801", "RDP803", "RDP804"],
    ),
    (
        "legacy-rdp-01",
        "reachable",
        &["RDP106", "RDP606", "RDP804"],
    ),
    ("locked-01", "blocked", &["RDP409"]),
    ("noc-01", "reachable", &["RDP410", "RDP801", "RDP804"]),
    ("nva-01", "blocked", &["RDP601", "RDP811", "RDP812"]),
    ("ops-jump-01", "reachable", &["RDP703", "RDP804", "RDP811"]),
    ("reporting-01", "unknown", &["RDP407", "RDP812"]),
    ("shop-01", "reachable", &["RDP606", "RDP801", "RDP804"]),
    ("sql-01", "blocked", &["RDP601"]),
    ("web-01", "reachable", &["RDP801", "RDP804"]),
    ("web-02", "blocked", &["RDP403", "RDP812"]),
];

#[test]
fn demo_json_is_pinned_and_valid() {
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    assert_valid("report.schema.json", &r);
    assert_eq!(r["complete"], true);
    assert_eq!(r["client"], "internet");
    assert_eq!(r["summary"]["skipped"], 1, "the Linux VM is skipped");
    let vms = r["vms"].as_array().expect("vms");
    assert_eq!(vms.len(), DEMO.len());
    for (name, verdict, rules) in DEMO {
        let vm = vms
            .iter()
            .find(|v| v["name"] == *name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(vm["rdp"]["verdict"], *verdict, "{name}");
        let mut ids: Vec<&str> = vm["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["ruleId"].as_str())
            .collect();
        ids.sort();
        assert_eq!(ids, *rules, "{name}");
    }
    // Deterministic order: VMs by id.
    let ids: Vec<String> = vms
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let web01 = vms.iter().find(|v| v["name"] == "web-01").expect("web-01");
    assert_eq!(
        web01["rdp"]["paths"][0]["allowedSources"],
        serde_json::json!(["0.0.0.0/0"])
    );
    let ops = vms
        .iter()
        .find(|v| v["name"] == "ops-jump-01")
        .expect("ops");
    assert_eq!(
        ops["rdp"]["paths"][0]["allowedSources"],
        serde_json::json!(["203.0.113.0/24"])
    );
}

#[test]
fn demo_table_names_the_deciding_hop() {
    let out = rdpaudit().args(["audit", "--demo"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    // Verdict lines wrap at 80 columns: compare with the line breaks undone.
    let text = String::from_utf8_lossy(&out.stdout).replace("\n  ", " ");
    for want in [
        "app-01  RDP from Internet: BLOCKED by nsg-app-subnet / DenyAllInBound (65500, subnet)",
        "web-01  RDP from Internet: REACHABLE via 20.61.14.203:3389 — open to 0.0.0.0/0",
        "Summary: 19 Windows VM(s)",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    assert!(!text.contains("\x1b["));
}

#[test]
fn fail_on_and_category_set_the_exit_code() {
    for (fail_on, code) in [("never", 0), ("critical", 0), ("high", 1), ("info", 1)] {
        rdpaudit()
            .args(["audit", "--demo", "--fail-on", fail_on])
            .assert()
            .code(code);
    }
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--category",
            "exposure",
            "--fail-on",
            "never",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    for vm in r["vms"].as_array().expect("vms") {
        for f in vm["findings"].as_array().expect("findings") {
            assert_eq!(f["category"], "exposure");
        }
    }
}

#[test]
fn client_ip_narrows_the_question() {
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--client-ip",
            "203.0.113.10",
            "--fail-on",
            "never",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    assert_eq!(r["client"], "203.0.113.10/32");
    let ops = vm_named(&r, "ops-jump-01");
    assert_eq!(ops["rdp"]["verdict"], "reachable");
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--client-ip",
            "198.51.100.1",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    let ops = vm_named(&r, "ops-jump-01");
    assert_eq!(ops["rdp"]["verdict"], "blocked");
    rdpaudit()
        .args(["audit", "--demo", "--client-ip", "300.1.1.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--client-ip"));
}

#[test]
fn other_formats() {
    let csv = rdpaudit()
        .args(["audit", "--demo", "-o", "csv"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).expect("utf8");
    assert!(csv.starts_with("vm_id,vm_name,"));
    assert!(csv.lines().count() > 13);
    let md = rdpaudit()
        .args(["audit", "--demo", "-o", "markdown"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(md).expect("utf8");
    assert!(md.contains("| app-01 |") && md.contains("## web-01"));
    let sarif = rdpaudit()
        .args(["audit", "--demo", "-o", "sarif"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let s = json_of(&sarif);
    assert_eq!(s["version"], "2.1.0");
    assert!(s["runs"][0]["results"]
        .as_array()
        .is_some_and(|r| r.len() > 10));
}

#[test]
fn snapshot_from_file_and_stdin_and_other_shapes() {
    let dir = tempfile::tempdir().expect("tmp");
    let demo: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    assert_valid("snapshot.schema.json", &demo);
    let file = dir.path().join("snap.json");
    std::fs::write(&file, rdpaudit::cli::DEMO).expect("write");
    let a = rdpaudit()
        .args(["audit", "-o", "json", "--snapshot"])
        .arg(&file)
        .output()
        .expect("run");
    let b = rdpaudit()
        .args(["audit", "-o", "json", "--snapshot", "-"])
        .write_stdin(rdpaudit::cli::DEMO)
        .output()
        .expect("run");
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(a.stdout, b.stdout, "file and stdin give the same report");
    // The same resources as an ARM list, a bare array and a Resource Graph response.
    let resources = demo["resources"].clone();
    for doc in [
        serde_json::json!({"value": resources}),
        resources.clone(),
        serde_json::json!({"data": resources, "count": 1, "totalRecords": 1}),
    ] {
        let r = common::live::audit_offline(&doc);
        assert_eq!(r["summary"]["vms"], 19);
    }
}

#[test]
fn resource_graph_power_state_and_lower_case_types() {
    let demo: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    let mut rows = Vec::new();
    for r in demo["resources"].as_array().expect("resources") {
        let mut r = r.clone();
        let t = r["type"].as_str().unwrap_or_default().to_lowercase();
        r["type"] = Value::String(t.clone());
        r["id"] = Value::String(r["id"].as_str().unwrap_or_default().to_lowercase());
        if t == "microsoft.compute/virtualmachines" {
            let code = r["properties"]["instanceView"]["statuses"]
                .as_array()
                .and_then(|s| {
                    s.iter()
                        .find_map(|x| x["code"].as_str().filter(|c| c.starts_with("PowerState/")))
                })
                .map(String::from);
            if let Some(props) = r["properties"].as_object_mut() {
                props.remove("instanceView");
            }
            if let Some(code) = code {
                r["properties"]["extended"] =
                    serde_json::json!({"instanceView": {"powerState": {"code": code}}});
            }
        }
        rows.push(r);
    }
    let r = common::live::audit_offline(&serde_json::json!({"data": rows}));
    let dev = vm_named(&r, "dev-01");
    assert_eq!(dev["powerState"], "deallocated");
    // A Resource Graph response carries no guest facts: hr-01's changed port is not known, so
    // the network path counts; nor the securityAdminRules section, so locked-01's admin Deny is
    // not known either (its NSG allows) and noc-01's NSG deny stands (8 reachable, not 7).
    assert_eq!(r["summary"]["reachable"], 8);
}

#[test]
fn unusable_documents_exit_2_with_a_message() {
    let deep = "[".repeat(100_000);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty"),
        (
            b"{\"schema\": \"rdpaudit.snapshot/1\", \"resources\": [".to_vec(),
            "not valid JSON",
        ),
        (b"hello".to_vec(), "not valid JSON"),
        (b"null".to_vec(), "null"),
        (
            b"{\"schema\": \"rdpaudit.snapshot/7\", \"resources\": []}".to_vec(),
            "unknown snapshot schema",
        ),
        (deep.clone().into_bytes(), "nested deeper than"),
        (
            format!("{deep}{}", "]".repeat(100_000)).into_bytes(),
            "nested deeper than",
        ),
        (b"[\"\xff\"]".to_vec(), "not UTF-8"),
        (b"{\"foo\": 1}".to_vec(), "not a snapshot"),
    ];
    for (input, msg) in cases {
        rdpaudit()
            .args(["audit", "--snapshot", "-"])
            .write_stdin(input)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(msg));
    }
    rdpaudit()
        .args(["audit", "--snapshot", "/nonexistent/snap.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read snapshot /nonexistent/snap.json",
        ));
}

fn demo_with(edit: impl Fn(&mut Value)) -> String {
    let mut demo: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    edit(&mut demo);
    demo.to_string()
}

fn find_resource<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc["resources"]
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn malformed_resources_become_diagnostics_and_unknown_verdicts() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|d| {
                find_resource(d, "web-01-nsg")["properties"]["securityRules"][0]["properties"]
                    ["priority"] = "high".into()
            }),
            "priority",
        ),
        (
            Box::new(|d| {
                find_resource(d, "web-01-nsg")["properties"]["securityRules"][0]["properties"]
                    ["destinationPortRange"] = "99999".into()
            }),
            "port 99999 is out of range",
        ),
        (
            Box::new(|d| {
                find_resource(d, "web-01-nsg")["properties"]["securityRules"][0]["properties"]
                    ["destinationPortRange"] = "4000-3000".into()
            }),
            "range \\\"4000-3000\\\" is empty",
        ),
        (
            Box::new(|d| {
                find_resource(d, "web-01-nsg")["properties"]["securityRules"][0]["properties"]
                    ["sourceAddressPrefix"] = "300.1.1.1/33".into()
            }),
            "300.1.1.1/33",
        ),
        (
            Box::new(|d| find_resource(d, "web-01-nsg")["properties"] = Value::Null),
            "`properties` is missing or null",
        ),
    ];
    for (edit, msg) in cases {
        let out = common::live::audit_stdin(demo_with(edit), &[]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "incomplete audit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = json_of(&out.stdout);
        assert_valid("report.schema.json", &r);
        assert_eq!(r["complete"], false);
        let diags = r["diagnostics"].to_string();
        assert!(
            diags.contains("web-01-nsg") && diags.contains(msg),
            "{msg}: {diags}"
        );
        let web = vm_named(&r, "web-01");
        assert_eq!(web["rdp"]["verdict"], "unknown", "{msg}");
    }
    // A resource without an id cannot be identified: a diagnostic, the rest still audited.
    let out = common::live::audit_stdin(
        demo_with(|d| {
            if let Some(o) = find_resource(d, "pip-web-01").as_object_mut() {
                o.remove("id");
            }
        }),
        &[],
    );
    let r = json_of(&out.stdout);
    assert!(r["diagnostics"]
        .to_string()
        .contains("field `id` is missing"));
    assert_eq!(r["summary"]["vms"], 19);
    let web = vm_named(&r, "web-01");
    assert_eq!(
        web["rdp"]["verdict"], "unknown",
        "the public IP is a dangling reference now"
    );
}

#[test]
fn check_walks_the_path_hop_by_hop() {
    let demo: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    let id = demo["resources"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == "web-02"))
        .and_then(|r| r["id"].as_str())
        .expect("web-02")
        .to_string();
    rdpaudit()
        .args(["check", "--demo"])
        .arg(id.to_uppercase())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("natRule"))
        .stdout(predicate::str::contains("nicNsg"))
        .stdout(predicate::str::contains("DenyAllInBound (65500)"))
        .stdout(predicate::str::contains("RDP403"));
    let out = rdpaudit()
        .args(["check", "--demo", "-o", "json"])
        .arg(&id)
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert_valid("report.schema.json", &r);
    assert_eq!(r["vms"].as_array().map(Vec::len), Some(1));
    assert!(r["vms"][0]["rdp"]["paths"][0]["hops"]
        .as_array()
        .is_some_and(|h| h.len() >= 4));
    rdpaudit()
        .args([
            "check",
            "--demo",
            "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/nope",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not in the data"));
}

#[test]
fn rules_and_explain() {
    let out = rdpaudit()
        .args(["rules", "-o", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    let rules = r["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 49); // every rule of docs/rules.md, RDP204 and wave 2 included
    for key in [
        "id",
        "title",
        "severity",
        "category",
        "seed",
        "rationale",
        "remediation",
        "links",
    ] {
        assert!(rules.iter().all(|x| x.get(key).is_some()), "{key}");
    }
    rdpaudit()
        .args(["rules"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("RDP804"));
    rdpaudit()
        .args(["explain", "rdp401"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("RDP401"))
        .stdout(predicate::str::contains("az network nsg rule create"));
    rdpaudit()
        .args(["explain", "RDP999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule id"));
}

#[test]
fn argument_errors_exit_2() {
    let bad: [&[&str]; 5] = [
        &["audit", "--output", "yaml", "--demo"],
        &["audit", "--demo", "--snapshot", "x.json"],
        &["frobnicate"],
        &["audit", "--demo", "--port", "0"],
        &["audit", "--demo", "--subscription", "s1"],
    ];
    for args in bad {
        rdpaudit().args(args).assert().code(2);
    }
    rdpaudit()
        .args(["--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("audit"));
}

#[test]
fn color_only_when_asked_and_never_with_no_color() {
    rdpaudit()
        .args(["audit", "--demo", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\x1b[1;31mBLOCKED"));
    rdpaudit()
        .env("NO_COLOR", "1")
        .args(["audit", "--demo", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn a_missing_referenced_resource_makes_the_audit_incomplete() {
    // Regression: a NIC pointing at an NSG absent from the data made web-01 `unknown` while the
    // audit still said complete and exited 0; a nightly job would have read that as clean.
    let snapshot = demo_with(|d| {
        if let Some(a) = d["resources"].as_array_mut() {
            a.retain(|r| r["name"] != "web-01-nsg");
        }
    });
    let out = common::live::audit_stdin(snapshot, &[]);
    assert_eq!(out.status.code(), Some(3));
    let r = json_of(&out.stdout);
    assert_eq!(r["complete"], false);
    assert!(r["diagnostics"]
        .to_string()
        .contains("web-01-nsg is not in the data"));
    let web = vm_named(&r, "web-01");
    assert_eq!(web["rdp"]["verdict"], "unknown");
}

#[test]
fn sarif_results_have_a_physical_location() {
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "sarif"])
        .output()
        .expect("run");
    let s = json_of(&out.stdout);
    for r in s["runs"][0]["results"].as_array().expect("results") {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default();
        assert!(uri.starts_with("azure://subscriptions/"), "{uri}");
    }
}

#[test]
fn allowed_sources_are_exact_for_small_candidate_sets() {
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--client-ip",
            "203.0.113.10",
        ])
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    let vm = |n: &str| {
        r["vms"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["name"] == n))
            .cloned()
            .expect("vm")
    };
    assert_eq!(
        vm("ops-jump-01")["rdp"]["paths"][0]["allowedSources"],
        serde_json::json!(["203.0.113.10/32"])
    );
    let sql = vm("sql-01");
    let bastion = sql["rdp"]["paths"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["kind"] == "bastion"))
        .expect("bastion");
    assert_eq!(
        bastion["allowedSources"],
        serde_json::json!(["10.10.1.0/26"])
    );
}

#[test]
fn suppressions_accept_findings_until_they_expire() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("suppress.json");
    std::fs::write(
        &file,
        r#"{"suppressions": [
            {"rule": "RDP801", "resource": "*/virtualMachines/WEB-01", "reason": "public jump host, TICKET-1"},
            {"rule": "RDP804", "resource": "*/virtualMachines/web-01", "reason": "old", "expires": "2020-01-01"}
        ]}"#,
    )
    .expect("write");
    let plain = json_of(
        &rdpaudit()
            .args(["audit", "--demo", "-o", "json"])
            .output()
            .expect("run")
            .stdout,
    );
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "json", "--suppress"])
        .arg(&file)
        .output()
        .expect("run");
    let r = json_of(&out.stdout);
    assert_valid("report.schema.json", &r);
    let web = vm_named(&r, "web-01");
    let by_id = |id: &str| {
        web["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|x| x["ruleId"] == id))
            .cloned()
            .expect("finding")
    };
    assert_eq!(by_id("RDP801")["suppressed"], true);
    assert_eq!(
        by_id("RDP804")["suppressed"],
        false,
        "an expired suppression no longer applies"
    );
    assert_eq!(
        r["summary"]["findings"]["high"],
        plain["summary"]["findings"]["high"].as_u64().unwrap_or(0) - 1
    );
    assert!(r["diagnostics"]
        .to_string()
        .contains("expired on 2020-01-01"));
    assert_eq!(
        r["complete"], true,
        "an expiry notice does not make the audit incomplete"
    );
    // Suppressing every finding at or above --fail-on turns exit 1 into 0.
    let all: Vec<String> = plain["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .flat_map(|v| v["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["severity"] == "high")
        .map(|f| {
            format!(
                r#"{{"rule": "{}", "resource": "{}", "reason": "accepted"}}"#,
                f["ruleId"].as_str().unwrap_or_default(),
                f["resourceId"].as_str().unwrap_or_default()
            )
        })
        .collect();
    std::fs::write(&file, format!(r#"{{"suppressions": [{}]}}"#, all.join(","))).expect("write");
    rdpaudit()
        .args(["audit", "--demo", "--fail-on", "high", "--suppress"])
        .arg(&file)
        .assert()
        .code(0);
    std::fs::write(
        &file,
        r#"{"suppressions": [{"rule": "RDP9", "resource": "*", "reason": "x"}]}"#,
    )
    .expect("write");
    rdpaudit()
        .args(["audit", "--demo", "--suppress"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("suppressions[0].rule"));
}

const WEB_01: &str = "/subscriptions/3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01";

/// The demo without the NSG web-01's NIC points at: complete = false.
fn incomplete_demo() -> String {
    demo_with(|d| {
        if let Some(a) = d["resources"].as_array_mut() {
            a.retain(|r| r["name"] != "web-01-nsg");
        }
    })
}

#[test]
fn every_exit_status_has_its_code() {
    // 0: complete, nothing at or above --fail-on.
    rdpaudit()
        .args(["audit", "--demo", "--fail-on", "never"])
        .assert()
        .code(0);
    // 1: findings at or above --fail-on (the default, medium).
    rdpaudit().args(["audit", "--demo"]).assert().code(1);
    // 2: could not run, whichever layer failed.
    rdpaudit()
        .args(["audit", "--snapshot", "/nonexistent/snap.json"])
        .assert()
        .code(2);
    rdpaudit()
        .args(["collect", "--demo", "--out", "-"])
        .assert()
        .code(2);
    rdpaudit()
        .args([
            "check",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope",
            "--demo",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not in the data"));
    // 3: incomplete, and no finding reaches --fail-on …
    for command in ["audit", "check"] {
        let mut args = vec![command, "--snapshot", "-", "--fail-on", "never"];
        if command == "check" {
            args.insert(1, WEB_01);
        }
        rdpaudit()
            .args(&args)
            .write_stdin(incomplete_demo())
            .assert()
            .code(3);
    }
    // … but findings win over incompleteness (a nightly job must see them).
    rdpaudit()
        .args(["audit", "--snapshot", "-", "--fail-on", "info"])
        .write_stdin(incomplete_demo())
        .assert()
        .code(1);
    // -q prints nothing and still tells by the code.
    rdpaudit()
        .args(["audit", "--demo", "-q"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
}

#[test]
fn every_error_is_one_rdpaudit_error_line_on_stderr() {
    let cases: [(&[&str], &str, &str); 7] = [
        // clap's own usage errors, with its usage text kept
        (
            &["audit", "--output", "yaml", "--demo"],
            "",
            "invalid value 'yaml' for '--output <OUTPUT>'",
        ),
        (&["frobnicate"], "", "unrecognized subcommand 'frobnicate'"),
        // a bad snapshot
        (
            &["audit", "--snapshot", "-"],
            "hello",
            "the snapshot is not valid JSON",
        ),
        (
            &["audit", "--snapshot", "/nonexistent/snap.json"],
            "",
            "cannot read snapshot /nonexistent/snap.json",
        ),
        // flags that cannot go together, an unknown rule, a bad value
        (&["audit", "--demo", "--guest"], "", "--guest runs a script"),
        (&["explain", "RDP999"], "", "unknown rule id \"RDP999\""),
        (
            &["audit", "--demo", "--client-ip", "nope"],
            "",
            "--client-ip: \"nope\" is not an IP address",
        ),
    ];
    for (args, stdin, message) in cases {
        let out = rdpaudit()
            .args(args)
            .write_stdin(stdin)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            stderr.starts_with(&format!("rdpaudit: error: {message}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.matches("error:").count(), 1, "{args:?}: {stderr}");
    }
    rdpaudit()
        .args(["audit", "--output", "yaml", "--demo"])
        .assert()
        .stderr(predicate::str::contains("[possible values: table, json"))
        .stderr(predicate::str::contains(
            "For more information, try '--help'.",
        ));
    // Help is not an error: stdout, exit 0; a bare `rdpaudit` shows it on stderr, exit 2.
    rdpaudit()
        .args(["audit", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--fail-on"))
        .stderr(predicate::str::is_empty());
    rdpaudit()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: rdpaudit <COMMAND>"))
        .stderr(predicate::str::contains("error:").not());
}

#[test]
fn save_snapshot_writes_the_input_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("saved.json");
    let file_arg = file.to_str().expect("utf-8 path");
    let first = rdpaudit()
        .args(["audit", "--demo", "-o", "json", "--save-snapshot", file_arg])
        .output()
        .expect("run");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("saved")).expect("JSON");
    let demo: Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    for key in [
        "schema",
        "cloud",
        "collectedAt",
        "subscriptions",
        "resources",
        "guest",
    ] {
        assert_eq!(saved[key], demo[key], "{key}");
    }
    let again = rdpaudit()
        .args(["audit", "-o", "json", "--snapshot", file_arg])
        .output()
        .expect("run");
    assert_eq!(again.status.code(), first.status.code());
    assert_eq!(json_of(&again.stdout), json_of(&first.stdout));
}

// ---- issue 16: fixes, filters, tsv, failing like a good CLI ---------------------------------

/// `--summary` proves nothing, so the raw resources are not kept for proofs; `fix
/// --apply-to-snapshot` still gets every one of them back (here unpatched: nothing is proven).
#[test]
fn fix_summary_apply_to_snapshot_keeps_every_resource() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("copy.json");
    let out = rdpaudit()
        .args(["fix", WEB_01, "--demo", "--summary", "--apply-to-snapshot"])
        .arg(&out_path)
        .output()
        .expect("run");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let demo: serde_json::Value = serde_json::from_str(rdpaudit::cli::DEMO).expect("demo");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).expect("written")).expect("json");
    assert_eq!(written["resources"], demo["resources"]);
}

#[test]
fn fix_prints_proven_commands_and_writes_the_patched_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("fixed.json");
    let out = rdpaudit()
        .args(["fix", WEB_01, "--demo", "--apply-to-snapshot"])
        .arg(&out_path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("RDP801"), "{text}");
    assert!(text.contains("proven fix:"), "{text}");
    assert!(text.contains("az network nsg rule update --subscription 3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10 --resource-group rg-web --nsg-name web-01-nsg --name AllowRDP --source-address-prefixes '<YOUR-PUBLIC-IP>/32'"), "{text}");
    // RDP804's fix (delete the standing rule once just-in-time access replaces it) is proven too.
    assert!(
        text.contains("az network nsg rule delete --subscription 3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10 --resource-group rg-web --nsg-name web-01-nsg --name AllowRDP"),
        "{text}"
    );
    // The patched snapshot no longer exposes web-01 to the Internet.
    let after = rdpaudit()
        .args([
            "audit",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--vm",
            "web-01",
            "--snapshot",
        ])
        .arg(&out_path)
        .output()
        .expect("run");
    let report = json_of(&after.stdout);
    let rules: Vec<&str> = report["vms"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert!(!rules.contains(&"RDP801"), "{rules:?}");
    // By group and name, like az.
    rdpaudit()
        .args(["fix", "--demo", "-g", "RG-WEB", "-n", "web-01", "--fix-format", "arm"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("az rest --method put --url 'https://management.azure.com/subscriptions/3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups/web-01-nsg/securityRules/AllowRDP?api-version="));
    rdpaudit()
        .args(["check", "--demo", "-g", "rg-web", "-n", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "rdpaudit: error: no VM named nope in resource group rg-web",
        ));
}

#[test]
fn json_findings_carry_the_typed_fix_and_its_proof() {
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "json", "--fail-on", "never"])
        .output()
        .expect("run");
    let report = json_of(&out.stdout);
    assert_valid("report.schema.json", &report);
    let f = &vm_named(&report, "app-01")["findings"][0];
    assert_eq!(f["fix"]["kind"], "addNsgRule");
    assert_eq!(f["fix"]["proof"], "proven");
    assert!(f["fix"]["nsg"]
        .as_str()
        .unwrap()
        .contains("/resourceGroups/rg-hub/"));
    assert!(f["remediation"]
        .as_str()
        .unwrap()
        .contains("--resource-group rg-hub"));
    assert!(!f["remediation"].as_str().unwrap().contains("<priority"));
}

#[test]
fn filters_by_group_vm_glob_and_rule_on_the_demo() {
    let names = |args: &[&str]| -> Vec<String> {
        let out = rdpaudit()
            .args(["audit", "--demo", "-o", "json", "--fail-on", "never"])
            .args(args)
            .output()
            .expect("run");
        json_of(&out.stdout)["vms"]
            .as_array()
            .expect("vms")
            .iter()
            .map(|v| v["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        names(&["--resource-group", "rg-web"]),
        ["shop-01", "web-01", "web-02"]
    );
    assert_eq!(names(&["-g", "RG-WEB", "--vm", "w*-01"]), ["web-01"]);
    assert_eq!(
        names(&["--vm", "web-0?", "--vm", "SQL-01"]),
        ["sql-01", "web-01", "web-02"]
    );
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--rule",
            "rdp801",
        ])
        .output()
        .expect("run");
    let report = json_of(&out.stdout);
    let rules: std::collections::BTreeSet<&str> = report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["findings"].as_array().unwrap().iter())
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert_eq!(rules.into_iter().collect::<Vec<_>>(), ["RDP801"]);
    assert_eq!(
        report["summary"]["findings"]["low"], 0,
        "counts follow the filter"
    );
    for (args, msg) in [
        (
            &["--resource-group", "rg-nope"][..],
            "resource group rg-nope not found",
        ),
        (&["--vm", "zz*"][..], "no VM matches --vm zz*"),
        (&["--rule", "RDP999"][..], "unknown rule id \"RDP999\""),
    ] {
        rdpaudit()
            .args(["audit", "--demo"])
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!(
                "rdpaudit: error: {msg}"
            )));
    }
}

#[test]
fn tsv_is_like_az_no_header_tab_separated() {
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "tsv", "--vm", "web-01"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in &lines {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 14, "{l}");
        assert_eq!(cols[1], "web-01");
        assert_eq!(cols[2], "rg-web");
    }
    assert!(!text.contains("vm_id"), "no header");
}

#[test]
fn empty_data_is_incomplete_but_data_without_windows_vms_is_clean() {
    rdpaudit()
        .args(["audit", "--snapshot", "-"])
        .write_stdin(r#"{"schema":"rdpaudit.snapshot/1","resources":[]}"#)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("nothing was read"));
    let vnet_only = r#"[{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v","name":"v","type":"Microsoft.Network/virtualNetworks","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}]"#;
    rdpaudit()
        .args(["audit", "--snapshot", "-"])
        .write_stdin(vnet_only)
        .assert()
        .code(0);
}

#[test]
fn unused_suppressions_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("suppress.json");
    std::fs::write(
        &file,
        r#"{"suppressions":[{"rule":"RDP801","resource":"*web-01*","reason":"accepted"},{"rule":"RDP401","resource":"*no-such-vm*","reason":"typo"}]}"#,
    )
    .expect("write");
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--suppress",
        ])
        .arg(&file)
        .output()
        .expect("run");
    let report = json_of(&out.stdout);
    let diags = report["diagnostics"].to_string();
    assert!(diags.contains("SuppressionUnused"), "{diags}");
    assert!(diags.contains("*no-such-vm*"), "{diags}");
    assert!(
        !diags.contains("*web-01*"),
        "the used entry is not reported: {diags}"
    );
    assert_eq!(out.status.code(), Some(0));
}

/// Every line of `text` longer than 80 characters, for the message.
fn wider_than_80(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > 80)
        .map(str::to_string)
        .collect()
}

#[test]
fn the_table_opens_with_an_overview_worst_first_and_fits_80_columns() {
    let out = rdpaudit()
        .args(["audit", "--demo", "--color", "never"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        wider_than_80(&text).is_empty(),
        "{:#?}",
        wider_than_80(&text)
    );
    let mut lines = text.lines();
    assert_eq!(
        lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["VM", "GROUP", "POWER", "RDP", "EXPOSURE", "WORST", "N"]
    );
    let first = lines.next().unwrap_or_default();
    assert!(first.contains("high RDP"), "worst first: {first}");
    assert!(
        text.contains("    fix (proven):\n"),
        "fixes sit under their finding"
    );
    // --summary: the overview and the summary line only.
    let summary = rdpaudit()
        .args(["audit", "--demo", "--summary", "--color", "never"])
        .output()
        .expect("run");
    let s = String::from_utf8_lossy(&summary.stdout);
    assert_eq!(s.lines().filter(|l| l.contains("rg-")).count(), 19, "{s}");
    assert!(!s.contains("fix (proven)"), "{s}");
}

#[test]
fn a_generated_2000_vm_estate_has_a_2000_row_overview_within_80_columns() {
    let (_dir, path) = common::generated_file(2000, 7);
    let out = rdpaudit()
        .args(["audit", "--summary", "--color", "never", "--snapshot"])
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        wider_than_80(&text).is_empty(),
        "{:#?}",
        wider_than_80(&text)
    );
    let rows = text
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .count();
    let windows: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Summary: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a summary line");
    assert!(windows > 1500, "{windows}");
    assert_eq!(rows as u64, windows, "one overview row per Windows VM");
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = rdpaudit()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("rdpaudit"), "{shell}");
        assert!(
            text.contains("fix-format"),
            "{shell}: every flag is completed"
        );
    }
    rdpaudit()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("rdpaudit: error:"));
    let man = rdpaudit().arg("man").output().expect("run");
    assert_eq!(man.status.code(), Some(0));
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(text.contains(".TH rdpaudit 1"), "{text}");
    for sub in ["audit", "check", "fix", "completions"] {
        assert!(text.contains(sub), "the man page lists {sub}");
    }
}

#[test]
fn help_is_grouped_and_has_examples() {
    let out = rdpaudit().args(["audit", "--help"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for heading in ["Scope:", "Live:", "Evaluation:", "Output:", "Examples:"] {
        assert!(text.contains(heading), "{heading} in {text}");
    }
    // The scope flags come before the live ones.
    assert!(text.find("--resource-group") < text.find("--backend"));
}

#[test]
fn explain_honours_fix_format() {
    let run = |args: &[&str]| {
        let out = rdpaudit().arg("explain").args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let az = run(&["RDP805"]);
    assert!(az.contains("az network bastion update"), "{az}");
    let tf = run(&["RDP805", "--fix-format", "terraform"]);
    assert!(tf.contains("resource \"azurerm_bastion_host\""), "{tf}");
    assert!(tf.contains("shareable_link_enabled = false"), "{tf}");
    assert!(!tf.contains("az network bastion update"), "{tf}");
    let arm = run(&["RDP603", "--fix-format", "arm"]);
    assert!(arm.contains("How to fix (arm"), "{arm}");
    assert!(
        arm.contains("az resource update --ids /subscriptions/")
            && arm.contains("publicIPAllocationMethod=Static"),
        "{arm}"
    );
    let arm = run(&["RDP804", "--fix-format", "arm"]);
    assert!(arm.contains("az rest --method delete --url"), "{arm}");
    // A rule whose fix is not one change to a resource says so.
    let none = run(&["RDP102", "--fix-format", "terraform"]);
    assert!(none.contains("no terraform form"), "{none}");
}
