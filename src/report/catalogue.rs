//! The rule catalogue as people read it: `rdpaudit explain`, `rdpaudit rules` (table and JSON)
//! and the generated `docs/rules.md`. Every one of them is rendered here, from one list of a
//! rule's parts in one order, so the wording cannot drift between them.

use serde::Serialize;

use super::style;
use crate::rules::{Category, RuleMeta, Severity, CATALOGUE};

/// The columns of the rule list (`rules -o table`, the index of docs/rules.md).
const INDEX_HEADER: [&str; 4] = ["Rule", "Severity", "Category", "Title"];

/// Where a rule's text is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Medium {
    /// A terminal (`explain`).
    Text,
    /// docs/rules.md.
    Markdown,
}

/// The parts of one rule's text, in the order every medium shows them.
enum Part<'a> {
    Heading,
    Classification,
    Seed,
    Rationale,
    Fix,
    Example,
    /// A note the rule needs (the RDP2xx rules are raised only by `--probe`).
    Note(&'a str),
    Links,
}

fn parts(m: &RuleMeta) -> Vec<Part<'static>> {
    let mut v = vec![
        Part::Heading,
        Part::Classification,
        Part::Seed,
        Part::Rationale,
        Part::Fix,
        Part::Example,
    ];
    if needs_probe(m) {
        v.push(Part::Note(
            "*Needs `--probe` (a live test from this machine); not raised by offline audits.*",
        ));
    }
    v.push(Part::Links);
    v
}

/// The RDP2xx rules compare a live test from this machine with the data.
fn needs_probe(m: &RuleMeta) -> bool {
    m.needs.contains(&crate::rules::Need::Probe)
}

/// One rule's text in `medium`.
fn rule_text(m: &RuleMeta, medium: Medium) -> String {
    let (sev, cat) = (m.severity.as_str(), m.category.as_str());
    let mut s = String::new();
    for part in parts(m) {
        match (part, medium) {
            (Part::Heading, Medium::Text) => s.push_str(&format!("{} — {}\n\n", m.id, m.title)),
            (Part::Heading, Medium::Markdown) => {
                s.push_str(&format!("\n## {}\n\n**{}** — ", m.id, m.title));
            }
            (Part::Classification, Medium::Text) => {
                s.push_str(&format!("Severity: {sev}    Category: {cat}\n"));
            }
            (Part::Classification, Medium::Markdown) => s.push_str(&format!("{sev} · {cat}\n\n")),
            (Part::Seed, Medium::Text) => s.push_str(&format!("From the article: {}\n\n", m.seed)),
            (Part::Seed, Medium::Markdown) => {
                s.push_str(&format!("*From the article:* {}\n\n", m.seed));
            }
            (Part::Rationale, Medium::Text) => {
                s.push_str(&format!("Why it matters\n  {}\n\n", m.rationale));
            }
            (Part::Rationale, Medium::Markdown) => s.push_str(&format!("{}\n\n", m.rationale)),
            (Part::Fix, Medium::Text) => {
                s.push_str(&format!("How to fix\n  {}\n\n", m.remediation));
            }
            (Part::Fix, Medium::Markdown) => {
                s.push_str(&format!("**Fix:**\n\n```\n{}\n```\n\n", m.remediation));
            }
            (Part::Example, Medium::Text) => {
                s.push_str(&format!("Example finding\n  {}\n\n", m.example));
            }
            (Part::Example, Medium::Markdown) => {
                s.push_str(&format!("**Example finding:** {}\n\n", m.example));
            }
            // The terminal text has always been the rule alone; the docs page carries the note.
            (Part::Note(_), Medium::Text) => {}
            (Part::Note(note), Medium::Markdown) => s.push_str(&format!("{note}\n\n")),
            (Part::Links, Medium::Text) => {
                s.push_str("Learn more\n");
                for l in m.links {
                    s.push_str(&format!("  {l}\n"));
                }
            }
            (Part::Links, Medium::Markdown) => {
                for l in m.links {
                    s.push_str(&format!("- <{l}>\n"));
                }
            }
        }
    }
    s
}

/// What `rdpaudit explain ID` prints.
pub(crate) fn explain(m: &RuleMeta) -> String {
    rule_text(m, Medium::Text)
}

/// What `rdpaudit explain ID --fix-format F` prints: with `az` (the default) the rule's text;
/// with `arm` or `terraform` its "How to fix" is the rule's typed fix in that form, on an example
/// resource (a finding renders it for the exact resource, proven).
pub(crate) fn explain_in(m: &RuleMeta, format: super::FixFormat) -> String {
    let text = explain(m);
    if format == super::FixFormat::Az {
        return text;
    }
    let name = match format {
        super::FixFormat::Arm => "arm",
        _ => "terraform",
    };
    let fix = match super::fix_examples::example(m.id) {
        Some(f) => format!(
            "How to fix ({name}, on an example resource; `audit`, `check` and `fix` with \
             --fix-format {name} print it for yours)\n{}\n\n",
            indent(&super::fix::body(&f, format))
        ),
        None => format!(
            "How to fix (no {name} form: this fix is not one change to an Azure resource)\n  {}\n\n",
            m.remediation
        ),
    };
    let old = format!("How to fix\n  {}\n\n", m.remediation);
    text.replacen(&old, &fix, 1)
}

