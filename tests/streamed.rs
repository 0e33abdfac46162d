//! `audit` reads a snapshot file in blocks, never whole (src/snapshot/stream.rs); from standard
//! input, or in any shape it does not stream, the file is read whole. Both ways must give the
//! same output, exit code and errors, with or without the raw resources proofs patch.

use assert_cmd::Command;
use serde_json::{json, Value};

mod common;

/// (stdout, stderr, exit code) of `audit --summary` on `text`, from a file and from stdin.
fn both(text: &[u8]) -> [(Vec<u8>, String, Option<i32>); 2] {
    both_with(text, &["--summary"])
}

/// [`both`] with these output arguments.
fn both_with(text: &[u8], args: &[&str]) -> [(Vec<u8>, String, Option<i32>); 2] {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, text).expect("write");
    let run = |file: bool| {
        let mut cmd = Command::cargo_bin("rdpaudit").expect("binary");
        cmd.args(["audit", "--color", "never"])
            .args(args)
            .arg("--snapshot");
        if file {
            cmd.arg(&path);
        } else {
            cmd.arg("-").write_stdin(text.to_vec());
        }
        let out = cmd.output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr).replace(&*path.to_string_lossy(), "-");
        (out.stdout, err, out.status.code())
    };
    [run(true), run(false)]
}

#[test]
fn a_file_read_in_blocks_audits_as_the_same_data_read_whole() {
    let estate = common::generated(2_600, 2, 11);
    let [file, stdin] = both(estate.to_string().as_bytes());
    assert!(file.0.len() > 10_000, "a real summary: {}", file.1);
    assert!(file == stdin, "file and stdin differ");
    // Proven fixes patch the raw resources: kept from the blocks as the whole read keeps them.
    let small = common::generated(500, 2, 12).to_string();
    let [file, stdin] = both_with(small.as_bytes(), &["-o", "json"]);
    assert!(file.0.len() > 100_000, "a real report: {}", file.1);
    assert!(file == stdin, "-o json: file and stdin differ");
    // The two ways are really different: the file was read in blocks.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, estate.to_string()).expect("write");
    let out = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--summary", "-v", "--snapshot"])
        .arg(&path)
        .output()
        .expect("run");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("snapshot read in blocks"), "{log}");
}

#[test]
fn shapes_not_streamed_and_bad_documents_read_as_before() {
    let estate = common::generated(40, 1, 2);
    let resources = estate["resources"].clone();
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend(estate.to_string().as_bytes());
    let mut unknown = estate.clone();
    unknown["schema"] = Value::from("rdpaudit.snapshot/9");
    let duplicate = format!(
        r#"{{"resources": [], "resources": {resources}, "schema": "rdpaudit.snapshot/1"}}"#
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("with a byte-order mark", bom),
        (
            "an ARM list",
            json!({ "value": resources }).to_string().into_bytes(),
        ),
        ("a bare array", resources.to_string().into_bytes()),
        ("a duplicate resources key", duplicate.into_bytes()),
        ("an unknown schema", unknown.to_string().into_bytes()),
        ("truncated", estate.to_string().as_bytes()[..5_000].to_vec()),
        // Found by the model while it decodes (the reader only finds where resources end).
        (
            "a resource that is not JSON",
            estate
                .to_string()
                .replacen(r#""properties":{"#, r#""properties"{"#, 1)
                .into_bytes(),
        ),
    ];
    for (what, text) in cases {
        let [file, stdin] = both(&text);
        assert!(
            file == stdin,
            "{what}: file and stdin differ: {file:?} vs {stdin:?}"
        );
        let expect_error = matches!(
            what,
            "an unknown schema" | "truncated" | "a resource that is not JSON"
        );
        assert_eq!(file.2 == Some(2), expect_error, "{what}: {}", file.1);
    }
}
