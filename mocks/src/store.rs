//! The snapshot, indexed the way ARM answers: by id, by (subscription, type) and by
//! (subscription, resource group, type), every list sorted by lower-cased id so paging is stable.
//!
//! Resources are serialised once at start-up (with and without the VM instance view), so a
//! list page is a concatenation of ready-made JSON strings: serving a 10,000-VM estate costs
//! no per-request re-serialisation.

use crate::error::Error;
use crate::ids::{canonical_type, ResourceId, VM_TYPE_LC};
use crate::rows::{power_display, GraphRow};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Where the resources of a snapshot came from. Resource Graph rows differ from ARM GET bodies
/// (extra top-level columns, lower-cased types, power state under `properties.extended`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"schema": "rdpaudit.snapshot/1", "resources": [...]}`.
    Snapshot,
    /// A bare array of resources.
    Array,
    /// An ARM list response `{"value": [...]}`.
    ArmList,
    /// A Resource Graph response `{"data": [...]}`.
    Graph,
}

/// Takes the resource array out of any accepted snapshot shape.
fn take_resources(snapshot: &mut Value) -> Result<(Vec<Value>, Shape), Error> {
    let shape = resources_of(snapshot)?.1;
    let items = match (snapshot, shape) {
        (Value::Array(items), _) => std::mem::take(items),
        (Value::Object(o), Shape::Snapshot) => take_array(o, "resources"),
        (Value::Object(o), Shape::ArmList) => take_array(o, "value"),
        (Value::Object(o), _) => take_array(o, "data"),
        _ => Vec::new(),
    };
    Ok((items, shape))
}

fn take_array(o: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match o.get_mut(key) {
        Some(Value::Array(items)) => std::mem::take(items),
        _ => Vec::new(),
    }
}

/// Finds the resource array of any accepted snapshot shape.
pub(crate) fn resources_of(snapshot: &Value) -> Result<(&[Value], Shape), Error> {
    let found = match snapshot {
        Value::Array(items) => Some((items.as_slice(), Shape::Array)),
        Value::Object(o) => {
            if let Some(Value::Array(items)) = o.get("resources") {
                Some((items.as_slice(), Shape::Snapshot))
            } else if let Some(Value::Array(items)) = o.get("value") {
                Some((items.as_slice(), Shape::ArmList))
            } else if let Some(Value::Array(items)) = o.get("data") {
                Some((items.as_slice(), Shape::Graph))
            } else {
                None
            }
        }
        _ => None,
    };
    found.ok_or_else(|| {
        Error::Snapshot(
            "expected a snapshot object with \"resources\", a bare array, {\"value\": [...]} or {\"data\": [...]}"
                .into(),
        )
    })
}

/// One served resource.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Serialised without `properties.instanceView` (plain GET, plain list).
    pub plain: String,
    /// VMs only: serialised with `properties.instanceView` (`$expand`, `statusOnly=true`).
    pub with_instance_view: Option<String>,
    /// VMs only: the instance view alone (`GET {vm}/instanceView`).
    pub instance_view: Option<String>,
    /// The resource as a Resource Graph `Resources` row.
    pub graph: GraphRow,
}

/// A subscription as `GET /subscriptions` returns it.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub json: String,
}

/// A resource group known from the ids of its resources.
#[derive(Debug)]
pub(crate) struct ResourceGroup {
    pub subscription: String,
    pub name: String,
    pub location: String,
}

/// The indexed snapshot.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// All resources, sorted by lower-cased id.
    pub entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    by_sub_type: HashMap<(String, String), Vec<usize>>,
    by_rg_type: HashMap<(String, String, String), Vec<usize>>,
    /// Each subscription's entries as runs of `entries` (`start..end`). Ids sort by
    /// subscription first, so there is normally one run per subscription: Resource Graph
    /// queries scan only their scopes.
    sub_ranges: HashMap<String, Vec<(usize, usize)>>,
    /// Subscriptions, sorted by lower-cased id.
    pub subscriptions: Vec<Subscription>,
    sub_index: HashMap<String, usize>,
    /// Resource groups keyed by (subscription, group), lower-cased.
    pub groups: BTreeMap<(String, String), ResourceGroup>,
    /// Lower-cased types present in the snapshot.
    present_types: Vec<String>,
    /// Problems found while loading (skipped resources), for the CLI to print.
    pub warnings: Vec<String>,
    /// Rule collection groups and security admin rules (`doors`).
    pub(crate) doors: crate::doors_store::Doors,
}

