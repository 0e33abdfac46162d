//! Classic (ASM) VMs: one path per RDP endpoint, its public port forwarded to the private one.

use super::*;

impl<'m> Builder<'m, '_> {
    pub(crate) fn classic(&self, vm: &'m ClassicVm) -> VmTopology<'m> {
        let mut a = self.base(
            &vm.id,
            &vm.name,
            vm.location.as_ref(),
            Deployment::Classic,
            vm.os,
            vm.power.clone(),
        );
        a.classic = Some(vm);
        for ep in &vm.endpoints {
            let named = ep.name.eq_ignore_ascii_case("remotedesktop")
                || ep.name.eq_ignore_ascii_case("rdp");
            let port_match = ep.private_port == a.port || ep.private_port == a.default_port;
            if !ep.protocol.matches_tcp() || !(named || port_match) {
                continue;
            }
            let mut blocks = Vec::new();
            if ep.private_port != a.port {
                blocks.push(Block {
                    reason: BlockReason::EndpointPortMismatch {
                        endpoint: ep.name.clone(),
                        private_port: ep.private_port,
                        guest: a.port,
                    },
                    resource: vm.id.id.clone(),
                    while_stopped_only: false,
                });
            }
            a.paths.push(classic_path(vm, ep, blocks));
        }
        collect_missing(&mut a);
        a
    }
}

fn classic_path<'m>(
    vm: &'m ClassicVm,
    ep: &'m ClassicEndpoint,
    blocks: Vec<Block>,
) -> PathTopology<'m> {
    PathTopology {
        kind: PathKind::ClassicEndpoint,
        address: ep.vip.or(vm.vip),
        connect_port: Some(ep.public_port),
        connect_range: None,
        delivered_port: ep.private_port,
        nic: None,
        ip_config: None,
        on_primary_nic: true,
        public_ip: None,
        lb: None,
        nat_rule: None,
        endpoint: Some(ep),
        bastion: None,
        lb_rule: None,
        sources: AddrSet::empty(),
        sku: None,
        place: None,
        subnet_nsg: Slot::None,
        nic_nsg: Slot::None,
        route_table: None,
        blocks,
        unknowns: Vec::new(),
        entry_name: vm.fqdn.as_deref(),
        dnat: None,
    }
}
