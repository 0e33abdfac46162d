//! JSON → typed values with errors in the user's terms, and one rule for duplicate keys.
//!
//! Duplicate keys: the last one wins, everywhere (the snapshot's top level, a resource's `id` or
//! `type`, any nested property), as `serde_json::Value` and ARM's own clients read them. The
//! official `LoadBalancerGet.json` example has `sku` twice, so rejecting duplicates would reject
//! Microsoft's own data; reading the first would disagree with every other client.
//!
//! Errors name the JSON path and JSON types ("field `properties.storageProfile`: expected an
//! object, found a string"), never Rust type names.

use serde::de::DeserializeOwned;
use std::fmt;

/// Why a JSON value could not be read: where (a JSON path, empty for the value itself) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) path: String,
    pub(crate) message: String,
    /// The text is not JSON at all (not a value of the wrong shape).
    pub(crate) not_json: bool,
}

impl DecodeError {
    /// The same error, with its path below `prefix` (e.g. `subscriptions` + `[0].state`).
    pub(crate) fn under(mut self, prefix: &str) -> DecodeError {
        self.path = join_path(prefix, &self.path);
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "field `{}`: {}", self.path, self.message)
        }
    }
}

/// `prefix` and `path` joined as a JSON path (`a` + `b.c` → `a.b.c`, `a` + `[0]` → `a[0]`).
pub(crate) fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => path.to_string(),
        _ if path.starts_with('[') => format!("{prefix}{path}"),
        _ => format!("{prefix}.{path}"),
    }
}

/// Reads `text` as `T`. The fast path deserialises directly; when that fails (a wrong type, or a
/// duplicate key, which serde's derived structs reject) the text is re-read as a `Value` — where
/// the last duplicate wins — and deserialised again to find the JSON path of a real error.
pub(crate) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    if let Ok(v) = serde_json::from_str::<T>(text) {
        return Ok(v);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DecodeError {
        path: String::new(),
        message: format!("invalid JSON: {e}"),
        not_json: true,
    })?;
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        DecodeError {
            path: if path == "." { String::new() } else { path },
            message: user_terms(&e.into_inner().to_string()),
            not_json: false,
        }
    })
}

/// What a JSON value is, in words (`a string`, `an object`, …).
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// What a JSON text is, from its first character, without parsing it.
pub(crate) fn json_kind_of_text(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

/// Rewrites serde's "invalid type: map, expected struct VmProps" as "expected an object, found
/// an object"-style text in JSON terms; other messages (unknown field, …) already name fields.
fn user_terms(msg: &str) -> String {
    let msg = strip_position(msg);
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(lead) {
            if let Some((found, expected)) = rest.rsplit_once(", expected ") {
                return format!(
                    "expected {}, found {}",
                    expected_words(expected),
                    found_words(found)
                );
            }
        }
    }
    msg.to_string()
}

/// serde_json appends " at line L column C" to errors from text; a path says more.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => &msg[..i],
        _ => msg,
    }
}

fn expected_words(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "u8" => "an integer 0-255",
        "u16" => "an integer 0-65535",
        "u32" => "an integer 0-4294967295",
        "u64" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "a sequence" | "sequence" => "an array",
        "a map" | "map" => "an object",
        "a borrowed string" => "a string",
        _ if e.starts_with("struct ") || e.starts_with("a map") => "an object",
        _ if e.starts_with("a sequence") || e.starts_with("tuple") => "an array",
        _ => return e.to_string(),
    };
    words.to_string()
}

fn found_words(found: &str) -> String {
    let f = found.trim();
    let words = match f {
        "map" => "an object",
        "sequence" => "an array",
        "null" | "unit value" => "null",
        _ if f.starts_with("string ") => "a string",
        _ => {
            // `integer `5``, `floating point `1.5``, `boolean `true``: the literal itself.
            return match (f.find('`'), f.rfind('`')) {
                (Some(a), Some(b)) if b > a => f[a + 1..b].to_string(),
                _ => f.to_string(),
            };
        }
    };
    words.to_string()
}
