//! The Resource Graph backend (`--backend graph`): every resource type rdpaudit reads (docs/live-azure.md) for many
//! subscriptions or a management group in few queries, through Azure Resource Graph.
//! <https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests>
//!
//! Subscriptions go in batches; each batch is read by four queries that run side by side
//! ([`PARTS`]: VMs, NICs, public IPs, the rest), so the longest chain of pages is about the
//! longest type's, as with ARM's per-type lists, not the whole estate's. Pages follow
//! `$skipToken` with the same query and scopes (the `id` column is projected and ordered, which
//! keeps paging stable); the per-user quota is shared by the queries in flight ([`Quota`]).
//! Each page is decoded in its query's task and added to the model in the queries' order as
//! soon as the queries before it have ended ([`InOrder`]), so little is left once the last page
//! is in.
//! Rows come back in Resource Graph shape (lower-case types, power state under
//! `properties.extended.instanceView`), which the model reads like ARM's.

use reqwest::Url;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinSet;

use super::client::{ArmClient, MAX_PAGES};
use super::collect::{self, CollectError, Collected, Scope};
use super::collect_doors::{AdminRules, VnetSender};
use super::error::{ArmError, ErrorKind};
use super::graph_quota::Quota;
use super::in_order::{Ended, Event, InOrder, Page};
use super::paging::Ahead;
use super::request::{ResourceType, PRIVATE_REACH_TYPES, TYPES};
use crate::model::refs::Index;
use crate::model::{decode_each, DiagLevel, Diagnostic};
use crate::snapshot::Subscription;

pub(crate) const API_RESOURCE_GRAPH: &str = "2024-04-01";

/// Subscriptions per query (the guidance is to batch well under the 1,000-subscription limit).
pub(crate) const BATCH: usize = 300;

/// Rows per page (the Resource Graph maximum).
pub(crate) const PAGE: u32 = 1000;

/// `POST /providers/Microsoft.ResourceGraph/resources?api-version=…`
pub(crate) fn url(base: &Url) -> Url {
    let mut u = base.clone();
    let prefix = base.path().trim_end_matches('/').to_string();
    u.set_path(&format!(
        "{prefix}/providers/Microsoft.ResourceGraph/resources"
    ));
    u.set_query(None);
    u.query_pairs_mut()
        .append_pair("api-version", API_RESOURCE_GRAPH);
    u
}

/// The queries one scope is read with, run side by side: the three types that grow with the
/// number of VMs each get a chain of pages of their own; every other type shares the fourth.
/// Four, not one per type: each query costs a place in the per-user quota (15 per 5 s in
/// Microsoft's example), and the small types would each spend a page on a few rows.
const OWN_QUERY: [&str; 3] = [
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Network/publicIPAddresses",
];

/// Queries per scope: one per type of [`OWN_QUERY`], and one for every other type.
pub(crate) const PARTS: usize = OWN_QUERY.len() + 1;

/// The types query `part` (below [`PARTS`]) reads.
pub(crate) fn part_types(part: usize) -> Vec<ResourceType> {
    let own = |t: &ResourceType| OWN_QUERY.iter().position(|p| t.full_name() == *p);
    TYPES
        .iter()
        .chain(PRIVATE_REACH_TYPES.iter())
        .copied()
        .filter(|t| own(t).unwrap_or(OWN_QUERY.len()) == part)
        .collect()
}

/// A KQL query over `types`, optionally limited to resource groups.
pub(crate) fn query(types: &[ResourceType], resource_groups: &[String]) -> String {
    let types: Vec<String> = types
        .iter()
        .map(|t| format!("'{}'", t.full_name().to_ascii_lowercase()))
        .collect();
    let mut q = format!("Resources\n| where type in~ ({})\n", types.join(", "));
    if !resource_groups.is_empty() {
        let rgs: Vec<String> = resource_groups
            .iter()
            .map(|r| format!("'{}'", r.replace('\'', "")))
            .collect();
        q.push_str(&format!("| where resourceGroup in~ ({})\n", rgs.join(", ")));
    }
    q.push_str("| project id, name, type, location, resourceGroup, subscriptionId, sku, properties\n| order by id asc");
    q
}

