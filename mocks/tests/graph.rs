//! Resource Graph over real HTTP: scopes, the KQL subset, row shape, paging with `$skipToken`,
//! result formats, the per-caller quota, errors and faults.

mod common;

use common::*;
use mock_arm::generate::{generate, GenerateOptions};
use mock_arm::{Faults, MockConfig, MockServer, Throttle, DEFAULT_TENANT_ID};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const GRAPH_API: &str = "2024-04-01";

/// Every type rdpaudit reads, as its graph backend asks for them.
const ALL_TYPES_QUERY: &str = "Resources
| where type in~ ('microsoft.compute/virtualmachines', 'microsoft.network/networkinterfaces',
    'microsoft.network/networksecuritygroups', 'microsoft.network/publicipaddresses',
    'microsoft.network/virtualnetworks', 'microsoft.network/loadbalancers',
    'microsoft.network/routetables', 'microsoft.network/bastionhosts',
    'microsoft.network/applicationsecuritygroups', 'microsoft.network/networkwatchers',
    'microsoft.classiccompute/virtualmachines')
| project id, name, type, location, resourceGroup, subscriptionId, sku, properties
| order by id asc";

/// A config that does not run out of quota (the quota has its own tests).
fn graph_config(doc: Value) -> MockConfig {
    MockConfig::new(doc)
        .expected_token(TOKEN)
        .graph_quota(10_000, Duration::from_secs(1))
}

fn post_as(server: &MockServer, token: &str, body: &Value) -> reqwest::blocking::Response {
    client()
        .post(format!(
            "{}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API}",
            server.url()
        ))
        .bearer_auth(token)
        .json(body)
        .send()
        .expect("request succeeds")
}

fn post(server: &MockServer, body: &Value) -> reqwest::blocking::Response {
    post_as(server, TOKEN, body)
}

