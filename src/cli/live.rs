//! Live collection from Azure for `audit`, `check` and `collect`: credentials, the ARM client,
//! and the tokio runtime. Returns the same raw resources a snapshot holds.

use std::sync::Arc;

use super::args::{Auth, Backend, Cloud as CloudArg, InputArgs, ScopeArgs};
use super::Fatal;
use crate::arm::auth::{AuthMethod, Authenticator, Cloud, CloudName};
use crate::arm::client::{ArmClient, Credential, RetryPolicy};
use crate::arm::collect::{self, CollectError, Collected, Scope};
use crate::arm::graph;

/// What to read live.
pub enum Target<'a> {
    Scope(&'a ScopeArgs),
    Vm(&'a str),
}

fn cloud(input: &InputArgs) -> Result<Cloud, Fatal> {
    let name = match input.cloud {
        CloudArg::Public => CloudName::Public,
        CloudArg::China => CloudName::China,
        CloudArg::Usgov => CloudName::Usgov,
    };
    Cloud::new(name, input.arm_endpoint.as_deref()).map_err(Fatal)
}

fn method(a: Auth) -> AuthMethod {
    match a {
        Auth::Auto => AuthMethod::Auto,
        Auth::Env => AuthMethod::Env,
        Auth::WorkloadIdentity => AuthMethod::WorkloadIdentity,
        Auth::ManagedIdentity => AuthMethod::ManagedIdentity,
        Auth::Cli => AuthMethod::Cli,
        Auth::Azd => AuthMethod::Azd,
    }
}

/// Collects from ARM. Authentication failures and "nothing readable" are fatal (exit 2).
pub fn collect(input: &InputArgs, target: Target<'_>) -> Result<(Collected, String), Fatal> {
    let cloud = cloud(input)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let auth = Authenticator::new(method(input.auth), &cloud).await.map_err(|e| Fatal(e.to_string()))?;
        tracing::info!(credential = auth.source(), endpoint = %cloud.arm_endpoint, "authenticated");
        let client = ArmClient::new(
            cloud.arm_endpoint.clone(),
            Credential::Azure(Arc::new(auth)),
            usize::from(input.concurrency),
            RetryPolicy::default(),
        )
        .map_err(Fatal)?;
        let progress = progress_bar();
        let client = match &progress {
            Some(bar) => {
                let bar = bar.clone();
                client.with_observer(Arc::new(move |n| {
                    bar.set_message(format!("{n} ARM responses"));
                    bar.tick();
                }))
            }
            None => client,
        };
        let client = Arc::new(client);
        let started = std::time::Instant::now();
        let result = match target {
            Target::Vm(id) => collect::collect_vm(client.clone(), id).await,
            Target::Scope(s) => {
                let scope = Scope {
                    subscriptions: s.subscriptions.clone(),
                    all_subscriptions: s.all_subscriptions,
                    resource_groups: s.resource_groups.clone(),
                    default_subscription: std::env::var("AZURE_SUBSCRIPTION_ID").ok().filter(|v| !v.trim().is_empty()),
                };
                // A management group can only be enumerated through Resource Graph.
                let mg = s.management_group.as_deref();
                if input.backend == Backend::Graph || mg.is_some() {
                    graph::collect(client.clone(), &scope, mg).await
                } else {
                    collect::collect(client.clone(), &scope).await
                }
            }
        };
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        tracing::info!(
            requests = client.requests_sent(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "collection finished"
        );
        match result {
            Ok(c) => Ok((c, cloud.name.to_string())),
            Err(CollectError::Auth(e)) => Err(Fatal(format!(
                "authentication failed: {e}\nThe credential produced a token that ARM rejected: check the tenant, \
                 that the identity has Reader on the scope, and (with --arm-endpoint) the --cloud"
            ))),
            Err(e) => Err(Fatal(e.to_string())),
        }
    })
}

/// `collectedAt`: now, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A spinner on stderr, only when stderr is a terminal (never in pipes, logs or CI).
fn progress_bar() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("reading Azure Resource Manager…");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
