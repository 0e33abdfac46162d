//! `--probe`: DNS look-ups and TCP connects from this machine to public RDP endpoints.
//!
//! The configuration can say RDP is reachable while the path still fails (a guest firewall, an
//! appliance, a stale DNS record), so Microsoft's troubleshooting starts by testing from the
//! client: <https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp>.
//!
//! What `--probe` sends, and nothing else:
//! - to each direct path's public `address:port`, a TCP SYN; when the handshake completes the
//!   socket is closed at once. No RDP bytes, no credentials, no data of any kind.
//! - for each public IP's DNS name, a look-up through the system resolver (getaddrinfo, as the
//!   RDP client would do it, so hosts files and local caches count).
//!
//! Every probe has a timeout, and at most `concurrency` run at once.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::task::{JoinError, JoinSet};

use crate::model::{DnsAnswer, ProbePlan, Probes, TcpOutcome, TcpProbe};

/// How long each probe may take and how many run at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSettings {
    /// How long one TCP connect or DNS look-up may take.
    pub timeout: Duration,
    /// At most this many probes in flight (0 counts as 1).
    pub concurrency: usize,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            timeout: Duration::from_secs(3),
            concurrency: 16,
        }
    }
}

/// One probe to run.
enum Job {
    Tcp(SocketAddr),
    Dns(String),
}

/// One probe's result.
enum Done {
    Tcp(SocketAddr, TcpProbe),
    Dns(String, DnsAnswer),
}

impl Job {
    async fn run(self, timeout: Duration) -> Done {
        match self {
            Job::Tcp(addr) => Done::Tcp(addr, connect(addr, timeout).await),
            Job::Dns(name) => {
                let answer = resolve(&name, timeout).await;
                Done::Dns(name, answer)
            }
        }
    }
}

/// Runs every probe in `plan`, at most `settings.concurrency` at once.
///
/// Endpoints are keyed by `address:port`, names by [`Probes::dns_key`]. Every endpoint and name in the
/// plan gets an entry, even if its task failed (then `Unreachable` / `Failed` says why).
pub async fn run(plan: &ProbePlan, settings: &ProbeSettings) -> Probes {
    let endpoints: BTreeSet<SocketAddr> = plan.endpoints.iter().copied().collect();
    let names: BTreeSet<String> = plan
        .names
        .iter()
        .map(|n| Probes::dns_key(n))
        .filter(|n| !n.is_empty())
        .collect();
    let jobs = names
        .iter()
        .cloned()
        .map(Job::Dns)
        .chain(endpoints.iter().copied().map(Job::Tcp));

    let limit = settings.concurrency.max(1);
    let timeout = settings.timeout;
    let mut probes = Probes::default();
    let mut failures: Vec<String> = Vec::new();
    let mut set = JoinSet::new();
    for job in jobs {
        // The bound is the number of tasks in flight: wait for one to finish before the next.
        while set.len() >= limit {
            if let Some(result) = set.join_next().await {
                collect(&mut probes, &mut failures, result);
            }
        }
        set.spawn(job.run(timeout));
    }
    while let Some(result) = set.join_next().await {
        collect(&mut probes, &mut failures, result);
    }

    // A task that panicked or was cancelled lost its key; give its probes an answer anyway.
    if !failures.is_empty() {
        let why = format!("probe task failed: {}", failures.join("; "));
        for addr in endpoints {
            probes.tcp.entry(addr).or_insert_with(|| TcpProbe {
                outcome: TcpOutcome::Unreachable,
                detail: Some(why.clone()),
                millis: 0,
            });
        }
        for name in names {
            probes
                .dns
                .entry(name)
                .or_insert_with(|| DnsAnswer::Failed(why.clone()));
        }
    }
    probes
}

fn collect(probes: &mut Probes, failures: &mut Vec<String>, result: Result<Done, JoinError>) {
    match result {
        Ok(Done::Tcp(addr, probe)) => {
            probes.tcp.insert(addr, probe);
        }
        Ok(Done::Dns(name, answer)) => {
            probes.dns.insert(name, answer);
        }
        Err(e) => failures.push(e.to_string()),
    }
}

/// One TCP connect with a timeout. Sends nothing: the stream is dropped (closed) as soon as the
/// handshake completes, which is all it takes to tell open from refused from silently dropped.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> TcpProbe {
    let probe = match not_connectable(addr) {
        Some(detail) => TcpProbe {
            outcome: TcpOutcome::Unreachable,
            detail: Some(detail),
            millis: 0,
        },
        None => attempt(addr, timeout).await,
    };
    tracing::debug!(
        address = %addr,
        outcome = probe.outcome.as_str(),
        ms = probe.millis,
        detail = probe.detail.as_deref().unwrap_or(""),
        "tcp probe"
    );
    probe
}

