//! The ARM transport: one `reqwest` client on tokio, a concurrency limit, bounded retries
//! (429 waits exactly as long as `Retry-After` says, 5xx and connection failures back off
//! exponentially with jitter), a per-attempt timeout, a cap on every response body, an optional
//! deadline for the whole run, and generic `nextLink` paging that never leaves the ARM endpoint's
//! origin. The bearer token goes only to that origin.
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>

use super::permits::{Lane, Permits};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

use super::auth::Authenticator;
use super::error::ErrorBody;
pub(crate) use super::error::{ArmError, ErrorKind};
use super::request::same_origin;
use crate::model::Diagnostic;

/// Where bearer tokens come from.
#[derive(Clone)]
pub(crate) enum Credential {
    Azure(Arc<Authenticator>),
    /// A fixed token (unit tests only). Never printed.
    #[cfg(test)]
    Static(Arc<String>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::Azure(_) => "Credential::Azure",
            #[cfg(test)]
            Credential::Static(_) => "Credential::Static(***)",
        })
    }
}

impl Credential {
    async fn bearer(&self) -> Result<String, String> {
        match self {
            Credential::Azure(a) => a
                .token()
                .await
                .map(|t| t.secret().to_string())
                .map_err(|e| e.to_string()),
            #[cfg(test)]
            Credential::Static(t) => Ok(t.to_string()),
        }
    }
}

/// The largest ARM response body read: a list page holds at most 1,000 resources, a few MB even
/// for large VMs with their instance view; 64 MiB leaves an order of magnitude of headroom while
/// bounding memory (docs/reliability.md).
pub(crate) const MAX_BODY: usize = 64 << 20;

/// Retry, timeout and size bounds.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt (429, 5xx, connection failures).
    pub(crate) max_retries: u32,
    pub(crate) base_backoff: Duration,
    pub(crate) max_backoff: Duration,
    /// A `Retry-After` longer than this gives up instead of waiting.
    pub(crate) max_retry_after: Duration,
    /// One attempt: connecting, sending and reading the whole answer.
    pub(crate) timeout: Duration,
    /// Attempts that time out are retried this many times at most: a server that accepted the
    /// connection and did not answer within `timeout` is unlikely to answer the next one.
    pub(crate) max_timeout_retries: u32,
    /// The largest response body read (bytes); a larger one fails the request.
    pub(crate) max_body: usize,
    /// The whole run's deadline (`--timeout`): nothing is sent after it, attempts in flight are
    /// abandoned at it, and a wait that would pass it is not started.
    pub(crate) deadline: Option<std::time::Instant>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            timeout: Duration::from_secs(60),
            max_timeout_retries: 1,
            max_body: MAX_BODY,
            deadline: None,
        }
    }
}

/// One page of an ARM list. A page without `value` is not an empty page: it is an answer the
/// client does not understand (or an error body under HTTP 200), and must not read as "none".
#[derive(Deserialize)]
pub(super) struct Page {
    pub(super) value: Option<Vec<Box<RawValue>>>,
    #[serde(rename = "nextLink")]
    pub(super) next_link: Option<String>,
    error: Option<super::error::ErrorDetail>,
}

/// Items of a paged list, and why paging stopped early (a diagnostic), if it did.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    pub(crate) items: Vec<Box<RawValue>>,
    pub(crate) pages: usize,
    pub(crate) stopped: Option<Diagnostic>,
}

/// The most pages one list may take (1,000 items each at most: a million resources).
pub(crate) const MAX_PAGES: usize = 1000;

/// Told the number of responses so far, after each one (the CLI draws progress with it).
pub(crate) type Observer = Arc<dyn Fn(usize) + Send + Sync>;

pub(crate) struct ArmClient {
    http: reqwest::Client,
    base: Url,
    credential: Credential,
    permits: Permits,
    policy: RetryPolicy,
    deadline: Option<Instant>,
    sent: AtomicUsize,
    done: AtomicUsize,
    /// Whether the endpoint has answered anything yet (a refused first connection fails fast).
    answered: AtomicBool,
    observer: std::sync::Mutex<Option<Observer>>,
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.base.as_str())
            .field("credential", &self.credential)
            .field("sent", &self.sent)
            .finish()
    }
}

