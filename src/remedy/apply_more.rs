//! Applying the fixes beyond NSG rules, routes and power to the raw resource they change: a
//! rule's destination or its deletion, a public IP's allocation, a Bastion feature, a DNAT
//! rule's sources. The changed resource's PUT body is kept for `--fix-format arm`.

use serde_json::{json, Map, Value};

use super::apply_error::{stand_in_prefix, ApplyError};
use crate::rules::fix::{Fix, Source};

/// Why a fix cannot be proven on the data at all (checked before the resource is looked up).
pub(crate) fn unprovable(fix: &Fix) -> Option<ApplyError> {
    match fix {
        Fix::EnableNla { .. } => Some(ApplyError::Shape(
            "NLA is a setting inside Windows, not in the Azure data; after running it, audit \
             again with --guest to see it"
                .into(),
        )),
        Fix::SetAdminRuleAccess { .. } => Some(ApplyError::Shape(
            "security admin rules are read from the securityAdminRules section, which the proof \
             does not patch; the change takes effect only after the configuration is deployed \
             again"
                .into(),
        )),
        _ => None,
    }
}

fn obj<'v>(v: &'v mut Value, what: &str) -> Result<&'v mut Map<String, Value>, ApplyError> {
    v.as_object_mut()
        .ok_or_else(|| ApplyError::Shape(format!("{what} is not an object")))
}

fn array<'v>(p: &'v mut Map<String, Value>, field: &str) -> Result<&'v mut Vec<Value>, ApplyError> {
    p.get_mut(field)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ApplyError::Shape(format!("{field} is not an array")))
}

fn named<'v>(items: &'v mut [Value], name: &str) -> Option<&'v mut Value> {
    items.iter_mut().find(|r| {
        r.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// The body a PUT of the whole resource sends: what the user may write, without what only ARM
/// writes (provisioning state, resource GUID, etag).
fn put_body(doc: &Value) -> Value {
    let mut out = Map::new();
    for k in ["location", "sku", "zones", "tags"] {
        if let Some(v) = doc.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut props = doc
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for k in ["provisioningState", "resourceGuid"] {
        props.remove(k);
    }
    out.insert("properties".into(), Value::Object(props));
    Value::Object(out)
}

/// The security rule `rule`'s properties in an NSG document.
fn rule_props<'v>(
    p: &'v mut Map<String, Value>,
    id: &str,
    rule: &str,
) -> Result<&'v mut Map<String, Value>, ApplyError> {
    let rules = array(p, "securityRules")?;
    let r = named(rules, rule)
        .ok_or_else(|| ApplyError::Missing(format!("{id}/securityRules/{rule}")))?;
    r.get_mut("properties")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| ApplyError::Shape(format!("rule {rule} has no properties")))
}

/// Changes the parsed resource for the fixes of this module; returns the ARM body to send.
pub(crate) fn change(
    doc: &mut Value,
    id: &str,
    fix: &Fix,
    stand_in: &str,
) -> Result<Option<Value>, ApplyError> {
    if let Some(e) = unprovable(fix) {
        return Err(e);
    }
    let p = obj(
        doc.get_mut("properties")
            .ok_or_else(|| ApplyError::Shape(format!("{id} has no properties")))?,
        "properties",
    )?;
    match fix {
        Fix::SetNsgRuleDestination {
            rule, destination, ..
        } => {
            let rp = rule_props(p, id, rule)?;
            rp.remove("destinationAddressPrefixes");
            rp.remove("destinationApplicationSecurityGroups");
            rp.insert("destinationAddressPrefix".into(), json!(destination));
            let mut body = rp.clone();
            body.remove("provisioningState");
            Ok(Some(json!({ "properties": body })))
        }
        Fix::DeleteNsgRule { rule, .. } => {
            let rules = array(p, "securityRules")?;
            let before = rules.len();
            rules.retain(|r| {
                !r.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(rule))
            });
            if rules.len() == before {
                return Err(ApplyError::Missing(format!("{id}/securityRules/{rule}")));
            }
            Ok(None)
        }
        // Whole top-level resources: their ARM form is `az resource update --set`, which reads
        // the resource and writes it back whole (tags and fields this data lacks included), so
        // no body from the data is kept.
        Fix::StaticPublicIp { .. } => {
            p.insert("publicIPAllocationMethod".into(), json!("Static"));
            Ok(None)
        }
        Fix::DisableBastionFeature { feature, .. } => {
            p.insert(feature.property().into(), json!(false));
            Ok(None)
        }
        Fix::NarrowDnatRuleSources {
            collection,
            rule,
            sources,
            ..
        } => {
            let text: Vec<String> = sources
                .iter()
                .map(|s| match s {
                    Source::Prefix(p) => p.clone(),
                    Source::YourPublicIp => stand_in_prefix(stand_in),
                })
                .collect();
            let policy = p.contains_key("ruleCollections");
            narrow_dnat(p, id, collection, rule, text)?;
            // A rule collection group is a child resource (no tags): its PUT body is the group
            // as the fix leaves it. A classic firewall would be PUT whole: no body.
            Ok(policy.then(|| put_body(doc)))
        }
        _ => Err(ApplyError::Shape("not a change this module applies".into())),
    }
}

/// Sets a DNAT rule's `sourceAddresses` and drops its `sourceIpGroups`: a policy's rule
/// collection group (`ruleCollections[].rules[]`) or a classic firewall
/// (`natRuleCollections[].properties.rules[]`).
fn narrow_dnat(
    p: &mut Map<String, Value>,
    id: &str,
    collection: &str,
    rule: &str,
    sources: Vec<String>,
) -> Result<(), ApplyError> {
    let missing = || ApplyError::Missing(format!("{id}: collection {collection} rule {rule}"));
    let policy = p.contains_key("ruleCollections");
    let field = if policy {
        "ruleCollections"
    } else {
        "natRuleCollections"
    };
    let c = named(array(p, field)?, collection).ok_or_else(missing)?;
    let rules = if policy {
        c.get_mut("rules")
    } else {
        c.pointer_mut("/properties/rules")
    }
    .and_then(Value::as_array_mut)
    .ok_or_else(missing)?;
    let r = obj(named(rules, rule).ok_or_else(missing)?, "rule")?;
    r.insert("sourceAddresses".into(), json!(sources));
    r.insert("sourceIpGroups".into(), json!([]));
    Ok(())
}
