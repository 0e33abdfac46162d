//! The guest script's recorded sample outputs (tests/fixtures/guest/) through the parser: each
//! gives exactly the guest facts docs/guest.md says it should.

use rdpaudit::guest::{parse_output, split_run_command_result};
use rdpaudit::model::GuestFacts;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "guest",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn facts(name: &str) -> GuestFacts {
    let bytes = fixture(name);
    let text = String::from_utf8(bytes).expect("fixtures are UTF-8");
    parse_output(&text, "")
}

fn healthy() -> GuestFacts {
    GuestFacts {
        rdp_port: Some(3389),
        rdp_enabled: Some(true),
        term_service_running: Some(true),
        listening: Some(true),
        firewall_allows_rdp: Some(true),
        nla: Some(true),
        error: None,
    }
}

fn only_error(reason: &str) -> GuestFacts {
    GuestFacts {
        error: Some(reason.into()),
        ..Default::default()
    }
}

#[test]
fn healthy_sample() {
    assert_eq!(facts("healthy.txt"), healthy());
}

#[test]
fn port_3390_sample() {
    assert_eq!(
        facts("port-3390.txt"),
        GuestFacts {
            rdp_port: Some(3390),
            firewall_allows_rdp: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn rdp_disabled_by_policy_sample() {
    assert_eq!(
        facts("rdp-disabled-policy.txt"),
        GuestFacts {
            rdp_enabled: Some(false),
            listening: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn service_stopped_sample() {
    assert_eq!(
        facts("service-stopped.txt"),
        GuestFacts {
            term_service_running: Some(false),
            listening: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn firewall_blocked_sample() {
    assert_eq!(
        facts("firewall-blocked.txt"),
        GuestFacts {
            firewall_allows_rdp: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn shields_up_sample() {
    assert_eq!(
        facts("shields-up.txt"),
        GuestFacts {
            firewall_allows_rdp: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn nla_off_sample() {
    assert_eq!(
        facts("nla-off.txt"),
        GuestFacts {
            nla: Some(false),
            ..healthy()
        }
    );
}

#[test]
fn partial_errors_sample() {
    assert_eq!(
        facts("partial-errors.txt"),
        GuestFacts {
            firewall_allows_rdp: None,
            error: Some(
                "unknown: firewallAllowsRdp; firewall: The service has not been started.".into()
            ),
            ..healthy()
        }
    );
}

#[test]
fn truncated_sample() {
    assert_eq!(fixture("truncated.txt").len(), 4096);
    assert_eq!(
        facts("truncated.txt"),
        only_error(
            "the output was cut: Run Command keeps only the last 4,096 bytes of stdout, and the \
             start of the JSON object is missing"
        )
    );
}

#[test]
fn not_json_sample() {
    assert_eq!(
        facts("not-json.txt"),
        only_error(
            "the output is not JSON: Get-NetFirewallRule : Access is denied. At \
             C:\\Packages\\Plugins\\Microsoft.CPlat.Core.RunCommandWindows\\1.1.18\\Downloads\\\
             script0.ps1:5 char:1 + Get-NetFirewallRule -PolicyStore ActiveStore -Direction In…"
        )
    );
}

#[test]
fn empty_sample() {
    assert_eq!(facts("empty.txt"), only_error("the script printed nothing"));
    let text = String::from_utf8(fixture("empty.txt")).unwrap();
    assert_eq!(
        parse_output(&text, "script0.ps1 : File cannot be loaded.\r\n"),
        only_error("the script printed nothing (stderr: script0.ps1 : File cannot be loaded.)")
    );
}

#[test]
fn with_noise_sample() {
    let bytes = fixture("with-noise.txt");
    assert!(bytes.starts_with(b"\xef\xbb\xbfWARNING:"));
    assert!(bytes.ends_with(b"}\r\n"));
    assert_eq!(facts("with-noise.txt"), healthy());
}

#[test]
fn run_command_result_sample() {
    let (stdout, stderr) =
        split_run_command_result(&fixture("run-command-result.json")).expect("a result body");
    assert_eq!(stderr, "");
    assert_eq!(stdout.as_bytes(), fixture("healthy.txt").as_slice());
    assert_eq!(parse_output(&stdout, &stderr), healthy());
}

#[test]
fn every_sample_is_covered() {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "guest"]
        .iter()
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "README.md",
            "empty.txt",
            "firewall-blocked.txt",
            "healthy.txt",
            "nla-off.txt",
            "not-json.txt",
            "partial-errors.txt",
            "port-3390.txt",
            "rdp-disabled-policy.txt",
            "run-command-result.json",
            "service-stopped.txt",
            "shields-up.txt",
            "truncated.txt",
            "with-noise.txt",
        ]
    );
}
