//! The east-west section of a VM's report (`--lateral`): the source classes that reach its RDP
//! and the VMs that can open RDP to it, each with the deciding rules (docs/decisions.md D42–D47).

use std::collections::HashMap;

use serde::Serialize;

use super::trace::{access, rule_report, RuleReport};
use crate::engine::lateral::classes::{ClassReach, Decider};
use crate::engine::lateral::eastwest::{Edge, Side};
use crate::engine::lateral::VmLateral;
use crate::engine::{Verdict, VmAnalysis};

/// Per VM: who inside (and outside) can reach its RDP.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LateralReport {
    /// The source classes that can (or may) open RDP.
    pub sources: Vec<SourceClassReport>,
    /// The VMs that can (or may) open RDP to this one.
    pub from_vms: Vec<VmEdgeReport>,
    /// `check --from`: the one source traced hop by hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<super::trace::TraceReport>,
}

/// One class of sources.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceClassReport {
    /// `internet`, `vnet`, `peered`, `onPremises`, `pointToSite`, `bastion`, `azurePlatform`.
    pub class: &'static str,
    /// The subnet, peering, local gateway, gateway or Bastion.
    pub name: String,
    /// Its resource id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The gateway the class arrives over (and the transit peering).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The connection's `connectionStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<String>,
    /// `reachable` (some source surely can) or `unknown`.
    pub verdict: Verdict,
    /// Minimal CIDRs that can open RDP.
    pub allowed_sources: Vec<String>,
    /// CIDRs the data cannot decide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_sources: Vec<String>,
    /// Why part of the class is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The deciding rules: indices into the report's `lateralRules`.
    pub rules: Vec<usize>,
}

/// A VM that can open RDP to this one.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmEdgeReport {
    /// The source VM's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `reachable` or `unknown`.
    pub verdict: Verdict,
    /// The source VM's RDP is itself reachable from the Internet (a stepping stone, RDP812).
    pub stepping_stone: bool,
    /// The source's private address.
    pub source_ip: String,
    /// This VM's address it reaches.
    pub target_ip: String,
    /// The source's NIC and subnet NSG outbound rules that decide: indices into the report's
    /// `lateralRules`.
    pub outbound: Vec<usize>,
    /// What the source VNet's outbound security admin rules did, when one decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_admin: Option<String>,
    /// What routing does with the flow.
    pub route: String,
    /// What this VNet's inbound security admin rules did, when one decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound_admin: Option<String>,
    /// This VM's subnet and NIC NSG inbound rules that decide: indices into `lateralRules`.
    pub inbound: Vec<usize>,
}

/// The NSG rules the east-west sections name, each once per report: sections refer to them by
/// index (an estate's edges repeat a few rules hundreds of thousands of times).
#[derive(Debug, Default)]
pub(crate) struct RuleTable {
    rules: Vec<RuleReport>,
    by_content: HashMap<RuleReport, usize>,
    /// (NSG, rule) addresses in the model → index: no text built for a rule seen before.
    by_ptr: HashMap<(usize, usize), usize>,
}

impl RuleTable {
    fn add(&mut self, r: RuleReport) -> usize {
        let next = self.rules.len();
        *self.by_content.entry(r.clone()).or_insert_with(|| {
            self.rules.push(r);
            next
        })
    }

    fn add_at(&mut self, nsg: &crate::model::Nsg, rule: &crate::model::SecurityRule) -> usize {
        let key = (
            std::ptr::from_ref(nsg) as usize,
            std::ptr::from_ref(rule) as usize,
        );
        if let Some(i) = self.by_ptr.get(&key) {
            return *i;
        }
        let i = self.add(RuleReport {
            nsg: nsg.name.clone(),
            nsg_id: nsg.id.id.clone(),
            rule: rule.name.clone(),
            priority: rule.priority,
            access: access(rule.access),
        });
        self.by_ptr.insert(key, i);
        i
    }

    /// The table, in the order rules were first named.
    pub(crate) fn into_rules(self) -> Vec<RuleReport> {
        self.rules
    }
}

fn side(s: &Side<'_>, outbound: bool, table: &mut RuleTable) -> Vec<usize> {
    // The order packets meet them: outbound NIC then subnet, inbound subnet then NIC.
    let levels = if outbound {
        [&s.nic, &s.subnet]
    } else {
        [&s.subnet, &s.nic]
    };
    levels
        .into_iter()
        .flatten()
        .filter_map(|at| Some(table.add_at(at.nsg, at.rule?)))
        .collect()
}

fn rules(ds: &[Decider<'_>], table: &mut RuleTable) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for d in ds {
        if let Some(r) = rule_report(d.nsg, &d.part) {
            let i = table.add(r);
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out
}

fn class_report(c: &ClassReach<'_>, table: &mut RuleTable) -> SourceClassReport {
    SourceClassReport {
        class: c.kind.as_str(),
        name: c.name.clone(),
        resource_id: c.resource.as_ref().map(|r| r.id.clone()),
        via: c.via.clone(),
        connection_status: c.status.clone(),
        verdict: if c.reachable.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Reachable
        },
        allowed_sources: c
            .reachable
            .to_cidrs()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        unknown_sources: c.unknown.to_cidrs().iter().map(|n| n.to_string()).collect(),
        reason: c
            .note
            .as_ref()
            .map(|n| super::words::class_note(n, c.open_admitted)),
        rules: rules(&c.rules, table),
    }
}

fn edge_report(
    e: &Edge<'_>,
    all: &[VmAnalysis<'_>],
    table: &mut RuleTable,
) -> Option<VmEdgeReport> {
    let from = all.get(e.from)?;
    Some(VmEdgeReport {
        id: from.id.id.clone(),
        name: from.name.clone(),
        verdict: e.verdict,
        stepping_stone: from.is_exposed(),
        source_ip: e.from_ip.to_string(),
        target_ip: e.to_ip.to_string(),
        outbound: side(&e.outbound, true, table),
        outbound_admin: super::words::lateral::admin_at(&e.outbound.admin),
        route: super::words::route_fate(&e.route),
        inbound_admin: super::words::lateral::admin_at(&e.inbound.admin),
        inbound: side(&e.inbound, false, table),
    })
}

/// The east-west section of one VM; the rules it names go into `table`.
pub(crate) fn report(
    l: &VmLateral<'_>,
    all: &[VmAnalysis<'_>],
    table: &mut RuleTable,
) -> LateralReport {
    LateralReport {
        sources: l.classes.iter().map(|c| class_report(c, table)).collect(),
        from_vms: l
            .edges
            .iter()
            .filter_map(|e| edge_report(e, all, table))
            .collect(),
        trace: l.trace.as_ref().map(|t| super::trace::report(t, all)),
    }
}
