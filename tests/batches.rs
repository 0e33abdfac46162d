//! An audit judges an estate in batches of whole network components (docs/decisions.md D53):
//! the report must be the same bytes whatever the batch size, on estates whose east-west paths
//! stay in one VNet and on hub-and-spoke estates whose paths cross peerings.

use assert_cmd::Command;
use serde_json::Value;

mod common;

fn audit(path: &std::path::Path, args: &[&str], batch: &str) -> Vec<u8> {
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--fail-on", "never", "--snapshot"])
        .arg(path)
        .args(args)
        .args(["--batch-vms", batch])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?} --batch-vms {batch}: {out:?}"
    );
    out.stdout
}

fn write(dir: &tempfile::TempDir, name: &str, estate: &Value) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, estate.to_string()).expect("write");
    path
}

/// How many findings of `rule` a JSON report holds.
fn count(report: &[u8], rule: &str) -> usize {
    let v: Value = serde_json::from_slice(report).expect("JSON report");
    v["vms"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|vm| vm["findings"].as_array().into_iter().flatten())
        .filter(|f| f["ruleId"] == rule)
        .count()
}

#[test]
fn reports_are_the_same_bytes_whatever_the_batch_size() {
    let dir = tempfile::tempdir().expect("temp dir");
    let estates = [
        write(&dir, "plain.json", &common::generated(500, 2, 5)),
        write(&dir, "hub.json", &common::generated_hub_spoke(300, 3, 7)),
    ];
    for (path, crossing) in estates.iter().zip([false, true]) {
        for args in [
            &["-o", "json"][..],
            &["--summary"][..],
            &["-o", "sarif"][..],
        ] {
            let whole = audit(path, args, "0");
            assert!(whole.len() > 1_000, "{args:?}: a real report");
            for batch in ["1", "13", "4096"] {
                assert!(
                    audit(path, args, batch) == whole,
                    "{}: {args:?} --batch-vms {batch} wrote another report than one batch",
                    path.display()
                );
            }
            if args == ["-o", "json"] && crossing {
                // Stepping stones reach across the hub's peerings: a batching that cut a
                // component would lose some of these.
                assert!(
                    count(&whole, "RDP812") > 0,
                    "the hub estate has two-hop paths"
                );
            }
        }
    }
}
