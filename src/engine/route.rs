//! Routing of the reply (docs/decisions.md D12): which next hop carries the RDP reply back
//! to each client address, by longest prefix match over the subnet's user routes and the system
//! routes; a user route wins a tie with a system route.
//! <https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route>

use ipnet::IpNet;

use super::addrset::AddrSet;
use crate::model::{NextHop, RouteTable, Vnet};

/// What carries the reply to part of the client set.
#[derive(Debug, Clone)]
pub(crate) struct RoutePart {
    pub(crate) set: AddrSet,
    pub(crate) next_hop: NextHop,
    /// The user route's name; `None` for a system route.
    pub(crate) route: Option<String>,
    pub(crate) prefix: String,
    pub(crate) next_hop_ip: Option<String>,
    pub(crate) fate: ReplyFate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyFate {
    /// The reply goes back the way the request came.
    Returns,
    /// Sent to an appliance or gateway that never saw the request: dropped (RDP701).
    Asymmetric,
    /// Next hop `None`: dropped (RDP702).
    Dropped,
    /// The table holds service-tag routes whose addresses the data does not show.
    Unknown,
}

/// (prefix length, user route?, prefix, next hop, route name, next hop IP)
type Candidate = (u8, bool, IpNet, NextHop, Option<String>, Option<String>);

/// Splits `clients` by the route that carries replies to them.
pub(crate) fn reply_routes(
    clients: &AddrSet,
    vnet: Option<&Vnet>,
    table: Option<&RouteTable>,
) -> Vec<RoutePart> {
    let mut routes: Vec<Candidate> = Vec::new();
    let mut tag_routes = false;
    if let Some(t) = table {
        for r in &t.routes {
            match r.prefix {
                Some(p) => routes.push((
                    p.prefix_len(),
                    true,
                    p,
                    r.next_hop.clone(),
                    Some(r.name.clone()),
                    r.next_hop_ip.clone(),
                )),
                None => tag_routes |= r.next_hop != NextHop::Internet,
            }
        }
    }
    if let Some(v) = vnet {
        for p in &v.address_space {
            routes.push((p.prefix_len(), false, *p, NextHop::VnetLocal, None, None));
        }
        for peer in v.peerings.iter().filter(|p| p.connected) {
            for p in &peer.remote_space {
                routes.push((
                    p.prefix_len(),
                    false,
                    *p,
                    NextHop::Other("VNetPeering".into()),
                    None,
                    None,
                ));
            }
        }
    }
    for default in ["0.0.0.0/0", "::/0"] {
        if let Ok(p) = default.parse::<IpNet>() {
            routes.push((0, false, p, NextHop::Internet, None, None));
        }
    }
    // Longest prefix first; on a tie the user route wins.
    routes.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut rest = clients.clone();
    let mut out: Vec<RoutePart> = Vec::new();
    for (len, user, prefix, hop, name, hop_ip) in routes {
        if rest.is_empty() {
            break;
        }
        let covered = rest.intersect(&AddrSet::from_net(&prefix));
        if covered.is_empty() {
            continue;
        }
        rest = rest.difference(&covered);
        let mut fate = match (&hop, user) {
            (NextHop::Internet, _) => ReplyFate::Returns,
            (_, false) => ReplyFate::Returns,
            // Nothing in the VNet owns a public client's address: `VnetLocal` drops it too.
            (NextHop::None | NextHop::VnetLocal, true) => ReplyFate::Dropped,
            (_, true) => ReplyFate::Asymmetric,
        };
        // A service-tag route might be more specific than anything but a host route.
        if tag_routes && len < 32 && fate == ReplyFate::Returns {
            fate = ReplyFate::Unknown;
        }
        out.push(RoutePart {
            set: covered,
            next_hop: hop,
            route: name,
            prefix: prefix.to_string(),
            next_hop_ip: hop_ip,
            fate,
        });
    }
    out
}
