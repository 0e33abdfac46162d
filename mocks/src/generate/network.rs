//! Network resource bodies: public IPs, Bastions, VNets, NSGs, route tables and load balancers,
//! with their back-links, as live ARM returns them.

use super::estate::{Estate, NsgKind, VmIds};
use super::gen::Gen;
use super::routes::routes;
use super::rules::{default_rules, rule_body, rules};
use super::tables::PUBLIC_FIRST_OCTETS;
use rand::RngExt;
use serde_json::{json, Map, Value};

fn ids(ids: impl Iterator<Item = String>) -> Vec<Value> {
    ids.map(|id| json!({ "id": id })).collect()
}

impl Gen<'_> {
    fn next_public_ip(&mut self) -> String {
        let c = self.pip_counter;
        self.pip_counter += 1;
        let first = PUBLIC_FIRST_OCTETS[c % PUBLIC_FIRST_OCTETS.len()];
        let rest = c / 6;
        format!(
            "{first}.{}.{}.{}",
            64 + (rest >> 16) % 160,
            (rest >> 8) & 0xff,
            1 + (rest & 0xff) % 254
        )
    }

    /// Emits a public IP `name` with id `id`, attached to the IP configuration `attached_to`.
    /// A dynamic Basic address of a deallocated VM has no address.
    pub(super) fn public_ip(
        &mut self,
        id: &str,
        name: &str,
        region: &str,
        standard: bool,
        attached_to: &str,
        deallocated: bool,
    ) -> std::io::Result<()> {
        let dynamic = !standard && self.chance(0.5);
        let mut props = Map::new();
        props.insert("provisioningState".into(), json!("Succeeded"));
        props.insert("resourceGuid".into(), json!(self.uuid()));
        let address = self.next_public_ip();
        if !(dynamic && deallocated) {
            props.insert("ipAddress".into(), json!(address));
        }
        props.insert("publicIPAddressVersion".into(), json!("IPv4"));
        props.insert(
            "publicIPAllocationMethod".into(),
            json!(if dynamic { "Dynamic" } else { "Static" }),
        );
        props.insert("idleTimeoutInMinutes".into(), json!(4));
        props.insert("ipTags".into(), json!([]));
        if self.chance(0.35) {
            let label = format!(
                "{}-{:04x}",
                name.trim_start_matches("pip-"),
                self.rng.random_range(0..0xffffu32)
            );
            props.insert(
                "dnsSettings".into(),
                json!({"domainNameLabel": label, "fqdn": format!("{label}.{region}.cloudapp.azure.com")}),
            );
        }
        let reference = self.reference(attached_to);
        props.insert("ipConfiguration".into(), json!({"id": reference}));
        let mut body = json!({
            "name": name, "id": id, "etag": self.etag(), "location": region,
            "type": "Microsoft.Network/publicIPAddresses",
            "properties": props,
        });
        if let Some(o) = body.as_object_mut() {
            // Live ARM omits `sku` on some old Basic addresses.
            if standard || self.rng.random_bool(0.7) {
                o.insert("sku".into(), json!({"name": if standard { "Standard" } else { "Basic" }, "tier": "Regional"}));
            }
            if standard && self.rng.random_bool(0.3) {
                o.insert("zones".into(), json!(["1", "2", "3"]));
            }
        }
        self.emit(body)
    }

    /// Emits the Bastion of VNet `vi` (in its subnet `si`) and its public IP.
    pub(super) fn bastion(
        &mut self,
        e: &mut Estate<'_>,
        vi: usize,
        si: usize,
    ) -> std::io::Result<()> {
        let vnet = &e.vnets[vi];
        let name = vnet.bastion_name();
        let id = vnet.bastion_id(e.sid);
        let ipc = format!("{id}/bastionHostIpConfigurations/IpConf");
        let pip_name = format!("pip-{name}");
        let pip = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/publicIPAddresses/{pip_name}",
            e.sid,
            vnet.net_rg()
        );
        let region = vnet.region;
        let subnet_id = format!("{}/subnets/AzureBastionSubnet", vnet.id(e.sid));
        self.public_ip(&pip, &pip_name, region, true, &ipc, false)?;
        e.vnets[vi].subnets[si].bastion = true;
        let standard = self.chance(0.5);
        // Bastion variants without drawing from the generator (estates stay as they were): every
        // other Standard Bastion has shareable links, every third IP-based connection.
        let shareable = standard && (vi / 25) % 2 == 1;
        let ip_connect = standard && (vi / 25) % 3 == 1;
        let body = json!({
            "name": name, "id": id, "etag": self.etag(), "location": region,
            "type": "Microsoft.Network/bastionHosts",
            "sku": {"name": if standard { "Standard" } else { "Basic" }},
            "properties": {
                "provisioningState": "Succeeded",
                "dnsName": format!("bst-{}.bastion.azure.com", self.uuid()),
                "scaleUnits": 2,
                "enableTunneling": standard,
                "enableIpConnect": ip_connect,
                "enableShareableLink": shareable,
                "enableKerberos": false,
                "disableCopyPaste": false,
                "ipConfigurations": [{
                    "name": "IpConf", "id": ipc, "etag": self.etag(),
                    "type": "Microsoft.Network/bastionHosts/bastionHostIpConfigurations",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateIPAllocationMethod": "Dynamic",
                        "publicIPAddress": {"id": pip},
                        "subnet": {"id": subnet_id}
                    }
                }]
            }
        });
        self.emit(body)
    }

    pub(super) fn vnet_body(&mut self, e: &Estate<'_>, vi: usize) -> Value {
        let vnet = &e.vnets[vi];
        let vnet_id = vnet.id(e.sid);
        let subnets: Vec<Value> = vnet
            .subnets
            .iter()
            .map(|s| {
                let mut ip_configs = ids(s.vms.iter().map(|&i| VmIds::new(e.sid, vnet, i).ipc_id));
                if s.bastion {
                    ip_configs.push(json!({
                        "id": format!("{}/bastionHostIpConfigurations/IpConf", vnet.bastion_id(e.sid))
                    }));
                }
                let mut props = json!({
                    "provisioningState": "Succeeded",
                    "addressPrefix": s.prefix(),
                    "delegations": [],
                    "privateEndpointNetworkPolicies": "Disabled",
                    "privateLinkServiceNetworkPolicies": "Enabled",
                    "ipConfigurations": ip_configs
                });
                if let Some(o) = props.as_object_mut() {
                    if let Some(n) = s.nsg {
                        o.insert("networkSecurityGroup".into(), json!({"id": e.nsg_id(n)}));
                    }
                    if let Some(r) = s.route_table {
                        o.insert("routeTable".into(), json!({"id": e.route_table_id(r)}));
                    }
                    if s.name == "snet-data" {
                        o.insert("defaultOutboundAccess".into(), json!(false));
                    }
                }
                json!({
                    "name": s.name, "id": format!("{vnet_id}/subnets/{}", s.name), "etag": self.etag(),
                    "type": "Microsoft.Network/virtualNetworks/subnets", "properties": props
                })
            })
            .collect();
        json!({
            "name": vnet.name(), "id": vnet_id, "etag": self.etag(), "location": vnet.region,
            "type": "Microsoft.Network/virtualNetworks",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": self.uuid(),
                "addressSpace": {"addressPrefixes": [vnet.space()]},
                "subnets": subnets,
                "virtualNetworkPeerings": [],
                "enableDdosProtection": false
            }
        })
    }

    pub(super) fn nsg_body(&mut self, e: &Estate<'_>, n: usize) -> Value {
        let nsg = &e.nsgs[n];
        let vnet = &e.vnets[nsg.vnet];
        let id = e.nsg_id(n);
        let rules: Vec<Value> = rules(&mut nsg.rules_rng.clone(), &e.asgs[vnet.ri])
            .iter()
            .map(|r| rule_body(&mut self.rng, &id, r))
            .collect();
        let defaults: Vec<Value> = default_rules(&id)
            .into_iter()
            .map(|mut d| {
                if let Some(o) = d.as_object_mut() {
                    o.insert("etag".into(), json!(self.etag()));
                }
                d
            })
            .collect();
        let subnets = match nsg.kind {
            NsgKind::Subnet(si) => vec![json!({"id": vnet.subnet_id(e.sid, si)})],
            NsgKind::Nic(_) => Vec::new(),
        };
        json!({
            "name": e.nsg_name(n), "id": id, "etag": self.etag(), "location": vnet.region,
            "type": "Microsoft.Network/networkSecurityGroups",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": self.uuid(),
                "securityRules": rules,
                "defaultSecurityRules": defaults,
                "subnets": subnets,
                "networkInterfaces": ids(nsg.nics.iter().map(|&i| VmIds::new(e.sid, vnet, i).nic_id))
            }
        })
    }

    pub(super) fn route_table_body(&mut self, e: &Estate<'_>, r: usize) -> Value {
        let rt = &e.rts[r];
        let vnet = &e.vnets[rt.vnet];
        let id = e.route_table_id(r);
        let routes = routes(
            &mut rt.routes_rng.clone(),
            &id,
            vnet.subnets[0].base,
            rt.nva,
        );
        json!({
            "name": e.route_table_name(r), "id": id, "etag": self.etag(), "location": vnet.region,
            "type": "Microsoft.Network/routeTables",
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": self.uuid(),
                "disableBgpRoutePropagation": rt.disable_bgp,
                "routes": routes,
                "subnets": [{"id": vnet.subnet_id(e.sid, rt.subnet)}]
            }
        })
    }

    /// The inbound NAT rules of load balancer `l`: one per VM behind it, and sometimes a
    /// new-style rule mapping a frontend port range onto the backend pool.
    fn nat_rules(&mut self, e: &Estate<'_>, l: usize, lb_id: &str) -> Vec<Value> {
        let lb = &e.lbs[l];
        let vnet = &e.vnets[lb.vnet];
        let fe = format!("{lb_id}/frontendIPConfigurations/fe-public");
        let mut out: Vec<Value> = lb
            .nat_rules
            .iter()
            .map(|r| {
                let vm = VmIds::new(e.sid, vnet, r.vm);
                let name = format!("rdp-{}", vm.name);
                json!({
                    "name": name, "id": format!("{lb_id}/inboundNatRules/{name}"), "etag": self.etag(),
                    "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "frontendIPConfiguration": {"id": fe},
                        "frontendPort": r.frontend_port,
                        "backendPort": r.backend_port,
                        "enableFloatingIP": false,
                        "idleTimeoutInMinutes": 4,
                        "protocol": "Tcp",
                        "enableDestinationServiceEndpoint": false,
                        "enableTcpReset": lb.standard,
                        "allowBackendPortConflict": false,
                        "backendIPConfiguration": {"id": self.reference(&vm.ipc_id)}
                    }
                })
            })
            .collect();
        if lb.range_rule {
            out.push(json!({
                "name": "rdp-range", "id": format!("{lb_id}/inboundNatRules/rdp-range"), "etag": self.etag(),
                "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": {"id": fe},
                    "frontendPortRangeStart": 60000, "frontendPortRangeEnd": 60099,
                    "backendPort": 3389, "protocol": "Tcp", "enableFloatingIP": false,
                    "idleTimeoutInMinutes": 4, "enableTcpReset": lb.standard,
                    "backendAddressPool": {"id": format!("{lb_id}/backendAddressPools/be-pool")}
                }
            }));
        }
        out
    }

    pub(super) fn lb_body(&mut self, e: &Estate<'_>, l: usize) -> Value {
        let lb = &e.lbs[l];
        let vnet = &e.vnets[lb.vnet];
        let id = e.lb_id(l);
        let name = e.lb_name(l);
        let pip = e.app_public_ip_id(lb.vnet, &format!("pip-{name}"));
        let fe = format!("{id}/frontendIPConfigurations/fe-public");
        let pool = format!("{id}/backendAddressPools/be-pool");
        let probe = format!("{id}/probes/probe-443");
        let lbr = format!("{id}/loadBalancingRules/https");
        let nat_rules = self.nat_rules(e, l, &id);
        let nat_ids: Vec<Value> = nat_rules.iter().map(|r| json!({"id": r["id"]})).collect();
        // Drawn in the order the body lists them, as before load-balancing rules were added.
        let (lb_etag, guid, fe_etag, pool_etag) =
            (self.etag(), self.uuid(), self.etag(), self.etag());
        let (rule_etag, probe_etag) = (self.etag(), self.etag());
        let mut lb_rules = vec![json!({
            "name": "https", "id": lbr, "etag": rule_etag,
            "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
            "properties": {
                "provisioningState": "Succeeded",
                "frontendIPConfiguration": {"id": fe},
                "frontendPort": 443, "backendPort": 443, "enableFloatingIP": false,
                "idleTimeoutInMinutes": 4, "protocol": "Tcp", "loadDistribution": "Default",
                "disableOutboundSnat": lb.standard, "enableTcpReset": lb.standard,
                "backendAddressPool": {"id": pool}, "backendAddressPools": [{"id": pool}],
                "probe": {"id": probe}
            }
        })];
        // Every other load balancer also forwards RDP to its whole pool with a load-balancing
        // rule (frontend 3391 → 3389), decided without drawing from the generator.
        if l % 2 == 1 {
            let rdp = format!("{id}/loadBalancingRules/rdp-lb");
            lb_rules.push(json!({
                "name": "rdp-lb", "id": rdp,
                "type": "Microsoft.Network/loadBalancers/loadBalancingRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": {"id": fe},
                    "frontendPort": 3391, "backendPort": 3389, "enableFloatingIP": false,
                    "idleTimeoutInMinutes": 4, "protocol": "Tcp", "loadDistribution": "Default",
                    "disableOutboundSnat": lb.standard, "enableTcpReset": lb.standard,
                    "backendAddressPool": {"id": pool}
                }
            }));
        }
        let lb_rule_ids: Vec<Value> = lb_rules.iter().map(|r| json!({"id": r["id"]})).collect();
        let members = ids(lb
            .nat_rules
            .iter()
            .map(|r| VmIds::new(e.sid, vnet, r.vm).ipc_id));
        json!({
            "name": name, "id": id, "etag": lb_etag, "location": vnet.region,
            "type": "Microsoft.Network/loadBalancers",
            "sku": {"name": if lb.standard { "Standard" } else { "Basic" }, "tier": "Regional"},
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": guid,
                "frontendIPConfigurations": [{
                    "name": "fe-public", "id": fe, "etag": fe_etag,
                    "type": "Microsoft.Network/loadBalancers/frontendIPConfigurations",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "privateIPAllocationMethod": "Dynamic",
                        "publicIPAddress": {"id": pip},
                        "inboundNatRules": nat_ids,
                        "loadBalancingRules": lb_rule_ids.clone()
                    }
                }],
                "backendAddressPools": [{
                    "name": "be-pool", "id": pool, "etag": pool_etag,
                    "type": "Microsoft.Network/loadBalancers/backendAddressPools",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "backendIPConfigurations": members,
                        "loadBalancingRules": lb_rule_ids
                    }
                }],
                "loadBalancingRules": lb_rules,
                "probes": [{
                    "name": "probe-443", "id": probe, "etag": probe_etag,
                    "type": "Microsoft.Network/loadBalancers/probes",
                    "properties": {"provisioningState": "Succeeded", "protocol": "Tcp", "port": 443, "intervalInSeconds": 5, "numberOfProbes": 2, "probeThreshold": 1, "loadBalancingRules": [{"id": lbr}]}
                }],
                "inboundNatRules": nat_rules,
                "inboundNatPools": [],
                "outboundRules": []
            }
        })
    }
}
