//! Compliance mapping as data: which framework controls each rule's findings evidence.
//!
//! Every row was checked against the framework's own text or Microsoft's regulatory-compliance
//! initiative for it (`docs/compliance.md` lists the sources row by row). A mapping we could not
//! verify is left out rather than guessed. `basis` says whose mapping it is:
//! the framework's text, Microsoft's initiative, or rdpaudit's own judgement (a threat-taxonomy
//! link no authority states), so a reader can weigh it.

use serde::Serialize;

/// A control framework rdpaudit maps to, as `--framework` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Framework {
    /// The `--framework` value, e.g. `cis-azure-3.0`.
    pub(crate) id: &'static str,
    /// Full name with version, as a report prints it.
    pub(crate) name: &'static str,
    /// Other accepted spellings of `id`.
    #[serde(skip)]
    pub(crate) aliases: &'static [&'static str],
    /// The shape of this framework's control ids.
    #[serde(skip)]
    pub(crate) ids: IdShape,
}

/// How a framework writes its control ids (checked by a test for every mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdShape {
    /// CIS recommendations: `6.1`, `7.11`, `10.3.2.2` (two to four dotted numbers).
    Dotted,
    /// Microsoft cloud security benchmark: `NS-1` (domain, dash, number).
    Mcsb,
    /// PCI DSS requirements: `1.4.2`, `A1.1.3`.
    Pci,
    /// NIST SP 800-53: `SC-7`, `SC-7(3)`.
    Nist,
    /// MITRE ATT&CK techniques: `T1133`, `T1021.001`.
    Attack,
}

/// Whose mapping a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Basis {
    /// The framework's own text describes the condition the rule detects.
    Framework,
    /// Microsoft's built-in regulatory-compliance initiative maps the equivalent Defender for
    /// Cloud policy to this control.
    Microsoft,
    /// rdpaudit's judgement (no authority states it).
    Judgement,
}

/// One control a rule's findings evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mapping {
    #[serde(skip)]
    pub(crate) rule: &'static str,
    pub(crate) framework: &'static str,
    pub(crate) control: &'static str,
    pub(crate) title: &'static str,
    pub(crate) basis: Basis,
}

const fn fw(
    id: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
    ids: IdShape,
) -> Framework {
    Framework {
        id,
        name,
        aliases,
        ids,
    }
}

