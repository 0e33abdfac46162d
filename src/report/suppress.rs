//! `--suppress FILE`: accepted findings, each with a rule id, a resource-id glob, a reason and an
//! optional expiry. A suppressed finding stays in the report (`suppressed: true`) but no longer
//! counts for `--fail-on` or the summary; an expired suppression stops applying and says so.
//!
//! ```json
//! {"suppressions": [
//!   {"rule": "RDP804", "resource": "/subscriptions/*/resourceGroups/rg-legacy/*",
//!    "reason": "kiosk VLAN, replaced in Q1 (TICKET-812)", "expires": "2027-03-31"}
//! ]}
//! ```
//! Globs match case-insensitively (ARM ids are case-insensitive); `*` also crosses `/`.

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use super::{Report, SeverityCounts};
use crate::model::Diagnostic;
use crate::rules;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    suppressions: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    resource: String,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Suppressions {
    entries: Vec<(Entry, GlobMatcher)>,
}

/// `YYYY-MM-DD` with a plausible month and day.
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let (m, d) = (&s[5..7], &s[8..10]);
    ("01"..="12").contains(&m) && ("01"..="31").contains(&d)
}

impl Suppressions {
    /// Parses and validates a suppression file; errors name the entry and the field.
    pub(crate) fn parse(text: &str) -> Result<Suppressions, String> {
        let file: File =
            serde_json::from_str(text).map_err(|e| format!("suppression file: {e}"))?;
        let mut entries = Vec::new();
        for (i, e) in file.suppressions.into_iter().enumerate() {
            let at = |f: &str| format!("suppression file: suppressions[{i}].{f}");
            if rules::find(&e.rule).is_none() {
                return Err(format!("{}: unknown rule id \"{}\"", at("rule"), e.rule));
            }
            if e.reason.trim().is_empty() {
                return Err(format!("{}: a reason is required", at("reason")));
            }
            if let Some(d) = &e.expires {
                if !valid_date(d) {
                    return Err(format!(
                        "{}: \"{d}\" is not a date YYYY-MM-DD",
                        at("expires")
                    ));
                }
            }
            let glob = GlobBuilder::new(e.resource.trim())
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|err| format!("{}: {err}", at("resource")))?;
            entries.push((e, glob.compile_matcher()));
        }
        Ok(Suppressions { entries })
    }

    /// Marks matching findings suppressed (a glob may name the finding's resource or its VM),
    /// recounts the summary, and returns a notice for each expired suppression. `today` is
    /// `YYYY-MM-DD` (the caller reads the clock).
    pub(crate) fn apply(&self, report: &mut Report, today: &str) -> Vec<Diagnostic> {
        let mut notices = Vec::new();
        for (e, _) in self
            .entries
            .iter()
            .filter(|(e, _)| e.expires.as_deref().is_some_and(|d| d < today))
        {
            notices.push(Diagnostic {
                level: crate::model::DiagLevel::Info,
                scope: Some(e.resource.clone()),
                message: format!(
                    "the suppression of {} expired on {} and no longer applies ({})",
                    e.rule,
                    e.expires.as_deref().unwrap_or_default(),
                    e.reason
                ),
                status: None,
                code: Some("SuppressionExpired".into()),
                request_id: None,
            });
        }
        let active: Vec<&(Entry, GlobMatcher)> = self
            .entries
            .iter()
            .filter(|(e, _)| e.expires.as_deref().is_none_or(|d| d >= today))
            .collect();
        let mut counts = SeverityCounts::default();
        let mut used = vec![false; active.len()];
        for vm in &mut report.vms {
            for f in &mut vm.findings {
                for (i, (e, glob)) in active.iter().enumerate() {
                    if e.rule.eq_ignore_ascii_case(f.rule_id)
                        && (glob.is_match(&f.resource_id.id) || glob.is_match(&vm.id.id))
                    {
                        used[i] = true;
                        f.suppressed = true;
                    }
                }
                if !f.suppressed {
                    counts.add(f.severity);
                }
            }
        }
        report.summary.findings = counts;
        // An entry that matched nothing is stale or mistyped: say so, as `cargo` does of an
        // unused allow.
        for ((e, _), _) in active.iter().zip(&used).filter(|(_, u)| !**u) {
            notices.push(Diagnostic {
                level: crate::model::DiagLevel::Info,
                scope: Some(e.resource.clone()),
                message: format!(
                    "the suppression of {} for {} matched no finding in this run (stale or \
                     mistyped?)",
                    e.rule, e.resource
                ),
                status: None,
                code: Some("SuppressionUnused".into()),
                request_id: None,
            });
        }
        notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let bad = |s: &str| Suppressions::parse(s).err().unwrap_or_default();
        assert!(
            bad(r#"{"suppressions":[{"rule":"RDP999","resource":"*","reason":"x"}]}"#)
                .contains("suppressions[0].rule")
        );
        assert!(
            bad(r#"{"suppressions":[{"rule":"RDP801","resource":"*","reason":" "}]}"#)
                .contains("reason")
        );
        assert!(bad(r#"{"suppressions":[{"rule":"RDP801","resource":"*","reason":"x","expires":"2027-13-01"}]}"#).contains("expires"));
        assert!(
            bad(r#"{"suppressions":[{"rule":"RDP801","resource":"[","reason":"x"}]}"#)
                .contains("resource")
        );
        assert!(bad(r#"{"suppressions":[{"rule":"RDP801","resource":"*","reason":"x","until":"2027-01-01"}]}"#).contains("unknown field"));
        assert!(Suppressions::parse(r#"{"suppressions":[]}"#).is_ok());
    }

    #[test]
    fn dates() {
        assert!(valid_date("2027-03-31"));
        assert!(!valid_date("2027-3-31"));
        assert!(!valid_date("2027-00-10"));
    }
}
