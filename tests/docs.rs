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

/// README.md and docs/*.md, with their paths.
fn markdown_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The fenced code blocks of a Markdown text: (info string, lines).
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            match cur.take() {
                Some(b) => out.push(b),
                None => cur = Some((info.trim().to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = cur.as_mut() {
            lines.push(line.to_string());
        }
    }
    out
}

/// Runs a shell line in `dir` with the built binary first on PATH.
fn sh(dir: &std::path::Path, line: &str) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_rdpaudit"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("RDPAUDIT_ARM_ENDPOINT")
        .output()
        .expect("sh runs")
}

/// Whether `have` (the output) matches `want` (the doc), line by line with trailing spaces
/// ignored; a doc line `…` stands for any number of lines.
fn matches(have: &[&str], want: &[&str]) -> bool {
    match want.split_first() {
        None => have.is_empty(),
        Some((w, rest)) if w.trim() == "…" => (0..=have.len()).any(|i| matches(&have[i..], rest)),
        Some((w, rest)) => have
            .split_first()
            .is_some_and(|(h, hr)| h.trim_end() == w.trim_end() && matches(hr, rest)),
    }
}

/// Every offline command the docs show runs: a block that starts with `$ rdpaudit … --demo`
/// prints exactly the lines below it (`…` elides); a `sh` line `rdpaudit … --demo` exits with
/// the code its `# N` comment names (else 0 or 1). The commands of one file run in order in
/// one directory, so a report one line writes is there for the next.
#[test]
fn every_offline_command_in_readme_and_docs_does_what_the_doc_shows() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (file, text) in markdown_files() {
        // One directory per file: a report one block writes is there for the next.
        let dir = tempfile::tempdir().expect("temp dir");
        for (info, lines) in blocks(&text) {
            if let Some(cmd) = lines.first().and_then(|l| l.strip_prefix("$ ")) {
                if !cmd.starts_with("rdpaudit ") || !cmd.contains("--demo") {
                    continue;
                }
                ran += 1;
                let out = sh(dir.path(), cmd);
                let have = String::from_utf8_lossy(&out.stdout).to_string();
                let have: Vec<&str> = have.lines().collect();
                let want: Vec<&str> = lines[1..].iter().map(String::as_str).collect();
                if !matches(&have, &want) {
                    failures.push(format!(
                        "{file}: `{cmd}` prints\n{}\n--- but the doc shows ---\n{}",
                        have.join("\n"),
                        want.join("\n")
                    ));
                }
                continue;
            }
            if info != "sh" {
                continue;
            }
            for line in &lines {
                let line = line.trim();
                if !line.starts_with("rdpaudit ") || !line.contains("--demo") {
                    continue;
                }
                let (cmd, comment) = match line.split_once(" # ") {
                    Some((c, m)) => (c.trim(), m.trim()),
                    None => (line, ""),
                };
                let cmd = cmd.split(';').next().unwrap_or_default().trim();
                let want: Option<i32> = comment
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse().ok());
                ran += 1;
                let out = sh(dir.path(), cmd);
                let code = out.status.code().unwrap_or(-1);
                let ok = match want {
                    Some(w) => code == w,
                    None => code == 0 || code == 1,
                };
                if !ok {
                    failures.push(format!(
                        "{file}: `{cmd}` exits {code}, the doc says {}: {}",
                        want.map_or("0 or 1".to_string(), |w| w.to_string()),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
    }
    assert!(ran >= 20, "only {ran} commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
