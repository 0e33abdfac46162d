//! The smoke run of every fuzz target on every commit: each target (`rdpaudit::fuzzing`, the same
//! functions `fuzz/` drives under libFuzzer) gets its seed corpus — the repository's fixtures and
//! the official ARM examples — and a fixed number of deterministic mutations of it. Coverage-
//! guided runs of 10⁷ executions per target are done with cargo-fuzz (`docs/reliability.md`).

use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn fixtures(rel: &str, ext: &str) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(rel),
        ext,
        &mut paths,
    );
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("fixture"))
        .collect()
}

/// Deterministic byte-level mutations: flips, insertions of JSON punctuation and of bytes taken
/// from elsewhere in the input, deletions, and truncation.
fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..rng.usize(1..=4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.usize(0..v.len())
        };
        match rng.u8(0..6) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.u8(0..8),
            1 => {
                let tokens: [&[u8]; 10] = [
                    b"{",
                    b"}",
                    b"[",
                    b"]",
                    b"\"",
                    b",",
                    b":",
                    b"null",
                    b"-1",
                    b"\xc3\xa9",
                ];
                let t = tokens[rng.usize(0..tokens.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + rng.usize(1..=16)).min(v.len());
                v.drain(at..end);
            }
            3 if !v.is_empty() => {
                let from = rng.usize(0..v.len());
                let chunk: Vec<u8> = v[from..(from + 8).min(v.len())].to_vec();
                v.splice(at..at, chunk);
            }
            4 => v.truncate(at),
            _ => v.insert(at, rng.u8(..)),
        }
    }
    v
}

fn run(target: &str, seeds: &[Vec<u8>], mutations: usize) {
    let f = rdpaudit::fuzzing::targets()[target];
    assert!(!seeds.is_empty(), "{target}: no seeds");
    for s in seeds {
        f(s);
    }
    let mut rng = fastrand::Rng::with_seed(0x5eed ^ target.len() as u64);
    for _ in 0..mutations {
        let seed = &seeds[rng.usize(0..seeds.len())];
        let input = mutate(&mut rng, seed);
        let result = std::panic::catch_unwind(|| f(&input));
        if result.is_err() {
            let path = std::env::temp_dir().join(format!("rdpaudit-fuzz-{target}.bin"));
            let _ = std::fs::write(&path, &input);
            panic!("{target}: panicked on an input saved to {}", path.display());
        }
    }
}

#[test]
fn snapshot_target_survives_its_corpus_and_mutations() {
    let mut seeds = fixtures("tests/fixtures/rules", "json");
    seeds.extend(fixtures("tests/fixtures/snapshots-hostile", "json"));
    seeds.push(
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("mocks/demo/demo-subscription.json"),
        )
        .expect("demo"),
    );
    // Keep the smoke run short: the small fixtures, all of them; mutations of a sample.
    run("snapshot", &seeds, 300);
}

#[test]
fn arm_page_target_survives_its_corpus_and_mutations() {
    let seeds = fixtures("tests/fixtures/arm", "json");
    run("arm_page", &seeds, 3000);
}

#[test]
fn resource_id_and_grammar_targets_survive_their_corpus_and_mutations() {
    let text = String::from_utf8(
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("mocks/demo/demo-subscription.json"),
        )
        .expect("demo"),
    )
    .expect("UTF-8");
    let ids: Vec<Vec<u8>> = text
        .split('"')
        .filter(|s| s.starts_with("/subscriptions/"))
        .take(200)
        .map(|s| s.as_bytes().to_vec())
        .collect();
    run("resource_id", &ids, 5000);
    let grammar: Vec<Vec<u8>> = [
        "3389",
        "*",
        "3380-3390",
        "0",
        "65535",
        "10.0.0.0/8",
        "10.0.0.7/24",
        "0.0.0.0/0",
        "2001:db8::/32",
        "::/0",
        "192.168.1.1",
        " 22 ",
        "03389",
        "+1",
        "1.2.3.4/08",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    run("grammar", &grammar, 20000);
}

#[test]
fn guest_output_target_survives_its_corpus_and_mutations() {
    let mut seeds = fixtures("tests/fixtures/guest", "txt");
    seeds.extend(fixtures("tests/fixtures/guest", "json"));
    run("guest_output", &seeds, 5000);
}

#[test]
fn nsg_target_agrees_with_the_oracle() {
    // The committed seeds (fuzz/seeds/nsg) and more random byte strings: every byte string
    // decodes to a case.
    let mut seeds = Vec::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/nsg");
    let mut paths = Vec::new();
    files(&dir, "bin", &mut paths);
    paths.sort();
    for p in paths {
        seeds.push(std::fs::read(p).expect("seed"));
    }
    let mut rng = fastrand::Rng::with_seed(0x3389);
    for _ in 0..200 {
        let len = rng.usize(0..256);
        seeds.push((0..len).map(|_| rng.u8(..)).collect());
    }
    run("nsg", &seeds, 3000);
}
