//! Deciding which fault a request gets. Counters are atomics; randomness comes from a generator
//! seeded with (seed, request number), so a given request number always gets the same dice
//! whatever other requests ran concurrently.

use crate::config::{Faults, RetryAfter, Throttle, ThrottleMode};
use crate::http::{Ctx, Reply};
use crate::routes::Route;
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub use crate::dice::{rng_for, uuid_like};
pub use crate::fault_kinds::{ChaosMode, EmptyPage, GraphPageFault, NextLinkFault};

/// A fault decided for one request before it reaches the resource handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Injected {
    /// Close the connection without answering.
    Drop,
    /// 500 `InternalServerError` or 503 `ServiceUnavailable`.
    ServerError(u16),
}

impl Injected {
    /// Short label for the request log.
    pub fn label(&self) -> String {
        match self {
            Injected::Drop => "drop".into(),
            Injected::ServerError(s) => format!("error{s}"),
        }
    }
}

/// Fault configuration plus the counters it needs.
#[derive(Debug)]
pub(crate) struct FaultState {
    pub cfg: Faults,
    seed: u64,
    /// ARM requests seen (1-based numbers are handed out).
    requests: AtomicU64,
    /// Requests eligible for throttling seen.
    throttle_eligible: AtomicU64,
}

impl FaultState {
    pub fn new(cfg: Faults, seed: u64) -> Self {
        FaultState {
            cfg,
            seed,
            requests: AtomicU64::new(0),
            throttle_eligible: AtomicU64::new(0),
        }
    }

    /// Numbers the next ARM request and returns its number and its private random generator.
    pub fn next_request(&self) -> (u64, Xoshiro256PlusPlus) {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        (n, rng_for(self.seed, n))
    }

    /// The random fault (`Faults::chaos`) this request gets, if any.
    pub fn chaos(&self, rng: &mut Xoshiro256PlusPlus) -> Option<ChaosMode> {
        self.cfg.chaos.as_ref().and_then(|c| c.pick(rng))
    }

    /// Whether request `n` loses its connection.
    pub fn drop_connection(&self, n: u64, rng: &mut Xoshiro256PlusPlus) -> bool {
        n <= self.cfg.drop_first || chance(rng, self.cfg.drop_rate)
    }

    /// Whether request `n` (for `resource_type`, lower-cased, if known; at `path`) is
    /// throttled, and with which `Retry-After` value.
    pub fn throttle(&self, resource_type: Option<&str>, path: &str) -> Option<String> {
        let t: &Throttle = self.cfg.throttle.as_ref()?;
        if let Some(only) = &t.resource_type {
            if !resource_type.is_some_and(|rt| rt.eq_ignore_ascii_case(only)) {
                return None;
            }
        }
        if let Some(text) = &t.path_contains {
            if !path
                .to_ascii_lowercase()
                .contains(&text.to_ascii_lowercase())
            {
                return None;
            }
        }
        let k = self.throttle_eligible.fetch_add(1, Ordering::SeqCst) + 1;
        let hit = match t.mode {
            ThrottleMode::First(first) => k <= first,
            ThrottleMode::Every(every) => every > 0 && k % every == 0,
        };
        hit.then(|| retry_after_value(t.retry_after, SystemTime::now()))
    }

    /// Whether request `n` fails with a server error, and which status.
    pub fn server_error(&self, n: u64, rng: &mut Xoshiro256PlusPlus) -> Option<u16> {
        let hit = n <= self.cfg.error_first || chance(rng, self.cfg.error_rate);
        hit.then(|| if rng.random_bool(0.5) { 500 } else { 503 })
    }
}

fn type_matches(rule: &str, resource_type: Option<&str>) -> bool {
    rule == "*" || resource_type.is_some_and(|t| t.eq_ignore_ascii_case(rule))
}

impl FaultState {
    /// Whether a request for `resource_type` is accepted and never answered.
    pub fn hang(&self, resource_type: Option<&str>) -> bool {
        self.cfg
            .hang
            .as_deref()
            .is_some_and(|rule| type_matches(rule, resource_type))
    }

