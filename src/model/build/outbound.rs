//! The default outbound rules every NSG has, for bodies that omit `defaultSecurityRules`.

use super::*;

/// `AllowVnetOutBound`, `AllowInternetOutBound`, `DenyAllOutBound`
/// (<https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview#outbound>).
pub(super) fn default_outbound_rules() -> Vec<SecurityRule> {
    let rule =
        |name: &str, priority: u32, access: Access, src: AddrSpec, dst: AddrSpec| SecurityRule {
            name: name.into(),
            priority,
            access,
            protocol: Protocol::Any,
            source: src,
            source_ports: PortSet::all(),
            destination: dst,
            destination_ports: PortSet::all(),
            is_default: true,
            description: None,
        };
    let tag = |t: ServiceTag| AddrSpec {
        tags: vec![t],
        ..AddrSpec::default()
    };
    let any = || AddrSpec {
        any: true,
        ..AddrSpec::default()
    };
    vec![
        rule(
            "AllowVnetOutBound",
            65000,
            Access::Allow,
            tag(ServiceTag::VirtualNetwork),
            tag(ServiceTag::VirtualNetwork),
        ),
        rule(
            "AllowInternetOutBound",
            65001,
            Access::Allow,
            any(),
            tag(ServiceTag::Internet),
        ),
        rule("DenyAllOutBound", 65500, Access::Deny, any(), any()),
    ]
}
