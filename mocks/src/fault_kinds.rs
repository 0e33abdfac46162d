//! The shapes of the body faults a test can ask for, and the random faults of soak runs. Their
//! own module, so that the configuration (`config`) and the code that applies them (`faults`,
//! `chaos`) all use them without importing each other.

use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use std::str::FromStr;

/// Where the `/subscriptions` list's `nextLink` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextLinkFault {
    /// To the foreign host (`Faults::foreign_host`), on the first page.
    Foreign,
    /// Back to the first page, on every page.
    SelfLoop,
}

/// A list page answered 200 without its `value` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyPage {
    /// `{}`.
    NoValue,
    /// `{"value": null}`.
    NullValue,
    /// `{"error": {"code": "InternalServerError", …}}` under HTTP 200.
    ErrorBody,
}

/// How a successful Resource Graph answer misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphPageFault {
    /// No `data` property.
    NoData,
    /// `resultTruncated: "true"` and no `$skipToken`.
    Truncated,
    /// A page asked with a `$skipToken` answers with that same token again (a loop).
    RepeatSkipToken,
}

/// One kind of random fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosMode {
    /// `throttle`: 429 `TooManyRequests` with `Retry-After: 1`.
    Throttle,
    /// `error`: 500 `InternalServerError` or 503 `ServiceUnavailable`.
    ServerError,
    /// `reset`: the connection is closed without an answer.
    Reset,
    /// `slow`: the answer's body arrives in small pieces over about a second.
    Slow,
    /// `truncate`: the body stops partway (the declared `Content-Length` is not reached) and the
    /// connection is closed.
    Truncate,
    /// `empty-page`: a list page answers 200 with `{}`, `{"value": null}` or an error body.
    EmptyPage,
    /// `hang`: the request is accepted and never answered.
    Hang,
}

impl ChaosMode {
    /// Every mode: what `--faults random` means.
    pub const ALL: [ChaosMode; 7] = [
        ChaosMode::Throttle,
        ChaosMode::ServerError,
        ChaosMode::Reset,
        ChaosMode::Slow,
        ChaosMode::Truncate,
        ChaosMode::EmptyPage,
        ChaosMode::Hang,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            ChaosMode::Throttle => "throttle",
            ChaosMode::ServerError => "error",
            ChaosMode::Reset => "reset",
            ChaosMode::Slow => "slow",
            ChaosMode::Truncate => "truncate",
            ChaosMode::EmptyPage => "empty-page",
            ChaosMode::Hang => "hang",
        }
    }
}

impl FromStr for ChaosMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        ChaosMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = ChaosMode::ALL.iter().map(|m| m.name()).collect();
                format!("{s:?} is not a fault mode (random, {})", names.join(", "))
            })
    }
}

/// Random faults: each ARM request, with probability `rate`, gets one of `modes` (uniformly).
#[derive(Debug, Clone, PartialEq)]
pub struct Chaos {
    /// Probability (0..=1) that a request gets a fault.
    pub rate: f64,
    /// The modes drawn from.
    pub modes: Vec<ChaosMode>,
}

impl Chaos {
    /// Reads the `--faults` value: `random` (every mode) or a comma-separated list of modes.
    pub fn parse_modes(s: &str) -> Result<Vec<ChaosMode>, String> {
        if s.trim().eq_ignore_ascii_case("random") {
            return Ok(ChaosMode::ALL.to_vec());
        }
        let mut modes = Vec::new();
        for m in s.split(',').filter(|m| !m.trim().is_empty()) {
            let m: ChaosMode = m.parse()?;
            if !modes.contains(&m) {
                modes.push(m);
            }
        }
        if modes.is_empty() {
            return Err(format!("{s:?} names no fault mode"));
        }
        Ok(modes)
    }

    /// The fault the request `rng` belongs to gets, if any. Called only when random faults
    /// are configured, so the other faults' dice do not change with this feature.
    pub(crate) fn pick(&self, rng: &mut Xoshiro256PlusPlus) -> Option<ChaosMode> {
        let x: f64 = rng.random();
        if self.modes.is_empty() || x >= self.rate {
            return None;
        }
        let i = rng.random_range(0..self.modes.len());
        self.modes.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::rng_for;

    #[test]
    fn modes_parse_from_random_or_a_list() {
        assert_eq!(Chaos::parse_modes("random"), Ok(ChaosMode::ALL.to_vec()));
        assert_eq!(
            Chaos::parse_modes("reset, Slow,reset"),
            Ok(vec![ChaosMode::Reset, ChaosMode::Slow])
        );
        for m in ChaosMode::ALL {
            assert_eq!(m.name().parse::<ChaosMode>(), Ok(m));
        }
        assert!(Chaos::parse_modes("").is_err());
        assert!(Chaos::parse_modes("reset,sometimes").is_err());
    }

    #[test]
    fn picks_follow_the_rate_and_the_seed() {
        let chaos = Chaos {
            rate: 0.25,
            modes: ChaosMode::ALL.to_vec(),
        };
        let draw = |seed| {
            (1..=400)
                .map(|n| chaos.pick(&mut rng_for(seed, n)))
                .collect::<Vec<_>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        let hits = a.iter().flatten().count();
        assert!((60..=140).contains(&hits), "{hits} of 400 at rate 0.25");
        for m in ChaosMode::ALL {
            assert!(a.contains(&Some(m)), "{m:?} never drawn");
        }
        let none = Chaos {
            rate: 0.0,
            modes: ChaosMode::ALL.to_vec(),
        };
        assert!((1..=100).all(|n| none.pick(&mut rng_for(1, n)).is_none()));
    }
}
