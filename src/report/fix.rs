//! The one place a typed fix ([`Fix`]) becomes text: `az` commands (the default), an ARM body
//! for `az rest` on the exact resource, or a Terraform snippet (`--fix-format`). Every command
//! names the resource from its own id (`--subscription`, `--resource-group`, name) and quotes
//! every value for a POSIX shell, so a name with spaces, `$` or quotes can neither break the
//! command nor inject another one.

use serde::Serialize;

pub use super::fix_text::shell_quote;
use super::fix_text::{hcl, hcl_list, label, scope_flags, sources, url_segment};
pub(crate) use super::fix_text::{COMPUTE_API, NETWORK_API};
use crate::rules::fix::{parts, Fix, FixAccess, PRIORITY_RANGE};

/// How fixes are printed (`--fix-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixFormat {
    /// Azure CLI commands.
    #[default]
    Az,
    /// `az rest` with the ARM JSON body of the exact resource.
    Arm,
    /// A Terraform (azurerm) snippet.
    Terraform,
}

/// Whether a fix was proven on a patched copy of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proof {
    /// Applied to a copy of the data and audited again: the finding is gone and nothing new
    /// is exposed.
    Proven,
    /// Words or a command rdpaudit could not prove: read before running.
    Advice,
}

/// A finding's fix in the report: the typed change, whether it was proven, and which other
/// VMs the same change touches.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FixReport {
    /// The change, typed (`kind` names it).
    #[serde(flatten)]
    pub change: Fix,
    /// `proven` or `advice`.
    pub proof: Proof,
    /// Why it is advice (not proven), when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Other VMs the same change affects (they share the NSG or route table).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_affects: Vec<String>,
    /// What else to know about a proven fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The changed child resource as ARM would hold it after the fix (for `--fix-format arm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_body: Option<serde_json::Value>,
    /// The address that stood in for `<YOUR-PUBLIC-IP>` in the proof (an address the finding
    /// is about; default 192.0.2.10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
}

impl FixReport {
    /// A fix not (yet) proven: advice until `remedy` proves it.
    pub(crate) fn unproven(change: Fix) -> FixReport {
        FixReport::for_client(change, None)
    }

    /// A fix not (yet) proven, with the address a proof should stand in for the user's.
    pub(crate) fn for_client(change: Fix, stand_in: Option<String>) -> FixReport {
        FixReport {
            change,
            proof: Proof::Advice,
            reason: Some("not proven".into()),
            also_affects: Vec::new(),
            notes: Vec::new(),
            arm_body: None,
            stand_in,
        }
    }
}

/// Fills every finding's `remediation` with its fix in `format` (findings without a typed fix
/// keep their rule's template text, already marked as advice).
pub fn finish(report: &mut super::Report, format: FixFormat) {
    for f in report.vms.iter_mut().flat_map(|v| v.findings.iter_mut()) {
        if let Some(fix) = &f.fix {
            if !matches!(fix.change, Fix::Advice { .. }) {
                f.remediation = render(fix, format);
            }
        }
    }
}

/// One fix as text in `format`, with a first line saying whether it was proven.
pub fn render(fix: &FixReport, format: FixFormat) -> String {
    let body = match format {
        FixFormat::Az => az(&fix.change),
        FixFormat::Arm => arm(&fix.change, fix.arm_body.as_ref()),
        FixFormat::Terraform => terraform(&fix.change, fix.arm_body.as_ref()),
    };
    let mut out = String::new();
    if fix.proof == Proof::Advice {
        out.push_str(&format!(
            "# advice ({}): check before running\n",
            fix.reason.as_deref().unwrap_or("not proven")
        ));
    }
    if fix.change.needs_your_ip() {
        out.push_str("# replace <YOUR-PUBLIC-IP> with your public address (or pass --client-ip)\n");
    }
    for n in &fix.notes {
        out.push_str(&format!("# note: {n}\n"));
    }
    if !fix.also_affects.is_empty() {
        out.push_str(&format!(
            "# also affects: {}\n",
            fix.also_affects.join(", ")
        ));
    }
    out.push_str(&body);
    out
}