/// Every framework, in the order reports list them.
pub(crate) static FRAMEWORKS: &[Framework] = &[
    fw(
        "cis-azure-1.3",
        "CIS Microsoft Azure Foundations Benchmark 1.3.0",
        &["cis-azure-1.3.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-1.4",
        "CIS Microsoft Azure Foundations Benchmark 1.4.0",
        &["cis-azure-1.4.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-2.0",
        "CIS Microsoft Azure Foundations Benchmark 2.0.0",
        &["cis-azure-2.0.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-2.1",
        "CIS Microsoft Azure Foundations Benchmark 2.1.0",
        &["cis-azure-2.1.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-3.0",
        "CIS Microsoft Azure Foundations Benchmark 3.0.0",
        &["cis-azure-3.0.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-4.0",
        "CIS Microsoft Azure Foundations Benchmark 4.0.0",
        &["cis-azure-4.0.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-5.0",
        "CIS Microsoft Azure Foundations Benchmark 5.0.0",
        &["cis-azure-5.0.0"],
        IdShape::Dotted,
    ),
    fw(
        "cis-azure-6.0",
        "CIS Microsoft Azure Foundations Benchmark 6.0.0",
        &["cis-azure-6.0.0"],
        IdShape::Dotted,
    ),
    fw(
        "mcsb-1",
        "Microsoft cloud security benchmark v1",
        &["mcsb", "mcsb-v1"],
        IdShape::Mcsb,
    ),
    fw("pci-dss-4.0", "PCI DSS v4.0", &["pci-dss-4"], IdShape::Pci),
    fw("pci-dss-4.0.1", "PCI DSS v4.0.1", &[], IdShape::Pci),
    fw(
        "nist-800-53-r5",
        "NIST SP 800-53 Rev. 5",
        &["nist-800-53-rev5", "nist-sp-800-53-r5"],
        IdShape::Nist,
    ),
    fw(
        "mitre-attack",
        "MITRE ATT&CK (Enterprise)",
        &["attack", "mitre"],
        IdShape::Attack,
    ),
];

const RDP_CIS_OLD: &str = "Ensure that RDP access is restricted from the internet";
const RDP_CIS: &str = "Ensure that RDP access from the Internet is evaluated and restricted";
const NS1: &str = "Establish network segmentation boundaries";
const NS3: &str = "Deploy firewall at the edge of enterprise network";
const PA2: &str = "Avoid standing access for user accounts and permissions";
const PCI_142: &str = "Inbound traffic from untrusted networks to trusted networks is restricted";
const PCI_131: &str = "Inbound traffic to the CDE is restricted";
const AC4: &str = "Information Flow Enforcement";
const SC7: &str = "Boundary Protection";
const SC7_3: &str = "Access Points";
const T1133: &str = "External Remote Services";
const T1021: &str = "Remote Services: Remote Desktop Protocol";
const SUBNET_NSG: &str = "Ensure subnets are associated with network security groups";

const fn m(
    rule: &'static str,
    framework: &'static str,
    control: &'static str,
    title: &'static str,
    basis: Basis,
) -> Mapping {
    Mapping {
        rule,
        framework,
        control,
        title,
        basis,
    }
}

use Basis::{Framework as F, Judgement as J, Microsoft as M};

/// Every mapping, grouped by rule. `docs/compliance.md` gives the source of each row.
pub(crate) static MAPPINGS: &[Mapping] = &[
    // RDP801: RDP open to the whole Internet — the CIS "RDP from the Internet" control in every
    // version (its id moves: 6.1, then 7.1 in 3.0, 8.1 in 4.0, 7.1 again in 5.0 and 6.0).
    m("RDP801", "cis-azure-1.3", "6.1", RDP_CIS_OLD, F),
    m("RDP801", "cis-azure-1.4", "6.1", RDP_CIS_OLD, F),
    m("RDP801", "cis-azure-2.0", "6.1", RDP_CIS, F),
    m("RDP801", "cis-azure-2.1", "6.1", RDP_CIS, F),
    m("RDP801", "cis-azure-3.0", "7.1", RDP_CIS, F),
    m("RDP801", "cis-azure-4.0", "8.1", RDP_CIS, F),
    m("RDP801", "cis-azure-5.0", "7.1", RDP_CIS, F),
    m("RDP801", "cis-azure-6.0", "7.1", RDP_CIS, F),
    m("RDP801", "mcsb-1", "NS-1", NS1, M),
    m("RDP801", "mcsb-1", "NS-3", NS3, M),
    m("RDP801", "pci-dss-4.0", "1.4.2", PCI_142, M),
    m("RDP801", "pci-dss-4.0.1", "1.3.1", PCI_131, M),
    m("RDP801", "pci-dss-4.0.1", "1.4.2", PCI_142, M),
    m("RDP801", "nist-800-53-r5", "AC-4", AC4, M),
    m("RDP801", "nist-800-53-r5", "SC-7", SC7, M),
    m("RDP801", "nist-800-53-r5", "SC-7(3)", SC7_3, M),
    m("RDP801", "mitre-attack", "T1021.001", T1021, J),
    m("RDP801", "mitre-attack", "T1133", T1133, J),
    // RDP802: open to wide public ranges — the CIS control's intent ("evaluated and restricted"),
    // although its audit procedure flags only Any/Internet sources.
    m("RDP802", "cis-azure-2.0", "6.1", RDP_CIS, J),
    m("RDP802", "cis-azure-2.1", "6.1", RDP_CIS, J),
    m("RDP802", "cis-azure-3.0", "7.1", RDP_CIS, J),
    m("RDP802", "cis-azure-4.0", "8.1", RDP_CIS, J),
    m("RDP802", "cis-azure-5.0", "7.1", RDP_CIS, J),
    m("RDP802", "cis-azure-6.0", "7.1", RDP_CIS, J),
    m("RDP802", "pci-dss-4.0", "1.4.2", PCI_142, J),
    m("RDP802", "pci-dss-4.0.1", "1.4.2", PCI_142, J),
    m("RDP802", "mitre-attack", "T1133", T1133, J),
    // RDP803: Basic public IP without any NSG.
    m("RDP803", "cis-azure-5.0", "7.11", SUBNET_NSG, F),
    m("RDP803", "cis-azure-6.0", "7.11", SUBNET_NSG, F),
    m("RDP803", "mcsb-1", "NS-1", NS1, M),
    m("RDP803", "nist-800-53-r5", "AC-4", AC4, M),
    m("RDP803", "nist-800-53-r5", "SC-7", SC7, M),
    m("RDP803", "nist-800-53-r5", "SC-7(3)", SC7_3, M),
    m("RDP803", "mitre-attack", "T1133", T1133, J),
    // RDP804: a standing rule instead of just-in-time access.
    m("RDP804", "mcsb-1", "NS-3", NS3, M),
    m("RDP804", "mcsb-1", "PA-2", PA2, M),
    m("RDP804", "nist-800-53-r5", "AC-4", AC4, M),
    m(
        "RDP804",
        "nist-800-53-r5",
        "AC-4(3)",
        "Dynamic Information Flow Control",
        M,
    ),
    m("RDP804", "nist-800-53-r5", "SC-7", SC7, M),
    m("RDP804", "nist-800-53-r5", "SC-7(3)", SC7_3, M),
    m("RDP804", "mitre-attack", "T1133", T1133, J),
    // The doors of issue 11 and the inside reach of issue 12: no framework control or Microsoft
    // policy covers them (docs/compliance.md, "The newer rules"); only the ATT&CK links are ours.
    // RDP805: a Bastion shareable link is an external remote-access path without Azure
    // credentials.
    m("RDP805", "mitre-attack", "T1133", T1133, J),
    // RDP507: a pre-authentication RDP surface (NLA off) reachable from the Internet.
    m("RDP507", "mitre-attack", "T1133", T1133, J),
    // RDP811/RDP812: RDP reachable from on-premises networks, and two-hop lateral movement.
    m("RDP811", "mitre-attack", "T1021.001", T1021, J),
    m("RDP812", "mitre-attack", "T1021.001", T1021, J),
    // RDP409 (a Deny admin rule closes RDP), RDP410 (AlwaysAllow: RDP801 carries the mappings
    // when its sources are the Internet), RDP607 (DNAT: NSG sources cannot narrow the clients)
    // and RDP806 (Bastion IP-based connection) map to nothing: no control states them.
];

/// The controls a rule's findings evidence (empty for most connectivity rules).
pub fn controls(rule: &str) -> impl Iterator<Item = &'static Mapping> + '_ {
    MAPPINGS
        .iter()
        .filter(move |m| m.rule.eq_ignore_ascii_case(rule))
}

/// Looks a framework up by `--framework` value or alias (case-insensitive).
pub(crate) fn framework(name: &str) -> Option<&'static Framework> {
    let name = name.trim();
    FRAMEWORKS.iter().find(|f| {
        f.id.eq_ignore_ascii_case(name) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// `framework:control`, the compact form findings and SARIF tags carry.
pub fn tag(m: &Mapping) -> String {
    format!("{}:{}", m.framework, m.control)
}

/// The [`tag`]s of the controls a rule's findings evidence, written once per rule and shared by
/// every finding (a finding that owned its tags held a third of a large estate's report).
pub(crate) fn tags(rule: &str) -> &'static [String] {
    static TAGS: std::sync::LazyLock<Vec<(&'static str, Vec<String>)>> =
        std::sync::LazyLock::new(|| {
            let mut by_rule: Vec<(&'static str, Vec<String>)> = Vec::new();
            for m in MAPPINGS {
                match by_rule
                    .iter_mut()
                    .find(|(r, _)| r.eq_ignore_ascii_case(m.rule))
                {
                    Some((_, list)) => list.push(tag(m)),
                    None => by_rule.push((m.rule, vec![tag(m)])),
                }
            }
            by_rule
        });
    TAGS.iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(rule))
        .map_or(&[], |(_, list)| list.as_slice())
}

impl IdShape {
    /// Whether `id` is a well-formed control id of this shape.
    #[cfg(test)]
    pub(crate) fn accepts(self, id: &str) -> bool {
        let num = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        match self {
            IdShape::Dotted => {
                let parts: Vec<&str> = id.split('.').collect();
                (2..=4).contains(&parts.len()) && parts.iter().all(|p| num(p, 2))
            }
            IdShape::Pci => {
                let parts: Vec<&str> = id.split('.').collect();
                let first = parts[0];
                let first_ok =
                    num(first, 2) || (first.len() == 2 && matches!(first, "A1" | "A2" | "A3"));
                (2..=4).contains(&parts.len()) && first_ok && parts[1..].iter().all(|p| num(p, 2))
            }
            IdShape::Mcsb => {
                const DOMAINS: [&str; 12] = [
                    "NS", "IM", "PA", "DP", "AM", "LT", "IR", "PV", "ES", "BR", "DS", "GS",
                ];
                id.split_once('-')
                    .is_some_and(|(d, n)| DOMAINS.contains(&d) && num(n, 2))
            }
            IdShape::Nist => {
                const FAMILIES: [&str; 20] = [
                    "AC", "AT", "AU", "CA", "CM", "CP", "IA", "IR", "MA", "MP", "PE", "PL", "PM",
                    "PS", "PT", "RA", "SA", "SC", "SI", "SR",
                ];
                let Some((fam, rest)) = id.split_once('-') else {
                    return false;
                };
                let (base, enh) = match rest.split_once('(') {
                    Some((b, e)) => (b, e.strip_suffix(')').map(Some).unwrap_or(Some(""))),
                    None => (rest, None),
                };
                FAMILIES.contains(&fam) && num(base, 2) && enh.is_none_or(|e| num(e, 2))
            }
            IdShape::Attack => {
                let Some(rest) = id.strip_prefix('T') else {
                    return false;
                };
                match rest.split_once('.') {
                    Some((t, sub)) => t.len() == 4 && num(t, 4) && sub.len() == 3 && num(sub, 3),
                    None => rest.len() == 4 && num(rest, 4),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rules_shared_tags_are_its_controls_in_order() {
        for rule in crate::rules::CATALOGUE {
            let owned: Vec<String> = controls(rule.meta.id).map(tag).collect();
            assert_eq!(tags(rule.meta.id), owned.as_slice(), "{}", rule.meta.id);
            assert_eq!(tags(&rule.meta.id.to_lowercase()), owned.as_slice());
        }
        assert_eq!(tags("RDP801").len(), 18, "RDP801's controls");
        assert!(tags("RDP999").is_empty());
    }

    #[test]
    fn every_mapping_names_a_rule_a_framework_and_a_well_formed_control() {
        for m in MAPPINGS {
            assert!(
                crate::rules::find(m.rule).is_some(),
                "{}: no such rule",
                m.rule
            );
            let f =
                framework(m.framework).unwrap_or_else(|| panic!("{}: no framework", m.framework));
            assert_eq!(f.id, m.framework, "mappings use the canonical id");
            assert!(
                f.ids.accepts(m.control),
                "{} {}: malformed control id",
                m.framework,
                m.control
            );
            assert!(!m.title.is_empty() && !m.title.ends_with('.'));
        }
    }

    #[test]
    fn the_newer_rules_map_only_where_a_link_was_checked() {
        let tags = |r: &str| controls(r).map(tag).collect::<Vec<_>>();
        assert_eq!(tags("RDP805"), ["mitre-attack:T1133"]);
        assert_eq!(tags("RDP507"), ["mitre-attack:T1133"]);
        assert_eq!(tags("RDP811"), ["mitre-attack:T1021.001"]);
        assert_eq!(tags("RDP812"), ["mitre-attack:T1021.001"]);
        for r in ["RDP409", "RDP410", "RDP607", "RDP806"] {
            assert!(tags(r).is_empty(), "{r}: no control was verified for it");
        }
        assert!(controls("RDP805").all(|m| m.basis == Basis::Judgement));
    }

    #[test]
    fn no_mapping_is_listed_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for m in MAPPINGS {
            assert!(seen.insert((m.rule, m.framework, m.control)), "{m:?}");
        }
    }

    #[test]
    fn control_id_shapes_accept_and_reject() {
        use IdShape::*;
        for (shape, good, bad) in [
            (
                Dotted,
                &["6.1", "7.11", "10.3.2.2"][..],
                &["6", "6.", "6.1.2.3.4", "a.1", "100.1"][..],
            ),
            (
                Mcsb,
                &["NS-1", "PA-2", "GS-10"],
                &["NS1", "XX-1", "NS-", "NS-100", "ns-1"],
            ),
            (
                Pci,
                &["1.4.2", "A1.1.3", "10.2.1.1"],
                &["1", "A4.1", "1.4.2.3.4", "B1.1"],
            ),
            (
                Nist,
                &["SC-7", "SC-7(3)", "AC-4(3)"],
                &["SC7", "ZZ-1", "SC-7(", "SC-7()", "SC-7(3"],
            ),
            (
                Attack,
                &["T1133", "T1021.001"],
                &["T113", "T1021.1", "1133", "T1021.0011"],
            ),
        ] {
            for id in good {
                assert!(shape.accepts(id), "{shape:?} should accept {id}");
            }
            for id in bad {
                assert!(!shape.accepts(id), "{shape:?} should reject {id}");
            }
        }
    }

    #[test]
    fn the_cis_rdp_control_moves_between_versions() {
        let id = |f: &str| {
            controls("RDP801")
                .find(|m| m.framework == f)
                .map(|m| m.control)
        };
        assert_eq!(id("cis-azure-2.0"), Some("6.1"));
        assert_eq!(id("cis-azure-3.0"), Some("7.1"));
        assert_eq!(id("cis-azure-4.0"), Some("8.1"));
        assert_eq!(framework("MCSB").map(|f| f.id), Some("mcsb-1"));
        assert_eq!(
            framework("cis-azure-3.0.0").map(|f| f.id),
            Some("cis-azure-3.0")
        );
    }
}
