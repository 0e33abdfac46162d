//! The mock over real HTTP: ARM routes, paging, views, authentication, faults, the
//! managed-identity endpoint and the request log.

mod common;

use common::*;
use mock_arm::generate::{generate, GenerateOptions};
use mock_arm::{Faults, MockConfig, RetryAfter, Throttle};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------- paging and lists

#[test]
fn lists_page_with_absolute_next_links_that_carry_the_query() {
    let doc = generate(&GenerateOptions {
        vms: 250,
        seed: 5,
        subscriptions: 1,
        hub_spoke: false,
    });
    let sub = doc["subscriptions"][0]["subscriptionId"]
        .as_str()
        .expect("sub")
        .to_owned();
    let server = start(MockConfig::new(doc).expected_token(TOKEN).page_size(100));

    let first = format!(
        "/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}&statusOnly=true"
    );
    let body = json(get(&server, &first));
    assert_eq!(body["value"].as_array().map(Vec::len), Some(100));
    let next = body["nextLink"].as_str().expect("nextLink on a full page");
    assert!(next.starts_with(&format!(
        "{}/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines?",
        server.url()
    )));
    assert!(next.contains(&format!("api-version={VM_API}")));
    assert!(next.contains("statusOnly=true"));
    assert!(next.contains("$skiptoken="));

    let (items, pages) = collect_pages(&server, &first);
    assert_eq!((items.len(), pages), (250, 3));
    // statusOnly survives paging: every page carries instance views.
    assert!(items
        .iter()
        .all(|v| v.pointer("/properties/instanceView/statuses").is_some()));
    // Stable order: by id, case-insensitively, no duplicates.
    let ids: Vec<String> = items
        .iter()
        .map(|v| v["id"].as_str().unwrap_or("").to_ascii_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted);

    let (nics, _) = collect_pages(
        &server,
        &format!(
        "/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces?api-version={NET_API}"
    ),
    );
    assert_eq!(nics.len(), 250);
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn resource_group_lists_and_empty_lists() {
    let server = start(config().page_size(2));
    let (vms, pages) = collect_pages(
        &server,
        &format!(
            "{}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}",
            rg_id("rg-app")
        ),
    );
    assert_eq!((vms.len(), pages), (3, 2));
    let names: Vec<&str> = vms.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["app1", "Db1", "web1"]);

    // A known type with no resources: an empty list, no nextLink.
    let body = json(get(&server, &format!(
        "/subscriptions/{SUB}/providers/Microsoft.ClassicCompute/virtualMachines?api-version=2016-04-01"
    )));
    assert_eq!(body, json!({"value": []}));
    // A listed subscription without resources.
    let body = json(get(&server, &format!(
        "/subscriptions/{SUB2}/providers/Microsoft.Network/networkSecurityGroups?api-version={NET_API}"
    )));
    assert_eq!(body, json!({"value": []}));
    // Type names are case-insensitive.
    let body = json(get(&server, &format!(
        "/subscriptions/{SUB}/providers/microsoft.network/NETWORKSECURITYGROUPS?api-version={NET_API}"
    )));
    assert_eq!(body["value"][0]["name"], "nsg1");
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn subscriptions_are_listed_and_fetched() {
    let server = start(config());
    let body = json(get(&server, "/subscriptions?api-version=2022-12-01"));
    let subs = body["value"].as_array().expect("value");
    assert_eq!(subs.len(), 2);
    let prod = subs
        .iter()
        .find(|s| s["subscriptionId"] == SUB)
        .expect("listed");
    assert_eq!(prod["id"], format!("/subscriptions/{SUB}"));
    assert_eq!(prod["displayName"], "Contoso Prod");
    assert_eq!(prod["state"], "Enabled");
    assert!(prod["tenantId"].is_string());

    let one = json(get(
        &server,
        &format!(
            "/subscriptions/{}?api-version=2022-12-01",
            SUB.to_uppercase()
        ),
    ));
    assert_eq!(one["subscriptionId"], SUB);

    let resp = get(
        &server,
        "/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01",
    );
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "SubscriptionNotFound");
}

#[test]
fn subscriptions_are_derived_from_resource_ids_when_not_listed() {
    let mut doc = small_snapshot();
    doc.as_object_mut().map(|o| o.remove("subscriptions"));
    let server = start(MockConfig::new(doc).expected_token(TOKEN));
    let body = json(get(&server, "/subscriptions?api-version=2022-12-01"));
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["value"][0]["subscriptionId"], SUB);
    assert_eq!(body["value"][0]["state"], "Enabled");
}

