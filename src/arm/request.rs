//! ARM requests as plain values: URLs and api-versions, built without I/O and tested by exact URL.
//! api-versions: `tests/fixtures/arm/examples/README.md` (Compute 2025-04-01, Network 2025-07-01).

use reqwest::Url;

pub(crate) const API_SUBSCRIPTIONS: &str = "2022-12-01";
pub(crate) const API_COMPUTE: &str = "2025-04-01";
pub(crate) const API_NETWORK: &str = "2025-07-01";
/// No swagger exists for Microsoft.ClassicCompute; this is the version its ARM view answers to.
pub(crate) const API_CLASSIC_COMPUTE: &str = "2017-04-01";

/// A resource type rdpaudit lists (docs/live-azure.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResourceType {
    pub(crate) namespace: &'static str,
    pub(crate) name: &'static str,
    pub(crate) api_version: &'static str,
}

impl ResourceType {
    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    pub(crate) fn is_vm(&self) -> bool {
        *self == VIRTUAL_MACHINES
    }
}

const fn t(namespace: &'static str, name: &'static str, api_version: &'static str) -> ResourceType {
    ResourceType {
        namespace,
        name,
        api_version,
    }
}

pub(crate) const VIRTUAL_MACHINES: ResourceType =
    t("Microsoft.Compute", "virtualMachines", API_COMPUTE);
pub(crate) const BASTION_HOSTS: ResourceType = t("Microsoft.Network", "bastionHosts", API_NETWORK);
pub(crate) const NETWORK_INTERFACES: ResourceType =
    t("Microsoft.Network", "networkInterfaces", API_NETWORK);
pub(crate) const PUBLIC_IP_ADDRESSES: ResourceType =
    t("Microsoft.Network", "publicIPAddresses", API_NETWORK);

pub(crate) const AZURE_FIREWALLS: ResourceType =
    t("Microsoft.Network", "azureFirewalls", API_NETWORK);
pub(crate) const FIREWALL_POLICIES: ResourceType =
    t("Microsoft.Network", "firewallPolicies", API_NETWORK);
pub(crate) const IP_GROUPS: ResourceType = t("Microsoft.Network", "ipGroups", API_NETWORK);

/// Listed subscription-wide even for a resource-group audit: a Bastion, a firewall, its policy
/// or its IP Groups in another group (usually the hub's) can still lead to the VMs in scope.
pub(crate) const SUBSCRIPTION_WIDE: [ResourceType; 4] =
    [BASTION_HOSTS, AZURE_FIREWALLS, FIREWALL_POLICIES, IP_GROUPS];

/// Every type a subscription audit lists, one paged list each.
pub(crate) const TYPES: [ResourceType; 13] = [
    VIRTUAL_MACHINES,
    NETWORK_INTERFACES,
    t("Microsoft.Network", "networkSecurityGroups", API_NETWORK),
    PUBLIC_IP_ADDRESSES,
    t("Microsoft.Network", "virtualNetworks", API_NETWORK),
    t("Microsoft.Network", "loadBalancers", API_NETWORK),
    t("Microsoft.Network", "routeTables", API_NETWORK),
    BASTION_HOSTS,
    t(
        "Microsoft.Network",
        "applicationSecurityGroups",
        API_NETWORK,
    ),
    t(
        "Microsoft.ClassicCompute",
        "virtualMachines",
        API_CLASSIC_COMPUTE,
    ),
    AZURE_FIREWALLS,
    FIREWALL_POLICIES,
    IP_GROUPS,
];

/// Gateway connections: ARM lists them per resource group only, so a subscription audit lists
/// them in the groups that hold a virtual network gateway (docs/decisions.md D44).
pub(crate) const CONNECTIONS: ResourceType = t("Microsoft.Network", "connections", API_NETWORK);

/// Private-reach types the Resource Graph query adds (ARM reads gateways and local gateways by
/// reference, connections per group).
pub(crate) const PRIVATE_REACH_TYPES: [ResourceType; 3] = [
    t("Microsoft.Network", "virtualNetworkGateways", API_NETWORK),
    t("Microsoft.Network", "localNetworkGateways", API_NETWORK),
    CONNECTIONS,
];

/// The api-version for a resource id, by its provider namespace.
pub(crate) fn api_version_for(id: &str) -> &'static str {
    let lower = id.to_ascii_lowercase();
    if lower.contains("/providers/microsoft.compute/") {
        API_COMPUTE
    } else if lower.contains("/providers/microsoft.classiccompute/") {
        API_CLASSIC_COMPUTE
    } else if lower.contains("/providers/microsoft.network/") {
        API_NETWORK
    } else {
        API_SUBSCRIPTIONS
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut u = base.clone();
    let prefix = base.path().trim_end_matches('/');
    u.set_path(&format!("{prefix}{path}"));
    u.set_query(None);
    u
}

/// `GET /subscriptions?api-version=…`
pub(crate) fn subscriptions(base: &Url) -> Url {
    let mut u = join(base, "/subscriptions");
    u.query_pairs_mut()
        .append_pair("api-version", API_SUBSCRIPTIONS);
    u
}

