//! `--probe` end to end through the real binary, and `check --guest --probe` walking every hop
//! from this machine to the guest's listener. Probes only ever go to loopback addresses: the
//! snapshots' "public" IPs are 127.0.0.x and the listeners are the test's own.
#![cfg(unix)]

mod common;

use assert_cmd::Command;
use common::live::{assert_code, json_of, live, report_of, serve};
use common::*;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::time::Duration;

/// A subnet whose NSG has `rules`, and one VM `vm-01` whose public IP is `address` (loopback),
/// optionally with a DNS name.
fn world(address: &str, fqdn: Option<&str>, rules: Vec<Value>) -> World {
    let mut w = World::default()
        .subnet("app", "10.0.1.0/24", Some("nsg-app"), None)
        .nsg("nsg-app", rules);
    let mut s = spec("vm-01", "10.0.1.4", "app");
    s.pip = Some(("Standard".into(), address.into()));
    w = w.vm(s);
    if let Some(f) = fqdn {
        for r in &mut w.resources {
            if r["name"] == "vm-01-pip" {
                r["properties"]["dnsSettings"] = json!({"domainNameLabel": "vm-01", "fqdn": f});
            }
        }
    }
    w
}

fn allow(port: u16) -> Vec<Value> {
    vec![rule("AllowRDP", 300, "Allow", "*", "*", &port.to_string())]
}

/// `audit --snapshot - --probe --port PORT -o json`.
fn probe_audit(w: &World, port: u16, extra: &[&str]) -> Value {
    report_of(
        Command::cargo_bin("rdpaudit")
            .expect("binary")
            .args([
                "audit",
                "--snapshot",
                "-",
                "--probe",
                "--probe-timeout",
                "1",
            ])
            .args([
                "--port",
                &port.to_string(),
                "-o",
                "json",
                "--fail-on",
                "never",
            ])
            .args(extra)
            .write_stdin(w.text())
            .timeout(Duration::from_secs(60)),
        0,
    )
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A loopback listener whose accept queue is full: SYNs to it are dropped, so connects time
/// out. `None` only where the kernel is set to refuse instead (`tcp_abort_on_overflow` = 1);
/// anywhere else a queue that cannot be filled fails the test rather than skipping it.
fn full_listener() -> Option<(tokio::net::TcpListener, Vec<std::net::TcpStream>, u16)> {
    let abort = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_abort_on_overflow")
        .map(|s| s.trim() == "1")
        .unwrap_or(false);
    if abort {
        eprintln!("SKIPPED: tcp_abort_on_overflow = 1, a full queue refuses instead of dropping");
        return None;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4().expect("socket");
        s.bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        s.listen(1).expect("listen")
    });
    let port = listener.local_addr().expect("addr").port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut held = Vec::new();
    // Fill the queue until a connect itself stalls.
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(_) => return Some((listener, held, port)),
        }
    }
    panic!("a backlog-1 listener accepted 16 connections: cannot make a connect time out here");
}

#[test]
fn an_open_path_that_times_out_from_here_is_rdp201() {
    let Some((_listener, _held, port)) = full_listener() else {
        return;
    };
    let report = probe_audit(&world("127.0.0.1", None, allow(port)), port, &[]);
    assert!(
        rule_ids(&report, "vm-01").contains(&"RDP201".to_string()),
        "{report:#}"
    );
    let p = path(&report, "vm-01", "publicIp");
    assert_eq!(p["probe"]["outcome"], "timedOut");
    assert_eq!(hop(p, "probe")["decision"], "timedOut");
    let m = vm(&report, "vm-01")["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["ruleId"] == "RDP201"))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        m.contains("directly on the Internet") && m.contains("edge firewall"),
        "{m}"
    );
    // The configuration verdict stays what the data says; the probe is evidence next to it.
    assert_eq!(verdict(&report, "vm-01"), "reachable");
}

#[test]
fn a_refused_connect_is_rdp202_and_an_open_one_raises_nothing() {
    let port = closed_port();
    let report = probe_audit(&world("127.0.0.1", None, allow(port)), port, &[]);
    assert!(
        rule_ids(&report, "vm-01").contains(&"RDP202".to_string()),
        "{report:#}"
    );
    assert_eq!(
        path(&report, "vm-01", "publicIp")["probe"]["outcome"],
        "refused"
    );

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let report = probe_audit(&world("127.0.0.1", None, allow(port)), port, &[]);
    let ids = rule_ids(&report, "vm-01");
    assert!(ids.iter().all(|i| !i.starts_with("RDP20")), "{ids:?}");
    assert_eq!(
        path(&report, "vm-01", "publicIp")["probe"]["outcome"],
        "open"
    );
}

