//! ARM routes: which URL shapes the mock answers and what it answers. Request-level concerns
//! (authentication, api-version, injected throttling/5xx, headers, logging) live in `server`.
//!
//! URL shapes follow the ARM REST reference: lists
//! `GET /subscriptions/{sub}[/resourceGroups/{rg}]/providers/{ns}/{type}`, GET by id, child
//! resources inline in their parent (subnets in a VNet, NAT rules in a load balancer), and the VM
//! instance view only on request (`$expand=instanceView`, `statusOnly=true`, `/instanceView`;
//! <https://learn.microsoft.com/rest/api/compute/virtual-machines/get>). Resource Graph's one
//! POST route is answered by `graph`; VM Run Command and its operation URLs by `runcommand`.

use crate::http::{
    authorization_failed, group_not_found, resource_not_found, unmatched, unregistered_fault, Ctx,
    Query, Reply,
};
use crate::ids::{canonical_type, eq, ResourceId, VM_TYPE_LC};
use hyper::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

/// The route a request matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /msi/token`: the App Service managed-identity endpoint.
    Msi,
    /// `GET /subscriptions`.
    ListSubscriptions,
    /// `GET /subscriptions/{sub}`.
    GetSubscription { sub: String },
    /// `GET /subscriptions/{sub}/resourceGroups`.
    ListResourceGroups { sub: String },
    /// `GET /subscriptions/{sub}/resourceGroups/{rg}`.
    GetResourceGroup { sub: String, rg: String },
    /// `GET /subscriptions/{sub}/providers/{ns}` (registration state).
    GetProvider { sub: String, ns: String },
    /// A list of one resource type, in a subscription or one resource group.
    List {
        sub: String,
        rg: Option<String>,
        ns: String,
        ty: String,
    },
    /// GET by id (top-level or child), or a VM's `/instanceView`.
    Get { id: ResourceId, instance_view: bool },
    /// `POST /providers/Microsoft.ResourceGraph/resources`: a Resource Graph query.
    Graph,
    /// `POST {vm id}/runCommand`: VM Run Command, a long-running operation.
    RunCommand { id: ResourceId },
    /// `GET /subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{op}`:
    /// a Compute operation's status (`Azure-AsyncOperation`), or with `monitor=true` its result
    /// (`Location`).
    Operation {
        sub: String,
        location: String,
        op: String,
        result: bool,
    },
    /// `GET {parent id}/ruleCollectionGroups`: child resources not inline in their parent.
    ListChildren { parent: ResourceId, child: String },
    /// `POST {vnet id}/listNetworkManagerEffectiveSecurityAdminRules`.
    AdminRules { vnet: ResourceId },
    /// Nothing matched (or not a GET).
    Unmatched,
}

impl Route {
    /// Matches a request: its percent-decoded path segments, then the query where it decides
    /// the route (`monitor=true` makes an operation URL the result URL).
    pub fn of_request(method: &Method, segs: &[String], query: &Query) -> Route {
        match Route::parse(method, segs) {
            Route::Operation {
                sub, location, op, ..
            } => Route::Operation {
                sub,
                location,
                op,
                result: query.is("monitor", "true"),
            },
            other => other,
        }
    }

