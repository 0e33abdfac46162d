//! ARM resource ids and type names. ARM compares both case-insensitively (Resource Graph even
//! lower-cases `type`), so everything here keys on lower-case strings and keeps the original
//! casing only for display.

/// The known resource types in ARM's canonical casing. Snapshots taken from Resource Graph carry
/// lower-cased types; the mock serves the canonical form, as a GET on ARM would.
pub(crate) const KNOWN_TYPES: &[&str] = &[
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/loadBalancers",
    "Microsoft.Network/routeTables",
    "Microsoft.Network/bastionHosts",
    "Microsoft.Network/applicationSecurityGroups",
    "Microsoft.Network/networkWatchers",
    "Microsoft.Network/azureFirewalls",
    "Microsoft.Network/firewallPolicies",
    "Microsoft.Network/ipGroups",
    "Microsoft.Network/virtualNetworkGateways",
    "Microsoft.Network/localNetworkGateways",
    "Microsoft.Network/connections",
    "Microsoft.ClassicCompute/virtualMachines",
];

/// The VM type, lower-cased: the one type whose instance view needs special handling.
pub(crate) const VM_TYPE_LC: &str = "microsoft.compute/virtualmachines";

/// Returns the canonical casing of a known type, or the input unchanged.
pub(crate) fn canonical_type(t: &str) -> &str {
    KNOWN_TYPES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(t))
        .copied()
        .unwrap_or(t)
}

/// A parsed resource-group-scoped resource id:
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{t0}/{n0}[/{t1}/{n1}]...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceId {
    pub subscription: String,
    pub resource_group: String,
    pub namespace: String,
    /// Type segments: `[t0, t1, ...]` (t0 is the top-level type under the namespace).
    pub types: Vec<String>,
    /// Name segments, one per type segment.
    pub names: Vec<String>,
}

impl ResourceId {
    /// Parses an id; `None` unless it is a resource-group-scoped provider resource.
    pub fn parse(id: &str) -> Option<ResourceId> {
        let segs: Vec<&str> = id.trim_matches('/').split('/').collect();
        Self::from_segments(&segs)
    }

    /// Parses already-split (and percent-decoded) path segments.
    pub fn from_segments<S: AsRef<str>>(segs: &[S]) -> Option<ResourceId> {
        let s = |i: usize| segs.get(i).map(AsRef::as_ref);
        if !eq(s(0)?, "subscriptions") || !eq(s(2)?, "resourceGroups") || !eq(s(4)?, "providers") {
            return None;
        }
        let rest = &segs[6..];
        if rest.is_empty() || rest.len() % 2 != 0 || rest.iter().any(|x| x.as_ref().is_empty()) {
            return None;
        }
        let (sub, rg, ns) = (s(1)?, s(3)?, s(5)?);
        if sub.is_empty() || rg.is_empty() || ns.is_empty() {
            return None;
        }
        Some(ResourceId {
            subscription: sub.to_owned(),
            resource_group: rg.to_owned(),
            namespace: ns.to_owned(),
            types: rest
                .iter()
                .step_by(2)
                .map(|x| x.as_ref().to_owned())
                .collect(),
            names: rest
                .iter()
                .skip(1)
                .step_by(2)
                .map(|x| x.as_ref().to_owned())
                .collect(),
        })
    }

    /// `Namespace/t0`, the top-level type.
    pub fn top_type(&self) -> String {
        format!("{}/{}", self.namespace, self.types[0])
    }

    /// `Namespace/t0/t1/...`, the full type of the addressed (possibly child) resource.
    pub fn full_type(&self) -> String {
        let mut t = self.namespace.clone();
        for ty in &self.types {
            t.push('/');
            t.push_str(ty);
        }
        t
    }

    /// `t0/n0/t1/n1...` without the namespace, as ARM quotes it in `ResourceNotFound`.
    pub fn type_and_name(&self) -> String {
        let mut out = self.namespace.clone();
        for (t, n) in self.types.iter().zip(&self.names) {
            out.push('/');
            out.push_str(t);
            out.push('/');
            out.push_str(n);
        }
        out
    }

    /// The id of the top-level resource, lower-cased (the store's key).
    pub fn top_id_lc(&self) -> String {
        format!(
            "/subscriptions/{}/resourcegroups/{}/providers/{}/{}/{}",
            self.subscription, self.resource_group, self.namespace, self.types[0], self.names[0]
        )
        .to_ascii_lowercase()
    }
}

/// ASCII case-insensitive equality.
pub(crate) fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_top_level_and_child_ids() {
        let id = ResourceId::parse(
            "/subscriptions/S/resourcegroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
        )
        .expect("parses");
        assert_eq!(id.subscription, "S");
        assert_eq!(id.resource_group, "RG");
        assert_eq!(id.top_type(), "Microsoft.Network/virtualNetworks");
        assert_eq!(id.full_type(), "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(
            id.type_and_name(),
            "Microsoft.Network/virtualNetworks/v/subnets/s"
        );
        assert_eq!(
            id.top_id_lc(),
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v"
        );
    }

    #[test]
    fn rejects_non_resource_ids() {
        assert!(ResourceId::parse("/subscriptions/s").is_none());
        assert!(ResourceId::parse("/subscriptions/s/resourceGroups/rg/providers/Ns/t").is_none());
        assert!(
            ResourceId::parse("/subscriptions/s/resourceGroups/rg/providers/Ns/t/n/x").is_none()
        );
        assert!(ResourceId::parse("/foo/s/resourceGroups/rg/providers/Ns/t/n").is_none());
    }

    #[test]
    fn canonicalises_known_types() {
        assert_eq!(
            canonical_type("microsoft.network/publicipaddresses"),
            "Microsoft.Network/publicIPAddresses"
        );
        assert_eq!(canonical_type("Contoso.Foo/bars"), "Contoso.Foo/bars");
    }
}
