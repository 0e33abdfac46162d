//! The east-west section of a VM's report (`--lateral`): the source classes that reach its RDP
//! and the VMs that can open RDP to it, each with the deciding rules (docs/decisions.md D42–D47).

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
    /// The deciding rules.
    pub rules: Vec<RuleReport>,
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
    /// The source's NIC and subnet NSG outbound rules that decide.
    pub outbound: Vec<RuleReport>,
    /// What routing does with the flow.
    pub route: String,
    /// This VM's subnet and NIC NSG inbound rules that decide.
    pub inbound: Vec<RuleReport>,
}

fn side(s: &Side<'_>, outbound: bool) -> Vec<RuleReport> {
    // The order packets meet them: outbound NIC then subnet, inbound subnet then NIC.
    let levels = if outbound {
        [&s.nic, &s.subnet]
    } else {
        [&s.subnet, &s.nic]
    };
    levels
        .into_iter()
        .flatten()
        .filter_map(|at| {
            let r = at.rule?;
            Some(RuleReport {
                nsg: at.nsg.name.clone(),
                nsg_id: at.nsg.id.id.clone(),
                rule: r.name.clone(),
                priority: r.priority,
                access: access(r.access),
            })
        })
        .collect()
}

fn rules(ds: &[Decider<'_>]) -> Vec<RuleReport> {
    let mut out: Vec<RuleReport> = Vec::new();
    for d in ds {
        if let Some(r) = rule_report(d.nsg, &d.part) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

fn class_report(c: &ClassReach<'_>) -> SourceClassReport {
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
        rules: rules(&c.rules),
    }
}

fn edge_report(e: &Edge<'_>, all: &[VmAnalysis<'_>]) -> Option<VmEdgeReport> {
    let from = all.get(e.from)?;
    Some(VmEdgeReport {
        id: from.id.id.clone(),
        name: from.name.clone(),
        verdict: e.verdict,
        stepping_stone: !from.exposed().is_empty(),
        source_ip: e.from_ip.to_string(),
        target_ip: e.to_ip.to_string(),
        outbound: side(&e.outbound, true),
        route: super::words::route_fate(&e.route),
        inbound: side(&e.inbound, false),
    })
}

/// The east-west section of one VM.
pub(crate) fn report(l: &VmLateral<'_>, all: &[VmAnalysis<'_>]) -> LateralReport {
    LateralReport {
        sources: l.classes.iter().map(class_report).collect(),
        from_vms: l.edges.iter().filter_map(|e| edge_report(e, all)).collect(),
        trace: l.trace.as_ref().map(|t| super::trace::report(t, all)),
    }
}
