//! `mock-arm`: serve a snapshot as a mock ARM endpoint, or generate a large synthetic snapshot.
//! Thin: parse arguments, call the library, print.

use clap::{Args, Parser, Subcommand};
use mock_arm::generate::{write_snapshot, GenerateOptions};
use mock_arm::{
    FaultArgs, Faults, GraphQuota, ManagementGroup, MockConfig, MockServer, RetryAfter,
    RunCommandFaultRule, Throttle,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "mock-arm",
    version,
    about = "A mock Azure Resource Manager for rdpaudit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a snapshot over HTTP with ARM semantics until killed.
    Serve(Box<ServeArgs>),
    /// Write a large, varied, deterministic snapshot.
    Generate(GenerateArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Snapshot to serve (rdpaudit.snapshot/1, a bare array, {"value": [...]} or {"data": [...]}); `-` for stdin.
    #[arg(long)]
    snapshot: PathBuf,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Items per list page.
    #[arg(long, default_value_t = mock_arm::DEFAULT_PAGE_SIZE)]
    page_size: usize,
    /// Delay before every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Bearer token ARM routes require (default: any non-empty token; /msi/token serves "mock-arm-token").
    #[arg(long)]
    token: Option<String>,
    /// Secret the managed-identity endpoint requires in X-IDENTITY-HEADER.
    #[arg(long, default_value = "mock-arm-identity-header")]
    identity_header: String,
    /// Answer the first K requests with 429.
    #[arg(long, value_name = "K", conflicts_with = "throttle_every")]
    throttle_first: Option<u64>,
    /// Answer every N-th request with 429.
    #[arg(long, value_name = "N")]
    throttle_every: Option<u64>,
    /// Throttle (and count) only requests for this resource type, e.g. Microsoft.Network/networkInterfaces.
    #[arg(long, value_name = "TYPE")]
    throttle_type: Option<String>,
    /// Retry-After of a 429, in seconds.
    #[arg(long, value_name = "S", default_value_t = 1)]
    retry_after: u64,
    /// Send Retry-After as an HTTP-date instead of seconds.
    #[arg(long)]
    retry_after_date: bool,
    /// Fraction (0..1) of requests answered with 500/503.
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    error_rate: f64,
    /// Answer the first K requests with 500/503.
    #[arg(long, value_name = "K", default_value_t = 0)]
    error_first: u64,
    /// Close the connection of the first K requests without answering.
    #[arg(long, value_name = "K", default_value_t = 0)]
    drop_first: u64,
    /// Fraction (0..1) of requests whose connection is closed without an answer.
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    drop_rate: f64,
    /// Answer 403 AuthorizationFailed for this resource type (repeatable).
    #[arg(long, value_name = "TYPE")]
    forbid_type: Vec<String>,
    /// Answer 409 MissingSubscriptionRegistration for this namespace (repeatable).
    #[arg(long, value_name = "NAMESPACE")]
    unregistered: Vec<String>,
    /// Give this type's lists a nextLink on a foreign host (repeatable).
    #[arg(long, value_name = "TYPE")]
    foreign_next_link: Vec<String>,
    /// Scheme and host of the foreign nextLink.
    #[arg(long, value_name = "URL", default_value = mock_arm::DEFAULT_FOREIGN_HOST)]
    foreign_host: String,
    /// Tenant id in subscription bodies and WWW-Authenticate.
    #[arg(long, default_value = mock_arm::DEFAULT_TENANT_ID)]
    tenant_id: String,
    /// Seed for random faults and request ids.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Append every request to this file as JSON lines.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// A management group for Resource Graph queries (repeatable). The tenant root group, named
    /// after --tenant-id and holding every subscription, always exists unless redefined here.
    #[arg(long, value_name = "NAME=SUB1,SUB2")]
    management_group: Vec<ManagementGroup>,
    /// Resource Graph rows per page when a query sets no $top (1..1000).
    #[arg(long, value_name = "N", default_value_t = mock_arm::DEFAULT_GRAPH_PAGE_SIZE as u64,
          value_parser = clap::value_parser!(u64).range(1..=mock_arm::MAX_GRAPH_PAGE_SIZE as u64))]
    graph_page_size: u64,
    /// Resource Graph quota per caller token: QUERIES/WINDOW (window in ms, s or m).
    #[arg(long, value_name = "Q/WINDOW", default_value = "15/5s")]
    graph_quota: GraphQuota,
    /// Make Run Command misbehave for a VM (name or full id; repeatable). MODE: conflict,
    /// agent-not-ready, forbidden, never, malformed, truncated, foreign-poll,
    /// location-only.
    #[arg(long, value_name = "VM=MODE")]
    run_command_fault: Vec<RunCommandFaultRule>,
    /// Polls of a Run Command operation answered InProgress before it completes.
    #[arg(long, value_name = "N", default_value_t = mock_arm::DEFAULT_RUN_COMMAND_POLLS)]
    run_command_polls: u32,
    /// Retry-After seconds of Run Command's 202 and of in-progress polls (0 allowed).
    #[arg(long, value_name = "S", default_value_t = mock_arm::DEFAULT_RUN_COMMAND_RETRY_AFTER)]
    run_command_retry_after: u64,
    /// Random faults for soak runs and the faults of the hardening tests.
    #[command(flatten)]
    more_faults: FaultArgs,
}