    /// Reshapes a successful answer according to the body faults: oversized bodies, lists
    /// without their array, `/subscriptions` `nextLink`s, Resource Graph pages.
    pub fn reshape(&self, ctx: &Ctx<'_>, route: &Route, reply: Reply) -> Reply {
        if reply.status != 200 {
            return reply;
        }
        let rt = route.resource_type();
        if let Some((rule, bytes)) = &self.cfg.oversized {
            if type_matches(rule, rt.as_deref()) {
                return padded(r#"{"value":[],"padding":""#, *bytes).with_fault("oversized");
            }
        }
        match route {
            Route::List { .. } => {
                let later = ctx.query.get("$skiptoken").is_some();
                let shape = (self.cfg.empty_pages.iter())
                    .chain(self.cfg.later_empty_pages.iter().filter(|_| later))
                    .find(|(t, _)| type_matches(t, rt.as_deref()))
                    .map(|(_, s)| *s);
                match shape {
                    Some(s) => empty_page(reply, s),
                    None => reply,
                }
            }
            Route::ListSubscriptions => match self.cfg.subscriptions_next_link {
                Some(f) => subscriptions_next_link(ctx, reply, f),
                None => reply,
            },
            Route::Graph => match self.cfg.graph_page {
                Some(f) => graph_page(ctx, reply, f),
                None => reply,
            },
            _ => reply,
        }
    }

    /// Reshapes a managed-identity token answer (status or size faults).
    pub fn reshape_token(&self, reply: Reply) -> Reply {
        if let Some(status) = self.cfg.token_status {
            let body = json!({
                "statusCode": status,
                "message": "An unexpected error occured while fetching the AAD Token.",
                "correlationId": "0d6a1a52-0000-4000-8000-000000000000"
            });
            let mut r = Reply::ok(body.to_string()).with_fault("tokenStatus");
            r.status = status;
            return r;
        }
        match self.cfg.token_oversized {
            Some(bytes) if reply.status == 200 => {
                padded(r#"{"access_token":"x","padding":""#, bytes).with_fault("tokenOversized")
            }
            _ => reply,
        }
    }
}

/// `head` + spaces + `"}`: valid JSON of `bytes` bytes (at least the head).
fn padded(head: &str, bytes: usize) -> Reply {
    let mut body = String::with_capacity(bytes.max(head.len() + 2));
    body.push_str(head);
    body.push_str(&" ".repeat(bytes.saturating_sub(head.len() + 2)));
    body.push_str("\"}");
    Reply::ok(body)
}

fn with_json(reply: Reply, fault: &str, edit: impl FnOnce(&mut Value)) -> Reply {
    let Ok(mut v) = serde_json::from_str::<Value>(&reply.body) else {
        return reply;
    };
    edit(&mut v);
    let mut out = Reply::ok(v.to_string()).with_fault(fault);
    out.headers = reply.headers;
    out
}

pub(crate) fn empty_page(reply: Reply, shape: EmptyPage) -> Reply {
    let body = match shape {
        EmptyPage::NoValue => json!({}),
        EmptyPage::NullValue => json!({"value": null}),
        EmptyPage::ErrorBody => json!({"error": {
            "code": "InternalServerError",
            "message": "The server encountered an internal error."
        }}),
    };
    let mut out = Reply::ok(body.to_string()).with_fault("emptyPage");
    out.headers = reply.headers;
    out
}

fn subscriptions_next_link(ctx: &Ctx<'_>, reply: Reply, f: NextLinkFault) -> Reply {
    let version = ctx.query.get("api-version").unwrap_or_default();
    let first_page = ctx.query.get("$skiptoken").is_none();
    let link = match f {
        NextLinkFault::Foreign if first_page => {
            let host = ctx
                .cfg
                .faults
                .foreign_host
                .as_deref()
                .unwrap_or(crate::config::DEFAULT_FOREIGN_HOST);
            format!(
                "{}/subscriptions?api-version={version}&$skiptoken=1",
                host.trim_end_matches('/')
            )
        }
        NextLinkFault::Foreign => return reply,
        NextLinkFault::SelfLoop => format!("{}/subscriptions?api-version={version}", ctx.base_url),
    };
    with_json(reply, "subscriptionsNextLink", |v| {
        v["nextLink"] = Value::String(link);
    })
}

fn graph_page(ctx: &Ctx<'_>, reply: Reply, f: GraphPageFault) -> Reply {
    match f {
        GraphPageFault::NoData => with_json(reply, "graphNoData", |v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("data");
            }
        }),
        GraphPageFault::Truncated => with_json(reply, "graphTruncated", |v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("$skipToken");
                o.insert("resultTruncated".into(), json!("true"));
            }
        }),
        GraphPageFault::RepeatSkipToken => {
            let asked = serde_json::from_slice::<Value>(ctx.body)
                .ok()
                .and_then(|b| b["options"]["$skipToken"].as_str().map(str::to_owned));
            match asked {
                Some(t) => with_json(reply, "graphRepeatSkipToken", |v| {
                    v["$skipToken"] = Value::String(t);
                }),
                None => reply,
            }
        }
    }
}

