//! `check --from`: the traced flow as a report section and as text, hop by hop like a
//! traceroute (docs/decisions.md D45–D47).

use serde::Serialize;

use super::Report;
use crate::engine::lateral::trace::{Trace, TraceHop, TraceSource};
use crate::engine::nsg::{Outcome, Part};
use crate::engine::{Verdict, VmAnalysis};

/// One NSG rule that decides part of a flow.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    /// The NSG's name.
    pub nsg: String,
    /// The NSG's resource id.
    pub nsg_id: String,
    /// The rule's name.
    pub rule: String,
    /// Its priority.
    pub priority: u32,
    /// `allow` or `deny`.
    pub access: &'static str,
}

pub(crate) fn rule_report(nsg: &crate::model::Nsg, part: &Part) -> Option<RuleReport> {
    let r = part.rule.as_ref()?;
    Some(RuleReport {
        nsg: nsg.name.clone(),
        nsg_id: nsg.id.id.clone(),
        rule: r.name.clone(),
        priority: r.priority,
        access: access(r.access),
    })
}

pub(crate) fn access(a: crate::model::Access) -> &'static str {
    match a {
        crate::model::Access::Allow => "allow",
        crate::model::Access::Deny => "deny",
    }
}

/// The traced flow.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceReport {
    /// What `--from` named, as resolved (a VM's name, a CIDR, or the text when nothing matched).
    pub from: String,
    /// `vm`, `cidr` or `notFound`.
    pub from_kind: &'static str,
    /// The source's private address (VM sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The target's private address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_ip: Option<String>,
    /// The flow's verdict.
    pub verdict: Verdict,
    /// Each hop in the order the packet meets it.
    pub hops: Vec<TraceHopReport>,
}

/// One hop of a trace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceHopReport {
    /// `internetToSource`, `outboundAdminRules`, `outboundNicNsg`, `outboundSubnetNsg`, `route`,
    /// `inboundAdminRules`, `inboundSubnetNsg`, `inboundNicNsg` (an admin-rules hop only when an
    /// admin rule decided, and then instead of that side's NSG hops).
    pub hop: &'static str,
    /// `allow`, `deny`, `unknown`, `partial`, or `notReached`.
    pub decision: &'static str,
    /// The deciding rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleReport>,
    /// The NSG at this level (also when the end of its list decided).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsg: Option<String>,
    /// The addresses this hop is about (CIDR traces, the source's exposure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// One sentence.
    pub detail: String,
}

fn hop_name(h: TraceHop) -> &'static str {
    match h {
        TraceHop::InternetToSource => "internetToSource",
        TraceHop::OutboundNic => "outboundNicNsg",
        TraceHop::OutboundSubnet => "outboundSubnetNsg",
        TraceHop::Route => "route",
        TraceHop::InboundSubnet => "inboundSubnetNsg",
        TraceHop::InboundNic => "inboundNicNsg",
        TraceHop::OutboundAdmin => "outboundAdminRules",
        TraceHop::InboundAdmin => "inboundAdminRules",
    }
}

fn decision(o: Option<Outcome>) -> &'static str {
    o.map(Outcome::as_str).unwrap_or("notReached")
}

/// The trace of the VM's east-west section.
pub(crate) fn report(t: &Trace<'_>, all: &[VmAnalysis<'_>]) -> TraceReport {
    let (from, from_kind) = match &t.source {
        TraceSource::Vm(i) => (
            all.get(*i).map(|v| v.name.clone()).unwrap_or_default(),
            "vm",
        ),
        TraceSource::Cidr(_, text) => (text.clone(), "cidr"),
        TraceSource::NotFound(text) => (text.clone(), "notFound"),
    };
    let hops = t
        .steps
        .iter()
        .map(|s| {
            let rule = match (s.nsg, &s.part) {
                (Some(n), Some(p)) => rule_report(n, p),
                _ => None,
            };
            let detail = match s.hop {
                TraceHop::Route => s
                    .route
                    .as_ref()
                    .map(|r| match r {
                        Some(f) => super::words::route_fate(f),
                        None => "no route delivers it (Azure drops private destinations it has no route for)".into(),
                    })
                    .unwrap_or_default(),
                TraceHop::InternetToSource => format!("{from} is reachable over RDP from the Internet"),
                TraceHop::OutboundAdmin | TraceHop::InboundAdmin => s
                    .admin
                    .as_ref()
                    .and_then(super::words::lateral::admin_at)
                    .unwrap_or_default(),
                _ => match (s.nsg, &rule) {
                    (None, _) => "no NSG at this level".into(),
                    (Some(n), Some(r)) => format!("{} rule {} (priority {})", n.name, r.rule, r.priority),
                    (Some(n), None) => match s.outcome {
                        None => format!("{} is not reached", n.name),
                        Some(_) => format!("{}: the end of its rule list", n.name),
                    },
                },
            };
            TraceHopReport {
                hop: hop_name(s.hop),
                decision: decision(s.outcome),
                rule,
                nsg: s.nsg.map(|n| n.name.clone()),
                sources: s
                    .set
                    .as_ref()
                    .map(|x| {
                        // Public sets print minimally (the whole Internet as 0.0.0.0/0).
                        crate::engine::tags::minimal_cidrs(x, x)
                            .iter()
                            .map(|c| c.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                detail,
            }
        })
        .collect();
    TraceReport {
        from,
        from_kind,
        source_ip: t.from_ip.map(|i| i.to_string()),
        target_ip: t.to_ip.map(|i| i.to_string()),
        verdict: t.verdict,
        hops,
    }
}

/// `check ID --from X -o table`: the hops, numbered, then the verdict.
pub(crate) fn render(report: &Report, _color: bool) -> String {
    let mut s = String::new();
    for vm in &report.vms {
        let Some(t) = vm.lateral.as_ref().and_then(|l| l.trace.as_ref()) else {
            continue;
        };
        let from_ip = t
            .source_ip
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
        let to_ip = t
            .target_ip
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "RDP from {}{from_ip} to {}{to_ip}, port {}\n",
            t.from, vm.name, vm.rdp.port
        ));
        if t.from_kind == "notFound" {
            s.push_str(&format!("  no VM named {} and not an IP or CIDR\n", t.from));
        }
        for (i, h) in t.hops.iter().enumerate() {
            let src = if h.sources.is_empty() {
                String::new()
            } else {
                format!(" [{}]", h.sources.join(", "))
            };
            s.push_str(&format!(
                "  {:>2}  {:<18} {:<10} {}{src}\n",
                i + 1,
                h.hop,
                h.decision,
                h.detail
            ));
        }
        s.push_str(&format!("verdict: {}\n", t.verdict.as_str()));
    }
    if s.is_empty() {
        s.push_str("no trace: the VM has no private address in a known subnet\n");
    }
    s
}
