#![cfg(unix)]
//! Authentication through real azure_identity credentials, without Azure and without network:
//! the Azure CLI and Azure Developer CLI through stand-in `az` / `azd` scripts on `PATH`, managed
//! identity through the mock ARM server's App Service token endpoint, and the environment and
//! workload-identity credentials' configuration errors.
//!
//! `PATH` and the `AZURE_*` / `IDENTITY_*` variables are process-global, so every test here takes
//! [`ENV_LOCK`] and works on a cleared, restored environment. No test lets the managed-identity
//! credential reach the VM metadata endpoint (169.254.169.254): either an App Service endpoint is
//! set, or `auto` skips IMDS because nothing hints at a managed identity.

use rdpaudit::arm::auth::{AuthError, AuthMethod, Authenticator, Cloud, CloudName};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Every variable that could change which credential is picked or where requests go.
const CLEARED: &[&str] = &[
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Holds the lock and restores every variable it touched when dropped.
struct Env {
    saved: Vec<(String, Option<OsString>)>,
    _lock: MutexGuard<'static, ()>,
}

impl Env {
    fn clean() -> Env {
        let lock = ENV_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let mut env = Env {
            saved: Vec::new(),
            _lock: lock,
        };
        for name in CLEARED {
            env.remove(name);
        }
        env
    }

    fn save(&mut self, name: &str) {
        if !self.saved.iter().any(|(n, _)| n == name) {
            self.saved.push((name.to_owned(), std::env::var_os(name)));
        }
    }

    fn set(&mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) {
        self.save(name);
        std::env::set_var(name, value);
    }

    fn remove(&mut self, name: &str) {
        self.save(name);
        std::env::remove_var(name);
    }

    /// `dir` in front of the current PATH.
    fn prepend_path(&mut self, dir: &Path) {
        let mut paths = vec![dir.to_path_buf()];
        if let Some(old) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&old));
        }
        let joined = std::env::join_paths(paths).unwrap();
        self.set("PATH", joined);
    }

    /// PATH is `dir` alone: no real `az` or `azd` can run.
    fn only_path(&mut self, dir: &Path) {
        self.set("PATH", dir);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (name, value) in self.saved.drain(..).rev() {
            match value {
                Some(v) => std::env::set_var(&name, v),
                None => std::env::remove_var(&name),
            }
        }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn public() -> Cloud {
    Cloud::new(CloudName::Public, None).unwrap()
}

/// Writes an executable shell script. Only shell built-ins are used, so it runs with any PATH.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A stand-in `az` that answers `az account get-access-token -o json` as Azure CLI 2.54+ does,
/// logs its arguments to `args` (one per line) and appends a line to `calls` for every run.
fn fake_az(dir: &Path, token: &str, expires_on: i64) {
    let d = dir.display();
    script(
        dir,
        "az",
        &format!(
            r#"printf '%s\n' "$@" > "{d}/args"
echo run >> "{d}/calls"
if [ "$1 $2" != "account get-access-token" ]; then echo "ERROR: unexpected command" >&2; exit 2; fi
cat_token='{{"accessToken": "{token}", "expiresOn": "2026-11-27 12:00:00.000000", "expires_on": {expires_on}, "subscription": "00000000-0000-0000-0000-000000000001", "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47", "tokenType": "Bearer"}}'
printf '%s\n' "$cat_token"
"#
        ),
    );
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn azure_cli_credential_through_a_stand_in_az() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    let expires_on = unix_now() + 3600;
    fake_az(dir.path(), "cli-token-abc", expires_on);
    env.prepend_path(dir.path());

    let rt = rt();
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::Cli, &public()))
        .unwrap();
    assert_eq!(auth.source(), "Azure CLI");
    let token = rt.block_on(auth.token()).unwrap();
    assert_eq!(token.secret(), "cli-token-abc");
    assert_eq!(
        token.expires_on().map(|t| t.unix_timestamp()),
        Some(expires_on),
        "expiry comes from expires_on (unix seconds), not the local-time expiresOn"
    );
    // The command azure_identity 1.0.0 runs: `az account get-access-token -o json --scope <scope>`.
    let args = read_lines(&dir.path().join("args"));
    assert_eq!(
        args,
        [
            "account",
            "get-access-token",
            "-o",
            "json",
            "--scope",
            "https://management.azure.com/.default"
        ]
    );
    // The CLI credential does not cache; the Authenticator does: one `az` run so far.
    for _ in 0..3 {
        rt.block_on(auth.token()).unwrap();
    }
    assert_eq!(read_lines(&dir.path().join("calls")).len(), 1);

    // AZURE_TENANT_ID goes to `--tenant`; a sovereign cloud changes the scope, also when
    // --arm-endpoint moves the host.
    env.set("AZURE_TENANT_ID", "contoso.onmicrosoft.com");
    let china = Cloud::new(CloudName::China, Some("http://127.0.0.1:1")).unwrap();
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::Cli, &china))
        .unwrap();
    assert_eq!(auth.scope(), "https://management.chinacloudapi.cn/.default");
    let args = read_lines(&dir.path().join("args"));
    assert_eq!(
        args[4..],
        [
            "--scope",
            "https://management.chinacloudapi.cn/.default",
            "--tenant",
            "contoso.onmicrosoft.com"
        ]
    );
}

