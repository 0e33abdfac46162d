//! The nightly job: `--baseline` (new / unchanged / resolved findings, per-VM source changes),
//! `--fail-on-new`, bad baselines, and `--framework` summaries — through the real binary.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn rdpaudit() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("NO_COLOR").env_remove("RDPAUDIT_ARM_ENDPOINT");
    c
}

fn demo() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("mocks/demo/demo-subscription.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("demo")).expect("demo JSON")
}

/// Validates against docs/schemas/report.schema.json (baseline and compliance fields included).
fn assert_valid(doc: &Value) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/report.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("schema")).expect("JSON");
    let v = jsonschema::validator_for(&schema).expect("compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn resource_mut<'a>(snap: &'a mut Value, ty: &str, name: &str) -> &'a mut Value {
    snap["resources"]
        .as_array_mut()
        .and_then(|a| {
            a.iter_mut().find(|r| {
                r["name"] == name
                    && r["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(ty))
            })
        })
        .unwrap_or_else(|| panic!("{ty} {name} is not in the demo"))
}

fn set_rule_source(snap: &mut Value, nsg: &str, rule: &str, source: &str) {
    let n = resource_mut(snap, "Microsoft.Network/networkSecurityGroups", nsg);
    let r = n["properties"]["securityRules"]
        .as_array_mut()
        .and_then(|a| a.iter_mut().find(|r| r["name"] == rule))
        .unwrap_or_else(|| panic!("{nsg}/{rule} is not in the demo"));
    r["properties"]["sourceAddressPrefix"] = json!(source);
}

/// A copy of kiosk-01 (VM, NIC, public IP) named kiosk-02.
fn add_kiosk_02(snap: &mut Value) {
    let mut added = Vec::new();
    for (ty, name) in [
        ("Microsoft.Compute/virtualMachines", "kiosk-01"),
        ("Microsoft.Network/networkInterfaces", "kiosk-01-nic"),
        ("Microsoft.Network/publicIPAddresses", "pip-kiosk-01"),
    ] {
        let r = resource_mut(snap, ty, name).clone();
        let text = r
            .to_string()
            .replace("kiosk-01", "kiosk-02")
            .replace("40.114.201.58", "40.114.201.59");
        added.push(serde_json::from_str::<Value>(&text).expect("copy"));
    }
    snap["resources"]
        .as_array_mut()
        .expect("resources")
        .extend(added);
}

/// The demo with one rule widened (ops-jump-01: the office /24 becomes a /16), one VM fixed
/// (web-01: RDP from anywhere becomes one partner /24) and one VM added (kiosk-02).
fn modified_demo() -> Value {
    let mut d = demo();
    set_rule_source(
        &mut d,
        "nsg-snet-mgmt",
        "AllowRDPFromOffice",
        "203.0.0.0/16",
    );
    set_rule_source(&mut d, "web-01-nsg", "AllowRDP", "198.51.100.0/24");
    add_kiosk_02(&mut d);
    d
}

type Key = (String, String, String);

fn finding_keys(report: &Value) -> BTreeMap<Key, usize> {
    let mut m = BTreeMap::new();
    for vm in report["vms"].as_array().expect("vms") {
        for f in vm["findings"].as_array().expect("findings") {
            let k = (
                vm["name"].as_str().unwrap_or_default().to_string(),
                f["ruleId"].as_str().unwrap_or_default().to_string(),
                f["resourceId"].as_str().unwrap_or_default().to_lowercase(),
            );
            *m.entry(k).or_insert(0) += 1;
        }
    }
    m
}

struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        Run {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn write(&self, name: &str, v: &Value) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, v.to_string()).expect("write");
        p.to_string_lossy().into_owned()
    }
    fn write_text(&self, name: &str, s: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, s).expect("write");
        p.to_string_lossy().into_owned()
    }
}

