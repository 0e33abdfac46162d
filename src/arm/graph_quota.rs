//! Resource Graph's per-user query quota, shared by queries that run side by side.
//! <https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests>
//!
//! Every response says how many queries are left in the window (`x-ms-user-quota-remaining`)
//! and when the window resets (`x-ms-user-quota-resets-after`, `hh:mm:ss`). A query is sent only
//! while the last answer leaves room for it beside those already in flight. While no answer is
//! known (the start, or a window that has reset since), at most [`OPENING`] queries that open a
//! chain of pages go side by side and any other query goes alone; the rest wait for headers (an
//! answer without them lifts that wait). Answers can come back in another order than the
//! service counted them, so within a window the smallest `remaining` seen stands. Each query holds a [`Ticket`] until its answer arrives; a ticket
//! dropped without an answer (an error) frees its place.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
// tokio's clock, which tests can pause and advance.
use tokio::time::Instant;

/// Queries that may be in flight before any answer has said what the quota is, when each opens
/// a chain of pages (`Quota::opening_ticket`). Microsoft's "Query in parallel" sample sends its
/// groups' first queries side by side with nothing known; three (a fifth of the 15 per 5 s in
/// Microsoft's example) lets the three chains that grow with the estate start together instead
/// of one round trip apart, and a 429 there is waited out as `Retry-After` says.
pub(crate) const OPENING: u64 = 3;

#[derive(Debug, Default)]
struct State {
    /// The last answer: queries left after it, and when the window resets.
    known: Option<(u64, Instant)>,
    /// Queries sent and not yet answered.
    in_flight: u64,
    /// The last answer carried no quota headers: nothing to wait for (the client's
    /// `--concurrency` still bounds the queries).
    unmetered: bool,
}

/// How a query ended, for the quota.
enum End {
    /// Answered with both quota headers.
    Quota(u64, Instant),
    /// Answered without them.
    Unmetered,
    /// Not answered (an error): it frees its place only.
    Failed,
}

/// What a query waits for before it may be sent.
enum Wait {
    /// Another query's answer (no quota known yet).
    Answer,
    /// The window's reset.
    Reset(Instant),
}

/// The quota every Resource Graph query of one collection shares.
#[derive(Debug, Default)]
pub(crate) struct Quota {
    state: Mutex<State>,
    answered: Notify,
}

/// A query's place in the quota, from sending until its answer (or its failure).
pub(crate) struct Ticket<'q> {
    quota: &'q Quota,
    open: bool,
}

impl Quota {
    /// Waits until one more query may be sent, and takes its place.
    pub(crate) async fn ticket(&self) -> Ticket<'_> {
        self.take(1).await
    }

    /// As [`Quota::ticket`], for the first page of a chain: while nothing is known, up to
    /// [`OPENING`] such queries go side by side.
    pub(crate) async fn opening_ticket(&self) -> Ticket<'_> {
        self.take(OPENING).await
    }

    /// `unknown`: how many may be in flight while no answer has told the quota.
    async fn take(&self, unknown: u64) -> Ticket<'_> {
        loop {
            // Registered before the state is read, so an answer in between is not missed.
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                let wait = match s.known {
                    Some((left, reset)) if reset > now => {
                        (left <= s.in_flight).then_some(Wait::Reset(reset))
                    }
                    _ => (s.in_flight >= unknown && !s.unmetered).then_some(Wait::Answer),
                };
                if wait.is_none() {
                    s.in_flight += 1;
                    return Ticket {
                        quota: self,
                        open: true,
                    };
                }
                wait
            };
            match wait {
                Some(Wait::Reset(t)) => {
                    tracing::info!(
                        wait_ms = t.saturating_duration_since(Instant::now()).as_millis() as u64,
                        "Resource Graph quota exhausted; waiting"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep_until(t) => {}
                        _ = answered => {}
                    }
                }
                _ => answered.await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding it: take it back.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn close(&self, end: End) {
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            match end {
                End::Quota(l, r) => {
                    s.unmetered = false;
                    s.known = match s.known {
                        // Answers can arrive out of the order the service counted them:
                        // within a window still open, the fewest left is the truth.
                        Some((left, reset)) if reset > Instant::now() => {
                            Some((left.min(l), reset.max(r)))
                        }
                        _ => Some((l, r)),
                    };
                }
                End::Unmetered => s.unmetered = true,
                End::Failed => {}
            }
        }
        self.answered.notify_waiters();
    }
}

impl Ticket<'_> {
    /// The query was answered: its quota headers (if both are there) become what is known.
    pub(crate) fn answered(mut self, headers: &reqwest::header::HeaderMap) {
        self.open = false;
        self.quota.close(match read_headers(headers) {
            Some((left, reset)) => End::Quota(left, reset),
            None => End::Unmetered,
        });
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.open {
            self.quota.close(End::Failed);
        }
    }
}

fn read_headers(headers: &reqwest::header::HeaderMap) -> Option<(u64, Instant)> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let remaining = get("x-ms-user-quota-remaining")?.parse::<u64>().ok()?;
    let resets = parse_hms(get("x-ms-user-quota-resets-after")?)?;
    Some((remaining, Instant::now() + resets))
}

