//! The default table's shape for estates of any size: one overview row per VM (name, resource
//! group, power, verdict for the client, exposure, worst finding, number of findings), worst
//! first, then each VM's details with its findings as a list and each fix under its finding.
//! Everything is laid out for an 80-column terminal: cells are cut with `…`, prose is wrapped,
//! and commands are broken only between words, with a `\` continuation a shell accepts.

use super::style::{paint, Tone};
use super::{Report, VmReport};
use crate::engine::Verdict;
use crate::rules::{Category, Severity};

/// The width every line of the overview and the details keeps to.
pub(crate) const WIDTH: usize = 80;

/// (header, width) of the overview's columns; with one space between them they sum to ≤ 80.
const COLUMNS: [(&str, usize); 7] = [
    ("VM", 18),
    ("GROUP", 13),
    ("POWER", 11),
    ("RDP", 9),
    ("EXPOSURE", 10),
    ("WORST", 11),
    ("N", 1),
];

/// The worst unsuppressed finding's severity and rule.
fn worst(vm: &VmReport) -> Option<(Severity, &'static str)> {
    vm.findings
        .iter()
        .filter(|f| !f.suppressed)
        .map(|f| (f.severity, f.rule_id))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
}

fn open_findings(vm: &VmReport) -> usize {
    vm.findings.iter().filter(|f| !f.suppressed).count()
}

/// The VMs worst first: highest finding, then most findings, then name.
pub(crate) fn order(report: &Report) -> Vec<&VmReport> {
    // Each VM's worst finding and count once, not at every comparison.
    let mut v: Vec<(Option<Severity>, usize, &VmReport)> = report
        .vms
        .iter()
        .map(|x| (worst(x).map(|w| w.0), open_findings(x), x))
        .collect();
    // Stable, as before: VMs equal in all three keep the report's order.
    v.sort_by(|(ka, na, a), (kb, nb, b)| kb.cmp(ka).then(nb.cmp(na)).then(a.name.cmp(&b.name)));
    v.into_iter().map(|(_, _, x)| x).collect()
}

/// Who RDP is exposed to, from the exposure findings: the whole Internet (RDP801), a wide
/// range (RDP802), some addresses (other exposure findings), or `-`.
fn exposure(vm: &VmReport) -> &'static str {
    let rules: Vec<&str> = vm
        .findings
        .iter()
        .filter(|f| f.category == Category::Exposure && !f.suppressed)
        .map(|f| f.rule_id)
        .collect();
    if rules.contains(&"RDP801") {
        "Internet"
    } else if rules.contains(&"RDP802") {
        "wide range"
    } else if rules.is_empty() {
        "-"
    } else {
        "limited"
    }
}

/// `s` cut to `w` characters (a cut ends in `…`), padded to `w`.
fn cell(s: &str, w: usize) -> String {
    let mut c = String::with_capacity(w);
    push_cell(&mut c, s, w);
    c
}

/// [`cell`] written onto `out` (a row is written in place: 10,000 rows made 70,000 strings).
fn push_cell(out: &mut String, s: &str, w: usize) {
    let n = if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    };
    if n <= w {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', w - n));
    } else {
        out.extend(s.chars().take(w.saturating_sub(1)));
        out.push('…');
    }
}

/// The client as the verdict line names it.
pub(crate) fn client_phrase(report: &Report) -> String {
    if report.client == "internet" {
        "RDP from Internet".into()
    } else {
        format!("RDP from {}", report.client)
    }
}

fn verdict_word(v: Verdict) -> (&'static str, Tone) {
    match v {
        Verdict::Reachable => ("REACHABLE", Tone::Good),
        Verdict::Blocked => ("BLOCKED", Tone::Bad),
        Verdict::Unknown => ("UNKNOWN", Tone::Doubt),
    }
}

