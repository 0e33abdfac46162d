use super::*;
use crate::model::{Background, Building};

const DEMO: &str = include_str!("../../../mocks/demo/demo-subscription.json");

/// Streams `text` `chunk` bytes at a time into a model, as `audit` does: the resources handed
/// over (as text) and the rest; `None` when not streamed, or when the model found a text that
/// is not JSON.
fn stream(text: &[u8], chunk: usize) -> Option<(Vec<String>, Rest)> {
    let mut seen = Vec::new();
    let mut building = Background::new(Building::default());
    let rest = Reader::new(text, chunk)
        .document(|texts| {
            seen.extend(texts_of(&texts));
            building.add_texts(texts)
        })
        .expect("reading from memory");
    building.finish().ok()?;
    rest.map(|r| (seen, r))
}

/// Streams `text` `chunk` bytes at a time: each block's length, the texts, and the rest. Each
/// block's bytes are given back, so the reader reads the next blocks into them.
fn in_blocks(text: &str, chunk: usize) -> (Vec<usize>, Vec<String>, Rest) {
    let mut blocks = Vec::new();
    let mut seen = Vec::new();
    let rest = Reader::new(text.as_bytes(), chunk)
        .document(|texts| {
            blocks.push(texts.spans.len());
            seen.extend(texts_of(&texts));
            ControlFlow::Continue(Some(texts.bytes))
        })
        .expect("memory")
        .expect("streamed");
    (blocks, seen, rest)
}

/// The texts of a block, as strings.
fn texts_of(t: &Texts) -> Vec<String> {
    t.spans
        .iter()
        .map(|&(a, b)| String::from_utf8_lossy(&t.bytes[a..b]).into_owned())
        .collect()
}

/// What `super::parse` reads of the same text: resources as text, and the other fields.
fn whole(text: &str) -> (Vec<String>, String) {
    let snap = crate::snapshot::parse(text).expect("parses");
    let resources = snap.resources.iter().map(|r| r.get().to_string()).collect();
    (resources, fields(&snap))
}

fn fields(s: &Snapshot<'_>) -> String {
    let mut guest: Vec<_> = s.guest.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    guest.sort();
    format!(
        "{:?} {:?} {:?} {guest:?} {:?} {:?}",
        s.cloud,
        s.collected_at,
        s.subscriptions,
        s.diagnostics,
        s.security_admin_rules.map(RawValue::get)
    )
}

#[test]
fn a_streamed_document_gives_what_a_whole_read_gives_at_any_chunk_size() {
    let (resources, rest_fields) = whole(DEMO);
    assert!(resources.len() > 20);
    for chunk in [1, 2, 7, 64, 4096, CHUNK] {
        let (seen, rest) = stream(DEMO.as_bytes(), chunk).expect("streamed");
        assert_eq!(seen, resources, "chunk {chunk}");
        assert_eq!(rest.resources, resources.len());
        assert_eq!(fields(&rest.snapshot().expect("valid")), rest_fields);
    }
}