    /// Matches percent-decoded path segments.
    pub fn parse(method: &Method, segs: &[String]) -> Route {
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        if let ["providers", ns, ty] = s.as_slice() {
            if eq(ns, "Microsoft.ResourceGraph") && eq(ty, "resources") && method == Method::POST {
                return Route::Graph;
            }
        }
        if method == Method::POST {
            if let Some(vnet) = crate::doors::admin_rules_post(&s) {
                return Route::AdminRules { vnet };
            }
            // `.../virtualMachines/{vm}/runCommand`: like `/instanceView`, one segment past an id.
            if let Some((last, head)) = s.split_last() {
                if eq(last, "runCommand") {
                    if let Some(id) = ResourceId::from_segments(head) {
                        if id.types.len() == 1 && eq(&id.top_type(), VM_TYPE_LC) {
                            return Route::RunCommand { id };
                        }
                    }
                }
            }
        }
        if method != Method::GET {
            return Route::Unmatched;
        }
        match s.as_slice() {
            ["msi", "token"] => Route::Msi,
            [subs] if eq(subs, "subscriptions") => Route::ListSubscriptions,
            [subs, sub] if eq(subs, "subscriptions") => Route::GetSubscription { sub: own(sub) },
            [subs, sub, rgs] if eq(subs, "subscriptions") && eq(rgs, "resourceGroups") => {
                Route::ListResourceGroups { sub: own(sub) }
            }
            [subs, sub, rgs, rg] if eq(subs, "subscriptions") && eq(rgs, "resourceGroups") => {
                Route::GetResourceGroup {
                    sub: own(sub),
                    rg: own(rg),
                }
            }
            [subs, sub, p, ns] if eq(subs, "subscriptions") && eq(p, "providers") => {
                Route::GetProvider {
                    sub: own(sub),
                    ns: own(ns),
                }
            }
            [subs, sub, p, ns, ty] if eq(subs, "subscriptions") && eq(p, "providers") => {
                Route::List {
                    sub: own(sub),
                    rg: None,
                    ns: own(ns),
                    ty: own(ty),
                }
            }
            [subs, sub, p, ns, locs, loc, ops, op]
                if eq(subs, "subscriptions")
                    && eq(p, "providers")
                    && eq(ns, "Microsoft.Compute")
                    && eq(locs, "locations")
                    && eq(ops, "operations") =>
            {
                Route::Operation {
                    sub: own(sub),
                    location: own(loc),
                    op: own(op),
                    result: false,
                }
            }
            [subs, sub, rgs, rg, p, ns, ty]
                if eq(subs, "subscriptions") && eq(rgs, "resourceGroups") && eq(p, "providers") =>
            {
                Route::List {
                    sub: own(sub),
                    rg: Some(own(rg)),
                    ns: own(ns),
                    ty: own(ty),
                }
            }
            _ => {
                if let Some((parent, child)) = crate::doors::child_list(&s) {
                    return Route::ListChildren { parent, child };
                }
                if let Some(id) = ResourceId::from_segments(&s) {
                    return Route::Get {
                        id,
                        instance_view: false,
                    };
                }
                // `.../virtualMachines/{vm}/instanceView`: an odd number of segments after
                // `providers/{ns}`, so it is not a child id.
                if let Some((last, head)) = s.split_last() {
                    if eq(last, "instanceView") {
                        if let Some(id) = ResourceId::from_segments(head) {
                            if id.types.len() == 1 && eq(&id.top_type(), VM_TYPE_LC) {
                                return Route::Get {
                                    id,
                                    instance_view: true,
                                };
                            }
                        }
                    }
                }
                Route::Unmatched
            }
        }
    }

    /// The name used in the request log.
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Msi => "msi",
            Route::ListSubscriptions => "listSubscriptions",
            Route::GetSubscription { .. } => "getSubscription",
            Route::ListResourceGroups { .. } => "listResourceGroups",
            Route::GetResourceGroup { .. } => "getResourceGroup",
            Route::GetProvider { .. } => "getProvider",
            Route::List { .. } => "list",
            Route::Get {
                instance_view: true,
                ..
            } => "instanceView",
            Route::Get { id, .. } if id.types.len() > 1 => "getChild",
            Route::Get { .. } => "get",
            Route::Graph => "graph",
            Route::RunCommand { .. } => "runCommand",
            Route::Operation { result: false, .. } => "operationStatus",
            Route::Operation { result: true, .. } => "operationResult",
            Route::ListChildren { .. } => "listChildren",
            Route::AdminRules { .. } => "adminRules",
            Route::Unmatched => "unmatched",
        }
    }

    /// The top-level resource type the request is about (canonical casing where known): what
    /// `--throttle-type`, `--forbid-type` and `--foreign-next-link` match against.
    pub fn resource_type(&self) -> Option<String> {
        match self {
            Route::ListSubscriptions | Route::GetSubscription { .. } => {
                Some("Microsoft.Resources/subscriptions".into())
            }
            Route::ListResourceGroups { .. } | Route::GetResourceGroup { .. } => {
                Some("Microsoft.Resources/resourceGroups".into())
            }
            Route::List { ns, ty, .. } => Some(canonical_type(&format!("{ns}/{ty}")).to_owned()),
            Route::Get { id, .. } => Some(canonical_type(&id.top_type()).to_owned()),
            Route::Graph => Some("Microsoft.ResourceGraph/resources".into()),
            Route::RunCommand { .. } => Some("Microsoft.Compute/virtualMachines".into()),
            Route::Operation { .. } => Some(crate::runcommand::OPERATION_TYPE.into()),
            Route::ListChildren { parent, .. } => {
                Some(canonical_type(&parent.top_type()).to_owned())
            }
            Route::AdminRules { .. } => Some("Microsoft.Network/networkManagers".into()),
            Route::Msi | Route::GetProvider { .. } | Route::Unmatched => None,
        }
    }

    /// The subscription in the path, if any (for the per-subscription rate-limit header).
    pub fn subscription(&self) -> Option<&str> {
        match self {
            Route::GetSubscription { sub }
            | Route::ListResourceGroups { sub }
            | Route::GetResourceGroup { sub, .. }
            | Route::GetProvider { sub, .. }
            | Route::List { sub, .. }
            | Route::Operation { sub, .. } => Some(sub),
            Route::Get { id, .. } | Route::RunCommand { id } => Some(&id.subscription),
            Route::ListChildren { parent: id, .. } | Route::AdminRules { vnet: id } => {
                Some(&id.subscription)
            }
            Route::Msi | Route::ListSubscriptions | Route::Graph | Route::Unmatched => None,
        }
    }
}