// ---------------------------------------------------------------- VM views

#[test]
fn plain_list_strips_the_instance_view_and_status_only_adds_it() {
    let server = start(config());
    let plain = json(get(
        &server,
        &format!(
            "/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}"
        ),
    ));
    let items = plain["value"].as_array().expect("value");
    assert_eq!(items.len(), 3);
    assert!(items
        .iter()
        .all(|v| v.pointer("/properties/instanceView").is_none()));
    assert!(items
        .iter()
        .all(|v| v.pointer("/properties/storageProfile").is_some()));

    let status = json(get(&server, &format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}&statusOnly=true"
    )));
    let by_name = |n: &str| {
        status["value"]
            .as_array()
            .and_then(|a| a.iter().find(|v| v["name"] == n))
            .cloned()
            .expect("vm")
    };
    assert_eq!(
        by_name("web1").pointer("/properties/instanceView/statuses/1/code"),
        Some(&json!("PowerState/running"))
    );
    assert_eq!(
        by_name("Db1").pointer("/properties/instanceView/statuses/1/code"),
        Some(&json!("PowerState/deallocated"))
    );
    // No instance view in the snapshot: provisioning status only, no power state.
    let app1 = by_name("app1");
    let statuses = app1
        .pointer("/properties/instanceView/statuses")
        .and_then(Value::as_array)
        .expect("statuses");
    assert!(statuses
        .iter()
        .all(|s| !s["code"].as_str().unwrap_or("").starts_with("PowerState/")));
}

#[test]
fn get_by_id_expand_and_instance_view() {
    let server = start(config());
    let plain = json(get(
        &server,
        &format!("{}?api-version={VM_API}", vm_id("web1")),
    ));
    assert_eq!(plain["name"], "web1");
    assert!(plain.pointer("/properties/instanceView").is_none());

    let expanded = json(get(
        &server,
        &format!(
            "{}?api-version={VM_API}&$expand=instanceView",
            vm_id("web1")
        ),
    ));
    assert_eq!(
        expanded.pointer("/properties/instanceView/statuses/1/code"),
        Some(&json!("PowerState/running"))
    );

    let iv = json(get(
        &server,
        &format!("{}/instanceView?api-version={VM_API}", vm_id("Db1")),
    ));
    assert_eq!(
        iv.pointer("/statuses/1/code"),
        Some(&json!("PowerState/deallocated"))
    );

    // Ids are case-insensitive.
    let upper = json(get(
        &server,
        &format!("{}?api-version={VM_API}", vm_id("WEB1").to_uppercase()),
    ));
    assert_eq!(upper["name"], "web1");
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn resource_graph_snapshots_are_served_in_arm_shape() {
    let row = json!({
        "id": vm_id("graphvm").to_ascii_lowercase(), "name": "graphvm",
        "type": "microsoft.compute/virtualmachines", "location": "westeurope",
        "resourceGroup": "rg-app", "subscriptionId": SUB, "tenantId": "t", "plan": null,
        "properties": {"provisioningState": "Succeeded",
            "extended": {"instanceView": {"powerState": {"code": "PowerState/stopped", "displayStatus": "VM stopped"}}}}
    });
    let server = start(MockConfig::new(json!({"data": [row]})).expected_token(TOKEN));
    let vm = json(get(
        &server,
        &format!(
            "{}?api-version={VM_API}&$expand=instanceView",
            vm_id("graphvm")
        ),
    ));
    assert_eq!(vm["type"], "Microsoft.Compute/virtualMachines");
    assert!(vm.get("resourceGroup").is_none() && vm.pointer("/properties/extended").is_none());
    assert_eq!(
        vm.pointer("/properties/instanceView/statuses/1/code"),
        Some(&json!("PowerState/stopped"))
    );
}

#[test]
fn child_resources_are_served_from_their_parent() {
    let server = start(config());
    let subnet = json(get(
        &server,
        &format!(
            "{}/subnets/WEB?api-version={NET_API}",
            net_id("virtualNetworks", "vnet1")
        ),
    ));
    assert_eq!(subnet["name"], "web");
    assert_eq!(
        subnet.pointer("/properties/addressPrefix"),
        Some(&json!("10.0.0.0/24"))
    );
    assert_eq!(subnet["type"], "Microsoft.Network/virtualNetworks/subnets");

    let rule = json(get(
        &server,
        &format!(
            "{}/inboundNatRules/rdp-web1?api-version={NET_API}",
            net_id("loadBalancers", "lb1")
        ),
    ));
    assert_eq!(rule.pointer("/properties/backendPort"), Some(&json!(3389)));

    let resp = get(
        &server,
        &format!(
            "{}/subnets/nope?api-version={NET_API}",
            net_id("virtualNetworks", "vnet1")
        ),
    );
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "ResourceNotFound");
}

