use super::*;

fn segs(p: &str) -> Vec<String> {
    p.trim_matches('/').split('/').map(str::to_owned).collect()
}

#[test]
fn parses_route_shapes() {
    let g = Method::GET;
    assert_eq!(
        Route::parse(&g, &segs("/subscriptions")),
        Route::ListSubscriptions
    );
    assert_eq!(
        Route::parse(&g, &segs("/SUBSCRIPTIONS/s")),
        Route::GetSubscription { sub: "s".into() }
    );
    assert!(matches!(
        Route::parse(
            &g,
            &segs("/subscriptions/s/providers/Microsoft.Network/networkInterfaces")
        ),
        Route::List { rg: None, .. }
    ));
    assert!(matches!(
        Route::parse(
            &g,
            &segs(
                "/subscriptions/s/resourcegroups/r/providers/Microsoft.Network/networkInterfaces"
            )
        ),
        Route::List { rg: Some(_), .. }
    ));
    let r = Route::parse(
        &g,
        &segs("/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm/instanceView"),
    );
    assert_eq!(r.kind(), "instanceView");
    let r = Route::parse(
        &g,
        &segs("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a"),
    );
    assert_eq!(r.kind(), "getChild");
    assert_eq!(
        r.resource_type().as_deref(),
        Some("Microsoft.Network/virtualNetworks")
    );
    assert_eq!(Route::parse(&g, &segs("/foo")), Route::Unmatched);
    assert_eq!(
        Route::parse(&Method::POST, &segs("/subscriptions")),
        Route::Unmatched
    );
    let graph = Route::parse(
        &Method::POST,
        &segs("/providers/microsoft.resourcegraph/Resources"),
    );
    assert_eq!((graph.kind(), graph.subscription()), ("graph", None));
    assert_eq!(
        Route::parse(&g, &segs("/providers/Microsoft.ResourceGraph/resources")),
        Route::Unmatched
    );
    assert_eq!(
        Route::parse(
            &g,
            &segs("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkInterfaces/n/instanceView")
        ),
        Route::Unmatched
    );
}

#[test]
fn parses_run_command_routes() {
    let post = Route::parse(
        &Method::POST,
        &segs("/SUBSCRIPTIONS/s/resourcegroups/r/providers/microsoft.compute/VIRTUALMACHINES/vm/RUNCOMMAND"),
    );
    assert_eq!(
        (post.kind(), post.subscription()),
        ("runCommand", Some("s"))
    );
    assert_eq!(
        post.resource_type().as_deref(),
        Some("Microsoft.Compute/virtualMachines")
    );
    // Only VMs, only POST.
    for (m, p) in [
        (Method::GET, "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm/runCommand"),
        (Method::POST, "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkInterfaces/n/runCommand"),
        (Method::POST, "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm"),
    ] {
        assert_eq!(Route::parse(&m, &segs(p)), Route::Unmatched, "{m} {p}");
    }
    let path =
        segs("/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op1");
    let status = Route::of_request(
        &Method::GET,
        &path,
        &Query::parse(Some("p=x&api-version=2025-04-01")),
    );
    assert_eq!(
        (status.kind(), status.subscription()),
        ("operationStatus", Some("s"))
    );
    assert_eq!(
        status.resource_type().as_deref(),
        Some(crate::runcommand::OPERATION_TYPE)
    );
    let result = Route::of_request(&Method::GET, &path, &Query::parse(Some("monitor=True")));
    assert_eq!(result.kind(), "operationResult");
    assert_eq!(
        Route::parse(
            &Method::GET,
            &segs("/subscriptions/s/providers/Microsoft.Network/locations/l/operations/o")
        ),
        Route::Unmatched
    );
}

#[test]
fn finds_children_by_name_case_insensitively() {
    let vnet = json!({"properties": {"subnets": [{"name": "a"}, {"name": "Web", "id": "x"}]}});
    let c = child(&vnet, &["SUBNETS".into()], &["web".into()]);
    assert_eq!(c, Some(json!({"name": "Web", "id": "x"})));
    assert_eq!(child(&vnet, &["subnets".into()], &["zzz".into()]), None);
    assert_eq!(child(&vnet, &["routes".into()], &["a".into()]), None);
}
