//! Good and bad fixture snapshots for every rule: `tests/fixtures/rules/<ID>/bad-*.json` must
//! raise rule `<ID>`, `good-*.json` must not. Each fixture is a small `rdpaudit.snapshot/1`
//! document with exactly one Windows VM and the resources it references; its top-level
//! `description` (ignored by the reader) says what it shows. A good fixture is a near miss of a
//! bad one — the same setup with the one thing fixed — so each pair pins down the trigger.
//! Two-hop fixtures (RDP812) hold a stepping stone and a target: their top-level
//! `"windowsVms": 2` (ignored by the reader) says so.

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rdpaudit::engine::{Observations, Options};
use rdpaudit::model::{DnsAnswer, Probes, TcpOutcome, TcpProbe};
use rdpaudit::pipeline::{self, Scope};
use rdpaudit::report::{CategoryFilter, Report};
use rdpaudit::rules::CATALOGUE;
use rdpaudit::snapshot;

/// Probe rules (RDP2xx) need what `--probe` saw from this machine. Their fixtures carry it in
/// a test-only top-level `probes` key, which the snapshot reader ignores:
/// `{"tcp": {"20.1.2.3:3389": "timedOut"}, "dns": {"name.example": ["20.1.2.4"] | "why it failed"}}`.
fn probes_of(doc: &serde_json::Value) -> Result<Option<Probes>, String> {
    let Some(p) = doc.get("probes") else {
        return Ok(None);
    };
    let mut out = Probes::default();
    for (endpoint, outcome) in p["tcp"].as_object().into_iter().flatten() {
        let addr: SocketAddr = endpoint
            .parse()
            .map_err(|e| format!("probes.tcp key {endpoint}: {e}"))?;
        let outcome = match outcome.as_str() {
            Some("open") => TcpOutcome::Open,
            Some("refused") => TcpOutcome::Refused,
            Some("timedOut") => TcpOutcome::TimedOut,
            Some("unreachable") => TcpOutcome::Unreachable,
            other => return Err(format!("probes.tcp.{endpoint}: unknown outcome {other:?}")),
        };
        out.tcp.insert(
            addr,
            TcpProbe {
                outcome,
                detail: None,
                millis: 3000,
            },
        );
    }
    for (name, answer) in p["dns"].as_object().into_iter().flatten() {
        let answer = match answer {
            serde_json::Value::Array(a) => DnsAnswer::Resolved(
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .and_then(|t| t.parse().ok())
                            .ok_or_else(|| format!("probes.dns.{name}: {x} is not an address"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::String(why) => DnsAnswer::Failed(why.clone()),
            other => {
                return Err(format!(
                    "probes.dns.{name}: {other} is neither a list nor a text"
                ))
            }
        };
        out.dns.insert(Probes::dns_key(name), answer);
    }
    Ok(Some(out))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The rule directories, sorted.
fn rule_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root())
        .expect("tests/fixtures/rules exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The `*.json` files of one rule directory, sorted.
fn fixtures_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("readable rule directory")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

fn relative(p: &Path) -> String {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(p)
        .display()
        .to_string()
}

/// Reads and audits one fixture exactly as `rdpaudit audit --snapshot FILE` does.
fn audit(path: &Path) -> Result<Report, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = snapshot::as_text(&bytes).map_err(|e| e.to_string())?;
    let snap = snapshot::parse(text).map_err(|e| e.to_string())?;
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let model = pipeline::build_model_with(&snap.resources, snap.security_admin_rules);
    let mut observations = Observations::new(snap.guest);
    if let Some(probes) = probes_of(&doc)? {
        observations = observations.with_probes(probes);
    }
    let audit = pipeline::Audit::new(&model, Options::default(), observations, &Scope::All)
        .map_err(|e| e.to_string())?;
    Ok(audit.report(&snap.diagnostics, CategoryFilter::All))
}

/// Checks what the fixture's shape promises; returns the problems found.
fn check_shape(path: &Path, schema: &jsonschema::Validator) -> Vec<String> {
    let mut out = Vec::new();
    let doc: serde_json::Value = match fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    if let Err(e) = schema.validate(&doc) {
        out.push(format!(
            "does not validate against docs/schemas/snapshot.schema.json: {e}"
        ));
    }
    let described = doc["description"]
        .as_str()
        .is_some_and(|s| !s.trim().is_empty());
    if !described {
        out.push("has no top-level \"description\" saying what it shows".into());
    }
    out
}

/// How many Windows VMs a fixture holds: 1, or its top-level `windowsVms`.
fn windows_vms(path: &Path) -> usize {
    fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|d| d["windowsVms"].as_u64())
        .unwrap_or(1) as usize
}

fn found_ids(report: &Report) -> BTreeSet<&'static str> {
    report
        .vms
        .iter()
        .flat_map(|v| v.findings.iter().map(|f| f.rule_id))
        .collect()
}

#[test]
fn every_fixture_raises_exactly_what_its_name_says() {
    let schema_text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/snapshot.schema.json"),
    )
    .expect("snapshot schema");
    let schema = jsonschema::validator_for(&serde_json::from_str(&schema_text).unwrap())
        .expect("the snapshot schema compiles");
    let mut failures: Vec<String> = Vec::new();
    let mut count = 0;
    for dir in rule_dirs() {
        let id = file_name(&dir);
        for path in fixtures_in(&dir) {
            count += 1;
            let name = file_name(&path);
            let fail = |what: String| format!("{}: {what}", relative(&path));
            let want_fire = if name.starts_with("bad-") {
                true
            } else if name.starts_with("good-") {
                false
            } else {
                failures.push(fail("the name must start with bad- or good-".into()));
                continue;
            };
            failures.extend(check_shape(&path, &schema).into_iter().map(&fail));
            let report = match audit(&path) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(fail(format!("cannot be audited: {e}")));
                    continue;
                }
            };
            if report.vms.len() != windows_vms(&path) || report.summary.skipped != 0 {
                failures.push(fail(format!(
                    "must hold exactly {} Windows VM(s), the report has {} (and {} skipped)",
                    windows_vms(&path),
                    report.vms.len(),
                    report.summary.skipped
                )));
            }
            // Notices (`info`: a fixture without a `securityAdminRules` section) are expected.
            let problems = || {
                report
                    .diagnostics
                    .iter()
                    .filter(|d| d.level != rdpaudit::model::DiagLevel::Info)
            };
            if !name.contains("diag") && problems().next().is_some() {
                let diags: Vec<String> = problems()
                    .map(|d| format!("{} ({})", d.message, d.scope.as_deref().unwrap_or("-")))
                    .collect();
                failures.push(fail(format!(
                    "parsed with diagnostics: {}",
                    diags.join("; ")
                )));
            }
            let found = found_ids(&report);
            if found.contains(id.as_str()) != want_fire {
                let explanations: Vec<String> = report
                    .vms
                    .iter()
                    .map(|v| format!("{}: {}", v.name, v.rdp.explanation))
                    .collect();
                failures.push(fail(format!(
                    "expected {id} {}; found [{}]; rdp.explanation: {}",
                    if want_fire { "to fire" } else { "NOT to fire" },
                    found.into_iter().collect::<Vec<_>>().join(", "),
                    explanations.join(" | ")
                )));
            }
        }
    }
    assert!(count > 0, "no fixtures found under {}", root().display());
    assert!(
        failures.is_empty(),
        "{} of {count} rule fixtures failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn every_rule_has_good_and_bad_fixtures_and_every_directory_is_a_rule() {
    let mut problems: Vec<String> = Vec::new();
    for rule in CATALOGUE {
        let id = rule.meta.id;
        let dir = root().join(id);
        if !dir.is_dir() {
            problems.push(format!("{id}: no directory {}", relative(&dir)));
            continue;
        }
        let names: Vec<String> = fixtures_in(&dir).iter().map(|p| file_name(p)).collect();
        for prefix in ["bad-", "good-"] {
            if !names.iter().any(|n| n.starts_with(prefix)) {
                problems.push(format!("{id}: no {prefix}*.json fixture"));
            }
        }
    }
    for dir in rule_dirs() {
        let id = file_name(&dir);
        if !CATALOGUE.iter().any(|r| r.meta.id == id) {
            problems.push(format!("{id}: not a rule id of the catalogue"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_snapshot_reader_ignores_the_description_key() {
    let with = r#"{"schema": "rdpaudit.snapshot/1", "description": "what it shows",
                  "resources": [], "guest": {}}"#;
    let snap = snapshot::parse(with).expect("an unknown top-level key is ignored");
    assert!(snap.resources.is_empty() && snap.guest.is_empty() && snap.diagnostics.is_empty());
}