#[test]
fn missing_resources_and_groups_answer_like_arm() {
    let server = start(config());
    let resp = get(&server, &format!("{}?api-version={VM_API}", vm_id("ghost")));
    assert_eq!(resp.status(), 404);
    let body = json(resp);
    assert_eq!(
        body,
        json!({"error": {"code": "ResourceNotFound", "message":
        "The Resource 'Microsoft.Compute/virtualMachines/ghost' under resource group 'rg-app' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"}})
    );

    let resp = get(&server, &format!(
        "/subscriptions/{SUB}/resourceGroups/rg-none/providers/Microsoft.Compute/virtualMachines/x?api-version={VM_API}"
    ));
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "ResourceGroupNotFound");

    let resp = get(&server, &format!(
        "/subscriptions/{SUB}/resourceGroups/rg-none/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}"
    ));
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "ResourceGroupNotFound");
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn unmatched_routes_are_404_and_logged() {
    let server = start(config());
    let resp = get(&server, "/nothing/here?api-version=2022-12-01");
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "NotFound");
    let resp = get(
        &server,
        &format!("/subscriptions/{SUB}/providers/Microsoft.Foo/bars?api-version=2022-12-01"),
    );
    assert_eq!(resp.status(), 404);
    assert_eq!(error_code(&json(resp)), "InvalidResourceType");
    // A POST action the mock does not model (Run Command is modelled: tests/runcommand.rs).
    let resp = client()
        .post(format!(
            "{}{}/restart?api-version={VM_API}",
            server.url(),
            vm_id("web1")
        ))
        .bearer_auth(TOKEN)
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 405);
    let unmatched = server.unmatched_requests();
    assert_eq!(unmatched.len(), 3);
    assert!(unmatched
        .iter()
        .all(|r| r.route == "unmatched" || r.route == "list"));
}

// ---------------------------------------------------------------- protocol basics

#[test]
fn api_version_is_required_everywhere() {
    let server = start(config());
    for path in [
        "/subscriptions".to_owned(),
        vm_id("web1"),
        format!("/subscriptions/{SUB}/providers/Microsoft.Network/networkInterfaces"),
    ] {
        let resp = get(&server, &path);
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(
            json(resp),
            json!({"error": {"code": "MissingApiVersionParameter",
            "message": "The api-version query parameter (?api-version=) is required for all requests."}})
        );
    }
    let resp = get(&server, "/subscriptions?api-version=latest");
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&json(resp)), "InvalidApiVersionParameter");
}

#[test]
fn authentication_failures_are_401_with_a_challenge() {
    let server = start(config());
    let url = format!("{}/subscriptions?api-version=2022-12-01", server.url());

    let resp = client().get(&url).send().expect("sent");
    assert_eq!(resp.status(), 401);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(challenge.starts_with("Bearer authorization_uri=\"https://login.microsoftonline.com/"));
    assert!(challenge.contains("error=\"invalid_token\""));
    assert_eq!(
        json(resp),
        json!({"error": {"code": "AuthenticationFailed",
        "message": "Authentication failed. The 'Authorization' header is missing."}})
    );

    let resp = client()
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    assert_eq!(error_code(&json(resp)), "InvalidAuthenticationToken");

    assert_eq!(get_url(&url).status(), 200);

    let log = server.requests();
    let flags: Vec<(bool, bool, Option<u16>)> = log
        .iter()
        .map(|r| (r.bearer_present, r.token_matched, r.status))
        .collect();
    assert_eq!(
        flags,
        [
            (false, false, Some(401)),
            (true, false, Some(401)),
            (true, true, Some(200))
        ]
    );
}

