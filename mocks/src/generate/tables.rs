//! The generator's vocabulary as data: regions, sizes, roles, address ranges, the security-rule
//! templates with their weights, images and power states. Changing a table changes every
//! generated estate (the golden test in mocks/tests/generate.rs catches it).

/// Azure regions and the short codes used in resource names.
pub(super) const REGIONS: &[(&str, &str)] = &[
    ("westeurope", "weu"),
    ("northeurope", "neu"),
    ("eastus", "eus"),
    ("eastus2", "eu2"),
    ("westus2", "wu2"),
    ("uksouth", "uks"),
    ("southeastasia", "sea"),
];

pub(super) const VM_SIZES: &[&str] = &[
    "Standard_D2s_v5",
    "Standard_D4s_v5",
    "Standard_B2ms",
    "Standard_E4s_v5",
    "Standard_D2as_v5",
    "Standard_F4s_v2",
];

pub(super) const ROLES: &[&str] = &["web", "app", "sql", "jmp", "rds", "dc", "fs", "api"];

/// Environments, for application resource groups and the `env` tag.
pub(super) const ENVS: [&str; 3] = ["prd", "dev", "tst"];

pub(super) const ZONES: [&str; 3] = ["1", "2", "3"];

/// Corporate egress ranges that rules allow RDP or SSH from.
pub(super) const CORP_CIDRS: &[&str] = &[
    "203.0.113.0/24",
    "198.51.100.0/24",
    "192.0.2.0/25",
    "198.51.100.17/32",
    "203.0.113.128/26",
    "80.80.80.0/22",
];

/// First octets of generated public addresses, in turn.
pub(super) const PUBLIC_FIRST_OCTETS: [u8; 6] = [20, 40, 51, 52, 13, 4];

/// Workload subnets of a VNet (VMs go there): the first two or three subnets.
pub(super) const WORKLOAD_2: &[usize] = &[0, 1];
pub(super) const WORKLOAD_3: &[usize] = &[0, 1, 2];

/// One side (source or destination) of a rule template.
pub(super) enum Side {
    /// A fixed prefix or service tag (`*AddressPrefix`).
    One(&'static str),
    /// One of these, picked by the template roll.
    ByPick(&'static [&'static str]),
    /// A fixed list (`*AddressPrefixes`).
    List(&'static [&'static str]),
    /// A list of this many distinct corporate ranges.
    Corp(usize),
    /// One to three corporate ranges (a single one as `*AddressPrefix`).
    CorpOneToThree,
    /// A random partner address in 52.0.0.0/8.
    Partner,
    /// A random application security group of the VNet's region.
    Asg,
}

/// Destination ports of a rule template.
pub(super) enum PortsT {
    One(&'static str),
    ByPick(&'static [&'static str]),
    Many(&'static [&'static str]),
}

/// Access of a rule template.
pub(super) enum Access {
    Allow,
    Deny,
    /// Allow or deny with equal odds.
    Coin,
}

/// An inbound rule template, chosen when the roll (0..100) is at most `upto`.
pub(super) struct Inbound {
    pub upto: usize,
    pub name: &'static str,
    pub description: Option<&'static str>,
    pub protocol: &'static str,
    pub src: Side,
    pub dst: Side,
    pub ports: PortsT,
    pub access: Access,
}

const fn rule(
    upto: usize,
    name: &'static str,
    description: Option<&'static str>,
    protocol: &'static str,
    src: Side,
    ports: PortsT,
    access: Access,
) -> Inbound {
    Inbound {
        upto,
        name,
        description,
        protocol,
        src,
        dst: Side::One("*"),
        ports,
        access,
    }
}