fn own(s: &str) -> String {
    s.to_owned()
}

/// Answers an authenticated, well-formed ARM request.
pub(crate) fn dispatch(ctx: &Ctx<'_>, route: &Route) -> Reply {
    if let Some(sub) = route.subscription() {
        if ctx.store.subscription(sub).is_none() {
            return subscription_not_found(sub);
        }
    }
    match route {
        Route::ListSubscriptions => {
            let subs = &ctx.store.subscriptions;
            page(ctx, subs.len(), |i| subs[i].json.clone(), false)
        }
        Route::GetSubscription { sub } => match ctx.store.subscription(sub) {
            Some(s) => Reply::ok(s.json.clone()),
            None => subscription_not_found(sub),
        },
        Route::ListResourceGroups { sub } => {
            let key = sub.to_ascii_lowercase();
            let groups: Vec<Value> = ctx
                .store
                .groups
                .iter()
                .filter(|((s, _), _)| *s == key)
                .map(|(_, g)| group_body(&g.subscription, &g.name, &g.location))
                .collect();
            page(ctx, groups.len(), |i| groups[i].to_string(), false)
        }
        Route::GetResourceGroup { sub, rg } => {
            match ctx
                .store
                .groups
                .get(&(sub.to_ascii_lowercase(), rg.to_ascii_lowercase()))
            {
                Some(g) => Reply::ok(group_body(&g.subscription, &g.name, &g.location).to_string()),
                None => group_not_found(rg),
            }
        }
        Route::GetProvider { sub, ns } => provider(ctx, sub, ns),
        Route::List { sub, rg, ns, ty } => list(ctx, sub, rg.as_deref(), ns, ty),
        Route::Get { id, instance_view } => get(ctx, id, *instance_view),
        Route::Graph => crate::graph::query(ctx),
        Route::RunCommand { id } => crate::runcommand::post(ctx, id),
        Route::Operation {
            sub,
            location,
            op,
            result,
        } => crate::runcommand::poll(ctx, sub, location, op, *result),
        Route::ListChildren { parent, child } => {
            if ctx.store.get(&parent.top_id_lc()).is_none() {
                return resource_not_found(&parent.type_and_name(), &parent.resource_group);
            }
            let items = ctx.store.doors.children_of(parent, child).unwrap_or(&[]);
            page(ctx, items.len(), |i| items[i].1.clone(), false)
        }
        Route::AdminRules { vnet } => crate::doors::admin_rules(ctx, vnet),
        Route::Msi | Route::Unmatched => unmatched(ctx),
    }
}

fn subscription_not_found(sub: &str) -> Reply {
    Reply::error(
        404,
        "SubscriptionNotFound",
        format!("The subscription '{sub}' could not be found."),
    )
}

fn group_body(sub: &str, name: &str, location: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{name}"),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "properties": {"provisioningState": "Succeeded"}
    })
}

fn invalid_type(ctx: &Ctx<'_>, ns: &str, ty: &str) -> Reply {
    let version = ctx.query.get("api-version").unwrap_or_default();
    Reply::error(
        404,
        "InvalidResourceType",
        format!(
            "The resource type '{ty}' could not be found in the namespace '{ns}' for api version '{version}'."
        ),
    )
    .unmatched()
}

