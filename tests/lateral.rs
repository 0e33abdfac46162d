//! Who inside can reach RDP, end to end on the demo: `audit --lateral` (classes and VMs per VM,
//! valid against the report schema), RDP811/RDP812 in every audit, `rdpaudit graph` (dot
//! rendered by Graphviz, mermaid, json) and `check --from` (a two-hop trace).

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

fn rdpaudit() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("NO_COLOR").env_remove("RDPAUDIT_ARM_ENDPOINT");
    c
}

fn json(args: &[&str]) -> Value {
    let out = rdpaudit().args(args).output().expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn vm<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["vms"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("{name} is not in the report"))
}

fn rule_ids(vm: &Value) -> Vec<String> {
    vm["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["ruleId"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn lateral_json_has_classes_and_vms_and_validates_against_the_schema() {
    let report = json(&["audit", "--demo", "--lateral", "-o", "json"]);
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/report.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema")).expect("json");
    let v = jsonschema::validator_for(&schema).expect("compiles");
    let errors: Vec<String> = v.iter_errors(&report).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // hr-01 sits in a spoke that uses the hub's VPN gateway: on-premises and point-to-site.
    let hr = vm(&report, "hr-01");
    let classes: Vec<(&str, &str)> = hr["lateral"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|c| (c["class"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert!(
        classes.contains(&("onPremises", "lgw-office-berlin")),
        "{classes:?}"
    );
    assert!(
        classes.contains(&("pointToSite", "vpngw-hub-weu")),
        "{classes:?}"
    );
    assert!(rule_ids(hr).contains(&"RDP811".to_string()));
    let onprem = hr["lateral"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "onPremises")
        .unwrap();
    assert_eq!(
        onprem["allowedSources"],
        serde_json::json!(["192.168.50.0/24"])
    );
    assert_eq!(onprem["connectionStatus"], "Connected");

    // app-01 is in prod, whose peering does not use the hub's gateway: no gateway classes.
    let app = vm(&report, "app-01");
    assert!(app["lateral"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["class"] != "onPremises" && c["class"] != "pointToSite"));
    assert!(!rule_ids(app).contains(&"RDP811".to_string()));
    // …but web-01 (open to the Internet) can RDP to it: a stepping stone.
    let from: Vec<(&str, bool)> = app["lateral"]["fromVms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap(),
                e["steppingStone"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(from.contains(&("web-01", true)), "{from:?}");
    assert!(rule_ids(app).contains(&"RDP812".to_string()));

    // Rules are named once per report and referred to by index (the edges stay small).
    let table = report["lateralRules"].as_array().expect("lateralRules");
    let mut seen = std::collections::BTreeSet::new();
    for r in table {
        assert!(
            seen.insert((r["nsgId"].to_string(), r["rule"].to_string())),
            "{r} twice"
        );
    }
    let web = app["lateral"]["fromVms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "web-01")
        .unwrap();
    let inbound: Vec<&str> = web["inbound"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            table[i.as_u64().unwrap() as usize]["rule"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(!inbound.is_empty(), "{web:#}");
    for c in vm(&report, "hr-01")["lateral"]["sources"]
        .as_array()
        .unwrap()
    {
        for i in c["rules"].as_array().unwrap() {
            assert!(table.get(i.as_u64().unwrap() as usize).is_some(), "{c:#}");
        }
    }
}

#[test]
fn without_lateral_the_section_is_absent_but_rdp811_and_rdp812_still_fire() {
    let report = json(&["audit", "--demo", "-o", "json"]);
    assert!(report["vms"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v.get("lateral").is_none()));
    assert!(rule_ids(vm(&report, "hr-01")).contains(&"RDP811".to_string()));
    let app = rule_ids(vm(&report, "app-01"));
    assert!(app.contains(&"RDP812".to_string()), "{app:?}");
    // An exposed VM is not a two-hop case: RDP801 covers it.
    assert!(!rule_ids(vm(&report, "web-01")).contains(&"RDP812".to_string()));
}

/// Regression: `--vm` and `-g` audited only the VMs they selected, so a stepping stone outside
/// the selection was never seen and RDP812 vanished from a filtered run (a false "clean").
#[test]
fn filtered_runs_keep_two_hop_findings_whose_stepping_stone_is_not_selected() {
    let full = json(&["audit", "--demo", "-o", "json"]);
    for args in [
        &["--vm", "app-01", "--vm", "web-02"][..],
        &["-g", "rg-app"][..],
    ] {
        let mut all = vec!["audit", "--demo", "-o", "json"];
        all.extend_from_slice(args);
        let filtered = json(&all);
        let vms = filtered["vms"].as_array().unwrap();
        assert!(!vms.is_empty(), "{args:?}");
        for v in vms {
            let name = v["name"].as_str().unwrap();
            assert_eq!(
                rule_ids(v),
                rule_ids(vm(&full, name)),
                "{name} under {args:?}: a filter changes which VMs are shown, not their findings"
            );
        }
        assert!(
            vms.iter()
                .any(|v| rule_ids(v).contains(&"RDP812".to_string())),
            "{args:?}"
        );
    }
}

#[test]
fn graph_dot_renders_with_graphviz_and_has_the_nodes_and_edges() {
    let out = rdpaudit()
        .args(["graph", "--demo", "-o", "dot"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot_text = String::from_utf8(out.stdout).expect("utf-8");
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` is installed (.ci/run installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot_text.as_bytes())
        .expect("write");
    let svg = child.wait_with_output().expect("dot runs");
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    let svg = String::from_utf8(svg.stdout).expect("svg is utf-8");
    assert!(svg.contains("<svg"));
    // Graphviz writes '-' and '>' as entities in text.
    let svg = svg.replace("&#45;", "-").replace("&gt;", ">");
    // Nodes: VMs and source classes, as <title> of each node group.
    for label in [
        "app-01",
        "web-01",
        "hr-01",
        "onPremises: lgw-office-berlin",
        "internet: Internet",
    ] {
        assert!(svg.contains(label), "the SVG lacks {label}");
    }
    // Edges: Graphviz titles them `from->to` with node ids; find web-01 → app-01.
    let g = json(&["graph", "--demo", "-o", "json"]);
    let id = |name: &str| {
        g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["label"] == name)
            .and_then(|n| n["id"].as_str())
            .unwrap_or_else(|| panic!("no node {name}"))
            .to_string()
    };
    let edge = format!("<title>{}->{}</title>", id("web-01"), id("app-01"));
    assert!(svg.contains(&edge), "the SVG lacks the edge {edge}");
    let stone = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == id("web-01") && e["to"] == id("app-01"))
        .expect("edge");
    assert_eq!(stone["steppingStone"], true);
    assert!(stone["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains("AllowVnetInBound")));
}

#[test]
fn graph_mermaid_is_a_flowchart() {
    let out = rdpaudit()
        .args(["graph", "--demo", "-o", "mermaid"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("flowchart LR\n"));
    assert!(text.contains("[\"app-01\"]"));
    assert!(text.contains("-->"));
}

const APP_01: &str = "/subscriptions/3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/app-01";

#[test]
fn check_from_a_vm_shows_both_hops_and_both_directions() {
    let out = rdpaudit()
        .args(["check", APP_01, "--demo", "--from", "web-01"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).unwrap();
    for hop in [
        "internetToSource",
        "outboundNicNsg",
        "outboundSubnetNsg",
        "route",
        "inboundSubnetNsg",
        "inboundNicNsg",
    ] {
        assert!(text.contains(hop), "no {hop} in:\n{text}");
    }
    assert!(text.contains("AllowVnetInBound"), "{text}");
    assert!(
        text.contains("[0.0.0.0/0]"),
        "the whole Internet prints minimally: {text}"
    );
    assert!(text.contains("verdict: reachable"), "{text}");
}

#[test]
fn check_from_a_cidr_splits_by_the_deciding_rules() {
    let report = json(&[
        "check",
        APP_01,
        "--demo",
        "--from",
        "192.168.50.0/24",
        "-o",
        "json",
    ]);
    let t = &report["vms"][0]["lateral"]["trace"];
    assert_eq!(t["fromKind"], "cidr");
    // prod does not use the hub's gateway: the office is not in prod's VirtualNetwork.
    assert_eq!(t["verdict"], "blocked", "{t:#}");
    let nowhere = json(&[
        "check",
        APP_01,
        "--demo",
        "--from",
        "no-such-vm",
        "-o",
        "json",
    ]);
    assert_eq!(
        nowhere["vms"][0]["lateral"]["trace"]["fromKind"],
        "notFound"
    );
}

const LOCKED_01: &str = "/subscriptions/3f2a1c4e-8b7d-4e2f-9a61-5c0d2e7b9a10/resourceGroups/rg-shared/providers/Microsoft.Compute/virtualMachines/locked-01";

/// locked-01's VNet has a security admin Deny for RDP to its subnet from `*`: the east-west flow
/// from noc-01 (exposed) is cut there, so no RDP812 (docs/decisions.md D45, D47).
#[test]
fn an_admin_deny_cuts_the_east_west_flow_and_the_trace_says_so() {
    let report = json(&["audit", "--demo", "--lateral", "-o", "json"]);
    let locked = vm(&report, "locked-01");
    assert!(!rule_ids(locked).contains(&"RDP812".to_string()));
    assert_eq!(
        locked["lateral"]["fromVms"].as_array().map(Vec::len),
        Some(0)
    );
    let out = rdpaudit()
        .args(["check", LOCKED_01, "--demo", "--from", "noc-01"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("inboundAdminRules"), "{text}");
    assert!(text.contains("deny-rdp-locked"), "{text}");
    assert!(
        !text.contains("inboundSubnetNsg"),
        "the NSGs are not asked: {text}"
    );
    assert!(text.contains("verdict: blocked"), "{text}");
    // A CIDR source: the part the admin rule drops is one admin hop, not "not reached" NSGs.
    let cidr = json(&[
        "check",
        LOCKED_01,
        "--demo",
        "--from",
        "10.60.0.0/16",
        "-o",
        "json",
    ]);
    let t = &cidr["vms"][0]["lateral"]["trace"];
    assert_eq!(t["verdict"], "blocked", "{t:#}");
    assert_eq!(t["hops"][0]["hop"], "inboundAdminRules", "{t:#}");
    assert_eq!(t["hops"][0]["decision"], "deny", "{t:#}");
}
