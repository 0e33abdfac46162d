//! Data flows one way: model → engine → rules → report → pipeline → cli. The input layers
//! (arm, snapshot, guest) read the outside world into model types and import nothing of the
//! core. This test reads every `src/**/*.rs`, maps it to its layer, and fails on any
//! `crate::<module>` path (in a `use` or inline) that reaches a layer it may not import,
//! printing `file:line`.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers a module may import (itself included).
fn allowed(layer: &str) -> Option<&'static [&'static str]> {
    const INPUT: &[&str] = &["model", "arm", "snapshot", "guest"];
    Some(match layer {
        "model" => &["model"],
        "engine" => &["model", "engine"],
        "rules" => &["model", "engine", "rules"],
        "report" => &["model", "engine", "rules", "report"],
        "pipeline" => &["model", "engine", "rules", "report", "pipeline"],
        // Proving fixes re-runs the pipeline on a patched copy of the data.
        "remedy" => &["model", "engine", "rules", "report", "pipeline", "remedy"],
        "arm" | "snapshot" | "guest" => INPUT,
        // cli, lib.rs and main.rs sit on top.
        _ => return None,
    })
}

/// Imports in transit, to be removed when the move lands: `addrset` (address sets) moves from
/// the engine into the model layer.
const IN_TRANSIT: &[(&str, &str)] = &[];

/// `src/engine/topology.rs` → `engine`; `src/pipeline.rs` → `pipeline`.
fn layer_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a line's `crate::` paths name, with the path text for the message.
/// `use crate::{a::x, b}` names `a` and `b`; a group may span lines (`pending` carries it).
fn crate_refs(line: &str, pending: &mut Option<String>) -> Vec<(String, String)> {
    let code = line.split("//").next().unwrap_or_default();
    let mut out = Vec::new();
    if let Some(group) = pending.as_mut() {
        group.push_str(code);
        if depth(group) == 0 {
            out.extend(group_modules(group));
            *pending = None;
        }
        return out;
    }
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        let after = &rest[i + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `$crate::`, `other_crate::`, `super::crate::`
        }
        if after.starts_with('{') {
            let group = after.to_string();
            if depth(&group) == 0 {
                out.extend(group_modules(&group));
            } else {
                *pending = Some(group);
            }
            break;
        }
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let path: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        out.push((name, format!("crate::{path}")));
    }
    out
}

fn depth(s: &str) -> i32 {
    s.chars().fold(0, |d, c| match c {
        '{' => d + 1,
        '}' => d - 1,
        _ => d,
    })
}

/// The top-level names of a `{a::x, b, c::{y, z}}` group.
fn group_modules(group: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut d = 0;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => {
                d += 1;
                if d == 1 {
                    continue;
                }
            }
            '}' => {
                d -= 1;
                if d == 0 {
                    break;
                }
            }
            ',' if d == 1 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.push(item);
    out.into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .map(|i| {
            let name: String = i
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (name, format!("crate::{i}"))
        })
        .collect()
}

/// Every upward import of one file's text, as `file:line: …`.
fn violations(file: &str, layer: &str, text: &str) -> Vec<String> {
    let Some(ok) = allowed(layer) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut pending = None;
    for (n, line) in text.lines().enumerate() {
        // A file's top-level test module may use any layer (a test of the pipeline reads the
        // demo snapshot); the rule is about the code that ships.
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        for (module, path) in crate_refs(line, &mut pending) {
            let in_transit = IN_TRANSIT
                .iter()
                .any(|(l, p)| *l == layer && path.starts_with(p));
            if !ok.contains(&module.as_str()) && !in_transit {
                out.push(format!(
                    "{file}:{}: {layer} imports {path} (layer {module})",
                    n + 1
                ));
            }
        }
    }
    out
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "src/ has only {} files", files.len());
    let mut problems = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source");
        let shown = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(file)
            .display()
            .to_string();
        problems.extend(violations(&shown, &layer_of(&src, file), &text));
    }
    assert!(
        problems.is_empty(),
        "{} upward imports:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_scanner_sees_upward_paths_in_every_form() {
    let text = "use crate::model::Vm;\n\
                use crate::report::words;\n\
                // use crate::cli::x;  (a comment)\n\
                let x = crate::cli::exit::CLEAN;\n\
                use crate::{\n    engine::Hop,\n    pipeline::Audit,\n};\n";
    let found = violations("src/rules/x.rs", "rules", text);
    assert_eq!(
        found,
        vec![
            "src/rules/x.rs:2: rules imports crate::report::words (layer report)",
            "src/rules/x.rs:4: rules imports crate::cli::exit::CLEAN (layer cli)",
            "src/rules/x.rs:8: rules imports crate::pipeline::Audit (layer pipeline)",
        ]
    );
    assert!(violations("src/cli/x.rs", "cli", text).is_empty());
    assert_eq!(
        violations("src/arm/x.rs", "arm", "use crate::engine::Options;\n").len(),
        1
    );
}
