//! The Resource Graph backend (`--backend graph`): every resource type rdpaudit reads (docs/live-azure.md) for many
//! subscriptions or a management group in few queries, through Azure Resource Graph.
//! <https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests>
//!
//! One query covers every type; subscriptions go in batches; pages follow `$skipToken` with the
//! same query and scopes (the `id` column is projected and ordered, which keeps paging stable);
//! `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after` are honoured before each query.
//! Rows come back in Resource Graph shape (lower-case types, power state under
//! `properties.extended.instanceView`), which the model reads like ARM's.

use reqwest::Url;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

use super::client::{ArmClient, MAX_PAGES};
use super::collect::{self, CollectError, Collected, Scope};
use super::error::{ArmError, ErrorKind};
use super::request::{PRIVATE_REACH_TYPES, TYPES};
use crate::model::{DiagLevel, Diagnostic};
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

/// The one KQL query: every type rdpaudit reads, optionally limited to resource groups.
pub(crate) fn query(resource_groups: &[String]) -> String {
    let types: Vec<String> = TYPES
        .iter()
        .chain(PRIVATE_REACH_TYPES.iter())
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
    data: Option<Box<RawValue>>,
    #[serde(rename = "resultTruncated")]
    result_truncated: Option<serde_json::Value>,
    #[serde(rename = "$skipToken")]
    skip_token: Option<String>,
}

/// The per-user query quota: before each query, wait while none is left.
#[derive(Debug, Default)]
struct Quota {
    state: Mutex<Option<(u64, Instant)>>,
}

impl Quota {
    async fn wait(&self) {
        let until = {
            let s = self.state.lock().await;
            match *s {
                Some((0, reset)) if reset > Instant::now() => Some(reset),
                _ => None,
            }
        };
        if let Some(t) = until {
            tracing::info!(
                wait_ms = t.saturating_duration_since(Instant::now()).as_millis() as u64,
                "Resource Graph quota exhausted; waiting"
            );
            tokio::time::sleep_until(t.into()).await;
        }
    }

    async fn update(&self, headers: &reqwest::header::HeaderMap) {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let remaining = get("x-ms-user-quota-remaining").and_then(|v| v.parse::<u64>().ok());
        let resets = get("x-ms-user-quota-resets-after").and_then(parse_hms);
        if let (Some(r), Some(d)) = (remaining, resets) {
            *self.state.lock().await = Some((r, Instant::now() + d));
        }
    }
}

/// `hh:mm:ss` (as in `x-ms-user-quota-resets-after`).
pub(crate) fn parse_hms(s: &str) -> Option<Duration> {
    let mut parts = s.split(':').map(|p| p.trim().parse::<f64>());
    let (h, m, sec) = (
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next()?.ok()?,
    );
    if parts.next().is_some() || h < 0.0 || m < 0.0 || sec < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(h * 3600.0 + m * 60.0 + sec))
}

/// Rows of one query, and why they may not be all (diagnostics naming the request).
#[derive(Default)]
struct Queried {
    rows: Vec<Box<RawValue>>,
    stopped: Vec<Diagnostic>,
}