#[test]
fn azure_cli_not_signed_in() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "az",
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    );
    env.prepend_path(dir.path());

    let err = rt()
        .block_on(Authenticator::new(AuthMethod::Cli, &public()))
        .unwrap_err();
    assert!(matches!(err, AuthError::NoCredential { ref failures, .. } if failures.len() == 1));
    let msg = err.to_string();
    assert!(msg.contains("--auth cli"), "{msg}");
    assert!(msg.contains("Azure CLI: not signed in"), "{msg}");
    assert!(msg.contains("Please run 'az login'"), "{msg}");
    assert!(msg.contains("run `az login`"), "{msg}");
    assert!(!msg.contains("aka.ms/azsdk"), "{msg}");
}

#[test]
fn azure_cli_missing_from_path() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    env.only_path(dir.path());

    let err = rt()
        .block_on(Authenticator::new(AuthMethod::Cli, &public()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("Azure CLI: `az` is not on PATH — install the Azure CLI"),
        "{msg}"
    );
    assert!(msg.contains("`az login`"), "{msg}");
}

#[test]
fn azure_developer_cli_through_a_stand_in_azd() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    script(
        dir.path(),
        "azd",
        &format!(
            r#"printf '%s\n' "$@" > "{d}/args"
printf '%s\n' '{{"token": "azd-token-xyz", "expiresOn": "2099-01-01T00:00:00Z"}}'
"#
        ),
    );
    env.only_path(dir.path());

    let rt = rt();
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::Azd, &public()))
        .unwrap();
    assert_eq!(auth.source(), "Azure Developer CLI");
    assert_eq!(rt.block_on(auth.token()).unwrap().secret(), "azd-token-xyz");
    assert_eq!(
        read_lines(&dir.path().join("args")),
        [
            "auth",
            "token",
            "-o",
            "json",
            "--no-prompt",
            "--scope",
            "https://management.azure.com/.default"
        ]
    );
}

#[test]
fn auto_falls_through_to_the_azure_cli() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    fake_az(dir.path(), "auto-cli-token", unix_now() + 3600);
    env.only_path(dir.path());

    let rt = rt();
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::Auto, &public()))
        .unwrap();
    assert_eq!(auth.source(), "Azure CLI");
    assert_eq!(
        rt.block_on(auth.token()).unwrap().secret(),
        "auto-cli-token"
    );
}

