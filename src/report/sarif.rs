//! `--output sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps).
//! Each finding is a result whose location is the Azure resource id (a logical location).
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>

use serde_json::{json, Value};

use super::{Report, TOOL_NAME, TOOL_VERSION};
use crate::rules::{Severity, CATALOGUE};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = CATALOGUE
        .iter()
        .map(|r| {
            json!({
                "id": r.meta.id,
                "name": r.meta.title,
                "shortDescription": {"text": r.meta.title},
                "fullDescription": {"text": r.meta.rationale},
                "help": {"text": r.meta.remediation},
                "helpUri": r.meta.links.first().copied().unwrap_or(""),
                "defaultConfiguration": {"level": level(r.meta.severity)},
                "properties": {"category": r.meta.category, "severity": r.meta.severity},
            })
        })
        .collect();
    let mut results = Vec::new();
    for vm in &report.vms {
        for f in &vm.findings {
            let mut r = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": {"text": f.message},
                // Code-scanning services require a physical location: the resource id as a URI.
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": format!("azure://{}", f.resource_id.trim_start_matches('/'))},
                    "region": {"startLine": 1}
                }, "logicalLocations": [
                    {"fullyQualifiedName": f.resource_id, "kind": "resource"},
                    {"fullyQualifiedName": vm.id, "name": vm.name, "kind": "virtualMachine"}
                ]}],
                "partialFingerprints": {"rdpaudit/v1": format!("{}|{}|{}", f.rule_id, vm.id.to_lowercase(), f.resource_id.to_lowercase())},
                "properties": {"remediation": f.remediation, "verdict": vm.rdp.verdict},
            });
            if f.suppressed {
                r["suppressions"] = json!([{"kind": "external"}]);
            }
            results.push(r);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "version": TOOL_VERSION,
                "informationUri": "https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp",
                "rules": rules,
            }},
            "results": results,
            "invocations": [{"executionSuccessful": report.complete}],
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
