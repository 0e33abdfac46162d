//! The newer doors' ARM shapes: Firewall Policy rule collection groups (child resources that,
//! unlike subnets, are not inline in their parent: `GET {policy}/ruleCollectionGroups` lists them)
//! and Azure Virtual Network Manager effective security admin rules
//! (`POST {vnet}/listNetworkManagerEffectiveSecurityAdminRules`, paged by `skipToken` in the body,
//! `$top` 1–20; <https://learn.microsoft.com/rest/api/network-manager/list-effective-security-admin-rules/list>).

use serde_json::{json, Value};

use crate::doors_store::STORED_CHILDREN;
use crate::http::{authorization_failed, resource_not_found, Ctx, Reply};
use crate::ids::{eq, ResourceId};

/// `…/{segments}/ruleCollectionGroups`: the parent and the child type, when `segs` lists a
/// stored child type of a top-level resource.
pub(crate) fn child_list(segs: &[&str]) -> Option<(ResourceId, String)> {
    let (last, head) = segs.split_last()?;
    if !STORED_CHILDREN.iter().any(|c| eq(c, last)) {
        return None;
    }
    let parent = ResourceId::from_segments(head)?;
    (parent.types.len() == 1).then(|| (parent, (*last).to_string()))
}

/// `POST {vnet}/listNetworkManagerEffectiveSecurityAdminRules`: the VNet.
pub(crate) fn admin_rules_post(segs: &[&str]) -> Option<ResourceId> {
    let (last, head) = segs.split_last()?;
    if !eq(last, "listNetworkManagerEffectiveSecurityAdminRules") {
        return None;
    }
    let vnet = ResourceId::from_segments(head)?;
    (vnet.types.len() == 1 && eq(&vnet.top_type(), "Microsoft.Network/virtualNetworks"))
        .then_some(vnet)
}

/// The effective admin rules of one VNet: `$top` (1–20, default 20) rules from the `skipToken`
/// in the JSON body. A snapshot without the section answers `[]` for every VNet.
pub(crate) fn admin_rules(ctx: &Ctx<'_>, vnet: &ResourceId) -> Reply {
    if ctx.store.get(&vnet.top_id_lc()).is_none() {
        return resource_not_found(&vnet.type_and_name(), &vnet.resource_group);
    }
    if ctx
        .cfg
        .faults
        .forbidden_types
        .iter()
        .any(|t| eq(t, "Microsoft.Network/networkManagers"))
    {
        return authorization_failed(
            ctx,
            "Microsoft.Network/virtualNetworks/listNetworkManagerEffectiveSecurityAdminRules/action",
            ctx.raw_path,
        );
    }
    let top = match ctx.query.get("$top").map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=20).contains(&n) => n,
        Some(_) => {
            return Reply::error(
                400,
                "InvalidParameter",
                "The value of $top must be between 1 and 20.",
            )
        }
    };
    let body: Value = match serde_json::from_slice(ctx.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Reply::error(
                400,
                "InvalidRequestContent",
                "The request content must be a JSON object, e.g. {} or {\"skipToken\": \"…\"}.",
            )
        }
    };
    let offset = match body.get("skipToken") {
        None | Some(Value::Null) => 0,
        Some(Value::String(t)) if t.is_empty() => 0,
        Some(Value::String(t)) => match t.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                return Reply::error(
                    400,
                    "InvalidSkipToken",
                    format!("The skip token '{t}' is invalid."),
                )
            }
        },
        Some(_) => return Reply::error(400, "InvalidSkipToken", "skipToken must be a string."),
    };
    let all: &[Value] = ctx.store.doors.admin_rules(&vnet.top_id_lc());
    let page_len = top.min(ctx.cfg.page_size.max(1));
    let end = (offset + page_len).min(all.len());
    let value: Vec<Value> = all.get(offset.min(all.len())..end).unwrap_or(&[]).to_vec();
    let mut out = json!({ "value": value });
    if end < all.len() {
        out["skipToken"] = json!(end.to_string());
    }
    Reply::ok(out.to_string())
}
