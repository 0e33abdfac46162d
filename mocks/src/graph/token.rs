//! `$skipToken`: opaque to clients (base64, like Resource Graph's), but carrying everything the
//! next page needs so the mock keeps no per-query state: a fingerprint of the query and its
//! scopes (a token only continues the query it came from, as Resource Graph requires), the
//! scan position, the rows already returned and the total.

use serde::{Deserialize, Serialize};

/// What a `$skipToken` encodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SkipToken {
    /// [`fingerprint`] of the query text and scopes.
    pub fp: String,
    /// Where the scan resumes: the next store index (ascending: indices `>= bound`;
    /// descending: indices `< bound`).
    pub bound: usize,
    /// Rows returned so far (including `$skip`).
    pub row: u64,
    /// `totalRecords` of the query (the snapshot never changes while serving).
    pub total: u64,
}

impl SkipToken {
    pub fn encode(&self) -> String {
        base64_encode(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// `None` for anything that is not a token this mock issued.
    pub fn decode(s: &str) -> Option<SkipToken> {
        let bytes = base64_decode(s.trim())?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// A stable hash of the query and its scopes (FNV-1a, hex): same query text and same scope
/// set (in any order or case), same fingerprint.
pub(crate) fn fingerprint(query: &str, scope_kind: &str, scopes: &[String]) -> String {
    let mut sorted: Vec<String> = scopes.iter().map(|s| s.to_ascii_lowercase()).collect();
    sorted.sort();
    sorted.dedup();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    feed(query.as_bytes());
    feed(&[0]);
    feed(scope_kind.as_bytes());
    for s in &sorted {
        feed(&[0]);
        feed(s.as_bytes());
    }
    format!("{h:016x}")
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4).
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = base64_encode(s.as_bytes());
            assert_eq!(base64_decode(&e).as_deref(), Some(s.as_bytes()), "{e}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = SkipToken {
            fp: fingerprint("Resources", "subscriptions", &["S1".into()]),
            bound: 7,
            row: 3,
            total: 10,
        };
        assert_eq!(SkipToken::decode(&t.encode()), Some(t));
        assert_eq!(SkipToken::decode("eyAibm8iOiAibHVjayIgfQ=="), None);
        assert_eq!(SkipToken::decode("%%%"), None);
    }

    #[test]
    fn fingerprints_ignore_scope_order_and_case_only() {
        let a = fingerprint("q", "subscriptions", &["A".into(), "b".into()]);
        assert_eq!(
            a,
            fingerprint("q", "subscriptions", &["B".into(), "a".into()])
        );
        assert_ne!(
            a,
            fingerprint("q ", "subscriptions", &["a".into(), "b".into()])
        );
        assert_ne!(
            a,
            fingerprint("q", "managementGroups", &["a".into(), "b".into()])
        );
        assert_ne!(a, fingerprint("q", "subscriptions", &["a".into()]));
    }
}