/// 409 / 403 faults that depend on what the request addresses.
fn access_fault(
    ctx: &Ctx<'_>,
    ns: &str,
    top_type: &str,
    action_type: &str,
    scope: &str,
) -> Option<Reply> {
    if let Some(r) = unregistered_fault(ctx, ns) {
        return Some(r);
    }
    if ctx
        .cfg
        .faults
        .forbidden_types
        .iter()
        .any(|t| eq(t, top_type))
    {
        return Some(authorization_failed(
            ctx,
            &format!("{action_type}/read"),
            scope,
        ));
    }
    None
}

fn list(ctx: &Ctx<'_>, sub: &str, rg: Option<&str>, ns: &str, ty: &str) -> Reply {
    let full = format!("{ns}/{ty}");
    if !ctx.store.knows_type(&full) {
        return invalid_type(ctx, ns, ty);
    }
    let canonical = canonical_type(&full).to_owned();
    let scope = match rg {
        Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        None => format!("/subscriptions/{sub}"),
    };
    if let Some(r) = access_fault(ctx, ns, &canonical, &canonical, &scope) {
        return r;
    }
    if let Some(rg) = rg {
        if !ctx.store.has_group(sub, rg) {
            return group_not_found(rg);
        }
    }
    let idxs = ctx.store.list(sub, rg, &full);
    // The instance view comes only with `statusOnly=true` (ListAll) or `$expand=instanceView`;
    // a plain list returns the model alone.
    let with_iv = eq(&full, VM_TYPE_LC)
        && (ctx.query.is("statusOnly", "true") || ctx.query.is("$expand", "instanceView"));
    let foreign = ctx
        .cfg
        .faults
        .foreign_next_link_types
        .iter()
        .any(|t| eq(t, &canonical));
    let entries = &ctx.store.entries;
    page(
        ctx,
        idxs.len(),
        |i| {
            let e = &entries[idxs[i]];
            match (&e.with_instance_view, with_iv) {
                (Some(full), true) => full.clone(),
                _ => e.plain.clone(),
            }
        },
        foreign,
    )
}

fn get(ctx: &Ctx<'_>, id: &ResourceId, instance_view: bool) -> Reply {
    let top = id.top_type();
    if !ctx.store.knows_type(&top) {
        return invalid_type(ctx, &id.namespace, &id.types[0]);
    }
    let canonical_top = canonical_type(&top).to_owned();
    // The RBAC action names the full (child) type: `Microsoft.Network/virtualNetworks/subnets/read`.
    let mut action = format!("{canonical_top}{}", &id.full_type()[top.len()..]);
    if instance_view {
        action.push_str("/instanceView");
    }
    if let Some(r) = access_fault(ctx, &id.namespace, &canonical_top, &action, ctx.raw_path) {
        return r;
    }
    if !ctx.store.has_group(&id.subscription, &id.resource_group) {
        return group_not_found(&id.resource_group);
    }
    let not_found = |what: String| resource_not_found(&what, &id.resource_group);
    let Some(entry) = ctx.store.get(&id.top_id_lc()) else {
        return not_found(format!("{}/{}/{}", id.namespace, id.types[0], id.names[0]));
    };
    if instance_view {
        return match &entry.instance_view {
            Some(iv) => Reply::ok(iv.clone()),
            None => not_found(id.type_and_name()),
        };
    }
    if id.types.len() == 1 {
        return match (
            &entry.with_instance_view,
            ctx.query.is("$expand", "instanceView"),
        ) {
            (Some(full), true) => Reply::ok(full.clone()),
            _ => Reply::ok(entry.plain.clone()),
        };
    }
    if let Some(body) = ctx.store.doors.child(id) {
        return Reply::ok(body.to_string());
    }
    // Children are rare requests: re-read the parent from its serialised form rather than keep
    // every resource twice in memory.
    let parent: Value = serde_json::from_str(&entry.plain).unwrap_or_default();
    match child(&parent, &id.types[1..], &id.names[1..]) {
        Some(mut c) => {
            if let Some(o) = c.as_object_mut() {
                o.entry("type").or_insert_with(|| json!(action));
            }
            Reply::ok(c.to_string())
        }
        None => not_found(id.type_and_name()),
    }
}

