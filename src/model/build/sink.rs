//! Diagnostics of one kind, counted instead of repeated.
//!
//! A hostile or broken snapshot can hold millions of resources with the same problem (3 million
//! `null`s are 15 MB of text). One diagnostic each would cost far more memory than the input
//! and bury the report, so past [`SHOWN`] of a kind the kind becomes one diagnostic with the
//! total and the first few scopes. Up to [`SHOWN`] of a kind are reported one by one, as before.

use std::collections::HashMap;

use crate::model::Diagnostic;

/// Diagnostics of one kind reported one by one; more become one aggregate.
pub(crate) const SHOWN: usize = 10;

/// Scopes an aggregate names.
const EXAMPLES: usize = 3;

#[derive(Default, Clone)]
pub(crate) struct Sink {
    groups: Vec<Group>,
    by_kind: HashMap<String, usize>,
}

#[derive(Clone)]
struct Group {
    /// For resources without an id, the kind in words ("are not JSON objects"); `None` when the
    /// kind is the message itself (resources with an id).
    words: Option<&'static str>,
    first: Vec<Diagnostic>,
    count: usize,
}

impl Sink {
    /// A problem of a resource that has an id; its kind is its message.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        let key = format!("m:{:?}:{}", d.level, d.message);
        self.add(key, None, d);
    }

    /// A resource that cannot be identified (`resources[i]`); `words` names the kind.
    pub(crate) fn push_unidentified(&mut self, words: &'static str, d: Diagnostic) {
        self.add(format!("u:{words}"), Some(words), d);
    }

    fn add(&mut self, key: String, words: Option<&'static str>, d: Diagnostic) {
        let next = self.groups.len();
        let idx = *self.by_kind.entry(key).or_insert(next);
        if idx == next {
            self.groups.push(Group {
                words,
                first: Vec::new(),
                count: 0,
            });
        }
        let g = &mut self.groups[idx];
        g.count += 1;
        if g.first.len() < SHOWN {
            g.first.push(d);
        }
    }

    /// Every diagnostic to report, in first-seen order of kinds.
    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for g in self.groups {
            if g.count <= SHOWN {
                out.extend(g.first);
                continue;
            }
            let scopes: Vec<&str> = g
                .first
                .iter()
                .take(EXAMPLES)
                .filter_map(|d| d.scope.as_deref())
                .collect();
            let Some(first) = g.first.first() else {
                continue;
            };
            let examples = format!("first: {}, …", scopes.join(", "));
            let message = match g.words {
                Some(words) => format!(
                    "{} resources {words} ({examples}); the first says: {}",
                    g.count, first.message
                ),
                None => format!("{} ({} resources; {examples})", first.message, g.count),
            };
            out.push(Diagnostic {
                scope: Some("resources".into()),
                message,
                ..first.clone()
            });
        }
        out
    }
}