/// Bastion hosts anywhere in scope: with `--resource-group`, a Bastion in another group (the
/// hub's) can still serve the VMs in scope.
pub(crate) fn bastion_query() -> String {
    "Resources\n| where type in~ ('microsoft.network/bastionhosts', 'microsoft.network/azurefirewalls', 'microsoft.network/firewallpolicies', 'microsoft.network/ipgroups')\n\
     | project id, name, type, location, resourceGroup, subscriptionId, sku, properties\n| order by id asc"
        .to_string()
}

/// What one query is scoped to.
#[derive(Debug, Clone)]
pub(crate) enum GraphScope {
    Subscriptions(Vec<String>),
    ManagementGroup(String),
}

/// The request body for one page.
pub(crate) fn body(scope: &GraphScope, query: &str, skip_token: Option<&str>) -> serde_json::Value {
    let mut options = json!({"resultFormat": "objectArray", "$top": PAGE});
    if let Some(t) = skip_token {
        options["$skipToken"] = json!(t);
    }
    let mut b = json!({"query": query, "options": options});
    match scope {
        GraphScope::Subscriptions(s) => b["subscriptions"] = json!(s),
        GraphScope::ManagementGroup(m) => b["managementGroups"] = json!([m]),
    }
    b
}

#[derive(Deserialize)]
struct Response {
    data: Option<Rows>,
    #[serde(rename = "resultTruncated")]
    result_truncated: Option<serde_json::Value>,
    #[serde(rename = "$skipToken")]
    skip_token: Option<String>,
}

/// Runs query `n` to its last page; each page goes to `pages` as it is read (its references
/// indexed and, when asked, its rows decoded, here in the query's task). Returns why the rows
/// may not be all (diagnostics naming the request).
async fn run_query(
    client: &Arc<ArmClient>,
    quota: &Arc<Quota>,
    scope: &GraphScope,
    (q, label): (&str, &str),
    (early, pages, n): (&VnetSender, &UnboundedSender<Event>, usize),
    (lead, decode): (bool, bool),
) -> Result<Vec<Diagnostic>, ArmError> {
    let endpoint = url(client.base());
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut page_count = 0usize;
    let stop = |why: String| Diagnostic {
        level: DiagLevel::Warning,
        scope: Some(format!("Resource Graph, {label}")),
        message: format!("POST {endpoint}: {why}; the result may be incomplete"),
        status: None,
        code: Some("PagingStopped".into()),
        request_id: None,
    };
    let send = |token: Option<&str>| {
        let (client, quota) = (client.clone(), quota.clone());
        let (endpoint, body) = (endpoint.clone(), body(scope, q, token));
        let opens = lead && token.is_none();
        async move {
            // A lead query's first page may go before the quota is known (`OPENING`).
            let ticket = if opens {
                quota.opening_ticket().await
            } else {
                quota.ticket().await
            };
            let (bytes, headers) = client.post(&endpoint, &body).await?;
            ticket.answered(&headers);
            Ok(bytes)
        }
    };
    let mut bytes = send(None).await?;
    loop {
        page_count += 1;
        // A page that names its token before its rows has the next page asked for before it
        // is parsed (arm::link_scan), if the token passes the checks a parsed one must (on a
        // copy of what was seen); kept only if the parsed page names the same token.
        let guess = super::link_scan::member_before(&bytes, "$skipToken", "data").and_then(|t| {
            next_token(Some(t), &mut seen.clone(), page_count)
                .ok()
                .flatten()
        });
        let guess = match guess {
            Some(t) => {
                let request = Ahead::spawn("POST", &endpoint, send(Some(&t))).sent().await;
                Some((t, request))
            }
            None => None,
        };
        let malformed = |m: &str| ArmError {
            status: Some(200),
            ..ArmError::new(ErrorKind::Malformed, "POST", &endpoint, m)
        };
        let r: Response = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(&format!("the response is not a Resource Graph result: {e}")))?;
        // No `data` is not "no rows": Resource Graph always sends the array, empty or not.
        let Some(d) = r.data else {
            out.push(stop(
                "the response has no `data`; not read as \"no resources\"".into(),
            ));
            break;
        };
        // The next page is asked for now (unless the guess already did), and downloads while
        // this one is read; a guess for another token is dropped (aborted).
        let (token, stopped) = match next_token(r.skip_token, &mut seen, page_count) {
            Ok(token) => (token, None),
            Err(why) => (None, Some(stop(why))),
        };
        let next = match (token, guess) {
            (Some(t), Some((g, request))) if g == t => Some(request),
            (Some(t), _) => Some(Ahead::spawn("POST", &endpoint, send(Some(&t))).sent().await),
            (None, _) => None,
        };
        let Rows::Array(page) = d else {
            return Err(malformed(
                "`data` is not an array (resultFormat objectArray was asked)",
            ));
        };
        hand_over(page, (early, pages, n), decode);
        if is_true(r.result_truncated.as_ref()) {
            out.push(stop(
                "Resource Graph says resultTruncated: the rows are cut".into(),
            ));
        }
        out.extend(stopped);
        match next {
            Some(ahead) => bytes = ahead.answer().await?,
            None => break,
        }
    }
    tracing::debug!(%label, pages = page_count, "Resource Graph query done");
    Ok(out)
}

