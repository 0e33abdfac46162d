//! RDP802 — RDP is open to a wide range of Internet addresses.
//!
//! Raised when RDP admits more than 256 public addresses in total (wider than a /24) but not
//! the whole Internet; the message lists the allowed ranges.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP802",
    title: "RDP is open to a wide range of Internet addresses",
    severity: Severity::Medium,
    category: Category::Exposure,
    seed: "Exposure: CIS Microsoft Azure Foundations 'RDP access from the Internet is restricted' \
        (broad source ranges)",
    rationale: "RDP is not open to the whole Internet, but the allowed sources add up to more \
        than 256 public addresses. Ranges that wide usually include networks you do not control \
        (cloud providers, ISPs, shared offices), which weakens the restriction CIS asks for.",
    remediation: "az network nsg rule update --resource-group <rg> --nsg-name <nsg> --name <rule> \
        --source-address-prefixes <admin public IP>/32 <office range>/28\n\
        Or remove the standing rule and use just-in-time access or Azure Bastion",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview",
        "https://learn.microsoft.com/en-us/azure/defender-for-cloud/just-in-time-access-overview",
        "https://learn.microsoft.com/en-us/azure/bastion/bastion-overview",
    ],
    example: "nsg-web rule AllowRDP-Partners (priority 310) admits tcp/3389 from 198.51.0.0/16 \
        and 203.0.113.0/24 (65,792 addresses)",
    needs: &[],
    defers_to: &["RDP801"],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let exposed = cx.vm.exposed();
    let count = exposed.count_v4();
    let wide_v6 = exposed.v6.count() > 256;
    if count <= 256 && !wide_v6 {
        return Vec::new();
    }
    let care = crate::engine::tags::public_space();
    // The widest allow rule on an exposed path: narrowing it is the fix the proof tries.
    let fix = cx
        .vm
        .direct_paths()
        .filter(|p| p.is_exposed())
        .find_map(|p| {
            let (nsg, _, rule) = super::deciding_internet(p, |o| o == Outcome::Allow)?;
            Some(super::fix::narrow(cx, nsg, &rule, p.delivered_port))
        });
    let finding = cx.finding(
        &RULE,
        cx.vm_id(),
        format!(
            "RDP on {} is reachable from {} public addresses: {}",
            cx.vm.name,
            count,
            super::phrases::describe_set(&exposed, &care)
        ),
        &[],
    );
    vec![match fix {
        Some(f) => finding.with_fix(f),
        None => finding,
    }]
}

use crate::engine::nsg::Outcome;
