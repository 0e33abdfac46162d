//! `--probe` network half: TCP connects and DNS look-ups.
//!
//! These tests only ever connect to loopback listeners they open themselves (127.0.0.1, and
//! ::1 when this machine has it) and only resolve `localhost` and a name under the reserved
//! `.invalid` TLD (RFC 6761). Never any other address or name.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rdpaudit::arm::probe::{connect, resolve, run, ProbeSettings};
use rdpaudit::model::{DnsAnswer, TcpOutcome};
use rdpaudit::model::{ProbePlan, Probes};
use tokio::net::{TcpSocket, TcpStream};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A port nothing listens on: bind, note the port, close.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind((LOOPBACK, 0)).expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local_addr");
    drop(listener);
    addr
}

/// Whether the kernel resets connections to a full accept queue instead of dropping SYNs.
fn aborts_on_overflow() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_abort_on_overflow")
        .map(|s| s.trim() == "1")
        .unwrap_or(false)
}

/// A listener with backlog 1 that never accepts, its accept queue filled with held-open
/// connections. Drop it (all three parts) to release everything.
struct FullListener {
    addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _held: Vec<TcpStream>,
    /// Whether the last filler connect timed out, i.e. the queue is now really full.
    full: bool,
}

async fn full_listener() -> FullListener {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind((LOOPBACK, 0).into()).expect("bind");
    let listener = socket.listen(1).expect("listen(1)");
    let addr = listener.local_addr().expect("local_addr");
    let mut held = Vec::new();
    let mut full = false;
    // Linux queues backlog + 1 connections; a few more tries cover other stacks.
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(e)) => {
                println!("filler connect to {addr} failed ({e}); treating the queue as full");
                full = true;
                break;
            }
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    println!(
        "backlog-1 listener {addr}: {} connections queued, then {}",
        held.len(),
        if full { "full" } else { "still accepting" }
    );
    FullListener {
        addr,
        _listener: listener,
        _held: held,
        full,
    }
}

fn assert_timed_out_or_explained(outcome: TcpOutcome, listener: &FullListener) {
    if aborts_on_overflow() {
        println!("net.ipv4.tcp_abort_on_overflow=1: a full queue may answer with a reset");
        assert!(
            matches!(outcome, TcpOutcome::TimedOut | TcpOutcome::Refused),
            "{outcome:?}"
        );
    } else {
        assert!(listener.full, "the accept queue never filled up");
        assert_eq!(outcome, TcpOutcome::TimedOut);
    }
}

#[tokio::test]
async fn open_port_is_open_and_receives_no_bytes() {
    let listener = TcpListener::bind((LOOPBACK, 0)).expect("bind");
    let addr = listener.local_addr().expect("local_addr");

    let probe = connect(addr, Duration::from_secs(3)).await;
    assert_eq!(probe.outcome, TcpOutcome::Open, "{probe:?}");
    assert_eq!(probe.detail, None);

    // The handshake completed, so the connection is queued; accept it and read to EOF.
    let (mut conn, _) = listener.accept().expect("accept");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut buf = Vec::new();
    let n = conn
        .read_to_end(&mut buf)
        .expect("read until the probe closes");
    assert_eq!(n, 0, "the probe sent {buf:?}");
}

#[tokio::test]
async fn open_port_on_ipv6_loopback() {
    let Ok(listener) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) else {
        println!("no ::1 on this machine; skipped");
        return;
    };
    let addr = listener.local_addr().expect("local_addr");
    let probe = connect(addr, Duration::from_secs(3)).await;
    assert_eq!(probe.outcome, TcpOutcome::Open, "{probe:?}");
    let (mut conn, _) = listener.accept().expect("accept");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let mut buf = Vec::new();
    assert_eq!(conn.read_to_end(&mut buf).expect("read"), 0, "{buf:?}");
}

#[tokio::test]
async fn closed_port_is_refused() {
    let addr = closed_port();
    let probe = connect(addr, Duration::from_secs(3)).await;
    assert_eq!(probe.outcome, TcpOutcome::Refused, "{probe:?}");
    assert_eq!(probe.detail, None);
}

#[tokio::test]
async fn full_accept_queue_times_out() {
    let listener = full_listener().await;
    let timeout = Duration::from_millis(500);
    let probe = connect(listener.addr, timeout).await;
    println!("probe of the full listener: {probe:?}");
    assert_timed_out_or_explained(probe.outcome, &listener);
    if probe.outcome == TcpOutcome::TimedOut {
        assert!(probe.millis >= 490, "{probe:?}");
        assert_eq!(probe.detail, None);
    }
}