/// Finds a child resource inline in its parent: `properties.<childType>[]` by name, one level
/// per (type, name) pair (e.g. a VNet's `subnets`, a load balancer's `inboundNatRules`).
fn child(parent: &Value, types: &[String], names: &[String]) -> Option<Value> {
    let mut cur = parent;
    for (t, n) in types.iter().zip(names) {
        let props = cur.get("properties")?.as_object()?;
        let arr = props
            .iter()
            .find(|(k, _)| eq(k, t))
            .and_then(|(_, v)| v.as_array())?;
        cur = arr.iter().find(|item| {
            item.get("name")
                .and_then(Value::as_str)
                .is_some_and(|x| eq(x, n))
        })?;
    }
    Some(cur.clone())
}

fn provider(ctx: &Ctx<'_>, sub: &str, ns: &str) -> Reply {
    if !ctx.store.knows_namespace(ns) {
        return Reply::error(
            404,
            "InvalidResourceNamespace",
            format!("The resource namespace '{ns}' is invalid."),
        )
        .unmatched();
    }
    let canonical_ns = canonical_type(&format!("{ns}/x"))
        .split('/')
        .next()
        .unwrap_or(ns)
        .to_owned();
    let registered = !ctx
        .cfg
        .faults
        .unregistered_namespaces
        .iter()
        .any(|n| eq(n, ns));
    let api_versions: &[&str] = if eq(ns, "Microsoft.Compute") {
        &["2025-04-01", "2024-11-01", "2024-07-01"]
    } else if eq(ns, "Microsoft.Network") {
        &["2025-07-01", "2024-05-01", "2024-03-01"]
    } else {
        &[]
    };
    let types: Vec<Value> = ctx
        .store
        .types_in_namespace(ns)
        .into_iter()
        .map(|t| json!({"resourceType": t, "locations": [], "apiVersions": api_versions}))
        .collect();
    Reply::ok(
        json!({
            "id": format!("/subscriptions/{sub}/providers/{canonical_ns}"),
            "namespace": canonical_ns,
            "registrationState": if registered { "Registered" } else { "NotRegistered" },
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": types
        })
        .to_string(),
    )
}

/// Characters kept as-is in query strings we build (`$skiptoken` stays readable, as in ARM's
/// own `nextLink`s).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'$');

/// One page of a list: `{"value": [...], "nextLink": "<absolute URL>"}`. The skip token is the
/// offset of the next page; `nextLink` repeats the request's query (api-version, statusOnly,
/// $expand, $filter) so it can be followed verbatim, and is absent on the last page.
pub(crate) fn page(
    ctx: &Ctx<'_>,
    total: usize,
    item: impl Fn(usize) -> String,
    foreign: bool,
) -> Reply {
    let offset = match ctx.query.get("$skiptoken") {
        None => 0,
        Some(tok) => match tok.parse::<usize>() {
            Ok(n) if n <= total => n,
            _ => {
                return Reply::error(
                    400,
                    "InvalidSkipToken",
                    format!("The skip token '{tok}' is invalid."),
                )
            }
        },
    };
    let end = (offset + ctx.cfg.page_size).min(total);
    let mut body = String::with_capacity(64 + (end - offset) * 512);
    body.push_str("{\"value\":[");
    for i in offset..end {
        if i > offset {
            body.push(',');
        }
        body.push_str(&item(i));
    }
    body.push(']');
    let mut fault = None;
    let next = if foreign && offset == 0 {
        fault = Some("foreignNextLink");
        let host = ctx
            .cfg
            .faults
            .foreign_host
            .as_deref()
            .unwrap_or(crate::config::DEFAULT_FOREIGN_HOST);
        Some(next_link(ctx, host.trim_end_matches('/'), end))
    } else if end < total {
        Some(next_link(ctx, ctx.base_url, end))
    } else {
        None
    };
    if let Some(link) = next {
        body.push_str(",\"nextLink\":");
        body.push_str(&Value::String(link).to_string());
    }
    body.push('}');
    let reply = Reply::ok(body);
    match fault {
        Some(f) => reply.with_fault(f),
        None => reply,
    }
}

fn next_link(ctx: &Ctx<'_>, base: &str, offset: usize) -> String {
    let mut q: Vec<String> = ctx
        .query
        .0
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect();
    q.push(format!("$skiptoken={offset}"));
    format!("{base}{}?{}", ctx.raw_path, q.join("&"))
}

#[cfg(test)]
mod tests;
