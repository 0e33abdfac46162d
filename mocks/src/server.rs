//! The HTTP side: a hyper 1 server on its own tokio runtime in a background thread, and the
//! per-request pipeline shared by every ARM route — latency, dropped connections,
//! authentication, api-version, throttling, server errors, ARM headers, the request log.
//!
//! hyper is used directly (not a router framework) because ARM ids have arbitrary depth and
//! because dropping a connection mid-request needs control over the connection task.

mod checks;

use crate::chaos::{self, BodyShape};
use crate::config::MockConfig;
use crate::error::Error;
use crate::fault_kinds::ChaosMode;
use crate::faults::{uuid_like, FaultState, Injected};
use crate::graph::{self, Decision, Quota};
use crate::http::{self, Ctx, Query, Reply};
use crate::log::{LoggedRequest, RequestLog};
use crate::operations::RunCommands;
use crate::routes::{self, Route};
use crate::store::Store;
use bytes::Bytes;
use checks::{api_version_error, bearer_token, server_error};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use rand::rngs::Xoshiro256PlusPlus;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;
use tokio::sync::{oneshot, Notify};

/// A running mock ARM server. Dropping it stops the server.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Shared by all connections.
#[derive(Debug)]
pub(crate) struct State {
    cfg: MockConfig,
    store: Store,
    faults: FaultState,
    log: RequestLog,
    started: Instant,
    seq: AtomicU64,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Resource Graph's per-caller query quota.
    graph_quota: Quota,
    /// Run Command operations and the guest facts they report.
    runs: RunCommands,
    addr: SocketAddr,
}

impl MockServer {
    /// Starts on `cfg.addr` (default `127.0.0.1:0`) in a background thread with its own tokio
    /// runtime; returns once the socket is listening.
    pub fn start(cfg: MockConfig) -> Result<MockServer, Error> {
        let mut cfg = cfg;
        cfg.validate()?;
        let snapshot = std::mem::take(&mut cfg.snapshot);
        let runs = RunCommands::new(&snapshot, cfg.seed);
        let store = Store::build(snapshot, &cfg.tenant_id)?;
        let log = RequestLog::new(cfg.log_file.as_deref()).map_err(|source| Error::File {
            path: cfg.log_file.clone().unwrap_or_default(),
            source,
        })?;
        let listener = std::net::TcpListener::bind(cfg.addr)
            .map_err(|e| Error::Start(format!("bind {}: {e}", cfg.addr)))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Start(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Start(e.to_string()))?;
        let state = Arc::new(State {
            faults: FaultState::new(cfg.faults.clone(), cfg.seed),
            graph_quota: Quota::new(cfg.graph_quota),
            runs,
            cfg,
            store,
            log,
            started: Instant::now(),
            seq: AtomicU64::new(0),
            buckets: Mutex::new(HashMap::new()),
            addr,
        });
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("mock-arm".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    accept_loop(listener, thread_state, shutdown_rx).await;
                });
            })
            .map_err(|e| Error::Start(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(MockServer {
                addr,
                state,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(Error::Start(e)),
            Err(_) => Err(Error::Start("server thread exited before listening".into())),
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The managed-identity endpoint to put in `IDENTITY_ENDPOINT`.
    pub fn identity_endpoint(&self) -> String {
        format!("{}/msi/token", self.url())
    }

    /// The socket address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token ARM routes accept and `/msi/token` hands out.
    pub fn token(&self) -> String {
        self.state.cfg.served_token().to_owned()
    }

    /// Every request received since start (or since the last [`clear_log`](Self::clear_log)).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Requests that matched no route (tests assert this is empty).
    pub fn unmatched_requests(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.unmatched)
            .collect()
    }

    /// Forgets the logged requests. Fault counters keep counting.
    pub fn clear_log(&self) {
        self.state.log.clear();
    }

    /// Problems found while loading the snapshot (skipped resources).
    pub fn warnings(&self) -> &[String] {
        &self.state.store.warnings
    }

    /// Number of resources served.
    pub fn resource_count(&self) -> usize {
        self.state.store.entries.len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, state.clone()));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            },
        }
    }
}

