//! Authentication: picks an `azure_identity` credential (`--auth`) and hands out ARM bearer tokens
//! for the chosen cloud (`--cloud`, `--arm-endpoint`). This is the only code that obtains tokens;
//! every token request goes through an `azure_identity` credential behind
//! [`azure_core::credentials::TokenCredential`] — there is no hand-written OAuth flow.
//!
//! # The `--auth auto` chain
//!
//! Tried in this order; the first credential that returns a token for the cloud's ARM scope is kept
//! for the whole run:
//!
//! 1. **environment** — a service principal: `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` +
//!    `AZURE_CLIENT_SECRET` ([`ClientSecretCredential`]), or, when no secret is set,
//!    `AZURE_CLIENT_CERTIFICATE_PATH` [+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`]
//!    ([`ClientCertificateCredential`]; a PKCS#12 / `.pfx` file with an RSA key — azure_identity
//!    1.0.0 cannot read PEM).
//! 2. **workload identity** — `AZURE_FEDERATED_TOKEN_FILE` + `AZURE_TENANT_ID` + `AZURE_CLIENT_ID`
//!    ([`WorkloadIdentityCredential`], AKS workload identity).
//! 3. **managed identity** ([`ManagedIdentityCredential`]) — in `auto` only when it cannot hang:
//!    * `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service, Functions, Container Apps): tried;
//!    * the sources azure_identity 1.0.0 detects but does not support (Service Fabric, Azure Arc,
//!      Azure ML, Cloud Shell): reported as unsupported, nothing is sent;
//!    * the VM instance metadata service (IMDS, `169.254.169.254`): **not tried in `auto`** unless
//!      `AZURE_CLIENT_ID` is set on its own (no secret, certificate or federated token file) —
//!      the Azure SDKs' way of naming a user-assigned managed identity. `--auth managed-identity`
//!      always tries it. Either way a 1–3 s TCP probe of `169.254.169.254:80` runs first, so a
//!      machine outside Azure fails fast instead of waiting out azure_identity's IMDS retry policy
//!      (up to 72 s).
//!
//!    `AZURE_CLIENT_ID` on its own (as above) selects that user-assigned identity, as in the
//!    Azure SDKs' default credential; otherwise the system-assigned identity is used.
//! 4. **Azure CLI** — `az account get-access-token -o json --scope <scope> [--tenant <AZURE_TENANT_ID>]`
//!    ([`AzureCliCredential`]).
//! 5. **Azure Developer CLI** — `azd auth token -o json --no-prompt --scope <scope> [--tenant-id …]`
//!    ([`AzureDeveloperCliCredential`]).
//!
//! Every credential is tried even after one fails, so that the error lists all of them, each with
//! why it failed and how to fix it. Each attempt is bounded by a timeout.
//!
//! # Sovereign clouds
//!
//! The token audience always follows `--cloud` (`https://management.azure.com/.default`,
//! `https://management.chinacloudapi.cn/.default`, `https://management.usgovcloudapi.net/.default`),
//! also when `--arm-endpoint` moves the host. The Entra authority is set through
//! `ClientOptions::cloud` (a [`CloudConfiguration::Custom`] holding the authority host) for the
//! credentials that talk to Entra directly: client secret, client certificate and workload
//! identity. `AZURE_AUTHORITY_HOST`, when set, wins over the cloud's default (as in the Azure SDKs;
//! the AKS workload-identity webhook sets it). The other credentials cannot be pointed at an
//! authority by azure_identity 1.0.0:
//! * Azure CLI / Azure Developer CLI use the cloud their own configuration selects
//!   (`az cloud set --name AzureChinaCloud|AzureUSGovernment`, `azd config set cloud.name …`);
//!   rdpaudit only asks them for the right scope.
//! * Managed identity needs no authority: the platform endpoint issues tokens for the resource
//!   (the scope without `/.default`) in whatever cloud the resource runs in.
//!
//! # Caching
//!
//! The Entra and managed-identity credentials cache tokens themselves, but the CLI credentials run
//! the tool on every call. [`Authenticator::token`] therefore keeps the current token and asks the
//! credential again only shortly before it expires (5 minutes, or half the token's lifetime if that
//! is shorter), one refresh at a time. If a refresh fails while the cached token is still valid,
//! the cached token is used and the refresh is retried 30 seconds later.
//!
//! Nothing here logs or displays a token, a client secret, a certificate password or the
//! `IDENTITY_HEADER` value: [`Token`]'s `Debug`/`Display` are redacted, and error messages taken
//! from credentials have any such value replaced by `***`.

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, Secret, SecretBytes, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzureDeveloperCliCredential,
    AzureDeveloperCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientCertificateCredential, ClientCertificateCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tracing::debug;

const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
const IDENTITY_SERVER_THUMBPRINT: &str = "IDENTITY_SERVER_THUMBPRINT";
const IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
const MSI_ENDPOINT: &str = "MSI_ENDPOINT";
const MSI_SECRET: &str = "MSI_SECRET";

/// Every environment variable the credential choice depends on.
const ENV_NAMES: &[&str] = &[
    AZURE_TENANT_ID,
    AZURE_CLIENT_ID,
    AZURE_CLIENT_SECRET,
    AZURE_CLIENT_CERTIFICATE_PATH,
    AZURE_CLIENT_CERTIFICATE_PASSWORD,
    AZURE_FEDERATED_TOKEN_FILE,
    AZURE_AUTHORITY_HOST,
    IDENTITY_ENDPOINT,
    IDENTITY_HEADER,
    IDENTITY_SERVER_THUMBPRINT,
    IMDS_ENDPOINT,
    MSI_ENDPOINT,
    MSI_SECRET,
];

/// Values that must never appear in a message.
const SECRET_ENV_NAMES: &[&str] = &[
    AZURE_CLIENT_SECRET,
    AZURE_CLIENT_CERTIFICATE_PASSWORD,
    IDENTITY_HEADER,
    MSI_SECRET,
];

/// The Azure Instance Metadata Service (VM managed identity).
const IMDS_ADDR: ([u8; 4], u16) = ([169, 254, 169, 254], 80);
const IMDS_PROBE_AUTO: Duration = Duration::from_secs(1);
const IMDS_PROBE_EXPLICIT: Duration = Duration::from_secs(3);

/// Upper bounds on one token request, per kind of credential.
const TIMEOUT_TOOL: Duration = Duration::from_secs(30);
const TIMEOUT_ENTRA: Duration = Duration::from_secs(60);
const TIMEOUT_APP_SERVICE: Duration = Duration::from_secs(30);
/// azure_identity's IMDS retry policy gives up after 72 s; a little more than that.
const TIMEOUT_IMDS: Duration = Duration::from_secs(80);

/// Refresh a cached token this long before it expires (or at half its lifetime, if shorter).
const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);
/// After a failed refresh while the cached token is still valid, wait this long before retrying.
const REFRESH_RETRY: time::Duration = time::Duration::seconds(30);
/// A cached token closer than this to expiry is not handed out after a failed refresh.
const MIN_VALIDITY: time::Duration = time::Duration::seconds(30);

/// Longest credential error text kept in a message.
const MAX_REASON_CHARS: usize = 400;

// ---------------------------------------------------------------------------------------------
// Method and cloud
// ---------------------------------------------------------------------------------------------

/// Which credential (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// Environment service principal, workload identity, managed identity, Azure CLI, Azure
    /// Developer CLI, in that order (see the module documentation).
    Auto,
    /// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` or
    /// `AZURE_CLIENT_CERTIFICATE_PATH`.
    Env,
    /// AKS workload identity (`AZURE_FEDERATED_TOKEN_FILE`).
    WorkloadIdentity,
    /// Managed identity (App Service endpoint, or the VM instance metadata service).
    ManagedIdentity,
    /// The Azure CLI's signed-in account.
    Cli,
    /// The Azure Developer CLI's signed-in account.
    Azd,
}

