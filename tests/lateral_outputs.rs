//! `audit --lateral` adds the east-west section to every format (docs/output-formats.md): the
//! table (within 80 columns), CSV (a second table), Markdown, HTML (see tests/html.rs for the
//! browser) and SARIF (related locations on RDP812, a run property). Each test checks the
//! section on the demo's two-hop case (Internet → web-01 → app-01) and that the output without
//! `--lateral` is the output with it minus the section, byte for byte.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .env_remove("NO_COLOR")
        .args(["audit", "--demo", "--fail-on", "never"])
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

const TITLE: &str = "East-west (--lateral): who can open RDP to each VM";

#[test]
fn table_section_sits_before_the_summary_within_80_columns() {
    let plain = run(&[]);
    let lateral = run(&["--lateral"]);
    assert!(!plain.contains(TITLE));
    let start = lateral.find(TITLE).expect("the section");
    let end = lateral.find("Summary: ").expect("the summary");
    assert!(start < end);
    let section = &lateral[start..end];
    // Removing the section gives the plain table back.
    assert_eq!(format!("{}{}", &lateral[..start], &lateral[end..]), plain);
    for line in lateral.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line:?}");
    }
    // app-01 is reached from web-01, a stepping stone, within the VNet.
    let app = &section[section.find("\napp-01: ").expect("app-01")..];
    let app = &app[..app[1..].find("\n\n").unwrap_or(app.len() - 1) + 1];
    let flat = app.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("VM web-01 (stepping stone: its RDP is open to the Internet) [10.20.1.4 → 10.20.2.4]: reachable"),
        "{app}"
    );
    assert!(flat.contains("route: within the virtual network"), "{app}");
    assert!(
        flat.contains("app-01-nsg/AllowVnetInBound (65000)"),
        "{app}"
    );
    // locked-01: the admin Deny leaves no source (D45).
    assert!(section.contains("locked-01: no VM of the data and no source class can open RDP"));
}

#[test]
fn csv_gets_a_second_table_and_stays_the_same_without_lateral() {
    let plain = run(&["-o", "csv"]);
    let lateral = run(&["-o", "csv", "--lateral"]);
    assert!(lateral.starts_with(&plain), "the first table is unchanged");
    let rest = &lateral[plain.len()..];
    assert!(rest.starts_with("\ntarget_vm_id,target_vm_name,source_kind,source_name,source_id,verdict,stepping_stone,addresses,deciding_rules\n"));
    let mut rdr = csv::Reader::from_reader(rest.trim_start().as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("a CSV row")).collect();
    assert!(rows.iter().all(|r| r.len() == 9));
    let two_hop = rows
        .iter()
        .find(|r| &r[1] == "app-01" && &r[3] == "web-01")
        .expect("web-01 → app-01");
    assert_eq!(&two_hop[2], "vm");
    assert_eq!(&two_hop[5], "reachable");
    assert_eq!(&two_hop[6], "true");
    assert!(two_hop[8].contains("AllowVnetInBound"), "{two_hop:?}");
    // The tsv keeps its fixed columns: no east-west rows there.
    assert_eq!(run(&["-o", "tsv"]), run(&["-o", "tsv", "--lateral"]));
}

#[test]
fn markdown_gets_a_section_and_stays_the_same_without_lateral() {
    let plain = run(&["-o", "markdown"]);
    let lateral = run(&["-o", "markdown", "--lateral"]);
    let start = lateral.find("\n## East-west").expect("the section");
    let end = match lateral[start + 1..].find("\n## Diagnostics") {
        Some(e) => start + 1 + e,
        None => lateral.len(),
    };
    assert_eq!(format!("{}{}", &lateral[..start], &lateral[end..]), plain);
    let section = &lateral[start..end];
    assert!(section.contains(
        "| app-01 | VM web-01 (stepping stone: its RDP is open to the Internet) | reachable |"
    ));
    // Every row has the table's five cells.
    for l in section.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(l.matches(" | ").count(), 4, "{l}");
    }
}

#[test]
fn html_gets_a_section_and_stays_the_same_without_lateral() {
    let plain = run(&["-o", "html"]);
    let lateral = run(&["-o", "html", "--lateral"]);
    let start = lateral
        .find("<section id=\"lateral\">")
        .expect("the section");
    let end =
        start + lateral[start..].find("</section>\n").expect("its end") + "</section>\n".len();
    assert_eq!(format!("{}{}", &lateral[..start], &lateral[end..]), plain);
    assert!(lateral[start..end]
        .contains("<tr class=\"lateral-row stone\" data-kind=\"vm\"><td>VM web-01"));
}

#[test]
fn sarif_relates_rdp812_to_its_stepping_stones_and_stays_valid() {
    let plain: Value = serde_json::from_str(&run(&["-o", "sarif"])).expect("JSON");
    let lateral: Value = serde_json::from_str(&run(&["-o", "sarif", "--lateral"])).expect("JSON");
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("schema")).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&lateral)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = lateral["runs"][0]["results"].as_array().expect("results");
    let app_812 = results
        .iter()
        .find(|r| {
            r["ruleId"] == "RDP812" && r["locations"][0]["logicalLocations"][1]["name"] == "app-01"
        })
        .expect("RDP812 on app-01");
    let stones: Vec<&str> = app_812["relatedLocations"]
        .as_array()
        .expect("related locations")
        .iter()
        .filter_map(|l| l["logicalLocations"][0]["name"].as_str())
        .collect();
    assert!(stones.contains(&"web-01"), "{stones:?}");
    let run_props = &lateral["runs"][0]["properties"]["lateral"];
    assert!(!run_props["rules"].as_array().expect("rules").is_empty());
    assert!(run_props["vms"].as_array().is_some_and(|v| v.len() == 19));
    // Without the section and the related locations it is the plain document.
    let mut stripped = lateral.clone();
    stripped["runs"][0]
        .as_object_mut()
        .expect("run")
        .remove("properties");
    for r in stripped["runs"][0]["results"]
        .as_array_mut()
        .expect("results")
    {
        r.as_object_mut()
            .expect("result")
            .remove("relatedLocations");
    }
    assert_eq!(stripped, plain);
}
