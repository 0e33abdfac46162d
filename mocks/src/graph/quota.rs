//! Resource Graph's per-user quota: at most N queries per time window, per caller (the mock
//! keys callers by bearer token). Unlike ARM's token bucket, which the mock only reports, this
//! one is enforced: a client must read `x-ms-user-quota-remaining` /
//! `x-ms-user-quota-resets-after` and wait, or be answered 429
//! (<https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests>).

use crate::config::GraphQuota;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The outcome of one query against the caller's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The query may run; this many remain in the window, which resets after the duration.
    Allowed {
        remaining: u32,
        resets_after: Duration,
    },
    /// None left: 429 until the window resets.
    Exhausted { resets_after: Duration },
}

impl Decision {
    /// The `x-ms-user-quota-*` headers every Resource Graph answer carries.
    pub fn headers(&self) -> [(&'static str, String); 2] {
        let (remaining, resets) = match *self {
            Decision::Allowed {
                remaining,
                resets_after,
            } => (remaining, resets_after),
            Decision::Exhausted { resets_after } => (0, resets_after),
        };
        [
            ("x-ms-user-quota-remaining", remaining.to_string()),
            ("x-ms-user-quota-resets-after", hms(resets)),
        ]
    }
}

/// A fixed window per caller, started by the caller's first query after the last reset.
#[derive(Debug)]
struct Window {
    started: Instant,
    used: u32,
}

/// Quota state of every caller.
#[derive(Debug)]
pub(crate) struct Quota {
    cfg: GraphQuota,
    callers: Mutex<HashMap<String, Window>>,
}

impl Quota {
    pub fn new(cfg: GraphQuota) -> Quota {
        Quota {
            cfg,
            callers: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one query of `caller` at `now`. Refused queries do not count.
    pub fn take(&self, caller: &str, now: Instant) -> Decision {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable.
        let mut callers = self.callers.lock().unwrap_or_else(|e| e.into_inner());
        let w = callers.entry(caller.to_owned()).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.saturating_duration_since(w.started) >= self.cfg.window {
            *w = Window {
                started: now,
                used: 0,
            };
        }
        let resets_after = self
            .cfg
            .window
            .saturating_sub(now.saturating_duration_since(w.started));
        if w.used >= self.cfg.queries {
            return Decision::Exhausted { resets_after };
        }
        w.used += 1;
        Decision::Allowed {
            remaining: self.cfg.queries - w.used,
            resets_after,
        }
    }
}

/// `hh:mm:ss`, rounded up: a client that waits that long never arrives before the reset.
pub(crate) fn hms(d: Duration) -> String {
    let s = ceil_secs(d);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// Whole seconds, rounded up.
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_per_caller_and_resets_with_the_window() {
        let q = Quota::new(GraphQuota {
            queries: 2,
            window: Duration::from_secs(5),
        });
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(
            q.take("a", at(0)),
            Decision::Allowed {
                remaining: 1,
                resets_after: Duration::from_secs(5)
            }
        );
        assert_eq!(
            q.take("a", at(1000)),
            Decision::Allowed {
                remaining: 0,
                resets_after: Duration::from_secs(4)
            }
        );
        assert_eq!(
            q.take("a", at(1500)),
            Decision::Exhausted {
                resets_after: Duration::from_millis(3500)
            }
        );
        // Another caller has its own quota.
        assert!(matches!(
            q.take("b", at(1500)),
            Decision::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            q.take("a", at(5000)),
            Decision::Allowed { remaining: 1, .. }
        ));
    }

    #[test]
    fn formats_hh_mm_ss_rounding_up() {
        assert_eq!(hms(Duration::from_millis(3500)), "00:00:04");
        assert_eq!(hms(Duration::from_secs(5)), "00:00:05");
        assert_eq!(hms(Duration::from_secs(3723)), "01:02:03");
        assert_eq!(hms(Duration::ZERO), "00:00:00");
        let h = Decision::Exhausted {
            resets_after: Duration::from_millis(10),
        }
        .headers();
        assert_eq!(h[0].1, "0");
        assert_eq!(h[1].1, "00:00:01");
    }
}
