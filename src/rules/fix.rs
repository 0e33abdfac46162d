//! Typed fixes: what a finding's remediation changes, as data. Rules build them from the
//! engine's typed results (exact resource ids, the deciding rule, a free priority); the report
//! renders them as `az` commands, ARM bodies or Terraform (`report::fix`), and the pipeline
//! proves them on a patched copy of the data before they are printed (`remedy`).
//!
//! A rule that has no typed fix yet keeps its `RuleMeta::remediation` template: the report
//! prints it as advice (marked so), never as a proven command.

use serde::Serialize;

use crate::model::{Access, Nsg, ResId};

/// Where a new or narrowed rule admits from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A prefix the data or `--client-ip` gave, e.g. `203.0.113.7/32`.
    Prefix(String),
    /// The user's own public address, which only they know: printed as `<YOUR-PUBLIC-IP>/32`.
    YourPublicIp,
}

/// The visible placeholder for the user's address.
pub const YOUR_PUBLIC_IP: &str = "<YOUR-PUBLIC-IP>/32";

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Prefix(p) => f.write_str(p),
            Source::YourPublicIp => f.write_str(YOUR_PUBLIC_IP),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Allow or deny, for a rule a fix adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FixAccess {
    /// Admit the traffic.
    Allow,
    /// Drop the traffic.
    Deny,
}

/// One change that removes a finding. Resource ids are exact (ARM's spelling); names are
/// rendered quoted (`report::fix`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Fix {
    /// Replace the sources of an allow rule (exposure: narrow it to the admins' address).
    NarrowNsgRuleSources {
        /// The NSG's resource id.
        nsg: String,
        /// The rule's name.
        rule: String,
        /// Its priority (unchanged).
        priority: u32,
        /// The new sources.
        sources: Vec<Source>,
    },
    /// Add one inbound TCP rule to an NSG.
    AddNsgRule {
        /// The NSG's resource id.
        nsg: String,
        /// The new rule's name.
        name: String,
        /// A free priority below the deciding rule's (`None`: there is none in 100–4096).
        priority: Option<u32>,
        /// The rule it must win against: (name, priority).
        wins_over: Option<(String, u32)>,
        /// Allow or deny.
        access: FixAccess,
        /// Who it matches.
        sources: Vec<Source>,
        /// The destination: the VM's private IP, or `*`.
        destination: String,
        /// The destination port.
        port: u16,
    },
    /// Add a user route (the client's replies go back the way they came).
    AddRoute {
        /// The route table's resource id.
        route_table: String,
        /// The new route's name.
        name: String,
        /// Its address prefix.
        prefix: Source,
    },
    /// Start a stopped or deallocated VM.
    StartVm {
        /// The VM's resource id.
        vm: String,
    },
    /// Let an allow rule match every client source port (`*`): RDP clients pick theirs from
    /// the ephemeral range.
    WidenNsgRuleSourcePorts {
        /// The NSG's resource id.
        nsg: String,
        /// The rule's name.
        rule: String,
    },
    /// Words, not a command: a rule with no typed fix yet, or a step only a person can take.
    Advice {
        /// What to do.
        text: String,
    },
    /// Point an allow rule at the VM's private address: NSGs are evaluated after Azure has
    /// translated the public IP, so a rule naming the public IP never matches (RDP404).
    SetNsgRuleDestination {
        /// The NSG's resource id.
        nsg: String,
        /// The rule's name.
        rule: String,
        /// The VM's private IP.
        destination: String,
    },
    /// Delete a standing allow rule, once just-in-time access or Bastion replaces it (RDP804).
    DeleteNsgRule {
        /// The NSG's resource id.
        nsg: String,
        /// The rule's name.
        rule: String,
    },
    /// Make a dynamic public IP static: its address then survives a deallocation (RDP603).
    StaticPublicIp {
        /// The public IP's resource id.
        public_ip: String,
    },
    /// Turn a Bastion feature off (RDP805, RDP806).
    DisableBastionFeature {
        /// The Bastion host's resource id.
        bastion: String,
        /// Which feature.
        feature: BastionFeature,
    },
    /// Replace a DNAT rule's sources (RDP607): in a Firewall Policy's rule collection group, or
    /// in a classic firewall's NAT rule collection.
    NarrowDnatRuleSources {
        /// The rule collection group's id (policy rules) or the firewall's id (classic rules).
        resource: String,
        /// The rule collection's name.
        collection: String,
        /// The rule's name.
        rule: String,
        /// The new sources.
        sources: Vec<Source>,
        /// Classic rules have no update command: the flags that re-create the rule as it is
        /// (protocols, destinations, ports, translation), without its sources.
        recreate: Option<Vec<(String, Vec<String>)>>,
    },
    /// Change a Virtual Network Manager security admin rule's access (RDP410: `AlwaysAllow` →
    /// `Allow`, so the NSGs decide again).
    SetAdminRuleAccess {
        /// The admin rule's resource id.
        rule: String,
        /// The new access.
        access: AdminAccess,
        /// The region to deploy the configuration again in (the VM's, which its VNet shares);
        /// `None`: unknown, a marked placeholder.
        region: Option<String>,
    },
    /// Require Network Level Authentication in the guest (RDP507), by Run Command. Guest settings
    /// are not in the ARM data: printed as advice, never proven.
    EnableNla {
        /// The VM's resource id.
        vm: String,
    },
}