/// The token of the page after this one (the `page_count`th): none at the end, or why paging
/// stops here (a token seen before, or the page budget spent).
fn next_token(
    token: Option<String>,
    seen: &mut HashSet<String>,
    page_count: usize,
) -> Result<Option<String>, String> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if !seen.insert(t.clone()) => {
            Err("$skipToken repeats an earlier page (loop)".into())
        }
        Some(_) if page_count >= MAX_PAGES => Err(format!(
            "a $skipToken is still present after {MAX_PAGES} pages"
        )),
        Some(t) => Ok(Some(t)),
    }
}

/// Indexes a page of query `n` (its VMs' VNets go to the admin-rule reader now), decodes its
/// rows when asked, and sends it to the collector.
fn hand_over(
    rows: Vec<Box<RawValue>>,
    (early, pages, n): (&VnetSender, &UnboundedSender<Event>, usize),
    decode: bool,
) {
    let index = Index::of(&rows);
    early.read(index.attached_vnets());
    let decoded = decode.then(|| decode_each(rows.iter().map(|r| r.as_ref())));
    // The collector is gone only when the collection was dropped: nothing to add to.
    let page = Page {
        rows,
        index,
        decoded,
    };
    let _ = pages.send(Event::Page(n, Box::new(page)));
}

/// `data` read in the page's one pass: its rows, each kept as its text, or a note that it was a
/// table (`resultFormat: table`, an object) instead (an error, said where the page is read).
/// Any other value fails the page's parse.
enum Rows {
    Array(Vec<Box<RawValue>>),
    NotArray,
}

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rows, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rows;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the rows of a Resource Graph result")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Rows, A::Error> {
                let mut rows = Vec::with_capacity(a.size_hint().unwrap_or(0).min(PAGE as usize));
                while let Some(row) = a.next_element::<Box<RawValue>>()? {
                    rows.push(row);
                }
                Ok(Rows::Array(rows))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Rows, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Rows::NotArray)
            }
        }
        d.deserialize_any(V)
    }
}