impl Store {
    /// Indexes `snapshot`, consuming it (a large estate is not worth holding twice).
    /// `tenant_id` fills subscriptions that do not name their tenant.
    pub fn build(mut snapshot: Value, tenant_id: &str) -> Result<Store, Error> {
        let (items, shape) = take_resources(&mut snapshot)?;
        let tenants = listed_tenants(&snapshot);
        let mut store = Store::default();
        store.doors.load_admin_rules(&snapshot);
        let mut staged: Vec<(String, ResourceId, Value)> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, ()> = HashMap::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let Some(id) = item.get("id").and_then(Value::as_str) else {
                store
                    .warnings
                    .push(format!("resource #{i} has no \"id\"; skipped"));
                continue;
            };
            let Some(parsed) = ResourceId::parse(id) else {
                store.warnings.push(format!(
                    "resource #{i} id {id:?} is not a resource-group-scoped ARM id; skipped"
                ));
                continue;
            };
            if parsed.types.len() != 1 && store.doors.stash(&parsed, &item) {
                continue;
            }
            if parsed.types.len() != 1 {
                store.warnings.push(format!(
                    "resource {id:?} is a child resource; serve it inline in its parent; skipped"
                ));
                continue;
            }
            let id_lc = id.to_ascii_lowercase();
            if seen.insert(id_lc.clone(), ()).is_some() {
                store.warnings.push(format!(
                    "duplicate resource id {id:?}; the first one is served"
                ));
                continue;
            }
            staged.push((id_lc, parsed, to_arm_shape(item, shape)));
        }
        staged.sort_by(|a, b| a.0.cmp(&b.0));