/// A Bastion feature a fix turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BastionFeature {
    /// `enableShareableLink`.
    ShareableLink,
    /// `enableIpConnect`.
    IpConnect,
}

impl BastionFeature {
    /// The ARM property.
    pub fn property(self) -> &'static str {
        match self {
            BastionFeature::ShareableLink => "enableShareableLink",
            BastionFeature::IpConnect => "enableIpConnect",
        }
    }
}

/// A security admin rule's access a fix sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AdminAccess {
    /// Let the NSGs decide.
    Allow,
}

impl Fix {
    /// The resource the fix changes (`None` for advice).
    pub fn resource(&self) -> Option<&str> {
        match self {
            Fix::NarrowNsgRuleSources { nsg, .. }
            | Fix::AddNsgRule { nsg, .. }
            | Fix::WidenNsgRuleSourcePorts { nsg, .. } => Some(nsg),
            Fix::AddRoute { route_table, .. } => Some(route_table),
            Fix::StartVm { vm } | Fix::EnableNla { vm } => Some(vm),
            Fix::Advice { .. } => None,
            Fix::SetNsgRuleDestination { nsg, .. } | Fix::DeleteNsgRule { nsg, .. } => Some(nsg),
            Fix::StaticPublicIp { public_ip } => Some(public_ip),
            Fix::DisableBastionFeature { bastion, .. } => Some(bastion),
            Fix::NarrowDnatRuleSources { resource, .. } => Some(resource),
            Fix::SetAdminRuleAccess { rule, .. } => Some(rule),
        }
    }

    /// Whether the fix uses the `<YOUR-PUBLIC-IP>` placeholder.
    pub fn needs_your_ip(&self) -> bool {
        let yours = |s: &Source| *s == Source::YourPublicIp;
        match self {
            Fix::NarrowNsgRuleSources { sources, .. }
            | Fix::AddNsgRule { sources, .. }
            | Fix::NarrowDnatRuleSources { sources, .. } => sources.iter().any(yours),
            Fix::AddRoute { prefix, .. } => yours(prefix),
            _ => false,
        }
    }
}

/// The lowest and highest priority a custom NSG rule may have.
pub const PRIORITY_RANGE: (u32, u32) = (100, 4096);

/// A free priority that is evaluated before `below` (a lower number), within 100–4096 and not
/// used by any inbound rule of the NSG; the highest such, so rules already above stay above.
/// `None` when there is none. Azure rejects two rules with one priority and direction:
/// <https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview#security-rules>.
pub(crate) fn free_priority(nsg: &Nsg, below: u32) -> Option<u32> {
    let top = below.saturating_sub(1).min(PRIORITY_RANGE.1);
    (PRIORITY_RANGE.0..=top)
        .rev()
        .find(|p| !nsg.inbound.iter().any(|r| r.priority == *p))
}

/// The sources a fix admits: `--client-ip` as a prefix, or the user's own address.
pub(crate) fn client_sources(client_label: &str) -> Vec<Source> {
    vec![client_source(client_label)]
}