/// One paged list of a type in a subscription or resource group. VMs are listed with
/// `statusOnly=true` at subscription scope, which carries the instance view (power state) of
/// every VM in one list instead of one call per VM.
pub(crate) fn list(
    base: &Url,
    subscription: &str,
    resource_group: Option<&str>,
    t: &ResourceType,
) -> Url {
    let scope = match resource_group {
        Some(rg) => format!("/subscriptions/{subscription}/resourceGroups/{rg}"),
        None => format!("/subscriptions/{subscription}"),
    };
    let mut u = join(
        base,
        &format!("{scope}/providers/{}/{}", t.namespace, t.name),
    );
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("api-version", t.api_version);
        if t.is_vm() && resource_group.is_none() {
            q.append_pair("statusOnly", "true");
        }
    }
    u
}

/// `GET {id}` (optionally with `$expand`).
pub(crate) fn get(base: &Url, id: &str, expand: Option<&str>) -> Url {
    let mut u = join(base, id.trim_end_matches('/'));
    {
        let mut q = u.query_pairs_mut();
        if let Some(e) = expand {
            q.append_pair("$expand", e);
        }
        q.append_pair("api-version", api_version_for(id));
    }
    u
}

/// `GET {parent id}/{child type}`: a child list (a policy's rule collection groups).
pub(crate) fn child_list(base: &Url, parent: &str, child: &str) -> Url {
    let mut u = join(base, &format!("{}/{child}", parent.trim_end_matches('/')));
    u.query_pairs_mut().append_pair("api-version", API_NETWORK);
    u
}

/// `POST {vnet id}/listNetworkManagerEffectiveSecurityAdminRules?api-version=…&$top=20`
/// (`$top` is 1–20; docs/decisions.md D36).
pub(crate) fn admin_rules(base: &Url, vnet: &str) -> Url {
    let mut u = join(
        base,
        &format!(
            "{}/listNetworkManagerEffectiveSecurityAdminRules",
            vnet.trim_end_matches('/')
        ),
    );
    u.query_pairs_mut()
        .append_pair("api-version", API_NETWORK)
        .append_pair("$top", "20");
    u
}

/// `GET {vm id}/instanceView`.
pub(crate) fn instance_view(base: &Url, vm_id: &str) -> Url {
    let mut u = join(
        base,
        &format!("{}/instanceView", vm_id.trim_end_matches('/')),
    );
    u.query_pairs_mut().append_pair("api-version", API_COMPUTE);
    u
}

/// `POST {vm id}/runCommand` (the classic, action-style Run Command).
/// <https://learn.microsoft.com/rest/api/compute/virtual-machines/run-command>
pub(crate) fn run_command(base: &Url, vm_id: &str) -> Url {
    let mut u = join(base, &format!("{}/runCommand", vm_id.trim_end_matches('/')));
    u.query_pairs_mut().append_pair("api-version", API_COMPUTE);
    u
}

/// Same scheme, host and port: the only URLs the bearer token may be sent to.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://management.azure.com").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn urls_are_exact() {
        assert_eq!(
            subscriptions(&base()).as_str(),
            "https://management.azure.com/subscriptions?api-version=2022-12-01"
        );
        assert_eq!(
            list(&base(), "s1", None, &TYPES[0]).as_str(),
            "https://management.azure.com/subscriptions/s1/providers/Microsoft.Compute/virtualMachines?api-version=2025-04-01&statusOnly=true"
        );
        assert_eq!(
            list(&base(), "s1", Some("rg-web"), &TYPES[2]).as_str(),
            "https://management.azure.com/subscriptions/s1/resourceGroups/rg-web/providers/Microsoft.Network/networkSecurityGroups?api-version=2025-07-01"
        );
        assert_eq!(
            list(&base(), "s1", None, &TYPES[9]).as_str(),
            "https://management.azure.com/subscriptions/s1/providers/Microsoft.ClassicCompute/virtualMachines?api-version=2017-04-01"
        );
        let vm = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-01";
        assert_eq!(
            get(&base(), vm, Some("instanceView")).as_str(),
            "https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-01?%24expand=instanceView&api-version=2025-04-01"
        );
        assert_eq!(
            instance_view(&base(), vm).as_str(),
            "https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-01/instanceView?api-version=2025-04-01"
        );
        let nic =
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n";
        assert!(get(&base(), nic, None)
            .as_str()
            .ends_with("networkInterfaces/n?api-version=2025-07-01"));
    }

    #[test]
    fn run_command_url() {
        assert_eq!(
            run_command(&base(), "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1").as_str(),
            "https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/runCommand?api-version=2025-04-01"
        );
    }

    #[test]
    fn a_base_path_is_kept() {
        let b = Url::parse("http://127.0.0.1:8080/arm/").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            subscriptions(&b).as_str(),
            "http://127.0.0.1:8080/arm/subscriptions?api-version=2022-12-01"
        );
    }

    #[test]
    fn origin_pinning() {
        let b = base();
        let ok = Url::parse("https://management.azure.com:443/subscriptions?x=1")
            .unwrap_or_else(|_| unreachable!());
        let other_host =
            Url::parse("https://evil.example.net/subscriptions").unwrap_or_else(|_| unreachable!());
        let other_scheme = Url::parse("http://management.azure.com/subscriptions")
            .unwrap_or_else(|_| unreachable!());
        let other_port =
            Url::parse("https://management.azure.com:8443/").unwrap_or_else(|_| unreachable!());
        assert!(same_origin(&b, &ok));
        assert!(!same_origin(&b, &other_host));
        assert!(!same_origin(&b, &other_scheme));
        assert!(!same_origin(&b, &other_port));
    }
}
