//! The newer doors in a generated estate (`mock-arm generate --doors`): per subscription a hub
//! VNet with an Azure Firewall whose Firewall Policy (with a base policy) publishes every 25th
//! VM's RDP through DNAT — from `*`, from an IP Group, or from one range in turn — and a
//! `securityAdminRules` section with every VNet: the 2nd of every 3 with a `Deny`
//! on 3389, the 3rd of every 4 with an `AlwaysAllow` from 203.0.113.0/24, the rest without. No generator
//! draws: it follows the estate it is given, so it is as deterministic as the estate.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Adds the doors to a generated snapshot (in memory).
pub fn add_doors(snapshot: &mut Value) {
    let Some(resources) = snapshot["resources"].as_array() else {
        return;
    };
    // Per subscription: VM NICs (private IP, VNet id) in id order, and every VNet.
    let mut nics: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut vnets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut locations: BTreeMap<String, String> = BTreeMap::new();
    for r in resources {
        let id = r["id"].as_str().unwrap_or_default();
        let sub = id.split('/').nth(2).unwrap_or_default().to_string();
        let t = r["type"].as_str().unwrap_or_default().to_ascii_lowercase();
        if t == "microsoft.network/virtualnetworks" {
            vnets.entry(sub.clone()).or_default().push(id.to_string());
            locations
                .entry(sub)
                .or_insert_with(|| r["location"].as_str().unwrap_or("westeurope").to_string());
        } else if t == "microsoft.network/networkinterfaces"
            && !r["properties"]["virtualMachine"].is_null()
        {
            let c = &r["properties"]["ipConfigurations"][0]["properties"];
            if let (Some(ip), Some(subnet)) =
                (c["privateIPAddress"].as_str(), c["subnet"]["id"].as_str())
            {
                let lower = subnet.to_ascii_lowercase();
                let cut = lower.find("/subnets/").unwrap_or(subnet.len());
                nics.entry(sub)
                    .or_default()
                    .push((ip.to_string(), subnet[..cut].to_string()));
            }
        }
    }
    let mut added = Vec::new();
    let mut section = serde_json::Map::new();
    for (i, (sub, list)) in vnets.iter().enumerate() {
        let location = locations
            .get(sub)
            .cloned()
            .unwrap_or_else(|| "westeurope".into());
        let targets = nics.get(sub).cloned().unwrap_or_default();
        added.extend(hub(sub, i, &location, list, &targets));
        for (j, v) in list.iter().enumerate() {
            section.insert(v.clone(), Value::Array(admin_rules(v, j)));
        }
    }
    if let Some(arr) = snapshot["resources"].as_array_mut() {
        arr.extend(added);
    }
    snapshot["securityAdminRules"] = Value::Object(section);
}

fn admin_rules(vnet: &str, j: usize) -> Vec<Value> {
    let sub = vnet.split('/').nth(2).unwrap_or_default();
    let nm = format!("/subscriptions/{sub}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/nm-gen/securityAdminConfigurations/sac/ruleCollections/rc");
    let rule = |name: &str, access: &str, prio: u32, src: Value| {
        json!({"id": format!("{nm}/rules/{name}"), "kind": "Custom",
          "properties": {"priority": prio, "direction": "Inbound", "access": access, "protocol": "Tcp",
            "sources": [src], "destinations": [{"addressPrefix": "*", "addressPrefixType": "IPPrefix"}],
            "sourcePortRanges": ["0-65535"], "destinationPortRanges": ["3389"]}})
    };
    let mut out = Vec::new();
    if j % 3 == 1 {
        out.push(rule(
            "deny-rdp-internet",
            "Deny",
            100,
            json!({"addressPrefix": "Internet", "addressPrefixType": "ServiceTag"}),
        ));
    }
    if j % 4 == 2 {
        out.push(rule(
            "always-rdp-office",
            "AlwaysAllow",
            50,
            json!({"addressPrefix": "203.0.113.0/24", "addressPrefixType": "IPPrefix"}),
        ));
    }
    out
}