fn demo_report() -> Value {
    let out = rdpaudit()
        .args(["audit", "--demo", "-o", "json", "--fail-on", "never"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    json_of(&out)
}

#[test]
fn baseline_diff_gives_exact_new_unchanged_and_resolved_sets() {
    let run = Run::new();
    let base = demo_report();
    let base_path = run.write("base.json", &base);
    let snap = run.write("modified.json", &modified_demo());
    let plain = json_of(
        &rdpaudit()
            .args([
                "audit",
                "--snapshot",
                &snap,
                "-o",
                "json",
                "--fail-on",
                "never",
            ])
            .output()
            .expect("runs")
            .stdout,
    );
    let out = rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "-o",
            "json",
            "--fail-on",
            "never",
            "--baseline",
            &base_path,
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    assert_valid(&r);

    // The oracle: multiset differences of (VM, rule, resource) between the two plain reports.
    let (before, after) = (finding_keys(&base), finding_keys(&plain));
    let mut want_new = BTreeMap::new();
    let mut want_resolved = BTreeMap::new();
    for (k, n) in &after {
        let gone = n.saturating_sub(*before.get(k).unwrap_or(&0));
        if gone > 0 {
            want_new.insert(k.clone(), gone);
        }
    }
    for (k, n) in &before {
        let gone = n.saturating_sub(*after.get(k).unwrap_or(&0));
        if gone > 0 {
            want_resolved.insert(k.clone(), gone);
        }
    }
    let mut got_new = BTreeMap::new();
    let mut unchanged = 0;
    for vm in r["vms"].as_array().expect("vms") {
        for f in vm["findings"].as_array().expect("findings") {
            let k = (
                vm["name"].as_str().unwrap_or_default().to_string(),
                f["ruleId"].as_str().unwrap_or_default().to_string(),
                f["resourceId"].as_str().unwrap_or_default().to_lowercase(),
            );
            match f["change"].as_str() {
                Some("new") => *got_new.entry(k).or_insert(0) += 1,
                Some("unchanged") => unchanged += 1,
                other => panic!("finding without a change mark: {other:?} {f}"),
            }
        }
    }
    let mut got_resolved = BTreeMap::new();
    for f in r["baseline"]["resolvedFindings"]
        .as_array()
        .expect("resolved")
    {
        let k = (
            f["vmName"].as_str().unwrap_or_default().to_string(),
            f["ruleId"].as_str().unwrap_or_default().to_string(),
            f["resourceId"].as_str().unwrap_or_default().to_lowercase(),
        );
        *got_resolved.entry(k).or_insert(0) += 1;
    }
    assert_eq!(got_new, want_new, "new findings");
    assert_eq!(got_resolved, want_resolved, "resolved findings");
    assert_eq!(r["baseline"]["new"], want_new.values().sum::<usize>());
    assert_eq!(
        r["baseline"]["resolved"],
        want_resolved.values().sum::<usize>()
    );
    assert_eq!(r["baseline"]["unchanged"], unchanged);

    // The story the three edits tell, spelled out.
    assert!(want_resolved
        .keys()
        .any(|(vm, rule, _)| vm == "web-01" && rule == "RDP801"));
    assert!(want_new
        .keys()
        .any(|(vm, rule, _)| vm == "ops-jump-01" && rule == "RDP802"));
    assert!(want_new
        .keys()
        .any(|(vm, rule, _)| vm == "kiosk-02" && rule == "RDP801"));
    let vm = |name: &str| {
        r["vms"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["name"] == name))
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(vm("kiosk-02")["change"]["status"], "new");
    assert_eq!(vm("app-01")["change"]["status"], "unchanged");

    // ops-jump-01: exactly the /16 minus the old /24 was added, by the widened rule.
    let jump = vm("ops-jump-01");
    let sources = jump["change"]["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(
        sources[0]["added"],
        json!([
            "203.0.0.0/18",
            "203.0.64.0/19",
            "203.0.96.0/20",
            "203.0.112.0/24",
            "203.0.114.0/23",
            "203.0.116.0/22",
            "203.0.120.0/21",
            "203.0.128.0/17"
        ])
    );
    assert_eq!(sources[0]["removed"], json!([]));
    assert_eq!(sources[0]["via"], "nsg-snet-mgmt/AllowRDPFromOffice");
    assert!(sources[0]["path"]
        .as_str()
        .is_some_and(|p| p.starts_with("publicIp ")));

    // web-01: the whole Internet but the partner /24 was removed, nothing added.
    let web = vm("web-01");
    let s = &web["change"]["sources"][0];
    assert_eq!(s["added"], json!([]));
    let removed: Vec<&str> = s["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        removed.len(),
        24,
        "0.0.0.0/0 minus one /24 is 24 prefixes: {removed:?}"
    );
    assert!(
        removed.contains(&"0.0.0.0/1") && !removed.iter().any(|c| c.starts_with("198.51.100."))
    );
    assert!(r["baseline"]["scopeWarning"].is_null());
}

#[test]
fn fail_on_new_fails_only_for_new_findings() {
    let run = Run::new();
    let base_path = run.write("base.json", &demo_report());
    // Same estate: findings at high exist, none is new.
    rdpaudit()
        .args(["audit", "--demo", "--fail-on", "high", "-q"])
        .assert()
        .code(1);
    rdpaudit()
        .args([
            "audit",
            "--demo",
            "--fail-on",
            "high",
            "-q",
            "--baseline",
            &base_path,
            "--fail-on-new",
        ])
        .assert()
        .code(0);
    // The modified estate adds a high finding (kiosk-02 RDP801) and a medium one (RDP802).
    let snap = run.write("modified.json", &modified_demo());
    rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "-q",
            "--fail-on",
            "high",
            "--baseline",
            &base_path,
            "--fail-on-new",
        ])
        .assert()
        .code(1);
    rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "-q",
            "--fail-on",
            "critical",
            "--baseline",
            &base_path,
            "--fail-on-new",
        ])
        .assert()
        .code(0);
    // --fail-on-new needs a baseline.
    rdpaudit()
        .args(["audit", "--demo", "--fail-on-new"])
        .assert()
        .code(2);
}

