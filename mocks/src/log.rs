//! The request log: every request the server saw, for tests to pin request counts, check that
//! no request went unmatched, and see which faults were injected.

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// 1-based arrival order (all routes).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path and query exactly as received.
    pub path: String,
    /// What the route was: `listSubscriptions`, `getSubscription`, `listResourceGroups`,
    /// `getResourceGroup`, `getProvider`, `list`, `get`, `getChild`, `instanceView`, `graph`
    /// (a Resource Graph query), `runCommand` (`POST {vm}/runCommand`), `operationStatus` (its
    /// `Azure-AsyncOperation` URL), `operationResult` (its `Location` URL, `monitor=true`),
    /// `msi`, or `unmatched`.
    pub route: String,
    /// The resource type addressed (canonical casing where known), if any;
    /// `Microsoft.Compute/locations/operations` for operation polls.
    pub resource_type: Option<String>,
    /// Whether an `Authorization: Bearer <token>` header with a non-empty token was present.
    pub bearer_present: bool,
    /// Whether that token was accepted (matched the expected token, or any when none is set).
    pub token_matched: bool,
    /// Response status; `None` when the connection was dropped without a response.
    pub status: Option<u16>,
    /// The injected fault, if any: `drop`, `throttle`, `error500`, `error503`, `forbidden`,
    /// `unregistered`, `foreignNextLink`; `graphQuota` when a Resource Graph query was
    /// refused because the caller's quota was spent; on a Run Command POST, its VM's mode:
    /// `conflict`, `agentNotReady`, `forbidden`, `never`, `malformed`, `truncated`,
    /// `foreignPoll`.
    pub fault: Option<String>,
    /// True when no route matched (the mock answered 404/405 for something it does not model).
    pub unmatched: bool,
    /// Arrival time relative to server start.
    #[serde(rename = "atMs", serialize_with = "as_millis")]
    pub at: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// In-memory log plus the optional JSON-lines file.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
    file: Option<Mutex<BufWriter<File>>>,
}

impl RequestLog {
    /// A log that also appends to `path` (created or truncated).
    pub fn new(path: Option<&Path>) -> std::io::Result<Self> {
        let file = match path {
            Some(p) => Some(Mutex::new(BufWriter::new(File::create(p)?))),
            None => None,
        };
        Ok(RequestLog {
            entries: Mutex::new(Vec::new()),
            file,
        })
    }

    pub fn push(&self, entry: LoggedRequest) {
        if let Some(file) = &self.file {
            if let Ok(mut f) = file.lock() {
                // The log file is a debugging aid: a full disk must not take the server down.
                if let Ok(line) = serde_json::to_string(&entry) {
                    let _ = writeln!(f, "{line}").and_then(|_| f.flush());
                }
            }
        }
        if let Ok(mut e) = self.entries.lock() {
            e.push(entry);
        }
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }
}
