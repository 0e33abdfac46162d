//! `-o sarif` for code scanning: the output validates against the official SARIF 2.1.0 JSON
//! schema (vendored in `docs/schemas/`, source noted there), every rule carries GitHub's
//! `security-severity` and `precision`, rules mapped to CIS carry the control as a tag, and the
//! fingerprints that let alerts track across nights are stable.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn sarif(args: &[&str]) -> Value {
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--demo", "-o", "sarif", "--fail-on", "never"])
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("schema")).expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let doc = sarif(&[]);
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator is not vacuous: a result without a message breaks it.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .expect("a result")
        .remove("message");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn rules_carry_security_severity_precision_and_their_controls() {
    let doc = sarif(&[]);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), rdpaudit::rules::CATALOGUE.len());
    for r in rules {
        let id = r["id"].as_str().expect("id");
        let props = &r["properties"];
        let tags: Vec<&str> = props["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            tags.contains(&"security"),
            "{id}: GitHub needs the security tag"
        );
        assert!(
            ["very-high", "high", "medium", "low"]
                .contains(&props["precision"].as_str().unwrap_or("")),
            "{id}"
        );
        let severity = props["severity"].as_str().expect("severity");
        match props["security-severity"].as_str() {
            Some(s) => {
                let n: f64 = s.parse().expect("a number");
                let band = match severity {
                    "critical" => 9.0..=10.0,
                    "high" => 7.0..=8.9,
                    "medium" => 4.0..=6.9,
                    "low" => 0.1..=3.9,
                    other => panic!("{id}: {other} carries a security-severity"),
                };
                assert!(band.contains(&n), "{id}: {n} is not {severity}");
            }
            None => assert_eq!(severity, "info", "{id}"),
        }
        for m in rdpaudit::rules::compliance::controls(id) {
            let tag = rdpaudit::rules::compliance::tag(m);
            assert!(tags.contains(&tag.as_str()), "{id}: missing {tag}");
        }
    }
    let rdp801 = rules.iter().find(|r| r["id"] == "RDP801").expect("RDP801");
    assert!(rdp801["properties"]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .any(|t| t == "cis-azure-3.0:7.1"));
}

#[test]
fn fingerprints_are_stable_and_unique() {
    let fingerprints = |doc: &Value| -> Vec<String> {
        doc["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                r["partialFingerprints"]["rdpaudit/v1"]
                    .as_str()
                    .expect("fp")
                    .to_string()
            })
            .collect()
    };
    let a = fingerprints(&sarif(&[]));
    let b = fingerprints(&sarif(&[
        "--client-ip",
        "198.51.100.7",
        "--category",
        "exposure",
    ]));
    assert!(!a.is_empty());
    let mut unique = a.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), a.len(), "one fingerprint per result");
    // The exposure findings of the second run are the same alerts as in the first.
    assert!(b.iter().all(|fp| a.contains(fp)), "{b:?}");
}