#[derive(Args)]
struct GenerateArgs {
    /// Number of VMs.
    #[arg(long)]
    vms: usize,
    /// Seed: the same seed gives the same snapshot.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of subscriptions the VMs are spread over.
    #[arg(long, default_value_t = 1)]
    subscriptions: usize,
    /// Output file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Indent the JSON.
    #[arg(long)]
    pretty: bool,
    /// Add an Azure Firewall with DNAT rules and AVNM security admin rules (the estate is then
    /// built in memory, not streamed).
    #[arg(long)]
    doors: bool,
    /// Hub and spoke: per subscription a hub VNet with a VPN gateway (point-to-site pool,
    /// site-to-site connection) and an Internet-exposed jump box, peered with every VNet.
    #[arg(long)]
    hub_spoke: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => serve(*a),
        Command::Generate(a) => run_generate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock-arm: {e}");
            ExitCode::from(2)
        }
    }
}

fn serve(a: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let cfg = if a.snapshot.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        MockConfig::from_snapshot_json(&buf)?
    } else {
        MockConfig::from_snapshot_file(&a.snapshot)?
    };
    let retry_after = if a.retry_after_date {
        RetryAfter::HttpDate(a.retry_after)
    } else {
        RetryAfter::Seconds(a.retry_after)
    };
    let throttle = match (a.throttle_first, a.throttle_every) {
        (Some(k), _) => Some(Throttle::first(k)),
        (None, Some(n)) => Some(Throttle::every(n)),
        (None, None) => None,
    }
    .map(|t| Throttle {
        retry_after,
        resource_type: a.throttle_type.clone(),
        ..t
    });
    let faults = Faults {
        throttle,
        error_rate: a.error_rate,
        error_first: a.error_first,
        drop_first: a.drop_first,
        drop_rate: a.drop_rate,
        forbidden_types: a.forbid_type,
        unregistered_namespaces: a.unregistered,
        foreign_next_link_types: a.foreign_next_link,
        foreign_host: Some(a.foreign_host),
        ..Faults::default()
    };
    let faults = a.more_faults.apply(faults)?;
    let mut cfg = cfg
        .addr(a.addr)
        .page_size(a.page_size)
        .latency(Duration::from_millis(a.latency_ms))
        .identity_header(a.identity_header.clone())
        .tenant_id(a.tenant_id)
        .faults(faults)
        .seed(a.seed)
        .graph_page_size(
            usize::try_from(a.graph_page_size).unwrap_or(mock_arm::MAX_GRAPH_PAGE_SIZE),
        )
        .graph_quota(a.graph_quota.queries, a.graph_quota.window)
        .run_command_polls(a.run_command_polls)
        .run_command_retry_after(a.run_command_retry_after);
    for mg in a.management_group {
        cfg = cfg.management_group(mg.name, mg.subscriptions);
    }
    for rule in a.run_command_fault {
        cfg = cfg.run_command_fault(rule.vm, rule.mode);
    }
    if let Some(t) = a.token {
        cfg = cfg.expected_token(t);
    }
    if let Some(l) = a.log {
        cfg = cfg.log_file(l);
    }
    let server = MockServer::start(cfg)?;
    for w in server.warnings() {
        eprintln!("mock-arm: warning: {w}");
    }
    // The announcement is best effort: a caller that reads the first line and closes the pipe
    // must not stop the server (a write to a closed pipe fails with EPIPE).
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "mock-arm listening on {}", server.url())
        .and_then(|_| {
            writeln!(
                out,
                "mock-arm managed identity: IDENTITY_ENDPOINT={} IDENTITY_HEADER={}",
                server.identity_endpoint(),
                a.identity_header
            )
        })
        .and_then(|_| out.flush());
    drop(out);
    eprintln!(
        "mock-arm: serving {} resources; token {:?}; Ctrl-C to stop",
        server.resource_count(),
        server.token()
    );
    loop {
        std::thread::park();
    }
}

fn run_generate(a: GenerateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let opts = GenerateOptions {
        vms: a.vms,
        seed: a.seed,
        subscriptions: a.subscriptions.max(1),
        hub_spoke: a.hub_spoke,
    };
    if a.doors {
        let mut snap = mock_arm::generate::generate(&opts);
        mock_arm::generate::add_doors(&mut snap);
        let text = if a.pretty {
            serde_json::to_string_pretty(&snap)?
        } else {
            serde_json::to_string(&snap)?
        };
        match &a.out {
            Some(path) => {
                std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => println!("{text}"),
        }
        return Ok(());
    }
    match &a.out {
        Some(path) => {
            let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            write_snapshot(&opts, a.pretty, &mut std::io::BufWriter::new(f))?;
        }
        None => write_snapshot(
            &opts,
            a.pretty,
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        )?,
    }
    Ok(())
}
