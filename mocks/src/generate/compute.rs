//! VMs and their NICs: power state, subnet and private address, the way in (instance public
//! IP, load-balancer NAT rule or none), NIC NSG and ASGs, the VM body with its instance view,
//! and the guest facts `rdpaudit --guest` would record.

use super::estate::{Estate, Lb, NatRule, VmIds};
use super::gen::{Gen, GuestFacts};
use super::tables::{Image, ENVS, POWER, UBUNTU, VM_SIZES, WINDOWS_2019, WINDOWS_2022, ZONES};
use rand::seq::IndexedRandom;
use rand::RngExt;
use serde_json::{json, Value};

/// What a NIC links to: its subnet and address, the way in from outside the VNet, its NSG and
/// ASGs.
#[derive(Default)]
struct NicLinks {
    subnet_id: String,
    private_ip: String,
    public_ip: Option<String>,
    nat_rules: Vec<String>,
    pools: Vec<String>,
    nsg: Option<String>,
    asgs: Vec<String>,
}

impl Gen<'_> {
    /// Emits VM `i` (in VNet `vi`), its NIC and public IP, and records its back-links.
    pub(super) fn vm(&mut self, e: &mut Estate<'_>, i: usize, vi: usize) -> std::io::Result<()> {
        let ids = VmIds::new(e.sid, &e.vnets[vi], i);
        let linux = self.chance(0.1);
        // An `i32` roll, as the generator has always drawn it (another type draws differently).
        let roll: i32 = self.rng.random_range(0..100);
        let power = POWER
            .iter()
            .find(|(upto, _)| roll <= *upto)
            .and_then(|p| p.1);
        let deallocated = matches!(power, Some("deallocated") | Some("deallocating"));

        // Subnet and private address.
        let vnet = &mut e.vnets[vi];
        let si = *vnet.workload.choose(&mut self.rng).unwrap_or(&0);
        let subnet = &mut vnet.subnets[si];
        let host = subnet.next_host;
        subnet.next_host = if host >= 254 { 4 } else { host + 1 };
        let [a, b, c] = subnet.base;
        let private_ip = format!("{a}.{b}.{c}.{host}");
        subnet.vms.push(i);
        let subnet_id = vnet.subnet_id(e.sid, si);

        let mut links = self.ingress(e, vi, i, &ids, linux, deallocated)?;
        links.subnet_id = subnet_id;
        links.private_ip = private_ip;

        // NIC-level NSG on ~45% of NICs.
        let vnet = &e.vnets[vi];
        links.nsg = if !vnet.nic_nsgs.is_empty() && self.chance(0.45) {
            let n = *vnet
                .nic_nsgs
                .choose(&mut self.rng)
                .unwrap_or(&vnet.nic_nsgs[0]);
            e.nsgs[n].nics.push(i);
            Some(e.nsg_id(n))
        } else {
            None
        };
        let region_asgs = &e.asgs[vnet.ri];
        links.asgs = if self.chance(0.4) && !region_asgs.is_empty() {
            let k = self.rng.random_range(1..=2.min(region_asgs.len()));
            region_asgs.sample(&mut self.rng, k).cloned().collect()
        } else {
            Vec::new()
        };
        let region = vnet.region;
        let nic = self.nic_body(&ids, region, &links);
        self.emit(nic)?;

        let nic_ref = self.reference(&ids.nic_id);
        // Managed disks live in the application resource group, spelled in upper case as
        // ARM often returns it.
        let disks = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/disks",
            e.sid,
            vnet.app_rg().to_ascii_uppercase()
        );
        let body = self.vm_body(&ids, region, linux, power, &nic_ref, &disks);
        self.emit(body)?;
        if !linux && power == Some("running") {
            self.guest_facts(ids.vm_id);
        }
        Ok(())
    }

    /// Guest facts for ~5% of running Windows VMs (as `rdpaudit --guest` would record).
    fn guest_facts(&mut self, vm_id: String) {
        if !self.chance(0.05) {
            return;
        }
        let rdp_port = if self.chance(0.2) { 3390 } else { 3389 };
        let facts = GuestFacts {
            rdp_port,
            rdp_enabled: self.rng.random_bool(0.9),
            term_service_running: self.rng.random_bool(0.95),
            listening: self.rng.random_bool(0.9),
            firewall_allows_rdp: self.rng.random_bool(0.85),
            nla: self.rng.random_bool(0.8),
        };
        self.guest.insert(vm_id, facts);
    }

    /// The way in: an instance public IP, a load-balancer NAT rule (only in every fourth VNet,
    /// so load balancers stay few and well filled), or private only. Overall ~70% / ~7% / ~23%.
    fn ingress(
        &mut self,
        e: &mut Estate<'_>,
        vi: usize,
        i: usize,
        ids: &VmIds,
        linux: bool,
        deallocated: bool,
    ) -> std::io::Result<NicLinks> {
        let roll = self.rng.random_range(0..100);
        let path = match (e.vnets[vi].lb_allowed, roll) {
            (true, r) if r < 60 => 0,
            (true, r) if r < 90 => 75,
            (false, r) if r < 73 => 0,
            _ => 99,
        };
        let mut links = NicLinks::default();
        if path < 70 {
            let standard = self.chance(0.85);
            let name = format!("pip-{}", ids.name);
            let id = e.app_public_ip_id(vi, &name);
            let region = e.vnets[vi].region;
            self.public_ip(&id, &name, region, standard, &ids.ipc_id, deallocated)?;
            links.public_ip = Some(id);
        } else if path < 80 {
            let l = self.load_balancer_for(e, vi)?;
            let k = e.lbs[l].nat_rules.len() as u16;
            let frontend_port = if k == 0 && self.rng.random_bool(0.2) {
                3389
            } else {
                50001 + k
            };
            let backend_port = if linux {
                22
            } else if self.rng.random_bool(0.05) {
                3390
            } else {
                3389
            };
            let lb_id = e.lb_id(l);
            links
                .nat_rules
                .push(format!("{lb_id}/inboundNatRules/rdp-{}", ids.name));
            links
                .pools
                .push(format!("{lb_id}/backendAddressPools/be-pool"));
            e.lbs[l].nat_rules.push(NatRule {
                vm: i,
                frontend_port,
                backend_port,
            });
        }
        Ok(links)
    }

    /// The VNet's newest load balancer while it has fewer than 25 NAT rules, else a new one
    /// (emitting its public IP).
    fn load_balancer_for(&mut self, e: &mut Estate<'_>, vi: usize) -> std::io::Result<usize> {
        if let Some(&l) = e.vnets[vi].lbs.last() {
            if e.lbs[l].nat_rules.len() < 25 {
                return Ok(l);
            }
        }
        let standard = self.chance(0.8);
        let l = e.lbs.len();
        e.lbs.push(Lb {
            vnet: vi,
            k: e.vnets[vi].lbs.len(),
            standard,
            nat_rules: Vec::new(),
            range_rule: false,
        });
        e.vnets[vi].lbs.push(l);
        let name = format!("pip-{}", e.lb_name(l));
        let id = e.app_public_ip_id(vi, &name);
        let fe = format!("{}/frontendIPConfigurations/fe-public", e.lb_id(l));
        let region = e.vnets[vi].region;
        self.public_ip(&id, &name, region, standard, &fe, false)?;
        e.lbs[l].range_rule = self.chance(0.3);
        Ok(l)
    }

    fn nic_body(&mut self, ids: &VmIds, region: &str, links: &NicLinks) -> Value {
        let id_list =
            |xs: &[String]| json!(xs.iter().map(|a| json!({"id": a})).collect::<Vec<_>>());
        let mut ipc_props = json!({
            "provisioningState": "Succeeded",
            "privateIPAddress": links.private_ip,
            "privateIPAllocationMethod": if self.chance(0.2) { "Static" } else { "Dynamic" },
            "subnet": {"id": self.reference(&links.subnet_id)},
            "primary": true,
            "privateIPAddressVersion": "IPv4"
        });
        if let Some(o) = ipc_props.as_object_mut() {
            if let Some(p) = &links.public_ip {
                o.insert("publicIPAddress".into(), json!({"id": p}));
            }
            if !links.asgs.is_empty() {
                o.insert("applicationSecurityGroups".into(), id_list(&links.asgs));
            }
            if !links.nat_rules.is_empty() {
                o.insert(
                    "loadBalancerInboundNatRules".into(),
                    id_list(&links.nat_rules),
                );
                o.insert(
                    "loadBalancerBackendAddressPools".into(),
                    id_list(&links.pools),
                );
            }
        }
        let mut nic_props = json!({
            "provisioningState": "Succeeded",
            "resourceGuid": self.uuid(),
            "ipConfigurations": [{
                "name": "ipconfig1", "id": ids.ipc_id, "etag": self.etag(),
                "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties": ipc_props
            }],
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": [], "internalDomainNameSuffix": format!("{}.ax.internal.cloudapp.net", &self.uuid()[..8])},
            "macAddress": format!("00-22-48-{:02X}-{:02X}-{:02X}", self.rng.random_range(0..256u32), self.rng.random_range(0..256u32), self.rng.random_range(0..256u32)),
            "enableAcceleratedNetworking": self.chance(0.6),
            "vnetEncryptionSupported": false,
            "enableIPForwarding": false,
            "disableTcpStateTracking": false,
            "primary": true,
            "virtualMachine": {"id": self.reference(&ids.vm_id)},
            "hostedWorkloads": [],
            "tapConfigurations": [],
            "nicType": "Standard",
            "auxiliaryMode": "None",
            "auxiliarySku": "None"
        });
        if let (Some(n), Some(o)) = (&links.nsg, nic_props.as_object_mut()) {
            o.insert("networkSecurityGroup".into(), json!({"id": n}));
        }
        json!({
            "name": ids.nic_name, "id": ids.nic_id, "etag": self.etag(), "location": region,
            "type": "Microsoft.Network/networkInterfaces", "kind": "Regular",
            "properties": nic_props
        })
    }

    /// The VM body; `disks` is the resource-provider path its OS disk's id starts with.
    fn vm_body(
        &mut self,
        ids: &VmIds,
        region: &str,
        linux: bool,
        power: Option<&str>,
        nic: &str,
        disks: &str,
    ) -> Value {
        let name = &ids.name;
        let provisioning = match self.rng.random_range(0..100) {
            0 => "Failed",
            1 => "Updating",
            _ => "Succeeded",
        };
        let image: Image = if linux {
            UBUNTU
        } else if self.chance(0.6) {
            WINDOWS_2022
        } else {
            WINDOWS_2019
        };
        let (publisher, offer, sku, exact, os_name, os_version) = image;
        let os_type = if linux { "Linux" } else { "Windows" };
        let disk = format!("{name}_OsDisk_1_{}", self.uuid().replace('-', ""));
        let specialized = self.chance(0.02);
        let mut props = json!({
            "vmId": self.uuid(),
            "hardwareProfile": {"vmSize": VM_SIZES.choose(&mut self.rng).copied().unwrap_or("Standard_D2s_v5")},
            "storageProfile": {
                "imageReference": {"publisher": publisher, "offer": offer, "sku": sku, "version": "latest", "exactVersion": exact},
                "osDisk": {
                    "osType": os_type, "name": disk,
                    "createOption": if specialized { "Attach" } else { "FromImage" },
                    "caching": "ReadWrite",
                    "managedDisk": {"storageAccountType": "Premium_LRS", "id": format!("{disks}/{disk}")},
                    "deleteOption": "Delete", "diskSizeGB": if linux { 30 } else { 127 }
                },
                "dataDisks": [], "diskControllerType": "SCSI"
            },
            "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true, "deleteOption": "Detach"}}]},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}},
            "provisioningState": provisioning,
            "timeCreated": format!("2024-{:02}-{:02}T{:02}:{:02}:11.5546187+00:00", self.rng.random_range(1..=12), self.rng.random_range(1..=28), self.rng.random_range(0..24), self.rng.random_range(0..60)),
        });
        let computer = name
            .to_ascii_uppercase()
            .chars()
            .take(15)
            .collect::<String>();
        if let Some(o) = props.as_object_mut() {
            // A VM created from a specialised disk has no OS profile.
            if !specialized {
                o.insert("osProfile".into(), os_profile(linux, &computer));
            }
            if self.rng.random_bool(0.5) {
                o.insert("securityProfile".into(), json!({"uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}, "securityType": "TrustedLaunch"}));
            }
            o.insert(
                "instanceView".into(),
                self.instance_view(&computer, os_name, os_version, provisioning, power),
            );
        }
        let env = ENVS[self.rng.random_range(0..3)];
        let mut body = json!({
            "name": name, "id": ids.vm_id, "type": "Microsoft.Compute/virtualMachines", "location": region,
            "tags": {"env": env, "owner": format!("team-{}", self.rng.random_range(1..=12)), "costCenter": format!("CC{}", self.rng.random_range(1000..1100))},
            "properties": props
        });
        if self.chance(0.3) {
            if let Some(o) = body.as_object_mut() {
                let zone = ZONES[self.rng.random_range(0..3)];
                o.insert("zones".into(), json!([zone]));
            }
        }
        body
    }

    fn instance_view(
        &mut self,
        computer: &str,
        os_name: &str,
        os_version: &str,
        provisioning: &str,
        power: Option<&str>,
    ) -> Value {
        let mut statuses = vec![json!({
            "code": format!("ProvisioningState/{}", provisioning.to_ascii_lowercase()),
            "level": if provisioning == "Failed" { "Error" } else { "Info" },
            "displayStatus": format!("Provisioning {}", provisioning.to_ascii_lowercase()),
            "time": "2025-12-01T08:12:44.4566134+00:00"
        })];
        if let Some(p) = power {
            statuses.push(json!({"code": format!("PowerState/{p}"), "level": "Info", "displayStatus": format!("VM {p}")}));
        }
        let mut iv = json!({"computerName": computer, "osName": os_name, "osVersion": os_version, "hyperVGeneration": "V2", "statuses": statuses});
        if power == Some("running") {
            let ready = self.chance(0.9);
            let agent = json!({
                "vmAgentVersion": "2.7.41491.1102",
                "statuses": [{
                    "code": "ProvisioningState/succeeded",
                    "level": if ready { "Info" } else { "Warning" },
                    "displayStatus": if ready { "Ready" } else { "Not Ready" },
                    "message": if ready { "GuestAgent is running and processing the extensions." } else { "VM status blob is found but not yet populated." },
                    "time": "2026-01-15T01:58:02+00:00"
                }],
                "extensionHandlers": []
            });
            if let Some(o) = iv.as_object_mut() {
                o.insert("vmAgent".into(), agent);
            }
        }
        iv
    }
}

fn os_profile(linux: bool, computer: &str) -> Value {
    let (key, config) = if linux {
        (
            "linuxConfiguration",
            json!({"disablePasswordAuthentication": true, "provisionVMAgent": true, "patchSettings": {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}}),
        )
    } else {
        (
            "windowsConfiguration",
            json!({"provisionVMAgent": true, "enableAutomaticUpdates": true, "patchSettings": {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault", "enableHotpatching": false}}),
        )
    };
    let mut profile = json!({"computerName": computer, "adminUsername": "azureadmin", "secrets": [], "allowExtensionOperations": true, "requireGuestProvisionSignal": true});
    if let Some(p) = profile.as_object_mut() {
        p.insert(key.into(), config);
    }
    profile
}
