//! The ARM transport: one `reqwest` client on tokio, a concurrency limit, bounded retries
//! (429 waits exactly as long as `Retry-After` says, 5xx and connection failures back off
//! exponentially with jitter), a per-request timeout, and generic `nextLink` paging that never
//! leaves the ARM endpoint's origin. The bearer token goes only to that origin.
//! <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;

use super::auth::Authenticator;
use super::request::same_origin;
use crate::model::{DiagLevel, Diagnostic};

/// Where bearer tokens come from.
#[derive(Clone)]
pub enum Credential {
    Azure(Arc<Authenticator>),
    /// A fixed token (tests, and `RDPAUDIT_TOKEN`-style integrations). Never printed.
    Static(Arc<String>),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::Azure(_) => "Credential::Azure",
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
            Credential::Static(t) => Ok(t.to_string()),
        }
    }
}

/// Retry and timeout bounds.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (429, 5xx, connection failures).
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this gives up instead of waiting.
    pub max_retry_after: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            timeout: Duration::from_secs(60),
        }
    }
}

/// A failed ARM request, with everything needed to act on it (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    pub method: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.method, self.url)?;
        if let Some(s) = self.status {
            write!(f, "HTTP {s} ")?;
        }
        if let Some(c) = &self.code {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(r) = &self.request_id {
            write!(f, " (x-ms-request-id {r})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ArmError {}

impl ArmError {
    fn new(url: &Url, message: impl Into<String>) -> ArmError {
        ArmError {
            method: "GET",
            url: url.to_string(),
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
        }
    }

    /// The diagnostic a report carries for this failure.
    pub fn diagnostic(&self, level: DiagLevel, scope: &str) -> Diagnostic {
        Diagnostic {
            level,
            scope: Some(scope.to_string()),
            message: format!("{} {}: {}", self.method, self.url, self.message),
            status: self.status,
            code: self.code.clone(),
            request_id: self.request_id.clone(),
        }
    }

    pub fn is_auth(&self) -> bool {
        self.status == Some(401)
    }

    /// "This type does not exist here": the provider is not registered or the type answers 404.
    pub fn means_none(&self) -> bool {
        // A missing subscription or resource group is an error in the scope, not "no resources".
        let scope_missing = matches!(
            self.code.as_deref(),
            Some("SubscriptionNotFound" | "ResourceGroupNotFound")
        );
        (matches!(self.status, Some(404)) && !scope_missing)
            || matches!(
                self.code.as_deref(),
                Some(
                    "MissingSubscriptionRegistration"
                        | "NoRegisteredProviderFound"
                        | "InvalidResourceType"
                )
            )
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    value: Option<Vec<Box<RawValue>>>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

/// Items of a paged list, and why paging stopped early (a diagnostic), if it did.
#[derive(Debug, Default)]
pub struct Listed {
    pub items: Vec<Box<RawValue>>,
    pub pages: usize,
    pub stopped: Option<Diagnostic>,
}

/// The most pages one list may take (1,000 items each at most: a million resources).
pub const MAX_PAGES: usize = 1000;

/// Told the number of responses so far, after each one (the CLI draws progress with it).
pub type Observer = Arc<dyn Fn(usize) + Send + Sync>;

pub struct ArmClient {
    http: reqwest::Client,
    base: Url,
    credential: Credential,
    permits: Arc<Semaphore>,
    policy: RetryPolicy,
    sent: AtomicUsize,
    done: AtomicUsize,
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
    pub fn new(
        base: Url,
        credential: Credential,
        concurrency: usize,
        policy: RetryPolicy,
    ) -> Result<ArmClient, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("rdpaudit/", env!("CARGO_PKG_VERSION")))
            // Redirects could carry the Authorization header elsewhere: never follow them.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(ArmClient {
            http,
            base,
            credential,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            policy,
            sent: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            observer: std::sync::Mutex::new(None),
        })
    }

    /// Calls `f` after each response (progress display).
    pub fn with_observer(self, f: Observer) -> ArmClient {
        self.set_observer(f);
        self
    }

    /// Like [`with_observer`](Self::with_observer), on a shared client.
    pub fn set_observer(&self, f: Observer) {
        if let Ok(mut o) = self.observer.lock() {
            *o = Some(f);
        }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Requests sent so far (retries included).
    pub fn requests_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
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
    pub async fn get(&self, url: &Url) -> Result<Vec<u8>, ArmError> {
        self.send(url, None, Retry::All).await.map(|r| r.body)
    }

    /// GET with retries, keeping the status and headers (long-running operation polls, where
    /// 202 and 200 mean different things).
    pub async fn get_reply(&self, url: &Url) -> Result<Reply, ArmError> {
        self.send(url, None, Retry::All).await
    }

    /// POST a JSON body (Resource Graph queries are reads sent as POST), with the same retries.
    /// Returns the response headers too (Resource Graph reports its quota there).
    pub async fn post(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), ArmError> {
        self.send(url, Some(body), Retry::All)
            .await
            .map(|r| (r.body, r.headers))
    }

    /// POST an action that starts something (Run Command). Retried only when ARM said it did
    /// not take it (429); a dropped connection or a 5xx may have started it already, and a
    /// second start would collide with the first (409).
    pub async fn post_action(
        &self,
        url: &Url,
        body: &serde_json::Value,
    ) -> Result<Reply, ArmError> {
        self.send(url, Some(body), Retry::ThrottledOnly).await
    }

    async fn send(
        &self,
        url: &Url,
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Result<Reply, ArmError> {
        if !same_origin(&self.base, url) {
            return Err(ArmError::new(
                url,
                format!(
                    "refused: {} is not the ARM endpoint {}; the token is only sent there",
                    url.host_str().unwrap_or("?"),
                    self.base.host_str().unwrap_or("?")
                ),
            ));
        }
        let mut attempt = 0u32;
        loop {
            let outcome = self.attempt(url, body).await;
            let wait = match outcome {
                Ok(body) => return Ok(body),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Retry(e, _))
                    if retry == Retry::ThrottledOnly && e.status != Some(429) =>
                {
                    return Err(e)
                }
                Err(Failure::Retry(e, wait)) => {
                    if attempt >= self.policy.max_retries {
                        return Err(ArmError {
                            message: format!(
                                "{} (gave up after {} attempts)",
                                e.message,
                                attempt + 1
                            ),
                            ..e
                        });
                    }
                    match wait {
                        Some(w) if w > self.policy.max_retry_after => {
                            return Err(ArmError {
                                message: format!(
                                    "{} (Retry-After {}s is longer than the retry budget)",
                                    e.message,
                                    w.as_secs()
                                ),
                                ..e
                            })
                        }
                        // 429: exactly as told, never earlier.
                        Some(w) => w,
                        None => self.backoff(attempt),
                    }
                }
            };
            tracing::debug!(url = %url, attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, url: &Url, body: Option<&serde_json::Value>) -> Result<Reply, Failure> {
        let method = if body.is_some() { "POST" } else { "GET" };
        let permit = self.permits.acquire().await.map_err(|_| {
            Failure::Final(ArmError {
                method,
                ..ArmError::new(url, "the client is shutting down")
            })
        })?;
        let token = self.credential.bearer().await.map_err(|e| {
            Failure::Final(ArmError {
                method,
                status: Some(401),
                ..ArmError::new(url, e)
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
        let sent = request
            .bearer_auth(token)
            .timeout(self.policy.timeout)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                };
                return Err(Failure::Retry(
                    ArmError {
                        method,
                        ..ArmError::new(url, format!("{why}: {}", root_cause(&e)))
                    },
                    None,
                ));
            }
        };
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
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                return Err(Failure::Retry(
                    ArmError {
                        method,
                        ..ArmError::new(
                            url,
                            format!("reading the response failed: {}", root_cause(&e)),
                        )
                    },
                    None,
                ))
            }
        };
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
            method,
            url: url.to_string(),
            status: Some(status.as_u16()),
            code: detail.as_ref().and_then(|d| d.code.clone()),
            message: detail
                .and_then(|d| d.message)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string()),
            request_id,
        };
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => Failure::Retry(err, retry_after),
            s if s.is_server_error() => Failure::Retry(err, retry_after),
            _ => Failure::Final(err),
        })
    }

    /// Follows `nextLink` verbatim, but only on the ARM origin, at most [`MAX_PAGES`] pages, and
    /// never the same link twice. A refused or looping link stops paging with a diagnostic.
    pub async fn list(&self, first: &Url, scope: &str) -> Result<Listed, ArmError> {
        let mut out = Listed::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut url = first.clone();
        loop {
            let body = self.get(&url).await?;
            let page: Page = serde_json::from_slice(&body).map_err(|e| {
                ArmError::new(&url, format!("the response is not an ARM list: {e}"))
            })?;
            out.pages += 1;
            out.items.extend(page.value.unwrap_or_default());
            let Some(next) = page.next_link.filter(|s| !s.trim().is_empty()) else {
                return Ok(out);
            };
            let stop = |why: String| Diagnostic {
                level: DiagLevel::Warning,
                scope: Some(scope.to_string()),
                message: format!("{why}; the list may be incomplete"),
                status: None,
                code: Some("PagingStopped".into()),
                request_id: None,
            };
            let next_url = match Url::parse(&next) {
                Ok(u) => u,
                Err(_) => {
                    out.stopped = Some(stop(format!("nextLink \"{next}\" is not a URL")));
                    return Ok(out);
                }
            };
            if !same_origin(&self.base, &next_url) {
                out.stopped = Some(stop(format!(
                    "refused a nextLink to {} (not the ARM endpoint): nothing was sent there",
                    next_url.host_str().unwrap_or("?")
                )));
                return Ok(out);
            }
            if !seen.insert(next.clone()) {
                out.stopped = Some(stop("nextLink repeats an earlier page (loop)".into()));
                return Ok(out);
            }
            if out.pages >= MAX_PAGES {
                out.stopped = Some(stop(format!("more than {MAX_PAGES} pages")));
                return Ok(out);
            }
            url = next_url;
        }
    }
}

/// A successful (2xx) response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value as text, when present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
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
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
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
    fn errors_never_show_the_token_and_say_everything_else() {
        let e = ArmError {
            method: "GET",
            url: "https://management.azure.com/subscriptions/s?api-version=1".into(),
            status: Some(403),
            code: Some("AuthorizationFailed".into()),
            message: "no".into(),
            request_id: Some("abc".into()),
        };
        assert_eq!(
            e.to_string(),
            "GET https://management.azure.com/subscriptions/s?api-version=1: HTTP 403 AuthorizationFailed: no (x-ms-request-id abc)"
        );
        let c = Credential::Static(Arc::new("secret-token".into()));
        assert!(!format!("{c:?}").contains("secret"));
    }
}