type Body = crate::chaos::MockBody;

/// Serves one connection. A handler that decides to drop the connection signals `kill`; the
/// connection future is then dropped, which closes the socket without writing a response.
async fn serve_connection(stream: tokio::net::TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let svc_kill = kill.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let state = state.clone();
        let kill = svc_kill.clone();
        async move {
            match handle(&state, req).await {
                Some(resp) => Ok::<Response<Body>, Infallible>(resp),
                None => {
                    kill.notify_one();
                    std::future::pending().await
                }
            }
        }
    });
    // A timer lets hyper enforce its 30 s header-read timeout on idle or stuck clients.
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
    }
}

/// Largest request body read (Resource Graph queries, a 300-subscription batch is ~15 KB; Run
/// Command inputs).
const MAX_BODY: usize = 4 << 20;

/// What the mock reads from a request line and its headers before answering.
struct Target {
    method: hyper::Method,
    /// The path exactly as received (still percent-encoded).
    raw_path: String,
    path_and_query: String,
    query: Query,
    route: Route,
    /// `http://host:port` of this server as the client addressed it.
    base_url: String,
}

impl Target {
    fn of(state: &State, parts: &hyper::http::request::Parts) -> Target {
        let method = parts.method.clone();
        let raw_path = parts.uri.path().to_owned();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| raw_path.clone());
        let query = Query::parse(parts.uri.query());
        let segs: Vec<String> = raw_path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let route = Route::of_request(&method, &segs, &query);
        let base_url = match parts
            .headers
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) if !host.is_empty() => format!("http://{host}"),
            _ => format!("http://{}", state.addr),
        };
        Target {
            method,
            raw_path,
            path_and_query,
            query,
            route,
            base_url,
        }
    }
}

/// Handles one request; `None` means "drop the connection".
async fn handle(state: &State, req: Request<Incoming>) -> Option<Response<Body>> {
    let at = state.started.elapsed();
    let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let (parts, body) = req.into_parts();
    let t = Target::of(state, &parts);
    let headers = &parts.headers;

    if !state.cfg.latency.is_zero() {
        tokio::time::sleep(state.cfg.latency).await;
    }

    let mut entry = LoggedRequest {
        seq,
        method: t.method.to_string(),
        path: t.path_and_query.clone(),
        route: t.route.kind().to_owned(),
        resource_type: t.route.resource_type(),
        bearer_present: false,
        token_matched: false,
        status: None,
        fault: None,
        unmatched: false,
        at,
    };

    if t.route == Route::Msi {
        let reply = crate::msi::token(&state.cfg, headers, &t.query);
        let reply = state.faults.reshape_token(reply);
        let mut rng = crate::dice::rng_for(state.cfg.seed, u64::MAX - seq);
        let request_id = uuid_like(&mut rng);
        entry.status = Some(reply.status);
        state.log.push(entry);
        return Some(build(
            reply,
            &request_id,
            &request_id,
            None,
            BodyShape::Whole,
        ));
    }

    let (n, mut rng) = state.faults.next_request();
    let chaos = state.faults.chaos(&mut rng);
    let bearer = bearer_token(headers);
    entry.bearer_present = bearer.is_some();
    entry.token_matched = match (&bearer, &state.cfg.expected_token) {
        (Some(_), None) => true,
        (Some(got), Some(want)) => got == want,
        (None, _) => false,
    };

    if state.faults.drop_connection(n, &mut rng) || chaos == Some(ChaosMode::Reset) {
        entry.fault = Some(chaos::label(chaos).unwrap_or_else(|| Injected::Drop.label()));
        state.log.push(entry);
        return None;
    }
    if state.faults.hang(entry.resource_type.as_deref()) || chaos == Some(ChaosMode::Hang) {
        entry.fault = Some(chaos::label(chaos).unwrap_or_else(|| "hang".into()));
        state.log.push(entry);
        return std::future::pending().await;
    }

    let body = read_body(&t.route, body).await;

    let request_id = uuid_like(&mut rng);
    let correlation = headers
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid_like(&mut rng));

    let ctx = Ctx {
        store: &state.store,
        cfg: &state.cfg,
        query: &t.query,
        base_url: &t.base_url,
        raw_path: &t.raw_path,
        method: &t.method,
        body: body.as_deref().unwrap_or_default(),
        body_error: body.as_ref().err().map(String::as_str),
        runs: &state.runs,
        correlation: &correlation,
    };
    let caller = Caller {
        headers,
        bearer: bearer.as_deref(),
        token_matched: entry.token_matched,
        resource_type: entry.resource_type.as_deref(),
        n,
    };
    let reply = match chaos.and_then(|c| chaos::replacement(c, &mut rng)) {
        Some(r) => r,
        None => answer(state, &ctx, &t.route, &caller, &mut rng),
    };

    let remaining = remaining(state, &t, &reply);
    let reply = state.faults.reshape(&ctx, &t.route, reply);
    let reply = chaos::reshape(chaos, &t.route, reply, &mut rng);
    let shape = BodyShape::of(chaos, reply.body.len(), &mut rng);
    entry.status = Some(reply.status);
    entry.fault = reply.fault.clone();
    if shape != BodyShape::Whole {
        entry.fault = chaos::label(chaos);
    }
    entry.unmatched = reply.unmatched;
    state.log.push(entry);
    Some(build(reply, &request_id, &correlation, remaining, shape))
}

