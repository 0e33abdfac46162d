//! `generate --hub-spoke`: per subscription, a hub VNet with a VPN gateway (point-to-site pool,
//! a site-to-site connection to a local network gateway) and an Internet-exposed Windows jump
//! box, peered with every VNet of the subscription (the spokes use the hub's gateway). Peerings
//! are written as their own resources (`…/virtualNetworkPeerings/…`, as a peering GET returns
//! them), so the spoke bodies stay as they are.

use serde_json::{json, Value};

use super::estate::Estate;
use super::gen::Gen;

impl Gen<'_> {
    /// The hub of subscription number `k` and its peerings with every VNet of `e`.
    pub(super) fn hub_spoke(&mut self, e: &Estate<'_>, k: usize) -> std::io::Result<()> {
        let sid = e.sid;
        let region = e.vnets.first().map(|v| v.region).unwrap_or("westeurope");
        let rg = format!("/subscriptions/{sid}/resourceGroups/rg-hub/providers/Microsoft.Network");
        let o3 = (k % 32) * 8;
        let space = format!("10.255.{o3}.0/21");
        let hub_id = format!("{rg}/virtualNetworks/vnet-hub");
        let gw_id = format!("{rg}/virtualNetworkGateways/vpngw-hub");
        let jump_nic = format!("{rg}/networkInterfaces/nic-jump-hub");
        let jump_ipc = format!("{jump_nic}/ipConfigurations/ipconfig1");
        let mut peerings = Vec::new();
        for v in &e.vnets {
            let spoke = v.id(sid);
            let name = v.name();
            peerings.push(peering(
                &format!("{hub_id}/virtualNetworkPeerings/hub-to-{name}"),
                &spoke,
                &v.space(),
                true,
                false,
            ));
            self.emit(peering(
                &format!("{spoke}/virtualNetworkPeerings/{name}-to-hub"),
                &hub_id,
                &space,
                false,
                true,
            ))?;
        }
        for p in peerings {
            self.emit(p)?;
        }
        self.emit(json!({
            "name": "vnet-hub", "id": hub_id, "type": "Microsoft.Network/virtualNetworks", "location": region,
            "properties": {"provisioningState": "Succeeded", "addressSpace": {"addressPrefixes": [space]},
              "subnets": [
                {"name": "GatewaySubnet", "id": format!("{hub_id}/subnets/GatewaySubnet"),
                 "properties": {"addressPrefix": format!("10.255.{o3}.0/27"),
                   "ipConfigurations": [{"id": format!("{gw_id}/ipConfigurations/gwipconfig1")}]}},
                {"name": "snet-jump", "id": format!("{hub_id}/subnets/snet-jump"),
                 "properties": {"addressPrefix": format!("10.255.{}.0/24", o3 + 1),
                   "ipConfigurations": [{"id": jump_ipc}]}}
              ]}
        }))?;
        self.emit(json!({
            "name": "vpngw-hub", "id": gw_id, "type": "Microsoft.Network/virtualNetworkGateways", "location": region,
            "properties": {"provisioningState": "Succeeded", "gatewayType": "Vpn", "vpnType": "RouteBased", "enableBgp": false,
              "ipConfigurations": [{"name": "gwipconfig1", "id": format!("{gw_id}/ipConfigurations/gwipconfig1"),
                "properties": {"subnet": {"id": format!("{hub_id}/subnets/GatewaySubnet")}}}],
              "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": [format!("172.16.{}.0/24", k % 256)]}}}
        }))?;
        let lgw = format!("{rg}/localNetworkGateways/lgw-office");
        self.emit(json!({
            "name": "lgw-office", "id": lgw, "type": "Microsoft.Network/localNetworkGateways", "location": region,
            "properties": {"provisioningState": "Succeeded", "gatewayIpAddress": "198.51.100.10",
              "localNetworkAddressSpace": {"addressPrefixes": [format!("192.168.{}.0/24", k % 256)]}}
        }))?;
        self.emit(json!({
            "name": "cn-hub-office", "id": format!("{rg}/connections/cn-hub-office"), "type": "Microsoft.Network/connections",
            "location": region,
            "properties": {"provisioningState": "Succeeded", "connectionType": "IPsec", "connectionStatus": "Connected",
              "virtualNetworkGateway1": {"id": gw_id}, "localNetworkGateway2": {"id": lgw}}
        }))?;
        self.jump_box(&rg, &hub_id, o3, k, region)
    }

    fn jump_box(
        &mut self,
        rg: &str,
        hub_id: &str,
        o3: usize,
        k: usize,
        region: &str,
    ) -> std::io::Result<()> {
        let sub_rg = rg.trim_end_matches("/providers/Microsoft.Network");
        let nic = format!("{rg}/networkInterfaces/nic-jump-hub");
        let nsg = format!("{rg}/networkSecurityGroups/nsg-jump-hub");
        let pip = format!("{rg}/publicIPAddresses/pip-jump-hub");
        self.emit(json!({
            "name": "vm-jump-hub", "id": format!("{sub_rg}/providers/Microsoft.Compute/virtualMachines/vm-jump-hub"),
            "type": "Microsoft.Compute/virtualMachines", "location": region,
            "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"},
              "storageProfile": {"osDisk": {"osType": "Windows", "name": "vm-jump-hub-osdisk", "createOption": "FromImage"}},
              "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true}}]},
              "provisioningState": "Succeeded",
              "instanceView": {"statuses": [{"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}]}}
        }))?;
        self.emit(json!({
            "name": "nic-jump-hub", "id": nic, "type": "Microsoft.Network/networkInterfaces", "location": region,
            "properties": {"networkSecurityGroup": {"id": nsg}, "ipConfigurations": [{"name": "ipconfig1",
              "id": format!("{nic}/ipConfigurations/ipconfig1"),
              "properties": {"primary": true, "privateIPAddress": format!("10.255.{}.4", o3 + 1), "privateIPAllocationMethod": "Static",
                "subnet": {"id": format!("{hub_id}/subnets/snet-jump")}, "publicIPAddress": {"id": pip}}}]}
        }))?;
        self.emit(json!({
            "name": "pip-jump-hub", "id": pip, "type": "Microsoft.Network/publicIPAddresses", "location": region,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"provisioningState": "Succeeded", "publicIPAllocationMethod": "Static",
              "ipAddress": format!("20.250.{}.10", k % 256),
              "ipConfiguration": {"id": format!("{nic}/ipConfigurations/ipconfig1")}}
        }))?;
        self.emit(json!({
            "name": "nsg-jump-hub", "id": nsg, "type": "Microsoft.Network/networkSecurityGroups", "location": region,
            "properties": {"provisioningState": "Succeeded", "securityRules": [{"name": "AllowRDPFromInternet",
              "properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389",
                "sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*", "access": "Allow",
                "priority": 300, "direction": "Inbound"}}],
              "networkInterfaces": [{"id": nic}]}
        }))
    }
}

/// One side of a hub-spoke peering: the hub offers its gateway, the spoke uses it.
fn peering(id: &str, remote: &str, space: &str, transit: bool, use_remote: bool) -> Value {
    let name = id.rsplit('/').next().unwrap_or_default();
    json!({
        "name": name, "id": id, "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "properties": {"provisioningState": "Succeeded", "peeringState": "Connected", "peeringSyncLevel": "FullyInSync",
          "remoteVirtualNetwork": {"id": remote}, "remoteAddressSpace": {"addressPrefixes": [space]},
          "allowVirtualNetworkAccess": true, "allowForwardedTraffic": true,
          "allowGatewayTransit": transit, "useRemoteGateways": use_remote}
    })
}