#[test]
fn a_port_that_answers_while_the_data_says_blocked_is_rdp204() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let deny = vec![rule("DenyRDP", 300, "Deny", "*", "*", &port.to_string())];
    let report = probe_audit(&world("127.0.0.1", None, deny), port, &[]);
    assert_eq!(verdict(&report, "vm-01"), "blocked");
    assert!(
        rule_ids(&report, "vm-01").contains(&"RDP204".to_string()),
        "{report:#}"
    );
}

#[test]
fn a_dns_name_that_resolves_elsewhere_is_rdp203() {
    // `localhost` resolves to 127.0.0.1 (and perhaps ::1), never to 127.0.0.2.
    let port = closed_port();
    let report = probe_audit(
        &world("127.0.0.2", Some("localhost"), allow(port)),
        port,
        &[],
    );
    assert!(
        rule_ids(&report, "vm-01").contains(&"RDP203".to_string()),
        "{report:#}"
    );
    let p = path(&report, "vm-01", "publicIp");
    assert_eq!(p["dns"]["current"], false);
    assert_eq!(hop(p, "dns")["decision"], "stale");

    let report = probe_audit(
        &world("127.0.0.1", Some("localhost"), allow(port)),
        port,
        &[],
    );
    assert!(!rule_ids(&report, "vm-01").contains(&"RDP203".to_string()));
    assert_eq!(path(&report, "vm-01", "publicIp")["dns"]["current"], true);
}

#[test]
fn probe_refuses_the_demo() {
    Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--demo", "--probe"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with --demo"));
}

/// The "done when": `check <vm> --guest --probe` against mock-arm explains every hop
/// from this machine to the guest's listener.
#[test]
fn check_with_guest_and_probe_walks_every_hop_to_the_listener() {
    // The "guest" listens on a loopback port the test owns; its RDP-Tcp PortNumber says so.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut w = world("127.0.0.1", Some("localhost"), allow(port));
    w.guest
        .insert(World::vm_id("vm-01"), json!({"rdpPort": port}));
    let server = serve(&w.snapshot(), |c| c);
    let run = |format: &str| {
        live(&server, "check")
            .arg(World::vm_id("vm-01"))
            .args(["--guest", "--probe", "--probe-timeout", "2"])
            .args(["-o", format, "--color", "never", "--fail-on", "never"])
            .output()
            .expect("run")
    };
    let out = run("table");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every hop, in the order a connection meets them.
    let order = [
        "dns",
        "publicIp",
        "subnetNsg",
        "route",
        "power",
        "guest",
        "probe",
    ];
    let mut at = 0;
    for h in order {
        let found = text[at..].find(&format!(" {h} "));
        assert!(
            found.is_some(),
            "hop {h} missing or out of order in:\n{text}"
        );
        at += found.unwrap_or(0);
    }
    assert!(text.contains(&format!("RDP-Tcp port {port}")), "{text}");
    assert!(
        text.contains(&format!("127.0.0.1:{port} from this machine: open")),
        "{text}"
    );
    assert!(text.contains("localhost resolves to 127.0.0.1"), "{text}");

    let out = run("json");
    assert_code(&out, 0);
    let report = json_of(&out);
    let p = path(&report, "vm-01", "publicIp");
    assert_eq!(p["port"], port, "the path uses the guest's port");
    assert_eq!(p["probe"]["outcome"], "open");
    assert_eq!(p["dns"]["current"], true);
    assert_eq!(hop(p, "guest")["decision"], "ok");
    assert_eq!(vm(&report, "vm-01")["guest"]["rdpPort"], port);
}

#[test]
fn an_ipv6_entry_point_is_written_as_the_rdp_client_wants_it() {
    // "2001:db8::10:3389" would be ambiguous: the port must follow a bracketed address.
    let w = world("2001:db8::10", None, allow(3389));
    let report = audit(&w, None, 3389);
    let explanation = vm(&report, "vm-01")["rdp"]["explanation"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(explanation.contains("[2001:db8::10]:3389"), "{explanation}");
}