impl ArmClient {
    pub(crate) fn new(
        base: Url,
        credential: Credential,
        concurrency: usize,
        policy: RetryPolicy,
    ) -> Result<ArmClient, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("rdpaudit/", env!("CARGO_PKG_VERSION")))
            // Redirects could carry the Authorization header elsewhere: never follow them.
            .redirect(reqwest::redirect::Policy::none())
            // A TCP handshake takes one round trip; 5 s covers slow links and SYN retransmits.
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(ArmClient {
            http,
            base,
            credential,
            permits: Permits::new(concurrency),
            deadline: policy.deadline.map(Instant::from_std),
            policy,
            sent: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            answered: AtomicBool::new(false),
            observer: std::sync::Mutex::new(None),
        })
    }

    /// Calls `f` after each response (progress display), on a shared client.
    pub(crate) fn set_observer(&self, f: Observer) {
        if let Ok(mut o) = self.observer.lock() {
            *o = Some(f);
        }
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// Requests sent so far (retries included).
    pub(crate) fn requests_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Time left before the run's deadline (`None`: no deadline).
    pub(crate) fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the run's deadline has passed: callers stop starting new work.
    pub(crate) fn past_deadline(&self) -> bool {
        self.time_left().is_some_and(|l| l.is_zero())
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .policy
            .base_backoff
            .saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.policy.max_backoff);
        // Full jitter in [capped/2, capped]: spreads retries of concurrent requests.
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// GET with retries. Refuses (sends nothing) when `url` is not on the ARM origin.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, ArmError> {
        self.send(url, None, Retry::All, Lane::Chain)
            .await
            .map(|r| r.body)
    }

    /// GET with retries, keeping the status and headers (long-running operation polls, where
    /// 202 and 200 mean different things).
    pub(crate) async fn get_reply(&self, url: &Url) -> Result<Reply, ArmError> {
        self.send(url, None, Retry::All, Lane::Chain).await
    }

    /// POST a JSON body (Resource Graph queries are reads sent as POST), with the same retries.
    /// Returns the response headers too (Resource Graph reports its quota there).
    pub(crate) async fn post(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), ArmError> {
        self.send(url, Some(body), Retry::All, Lane::Chain)
            .await
            .map(|r| (r.body, r.headers))
    }

    /// POST an action that starts something (Run Command). Retried only when ARM said it did
    /// not take it (429); a dropped connection or a 5xx may have started it already, and a
    /// second start would collide with the first (409).
    pub(crate) async fn post_action(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<Reply, ArmError> {
        self.send(url, Some(body), Retry::ThrottledOnly, Lane::Chain)
            .await
    }

    fn deadline_error(&self, method: &'static str, url: &Url, what: &str) -> ArmError {
        ArmError::new(
            ErrorKind::Deadline,
            method,
            url,
            format!("{what}: the run's --timeout deadline was reached"),
        )
    }

    /// POST [`ArmClient::post`] in the bulk lane: one of many independent requests (the
    /// admin-rule POSTs), sent after any waiting list page (src/arm/permits.rs).
    pub(crate) async fn post_bulk(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, ArmError> {
        self.send(url, Some(body), Retry::All, Lane::Bulk)
            .await
            .map(|r| r.body)
    }

    async fn send(
        &self,
        url: &Url,
        body: Option<&serde_json::Value>,
        retry: Retry,
        lane: Lane,
    ) -> Result<Reply, ArmError> {
        let method = if body.is_some() { "POST" } else { "GET" };
        if !same_origin(&self.base, url) {
            return Err(ArmError::new(
                ErrorKind::Refused,
                method,
                url,
                format!(
                    "refused: {} is not the ARM endpoint {}; the token is only sent there",
                    url.host_str().unwrap_or("?"),
                    self.base.host_str().unwrap_or("?")
                ),
            ));
        }
        let mut attempt = 0u32;
        let mut timeouts = 0u32;
        loop {
            let outcome = match self.time_left() {
                None => self.attempt(url, body, self.policy.timeout, lane).await,
                Some(left) if left.is_zero() => {
                    return Err(self.deadline_error(method, url, "not sent"))
                }
                // The permit, the token and the attempt together end at the deadline.
                Some(left) => {
                    let attempt = self.attempt(url, body, self.policy.timeout.min(left), lane);
                    match tokio::time::timeout(left, attempt).await {
                        Ok(o) => o,
                        Err(_) => return Err(self.deadline_error(method, url, "abandoned")),
                    }
                }
            };
            let (e, wait) = match outcome {
                Ok(reply) => return Ok(reply),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(e, _))
                    if retry == Retry::ThrottledOnly && e.status != Some(429) =>
                {
                    return Err(e)
                }
                Err(Failure::TimedOut(e)) => {
                    timeouts += 1;
                    if self.past_deadline() {
                        return Err(e.because(
                            ErrorKind::Deadline,
                            "the run's --timeout deadline was reached",
                        ));
                    }
                    if timeouts > self.policy.max_timeout_retries {
                        return Err(e.because(
                            ErrorKind::Transport,
                            &format!("{timeouts} attempts timed out"),
                        ));
                    }
                    (e, None)
                }
                Err(Failure::Retry(e, wait)) => (e, wait),
            };
            if attempt >= self.policy.max_retries {
                let n = attempt + 1;
                return Err(e
                    .clone()
                    .because(e.kind, &format!("gave up after {n} attempts")));
            }
            let told = wait.is_some();
            let wait = match wait {
                Some(w) if w > self.policy.max_retry_after => {
                    let why = format!(
                        "Retry-After {}s is longer than the retry budget",
                        w.as_secs()
                    );
                    return Err(e.clone().because(e.kind, &why));
                }
                // 429: exactly as told, never earlier.
                Some(w) => w,
                None => self.backoff(attempt),
            };
            if let Some(left) = self.time_left() {
                if wait >= left {
                    let what = if told { "Retry-After" } else { "backing off" };
                    let why = format!(
                        "not retried: {what} {}s would pass the run's --timeout deadline ({}s left)",
                        wait.as_secs(),
                        left.as_secs()
                    );
                    return Err(e.because(ErrorKind::Deadline, &why));
                }
            }
            tracing::debug!(url = %url, attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        body: Option<&serde_json::Value>,
        timeout: Duration,
        lane: Lane,
    ) -> Result<Reply, Failure> {
        let method = if body.is_some() { "POST" } else { "GET" };
        let permit = self.permits.acquire(lane).await;
        let token = self.credential.bearer().await.map_err(|e| {
            Failure::Final(ArmError {
                status: Some(401),
                ..ArmError::new(ErrorKind::Auth, method, url, e)
            })
        })?;
        self.sent.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(url = %url, "{method}");
        let request = match body {
            None => self.http.get(url.clone()),
            Some(b) => self
                .http
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string()),
        };
        let resp = match request.bearer_auth(token).timeout(timeout).send().await {
            Ok(r) => r,
            Err(e) => return Err(self.send_failure(method, url, &e)),
        };
        self.answered.store(true, Ordering::Relaxed);
        let status = resp.status();
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let observer = self.observer.lock().ok().and_then(|o| o.clone());
        if let Some(o) = observer {
            o(done);
        }
        let request_id = resp
            .headers()
            .get("x-ms-request-id")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let retry_after = retry_after(resp.headers());
        let headers = resp.headers().clone();
        let body = read_capped(resp, self.policy.max_body).await.map_err(|e| {
            let err = ArmError {
                status: Some(status.as_u16()),
                request_id: request_id.clone(),
                ..ArmError::new(e.kind(), method, url, e.to_string())
            };
            match e {
                ReadError::TooLarge(_) => Failure::Final(err),
                ReadError::Failed(t, _) if t => Failure::TimedOut(err),
                ReadError::Failed(..) => Failure::Retry(err, None),
            }
        })?;
        drop(permit);
        tracing::debug!(url = %url, status = status.as_u16(), "response");
        if status.is_success() {
            return Ok(Reply {
                status: status.as_u16(),
                headers,
                body,
            });
        }
        let detail = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .and_then(|b| b.error);
        let err = ArmError {
            status: Some(status.as_u16()),
            code: detail.as_ref().and_then(|d| d.code.clone()),
            request_id,
            ..ArmError::new(
                ErrorKind::Status,
                method,
                url,
                detail
                    .and_then(|d| d.text())
                    .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string()),
            )
        };
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => Failure::Retry(err, retry_after),
            s if s.is_server_error() => Failure::Retry(err, retry_after),
            _ => Failure::Final(err),
        })
    }

    /// A request that got no answer. The very first connection failing means the endpoint is
    /// closed or unreachable: retrying for half a minute would only hide that.
    fn send_failure(&self, method: &'static str, url: &Url, e: &reqwest::Error) -> Failure {
        let cause = root_cause(e);
        if e.is_connect() && !self.answered.load(Ordering::Relaxed) {
            let host = match (url.host_str(), url.port_or_known_default()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                _ => url.to_string(),
            };
            return Failure::Final(ArmError::new(
                ErrorKind::Unreachable,
                method,
                url,
                format!("cannot connect to the ARM endpoint {host} ({cause}); check --arm-endpoint, --cloud and the network"),
            ));
        }
        if e.is_timeout() {
            return Failure::TimedOut(ArmError::new(
                ErrorKind::Transport,
                method,
                url,
                format!("timed out: {cause}"),
            ));
        }
        Failure::Retry(
            ArmError::new(
                ErrorKind::Transport,
                method,
                url,
                format!("connection failed: {cause}"),
            ),
            None,
        )
    }
}

