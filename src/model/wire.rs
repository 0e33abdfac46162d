//! Wire types: the subset of ARM JSON that rdpaudit reads, field names exactly as ARM spells them.
//!
//! Everything is optional here: ARM omits keys freely across api-versions (see
//! `tests/fixtures/arm/recordings/README.md`), and a missing value must become a precise
//! diagnostic in `model::build`, not a deserialisation failure. Lists are `Option<Vec<_>>` so
//! that an explicit `null` is accepted. Unknown fields are ignored.

use serde::Deserialize;

/// `{"id": "..."}`: a reference to another resource.
#[derive(Debug, Clone, Deserialize, Default)]
pub(crate) struct Ref {
    pub(crate) id: Option<String>,
}

/// Only what is needed to route a resource to its typed parser.
#[derive(Debug, Deserialize)]
pub(crate) struct Head {
    pub(crate) id: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub(crate) kind: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<P> {
    pub(crate) id: Option<String>,
    /// The resource type: read so a body decoded on a guess of its type can be checked
    /// (model/build/blocks.rs).
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) sku: Option<Sku>,
    pub(crate) properties: Option<P>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Sku {
    pub(crate) name: Option<String>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) tier: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Status {
    pub(crate) code: Option<String>,
    #[serde(rename = "displayStatus")]
    pub(crate) display_status: Option<String>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Compute/virtualMachines

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VmProps {
    pub(crate) storage_profile: Option<StorageProfile>,
    pub(crate) network_profile: Option<VmNetworkProfile>,
    pub(crate) diagnostics_profile: Option<DiagnosticsProfile>,
    pub(crate) provisioning_state: Option<String>,
    pub(crate) instance_view: Option<InstanceView>,
    /// Resource Graph puts the power state here.
    pub(crate) extended: Option<Extended>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StorageProfile {
    pub(crate) os_disk: Option<OsDisk>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OsDisk {
    pub(crate) os_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VmNetworkProfile {
    pub(crate) network_interfaces: Option<Vec<VmNicRef>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VmNicRef {
    pub(crate) id: Option<String>,
    pub(crate) properties: Option<VmNicRefProps>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VmNicRefProps {
    pub(crate) primary: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiagnosticsProfile {
    pub(crate) boot_diagnostics: Option<BootDiagnostics>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BootDiagnostics {
    pub(crate) enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceView {
    pub(crate) statuses: Option<Vec<Status>>,
    pub(crate) vm_agent: Option<VmAgent>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VmAgent {
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) vm_agent_version: Option<String>,
    pub(crate) statuses: Option<Vec<Status>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Extended {
    pub(crate) instance_view: Option<ExtendedInstanceView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExtendedInstanceView {
    pub(crate) power_state: Option<Status>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.ClassicCompute/virtualMachines (shape: arm-examples/README.md "Classic")

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassicVmProps {
    pub(crate) network_profile: Option<ClassicNetworkProfile>,
    pub(crate) instance_view: Option<ClassicInstanceView>,
    pub(crate) storage_profile: Option<ClassicStorageProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassicNetworkProfile {
    pub(crate) input_endpoints: Option<Vec<InputEndpoint>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InputEndpoint {
    pub(crate) endpoint_name: Option<String>,
    pub(crate) private_port: Option<i64>,
    pub(crate) public_port: Option<i64>,
    pub(crate) protocol: Option<String>,
    pub(crate) public_ip_address: Option<String>,
    /// rdpaudit extension of the snapshot format; `EndpointACL` spelling tolerated.
    #[serde(alias = "endpointACL", alias = "EndpointAcl")]
    pub(crate) endpoint_acl: Option<EndpointAcl>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct EndpointAcl {
    pub(crate) rules: Option<Vec<AclRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AclRule {
    pub(crate) order: Option<i64>,
    pub(crate) action: Option<String>,
    pub(crate) remote_subnet: Option<String>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassicInstanceView {
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) status: Option<String>,
    pub(crate) power_state: Option<String>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) private_ip_address: Option<String>,
    pub(crate) public_ip_addresses: Option<Vec<String>>,
    pub(crate) fully_qualified_domain_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassicStorageProfile {
    pub(crate) operating_system_disk: Option<ClassicOsDisk>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClassicOsDisk {
    pub(crate) operating_system: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/networkInterfaces

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NicProps {
    pub(crate) network_security_group: Option<Ref>,
    pub(crate) ip_configurations: Option<Vec<Child<IpConfigProps>>>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) virtual_machine: Option<Ref>,
    pub(crate) primary: Option<bool>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) provisioning_state: Option<String>,
}

/// A child resource inline in its parent (`ipConfigurations`, `subnets`, `securityRules`, …).
#[derive(Debug, Deserialize)]
pub(crate) struct Child<P> {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) properties: Option<P>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IpConfigProps {
    #[serde(rename = "privateIPAddress")]
    pub(crate) private_ip_address: Option<String>,
    pub(crate) primary: Option<bool>,
    pub(crate) subnet: Option<Ref>,
    #[serde(rename = "publicIPAddress")]
    pub(crate) public_ip_address: Option<Ref>,
    #[serde(rename = "applicationSecurityGroups")]
    pub(crate) application_security_groups: Option<Vec<Ref>>,
    #[serde(rename = "loadBalancerInboundNatRules")]
    pub(crate) load_balancer_inbound_nat_rules: Option<Vec<Ref>>,
    #[serde(rename = "loadBalancerBackendAddressPools")]
    pub(crate) load_balancer_backend_address_pools: Option<Vec<Ref>>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/networkSecurityGroups

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NsgProps {
    pub(crate) security_rules: Option<Vec<Child<RuleProps>>>,
    pub(crate) default_security_rules: Option<Vec<Child<RuleProps>>>,
    pub(crate) provisioning_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleProps {
    pub(crate) priority: Option<i64>,
    pub(crate) direction: Option<String>,
    pub(crate) access: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) source_address_prefix: Option<String>,
    pub(crate) source_address_prefixes: Option<Vec<String>>,
    pub(crate) source_application_security_groups: Option<Vec<Ref>>,
    pub(crate) destination_address_prefix: Option<String>,
    pub(crate) destination_address_prefixes: Option<Vec<String>>,
    pub(crate) destination_application_security_groups: Option<Vec<Ref>>,
    pub(crate) source_port_range: Option<String>,
    pub(crate) source_port_ranges: Option<Vec<String>>,
    pub(crate) destination_port_range: Option<String>,
    pub(crate) destination_port_ranges: Option<Vec<String>>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/publicIPAddresses

#[derive(Debug, Deserialize)]
pub(crate) struct PipProps {
    #[serde(rename = "ipAddress")]
    pub(crate) ip_address: Option<String>,
    #[serde(rename = "publicIPAllocationMethod")]
    pub(crate) allocation: Option<String>,
    #[serde(rename = "ipConfiguration")]
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) ip_configuration: Option<Ref>,
    #[serde(rename = "dnsSettings")]
    pub(crate) dns_settings: Option<DnsSettings>,
    #[serde(rename = "provisioningState")]
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) provisioning_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DnsSettings {
    pub(crate) fqdn: Option<String>,
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) domain_name_label: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/virtualNetworks

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VnetProps {
    pub(crate) address_space: Option<AddressSpace>,
    pub(crate) subnets: Option<Vec<Child<SubnetProps>>>,
    pub(crate) virtual_network_peerings: Option<Vec<Child<PeeringProps>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressSpace {
    pub(crate) address_prefixes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubnetProps {
    pub(crate) address_prefix: Option<String>,
    pub(crate) address_prefixes: Option<Vec<String>>,
    pub(crate) network_security_group: Option<Ref>,
    pub(crate) route_table: Option<Ref>,
    pub(crate) ip_configurations: Option<Vec<Ref>>,
    pub(crate) delegations: Option<Vec<Child<DelegationProps>>>,
}

/// A subnet delegation (`properties.delegations[].properties.serviceName`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DelegationProps {
    pub(crate) service_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PeeringProps {
    pub(crate) remote_virtual_network: Option<Ref>,
    pub(crate) remote_address_space: Option<AddressSpace>,
    pub(crate) peering_state: Option<String>,
    pub(crate) use_remote_gateways: Option<bool>,
    pub(crate) allow_virtual_network_access: Option<bool>,
    pub(crate) allow_forwarded_traffic: Option<bool>,
    pub(crate) allow_gateway_transit: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/loadBalancers

#[derive(Debug, Deserialize)]
pub(crate) struct LbProps {
    #[serde(rename = "frontendIPConfigurations")]
    pub(crate) frontends: Option<Vec<Child<FrontendProps>>>,
    #[serde(rename = "inboundNatRules")]
    pub(crate) inbound_nat_rules: Option<Vec<Child<NatRuleProps>>>,
    #[serde(rename = "backendAddressPools")]
    pub(crate) backend_address_pools: Option<Vec<Child<PoolProps>>>,
    #[serde(rename = "loadBalancingRules")]
    pub(crate) load_balancing_rules: Option<Vec<Child<LbRuleProps>>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FrontendProps {
    #[serde(rename = "publicIPAddress")]
    pub(crate) public_ip_address: Option<Ref>,
    #[serde(rename = "privateIPAddress")]
    pub(crate) private_ip_address: Option<String>,
    /// An internal frontend's subnet.
    pub(crate) subnet: Option<Ref>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NatRuleProps {
    #[serde(rename = "frontendIPConfiguration")]
    pub(crate) frontend: Option<Ref>,
    #[serde(rename = "backendIPConfiguration")]
    pub(crate) backend_ip_configuration: Option<Ref>,
    pub(crate) protocol: Option<String>,
    #[serde(rename = "frontendPort")]
    pub(crate) frontend_port: Option<i64>,
    #[serde(rename = "backendPort")]
    pub(crate) backend_port: Option<i64>,
    #[serde(rename = "frontendPortRangeStart")]
    pub(crate) frontend_port_range_start: Option<i64>,
    #[serde(rename = "frontendPortRangeEnd")]
    pub(crate) frontend_port_range_end: Option<i64>,
    #[serde(rename = "backendAddressPool")]
    pub(crate) backend_address_pool: Option<Ref>,
    #[serde(rename = "enableFloatingIP")]
    pub(crate) enable_floating_ip: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PoolProps {
    #[serde(rename = "backendIPConfigurations")]
    pub(crate) backend_ip_configurations: Option<Vec<Ref>>,
    /// IP-based pools (Standard SKU): members named by address and VNet.
    #[serde(rename = "loadBalancerBackendAddresses")]
    pub(crate) load_balancer_backend_addresses: Option<Vec<Child<BackendAddressProps>>>,
}

/// One member of a backend pool defined by IP address (docs/decisions.md D22).
#[derive(Debug, Deserialize)]
pub(crate) struct BackendAddressProps {
    #[serde(rename = "ipAddress")]
    pub(crate) ip_address: Option<String>,
    #[serde(rename = "virtualNetwork")]
    pub(crate) virtual_network: Option<Ref>,
    /// Read-only: the NIC IP configuration ARM resolved the address to.
    #[serde(rename = "networkInterfaceIPConfiguration")]
    pub(crate) network_interface_ip_configuration: Option<Ref>,
    /// v2 NAT rules: the frontend port each rule assigned to this member (docs/decisions.md D23).
    #[serde(rename = "inboundNatRulesPortMapping")]
    pub(crate) inbound_nat_rules_port_mapping: Option<Vec<NatPortMapping>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NatPortMapping {
    #[serde(rename = "inboundNatRuleName")]
    pub(crate) inbound_nat_rule_name: Option<String>,
    #[serde(rename = "frontendPort")]
    pub(crate) frontend_port: Option<i64>,
    #[serde(rename = "backendPort")]
    #[expect(
        dead_code,
        reason = "unread, but deserialised so a wrongly typed value is still rejected"
    )]
    pub(crate) backend_port: Option<i64>,
}

/// A load-balancing rule (docs/decisions.md D17–D19).
#[derive(Debug, Deserialize)]
pub(crate) struct LbRuleProps {
    #[serde(rename = "frontendIPConfiguration")]
    pub(crate) frontend: Option<Ref>,
    #[serde(rename = "backendAddressPool")]
    pub(crate) backend_address_pool: Option<Ref>,
    /// Gateway-style rules name several pools.
    #[serde(rename = "backendAddressPools")]
    pub(crate) backend_address_pools: Option<Vec<Ref>>,
    pub(crate) protocol: Option<String>,
    #[serde(rename = "frontendPort")]
    pub(crate) frontend_port: Option<i64>,
    #[serde(rename = "backendPort")]
    pub(crate) backend_port: Option<i64>,
    #[serde(rename = "enableFloatingIP")]
    pub(crate) enable_floating_ip: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/routeTables

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTableProps {
    pub(crate) routes: Option<Vec<Child<RouteProps>>>,
    pub(crate) disable_bgp_route_propagation: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteProps {
    pub(crate) address_prefix: Option<String>,
    pub(crate) next_hop_type: Option<String>,
    pub(crate) next_hop_ip_address: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/bastionHosts

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BastionProps {
    pub(crate) ip_configurations: Option<Vec<Child<BastionIpConfigProps>>>,
    /// Developer SKU: the VNet it serves (it has no subnet of its own).
    pub(crate) virtual_network: Option<Ref>,
    pub(crate) enable_shareable_link: Option<bool>,
    pub(crate) enable_ip_connect: Option<bool>,
    pub(crate) enable_tunneling: Option<bool>,
    pub(crate) enable_private_only_bastion: Option<bool>,
    pub(crate) network_acls: Option<BastionAcls>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BastionAcls {
    pub(crate) ip_rules: Option<Vec<BastionIpRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BastionIpRule {
    pub(crate) address_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BastionIpConfigProps {
    pub(crate) subnet: Option<Ref>,
}

/// Resource types with no properties rdpaudit reads (only their existence matters).
#[derive(Debug, Deserialize)]
#[expect(
    dead_code,
    reason = "unread, but deserialised so a wrongly typed value is still rejected"
)]
pub(crate) struct AnyProps {}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network/virtualNetworkGateways, localNetworkGateways, connections (private reach)

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayProps {
    pub(crate) enable_bgp: Option<bool>,
    pub(crate) ip_configurations: Option<Vec<Child<BastionIpConfigProps>>>,
    pub(crate) vpn_client_configuration: Option<VpnClientConfiguration>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VpnClientConfiguration {
    pub(crate) vpn_client_address_pool: Option<AddressSpace>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LocalGatewayProps {
    pub(crate) local_network_address_space: Option<AddressSpace>,
    pub(crate) bgp_settings: Option<BgpSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BgpSettings {
    pub(crate) asn: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionProps {
    pub(crate) connection_type: Option<String>,
    pub(crate) connection_status: Option<String>,
    pub(crate) virtual_network_gateway1: Option<Ref>,
    pub(crate) virtual_network_gateway2: Option<Ref>,
    pub(crate) local_network_gateway2: Option<Ref>,
    pub(crate) enable_bgp: Option<bool>,
}
