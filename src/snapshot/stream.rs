//! Reading a snapshot document in pieces: its `resources` in blocks while the file is read, so
//! the whole file is never in memory (docs/performance.md). Only the common shape is streamed —
//! an object with one `resources` array — and only when everything in it is well formed;
//! anything else (another shape, a duplicate `resources`, bad JSON, bad UTF-8, absurd nesting)
//! is `Ok(None)`, and the caller reads the file whole with [`super::parse`], which says exactly
//! what is wrong, as before.
//!
//! This reader finds where each resource begins and ends; the consumer checks that each one is
//! JSON while it decodes it (`model::Background::add_texts`, on every core, in the pass that
//! reads the resource's id) and stops the read when one is not. Each text is read once for that.

use serde_json::value::RawValue;
use std::io::Read;
use std::ops::ControlFlow;

use crate::model::Texts;

use super::{from_doc, Doc, RawList, Snapshot, SnapshotError, MAX_DEPTH};

/// Bytes read at a time.
const CHUNK: usize = 1 << 20;
/// Resources handed over at a time (the model decodes a block on every core)…
const BLOCK: usize = 1024;
/// …or fewer, once they are this many bytes: a block's text and its decoded bodies are alive
/// together, and some estates hold resources of megabytes (a VNet with every subnet inline).
/// Without the bound the buffer grew to 34 MB on the 10,000-VM estate.
const BLOCK_BYTES: usize = 4 << 20;

/// A streamed snapshot's top-level fields other than `resources`, raw, in the order read.
pub struct Rest {
    fields: Vec<(String, Box<RawValue>)>,
    /// How many resources were handed over.
    pub resources: usize,
}

impl Rest {
    /// The snapshot these fields make, its resources already handed over (so left empty).
    /// Errors are the ones [`super::parse`] gives for the same document.
    pub fn snapshot(&self) -> Result<Snapshot<'_>, SnapshotError> {
        let mut doc = Doc {
            resources: Some(RawList::Items(Vec::new())),
            ..Doc::default()
        };
        // The last of duplicate keys wins, as in `Doc`'s reader.
        for (key, raw) in &self.fields {
            if let Some(slot) = doc.field(key) {
                *slot = Some(raw.as_ref());
            }
        }
        from_doc(doc)
    }
}

/// Reads a snapshot document from `src`, handing its resources' texts to `block` a block at a
/// time, in order; `block` breaks when a text is not JSON, and may give back the emptied bytes
/// of an earlier block for the reader to fill again. `Ok(None)`: not streamed (see the module);
/// `block` may have been called, and what it built must be dropped.
pub fn read<R: Read>(
    src: R,
    block: impl FnMut(Texts) -> ControlFlow<(), Option<Vec<u8>>>,
) -> std::io::Result<Option<Rest>> {
    Reader::new(src, CHUNK).document(block)
}

/// Why a scan stopped: the document is not streamed.
struct Bail;

type Scan<T> = std::io::Result<Result<T, Bail>>;

