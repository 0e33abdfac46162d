//! The random-fault settings (`mock-arm serve --faults random --fault-rate 0.1 --seed N`): which
//! modes, how often, and the draw. Data only, so that the configuration (`config`) and the code
//! that applies the faults (`chaos`) both use it without importing each other.

use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use std::str::FromStr;

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

    /// The fault request `rng` belongs to gets, if any. Draws only when configured, so the
    /// other faults' dice are unchanged by this feature's existence.
    pub(crate) fn pick(&self, rng: &mut Xoshiro256PlusPlus) -> Option<ChaosMode> {
        let x: f64 = rng.random();
        if self.modes.is_empty() || x >= self.rate {
            return None;
        }
        let i = rng.random_range(0..self.modes.len());
        self.modes.get(i).copied()
    }
}
