//! The request and response types every handler shares: the parsed query, the reply before
//! headers are added, the request context, and the ARM error replies more than one handler
//! gives. Handlers (`routes`, `graph`, `runcommand`, `msi`) import this module; it imports none
//! of them, so the handlers form no import circle.

use crate::config::MockConfig;
use crate::ids::eq;
use crate::operations::RunCommands;
use crate::store::Store;
use hyper::Method;
use serde_json::json;

/// Query parameters, names compared case-insensitively (ARM accepts `API-VERSION` too).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }
}

/// A response before headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    /// Extra headers (`Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
    /// The injected fault, for the log.
    pub fault: Option<String>,
    /// True when nothing matched.
    pub unmatched: bool,
}

impl Reply {
    pub fn ok(body: String) -> Reply {
        Reply {
            status: 200,
            body,
            headers: Vec::new(),
            fault: None,
            unmatched: false,
        }
    }

    /// A response without a body (a long-running operation's 202).
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: String::new(),
            headers: Vec::new(),
            fault: None,
            unmatched: false,
        }
    }

    /// An ARM error body: exactly `{"error":{"code":…,"message":…}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        let body = json!({"error": {"code": code, "message": message.into()}});
        Reply {
            status,
            body: body.to_string(),
            headers: Vec::new(),
            fault: None,
            unmatched: false,
        }
    }

    pub fn with_fault(mut self, fault: &str) -> Reply {
        self.fault = Some(fault.to_owned());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// Flags the reply as answering a request the mock does not model.
    pub fn unmatched(mut self) -> Reply {
        self.unmatched = true;
        self
    }
}

/// What a route handler needs besides the route.
pub(crate) struct Ctx<'a> {
    pub store: &'a Store,
    pub cfg: &'a MockConfig,
    pub query: &'a Query,
    /// `http://host:port` of this server as the client addressed it.
    pub base_url: &'a str,
    /// The request path exactly as received (still percent-encoded).
    pub raw_path: &'a str,
    pub method: &'a Method,
    /// The request body (read for Resource Graph queries and Run Command only; empty otherwise).
    pub body: &'a [u8],
    /// Why the body could not be read (too large, connection trouble), if it could not.
    pub body_error: Option<&'a str>,
    /// Run Command operations in flight and the guest facts their output comes from.
    pub runs: &'a RunCommands,
    /// The response's `x-ms-correlation-request-id` (Resource Graph quotes it in errors).
    pub correlation: &'a str,
}

pub(crate) fn group_not_found(rg: &str) -> Reply {
    Reply::error(
        404,
        "ResourceGroupNotFound",
        format!("Resource group '{rg}' could not be found."),
    )
}

/// 404 for anything the mock does not model. The request is flagged `unmatched` in the log so
/// tests notice a client asking for something unexpected.
pub(crate) fn unmatched(ctx: &Ctx<'_>) -> Reply {
    if ctx.method != Method::GET {
        return Reply::error(
            405,
            "MethodNotAllowed",
            format!(
                "The requested resource does not support http method '{}'.",
                ctx.method
            ),
        )
        .unmatched();
    }
    Reply::error(
        404,
        "NotFound",
        format!(
            "No HTTP resource was found that matches the request URI '{}{}'.",
            ctx.base_url, ctx.raw_path
        ),
    )
    .unmatched()
}

/// 404 `ResourceNotFound` for a resource (`Namespace/type/name`) missing from its group.
pub(crate) fn resource_not_found(what: &str, rg: &str) -> Reply {
    Reply::error(
        404,
        "ResourceNotFound",
        format!(
            "The Resource '{what}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// 403 `AuthorizationFailed` for `action` over `scope`, in ARM's words.
pub(crate) fn authorization_failed(ctx: &Ctx<'_>, action: &str, scope: &str) -> Reply {
    let oid = &ctx.cfg.principal_id;
    Reply::error(
        403,
        "AuthorizationFailed",
        format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    )
    .with_fault("forbidden")
}

/// 409 `MissingSubscriptionRegistration` when the subscription is not registered for `ns`.
pub(crate) fn unregistered_fault(ctx: &Ctx<'_>, ns: &str) -> Option<Reply> {
    let f = &ctx.cfg.faults;
    if f.unregistered_namespaces.iter().any(|n| eq(n, ns)) {
        // ARM answers 409 Conflict for a namespace the subscription is not registered for
        // (https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider).
        return Some(
            Reply::error(
                409,
                "MissingSubscriptionRegistration",
                format!(
                    "The subscription is not registered to use namespace '{ns}'. See https://aka.ms/rps-not-found for how to register subscriptions."
                ),
            )
            .with_fault("unregistered"),
        );
    }
    None
}
