//! Editing and reading snapshot and report documents in tests.

use serde_json::Value;

/// The resource named `name` in a snapshot document (panics when absent: a broken fixture).
pub fn resource<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc["resources"]
        .as_array_mut()
        .expect("resources")
        .iter_mut()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

/// The first VM's rule ids, sorted.
pub fn first_vm_rule_ids(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = report["vms"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["ruleId"].as_str().map(String::from))
        .collect();
    v.sort();
    v
}
