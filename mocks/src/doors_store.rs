//! Stored state for the newer doors: Firewall Policy rule collection groups (child resources not
//! inline in their parent) and the snapshot's `securityAdminRules` section (served by `doors`).

use std::collections::HashMap;

use serde_json::Value;

use crate::ids::{eq, ResourceId};

/// Child types served from their own resources rather than inline in the parent.
pub(crate) const STORED_CHILDREN: &[&str] = &["ruleCollectionGroups"];

/// The child resources and admin rules of a snapshot.
#[derive(Debug, Default)]
pub(crate) struct Doors {
    /// Parent id (lower case) and child type (lower case) → children, sorted by id.
    children: HashMap<(String, String), Vec<(String, String)>>,
    /// `securityAdminRules` by VNet id (lower case); `None` without the section.
    admin_rules: Option<HashMap<String, Vec<Value>>>,
}

impl Doors {
    /// Keeps a child resource this module serves; `false` for any other child.
    pub(crate) fn stash(&mut self, id: &ResourceId, value: &Value) -> bool {
        let Some(last) = id.types.last() else {
            return false;
        };
        if id.types.len() != 2 || !STORED_CHILDREN.iter().any(|c| eq(c, last)) {
            return false;
        }
        let parent = format!(
            "/subscriptions/{}/resourcegroups/{}/providers/{}/{}/{}",
            id.subscription, id.resource_group, id.namespace, id.types[0], id.names[0]
        )
        .to_ascii_lowercase();
        let list = self
            .children
            .entry((parent, last.to_ascii_lowercase()))
            .or_default();
        let own = id.names.last().cloned().unwrap_or_default();
        list.push((own.to_ascii_lowercase(), value.to_string()));
        list.sort();
        true
    }

    /// Reads the snapshot's `securityAdminRules` section.
    pub(crate) fn load_admin_rules(&mut self, snapshot: &Value) {
        let Some(Value::Object(section)) = snapshot.get("securityAdminRules") else {
            return;
        };
        let mut by_vnet = HashMap::new();
        for (vnet, rules) in section {
            let list = rules.as_array().cloned().unwrap_or_default();
            by_vnet.insert(vnet.trim_end_matches('/').to_ascii_lowercase(), list);
        }
        self.admin_rules = Some(by_vnet);
    }

    pub(crate) fn children_of(
        &self,
        parent: &ResourceId,
        child: &str,
    ) -> Option<&[(String, String)]> {
        self.children
            .get(&(parent.top_id_lc(), child.to_ascii_lowercase()))
            .map(Vec::as_slice)
    }

    /// A stored child by id.
    pub(crate) fn child(&self, id: &ResourceId) -> Option<&str> {
        let (last, name) = (id.types.last()?, id.names.last()?);
        let parent = ResourceId {
            types: id.types[..1].to_vec(),
            names: id.names[..1].to_vec(),
            ..id.clone()
        };
        let list = self.children_of(&parent, last)?;
        list.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, body)| body.as_str())
    }

    /// A VNet's admin rules (`[]` when the VNet or the whole section is absent).
    pub(crate) fn admin_rules(&self, vnet_lc: &str) -> &[Value] {
        self.admin_rules
            .as_ref()
            .and_then(|m| m.get(vnet_lc))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
