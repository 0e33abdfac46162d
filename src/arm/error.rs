//! The arm layer's error: what was asked (method, URL), what went wrong ([`ErrorKind`]), and what
//! ARM said (status, error code, message, `x-ms-request-id`). Never a token.

use reqwest::Url;
use serde::Deserialize;

use crate::model::{DiagLevel, Diagnostic};

/// What kind of failure an [`ArmError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ErrorKind {
    /// ARM answered with an error status, or with an error body under HTTP 200.
    #[error("ARM answered with an error")]
    Status,
    /// No usable answer: the connection failed or dropped, or the request timed out.
    #[error("no answer")]
    Transport,
    /// The very first connection to the ARM endpoint failed: it is closed or unreachable.
    #[error("the ARM endpoint is unreachable")]
    Unreachable,
    /// Not sent: the URL is not on the ARM endpoint's origin (the token goes nowhere else).
    #[error("refused to send")]
    Refused,
    /// The answer is not what the request expects (not JSON, no `value` array, no `data`).
    #[error("unexpected answer")]
    Malformed,
    /// The answer is larger than the response size cap.
    #[error("answer too large")]
    TooLarge,
    /// Not sent or abandoned: the run's `--timeout` deadline was (or would be) reached.
    #[error("run deadline reached")]
    Deadline,
    /// No token could be had for the request.
    #[error("no token")]
    Auth,
}

/// A failed ARM request, with everything needed to act on it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub(crate) struct ArmError {
    pub(crate) kind: ErrorKind,
    pub(crate) method: &'static str,
    pub(crate) url: String,
    pub(crate) status: Option<u16>,
    /// ARM's error code (`error.code`), e.g. `AuthorizationFailed`.
    pub(crate) code: Option<String>,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
}

impl ArmError {
    pub(crate) fn new(
        kind: ErrorKind,
        method: &'static str,
        url: &Url,
        message: impl Into<String>,
    ) -> Self {
        ArmError {
            kind,
            method,
            url: url.to_string(),
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
        }
    }

    /// The same failure with `more` appended to its message and another kind.
    pub(crate) fn because(self, kind: ErrorKind, more: &str) -> Self {
        ArmError {
            kind,
            message: format!("{} ({more})", self.message),
            ..self
        }
    }

    fn render(&self) -> String {
        let mut s = format!("{} {}: ", self.method, self.url);
        if let Some(st) = self.status {
            s.push_str(&format!("HTTP {st} "));
        }
        if let Some(c) = &self.code {
            s.push_str(&format!("{c}: "));
        }
        s.push_str(&self.message);
        if let Some(r) = &self.request_id {
            s.push_str(&format!(" (x-ms-request-id {r})"));
        }
        s
    }

    /// The diagnostic a report carries for this failure.
    pub(crate) fn diagnostic(&self, level: DiagLevel, scope: &str) -> Diagnostic {
        Diagnostic {
            level,
            scope: Some(scope.to_string()),
            message: format!("{} {}: {}", self.method, self.url, self.message),
            status: self.status,
            code: self.code.clone(),
            request_id: self.request_id.clone(),
        }
    }

    pub(crate) fn is_auth(&self) -> bool {
        self.status == Some(401)
    }

    /// "This type does not exist here": the provider is not registered or the type answers 404.
    pub(crate) fn means_none(&self) -> bool {
        // A missing subscription or resource group is an error in the scope, not "no resources".
        let scope_missing = matches!(
            self.code.as_deref(),
            Some("SubscriptionNotFound" | "ResourceGroupNotFound")
        );
        self.kind == ErrorKind::Status
            && ((matches!(self.status, Some(404)) && !scope_missing)
                || matches!(
                    self.code.as_deref(),
                    Some(
                        "MissingSubscriptionRegistration"
                            | "NoRegisteredProviderFound"
                            | "InvalidResourceType"
                    )
                ))
    }
}

/// ARM's error body: `{"error": {"code": …, "message": …}}`.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorDetail {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    /// The specific causes: Resource Graph's top-level message is only a support note
    /// (timestamp, correlation id), the cause (e.g. an unknown management group) is here.
    #[serde(default)]
    pub(crate) details: Vec<ErrorDetail>,
}

impl ErrorDetail {
    /// The message with the specific causes first (`code: message`, …), then the top one.
    pub(crate) fn text(&self) -> Option<String> {
        let causes: Vec<String> = self
            .details
            .iter()
            .filter_map(|d| {
                let m = d.message.as_deref()?;
                Some(match &d.code {
                    Some(c) => format!("{c}: {m}"),
                    None => m.to_string(),
                })
            })
            .collect();
        match (causes.is_empty(), &self.message) {
            (true, m) => m.clone(),
            (false, Some(m)) => Some(format!("{} ({m})", causes.join("; "))),
            (false, None) => Some(causes.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_show_the_token_and_say_everything_else() {
        let e = ArmError {
            kind: ErrorKind::Status,
            method: "GET",
            url: "https://management.azure.com/subscriptions/s?api-version=1".into(),
            status: Some(403),
            code: Some("AuthorizationFailed".into()),
            message: "no".into(),
            request_id: Some("abc".into()),
        };
        assert_eq!(
            e.to_string(),
            "GET https://management.azure.com/subscriptions/s?api-version=1: HTTP 403 AuthorizationFailed: no (x-ms-request-id abc)"
        );
        assert!(!e.means_none());
        let gone = ArmError {
            status: Some(404),
            code: Some("ResourceNotFound".into()),
            ..e.clone()
        };
        assert!(gone.means_none());
        // A 200 without its array is never "none here".
        let empty = ArmError {
            kind: ErrorKind::Malformed,
            status: Some(200),
            code: None,
            ..e
        };
        assert!(!empty.means_none());
    }
}
