//! The environment variables the credential choice depends on, read once, and which
//! managed-identity source they point at.

use super::*;

pub(super) const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
pub(super) const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub(super) const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub(super) const AZURE_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
pub(super) const AZURE_CLIENT_CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
pub(super) const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
pub(super) const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
pub(super) const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
pub(super) const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
pub(super) const IDENTITY_SERVER_THUMBPRINT: &str = "IDENTITY_SERVER_THUMBPRINT";
pub(super) const IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
pub(super) const MSI_ENDPOINT: &str = "MSI_ENDPOINT";
pub(super) const MSI_SECRET: &str = "MSI_SECRET";

/// Every environment variable the credential choice depends on.
pub(super) const ENV_NAMES: &[&str] = &[
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
pub(super) const SECRET_ENV_NAMES: &[&str] = &[
    AZURE_CLIENT_SECRET,
    AZURE_CLIENT_CERTIFICATE_PASSWORD,
    IDENTITY_HEADER,
    MSI_SECRET,
];

/// The relevant environment variables, read once so that every decision sees the same values.
#[derive(Debug, Clone, Default)]
pub(super) struct EnvVars(BTreeMap<&'static str, String>);

impl EnvVars {
    pub(super) fn from_process() -> EnvVars {
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
    pub(super) fn from_pairs(pairs: &[(&'static str, &str)]) -> EnvVars {
        EnvVars(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect())
    }

    /// Set at all, even if empty (azure_identity's test for managed-identity sources).
    pub(super) fn present(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Set and not blank.
    pub(super) fn value(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    pub(super) fn secrets(&self) -> Vec<String> {
        SECRET_ENV_NAMES
            .iter()
            .filter_map(|n| self.value(n))
            .map(str::to_owned)
            .collect()
    }

    /// `AZURE_CLIENT_ID` alone (no secret, certificate or federated token file) names a
    /// user-assigned managed identity, as in the Azure SDKs' default credential.
    pub(super) fn user_assigned_client_id(&self) -> Option<&str> {
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

/// Which managed-identity source the environment points at (mirrors azure_identity 1.0.0's
/// `get_source`, so that rdpaudit knows before constructing the credential whether it would talk
/// to IMDS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ManagedIdentityPlan {
    AppService,
    Imds,
    /// Detected, but azure_identity 1.0.0 cannot use it.
    Unsupported(&'static str),
    /// `auto` and no sign of a managed identity: IMDS is not probed.
    Skip,
}

pub(super) fn managed_identity_plan(env: &EnvVars, auto: bool) -> ManagedIdentityPlan {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