fn hub(
    sub: &str,
    i: usize,
    location: &str,
    vnets: &[String],
    targets: &[(String, String)],
) -> Vec<Value> {
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-fw-hub/providers/Microsoft.Network");
    let vnet = format!("{rg}/virtualNetworks/vnet-fw-hub");
    let fw = format!("{rg}/azureFirewalls/fw-hub");
    let pip = format!("{rg}/publicIPAddresses/pip-fw-hub");
    let (policy, base, ipg) = (
        format!("{rg}/firewallPolicies/fwp-hub"),
        format!("{rg}/firewallPolicies/fwp-base"),
        format!("{rg}/ipGroups/ipg-admins"),
    );
    let address = format!("20.200.{}.{}", (i / 250) % 250, i % 250 + 1);
    let peerings: Vec<Value> = vnets
        .iter()
        .enumerate()
        .map(|(k, v)| {
            json!({
        "name": format!("hub-to-{k}"), "id": format!("{vnet}/virtualNetworkPeerings/hub-to-{k}"),
        "properties": {"peeringState": "Connected", "remoteVirtualNetwork": {"id": v}}})
        })
        .collect();
    let rules: Vec<Value> = targets.iter().enumerate().filter(|(k, _)| k % 25 == 0).map(|(k, (ip, _))| {
        let (sources, groups) = match (k / 25) % 3 {
            0 => (json!(["*"]), json!([])),
            1 => (json!([]), json!([ipg])),
            _ => (json!(["198.51.100.0/24"]), json!([])),
        };
        json!({"ruleType": "NatRule", "name": format!("rdp-{k}"), "ipProtocols": ["TCP"],
          "sourceAddresses": sources, "sourceIpGroups": groups, "destinationAddresses": [address],
          "destinationPorts": [format!("{}", 50000 + k)], "translatedAddress": ip, "translatedPort": "3389"})
    }).collect();
    vec![
        json!({"name": "vnet-fw-hub", "id": vnet, "type": "Microsoft.Network/virtualNetworks", "location": location,
          "properties": {"addressSpace": {"addressPrefixes": ["10.255.0.0/16"]},
            "subnets": [{"name": "AzureFirewallSubnet", "id": format!("{vnet}/subnets/AzureFirewallSubnet"), "properties": {"addressPrefix": "10.255.0.0/26"}}],
            "virtualNetworkPeerings": peerings}}),
        json!({"name": "pip-fw-hub", "id": pip, "type": "Microsoft.Network/publicIPAddresses", "location": location,
          "sku": {"name": "Standard", "tier": "Regional"},
          "properties": {"ipAddress": address, "publicIPAllocationMethod": "Static", "ipConfiguration": {"id": format!("{fw}/azureFirewallIpConfigurations/ipconfig")}}}),
        json!({"name": "fw-hub", "id": fw, "type": "Microsoft.Network/azureFirewalls", "location": location,
          "properties": {"sku": {"name": "AZFW_VNet", "tier": "Standard"}, "firewallPolicy": {"id": policy},
            "ipConfigurations": [{"name": "ipconfig", "id": format!("{fw}/azureFirewallIpConfigurations/ipconfig"),
              "properties": {"privateIPAddress": "10.255.0.4", "subnet": {"id": format!("{vnet}/subnets/AzureFirewallSubnet")}, "publicIPAddress": {"id": pip}}}],
            "natRuleCollections": []}}),
        json!({"name": "fwp-base", "id": base, "type": "Microsoft.Network/firewallPolicies", "location": location,
          "properties": {"ruleCollectionGroups": [{"id": format!("{base}/ruleCollectionGroups/rcg-base")}]}}),
        json!({"name": "fwp-hub", "id": policy, "type": "Microsoft.Network/firewallPolicies", "location": location,
          "properties": {"basePolicy": {"id": base}, "ruleCollectionGroups": [{"id": format!("{policy}/ruleCollectionGroups/rcg-dnat")}]}}),
        json!({"name": "rcg-base", "id": format!("{base}/ruleCollectionGroups/rcg-base"), "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
          "properties": {"priority": 100, "ruleCollections": []}}),
        json!({"name": "rcg-dnat", "id": format!("{policy}/ruleCollectionGroups/rcg-dnat"), "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
          "properties": {"priority": 200, "ruleCollections": [{"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": "dnat-rdp",
            "priority": 100, "action": {"type": "DNAT"}, "rules": rules}]}}),
        json!({"name": "ipg-admins", "id": ipg, "type": "Microsoft.Network/ipGroups", "location": location,
          "properties": {"ipAddresses": ["203.0.113.0/24", "198.51.100.10-198.51.100.20"]}}),
    ]
}