#[test]
fn any_bearer_token_is_accepted_when_none_is_configured() {
    let server = start(MockConfig::new(small_snapshot()));
    let resp = client()
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            server.url()
        ))
        .bearer_auth("whatever")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 200);
}

#[test]
fn responses_carry_arm_headers() {
    let server = start(config());
    let path = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Network/networkInterfaces?api-version={NET_API}"
    );
    let first = get(&server, &path);
    let h = first.headers();
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
    let rid = h["x-ms-request-id"].to_str().expect("ascii");
    assert_eq!(
        rid.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(h.contains_key("x-ms-correlation-request-id"));
    assert_eq!(h["x-ms-ratelimit-remaining-subscription-reads"], "249");
    let second = get(&server, &path);
    let remaining: u32 = second.headers()["x-ms-ratelimit-remaining-subscription-reads"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("number");
    assert!(remaining <= 249);
    // The correlation id a client sends is echoed back.
    let resp = client()
        .get(format!("{}{path}", server.url()))
        .bearer_auth(TOKEN)
        .header("x-ms-correlation-request-id", "my-correlation")
        .send()
        .expect("sent");
    assert_eq!(
        resp.headers()["x-ms-correlation-request-id"],
        "my-correlation"
    );
    // Tenant-level requests report the tenant budget.
    let resp = get(&server, "/subscriptions?api-version=2022-12-01");
    assert!(resp
        .headers()
        .contains_key("x-ms-ratelimit-remaining-tenant-reads"));
}

#[test]
fn latency_delays_every_response() {
    let server = start(config().latency(Duration::from_millis(150)));
    let t = std::time::Instant::now();
    assert_eq!(
        get(&server, "/subscriptions?api-version=2022-12-01").status(),
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(150));
}

// ---------------------------------------------------------------- faults

#[test]
fn throttling_answers_429_with_retry_after_seconds() {
    let faults = Faults::none().throttle(Throttle::first(2).retry_after(RetryAfter::Seconds(7)));
    let server = start(config().faults(faults));
    let path = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}"
    );
    for _ in 0..2 {
        let resp = get(&server, &path);
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(
            resp.headers()["x-ms-ratelimit-remaining-subscription-reads"],
            "0"
        );
        let body = json(resp);
        assert_eq!(error_code(&body), "SubscriptionRequestsThrottled");
        assert!(body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .contains("'7' seconds"));
    }
    assert_eq!(get(&server, &path).status(), 200);
    let faults: Vec<Option<String>> = server.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [Some("throttle".into()), Some("throttle".into()), None]
    );
}

#[test]
fn throttling_with_an_http_date_and_only_for_one_type() {
    let faults = Faults::none().throttle(
        Throttle::every(2)
            .retry_after(RetryAfter::HttpDate(3))
            .only_type("Microsoft.Network/networkInterfaces"),
    );
    let server = start(config().faults(faults));
    let nics = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Network/networkInterfaces?api-version={NET_API}"
    );
    let vms = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version={VM_API}"
    );
    assert_eq!(get(&server, &vms).status(), 200);
    assert_eq!(get(&server, &nics).status(), 200);
    assert_eq!(get(&server, &vms).status(), 200);
    let before = SystemTime::now();
    let resp = get(&server, &nics);
    assert_eq!(resp.status(), 429);
    let date = httpdate::parse_http_date(resp.headers()["retry-after"].to_str().expect("ascii"))
        .expect("HTTP-date");
    let wait = date.duration_since(before).expect("in the future");
    assert!(
        wait >= Duration::from_secs(3) && wait <= Duration::from_secs(5),
        "{wait:?}"
    );
    assert_eq!(get(&server, &nics).status(), 200);
}

#[test]
fn server_errors_have_arm_bodies() {
    let server = start(config().faults(Faults::none().error_first(3)));
    for _ in 0..3 {
        let resp = get(&server, "/subscriptions?api-version=2022-12-01");
        let status = resp.status().as_u16();
        let body = json(resp);
        match status {
            500 => assert_eq!(error_code(&body), "InternalServerError"),
            503 => assert_eq!(error_code(&body), "ServiceUnavailable"),
            other => panic!("status {other}"),
        }
    }
    assert_eq!(
        get(&server, "/subscriptions?api-version=2022-12-01").status(),
        200
    );
}

