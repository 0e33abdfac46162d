//! Private paths (docs/decisions.md D21, D29): a load-balancing or inbound NAT rule on an
//! internal load balancer's private frontend, and a firewall DNAT rule whose destination is the
//! firewall's private address. Their clients are the networks that route to that private
//! address — the frontend's VNet, its connected peers and the on-premises and point-to-site
//! prefixes of its gateways — never the Internet. They live in `VmTopology::private_paths`, apart
//! from the Internet paths every exposure rule reads, so RDP801/RDP802 cannot count them.

use super::*;

/// The sources that reach a private address in `vnet`: its address space, its connected peers'
/// spaces, and the prefixes its gateways connect (docs/decisions.md D42–D44). Unlike the
/// `VirtualNetwork` tag, user-route prefixes and the Azure host are not clients.
pub(crate) fn private_reach(model: &Model, vnet: &Vnet) -> AddrSet {
    let mut v: Vec<ipnet::IpNet> = vnet.address_space.clone();
    for p in vnet.peerings.iter().filter(|p| p.connected) {
        v.extend(p.remote_space.iter().copied());
    }
    v.extend(
        super::super::gateways::prefixes_for(model, vnet)
            .iter()
            .copied(),
    );
    AddrSet::from_nets(&v)
}

impl<'m> Builder<'m, '_> {
    /// The private reach of the VNet of `subnet`, or of the VM's own VNet when the subnet is not
    /// named or not in the data (an internal frontend lives in a VNet the VM's reaches).
    fn reach_of(&self, subnet: Option<&ResId>, fallback: Option<(&Vnet, &Subnet)>) -> AddrSet {
        let m = self.model;
        let vnet = subnet
            .and_then(|s| s.split_child("subnets"))
            .and_then(|(v, _)| m.vnets.get(&v.key()))
            .or(fallback.map(|(v, _)| v));
        vnet.map(|v| private_reach(m, v)).unwrap_or_default()
    }

    /// A load-balancing rule on an internal frontend: the private twin of `lb_rule_path`.
    pub(super) fn private_lb_rule_path(
        &self,
        a: &VmTopology<'m>,
        (lb, rule): (&'m LoadBalancer, &'m LbRule),
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
    ) -> Option<PathTopology<'m>> {
        let m = self.model;
        let (_, fe) = rule.frontend.as_ref().and_then(|f| m.frontend(f))?;
        if fe.public_ip.is_some() || !rule.carries_tcp {
            return None;
        }
        let delivered = match rule.backend_port {
            Some(b) if b == a.port || b == a.default_port => b,
            Some(_) => return None,
            None => a.port,
        };
        let mut path = self.new_path(PathKind::LbRule, delivered, nic, ipc, primary);
        path.lb = Some(lb);
        path.lb_rule = Some(rule);
        path.address = fe.private_ip;
        path.connect_port = match (rule.frontend_port, rule.backend_port) {
            (Some(f), _) => Some(f),
            (None, None) => Some(delivered),
            (None, Some(_)) => None,
        };
        path.sources = self.reach_of(fe.subnet.as_ref(), path.place);
        self.private_blocks(a, &mut path, nic);
        Some(path)
    }

    /// An inbound NAT rule whose frontend is private: the twin of a NAT path that the Internet
    /// audit shows blocked at the frontend (no public IP).
    pub(super) fn private_nat_path(
        &self,
        a: &VmTopology<'m>,
        public: &PathTopology<'m>,
        nic: &'m Nic,
    ) -> Option<PathTopology<'m>> {
        let (rule, m) = (public.nat_rule?, self.model);
        let (_, fe) = rule.frontend.as_ref().and_then(|f| m.frontend(f))?;
        if fe.public_ip.is_some() {
            return None;
        }
        let mut path = public.clone();
        path.blocks
            .retain(|b| !matches!(b.reason, BlockReason::FrontendWithoutPublicIp { .. }));
        path.blocks.retain(|b| {
            !matches!(
                b.reason,
                BlockReason::SecondaryNic { .. } | BlockReason::GuestPortMismatch { .. }
            )
        });
        path.address = fe.private_ip;
        path.sku = None;
        path.sources = self.reach_of(fe.subnet.as_ref(), path.place);
        self.private_blocks(a, &mut path, nic);
        Some(path)
    }

    /// Blocks a private path shares with the Internet ones: a secondary NIC, a guest listening
    /// elsewhere than the delivered port.
    fn private_blocks(&self, a: &VmTopology<'m>, path: &mut PathTopology<'m>, nic: &'m Nic) {
        // Within the network the reply returns (no Internet route to judge), and an internal
        // Standard load balancer admits its VNet without an NSG (docs/decisions.md D21).
        path.sku = None;
        path.route_table = None;
        delivery_blocks(path, nic, a);
    }

    /// Firewall DNAT rules that answer on the firewall's private address and translate to this
    /// IP configuration (private DNAT, docs/decisions.md D29).
    pub(super) fn private_dnat_paths(
        &self,
        a: &mut VmTopology<'m>,
        nic: &'m Nic,
        ipc: &'m IpConfig,
        primary: bool,
    ) {
        let guest = a.port_from_guest.then_some(a.port);
        for m in self
            .ix
            .dnat
            .private_matches(ipc, (a.port, a.default_port, guest), &a.id)
        {
            let mut path = self.new_path(PathKind::FirewallDnat, m.delivered, nic, ipc, primary);
            path.route_table = None; // replies return through the firewall (D28)
            (path.address, path.connect_port) = (m.address, m.connect_port);
            path.connect_range = m.connect_range;
            path.unknowns.extend(m.unknowns);
            path.blocks.extend(m.blocks);
            let fw_subnet = m.entry.firewall.subnets.first();
            path.sources = self.reach_of(fw_subnet, path.place);
            path.dnat = Some(m.entry);
            a.private_paths.push(path);
        }
    }
}
