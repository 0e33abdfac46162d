//! The HTTP client azure_identity's token requests go through: reqwest, like azure_core's
//! default, plus a cap on the response body (a token answer is a few KB) and a note of the last
//! error answer, so that a credential that times out while its endpoint keeps failing can say
//! what the endpoint answered instead of only "no answer".

use azure_core::error::ErrorKind;
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, Body, HttpClient, Method, Request};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest token response read. Entra and managed-identity answers are 1–5 KB.
pub(crate) const MAX_TOKEN_BODY: usize = 1 << 20;

/// Characters of an error answer kept in a message.
const EXCERPT_CHARS: usize = 200;

/// reqwest with a body cap, remembering the last non-success answer.
#[derive(Debug)]
pub(crate) struct TokenHttp {
    http: reqwest::Client,
    cap: usize,
    last_error: Mutex<Option<String>>,
}

impl TokenHttp {
    pub(crate) fn new() -> Arc<TokenHttp> {
        Self::with_cap(MAX_TOKEN_BODY)
    }

    pub(crate) fn with_cap(cap: usize) -> Arc<TokenHttp> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Arc::new(TokenHttp {
            http,
            cap,
            last_error: Mutex::new(None),
        })
    }

    /// Forgets the last error answer (before a new token request).
    pub(crate) fn clear(&self) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = None;
        }
    }

    /// `HTTP 500: {excerpt}` of the last error answer, if there was one (not yet scrubbed).
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|l| l.clone())
    }

    fn note(&self, status: u16, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut excerpt: String = one_line.chars().take(EXCERPT_CHARS).collect();
        if one_line.chars().count() > EXCERPT_CHARS {
            excerpt.push('…');
        }
        let note = if excerpt.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {}", redact_tokens(&excerpt))
        };
        self.set_last(note);
    }

    fn set_last(&self, note: String) {
        if let Ok(mut l) = self.last_error.lock() {
            *l = Some(note);
        }
    }

    async fn execute(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let method = match request.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
            other => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    format!("unsupported token request method {other:?}"),
                ))
            }
        };
        let mut req = self.http.request(method, request.url().clone());
        for (name, value) in request.headers().iter() {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Body::Bytes(b) = request.body() {
            req = req.body(b.to_vec());
        }
        let mut resp = req.send().await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            azure_core::Error::with_error(kind, e, "the token request failed")
        })?;
        let too_large = || {
            // azure_core's retry policy replaces this error's message: keep it here too.
            self.set_last(format!(
                "a token response larger than {} KiB (not read)",
                self.cap >> 10
            ));
            azure_core::Error::with_message(
                ErrorKind::Other,
                format!(
                    "the token response is larger than {} KiB; not read",
                    self.cap >> 10
                ),
            )
        };
        if resp.content_length().is_some_and(|n| n > self.cap as u64) {
            return Err(too_large());
        }
        let status = resp.status().as_u16();
        let mut map = HashMap::new();
        for (k, v) in resp.headers() {
            if let Ok(v) = v.to_str() {
                map.insert(
                    HeaderName::from(k.as_str().to_owned()),
                    HeaderValue::from(v.to_owned()),
                );
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            azure_core::Error::with_error(ErrorKind::Io, e, "reading the token response failed")
        })? {
            if body.len() + chunk.len() > self.cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&status) {
            self.note(status, &body);
        }
        Ok(AsyncRawResponse::from_bytes(
            status.into(),
            Headers::from(map),
            body,
        ))
    }
}

/// Anything shaped like a JWT (`eyJ…`) becomes `***`: an error answer should carry no token,
/// but an excerpt must never show one.
fn redact_tokens(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            if let Some(i) = w.find("eyJ") {
                format!("{}***", &w[..i])
            } else {
                w.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// What `#[async_trait]` would generate (async-trait is not a dependency of this crate).
impl HttpClient for TokenHttp {
    fn execute_request<'life0, 'life1, 'async_trait>(
        &'life0 self,
        request: &'life1 Request,
    ) -> Pin<Box<dyn Future<Output = azure_core::Result<AsyncRawResponse>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.execute(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_is_kept_as_a_short_line_without_tokens() {
        let t = TokenHttp::new();
        assert_eq!(t.last_error(), None);
        let body = format!(
            "{{\"statusCode\": 500,\n \"message\": \"broken\", \"t\": \"eyJhbGciOi.x.y\", \"pad\": \"{}\"}}",
            "z".repeat(500)
        );
        t.note(500, body.as_bytes());
        let got = t.last_error().unwrap();
        assert!(
            got.starts_with("HTTP 500: {\"statusCode\": 500, \"message\": \"broken\""),
            "{got}"
        );
        assert!(!got.contains("eyJ") && !got.contains("hbGci"), "{got}");
        assert!(got.ends_with('…') && got.chars().count() < 220, "{got}");
        t.note(503, b"");
        assert_eq!(t.last_error().as_deref(), Some("HTTP 503"));
    }
}
