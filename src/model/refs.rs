//! Which resources the collected ones reference but do not contain: a pure scan of the raw
//! resources for the reference ids on a VM's network path, without building the model (live
//! collection asks this up to three times before the model is built once).
//!
//! Only the fields the path follows are read (leniently: a field of the wrong shape is skipped
//! here and reported by the model later): a VM's NICs; a NIC's NSG and, per IP configuration,
//! its subnet's VNet, public IP and load balancer (through NAT rules and backend pools); a VNet
//! subnet's NSG and route table; a load balancer frontend's public IP; a Bastion's VNet.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeSet;

use super::{IdKey, IdMap, IdSet, ResId};

#[derive(Deserialize, Default)]
struct Ref {
    id: Option<serde_json::Value>,
}

impl Ref {
    fn res(&self) -> Option<ResId> {
        match &self.id {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(ResId::new(s)),
            _ => None,
        }
    }
}

/// A JSON value that is read only when it has the expected shape.
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The value's text is borrowed (no `Value` tree is built: that was most of a live
        // collection's CPU between the lists and the admin-rule requests), then read as `T`.
        // Every caller parses from a string (`parse`), which is what lets it borrow.
        let raw = <&'de RawValue>::deserialize(d)?;
        Ok(Lenient(serde_json::from_str(raw.get()).ok()))
    }
}

impl<T> Lenient<T> {
    fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

fn refs(list: &Lenient<Vec<Lenient<Ref>>>) -> impl Iterator<Item = ResId> + '_ {
    list.get()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get().and_then(Ref::res))
}

fn one(r: &Lenient<Ref>) -> Option<ResId> {
    r.get().and_then(Ref::res)
}

#[derive(Deserialize)]
struct Head {
    id: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(bound = "P: serde::de::DeserializeOwned")]
