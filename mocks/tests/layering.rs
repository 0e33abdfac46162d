//! The modules of mock-arm import each other without a circle: the `use crate::…`, `super::…`
//! and child-module paths of every file under src/ (test modules left out) form an acyclic
//! graph, both between files and between top-level modules. Shared request and response types
//! live in `http`, which imports none of the handlers; a handler that needs something from
//! another one should move it down into a shared module rather than import it.

#[path = "../../tests/common/import_graph.rs"]
mod import_graph;

use import_graph::{find_cycle, graph, sources, top_level};
use std::path::Path;

#[test]
fn src_has_no_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let g = graph(&files, false);
    assert!(g.len() > 10, "found only {} modules", g.len());
    // The graph is not empty: the handlers do import the shared types.
    let http = vec!["http".to_owned()];
    assert!(g[&vec!["routes".to_owned()]].contains(&http));
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
    assert!(find_cycle(&graph(&files, false)).is_some());
    // A parent importing a child that imports the parent through `super`.
    let files = [
        file("lib.rs", "mod gen;\n"),
        file("gen/mod.rs", "mod a;\npub use a::X;\npub struct Y;\n"),
        file("gen/a.rs", "use super::{Y};\npub struct X;\n"),
    ];
    assert!(find_cycle(&graph(&files, false)).is_some());
    // Between top-level modules only: a/x.rs → b.rs → a/y.rs.
    let files = [
        file("lib.rs", "mod a;\nmod b;\n"),
        file("a/mod.rs", "mod x;\nmod y;\n"),
        file("a/x.rs", "fn f() { crate::b::g() }\n"),
        file("b.rs", "use crate::a::y::Z;\n"),
        file("a/y.rs", "pub struct Z;\n"),
    ];
    let g = graph(&files, false);
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
    assert_eq!(find_cycle(&graph(&files, false)), None);
}