impl AuthMethod {
    /// The `--auth` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Auto => "auto",
            AuthMethod::Env => "env",
            AuthMethod::WorkloadIdentity => "workload-identity",
            AuthMethod::ManagedIdentity => "managed-identity",
            AuthMethod::Cli => "cli",
            AuthMethod::Azd => "azd",
        }
    }

    fn steps(self) -> &'static [Step] {
        match self {
            AuthMethod::Auto => &[
                Step::Env,
                Step::WorkloadIdentity,
                Step::ManagedIdentity,
                Step::Cli,
                Step::Azd,
            ],
            AuthMethod::Env => &[Step::Env],
            AuthMethod::WorkloadIdentity => &[Step::WorkloadIdentity],
            AuthMethod::ManagedIdentity => &[Step::ManagedIdentity],
            AuthMethod::Cli => &[Step::Cli],
            AuthMethod::Azd => &[Step::Azd],
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(AuthMethod::Auto),
            "env" => Ok(AuthMethod::Env),
            "workload-identity" => Ok(AuthMethod::WorkloadIdentity),
            "managed-identity" => Ok(AuthMethod::ManagedIdentity),
            "cli" => Ok(AuthMethod::Cli),
            "azd" => Ok(AuthMethod::Azd),
            other => Err(format!(
                "unknown --auth {other:?} (expected auto, env, workload-identity, managed-identity, cli or azd)"
            )),
        }
    }
}

/// The cloud (`--cloud`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloudName {
    /// Azure (global).
    Public,
    /// Azure operated by 21Vianet (China).
    China,
    /// Azure Government (US).
    Usgov,
}

impl CloudName {
    /// The `--cloud` spelling (also the snapshot's `cloud`).
    pub fn as_str(self) -> &'static str {
        match self {
            CloudName::Public => "public",
            CloudName::China => "china",
            CloudName::Usgov => "usgov",
        }
    }

    /// The ARM endpoint, which is also the token audience.
    fn arm_audience(self) -> &'static str {
        match self {
            CloudName::Public => "https://management.azure.com/",
            CloudName::China => "https://management.chinacloudapi.cn/",
            CloudName::Usgov => "https://management.usgovcloudapi.net/",
        }
    }

    /// The Microsoft Entra authority host.
    fn authority_host(self) -> &'static str {
        match self {
            CloudName::Public => "https://login.microsoftonline.com",
            CloudName::China => "https://login.chinacloudapi.cn",
            CloudName::Usgov => "https://login.microsoftonline.us",
        }
    }

    /// The Azure CLI's name for the cloud (`az cloud set --name …`).
    fn az_cloud_name(self) -> &'static str {
        match self {
            CloudName::Public => "AzureCloud",
            CloudName::China => "AzureChinaCloud",
            CloudName::Usgov => "AzureUSGovernment",
        }
    }
}

impl fmt::Display for CloudName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CloudName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(CloudName::Public),
            "china" => Ok(CloudName::China),
            "usgov" => Ok(CloudName::Usgov),
            other => Err(format!(
                "unknown --cloud {other:?} (expected public, china or usgov)"
            )),
        }
    }
}

/// The cloud (`--cloud public|china|usgov`), with its ARM endpoint (maybe overridden by
/// `--arm-endpoint` / `RDPAUDIT_ARM_ENDPOINT`) and token audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    /// `public`, `china` or `usgov`.
    pub name: &'static str,
    /// Where ARM requests go; always ends with `/`, never has a query, fragment or user info.
    pub arm_endpoint: reqwest::Url,
    /// The token scope: the cloud's ARM audience plus `.default`, e.g.
    /// `https://management.azure.com/.default`. Not changed by an endpoint override.
    pub scope: String,
    /// The cloud's Microsoft Entra authority, e.g. `https://login.microsoftonline.com`.
    /// `AZURE_AUTHORITY_HOST`, when set, is used instead by the credentials that talk to Entra.
    pub authority_host: String,
}

impl Cloud {
    /// The cloud, with its ARM endpoint replaced by `arm_endpoint_override` when given. The
    /// override changes the host only: the token audience still follows the cloud. It must be an
    /// absolute `https://` URL without query, fragment or user info; plain `http://` is accepted
    /// only for a loopback host (`127.0.0.1`, `localhost`, `[::1]` — the mock ARM server).
    pub fn new(name: CloudName, arm_endpoint_override: Option<&str>) -> Result<Cloud, String> {
        let audience = name.arm_audience();
        let arm_endpoint = match arm_endpoint_override {
            None => reqwest::Url::parse(audience).map_err(|e| e.to_string())?,
            Some(raw) => validate_arm_endpoint(raw)?,
        };
        Ok(Cloud {
            name: name.as_str(),
            arm_endpoint,
            scope: format!("{audience}.default"),
            authority_host: name.authority_host().to_owned(),
        })
    }

    fn cloud_name(&self) -> CloudName {
        match self.name {
            "china" => CloudName::China,
            "usgov" => CloudName::Usgov,
            _ => CloudName::Public,
        }
    }
}

