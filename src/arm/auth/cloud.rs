//! `--auth` and `--cloud`: the method, the cloud, its ARM endpoint (maybe overridden) and the
//! token audience.

use super::*;

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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Auto => "auto",
            AuthMethod::Env => "env",
            AuthMethod::WorkloadIdentity => "workload-identity",
            AuthMethod::ManagedIdentity => "managed-identity",
            AuthMethod::Cli => "cli",
            AuthMethod::Azd => "azd",
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
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CloudName::Public => "public",
            CloudName::China => "china",
            CloudName::Usgov => "usgov",
        }
    }

    /// The ARM endpoint, which is also the token audience.
    pub(super) fn arm_audience(self) -> &'static str {
        match self {
            CloudName::Public => "https://management.azure.com/",
            CloudName::China => "https://management.chinacloudapi.cn/",
            CloudName::Usgov => "https://management.usgovcloudapi.net/",
        }
    }

    /// The Microsoft Entra authority host.
    pub(super) fn authority_host(self) -> &'static str {
        match self {
            CloudName::Public => "https://login.microsoftonline.com",
            CloudName::China => "https://login.chinacloudapi.cn",
            CloudName::Usgov => "https://login.microsoftonline.us",
        }
    }

    /// The Azure CLI's name for the cloud (`az cloud set --name …`).
    pub(super) fn az_cloud_name(self) -> &'static str {
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
    pub(crate) name: &'static str,
    /// Where ARM requests go; always ends with `/`, never has a query, fragment or user info.
    pub(crate) arm_endpoint: reqwest::Url,
    /// The token scope: the cloud's ARM audience plus `.default`, e.g.
    /// `https://management.azure.com/.default`. Not changed by an endpoint override.
    pub(crate) scope: String,
    /// The cloud's Microsoft Entra authority, e.g. `https://login.microsoftonline.com`.
    /// `AZURE_AUTHORITY_HOST`, when set, is used instead by the credentials that talk to Entra.
    pub(crate) authority_host: String,
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

    pub(super) fn cloud_name(&self) -> CloudName {
        match self.name {
            "china" => CloudName::China,
            "usgov" => CloudName::Usgov,
            _ => CloudName::Public,
        }
    }
}

pub(super) fn validate_arm_endpoint(raw: &str) -> Result<reqwest::Url, String> {
    pub(super) const WHAT: &str = "--arm-endpoint (RDPAUDIT_ARM_ENDPOINT)";
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
