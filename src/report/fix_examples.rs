//! One example of each rule's typed fix, on made-up resources, for `rdpaudit explain ID
//! --fix-format arm|terraform`: the shape of the change before any data is read. For a finding,
//! `audit`, `check` and `fix` render the same change for the exact resource, proven.

use crate::rules::fix::{AdminAccess, BastionFeature, Fix, FixAccess, Source};

/// The example subscription and resource group.
const SCOPE: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-example";

fn id(provider_type: &str, name: &str) -> String {
    format!("{SCOPE}/providers/{provider_type}/{name}")
}

fn nsg() -> String {
    id("Microsoft.Network/networkSecurityGroups", "nsg-example")
}

/// The example fix of a rule (`None`: the rule's fix is advice only).
pub(crate) fn example(rule_id: &str) -> Option<Fix> {
    let admit = |port: u16| Fix::AddNsgRule {
        nsg: nsg(),
        name: format!("Allow-RDP-{port}-rdpaudit"),
        priority: Some(299),
        wins_over: Some(("DenyAllInbound-Custom".into(), 300)),
        access: FixAccess::Allow,
        sources: vec![Source::YourPublicIp],
        destination: "10.0.0.4".into(),
        port,
    };
    let deny = |name: &str, sources: Vec<Source>| Fix::AddNsgRule {
        nsg: nsg(),
        name: name.into(),
        priority: Some(4095),
        wins_over: Some(("AllowVnetInBound".into(), 65000)),
        access: FixAccess::Deny,
        sources,
        destination: "10.0.0.4".into(),
        port: 3389,
    };
    let narrow = || Fix::NarrowNsgRuleSources {
        nsg: nsg(),
        rule: "AllowRDP".into(),
        priority: 300,
        sources: vec![Source::YourPublicIp],
    };
    let bastion = |feature| Fix::DisableBastionFeature {
        bastion: id("Microsoft.Network/bastionHosts", "bas-example"),
        feature,
    };
    let vm = || id("Microsoft.Compute/virtualMachines", "vm-example");
    Some(match rule_id {
        "RDP101" => Fix::StartVm { vm: vm() },
        "RDP401" | "RDP403" => admit(3389),
        "RDP404" => Fix::SetNsgRuleDestination {
            nsg: nsg(),
            rule: "AllowRDP".into(),
            destination: "10.0.0.4".into(),
        },
        "RDP405" => Fix::WidenNsgRuleSourcePorts {
            nsg: nsg(),
            rule: "AllowRDP".into(),
        },
        "RDP410" => Fix::SetAdminRuleAccess {
            rule: id(
                "Microsoft.Network/networkManagers",
                "nm-example/securityAdminConfigurations/sac-example/ruleCollections/rc-example/\
                 rules/always-rdp",
            ),
            access: AdminAccess::Allow,
            region: Some("westeurope".into()),
        },
        "RDP507" => Fix::EnableNla { vm: vm() },
        "RDP603" => Fix::StaticPublicIp {
            public_ip: id("Microsoft.Network/publicIPAddresses", "pip-example"),
        },
        "RDP607" => Fix::NarrowDnatRuleSources {
            resource: id(
                "Microsoft.Network/firewallPolicies",
                "fwp-example/ruleCollectionGroups/rcg-example",
            ),
            collection: "dnat-example".into(),
            rule: "rdp-vm-example".into(),
            sources: vec![Source::YourPublicIp],
            recreate: None,
        },
        "RDP701" => Fix::AddRoute {
            route_table: id("Microsoft.Network/routeTables", "rt-example"),
            name: "Rdp-Client-Direct-rdpaudit".into(),
            prefix: Source::YourPublicIp,
        },
        "RDP801" | "RDP802" => narrow(),
        "RDP804" => Fix::DeleteNsgRule {
            nsg: nsg(),
            rule: "AllowRDP".into(),
        },
        "RDP805" => bastion(BastionFeature::ShareableLink),
        "RDP806" => bastion(BastionFeature::IpConnect),
        "RDP811" => deny(
            "Deny-RDP-3389-Gateway-rdpaudit",
            vec![Source::Prefix("192.168.0.0/16".into())],
        ),
        "RDP812" => deny(
            "Deny-RDP-From-jump-01-rdpaudit",
            vec![Source::Prefix("10.1.0.4/32".into())],
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_names_a_resource() {
        for r in crate::rules::CATALOGUE {
            if let Some(f) = example(r.meta.id) {
                assert!(f.resource().is_some(), "{}", r.meta.id);
            }
        }
        assert!(example("RDP102").is_none());
    }
}