#[test]
fn auto_with_nothing_working_lists_every_credential() {
    let mut env = Env::clean();
    let dir = tempfile::tempdir().unwrap();
    script(
        dir.path(),
        "az",
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    );
    env.only_path(dir.path());

    let started = std::time::Instant::now();
    let err = rt()
        .block_on(Authenticator::new(AuthMethod::Auto, &public()))
        .unwrap_err();
    // Nothing waited on a network timeout (in particular, IMDS was not probed).
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let msg = err.to_string();
    let tried: Vec<&str> = msg
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        tried,
        [
            "environment",
            "workload identity",
            "managed identity",
            "Azure CLI",
            "Azure Developer CLI"
        ],
        "{msg}"
    );
    assert!(msg.contains("AZURE_CLIENT_SECRET"), "{msg}");
    assert!(msg.contains("managed identity: no endpoint"), "{msg}");
    assert!(msg.contains("run `az login`"), "{msg}");
    assert!(msg.contains("`azd` is not on PATH"), "{msg}");
}

#[test]
fn managed_identity_through_the_mock_app_service_endpoint() {
    let mut env = Env::clean();
    let server = mock_arm::MockServer::start(
        mock_arm::MockConfig::from_snapshot_json(b"[]")
            .unwrap()
            .identity_header("h"),
    )
    .unwrap();
    env.set("IDENTITY_ENDPOINT", server.identity_endpoint());
    env.set("IDENTITY_HEADER", "h");
    // Keep PATH free of any real az/azd: managed identity must not depend on them.
    let empty = tempfile::tempdir().unwrap();
    env.only_path(empty.path());

    let rt = rt();
    let cloud = public();
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::ManagedIdentity, &cloud))
        .unwrap();
    assert_eq!(auth.source(), "managed identity (App Service endpoint)");
    let token = rt.block_on(auth.token()).unwrap();
    assert_eq!(token.secret(), server.token());
    assert!(token.expires_on().is_some());
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].route, "msi");
    assert_eq!(requests[0].status, Some(200));
    assert!(
        requests[0]
            .path
            .contains("resource=https%3A%2F%2Fmanagement.azure.com"),
        "the resource is the scope without /.default: {}",
        requests[0].path
    );

    // `auto` picks the same endpoint (it is present, so nothing before it works here).
    let auth = rt
        .block_on(Authenticator::new(AuthMethod::Auto, &cloud))
        .unwrap();
    assert_eq!(auth.source(), "managed identity (App Service endpoint)");

    // A wrong IDENTITY_HEADER: the endpoint refuses, and the error says so without the header.
    env.set("IDENTITY_HEADER", "wrong-identity-header");
    let err = rt
        .block_on(Authenticator::new(AuthMethod::ManagedIdentity, &cloud))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("--auth managed-identity"), "{msg}");
    assert!(msg.contains("managed identity:"), "{msg}");
    assert!(msg.contains("Invalid secret token header"), "{msg}");
    assert!(
        msg.contains("check that IDENTITY_ENDPOINT and IDENTITY_HEADER"),
        "{msg}"
    );
    assert!(!msg.contains("wrong-identity-header"), "{msg}");
    assert!(server.unmatched_requests().is_empty());
}

#[test]
fn environment_credential_without_variables_names_them() {
    let _env = Env::clean();
    let err = rt()
        .block_on(Authenticator::new(AuthMethod::Env, &public()))
        .unwrap_err();
    let msg = err.to_string();
    for var in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ] {
        assert!(msg.contains(var), "{var} missing from: {msg}");
    }
    assert!(
        msg.starts_with("authentication failed: --auth env"),
        "{msg}"
    );
    assert_eq!(
        msg.lines().filter(|l| l.starts_with("  - ")).count(),
        1,
        "{msg}"
    );
}

#[test]
fn workload_identity_configuration_errors() {
    let mut env = Env::clean();
    let err = rt()
        .block_on(Authenticator::new(AuthMethod::WorkloadIdentity, &public()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are not set"),
        "{msg}"
    );

    // Configured, but the token file is missing: fails before any request is sent.
    let dir = tempfile::tempdir().unwrap();
    env.set(
        "AZURE_FEDERATED_TOKEN_FILE",
        dir.path().join("missing-token"),
    );
    env.set("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47");
    env.set("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002");
    let err = rt()
        .block_on(Authenticator::new(AuthMethod::WorkloadIdentity, &public()))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("workload identity: failed to read federated token"),
        "{msg}"
    );
}