/// `resultTruncated` is documented as a string (`"true"`/`"false"`); accept a boolean too.
fn is_true(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// One query of one scope, and where its rows go in the result.
struct Job {
    scope: usize,
    query: String,
    label: String,
    /// Reads a type that grows with the estate: its first page may go before the quota is
    /// known, beside the other such chains.
    lead: bool,
}

/// Collects through Resource Graph; what it references outside the scope is read by id via ARM.
pub(crate) async fn collect(
    client: Arc<ArmClient>,
    scope: &Scope,
    management_group: Option<&str>,
) -> Result<Collected, CollectError> {
    let mut out = Collected::default();
    let chunks = |ids: &[String]| -> Vec<GraphScope> {
        ids.chunks(BATCH)
            .map(|c| GraphScope::Subscriptions(c.to_vec()))
            .collect()
    };
    let named = collect::named_subscriptions(scope).filter(|_| management_group.is_none());
    let scopes: Vec<GraphScope> = match (management_group, &named) {
        (Some(mg), _) => vec![GraphScope::ManagementGroup(mg.to_string())],
        (None, Some(ids)) => chunks(ids),
        (None, None) => {
            out.subscriptions =
                collect::resolve_subscriptions(&client, scope, &mut out.diagnostics).await?;
            let ids: Vec<String> = (out.subscriptions.iter())
                .map(|s| s.subscription_id.clone())
                .collect();
            chunks(&ids)
        }
    };
    let jobs = jobs(&scopes, &scope.resource_groups);
    // Admin-rule requests start as soon as a page of NICs names a VNet (docs/performance.md).
    let admin = AdminRules::start(client.clone());
    let run = run_jobs(
        &client,
        &scopes,
        &jobs,
        (admin.sender(), scope.decode),
        &mut out,
    );
    let results = match named {
        // Named subscriptions are queried while the subscription list is read for their names
        // (its diagnostics keep their place first; if it fails, so does the run, as before).
        Some(_) => {
            let mut notes = Vec::new();
            let lookup = collect::resolve_subscriptions(&client, scope, &mut notes);
            let (subscriptions, results) = tokio::join!(lookup, run);
            out.subscriptions = subscriptions?;
            out.diagnostics.splice(0..0, notes);
            results
        }
        None => run.await,
    };
    let (mut answered, mut last_error) = (false, None);
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Ok(stopped) => {
                answered = true;
                out.diagnostics.extend(stopped);
            }
            Err(e) if e.is_auth() => return Err(CollectError::Auth(e)),
            Err(e) => {
                out.diagnostics.push(
                    e.diagnostic(DiagLevel::Error, &format!("Resource Graph, {}", job.label)),
                );
                last_error = Some(e);
            }
        }
    }
    // Nothing answered at all: the collection failed (a partial answer is a diagnostic).
    if let (false, Some(e)) = (answered, last_error) {
        return Err(CollectError::Nothing(e));
    }
    if management_group.is_some() {
        out.subscriptions = subscriptions_of(&out.resources);
    }
    collect::follow_references(&client, &mut out, None).await;
    // Rule collection groups and admin rules are not Resources rows: ARM (docs/performance.md).
    let admin = collect::collect_doors(&client, &mut out, None, admin).await;
    let at = out.diagnostics.len();
    collect::finish_admin(&mut out, admin, scope.early.as_ref(), at).await;
    Ok(out.finished())
}

/// Every query of every scope: the [`PARTS`], and with `--resource-group` the subscription-wide
/// Bastion and firewall query.
fn jobs(scopes: &[GraphScope], resource_groups: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, s) in scopes.iter().enumerate() {
        let label = match s {
            GraphScope::ManagementGroup(m) => format!("management group {m}"),
            GraphScope::Subscriptions(v) => {
                format!("subscriptions batch {} ({} subscriptions)", i + 1, v.len())
            }
        };
        // The shared query first, then the chains that grow with the estate, the longest last:
        // pages are added in this order (`run_jobs`), so those of the queries that end first
        // are in the model before the last chain's end.
        for part in (0..PARTS).rev() {
            let types = part_types(part);
            let names: Vec<&str> = types.iter().map(|t| t.name).collect();
            jobs.push(Job {
                scope: i,
                query: query(&types, resource_groups),
                label: format!("{label}, {}", names.join(", ")),
                lead: part < OWN_QUERY.len(),
            });
        }
        if !resource_groups.is_empty() {
            jobs.push(Job {
                scope: i,
                query: bastion_query(),
                label: format!("{label}, Bastion hosts"),
                lead: false,
            });
        }
    }
    jobs
}

/// Runs every job side by side (the client's `--concurrency` and the shared quota bound them);
/// their pages are added to `out` in the order of `jobs` as soon as every job before has ended
/// ([`InOrder`]), so the model is mostly built when the last page arrives. How each job ended,
/// in the order of `jobs`.
async fn run_jobs(
    client: &Arc<ArmClient>,
    scopes: &[GraphScope],
    jobs: &[Job],
    (early, decode): (VnetSender, bool),
    out: &mut Collected,
) -> Vec<Ended> {
    let quota = Arc::new(Quota::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Kept until every event is in: dropping a JoinSet aborts its tasks.
    let mut set = JoinSet::new();
    for (n, job) in jobs.iter().enumerate() {
        let (client, quota, tx, early) = (client.clone(), quota.clone(), tx.clone(), early.clone());
        let (scope, q, label, lead) = (
            scopes[job.scope].clone(),
            job.query.clone(),
            job.label.clone(),
            job.lead,
        );
        set.spawn(async move {
            let q = (q.as_str(), label.as_str());
            let ended = run_query(&client, &quota, &scope, q, (&early, &tx, n), (lead, decode));
            let _ = tx.send(Event::Done(n, ended.await));
        });
    }
    drop((tx, early));
    let mut order = InOrder::new(jobs.len(), out);
    while let Some(event) = rx.recv().await {
        order.take(event, out);
    }
    while let Some(done) = set.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "a Resource Graph query task failed");
        }
    }
    order.finish(out, |n| {
        let label = jobs.get(n).map_or("a query", |j| j.label.as_str());
        ArmError::new(
            ErrorKind::Malformed,
            "POST",
            &url(client.base()),
            format!("the query task for {label} ended without a result"),
        )
    })
}

