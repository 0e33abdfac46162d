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

mod cache;
mod chain;
mod cloud;
mod env;
mod error;
mod imds;
mod scrub;
mod transport;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{AccessToken, Secret, SecretBytes, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
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

use cache::*;
use chain::*;
use env::*;
use imds::*;
use scrub::*;
use transport::TokenHttp;

pub use cache::{Authenticator, Token};
pub use cloud::{AuthMethod, Cloud, CloudName};
pub use error::{AuthError, CredentialFailure};