async fn attempt(addr: SocketAddr, timeout: Duration) -> TcpProbe {
    let start = Instant::now();
    let result = tokio::time::timeout(timeout, TcpStream::connect(addr)).await;
    let millis = elapsed_millis(start);
    let (outcome, detail) = match result {
        Ok(Ok(stream)) => {
            drop(stream);
            (TcpOutcome::Open, None)
        }
        Ok(Err(e)) => classify_error(&e),
        Err(_elapsed) => (TcpOutcome::TimedOut, None),
    };
    TcpProbe {
        outcome,
        detail,
        millis,
    }
}

/// A connect error: a reset means a host answered; anything else means this machine could
/// not get the SYN out (no route, no address family, a local firewall).
fn classify_error(e: &io::Error) -> (TcpOutcome, Option<String>) {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => (TcpOutcome::Refused, None),
        io::ErrorKind::TimedOut => (TcpOutcome::TimedOut, None),
        _ => (TcpOutcome::Unreachable, Some(e.to_string())),
    }
}

/// Why `addr` is not worth a connect. On Linux a connect to 0.0.0.0 or `::` reaches this
/// machine itself, which would report "open" for a port nobody outside can reach.
fn not_connectable(addr: SocketAddr) -> Option<String> {
    let ip = addr.ip().to_canonical();
    if ip.is_unspecified() {
        Some(format!(
            "{ip} is the unspecified address, not a destination (not attempted)"
        ))
    } else if addr.port() == 0 {
        Some(format!(
            "{addr}: port 0 is not a destination (not attempted)"
        ))
    } else {
        None
    }
}

/// Resolves `name` with the system resolver (getaddrinfo through `tokio::net::lookup_host`,
/// as the RDP client would), so hosts files and local caches count. Addresses come back
/// deduplicated and sorted; an error, an empty answer or no answer in time is `Failed`.
pub async fn resolve(name: &str, timeout: Duration) -> DnsAnswer {
    let start = Instant::now();
    let answer = if name.trim().is_empty() {
        DnsAnswer::Failed("empty DNS name".to_string())
    } else {
        match tokio::time::timeout(timeout, tokio::net::lookup_host((name, 0u16))).await {
            Ok(Ok(addrs)) => {
                let ips: BTreeSet<IpAddr> = addrs.map(|a| a.ip()).collect();
                if ips.is_empty() {
                    DnsAnswer::Failed("the resolver returned no addresses".to_string())
                } else {
                    DnsAnswer::Resolved(ips.into_iter().collect())
                }
            }
            Ok(Err(e)) => DnsAnswer::Failed(e.to_string()),
            Err(_elapsed) => DnsAnswer::Failed(format!("no answer within {}", seconds(timeout))),
        }
    };
    tracing::debug!(name, answer = ?answer, ms = elapsed_millis(start), "dns probe");
    answer
}

fn elapsed_millis(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A timeout as people write it: "3 s", "0.5 s".
fn seconds(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn dns_key_folds_case_and_trailing_dots() {
        assert_eq!(
            Probes::dns_key(" RDP-VM.EastUS.CloudApp.Azure.com. "),
            "rdp-vm.eastus.cloudapp.azure.com"
        );
        assert_eq!(Probes::dns_key("a.b.."), "a.b");
        assert_eq!(Probes::dns_key("."), "");
    }

    #[test]
    fn seconds_reads_naturally() {
        assert_eq!(seconds(Duration::from_secs(3)), "3 s");
        assert_eq!(seconds(Duration::from_millis(500)), "0.5 s");
        assert_eq!(seconds(Duration::from_millis(1250)), "1.25 s");
        assert_eq!(seconds(Duration::ZERO), "0 s");
    }

    #[test]
    fn unspecified_and_port_zero_are_not_destinations() {
        let v4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 3389));
        let v6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, 3389));
        let mapped = SocketAddr::from((Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(), 3389));
        let port0 = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        for addr in [v4, v6, mapped, port0] {
            assert!(not_connectable(addr).is_some(), "{addr}");
        }
        let fine = SocketAddr::from((Ipv4Addr::new(203, 0, 113, 7), 3389));
        assert_eq!(not_connectable(fine), None);
    }

    #[test]
    fn errors_classify_by_kind() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(classify_error(&refused), (TcpOutcome::Refused, None));
        let unreachable = io::Error::from_raw_os_error(101);
        let (outcome, detail) = classify_error(&unreachable);
        assert_eq!(outcome, TcpOutcome::Unreachable);
        assert_eq!(detail, Some(unreachable.to_string()));
    }
}
