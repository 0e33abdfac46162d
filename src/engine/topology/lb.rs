//! Load-balancing-rule paths (path kind `lbRule`, docs/decisions.md D17–D22) and backend pool
//! membership, read from every side: the NIC's pool list, the pool's member list, and pools
//! defined by IP address and VNet.

use std::collections::HashSet;
use std::net::IpAddr;

use super::*;
use crate::engine::FastMap;

/// Backend pool membership of IP configurations, computed once per model.
#[derive(Default)]
pub(super) struct Pools<'m> {
    /// Pool key → its load balancer.
    owner: FastMap<Key<'m>, &'m LoadBalancer>,
    /// IP configuration key → pool keys (the pool's own member list, resolved addresses).
    by_ip_config: FastMap<Key<'m>, Vec<Key<'m>>>,
    /// (VNet key, address) → pool keys (IP-based pools, docs/decisions.md D22).
    by_address: FastMap<(Key<'m>, IpAddr), Vec<Key<'m>>>,
}

impl<'m> Pools<'m> {
    pub(super) fn new(model: &'m Model) -> Pools<'m> {
        let mut p = Pools::default();
        for lb in model.load_balancers.values() {
            for (pool, members) in &lb.pools {
                p.owner.insert(pool.key(), lb);
                for m in members {
                    push(&mut p.by_ip_config, m.key(), pool.key());
                }
            }
            for (pool, addrs) in &lb.pool_addresses {
                p.owner.insert(pool.key(), lb);
                for a in addrs {
                    if let Some(c) = &a.ip_config {
                        push(&mut p.by_ip_config, c.key(), pool.key());
                    }
                    if let (Some(ip), Some(v)) = (a.ip, &a.vnet) {
                        push(&mut p.by_address, (v.key(), ip), pool.key());
                    }
                }
            }
        }
        p
    }

    /// The keys of every pool the IP configuration is in, from any side, sorted.
    pub(super) fn of(&self, ipc: &'m IpConfig) -> Vec<Key<'m>> {
        let mut out: Vec<Key<'m>> = ipc.backend_pools.iter().map(|p| p.key()).collect();
        out.extend(
            self.by_ip_config
                .get(&ipc.id.key())
                .into_iter()
                .flatten()
                .cloned(),
        );
        if let (Some(ip), Some(vnet)) = (ipc.private_ip, vnet_key(ipc)) {
            out.extend(
                self.by_address
                    .get(&(vnet, ip))
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        out.sort();
        out.dedup();
        out
    }

    /// A v2 NAT rule's frontend port for this IP configuration, when the pool lists it
    /// (`inboundNatRulesPortMapping`, docs/decisions.md D23).
    pub(super) fn nat_port(
        &self,
        lb: &LoadBalancer,
        rule: &NatRule,
        ipc: &IpConfig,
    ) -> Option<u16> {
        let pool = rule.backend_pool.as_ref()?;
        let vnet = vnet_key(ipc);
        let (_, addrs) = lb
            .pool_addresses
            .iter()
            .find(|(p, _)| p.key() == pool.key())?;
        addrs
            .iter()
            .filter(|a| {
                a.ip_config
                    .as_ref()
                    .is_some_and(|c| c.key() == ipc.id.key())
                    || (a.ip.is_some()
                        && a.ip == ipc.private_ip
                        && a.vnet.as_ref().map(|v| v.key()) == vnet)
            })
            .flat_map(|a| a.nat_ports.iter())
            .find(|(name, _)| name.eq_ignore_ascii_case(&rule.name))
            .map(|(_, port)| *port)
    }
}

fn push<'m, K: std::hash::Hash + Eq>(map: &mut FastMap<K, Vec<Key<'m>>>, k: K, pool: Key<'m>) {
    let v = map.entry(k).or_default();
    if !v.contains(&pool) {
        v.push(pool);
    }
}

/// The key of the VNet of an IP configuration's subnet.
fn vnet_key(ipc: &IpConfig) -> Option<Key<'_>> {
    ipc.subnet.as_ref()?.parent_key("subnets")
}

impl PathTopology<'_> {
    /// Floating IP on the path's NAT or load-balancing rule: the VM sees the frontend IP as the
    /// destination (docs/decisions.md D18).
    pub(crate) fn floating_ip(&self) -> bool {
        self.nat_rule.is_some_and(|r| r.floating_ip) || self.lb_rule.is_some_and(|r| r.floating_ip)
    }
}

impl<'m> Builder<'m, '_> {
    /// Load-balancing rules whose backend pool holds this IP configuration. A pool the NIC
    /// names but the data lacks is a problem: its rules are unknown, never assumed absent.
    pub(super) fn lb_rule_paths(
        &self,
        a: &mut VmTopology<'m>,
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
    ) {
        let m = self.model;
        for pool in &ipc.backend_pools {
            if self.ix.pools.owner.contains_key(&pool.key()) {
                continue;
            }
            let lb_id = pool.split_child("backendAddressPools").map(|(lb, _)| lb);
            let lb = match &lb_id {
                Some(id) if m.load_balancers.contains_key(&id.key()) => Unusable {
                    what: ResourceKind::BackendPool,
                    name: pool.name().to_string(),
                    state: UnusableState::Dangling(pool.id.clone()),
                },
                Some(id) => Unusable::of(m, id, ResourceKind::LoadBalancer),
                None => Unusable::of(m, pool, ResourceKind::BackendPool),
            };
            let reason = ProblemReason::PoolUnusable {
                pool: pool.name().to_string(),
                lb,
            };
            a.problems.push(Self::problem(pool, reason));
        }
        let mut seen: HashSet<Key<'_>> = HashSet::new();
        for pool in self.ix.pools.of(ipc) {
            let Some(&lb) = self.ix.pools.owner.get(&pool) else {
                continue;
            };
            for rule in &lb.lb_rules {
                if !rule.pools.iter().any(|p| p.key() == pool) || !seen.insert(rule.id.key()) {
                    continue;
                }
                if let Some(path) = self.lb_rule_path(a, lb, rule, nic, ipc, primary) {
                    a.paths.push(path);
                }
                if let Some(path) = self.private_lb_rule_path(a, (lb, rule), nic, ipc, primary) {
                    a.private_paths.push(path);
                }
            }
        }
    }