#[test]
fn error_rate_is_deterministic_for_a_seed() {
    let run = |seed| {
        let server = start(config().faults(Faults::none().error_rate(0.5)).seed(seed));
        (0..20)
            .map(|_| {
                get(&server, "/subscriptions?api-version=2022-12-01")
                    .status()
                    .as_u16()
            })
            .collect::<Vec<_>>()
    };
    let a = run(11);
    assert_eq!(a, run(11));
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 500));
}

/// Sends one raw HTTP/1.1 request and returns everything the server wrote before closing.
fn raw_get(server: &mock_arm::MockServer, path: &str) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n", server.addr())
        .expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    buf
}

#[test]
fn dropped_connections_close_without_a_response() {
    let server = start(config().faults(Faults::none().drop_first(1)));
    assert!(raw_get(&server, "/subscriptions?api-version=2022-12-01").is_empty());
    let second = raw_get(&server, "/subscriptions?api-version=2022-12-01");
    assert!(
        second.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&second)
    );
    let log = server.requests();
    assert_eq!(log[0].status, None);
    assert_eq!(log[0].fault.as_deref(), Some("drop"));
    assert_eq!(log[1].status, Some(200));
}

#[test]
fn dropped_connection_is_an_error_for_an_http_client() {
    let server = start(config().faults(Faults::none().drop_first(1)));
    let r = client()
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            server.url()
        ))
        .bearer_auth(TOKEN)
        .send();
    assert!(r.is_err());
}

#[test]
fn forbidden_types_answer_403_authorization_failed() {
    let server = start(
        config().faults(Faults::none().forbid_type("Microsoft.Network/networkSecurityGroups")),
    );
    let resp = get(&server, &format!(
        "/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups?api-version={NET_API}"
    ));
    assert_eq!(resp.status(), 403);
    let body = json(resp);
    assert_eq!(error_code(&body), "AuthorizationFailed");
    let msg = body
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("");
    assert!(msg.contains("does not have authorization to perform action 'Microsoft.Network/networkSecurityGroups/read'"), "{msg}");
    assert!(
        msg.contains(&format!("over scope '/subscriptions/{SUB}'")),
        "{msg}"
    );
    assert!(msg.ends_with("If access was recently granted, please refresh your credentials."));

    let resp = get(
        &server,
        &format!(
            "{}?api-version={NET_API}",
            net_id("networkSecurityGroups", "nsg1")
        ),
    );
    assert_eq!(resp.status(), 403);
    // Other types are unaffected.
    let resp = get(&server, &format!("/subscriptions/{SUB}/providers/Microsoft.Network/networkInterfaces?api-version={NET_API}"));
    assert_eq!(resp.status(), 200);
}

#[test]
fn unregistered_namespaces_answer_409() {
    let server = start(config().faults(Faults::none().unregistered("Microsoft.ClassicCompute")));
    let resp = get(&server, &format!(
        "/subscriptions/{SUB}/providers/Microsoft.ClassicCompute/virtualMachines?api-version=2016-04-01"
    ));
    assert_eq!(resp.status(), 409);
    assert_eq!(
        json(resp),
        json!({"error": {"code": "MissingSubscriptionRegistration", "message":
        "The subscription is not registered to use namespace 'Microsoft.ClassicCompute'. See https://aka.ms/rps-not-found for how to register subscriptions."}})
    );
    let provider = json(get(
        &server,
        &format!("/subscriptions/{SUB}/providers/Microsoft.ClassicCompute?api-version=2021-04-01"),
    ));
    assert_eq!(provider["registrationState"], "NotRegistered");
    let provider = json(get(
        &server,
        &format!("/subscriptions/{SUB}/providers/Microsoft.Network?api-version=2021-04-01"),
    ));
    assert_eq!(provider["registrationState"], "Registered");
}

#[test]
fn foreign_next_link_points_elsewhere() {
    let server = start(
        config().faults(Faults::none().foreign_next_link("Microsoft.Network/networkInterfaces")),
    );
    let body = json(get(
        &server,
        &format!(
        "/subscriptions/{SUB}/providers/Microsoft.Network/networkInterfaces?api-version={NET_API}"
    ),
    ));
    let next = body["nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with("https://evil.example.net/subscriptions/"),
        "{next}"
    );
    assert!(next.contains("api-version="));
    assert_eq!(
        server.requests()[0].fault.as_deref(),
        Some("foreignNextLink")
    );
}

// ---------------------------------------------------------------- managed identity