pub(crate) fn verdict_line(report: &Report, vm: &VmReport, color: bool) -> String {
    let (word, tone) = verdict_word(vm.rdp.verdict);
    let sep = if vm.rdp.explanation.starts_with("by ") || vm.rdp.explanation.starts_with("via ") {
        " "
    } else {
        ": "
    };
    format!(
        "{}  {}: {}{}{}",
        paint(color, Tone::Bold, &vm.name),
        client_phrase(report),
        paint(color, tone, word),
        if vm.rdp.explanation.is_empty() {
            ""
        } else {
            sep
        },
        vm.rdp.explanation
    )
}

/// The overview: a header and one row per VM, worst first.
pub(crate) fn overview(report: &Report, color: bool) -> String {
    use rayon::prelude::*;
    let mut out = String::new();
    let header: Vec<String> = COLUMNS.iter().map(|(h, w)| cell(h, *w)).collect();
    out.push_str(header.join(" ").trim_end());
    out.push('\n');
    // Rows are written a block at a time on every core (10,000 rows took 3-9 ms on one), then
    // joined in order.
    let blocks: Vec<String> = order(report)
        .par_chunks(512)
        .map(|vms| {
            let mut block = String::with_capacity(vms.len() * (WIDTH + 1));
            for vm in vms {
                row(&mut block, vm, color);
            }
            block
        })
        .collect();
    out.reserve(blocks.iter().map(String::len).sum());
    for b in &blocks {
        out.push_str(b);
    }
    out
}

/// One VM's overview row, with its line end.
fn row(out: &mut String, vm: &VmReport, color: bool) {
    let (verdict, tone) = match vm.rdp.verdict {
        Verdict::Reachable => ("reachable", Tone::Good),
        Verdict::Blocked => ("blocked", Tone::Bad),
        Verdict::Unknown => ("unknown", Tone::Doubt),
    };
    let worst = worst(vm)
        .map(|(s, r)| format!("{} {r}", short(s)))
        .unwrap_or_else(|| "-".into());
    for (text, (_, w)) in [&vm.name, &vm.resource_group, &vm.power_state]
        .into_iter()
        .zip(COLUMNS)
    {
        push_cell(out, text, w);
        out.push(' ');
    }
    match color {
        true => out.push_str(&paint(color, tone, &cell(verdict, COLUMNS[3].1))),
        false => push_cell(out, verdict, COLUMNS[3].1),
    }
    out.push(' ');
    push_cell(out, exposure(vm), COLUMNS[4].1);
    out.push(' ');
    push_cell(out, &worst, COLUMNS[5].1);
    out.push(' ');
    out.push_str(&open_findings(vm).to_string());
    out.push('\n');
}

