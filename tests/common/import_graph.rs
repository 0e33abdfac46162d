//! The import graph of a crate's src/: the `use crate::…`, `super::…` and child-module paths of
//! every file (test modules left out), and circles in it. Shared by rdpaudit's
//! `tests/import_circles.rs` and mock-arm's `tests/layering.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path: `[]` is the crate root, `["graph", "kql"]` is src/graph/kql.rs.
type Module = Vec<String>;

/// The module a file under src/ defines (`None` for the binary's main.rs).
fn module_of(rel: &str) -> Option<Module> {
    let rel = rel.strip_suffix(".rs")?;
    if rel == "main" {
        return None;
    }
    let mut segs: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(segs.last().map(String::as_str), Some("mod" | "lib")) {
        segs.pop();
    }
    Some(segs)
}

fn is_test_module(m: &Module) -> bool {
    m.iter().any(|s| s == "tests")
}

/// The source without comments and without an inline `#[cfg(test)] mod tests { … }` (which
/// would resolve `super::` against the wrong module).
fn code(src: &str) -> String {
    let src = match src.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &src[..i],
        None => src,
    };
    src.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `crate`, `self`, `super` or a child module's name, as segments.
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        // An identifier at a path start: collect `a::b::c`.
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            segs.push(code[start..j].to_owned());
            if code[j..].starts_with("::") && j + 2 < bytes.len() && is_ident(bytes[j + 2]) {
                j += 2;
            } else {
                break;
            }
        }
        // `use super::{a, b}` and `use crate::x::{…}`: the part before the brace is the path.
        if segs.len() > 1 || code[j..].starts_with("::{") {
            out.push(segs);
        }
        i = j.max(i + 1);
    }
    out
}

/// Resolves a path used in module `from` to the deepest known module it names.
fn resolve(from: &Module, path: &[String], known: &BTreeSet<Module>) -> Option<Module> {
    let mut at: Module = match path[0].as_str() {
        "crate" => Vec::new(),
        "self" => from.clone(),
        "super" => from[..from.len().checked_sub(1)?].to_vec(),
        first => {
            let mut child = from.clone();
            child.push(first.to_owned());
            if !known.contains(&child) {
                return None;
            }
            child
        }
    };
    for seg in &path[1..] {
        if seg == "super" {
            at.pop();
            continue;
        }
        let mut next = at.clone();
        next.push(seg.clone());
        if !known.contains(&next) {
            break;
        }
        at = next;
    }
    Some(at)
}

/// The import graph between modules (test modules left out), from (file, source) pairs with
/// paths relative to src/.
pub fn graph(
    files: &[(String, String)],
    facades_as_units: bool,
) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules: Vec<(Module, &String)> = files
        .iter()
        .filter_map(|(rel, src)| module_of(rel).map(|m| (m, src)))
        .filter(|(m, _)| !is_test_module(m))
        .collect();
    let known: BTreeSet<Module> = modules.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, src) in &modules {
        let out = edges.entry(m.clone()).or_default();
        for p in paths(&code(src)) {
            if let Some(to) = resolve(m, &p, &known) {
                // The crate root re-exports; nothing may import it, and it may import all. With
                // `facades_as_units`, a module's facade (its mod.rs, which declares and re-exports
                // its children) and those children are one unit: `model::build::sink` using
                // `crate::model::Diagnostic` is then not a circle with `model` re-exporting `build`.
                let related = facades_as_units && (to.starts_with(m) || m.starts_with(&to));
                if &to != m && !to.is_empty() && !m.is_empty() && !related {
                    out.insert(to);
                }
            }
        }
    }
    edges
}

/// The same graph with every module collapsed to its top-level module.
pub fn top_level(g: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, tos) in g.iter().filter(|(m, _)| !m.is_empty()) {
        let f = from[..1].to_vec();
        let entry = out.entry(f.clone()).or_default();
        for to in tos {
            if to[..1] != f[..] {
                entry.insert(to[..1].to_vec());
            }
        }
    }
    out
}

/// A circle in the graph, if there is one, as `a → b → … → a`.
pub fn find_cycle(g: &BTreeMap<Module, BTreeSet<Module>>) -> Option<String> {
    fn visit(
        m: &Module,
        g: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<String> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut names: Vec<String> = stack[at..].iter().map(|s| s.join("::")).collect();
                names.push(m.join("::"));
                return Some(names.join(" → "));
            }
            _ => {}
        }
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for to in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(to, g, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    g.keys()
        .find_map(|m| visit(m, g, &mut state, &mut Vec::new()))
}

pub fn sources(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("reads src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(base).expect("under src/");
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("reads")));
        }
    }
}
