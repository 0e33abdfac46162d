//! `mock-arm serve` flags for the faults the library sets with [`Faults`] builders and the
//! older flags do not reach: random faults for soak runs (`--faults random --fault-rate 0.1`),
//! list pages without their array, hanging, oversized bodies, `/subscriptions` and Resource
//! Graph paging faults, and token endpoint failures.

use crate::config::Faults;
use crate::fault_kinds::{Chaos, EmptyPage, GraphPageFault, NextLinkFault};

/// Fault flags of `mock-arm serve` (flattened into its arguments).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FaultArgs {
    /// Random faults: `random` (every mode) or a comma-separated list of throttle, error, reset,
    /// slow, truncate, empty-page, hang. Each ARM request gets one with probability --fault-rate.
    #[arg(long, value_name = "MODES")]
    pub faults: Option<String>,
    /// Probability (0..1) that an ARM request gets one of the --faults.
    #[arg(long, value_name = "R", default_value_t = 0.1, requires = "faults")]
    pub fault_rate: f64,
    /// Answer this type's lists 200 without their array: TYPE=no-value|null-value|error-body
    /// (repeatable; TYPE `*` for every list).
    #[arg(long, value_name = "TYPE=SHAPE")]
    pub empty_page: Vec<String>,
    /// The same from each list's second page on: a list that fails after pages were read.
    #[arg(long, value_name = "TYPE=SHAPE")]
    pub later_empty_page: Vec<String>,
    /// Accept requests for this type (`*`: every ARM request) and never answer.
    #[arg(long, value_name = "TYPE")]
    pub hang: Option<String>,
    /// Answer requests for this type (`*`: every ARM request) with BYTES of padded JSON.
    #[arg(long, value_name = "TYPE=BYTES")]
    pub oversized: Option<String>,
    /// The /subscriptions list's nextLink: foreign (to --foreign-host) or self-loop.
    #[arg(long, value_name = "FAULT")]
    pub subscriptions_next_link: Option<String>,
    /// Successful Resource Graph answers: no-data, truncated or repeat-skip-token.
    #[arg(long, value_name = "FAULT")]
    pub graph_page: Option<String>,
    /// Answer every managed-identity token request with this HTTP status.
    #[arg(long, value_name = "STATUS")]
    pub token_status: Option<u16>,
    /// Pad managed-identity token answers to BYTES.
    #[arg(long, value_name = "BYTES")]
    pub token_oversized: Option<usize>,
}

fn pick<T: Copy>(what: &str, s: &str, names: &[(&str, T)]) -> Result<T, String> {
    names
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let all: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            format!("{s:?} is not {what} ({})", all.join(", "))
        })
}

/// `TYPE=SHAPE` of `--empty-page` and `--later-empty-page`.
fn page_shape(e: &str) -> Result<(String, EmptyPage), String> {
    let (ty, shape) = type_and(e, "SHAPE")?;
    let shape = pick(
        "a page shape",
        &shape,
        &[
            ("no-value", EmptyPage::NoValue),
            ("null-value", EmptyPage::NullValue),
            ("error-body", EmptyPage::ErrorBody),
        ],
    )?;
    Ok((ty, shape))
}

fn type_and(s: &str, what: &str) -> Result<(String, String), String> {
    let (ty, rest) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("{s:?} is not TYPE={what}"))?;
    if ty.trim().is_empty() {
        return Err(format!("{s:?} has an empty TYPE"));
    }
    Ok((ty.trim().to_owned(), rest.trim().to_owned()))
}

