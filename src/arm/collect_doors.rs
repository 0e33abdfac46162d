//! Collection for the newer doors, after the resource lists: each Firewall Policy's rule
//! collection groups (one paged child list per policy; a policy body names them by id only),
//! what they reference (base policies, IP Groups), and the effective security admin rules of each
//! VM's VNet (docs/decisions.md D36): `POST …/listNetworkManagerEffectiveSecurityAdminRules`
//! with `$top=20`, paged by `skipToken` in the body, not by `nextLink`.
//!
//! Requests: one per policy (per page of groups) and one per VM VNet per 20 admin rules. A
//! VNet whose admin rules cannot be read (403 for a Reader without
//! `Microsoft.Network/networkManagers` read, …) is left out of the section with a diagnostic:
//! its VMs' verdicts become `unknown`, never "no rules".

use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::task::JoinSet;

use super::client::{ArmClient, MAX_PAGES};
use super::error::{ArmError, ErrorKind};
use super::request;
use crate::model::{DiagLevel, Diagnostic, ResId};

/// The rule collection groups of these policies (one child list each), and what failed.
pub(crate) async fn groups_of(
    client: Arc<ArmClient>,
    policies: Vec<ResId>,
) -> (Vec<Box<RawValue>>, Vec<Diagnostic>) {
    let (mut items, mut diagnostics) = (Vec::new(), Vec::new());
    let mut set = JoinSet::new();
    for p in policies {
        let c = client.clone();
        set.spawn(async move {
            let url = request::child_list(c.base(), &p.id, "ruleCollectionGroups");
            (p, c.list(&url, "ruleCollectionGroups").await)
        });
    }
    while let Some(done) = set.join_next().await {
        let Ok((policy, res)) = done else { continue };
        match res {
            Ok(l) => {
                items.extend(l.items);
                diagnostics.extend(l.stopped);
            }
            Err(e) => diagnostics.push(e.diagnostic(
                DiagLevel::Error,
                &format!("{} rule collection groups", policy.id),
            )),
        }
    }
    (items, diagnostics)
}

/// One VNet's effective admin rules, every page.
async fn vnet_rules(client: &ArmClient, vnet: &ResId) -> Result<Vec<Box<RawValue>>, ArmError> {
    let url = request::admin_rules(client.base(), &vnet.id);
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _page in 0..MAX_PAGES {
        let body = match &token {
            Some(t) => json!({ "skipToken": t }),
            None => json!({}),
        };
        let (bytes, _) = client.post(&url, &body).await?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            value: Option<Vec<Box<RawValue>>>,
            skip_token: Option<String>,
        }
        let page: Page = serde_json::from_slice(&bytes).map_err(|e| {
            ArmError::new(
                ErrorKind::Malformed,
                "POST",
                &url,
                format!("the response is not an admin-rule page: {e}"),
            )
        })?;
        items.extend(page.value.unwrap_or_default());
        match page.skip_token.filter(|t| !t.is_empty()) {
            Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
            _ => return Ok(items),
        }
    }
    Err(ArmError::new(
        ErrorKind::Malformed,
        "POST",
        &url,
        format!("more than {MAX_PAGES} pages of admin rules: stopped"),
    ))
}

/// The `securityAdminRules` section for these VNets, and what could not be read.
pub(crate) async fn admin_rules(
    client: Arc<ArmClient>,
    vnets: Vec<ResId>,
) -> (Option<Box<RawValue>>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut set = JoinSet::new();
    for v in vnets {
        let c = client.clone();
        set.spawn(async move {
            let res = vnet_rules(&c, &v).await;
            (v, res)
        });
    }
    let mut section: BTreeMap<String, Vec<Box<RawValue>>> = BTreeMap::new();
    while let Some(done) = set.join_next().await {
        let Ok((vnet, res)) = done else { continue };
        match res {
            Ok(items) => {
                section.insert(vnet.id.clone(), items);
            }
            Err(e) => diagnostics.push(e.diagnostic(
                DiagLevel::Error,
                &format!("{} security admin rules", vnet.id),
            )),
        }
    }
    let value: BTreeMap<String, Vec<Value>> = section
        .into_iter()
        .map(|(k, v)| {
            let items = v
                .iter()
                .filter_map(|r| serde_json::from_str(r.get()).ok())
                .collect();
            (k, items)
        })
        .collect();
    (serde_json::value::to_raw_value(&value).ok(), diagnostics)
}