async fn run_query(
    client: &ArmClient,
    quota: &Quota,
    scope: &GraphScope,
    q: &str,
    label: &str,
) -> Result<Queried, ArmError> {
    let endpoint = url(client.base());
    let mut out = Queried::default();
    let mut token: Option<String> = None;
    let mut seen: HashSet<String> = HashSet::new();
    let mut pages = 0usize;
    let stop = |why: String| Diagnostic {
        level: DiagLevel::Warning,
        scope: Some(format!("Resource Graph, {label}")),
        message: format!("POST {endpoint}: {why}; the result may be incomplete"),
        status: None,
        code: Some("PagingStopped".into()),
        request_id: None,
    };
    loop {
        quota.wait().await;
        let (bytes, headers) = client
            .post(&endpoint, &body(scope, q, token.as_deref()))
            .await?;
        quota.update(&headers).await;
        pages += 1;
        let malformed = |m: &str| ArmError {
            status: Some(200),
            ..ArmError::new(ErrorKind::Malformed, "POST", &endpoint, m)
        };
        let r: Response = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(&format!("the response is not a Resource Graph result: {e}")))?;
        // No `data` is not "no rows": Resource Graph always sends the array, empty or not.
        let Some(d) = r.data else {
            out.stopped.push(stop(
                "the response has no `data`; not read as \"no resources\"".into(),
            ));
            break;
        };
        let page: Vec<Box<RawValue>> = serde_json::from_str(d.get()).map_err(|_| {
            malformed("`data` is not an array (resultFormat objectArray was asked)")
        })?;
        out.rows.extend(page);
        if is_true(r.result_truncated.as_ref()) {
            out.stopped.push(stop(
                "Resource Graph says resultTruncated: the rows are cut".into(),
            ));
        }
        match r.skip_token.filter(|t| !t.is_empty()) {
            None => break,
            Some(t) if !seen.insert(t.clone()) => {
                out.stopped
                    .push(stop("$skipToken repeats an earlier page (loop)".into()));
                break;
            }
            Some(_) if pages >= MAX_PAGES => {
                out.stopped.push(stop(format!(
                    "a $skipToken is still present after {MAX_PAGES} pages"
                )));
                break;
            }
            Some(t) => token = Some(t),
        }
    }
    tracing::debug!(%label, rows = out.rows.len(), pages, "Resource Graph query done");
    Ok(out)
}

/// `resultTruncated` is documented as a string (`"true"`/`"false"`); accept a boolean too.
fn is_true(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Collects through Resource Graph; what it references outside the scope is read by id via ARM.
pub(crate) async fn collect(
    client: Arc<ArmClient>,
    scope: &Scope,
    management_group: Option<&str>,
) -> Result<Collected, CollectError> {
    let quota = Quota::default();
    let q = query(&scope.resource_groups);
    let mut out = Collected::default();
    let scopes: Vec<GraphScope> = match management_group {
        Some(mg) => vec![GraphScope::ManagementGroup(mg.to_string())],
        None => {
            out.subscriptions =
                collect::resolve_subscriptions(&client, scope, &mut out.diagnostics).await?;
            let ids: Vec<String> = out
                .subscriptions
                .iter()
                .map(|s| s.subscription_id.clone())
                .collect();
            ids.chunks(BATCH)
                .map(|c| GraphScope::Subscriptions(c.to_vec()))
                .collect()
        }
    };
    let mut failures = 0;
    for (i, s) in scopes.iter().enumerate() {
        let label = match s {
            GraphScope::ManagementGroup(m) => format!("management group {m}"),
            GraphScope::Subscriptions(v) => {
                format!("subscriptions batch {} ({} subscriptions)", i + 1, v.len())
            }
        };
        let mut result = run_query(&client, &quota, s, &q, &label).await;
        if !scope.resource_groups.is_empty() {
            if let Ok(found) = &mut result {
                match run_query(&client, &quota, s, &bastion_query(), &label).await {
                    Ok(more) => {
                        found.rows.extend(more.rows);
                        found.stopped.extend(more.stopped);
                    }
                    Err(e) => out.diagnostics.push(e.diagnostic(
                        DiagLevel::Error,
                        &format!("Resource Graph, {label}, Bastion hosts"),
                    )),
                }
            }
        }
        match result {
            Ok(found) => {
                out.resources.extend(found.rows);
                out.diagnostics.extend(found.stopped);
            }
            Err(e) if e.is_auth() => return Err(CollectError::Auth(e)),
            Err(e) => {
                failures += 1;
                out.diagnostics
                    .push(e.diagnostic(DiagLevel::Error, &format!("Resource Graph, {label}")));
                if failures == scopes.len() {
                    return Err(CollectError::Nothing(e));
                }
            }
        }
    }
    if management_group.is_some() {
        out.subscriptions = subscriptions_of(&out.resources);
    }
    collect::follow_references(&client, &mut out, None).await;
    // Rule collection groups and admin rules are not Resources rows: ARM (docs/performance.md).
    collect::collect_doors(&client, &mut out, None).await;
    Ok(out)
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
        let q = query(&["rg-web".into()]);
        assert!(q.starts_with("Resources\n| where type in~ ('microsoft.compute/virtualmachines', "));
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

    #[test]
    fn quota_reset_format() {
        assert_eq!(parse_hms("00:00:03"), Some(Duration::from_secs(3)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("00:00:00.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_hms("3"), None);
    }
}
