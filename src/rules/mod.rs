//! The rule catalogue (`spec/rules.md`): one file per rule, each with its metadata (`RULE`) and
//! a pure `check` over one VM's analysis. Ids are fixed; `docs/rules.md` is generated from here.

pub mod compliance;
pub mod meta;

mod rdp101;
mod rdp102;
mod rdp103;
mod rdp104;
mod rdp105;
mod rdp106;
mod rdp201;
mod rdp202;
mod rdp203;
mod rdp204;
mod rdp301;
mod rdp302;
mod rdp303;
mod rdp304;
mod rdp401;
mod rdp402;
mod rdp403;
mod rdp404;
mod rdp405;
mod rdp406;
mod rdp407;
mod rdp408;
mod rdp501;
mod rdp502;
mod rdp503;
mod rdp504;
mod rdp505;
mod rdp506;
mod rdp601;
mod rdp602;
mod rdp603;
mod rdp604;
mod rdp605;
mod rdp606;
mod rdp701;
mod rdp702;
mod rdp703;
mod rdp801;
mod rdp802;
mod rdp803;
mod rdp804;

pub use meta::{Category, RuleMeta, Severity};

use crate::engine::analyze::{PathAnalysis, Slot, VmAnalysis};
use crate::engine::nsg::{Outcome, Part};
use crate::model::{Model, Nsg};

/// One finding of one rule on one VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// One sentence naming the resource and the deciding rule, no trailing period.
    pub message: String,
    /// The resource to fix.
    pub resource_id: String,
    /// The rule's remediation with this VM's names filled in.
    pub remediation: String,
    pub suppressed: bool,
}

/// What a check sees.
pub struct Cx<'a, 'm> {
    pub vm: &'a VmAnalysis<'m>,
    pub model: &'m Model,
}

impl Cx<'_, '_> {
    /// A finding with the remediation's `<rg>` and `<vm>` placeholders filled in, plus `extra`.
    pub fn finding(
        &self,
        rule: &'static RuleMeta,
        resource_id: &str,
        message: String,
        extra: &[(&str, &str)],
    ) -> Finding {
        let mut remediation = rule
            .remediation
            .replace("<rg>", &self.vm.resource_group)
            .replace("<vm>", &self.vm.name);
        for (k, v) in extra {
            remediation = remediation.replace(k, v);
        }
        Finding {
            rule,
            message,
            resource_id: resource_id.to_string(),
            remediation,
            suppressed: false,
        }
    }

    pub fn vm_id(&self) -> &str {
        &self.vm.id.id
    }
}

pub type CheckFn = fn(&Cx<'_, '_>) -> Vec<Finding>;

/// A rule: its metadata and its check.
pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: CheckFn,
}

macro_rules! catalogue {
    ($($m:ident),* $(,)?) => {
        /// Every rule, in id order.
        pub static CATALOGUE: &[Rule] = &[$(Rule { meta: &$m::RULE, check: $m::check }),*];
    };
}

catalogue!(
    rdp101, rdp102, rdp103, rdp104, rdp105, rdp106, rdp201, rdp202, rdp203, rdp204, rdp301, rdp302,
    rdp303, rdp304, rdp401, rdp402, rdp403, rdp404, rdp405, rdp406, rdp407, rdp408, rdp501, rdp502,
    rdp503, rdp504, rdp505, rdp506, rdp601, rdp602, rdp603, rdp604, rdp605, rdp606, rdp701, rdp702,
    rdp703, rdp801, rdp802, rdp803, rdp804,
);

/// Looks a rule up by id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Rule> {
    CATALOGUE
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id.trim()))
}

/// Runs every rule on one VM; findings sorted by severity (highest first) then rule id.
pub fn check_vm(vm: &VmAnalysis<'_>, model: &Model) -> Vec<Finding> {
    let cx = Cx { vm, model };
    let mut out: Vec<Finding> = CATALOGUE.iter().flat_map(|r| (r.check)(&cx)).collect();
    out.sort_by(|a, b| {
        b.rule
            .severity
            .cmp(&a.rule.severity)
            .then(a.rule.id.cmp(b.rule.id))
            .then(a.message.cmp(&b.message))
    });
    out.dedup();
    out
}

// ---- helpers shared by checks ---------------------------------------------------------------

/// Direct ARM paths (public IP and NAT rule).
pub(crate) fn arm_paths<'a, 'm>(cx: &'a Cx<'a, 'm>) -> impl Iterator<Item = &'a PathAnalysis<'m>> {
    cx.vm.paths.iter().filter(|p| {
        matches!(
            p.kind,
            crate::engine::PathKind::PublicIp | crate::engine::PathKind::NatRule
        )
    })
}

/// The NSGs on a path with their level name.
pub(crate) fn path_nsgs<'m>(p: &PathAnalysis<'m>) -> Vec<(&'m Nsg, &'static str)> {
    let mut v = Vec::new();
    if let Slot::Present(n) = p.subnet_nsg {
        v.push((n, "subnet"));
    }
    if let Slot::Present(n) = p.nic_nsg {
        v.push((n, "NIC"));
    }
    v
}

