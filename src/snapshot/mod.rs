//! The snapshot format: reading every accepted shape, and writing
//! `rdpaudit.snapshot/1`.
//!
//! Accepted input: the `rdpaudit.snapshot/1` document, a bare JSON array of resources, an ARM
//! list `{"value": [...]}`, and a Resource Graph response `{"data": [...]}`. Resources are kept as
//! borrowed raw JSON (`&RawValue`) so a 65 MB snapshot is not copied before `model::build`
//! parses each resource once.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

use crate::model::decode::{decode, json_kind_of_text};

pub mod stream;
use crate::model::{Diagnostic, GuestFacts};

pub(crate) const SCHEMA: &str = "rdpaudit.snapshot/1";

/// A document that cannot be used at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// No content.
    #[error("the snapshot is empty")]
    Empty,
    /// Invalid UTF-8 at this byte offset.
    #[error("the snapshot is not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    /// Not JSON; the parser's message.
    #[error("the snapshot is not valid JSON: {0}")]
    Json(String),
    /// JSON `null`.
    #[error("the snapshot is JSON `null`, not a snapshot document")]
    Null,
    /// A `schema` this version does not read.
    #[error("unknown snapshot schema \"{0}\" (this rdpaudit reads \"{SCHEMA}\")")]
    UnknownSchema(String),
    /// Nested deeper than ARM data ever is, at this byte offset.
    #[error("the snapshot is nested deeper than {MAX_DEPTH} levels (at byte {0}); ARM documents are never that deep")]
    TooDeep(usize),
    /// Valid JSON of the wrong shape; what is wrong.
    #[error("{0}")]
    Shape(String),
}

/// ARM resources nest about 15 levels deep; anything past this is not ARM data.
pub(crate) const MAX_DEPTH: usize = 128;

/// Rejects absurd nesting before parsing (a cheap byte scan, outside strings).
fn check_depth(text: &str) -> Result<(), SnapshotError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SnapshotError::TooDeep(i));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// A subscription in scope (`subscriptions[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// The subscription id (a GUID).
    pub subscription_id: String,
    /// Its display name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub display_name: Option<String>,
    /// Its state, e.g. `Enabled`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<String>,
}

/// What a snapshot holds, with resources borrowed from the input text.
#[derive(Debug, Default)]
pub struct Snapshot<'a> {
    /// The Azure cloud the data came from, e.g. `AzureCloud`.
    pub cloud: Option<String>,
    /// When it was collected (RFC 3339).
    pub collected_at: Option<String>,
    /// The subscriptions in scope.
    pub subscriptions: Vec<Subscription>,
    /// The ARM resources, as raw JSON.
    pub resources: Vec<&'a RawValue>,
    /// Guest facts by VM id.
    pub guest: HashMap<String, GuestFacts>,
    /// What could not be read while collecting.
    pub diagnostics: Vec<Diagnostic>,
    /// `securityAdminRules`: effective security admin rules by VNet id, raw (`None`: not
    /// collected). The model reads it (docs/decisions.md D36).
    pub security_admin_rules: Option<&'a RawValue>,
}

/// The top-level fields, each kept as raw text. Read by hand rather than with a derived struct so
/// that a duplicate key keeps its last value (docs: "duplicate JSON keys are tolerated, the last
/// one wins"), as everywhere else (`model::decode`).
#[derive(Default)]
struct Doc<'a> {
    schema: Option<&'a RawValue>,
    cloud: Option<&'a RawValue>,
    collected_at: Option<&'a RawValue>,
    subscriptions: Option<&'a RawValue>,
    resources: Option<RawList<'a>>,
    guest: Option<&'a RawValue>,
    diagnostics: Option<&'a RawValue>,
    security_admin_rules: Option<&'a RawValue>,
    value: Option<RawList<'a>>,
    data: Option<RawList<'a>>,
}

