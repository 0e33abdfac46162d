//! Azure Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources` (api-version
//! 2024-04-01), answering the query shapes rdpaudit sends (the KQL subset in [`kql`]) over the
//! stored resources in Resource Graph's row shape ([`rows`]), with `$top` / `$skip` /
//! `$skipToken` paging ([`token`]), subscription, management-group and tenant scopes, both
//! result formats, and the per-caller quota ([`quota`], enforced in `server`).
//!
//! Shapes follow the 2024-04-01 swagger and its examples (`QueryRequest`, `QueryResponse`:
//! `resultTruncated` is a string, `facets` always present). Error bodies follow what Resource
//! Graph is seen to send: `{"error": {"code": "BadRequest", "message": "Please provide below
//! info when asking for support: timestamp = …, correlationId = ….", "details": [{"code", "message"}]}}`.

mod kql;
mod quota;
mod token;

pub(crate) use quota::{ceil_secs, Decision, Quota};

use crate::http::{Ctx, Reply};
use crate::rows::Column;
use crate::store::Store;
use kql::Query;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use token::{fingerprint, SkipToken};

/// The request body (`QueryRequest`). `allowPartialScopes` and `authorizationScopeFilter` are
/// accepted and have no effect: the mock has no subscription limit and no management-group
/// hierarchy above subscriptions.
#[derive(Debug, Deserialize)]
struct QueryRequest {
    #[serde(default)]
    subscriptions: Option<Vec<String>>,
    #[serde(default, rename = "managementGroups")]
    management_groups: Option<Vec<String>>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    options: Option<QueryOptions>,
    #[serde(default)]
    facets: Option<Vec<Value>>,
}

/// `QueryRequestOptions`. Integers are read wide so out-of-range values get Resource Graph's
/// 400 rather than a deserialisation error.
#[derive(Debug, Default, Deserialize)]
struct QueryOptions {
    #[serde(default, rename = "$top")]
    top: Option<i64>,
    #[serde(default, rename = "$skip")]
    skip: Option<i64>,
    #[serde(default, rename = "$skipToken")]
    skip_token: Option<String>,
    #[serde(default, rename = "resultFormat")]
    result_format: Option<String>,
}

/// What a query runs over.
struct Scope {
    /// `subscriptions`, `managementGroups` or `tenant`: part of the skip-token fingerprint.
    kind: &'static str,
    /// The names as given (subscription ids or management group names).
    names: Vec<String>,
    /// The subscriptions they resolve to, lower-cased.
    subscriptions: Vec<String>,
}

