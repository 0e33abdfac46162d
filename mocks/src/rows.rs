//! Resource Graph's `Resources` table: its columns, and each stored resource turned into a row
//! once, at start-up, so a query page is a concatenation of ready-made JSON (as list pages are).
//!
//! A row differs from an ARM GET body the way Resource Graph's do: `type` and `resourceGroup`
//! lower-cased, `subscriptionId` and `tenantId` columns, string columns never null (`""` when
//! absent, as Kusto has no null strings), and for VMs no `properties.instanceView` but
//! `properties.extended.instanceView.powerState`.

use crate::ids::ResourceId;
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The columns of the `Resources` table, in Resource Graph's order: the nine string columns
/// first, then the dynamic ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Column {
    Id,
    Name,
    Type,
    TenantId,
    Kind,
    Location,
    ResourceGroup,
    SubscriptionId,
    ManagedBy,
    Sku,
    Plan,
    Properties,
    Tags,
    Identity,
    Zones,
    ExtendedLocation,
}

/// How many of the columns (the first ones) are strings.
const STRING_COLUMNS: usize = 9;
const DYNAMIC_COLUMNS: usize = Column::ALL.len() - STRING_COLUMNS;

impl Column {
    /// Every column, in the order a query without `project` returns them.
    pub const ALL: [Column; 16] = [
        Column::Id,
        Column::Name,
        Column::Type,
        Column::TenantId,
        Column::Kind,
        Column::Location,
        Column::ResourceGroup,
        Column::SubscriptionId,
        Column::ManagedBy,
        Column::Sku,
        Column::Plan,
        Column::Properties,
        Column::Tags,
        Column::Identity,
        Column::Zones,
        Column::ExtendedLocation,
    ];

    /// The column name as KQL spells it.
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Name => "name",
            Column::Type => "type",
            Column::TenantId => "tenantId",
            Column::Kind => "kind",
            Column::Location => "location",
            Column::ResourceGroup => "resourceGroup",
            Column::SubscriptionId => "subscriptionId",
            Column::ManagedBy => "managedBy",
            Column::Sku => "sku",
            Column::Plan => "plan",
            Column::Properties => "properties",
            Column::Tags => "tags",
            Column::Identity => "identity",
            Column::Zones => "zones",
            Column::ExtendedLocation => "extendedLocation",
        }
    }

    /// The column of that name. Exact case: KQL column names are case-sensitive, and a
    /// client that writes `Type` gets an error from Resource Graph too.
    pub fn parse(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the column is a string (else it is `dynamic`).
    pub fn is_string(self) -> bool {
        (self as usize) < STRING_COLUMNS
    }

    /// The column type in `resultFormat: table` (`ColumnDataType` of the swagger).
    pub fn table_type(self) -> &'static str {
        if self.is_string() {
            "string"
        } else {
            "object"
        }
    }
}

/// One resource as a `Resources` row.
#[derive(Debug)]
pub(crate) struct GraphRow {
    /// String column values, unescaped (what `where` compares), `""` when absent.
    strings: [String; STRING_COLUMNS],
    /// Dynamic column values, serialised; `None` is `null`.
    dynamic: [Option<String>; DYNAMIC_COLUMNS],
}

impl GraphRow {
    /// Builds the row of `resource` (in ARM shape, without its instance view). `instance_view`
    /// is the VM's instance view, whose power state becomes
    /// `properties.extended.instanceView.powerState`.
    pub fn build(
        resource: &Value,
        id: &ResourceId,
        tenant: &str,
        instance_view: Option<&Value>,
    ) -> Result<GraphRow, serde_json::Error> {
        let text = |k: &str| {
            resource
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let ty = resource
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| id.top_type());
        let name = resource
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| id.names[0].clone());
        let strings = [
            resource
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            name,
            ty.to_ascii_lowercase(),
            tenant.to_owned(),
            text("kind"),
            text("location"),
            id.resource_group.to_ascii_lowercase(),
            id.subscription.clone(),
            text("managedBy"),
        ];
        let mut dynamic: [Option<String>; DYNAMIC_COLUMNS] = Default::default();
        for (slot, column) in dynamic.iter_mut().zip(&Column::ALL[STRING_COLUMNS..]) {
            *slot = match (column, resource.get(column.name())) {
                (_, None | Some(Value::Null)) => None,
                (Column::Properties, Some(Value::Object(props))) if instance_view.is_some() => {
                    let extended = instance_view.and_then(extended_instance_view);
                    Some(serde_json::to_string(&VmProperties { props, extended })?)
                }
                (_, Some(v)) => Some(serde_json::to_string(v)?),
            };
        }
        Ok(GraphRow { strings, dynamic })
    }

    /// The value of a string column; `None` for dynamic columns.
    pub fn text(&self, column: Column) -> Option<&str> {
        self.strings.get(column as usize).map(String::as_str)
    }

    /// Appends the column's value as JSON.
    pub fn write_json(&self, column: Column, out: &mut String) {
        let i = column as usize;
        if let Some(s) = self.strings.get(i) {
            match serde_json::to_string(s) {
                Ok(js) => out.push_str(&js),
                Err(_) => out.push_str("\"\""),
            }
            return;
        }
        match self.dynamic.get(i - STRING_COLUMNS) {
            Some(Some(js)) => out.push_str(js),
            _ => out.push_str("null"),
        }
    }
}