/// A top-level list read in the same pass as the document: its elements borrowed, or what the
/// field was instead (the big arrays are scanned once, not captured and then re-read).
#[derive(Debug)]
enum RawList<'a> {
    Items(Vec<&'a RawValue>),
    Null,
    /// Not an array: what it was, in words.
    Other(&'static str),
}

impl<'de> Deserialize<'de> for RawList<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawList<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(RawList::Items(items))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(RawList::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(RawList::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(RawList::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(RawList::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(RawList::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(RawList::Other("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(RawList::Other("a string"))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RawList::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Doc<'a> {
    /// Where a top-level field other than the lists goes (`None`: a field rdpaudit ignores).
    fn field(&mut self, key: &str) -> Option<&mut Option<&'a RawValue>> {
        Some(match key {
            "schema" => &mut self.schema,
            "cloud" => &mut self.cloud,
            "collectedAt" => &mut self.collected_at,
            "subscriptions" => &mut self.subscriptions,
            "guest" => &mut self.guest,
            "diagnostics" => &mut self.diagnostics,
            "securityAdminRules" => &mut self.security_admin_rules,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Doc<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Doc<'de>, A::Error> {
                let mut doc = Doc::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    // The last of duplicate keys wins, as everywhere (docs/reliability.md).
                    let list = match key.as_ref() {
                        "resources" => &mut doc.resources,
                        "value" => &mut doc.value,
                        "data" => &mut doc.data,
                        _ => {
                            let raw: &'de RawValue = map.next_value()?;
                            if let Some(slot) = doc.field(&key) {
                                *slot = Some(raw);
                            }
                            continue;
                        }
                    };
                    *list = Some(map.next_value()?);
                }
                Ok(doc)
            }
        }
        d.deserialize_map(V)
    }
}

/// A top-level field as `T`, `null` as absent; errors name the field in JSON terms.
fn field<T: serde::de::DeserializeOwned>(
    name: &str,
    raw: Option<&RawValue>,
) -> Result<Option<T>, SnapshotError> {
    match raw {
        None => Ok(None),
        Some(r) if r.get().trim() == "null" => Ok(None),
        Some(r) => decode::<T>(r.get())
            .map(Some)
            .map_err(|e| SnapshotError::Shape(e.under(name).to_string())),
    }
}

/// A top-level array kept as borrowed raw resources; `null` as absent.
fn raw_list<'a>(
    name: &str,
    raw: Option<RawList<'a>>,
) -> Result<Option<Vec<&'a RawValue>>, SnapshotError> {
    match raw {
        None | Some(RawList::Null) => Ok(None),
        Some(RawList::Items(items)) => Ok(Some(items)),
        Some(RawList::Other(found)) => Err(SnapshotError::Shape(format!(
            "field `{name}`: expected an array, found {found}"
        ))),
    }
}

/// Checks the bytes are UTF-8 and not blank.
pub fn as_text(bytes: &[u8]) -> Result<&str, SnapshotError> {
    let text = std::str::from_utf8(bytes).map_err(|e| SnapshotError::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(SnapshotError::Empty);
    }
    Ok(text)
}

/// Reads any accepted shape. Guest facts with wrong types become diagnostics, not failures.
pub fn parse(text: &str) -> Result<Snapshot<'_>, SnapshotError> {
    check_depth(text)?;
    let json_err = |e: serde_json::Error| SnapshotError::Json(e.to_string());
    let first = text.trim_start().chars().next();
    match first {
        Some('[') => {
            let resources: Vec<&RawValue> = serde_json::from_str(text).map_err(json_err)?;
            return Ok(Snapshot {
                resources,
                ..Snapshot::default()
            });
        }
        Some('{') => {}
        _ => {
            // Let serde_json say precisely what is wrong (or that it is `null`).
            let v: serde_json::Value = serde_json::from_str(text).map_err(json_err)?;
            return Err(match v {
                serde_json::Value::Null => SnapshotError::Null,
                other => SnapshotError::Shape(format!(
                    "the snapshot must be a JSON object or array, found {}",
                    match other {
                        serde_json::Value::Bool(_) => "a boolean",
                        serde_json::Value::Number(_) => "a number",
                        _ => "a string",
                    }
                )),
            });
        }
    }
    let doc: Doc<'_> = serde_json::from_str(text).map_err(json_err)?;
    from_doc(doc)
}

fn from_doc(doc: Doc<'_>) -> Result<Snapshot<'_>, SnapshotError> {
    let schema: Option<serde_json::Value> = field("schema", doc.schema)?;
    if let Some(schema) = &schema {
        match schema.as_str() {
            Some(SCHEMA) => {}
            Some(other) => return Err(SnapshotError::UnknownSchema(other.to_string())),
            None => {
                return Err(SnapshotError::Shape(format!(
                    "field `schema` must be the string \"{SCHEMA}\""
                )))
            }
        }
    }
    let listed = raw_list("resources", doc.resources)?;
    let resources = if let Some(r) = listed {
        r
    } else if schema.is_some() {
        return Err(SnapshotError::Shape("field `resources` is missing".into()));
    } else if let Some(v) = raw_list("value", doc.value)? {
        v
    } else if let Some(d) = doc.data.filter(|d| !matches!(d, RawList::Null)) {
        match d {
            RawList::Items(items) => items,
            _ => {
                return Err(SnapshotError::Shape(
                    "field `data` of a Resource Graph response must be an array (resultFormat \
                     objectArray), not a table"
                        .into(),
                ))
            }
        }
    } else {
        return Err(SnapshotError::Shape(
            "not a snapshot: expected {\"schema\": \"rdpaudit.snapshot/1\", \"resources\": [...]}, \
             an ARM list {\"value\": [...]}, a Resource Graph response {\"data\": [...]}, or an array"
                .into(),
        ));
    };
    let mut diagnostics: Vec<Diagnostic> =
        field("diagnostics", doc.diagnostics)?.unwrap_or_default();
    let guest = guest_facts(doc.guest, &mut diagnostics)?;
    Ok(Snapshot {
        cloud: field("cloud", doc.cloud)?,
        collected_at: field("collectedAt", doc.collected_at)?,
        subscriptions: field("subscriptions", doc.subscriptions)?.unwrap_or_default(),
        resources,
        guest,
        diagnostics,
        security_admin_rules: doc
            .security_admin_rules
            .filter(|r| r.get().trim() != "null"),
    })
}

/// Guest facts by VM id; facts with wrong types become a warning, not a failure.
fn guest_facts(
    raw: Option<&RawValue>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<HashMap<String, GuestFacts>, SnapshotError> {
    let by_vm: HashMap<String, &RawValue> = match raw {
        None => return Ok(HashMap::new()),
        Some(r) if r.get().trim() == "null" => return Ok(HashMap::new()),
        Some(r) => serde_json::from_str(r.get()).map_err(|_| {
            SnapshotError::Shape(format!(
                "field `guest`: expected an object (VM id → facts), found {}",
                json_kind_of_text(r.get())
            ))
        })?,
    };
    let mut guest = HashMap::new();
    for (vm, raw) in by_vm {
        match decode::<GuestFacts>(raw.get()) {
            Ok(g) => {
                guest.insert(vm, g);
            }
            Err(e) => diagnostics.push(Diagnostic::warning(
                vm.clone(),
                format!("guest facts ignored: {e}"),
            )),
        }
    }
    Ok(guest)
}

/// The `rdpaudit.snapshot/1` document `collect` and `--save-snapshot` write.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnapshotOut<'a> {
    pub(crate) schema: &'static str,
    pub(crate) cloud: &'a str,
    pub(crate) collected_at: &'a str,
    pub(crate) subscriptions: &'a [Subscription],
    pub(crate) resources: &'a [&'a RawValue],
    pub(crate) guest: &'a HashMap<String, GuestFacts>,
    pub(crate) diagnostics: &'a [Diagnostic],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) security_admin_rules: Option<&'a RawValue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(parse("[]").unwrap().resources.len(), 0);
        assert_eq!(
            parse(r#"{"value":[{"id":"/x"}]}"#).unwrap().resources.len(),
            1
        );
        assert_eq!(
            parse(r#"{"data":[{"id":"/x"}],"count":1}"#)
                .unwrap()
                .resources
                .len(),
            1
        );
        assert!(matches!(parse("null"), Err(SnapshotError::Null)));
        assert!(matches!(
            parse(r#"{"schema":"rdpaudit.snapshot/9","resources":[]}"#),
            Err(SnapshotError::UnknownSchema(_))
        ));
        assert!(matches!(
            parse(r#"{"resources":["#),
            Err(SnapshotError::Json(_))
        ));
        assert!(matches!(as_text(b"  \n"), Err(SnapshotError::Empty)));
        assert!(matches!(as_text(b"[\xff]"), Err(SnapshotError::NotUtf8(1))));
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(&deep), Err(SnapshotError::TooDeep(128))));
        let balanced = format!("{deep}{}", "]".repeat(100_000));
        assert!(matches!(parse(&balanced), Err(SnapshotError::TooDeep(_))));
        // Brackets inside strings do not count.
        assert!(parse(&format!("[\"{deep}\"]")).is_ok());
    }

    #[test]
    fn bad_guest_facts_are_a_diagnostic() {
        let s = parse(r#"{"schema":"rdpaudit.snapshot/1","resources":[],"guest":{"/subscriptions/s/x":{"rdpPort":99999}}}"#).unwrap();
        assert!(s.guest.is_empty());
        assert_eq!(s.diagnostics.len(), 1);
        assert!(
            s.diagnostics[0].message.contains("rdpPort"),
            "{}",
            s.diagnostics[0].message
        );
    }
}