/// The subscriptions seen in rows (a management-group scope names none up front).
fn subscriptions_of(rows: &[Box<RawValue>]) -> Vec<Subscription> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Row {
        subscription_id: Option<String>,
    }
    let mut ids: Vec<String> = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Row>(r.get()).ok()?.subscription_id)
        .collect();
    ids.sort_by_key(|s| s.to_ascii_lowercase());
    ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    ids.into_iter()
        .map(|id| Subscription {
            subscription_id: id,
            display_name: None,
            state: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_shape() {
        let base = Url::parse("https://management.azure.com").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            url(&base).as_str(),
            "https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01"
        );
        let q = query(&part_types(3), &["rg-web".into()]);
        assert!(q.starts_with(
            "Resources\n| where type in~ ('microsoft.network/networksecuritygroups', "
        ));
        assert!(q.contains("| where resourceGroup in~ ('rg-web')"));
        assert!(q.contains("'microsoft.network/virtualnetworkgateways', 'microsoft.network/localnetworkgateways', 'microsoft.network/connections')"));
        assert!(q.ends_with("| project id, name, type, location, resourceGroup, subscriptionId, sku, properties\n| order by id asc"));
        let b = body(
            &GraphScope::Subscriptions(vec!["s1".into()]),
            "Q",
            Some("tok"),
        );
        assert_eq!(b["subscriptions"], json!(["s1"]));
        assert_eq!(
            b["options"],
            json!({"resultFormat": "objectArray", "$top": 1000, "$skipToken": "tok"})
        );
        let m = body(&GraphScope::ManagementGroup("mg".into()), "Q", None);
        assert_eq!(m["managementGroups"], json!(["mg"]));
        assert!(m["options"].get("$skipToken").is_none());
    }

    /// `data` is read in the page's one pass: rows kept as their text; a table (an object) and
    /// `null` told apart; a scalar or a row that is not JSON fails the page.
    #[test]
    fn data_is_read_as_rows_or_told_apart() {
        let read = |s: &str| serde_json::from_str::<Response>(s).map(|r| r.data);
        match read(
            r#"{"data": [{"id": "/a", "x": [1, {"y": "]"}]}, {"id": "/b"}], "$skipToken": "t"}"#,
        ) {
            Ok(Some(Rows::Array(rows))) => {
                let texts: Vec<&str> = rows.iter().map(|r| r.get()).collect();
                assert_eq!(
                    texts,
                    [r#"{"id": "/a", "x": [1, {"y": "]"}]}"#, r#"{"id": "/b"}"#]
                );
            }
            _ => panic!("rows not read"),
        }
        assert!(matches!(
            read(r#"{"data": {"columns": [], "rows": [[1]]}}"#),
            Ok(Some(Rows::NotArray))
        ));
        for scalar in [r#"{"data": "x"}"#, r#"{"data": 5}"#, r#"{"data": true}"#] {
            assert!(read(scalar).is_err(), "{scalar}");
        }
        assert!(matches!(read(r#"{"data": null}"#), Ok(None)));
        assert!(matches!(read(r#"{"count": 0}"#), Ok(None)));
        assert!(read(r#"{"data": [{"id": }]}"#).is_err());
    }

    /// The parts cover every type exactly once.
    #[test]
    fn parts_cover_every_type_once() {
        let mut seen: Vec<String> = (0..PARTS)
            .flat_map(part_types)
            .map(|t| t.full_name())
            .collect();
        let all = TYPES.len() + PRIVATE_REACH_TYPES.len();
        assert_eq!(seen.len(), all);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), all);
        for p in 0..3 {
            assert_eq!(part_types(p).len(), 1, "part {p}");
        }
    }
}
