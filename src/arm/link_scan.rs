//! The next page's link or token read from a page's bytes without parsing the page, so that
//! the next request goes out before this page is parsed (a 1,000-VM page is ≈ 2.4 MB: parsing
//! it took ≈ 5–9 ms of each page's turn on a chain, docs/performance.md). ARM ends a list page
//! with its link (`{"value":[…],"nextLink":"…"}`); Resource Graph puts `$skipToken` before its
//! rows (`{"totalRecords":…,"count":…,"resultTruncated":…,"$skipToken":"…","data":[…]}`,
//! `QueryResponse`).
//!
//! Both scanners are guesses: they answer only for a body of the expected shape and give up
//! (`None`) on anything else. The caller sends the guess only if it passes the same checks as a
//! parsed link (same origin, not seen, page budget) and keeps the answer only if the parsed page
//! names the same link; otherwise the early request is dropped (aborted).

/// The string value of `key` when it is the last member of the body's outer object
/// (`…,"key":"value"}` at the very end). In a JSON document the last `}` closes the outer
/// object, and a string member right before it belongs to that object.
pub(crate) fn last_member(body: &[u8], key: &str) -> Option<String> {
    let mut end = trim_end(body, body.len());
    end = end.checked_sub(1).filter(|&i| body.get(i) == Some(&b'}'))?;
    end = trim_end(body, end);
    let value_end = end.checked_sub(1).filter(|&i| body.get(i) == Some(&b'"'))?;
    let value_start = opening_quote(body, value_end)?;
    let colon = trim_end(body, value_start).checked_sub(1)?;
    if body.get(colon) != Some(&b':') {
        return None;
    }
    let key_end = trim_end(body, colon).checked_sub(1)?;
    let key_start = opening_quote(body, key_end)?;
    if body.get(key_start + 1..key_end) != Some(key.as_bytes()) {
        return None;
    }
    let before = trim_end(body, key_start).checked_sub(1)?;
    if !matches!(body.get(before), Some(b',' | b'{')) {
        return None;
    }
    serde_json::from_slice(body.get(value_start..=value_end)?).ok()
}

/// The string value of `key` among the outer object's members before `stop` (Resource Graph's
/// `$skipToken` before `data`): members are skipped by their brackets, strings by their quotes.
pub(crate) fn member_before(body: &[u8], key: &str, stop: &str) -> Option<String> {
    let mut at = skip_ws(body, 0);
    if body.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_ws(body, at);
        let name_end = string_end(body, at)?;
        let name = body.get(at + 1..name_end)?;
        at = skip_ws(body, name_end + 1);
        if body.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(body, at + 1);
        if name == stop.as_bytes() {
            return None;
        }
        let value_end = value_end(body, at)?;
        if name == key.as_bytes() {
            return match body.get(at) {
                Some(b'"') => serde_json::from_slice(body.get(at..value_end)?).ok(),
                _ => None,
            };
        }
        at = skip_ws(body, value_end);
        match body.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

fn trim_end(body: &[u8], mut end: usize) -> usize {
    while end > 0 && body.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
        end -= 1;
    }
    end
}

fn skip_ws(body: &[u8], mut at: usize) -> usize {
    while body.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The quote that opens the string whose closing quote is at `close`: the nearest quote before
/// it that is not escaped (preceded by an even run of backslashes).
fn opening_quote(body: &[u8], close: usize) -> Option<usize> {
    let mut i = close;
    while i > 0 {
        i -= 1;
        if body.get(i) == Some(&b'"') {
            let slashes = body[..i].iter().rev().take_while(|&&b| b == b'\\').count();
            if slashes % 2 == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The index of the closing quote of the string that opens at `at`.
fn string_end(body: &[u8], at: usize) -> Option<usize> {
    if body.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match body.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
}

/// Just past the value that starts at `at` (a string, a bracketed value, or a scalar).
fn value_end(body: &[u8], at: usize) -> Option<usize> {
    match body.get(at)? {
        b'"' => string_end(body, at).map(|e| e + 1),
        b'[' | b'{' => {
            let (mut depth, mut i) = (0usize, at);
            loop {
                match body.get(i)? {
                    b'"' => i = string_end(body, i)?,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = body
                .get(at..)?
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']'));
            len.map(|n| at + n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    #[test]
    fn an_arm_page_ends_with_its_link() {
        let body = br#"{"value":[{"id":"/a","x":"}\"nextLink\":\"no\"}"}],"nextLink":"https://m/x?$skiptoken=1000&a=%22b"}"#;
        let want = "https://m/x?$skiptoken=1000&a=%22b";
        assert_eq!(last_member(body, "nextLink").as_deref(), Some(want));
        let spaced = b"{ \"value\": [],\n  \"nextLink\" : \"a\\\"b\\\\\" \n}\n";
        assert_eq!(last_member(spaced, "nextLink").as_deref(), Some("a\"b\\"));
        // The link is not last, or not a string, or not a member of the outer object: no guess.
        for body in [
            &br#"{"nextLink":"a","value":[]}"#[..],
            br#"{"value":[],"nextLink":null}"#,
            br#"{"value":[{"nextLink":"a"}]}"#,
            br#"{"value":[],"x":{"nextLink":"a"}}"#,
            br#"{"value":["x","nextLink"]}"#,
            br#"{"value":[],"nextLinks":"a"}"#,
            br#""nextLink":"a"}"#,
            b"",
            b"}",
        ] {
            assert_eq!(
                last_member(body, "nextLink"),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_graph_page_names_its_token_before_its_rows() {
        let body = br#"{"totalRecords":12,"count":2,"resultTruncated":"false","facets":[{"a":"]}"}],"$skipToken":"ew0\"K","data":[{"$skipToken":"no"}]}"#;
        assert_eq!(
            member_before(body, "$skipToken", "data").as_deref(),
            Some("ew0\"K")
        );
        for body in [
            &br#"{"totalRecords":1,"data":[],"$skipToken":"late"}"#[..],
            br#"{"count":1,"$skipToken":null,"data":[]}"#,
            br#"{"count":1 "$skipToken":"a"}"#,
            br#"["$skipToken","a"]"#,
            br#"{"facets":[{"x":"a"]"#,
            b"",
        ] {
            let got = member_before(body, "$skipToken", "data");
            assert_eq!(got, None, "{}", String::from_utf8_lossy(body));
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z\"\\\\{}:,\\[\\] ]{0,8}",
            Just("nextLink".to_string()),
            Just("$skipToken".to_string())
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i32>().prop_map(|n| json!(n)),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((text(), inner), 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever the document, a guess is the value the parsed document has: the scanners
        /// may give up, never answer wrongly.
        #[test]
        fn a_guess_is_always_what_the_parsed_page_says(
            members in prop::collection::vec((text(), value()), 0..6),
            pretty in any::<bool>(),
        ) {
            let doc = Value::Object(members.into_iter().collect());
            let body = match pretty {
                true => serde_json::to_vec_pretty(&doc),
                false => serde_json::to_vec(&doc),
            }.expect("JSON");
            if let Some(g) = last_member(&body, "nextLink") {
                prop_assert_eq!(Some(&Value::String(g)), doc.get("nextLink"));
            }
            if let Some(g) = member_before(&body, "$skipToken", "data") {
                prop_assert_eq!(Some(&Value::String(g)), doc.get("$skipToken"));
            }
        }
    }
}