/// Answers one query (quota and injected faults were applied by `server`).
pub(crate) fn query(ctx: &Ctx<'_>) -> Reply {
    let c = ctx.correlation;
    let req: QueryRequest = match serde_json::from_slice(ctx.body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(
                c,
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        }
    };
    let Some(text) = req.query.as_deref().filter(|q| !q.trim().is_empty()) else {
        return bad_request(c, "InvalidQuery", "The query is required.");
    };
    if req.facets.as_ref().is_some_and(|f| !f.is_empty()) {
        return not_understood(c, "facets");
    }
    let opts = req.options.as_ref();
    let Paging { top, skip, table } = match paging(ctx, opts) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let scope = match scope(ctx, &req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let q = match kql::parse(text) {
        Ok(q) => q,
        Err(what) => return not_understood(c, &what),
    };
    let fp = fingerprint(text, scope.kind, &scope.names);
    let resume = match opts.and_then(|o| o.skip_token.as_deref()) {
        None => None,
        Some(raw) => match SkipToken::decode(raw) {
            Some(t) if t.fp == fp && t.row <= t.total && t.bound <= ctx.store.entries.len() => {
                Some(t)
            }
            Some(t) if t.fp != fp => {
                return bad_request(
                    c,
                    "InvalidSkipToken",
                    "The $skipToken belongs to another query or other scopes; send the same query and scopes as the request that returned it.",
                )
            }
            _ => {
                return bad_request(
                    c,
                    "InvalidSkipToken",
                    format!("The $skipToken '{raw}' is invalid."),
                )
            }
        },
    };
    let hidden: Vec<String> = ctx
        .cfg
        .faults
        .forbidden_types
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let scan = Scan::new(ctx.store, &scope.subscriptions, &q, &hidden);
    let page = scan.page(resume.as_ref(), skip, top, &fp);
    Reply::ok(response_body(ctx.store, &q, &page, table))
}

/// Page size, offset and result format a query's options ask for.
struct Paging {
    top: usize,
    skip: Option<u64>,
    table: bool,
}

/// Reads `$top`, `$skip` and `resultFormat` (400 `InvalidParameter` for a value out of range).
fn paging(ctx: &Ctx<'_>, opts: Option<&QueryOptions>) -> Result<Paging, Reply> {
    let c = ctx.correlation;
    // The configured page size is the server's largest page (ARG's is 1,000): `$top` asks for
    // pages up to that size, never larger.
    let server_max = ctx
        .cfg
        .graph_page_size
        .clamp(1, crate::config::MAX_GRAPH_PAGE_SIZE);
    let top = match opts.and_then(|o| o.top) {
        None => server_max,
        Some(t) if (1..=crate::config::MAX_GRAPH_PAGE_SIZE as i64).contains(&t) => {
            (t as usize).min(server_max)
        }
        Some(t) => {
            return Err(bad_request(
                c,
                "InvalidParameter",
                format!("The value '{t}' of $top is not between 1 and 1000."),
            ))
        }
    };
    let skip = match opts.and_then(|o| o.skip) {
        None => None,
        Some(s) if s >= 0 => Some(s as u64),
        Some(s) => {
            return Err(bad_request(
                c,
                "InvalidParameter",
                format!("The value '{s}' of $skip is negative."),
            ))
        }
    };
    let table = match opts.and_then(|o| o.result_format.as_deref()) {
        None => false,
        Some(f) if f.eq_ignore_ascii_case("objectArray") => false,
        Some(f) if f.eq_ignore_ascii_case("table") => true,
        Some(f) => {
            return Err(bad_request(
                c,
                "InvalidParameter",
                format!("The resultFormat '{f}' is not one of 'objectArray', 'table'."),
            ))
        }
    };
    Ok(Paging { top, skip, table })
}

/// Resolves the request's scope. Exactly one of `subscriptions` and `managementGroups` may be
/// given; with neither (or both empty) the query runs at tenant scope — every subscription the
/// caller can read, as the swagger's "Basic tenant query" example does.
fn scope(ctx: &Ctx<'_>, req: &QueryRequest) -> Result<Scope, Reply> {
    let subs = req.subscriptions.clone().unwrap_or_default();
    let mgs = req.management_groups.clone().unwrap_or_default();
    match (subs.is_empty(), mgs.is_empty()) {
        (false, false) => Err(bad_request(
            ctx.correlation,
            "InvalidScopes",
            "Only one of subscriptions and managementGroups may be specified.",
        )),
        (false, true) => Ok(Scope {
            kind: "subscriptions",
            subscriptions: subs.iter().map(|s| s.to_ascii_lowercase()).collect(),
            names: subs,
        }),
        (true, false) => {
            let mut resolved = Vec::new();
            let mut invalid = Vec::new();
            for name in &mgs {
                match management_group(ctx, name) {
                    Some(s) => resolved.extend(s),
                    None => invalid.push(format!("'{name}'")),
                }
            }
            if !invalid.is_empty() {
                // The wording Resource Graph answers for a management group it cannot use.
                return Err(bad_request(
                    ctx.correlation,
                    "ManagementGroupsContainInvalidIds",
                    format!(
                        "The provided management groups must be valid. Given: {}.",
                        invalid.join(", ")
                    ),
                ));
            }
            Ok(Scope {
                kind: "managementGroups",
                names: mgs,
                subscriptions: resolved,
            })
        }
        (true, true) => Ok(Scope {
            kind: "tenant",
            names: Vec::new(),
            subscriptions: ctx.store.subscription_keys(),
        }),
    }
}

/// The subscriptions (lower-cased) below a management group: a configured one, else the tenant
/// root group (named after the tenant id), which holds every subscription.
fn management_group(ctx: &Ctx<'_>, name: &str) -> Option<Vec<String>> {
    if let Some(mg) = ctx
        .cfg
        .management_groups
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
    {
        return Some(
            mg.subscriptions
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
        );
    }
    name.eq_ignore_ascii_case(&ctx.cfg.tenant_id)
        .then(|| ctx.store.subscription_keys())
}

/// The rows of one query over the store: which entries, in which order.
struct Scan<'a> {
    store: &'a Store,
    /// Runs of store indices in scope, ascending and disjoint.
    runs: Vec<(usize, usize)>,
    query: &'a Query,
    /// Lower-cased types the caller may not read (`Faults::forbidden_types`): Resource Graph
    /// leaves out what the caller has no read access to, without an error.
    hidden: &'a [String],
}

