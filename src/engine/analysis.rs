//! The evaluated VM and its paths: what evaluation produces and rules and the report read. Its
//! own module so that the hop builders (`hops`) and the evaluator (`evaluate`) both use these
//! types without importing each other.

use super::addrset::AddrSet;
use super::hop::Hop;
use super::topology::PathTopology;
use super::types::*;
use crate::model::*;

/// One evaluated path: its topology plus how the client and the Internet fare on it.
#[derive(Debug, Clone)]
pub(crate) struct PathAnalysis<'m> {
    pub(crate) path: PathTopology<'m>,
    /// For the client (`--client-ip`, or any Internet address).
    pub(crate) client: NetEval,
    /// For any Internet address, as if the VM were running (exposure rules).
    pub(crate) internet: NetEval,
    /// When the guest's port differs from `--port`: would the network admit `--port`?
    pub(crate) admits_default_port: Option<bool>,
    /// NAT paths whose frontend port differs from the backend port: would the NSGs admit the
    /// frontend port (the classic mistake of RDP403)?
    pub(crate) admits_frontend_port: Option<bool>,
    pub(crate) verdict: Verdict,
    pub(crate) hops: Vec<Hop>,
    /// `--probe`: the TCP connect from this machine to `address:connect_port`.
    pub(crate) probe: Option<&'m TcpProbe>,
    /// `--probe`: the DNS name clients use for this entry point, and what it resolved to.
    pub(crate) dns: Option<(&'m str, &'m DnsAnswer)>,
}

impl<'m> PathAnalysis<'m> {
    /// A path before evaluation: nothing admitted yet, verdict unknown.
    pub(crate) fn unevaluated(path: PathTopology<'m>) -> PathAnalysis<'m> {
        PathAnalysis {
            path,
            client: NetEval::default(),
            internet: NetEval::default(),
            admits_default_port: None,
            admits_frontend_port: None,
            verdict: Verdict::Unknown,
            hops: Vec::new(),
            probe: None,
            dns: None,
        }
    }
}

impl<'m> std::ops::Deref for PathAnalysis<'m> {
    type Target = PathTopology<'m>;
    fn deref(&self) -> &PathTopology<'m> {
        &self.path
    }
}

impl PathAnalysis<'_> {
    /// `--probe`: the DNS name resolved here to the entry point's current address (`None`: not
    /// resolved, or no address to compare with).
    pub(crate) fn dns_current(&self) -> Option<bool> {
        match (self.dns?.1, self.address?) {
            (DnsAnswer::Resolved(addrs), addr) if !addrs.is_empty() => Some(addrs.contains(&addr)),
            _ => None,
        }
    }

    /// Every client address evaluated (`--client-ip`, or the whole Internet) can open RDP here:
    /// a probe from this machine should then connect.
    pub(crate) fn admits_every_client(&self) -> bool {
        self.verdict == Verdict::Reachable
            && !self.client.candidates.is_empty()
            && self.client.candidates.is_subset(&self.client.reachable)
    }

    /// No Internet address at all could open RDP here, by the data (the VM's state, the entry
    /// point, the NSGs, routing or the guest): a probe from anywhere should fail.
    pub(crate) fn blocks_every_client(&self, host: Verdict) -> bool {
        self.verdict == Verdict::Blocked
            && (!self.blocks.is_empty()
                || host == Verdict::Blocked
                || (self.internet.reachable.is_empty() && self.internet.unknown.is_empty()))
    }

    /// Exposure: addresses that can open RDP through this path as if the VM were running.
    pub(crate) fn exposed(&self) -> AddrSet {
        match self.counts_for_exposure() {
            true => self.internet.reachable.clone(),
            false => AddrSet::empty(),
        }
    }

    /// Whether [`PathAnalysis::exposed`] is not empty, without building the set.
    pub(crate) fn is_exposed(&self) -> bool {
        self.counts_for_exposure() && !self.internet.reachable.is_empty()
    }

    /// A direct path whose entry is configured and fully known: its reachable Internet
    /// addresses are exposure.
    fn counts_for_exposure(&self) -> bool {
        self.kind.is_direct() && !self.config_blocked() && self.unknowns.is_empty()
    }
}

/// One evaluated VM.
#[derive(Debug, Clone)]
pub(crate) struct VmAnalysis<'m> {
    pub(crate) id: ResId,
    pub(crate) name: String,
    pub(crate) resource_group: String,
    pub(crate) subscription: String,
    pub(crate) location: Option<String>,
    pub(crate) deployment: Deployment,
    pub(crate) os: OsType,
    pub(crate) power: PowerState,
    pub(crate) arm: Option<&'m Vm>,
    pub(crate) classic: Option<&'m ClassicVm>,
    pub(crate) guest: Option<&'m GuestFacts>,
    /// The RDP port the guest listens on (guest facts) or `--port`.
    pub(crate) port: u16,
    pub(crate) port_from_guest: bool,
    pub(crate) default_port: u16,
    /// The subnet of the primary IP configuration of the primary NIC.
    pub(crate) place: Option<(&'m Vnet, &'m Subnet)>,
    pub(crate) paths: Vec<PathAnalysis<'m>>,
    pub(crate) bastions: Vec<&'m Bastion>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) verdict: Verdict,
    /// What the client is: "internet" or the `--client-ip` value.
    pub(crate) client_label: String,
    /// Paths from private networks only (internal frontends, private DNAT; docs/decisions.md
    /// D21, D29), evaluated for their private sources: never Internet exposure.
    pub(crate) private_paths: Vec<PathAnalysis<'m>>,
}

impl<'m> VmAnalysis<'m> {
    pub(crate) fn direct_paths(&self) -> impl Iterator<Item = &PathAnalysis<'m>> {
        self.paths.iter().filter(|p| p.kind.is_direct())
    }

    /// Every Internet address that can open RDP on some direct path, as if running.
    pub(crate) fn exposed(&self) -> AddrSet {
        self.direct_paths()
            .fold(AddrSet::empty(), |acc, p| acc.union(&p.exposed()))
    }

    /// Whether [`VmAnalysis::exposed`] is not empty (a union is empty when every part is),
    /// without building the set: rules and the lateral picture ask it of every VM.
    pub(crate) fn is_exposed(&self) -> bool {
        self.direct_paths().any(PathAnalysis::is_exposed)
    }
}
