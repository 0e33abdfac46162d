//! The wording of the doors' remainder (docs/decisions.md D21, D28, D29, D33): forced
//! tunnelling behind a DNAT rule, admin-rule ties, private paths. Part of `words`.

use crate::engine::admin::AdminRef;
use crate::engine::types::ForcedTunnel;

/// After a private path's entry point in `check` (docs/decisions.md D21, D29).
pub(crate) const PRIVATE_PATH: &str = " (private frontend: reached from private networks only)";

/// The `Deny` rule tied with the `Allow` rule that handed a part to the NSGs (D33).
pub(super) fn tie(deny: &AdminRef) -> String {
    format!(
        ", tied with {} at the same priority (Azure does not document which wins; not concluded \
         blocked: conditional)",
        crate::rules::doors::admin_rule_text(deny)
    )
}

/// A DNAT path behind forced tunnelling (docs/decisions.md D28 (c)).
pub(super) fn forced_tunnel(f: &ForcedTunnel) -> String {
    format!(
        "conditional: route table {} sends 0.0.0.0/0 from firewall {}'s AzureFirewallSubnet to {}{} \
         (forced tunnelling) and the firewall has no Management NIC; Azure Firewall does not \
         support DNAT then (replies take the tunnel), so this path works only if the tunnel \
         returns them",
        f.route_table.name(),
        f.firewall,
        f.next_hop.as_str(),
        f.next_hop_ip
            .as_deref()
            .map(|ip| format!(" {ip}"))
            .unwrap_or_default()
    )
}
