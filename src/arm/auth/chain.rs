//! The credential chain: which credentials `--auth` tries, in which order, how each is
//! configured from the environment, and what to do when it fails.

use super::*;

/// Upper bounds on one token request, per kind of credential.
pub(super) const TIMEOUT_TOOL: Duration = Duration::from_secs(30);
pub(super) const TIMEOUT_ENTRA: Duration = Duration::from_secs(60);
pub(super) const TIMEOUT_APP_SERVICE: Duration = Duration::from_secs(30);
/// azure_identity's IMDS retry policy gives up after 72 s; a little more than that.
pub(super) const TIMEOUT_IMDS: Duration = Duration::from_secs(80);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Env,
    WorkloadIdentity,
    ManagedIdentity,
    Cli,
    Azd,
}

impl Step {
    pub(super) fn name(self) -> &'static str {
        match self {
            Step::Env => "environment",
            Step::WorkloadIdentity => "workload identity",
            Step::ManagedIdentity => "managed identity",
            Step::Cli => "Azure CLI",
            Step::Azd => "Azure Developer CLI",
        }
    }
}

impl AuthMethod {
    pub(super) fn steps(self) -> &'static [Step] {
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

/// A constructed credential, ready to be asked for a token.
pub(super) struct Candidate {
    pub(super) credential: Arc<dyn TokenCredential>,
    pub(super) source: String,
    pub(super) timeout: Duration,
    /// Probe IMDS with this connect timeout before asking for a token.
    pub(super) imds_probe: Option<Duration>,
}

pub(super) struct Ctx<'a> {
    pub(super) cloud: &'a Cloud,
    pub(super) env: &'a EnvVars,
    pub(super) auto: bool,
    pub(super) secrets: Vec<String>,
    /// The HTTP client of the credentials that talk HTTP (Entra, managed identity).
    pub(super) http: Arc<TokenHttp>,
}

impl Ctx<'_> {
    pub(super) fn failure(
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
    pub(super) fn entra_client_options(&self) -> ClientOptions {
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
            transport: Some(Transport::new(self.http.clone())),
            ..Default::default()
        }
    }

    pub(super) fn tenant(&self) -> Option<String> {
        self.env.value(AZURE_TENANT_ID).map(|t| t.trim().to_owned())
    }

    pub(super) fn prepare(&self, step: Step) -> Result<Candidate, CredentialFailure> {
        match step {
            Step::Env => self.prepare_env(),
            Step::WorkloadIdentity => self.prepare_workload_identity(),
            Step::ManagedIdentity => self.prepare_managed_identity(),
            Step::Cli => self.prepare_cli(),
            Step::Azd => self.prepare_azd(),
        }
    }

    pub(super) fn prepare_env(&self) -> Result<Candidate, CredentialFailure> {
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

    pub(super) fn prepare_workload_identity(&self) -> Result<Candidate, CredentialFailure> {
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

    pub(super) fn prepare_managed_identity(&self) -> Result<Candidate, CredentialFailure> {
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
            client_options: ClientOptions {
                transport: Some(Transport::new(self.http.clone())),
                ..Default::default()
            },
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

    pub(super) fn prepare_cli(&self) -> Result<Candidate, CredentialFailure> {
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

    pub(super) fn prepare_azd(&self) -> Result<Candidate, CredentialFailure> {
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
    pub(super) fn token_failure(&self, step: Step, err: FetchError) -> CredentialFailure {
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

pub(super) fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

pub(super) enum FetchError {
    TimedOut(Duration),
    Failed(String),
}

/// One token request, bounded by `timeout`. Errors come back cleaned but not yet scrubbed. A
/// timeout while the endpoint kept answering errors says what it answered last.
pub(super) async fn fetch(
    credential: &dyn TokenCredential,
    scope: &str,
    timeout: Duration,
    http: Option<&TokenHttp>,
) -> Result<AccessToken, FetchError> {
    if let Some(h) = http {
        h.clear();
    }
    match tokio::time::timeout(timeout, credential.get_token(&[scope], None)).await {
        Err(_) => Err(match http.and_then(TokenHttp::last_error) {
            Some(last) => FetchError::Failed(format!(
                "no token within {} s: the token endpoint kept failing, last with {last}",
                timeout.as_secs()
            )),
            None => FetchError::TimedOut(timeout),
        }),
        Ok(Err(e)) => {
            let mut m = clean_error(&e);
            if let Some(last) = http.and_then(TokenHttp::last_error) {
                m = format!("{m} (the token endpoint answered {last})");
            }
            Err(FetchError::Failed(m))
        }
        Ok(Ok(token)) => Ok(token),
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

    pub(super) async fn new_with_env(
        method: AuthMethod,
        cloud: &Cloud,
        env: &EnvVars,
    ) -> Result<Authenticator, AuthError> {
        let ctx = Ctx {
            cloud,
            env,
            auto: method == AuthMethod::Auto,
            secrets: env.secrets(),
            http: TokenHttp::new(),
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
            let http = ctx.http.clone();
            match fetch(
                &*candidate.credential,
                &cloud.scope,
                candidate.timeout,
                Some(&http),
            )
            .await
            {
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
                        http: Some(http),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(cloud: &'a Cloud, env: &'a EnvVars, auto: bool) -> Ctx<'a> {
        Ctx {
            cloud,
            env,
            auto,
            secrets: env.secrets(),
            http: TokenHttp::new(),
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
}