/// Every line indented by two spaces.
fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The index columns of one rule.
fn index_row(m: &RuleMeta) -> [&str; 4] {
    [m.id, m.severity.as_str(), m.category.as_str(), m.title]
}

/// What `rdpaudit rules` prints: the index as a table, as wide as the terminal (unbounded when
/// piped: the list is short and greps better unwrapped).
pub(crate) fn table() -> String {
    let mut t = style::table(&INDEX_HEADER, None);
    for r in CATALOGUE {
        t.add_row(index_row(r.meta).to_vec());
    }
    format!("{t}\n")
}

#[derive(Serialize)]
struct RulesDoc<'a> {
    rules: Vec<RuleJson<'a>>,
    /// The frameworks `--framework` accepts (`docs/compliance.md`).
    frameworks: &'static [crate::rules::compliance::Framework],
}

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    category: Category,
    seed: &'a str,
    rationale: &'a str,
    remediation: &'a str,
    links: &'a [&'a str],
    /// The framework controls this rule's findings evidence.
    controls: Vec<&'static crate::rules::compliance::Mapping>,
}

impl<'a> From<&'a RuleMeta> for RuleJson<'a> {
    fn from(m: &'a RuleMeta) -> Self {
        RuleJson {
            id: m.id,
            title: m.title,
            severity: m.severity,
            category: m.category,
            seed: m.seed,
            rationale: m.rationale,
            remediation: m.remediation,
            links: m.links,
            controls: crate::rules::compliance::controls(m.id).collect(),
        }
    }
}

/// What `rdpaudit rules -o json` prints.
pub(crate) fn json() -> Result<String, serde_json::Error> {
    let doc = RulesDoc {
        rules: CATALOGUE.iter().map(|r| RuleJson::from(r.meta)).collect(),
        frameworks: crate::rules::compliance::FRAMEWORKS,
    };
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// `docs/rules.md` (a test keeps the file in step).
pub fn markdown() -> String {
    let mut s = String::from(
        "# Rule catalogue\n\n<!-- Generated from src/rules/ by `cargo test --test docs` with \
         UPDATE_DOCS=1. Do not edit by hand. -->\n\n\
         Every finding rdpaudit reports comes from one of these rules. `rdpaudit explain ID` prints \
         one rule; `rdpaudit rules -o json` prints them all. Severities are the defaults; \
         `--fail-on` sets the exit-code threshold, `--category` filters.\n\n",
    );
    s.push_str(&format!(
        "| {} |\n|{}\n",
        INDEX_HEADER.join(" | "),
        "---|".repeat(INDEX_HEADER.len())
    ));
    for r in CATALOGUE {
        let [id, sev, cat, title] = index_row(r.meta);
        s.push_str(&format!(
            "| [{id}](#{}) | {sev} | {cat} | {title} |\n",
            id.to_lowercase()
        ));
    }
    for r in CATALOGUE {
        s.push_str(&rule_text(r.meta, Medium::Markdown));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    fn meta(id: &str) -> &'static RuleMeta {
        rules::find(id).expect("rule").meta
    }

    #[test]
    fn explain_shows_every_part_in_order() {
        let m = meta("RDP401");
        let text = explain(m);
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(text.starts_with(&format!("RDP401 — {}\n", m.title)));
        assert!(at("Severity: ") < at(m.seed));
        assert!(at(m.seed) < at("Why it matters"));
        assert!(at("Why it matters") < at("How to fix"));
        assert!(at("How to fix") < at("Example finding"));
        assert!(at("Example finding") < at("Learn more"));
        assert!(text.ends_with(&format!("  {}\n", m.links[m.links.len() - 1])));
    }

    #[test]
    fn docs_have_every_rule_once_with_the_probe_note_only_on_rdp2() {
        let md = markdown();
        for r in CATALOGUE {
            let section = format!("\n## {}\n", r.meta.id);
            assert_eq!(md.matches(&section).count(), 1, "{}", r.meta.id);
            assert!(md.contains(&format!("| [{}](#", r.meta.id)));
        }
        let notes = md.matches("*Needs `--probe`").count();
        let probe_rules = CATALOGUE.iter().filter(|r| needs_probe(r.meta)).count();
        assert!(probe_rules > 0);
        assert_eq!(notes, probe_rules);
        assert!(!explain(meta("RDP201")).contains("--probe`"));
    }

    #[test]
    fn table_and_json_list_every_rule() {
        let t = table();
        let doc: serde_json::Value = serde_json::from_str(&json().expect("json")).expect("parse");
        let listed = doc["rules"].as_array().expect("rules");
        assert_eq!(listed.len(), CATALOGUE.len());
        for (r, j) in CATALOGUE.iter().zip(listed) {
            assert!(t.contains(r.meta.id));
            assert_eq!(j["id"], r.meta.id);
            assert_eq!(j["severity"], r.meta.severity.as_str());
        }
    }
}