/// Runs `body` to the end, following `$skipToken`; returns every row and the page bodies.
fn all_pages(server: &MockServer, body: &Value) -> (Vec<Value>, Vec<Value>) {
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let mut req = body.clone();
    loop {
        let resp = post(server, &req);
        assert_eq!(resp.status(), 200);
        let page = json(resp);
        rows.extend(page["data"].as_array().cloned().expect("data array"));
        let token = page
            .get("$skipToken")
            .and_then(Value::as_str)
            .map(str::to_owned);
        pages.push(page);
        match token {
            Some(t) => req["options"]["$skipToken"] = json!(t),
            None => return (rows, pages),
        }
        assert!(pages.len() < 1000, "paging does not end");
    }
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn detail_code(body: &Value) -> &str {
    body.pointer("/error/details/0/code")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn header(resp: &reqwest::blocking::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn estate(vms: usize, subscriptions: usize) -> (Value, Vec<String>) {
    let doc = generate(&GenerateOptions {
        vms,
        seed: 3,
        subscriptions,
        hub_spoke: false,
    });
    let subs = doc["subscriptions"]
        .as_array()
        .expect("subscriptions")
        .iter()
        .filter_map(|s| s["subscriptionId"].as_str().map(str::to_owned))
        .collect();
    (doc, subs)
}

/// Lower-cased ids of the snapshot's resources in these subscriptions.
fn snapshot_ids(doc: &Value, subs: &[&str]) -> BTreeSet<String> {
    doc["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| {
            subs.iter().any(|s| {
                id.to_ascii_lowercase()
                    .starts_with(&format!("/subscriptions/{}/", s.to_ascii_lowercase()))
            })
        })
        .map(str::to_ascii_lowercase)
        .collect()
}

// ---------------------------------------------------------------- scopes and rows

#[test]
fn one_query_returns_every_resource_of_the_subscriptions_in_scope() {
    let (doc, subs) = estate(60, 3);
    let server = start(graph_config(doc.clone()));
    let body = json!({
        "subscriptions": [subs[0], subs[2].to_uppercase(), "00000000-0000-0000-0000-00000000dead"],
        "query": ALL_TYPES_QUERY,
        "options": {"resultFormat": "objectArray", "$top": 1000}
    });
    let (rows, pages) = all_pages(&server, &body);
    let got: BTreeSet<String> = ids(&rows).iter().map(|i| i.to_ascii_lowercase()).collect();
    let want = snapshot_ids(&doc, &[&subs[0], &subs[2]]);
    assert_eq!(got.len(), rows.len(), "no duplicates");
    assert_eq!(got, want);
    assert_eq!(pages[0]["totalRecords"], json!(want.len()));
    let projected: BTreeSet<&str> = [
        "id",
        "name",
        "type",
        "location",
        "resourceGroup",
        "subscriptionId",
        "sku",
        "properties",
    ]
    .into();
    for r in &rows {
        let keys: BTreeSet<&str> = r
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, projected);
        let ty = r["type"].as_str().unwrap_or_default();
        assert_eq!(ty, ty.to_ascii_lowercase(), "types are lower-cased");
        let rg = r["resourceGroup"].as_str().unwrap_or_default();
        assert_eq!(rg, rg.to_ascii_lowercase());
        assert!(r["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains(&format!("/resourcegroups/{rg}/")));
        assert!(r.pointer("/properties/instanceView").is_none());
    }
    let log = server.requests();
    assert!(log.iter().all(|r| r.route == "graph" && r.method == "POST"));
    assert_eq!(
        log[0].resource_type.as_deref(),
        Some("Microsoft.ResourceGraph/resources")
    );
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn rows_without_project_have_every_column() {
    let server = start(graph_config(small_snapshot()));
    let body = json!({"subscriptions": [SUB], "query": "Resources | where name =~ 'NSG1'"});
    let page = json(post(&server, &body));
    assert_eq!(page["count"], 1);
    let row = &page["data"][0];
    let keys: BTreeSet<&str> = row
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let columns: BTreeSet<&str> = [
        "id",
        "name",
        "type",
        "tenantId",
        "kind",
        "location",
        "resourceGroup",
        "subscriptionId",
        "managedBy",
        "sku",
        "plan",
        "properties",
        "tags",
        "identity",
        "zones",
        "extendedLocation",
    ]
    .into();
    assert_eq!(keys, columns);
    assert_eq!(row["type"], "microsoft.network/networksecuritygroups");
    assert_eq!(row["resourceGroup"], "rg-net");
    assert_eq!(row["subscriptionId"], SUB);
    assert_eq!(row["tenantId"], DEFAULT_TENANT_ID);
    // String columns are never null in Resource Graph; dynamic ones are when absent.
    assert_eq!(row["kind"], "");
    assert_eq!(row["sku"], Value::Null);
    assert_eq!(
        row.pointer("/properties/securityRules/0/name"),
        Some(&json!("AllowRDP"))
    );
}

#[test]
fn vm_power_state_is_under_properties_extended() {
    let server = start(graph_config(small_snapshot()));
    let body = json!({"subscriptions": [SUB],
        "query": "Resources | where type =~ 'Microsoft.Compute/virtualMachines' | project id, name, type, properties"});
    let page = json(post(&server, &body));
    let rows = page["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    let by_name = |n: &str| rows.iter().find(|r| r["name"] == n).cloned().expect("vm");
    let web1 = by_name("web1");
    assert_eq!(web1["type"], "microsoft.compute/virtualmachines");
    assert_eq!(
        web1.pointer("/properties/extended/instanceView/powerState"),
        Some(
            &json!({"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"})
        )
    );
    assert!(web1.pointer("/properties/instanceView").is_none());
    assert!(web1
        .pointer("/properties/storageProfile/osDisk/osType")
        .is_some());
    assert_eq!(
        by_name("Db1").pointer("/properties/extended/instanceView/powerState/code"),
        Some(&json!("PowerState/deallocated"))
    );
    // No instance view in the snapshot: the power state is unknown, so it is omitted.
    assert!(by_name("app1").pointer("/properties/extended").is_none());
}

#[test]
fn project_picks_and_orders_columns() {
    let server = start(graph_config(small_snapshot()));
    let body = json!({"subscriptions": [SUB],
        "query": "Resources | project subscriptionId, name, id | where name == 'web1'"});
    let text = post(&server, &body).text().expect("body");
    // Columns come in the projected order (checked on the text: JSON objects are unordered).
    assert!(
        text.contains(&format!(
            "\"data\":[{{\"subscriptionId\":\"{SUB}\",\"name\":\"web1\",\"id\":\"{}\"}}]",
            vm_id("web1")
        )),
        "{text}"
    );
}

#[test]
fn resource_group_filter_is_case_insensitive() {
    let server = start(graph_config(small_snapshot()));
    let body = json!({"subscriptions": [SUB],
        "query": "Resources\n| where resourceGroup in~ (\"RG-NET\")\n| project id, resourceGroup\n| order by id asc"});
    let page = json(post(&server, &body));
    let rows = page["data"].as_array().expect("rows");
    let names: Vec<String> = ids(rows)
        .iter()
        .map(|i| i.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["lb1", "nsg1", "vnet1"]);
    assert!(rows.iter().all(|r| r["resourceGroup"] == "rg-net"));
    // `==` is case-sensitive, as in KQL: resourceGroup is lower-case in Resource Graph.
    let body =
        json!({"subscriptions": [SUB], "query": "Resources | where resourceGroup == 'RG-NET'"});
    assert_eq!(json(post(&server, &body))["totalRecords"], 0);
}

#[test]
fn management_group_scopes_default_and_configured() {
    let (doc, subs) = estate(30, 3);
    let cfg = graph_config(doc.clone()).management_group(
        "mg-prod",
        [subs[1].clone(), "not-in-the-snapshot".to_owned()],
    );
    let server = start(cfg);
    let query = "Resources | project id | order by id asc";

    // The tenant root group, named after the tenant id, holds every subscription.
    let (rows, _) = all_pages(
        &server,
        &json!({"managementGroups": [DEFAULT_TENANT_ID], "query": query}),
    );
    let all: Vec<&str> = subs.iter().map(String::as_str).collect();
    assert_eq!(rows.len(), snapshot_ids(&doc, &all).len());

    let (rows, _) = all_pages(
        &server,
        &json!({"managementGroups": ["MG-Prod"], "query": query}),
    );
    let got: BTreeSet<String> = ids(&rows).iter().map(|i| i.to_ascii_lowercase()).collect();
    assert_eq!(got, snapshot_ids(&doc, &[&subs[1]]));

    // Neither subscriptions nor management groups: tenant scope, as Resource Graph does.
    let (rows, _) = all_pages(&server, &json!({"query": query}));
    assert_eq!(rows.len(), snapshot_ids(&doc, &all).len());

    let resp = post(
        &server,
        &json!({"managementGroups": ["mg-nope"], "query": query}),
    );
    assert_eq!(resp.status(), 400);
    let body = json(resp);
    assert_eq!(error_code(&body), "BadRequest");
    assert_eq!(detail_code(&body), "ManagementGroupsContainInvalidIds");
    assert_eq!(
        body.pointer("/error/details/0/message"),
        Some(&json!(
            "The provided management groups must be valid. Given: 'mg-nope'."
        ))
    );

    let resp = post(
        &server,
        &json!({"subscriptions": [subs[0]], "managementGroups": ["mg-prod"], "query": query}),
    );
    assert_eq!(resp.status(), 400);
    assert_eq!(detail_code(&json(resp)), "InvalidScopes");
}

#[test]
fn forbidden_types_are_left_out_silently() {
    let cfg = graph_config(small_snapshot())
        .faults(Faults::none().forbid_type("Microsoft.Network/networkSecurityGroups"));
    let server = start(cfg);
    let page = json(post(
        &server,
        &json!({"subscriptions": [SUB], "query": "Resources | project id, type"}),
    ));
    let types: BTreeSet<&str> = page["data"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert!(!types.contains("microsoft.network/networksecuritygroups"));
    assert_eq!(page["totalRecords"], 6);
}

// ---------------------------------------------------------------- paging

#[test]
fn pages_follow_the_skip_token_in_stable_id_order() {
    let (doc, subs) = estate(250, 1);
    let server = start(graph_config(doc.clone()));
    let body = json!({"subscriptions": [subs[0]],
        "query": "Resources | where type =~ 'microsoft.compute/virtualmachines' | project id, name | order by id asc",
        "options": {"$top": 100, "resultFormat": "objectArray"}});
    let (rows, pages) = all_pages(&server, &body);
    assert_eq!(rows.len(), 250);
    let counts: Vec<u64> = pages.iter().filter_map(|p| p["count"].as_u64()).collect();
    assert_eq!(counts, [100, 100, 50]);
    assert!(pages.iter().all(|p| p["totalRecords"] == 250));
    assert!(pages.iter().all(|p| p["resultTruncated"] == "false"));
    assert!(pages.iter().all(|p| p["facets"] == json!([])));
    assert!(pages[0]["$skipToken"].is_string() && pages[2].get("$skipToken").is_none());
    let got = ids(&rows);
    let mut sorted: Vec<String> = got.iter().map(|i| i.to_ascii_lowercase()).collect();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        got.iter()
            .map(|i| i.to_ascii_lowercase())
            .collect::<Vec<_>>(),
        sorted,
        "ascending by id, case-insensitively, no duplicates"
    );

    // Descending order walks the same rows backwards.
    let mut desc = body.clone();
    desc["query"] = json!("Resources | where type =~ 'microsoft.compute/virtualmachines' | project id | order by id desc");
    let (rows_desc, _) = all_pages(&server, &desc);
    let mut reversed = ids(&rows);
    reversed.reverse();
    assert_eq!(ids(&rows_desc), reversed);

    // `$skip` starts later; without `$top` the configured page size applies.
    let server = start(graph_config(doc).graph_page_size(40));
    let mut skipped = body.clone();
    skipped["options"] = json!({"$skip": 245});
    let page = json(post(&server, &skipped));
    assert_eq!(page["count"], 5);
    assert_eq!(
        ids(page["data"].as_array().expect("rows")),
        got[245..].to_vec()
    );
    let mut default_size = body;
    default_size["options"] = json!({});
    let (rows, pages) = all_pages(&server, &default_size);
    assert_eq!((rows.len(), pages.len()), (250, 7));
}

#[test]
fn limit_and_all_dynamic_columns_truncate_instead_of_paging() {
    let server = start(graph_config(small_snapshot()));
    let page = json(post(
        &server,
        &json!({"subscriptions": [SUB], "query": "Resources | project id | limit 3", "options": {"$top": 2}}),
    ));
    assert_eq!(
        (page["totalRecords"].as_u64(), page["count"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(page["resultTruncated"], "true");
    assert!(page.get("$skipToken").is_none());

    let page = json(post(
        &server,
        &json!({"subscriptions": [SUB], "query": "Resources | project properties", "options": {"$top": 2}}),
    ));
    assert_eq!(page["totalRecords"], 7);
    assert_eq!(page["resultTruncated"], "true");
    assert!(page.get("$skipToken").is_none());
}

#[test]
fn a_skip_token_only_continues_its_own_query_and_scopes() {
    let server = start(graph_config(small_snapshot()));
    let body =
        json!({"subscriptions": [SUB], "query": "Resources | project id", "options": {"$top": 2}});
    let first = json(post(&server, &body));
    let token = first["$skipToken"].as_str().expect("token").to_owned();

    let mut other_query = body.clone();
    other_query["query"] = json!("Resources | project id, name");
    other_query["options"]["$skipToken"] = json!(token);
    let resp = post(&server, &other_query);
    assert_eq!(resp.status(), 400);
    let err = json(resp);
    assert_eq!(error_code(&err), "BadRequest");
    assert_eq!(detail_code(&err), "InvalidSkipToken");

    let mut other_scope = body.clone();
    other_scope["subscriptions"] = json!([SUB, SUB2]);
    other_scope["options"]["$skipToken"] = json!(token);
    assert_eq!(post(&server, &other_scope).status(), 400);

    let mut garbage = body.clone();
    garbage["options"]["$skipToken"] = json!("eyAibm8iOiAibHVjayIgfQ==");
    assert_eq!(post(&server, &garbage).status(), 400);

    // Same query, same scopes (in another order and case): the next page.
    let mut same = body;
    same["subscriptions"] = json!([SUB.to_uppercase()]);
    same["options"]["$skipToken"] = json!(token);
    let next = json(post(&server, &same));
    assert_eq!(next["count"], 2);
    assert_ne!(next["data"][0], first["data"][0]);
}

// ---------------------------------------------------------------- formats and errors

#[test]
fn table_format_has_typed_columns_and_rows() {
    let server = start(graph_config(small_snapshot()));
    let body = json!({"subscriptions": [SUB],
        "query": "Resources | where name in ('web1', 'lb1') | project id, name, sku | order by id asc",
        "options": {"resultFormat": "table"}});
    let page = json(post(&server, &body));
    assert_eq!(
        page["data"]["columns"],
        json!([{"name": "id", "type": "string"}, {"name": "name", "type": "string"}, {"name": "sku", "type": "object"}])
    );
    assert_eq!(
        page["data"]["rows"],
        json!([
            [vm_id("web1"), "web1", null],
            [net_id("loadBalancers", "lb1"), "lb1", {"name": "Standard"}]
        ])
    );
    assert_eq!(page["count"], 2);
}

#[test]
fn queries_outside_the_subset_are_400_invalid_query() {
    let server = start(graph_config(small_snapshot()));
    for q in [
        "Resources | summarize count() by type",
        "Resources | where type contains 'compute'",
        "ResourceContainers",
        "Resources | extend x = 1",
        "Resources | where Type =~ 'x'",
    ] {
        let resp = post(&server, &json!({"subscriptions": [SUB], "query": q}));
        assert_eq!(resp.status(), 400, "{q}");
        let body = json(resp);
        let error = body["error"].as_object().expect("error");
        assert_eq!(error["code"], "BadRequest");
        assert!(error["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Please provide below info when asking for support: timestamp = "));
        let details = error["details"].as_array().expect("details");
        assert_eq!(details.len(), 1);
        assert_eq!(details[0]["code"], "InvalidQuery");
        assert!(details[0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("mock-arm does not understand: "));
    }
    for (body, code) in [
        (json!({"subscriptions": [SUB]}), "InvalidQuery"),
        (
            json!({"query": "Resources", "options": {"$top": 0}}),
            "InvalidParameter",
        ),
        (
            json!({"query": "Resources", "options": {"$top": 1001}}),
            "InvalidParameter",
        ),
        (
            json!({"query": "Resources", "options": {"resultFormat": "csv"}}),
            "InvalidParameter",
        ),
        (
            json!({"query": "Resources", "facets": [{"expression": "type"}]}),
            "InvalidQuery",
        ),
        (json!({"query": 5}), "InvalidRequestContent"),
    ] {
        let resp = post(&server, &body);
        assert_eq!(resp.status(), 400, "{body}");
        assert_eq!(detail_code(&json(resp)), code, "{body}");
    }
    let resp = client()
        .post(format!(
            "{}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API}",
            server.url()
        ))
        .bearer_auth(TOKEN)
        .body("not json")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 400);
    assert_eq!(detail_code(&json(resp)), "InvalidRequestContent");
}

#[test]
fn api_version_and_authentication_apply_as_on_every_arm_route() {
    let server = start(graph_config(small_snapshot()));
    let resp = client()
        .post(format!(
            "{}/providers/Microsoft.ResourceGraph/resources",
            server.url()
        ))
        .bearer_auth(TOKEN)
        .json(&json!({"query": "Resources"}))
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&json(resp)), "MissingApiVersionParameter");

    let resp = post_as(&server, "wrong", &json!({"query": "Resources"}));
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("x-ms-user-quota-remaining").is_none());
    assert_eq!(error_code(&json(resp)), "InvalidAuthenticationToken");
}

// ---------------------------------------------------------------- quota and faults

#[test]
fn quota_counts_down_per_caller_then_answers_429_with_retry_after() {
    let cfg = MockConfig::new(small_snapshot()).graph_quota(3, Duration::from_secs(2));
    let server = start(cfg);
    let body =
        json!({"subscriptions": [SUB], "query": "Resources | project id", "options": {"$top": 3}});
    let first = post_as(&server, "alice", &body);
    assert_eq!(header(&first, "x-ms-user-quota-remaining"), "2");
    assert_eq!(header(&first, "x-ms-user-quota-resets-after"), "00:00:02");
    assert!(first
        .headers()
        .get("x-ms-ratelimit-remaining-tenant-reads")
        .is_none());
    // Each page of a paged query costs one query.
    let mut next = body.clone();
    next["options"]["$skipToken"] = json(first)["$skipToken"].clone();
    let second = post_as(&server, "alice", &next);
    assert_eq!(second.status(), 200);
    assert_eq!(header(&second, "x-ms-user-quota-remaining"), "1");
    let resets = header(&second, "x-ms-user-quota-resets-after");
    assert!(resets == "00:00:02" || resets == "00:00:01", "{resets}");
    // Errors count too: the query reached Resource Graph.
    let third = post_as(&server, "alice", &json!({"query": "Resources | nope"}));
    assert_eq!(third.status(), 400);
    assert_eq!(header(&third, "x-ms-user-quota-remaining"), "0");

    let throttled = post_as(&server, "alice", &body);
    assert_eq!(throttled.status(), 429);
    let retry: u64 = header(&throttled, "retry-after").parse().expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(header(&throttled, "x-ms-user-quota-remaining"), "0");
    let err = json(throttled);
    assert_eq!(error_code(&err), "RateLimiting");
    assert_eq!(detail_code(&err), "RateLimiting");
    let msg = err
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(msg.starts_with("Please provide below info when asking for support: timestamp = "));
    assert!(msg.contains("correlationId = "));

    // Another caller has a quota of its own.
    assert_eq!(post_as(&server, "bob", &body).status(), 200);

    // After the window, alice is served again; the refused query did not count.
    std::thread::sleep(Duration::from_millis(2100));
    let again = post_as(&server, "alice", &body);
    assert_eq!(again.status(), 200);
    assert_eq!(header(&again, "x-ms-user-quota-remaining"), "2");

    let faults: Vec<Option<String>> = server.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults[3].as_deref(), Some("graphQuota"));
}

#[test]
fn injected_faults_apply_to_graph_queries() {
    let cfg = graph_config(small_snapshot()).faults(
        Faults::none()
            .throttle(Throttle::first(1).only_type("Microsoft.ResourceGraph/resources"))
            .drop_first(1),
    );
    let server = start(cfg);
    let body = json!({"subscriptions": [SUB], "query": "Resources | project id"});
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version={GRAPH_API}",
        server.url()
    );
    assert!(client()
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .is_err());
    let resp = post(&server, &body);
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "retry-after"), "1");
    assert!(resp.headers().contains_key("x-ms-user-quota-remaining"));
    assert_eq!(error_code(&json(resp)), "RateLimiting");
    assert_eq!(post(&server, &body).status(), 200);

    let server = start(graph_config(small_snapshot()).faults(Faults::none().error_first(1)));
    let resp = post(&server, &body);
    assert!([500, 503].contains(&resp.status().as_u16()));
    assert!(resp.headers().contains_key("x-ms-user-quota-remaining"));
    assert_eq!(post(&server, &body).status(), 200);
    let log: Vec<(String, Option<u16>)> = server
        .requests()
        .into_iter()
        .map(|r| (r.route, r.status))
        .collect();
    assert_eq!(log[1], ("graph".to_owned(), Some(200)));
}