/// A realistic mix of RDP exposure patterns (open to the Internet, to corporate ranges, via
/// port ranges and lists, shadowed by denies, over UDP), other services, service tags and ASGs.
#[rustfmt::skip]
pub(super) const INBOUND: &[Inbound] = &[
    rule(4, "Allow-RDP-Any", Some("Temporary: vendor access"), "Tcp",
        Side::ByPick(&["*", "Internet", "0.0.0.0/0"]), PortsT::One("3389"), Access::Allow),
    rule(16, "Allow-RDP-Corp", Some("RDP from corporate egress"), "Tcp",
        Side::CorpOneToThree, PortsT::One("3389"), Access::Allow),
    rule(22, "Allow-RDP-VNet", None, "Tcp",
        Side::One("VirtualNetwork"), PortsT::One("3389"), Access::Allow),
    rule(27, "Allow-Mgmt-Range", Some("Management ports"), "*",
        Side::Corp(2), PortsT::One("3380-3390"), Access::Allow),
    rule(32, "Allow-Mgmt-List", None, "Tcp",
        Side::One("Internet"), PortsT::Many(&["22", "3389", "5985-5986"]), Access::Coin),
    rule(39, "Deny-RDP-Internet", Some("Block RDP from the Internet"), "Tcp",
        Side::One("Internet"), PortsT::One("3389"), Access::Deny),
    rule(51, "Allow-HTTPS", None, "Tcp",
        Side::One("Internet"), PortsT::Many(&["80", "443"]), Access::Allow),
    rule(58, "Allow-SSH-Corp", None, "Tcp", Side::Corp(2), PortsT::One("22"), Access::Allow),
    rule(62, "Allow-AzureLB", None, "*",
        Side::One("AzureLoadBalancer"), PortsT::One("*"), Access::Allow),
    Inbound {
        dst: Side::Asg,
        ..rule(70, "Allow-ASG", Some("Tier to tier"), "Tcp",
            Side::Asg, PortsT::ByPick(&["1433", "3389", "*", "445"]), Access::Allow)
    },
    rule(74, "Allow-RDP-UDP", Some("RDP Shortpath"), "Udp",
        Side::Corp(1), PortsT::One("3389"), Access::Allow),
    rule(78, "Allow-ICMP", None, "Icmp",
        Side::One("VirtualNetwork"), PortsT::One("*"), Access::Allow),
    Inbound {
        dst: Side::One("VirtualNetwork"),
        ..rule(82, "Allow-Partner-IP", Some("Partner jump host"), "Tcp",
            Side::Partner, PortsT::One("3389"), Access::Allow)
    },
    rule(86, "Allow-WinRM", None, "Tcp",
        Side::One("AzureCloud"), PortsT::One("5985-5986"), Access::Allow),
    rule(90, "Deny-Any-Corp-Bad", None, "*",
        Side::List(&["80.80.80.0/22", "198.51.100.17/32"]), PortsT::One("*"), Access::Deny),
    rule(94, "Allow-GatewayManager", None, "Tcp",
        Side::One("GatewayManager"), PortsT::One("443"), Access::Allow),
    Inbound {
        dst: Side::List(&["10.0.0.0/8"]),
        ..rule(99, "Allow-App-Ports", None, "Tcp",
            Side::One("VirtualNetwork"), PortsT::Many(&["8080-8090", "9000"]), Access::Allow)
    },
];

/// What the ASG template becomes when the region has no application security groups.
pub(super) const INBOUND_NO_ASG: Inbound = rule(
    70,
    "Allow-SQL-VNet",
    None,
    "Tcp",
    Side::One("VirtualNetwork"),
    PortsT::One("1433"),
    Access::Allow,
);

/// Destination of an outbound rule template.
pub(super) enum OutDst {
    One(&'static str),
    /// The `Storage.<Region>` service tag of a random region.
    RegionalStorage,
    List(&'static [&'static str]),
}

/// Outbound rule templates, equally likely: (name, destination, port, allow).
pub(super) const OUTBOUND: [(&str, OutDst, &str, bool); 4] = [
    ("Allow-HTTPS-Out", OutDst::One("Internet"), "443", true),
    ("Allow-Storage-Out", OutDst::RegionalStorage, "443", true),
    ("Deny-Internet-Out", OutDst::One("Internet"), "*", false),
    (
        "Allow-KMS-Out",
        OutDst::List(&["20.118.99.224/32", "40.83.235.53/32"]),
        "1688",
        true,
    ),
];

/// A default security rule: (name, description, source, destination, access, priority,
/// direction).
pub(super) type DefaultRule = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    &'static str,
);

/// The six default rules every NSG carries, exactly as ARM returns them
/// (<https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules>).
#[rustfmt::skip]
pub(super) const DEFAULT_RULES: [DefaultRule; 6] = [
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET",
        "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer",
        "AzureLoadBalancer", "*", "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET",
        "VirtualNetwork", "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet",
        "*", "Internet", "Allow", 65001, "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
];

/// Power states by a roll of 0..100, each up to and including its bound (`None`: the instance
/// view has no power status, as for a VM ARM is still creating).
pub(super) const POWER: [(i32, Option<&str>); 7] = [
    (81, Some("running")),
    (91, Some("deallocated")),
    (95, Some("stopped")),
    (96, Some("starting")),
    (97, Some("deallocating")),
    (98, Some("stopping")),
    (99, None),
];

/// An OS image: (publisher, offer, sku, exact version, OS name, OS version).
pub(super) type Image = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

pub(super) const UBUNTU: Image = (
    "Canonical",
    "0001-com-ubuntu-server-jammy",
    "22_04-lts-gen2",
    "22.04.202501080",
    "ubuntu",
    "22.04",
);
pub(super) const WINDOWS_2022: Image = (
    "MicrosoftWindowsServer",
    "WindowsServer",
    "2022-datacenter-azure-edition",
    "20348.2966.241205",
    "Windows Server 2022 Datacenter Azure Edition",
    "10.0.20348.2966",
);
pub(super) const WINDOWS_2019: Image = (
    "MicrosoftWindowsServer",
    "WindowsServer",
    "2019-datacenter-gensecond",
    "17763.6659.241205",
    "Windows Server 2019 Datacenter",
    "10.0.17763.6659",
);
