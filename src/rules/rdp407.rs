//! RDP407 — The verdict depends on an unexpandable service tag or ASG.
//!
//! Raised when the deciding rule uses a service tag or application security group whose
//! addresses or members the data does not show; the verdict is `unknown`.

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP407",
    title: "The verdict depends on an unexpandable service tag or ASG",
    severity: Severity::Medium,
    category: Category::Connectivity,
    seed: "Source 4: network security groups",
    rationale: "Service tags other than Internet, VirtualNetwork and AzureLoadBalancer \
        (AzureCloud, Storage.WestEurope, ...) stand for Microsoft-published ranges that the data \
        does not include, and an application security group's members are known only from the \
        NICs in the data. Whether the client matches cannot be decided, so the verdict is unknown \
        rather than a guess.",
    remediation: "az network watcher test-ip-flow --resource-group <rg> --vm <vm> --direction \
        Inbound --protocol TCP --local <VM private IP>:3389 --remote <client IP>:60000\n\
        Or expand the tag: az network list-service-tags --location <region> --query \
        \"values[?name=='<tag>'].properties.addressPrefixes\"",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview",
        "https://learn.microsoft.com/en-us/azure/virtual-network/application-security-groups",
        "https://learn.microsoft.com/en-us/azure/network-watcher/ip-flow-verify-overview",
    ],
    example: "nsg-web rule AllowAzureCloud (priority 200) admits tcp/3389 from service tag \
        AzureCloud, whose addresses the data does not show",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    use crate::engine::nsg::Outcome;
    if cx.vm.verdict == crate::engine::Verdict::Reachable {
        return Vec::new();
    }
    super::arm_paths(cx)
        .filter(|p| p.client.unusable.is_none() && !p.client.unknown.is_empty())
        .filter_map(|p| {
            let (nsg, level, part) = super::deciding(p, |o| o == Outcome::Unknown)?;
            let rule = part.maybe.as_ref().or(part.rule.as_ref())?;
            let fill = [
                (
                    "<VM private IP>:3389",
                    format!(
                        "{}:{}",
                        p.ip_config
                            .and_then(|c| c.private_ip)
                            .map_or_else(|| "<VM private IP>".to_string(), |i| i.to_string()),
                        p.delivered_port
                    ),
                ),
                (
                    "<client IP>",
                    match super::fix::client_source(&cx.vm.client_label) {
                        super::Source::Prefix(s) => {
                            s.split('/').next().unwrap_or_default().to_string()
                        }
                        super::Source::YourPublicIp => "<YOUR-PUBLIC-IP>".to_string(),
                    },
                ),
                (
                    "<region>",
                    cx.vm.location.clone().unwrap_or_else(|| "<region>".into()),
                ),
                (
                    "<tag>",
                    rule.opaque_tags
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "<tag>".into()),
                ),
                ("<nsg>", nsg.name.clone()),
            ];
            let fill: Vec<(&str, &str)> = fill.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Some(cx.finding(
                &RULE,
                &nsg.id,
                format!(
                    "{} ({}) rule {} (priority {}) decides RDP for {} but {}",
                    nsg.name,
                    level.to_lowercase(),
                    rule.name,
                    rule.priority,
                    super::client_text(cx),
                    rule.note.clone().unwrap_or_else(|| "its addresses are not in the data".into())
                ),
                &fill,
            ))
        })
        .take(1)
        .collect()
}
