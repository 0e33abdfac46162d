//! Rule metadata: what every rule declares about itself.

use serde::Serialize;

/// How bad a finding is. Ordered from least to most severe so that `>=` compares thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// `connectivity`: a reason RDP fails. `exposure`: a security risk while it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// A reason RDP fails.
    Connectivity,
    /// A security risk while RDP works.
    Exposure,
}

impl Category {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Connectivity => "connectivity",
            Category::Exposure => "exposure",
        }
    }
}

/// An observation a rule needs beyond the ARM data; without it the rule cannot fire and is
/// not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Need {
    /// `--probe`: what a DNS look-up and a TCP connect from this machine saw.
    Probe,
    /// Guest facts (`--guest`, or a snapshot's `guest` section).
    Guest,
}

/// Everything a rule says about itself; `rdpaudit explain ID` prints it and `docs/rules.md` is
/// generated from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    /// Fixed id, e.g. `RDP401`.
    pub id: &'static str,
    /// One line, no trailing period.
    pub title: &'static str,
    /// How bad a finding of this rule is.
    pub severity: Severity,
    /// Connectivity or exposure.
    pub category: Category,
    /// The part of Microsoft's troubleshooting article the rule comes from:
    /// <https://learn.microsoft.com/en-us/troubleshoot/azure/virtual-machines/windows/detailed-troubleshoot-rdp>.
    pub seed: &'static str,
    /// Why it matters (a few sentences).
    pub rationale: &'static str,
    /// How to fix it: a pasteable `az` command or an exact portal step.
    pub remediation: &'static str,
    /// Microsoft Learn pages behind the rule.
    pub links: &'static [&'static str],
    /// An example finding message, as the report would print it.
    pub example: &'static str,
    /// Observations the rule needs (`docs/rules.md` says so).
    pub needs: &'static [Need],
    /// Rule ids that explain the same cause more precisely: when one of them fires on the same
    /// VM, this rule stands down.
    pub defers_to: &'static [&'static str],
}
