//! Authentication errors: which credentials were tried, why each failed and how to fix it.

use super::*;

/// Why one credential did not work, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFailure {
    /// The credential: `environment`, `workload identity`, `managed identity`, `Azure CLI` or
    /// `Azure Developer CLI`.
    pub(crate) credential: &'static str,
    /// Why it failed (never a secret).
    pub(crate) reason: String,
    /// How to fix it.
    pub(crate) fix: String,
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

pub(super) fn render_no_credential(
    method: AuthMethod,
    scope: &str,
    failures: &[CredentialFailure],
) -> String {
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
