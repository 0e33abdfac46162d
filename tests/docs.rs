//! `docs/rules.md` is generated from the rule catalogue; this test fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test --test docs`.

#[test]
fn rules_md_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = rdpaudit::report::catalogue_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test docs` and commit the result"
    );
}

/// docs/guest.md shows the exact script `--guest` runs.
#[test]
fn guest_md_shows_the_script_verbatim() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guest.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    let block = format!("```powershell\n{}", rdpaudit::guest::SCRIPT);
    assert!(
        have.contains(&block),
        "docs/guest.md must show src/guest/inspect.ps1 verbatim in its ```powershell block"
    );
}
