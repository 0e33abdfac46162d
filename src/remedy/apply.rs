//! Applying a typed fix to the raw ARM resources, as Azure would hold them after the change:
//! the one changed resource is re-serialised, every other resource is shared untouched.

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

pub(crate) use super::apply_error::{stand_in_prefix, ApplyError};
use crate::model::{IdKey, IdMap, ResId};
use crate::rules::fix::{Fix, FixAccess, Source};

/// The address that stands in for `<YOUR-PUBLIC-IP>` while a fix is proven: 192.0.2.10 from
/// TEST-NET-1 (RFC 5737), reserved for documentation, so it matches no real rule by accident.
pub(crate) const STAND_IN: &str = "192.0.2.10";

/// The raw resources indexed by case-folded id (resources without a readable id are left out).
pub(crate) fn index(resources: &[&RawValue]) -> IdMap<usize> {
    #[derive(serde::Deserialize)]
    struct Head {
        id: Option<String>,
    }
    resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let h: Head = serde_json::from_str(r.get()).ok()?;
            Some((IdKey::from(ResId::new(&h.id?)), i))
        })
        .collect()
}

/// The changed resource: where it sits in the list, its new text, and the changed child
/// (security rule or route) as an ARM body for `--fix-format arm`.
pub(crate) struct Patch {
    pub(crate) at: usize,
    pub(crate) resource: Box<RawValue>,
    pub(crate) child: Option<Value>,
}

fn text(s: &Source, stand_in: &str) -> String {
    match s {
        Source::Prefix(p) => p.clone(),
        Source::YourPublicIp => stand_in_prefix(stand_in),
    }
}

/// Applies `fix` to the resource it changes.
pub(crate) fn patch(
    resources: &[&RawValue],
    index: &IdMap<usize>,
    fix: &Fix,
    stand_in: &str,
) -> Result<Patch, ApplyError> {
    let Some(id) = fix.resource() else {
        return Err(ApplyError::Shape("advice changes nothing".into()));
    };
    if let Some(e) = super::apply_more::unprovable(fix) {
        return Err(e);
    }
    let rid = ResId::new(id);
    let at = *index
        .get(&rid.key())
        .ok_or_else(|| ApplyError::Missing(id.to_string()))?;
    let mut doc: Value = serde_json::from_str(resources[at].get())
        .map_err(|e| ApplyError::Shape(format!("{id}: {e}")))?;
    let child = change(&mut doc, id, fix, stand_in)?;
    let resource = serde_json::value::to_raw_value(&doc)
        .map_err(|e| ApplyError::Shape(format!("{id}: {e}")))?;
    Ok(Patch {
        at,
        resource,
        child,
    })
}

fn props<'v>(doc: &'v mut Value, id: &str) -> Result<&'v mut Map<String, Value>, ApplyError> {
    if !doc.get("properties").is_some_and(Value::is_object) {
        doc["properties"] = json!({});
    }
    doc["properties"]
        .as_object_mut()
        .ok_or_else(|| ApplyError::Shape(format!("{id}: properties is not an object")))
}

fn list<'v>(p: &'v mut Map<String, Value>, field: &str) -> Result<&'v mut Vec<Value>, ApplyError> {
    let v = p.entry(field).or_insert_with(|| json!([]));
    if v.is_null() {
        *v = json!([]);
    }
    v.as_array_mut()
        .ok_or_else(|| ApplyError::Shape(format!("properties.{field} is not an array")))
}