    /// One rule's path, or `None` when it does not carry RDP from the Internet: UDP only, a
    /// backend port that is not RDP's, or an internal frontend (docs/decisions.md D21: an
    /// internal load balancer is reached from private networks only, not from the Internet;
    /// `private_lb_rule_path` builds that path).
    fn lb_rule_path(
        &self,
        a: &VmTopology<'m>,
        lb: &'m LoadBalancer,
        rule: &'m LbRule,
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
    ) -> Option<PathTopology<'m>> {
        let m = self.model;
        if !rule.carries_tcp {
            return None;
        }
        // Port 0 forwards every port unchanged (HA ports, D19).
        let delivered = match rule.backend_port {
            Some(b) if b == a.port || b == a.default_port => b,
            Some(_) => return None,
            None => a.port,
        };
        let frontend = rule.frontend.as_ref().and_then(|f| m.frontend(f));
        if frontend.is_some_and(|(_, fe)| fe.public_ip.is_none()) {
            return None;
        }
        let mut path = self.new_path(PathKind::LbRule, delivered, nic, ipc, primary);
        path.lb = Some(lb);
        path.lb_rule = Some(rule);
        path.sku = Some(lb.sku);
        path.connect_port = match (rule.frontend_port, rule.backend_port) {
            (Some(f), _) => Some(f),
            (None, None) => Some(delivered),
            (None, Some(_)) => None,
        };
        match frontend.and_then(|(_, fe)| fe.public_ip.as_ref()) {
            None => path.unknowns.push(Unknown::LbFrontendMissing {
                rule: rule.name.clone(),
                lb: lb.name.clone(),
            }),
            Some(pid) => lb_public_ip(m, &mut path, pid, lb),
        }
        delivery_blocks(&mut path, nic, a);
        Some(path)
    }
}
