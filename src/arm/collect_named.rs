//! `check -g RG -n NAME` (and `fix`) against live Azure: the VM's id comes from a GET of the
//! VM itself, in the subscription `--subscription` names, else the default one
//! (`AZURE_SUBSCRIPTION_ID`, else the one enabled subscription the identity sees), the same
//! choice an audit's scope makes (`collect::resolve_subscriptions`). Then the VM is read as
//! `check <id>` reads it.

use serde::Deserialize;
use std::sync::Arc;

use super::client::ArmClient;
use super::collect::{collect_vm, resolve_subscriptions, CollectError, Collected, Scope};
use super::request;

/// A VM named by resource group and name: where to look.
pub(crate) struct Named<'a> {
    /// `--subscription` (at most one is used) and the default subscription.
    pub(crate) scope: Scope,
    pub(crate) group: &'a str,
    pub(crate) name: &'a str,
}

/// Reads the VM `group`/`name` and everything its paths use.
pub(crate) async fn collect_vm_named(
    client: Arc<ArmClient>,
    named: Named<'_>,
) -> Result<Collected, CollectError> {
    let Named { scope, group, name } = named;
    let mut diagnostics = Vec::new();
    let subs = resolve_subscriptions(&client, &scope, &mut diagnostics).await?;
    let sub = match subs.as_slice() {
        [one] => one.subscription_id.clone(),
        _ => {
            return Err(CollectError::Scope(
                "-g/-n name a VM in one subscription: pass one --subscription ID".into(),
            ))
        }
    };
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Compute/\
         virtualMachines/{name}"
    );
    let body = match client.get(&request::get(client.base(), &id, None)).await {
        Ok(b) => b,
        Err(e) if e.status == Some(404) => {
            return Err(CollectError::Scope(format!(
                "VM {name} was not found in resource group {group} of subscription {sub} ({})",
                e.message
            )))
        }
        Err(e) if e.is_auth() => return Err(CollectError::Auth(e)),
        Err(e) => return Err(CollectError::Nothing(e)),
    };
    // ARM's own spelling of the id (the name's case as created).
    #[derive(Deserialize)]
    struct Head {
        id: Option<String>,
    }
    let real = serde_json::from_slice::<Head>(&body)
        .ok()
        .and_then(|h| h.id)
        .unwrap_or(id);
    let mut out = collect_vm(client, &real).await?;
    out.diagnostics.extend(diagnostics);
    Ok(out)
}