#[test]
fn bad_baselines_exit_2_with_a_clear_message() {
    let run = Run::new();
    let mut other_major = demo_report();
    other_major["schemaVersion"] = json!(2);
    let cases = [
        (run.write_text("garbage.json", "{not json"), "not JSON"),
        (
            run.write("snapshot.json", &demo()),
            "not an rdpaudit JSON report",
        ),
        (run.write("v2.json", &other_major), "schemaVersion 2"),
        (
            run.write_text(
                "missing-vms.json",
                r#"{"schemaVersion":1,"tool":{"name":"rdpaudit","version":"9"},"vms":[{"id":1}]}"#,
            ),
            "malformed at vms[0]",
        ),
        ("/nonexistent/base.json".to_string(), "cannot read baseline"),
    ];
    for (path, want) in cases {
        let out = rdpaudit()
            .args(["audit", "--demo", "--baseline", &path])
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8_lossy(&out);
        assert!(err.contains(want), "{path}: {err}");
        assert!(err.starts_with("rdpaudit: error:"), "{err}");
    }
}

#[test]
fn a_baseline_of_other_subscriptions_is_a_warning_not_an_error() {
    let run = Run::new();
    let text = demo_report().to_string().replace(
        "3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10",
        "00000000-0000-0000-0000-000000000001",
    );
    let path = run.write_text("other.json", &text);
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--baseline",
            &path,
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    let w = r["baseline"]["scopeWarning"]
        .as_str()
        .expect("a scope warning");
    assert!(w.contains("00000000-0000-0000-0000-000000000001"), "{w}");
    assert!(
        r["complete"].as_bool().expect("complete"),
        "a scope warning does not make the audit incomplete"
    );
}

#[test]
fn csv_and_markdown_carry_suppressed_and_change() {
    let run = Run::new();
    let base_path = run.write("base.json", &demo_report());
    let snap = run.write("modified.json", &modified_demo());
    let csv = rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "-o",
            "csv",
            "--fail-on",
            "never",
            "--baseline",
            &base_path,
        ])
        .output()
        .expect("runs")
        .stdout;
    let csv = String::from_utf8_lossy(&csv);
    let header = csv.lines().next().expect("header");
    assert!(header.ends_with(",suppressed,change"), "{header}");
    assert!(csv.lines().any(|l| l.starts_with("/subscriptions/")
        && l.contains(",RDP801,")
        && l.contains("web-01")
        && l.ends_with(",resolved")));
    assert!(csv
        .lines()
        .any(|l| l.contains("kiosk-02") && l.contains(",RDP801,") && l.ends_with(",false,new")));
    let md = rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "-o",
            "markdown",
            "--fail-on",
            "never",
            "--baseline",
            &base_path,
        ])
        .output()
        .expect("runs")
        .stdout;
    let md = String::from_utf8_lossy(&md);
    assert!(md.contains("## Resolved since the baseline"), "{md}");
    assert!(md.contains("ops-jump-01: +203.0.0.0/18"), "{md}");
    assert!(md.contains("(new)"), "{md}");
}

