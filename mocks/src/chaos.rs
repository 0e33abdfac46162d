//! Random faults for soak runs (`mock-arm serve --faults random --fault-rate 0.1 --seed N`):
//! each ARM request, with probability `rate`, gets one fault drawn from the chosen modes — 429,
//! 500/503, a reset connection, a slow or truncated body, a list page without its array, or no
//! answer at all. The draw comes from the request's own generator (`dice::rng_for`), so a seed
//! and a request number always give the same fault.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::fault_kinds::{ChaosMode, EmptyPage};
use crate::http::Reply;
use crate::routes::Route;

/// The request log's `fault` label of a random fault (`chaosReset`, `chaosSlow`, …).
pub(crate) fn label(mode: Option<ChaosMode>) -> Option<String> {
    let name = match mode? {
        ChaosMode::Throttle => "Throttle",
        ChaosMode::ServerError => "Error",
        ChaosMode::Reset => "Reset",
        ChaosMode::Slow => "Slow",
        ChaosMode::Truncate => "Truncate",
        ChaosMode::EmptyPage => "EmptyPage",
        ChaosMode::Hang => "Hang",
    };
    Some(format!("chaos{name}"))
}

/// The answer a `throttle` or `error` fault gives instead of the route's.
pub(crate) fn replacement(mode: ChaosMode, rng: &mut Xoshiro256PlusPlus) -> Option<Reply> {
    match mode {
        ChaosMode::Throttle => Some(
            Reply::error(
                429,
                "TooManyRequests",
                "The request is being throttled (mock-arm fault). Please try again after '1' seconds.",
            )
            .with_header("retry-after", "1".into())
            .with_fault("chaosThrottle"),
        ),
        ChaosMode::ServerError if rng.random_bool(0.5) => Some(
            Reply::error(
                503,
                "ServiceUnavailable",
                "The service is currently unavailable. Please try again later.",
            )
            .with_fault("chaosError503"),
        ),
        ChaosMode::ServerError => Some(
            Reply::error(
                500,
                "InternalServerError",
                "Encountered internal server error (mock-arm fault).",
            )
            .with_fault("chaosError500"),
        ),
        _ => None,
    }
}

/// An `empty-page` fault on a successful list page: the page without its array.
pub(crate) fn reshape(
    mode: Option<ChaosMode>,
    route: &Route,
    reply: Reply,
    rng: &mut Xoshiro256PlusPlus,
) -> Reply {
    if mode != Some(ChaosMode::EmptyPage)
        || reply.status != 200
        || !matches!(route, Route::List { .. })
    {
        return reply;
    }
    let shape = match rng.random_range(0..3u8) {
        0 => EmptyPage::NoValue,
        1 => EmptyPage::NullValue,
        _ => EmptyPage::ErrorBody,
    };
    crate::faults::empty_page(reply, shape).with_fault("chaosEmptyPage")
}

/// How a response body goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyShape {
    /// In one piece.
    Whole,
    /// In `pieces` pieces, `gap` apart.
    Slow { pieces: usize, gap: Duration },
    /// The first `keep` bytes, then an error that closes the connection.
    Truncated { keep: usize },
}

impl BodyShape {
    /// The shape a `slow` or `truncate` fault gives a body of `len` bytes.
    pub(crate) fn of(mode: Option<ChaosMode>, len: usize, rng: &mut Xoshiro256PlusPlus) -> Self {
        match mode {
            Some(ChaosMode::Slow) => BodyShape::Slow {
                pieces: rng.random_range(4..=16),
                gap: Duration::from_millis(rng.random_range(20..=100)),
            },
            Some(ChaosMode::Truncate) if len > 0 => BodyShape::Truncated {
                keep: rng.random_range(0..len),
            },
            _ => BodyShape::Whole,
        }
    }
}

/// A response body that is sent whole, slowly, or cut short. Its size hint is always the full
/// length, so hyper declares the full `Content-Length` even when the body stops early.
pub(crate) struct MockBody {
    data: Bytes,
    shape: BodyShape,
    sent: usize,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
    len: u64,
}

impl MockBody {
    pub(crate) fn new(data: Bytes, shape: BodyShape) -> Self {
        MockBody {
            len: data.len() as u64,
            data,
            shape,
            sent: 0,
            wait: None,
        }
    }

    /// The next piece to send and where it ends.
    fn next_piece(&self) -> usize {
        let total = self.data.len();
        match self.shape {
            BodyShape::Whole => total,
            BodyShape::Slow { pieces, .. } => {
                (self.sent + total.div_ceil(pieces.max(1)).max(1)).min(total)
            }
            BodyShape::Truncated { keep } => keep.min(total),
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(w) = self.wait.as_mut() {
            if w.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.wait = None;
        }
        let end = self.next_piece();
        if end > self.sent {
            let piece = self.data.slice(self.sent..end);
            self.sent = end;
            if let BodyShape::Slow { gap, .. } = self.shape {
                self.wait = Some(Box::pin(tokio::time::sleep(gap)));
            }
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match self.shape {
            BodyShape::Truncated { .. } => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "mock-arm: truncated body (injected fault)",
            )))),
            _ => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.shape == BodyShape::Whole && self.sent >= self.data.len()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
