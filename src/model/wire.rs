//! Wire types: the subset of ARM JSON that rdpaudit reads, field names exactly as ARM spells them.
//!
//! Everything is optional here: ARM omits keys freely across api-versions (see
//! `tests/fixtures/arm/recordings/README.md`), and a missing value must become a precise
//! diagnostic in `model::build`, not a deserialisation failure. Lists are `Option<Vec<_>>` so
//! that an explicit `null` is accepted. Unknown fields are ignored.

use serde::Deserialize;

/// `{"id": "..."}`: a reference to another resource.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Ref {
    pub id: Option<String>,
}

/// Only what is needed to route a resource to its typed parser.
#[derive(Debug, Deserialize)]
pub struct Head {
    pub id: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub kind: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Envelope<P> {
    pub id: Option<String>,
    pub name: Option<String>,
    pub location: Option<String>,
    pub sku: Option<Sku>,
    pub properties: Option<P>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sku {
    pub name: Option<String>,
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub code: Option<String>,
    #[serde(rename = "displayStatus")]
    pub display_status: Option<String>,
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Compute/virtualMachines

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmProps {
    pub storage_profile: Option<StorageProfile>,
    pub network_profile: Option<VmNetworkProfile>,
    pub diagnostics_profile: Option<DiagnosticsProfile>,
    pub provisioning_state: Option<String>,
    pub instance_view: Option<InstanceView>,
    /// Resource Graph puts the power state here.
    pub extended: Option<Extended>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    pub os_disk: Option<OsDisk>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDisk {
    pub os_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmNetworkProfile {
    pub network_interfaces: Option<Vec<VmNicRef>>,
}

#[derive(Debug, Deserialize)]
pub struct VmNicRef {
    pub id: Option<String>,
    pub properties: Option<VmNicRefProps>,
}

#[derive(Debug, Deserialize)]
pub struct VmNicRefProps {
    pub primary: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticsProfile {
    pub boot_diagnostics: Option<BootDiagnostics>,
}

#[derive(Debug, Deserialize)]
pub struct BootDiagnostics {
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub statuses: Option<Vec<Status>>,
    pub vm_agent: Option<VmAgent>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmAgent {
    pub vm_agent_version: Option<String>,
    pub statuses: Option<Vec<Status>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extended {
    pub instance_view: Option<ExtendedInstanceView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendedInstanceView {
    pub power_state: Option<Status>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.ClassicCompute/virtualMachines (shape: arm-examples/README.md "Classic")

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicVmProps {
    pub network_profile: Option<ClassicNetworkProfile>,
    pub instance_view: Option<ClassicInstanceView>,
    pub storage_profile: Option<ClassicStorageProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicNetworkProfile {
    pub input_endpoints: Option<Vec<InputEndpoint>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputEndpoint {
    pub endpoint_name: Option<String>,
    pub private_port: Option<i64>,
    pub public_port: Option<i64>,
    pub protocol: Option<String>,
    pub public_ip_address: Option<String>,
    /// rdpaudit extension of the snapshot format; `EndpointACL` spelling tolerated.
    #[serde(alias = "endpointACL", alias = "EndpointAcl")]
    pub endpoint_acl: Option<EndpointAcl>,
}

#[derive(Debug, Deserialize)]
pub struct EndpointAcl {
    pub rules: Option<Vec<AclRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclRule {
    pub order: Option<i64>,
    pub action: Option<String>,
    pub remote_subnet: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicInstanceView {
    pub status: Option<String>,
    pub power_state: Option<String>,
    pub private_ip_address: Option<String>,
    pub public_ip_addresses: Option<Vec<String>>,
    pub fully_qualified_domain_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicStorageProfile {
    pub operating_system_disk: Option<ClassicOsDisk>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicOsDisk {
    pub operating_system: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/networkInterfaces

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NicProps {
    pub network_security_group: Option<Ref>,
    pub ip_configurations: Option<Vec<Child<IpConfigProps>>>,
    pub virtual_machine: Option<Ref>,
    pub primary: Option<bool>,
    pub provisioning_state: Option<String>,
}

/// A child resource inline in its parent (`ipConfigurations`, `subnets`, `securityRules`, …).
#[derive(Debug, Deserialize)]
pub struct Child<P> {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: Option<P>,
}

#[derive(Debug, Deserialize)]
pub struct IpConfigProps {
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
    pub primary: Option<bool>,
    pub subnet: Option<Ref>,
    #[serde(rename = "publicIPAddress")]
    pub public_ip_address: Option<Ref>,
    #[serde(rename = "applicationSecurityGroups")]
    pub application_security_groups: Option<Vec<Ref>>,
    #[serde(rename = "loadBalancerInboundNatRules")]
    pub load_balancer_inbound_nat_rules: Option<Vec<Ref>>,
    #[serde(rename = "loadBalancerBackendAddressPools")]
    pub load_balancer_backend_address_pools: Option<Vec<Ref>>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/networkSecurityGroups

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NsgProps {
    pub security_rules: Option<Vec<Child<RuleProps>>>,
    pub default_security_rules: Option<Vec<Child<RuleProps>>>,
    pub provisioning_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleProps {
    pub priority: Option<i64>,
    pub direction: Option<String>,
    pub access: Option<String>,
    pub protocol: Option<String>,
    pub source_address_prefix: Option<String>,
    pub source_address_prefixes: Option<Vec<String>>,
    pub source_application_security_groups: Option<Vec<Ref>>,
    pub destination_address_prefix: Option<String>,
    pub destination_address_prefixes: Option<Vec<String>>,
    pub destination_application_security_groups: Option<Vec<Ref>>,
    pub source_port_range: Option<String>,
    pub source_port_ranges: Option<Vec<String>>,
    pub destination_port_range: Option<String>,
    pub destination_port_ranges: Option<Vec<String>>,
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/publicIPAddresses

#[derive(Debug, Deserialize)]
pub struct PipProps {
    #[serde(rename = "ipAddress")]
    pub ip_address: Option<String>,
    #[serde(rename = "publicIPAllocationMethod")]
    pub allocation: Option<String>,
    #[serde(rename = "ipConfiguration")]
    pub ip_configuration: Option<Ref>,
    #[serde(rename = "dnsSettings")]
    pub dns_settings: Option<DnsSettings>,
    #[serde(rename = "provisioningState")]
    pub provisioning_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsSettings {
    pub fqdn: Option<String>,
    pub domain_name_label: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/virtualNetworks

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VnetProps {
    pub address_space: Option<AddressSpace>,
    pub subnets: Option<Vec<Child<SubnetProps>>>,
    pub virtual_network_peerings: Option<Vec<Child<PeeringProps>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpace {
    pub address_prefixes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetProps {
    pub address_prefix: Option<String>,
    pub address_prefixes: Option<Vec<String>>,
    pub network_security_group: Option<Ref>,
    pub route_table: Option<Ref>,
    pub ip_configurations: Option<Vec<Ref>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeeringProps {
    pub remote_virtual_network: Option<Ref>,
    pub remote_address_space: Option<AddressSpace>,
    pub peering_state: Option<String>,
    pub use_remote_gateways: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/loadBalancers

#[derive(Debug, Deserialize)]
pub struct LbProps {
    #[serde(rename = "frontendIPConfigurations")]
    pub frontends: Option<Vec<Child<FrontendProps>>>,
    #[serde(rename = "inboundNatRules")]
    pub inbound_nat_rules: Option<Vec<Child<NatRuleProps>>>,
    #[serde(rename = "backendAddressPools")]
    pub backend_address_pools: Option<Vec<Child<PoolProps>>>,
}

#[derive(Debug, Deserialize)]
pub struct FrontendProps {
    #[serde(rename = "publicIPAddress")]
    pub public_ip_address: Option<Ref>,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NatRuleProps {
    #[serde(rename = "frontendIPConfiguration")]
    pub frontend: Option<Ref>,
    #[serde(rename = "backendIPConfiguration")]
    pub backend_ip_configuration: Option<Ref>,
    pub protocol: Option<String>,
    #[serde(rename = "frontendPort")]
    pub frontend_port: Option<i64>,
    #[serde(rename = "backendPort")]
    pub backend_port: Option<i64>,
    #[serde(rename = "frontendPortRangeStart")]
    pub frontend_port_range_start: Option<i64>,
    #[serde(rename = "frontendPortRangeEnd")]
    pub frontend_port_range_end: Option<i64>,
    #[serde(rename = "backendAddressPool")]
    pub backend_address_pool: Option<Ref>,
    #[serde(rename = "enableFloatingIP")]
    pub enable_floating_ip: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct PoolProps {
    #[serde(rename = "backendIPConfigurations")]
    pub backend_ip_configurations: Option<Vec<Ref>>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/routeTables

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableProps {
    pub routes: Option<Vec<Child<RouteProps>>>,
    pub disable_bgp_route_propagation: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteProps {
    pub address_prefix: Option<String>,
    pub next_hop_type: Option<String>,
    pub next_hop_ip_address: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/bastionHosts

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BastionProps {
    pub ip_configurations: Option<Vec<Child<BastionIpConfigProps>>>,
}

#[derive(Debug, Deserialize)]
pub struct BastionIpConfigProps {
    pub subnet: Option<Ref>,
}

/// Resource types with no properties rdpaudit reads (only their existence matters).
#[derive(Debug, Deserialize)]
pub struct AnyProps {}
