//! `--output sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub, Azure DevOps).
//! Each finding is a result whose location is the Azure resource id (a logical location).
//! <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>

use serde_json::{json, Value};

use super::{Report, TOOL_NAME, TOOL_VERSION};
use crate::rules::{Severity, CATALOGUE};

/// GitHub code scanning's numeric `security-severity` (over 9.0 critical, 7.0–8.9 high,
/// 4.0–6.9 medium, 0.1–3.9 low); informational rules carry none and rank by `level` alone.
/// <https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object>
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

/// How often a finding of this rule is right. Configuration rules are exact set evaluations
/// (`very-high`); a probe from this machine can be skewed by the local network (`high`); a
/// condition that only could divert replies (a BGP default route no one can see) is `medium`.
fn precision(r: &crate::rules::RuleMeta) -> &'static str {
    match r.id {
        "RDP703" => "medium",
        id if id.starts_with("RDP2") => "high",
        _ => "very-high",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn rule_properties(m: &crate::rules::RuleMeta) -> Value {
    let mut tags = vec!["security".to_string(), m.category.as_str().to_string()];
    tags.extend(crate::rules::compliance::controls(m.id).map(crate::rules::compliance::tag));
    let mut p = json!({
        "category": m.category,
        "severity": m.severity,
        "precision": precision(m),
        "tags": tags,
    });
    if let Some(s) = security_severity(m.severity) {
        p["security-severity"] = json!(s);
    }
    p
}

pub(crate) fn render(report: &Report) -> String {
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
                "properties": rule_properties(r.meta),
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
                    "artifactLocation": {"uri": format!("azure://{}", f.resource_id.id.trim_start_matches('/'))},
                    "region": {"startLine": 1}
                }, "logicalLocations": [
                    {"fullyQualifiedName": f.resource_id, "kind": "resource"},
                    {"fullyQualifiedName": vm.id, "name": vm.name, "kind": "virtualMachine"}
                ]}],
                "partialFingerprints": {"rdpaudit/v1": format!("{}|{}|{}", f.rule_id, vm.id.id.to_lowercase(), f.resource_id.id.to_lowercase())},
                "properties": {"remediation": f.remediation, "verdict": vm.rdp.verdict, "tags": f.compliance},
            });
            if let Some(c) = f.change {
                r["baselineState"] = json!(c.as_str());
            }
            if f.suppressed {
                r["suppressions"] = json!([{"kind": "external"}]);
            }
            if f.rule_id == "RDP812" {
                if let Some(locs) = super::eastwest::related_locations(report, vm) {
                    r["relatedLocations"] = locs;
                }
            }
            results.push(r);
        }
    }
    let mut doc = json!({
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
    if let Some(lateral) = super::eastwest::sarif_run_property(report) {
        doc["runs"][0]["properties"] = json!({ "lateral": lateral });
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
