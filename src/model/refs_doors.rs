//! References of the newer doors, for live collection to follow (a pure scan, like `refs`):
//! a firewall's public IPs, its `AzureFirewallSubnet`'s VNet and its Firewall Policy; a
//! policy's base policy; a rule collection group's IP Groups (plain id strings).

use serde_json::value::RawValue;
use serde_json::Value;

use super::ResId;

fn ids_at<'a>(v: &'a Value, pointer: &str) -> impl Iterator<Item = ResId> + 'a {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.get("id").or(Some(x)).and_then(Value::as_str))
        .filter(|s| s.trim().starts_with('/'))
        .map(ResId::new)
}

fn id_at(v: &Value, pointer: &str) -> Option<ResId> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| s.trim().starts_with('/'))
        .map(ResId::new)
}

/// Every id the firewall resources reference (present or not; the caller filters).
pub(crate) fn references(resources: &[&RawValue]) -> Vec<ResId> {
    let mut out = Vec::new();
    for raw in resources {
        // Cheap pre-filter: only the three types are parsed as values.
        let text = raw.get();
        if !(text.contains("azureFirewalls")
            || text.contains("firewallPolicies")
            || text.contains("ruleCollectionGroups"))
        {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let id = v.get("id").and_then(Value::as_str).unwrap_or("");
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let id_lc = id.to_ascii_lowercase();
        if kind == "microsoft.network/azurefirewalls" {
            out.extend(id_at(&v, "/properties/firewallPolicy/id"));
            for c in v
                .pointer("/properties/ipConfigurations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.extend(id_at(c, "/properties/publicIPAddress/id"));
                let subnet = id_at(c, "/properties/subnet/id");
                out.extend(subnet.and_then(|s| s.split_child("subnets").map(|(p, _)| p)));
            }
        } else if kind == "microsoft.network/firewallpolicies" {
            out.extend(id_at(&v, "/properties/basePolicy/id"));
        } else if id_lc.contains("/rulecollectiongroups/") {
            for c in v
                .pointer("/properties/ruleCollections")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for r in c
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.extend(ids_at(r, "/sourceIpGroups"));
                }
            }
        }
    }
    out
}