/// `hh:mm:ss` (as in `x-ms-user-quota-resets-after`).
pub(crate) fn parse_hms(s: &str) -> Option<Duration> {
    let mut parts = s.split(':').map(|p| p.trim().parse::<f64>());
    let (h, m, sec) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    if parts.next().is_some() || !(h >= 0.0 && m >= 0.0 && sec >= 0.0) {
        return None;
    }
    Duration::try_from_secs_f64(h * 3600.0 + m * 60.0 + sec).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::sync::Arc;

    fn headers(left: u64, resets: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ms-user-quota-remaining", HeaderValue::from(left));
        if let Ok(v) = HeaderValue::from_str(resets) {
            h.insert("x-ms-user-quota-resets-after", v);
        }
        h
    }

    #[test]
    fn quota_reset_format() {
        assert_eq!(parse_hms("00:00:03"), Some(Duration::from_secs(3)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("00:00:00.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_hms("3"), None);
        assert_eq!(parse_hms("00:00:NaN"), None);
        assert_eq!(parse_hms("00:00:1e300"), None);
    }

    /// Unknown quota: one query alone; known: as many side by side as it leaves.
    #[tokio::test(start_paused = true)]
    async fn queries_share_what_the_last_answer_leaves() {
        let q = Arc::new(Quota::default());
        let first = q.ticket().await;
        // A second query waits for the first answer.
        let waiting = tokio::spawn({
            let q = q.clone();
            async move {
                let t = q.ticket().await;
                drop(t);
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiting.is_finished(), "sent before the quota was known");
        first.answered(&headers(2, "00:00:05"));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(waiting.is_finished());
        // Two left: two in flight, the third waits for the reset.
        let a = q.ticket().await;
        let b = q.ticket().await;
        let start = tokio::time::Instant::now();
        let third = tokio::spawn({
            let q = q.clone();
            async move {
                let t = q.ticket().await;
                drop(t);
                tokio::time::Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !third.is_finished(),
            "a third query beside two with two left"
        );
        a.answered(&headers(1, "00:00:05"));
        b.answered(&headers(0, "00:00:05"));
        let sent = third.await.unwrap_or(start);
        assert!(
            sent - start >= Duration::from_secs(4),
            "waited {:?}",
            sent - start
        );
    }

    /// Unknown quota: up to `OPENING` queries that open a chain go side by side; one more, of
    /// either kind, waits for an answer.
    #[tokio::test(start_paused = true)]
    async fn chains_open_side_by_side_before_the_quota_is_known() {
        let q = Arc::new(Quota::default());
        let mut open = Vec::new();
        for n in 0..OPENING {
            let t = tokio::time::timeout(Duration::from_millis(10), q.opening_ticket()).await;
            open.push(t.unwrap_or_else(|_| panic!("opening query {n} waited")));
        }
        let more = tokio::time::timeout(Duration::from_millis(10), q.opening_ticket()).await;
        assert!(
            more.is_err(),
            "more than {OPENING} queries before any answer"
        );
        let plain = tokio::time::timeout(Duration::from_millis(10), q.ticket()).await;
        assert!(
            plain.is_err(),
            "a page beside the opening queries before any answer"
        );
        let first = open.remove(0);
        first.answered(&headers(10, "00:00:05"));
        let after = tokio::time::timeout(Duration::from_millis(10), q.ticket()).await;
        assert!(
            after.is_ok(),
            "still waiting with the quota known and room left"
        );
    }

    /// A failed query (ticket dropped unanswered) frees its place.
    #[tokio::test(start_paused = true)]
    async fn a_failed_query_frees_its_place() {
        let q = Quota::default();
        drop(q.ticket().await);
        let again = tokio::time::timeout(Duration::from_millis(10), q.ticket()).await;
        assert!(again.is_ok(), "a dropped ticket still held the only place");
    }

    /// Counted last by the service but answered first: the later, larger `remaining` does not
    /// reopen the window.
    #[tokio::test(start_paused = true)]
    async fn answers_out_of_order_keep_the_fewest_left() {
        let q = Quota::default();
        q.ticket().await.answered(&headers(3, "00:00:05"));
        let (a, b) = (q.ticket().await, q.ticket().await);
        b.answered(&headers(0, "00:00:05"));
        a.answered(&headers(1, "00:00:05"));
        let early = tokio::time::timeout(Duration::from_secs(1), q.ticket()).await;
        assert!(early.is_err(), "sent with none left in the window");
        let later = tokio::time::timeout(Duration::from_secs(10), q.ticket()).await;
        assert!(later.is_ok(), "still waiting after the reset");
    }

    /// An answer without quota headers (a proxy, an older endpoint): queries are not held to
    /// one at a time for want of a number.
    #[tokio::test(start_paused = true)]
    async fn answers_without_quota_headers_do_not_serialise_queries() {
        let q = Quota::default();
        q.ticket().await.answered(&HeaderMap::new());
        let a = q.ticket().await;
        let b = tokio::time::timeout(Duration::from_millis(10), q.ticket()).await;
        assert!(b.is_ok(), "a second query waited with no quota to wait for");
        drop(a);
    }
}
