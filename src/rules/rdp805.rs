//! RDP805 — A Bastion that reaches the VM has shareable links enabled.
//!
//! Raised when an Azure Bastion host that serves the VM's network (its NSGs admit the Bastion)
//! has `enableShareableLink` on: a link opens the VM's login page from the Internet without
//! Azure credentials (docs/decisions.md D41).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP805",
    title: "A Bastion with shareable links enabled can reach the VM",
    severity: Severity::High,
    category: Category::Exposure,
    seed: "Exposure: Azure Bastion as the alternative to a public RDP port",
    rationale: "Bastion's shareable links let a user without Azure credentials open a web page \
        that signs in to the target VM over RDP. Anyone holding a link reaches the VM's login \
        page from the Internet, with no Azure RBAC check and no NSG source filter in front of \
        it, for as long as the link exists. The feature is off by default (Standard and Premium \
        SKUs).",
    remediation: "az network bastion update --resource-group <rg> --name <bastion> \
        --enable-shareable-link false   (deleting the feature deletes every link; or delete \
        single links: portal <bastion> > Shareable links > Delete)",
    links: &[
        "https://learn.microsoft.com/en-us/azure/bastion/shareable-link",
        "https://learn.microsoft.com/en-us/azure/bastion/configuration-settings",
    ],
    example: "Bastion bas-hub has shareable links enabled and reaches vm-app-01 on tcp/3389: \
        anyone holding a link gets its login page from the Internet",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    super::bastions_reaching(cx)
        .filter(|(b, _)| b.shareable_link)
        .map(|(b, port)| {
            cx.finding(
                &RULE,
                &b.id,
                format!(
                    "Bastion {} has shareable links enabled and reaches {} on tcp/{port}: anyone \
                     holding a link gets its login page from the Internet, without Azure \
                     credentials{}",
                    b.name,
                    cx.vm.name,
                    if b.private_only {
                        " (private-only Bastion: from networks that reach its private address)"
                    } else {
                        ""
                    }
                ),
                &[("<bastion>", &b.name)],
            )
            .with_fix(super::Fix::DisableBastionFeature {
                bastion: b.id.id.clone(),
                feature: super::BastionFeature::ShareableLink,
            })
        })
        .collect()
}