#[test]
fn managed_identity_endpoint_serves_the_arm_token() {
    let server = start(config().identity_header("secret-h"));
    let url = format!(
        "{}?api-version=2019-08-01&resource=https://management.azure.com",
        server.identity_endpoint()
    );
    let resp = client().get(&url).send().expect("sent");
    assert_eq!(resp.status(), 400);
    let resp = client()
        .get(&url)
        .header("X-IDENTITY-HEADER", "nope")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 401);

    let resp = client()
        .get(&url)
        .header("X-IDENTITY-HEADER", "secret-h")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let body = json(resp);
    assert_eq!(body["access_token"], TOKEN);
    assert_eq!(body["resource"], "https://management.azure.com");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["client_id"].is_string());
    let expires: u64 = body["expires_on"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("unix seconds as a string");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    assert!(expires > now);

    let with_client = json(
        client()
            .get(format!("{url}&client_id=abc"))
            .header("x-identity-header", "secret-h")
            .send()
            .expect("sent"),
    );
    assert_eq!(with_client["client_id"], "abc");
    let resp = client()
        .get(format!(
            "{}?api-version=2019-08-01",
            server.identity_endpoint()
        ))
        .header("x-identity-header", "secret-h")
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 400);

    // The served token opens the ARM routes.
    let token = body["access_token"].as_str().expect("token");
    let resp = client()
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            server.url()
        ))
        .bearer_auth(token)
        .send()
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.route == "msi")
            .count()
            == 5
    );
}

// ---------------------------------------------------------------- request log

#[test]
fn request_log_records_requests_and_can_be_cleared() {
    let dir = std::env::temp_dir().join(format!("mock-arm-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let file = dir.join("requests.jsonl");
    let server = start(config().log_file(&file));
    get(&server, "/subscriptions?api-version=2022-12-01");
    get(&server, &format!("{}?api-version={VM_API}", vm_id("web1")));
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/subscriptions?api-version=2022-12-01");
    assert_eq!(log[0].route, "listSubscriptions");
    assert_eq!(log[1].route, "get");
    assert_eq!(
        log[1].resource_type.as_deref(),
        Some("Microsoft.Compute/virtualMachines")
    );
    assert!(log[0].at <= log[1].at);
    assert_eq!((log[0].seq, log[1].seq), (1, 2));

    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .expect("log file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[1]["bearerPresent"], true);
    assert!(lines[1]["atMs"].is_number());

    server.clear_log();
    assert!(server.requests().is_empty());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dropping_the_server_stops_it() {
    let server = start(config());
    let addr = server.addr();
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn bad_snapshots_are_rejected_before_start() {
    assert!(MockConfig::from_snapshot_json(b"not json").is_err());
    assert!(MockConfig::from_snapshot_json(br#"{"foo": 1}"#).is_err());
    assert!(MockConfig::from_snapshot_json(b"[]").is_ok());
    let bad = config().faults(Faults::none().error_rate(1.5));
    assert!(mock_arm::MockServer::start(bad).is_err());
}

// ---------------------------------------------------------------- the demo subscription

/// The demo snapshot (maintained next to this crate) is served without warnings, and every
/// resource in it comes back from a GET by id as stored (minus the instance view, which a
/// plain GET omits).
#[test]
fn demo_snapshot_round_trips_through_get_by_id() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/demo-subscription.json");
    let bytes = std::fs::read(&path).expect("mocks/demo/demo-subscription.json is readable");
    let doc: Value = serde_json::from_slice(&bytes).expect("demo is JSON");
    let server = start(
        MockConfig::from_snapshot_json(&bytes)
            .expect("demo loads")
            .expected_token(TOKEN),
    );
    assert!(server.warnings().is_empty(), "{:?}", server.warnings());
    for r in doc["resources"].as_array().expect("resources") {
        let id = r["id"].as_str().expect("id");
        let got = json(get(&server, &format!("{id}?api-version=2025-04-01")));
        let mut want = r.clone();
        if let Some(p) = want.get_mut("properties").and_then(Value::as_object_mut) {
            p.remove("instanceView");
        }
        if r["type"] == "Microsoft.Compute/virtualMachines" {
            assert_eq!(got, want, "{id}");
        } else {
            assert_eq!(got, *r, "{id}");
        }
    }
    assert!(server.unmatched_requests().is_empty());
}