#[tokio::test]
async fn unspecified_address_and_port_zero_are_not_attempted() {
    for addr in [
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 3389)),
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 3389)),
        SocketAddr::from((LOOPBACK, 0)),
    ] {
        let probe = connect(addr, Duration::from_secs(3)).await;
        assert_eq!(probe.outcome, TcpOutcome::Unreachable, "{addr}: {probe:?}");
        assert_eq!(probe.millis, 0, "{addr}");
        let detail = probe.detail.unwrap_or_default();
        assert!(detail.contains("not attempted"), "{addr}: {detail}");
    }
}

#[tokio::test]
async fn localhost_resolves_sorted_and_deduplicated() {
    let DnsAnswer::Resolved(ips) = resolve("localhost", Duration::from_secs(3)).await else {
        panic!("localhost did not resolve");
    };
    assert!(ips.contains(&LOOPBACK), "{ips:?}");
    let mut sorted = ips.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ips, sorted);
}

#[tokio::test]
async fn empty_name_fails_without_a_lookup() {
    assert!(matches!(
        resolve("  ", Duration::from_secs(1)).await,
        DnsAnswer::Failed(_)
    ));
}

#[tokio::test]
async fn run_keys_every_probe() {
    let open = TcpListener::bind((LOOPBACK, 0)).expect("bind");
    let open_addr = open.local_addr().expect("local_addr");
    let refused_addr = closed_port();
    let plan = ProbePlan {
        endpoints: vec![open_addr, refused_addr, open_addr],
        names: vec![
            "localhost".to_string(),
            "LocalHost.".to_string(),
            "rdpaudit-probe-test.INVALID".to_string(),
        ],
    };
    let settings = ProbeSettings {
        timeout: Duration::from_secs(2),
        concurrency: 2,
    };
    let probes = run(&plan, &settings).await;

    assert_eq!(probes.tcp.len(), 2, "{:?}", probes.tcp);
    assert_eq!(probes.tcp[&open_addr].outcome, TcpOutcome::Open);
    assert_eq!(probes.tcp[&refused_addr].outcome, TcpOutcome::Refused);

    let mut keys: Vec<&String> = probes.dns.keys().collect();
    keys.sort();
    assert_eq!(keys, ["localhost", "rdpaudit-probe-test.invalid"]);
    assert_eq!(Probes::dns_key("LocalHost."), "localhost");
    match &probes.dns["localhost"] {
        DnsAnswer::Resolved(ips) => assert!(ips.contains(&LOOPBACK), "{ips:?}"),
        other => panic!("localhost: {other:?}"),
    }
    // NXDOMAIN, or no answer in time in a sandbox without DNS: either way a failure.
    match &probes.dns["rdpaudit-probe-test.invalid"] {
        DnsAnswer::Failed(reason) => println!(".invalid failed: {reason}"),
        other => panic!(".invalid resolved: {other:?}"),
    }
}

#[tokio::test]
async fn concurrency_bound_is_honoured() {
    let mut listeners = Vec::new();
    for _ in 0..6 {
        listeners.push(full_listener().await);
    }
    if aborts_on_overflow() {
        println!("net.ipv4.tcp_abort_on_overflow=1: full queues reset, timing not measurable");
    }
    let plan = ProbePlan {
        endpoints: listeners.iter().map(|l| l.addr).collect(),
        names: Vec::new(),
    };
    let settings = ProbeSettings {
        timeout: Duration::from_millis(300),
        concurrency: 2,
    };
    let start = Instant::now();
    let probes = run(&plan, &settings).await;
    let elapsed = start.elapsed();
    println!("6 probes, 2 at a time, 300 ms each: {elapsed:?}");

    assert_eq!(probes.tcp.len(), 6);
    for l in &listeners {
        assert_timed_out_or_explained(probes.tcp[&l.addr].outcome, l);
    }
    if !aborts_on_overflow() {
        // Three rounds of two: never faster than 3 × 300 ms.
        assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    }
}

#[tokio::test]
async fn zero_concurrency_still_runs() {
    let addr = closed_port();
    let plan = ProbePlan {
        endpoints: vec![addr],
        names: Vec::new(),
    };
    let settings = ProbeSettings {
        timeout: Duration::from_secs(2),
        concurrency: 0,
    };
    let probes = run(&plan, &settings).await;
    assert_eq!(probes.tcp[&addr].outcome, TcpOutcome::Refused);
    assert!(probes.dns.is_empty());
}