/// `--client-ip` as a prefix (a bare address becomes a /32 or /128), or the placeholder.
pub(crate) fn client_source(client_label: &str) -> Source {
    let p = client_label.trim();
    if p == "internet" {
        Source::YourPublicIp
    } else if p.contains('/') {
        Source::Prefix(p.to_string())
    } else if p.contains(':') {
        Source::Prefix(format!("{p}/128"))
    } else {
        Source::Prefix(format!("{p}/32"))
    }
}

/// `AddNsgRule` admitting the client to the VM, placed to win against the deciding rule.
pub(crate) fn admit_client(
    nsg: &Nsg,
    deciding: Option<(&str, u32)>,
    client_label: &str,
    destination: String,
    port: u16,
) -> Fix {
    let below = deciding.map_or(65000, |(_, p)| p);
    Fix::AddNsgRule {
        nsg: nsg.id.id.clone(),
        name: format!("Allow-RDP-{port}-rdpaudit"),
        priority: free_priority(nsg, below),
        wins_over: deciding.map(|(n, p)| (n.to_string(), p)),
        access: FixAccess::Allow,
        sources: client_sources(client_label),
        destination,
        port,
    }
}

/// Whether an allow rule serves more than RDP: other ports than `port`, so narrowing its
/// sources would cut off other traffic (then a deny is added above it instead).
pub(crate) fn serves_more_than(nsg: &Nsg, rule: &str, port: u16) -> bool {
    nsg.inbound.iter().find(|r| r.name == rule).is_none_or(|r| {
        !(r.access == Access::Allow
            && r.destination_ports == crate::model::PortSet::from_ranges(vec![(port, port)]))
    })
}

/// Exposure: narrow the admitting allow rule to the admins' address; when the rule also serves
/// other ports (or is one of Azure's default rules, which cannot be edited), add a deny for the
/// Internet above it instead, so the other traffic keeps flowing.
pub(crate) fn narrow(
    cx: &super::Cx<'_, '_>,
    nsg: &Nsg,
    rule: &crate::engine::nsg::RuleRef,
    port: u16,
) -> Fix {
    if rule.is_default || serves_more_than(nsg, &rule.name, port) {
        return Fix::AddNsgRule {
            nsg: nsg.id.id.clone(),
            name: format!("Deny-RDP-{port}-Internet-rdpaudit"),
            priority: free_priority(nsg, rule.priority),
            wins_over: Some((rule.name.clone(), rule.priority)),
            access: FixAccess::Deny,
            sources: vec![Source::Prefix("Internet".into())],
            destination: "*".into(),
            port,
        };
    }
    Fix::NarrowNsgRuleSources {
        nsg: nsg.id.id.clone(),
        rule: rule.name.clone(),
        priority: rule.priority,
        sources: client_sources(&cx.vm.client_label),
    }
}

/// An address of `set` to prove a fix with: `None` (the default 192.0.2.10) when the set holds
/// it, else the set's first IPv4 (or IPv6) address.
pub(crate) fn sample(set: &crate::engine::AddrSet) -> Option<String> {
    let default: std::net::IpAddr = std::net::Ipv4Addr::new(192, 0, 2, 10).into();
    if set.contains(default) {
        return None;
    }
    if let Some((lo, _)) = set.v4.ranges().first() {
        return Some(std::net::Ipv4Addr::from(*lo).to_string());
    }
    set.v6
        .ranges()
        .first()
        .map(|(lo, _)| std::net::Ipv6Addr::from(*lo).to_string())
}

/// POSIX single-quote escaping: plain words stay as they are, anything else is quoted with
/// `'` and each `'` inside becomes `'\''` (`report::fix::shell_quote` is this).
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `--subscription S --resource-group RG` of a resource id, for advice that names it.
pub(crate) fn scope_of(id: &str) -> String {
    let (sub, rg, _) = parts(id);
    format!(
        "--subscription {} --resource-group {}",
        quote(&sub),
        quote(&rg)
    )
}

