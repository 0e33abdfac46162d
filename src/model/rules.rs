//! An NSG's rules in one direction: its own, then its defaults, which NSGs share.

use std::sync::Arc;

use super::SecurityRule;

/// The rules of a [`Rules`], first to last.
pub type RulesIter<'a> =
    std::iter::Chain<std::slice::Iter<'a, SecurityRule>, std::slice::Iter<'a, SecurityRule>>;

/// An NSG's rules in one direction, in evaluation order (docs/decisions.md D6): its custom rules,
/// then its default rules. The defaults are the same six rules in nearly every NSG of an estate
/// (Azure's), so the model keeps one copy of each distinct list and every NSG points to it.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    custom: Vec<SecurityRule>,
    defaults: Arc<[SecurityRule]>,
}

impl Rules {
    /// `custom` then `defaults`, each already in evaluation order.
    pub(crate) fn with_defaults(custom: Vec<SecurityRule>, defaults: Arc<[SecurityRule]>) -> Rules {
        Rules { custom, defaults }
    }

    /// Every rule, first to last.
    pub fn iter(&self) -> RulesIter<'_> {
        self.custom.iter().chain(self.defaults.iter())
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.custom.len() + self.defaults.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list of defaults, shared with the NSGs that have the same.
    #[cfg(test)]
    pub(crate) fn defaults(&self) -> &Arc<[SecurityRule]> {
        &self.defaults
    }
}

/// These rules, in this order (nothing shared).
impl From<Vec<SecurityRule>> for Rules {
    fn from(custom: Vec<SecurityRule>) -> Rules {
        Rules {
            custom,
            defaults: Arc::new([]),
        }
    }
}

impl<'a> IntoIterator for &'a Rules {
    type Item = &'a SecurityRule;
    type IntoIter = RulesIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<SecurityRule> for Rules {
    fn from_iter<I: IntoIterator<Item = SecurityRule>>(iter: I) -> Rules {
        Rules::from(iter.into_iter().collect::<Vec<_>>())
    }
}
