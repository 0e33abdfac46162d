//! The RDP reachability graph of a report with its east-west sections (`rdpaudit graph`):
//! nodes are VMs and source classes, edges say who can open RDP to whom and by which rules.

use serde::Serialize;
use std::collections::BTreeMap;

use super::trace::RuleReport;
use super::Report;
use crate::engine::Verdict;

/// One node: a VM or a source class.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Stable id within the graph (`vm1`, `c1`, …).
    pub id: String,
    /// `vm`, or the class (`internet`, `vnet`, `peered`, `onPremises`, …).
    pub kind: String,
    /// What to print.
    pub label: String,
    /// The VM's or class's resource id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// For VMs: the VM's own RDP verdict from the Internet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// One edge: `from` can (or may) open RDP to `to`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// `reachable` or `unknown`.
    pub verdict: Verdict,
    /// The deciding rules (the target's inbound rules; for a VM source, its outbound ones too).
    pub rules: Vec<String>,
    /// The source VM is itself reachable from the Internet (the edge is a second hop, RDP812).
    pub stepping_stone: bool,
}

/// The graph.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Graph {
    /// VMs and source classes.
    pub nodes: Vec<Node>,
    /// Who can RDP to whom.
    pub edges: Vec<Edge>,
}

fn rule_label(r: &RuleReport) -> String {
    format!("{}/{} ({})", r.nsg, r.rule, r.priority)
}

impl Graph {
    /// The graph of every VM of the report that has an east-west section.
    pub fn of(report: &Report) -> Graph {
        let mut g = Graph::default();
        let mut vm_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut class_ids: BTreeMap<(String, String), String> = BTreeMap::new();
        for vm in &report.vms {
            let id = format!("vm{}", vm_ids.len() + 1);
            vm_ids.insert(vm.id.id.to_ascii_lowercase(), id.clone());
            g.nodes.push(Node {
                id,
                kind: "vm".into(),
                label: vm.name.clone(),
                resource_id: Some(vm.id.id.to_string()),
                verdict: Some(vm.rdp.verdict),
            });
        }
        for vm in &report.vms {
            let Some(l) = &vm.lateral else { continue };
            let to = vm_ids[&vm.id.id.to_ascii_lowercase()].clone();
            for c in &l.sources {
                let key = (c.class.to_string(), c.name.clone());
                let next = format!("c{}", class_ids.len() + 1);
                let from = class_ids.entry(key).or_insert_with(|| {
                    g.nodes.push(Node {
                        id: next.clone(),
                        kind: c.class.to_string(),
                        label: format!("{}: {}", c.class, c.name),
                        resource_id: c.resource_id.clone(),
                        verdict: None,
                    });
                    next.clone()
                });
                g.edges.push(Edge {
                    from: from.clone(),
                    to: to.clone(),
                    verdict: c.verdict,
                    rules: c
                        .rules
                        .iter()
                        .filter_map(|i| report.lateral_rules.get(*i).map(rule_label))
                        .collect(),
                    stepping_stone: false,
                });
            }
            for e in &l.from_vms {
                let key = e.id.to_ascii_lowercase();
                let next = format!("vm{}", vm_ids.len() + 1);
                let from = vm_ids.entry(key).or_insert_with(|| {
                    g.nodes.push(Node {
                        id: next.clone(),
                        kind: "vm".into(),
                        label: e.name.clone(),
                        resource_id: Some(e.id.clone()),
                        verdict: None,
                    });
                    next.clone()
                });
                g.edges.push(Edge {
                    from: from.clone(),
                    to: to.clone(),
                    verdict: e.verdict,
                    // Each side in evaluation order: its admin rule (when one decided),
                    // then its NSG rules.
                    rules: {
                        let labels = |ix: &[usize]| -> Vec<String> {
                            ix.iter()
                                .filter_map(|i| report.lateral_rules.get(*i).map(rule_label))
                                .collect()
                        };
                        e.outbound_admin
                            .iter()
                            .cloned()
                            .chain(labels(&e.outbound))
                            .chain(e.inbound_admin.iter().cloned())
                            .chain(labels(&e.inbound))
                            .collect()
                    },
                    stepping_stone: e.stepping_stone,
                });
            }
        }
        g
    }

    /// Graphviz dot (`dot -Tsvg`): VMs as boxes, classes as ellipses; an edge from a stepping
    /// stone is red, an unknown edge dashed.
    pub fn dot(&self) -> String {
        let mut s =
            String::from("digraph rdp {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for n in &self.nodes {
            let shape = if n.kind == "vm" { "box" } else { "ellipse" };
            let color = match (n.kind.as_str(), n.verdict) {
                ("vm", Some(Verdict::Reachable)) => ", color=red",
                ("internet", _) => ", color=red",
                _ => "",
            };
            s.push_str(&format!(
                "  {} [label={}, shape={shape}{color}];\n",
                n.id,
                quote(&n.label)
            ));
        }
        for e in &self.edges {
            let mut attrs = vec![format!("label={}", quote(&e.rules.join("\\n")))];
            if e.verdict == Verdict::Unknown {
                attrs.push("style=dashed".into());
            }
            if e.stepping_stone {
                attrs.push("color=red".into());
            }
            s.push_str(&format!(
                "  {} -> {} [{}];\n",
                e.from,
                e.to,
                attrs.join(", ")
            ));
        }
        s.push_str("}\n");
        s
    }

    /// A Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for n in &self.nodes {
            let label = n.label.replace('"', "'");
            if n.kind == "vm" {
                s.push_str(&format!("  {}[\"{label}\"]\n", n.id));
            } else {
                s.push_str(&format!("  {}([\"{label}\"])\n", n.id));
            }
        }
        for e in &self.edges {
            let arrow = if e.verdict == Verdict::Unknown {
                "-.->"
            } else {
                "-->"
            };
            let label = e.rules.join(", ").replace('"', "'").replace('|', "/");
            if label.is_empty() {
                s.push_str(&format!("  {} {arrow} {}\n", e.from, e.to));
            } else {
                s.push_str(&format!("  {} {arrow}|\"{label}\"| {}\n", e.from, e.to));
            }
        }
        s
    }

    /// Nodes and edges as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into()) + "\n"
    }
}

/// A dot string literal.
fn quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("\\\\n", "\\n");
    format!("\"{escaped}\"")
}
