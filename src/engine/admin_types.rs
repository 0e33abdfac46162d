//! What the security admin rules decided, as evaluation results carry it (its own module so
//! that `types` and `hop` can hold it without importing the evaluator in `admin`).

use super::addrset::AddrSet;
use crate::model::{AdminAccess, AdminRule};

/// What the admin rules did with part of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminOutcome {
    /// A `Deny` rule drops it (RDP409).
    Deny,
    /// An `AlwaysAllow` rule delivers it; the NSGs are skipped (RDP410).
    AlwaysAllow,
    /// An `Allow` rule or no rule: the NSGs decide.
    Handed,
    /// A rule may match (a tag, a network group, part of the source ports): undecidable.
    Unknown,
}

/// The admin rule behind a decision, with where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminRef {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) manager: Option<String>,
    pub(crate) configuration: Option<String>,
    pub(crate) collection: Option<String>,
    pub(crate) priority: u32,
    pub(crate) access: AdminAccess,
}

impl AdminRef {
    pub(crate) fn of(r: &AdminRule) -> AdminRef {
        AdminRef {
            id: r.id.clone(),
            name: r.name(),
            manager: r.manager(),
            configuration: r.configuration(),
            collection: r.collection(),
            priority: r.priority,
            access: r.access,
        }
    }
}

/// One part of the set and what the admin rules did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminPart {
    pub(crate) set: AddrSet,
    pub(crate) outcome: AdminOutcome,
    pub(crate) rule: Option<AdminRef>,
    /// A `Deny` rule of the same priority as the `Allow` rule that handed this part to the NSGs
    /// (docs/decisions.md D33: which wins is not documented, so the part is not concluded
    /// blocked; the hop is `conditional`).
    pub(crate) tie: Option<AdminRef>,
}
