//! Evaluation of private paths (internal load-balancer frontends, private DNAT; docs/decisions.md
//! D21, D29): the clients are the networks that reach the private address (`sources`, or
//! `--client-ip` within them), judged by the admin rules and NSGs like a direct path but with no
//! SKU closure (an internal Standard frontend admits its VNet) and no Internet reply route. The
//! Internet evaluation stays empty: exposure rules never count these paths.

use super::*;

impl<'m> Evaluator<'m> {
    pub(super) fn private_path(
        &self,
        path: PathTopology<'m>,
        host: &HostFacts<'_>,
    ) -> PathAnalysis<'m> {
        let mut p = PathAnalysis::unevaluated(path);
        let tags = tags::tag_sets(self.model, p.place, &self.asg_members);
        let admin_rules = admin::rules_for(self.model, p.place);
        let client = match &self.options.client {
            Some(c) => c.set.intersect(&p.sources),
            None => p.sources.clone(),
        };
        if p.kind == PathKind::FirewallDnat {
            p.client = dnat_eval(&p, &tags, admin_rules, &client, &AddrSet::empty()).0;
        } else {
            // Floating IP: the VM sees the frontend address as destination (D18).
            let dest_ip = if p.floating_ip() {
                p.address
            } else {
                p.ip_config.and_then(|c| c.private_ip)
            };
            let target = Target {
                dest_ip,
                dest_port: p.delivered_port,
                dest_asgs: p.ip_config.map(|c| c.asgs.as_slice()).unwrap_or(&[]),
                tags: &tags,
            };
            let nsgs = Nsgs {
                subnet: &p.subnet_nsg,
                nic: &p.nic_nsg,
                sku: None,
            };
            p.client = net_eval_admin(&client, admin_rules, &nsgs, &target, Reply::Assumed);
        }
        let hops = hops::path_hops(&p, host);
        p.verdict = path_verdict(&p, host.power, host.guest);
        p.hops = hops;
        p
    }
}