/// The request body: only Resource Graph queries and Run Command inputs have one the mock
/// reads.
async fn read_body(route: &Route, body: Incoming) -> Result<Bytes, String> {
    if !matches!(
        route,
        Route::Graph | Route::RunCommand { .. } | Route::AdminRules { .. }
    ) {
        return Ok(Bytes::new());
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(format!("The request content could not be read: {e}.")),
    }
}

/// ARM reports the remaining read (GET) or write (POST) budget on every authenticated answer;
/// a 401 is rejected before the request is counted. Resource Graph reports its own quota
/// instead.
fn remaining(state: &State, t: &Target, reply: &Reply) -> Option<(&'static str, u64)> {
    if reply.status == 401 || t.route == Route::Graph {
        return None;
    }
    let kind = if t.method == hyper::Method::GET {
        Budget::Reads
    } else {
        Budget::Writes
    };
    Some(state.consume(t.route.subscription(), kind, reply.status == 429))
}

/// Who is asking, as far as the checks before the route handler care.
struct Caller<'a> {
    headers: &'a HeaderMap,
    bearer: Option<&'a str>,
    token_matched: bool,
    /// The resource type the request addresses (for type-scoped throttling).
    resource_type: Option<&'a str>,
    /// The request's number among those that count for fault injection.
    n: u64,
}

/// The answer to an ARM request past the managed-identity endpoint and dropped connections:
/// authentication, api-version, Resource Graph, injected throttling and 5xx, then the route.
fn answer(
    state: &State,
    ctx: &Ctx<'_>,
    route: &Route,
    caller: &Caller<'_>,
    rng: &mut Xoshiro256PlusPlus,
) -> Reply {
    if !caller.headers.contains_key(hyper::header::AUTHORIZATION) {
        unauthenticated(
            state,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            "The authentication failed because of missing 'Authorization' header.",
        )
    } else if !caller.token_matched {
        unauthenticated(
            state,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            "The access token is invalid.",
        )
    } else if let Some(r) = api_version_error(ctx.query) {
        r
    } else if *route == Route::Graph {
        let who = caller.bearer.unwrap_or_default();
        graph_request(state, ctx, who, caller.n, rng)
    } else if let Some(retry_after) = state.faults.throttle(caller.resource_type, ctx.raw_path) {
        throttled(state, route, ctx.method, retry_after)
    } else if let Some(status) = state.faults.server_error(caller.n, rng) {
        server_error(status, route, ctx.correlation)
    } else {
        match route {
            Route::Unmatched => http::unmatched(ctx),
            _ => routes::dispatch(ctx, route),
        }
    }
}

