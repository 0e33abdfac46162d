//! How a run ended, as the process exit code says it (README "Exit codes").

use super::args::FailOn;
use crate::report::Report;
use crate::rules::Severity;

/// The exit status of every command; `main` turns it into the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything in scope was read and nothing reached `--fail-on`.
    Clean = 0,
    /// An unsuppressed finding at or above `--fail-on`.
    Findings = 1,
    /// The run could not be done (bad arguments, unreadable input, no credential…).
    Error = 2,
    /// Something in scope could not be read, and no finding reached `--fail-on`.
    Incomplete = 3,
}

impl ExitStatus {
    /// 1 when an unsuppressed finding (with `--fail-on-new`, a new one) reaches `fail_on`; else
    /// 3 when incomplete; else 0.
    pub(crate) fn of_report(report: &Report, fail_on: FailOn, only_new: bool) -> ExitStatus {
        let threshold = match fail_on {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        };
        let failing = threshold.is_some_and(|t| {
            crate::report::baseline::worst(report, only_new).is_some_and(|w| w >= t)
        });
        if failing {
            ExitStatus::Findings
        } else {
            ExitStatus::complete_or_not(report.complete)
        }
    }

    /// 0 when everything in scope was read, else 3.
    pub(crate) fn complete_or_not(complete: bool) -> ExitStatus {
        if complete {
            ExitStatus::Clean
        } else {
            ExitStatus::Incomplete
        }
    }

    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<u8> = [
            ExitStatus::Clean,
            ExitStatus::Findings,
            ExitStatus::Error,
            ExitStatus::Incomplete,
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        assert_eq!(ExitStatus::complete_or_not(true), ExitStatus::Clean);
        assert_eq!(ExitStatus::complete_or_not(false), ExitStatus::Incomplete);
    }
}