#[test]
fn framework_summary_passes_fails_and_refuses_unknown_frameworks() {
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--framework",
            "cis-azure-3.0",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json_of(&out);
    assert_valid(&r);
    let c = &r["compliance"];
    assert_eq!(c["framework"], "cis-azure-3.0");
    let ctl = c["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["control"] == "7.1")
        .expect("7.1");
    assert_eq!(ctl["status"], "fail");
    assert_eq!(
        ctl["failingVms"],
        json!(["dev-01", "jump-02", "kiosk-01", "noc-01", "shop-01", "web-01"])
    );
    // Findings carry their controls.
    let web = r["vms"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == "web-01"))
        .expect("web-01");
    let f801 = web["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["ruleId"] == "RDP801"))
        .expect("RDP801");
    assert!(f801["compliance"]
        .as_array()
        .expect("compliance")
        .contains(&json!("cis-azure-3.0:7.1")));
    // A clean estate passes only when every VM was decided: the demo has an unknown VM, so a
    // control without failures is `unknown`, never `pass`.
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--framework",
            "cis-azure-6.0",
        ])
        .output()
        .expect("runs")
        .stdout;
    let r = json_of(&out);
    let ctl = r["compliance"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["control"] == "7.11")
        .expect("7.11");
    assert_eq!(
        ctl["status"], "fail",
        "kiosk-01 has a Basic IP without NSG (RDP803)"
    );
    rdpaudit()
        .args(["audit", "--demo", "--framework", "cis-azure-9.9"])
        .assert()
        .code(2);
    // --category connectivity hides the exposure findings: the control cannot pass.
    let out = rdpaudit()
        .args([
            "audit",
            "--demo",
            "-o",
            "json",
            "--fail-on",
            "never",
            "--framework",
            "cis-azure-3.0",
            "--category",
            "connectivity",
        ])
        .output()
        .expect("runs")
        .stdout;
    let r = json_of(&out);
    let ctl = &r["compliance"]["controls"][0];
    assert_eq!(ctl["status"], "unknown", "{ctl}");
    assert!(ctl["reason"]
        .as_str()
        .is_some_and(|w| w.contains("--category")));
    let table = rdpaudit()
        .args([
            "audit",
            "--demo",
            "--fail-on",
            "never",
            "--framework",
            "mcsb",
        ])
        .output()
        .expect("runs")
        .stdout;
    let table = String::from_utf8_lossy(&table);
    assert!(
        table.contains("Compliance: Microsoft cloud security benchmark v1"),
        "{table}"
    );
}

#[test]
fn rules_json_carries_each_rules_controls_and_the_frameworks() {
    let out = rdpaudit()
        .args(["rules", "-o", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    let rules = doc["rules"].as_array().expect("rules");
    let rdp801 = rules.iter().find(|r| r["id"] == "RDP801").expect("RDP801");
    let controls = rdp801["controls"].as_array().expect("controls");
    assert!(controls.iter().any(|c| c["framework"] == "cis-azure-3.0"
        && c["control"] == "7.1"
        && c["basis"] == "framework"));
    let rdp401 = rules.iter().find(|r| r["id"] == "RDP401").expect("RDP401");
    assert_eq!(
        rdp401["controls"],
        json!([]),
        "connectivity rules evidence no control"
    );
    let frameworks: Vec<&str> = doc["frameworks"]
        .as_array()
        .expect("frameworks")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    for f in controls.iter().filter_map(|c| c["framework"].as_str()) {
        assert!(frameworks.contains(&f), "{f} is listed");
    }
    // Every listed framework is accepted by --framework.
    for f in frameworks {
        rdpaudit()
            .args([
                "audit",
                "--demo",
                "-q",
                "--fail-on",
                "never",
                "--framework",
                f,
            ])
            .assert()
            .code(0);
    }
}

/// `--summary` leaves the paths out of its report unless a baseline compares them: the source
/// changes of a path must still be printed.
#[test]
fn summary_with_a_baseline_prints_the_sources_a_path_gained() {
    let run = Run::new();
    let base_path = run.write("base.json", &demo_report());
    let snap = run.write("modified.json", &modified_demo());
    let out = rdpaudit()
        .args([
            "audit",
            "--snapshot",
            &snap,
            "--summary",
            "--fail-on",
            "never",
        ])
        .args(["--color", "never", "--baseline", &base_path])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("ops-jump-01: +203.0.0.0/18 +203.0.64.0/19"),
        "{text}"
    );
}