#[test]
fn resources_are_handed_over_in_blocks_in_order() {
    let items: Vec<String> = (0..2500)
        .map(|i| format!(r#"{{"id": "/subscriptions/s/x/{i}", "s": "a \"quoted\" ] }} [ {{"}}"#))
        .collect();
    let text = format!(
        "\u{feff} {{\"schema\": \"rdpaudit.snapshot/1\",\n\"resources\": [ {} ] , \"guest\": {{}} }}\n",
        items.join(" ,\n")
    );
    let (blocks, seen, rest) = in_blocks(&text, 333);
    assert_eq!(blocks, vec![BLOCK, BLOCK, 2500 - 2 * BLOCK]);
    assert_eq!(seen, items);
    assert_eq!(rest.resources, 2500);
    assert!(rest.snapshot().is_ok());
}

#[test]
fn large_resources_are_handed_over_in_smaller_blocks() {
    // Five resources of 1.5 MB: a block ends once it holds `BLOCK_BYTES` (4 MB), after three.
    let pad = "x".repeat(3 << 19);
    let items: Vec<String> = (0..5)
        .map(|i| format!(r#"{{"id": "/subscriptions/s/x/{i}", "pad": "{pad}"}}"#))
        .collect();
    let text = format!("{{\"resources\": [{}]}}", items.join(","));
    let (blocks, seen, rest) = in_blocks(&text, 1 << 16);
    assert_eq!(blocks, vec![3, 2]);
    assert_eq!(seen, items);
    assert_eq!(rest.resources, 5);
}

#[test]
fn other_shapes_and_bad_documents_are_left_to_the_whole_read() {
    let deep = format!(
        r#"{{"resources": [{}{}]}}"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("blank", b"  \n ".to_vec()),
        ("array", b"[{\"id\": \"/x\"}]".to_vec()),
        ("ARM list", b"{\"value\": []}".to_vec()),
        ("empty object", b"{}".to_vec()),
        ("null resources", b"{\"resources\": null}".to_vec()),
        (
            "two resources",
            b"{\"resources\": [], \"resources\": []}".to_vec(),
        ),
        ("trailing comma", b"{\"resources\": [{},]}".to_vec()),
        ("trailing field comma", b"{\"resources\": [], }".to_vec()),
        ("bad element", b"{\"resources\": [{\"a\" 1}]}".to_vec()),
        ("bad field", b"{\"resources\": [], \"guest\": {,}}".to_vec()),
        ("truncated", b"{\"resources\": [{\"a\": 1}".to_vec()),
        ("unterminated string", b"{\"resources\": [\"abc".to_vec()),
        ("garbage after", b"{\"resources\": []} x".to_vec()),
        ("two documents", b"{\"resources\": []}{}".to_vec()),
        ("bad UTF-8", b"{\"resources\": [\"\xff\"]}".to_vec()),
        ("too deep", deep.into_bytes()),
        ("unquoted key", b"{resources: []}".to_vec()),
    ];
    for (what, text) in cases {
        for chunk in [1, 5, 4096] {
            assert!(
                stream(&text, chunk).is_none(),
                "{what}, chunk {chunk}: streamed"
            );
        }
    }
}

#[test]
fn a_document_just_within_the_depth_limit_is_streamed() {
    let inner = MAX_DEPTH - 2;
    let text = format!(
        r#"{{"resources": [{}{}]}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    );
    assert!(crate::snapshot::parse(&text).is_ok());
    assert!(stream(text.as_bytes(), 3).is_some());
}

#[test]
fn a_streamed_document_reports_the_errors_of_a_whole_read() {
    for text in [
        r#"{"schema": "rdpaudit.snapshot/9", "resources": []}"#,
        r#"{"resources": [], "subscriptions": 5}"#,
        r#"{"resources": [], "guest": []}"#,
    ] {
        let (_, rest) = stream(text.as_bytes(), 4).expect("well-formed: streamed");
        let streamed = rest.snapshot().err().map(|e| e.to_string());
        let read = crate::snapshot::parse(text).err().map(|e| e.to_string());
        assert!(read.is_some(), "{text}: an error");
        assert_eq!(streamed, read, "{text}");
    }
}

#[test]
fn escapes_and_brackets_in_strings_are_read_across_every_chunk_boundary() {
    let tricky = r#"{"id": "/x", "a": "\\", "b": "\"]}", "c": ["\\\"", "{\\\\}"], "d": "é\u00e9"}"#;
    let text = format!(r#"{{"resources": [{tricky}, {tricky}], "guest": {{"k\"": {{}}}}}}"#);
    let (want, fields) = whole(&text);
    assert_eq!(want.len(), 2);
    for chunk in 1..=9 {
        let (seen, rest) = stream(text.as_bytes(), chunk).expect("streamed");
        assert_eq!(seen, want, "chunk {chunk}");
        assert_eq!(fields_of(&rest), fields, "chunk {chunk}");
    }
}

fn fields_of(rest: &Rest) -> String {
    fields(&rest.snapshot().expect("valid"))
}

#[test]
fn a_resource_that_is_not_json_in_an_early_block_leaves_the_document_to_the_whole_read() {
    // 3,000 resources in three blocks; the 100th, in the first block, is not JSON. The reader
    // only finds where it ends: the model's builder finds it is not JSON (and the reader stops
    // once it has, which may be after the last block).
    let items: Vec<String> = (0..3000)
        .map(|i| match i {
            99 => r#"{"id": "/subscriptions/s/x/99", "a" 1}"#.to_string(),
            _ => format!(r#"{{"id": "/subscriptions/s/x/{i}"}}"#),
        })
        .collect();
    let text = format!(r#"{{"resources": [{}]}}"#, items.join(","));
    let mut building = Background::new(Building::default());
    Reader::new(text.as_bytes(), 4096)
        .document(|texts| building.add_texts(texts))
        .expect("memory");
    assert!(building.finish().is_err());
    assert!(stream(text.as_bytes(), 4096).is_none());
    // The same document with the resource mended is streamed.
    let mended = text.replace(r#""a" 1"#, r#""a": 1"#);
    assert_eq!(
        stream(mended.as_bytes(), 4096).map(|s| s.1.resources),
        Some(3000)
    );
}

proptest::proptest! {
    /// The word-at-a-time search finds what a byte-by-byte search finds, wherever the quote or
    /// backslash sits in a word, with bytes of every value (0x80 and up included) around it.
    #[test]
    fn the_word_search_finds_the_first_quote_or_backslash(
        bytes in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::num::u8::ANY,
                proptest::strategy::Just(b'"'),
                proptest::strategy::Just(b'\\'),
                proptest::strategy::Just(b'a'),
            ],
            0..40,
        )
    ) {
        let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\');
        proptest::prop_assert_eq!(quote_or_backslash(&bytes), naive);
    }
}

/// Strings that end, or whose escape sits, at every offset of a word, and across buffer
/// refills: each resource is found whole.
#[test]
fn strings_end_anywhere_in_a_word() {
    let items: Vec<String> = (0..64)
        .map(|i| {
            let pad = "x".repeat(i % 17);
            format!(r#"{{"id": "/subscriptions/s/x/{i}", "a": "{pad}\"q\\{pad}", "b": ["{pad}"]}}"#)
        })
        .collect();
    let text = format!(r#"{{"resources": [{}]}}"#, items.join(","));
    for chunk in [1, 7, 64, 4096] {
        let (seen, rest) = stream(text.as_bytes(), chunk).expect("streamed");
        assert_eq!(rest.resources, 64, "chunk {chunk}");
        assert_eq!(seen, items, "chunk {chunk}");
    }
}