fn chance(rng: &mut Xoshiro256PlusPlus, p: f64) -> bool {
    // Always draw, so the sequence of later draws does not depend on whether a rate is set.
    let x: f64 = rng.random();
    p > 0.0 && x < p
}

/// The `Retry-After` header value. An HTTP-date has one-second resolution, so the date is
/// rounded *up*: a client that waits until that date never retries early.
pub(crate) fn retry_after_value(r: RetryAfter, now: SystemTime) -> String {
    match r {
        RetryAfter::Seconds(s) => s.to_string(),
        RetryAfter::HttpDate(s) => {
            let since = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            let whole = since.as_secs() + s + u64::from(since.subsec_nanos() > 0);
            httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(whole))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_first_and_every_count_only_eligible_requests() {
        let st = FaultState::new(
            Faults::none()
                .throttle(Throttle::first(2).only_type("Microsoft.Network/networkInterfaces")),
            1,
        );
        assert!(st
            .throttle(Some("microsoft.compute/virtualmachines"), "")
            .is_none());
        assert!(st
            .throttle(Some("microsoft.network/networkinterfaces"), "")
            .is_some());
        assert!(st
            .throttle(Some("microsoft.network/networkinterfaces"), "")
            .is_some());
        assert!(st
            .throttle(Some("microsoft.network/networkinterfaces"), "")
            .is_none());

        let st = FaultState::new(Faults::none().throttle(Throttle::every(3)), 1);
        let hits: Vec<bool> = (0..6).map(|_| st.throttle(None, "").is_some()).collect();
        assert_eq!(hits, [false, false, true, false, false, true]);
    }

    #[test]
    fn a_throttle_limited_to_a_path_counts_only_requests_there() {
        let only = Throttle::first(1).only_type("t").only_path("VNet-B/");
        let st = FaultState::new(Faults::none().throttle(only), 1);
        assert!(st
            .throttle(Some("t"), "/x/virtualNetworks/vnet-a/list")
            .is_none());
        assert!(st
            .throttle(Some("u"), "/x/virtualNetworks/vnet-b/list")
            .is_none());
        assert!(st
            .throttle(Some("t"), "/x/virtualNetworks/vnet-b/list")
            .is_some());
        assert!(st
            .throttle(Some("t"), "/x/virtualNetworks/vnet-b/list")
            .is_none());
    }

    #[test]
    fn rates_are_deterministic_per_seed() {
        let faults = Faults::none().error_rate(0.3).drop_rate(0.2);
        let run = |seed| {
            let st = FaultState::new(faults.clone(), seed);
            (0..200)
                .map(|_| {
                    let (n, mut rng) = st.next_request();
                    (
                        st.drop_connection(n, &mut rng),
                        st.server_error(n, &mut rng),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let errors = run(7).iter().filter(|(_, e)| e.is_some()).count();
        assert!(
            (30..=90).contains(&errors),
            "{errors} errors of 200 at rate 0.3"
        );
    }

    #[test]
    fn http_date_retry_after_rounds_up() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        let v = retry_after_value(RetryAfter::HttpDate(2), now);
        let parsed = httpdate::parse_http_date(&v).expect("valid HTTP-date");
        assert_eq!(
            parsed,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_003)
        );
        assert_eq!(retry_after_value(RetryAfter::Seconds(5), now), "5");
    }

    #[test]
    fn uuid_like_has_uuid_shape() {
        let id = uuid_like(&mut rng_for(0, 1));
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn padded_bodies_are_json_of_the_asked_size_and_pages_lose_their_array() {
        let r = padded(r#"{"value":[],"padding":""#, 4096);
        assert_eq!(r.body.len(), 4096);
        let v: Value = serde_json::from_str(&r.body).expect("valid JSON");
        assert_eq!(v["value"], json!([]));
        let ok = Reply::ok(r#"{"value":[1]}"#.into());
        for (shape, want) in [
            (EmptyPage::NoValue, json!({})),
            (EmptyPage::NullValue, json!({"value": null})),
        ] {
            let got: Value = serde_json::from_str(&empty_page(ok.clone(), shape).body).unwrap();
            assert_eq!(got, want);
        }
        let err: Value = serde_json::from_str(&empty_page(ok, EmptyPage::ErrorBody).body).unwrap();
        assert!(err.get("value").is_none() && err["error"]["code"].is_string());
    }
}
