//! RDP410 — A security admin rule always allows RDP, bypassing the NSGs.
//!
//! Raised when an Azure Virtual Network Manager security admin rule with access `AlwaysAllow`
//! admits RDP on a path to the VM: the traffic is delivered without NSG evaluation, so no NSG
//! change can close it (docs/decisions.md D32).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};
use crate::engine::admin::AdminOutcome;

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP410",
    title: "A security admin rule always allows RDP, bypassing the NSGs",
    severity: Severity::Medium,
    category: Category::Exposure,
    seed: "Source 4: network security groups (Azure Virtual Network Manager security admin rules \
        are evaluated before them)",
    rationale: "A security admin rule with access AlwaysAllow delivers matching traffic directly \
        to the VM and ends evaluation: the NSGs on the subnet and the NIC are not consulted. RDP \
        is therefore admitted for the rule's sources whatever the NSGs say, and no NSG change can \
        close it; the fix is in the network manager.",
    remediation: "Ask the owner of network manager <manager> to narrow or remove rule <rule> \
        (security admin configuration <configuration>, rule collection <collection>), or change \
        its access to Allow so the NSGs decide; then redeploy: az network manager post-commit \
        --resource-group <manager rg> --name <manager> --commit-type SecurityAdmin \
        --target-locations <region> --configuration-ids <configuration id>",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network-manager/concept-security-admins",
        "https://learn.microsoft.com/en-us/azure/virtual-network-manager/how-to-create-security-admin-rule",
    ],
    example: "security admin rule allow-rdp-ops (priority 20, AlwaysAllow) in network manager \
        nm-corp admits tcp/3389 to vm-ops-01 from 0.0.0.0/0 without consulting the NSGs",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    for p in &cx.vm.paths {
        let ev = if p.kind.is_direct() {
            &p.internet
        } else {
            &p.client
        };
        let Some(part) = super::doors::admin_part(ev, AdminOutcome::AlwaysAllow) else {
            continue;
        };
        let Some(r) = &part.rule else { continue };
        let extra = [
            ("<manager>", r.manager.clone().unwrap_or_default()),
            (
                "<configuration>",
                r.configuration.clone().unwrap_or_default(),
            ),
            ("<collection>", r.collection.clone().unwrap_or_default()),
            ("<rule>", r.name.clone()),
        ];
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fix = super::Fix::SetAdminRuleAccess {
            rule: r.id.clone(),
            access: super::AdminAccess::Allow,
            region: cx.vm.location.clone(),
        };
        return vec![cx
            .finding(
                &RULE,
                &r.id,
                format!(
                    "{} admits tcp/{} to {} from {} without consulting the NSGs",
                    super::doors::admin_rule_text(r),
                    p.delivered_port,
                    cx.vm.name,
                    super::doors::judged_text(ev, &part.set)
                ),
                &extra,
            )
            .with_fix(fix)];
    }
    Vec::new()
}
