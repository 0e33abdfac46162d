//! docs/nightly.md, docs/compliance.md and docs/examples stay true to the binary:
//!
//! * every `rdpaudit … --demo …` line in a code block of those pages runs with the built binary,
//!   never exits 2 (the command itself is wrong), and exits with the code its `# N: …` comment
//!   states;
//! * every `rdpaudit audit` flag the pages and the example pipelines use exists;
//! * the example pipelines keep what the nightly job depends on (OIDC, SARIF upload, a baseline,
//!   `--fail-on-new`, one snapshot rendered into every format).

use assert_cmd::Command;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn rdpaudit() -> Command {
    let mut c = Command::cargo_bin("rdpaudit").expect("binary");
    c.env_remove("NO_COLOR").env_remove("RDPAUDIT_ARM_ENDPOINT");
    c
}

/// The lines inside fenced code blocks, with `\` continuations joined, each with its 1-based
/// line number in the page.
fn code_lines(md: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in md.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        let (start, mut text) = match pending.take() {
            Some((n, prev)) => (n, prev + " " + line.trim()),
            None => (i + 1, line.trim().to_string()),
        };
        if text.ends_with('\\') {
            text.pop();
            pending = Some((start, text.trim_end().to_string()));
        } else {
            out.push((start, text));
        }
    }
    out
}