/// A Resource Graph query past authentication: the caller's quota first (429 `RateLimiting`
/// when spent, and refused queries do not count), then the injected faults as for any ARM
/// request (an injected throttle answers in Resource Graph's words), then the query. Every
/// answer carries the quota headers.
fn graph_request(
    state: &State,
    ctx: &Ctx<'_>,
    caller: &str,
    n: u64,
    rng: &mut Xoshiro256PlusPlus,
) -> Reply {
    let decision = state.graph_quota.take(caller, Instant::now());
    let reply = match decision {
        Decision::Exhausted { resets_after } => graph::rate_limited(
            ctx.correlation,
            graph::ceil_secs(resets_after).max(1).to_string(),
        )
        .with_fault("graphQuota"),
        Decision::Allowed { .. } => {
            if let Some(retry_after) = state.faults.throttle(Some(GRAPH_TYPE), ctx.raw_path) {
                graph::rate_limited(ctx.correlation, retry_after).with_fault("throttle")
            } else if let Some(status) = state.faults.server_error(n, rng) {
                server_error(status, &Route::Graph, ctx.correlation)
            } else if let Some(e) = ctx.body_error {
                graph::bad_request(ctx.correlation, "InvalidRequestContent", e)
            } else {
                routes::dispatch(ctx, &Route::Graph)
            }
        }
    };
    decision
        .headers()
        .into_iter()
        .fold(reply, |r, (name, value)| r.with_header(name, value))
}

/// The type `--throttle-type` names to throttle only Resource Graph queries.
const GRAPH_TYPE: &str = "Microsoft.ResourceGraph/resources";

/// 401 with the `WWW-Authenticate` challenge ARM sends, which tells a client where to get a
/// token (<https://learn.microsoft.com/azure/azure-resource-manager/management/authenticate-multi-tenant>).
fn unauthenticated(state: &State, code: &str, message: &str, description: &str) -> Reply {
    Reply::error(401, code, message).with_header(
        "www-authenticate",
        format!(
            "Bearer authorization_uri=\"https://login.microsoftonline.com/{}\", error=\"invalid_token\", error_description=\"{description}\"",
            state.cfg.tenant_id
        ),
    )
}

/// 429 as ARM's regional token-bucket throttling answers it
/// (<https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>).
fn throttled(state: &State, route: &Route, method: &hyper::Method, retry_after: String) -> Reply {
    let kind = if method == hyper::Method::GET {
        "read"
    } else {
        "write"
    };
    let oid = &state.cfg.principal_id;
    let (code, scope) = match route.subscription() {
        Some(sub) => (
            "SubscriptionRequestsThrottled",
            format!("subscription '{sub}'"),
        ),
        None => (
            "TenantRequestsThrottled",
            format!("tenant '{}'", state.cfg.tenant_id),
        ),
    };
    let seconds = retry_after
        .parse::<u64>()
        .ok()
        .or_else(|| {
            state
                .cfg
                .faults
                .throttle
                .as_ref()
                .map(|t| t.retry_after.seconds())
        })
        .unwrap_or(1);
    Reply::error(
        429,
        code,
        format!(
            "Number of '{kind}' requests for {scope} actor '{oid}' exceeded. Please try again after '{seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information."
        ),
    )
    .with_header("retry-after", retry_after)
    .with_fault("throttle")
}

/// A token bucket per subscription (and one for tenant-level requests) and per kind of request,
/// as ARM has kept since 2024: 250 reads refilled at 25 per second, 200 writes refilled at 10 per
/// second. Reported, never enforced (throttling is an explicit fault).
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Which of ARM's budgets a request draws on: GETs read, POSTs (Run Command) write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Reads,
    Writes,
}

