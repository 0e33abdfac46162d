//! RDP408 — An NSG on the path is not provisioned.
//!
//! Looks at `provisioningState` of every NSG on the path: raised when it is not `Succeeded`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP408",
    title: "An NSG on the path is not provisioned",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Source 4: network security groups",
    rationale: "An NSG's provisioningState reports its last control-plane operation. When it is \
        Failed (or still Updating), the last change may not have been applied, so the rules in \
        the data may differ from those in effect and the verdict built on them is uncertain. \
        Another write (PUT) of the unchanged NSG normally restores Succeeded.",
    remediation: "Get-AzNetworkSecurityGroup -Name <nsg> -ResourceGroupName <rg> | \
        Set-AzNetworkSecurityGroup\n\
        az network nsg show --resource-group <rg> --name <nsg> --query provisioningState --output \
        tsv",
    links: &["https://learn.microsoft.com/en-us/azure/networking/troubleshoot-failed-state"],
    example: "nsg-web (subnet) is in provisioning state Failed, so its rules may not be in effect",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for p in cx.vm.paths.iter() {
        for (nsg, level) in super::path_nsgs(p) {
            let state = nsg.provisioning_state.as_deref().unwrap_or("Succeeded");
            if state.eq_ignore_ascii_case("succeeded") || seen.contains(&nsg.id.key()) {
                continue;
            }
            seen.push(nsg.id.key());
            let mut f = cx.finding(
                &RULE,
                &nsg.id,
                format!(
                    "{} ({}) is in provisioning state {}: its rules may not be in effect",
                    nsg.name,
                    level.to_lowercase(),
                    state
                ),
                &[("<nsg>", &nsg.name)],
            );
            // The NSG's own group and subscription (it may live apart from the VM).
            let (sub, rg, _) = super::fix::parts(&nsg.id.id);
            let q = super::fix::quote;
            f.remediation = format!(
                "Get-AzNetworkSecurityGroup -Name {n} -ResourceGroupName {} | \
                 Set-AzNetworkSecurityGroup   (after Set-AzContext -Subscription {})\n\
                 az network nsg show {} --name {n} --query provisioningState --output tsv",
                q(&rg),
                q(&sub),
                super::fix::scope_of(&nsg.id.id),
                n = q(&nsg.name),
            );
            out.push(f);
        }
    }
    out
}