/// A fix's commands alone in `format` (no proof header): `explain`'s example.
pub(crate) fn body(fix: &Fix, format: FixFormat) -> String {
    match format {
        FixFormat::Az => az(fix),
        FixFormat::Arm => arm(fix, None),
        FixFormat::Terraform => terraform(fix, None),
    }
}

/// `rdpaudit fix`'s text: per VM, each finding with its fix under it, proven or marked advice.
pub fn listing(report: &super::Report) -> String {
    let mut out = String::new();
    for vm in &report.vms {
        out.push_str(&format!(
            "{} ({})  {}\n",
            vm.name, vm.resource_group, vm.rdp.explanation
        ));
        if vm.findings.is_empty() {
            out.push_str("  nothing to fix\n");
        }
        for f in &vm.findings {
            let proof = match &f.fix {
                Some(x) if x.proof == Proof::Proven => "proven fix",
                _ => "advice",
            };
            out.push_str(&format!(
                "\n  {} {} ({}): {}\n  {proof}:\n",
                f.rule_id,
                f.severity.as_str(),
                f.category.as_str(),
                f.message
            ));
            for line in f.remediation.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push('\n');
    }
    out
}

fn no_priority(nsg: &str, wins_over: Option<&(String, u32)>) -> String {
    let (_, _, name) = parts(nsg);
    let below = wins_over.map_or(PRIORITY_RANGE.1 + 1, |(_, p)| *p);
    format!(
        "# advice: NSG {name} has no free priority between {} and {}: free one up (or merge \
         rules), then add the rule with it",
        PRIORITY_RANGE.0,
        below.saturating_sub(1).min(PRIORITY_RANGE.1)
    )
}

/// Azure CLI commands.
fn az(fix: &Fix) -> String {
    match fix {
        Fix::NarrowNsgRuleSources {
            nsg,
            rule,
            sources: s,
            ..
        } => {
            let (scope, name) = scope_flags(nsg);
            format!(
                "az network nsg rule update {scope} --nsg-name {} --name {} \
                 --source-address-prefixes {}",
                shell_quote(&name),
                shell_quote(rule),
                sources(s)
            )
        }
        Fix::AddNsgRule {
            nsg,
            name: rule,
            priority,
            wins_over,
            access,
            sources: s,
            destination,
            port,
        } => {
            let Some(priority) = priority else {
                return no_priority(nsg, wins_over.as_ref());
            };
            let (scope, name) = scope_flags(nsg);
            format!(
                "az network nsg rule create {scope} --nsg-name {} --name {} --priority \
                 {priority} --direction Inbound --access {} --protocol Tcp \
                 --source-address-prefixes {} --source-port-ranges '*' \
                 --destination-address-prefixes {} --destination-port-ranges {port}",
                shell_quote(&name),
                shell_quote(rule),
                access_str(*access),
                sources(s),
                shell_quote(destination)
            )
        }
        Fix::AddRoute {
            route_table,
            name: route,
            prefix,
        } => {
            let (scope, name) = scope_flags(route_table);
            format!(
                "az network route-table route create {scope} --route-table-name {} --name {} \
                 --address-prefix {} --next-hop-type Internet",
                shell_quote(&name),
                shell_quote(route),
                shell_quote(&prefix.to_string())
            )
        }
        Fix::StartVm { vm } => {
            let (scope, name) = scope_flags(vm);
            format!("az vm start {scope} --name {}", shell_quote(&name))
        }
        Fix::WidenNsgRuleSourcePorts { nsg, rule } => {
            let (scope, name) = scope_flags(nsg);
            format!(
                "az network nsg rule update {scope} --nsg-name {} --name {} \
                 --source-port-ranges '*'",
                shell_quote(&name),
                shell_quote(rule)
            )
        }
        Fix::Advice { text } => text.clone(),
        other => super::fix_more::az(other).unwrap_or_default(),
    }
}

fn access_str(a: FixAccess) -> &'static str {
    match a {
        FixAccess::Allow => "Allow",
        FixAccess::Deny => "Deny",
    }
}

