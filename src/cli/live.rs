//! Live collection from Azure for `audit`, `check` and `collect`: credentials, the ARM client,
//! and the tokio runtime. Returns the same raw resources a snapshot holds.

use std::sync::Arc;

use super::args::{Auth, Backend, Cloud as CloudArg, InputArgs, ScopeArgs};
use super::CliError;
use crate::arm::auth::{AuthMethod, Authenticator, Cloud, CloudName};
use crate::arm::client::{ArmClient, Credential, RetryPolicy};
use crate::arm::collect::{self, Collected, Scope};
use crate::arm::graph;
use crate::arm::runcommand::{self, GuestSettings, Inspected};

/// What to read live.
pub(crate) enum Target<'a> {
    Scope(&'a ScopeArgs),
    Vm(&'a str),
    /// `-g RG -n NAME` (with `--subscription`, or the default subscription).
    VmNamed {
        subscription: Option<&'a str>,
        group: &'a str,
        name: &'a str,
    },
}

/// `AZURE_SUBSCRIPTION_ID`: the subscription a live run reads when none is named.
fn default_subscription() -> Option<String> {
    std::env::var("AZURE_SUBSCRIPTION_ID")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

fn cloud(input: &InputArgs) -> Result<Cloud, CliError> {
    let name = match input.cloud {
        CloudArg::Public => CloudName::Public,
        CloudArg::China => CloudName::China,
        CloudArg::Usgov => CloudName::Usgov,
    };
    Cloud::new(name, input.arm_endpoint.as_deref()).map_err(CliError::Cloud)
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

/// A live connection to ARM: the runtime, the authenticated client and the cloud's name.
pub(crate) struct Session {
    runtime: tokio::runtime::Runtime,
    client: Arc<ArmClient>,
    cloud: String,
    concurrency: usize,
    /// Whether to show spinners (off with `-q`).
    progress: bool,
}

impl Session {
    /// Authenticates (exit 2 when no credential works) and builds the ARM client.
    pub(crate) fn open(input: &InputArgs) -> Result<Session, CliError> {
        let deadline = std::time::Instant::now() + input.timeout;
        let cloud = cloud(input)?;
        let runtime = runtime()?;
        let client = runtime.block_on(async {
            let auth = Authenticator::new(method(input.auth), &cloud)
                .await
                .map_err(CliError::from)?;
            tracing::info!(credential = auth.source(), endpoint = %cloud.arm_endpoint, "authenticated");
            ArmClient::new(
                cloud.arm_endpoint.clone(),
                Credential::Azure(Arc::new(auth)),
                usize::from(input.concurrency),
                RetryPolicy {
                    deadline: Some(deadline),
                    ..RetryPolicy::default()
                },
            )
            .map_err(CliError::Client)
        })?;
        Ok(Session {
            runtime,
            client: Arc::new(client),
            cloud: cloud.name.to_string(),
            concurrency: usize::from(input.concurrency),
            progress: true,
        })
    }

    /// No spinners (`-q`: print nothing but errors).
    pub(crate) fn quiet(mut self, quiet: bool) -> Session {
        self.progress = !quiet;
        self
    }

    /// A spinner on stderr, unless `-q`; see [`progress_bar`].
    fn progress_bar(&self, message: &str) -> Option<indicatif::ProgressBar> {
        self.progress.then(|| progress_bar(message)).flatten()
    }

    pub(crate) fn cloud(&self) -> &str {
        &self.cloud
    }

    /// Collects from ARM. Authentication failures and "nothing readable" are fatal (exit 2).
    /// Reads `target`; with `model`, each page is decoded for the model as it arrives
    /// ([`Collected::model`]), while others download. With `early` too, a scope's model is sent
    /// there before the last admin-rule answers ([`collect::Scope::early`]).
    pub(crate) fn collect(
        &self,
        input: &InputArgs,
        target: Target<'_>,
        model: bool,
        early: Option<collect::EarlyModel>,
    ) -> Result<Collected, CliError> {
        let progress = self.progress_bar("reading Azure Resource Manager…");
        if let Some(bar) = &progress {
            let bar = bar.clone();
            self.client.set_observer(Arc::new(move |n| {
                bar.set_message(format!("{n} ARM responses"));
                bar.tick();
            }));
        }
        let client = self.client.clone();
        let started = std::time::Instant::now();
        let result = self.runtime.block_on(async {
            match target {
                Target::Vm(id) => collect::collect_vm(client.clone(), id).await,
                Target::VmNamed {
                    subscription,
                    group,
                    name,
                } => {
                    let named = crate::arm::collect_named::Named {
                        scope: Scope {
                            subscriptions: subscription.map(str::to_string).into_iter().collect(),
                            default_subscription: default_subscription(),
                            ..Scope::default()
                        },
                        group,
                        name,
                    };
                    crate::arm::collect_named::collect_vm_named(client.clone(), named).await
                }
                Target::Scope(s) => {
                    let scope = Scope {
                        subscriptions: s.subscriptions.clone(),
                        all_subscriptions: s.all_subscriptions,
                        resource_groups: s.resource_groups.clone(),
                        default_subscription: default_subscription(),
                        decode: model,
                        early: early.filter(|_| model),
                    };
                    // A management group can only be enumerated through Resource Graph.
                    let mg = s.management_group.as_deref();
                    if input.backend == Backend::Graph || mg.is_some() {
                        graph::collect(client.clone(), &scope, mg).await
                    } else {
                        collect::collect(client.clone(), &scope).await
                    }
                }
            }
        });
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        tracing::info!(
            requests = self.client.requests_sent(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "collection finished"
        );
        result.map_err(CliError::from)
    }

    /// Runs the guest script in each VM through Run Command (bounded by `--concurrency`).
    pub(crate) fn inspect_guests(
        &self,
        vms: &[String],
        timeout_secs: u64,
    ) -> Vec<(String, Inspected)> {
        if vms.is_empty() {
            return Vec::new();
        }
        let progress = self.progress_bar(&format!(
            "inspecting {} guest{} through Run Command (tens of seconds each)…",
            vms.len(),
            if vms.len() == 1 { "" } else { "s" }
        ));
        let settings = GuestSettings {
            timeout: std::time::Duration::from_secs(timeout_secs),
            concurrency: self.concurrency,
            ..GuestSettings::default()
        };
        let out =
            self.runtime
                .block_on(runcommand::inspect_all(self.client.clone(), vms, &settings));
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
        out
    }
}

/// A multi-threaded tokio runtime (also used by `--probe` on offline input).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)
}

/// `collectedAt`: now, RFC 3339 UTC.
pub(crate) fn now_rfc3339() -> String {
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
fn progress_bar(message: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
