//! Lenient readers for the guest script's JSON: a value of an unexpected type becomes "not
//! known" (or an error text naming it), never a failed parse of the whole output. Shared by the
//! facts and the firewall readers.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::quote;

pub(super) fn de_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(list_from(Value::deserialize(d)?))
}

pub(super) fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_from(&Value::deserialize(d)?))
}

pub(super) fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(flag_from(&Value::deserialize(d)?))
}

pub(super) fn de_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(strings_from(&Value::deserialize(d)?))
}

/// `defaultInboundAction`: the name, or the `Action` enum number when it was not stringified.
pub(super) fn de_action<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v.as_i64() {
        Some(0) => Some("NotConfigured".into()),
        Some(2) => Some("Allow".into()),
        Some(4) => Some("Block".into()),
        _ => text_from(&v),
    })
}

/// A list; a single object counts as a one-element list (PowerShell unrolls those); any element
/// in an unexpected shape makes the whole list unknown.
pub(super) fn list_from<T: DeserializeOwned>(v: Value) -> Option<Vec<T>> {
    match v {
        Value::Null => None,
        Value::Array(items) => items.into_iter().map(object_as).collect(),
        other => object_as(other).map(|x| vec![x]),
    }
}

/// An object as `T` (serde would also take a struct from an array: not here).
pub(super) fn object_as<T: DeserializeOwned>(v: Value) -> Option<T> {
    if v.is_object() {
        serde_json::from_value(v).ok()
    } else {
        None
    }
}

pub(super) fn text_from(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `true`/`false`, `"True"`/`"False"`, `1`/`0`; anything else (e.g. `NotConfigured`) is unknown.
pub(super) fn flag_from(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Strings from a string (split at commas) or an array of them; numbers are written out.
pub(super) fn strings_from(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(strings_from).collect(),
        _ => Vec::new(),
    }
}

/// An integer (a registry DWORD): a JSON integer, a whole float, or a numeric string.
/// `Ok(None)` when absent (`null`), `Err(shown)` when present but not an integer.
pub(super) fn int_from(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| n.to_string()),
        Value::String(s) => s.trim().parse::<i64>().map(Some).map_err(|_| quote(s)),
        other => Err(quote(&other.to_string())),
    }
}
