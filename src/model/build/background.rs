//! A model built on a thread of its own while its caller reads on (a snapshot file read in
//! blocks): the caller finds where resources end, the pool decodes each block, and this thread
//! adds the decoded blocks in order. Each stage has work at once, on both cores.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::blocks::{Decoded, DecodedBlock, Texts};
use super::Building;

/// A block being decoded on the pool: its resources, or the decoder's panic.
type Pending = Receiver<std::thread::Result<Vec<Decoded>>>;

/// Blocks waiting for the builder beyond the one it waits for. With none, the reader stopped at
/// every block until the builder took it, so reading and adding took turns and a core idled;
/// with two, both cores stay busy (10,000 VMs 0.279 → 0.263 s, peak 94 → 111 MB; 100,000 VMs
/// 3.01 → 2.75 s at the same 443 MB peak). Four held more and was no faster.
const QUEUED: usize = 2;

/// A [`Building`] fed from another thread ([`Background::add_texts`]), in order.
pub struct Background {
    queue: Option<SyncSender<Pending>>,
    /// Texts' bytes once decoded, emptied, for the reader to fill again.
    spares: (Sender<Vec<u8>>, Receiver<Vec<u8>>),
    builder: Option<JoinHandle<Building>>,
    /// A text handed over was not JSON, or no builder runs: the model will be dropped.
    incomplete: Arc<AtomicBool>,
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Background(incomplete: {})", self.is_incomplete())
    }
}

/// Why a model built in the background is not the data's: a text handed over was not JSON (or
/// no thread could be started to build it). The caller reads the data another way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incomplete;

impl Background {
    /// Starts adding to `building` on a thread of its own (when none can be started, the first
    /// block breaks and [`Background::finish`] is `Err`).
    pub fn new(building: Building) -> Background {
        let (tx, rx) = sync_channel::<Pending>(QUEUED);
        let incomplete = Arc::new(AtomicBool::new(false));
        let flag = incomplete.clone();
        let spawned = std::thread::Builder::new()
            .name("model".into())
            .spawn(move || add_in_order(building, rx, &flag));
        match spawned {
            Ok(builder) => Background {
                queue: Some(tx),
                spares: channel(),
                builder: Some(builder),
                incomplete,
            },
            // The closure (with the building and the receiver) is gone with the error.
            Err(_) => Background {
                queue: None,
                spares: channel(),
                builder: None,
                incomplete,
            },
        }
    }

    /// Hands over the next resources' texts: the pool decodes them and the builder adds them
    /// after the ones before. `Break`: a text handed over so far was not JSON (stop reading).
    /// `Continue` may give back the emptied bytes of an earlier block, to read into again.
    pub fn add_texts(&mut self, texts: Texts) -> ControlFlow<(), Option<Vec<u8>>> {
        let (tx, rx) = sync_channel(1);
        let spares = self.spares.0.clone();
        rayon::spawn(move || {
            let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| texts.decode()));
            let mut bytes = texts.bytes;
            bytes.clear();
            // Nothing waits for either once the read stopped.
            let _ = spares.send(bytes);
            let _ = tx.send(decoded);
        });
        match &self.queue {
            // Waits while the builder is `QUEUED` blocks behind. A builder that is gone
            // panicked: `finish` says so.
            Some(queue) => {
                let _ = queue.send(rx);
            }
            None => self.incomplete.store(true, Ordering::Relaxed),
        }
        if self.is_incomplete() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(self.spares.1.try_recv().ok())
        }
    }

    fn is_incomplete(&self) -> bool {
        self.incomplete.load(Ordering::Relaxed)
    }

    /// The building once every block handed over is added; `Err` when a text was not JSON or
    /// no builder could start.
    pub fn finish(mut self) -> Result<Building, Incomplete> {
        // The builder ends once the queue is closed and drained.
        self.queue = None;
        let building = match self.builder.take().map(JoinHandle::join) {
            Some(Ok(building)) => building,
            // A bug while adding or decoding surfaces here, as where that work used to run.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => return Err(Incomplete),
        };
        match self.is_incomplete() {
            true => Err(Incomplete),
            false => Ok(building),
        }
    }
}

/// The builder thread: adds each block as its decoding ends, in the order handed over.
fn add_in_order(
    mut building: Building,
    queue: Receiver<Pending>,
    incomplete: &AtomicBool,
) -> Building {
    for pending in queue {
        match pending.recv() {
            Ok(Ok(decoded)) => {
                if incomplete.load(Ordering::Relaxed) {
                    continue;
                }
                if decoded.iter().any(|d| matches!(d, Decoded::NotJson)) {
                    incomplete.store(true, Ordering::Relaxed);
                } else {
                    building.absorb(DecodedBlock(decoded));
                }
            }
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // The decoder ended without an answer: what it held is lost, and the model too.
            Err(_) => incomplete.store(true, Ordering::Relaxed),
        }
    }
    building
}
