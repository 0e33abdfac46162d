//! `-o html` in a real browser: headless Chromium loads the demo report (plus a VM and an NSG
//! rule whose names try to inject markup), runs its script, and the test checks the DOM it
//! dumps — one row per VM, the summary counts, the injected strings shown as text, the filter
//! driven by the URL — and keeps a screenshot in `target/test-artifacts/`.
//!
//! `.ci/run` installs Debian's `chromium`. Elsewhere, without a browser the test says SKIPPED on
//! stderr, unless `CI` is set, where a missing browser fails it.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const INJECT_VM: &str = "web-02<script>document.title='pwned'</script>";
const INJECT_RULE: &str = "AllowRDP<img src=x onerror=\"document.title='pwned'\">";

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|c| {
            std::env::var_os("PATH")
                .map(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join(c))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .find(|p| p.is_file())
}

fn browser_or_skip() -> Option<PathBuf> {
    match chromium() {
        Some(b) => Some(b),
        None if std::env::var_os("CI").is_some() => {
            panic!("chromium is not installed: .ci/run installs Debian's chromium package")
        }
        None => {
            eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium)");
            None
        }
    }
}

/// Runs headless Chromium on `url` with the flags that keep it off the network.
fn headless(browser: &Path, profile: &Path, extra: &[&str], url: &str) -> Vec<u8> {
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The demo with a VM name and an NSG rule name that carry markup.
fn hostile_demo() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("mocks/demo/demo-subscription.json");
    let mut d: Value =
        serde_json::from_str(&std::fs::read_to_string(p).expect("demo")).expect("JSON");
    for r in d["resources"].as_array_mut().expect("resources") {
        if r["name"] == "web-02" && r["type"] == "Microsoft.Compute/virtualMachines" {
            r["name"] = json!(INJECT_VM);
        }
        if r["name"] == "web-01-nsg" {
            for rule in r["properties"]["securityRules"]
                .as_array_mut()
                .expect("rules")
            {
                if rule["name"] == "AllowRDP" {
                    rule["name"] = json!(INJECT_RULE);
                }
            }
        }
    }
    d
}

#[test]
fn the_html_report_renders_in_a_browser_with_arm_strings_as_text() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("hostile.json");
    std::fs::write(&snap, hostile_demo().to_string()).expect("write");
    let html = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .args(["-o", "html", "--fail-on", "never"])
        .output()
        .expect("runs")
        .stdout;
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).expect("write");
    let text = String::from_utf8_lossy(&html);
    for fetch in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(
            !text.contains(fetch),
            "self-contained: nothing is fetched ({fetch})"
        );
    }
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");

    let dom =
        String::from_utf8_lossy(&headless(&browser, &profile, &["--dump-dom"], &url)).into_owned();
    // One row per Windows VM, and the summary says 19.
    assert_eq!(dom.matches("class=\"vm-row\"").count(), 19, "{dom}");
    assert!(dom.contains("id=\"sum-vms\"><b>19</b>"), "summary count");
    assert!(
        dom.contains("<span id=\"vm-count\">19</span>"),
        "the script counted the rows"
    );
    // The injected markup is text: the title is untouched, no injected element exists, the
    // only script is rdpaudit's own.
    assert!(
        dom.contains("<title>rdpaudit report</title>"),
        "title changed: script ran"
    );
    assert_eq!(dom.matches("<script").count(), 1, "only rdpaudit's script");
    assert!(!dom.contains("<img"), "no injected element");
    assert!(dom.contains("web-02&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains("AllowRDP&lt;img src=x onerror="));

    // The filter is driven by the URL: only reachable VMs stay visible.
    let dom = String::from_utf8_lossy(&headless(
        &browser,
        &profile,
        &["--dump-dom"],
        &format!("{url}?verdict=reachable"),
    ))
    .into_owned();
    assert!(
        dom.contains("<span id=\"vm-count\">7</span>"),
        "7 reachable VMs in the demo"
    );
    assert_eq!(
        dom.matches("class=\"vm-row\" data-verdict=\"blocked\" hidden")
            .count(),
        11
    );

    // A screenshot, kept as an artifact.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let shot = artifacts.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800",
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot"
    );
}

/// `--lateral` adds the east-west section; its ARM strings (VM names as sources and targets,
/// NSG rule names as deciding rules) are text in the browser too.
#[test]
fn the_html_east_west_section_renders_with_arm_strings_as_text() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("hostile.json");
    std::fs::write(&snap, hostile_demo().to_string()).expect("write");
    let html = Command::cargo_bin("rdpaudit")
        .expect("binary")
        .args(["audit", "--snapshot"])
        .arg(&snap)
        .args(["-o", "html", "--fail-on", "never", "--lateral"])
        .output()
        .expect("runs")
        .stdout;
    let page = dir.path().join("lateral.html");
    std::fs::write(&page, &html).expect("write");
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("profile");
    let dom =
        String::from_utf8_lossy(&headless(&browser, &profile, &["--dump-dom"], &url)).into_owned();
    assert!(dom.contains("<section id=\"lateral\">"), "{dom}");
    // One article per Windows VM in the section, rows for sources, stepping stones marked.
    assert_eq!(dom.matches("class=\"vm lateral\"").count(), 19);
    assert!(dom.matches("class=\"lateral-row").count() > 19);
    assert!(dom.contains("class=\"lateral-row stone\""));
    // The injected strings stay text here as well.
    assert!(
        dom.contains("<title>rdpaudit report</title>"),
        "title changed: script ran"
    );
    assert_eq!(dom.matches("<script").count(), 1, "only rdpaudit's script");
    assert!(!dom.contains("<img"), "no injected element");
    let section = &dom[dom.find("<section id=\"lateral\">").expect("section")..];
    assert!(section.contains("web-02&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(section.contains("AllowRDP&lt;img src=x onerror="));
}