/// The child resource's URL and its body as the fix leaves it (without proof: built from the
/// fix alone; a narrowed rule then needs its other properties from a GET first).
fn child(fix: &Fix, proven: Option<&serde_json::Value>) -> Option<(String, serde_json::Value)> {
    let (parent, kind, name, body) = match fix {
        Fix::NarrowNsgRuleSources { nsg, rule, .. }
        | Fix::WidenNsgRuleSourcePorts { nsg, rule } => (nsg, "securityRules", rule, None),
        Fix::AddNsgRule {
            nsg,
            name,
            priority: Some(priority),
            access,
            sources: s,
            destination,
            port,
            ..
        } => {
            let body = serde_json::json!({ "properties": {
                "priority": priority,
                "direction": "Inbound",
                "access": access_str(*access),
                "protocol": "Tcp",
                "sourceAddressPrefixes": s.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                "sourcePortRange": "*",
                "destinationAddressPrefix": destination,
                "destinationPortRange": port.to_string(),
            }});
            (nsg, "securityRules", name, Some(body))
        }
        Fix::AddRoute {
            route_table,
            name,
            prefix,
        } => {
            let body = serde_json::json!({ "properties": {
                "addressPrefix": prefix.to_string(),
                "nextHopType": "Internet",
            }});
            (route_table, "routes", name, Some(body))
        }
        _ => return None,
    };
    let url = format!(
        "https://management.azure.com{}/{kind}/{}?api-version={NETWORK_API}",
        parent,
        url_segment(name)
    );
    Some((url, proven.cloned().or(body)?))
}

/// `az rest` with the ARM body of the exact child resource.
fn arm(fix: &Fix, proven: Option<&serde_json::Value>) -> String {
    if let Some(text) = super::fix_more::arm(fix, proven) {
        return text;
    }
    if let Fix::StartVm { vm } = fix {
        return format!(
            "az rest --method post --url {}",
            shell_quote(&format!(
                "https://management.azure.com{vm}/start?api-version={COMPUTE_API}"
            ))
        );
    }
    if let Fix::AddNsgRule {
        nsg,
        priority: None,
        wins_over,
        ..
    } = fix
    {
        return no_priority(nsg, wins_over.as_ref());
    }
    match child(fix, proven) {
        Some((url, body)) => format!(
            "az rest --method put --url {} --body {}",
            shell_quote(&url),
            shell_quote(&serde_json::to_string(&body).unwrap_or_default())
        ),
        None => format!(
            "# GET the rule, change its sources, PUT it back\n{}",
            az(fix)
        ),
    }
}