impl Budget {
    /// (bucket size, refill per second, bucket key suffix).
    fn params(self) -> (f64, f64, &'static str) {
        match self {
            Budget::Reads => (250.0, 25.0, "reads"),
            Budget::Writes => (200.0, 10.0, "writes"),
        }
    }
}

impl State {
    /// Takes one token from the caller's bucket; returns the header name and remaining count.
    fn consume(&self, sub: Option<&str>, kind: Budget, throttled: bool) -> (&'static str, u64) {
        let (size, refill_per_sec, suffix) = kind.params();
        let (header, key) = match (sub, kind) {
            (Some(s), Budget::Reads) => (
                "x-ms-ratelimit-remaining-subscription-reads",
                s.to_ascii_lowercase(),
            ),
            (Some(s), Budget::Writes) => (
                "x-ms-ratelimit-remaining-subscription-writes",
                s.to_ascii_lowercase(),
            ),
            (None, Budget::Reads) => ("x-ms-ratelimit-remaining-tenant-reads", String::new()),
            (None, Budget::Writes) => ("x-ms-ratelimit-remaining-tenant-writes", String::new()),
        };
        let key = format!("{key}|{suffix}");
        if throttled {
            return (header, 0);
        }
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return (header, 0);
        };
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: size,
            last: now,
        });
        let refill = now.duration_since(b.last).as_secs_f64() * refill_per_sec;
        b.tokens = (b.tokens + refill).min(size);
        b.last = now;
        b.tokens = (b.tokens - 1.0).max(0.0);
        (header, b.tokens.floor() as u64)
    }
}

/// Turns a [`Reply`] into an HTTP response with ARM's standard headers. An empty body (a 202
/// of a long-running operation) goes without `Content-Type`, as ARM sends it.
fn build(
    reply: Reply,
    request_id: &str,
    correlation: &str,
    remaining: Option<(&'static str, u64)>,
    shape: BodyShape,
) -> Response<Body> {
    let mut b = Response::builder().status(reply.status);
    if !reply.body.is_empty() {
        b = b.header(
            hyper::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        );
    }
    b = b
        .header(hyper::header::CACHE_CONTROL, "no-cache")
        .header("x-ms-request-id", request_id)
        .header("x-ms-correlation-request-id", correlation);
    if let Some((name, n)) = remaining {
        b = b.header(name, n.to_string());
    }
    for (name, value) in &reply.headers {
        b = b.header(*name, value.as_str());
    }
    b.body(Body::new(Bytes::from(reply.body), shape)).unwrap_or_else(|_| {
        // Only reachable if a header value were invalid; every value here is ASCII we built.
        let mut r = Response::new(Body::new(Bytes::from_static(
            br#"{"error":{"code":"InternalServerError","message":"mock-arm built an invalid response"}}"#,
        ), BodyShape::Whole));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

#[cfg(test)]
mod tests {
    use super::checks::is_api_version;
    use super::*;

    #[test]
    fn api_version_format() {
        assert!(is_api_version("2025-04-01"));
        assert!(is_api_version("2024-04-01-preview"));
        assert!(!is_api_version("2025-4-1"));
        assert!(!is_api_version("latest"));
        assert!(!is_api_version("2025-04-01-"));
        assert!(!is_api_version("2025-04-01x"));
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        h.insert(
            hyper::header::AUTHORIZATION,
            "bearer abc".parse().expect("header"),
        );
        assert_eq!(bearer_token(&h).as_deref(), Some("abc"));
        h.insert(
            hyper::header::AUTHORIZATION,
            "Basic abc".parse().expect("header"),
        );
        assert_eq!(bearer_token(&h), None);
        h.insert(
            hyper::header::AUTHORIZATION,
            "Bearer ".parse().expect("header"),
        );
        assert_eq!(bearer_token(&h), None);
    }
}