        for (id_lc, parsed, value) in staged {
            let idx = store.entries.len();
            let sub = parsed.subscription.to_ascii_lowercase();
            let rg = parsed.resource_group.to_ascii_lowercase();
            let ty = parsed.top_type().to_ascii_lowercase();
            store
                .groups
                .entry((sub.clone(), rg.clone()))
                .or_insert_with(|| ResourceGroup {
                    subscription: parsed.subscription.clone(),
                    name: parsed.resource_group.clone(),
                    location: value
                        .get("location")
                        .and_then(Value::as_str)
                        .unwrap_or("westeurope")
                        .to_owned(),
                });
            let runs = store.sub_ranges.entry(sub.clone()).or_default();
            match runs.last_mut() {
                Some(run) if run.1 == idx => run.1 += 1,
                _ => runs.push((idx, idx + 1)),
            }
            let tenant = tenants.get(&sub).map_or(tenant_id, String::as_str);
            let row_entry = entry(value, ty == VM_TYPE_LC, &parsed, tenant)?;
            store
                .by_sub_type
                .entry((sub.clone(), ty.clone()))
                .or_default()
                .push(idx);
            store
                .by_rg_type
                .entry((sub, rg, ty.clone()))
                .or_default()
                .push(idx);
            if !store.present_types.contains(&ty) {
                store.present_types.push(ty.clone());
            }
            store.by_id.insert(id_lc, idx);
            store.entries.push(row_entry);
        }
        store.load_subscriptions(&snapshot, tenant_id)?;
        Ok(store)
    }

    fn load_subscriptions(&mut self, snapshot: &Value, tenant_id: &str) -> Result<(), Error> {
        let mut subs: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(Value::Array(listed)) = snapshot.get("subscriptions") {
            for s in listed {
                let Some(sid) = s.get("subscriptionId").and_then(Value::as_str) else {
                    self.warnings
                        .push("a subscription without \"subscriptionId\" was skipped".into());
                    continue;
                };
                subs.entry(sid.to_ascii_lowercase())
                    .or_insert_with(|| subscription_body(sid, Some(s), tenant_id));
            }
        }
        for rg in self.groups.values() {
            subs.entry(rg.subscription.to_ascii_lowercase())
                .or_insert_with(|| subscription_body(&rg.subscription, None, tenant_id));
        }
        for (key, body) in subs {
            self.sub_index.insert(key.clone(), self.subscriptions.len());
            self.subscriptions.push(Subscription {
                json: serde_json::to_string(&body)?,
            });
        }
        Ok(())
    }

    /// The resource with this (top-level) id.
    pub fn get(&self, id_lc: &str) -> Option<&Entry> {
        self.by_id.get(id_lc).map(|&i| &self.entries[i])
    }

    /// The subscription with this id.
    pub fn subscription(&self, sub: &str) -> Option<&Subscription> {
        self.sub_index
            .get(&sub.to_ascii_lowercase())
            .map(|&i| &self.subscriptions[i])
    }

    /// Lower-cased ids of every subscription served (listed or derived), sorted.
    pub fn subscription_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.sub_index.keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The runs of `entries` (`start..end`) holding this subscription's resources.
    pub fn subscription_runs(&self, sub: &str) -> &[(usize, usize)] {
        self.sub_ranges
            .get(&sub.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether a resource group exists (has at least one resource).
    pub fn has_group(&self, sub: &str, rg: &str) -> bool {
        self.groups
            .contains_key(&(sub.to_ascii_lowercase(), rg.to_ascii_lowercase()))
    }

    /// Resources of a type in a subscription (optionally one group), sorted by id.
    pub fn list(&self, sub: &str, rg: Option<&str>, ty: &str) -> &[usize] {
        let (sub, ty) = (sub.to_ascii_lowercase(), ty.to_ascii_lowercase());
        let found = match rg {
            None => self.by_sub_type.get(&(sub, ty)),
            Some(rg) => self.by_rg_type.get(&(sub, rg.to_ascii_lowercase(), ty)),
        };
        found.map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether the mock knows this type: a type ARM audits read, or one present in the snapshot.
    pub fn knows_type(&self, ty: &str) -> bool {
        crate::ids::KNOWN_TYPES
            .iter()
            .any(|k| k.eq_ignore_ascii_case(ty))
            || self
                .present_types
                .iter()
                .any(|p| p.eq_ignore_ascii_case(ty))
    }

    /// Whether any known type lives in this namespace.
    pub fn knows_namespace(&self, ns: &str) -> bool {
        let prefix = format!("{}/", ns.to_ascii_lowercase());
        crate::ids::KNOWN_TYPES
            .iter()
            .any(|k| k.to_ascii_lowercase().starts_with(&prefix))
            || self.present_types.iter().any(|p| p.starts_with(&prefix))
    }

    /// Resource types (in canonical casing where known) of one namespace, for the provider GET.
    pub fn types_in_namespace(&self, ns: &str) -> Vec<String> {
        let prefix = format!("{}/", ns.to_ascii_lowercase());
        let mut out: Vec<String> = crate::ids::KNOWN_TYPES
            .iter()
            .map(|k| k.to_string())
            .chain(
                self.present_types
                    .iter()
                    .map(|p| canonical_type(p).to_owned()),
            )
            .filter(|t| t.to_ascii_lowercase().starts_with(&prefix))
            .map(|t| t[prefix.len()..].to_owned())
            .collect();
        out.sort_by_key(|t| t.to_ascii_lowercase());
        out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        out
    }
}

/// The tenant of each subscription the snapshot lists with a `tenantId` (lower-cased keys):
/// Resource Graph rows carry it.
fn listed_tenants(snapshot: &Value) -> HashMap<String, String> {
    let Some(Value::Array(listed)) = snapshot.get("subscriptions") else {
        return HashMap::new();
    };
    listed
        .iter()
        .filter_map(|s| {
            let sid = s.get("subscriptionId")?.as_str()?;
            let tenant = s.get("tenantId")?.as_str()?;
            Some((sid.to_ascii_lowercase(), tenant.to_owned()))
        })
        .collect()
}

/// Builds an [`Entry`], pre-serialising the views ARM can return and the Resource Graph row.
fn entry(value: Value, is_vm: bool, id: &ResourceId, tenant: &str) -> Result<Entry, Error> {
    if !is_vm {
        return Ok(Entry {
            plain: serde_json::to_string(&value)?,
            with_instance_view: None,
            instance_view: None,
            graph: GraphRow::build(&value, id, tenant, None)?,
        });
    }
    let iv = value
        .pointer("/properties/instanceView")
        .cloned()
        .unwrap_or_else(|| synthesised_instance_view(&value));
    let mut full = value;
    let mut plain = full.clone();
    if let Some(p) = plain.get_mut("properties").and_then(Value::as_object_mut) {
        p.remove("instanceView");
    }
    if let Some(p) = full.get_mut("properties").and_then(Value::as_object_mut) {
        p.insert("instanceView".into(), iv.clone());
    }
    Ok(Entry {
        plain: serde_json::to_string(&plain)?,
        with_instance_view: Some(serde_json::to_string(&full)?),
        instance_view: Some(serde_json::to_string(&iv)?),
        graph: GraphRow::build(&plain, id, tenant, Some(&iv))?,
    })
}

/// A VM in ARM always has an instance view; a snapshot may not carry one. Serve what ARM would
/// show while the power state is unknown: the provisioning status only, no `PowerState/*` entry
/// (the client must then report the power state as unknown, as it would offline).
fn synthesised_instance_view(vm: &Value) -> Value {
    let state = vm
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .unwrap_or("Succeeded");
    json!({ "statuses": [provisioning_status(state)] })
}

fn provisioning_status(state: &str) -> Value {
    json!({
        "code": format!("ProvisioningState/{}", state.to_ascii_lowercase()),
        "level": if state.eq_ignore_ascii_case("failed") { "Error" } else { "Info" },
        "displayStatus": format!("Provisioning {}", state.to_ascii_lowercase()),
    })
}

/// Turns a snapshot item into what an ARM GET returns: canonical type casing and, for Resource
/// Graph rows, no Graph-only columns and the power state moved from
/// `properties.extended.instanceView.powerState` into `properties.instanceView.statuses`.
fn to_arm_shape(item: Value, shape: Shape) -> Value {
    let mut v = item;
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    if let Some(Value::String(t)) = obj.get_mut("type") {
        *t = canonical_type(t).to_owned();
    }
    if shape == Shape::Graph {
        // Columns Resource Graph adds to every row; ARM bodies have none of them, and ARM omits
        // absent optional properties instead of sending null.
        for k in ["resourceGroup", "subscriptionId", "tenantId"] {
            obj.remove(k);
        }
        obj.retain(|_, val| !val.is_null() && val != &Value::String(String::new()));
    }
    let extended = obj
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .and_then(|p| p.remove("extended"));
    if let Some(extended) = extended {
        if let Some(iv) = extended.get("instanceView").and_then(Value::as_object) {
            let provisioning = obj
                .get("properties")
                .and_then(|p| p.get("provisioningState"))
                .and_then(Value::as_str)
                .unwrap_or("Succeeded")
                .to_owned();
            let converted = graph_instance_view(iv, &provisioning);
            if let Some(p) = obj.get_mut("properties").and_then(Value::as_object_mut) {
                p.entry("instanceView").or_insert(converted);
            }
        }
    }
    v
}

/// Resource Graph's `extended.instanceView` (`powerState: {code, displayStatus}`, plus a few
/// scalars) in Compute's instance-view shape.
fn graph_instance_view(iv: &Map<String, Value>, provisioning: &str) -> Value {
    let mut out = Map::new();
    for k in ["computerName", "osName", "osVersion"] {
        if let Some(x) = iv.get(k) {
            out.insert(k.into(), x.clone());
        }
    }
    let mut statuses = vec![provisioning_status(provisioning)];
    if let Some(code) = iv
        .get("powerState")
        .and_then(|p| p.get("code"))
        .and_then(Value::as_str)
    {
        let display = iv
            .get("powerState")
            .and_then(|p| p.get("displayStatus"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| power_display(code));
        statuses.push(json!({"code": code, "level": "Info", "displayStatus": display}));
    }
    out.insert("statuses".into(), Value::Array(statuses));
    Value::Object(out)
}

/// A subscription body in the shape of `Subscriptions_List` (api-version 2022-12-01), filled
/// from the snapshot's entry where it has the field.
fn subscription_body(sid: &str, listed: Option<&Value>, tenant_id: &str) -> Value {
    let mut body = Map::new();
    body.insert("id".into(), json!(format!("/subscriptions/{sid}")));
    body.insert("authorizationSource".into(), json!("RoleBased"));
    body.insert("managedByTenants".into(), json!([]));
    body.insert("subscriptionId".into(), json!(sid));
    body.insert("tenantId".into(), json!(tenant_id));
    let short: String = sid.chars().take(8).collect();
    body.insert("displayName".into(), json!(format!("Subscription {short}")));
    body.insert("state".into(), json!("Enabled"));
    body.insert(
        "subscriptionPolicies".into(),
        json!({
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }),
    );
    if let Some(Value::Object(extra)) = listed {
        for (k, v) in extra {
            if !v.is_null() {
                body.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn vm(name: &str) -> Value {
        json!({
            "id": format!("/subscriptions/{SUB}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/{name}"),
            "name": name, "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
            "properties": {"provisioningState": "Succeeded",
                "instanceView": {"statuses": [{"code": "PowerState/running"}]}}
        })
    }

    #[test]
    fn accepts_all_snapshot_shapes() {
        for doc in [
            json!({"schema": "rdpaudit.snapshot/1", "resources": [vm("a")]}),
            json!([vm("a")]),
            json!({"value": [vm("a")]}),
            json!({"data": [vm("a")]}),
        ] {
            let store = Store::build(doc.clone(), "t").expect("builds");
            assert_eq!(store.entries.len(), 1);
            assert_eq!(store.subscriptions.len(), 1);
        }
        assert!(resources_of(&json!({"foo": 1})).is_err());
        assert!(resources_of(&json!("x")).is_err());
    }

    #[test]
    fn sorts_case_insensitively_and_strips_instance_view_from_plain() {
        let doc = json!([vm("b"), vm("A"), vm("c")]);
        let store = Store::build(doc.clone(), "t").expect("builds");
        let names: Vec<String> = store
            .list(SUB, None, "microsoft.compute/VIRTUALMACHINES")
            .iter()
            .map(|&i| {
                let v: Value = serde_json::from_str(&store.entries[i].plain).unwrap_or_default();
                v["name"].as_str().unwrap_or("").to_owned()
            })
            .collect();
        assert_eq!(names, ["A", "b", "c"]);
        let e = &store.entries[0];
        assert!(!e.plain.contains("instanceView"));
        assert!(e
            .with_instance_view
            .as_deref()
            .is_some_and(|s| s.contains("PowerState/running")));
    }

    #[test]
    fn converts_resource_graph_rows() {
        let row = json!({
            "id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/microsoft.compute/virtualmachines/vm1"),
            "name": "vm1", "type": "microsoft.compute/virtualmachines", "location": "westeurope",
            "resourceGroup": "rg", "subscriptionId": SUB, "tenantId": "t", "plan": null, "kind": "",
            "properties": {"provisioningState": "Succeeded",
                "extended": {"instanceView": {"powerState": {"code": "PowerState/deallocated"}}}}
        });
        let store = Store::build(json!({"data": [row]}), "t").expect("builds");
        let v: Value = serde_json::from_str(
            store.entries[0]
                .with_instance_view
                .as_deref()
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(v["type"], "Microsoft.Compute/virtualMachines");
        assert!(v.get("resourceGroup").is_none() && v.get("plan").is_none());
        assert!(v.pointer("/properties/extended").is_none());
        assert_eq!(
            v.pointer("/properties/instanceView/statuses/1/code"),
            Some(&json!("PowerState/deallocated"))
        );
        assert_eq!(
            v.pointer("/properties/instanceView/statuses/1/displayStatus"),
            Some(&json!("VM deallocated"))
        );
    }

    #[test]
    fn derives_and_merges_subscriptions() {
        let doc = json!({"schema": "rdpaudit.snapshot/1",
            "subscriptions": [{"subscriptionId": "s2", "displayName": "Two", "state": "Disabled"}],
            "resources": [vm("a")]});
        let store = Store::build(doc, "tenant").expect("builds");
        assert_eq!(store.subscriptions.len(), 2);
        let two: Value =
            serde_json::from_str(&store.subscription("S2").expect("listed").json).expect("json");
        assert_eq!(two["displayName"], "Two");
        assert_eq!(two["state"], "Disabled");
        assert_eq!(two["tenantId"], "tenant");
        assert_eq!(two["id"], "/subscriptions/s2");
    }

    #[test]
    fn synthesises_instance_view_without_power_state() {
        let mut v = vm("a");
        if let Some(p) = v["properties"].as_object_mut() {
            p.remove("instanceView");
        }
        let store = Store::build(json!([v]), "t").expect("builds");
        let iv = store.entries[0].instance_view.as_deref().unwrap_or("");
        assert!(iv.contains("ProvisioningState/succeeded") && !iv.contains("PowerState"));
    }
}
