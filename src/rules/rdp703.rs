//! RDP703 — A BGP default route could divert RDP replies.
//!
//! Raised when the VM's VNet has (or uses) a gateway and route propagation is enabled on the
//! subnet's route table (or the subnet has none).

use super::meta::{Category, RuleMeta, Severity};
use super::{Cx, Finding};

pub(crate) const RULE: RuleMeta = RuleMeta {
    id: "RDP703",
    title: "A BGP default route could divert RDP replies",
    severity: Severity::Info,
    category: Category::Connectivity,
    seed: "Extends source 4: routing of the reply (not in the article)",
    rationale: "With a VPN or ExpressRoute gateway and route propagation enabled, the on-premises \
        side can advertise a 0.0.0.0/0 route over BGP (forced tunnelling). Such a route appears \
        in no route table resource, only in the NIC's effective routes, and it sends replies to \
        Internet clients into the tunnel, breaking RDP through a public IP.",
    remediation: "az network nic show-effective-route-table --resource-group <rg> --name <nic> \
        --output table\n\
        If a 0.0.0.0/0 route comes from the gateway: az network route-table update \
        --resource-group <rg> --name <route table> --disable-bgp-route-propagation true",
    links: &[
        "https://learn.microsoft.com/en-us/azure/virtual-network/virtual-networks-udr-overview",
        "https://learn.microsoft.com/en-us/azure/virtual-network/diagnose-network-routing-problem",
    ],
    example: "vnet-spoke has gateway vgw-hub and subnet app propagates its routes, so a BGP \
        default route could divert RDP replies",
    needs: &[],
    defers_to: &[],
};

pub(crate) fn check(cx: &Cx<'_, '_>) -> Vec<Finding> {
    let Some((vnet, subnet)) = cx.vm.place else {
        return Vec::new();
    };
    if super::arm_paths(cx).next().is_none() {
        return Vec::new();
    }
    let gateway_subnet = vnet.subnets.iter().any(|s| {
        // ARM lists a subnet's ipConfigurations only when it has some: an empty
        // GatewaySubnet (no gateway deployed) comes without the key.
        s.name.eq_ignore_ascii_case("GatewaySubnet") && s.ip_config_count.is_some_and(|n| n > 0)
    });
    let remote_gateway = vnet
        .peerings
        .iter()
        .any(|p| p.connected && p.use_remote_gateways);
    if !gateway_subnet && !remote_gateway {
        return Vec::new();
    }
    let table = subnet
        .route_table
        .as_ref()
        .and_then(|r| cx.model.route_tables.get(&r.key()));
    if table.is_some_and(|t| t.disable_bgp_propagation) {
        return Vec::new();
    }
    let f = cx.finding(
        &RULE,
        &vnet.id,
        format!(
            "{} {} and subnet {} propagates gateway routes: a default route learned over BGP could divert RDP replies",
            vnet.name,
            if gateway_subnet { "has a virtual network gateway" } else { "uses a peer's gateway" },
            subnet.name
        ),
        &[("<vnet>", &vnet.name), ("<subnet>", &subnet.name)],
    );
    vec![advice(cx, f, vnet, subnet, table)]
}

/// The template with the primary NIC and the subnet's route table (or one to create), each
/// named with its own group and subscription.
fn advice(
    cx: &Cx<'_, '_>,
    mut f: Finding,
    vnet: &crate::model::Vnet,
    subnet: &crate::model::Subnet,
    table: Option<&crate::model::RouteTable>,
) -> Finding {
    let q = super::fix::quote;
    let Some((nic, _)) = cx.vm.arm.and_then(|v| v.nics.first()) else {
        return f;
    };
    let disable = match table {
        Some(t) => format!(
            "az network route-table update {} --name {} --disable-bgp-route-propagation true",
            super::fix::scope_of(&t.id.id),
            q(&t.name)
        ),
        None => {
            let scope = super::fix::scope_of(&vnet.id.id);
            let rt = q(&format!("{}-rt", subnet.name));
            format!(
                "az network route-table create {scope} --name {rt} \
                 --disable-bgp-route-propagation true\n\
                 az network vnet subnet update {scope} --vnet-name {} --name {} --route-table {rt}",
                q(&vnet.name),
                q(&subnet.name)
            )
        }
    };
    f.remediation = format!(
        "az network nic show-effective-route-table {} --name {} --output table\n\
         If a 0.0.0.0/0 route comes from the gateway: {disable}",
        super::fix::scope_of(&nic.id),
        q(nic.name())
    );
    f
}