/// A VM's `properties` as Resource Graph has them: no instance view, but what Resource Graph
/// extends the model with (`extended.instanceView`: power state and a few guest fields), and
/// no `extended` when none of that is known. Serialised from borrowed parts: cloning every
/// VM's properties would slow the start-up of a 50,000-VM estate by seconds.
struct VmProperties<'a> {
    props: &'a Map<String, Value>,
    /// `extended.instanceView`.
    extended: Option<Value>,
}

impl Serialize for VmProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wrapped = self
            .extended
            .as_ref()
            .map(|iv| serde_json::json!({ "instanceView": iv }));
        let kept = self
            .props
            .iter()
            .filter(|(k, _)| k.as_str() != "instanceView" && k.as_str() != "extended")
            .map(|(k, v)| (k.as_str(), v));
        serializer.collect_map(kept.chain(wrapped.as_ref().map(|e| ("extended", e))))
    }
}

/// Compute's instance view in Resource Graph's `extended.instanceView` shape:
/// `powerState: {code, level, displayStatus}` from the `PowerState/*` status, plus
/// `computerName`, `osName`, `osVersion` when known. `None` when none of them is.
fn extended_instance_view(iv: &Value) -> Option<Value> {
    let mut out = Map::new();
    for k in ["computerName", "osName", "osVersion"] {
        if let Some(v) = iv.get(k).filter(|v| !v.is_null()) {
            out.insert(k.into(), v.clone());
        }
    }
    let power = iv
        .get("statuses")
        .and_then(Value::as_array)
        .and_then(|statuses| {
            statuses.iter().find(|s| {
                s.get("code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.starts_with("PowerState/"))
            })
        });
    if let Some(status) = power {
        let code = status
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = |k: &str| status.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut p = Map::new();
        p.insert("code".into(), Value::from(code));
        p.insert(
            "level".into(),
            Value::from(field("level").unwrap_or_else(|| "Info".into())),
        );
        p.insert(
            "displayStatus".into(),
            Value::from(field("displayStatus").unwrap_or_else(|| power_display(code))),
        );
        out.insert("powerState".into(), Value::Object(p));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// `PowerState/running` → `VM running`, as the portal and ARM display it.
pub(crate) fn power_display(code: &str) -> String {
    let state = code.strip_prefix("PowerState/").unwrap_or(code);
    format!("VM {state}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str =
        "/subscriptions/S1/resourceGroups/RG-App/providers/Microsoft.Compute/virtualMachines/vm1";

    fn row(resource: &Value, iv: Option<&Value>) -> GraphRow {
        let id = ResourceId::parse(ID).expect("id");
        GraphRow::build(resource, &id, "tenant", iv).expect("row")
    }

    fn json_of(r: &GraphRow, c: Column) -> Value {
        let mut s = String::new();
        r.write_json(c, &mut s);
        serde_json::from_str(&s).expect("valid JSON")
    }

    #[test]
    fn vm_rows_have_graph_columns_and_extended_power_state() {
        let vm = json!({"id": ID, "name": "vm1", "type": "Microsoft.Compute/virtualMachines",
            "location": "westeurope", "properties": {"vmId": "x"}});
        let iv = json!({"computerName": "vm1", "statuses": [
            {"code": "ProvisioningState/succeeded"},
            {"code": "PowerState/running", "level": "Info"}]});
        let r = row(&vm, Some(&iv));
        assert_eq!(
            r.text(Column::Type),
            Some("microsoft.compute/virtualmachines")
        );
        assert_eq!(r.text(Column::ResourceGroup), Some("rg-app"));
        assert_eq!(r.text(Column::SubscriptionId), Some("S1"));
        assert_eq!(r.text(Column::TenantId), Some("tenant"));
        assert_eq!(r.text(Column::Kind), Some(""));
        assert_eq!(r.text(Column::Sku), None);
        assert_eq!(json_of(&r, Column::Sku), Value::Null);
        assert_eq!(
            json_of(&r, Column::Properties),
            json!({"vmId": "x", "extended": {"instanceView": {"computerName": "vm1",
                "powerState": {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}}}})
        );
    }

    #[test]
    fn unknown_power_state_adds_no_extended_block() {
        let vm = json!({"id": ID, "type": "Microsoft.Compute/virtualMachines", "properties": {}});
        let iv = json!({"statuses": [{"code": "ProvisioningState/succeeded"}]});
        let r = row(&vm, Some(&iv));
        assert_eq!(json_of(&r, Column::Properties), json!({}));
        assert_eq!(r.text(Column::Name), Some("vm1"));
    }

    #[test]
    fn columns_parse_case_sensitively() {
        assert_eq!(Column::parse("resourceGroup"), Some(Column::ResourceGroup));
        assert_eq!(Column::parse("ResourceGroup"), None);
        assert_eq!(Column::parse("managedby"), None);
        assert!(Column::ManagedBy.is_string() && !Column::Sku.is_string());
        assert_eq!(Column::Zones.table_type(), "object");
    }
}