fn validate_arm_endpoint(raw: &str) -> Result<reqwest::Url, String> {
    const WHAT: &str = "--arm-endpoint (RDPAUDIT_ARM_ENDPOINT)";
    let raw = raw.trim();
    // Never echo something that may carry credentials.
    let shown = if raw.contains('@') { "<URL>" } else { raw };
    if raw.is_empty() {
        return Err(format!("{WHAT} is empty"));
    }
    let mut url = reqwest::Url::parse(raw).map_err(|e| {
        format!("{WHAT} {shown:?} is not an absolute URL ({e}); expected e.g. https://management.azure.com/")
    })?;
    match url.scheme() {
        "https" => {}
        "http" => {
            // `Url` has already normalised the host (IPv4 forms, IPv6 brackets, case).
            let host = url.host_str().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(format!(
                    "{WHAT} {shown:?} uses plain http, which is only allowed to 127.0.0.1, localhost or [::1] (the mock ARM server); use https://"
                ));
            }
        }
        other => {
            return Err(format!(
                "{WHAT} {shown:?} has scheme {other:?}; expected an https:// URL"
            ))
        }
    }
    if url.host().is_none() {
        return Err(format!("{WHAT} {shown:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{WHAT} must not contain a user name or password"));
    }
    if url.query().is_some() {
        return Err(format!("{WHAT} {shown:?} must not have a query string"));
    }
    if url.fragment().is_some() {
        return Err(format!("{WHAT} {shown:?} must not have a fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------

/// A bearer token for ARM. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    secret: String,
    expires_on: Option<OffsetDateTime>,
}

impl Token {
    /// A token with this secret and expiry.
    pub fn new(secret: impl Into<String>, expires_on: Option<OffsetDateTime>) -> Token {
        Token {
            secret: secret.into(),
            expires_on,
        }
    }

    /// The bearer token itself (for the `Authorization` header only).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When the token expires, if known.
    pub fn expires_on(&self) -> Option<OffsetDateTime> {
        self.expires_on
    }
}

impl From<AccessToken> for Token {
    fn from(t: AccessToken) -> Token {
        Token {
            secret: t.token.secret().to_owned(),
            expires_on: Some(t.expires_on),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted bearer token>")
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why one credential did not work, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFailure {
    /// The credential: `environment`, `workload identity`, `managed identity`, `Azure CLI` or
    /// `Azure Developer CLI`.
    pub credential: &'static str,
    /// Why it failed (never a secret).
    pub reason: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for CredentialFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.credential, self.reason, self.fix)
    }
}

/// Authentication failed. `Display` never contains a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential produced a token: one message listing every credential tried, why it failed
    /// and how to fix it.
    #[error("{}", render_no_credential(*.method, .scope, .failures))]
    NoCredential {
        /// The `--auth` choice.
        method: AuthMethod,
        /// The scope tokens were requested for.
        scope: String,
        /// Every credential tried, in order.
        failures: Vec<CredentialFailure>,
    },
    /// The credential in use could not get a new token (after it had worked).
    #[error("{credential}: could not get a new ARM token: {reason}")]
    Token {
        /// Which credential ([`Authenticator::source`]).
        credential: String,
        /// Why (never a secret).
        reason: String,
    },
}

fn render_no_credential(method: AuthMethod, scope: &str, failures: &[CredentialFailure]) -> String {
    let mut out = if method == AuthMethod::Auto {
        format!(
            "authentication failed: no Azure credential could get a token for {scope} (--auth auto tried, in order):"
        )
    } else {
        format!("authentication failed: --auth {method} could not get a token for {scope}:")
    };
    for failure in failures {
        out.push_str("\n  - ");
        out.push_str(&failure.to_string());
    }
    if method == AuthMethod::Auto {
        out.push_str(
            "\nFix one of them, or pick one with --auth env|workload-identity|managed-identity|cli|azd.",
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Environment snapshot
// ---------------------------------------------------------------------------------------------

/// The relevant environment variables, read once so that every decision sees the same values.
#[derive(Debug, Clone, Default)]
struct EnvVars(BTreeMap<&'static str, String>);

impl EnvVars {
    fn from_process() -> EnvVars {
        let mut map = BTreeMap::new();
        for &name in ENV_NAMES {
            // Like azure_identity: a variable that is not valid Unicode counts as unset.
            if let Ok(value) = std::env::var(name) {
                map.insert(name, value);
            }
        }
        EnvVars(map)
    }

    #[cfg(test)]
    fn from_pairs(pairs: &[(&'static str, &str)]) -> EnvVars {
        EnvVars(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
    }

    /// Set at all, even if empty (azure_identity's test for managed-identity sources).
    fn present(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Set and not blank.
    fn value(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn secrets(&self) -> Vec<String> {
        SECRET_ENV_NAMES
            .iter()
            .filter_map(|n| self.value(n))
            .map(str::to_owned)
            .collect()
    }

    /// `AZURE_CLIENT_ID` alone (no secret, certificate or federated token file) names a
    /// user-assigned managed identity, as in the Azure SDKs' default credential.
    fn user_assigned_client_id(&self) -> Option<&str> {
        let alone = [
            AZURE_CLIENT_SECRET,
            AZURE_CLIENT_CERTIFICATE_PATH,
            AZURE_FEDERATED_TOKEN_FILE,
        ]
        .iter()
        .all(|n| self.value(n).is_none());
        if alone {
            self.value(AZURE_CLIENT_ID)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Credential selection
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Env,
    WorkloadIdentity,
    ManagedIdentity,
    Cli,
    Azd,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Env => "environment",
            Step::WorkloadIdentity => "workload identity",
            Step::ManagedIdentity => "managed identity",
            Step::Cli => "Azure CLI",
            Step::Azd => "Azure Developer CLI",
        }
    }
}

/// Which managed-identity source the environment points at (mirrors azure_identity 1.0.0's
/// `get_source`, so that rdpaudit knows before constructing the credential whether it would talk
/// to IMDS).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ManagedIdentityPlan {
    AppService,
    Imds,
    /// Detected, but azure_identity 1.0.0 cannot use it.
    Unsupported(&'static str),
    /// `auto` and no sign of a managed identity: IMDS is not probed.
    Skip,
}

fn managed_identity_plan(env: &EnvVars, auto: bool) -> ManagedIdentityPlan {
    if env.present(IDENTITY_ENDPOINT) {
        if env.present(IDENTITY_HEADER) {
            if env.present(IDENTITY_SERVER_THUMBPRINT) {
                return ManagedIdentityPlan::Unsupported("Service Fabric");
            }
            return ManagedIdentityPlan::AppService;
        }
        if env.present(IMDS_ENDPOINT) {
            return ManagedIdentityPlan::Unsupported("Azure Arc");
        }
    } else if env.present(MSI_ENDPOINT) {
        if env.present(MSI_SECRET) {
            return ManagedIdentityPlan::Unsupported("Azure ML");
        }
        return ManagedIdentityPlan::Unsupported("Cloud Shell");
    }
    if auto && env.user_assigned_client_id().is_none() {
        ManagedIdentityPlan::Skip
    } else {
        ManagedIdentityPlan::Imds
    }
}

/// A constructed credential, ready to be asked for a token.
struct Candidate {
    credential: Arc<dyn TokenCredential>,
    source: String,
    timeout: Duration,
    /// Probe IMDS with this connect timeout before asking for a token.
    imds_probe: Option<Duration>,
}

struct Ctx<'a> {
    cloud: &'a Cloud,
    env: &'a EnvVars,
    auto: bool,
    secrets: Vec<String>,
}

impl Ctx<'_> {
    fn failure(
        &self,
        step: Step,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> CredentialFailure {
        CredentialFailure {
            credential: step.name(),
            reason: scrub(&reason.into(), &self.secrets),
            fix: fix.into(),
        }
    }

    /// Client options pointing an Entra credential at the cloud's authority.
    fn entra_client_options(&self) -> ClientOptions {
        let authority = match self.env.value(AZURE_AUTHORITY_HOST) {
            Some(host) => {
                debug!(
                    authority = host,
                    "auth: using AZURE_AUTHORITY_HOST instead of the cloud's authority"
                );
                host.trim().to_owned()
            }
            None => self.cloud.authority_host.clone(),
        };
        let mut custom = CustomConfiguration::default();
        custom.authority_host = authority;
        ClientOptions {
            cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
            ..Default::default()
        }
    }

    fn tenant(&self) -> Option<String> {
        self.env.value(AZURE_TENANT_ID).map(|t| t.trim().to_owned())
    }

    fn prepare(&self, step: Step) -> Result<Candidate, CredentialFailure> {
        match step {
            Step::Env => self.prepare_env(),
            Step::WorkloadIdentity => self.prepare_workload_identity(),
            Step::ManagedIdentity => self.prepare_managed_identity(),
            Step::Cli => self.prepare_cli(),
            Step::Azd => self.prepare_azd(),
        }
    }

    fn prepare_env(&self) -> Result<Candidate, CredentialFailure> {
        let step = Step::Env;
        let tenant = self.env.value(AZURE_TENANT_ID);
        let client = self.env.value(AZURE_CLIENT_ID);
        let secret = self.env.value(AZURE_CLIENT_SECRET);
        let cert = self.env.value(AZURE_CLIENT_CERTIFICATE_PATH);
        let fix = "for a service principal set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH to a PKCS#12 .pfx file)";
        let (Some(tenant), Some(client), true) =
            (tenant, client, secret.is_some() || cert.is_some())
        else {
            let mut missing = Vec::new();
            if tenant.is_none() {
                missing.push(AZURE_TENANT_ID);
            }
            if client.is_none() {
                missing.push(AZURE_CLIENT_ID);
            }
            if secret.is_none() && cert.is_none() {
                missing.push("AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)");
            }
            let reason = format!(
                "{} {} not set",
                join_and(&missing),
                if missing.len() == 1 { "is" } else { "are" }
            );
            return Err(self.failure(step, reason, fix));
        };
        let bad_config_fix = "check AZURE_TENANT_ID (a tenant id or domain) and AZURE_CLIENT_ID (the application id)";
        if let Some(secret) = secret {
            let options = ClientSecretCredentialOptions {
                client_options: self.entra_client_options(),
            };
            let credential = ClientSecretCredential::new(
                tenant.trim(),
                client.trim().to_owned(),
                Secret::new(secret.to_owned()),
                Some(options),
            )
            .map_err(|e| self.failure(step, clean_error(&e), bad_config_fix))?;
            return Ok(Candidate {
                credential,
                source: "environment (service principal, client secret)".into(),
                timeout: TIMEOUT_ENTRA,
                imds_probe: None,
            });
        }
        // `cert` is Some here: the let-else above guarantees a secret or a certificate.
        let path = PathBuf::from(cert.unwrap_or_default());
        let bytes = std::fs::read(&path).map_err(|e| {
            self.failure(
                step,
                format!("cannot read AZURE_CLIENT_CERTIFICATE_PATH {}: {e}", path.display()),
                "point AZURE_CLIENT_CERTIFICATE_PATH at the service principal's PKCS#12 (.pfx) certificate",
            )
        })?;
        if bytes.starts_with(b"-----BEGIN") || bytes.windows(10).any(|w| w == b"-----BEGIN") {
            return Err(self.failure(
                step,
                format!(
                    "{} is a PEM file, and azure_identity 1.0.0 reads only PKCS#12 (.pfx) certificates",
                    path.display()
                ),
                "convert it (`openssl pkcs12 -export -in cert.pem -out cert.pfx`; the key must be RSA) and point AZURE_CLIENT_CERTIFICATE_PATH at the .pfx",
            ));
        }
        let options = ClientCertificateCredentialOptions {
            client_options: self.entra_client_options(),
            password: self
                .env
                .value(AZURE_CLIENT_CERTIFICATE_PASSWORD)
                .map(|p| Secret::new(p.to_owned())),
        };
        let credential = ClientCertificateCredential::new(
            tenant.trim().to_owned(),
            client.trim().to_owned(),
            SecretBytes::new(bytes),
            Some(options),
        )
        .map_err(|e| {
            self.failure(
                step,
                clean_error(&e),
                "check that AZURE_CLIENT_CERTIFICATE_PATH is a PKCS#12 (.pfx) file with an RSA private key, AZURE_CLIENT_CERTIFICATE_PASSWORD its password, and AZURE_TENANT_ID / AZURE_CLIENT_ID valid",
            )
        })?;
        Ok(Candidate {
            credential,
            source: "environment (service principal, certificate)".into(),
            timeout: TIMEOUT_ENTRA,
            imds_probe: None,
        })
    }

    fn prepare_workload_identity(&self) -> Result<Candidate, CredentialFailure> {
        let step = Step::WorkloadIdentity;
        let file = self.env.value(AZURE_FEDERATED_TOKEN_FILE);
        let tenant = self.env.value(AZURE_TENANT_ID);
        let client = self.env.value(AZURE_CLIENT_ID);
        let fix = "run in AKS with workload identity enabled for the pod (label azure.workload.identity/use: \"true\" and an annotated service account), which sets AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID";
        let (Some(file), Some(tenant), Some(client)) = (file, tenant, client) else {
            let mut missing = Vec::new();
            if file.is_none() {
                missing.push(AZURE_FEDERATED_TOKEN_FILE);
            }
            if tenant.is_none() {
                missing.push(AZURE_TENANT_ID);
            }
            if client.is_none() {
                missing.push(AZURE_CLIENT_ID);
            }
            let reason = format!(
                "{} {} not set",
                join_and(&missing),
                if missing.len() == 1 { "is" } else { "are" }
            );
            return Err(self.failure(step, reason, fix));
        };
        let options = WorkloadIdentityCredentialOptions {
            credential_options: ClientAssertionCredentialOptions {
                client_options: self.entra_client_options(),
            },
            client_id: Some(client.trim().to_owned()),
            tenant_id: Some(tenant.trim().to_owned()),
            token_file_path: Some(PathBuf::from(file)),
        };
        let credential = WorkloadIdentityCredential::new(Some(options)).map_err(|e| {
            self.failure(
                step,
                clean_error(&e),
                "check that AZURE_FEDERATED_TOKEN_FILE names a readable projected service-account token and AZURE_TENANT_ID is valid",
            )
        })?;
        Ok(Candidate {
            credential,
            source: "workload identity".into(),
            timeout: TIMEOUT_ENTRA,
            imds_probe: None,
        })
    }

    fn prepare_managed_identity(&self) -> Result<Candidate, CredentialFailure> {
        let step = Step::ManagedIdentity;
        let plan = managed_identity_plan(self.env, self.auto);
        debug!(plan = ?plan, "auth: managed identity source");
        let (source, timeout, imds_probe) = match plan {
            ManagedIdentityPlan::Skip => {
                return Err(self.failure(
                    step,
                    "no endpoint (not running in Azure App Service, Functions or Container Apps; --auth auto does not probe the VM metadata endpoint)",
                    "on an Azure VM or scale set with a managed identity, run with --auth managed-identity (or set AZURE_CLIENT_ID to a user-assigned identity's client id)",
                ))
            }
            ManagedIdentityPlan::Unsupported(what) => {
                return Err(self.failure(
                    step,
                    format!("{what} managed identity is not supported by azure_identity 1.0.0"),
                    "use another credential, e.g. `az login` with --auth cli, or a service principal with --auth env",
                ))
            }
            ManagedIdentityPlan::AppService => {
                ("managed identity (App Service endpoint)", TIMEOUT_APP_SERVICE, None)
            }
            ManagedIdentityPlan::Imds => (
                "managed identity (VM instance metadata service)",
                TIMEOUT_IMDS,
                Some(if self.auto { IMDS_PROBE_AUTO } else { IMDS_PROBE_EXPLICIT }),
            ),
        };
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: self
                .env
                .user_assigned_client_id()
                .map(|id| UserAssignedId::ClientId(id.trim().to_owned())),
            ..Default::default()
        };
        let credential = ManagedIdentityCredential::new(Some(options)).map_err(|e| {
            self.failure(
                step,
                clean_error(&e),
                "check IDENTITY_ENDPOINT (a URL) and IDENTITY_HEADER, as the platform sets them",
            )
        })?;
        Ok(Candidate {
            credential,
            source: source.into(),
            timeout,
            imds_probe,
        })
    }

    fn prepare_cli(&self) -> Result<Candidate, CredentialFailure> {
        let options = AzureCliCredentialOptions {
            tenant_id: self.tenant(),
            ..Default::default()
        };
        let credential = AzureCliCredential::new(Some(options)).map_err(|e| {
            self.failure(
                Step::Cli,
                clean_error(&e),
                "AZURE_TENANT_ID is passed to `az --tenant`: set it to a valid tenant id, or unset it",
            )
        })?;
        Ok(Candidate {
            credential,
            source: "Azure CLI".into(),
            timeout: TIMEOUT_TOOL,
            imds_probe: None,
        })
    }

    fn prepare_azd(&self) -> Result<Candidate, CredentialFailure> {
        let options = AzureDeveloperCliCredentialOptions {
            tenant_id: self.tenant(),
            ..Default::default()
        };
        let credential = AzureDeveloperCliCredential::new(Some(options)).map_err(|e| {
            self.failure(
                Step::Azd,
                clean_error(&e),
                "AZURE_TENANT_ID is passed to `azd --tenant-id`: set it to a valid tenant id, or unset it",
            )
        })?;
        Ok(Candidate {
            credential,
            source: "Azure Developer CLI".into(),
            timeout: TIMEOUT_TOOL,
            imds_probe: None,
        })
    }

    /// Turns a failed token request into a message with a fix.
    fn token_failure(&self, step: Step, err: FetchError) -> CredentialFailure {
        let cloud = self.cloud.cloud_name();
        let tenant_flag = self
            .tenant()
            .map(|t| format!(" --tenant {t}"))
            .unwrap_or_default();
        let message = match &err {
            FetchError::TimedOut(d) => format!("no answer within {} s", d.as_secs()),
            FetchError::Failed(m) => m.clone(),
        };
        let not_found = matches!(&err, FetchError::Failed(m) if m.contains("not found on PATH") || m.contains("wasn't found on PATH"));
        match step {
            Step::Cli => {
                let set_cloud = if cloud == CloudName::Public {
                    String::new()
                } else {
                    format!("`az cloud set --name {}`, then ", cloud.az_cloud_name())
                };
                if not_found {
                    self.failure(
                        step,
                        "`az` is not on PATH",
                        format!("install the Azure CLI (https://aka.ms/azure-cli) and run {set_cloud}`az login{tenant_flag}`"),
                    )
                } else if message.contains("az login") {
                    self.failure(
                        step,
                        format!("not signed in ({message})"),
                        format!("run {set_cloud}`az login{tenant_flag}`"),
                    )
                } else {
                    self.failure(
                        step,
                        message,
                        format!(
                            "run {set_cloud}`az login{tenant_flag}`; `az account get-access-token --scope {}` shows the same error (Azure CLI 2.54 or newer is needed)",
                            self.cloud.scope
                        ),
                    )
                }
            }
            Step::Azd => {
                let tenant_flag = self
                    .tenant()
                    .map(|t| format!(" --tenant-id {t}"))
                    .unwrap_or_default();
                if not_found {
                    self.failure(
                        step,
                        "`azd` is not on PATH",
                        format!("install the Azure Developer CLI (https://aka.ms/azd) and run `azd auth login{tenant_flag}`"),
                    )
                } else {
                    self.failure(step, message, format!("run `azd auth login{tenant_flag}`"))
                }
            }
            Step::Env => self.failure(
                step,
                message,
                format!(
                    "check the service principal's tenant, client id and secret or certificate (not expired), and that it lives in the {} cloud (--cloud; AZURE_AUTHORITY_HOST)",
                    cloud
                ),
            ),
            Step::WorkloadIdentity => self.failure(
                step,
                message,
                "check the federated identity credential (issuer and subject) of the application or managed identity AZURE_CLIENT_ID, and --cloud",
            ),
            Step::ManagedIdentity => {
                let identity = match self.env.user_assigned_client_id() {
                    Some(_) => "that the user-assigned identity whose client id is AZURE_CLIENT_ID is assigned to this resource",
                    None => "that a managed identity is assigned to this resource (for a user-assigned one, set AZURE_CLIENT_ID to its client id)",
                };
                let fix = match managed_identity_plan(self.env, self.auto) {
                    ManagedIdentityPlan::AppService => format!(
                        "check that IDENTITY_ENDPOINT and IDENTITY_HEADER are the values the platform set, and {identity}"
                    ),
                    _ => format!("check {identity}"),
                };
                self.failure(step, message, fix)
            }
        }
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

enum FetchError {
    TimedOut(Duration),
    Failed(String),
}

/// One token request, bounded by `timeout`. Errors come back cleaned but not yet scrubbed.
async fn fetch(
    credential: &dyn TokenCredential,
    scope: &str,
    timeout: Duration,
) -> Result<AccessToken, FetchError> {
    match tokio::time::timeout(timeout, credential.get_token(&[scope], None)).await {
        Err(_) => Err(FetchError::TimedOut(timeout)),
        Ok(Err(e)) => Err(FetchError::Failed(clean_error(&e))),
        Ok(Ok(token)) => Ok(token),
    }
}

/// Is anything listening at IMDS? A TCP connect only; nothing is sent.
async fn probe_imds(timeout: Duration) -> Result<(), String> {
    let addr = std::net::SocketAddr::from(IMDS_ADDR);
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "the VM instance metadata endpoint 169.254.169.254 is not reachable ({e}): not running on an Azure VM"
        )),
        Err(_) => Err(format!(
            "the VM instance metadata endpoint 169.254.169.254 did not answer within {} s: not running on an Azure VM",
            timeout.as_secs()
        )),
    }
}

/// A credential error as one line: without azure_identity's "XCredential authentication failed."
/// prefix and troubleshooting link, with its causes appended, at most [`MAX_REASON_CHARS`] long.
fn clean_error(err: &azure_core::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !c.is_empty() && !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    clean_message(&text)
}

fn clean_message(raw: &str) -> String {
    let mut text = raw.trim();
    if let Some(pos) = text.find(" authentication failed.") {
        let head = &text[..pos];
        if head.ends_with("Credential") && !head.contains(char::is_whitespace) {
            text = &text[pos + " authentication failed.".len()..];
        }
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("To troubleshoot, visit"))
        .map(|l| l.strip_prefix("ERROR:").map(str::trim).unwrap_or(l))
        .collect();
    let mut out = lines.join(" ");
    while out.ends_with('.') {
        out.pop();
    }
    if out.chars().count() > MAX_REASON_CHARS {
        out = out.chars().take(MAX_REASON_CHARS).collect::<String>() + "…";
    }
    if out.is_empty() {
        out = "failed without a message".into();
    }
    out
}

/// Replaces every known secret value (8 characters or longer) with `***`.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        if s.len() >= 8 {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Authenticator
// ---------------------------------------------------------------------------------------------

struct Cached {
    token: Token,
    fetched_at: OffsetDateTime,
    /// After a failed refresh: do not try again before this.
    retry_at: Option<OffsetDateTime>,
}

impl Cached {
    fn fresh(&self, now: OffsetDateTime) -> bool {
        let Some(expires) = self.token.expires_on else {
            return true;
        };
        let lifetime = expires - self.fetched_at;
        let margin = if lifetime > REFRESH_MARGIN * 2 {
            REFRESH_MARGIN
        } else {
            lifetime / 2
        };
        now < expires - margin
    }

    fn usable(&self, now: OffsetDateTime) -> bool {
        self.token.expires_on.is_none_or(|e| now + MIN_VALIDITY < e)
    }
}

/// Hands out ARM tokens from the credential chosen by [`Authenticator::new`].
pub struct Authenticator {
    credential: Arc<dyn TokenCredential>,
    source: String,
    scope: String,
    timeout: Duration,
    secrets: Vec<String>,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("source", &self.source)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Resolves the credential. `Auto` tries, in order: environment service principal, workload
    /// identity, managed identity (App Service endpoint; IMDS only when `AZURE_CLIENT_ID` alone
    /// names a user-assigned identity — see the module documentation), Azure CLI, Azure Developer
    /// CLI. A credential counts as working when it returns a token for `cloud.scope`; the first
    /// one that works is kept. When none works, the error lists each one tried, why it failed and
    /// how to fix it.
    pub async fn new(method: AuthMethod, cloud: &Cloud) -> Result<Authenticator, AuthError> {
        Self::new_with_env(method, cloud, &EnvVars::from_process()).await
    }

    async fn new_with_env(
        method: AuthMethod,
        cloud: &Cloud,
        env: &EnvVars,
    ) -> Result<Authenticator, AuthError> {
        let ctx = Ctx {
            cloud,
            env,
            auto: method == AuthMethod::Auto,
            secrets: env.secrets(),
        };
        let mut failures = Vec::new();
        for &step in method.steps() {
            debug!(credential = step.name(), scope = %cloud.scope, "auth: trying credential");
            let candidate = match ctx.prepare(step) {
                Ok(c) => c,
                Err(failure) => {
                    debug!(credential = step.name(), reason = %failure.reason, "auth: credential not available");
                    failures.push(failure);
                    continue;
                }
            };
            if let Some(probe_timeout) = candidate.imds_probe {
                if let Err(reason) = probe_imds(probe_timeout).await {
                    debug!(credential = step.name(), reason = %reason, "auth: credential not available");
                    failures.push(ctx.failure(
                        step,
                        reason,
                        "run on an Azure VM or scale set that has a managed identity, or choose another --auth",
                    ));
                    continue;
                }
            }
            let started = std::time::Instant::now();
            match fetch(&*candidate.credential, &cloud.scope, candidate.timeout).await {
                Ok(access) => {
                    let token = Token::from(access);
                    debug!(
                        credential = %candidate.source,
                        expires_on = ?token.expires_on(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "auth: credential works; using it"
                    );
                    return Ok(Authenticator {
                        credential: candidate.credential,
                        source: candidate.source,
                        scope: cloud.scope.clone(),
                        timeout: candidate.timeout,
                        secrets: ctx.secrets.clone(),
                        cache: tokio::sync::Mutex::new(Some(Cached {
                            token,
                            fetched_at: OffsetDateTime::now_utc(),
                            retry_at: None,
                        })),
                    });
                }
                Err(err) => {
                    let failure = ctx.token_failure(step, err);
                    debug!(credential = step.name(), reason = %failure.reason, "auth: credential failed");
                    failures.push(failure);
                }
            }
        }
        Err(AuthError::NoCredential {
            method,
            scope: cloud.scope.clone(),
            failures,
        })
    }

    /// Uses `credential` as is, without trying it first (for tests and embedding). `source` names
    /// it in logs and errors.
    pub fn with_credential(
        credential: Arc<dyn TokenCredential>,
        source: impl Into<String>,
        cloud: &Cloud,
    ) -> Authenticator {
        Authenticator {
            credential,
            source: source.into(),
            scope: cloud.scope.clone(),
            timeout: TIMEOUT_ENTRA,
            secrets: Vec::new(),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// A token for ARM. The current token is reused until shortly before it expires; then the
    /// credential is asked again (one request at a time, however many callers wait).
    pub async fn token(&self) -> Result<Token, AuthError> {
        let mut cache = self.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some(cached) = cache.as_ref() {
            let waiting = cached.retry_at.is_some_and(|at| now < at);
            if cached.fresh(now) || (waiting && cached.usable(now)) {
                return Ok(cached.token.clone());
            }
        }
        debug!(credential = %self.source, "auth: requesting a new token");
        match fetch(&*self.credential, &self.scope, self.timeout).await {
            Ok(access) => {
                let token = Token::from(access);
                debug!(credential = %self.source, expires_on = ?token.expires_on(), "auth: new token");
                *cache = Some(Cached {
                    token: token.clone(),
                    fetched_at: OffsetDateTime::now_utc(),
                    retry_at: None,
                });
                Ok(token)
            }
            Err(err) => {
                let reason = scrub(
                    &match err {
                        FetchError::TimedOut(d) => format!("no answer within {} s", d.as_secs()),
                        FetchError::Failed(m) => m,
                    },
                    &self.secrets,
                );
                if let Some(cached) = cache.as_mut() {
                    if cached.usable(now) {
                        debug!(credential = %self.source, reason = %reason, "auth: refresh failed; the current token is still valid");
                        cached.retry_at = Some(now + REFRESH_RETRY);
                        return Ok(cached.token.clone());
                    }
                }
                debug!(credential = %self.source, reason = %reason, "auth: token request failed");
                Err(AuthError::Token {
                    credential: self.source.clone(),
                    reason,
                })
            }
        }
    }

    /// Which credential is in use, e.g. `Azure CLI` (for `-v` logs).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The scope tokens are requested for (the cloud's ARM audience plus `.default`).
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn cloud_audiences_and_authorities() {
        let public = Cloud::new(CloudName::Public, None).unwrap();
        assert_eq!(public.name, "public");
        assert_eq!(
            public.arm_endpoint.as_str(),
            "https://management.azure.com/"
        );
        assert_eq!(public.scope, "https://management.azure.com/.default");
        assert_eq!(public.authority_host, "https://login.microsoftonline.com");

        let china = Cloud::new(CloudName::China, None).unwrap();
        assert_eq!(china.name, "china");
        assert_eq!(
            china.arm_endpoint.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(china.scope, "https://management.chinacloudapi.cn/.default");
        assert_eq!(china.authority_host, "https://login.chinacloudapi.cn");

        let usgov = Cloud::new(CloudName::Usgov, None).unwrap();
        assert_eq!(usgov.name, "usgov");
        assert_eq!(
            usgov.arm_endpoint.as_str(),
            "https://management.usgovcloudapi.net/"
        );
        assert_eq!(usgov.scope, "https://management.usgovcloudapi.net/.default");
        assert_eq!(usgov.authority_host, "https://login.microsoftonline.us");

        for name in [CloudName::Public, CloudName::China, CloudName::Usgov] {
            assert_eq!(name.as_str().parse::<CloudName>().unwrap(), name);
            assert_eq!(Cloud::new(name, None).unwrap().cloud_name(), name);
        }
        assert!("azure".parse::<CloudName>().is_err());
    }

    #[test]
    fn override_moves_the_host_but_keeps_the_audience() {
        let c = Cloud::new(CloudName::China, Some("https://arm.proxy.example")).unwrap();
        assert_eq!(c.arm_endpoint.as_str(), "https://arm.proxy.example/");
        assert_eq!(c.scope, "https://management.chinacloudapi.cn/.default");
        assert_eq!(c.authority_host, "https://login.chinacloudapi.cn");

        let c = Cloud::new(CloudName::Public, Some("http://127.0.0.1:41234")).unwrap();
        assert_eq!(c.arm_endpoint.as_str(), "http://127.0.0.1:41234/");
        assert_eq!(c.scope, "https://management.azure.com/.default");

        let c = Cloud::new(CloudName::Usgov, Some(" http://localhost:8080/arm ")).unwrap();
        assert_eq!(c.arm_endpoint.as_str(), "http://localhost:8080/arm/");
        assert_eq!(c.scope, "https://management.usgovcloudapi.net/.default");

        let c = Cloud::new(CloudName::Public, Some("http://[::1]:9000/")).unwrap();
        assert_eq!(c.arm_endpoint.as_str(), "http://[::1]:9000/");
    }

    #[test]
    fn override_rejects_bad_urls() {
        let cases = [
            ("", "empty"),
            ("management.azure.com", "not an absolute URL"),
            ("/subscriptions", "not an absolute URL"),
            ("ftp://management.azure.com/", "scheme"),
            ("file:///etc/passwd", "scheme"),
            ("http://management.azure.com/", "plain http"),
            ("http://10.0.0.1:8080/", "plain http"),
            ("http://127.0.0.1.evil.example/", "plain http"),
            ("https://management.azure.com/?api-version=1", "query"),
            ("https://management.azure.com/?", "query"),
            ("https://management.azure.com/#x", "fragment"),
        ];
        for (input, expected) in cases {
            let err = Cloud::new(CloudName::Public, Some(input)).unwrap_err();
            assert!(
                err.contains(expected) && err.contains("--arm-endpoint"),
                "{input:?}: {err}"
            );
        }
        let err = Cloud::new(
            CloudName::Public,
            Some("https://user:pa55word@arm.example/"),
        )
        .unwrap_err();
        assert!(err.contains("user name or password"), "{err}");
        assert!(!err.contains("pa55word"), "{err}");
    }

    #[test]
    fn auth_method_spellings() {
        for m in [
            AuthMethod::Auto,
            AuthMethod::Env,
            AuthMethod::WorkloadIdentity,
            AuthMethod::ManagedIdentity,
            AuthMethod::Cli,
            AuthMethod::Azd,
        ] {
            assert_eq!(m.as_str().parse::<AuthMethod>().unwrap(), m);
            assert_eq!(m.to_string(), m.as_str());
        }
        assert!("browser".parse::<AuthMethod>().is_err());
        assert_eq!(AuthMethod::Auto.steps().len(), 5);
    }

    #[test]
    fn token_debug_and_display_are_redacted() {
        let expires = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let t = Token::new("eyJ0eXAiOiJKV1Qi.secret-part", Some(expires));
        let debug = format!("{t:?}");
        let display = t.to_string();
        for shown in [&debug, &display] {
            assert!(!shown.contains("eyJ0eXAi"), "{shown}");
            assert!(!shown.contains("secret-part"), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
        assert!(debug.contains("2026"), "{debug}");
        assert_eq!(t.secret(), "eyJ0eXAiOiJKV1Qi.secret-part");
        assert_eq!(t.expires_on(), Some(expires));
    }

    fn ctx<'a>(cloud: &'a Cloud, env: &'a EnvVars, auto: bool) -> Ctx<'a> {
        Ctx {
            cloud,
            env,
            auto,
            secrets: env.secrets(),
        }
    }

    #[test]
    fn empty_environment_makes_every_step_unavailable_with_a_fix() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let env = EnvVars::default();
        let c = ctx(&cloud, &env, true);

        let Err(e) = c.prepare(Step::Env) else {
            panic!("env step should be unavailable")
        };
        assert_eq!(e.credential, "environment");
        assert_eq!(
            e.reason,
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not set"
        );

        let Err(w) = c.prepare(Step::WorkloadIdentity) else {
            panic!("workload step should be unavailable")
        };
        assert!(w.reason.contains("AZURE_FEDERATED_TOKEN_FILE"), "{w}");

        let Err(m) = c.prepare(Step::ManagedIdentity) else {
            panic!("MI step should be skipped in auto")
        };
        assert!(m.reason.starts_with("no endpoint"), "{m}");
        assert!(m.fix.contains("--auth managed-identity"), "{m}");
    }

    #[test]
    fn partial_service_principal_names_what_is_missing() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let env = EnvVars::from_pairs(&[
            (AZURE_CLIENT_ID, "app"),
            (AZURE_CLIENT_SECRET, "s3cret-value-123"),
        ]);
        let Err(e) = ctx(&cloud, &env, true).prepare(Step::Env) else {
            panic!("expected failure")
        };
        assert_eq!(e.reason, "AZURE_TENANT_ID is not set");
        assert!(!e.to_string().contains("s3cret-value-123"));
    }

    #[test]
    fn complete_service_principal_constructs_without_network() {
        let cloud = Cloud::new(CloudName::Usgov, None).unwrap();
        let env = EnvVars::from_pairs(&[
            (AZURE_TENANT_ID, "72f988bf-86f1-41af-91ab-2d7cd011db47"),
            (AZURE_CLIENT_ID, "app"),
            (AZURE_CLIENT_SECRET, "s3cret-value-123"),
        ]);
        let c = ctx(&cloud, &env, false);
        let Ok(candidate) = c.prepare(Step::Env) else {
            panic!("expected a credential")
        };
        assert_eq!(
            candidate.source,
            "environment (service principal, client secret)"
        );
        let debug = format!("{:?}", candidate.credential);
        assert!(
            debug.contains(r#"Domain("login.microsoftonline.us")"#),
            "{debug}"
        );
        assert!(!debug.contains("s3cret-value-123"), "{debug}");
    }

    #[test]
    fn authority_host_env_overrides_the_cloud() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let env = EnvVars::from_pairs(&[
            (AZURE_TENANT_ID, "contoso.onmicrosoft.com"),
            (AZURE_CLIENT_ID, "app"),
            (AZURE_CLIENT_SECRET, "s3cret-value-123"),
            (AZURE_AUTHORITY_HOST, "https://login.contoso.local"),
        ]);
        let Ok(candidate) = ctx(&cloud, &env, false).prepare(Step::Env) else {
            panic!("expected a credential")
        };
        let debug = format!("{:?}", candidate.credential);
        assert!(
            debug.contains(r#"Domain("login.contoso.local")"#),
            "{debug}"
        );
        assert!(
            debug.contains("/contoso.onmicrosoft.com/oauth2/v2.0/token"),
            "{debug}"
        );
    }

    #[test]
    fn pem_certificate_is_rejected_with_a_conversion_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sp.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let path_str = path.to_string_lossy().into_owned();
        let env = EnvVars::from_pairs(&[
            (AZURE_TENANT_ID, "tenant"),
            (AZURE_CLIENT_ID, "app"),
            (AZURE_CLIENT_CERTIFICATE_PATH, &path_str),
            (AZURE_CLIENT_CERTIFICATE_PASSWORD, "cert-password-xyz"),
        ]);
        let Err(e) = ctx(&cloud, &env, false).prepare(Step::Env) else {
            panic!("expected failure")
        };
        assert!(e.reason.contains("PKCS#12"), "{e}");
        assert!(e.fix.contains("openssl pkcs12"), "{e}");

        std::fs::write(&path, b"\x30\x82\x01\x00 not really pkcs12").unwrap();
        let Err(e) = ctx(&cloud, &env, false).prepare(Step::Env) else {
            panic!("expected failure")
        };
        assert!(e.reason.contains("PKCS12"), "{e}");
        assert!(!e.to_string().contains("cert-password-xyz"), "{e}");

        let missing = dir
            .path()
            .join("missing.pfx")
            .to_string_lossy()
            .into_owned();
        let env = EnvVars::from_pairs(&[
            (AZURE_TENANT_ID, "tenant"),
            (AZURE_CLIENT_ID, "app"),
            (AZURE_CLIENT_CERTIFICATE_PATH, &missing),
        ]);
        let Err(e) = ctx(&cloud, &env, false).prepare(Step::Env) else {
            panic!("expected failure")
        };
        assert!(
            e.reason
                .contains("cannot read AZURE_CLIENT_CERTIFICATE_PATH"),
            "{e}"
        );
    }

    #[test]
    fn managed_identity_sources() {
        use ManagedIdentityPlan::*;
        let plan = |pairs: &[(&'static str, &str)], auto| {
            managed_identity_plan(&EnvVars::from_pairs(pairs), auto)
        };
        assert_eq!(plan(&[], true), Skip);
        assert_eq!(plan(&[], false), Imds);
        assert_eq!(
            plan(
                &[(IDENTITY_ENDPOINT, "http://x"), (IDENTITY_HEADER, "h")],
                true
            ),
            AppService
        );
        assert_eq!(
            plan(
                &[(IDENTITY_ENDPOINT, "http://x"), (IDENTITY_HEADER, "h")],
                false
            ),
            AppService
        );
        assert_eq!(
            plan(
                &[
                    (IDENTITY_ENDPOINT, "x"),
                    (IDENTITY_HEADER, "h"),
                    (IDENTITY_SERVER_THUMBPRINT, "t")
                ],
                true
            ),
            Unsupported("Service Fabric")
        );
        assert_eq!(
            plan(&[(IDENTITY_ENDPOINT, "x"), (IMDS_ENDPOINT, "y")], false),
            Unsupported("Azure Arc")
        );
        assert_eq!(
            plan(&[(MSI_ENDPOINT, "x")], true),
            Unsupported("Cloud Shell")
        );
        assert_eq!(
            plan(&[(MSI_ENDPOINT, "x"), (MSI_SECRET, "s")], true),
            Unsupported("Azure ML")
        );
        // azure_identity treats IDENTITY_ENDPOINT without IDENTITY_HEADER as IMDS.
        assert_eq!(plan(&[(IDENTITY_ENDPOINT, "x")], true), Skip);
        // AZURE_CLIENT_ID alone: a user-assigned identity, so IMDS is worth a probe in auto.
        assert_eq!(plan(&[(AZURE_CLIENT_ID, "c")], true), Imds);
        // ...but not when it belongs to a service principal or workload identity.
        assert_eq!(
            plan(&[(AZURE_CLIENT_ID, "c"), (AZURE_CLIENT_SECRET, "s")], true),
            Skip
        );
        assert_eq!(
            plan(
                &[(AZURE_CLIENT_ID, "c"), (AZURE_FEDERATED_TOKEN_FILE, "f")],
                true
            ),
            Skip
        );
        assert_eq!(
            plan(
                &[(AZURE_CLIENT_ID, "c"), (AZURE_CLIENT_CERTIFICATE_PATH, "p")],
                true
            ),
            Skip
        );
    }

    #[test]
    fn no_credential_message_lists_every_credential_with_a_fix() {
        let cloud = Cloud::new(CloudName::China, None).unwrap();
        let env = EnvVars::from_pairs(&[(IDENTITY_HEADER, "identity-header-secret")]);
        let c = ctx(&cloud, &env, true);
        let mut failures = Vec::new();
        for step in [Step::Env, Step::WorkloadIdentity, Step::ManagedIdentity] {
            let Err(f) = c.prepare(step) else {
                panic!("{step:?} should be unavailable")
            };
            failures.push(f);
        }
        failures
            .push(c.token_failure(Step::Cli, FetchError::Failed("az not found on PATH".into())));
        failures.push(c.token_failure(
            Step::Azd,
            FetchError::Failed("azd not found on PATH".into()),
        ));
        let err = AuthError::NoCredential {
            method: AuthMethod::Auto,
            scope: cloud.scope.clone(),
            failures,
        };
        let msg = err.to_string();
        assert!(
            msg.contains("https://management.chinacloudapi.cn/.default"),
            "{msg}"
        );
        let lines: Vec<&str> = msg.lines().filter(|l| l.starts_with("  - ")).collect();
        assert_eq!(lines.len(), 5, "{msg}");
        let expected = [
            "  - environment: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not set — ",
            "  - workload identity: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are not set — ",
            "  - managed identity: no endpoint (not running in Azure",
            "  - Azure CLI: `az` is not on PATH — install the Azure CLI",
            "  - Azure Developer CLI: `azd` is not on PATH — install the Azure Developer CLI",
        ];
        for (line, prefix) in lines.iter().zip(expected) {
            assert!(
                line.starts_with(prefix),
                "{line:?} should start with {prefix:?}"
            );
            assert!(line.contains(" — "), "no fix in {line:?}");
        }
        assert!(msg.contains("az cloud set --name AzureChinaCloud"), "{msg}");
        assert!(msg.contains("`az login`"), "{msg}");
        assert!(msg.contains("azd auth login"), "{msg}");
        assert!(
            msg.contains("--auth env|workload-identity|managed-identity|cli|azd"),
            "{msg}"
        );
        assert!(!msg.contains("identity-header-secret"), "{msg}");
    }

    #[test]
    fn cli_failures_get_login_hints() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let env = EnvVars::from_pairs(&[(AZURE_TENANT_ID, "contoso.onmicrosoft.com")]);
        let c = ctx(&cloud, &env, false);
        let f = c.token_failure(
            Step::Cli,
            FetchError::Failed(clean_message(
                "AzureCliCredential authentication failed. ERROR: Please run 'az login' to setup account.\nTo troubleshoot, visit https://aka.ms/azsdk/rust/identity/troubleshoot#azure-cli",
            )),
        );
        assert_eq!(
            f.reason,
            "not signed in (Please run 'az login' to setup account)"
        );
        assert_eq!(f.fix, "run `az login --tenant contoso.onmicrosoft.com`");
        let f = c.token_failure(Step::Cli, FetchError::TimedOut(Duration::from_secs(30)));
        assert_eq!(f.reason, "no answer within 30 s");
        assert!(f.fix.contains("az login"), "{f}");
    }

    #[test]
    fn clean_message_strips_prefix_link_and_secrets() {
        let raw = "ClientSecretCredential authentication failed. AADSTS7000215: Invalid client secret provided.\nTo troubleshoot, visit https://aka.ms/azsdk/rust/identity/troubleshoot#client-secret";
        assert_eq!(
            clean_message(raw),
            "AADSTS7000215: Invalid client secret provided"
        );
        assert_eq!(clean_message(""), "failed without a message");
        let long = "x".repeat(1000);
        assert_eq!(clean_message(&long).chars().count(), MAX_REASON_CHARS + 1);
        let secrets = vec!["hunter2hunter2".to_owned(), "short".to_owned()];
        assert_eq!(
            scrub("bad secret hunter2hunter2; short", &secrets),
            "bad secret ***; short"
        );
    }

    /// A credential that counts calls and hands out numbered tokens with a fixed lifetime.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: time::Duration,
        fail_from: usize,
    }

    impl Counting {
        fn next(&self, scopes: &[&str]) -> azure_core::Result<AccessToken> {
            assert_eq!(scopes, ["https://management.azure.com/.default"]);
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.fail_from {
                return Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "FakeCredential authentication failed. refresh failed for secret s3cret-value-123",
                ));
            }
            Ok(AccessToken::new(
                format!("token-{n}"),
                OffsetDateTime::now_utc() + self.lifetime,
            ))
        }
    }

    // What `#[async_trait]` would generate (async-trait is not a dependency of this crate).
    impl TokenCredential for Counting {
        fn get_token<'life0, 'life1, 'life2, 'life3, 'async_trait>(
            &'life0 self,
            scopes: &'life1 [&'life2 str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'life3>>,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = azure_core::Result<AccessToken>>
                    + Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            'life1: 'async_trait,
            'life2: 'async_trait,
            'life3: 'async_trait,
            Self: 'async_trait,
        {
            let result = self.next(scopes);
            Box::pin(async move { result })
        }
    }

    fn counting(lifetime: time::Duration, fail_from: usize) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime,
            fail_from,
        })
    }

    #[test]
    fn tokens_are_cached_until_shortly_before_expiry() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            let a = auth.token().await.unwrap();
            let b = auth.token().await.unwrap();
            assert_eq!(a.secret(), "token-1");
            assert_eq!(b.secret(), "token-1");
        });
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
        assert_eq!(auth.source(), "fake");
        assert_eq!(auth.scope(), "https://management.azure.com/.default");
        assert!(!format!("{auth:?}").contains("token-1"));

        // A token that is already within the refresh margin is fetched again on every call.
        let cred = counting(time::Duration::seconds(-1), usize::MAX);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(auth.token().await.unwrap().secret(), "token-2");
        });
    }

    #[test]
    fn concurrent_callers_share_one_refresh() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Arc::new(Authenticator::with_credential(cred.clone(), "fake", &cloud));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut handles = Vec::new();
            for _ in 0..16 {
                let auth = auth.clone();
                handles.push(tokio::spawn(async move { auth.token().await.unwrap() }));
            }
            for h in handles {
                assert_eq!(h.await.unwrap().secret(), "token-1");
            }
        });
        assert_eq!(cred.calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn failed_refresh_falls_back_to_a_still_valid_token() {
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        // A token valid for 4 more minutes, fetched an hour ago: due for refresh, still usable.
        let cred = counting(time::Duration::minutes(4), 2);
        let auth = Authenticator::with_credential(cred.clone(), "fake", &cloud);
        rt().block_on(async {
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            {
                let mut cache = auth.cache.lock().await;
                let cached = cache.as_mut().unwrap();
                cached.fetched_at -= time::Duration::hours(1);
            }
            // Refresh fails; the cached token is still valid for minutes.
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
            // Within the retry pause: no new request.
            assert_eq!(auth.token().await.unwrap().secret(), "token-1");
            assert_eq!(cred.calls.load(Ordering::SeqCst), 2);
        });

        // No valid token to fall back to: the error names the credential, without the secret.
        let cred = counting(time::Duration::hours(1), 1);
        let mut auth = Authenticator::with_credential(cred, "fake", &cloud);
        auth.secrets = vec!["s3cret-value-123".into()];
        let err = rt().block_on(auth.token()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("fake: could not get a new ARM token: refresh failed"),
            "{msg}"
        );
        assert!(!msg.contains("s3cret-value-123"), "{msg}");
    }

    /// Tracing output at the most verbose level never contains the token.
    #[test]
    fn debug_logs_never_contain_the_token() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let cloud = Cloud::new(CloudName::Public, None).unwrap();
        let cred = counting(time::Duration::hours(1), usize::MAX);
        let auth = Authenticator::with_credential(cred, "fake", &cloud);
        tracing::subscriber::with_default(subscriber, || {
            rt().block_on(async {
                let t = auth.token().await.unwrap();
                tracing::debug!(token = ?t, "got {t}");
            })
        });
        let logged = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("auth: new token"), "{logged}");
        assert!(!logged.contains("token-1"), "{logged}");
    }
}