/// A Terraform (azurerm) snippet.
fn terraform(fix: &Fix, proven: Option<&serde_json::Value>) -> String {
    match fix {
        Fix::NarrowNsgRuleSources {
            nsg,
            rule,
            priority,
            sources: s,
        } => {
            let (_, rg, name) = parts(nsg);
            let prop = |k: &str| {
                proven
                    .and_then(|b| b.pointer(&format!("/properties/{k}")))
                    .and_then(|v| v.as_str())
                    .unwrap_or("*")
                    .to_string()
            };
            format!(
                "# in the configuration that manages {rule}; not managed by Terraform yet? \
                 terraform import azurerm_network_security_rule.{l} {id}\n\
                 resource \"azurerm_network_security_rule\" \"{l}\" {{\n  name = {}\n  \
                 resource_group_name = {}\n  network_security_group_name = {}\n  priority = \
                 {priority}\n  direction = \"Inbound\"\n  access = {}\n  protocol = {}\n  \
                 source_port_range = \"*\"\n  destination_port_range = {}\n  \
                 destination_address_prefix = {}\n  source_address_prefixes = {}\n}}",
                hcl(rule),
                hcl(&rg),
                hcl(&name),
                hcl(&prop("access")),
                hcl(&prop("protocol")),
                hcl(&prop("destinationPortRange")),
                hcl(&prop("destinationAddressPrefix")),
                hcl_list(s),
                l = label(rule),
                id = shell_quote(&format!("{nsg}/securityRules/{rule}")),
            )
        }
        Fix::AddNsgRule {
            nsg,
            name: rule,
            priority: Some(priority),
            access,
            sources: s,
            destination,
            port,
            ..
        } => {
            let (_, rg, name) = parts(nsg);
            format!(
                "resource \"azurerm_network_security_rule\" \"{}\" {{\n  name = {}\n  \
                 resource_group_name = {}\n  network_security_group_name = {}\n  priority = \
                 {priority}\n  direction = \"Inbound\"\n  access = \"{}\"\n  protocol = \"Tcp\"\n  \
                 source_port_range = \"*\"\n  source_address_prefixes = {}\n  \
                 destination_address_prefix = {}\n  destination_port_range = \"{port}\"\n}}",
                label(rule),
                hcl(rule),
                hcl(&rg),
                hcl(&name),
                access_str(*access),
                hcl_list(s),
                hcl(destination),
            )
        }
        Fix::AddNsgRule { nsg, wins_over, .. } => no_priority(nsg, wins_over.as_ref()),
        Fix::AddRoute {
            route_table,
            name: route,
            prefix,
        } => {
            let (_, rg, name) = parts(route_table);
            format!(
                "resource \"azurerm_route\" \"{}\" {{\n  name = {}\n  resource_group_name = {}\n  \
                 route_table_name = {}\n  address_prefix = {}\n  next_hop_type = \"Internet\"\n}}",
                label(route),
                hcl(route),
                hcl(&rg),
                hcl(&name),
                hcl(&prefix.to_string()),
            )
        }
        Fix::StartVm { .. } => format!(
            "# Terraform does not manage a VM's power state; run:\n{}",
            az(fix)
        ),
        Fix::WidenNsgRuleSourcePorts { rule, .. } => format!(
            "# in the azurerm_network_security_rule that manages {rule}:\n\
             source_port_range = \"*\""
        ),
        Fix::Advice { text } => text.clone(),
        other => super::fix_more::terraform(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fix::Source;

    const NSG: &str = "/subscriptions/0000/resourceGroups/rg hub/providers/\
                       Microsoft.Network/networkSecurityGroups/nsg$(rm -rf ~)";

    #[test]
    fn quoting_keeps_names_with_spaces_dollars_and_quotes_one_word() {
        assert_eq!(shell_quote("rg-app"), "rg-app");
        assert_eq!(shell_quote("rg hub"), "'rg hub'");
        assert_eq!(shell_quote("a$b"), "'a$b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn the_az_command_names_subscription_group_and_nsg_from_the_id() {
        let fix = Fix::AddNsgRule {
            nsg: NSG.into(),
            name: "Allow-RDP-3389-rdpaudit".into(),
            priority: Some(299),
            wins_over: Some(("Deny".into(), 300)),
            access: FixAccess::Allow,
            sources: vec![Source::YourPublicIp],
            destination: "10.0.0.4".into(),
            port: 3389,
        };
        let text = az(&fix);
        assert!(
            text.contains("--subscription 0000 --resource-group 'rg hub'"),
            "{text}"
        );
        assert!(text.contains("--nsg-name 'nsg$(rm -rf ~)'"), "{text}");
        assert!(text.contains("--priority 299"), "{text}");
        assert!(text.contains("'<YOUR-PUBLIC-IP>/32'"), "{text}");
        let mut none = fix;
        if let Fix::AddNsgRule { priority, .. } = &mut none {
            *priority = None;
        }
        assert!(az(&none).starts_with("# advice: NSG nsg$(rm -rf ~) has no free priority"));
    }

    #[test]
    fn terraform_strings_escape_interpolation() {
        assert_eq!(hcl("a\"${x}"), r#""a\"$${x}""#);
    }
}
