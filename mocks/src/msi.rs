//! The managed-identity token endpoint, App Service style (api-version 2019-08-01), so that
//! `azure_identity::ManagedIdentityCredential` can be pointed at the mock with
//! `IDENTITY_ENDPOINT=<url>/msi/token` and `IDENTITY_HEADER=<secret>`.
//!
//! Protocol (<https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference>):
//! `GET {IDENTITY_ENDPOINT}?resource=<aud>&api-version=2019-08-01[&client_id|principal_id|object_id|mi_res_id=…]`
//! with header `X-IDENTITY-HEADER: {IDENTITY_HEADER}`; the answer is
//! `{"access_token", "expires_on": "<unix seconds, as a string>", "resource", "token_type": "Bearer", "client_id"}`.
//! `expires_on` being a string is what the SDKs parse (azure_identity's `expires_on_string`).

use crate::config::MockConfig;
use crate::http::{Query, Reply};
use hyper::HeaderMap;
use serde_json::json;
use std::time::{Duration, SystemTime};

/// Client id reported when the request names no user-assigned identity.
pub const SYSTEM_ASSIGNED_CLIENT_ID: &str = "9c4e3b1a-2f6d-4a8b-b5e7-0d1c2f3a4b5c";

/// How long issued tokens are valid.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

fn token_error(status: u16, message: &str) -> Reply {
    // The App Service token service answers errors with its own small body, not an ARM one.
    let mut r = Reply::ok(json!({"statusCode": status, "message": message}).to_string());
    r.status = status;
    r
}

/// Answers `GET /msi/token`.
pub(crate) fn token(cfg: &MockConfig, headers: &HeaderMap, query: &Query) -> Reply {
    let presented = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty());
    let Some(presented) = presented else {
        return token_error(400, "The X-IDENTITY-HEADER header is missing.");
    };
    if let Some(expected) = &cfg.identity_header {
        if presented != expected {
            return token_error(401, "Invalid secret token header.");
        }
    }
    match query.get("api-version") {
        Some(v) if !v.is_empty() => {}
        _ => return token_error(400, "The api-version query parameter is required."),
    }
    let Some(resource) = query.get("resource").filter(|r| !r.is_empty()) else {
        return token_error(400, "The resource query parameter is required.");
    };
    let ids = [
        "client_id",
        "principal_id",
        "object_id",
        "mi_res_id",
        "msi_res_id",
    ];
    let given: Vec<&str> = ids.iter().filter_map(|k| query.get(k)).collect();
    if given.len() > 1 {
        return token_error(
            400,
            "Only one of client_id, principal_id, object_id and mi_res_id may be given.",
        );
    }
    let client_id = query.get("client_id").unwrap_or(SYSTEM_ASSIGNED_CLIENT_ID);
    let expires_on = (SystemTime::now() + TOKEN_LIFETIME)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Reply::ok(
        json!({
            "access_token": cfg.served_token(),
            "expires_on": expires_on.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        })
        .to_string(),
    )
}
