//! `rules` and `explain`.

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

use super::args::RulesFormat;
use super::{exit, print, Fatal};
use crate::rules::{self, RuleMeta, CATALOGUE};

#[derive(Serialize)]
struct RulesDoc<'a> {
    rules: Vec<RuleJson<'a>>,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: &'a str,
    severity: rules::Severity,
    category: rules::Category,
    seed: &'a str,
    rationale: &'a str,
    remediation: &'a str,
    links: &'a [&'a str],
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
        }
    }
}

pub fn rules(format: RulesFormat) -> Result<i32, Fatal> {
    match format {
        RulesFormat::Json => {
            let doc = RulesDoc {
                rules: CATALOGUE.iter().map(|r| RuleJson::from(r.meta)).collect(),
            };
            print(&(serde_json::to_string_pretty(&doc)? + "\n"));
        }
        RulesFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["Rule", "Severity", "Category", "Title"]);
            for r in CATALOGUE {
                t.add_row(vec![
                    r.meta.id.to_string(),
                    r.meta.severity.as_str().to_string(),
                    r.meta.category.as_str().to_string(),
                    r.meta.title.to_string(),
                ]);
            }
            print(&format!("{t}\n"));
        }
    }
    Ok(exit::CLEAN)
}

pub fn explain(id: &str) -> Result<i32, Fatal> {
    let Some(rule) = rules::find(id) else {
        return Err(Fatal(format!(
            "unknown rule id \"{id}\"; `rdpaudit rules` lists them (RDP101 … RDP804)"
        )));
    };
    print(&explain_text(rule.meta));
    Ok(exit::CLEAN)
}

/// The text `explain` prints.
pub fn explain_text(m: &RuleMeta) -> String {
    let mut s = format!(
        "{} — {}\n\nSeverity: {}    Category: {}\nFrom the article: {}\n\nWhy it matters\n  {}\n\nHow to fix\n  {}\n\nExample finding\n  {}\n\nLearn more\n",
        m.id,
        m.title,
        m.severity.as_str(),
        m.category.as_str(),
        m.seed,
        m.rationale,
        m.remediation,
        m.example
    );
    for l in m.links {
        s.push_str(&format!("  {l}\n"));
    }
    s
}