/// One page of results.
struct Page {
    /// Store indices, in output order.
    rows: Vec<usize>,
    total: u64,
    /// More rows exist after this page.
    more: bool,
    /// The token for the next page, when paging is possible.
    skip_token: Option<String>,
}

impl<'a> Scan<'a> {
    fn new(
        store: &'a Store,
        subscriptions: &[String],
        query: &'a Query,
        hidden: &'a [String],
    ) -> Self {
        let mut subs: Vec<&String> = subscriptions.iter().collect();
        subs.sort();
        subs.dedup();
        let mut runs: Vec<(usize, usize)> = subs
            .iter()
            .flat_map(|s| store.subscription_runs(s).iter().copied())
            .collect();
        runs.sort_unstable();
        Scan {
            store,
            runs,
            query,
            hidden,
        }
    }

    fn matches(&self, i: usize) -> bool {
        let Some(entry) = self.store.entries.get(i) else {
            return false;
        };
        let row = &entry.graph;
        let ty = row.text(Column::Type).unwrap_or_default();
        !self.hidden.iter().any(|h| h == ty)
            && self
                .query
                .conditions
                .iter()
                .all(|c| c.matches(row.text(c.column).unwrap_or_default()))
    }

    /// The first bound of a scan in the query's order.
    fn start(&self) -> usize {
        if self.query.descending {
            self.store.entries.len()
        } else {
            0
        }
    }

    /// Store indices from `bound` on (ascending: `>= bound`; descending: `< bound`), in
    /// output order.
    fn indices_from(&self, bound: usize) -> Box<dyn Iterator<Item = usize> + '_> {
        if self.query.descending {
            Box::new(
                self.runs
                    .iter()
                    .rev()
                    .flat_map(move |&(s, e)| (s..e.min(bound)).rev()),
            )
        } else {
            Box::new(self.runs.iter().flat_map(move |&(s, e)| s.max(bound)..e))
        }
    }

    /// Skips `skip` matching rows from `bound`, then takes up to `take`; returns them and the
    /// bound after the last one taken.
    fn collect(&self, bound: usize, skip: u64, take: u64) -> (Vec<usize>, usize) {
        let mut rows = Vec::new();
        let mut next = bound;
        let mut skipped = 0;
        if take == 0 {
            return (rows, next);
        }
        for i in self.indices_from(bound) {
            if !self.matches(i) {
                continue;
            }
            if skipped < skip {
                skipped += 1;
                continue;
            }
            rows.push(i);
            next = if self.query.descending { i } else { i + 1 };
            if rows.len() as u64 >= take {
                break;
            }
        }
        (rows, next)
    }

    /// The page starting after `resume` (or at `$skip`), of at most `top` rows. Paging with a
    /// token is offered only when Resource Graph offers it: not when the query has `limit`,
    /// nor when every output column is dynamic; such results are cut at one page and flagged
    /// `resultTruncated: "true"` instead.
    fn page(&self, resume: Option<&SkipToken>, skip: Option<u64>, top: usize, fp: &str) -> Page {
        let total = match resume {
            Some(t) => t.total,
            None => {
                let n = self
                    .indices_from(self.start())
                    .filter(|&i| self.matches(i))
                    .count() as u64;
                self.query.limit.map_or(n, |l| l.min(n))
            }
        };
        // `$skip` overrides the token's offset (swagger: "Overrides the next page offset when
        // $skipToken property is present").
        let (bound, before, skip_now) = match (resume, skip) {
            (Some(t), None) => (t.bound, t.row, 0),
            (_, s) => (self.start(), s.unwrap_or(0), s.unwrap_or(0)),
        };
        let take = (top as u64).min(total.saturating_sub(before));
        let (rows, next) = self.collect(bound, skip_now, take);
        let returned = before + rows.len() as u64;
        let more = returned < total;
        let pageable =
            self.query.limit.is_none() && self.query.columns.iter().any(|c| c.is_string());
        let skip_token = (more && pageable).then(|| {
            SkipToken {
                fp: fp.to_owned(),
                bound: next,
                row: returned,
                total,
            }
            .encode()
        });
        Page {
            rows,
            total,
            more,
            skip_token,
        }
    }
}

