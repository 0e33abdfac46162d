//! RDP304 — The endpoint ACL cannot be verified.
//!
//! Raised when the RDP endpoint carries no `endpointAcl` in the data: live ARM does not
//! expose classic endpoint ACLs.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP304",
    title: "The endpoint ACL cannot be verified",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Source 3: cloud service endpoint and ACL",
    rationale: "Azure Resource Manager does not expose classic endpoint ACLs, and the data has \
        none for this endpoint. rdpaudit does not treat a missing ACL as open: the endpoint's \
        verdict stays unknown until the ACL is supplied.",
    remediation: "Get-AzureVM -ServiceName <cloud service> -Name <vm> | Get-AzureAclConfig \
        -EndpointName RemoteDesktop\n\
        Then add the rules to the snapshot as \
        properties.networkProfile.inputEndpoints[].endpointAcl and run rdpaudit again",
    links: &[
        "https://learn.microsoft.com/en-us/previous-versions/azure/virtual-network/virtual-networks-acl",
    ],
    example: "endpoint RemoteDesktop on vm-legacy-01 has no ACL in the data, so whether it admits \
        the client is unknown",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    cx.vm
        .paths
        .iter()
        .filter_map(|p| p.endpoint)
        .filter(|ep| ep.acl.is_none())
        .map(|ep| {
            cx.finding(
                &RULE,
                cx.vm_id(),
                format!("the ACL of endpoint {} on {} is not visible in the data: it cannot be verified", ep.name, cx.vm.name),
                &[],
            )
        })
        .collect()
}
