//! A guess of a resource's type from its text, without reading all of it: ARM writes `type`
//! near the start of a resource, before its `properties`; a snapshot written with sorted keys
//! (rdpaudit's, mock-arm's) has it last. The guess is only a guess — the text is not checked
//! here, and serde checks both the guess and the whole text afterwards (`super::at_once`);
//! anything unusual (an escape in a key or in the type) gives no guess.

/// The resource's `type`: the last member's if it is `"type"`, else the first top-level one.
pub(super) fn type_of(text: &str) -> Option<&str> {
    last_type(text).or_else(|| first_type(text))
}

/// The value of the object's last member if its key is `"type"` and both are strings without
/// escapes: read backwards from the closing brace.
fn last_type(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let j = back_space(b, b.len());
    if b.get(j.checked_sub(1)?) != Some(&b'}') {
        return None;
    }
    let close = back_space(b, j - 1).checked_sub(1)?;
    if b.get(close) != Some(&b'"') {
        return None;
    }
    let open = memchr::memrchr2(b'"', b'\\', b.get(..close)?)?;
    if b.get(open) != Some(&b'"') || escaped(b, open) {
        return None;
    }
    let colon = back_space(b, open).checked_sub(1)?;
    if b.get(colon) != Some(&b':') {
        return None;
    }
    let key_end = back_space(b, colon);
    let key = key_end.checked_sub(6)?;
    if b.get(key..key_end) != Some(b"\"type\"".as_slice()) || escaped(b, key) {
        return None;
    }
    let before = back_space(b, key).checked_sub(1)?;
    match b.get(before) {
        Some(b',' | b'{') => text.get(open + 1..close),
        _ => None,
    }
}

/// Whether the byte at `i` follows a backslash (it may be escaped: no guess then).
fn escaped(b: &[u8], i: usize) -> bool {
    i > 0 && b.get(i - 1) == Some(&b'\\')
}

/// The offset just after the last non-space byte before `end`.
fn back_space(b: &[u8], mut end: usize) -> usize {
    while end > 0 && matches!(b.get(end - 1), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        end -= 1;
    }
    end
}

/// The value of the first top-level `"type"` key of an object text, if it is a string without
/// escapes and every key before it is too.
fn first_type(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut i = space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        let (key, after) = plain_string(text, space(b, i))?;
        i = space(b, after);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = space(b, i + 1);
        if key == "type" {
            return plain_string(text, i).map(|(value, _)| value);
        }
        i = space(b, skip_value(b, i)?);
        if b.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

fn space(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The string whose opening quote is at `i`, and the offset after it, if it has no escape.
fn plain_string(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let len = memchr::memchr2(b'"', b'\\', b.get(i + 1..)?)?;
    if b.get(i + 1 + len) != Some(&b'"') {
        return None;
    }
    Some((text.get(i + 1..i + 1 + len)?, i + 2 + len))
}

/// The offset after the string whose opening quote is at `i`, escapes and all.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let k = memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
        if b.get(j + k) == Some(&b'"') {
            return Some(j + k + 1);
        }
        // A backslash: the byte after it is escaped, whatever it is.
        j += k + 2;
    }
}

/// The offset after the value that starts at `i` (a string, a container or a literal).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let (mut depth, mut j) = (0usize, i);
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(
                b.get(j),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{first_type, last_type, type_of};

    #[test]
    fn the_first_top_level_type_is_found_after_any_value() {
        let t = "Microsoft.Network/networkInterfaces";
        for text in [
            format!(r#"{{"type": "{t}"}}"#),
            format!(r#" {{ "id" : "/x", "name":"a\"b", "type" :"{t}", "type": "other"}}"#),
            format!(
                r#"{{"p": {{"type": "inner", "a": [1, "]", {{}}]}}, "n": -1.5e3, "b": true, "type": "{t}"}}"#
            ),
            format!(r#"{{"s": "\\", "x": null,"type":"{t}","properties":{{"#),
        ] {
            assert_eq!(first_type(&text), Some(t), "{text}");
        }
    }

    #[test]
    fn a_last_member_type_is_read_from_the_end() {
        let t = "Microsoft.Network/networkInterfaces";
        for text in [
            format!(r#"{{"properties": {{"type": "inner"}}, "type": "{t}"}}"#),
            format!("{{\"x\": [\"}}\"],\n \"type\" :\t\"{t}\" }}\n "),
            format!(r#"{{"type":"{t}"}}"#),
        ] {
            assert_eq!(last_type(&text), Some(t), "{text}");
            assert_eq!(type_of(&text), Some(t), "{text}");
        }
        for text in [
            r#"{"a": "q\",\"type\":\"T"}"#,
            r#"{"a": "x", "type": "T\"}"#,
            r#"{"a": "x", "typ\"type": "T"}"#,
            r#"{"a": "x", "type": 5}"#,
            r#"{"a": "x" "type": "T"}"#,
            r#""type": "T"}"#,
            r#"{"type": "T"] "#,
            "}",
            "",
        ] {
            assert_eq!(last_type(text), None, "{text}");
        }
        // The first one when the last member is not `type`.
        assert_eq!(type_of(r#"{"type": "A", "p": {}}"#), Some("A"));
    }

    #[test]
    fn anything_unusual_gives_no_guess() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"type": 5}"#,
            r#"{"type": "Microsoft.Network\/x"}"#,
            r#"{"typ\u0065": "x"}"#,
            r#"{"a" 1, "type": "x"}"#,
            r#"{"a": 1 "type": "x"}"#,
            r#"{"a": , "type": "x"}"#,
            r#"{"a": [1}], "type": "x""#,
            r#"{"id": "/x"}"#,
            r#"{"id": "/x", "type": "unterminated"#,
        ] {
            assert_eq!(first_type(text), None, "{text}");
        }
    }
}