impl FaultArgs {
    /// Adds these faults to `faults`; `Err` names the flag value it cannot read.
    pub fn apply(&self, mut f: Faults) -> Result<Faults, String> {
        if let Some(modes) = &self.faults {
            f = f.chaos(self.fault_rate, Chaos::parse_modes(modes)?);
        }
        for e in &self.empty_page {
            let (ty, shape) = page_shape(e)?;
            f = f.empty_page(ty, shape);
        }
        for e in &self.later_empty_page {
            let (ty, shape) = page_shape(e)?;
            f = f.later_empty_page(ty, shape);
        }
        if let Some(ty) = &self.hang {
            f = f.hang(ty.trim());
        }
        if let Some(o) = &self.oversized {
            let (ty, bytes) = type_and(o, "BYTES")?;
            let bytes = bytes
                .parse()
                .map_err(|_| format!("{o:?}: {bytes:?} is not a byte count"))?;
            f = f.oversized(ty, bytes);
        }
        if let Some(s) = &self.subscriptions_next_link {
            f = f.subscriptions_next_link(pick(
                "a nextLink fault",
                s,
                &[
                    ("foreign", NextLinkFault::Foreign),
                    ("self-loop", NextLinkFault::SelfLoop),
                ],
            )?);
        }
        if let Some(s) = &self.graph_page {
            f = f.graph_page(pick(
                "a Resource Graph page fault",
                s,
                &[
                    ("no-data", GraphPageFault::NoData),
                    ("truncated", GraphPageFault::Truncated),
                    ("repeat-skip-token", GraphPageFault::RepeatSkipToken),
                ],
            )?);
        }
        if let Some(s) = self.token_status {
            f = f.token_status(s);
        }
        if let Some(b) = self.token_oversized {
            f = f.token_oversized(b);
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault_kinds::ChaosMode;

    #[test]
    fn every_flag_reaches_its_builder() {
        let args = FaultArgs {
            faults: Some("reset,hang".into()),
            fault_rate: 0.25,
            empty_page: vec![
                "Microsoft.Network/networkSecurityGroups=null-value".into(),
                "*=error-body".into(),
            ],
            later_empty_page: vec!["Microsoft.Network/networkInterfaces=no-value".into()],
            hang: Some("Microsoft.Network/bastionHosts".into()),
            oversized: Some("*=1048576".into()),
            subscriptions_next_link: Some("self-loop".into()),
            graph_page: Some("Repeat-Skip-Token".into()),
            token_status: Some(500),
            token_oversized: Some(2048),
        };
        let f = args.apply(Faults::none()).expect("valid");
        let chaos = f.chaos.expect("chaos");
        assert_eq!(chaos.rate, 0.25);
        assert_eq!(chaos.modes, [ChaosMode::Reset, ChaosMode::Hang]);
        assert_eq!(
            f.empty_pages,
            [
                (
                    "Microsoft.Network/networkSecurityGroups".to_owned(),
                    EmptyPage::NullValue
                ),
                ("*".to_owned(), EmptyPage::ErrorBody)
            ]
        );
        assert_eq!(
            f.later_empty_pages,
            [(
                "Microsoft.Network/networkInterfaces".to_owned(),
                EmptyPage::NoValue
            )]
        );
        assert_eq!(f.hang.as_deref(), Some("Microsoft.Network/bastionHosts"));
        assert_eq!(f.oversized, Some(("*".to_owned(), 1 << 20)));
        assert_eq!(f.subscriptions_next_link, Some(NextLinkFault::SelfLoop));
        assert_eq!(f.graph_page, Some(GraphPageFault::RepeatSkipToken));
        assert_eq!((f.token_status, f.token_oversized), (Some(500), Some(2048)));
        assert!(FaultArgs::default().apply(Faults::none()).is_ok());
    }

    #[test]
    fn bad_values_name_themselves() {
        let bad = |a: FaultArgs| a.apply(Faults::none()).expect_err("rejected");
        let e = bad(FaultArgs {
            faults: Some("reset,flood".into()),
            ..FaultArgs::default()
        });
        assert!(e.contains("flood"), "{e}");
        let e = bad(FaultArgs {
            empty_page: vec!["Microsoft.Network/networkSecurityGroups".into()],
            ..FaultArgs::default()
        });
        assert!(e.contains("TYPE=SHAPE"), "{e}");
        let e = bad(FaultArgs {
            oversized: Some("*=lots".into()),
            ..FaultArgs::default()
        });
        assert!(e.contains("lots"), "{e}");
        let e = bad(FaultArgs {
            graph_page: Some("sideways".into()),
            ..FaultArgs::default()
        });
        assert!(e.contains("no-data"), "{e}");
    }
}