/// The deciding (NSG, level, part) of the largest part of a path's client evaluation with the
/// given outcome filter; the NIC level is preferred when it decided (it is the last word).
pub(crate) fn deciding<'p, 'm>(
    p: &'p PathAnalysis<'m>,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, &'p Part)> {
    deciding_in(p, &p.client, want)
}

/// Like [`deciding`], on the Internet evaluation (exposure rules), returning the rule.
pub(crate) fn deciding_internet<'m>(
    p: &PathAnalysis<'m>,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, crate::engine::nsg::RuleRef)> {
    let (nsg, level, part) = deciding_in(p, &p.internet, want)?;
    Some((nsg, level, part.rule.clone()?))
}

fn deciding_in<'p, 'm>(
    p: &PathAnalysis<'m>,
    ev: &'p crate::engine::analyze::NetEval,
    want: impl Fn(Outcome) -> bool,
) -> Option<(&'m Nsg, &'static str, &'p Part)> {
    let mut best: Option<(&'m Nsg, &'static str, &'p Part)> = None;
    for pp in ev.parts.iter().filter(|pp| want(pp.outcome)) {
        let (nsg, level, part) = match (&pp.nic, &p.nic_nsg, &pp.subnet, &p.subnet_nsg) {
            (Some(np), Slot::Present(n), _, _) if want(np.outcome) => (*n, "NIC", np),
            (_, _, Some(sp), Slot::Present(n)) if want(sp.outcome) => (*n, "subnet", sp),
            (Some(np), Slot::Present(n), _, _) => (*n, "NIC", np),
            _ => continue,
        };
        let bigger = best.is_none_or(|(_, _, b)| part.set.count_v4() > b.set.count_v4());
        if bigger {
            best = Some((nsg, level, part));
        }
    }
    best
}

/// `rule (priority N)` or `(end of rules)`.
pub(crate) fn rule_text(part: &Part) -> String {
    match &part.rule {
        Some(r) => format!("{} (priority {})", r.name, r.priority),
        None => "the end of its rule list".into(),
    }
}

/// The client as a message names it.
pub(crate) fn client_text(cx: &Cx<'_, '_>) -> String {
    if cx.vm.client_label == "internet" {
        "any Internet address".into()
    } else {
        cx.vm.client_label.clone()
    }
}

/// Is this a just-in-time rule (Defender for Cloud names them `SecurityCenter-JITRule…`)?
/// The naming is not documented (semantics.md §10.9): used to label a reason only.
pub(crate) fn is_jit(name: &str) -> bool {
    name.to_ascii_lowercase()
        .starts_with("securitycenter-jitrule")
}

/// `docs/rules.md`, generated from the catalogue (a test keeps the file in step).
pub fn catalogue_markdown() -> String {
    let mut s = String::from(
        "# Rule catalogue\n\n<!-- Generated from src/rules/ by `cargo test --test docs` with \
         UPDATE_DOCS=1. Do not edit by hand. -->\n\n\
         Every finding rdpaudit reports comes from one of these rules. `rdpaudit explain ID` prints \
         one rule; `rdpaudit rules -o json` prints them all. Severities are the defaults; \
         `--fail-on` sets the exit-code threshold, `--category` filters.\n\n\
         | Rule | Severity | Category | Title |\n|---|---|---|---|\n",
    );
    for r in CATALOGUE {
        s.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} |\n",
            r.meta.id,
            r.meta.id.to_lowercase(),
            r.meta.severity.as_str(),
            r.meta.category.as_str(),
            r.meta.title
        ));
    }
    for r in CATALOGUE {
        let m = r.meta;
        s.push_str(&format!(
            "\n## {}\n\n**{}** — {} · {}\n\n*From the article:* {}\n\n{}\n\n**Fix:**\n\n```\n{}\n```\n\n**Example finding:** {}\n\n",
            m.id,
            m.title,
            m.severity.as_str(),
            m.category.as_str(),
            m.seed,
            m.rationale,
            m.remediation,
            m.example
        ));
        if m.id.starts_with("RDP2") {
            s.push_str("*Needs `--probe` (a live test from this machine); not raised by offline audits.*\n\n");
        }
        for l in m.links {
            s.push_str(&format!("- <{l}>\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_sorted_and_complete() {
        let ids: Vec<&str> = CATALOGUE.iter().map(|r| r.meta.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "ids must be unique and in order");
        // spec/rules.md's 40, plus RDP204 (the probe and the data disagree; issue 5).
        assert_eq!(ids.len(), 41);
        for r in CATALOGUE {
            assert!(!r.meta.title.ends_with('.'), "{}", r.meta.id);
            assert!(!r.meta.example.ends_with('.'), "{}", r.meta.id);
            assert!(!r.meta.links.is_empty(), "{}", r.meta.id);
            assert!(!r.meta.remediation.is_empty(), "{}", r.meta.id);
        }
    }
}