/// Severity in at most four letters (`crit`, `high`, `med`, `low`, `info`).
fn short(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "crit",
        Severity::High => "high",
        Severity::Medium => "med",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// Each VM (worst first): its verdict line, then its findings, each with its fix under it.
pub(crate) fn details(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for vm in order(report) {
        let line = verdict_line(report, vm, false);
        let first = wrap(&line, WIDTH, "  ");
        match first.split_first() {
            Some((head, rest)) => {
                // Colour after wrapping (the escapes take no columns): the name and the verdict.
                let (word, tone) = verdict_word(vm.rdp.verdict);
                let head = head.replacen(&vm.name, &paint(color, Tone::Bold, &vm.name), 1);
                let head = head.replacen(word, &paint(color, tone, word), 1);
                out.push_str(&head);
                out.push('\n');
                for l in rest {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            None => out.push('\n'),
        }
        for f in &vm.findings {
            let mut sev = f.severity.as_str().to_string();
            if f.suppressed {
                sev.push_str(", suppressed");
            } else if f.change == Some(super::baseline::Change::New) {
                sev.push_str(", new");
            }
            for l in wrap(
                &format!("{} ({sev}): {}", f.rule_id, f.message),
                WIDTH - 2,
                "    ",
            ) {
                out.push_str(&format!("  {l}\n"));
            }
            let proven = f
                .fix
                .as_ref()
                .is_some_and(|x| x.proof == super::Proof::Proven);
            out.push_str(if proven {
                "    fix (proven):\n"
            } else {
                "    advice:\n"
            });
            // A typed fix is commands (broken between shell words); a rule's advice is prose.
            let typed = f
                .fix
                .as_ref()
                .is_some_and(|x| !matches!(x.change, crate::rules::Fix::Advice { .. }));
            for line in f.remediation.lines() {
                let lines = if typed {
                    wrap_command(line, WIDTH - 6)
                } else {
                    wrap(line, WIDTH - 6, "  ")
                };
                for l in lines {
                    out.push_str(&format!("      {l}\n"));
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Prose wrapped at spaces to `w` columns; continuation lines start with `indent`.
pub(crate) fn wrap(text: &str, w: usize, indent: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let len = cur.chars().count() + 1 + word.chars().count();
        if !cur.is_empty() && len > w {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(indent);
            cur.push_str(word);
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    lines.push(cur);
    lines
}

/// A command broken between shell words (never inside quotes) with ` \` continuations, so
/// the pasted lines are the same command; a `#` comment wraps as more comment lines. A single
/// word longer than the width (a URL) stays whole.
pub(crate) fn wrap_command(line: &str, w: usize) -> Vec<String> {
    if line.starts_with('#') {
        return wrap(line, w, "# ");
    }
    let words = shell_words(line);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in words {
        // Room for the ` \` a broken line ends with.
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() + 2 > w {
            cur.push_str(" \\");
            lines.push(std::mem::take(&mut cur));
            cur.push_str("  ");
            cur.push_str(&word);
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(&word);
        }
    }
    lines.push(cur);
    lines
}

/// Splits at spaces outside single quotes (the quoting `report::fix` writes).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                cur.push(c);
            }
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_break_between_words_never_inside_quotes() {
        let cmd = "az network nsg rule create --resource-group 'rg with spaces and more words' \
                   --nsg-name nsg --name n --priority 100 --source-address-prefixes \
                   '<YOUR-PUBLIC-IP>/32'";
        let lines = wrap_command(cmd, 40);
        assert!(lines.len() > 2);
        for l in &lines[..lines.len() - 1] {
            assert!(l.ends_with(" \\"), "{l}");
        }
        assert!(lines
            .iter()
            .any(|l| l.contains("'rg with spaces and more words'")));
        let joined: Vec<String> = lines
            .iter()
            .map(|l| l.trim_end_matches(" \\").trim().to_string())
            .collect();
        assert_eq!(joined.join(" "), cmd);
    }

    /// The demo's report, each VM repeated `times` times under names of its own (every copy
    /// then sorts apart).
    fn repeated_demo(times: usize) -> Report {
        use crate::pipeline::{build_model, Audit, Scope};
        let demo = include_str!("../../mocks/demo/demo-subscription.json");
        let snap = crate::snapshot::parse(demo).expect("demo parses");
        let model = build_model(&snap.resources);
        let observations = crate::engine::Observations::new(snap.guest.clone());
        let options = crate::engine::Options::default();
        let audit = Audit::new(&model, options, observations, &Scope::All).expect("every VM");
        let mut report = audit.report(&[], super::super::CategoryFilter::All);
        let one = std::mem::take(&mut report.vms);
        for i in 0..times {
            report.vms.extend(one.iter().cloned().map(|mut vm| {
                vm.name = format!("{}-{i:04}", vm.name);
                vm
            }));
        }
        report
    }

    /// Rows written a block at a time on several cores come out as one row after the other
    /// would, worst first.
    #[test]
    fn the_overview_rows_come_in_order_from_every_block() {
        let report = repeated_demo(120);
        assert!(report.vms.len() > 4 * 512, "several blocks");
        for color in [false, true] {
            let mut want = String::new();
            for vm in order(&report) {
                row(&mut want, vm, color);
            }
            let got = overview(&report, color);
            let (header, rows) = got.split_once('\n').expect("a header");
            assert!(header.starts_with("VM "));
            assert_eq!(rows, want);
        }
    }

    #[test]
    fn cells_are_cut_with_an_ellipsis() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("ab", 4), "ab  ");
    }
}