struct Resource<P> {
    #[serde(default)]
    properties: Lenient<P>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VmProps {
    #[serde(default)]
    network_profile: Lenient<VmNetwork>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VmNetwork {
    #[serde(default)]
    network_interfaces: Lenient<Vec<Lenient<Ref>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NicProps {
    #[serde(default)]
    network_security_group: Lenient<Ref>,
    /// Set by ARM on a NIC attached to a VM.
    #[serde(default)]
    virtual_machine: Lenient<Ref>,
    #[serde(default)]
    ip_configurations: Lenient<Vec<Lenient<Child<IpConfig>>>>,
}

#[derive(Deserialize)]
#[serde(bound = "P: serde::de::DeserializeOwned")]
struct Child<P> {
    id: Option<serde_json::Value>,
    name: Option<serde_json::Value>,
    #[serde(default)]
    properties: Lenient<P>,
}

#[derive(Deserialize, Default)]
struct IpConfig {
    #[serde(default)]
    subnet: Lenient<Ref>,
    #[serde(default, rename = "publicIPAddress")]
    public_ip: Lenient<Ref>,
    #[serde(default, rename = "loadBalancerInboundNatRules")]
    nat_rules: Lenient<Vec<Lenient<Ref>>>,
    #[serde(default, rename = "loadBalancerBackendAddressPools")]
    pools: Lenient<Vec<Lenient<Ref>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VnetProps {
    #[serde(default)]
    subnets: Lenient<Vec<Lenient<Child<SubnetProps>>>>,
    #[serde(default)]
    virtual_network_peerings: Lenient<Vec<Lenient<Child<PeeringProps>>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SubnetProps {
    #[serde(default)]
    network_security_group: Lenient<Ref>,
    #[serde(default)]
    route_table: Lenient<Ref>,
    /// A GatewaySubnet lists its gateway's IP configurations here.
    #[serde(default)]
    ip_configurations: Lenient<Vec<Lenient<Ref>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConnectionProps {
    #[serde(default)]
    virtual_network_gateway1: Lenient<Ref>,
    #[serde(default)]
    virtual_network_gateway2: Lenient<Ref>,
    #[serde(default)]
    local_network_gateway2: Lenient<Ref>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PeeringProps {
    #[serde(default)]
    remote_virtual_network: Lenient<Ref>,
}

#[derive(Deserialize, Default)]
struct LbProps {
    #[serde(default, rename = "frontendIPConfigurations")]
    frontends: Lenient<Vec<Lenient<Child<FrontendProps>>>>,
}

#[derive(Deserialize, Default)]
struct FrontendProps {
    #[serde(default, rename = "publicIPAddress")]
    public_ip: Lenient<Ref>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct BastionProps {
    #[serde(default)]
    ip_configurations: Lenient<Vec<Lenient<Child<BastionIpConfig>>>>,
    /// Developer SKU: the VNet it serves (it has no subnet).
    #[serde(default)]
    virtual_network: Lenient<Ref>,
}

#[derive(Deserialize, Default)]
struct BastionIpConfig {
    #[serde(default)]
    subnet: Lenient<Ref>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vm,
    Nic,
    Vnet,
    LoadBalancer,
    Bastion,
    Connection,
    Gateway,
    Policy,
    Other,
}

fn kind_of(t: &str) -> Kind {
    match t.to_ascii_lowercase().as_str() {
        "microsoft.compute/virtualmachines" => Kind::Vm,
        "microsoft.network/networkinterfaces" => Kind::Nic,
        "microsoft.network/virtualnetworks" => Kind::Vnet,
        "microsoft.network/loadbalancers" => Kind::LoadBalancer,
        "microsoft.network/bastionhosts" => Kind::Bastion,
        "microsoft.network/connections" => Kind::Connection,
        "microsoft.network/virtualnetworkgateways" => Kind::Gateway,
        "microsoft.network/firewallpolicies" => Kind::Policy,
        _ => Kind::Other,
    }
}

/// The type a resource id names (`…/providers/{namespace}/{type}/{name}`), for rows without
/// `type`.
fn kind_from_id(id: &str) -> Kind {
    let lower = id.to_ascii_lowercase();
    let Some((_, after)) = lower.rsplit_once("/providers/") else {
        return Kind::Other;
    };
    let mut parts = after.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(ns), Some(t), Some(_), None) => kind_of(&format!("{ns}/{t}")),
        _ => Kind::Other,
    }
}

#[derive(Debug, Default)]
struct NicRefs {
    nsg: Option<ResId>,
    /// The NIC names a VM (`properties.virtualMachine`).
    attached: bool,
    /// Per IP configuration: subnet, public IP, NAT rules and backend pools.
    configs: Vec<(Option<ResId>, Option<ResId>, Vec<ResId>)>,
}

/// A VNet's subnets (key, with their NSG and route table) and its peers.
type VnetRefs = (Vec<(ResId, Vec<ResId>)>, Vec<ResId>);

/// The references of every collected resource on the network path, by kind. Built a piece at a
/// time (each list page as it arrives, [`Index::merge`]) so that live collection reads each
/// resource once, while other pages are still downloading.
#[derive(Debug, Default)]
pub(crate) struct Index {
    present: IdSet,
    /// VM and its NICs.
    vms: Vec<(ResId, Vec<ResId>)>,
    nics: IdMap<NicRefs>,
    /// VNet → (subnet, its NSG and route table), and its peers.
    vnets: IdMap<VnetRefs>,
    /// Load balancer → its frontends' public IPs.
    lbs: IdMap<Vec<ResId>>,
    /// Each Bastion's VNets (its subnets' VNets, or a Developer host's VNet).
    bastions: Vec<Vec<ResId>>,
    /// Gateways named by GatewaySubnets and connections, local gateways named by connections
    /// (docs/decisions.md D44; read in a subscription audit only).
    gateways: Vec<ResId>,
    /// Ids of the virtual network gateways present.
    present_gateways: Vec<ResId>,
    /// The Firewall Policies present.
    policies: Vec<ResId>,
    /// What firewalls, policies and rule collection groups reference ([`super::refs_doors`]).
    door_refs: Vec<ResId>,
}

fn parse<P: serde::de::DeserializeOwned + Default>(raw: &RawValue) -> P {
    serde_json::from_str::<Resource<P>>(raw.get())
        .ok()
        .and_then(|r| r.properties.0)
        .unwrap_or_default()
}

fn text(v: &Option<serde_json::Value>) -> Option<&str> {
    v.as_ref()
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
}

impl Index {
    /// The index of these resources.
    pub(crate) fn of<R: std::borrow::Borrow<RawValue>>(resources: &[R]) -> Index {
        let mut ix = Index::default();
        for raw in resources {
            ix.add(raw.borrow());
        }
        ix
    }

    /// Adds another piece (resources read twice are harmless: every answer is a set).
    pub(crate) fn merge(&mut self, other: Index) {
        self.present.extend(other.present);
        self.vms.extend(other.vms);
        self.nics.extend(other.nics);
        self.vnets.extend(other.vnets);
        self.lbs.extend(other.lbs);
        self.bastions.extend(other.bastions);
        self.gateways.extend(other.gateways);
        self.present_gateways.extend(other.present_gateways);
        self.policies.extend(other.policies);
        self.door_refs.extend(other.door_refs);
    }

    fn add(&mut self, raw: &RawValue) {
        self.door_refs
            .extend(super::refs_doors::references(std::slice::from_ref(&raw)));
        let Ok(head) = serde_json::from_str::<Head>(raw.get()) else {
            return;
        };
        let Some(id) = text(&head.id).filter(|s| s.trim().starts_with('/')) else {
            return;
        };
        let rid = ResId::new(id);
        self.present.insert(IdKey::from(&rid));
        let kind = match &head.kind {
            Some(serde_json::Value::String(t)) => kind_of(t),
            Some(_) => Kind::Other,
            None => kind_from_id(&rid.id),
        };
        match kind {
            Kind::Vm => self.add_vm(rid, parse(raw)),
            Kind::Nic => self.add_nic(rid, parse(raw)),
            Kind::Vnet => self.add_vnet(rid, parse(raw)),
            Kind::LoadBalancer => {
                let p: LbProps = parse(raw);
                let pips = p
                    .frontends
                    .get()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get()?.properties.get().and_then(|p| one(&p.public_ip)))
                    .collect();
                self.lbs.insert(rid.into(), pips);
            }
            Kind::Bastion => {
                let p: BastionProps = parse(raw);
                let vnets = p
                    .ip_configurations
                    .get()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get()?.properties.get().and_then(|p| one(&p.subnet)))
                    .filter_map(|s| parent(&s, "subnets"))
                    .chain(one(&p.virtual_network))
                    .collect();
                self.bastions.push(vnets);
            }
            Kind::Connection => {
                let p: ConnectionProps = parse(raw);
                let named = [
                    &p.virtual_network_gateway1,
                    &p.virtual_network_gateway2,
                    &p.local_network_gateway2,
                ];
                self.gateways.extend(named.into_iter().filter_map(one));
            }
            Kind::Gateway => self.present_gateways.push(rid),
            Kind::Policy => self.policies.push(rid),
            Kind::Other => {}
        }
    }

    fn add_vm(&mut self, rid: ResId, p: VmProps) {
        let nics = p
            .network_profile
            .get()
            .map(|n| refs(&n.network_interfaces).collect())
            .unwrap_or_default();
        self.vms.push((rid, nics));
    }

    fn add_nic(&mut self, rid: ResId, p: NicProps) {
        let configs = p
            .ip_configurations
            .get()
            .into_iter()
            .flatten()
            .filter_map(|c| c.get()?.properties.get())
            .map(|c| {
                let lbs = refs(&c.nat_rules).chain(refs(&c.pools)).collect();
                (one(&c.subnet), one(&c.public_ip), lbs)
            })
            .collect();
        let nsg = one(&p.network_security_group);
        let attached = one(&p.virtual_machine).is_some();
        self.nics.insert(
            rid.into(),
            NicRefs {
                nsg,
                attached,
                configs,
            },
        );
    }

    fn add_vnet(&mut self, rid: ResId, p: VnetProps) {
        let subnets = p
            .subnets
            .get()
            .into_iter()
            .flatten()
            .filter_map(|s| s.get())
            .map(|s| {
                let name = text(&s.name).unwrap_or_default();
                let id = match text(&s.id) {
                    Some(id) => ResId::new(id),
                    None => ResId::new(&format!("{}/subnets/{name}", rid.id)),
                };
                let sp = s.properties.get();
                let gateways = sp
                    .into_iter()
                    .flat_map(|p| refs(&p.ip_configurations))
                    .filter_map(|c| parent(&c, "ipConfigurations"))
                    .filter(|g| {
                        g.key()
                            .folded()
                            .contains("/providers/microsoft.network/virtualnetworkgateways/")
                    });
                self.gateways.extend(gateways);
                let refs = sp
                    .into_iter()
                    .flat_map(|p| [one(&p.network_security_group), one(&p.route_table)])
                    .flatten()
                    .collect();
                (id, refs)
            })
            .collect();
        let peers = p
            .virtual_network_peerings
            .get()
            .into_iter()
            .flatten()
            .filter_map(|pe| {
                pe.get()?
                    .properties
                    .get()
                    .and_then(|p| one(&p.remote_virtual_network))
            })
            .collect();
        self.vnets.insert(rid.into(), (subnets, peers));
    }
}

/// Spellings of ids seen (exact text), hashed fast: tens of thousands per collection.
type Spellings<'a> = hashbrown::HashSet<&'a str, foldhash::fast::RandomState>;

fn parent(id: &ResId, child: &str) -> Option<ResId> {
    id.split_child(child).map(|(p, _)| p)
}

impl Index {
    /// Top-level ids the resources reference but do not contain, sorted. With `focus` (a VM),
    /// only what that VM's path needs (its NICs' subnets, not every subnet of their VNets).
    pub(crate) fn missing(&self, focus: Option<&ResId>) -> Vec<String> {
        let ix = self;
        let mut want: BTreeSet<String> = BTreeSet::new();
        let mut add = |id: &ResId| {
            if !ix.present.contains(&id.key()) {
                want.insert(id.id.clone());
            }
        };
        let mut subnets = IdSet::default();
        // Each spelling of a subnet once: its VNet is looked up once, not per NIC.
        let mut spelt: Spellings<'_> = Spellings::default();
        let mut lbs = IdSet::default();
        let vms = ix
            .vms
            .iter()
            .filter(|(vm, _)| focus.is_none_or(|f| f.key() == vm.key()));
        for (_, nics) in vms {
            for nic_id in nics {
                add(nic_id);
                let Some(nic) = ix.nics.get(&nic_id.key()) else {
                    continue;
                };
                if let Some(n) = &nic.nsg {
                    add(n);
                }
                for (subnet, pip, lb_refs) in &nic.configs {
                    if let Some(s) = subnet {
                        subnets.insert(IdKey::from(s));
                        if spelt.insert(s.id.as_str()) {
                            if let Some(v) = parent(s, "subnets") {
                                add(&v);
                            }
                        }
                    }
                    if let Some(p) = pip {
                        add(p);
                    }
                    for r in lb_refs {
                        let lb = parent(r, "inboundNatRules")
                            .or_else(|| parent(r, "backendAddressPools"));
                        if let Some(lb) = lb {
                            lbs.insert(IdKey::from(&lb));
                            add(&lb);
                        }
                    }
                }
            }
        }
        for (subnet_list, _) in ix.vnets.values() {
            for (subnet, refs) in subnet_list {
                if focus.is_some() && !subnets.contains(&subnet.key()) {
                    continue;
                }
                refs.iter().for_each(&mut add);
            }
        }
        for (lb, pips) in &ix.lbs {
            if focus.is_none() || lbs.contains(lb) {
                pips.iter().for_each(&mut add);
            }
        }
        // A Bastion matters when it sits in one of the VM's VNets or a peer of them; only then is
        // its VNet (for the AzureBastionSubnet prefix) worth a request in a one-VM check.
        let mut near = IdSet::default();
        for s in &subnets {
            if let Some(v) = parent(s, "subnets") {
                if let Some((_, peers)) = ix.vnets.get(&v.key()) {
                    near.extend(peers.iter().map(IdKey::from));
                }
                near.insert(IdKey::from(v));
            }
        }
        for b in &ix.bastions {
            for v in b {
                if focus.is_none() || near.contains(&v.key()) {
                    add(v);
                }
            }
        }
        // Firewalls, their policies and IP Groups (docs/decisions.md D25, D31).
        ix.door_refs.iter().for_each(&mut add);
        if focus.is_none() {
            ix.gateways.iter().for_each(&mut add);
        }
        want.into_iter().collect()
    }
}

/// The VNets of these NICs' subnets, sorted and each once.
fn vnets_of<'a, K>(nics: impl Iterator<Item = (K, &'a NicRefs)>) -> Vec<ResId> {
    // Each spelling of a subnet once (NICs share subnets): every spelling of a VNet is still
    // seen, so the one kept below does not depend on the map's order.
    let mut spelt: Spellings<'_> = Spellings::default();
    let mut out: Vec<ResId> = nics
        .flat_map(|(_, nic)| nic.configs.iter().filter_map(|(s, _, _)| s.as_ref()))
        .filter(|s| spelt.insert(s.id.as_str()))
        .filter_map(|s| parent(s, "subnets"))
        .collect();
    // By key, then text: of a VNet spelt two ways the same spelling is kept every run (the
    // NICs' map iterates in another order each time).
    out.sort();
    out.dedup_by(|a, b| a.key() == b.key());
    out
}

impl Index {
    /// The VNets of the VMs' NICs (whose effective security admin rules are read): NICs a VM
    /// lists, or that name their VM. Sorted by key, each once.
    pub(crate) fn vm_vnets(&self) -> Vec<ResId> {
        let ix = self;
        let listed: IdSet = ix
            .vms
            .iter()
            .flat_map(|(_, nics)| nics.iter().map(IdKey::from))
            .collect();
        let nics = ix.nics.iter();
        vnets_of(nics.filter(|(nic_id, nic)| nic.attached || listed.contains(*nic_id)))
    }

    /// `(subscription, resource group)` of every virtual network gateway present, sorted: where
    /// its connections are listed (ARM lists connections per resource group only).
    pub(crate) fn gateway_groups(&self) -> Vec<(String, String)> {
        let ix = self;
        let groups: BTreeSet<(String, String)> = ix
            .present_gateways
            .iter()
            .filter_map(|g| {
                Some((
                    g.subscription()?.to_string(),
                    g.resource_group()?.to_string(),
                ))
            })
            .collect();
        groups.into_iter().collect()
    }

    /// The VNets of the NICs that name their VM, known from a single page of NICs (a NIC that
    /// only its VM lists is known at the end: [`Index::vm_vnets`] has both).
    /// Sorted and each once, as [`Index::vm_vnets`].
    pub(crate) fn attached_vnets(&self) -> Vec<ResId> {
        vnets_of(self.nics.iter().filter(|(_, nic)| nic.attached))
    }

    /// How many distinct resource ids were indexed (resources without a usable id are not).
    pub(crate) fn distinct_ids(&self) -> usize {
        self.present.len()
    }

    /// The Firewall Policies present, sorted, each once.
    pub(crate) fn policies(&self) -> Vec<ResId> {
        let mut out = self.policies.clone();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(resources: &[&RawValue], focus: Option<&ResId>) -> Vec<String> {
        Index::of(resources).missing(focus)
    }
    use serde_json::json;

    fn raw(v: serde_json::Value) -> Box<RawValue> {
        serde_json::value::to_raw_value(&v).unwrap()
    }

    const RG: &str = "/subscriptions/s/resourceGroups/rg/providers";

    fn estate() -> Vec<Box<RawValue>> {
        vec![
            raw(json!({
                "id": format!("{RG}/Microsoft.Compute/virtualMachines/vm1"),
                "type": "Microsoft.Compute/virtualMachines",
                "properties": {"networkProfile": {"networkInterfaces": [
                    {"id": format!("{RG}/Microsoft.Network/networkInterfaces/nic1")}
                ]}}
            })),
            raw(json!({
                "id": format!("{RG}/Microsoft.Network/networkInterfaces/nic1"),
                "type": "Microsoft.Network/networkInterfaces",
                "properties": {
                    "networkSecurityGroup": {"id": format!("{RG}/Microsoft.Network/networkSecurityGroups/nic-nsg")},
                    "ipConfigurations": [{"name": "ipc", "properties": {
                        "privateIPAddress": "not an ip: the model would reject it, the scan does not care",
                        "subnet": {"id": format!("{RG}/Microsoft.Network/virtualNetworks/hub/subnets/web")},
                        "publicIPAddress": {"id": format!("{RG}/Microsoft.Network/publicIPAddresses/pip1")},
                        "loadBalancerBackendAddressPools": [{"id": format!("{RG}/Microsoft.Network/loadBalancers/lb1/backendAddressPools/p")}]
                    }}]
                }
            })),
            raw(json!({
                "id": format!("{RG}/Microsoft.Network/virtualNetworks/other"),
                "type": "Microsoft.Network/virtualNetworks",
                "properties": {"subnets": [{"name": "s", "properties": {
                    "routeTable": {"id": format!("{RG}/Microsoft.Network/routeTables/rt-other")}
                }}]}
            })),
            raw(json!({
                "id": format!("{RG}/Microsoft.Network/bastionHosts/b"),
                "properties": {"ipConfigurations": [{"properties": {
                    "subnet": {"id": format!("{RG}/Microsoft.Network/virtualNetworks/far/subnets/AzureBastionSubnet")}
                }}]}
            })),
        ]
    }

    #[test]
    fn finds_what_the_path_references_and_is_missing() {
        let e = estate();
        let refs: Vec<&RawValue> = e.iter().map(|r| r.as_ref()).collect();
        let names: Vec<String> = missing(&refs, None)
            .iter()
            .map(|id| ResId::new(id).name().to_string())
            .collect();
        assert_eq!(
            names,
            ["lb1", "nic-nsg", "pip1", "rt-other", "far", "hub"],
            "sorted by id"
        );
    }

    #[test]
    fn a_focus_follows_only_that_vms_path() {
        let e = estate();
        let refs: Vec<&RawValue> = e.iter().map(|r| r.as_ref()).collect();
        let vm = ResId::new(&format!("{RG}/Microsoft.Compute/virtualMachines/VM1"));
        let got = missing(&refs, Some(&vm));
        assert!(got.iter().any(|id| id.ends_with("/virtualNetworks/hub")));
        // Another VNet's route table and a Bastion far from the VM's VNets are not needed.
        assert!(!got
            .iter()
            .any(|id| id.ends_with("rt-other") || id.ends_with("/far")));
        let nobody = ResId::new("/subscriptions/s/x/virtualMachines/none");
        assert!(missing(&refs, Some(&nobody)).is_empty());
    }

    #[test]
    fn a_developer_bastion_names_its_vnet_directly() {
        let e = [raw(json!({
            "id": format!("{RG}/Microsoft.Network/bastionHosts/dev"),
            "sku": {"name": "Developer"},
            "properties": {"ipConfigurations": [],
                "virtualNetwork": {"id": format!("{RG}/Microsoft.Network/virtualNetworks/devnet")}}
        }))];
        let refs: Vec<&RawValue> = e.iter().map(|r| r.as_ref()).collect();
        let got = missing(&refs, None);
        assert_eq!(
            got,
            [format!("{RG}/Microsoft.Network/virtualNetworks/devnet")]
        );
    }

    #[test]
    fn present_resources_and_bad_shapes_are_skipped() {
        let e = [
            raw(json!({
                "id": format!("{RG}/Microsoft.Compute/virtualMachines/vm1"),
                "properties": {"networkProfile": {"networkInterfaces": [
                    {"id": format!("{RG}/Microsoft.Network/networkInterfaces/NIC1")},
                    {"id": 7},
                    {"id": "  "}
                ]}}
            })),
            raw(json!({
                "id": format!("{RG}/Microsoft.Network/networkInterfaces/nic1"),
                "type": "Microsoft.Network/networkInterfaces",
                "properties": {"ipConfigurations": "not a list"}
            })),
            raw(json!(["not", "an", "object"])),
        ];
        let refs: Vec<&RawValue> = e.iter().map(|r| r.as_ref()).collect();
        assert!(missing(&refs, None).is_empty());
    }

    fn nic(name: &str, vnet: &str, vm: Option<&str>) -> Box<RawValue> {
        let mut props = json!({"ipConfigurations": [{"name": "c", "properties": {
            "subnet": {"id": format!("{RG}/Microsoft.Network/virtualNetworks/{vnet}/subnets/s")}
        }}]});
        if let Some(vm) = vm {
            props["virtualMachine"] =
                json!({"id": format!("{RG}/Microsoft.Compute/virtualMachines/{vm}")});
        }
        raw(json!({
            "id": format!("{RG}/Microsoft.Network/networkInterfaces/{name}"),
            "type": "Microsoft.Network/networkInterfaces",
            "properties": props
        }))
    }

    fn names(ids: Vec<ResId>) -> Vec<String> {
        ids.iter()
            .filter_map(|r| r.id.rsplit('/').next().map(str::to_string))
            .collect()
    }

    /// Admin rules are read for the VNet of a NIC that names its VM (known from its page alone)
    /// and of a NIC its VM lists (known once the VM is read); not for a NIC of no VM.
    #[test]
    fn the_vnets_whose_admin_rules_are_read() {
        let e = [
            nic("named", "va", Some("vm-a")),
            nic("listed", "vb", None),
            nic("loose", "vc", None),
            raw(json!({
                "id": format!("{RG}/Microsoft.Compute/virtualMachines/vm-b"),
                "type": "Microsoft.Compute/virtualMachines",
                "properties": {"networkProfile": {"networkInterfaces": [
                    {"id": format!("{RG}/Microsoft.Network/networkInterfaces/LISTED")}
                ]}}
            })),
        ];
        let ix = Index::of(&e);
        assert_eq!(names(ix.attached_vnets()), ["va"]);
        assert_eq!(names(ix.vm_vnets()), ["va", "vb"]);
        // Only the NICs' page: the listed NIC's VNet is not known yet.
        assert_eq!(names(Index::of(&e[..3]).vm_vnets()), ["va"]);
    }

    /// A VNet its NICs spell two ways is read once, under the same spelling whatever order the
    /// NICs come in (the collected snapshot's admin-rule section is keyed by it).
    #[test]
    fn a_vnet_spelt_two_ways_is_read_once_under_one_spelling() {
        let one = nic("n1", "vnet-a", Some("vm-a"));
        let two = nic("n2", "VNET-A", Some("vm-b"));
        for e in [[one.clone(), two.clone()], [two.clone(), one.clone()]] {
            for _ in 0..8 {
                assert_eq!(names(Index::of(&e).vm_vnets()), ["VNET-A"]);
                assert_eq!(names(Index::of(&e).attached_vnets()), ["VNET-A"]);
            }
        }
    }

    /// An index built a page at a time answers like one built at once.
    #[test]
    fn pieces_merge_into_the_whole() {
        let mut e = estate();
        e.push(nic("named", "va", Some("vm-a")));
        let whole = Index::of(&e);
        let mut pieces = Index::default();
        for chunk in e.chunks(2) {
            pieces.merge(Index::of(chunk));
        }
        assert_eq!(whole.missing(None), pieces.missing(None));
        assert_eq!(names(whole.vm_vnets()), names(pieces.vm_vnets()));
        assert_eq!(whole.distinct_ids(), pieces.distinct_ids());
        assert_eq!(whole.distinct_ids(), e.len());
    }
}
