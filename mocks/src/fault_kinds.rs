//! The shapes of the body faults a test can ask for. Their own module, so that the
//! configuration (`config`) and the code that applies them (`faults`) both use them without
//! importing each other.

/// Where the `/subscriptions` list's `nextLink` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextLinkFault {
    /// To the foreign host (`Faults::foreign_host`), on the first page.
    Foreign,
    /// Back to the first page, on every page.
    SelfLoop,
}

/// A list page answered 200 without its `value` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyPage {
    /// `{}`.
    NoValue,
    /// `{"value": null}`.
    NullValue,
    /// `{"error": {"code": "InternalServerError", …}}` under HTTP 200.
    ErrorBody,
}

impl EmptyPage {
    /// The body answered with HTTP 200 in place of the page.
    pub(crate) fn body(self) -> serde_json::Value {
        match self {
            EmptyPage::NoValue => serde_json::json!({}),
            EmptyPage::NullValue => serde_json::json!({"value": null}),
            EmptyPage::ErrorBody => serde_json::json!({"error": {
                "code": "InternalServerError",
                "message": "The server encountered an internal error."
            }}),
        }
    }
}

/// How a successful Resource Graph answer misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphPageFault {
    /// No `data` property.
    NoData,
    /// `resultTruncated: "true"` and no `$skipToken`.
    Truncated,
    /// A page asked with a `$skipToken` answers with that same token again (a loop).
    RepeatSkipToken,
}