/// Advice for a NIC that no NSG protects: create an NSG beside it (Azure's default rules deny
/// inbound from the Internet), add `rule` = (access, sources), associate it. Names come from
/// the data; the NSG's name is a suggestion.
pub(crate) fn new_nsg_advice(
    nic: &crate::model::ResId,
    nsg: &str,
    rule: (FixAccess, &[Source]),
    port: u16,
) -> String {
    let scope = scope_of(&nic.id);
    let (access, sources) = rule;
    let (verb, name) = match access {
        FixAccess::Allow => ("Allow", format!("Allow-RDP-{port}-rdpaudit")),
        FixAccess::Deny => ("Deny", format!("Deny-RDP-{port}-rdpaudit")),
    };
    let sources: Vec<String> = sources.iter().map(|s| quote(&s.to_string())).collect();
    format!(
        "az network nsg create {scope} --name {nsg}   (Azure's default rules: inbound from the \
         Internet denied)\n\
         az network nsg rule create {scope} --nsg-name {nsg} --name {name} --priority 300 \
         --direction Inbound --access {verb} --protocol Tcp --source-address-prefixes {} \
         --source-port-ranges '*' --destination-port-ranges {port}\n\
         az network nic update {scope} --name {} --network-security-group {nsg}",
        sources.join(" "),
        quote(nic.name()),
        nsg = quote(nsg),
    )
}

/// [`new_nsg_advice`] admitting the client (`--client-ip`, else the marked placeholder) on the
/// path's NIC; `None` without a NIC (classic VMs).
pub(crate) fn nsg_for_path(
    cx: &super::Cx<'_, '_>,
    p: &crate::engine::PathAnalysis<'_>,
) -> Option<String> {
    let nic = p.nic?;
    Some(new_nsg_advice(
        &nic.id,
        &format!("{}-nsg", cx.vm.name),
        (FixAccess::Allow, &client_sources(&cx.vm.client_label)),
        p.delivered_port,
    ))
}

/// Advice for east-west RDP into a VM no NSG protects: an NSG on its first NIC with a deny for
/// `sources` (Azure's default rules admit the whole VNet). Unchanged without a NIC.
pub(crate) fn deny_on_new_nsg(
    cx: &super::Cx<'_, '_>,
    mut f: super::Finding,
    sources: &[Source],
) -> super::Finding {
    if cx.brief {
        return f;
    }
    if let Some((nic, _)) = cx.vm.arm.and_then(|v| v.nics.first()) {
        f.remediation = new_nsg_advice(
            nic,
            &format!("{}-nsg", cx.vm.name),
            (FixAccess::Deny, sources),
            cx.vm.port,
        );
    }
    f
}

/// The resource group, subscription and name of an id, for commands.
pub fn parts(id: &str) -> (String, String, String) {
    let r = ResId::new(id);
    (
        r.segment_after("subscriptions")
            .unwrap_or_default()
            .to_string(),
        r.segment_after("resourceGroups")
            .unwrap_or_default()
            .to_string(),
        r.name().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AddrSpec, PortSet, Protocol, SecurityRule};

    fn nsg(priorities: &[u32]) -> Nsg {
        Nsg {
            id: ResId::new("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n"),
            name: "n".into(),
            provisioning_state: None,
            outbound: Default::default(),
            inbound: priorities
                .iter()
                .map(|p| SecurityRule {
                    name: format!("r{p}"),
                    priority: *p,
                    access: Access::Deny,
                    protocol: Protocol::Any,
                    source: AddrSpec {
                        any: true,
                        ..AddrSpec::default()
                    },
                    source_ports: PortSet::all(),
                    destination: AddrSpec::default(),
                    destination_ports: PortSet::all(),
                    is_default: false,
                })
                .collect(),
        }
    }

    #[test]
    fn a_free_priority_is_below_the_deciding_rule_unused_and_in_range() {
        assert_eq!(free_priority(&nsg(&[300, 299]), 300), Some(298));
        assert_eq!(free_priority(&nsg(&[]), 65500), Some(4096));
        assert_eq!(free_priority(&nsg(&[100]), 101), None);
        assert_eq!(free_priority(&nsg(&[]), 100), None);
    }

    #[test]
    fn the_client_becomes_a_prefix_or_the_marked_placeholder() {
        assert_eq!(client_sources("internet"), vec![Source::YourPublicIp]);
        assert_eq!(
            client_sources("198.51.100.7"),
            vec![Source::Prefix("198.51.100.7/32".into())]
        );
        assert_eq!(Source::YourPublicIp.to_string(), "<YOUR-PUBLIC-IP>/32");
    }
}