/// The page parser on arbitrary bytes, for `crate::fuzzing`: whether they are a list page.
pub(crate) fn fuzz_page(body: &[u8]) -> bool {
    let Ok(url) = Url::parse("https://management.azure.com/subscriptions?api-version=2022-12-01")
    else {
        return false;
    };
    parse_page(&url, body).is_ok()
}

/// A list page, or why it is not one: not JSON, an ARM error body under HTTP 200, or no `value`
/// array (`{}`, `{"value": null}`).
pub(super) fn parse_page(url: &Url, body: &[u8]) -> Result<Page, ArmError> {
    let malformed = |m: String| ArmError {
        status: Some(200),
        ..ArmError::new(ErrorKind::Malformed, "GET", url, m)
    };
    let page: Page = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("the response is not an ARM list: {e}")))?;
    if let Some(err) = &page.error {
        return Err(ArmError {
            kind: ErrorKind::Status,
            code: err.code.clone(),
            ..malformed(format!(
                "an error body instead of a list page: {}",
                err.message.as_deref().unwrap_or("no message")
            ))
        });
    }
    if page.value.is_none() {
        return Err(malformed(
            "the list page has no `value` array; not read as \"no resources\"".into(),
        ));
    }
    Ok(page)
}

/// Why a response body could not be read.
enum ReadError {
    TooLarge(usize),
    /// Reading failed; `true` when it timed out.
    Failed(bool, String),
}

