//! The report does not depend on how the work is split between threads: the model is decoded in
//! blocks on every core and the fixes are proven in parts, one part per core (docs/performance.md).
//! The same data must give the same bytes with 1 or 2 worker threads, on a
//! generated estate large enough to fill several decode blocks and proof parts.

use assert_cmd::Command;

mod common;

#[test]
fn reports_are_the_same_bytes_whatever_the_number_of_threads() {
    let (_dir, path) = common::generated_file(600, 3);
    for args in [
        &["-o", "json"][..],
        &["-o", "json", "--client-ip", "203.0.113.7"][..],
    ] {
        let run = |threads: &str| {
            let out = Command::cargo_bin("rdpaudit")
                .expect("binary")
                .env("RAYON_NUM_THREADS", threads)
                .args(["audit", "--fail-on", "never", "--snapshot"])
                .arg(&path)
                .args(args)
                .output()
                .expect("run");
            assert!(out.status.success(), "{args:?}: {out:?}");
            out.stdout
        };
        let one = run("1");
        assert!(one.len() > 100_000, "{args:?}: a real report");
        assert!(
            run("2") == one,
            "{args:?}: 2 threads wrote another report than 1"
        );
    }
}
