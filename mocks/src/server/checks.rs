//! Request checks and replies that need nothing of the server's state: the bearer token, the
//! `api-version` parameter, and the 500/503 an injected server error answers with.

use crate::faults::Injected;
use crate::http::{Query, Reply};
use crate::routes::Route;
use hyper::HeaderMap;

/// `Authorization: Bearer <token>` → the token, if present and non-empty.
pub(super) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Every ARM request needs `api-version`; ARM rejects a missing or malformed one with 400.
pub(super) fn api_version_error(query: &Query) -> Option<Reply> {
    match query.get("api-version") {
        None | Some("") => Some(Reply::error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if !is_api_version(v) => Some(Reply::error(
            400,
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are in the form 'yyyy-mm-dd' or 'yyyy-mm-dd-preview'."),
        )),
        Some(_) => None,
    }
}

/// `yyyy-mm-dd` with an optional `-suffix` (`-preview`, `-beta`, ...).
pub(super) fn is_api_version(v: &str) -> bool {
    let (date, suffix) = match v.get(10..) {
        Some(rest) => (&v[..10], rest),
        None => return false,
    };
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (suffix.is_empty()
            || (suffix.starts_with('-')
                && suffix[1..].chars().all(|c| c.is_ascii_alphanumeric())
                && suffix.len() > 1))
}

/// 500 or 503 as ARM words them, for an injected server error.
pub(super) fn server_error(status: u16, route: &Route, correlation: &str) -> Reply {
    let r = if status == 503 {
        Reply::error(
            503,
            "ServiceUnavailable",
            "The service is currently unavailable. Please try again later.",
        )
    } else {
        Reply::error(
            500,
            "InternalServerError",
            format!(
                "Encountered internal server error. Diagnostic information: subscription id '{}', request correlation id '{correlation}'.",
                route.subscription().unwrap_or("")
            ),
        )
    };
    r.with_fault(&Injected::ServerError(status).label())
}