/// Splits a command line like a POSIX shell would for the simple cases the docs use: words,
/// '…' and "…" quoting, and backslash escapes outside single quotes. No expansion.
fn shell_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(format!("unclosed ' in {s}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err(format!("unclosed \" in {s}")),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(format!("unclosed \" in {s}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Where an unquoted `#` starts a comment (preceded by whitespace), if anywhere.
fn comment_start(s: &str) -> Option<usize> {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

#[derive(Debug)]
struct DocCommand {
    line: usize,
    text: String,
    args: Vec<String>,
    /// `> FILE` at the end: stdout is written there (in the run's directory).
    stdout_to: Option<String>,
    /// The exit code the line's comment states (`# 1: RDP801`).
    expect: Option<i32>,
}

/// A runnable demo command, or None for lines that are not one (no `--demo`, or shell beyond a
/// trailing `; echo $?` and `> FILE`: pipes, substitutions, other redirections).
fn parse_command(line: usize, text: &str) -> Option<DocCommand> {
    let text = text.trim().strip_prefix("$ ").unwrap_or(text.trim());
    if !text.starts_with("rdpaudit ") || !text.contains("--demo") {
        return None;
    }
    let (cmd, comment) = match comment_start(text) {
        Some(i) => (&text[..i], Some(text[i + 1..].trim())),
        None => (text, None),
    };
    let expect = comment.and_then(|c| {
        let digits: String = c.chars().take_while(char::is_ascii_digit).collect();
        let rest = &c[digits.len()..];
        let ends = rest.is_empty() || rest.starts_with(':') || rest.starts_with(' ');
        (!digits.is_empty() && ends)
            .then(|| digits.parse().ok())
            .flatten()
    });
    let cmd = cmd.trim_end();
    let cmd = cmd.strip_suffix("; echo $?").unwrap_or(cmd).trim_end();
    if ["|", "<", "$(", "`", "&&", ";", "2>"]
        .iter()
        .any(|s| cmd.contains(s))
    {
        return None;
    }
    let mut args = shell_words(cmd).unwrap_or_else(|e| panic!("line {line}: {e}"));
    let mut stdout_to = None;
    if let Some(pos) = args.iter().position(|a| a == ">") {
        if pos + 2 != args.len() {
            return None;
        }
        stdout_to = args.pop();
        args.pop();
    }
    if args.iter().any(|a| a.contains('>')) {
        return None;
    }
    args.remove(0);
    Some(DocCommand {
        line,
        text: text.to_string(),
        args,
        stdout_to,
        expect,
    })
}

fn demo_commands(rel: &str) -> Vec<DocCommand> {
    code_lines(&read(rel))
        .iter()
        .filter_map(|(n, t)| parse_command(*n, t))
        .collect()
}

/// Runs a page's demo commands in order in one scratch directory (so `> last.json` on one line
/// can be the `--baseline last.json` of the next).
fn run_page(rel: &str, at_least: usize) {
    let cmds = demo_commands(rel);
    assert!(
        cmds.len() >= at_least,
        "{rel}: found {} runnable demo commands, expected at least {at_least}: {cmds:#?}",
        cmds.len()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for c in &cmds {
        let out = rdpaudit()
            .args(&c.args)
            .current_dir(dir.path())
            .output()
            .expect("runs");
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match c.expect {
            Some(want) => assert_eq!(
                code, want,
                "{rel}:{}: `{}` exited {code}, the doc says {want}\n{stderr}",
                c.line, c.text
            ),
            None => assert_ne!(
                code, 2,
                "{rel}:{}: `{}` could not run\n{stderr}",
                c.line, c.text
            ),
        }
        if let Some(file) = &c.stdout_to {
            std::fs::write(dir.path().join(file), &out.stdout).expect("write stdout");
        }
    }
}

#[test]
fn nightly_md_demo_commands_run_as_documented() {
    run_page("docs/nightly.md", 8);
}

#[test]
fn compliance_md_demo_commands_run_as_documented() {
    run_page("docs/compliance.md", 6);
}

fn example(name: &str) -> String {
    read(&format!("docs/examples/{name}"))
}

fn example_files() -> Vec<PathBuf> {
    let dir = root().join("docs/examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("docs/examples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn assert_contains(name: &str, text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{name} must contain `{n}`");
    }
}

#[test]
fn yaml_examples_keep_what_the_nightly_job_needs() {
    let yaml: Vec<PathBuf> = example_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    assert!(
        yaml.len() >= 2,
        "docs/examples has the GitHub and Azure DevOps pipelines"
    );
    for p in &yaml {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).expect("read");
        assert!(!text.contains('\t'), "{name}: YAML must not contain tabs");
        // Audit once from Azure with a baseline, render everything else from that snapshot.
        assert_contains(
            &name,
            &text,
            &[
                "rdpaudit audit --all-subscriptions",
                "--baseline",
                "--fail-on-new",
                "--save-snapshot",
                "--snapshot",
                "-o \"$fmt\"",
                "sarif html",
            ],
        );
        // Every exit code is handled.
        for code in ["0)", "1)", "2)", "3)"] {
            assert!(
                text.contains(code),
                "{name}: the gate handles exit code {code}"
            );
        }
    }
    let gh = example("github-actions-nightly.yml");
    assert_contains(
        "github-actions-nightly.yml",
        &gh,
        &[
            "schedule:",
            "workflow_dispatch:",
            "id-token: write",
            "security-events: write",
            "contents: read",
            "azure/login@v2",
            "client-id: ${{ secrets.AZURE_CLIENT_ID }}",
            "tenant-id: ${{ secrets.AZURE_TENANT_ID }}",
            "subscription-id: ${{ secrets.AZURE_SUBSCRIPTION_ID }}",
            "cargo install --locked --git",
            "actions/cache/restore@",
            "actions/cache/save@",
            "github/codeql-action/upload-sarif@",
            "actions/upload-artifact@",
        ],
    );
    let ado = example("azure-pipelines-nightly.yml");
    assert_contains(
        "azure-pipelines-nightly.yml",
        &ado,
        &[
            "schedules:",
            "AzureCLI@2",
            "azureSubscription:",
            "--auth cli",
            "DownloadPipelineArtifact@2",
            "PublishPipelineArtifact@1",
            "CodeAnalysisLogs",
        ],
    );
}

#[test]
fn systemd_and_cron_examples_fit_together() {
    let service = example("rdpaudit-nightly.service");
    let timer = example("rdpaudit-nightly.timer");
    let script = example("rdpaudit-nightly.sh");
    assert_contains(
        "rdpaudit-nightly.service",
        &service,
        &[
            "Type=oneshot",
            "ExecStart=/usr/local/lib/rdpaudit/rdpaudit-nightly.sh",
            "StateDirectory=rdpaudit",
        ],
    );
    assert_contains(
        "rdpaudit-nightly.timer",
        &timer,
        &[
            "OnCalendar=",
            "Persistent=true",
            "Unit=rdpaudit-nightly.service",
            "WantedBy=timers.target",
        ],
    );
    assert!(
        script.starts_with("#!/usr/bin/env bash\n"),
        "the script has a shebang"
    );
    assert_contains(
        "rdpaudit-nightly.sh",
        &script,
        &[
            "--baseline",
            "--fail-on-new",
            "--save-snapshot",
            "--snapshot",
            "$STATE_DIRECTORY",
        ],
    );
    let nightly = read("docs/nightly.md");
    assert_contains(
        "docs/nightly.md",
        &nightly,
        &[
            "/usr/local/lib/rdpaudit/rdpaudit-nightly.sh",
            "docs/examples/github-actions-nightly.yml",
            "docs/examples/azure-pipelines-nightly.yml",
            "docs/examples/rdpaudit-nightly.timer",
        ],
    );
}

/// The `--flags` on every `rdpaudit audit` command line (with `\` continuations) of a text.
fn audit_flags(text: &str) -> Vec<String> {
    let mut flags = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        let in_cmd = continued || line.contains("rdpaudit audit");
        continued = in_cmd && line.trim_end().ends_with('\\');
        if !in_cmd {
            continue;
        }
        let from = line.find("rdpaudit audit").unwrap_or(0);
        for tok in line[from..].split(|c: char| c.is_whitespace() || c == '`' || c == '(') {
            let flag: String = tok
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if flag.starts_with("--") && flag.len() > 2 {
                flags.push(flag);
            }
        }
    }
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn every_audit_flag_the_docs_use_exists() {
    let help = rdpaudit()
        .args(["audit", "--help"])
        .output()
        .expect("help")
        .stdout;
    let help = String::from_utf8_lossy(&help).into_owned();
    let mut texts: Vec<(String, String)> = ["docs/nightly.md", "docs/compliance.md"]
        .iter()
        .map(|p| (p.to_string(), read(p)))
        .collect();
    for p in example_files() {
        texts.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).expect("read"),
        ));
    }
    let mut seen = 0;
    for (name, text) in &texts {
        for flag in audit_flags(text) {
            seen += 1;
            let known = help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n"));
            assert!(
                known,
                "{name}: `rdpaudit audit {flag}` is not an option of this build"
            );
        }
    }
    assert!(seen > 20, "the flag scan found only {seen} flags");
}

#[test]
fn the_doc_command_parser_handles_what_the_docs_write() {
    assert_eq!(
        shell_words(r#"a 'b c' "d \"e\"" f\ g"#).expect("words"),
        ["a", "b c", "d \"e\"", "f g"]
    );
    assert!(shell_words("a 'b").is_err());
    let c = parse_command(
        7,
        "rdpaudit audit --demo -q --fail-on high; echo $?   # 1: RDP801",
    )
    .expect("runnable");
    assert_eq!(c.args, ["audit", "--demo", "-q", "--fail-on", "high"]);
    assert_eq!(c.expect, Some(1));
    let c = parse_command(8, "rdpaudit audit --demo -o json > last.json").expect("runnable");
    assert_eq!(c.stdout_to.as_deref(), Some("last.json"));
    assert_eq!(c.expect, None);
    let c = parse_command(
        9,
        "rdpaudit audit --demo --framework cis-azure-3.0   # 0: a view",
    )
    .expect("runnable");
    assert_eq!(c.expect, Some(0));
    assert!(parse_command(10, "rdpaudit audit --demo -o json | jq .summary").is_none());
    assert!(parse_command(11, "rdpaudit audit --snapshot s.json").is_none());
    assert!(parse_command(12, "rdpaudit check --demo <VM id>").is_none());
    let lines = code_lines(
        "text\n```sh\nrdpaudit audit --demo \\\n  --fail-on never\n```\nrdpaudit audit --demo\n",
    );
    assert_eq!(
        lines,
        [(3, "rdpaudit audit --demo --fail-on never".to_string())]
    );
    assert_eq!(
        audit_flags("x\nrdpaudit audit --demo \\\n  --baseline b.json\ncargo install --locked\n"),
        ["--baseline", "--demo"]
    );
}