/// The `QueryResponse` body, built as text from the pre-serialised rows.
fn response_body(store: &Store, q: &Query, page: &Page, table: bool) -> String {
    let mut out = String::with_capacity(256 + page.rows.len() * 1024);
    out.push_str(&format!(
        "{{\"totalRecords\":{},\"count\":{},\"resultTruncated\":\"{}\",\"facets\":[]",
        page.total,
        page.rows.len(),
        page.more && page.skip_token.is_none()
    ));
    if let Some(t) = &page.skip_token {
        out.push_str(",\"$skipToken\":");
        out.push_str(&Value::from(t.as_str()).to_string());
    }
    out.push_str(",\"data\":");
    let rows = page.rows.iter().filter_map(|&i| store.entries.get(i));
    if table {
        out.push_str("{\"columns\":[");
        for (k, c) in q.columns.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"name\":\"{}\",\"type\":\"{}\"}}",
                c.name(),
                c.table_type()
            ));
        }
        out.push_str("],\"rows\":[");
        for (n, e) in rows.enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push('[');
            for (k, c) in q.columns.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                e.graph.write_json(*c, &mut out);
            }
            out.push(']');
        }
        out.push_str("]}");
    } else {
        out.push('[');
        for (n, e) in rows.enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push('{');
            for (k, c) in q.columns.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(c.name());
                out.push_str("\":");
                e.graph.write_json(*c, &mut out);
            }
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// The opening of every Resource Graph error message.
fn support_message(correlation: &str) -> String {
    format!(
        "Please provide below info when asking for support: timestamp = {}, correlationId = {correlation}.",
        iso8601(SystemTime::now())
    )
}

/// A Resource Graph error: the support message, with the specific problem in `details`.
fn error(status: u16, code: &str, correlation: &str, detail_code: &str, detail: String) -> Reply {
    let body = json!({"error": {
        "code": code,
        "message": support_message(correlation),
        "details": [{"code": detail_code, "message": detail}],
    }});
    let mut r = Reply::ok(body.to_string());
    r.status = status;
    r
}

/// 400 `BadRequest` with one detail.
pub(crate) fn bad_request(
    correlation: &str,
    detail_code: &str,
    detail: impl Into<String>,
) -> Reply {
    error(400, "BadRequest", correlation, detail_code, detail.into())
}

/// 400 for a query outside the subset in [`kql`].
fn not_understood(correlation: &str, what: &str) -> Reply {
    bad_request(
        correlation,
        "InvalidQuery",
        format!("mock-arm does not understand: {what}"),
    )
}

/// 429 as Resource Graph throttles (code `RateLimiting`, wording from real responses), with
/// `Retry-After` (seconds, or whatever an injected throttle is configured to send).
pub(crate) fn rate_limited(correlation: &str, retry_after: String) -> Reply {
    error(
        429,
        "RateLimiting",
        correlation,
        "RateLimiting",
        "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.".into(),
    )
    .with_header("retry-after", retry_after)
}

/// `2021-05-03T07:08:29.0524831Z`: the timestamp format of Resource Graph's support message.
pub(crate) fn iso8601(t: SystemTime) -> String {
    let d = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:07}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_nanos() / 100
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_with_seven_fractional_digits() {
        assert_eq!(
            iso8601(SystemTime::UNIX_EPOCH),
            "1970-01-01T00:00:00.0000000Z"
        );
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.1234567Z");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn errors_carry_the_support_message_and_a_detail() {
        let r = not_understood("corr-1", "the operator 'extend'");
        assert_eq!(r.status, 400);
        let v: Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(v["error"]["code"], "BadRequest");
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.starts_with("Please provide below info when asking for support: timestamp = "));
        assert!(msg.ends_with(", correlationId = corr-1."));
        assert_eq!(v["error"]["details"][0]["code"], "InvalidQuery");
        assert_eq!(
            v["error"]["details"][0]["message"],
            "mock-arm does not understand: the operator 'extend'"
        );
        let r = rate_limited("c", "3".into());
        assert_eq!(r.status, 429);
        assert_eq!(r.headers, [("retry-after", "3".to_owned())]);
        assert!(r.body.contains("\"code\":\"RateLimiting\""));
    }
}