impl ReadError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReadError::TooLarge(_) => ErrorKind::TooLarge,
            ReadError::Failed(..) => ErrorKind::Transport,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::TooLarge(cap) => write!(
                f,
                "the response is larger than the {} MiB cap; not read",
                cap >> 20
            ),
            ReadError::Failed(_, why) => write!(f, "reading the response failed: {why}"),
        }
    }
}

/// Reads a body chunk by chunk, never holding more than `cap` bytes: a declared
/// `Content-Length` over the cap is refused before reading, a streamed body when it passes it.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge(cap));
    }
    let mut buf = Vec::with_capacity(resp.content_length().map_or(0, |n| n as usize));
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > cap {
                    return Err(ReadError::TooLarge(cap));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(e) => return Err(ReadError::Failed(e.is_timeout(), root_cause(&e))),
        }
    }
}

/// A successful (2xx) response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A header's value as text, when present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    All,
    ThrottledOnly,
}

enum Failure {
    Final(ArmError),
    /// Worth retrying; `Some(d)`: the server said when (`Retry-After`).
    Retry(ArmError, Option<Duration>),
    /// No answer within the attempt's timeout (retried at most `max_timeout_retries` times).
    TimedOut(ArmError),
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later))
                .unwrap_or_else(|_| unreachable!()),
        );
        let d = retry_after(&h).unwrap_or_default();
        assert!(
            d > Duration::from_secs(115) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn credential_debug_hides_the_token() {
        let c = Credential::Static(Arc::new("secret-token".into()));
        assert!(!format!("{c:?}").contains("secret"));
    }
}
