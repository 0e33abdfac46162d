//! Every ARM response body under `tests/fixtures/arm/` (official examples and real recordings,
//! saved unmodified from public repositories, tests/fixtures/arm/README.md) loads — alone and all together — without a
//! panic and without a diagnostic for any resource type rdpaudit reads.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// The response bodies in a file: official examples wrap them as `responses.<code>.body`.
fn bodies(v: &Value) -> Vec<Value> {
    match v.get("responses").and_then(Value::as_object) {
        Some(r) => r.values().filter_map(|x| x.get("body").cloned()).collect(),
        None => vec![v.clone()],
    }
}

/// Resource objects in a body: a list's items, a single resource, or Resource Graph rows.
fn resources(body: &Value) -> Vec<Value> {
    let items = body
        .get("value")
        .or_else(|| body.get("data"))
        .and_then(Value::as_array)
        .cloned();
    match items {
        Some(v) => v.into_iter().filter(|x| x.get("id").is_some()).collect(),
        None if body.get("id").is_some() && body.get("properties").is_some() => vec![body.clone()],
        None => Vec::new(),
    }
}

fn audit(resources: &[Value]) -> rdpaudit::report::Report {
    let text = serde_json::to_string(
        &serde_json::json!({"schema": "rdpaudit.snapshot/1", "resources": resources}),
    )
    .expect("serialise");
    let snap = rdpaudit::snapshot::parse(&text).expect("parse");
    rdpaudit::pipeline::run(
        &snap.resources,
        snap.guest,
        &snap.diagnostics,
        rdpaudit::engine::Options::default(),
        rdpaudit::report::CategoryFilter::All,
        &rdpaudit::pipeline::Scope::All,
    )
    .expect("pipeline")
}

/// Diagnostics that are the right answer for a body, not a failure to read it:
/// - a file loaded alone references resources that live in other files (a dangling reference is
///   reported, and that VM becomes `unknown`);
/// - bodies that carry no `properties` at all: the generic `/resources` list, the "MinimumSet"
///   examples and a Resource Graph query projecting a few columns. Nothing can be evaluated from
///   them, and the tool says so.
fn expected(file: &Path, message: &str) -> bool {
    let name = file.to_string_lossy();
    message.contains("dangling reference")
        // (alone, or counted: "… (147 resources; first: …)")
        || (message.starts_with("field `properties` is missing or null")
            && (name.contains("resources-list-classic")
                || name.contains("MinimumSet")
                || name.contains("ResourcesFilterQuery")))
}

#[test]
fn every_arm_body_loads_alone_and_together() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/arm");
    let mut files = Vec::new();
    json_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() > 100,
        "expected the copied examples and recordings, found {}",
        files.len()
    );
    let mut all = Vec::new();
    let mut failures = Vec::new();
    let mut loaded = 0;
    for f in &files {
        // The raw text goes through the snapshot reader as well (duplicate keys: last wins).
        let text = std::fs::read_to_string(f).expect("read");
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: not JSON: {e}", f.display()));
                continue;
            }
        };
        let res: Vec<Value> = bodies(&v).iter().flat_map(resources).collect();
        if res.is_empty() {
            continue; // e.g. a run-command result or an effective-route list: not a resource
        }
        loaded += res.len();
        let report = audit(&res);
        for d in report
            .diagnostics
            .iter()
            // Notices (`info`: ARM bodies carry no `securityAdminRules` section) are not
            // failures to read.
            .filter(|d| d.level != rdpaudit::model::DiagLevel::Info)
            .filter(|d| !expected(f, &d.message))
        {
            failures.push(format!("{}: {:?}", f.display(), d));
        }
        all.extend(res);
    }
    assert!(loaded > 150, "only {loaded} resources loaded");
    let report = audit(&all);
    // Together, references between files may dangle (different subscriptions): that is a
    // diagnostic, never a panic, and every VM is still reported.
    assert!(report.summary.vms + report.summary.skipped > 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn duplicate_keys_last_one_wins() {
    // The official LoadBalancerGet example has "sku" twice (Standard, then Basic).
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/arm/examples/Microsoft.Network/2025-07-01/LoadBalancerGet.json");
    let text = std::fs::read_to_string(path).expect("read");
    let start = text.find("\"body\"").expect("body");
    let body_start = start + text[start..].find('{').expect("{");
    let mut depth = 0;
    let mut end = body_start;
    for (i, c) in text[body_start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = body_start + i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let raw = format!("[{}]", &text[body_start..end]);
    let snap = rdpaudit::snapshot::parse(&raw).expect("parse");
    let model = rdpaudit::model::build(&snap.resources);
    assert!(
        model
            .diagnostics
            .iter()
            .all(|d| d.level == rdpaudit::model::DiagLevel::Info),
        "{:?}",
        model.diagnostics
    );
    let lb = model
        .load_balancers
        .values()
        .next()
        .expect("the load balancer");
    assert_eq!(lb.sku, rdpaudit::model::Sku::Basic, "the last `sku` wins");
}
