//! rdpaudit's modules import each other without a circle: the `use crate::…`, `super::…` and
//! child-module paths of every file under src/ (test modules left out) form an acyclic graph,
//! both between files and between top-level modules — a module's facade (`mod.rs`) and its own
//! children count as one unit (`tests/layering.rs` checks, in addition,
//! that every import points down the layers). The same check as mock-arm's `tests/layering.rs`,
//! run on this crate's src/.

#[path = "common/import_graph.rs"]
mod import_graph;

use import_graph::{find_cycle, graph, sources, top_level};
use std::path::Path;

#[test]
fn src_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let g = graph(&files, true);
    assert!(g.len() > 10, "found only {} modules", g.len());
    // The graph is not empty: the engine does import the model.
    let model = vec!["model".to_owned()];
    assert!(g[&vec!["engine".to_owned(), "evaluate".to_owned()]].contains(&model));
    if let Some(c) = find_cycle(&g) {
        panic!("import circle between files: {c}");
    }
    if let Some(c) = find_cycle(&top_level(&g)) {
        panic!("import circle between top-level modules: {c}");
    }
}

#[test]
fn circles_are_found() {
    let file = |rel: &str, src: &str| (rel.to_owned(), src.to_owned());
    // routes ↔ runcommand through `use`, the shape this test exists to prevent.
    let files = [
        file("lib.rs", "mod routes;\nmod runcommand;\n"),
        file("routes.rs", "use crate::runcommand::post;\n"),
        file("runcommand.rs", "use crate::routes::{self, Ctx};\n"),
    ];
    assert!(find_cycle(&graph(&files, true)).is_some());
    // A module's facade and its own children are one unit: not a circle.
    let files = [
        file("lib.rs", "mod gen;\n"),
        file("gen/mod.rs", "mod a;\npub use a::X;\npub struct Y;\n"),
        file("gen/a.rs", "use super::{Y};\npub struct X;\n"),
    ];
    assert!(find_cycle(&graph(&files, true)).is_none());
    // Siblings through their parent are: gen::a → gen::b → gen::a.
    let files = [
        file("lib.rs", "mod gen;\n"),
        file("gen/mod.rs", "mod a;\nmod b;\n"),
        file("gen/a.rs", "use super::b::X;\npub struct Y;\n"),
        file("gen/b.rs", "use super::a::Y;\npub struct X;\n"),
    ];
    assert!(find_cycle(&graph(&files, true)).is_some());
    // Between top-level modules only: a/x.rs → b.rs → a/y.rs.
    let files = [
        file("lib.rs", "mod a;\nmod b;\n"),
        file("a/mod.rs", "mod x;\nmod y;\n"),
        file("a/x.rs", "fn f() { crate::b::g() }\n"),
        file("b.rs", "use crate::a::y::Z;\n"),
        file("a/y.rs", "pub struct Z;\n"),
    ];
    let g = graph(&files, true);
    assert_eq!(find_cycle(&g), None);
    assert!(find_cycle(&top_level(&g)).is_some());
    // Comments, inline test modules and test files do not count.
    let files = [
        file("lib.rs", "mod a;\nmod b;\n"),
        file(
            "a.rs",
            "// crate::b::x\n#[cfg(test)]\nmod tests {\n    use crate::b::x;\n}\n",
        ),
        file("b.rs", "use crate::a::y;\n"),
        file("b/tests.rs", "use crate::a::y;\n"),
    ];
    assert_eq!(find_cycle(&graph(&files, true)), None);
}