struct Reader<R> {
    src: R,
    /// Bytes read and not yet dropped; everything before `pos` is done with.
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    chunk: usize,
    /// An emptied buffer of an earlier block, to read the next one into.
    spare: Option<Vec<u8>>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<R: Read> Reader<R> {
    fn new(src: R, chunk: usize) -> Reader<R> {
        Reader {
            src,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            chunk,
            spare: None,
        }
    }

    /// Drops the bytes before `pos` and reads more. False at the end of the input. Offsets
    /// from `pos` stay valid.
    fn more(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        // Up to a chunk, into the buffer's spare room (not zeroed first, as a slice would be).
        let n = (&mut self.src)
            .take(self.chunk as u64)
            .read_to_end(&mut self.buf)?;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// The byte at offset `at` from `pos`, reading more when needed; `None` at the end.
    fn byte(&mut self, at: usize) -> std::io::Result<Option<u8>> {
        while self.pos + at >= self.buf.len() {
            if !self.more()? {
                return Ok(None);
            }
        }
        Ok(self.buf.get(self.pos + at).copied())
    }

    /// Skips whitespace from offset `at`; the offset and byte of the next token.
    fn token(&mut self, mut at: usize) -> std::io::Result<Option<(usize, u8)>> {
        while let Some(b) = self.byte(at)? {
            if !is_ws(b) {
                return Ok(Some((at, b)));
            }
            at += 1;
        }
        Ok(None)
    }

    /// The end (exclusive offset) of the JSON value starting at offset `at`, nested at most
    /// `room` levels. Only finds its extent: the value is validated when it is read.
    fn value_end(&mut self, at: usize, room: usize) -> Scan<usize> {
        let Some(first) = self.byte(at)? else {
            return Ok(Err(Bail));
        };
        if first == b'"' {
            return self.string_end(at);
        }
        let mut i = at;
        if !matches!(first, b'{' | b'[') {
            // A number, `true`, `false` or `null`: up to the next delimiter.
            while let Some(b) = self.byte(i)? {
                if is_ws(b) || matches!(b, b',' | b'}' | b']') {
                    break;
                }
                i += 1;
            }
            return Ok(if i > at { Ok(i) } else { Err(Bail) });
        }
        // A container: brackets counted outside strings, over what is buffered at a time.
        // Most of a resource is inside strings: those are skipped eight bytes at a time.
        let (mut depth, mut in_str, mut esc) = (0usize, false, false);
        loop {
            let start = self.pos + i;
            let seen = self.buf.get(start..).unwrap_or_default();
            let mut j = 0;
            while j < seen.len() {
                if esc {
                    esc = false;
                    j += 1;
                    continue;
                }
                if in_str {
                    match quote_or_backslash(&seen[j..]) {
                        None => j = seen.len(),
                        Some(k) if seen[j + k] == b'"' => {
                            in_str = false;
                            j += k + 1;
                        }
                        Some(k) => {
                            // A backslash: the next byte is escaped, whatever it is.
                            esc = true;
                            j += k + 1;
                        }
                    }
                    continue;
                }
                match seen[j] {
                    b'"' => in_str = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > room {
                            return Ok(Err(Bail));
                        }
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Ok(Ok(i + j + 1));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i += seen.len();
            if !self.more()? {
                return Ok(Err(Bail));
            }
        }
    }

    /// The end of the string whose opening quote is at offset `at`.
    fn string_end(&mut self, at: usize) -> Scan<usize> {
        let mut i = at + 1;
        loop {
            // Scan what is buffered without a call per byte.
            let from = self.pos + i;
            let found = self
                .buf
                .get(from..)
                .and_then(|rest| quote_or_backslash(rest).map(|k| (k, rest[k])));
            match found {
                Some((k, b'"')) => return Ok(Ok(i + k + 1)),
                Some((k, _)) => {
                    // A backslash: the next byte is escaped, whatever it is.
                    if self.byte(i + k + 1)?.is_none() {
                        return Ok(Err(Bail));
                    }
                    i += k + 2;
                }
                None => {
                    i = self.buf.len() - self.pos;
                    if !self.more()? {
                        return Ok(Err(Bail));
                    }
                }
            }
        }
    }

    /// The text between offsets `a` and `b`, if it is UTF-8.
    fn text(&self, a: usize, b: usize) -> Option<&str> {
        std::str::from_utf8(self.buf.get(self.pos + a..self.pos + b)?).ok()
    }

    /// The whole document: `{ "key": value, … }` with one `resources` array.
    fn document(
        mut self,
        mut block: impl FnMut(Texts) -> ControlFlow<(), Option<Vec<u8>>>,
    ) -> std::io::Result<Option<Rest>> {
        let mut at = 0;
        // A byte-order mark, as `super::as_text` allows.
        if self.byte(0)? == Some(0xEF) && self.byte(1)? == Some(0xBB) && self.byte(2)? == Some(0xBF)
        {
            at = 3;
        }
        let Some((at, b'{')) = self.token(at)? else {
            return Ok(None);
        };
        self.pos += at + 1;
        let mut rest = Rest {
            fields: Vec::new(),
            resources: 0,
        };
        let mut listed = false;
        loop {
            let Some((k, b)) = self.token(0)? else {
                return Ok(None);
            };
            // A key (an empty object has no resources: not streamed).
            if b != b'"' {
                return Ok(None);
            }
            let Ok(end) = self.string_end(k)? else {
                return Ok(None);
            };
            let Some(key) = self
                .text(k, end)
                .and_then(|t| serde_json::from_str::<String>(t).ok())
            else {
                return Ok(None);
            };
            let Some((colon, b':')) = self.token(end)? else {
                return Ok(None);
            };
            let Some((v, first)) = self.token(colon + 1)? else {
                return Ok(None);
            };
            self.pos += v;
            if key == "resources" {
                if listed || first != b'[' {
                    return Ok(None);
                }
                listed = true;
                let Ok(n) = self.resources(&mut block)? else {
                    return Ok(None);
                };
                rest.resources = n;
            } else {
                // Other top-level fields are small: kept raw for `Rest::snapshot`.
                let Ok(end) = self.value_end(0, MAX_DEPTH - 1)? else {
                    return Ok(None);
                };
                let Some(raw) = self
                    .text(0, end)
                    .and_then(|t| RawValue::from_string(t.into()).ok())
                else {
                    return Ok(None);
                };
                rest.fields.push((key, raw));
                self.pos += end;
            }
            match self.token(0)? {
                Some((k, b',')) => self.pos += k + 1,
                Some((k, b'}')) => {
                    self.pos += k + 1;
                    break;
                }
                _ => return Ok(None),
            }
        }
        // Nothing but whitespace after the document.
        if self.token(0)?.is_some() || !listed {
            return Ok(None);
        }
        Ok(Some(rest))
    }

    /// The `resources` array at `pos`, handed over in blocks; how many it held.
    fn resources(
        &mut self,
        block: &mut impl FnMut(Texts) -> ControlFlow<(), Option<Vec<u8>>>,
    ) -> Scan<usize> {
        let mut count = 0;
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(BLOCK);
        // Offsets from `pos`, which stays at the start of the block until it is handed over.
        let mut at = 1;
        let mut first = true;
        loop {
            let Some((k, b)) = self.token(at)? else {
                return Ok(Err(Bail));
            };
            if b == b']' && first {
                at = k + 1;
                break;
            }
            // The document's object and this array are two levels.
            let Ok(end) = self.value_end(k, MAX_DEPTH - 2)? else {
                return Ok(Err(Bail));
            };
            spans.push((k, end));
            first = false;
            let Some((d, b)) = self.token(end)? else {
                return Ok(Err(Bail));
            };
            at = d + 1;
            // `end` counts from the block's start (`pos`).
            if spans.len() == BLOCK || end >= BLOCK_BYTES {
                count += spans.len();
                let full = std::mem::replace(&mut spans, Vec::with_capacity(BLOCK));
                let Ok(()) = self.hand_over(full, block) else {
                    return Ok(Err(Bail));
                };
                // The block's bytes went with it: the delimiter is now at `d - end`.
                self.pos += d - end;
                at = 1;
            }
            match b {
                b',' => {}
                b']' => break,
                _ => return Ok(Err(Bail)),
            }
        }
        // After the last resource (or `[` of an empty array), the closing `]`.
        let Some(last) = spans.last().map(|s| s.1) else {
            self.pos += at;
            return Ok(Ok(count));
        };
        count += spans.len();
        let Ok(()) = self.hand_over(spans, block) else {
            return Ok(Err(Bail));
        };
        self.pos += at - last;
        Ok(Ok(count))
    }

    /// Hands over the resources at `spans` (offsets from `pos`, the last ending the block) with
    /// their bytes: the buffer keeps only what follows them, and `pos` moves to its start.
    fn hand_over(
        &mut self,
        spans: Vec<(usize, usize)>,
        block: &mut impl FnMut(Texts) -> ControlFlow<(), Option<Vec<u8>>>,
    ) -> Result<(), Bail> {
        let Some(&(_, last)) = spans.last() else {
            return Ok(());
        };
        // What follows the block is less than a read's worth: that is all that is copied. The
        // next buffer has room for a block at once, not regrown (and copied) read after read,
        // and is an earlier block's when one came back: a new one per block left the allocator
        // a trail of large freed buffers (+ 10-20 MB at 10,000 VMs).
        let cut = self.pos + last;
        let mut after = self
            .spare
            .take()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES + 2 * self.chunk));
        after.clear();
        after.extend_from_slice(self.buf.get(cut..).unwrap_or_default());
        self.buf.truncate(cut);
        let bytes = std::mem::replace(&mut self.buf, after);
        let base = self.pos;
        self.pos = 0;
        let spans = spans
            .into_iter()
            .map(|(a, b)| (base + a, base + b))
            .collect();
        match block(Texts { bytes, spans }) {
            ControlFlow::Continue(spare) => {
                self.spare = spare;
                Ok(())
            }
            ControlFlow::Break(()) => Err(Bail),
        }
    }
}

/// The offset of the first `"` or `\\` in `s`, eight bytes at a time (a word compared with
/// each byte value at once, "haszero"). Most strings in a resource are a few dozen bytes, where
/// `memchr`'s set-up per call cost more than it saved: 10,000 VMs scanned in 26 ms, not 45.
/// Only the lowest flagged byte is used: a false flag can sit only above a true one.
fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let zero_byte = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let found =
            zero_byte(x ^ (ONES * u64::from(b'"'))) | zero_byte(x ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|k| at + k)
}

#[cfg(test)]
mod tests;
