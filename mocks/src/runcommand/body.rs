//! Compute's bodies for run command operations: the operation status and the
//! `RunCommandResult`.

use crate::operations::Operation;
use serde::Serialize;
use std::time::SystemTime;

pub(super) fn to_json<T: Serialize>(v: &T) -> String {
    // Serialising these plain structs cannot fail; an empty object is a safe fallback anyway.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// One `InstanceViewStatus` of a `RunCommandResult`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutputStatus<'a> {
    code: &'static str,
    level: &'static str,
    display_status: &'static str,
    message: &'a str,
}

/// `RunCommandResult`: `{"value": [stdout, stderr]}`.
#[derive(Debug, Serialize)]
pub(super) struct RunCommandResult<'a> {
    value: [OutputStatus<'a>; 2],
}

impl<'a> RunCommandResult<'a> {
    pub(super) fn new(stdout: &'a str, stderr: &'a str) -> Self {
        let entry = |code, message| OutputStatus {
            code,
            level: "Info",
            display_status: "Provisioning succeeded",
            message,
        };
        RunCommandResult {
            value: [
                entry("ComponentStatus/StdOut/succeeded", stdout),
                entry("ComponentStatus/StdErr/succeeded", stderr),
            ],
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct Output<'a> {
    pub(super) output: RunCommandResult<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct ErrorDetail<'a> {
    pub(super) code: &'a str,
    pub(super) message: &'a str,
}

/// Compute's operation status body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OperationStatus<'a> {
    start_time: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<&'a str>,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Output<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorDetail<'a>>,
    name: &'a str,
}

pub(super) fn status_body(
    o: &Operation,
    status: &str,
    properties: Option<Output<'_>>,
    error: Option<ErrorDetail<'_>>,
) -> String {
    to_json(&OperationStatus {
        start_time: &o.start,
        end_time: if status == "InProgress" {
            None
        } else {
            o.end.as_deref()
        },
        status,
        properties,
        error,
        name: &o.name,
    })
}

/// `2026-01-15T01:58:02.1234567+00:00`: Compute's timestamp format.
pub(super) fn timestamp(t: SystemTime) -> String {
    let z = crate::graph::iso8601(t);
    match z.strip_suffix('Z') {
        Some(s) => format!("{s}+00:00"),
        None => z,
    }
}
