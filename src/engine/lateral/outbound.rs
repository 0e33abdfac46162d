//! Outbound evaluation of a sending VM (docs/decisions.md D45): its NIC NSG's outbound rules
//! first, then its subnet NSG's, over a set of destinations, with the same exact walk as inbound
//! (`nsg::evaluate_outbound`). Replies need no rule (NSGs are stateful).

use super::super::addrset::AddrSet;
use super::super::admin::{AdminOutcome, AdminRef};
use super::super::nsg::{self, Outcome, Part, Target};
use super::super::types::{Slot, Unknown};

/// What the source VNet's outbound security admin rules decided for a part (D45).
#[derive(Debug, Clone)]
pub(crate) enum AdminDecided {
    /// A rule denied, always-allowed, or may match (`Unknown`); the NSGs were not asked.
    Rule(AdminOutcome, Option<AdminRef>),
    /// The VNet's admin rules are unknown.
    Missing(Unknown),
}

/// One part of the destinations and how the two outbound levels decided it.
#[derive(Debug, Clone)]
pub(crate) struct OutPart {
    pub(crate) set: AddrSet,
    pub(crate) outcome: Outcome,
    /// The NIC level's part (`None`: no NSG on the NIC).
    pub(crate) nic: Option<Part>,
    /// The subnet level's part (`None`: no NSG on the subnet, or the NIC denied first).
    pub(crate) subnet: Option<Part>,
    /// `Some`: the admin rules decided this part before the NSGs.
    pub(crate) admin: Option<AdminDecided>,
}

/// The outbound decision for every destination of `dests`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutEval {
    pub(crate) parts: Vec<OutPart>,
}

impl OutEval {
    /// The part holding `ip` (the parts partition the destinations).
    pub(crate) fn part_of(&self, ip: std::net::IpAddr) -> Option<&OutPart> {
        self.parts.iter().find(|p| p.set.contains(ip))
    }
}

/// NIC outbound, then subnet outbound for what the NIC did not deny. An NSG referenced but not
/// readable makes everything `Unknown`.
pub(crate) fn evaluate(
    nic: &Slot<'_>,
    subnet: &Slot<'_>,
    dests: &AddrSet,
    t: &Target<'_>,
) -> OutEval {
    if matches!(nic, Slot::Unusable(..)) || matches!(subnet, Slot::Unusable(..)) {
        return OutEval {
            parts: vec![OutPart {
                set: dests.clone(),
                outcome: Outcome::Unknown,
                nic: None,
                subnet: None,
                admin: None,
            }],
        };
    }
    let level = |slot: &Slot<'_>, set: &AddrSet| -> Vec<Part> {
        match slot {
            Slot::Present(n) => nsg::evaluate_outbound(&n.outbound, set, t),
            _ => vec![Part {
                set: set.clone(),
                outcome: Outcome::Allow,
                rule: None,
                maybe: None,
            }],
        }
    };
    let mut parts = Vec::new();
    for np in level(nic, dests) {
        let nic_part = matches!(nic, Slot::Present(_)).then(|| np.clone());
        if np.outcome == Outcome::Deny {
            parts.push(OutPart {
                set: np.set.clone(),
                outcome: Outcome::Deny,
                nic: nic_part,
                subnet: None,
                admin: None,
            });
            continue;
        }
        for sp in level(subnet, &np.set) {
            parts.push(OutPart {
                set: sp.set.clone(),
                outcome: np.outcome.then(sp.outcome),
                nic: nic_part.clone(),
                subnet: matches!(subnet, Slot::Present(_)).then_some(sp),
                admin: None,
            });
        }
    }
    OutEval { parts }
}