fn named<'v>(items: &'v mut [Value], name: &str) -> Option<&'v mut Value> {
    items.iter_mut().find(|r| {
        r.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// Changes the parsed resource; returns the changed child's ARM body.
fn change(
    doc: &mut Value,
    id: &str,
    fix: &Fix,
    stand_in: &str,
) -> Result<Option<Value>, ApplyError> {
    let text = |s: &Source| text(s, stand_in);
    match fix {
        Fix::NarrowNsgRuleSources { rule, sources, .. } => {
            let rules = list(props(doc, id)?, "securityRules")?;
            let r = named(rules, rule)
                .ok_or_else(|| ApplyError::Missing(format!("{id}/securityRules/{rule}")))?;
            let rp = r
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| ApplyError::Shape(format!("rule {rule} has no properties")))?;
            rp.remove("sourceAddressPrefix");
            rp.remove("sourceApplicationSecurityGroups");
            rp.insert(
                "sourceAddressPrefixes".into(),
                json!(sources.iter().map(text).collect::<Vec<_>>()),
            );
            // The PUT body: the rule as it stands, without what only ARM writes.
            let mut body = rp.clone();
            body.remove("provisioningState");
            Ok(Some(json!({ "properties": body })))
        }
        Fix::AddNsgRule {
            name,
            priority,
            access,
            sources,
            destination,
            port,
            ..
        } => {
            let priority = priority.ok_or_else(|| ApplyError::Shape("no free priority".into()))?;
            let rules = list(props(doc, id)?, "securityRules")?;
            if named(rules, name).is_some() {
                return Err(ApplyError::Shape(format!("{id} already has a rule {name}")));
            }
            let body = json!({
                "priority": priority,
                "direction": "Inbound",
                "access": match access { FixAccess::Allow => "Allow", FixAccess::Deny => "Deny" },
                "protocol": "Tcp",
                "sourceAddressPrefixes": sources.iter().map(text).collect::<Vec<_>>(),
                "sourcePortRange": "*",
                "destinationAddressPrefix": destination,
                "destinationPortRange": port.to_string(),
            });
            rules.push(json!({
                "name": name,
                "id": format!("{id}/securityRules/{name}"),
                "properties": body,
            }));
            Ok(Some(json!({ "properties": body })))
        }
        Fix::AddRoute { name, prefix, .. } => {
            let routes = list(props(doc, id)?, "routes")?;
            if named(routes, name).is_some() {
                return Err(ApplyError::Shape(format!(
                    "{id} already has a route {name}"
                )));
            }
            let body = json!({ "addressPrefix": text(prefix), "nextHopType": "Internet" });
            routes.push(json!({
                "name": name,
                "id": format!("{id}/routes/{name}"),
                "properties": body,
            }));
            Ok(Some(json!({ "properties": body })))
        }
        Fix::StartVm { .. } => {
            start(props(doc, id)?);
            Ok(None)
        }
        Fix::WidenNsgRuleSourcePorts { rule, .. } => {
            let rules = list(props(doc, id)?, "securityRules")?;
            let r = named(rules, rule)
                .ok_or_else(|| ApplyError::Missing(format!("{id}/securityRules/{rule}")))?;
            let rp = r
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| ApplyError::Shape(format!("rule {rule} has no properties")))?;
            rp.remove("sourcePortRanges");
            rp.insert("sourcePortRange".into(), json!("*"));
            let mut body = rp.clone();
            body.remove("provisioningState");
            Ok(Some(json!({ "properties": body })))
        }
        Fix::Advice { .. } => Err(ApplyError::Shape("advice changes nothing".into())),
        other => super::apply_more::change(doc, id, other, stand_in),
    }
}

/// The instance view says `PowerState/running` (ARM's statuses and Resource Graph's
/// `extended.instanceView.powerState`, whichever the data has).
fn start(p: &mut Map<String, Value>) {
    let running = json!({ "code": "PowerState/running", "displayStatus": "VM running" });
    if let Some(ps) = p
        .get_mut("extended")
        .and_then(|e| e.pointer_mut("/instanceView/powerState"))
    {
        *ps = running.clone();
    }
    let view = p.entry("instanceView").or_insert_with(|| json!({}));
    if !view.is_object() {
        *view = json!({});
    }
    let statuses = &mut view["statuses"];
    if !statuses.is_array() {
        *statuses = json!([]);
    }
    if let Some(list) = statuses.as_array_mut() {
        list.retain(|s| {
            !s.get("code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.starts_with("PowerState/"))
        });
        list.push(running);
    }
}

/// The stand-in client for a fix that names `<YOUR-PUBLIC-IP>`.
pub(crate) fn stand_in_client(stand_in: &str) -> Option<crate::engine::types::Client> {
    crate::engine::types::Client::parse(stand_in).ok()
}
