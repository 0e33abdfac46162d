//! The three forms of the fixes beyond NSG rules, routes and power: rule destinations and
//! deletions, public IPs, Bastion features, firewall DNAT rules, Virtual Network Manager admin
//! rules and the guest's NLA setting. Same conventions as `report::fix`: every command names the
//! resource from its own id and every value is quoted for a POSIX shell.
//!
//! The commands, checked against the Azure CLI reference:
//! <https://learn.microsoft.com/en-us/cli/azure/network/nsg/rule>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/public-ip#az-network-public-ip-update>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/bastion#az-network-bastion-update>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/firewall/policy/rule-collection-group/collection/rule#az-network-firewall-policy-rule-collection-group-collection-rule-update>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/firewall/nat-rule>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/manager/security-admin-config/rule-collection/rule#az-network-manager-security-admin-config-rule-collection-rule-update>,
//! <https://learn.microsoft.com/en-us/cli/azure/network/manager#az-network-manager-post-commit>,
//! <https://learn.microsoft.com/en-us/cli/azure/vm/run-command#az-vm-run-command-invoke>.

use serde_json::Value;

use super::fix_text::{hcl, hcl_list, label, scope_flags, shell_quote, sources, url_segment};
use super::fix_text::{COMPUTE_API, NETWORK_API};
use crate::model::ResId;
use crate::rules::fix::{parts, AdminAccess, BastionFeature, Fix};

/// The ARM API version of Virtual Network Manager admin rules.
/// <https://learn.microsoft.com/en-us/rest/api/networkmanager/admin-rules/create-or-update>
const MANAGER_API: &str = "2024-05-01";

/// The PowerShell that requires NLA: `UserAuthentication = 1` on the RDP-Tcp listener, as
/// script lines short enough to print whole (`--scripts` takes one argument per line).
/// <https://learn.microsoft.com/en-us/troubleshoot/windows-server/remote/remote-desktop-connection-network-level-authentication>
pub(crate) const NLA_SCRIPT: [&str; 3] = [
    "$k = 'HKLM:\\SYSTEM\\CurrentControlSet\\Control'",
    "$k += '\\Terminal Server\\WinStations\\RDP-Tcp'",
    "Set-ItemProperty -Path $k -Name UserAuthentication -Value 1",
];

/// The Virtual Network Manager parts of an admin rule id: (manager, configuration,
/// collection).
fn admin_parts(id: &str) -> (String, String, String) {
    let r = ResId::new(id);
    let seg = |s: &str| r.segment_after(s).unwrap_or_default().to_string();
    (
        seg("networkManagers"),
        seg("securityAdminConfigurations"),
        seg("ruleCollections"),
    )
}

/// Whether a DNAT fix is on a classic firewall's own collections (not a policy's).
fn classic(resource: &str) -> bool {
    ResId::new(resource)
        .segment_after("azureFirewalls")
        .is_some()
}

/// The flags of a classic rule's re-creation, quoted.
fn flags(recreate: &[(String, Vec<String>)]) -> String {
    recreate
        .iter()
        .map(|(f, v)| {
            let vals: Vec<String> = v.iter().map(|x| shell_quote(x)).collect();
            format!("{f} {}", vals.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Azure CLI commands for the fixes of this module (`None`: not one of them).
pub(crate) fn az(fix: &Fix) -> Option<String> {
    Some(match fix {
        Fix::SetNsgRuleDestination {
            nsg,
            rule,
            destination,
        } => {
            let (scope, name) = scope_flags(nsg);
            format!(
                "az network nsg rule update {scope} --nsg-name {} --name {} \
                 --destination-address-prefixes {}",
                shell_quote(&name),
                shell_quote(rule),
                shell_quote(destination)
            )
        }
        Fix::DeleteNsgRule { nsg, rule } => {
            let (scope, name) = scope_flags(nsg);
            format!(
                "# first enable just-in-time access for the VM (Defender for Servers Plan 2) or \
                 connect through Azure Bastion; then delete the standing rule:\n\
                 az network nsg rule delete {scope} --nsg-name {} --name {}",
                shell_quote(&name),
                shell_quote(rule)
            )
        }
        Fix::StaticPublicIp { public_ip } => {
            let (scope, name) = scope_flags(public_ip);
            format!(
                "az network public-ip update {scope} --name {} --allocation-method Static",
                shell_quote(&name)
            )
        }
        Fix::DisableBastionFeature { bastion, feature } => {
            let (scope, name) = scope_flags(bastion);
            let flag = match feature {
                BastionFeature::ShareableLink => "--enable-shareable-link",
                BastionFeature::IpConnect => "--enable-ip-connect",
            };
            format!(
                "az network bastion update {scope} --name {} {flag} false",
                shell_quote(&name)
            )
        }
        Fix::NarrowDnatRuleSources {
            resource,
            collection,
            rule,
            sources: s,
            recreate,
        } => dnat_az(resource, collection, rule, &sources(s), recreate.as_deref()),
        Fix::SetAdminRuleAccess {
            rule,
            access,
            region,
        } => {
            let (scope, _) = scope_flags(rule);
            let region = shell_quote(region.as_deref().unwrap_or("<REGION-OF-THE-VNET>"));
            let (manager, config, coll) = admin_parts(rule);
            let (_, _, name) = parts(rule);
            let access = match access {
                AdminAccess::Allow => "Allow",
            };
            format!(
                "az network manager security-admin-config rule-collection rule update {scope} \
                 --network-manager-name {m} --configuration-name {c} --rule-collection-name {} \
                 --rule-name {} --access {access}\n\
                 # then deploy it again in the VNet's region; a commit replaces what the region \
                 has deployed, so list every security admin configuration it should keep:\n\
                 cfg=$(az network manager security-admin-config show {scope} \
                 --network-manager-name {m} --configuration-name {c} --query id --output tsv)\n\
                 az network manager post-commit {scope} --network-manager-name {m} \
                 --commit-type SecurityAdmin --configuration-ids \"$cfg\" --target-locations \
                 {region}",
                shell_quote(&coll),
                shell_quote(&name),
                m = shell_quote(&manager),
                c = shell_quote(&config),
            )
        }
        Fix::EnableNla { vm } => {
            let (scope, name) = scope_flags(vm);
            format!(
                "az vm run-command invoke {scope} --name {} --command-id RunPowerShellScript \
                 --scripts {}",
                shell_quote(&name),
                NLA_SCRIPT.map(shell_quote).join(" ")
            )
        }
        _ => return None,
    })
}

fn dnat_az(
    resource: &str,
    collection: &str,
    rule: &str,
    srcs: &str,
    recreate: Option<&[(String, Vec<String>)]>,
) -> String {
    let (scope, name) = scope_flags(resource);
    if classic(resource) {
        let id = format!(
            "{scope} --firewall-name {} --collection-name {} --name {}",
            shell_quote(&name),
            shell_quote(collection),
            shell_quote(rule)
        );
        return format!(
            "# classic firewall rules have no update command: delete the rule and create it again \
             with the new sources\n\
             az network firewall nat-rule delete {id}\n\
             az network firewall nat-rule create {id} --source-addresses {srcs} {}",
            flags(recreate.unwrap_or_default())
        );
    }
    let policy = ResId::new(resource)
        .segment_after("firewallPolicies")
        .unwrap_or_default()
        .to_string();
    format!(
        "az network firewall policy rule-collection-group collection rule update {scope} \
         --policy-name {} --rule-collection-group-name {} --collection-name {} --name {} \
         --source-addresses {srcs}\n\
         # if the rule also names IP Groups (sourceIpGroups), remove them: the ARM form does both",
        shell_quote(&policy),
        shell_quote(&name),
        shell_quote(collection),
        shell_quote(rule)
    )
}

/// The URL, method and body of the ARM form (`None`: not one of this module's fixes).
/// `proven` is the changed resource as the proof left it.
pub(crate) fn arm(fix: &Fix, proven: Option<&Value>) -> Option<String> {
    let rest = |method: &str, url: String, body: Option<&Value>| match body {
        Some(b) => format!(
            "az rest --method {method} --url {} --body {}",
            shell_quote(&url),
            shell_quote(&serde_json::to_string(b).unwrap_or_default())
        ),
        None => format!("az rest --method {method} --url {}", shell_quote(&url)),
    };
    let url = |id: &str, api: &str| format!("https://management.azure.com{id}?api-version={api}");
    let child = |nsg: &str, rule: &str| {
        url(
            &format!("{nsg}/securityRules/{}", url_segment(rule)),
            NETWORK_API,
        )
    };
    // Without a proof there is no body to send: GET it, change the one field, PUT it back.
    let get_put = |what: &str| {
        format!(
            "# GET the resource, {what}, PUT it back (az rest --method get/put)\n{}",
            az(fix).unwrap_or_default()
        )
    };
    Some(match fix {
        Fix::SetNsgRuleDestination { nsg, rule, .. } => match proven {
            Some(b) => rest("put", child(nsg, rule), Some(b)),
            None => get_put("set destinationAddressPrefix"),
        },
        Fix::DeleteNsgRule { nsg, rule } => rest("delete", child(nsg, rule), None),
        Fix::StaticPublicIp { public_ip: id } => generic(id, "publicIPAllocationMethod=Static"),
        Fix::DisableBastionFeature {
            bastion: id,
            feature,
        } => generic(id, &format!("{}=false", feature.property())),
        Fix::NarrowDnatRuleSources { resource: id, .. } => match proven {
            Some(b) if !classic(id) => rest("put", url(id, NETWORK_API), Some(b)),
            _ if classic(id) => format!(
                "# a classic firewall's rules are part of the firewall: no body of the whole \
                 firewall is printed; the Azure CLI commands:\n{}",
                az(fix).unwrap_or_default()
            ),
            _ => get_put("set the rule's sourceAddresses"),
        },
        Fix::SetAdminRuleAccess { rule, .. } => match proven {
            Some(b) => rest("put", url(rule, MANAGER_API), Some(b)),
            None => get_put("set properties.access"),
        },
        Fix::EnableNla { vm } => {
            let body = serde_json::json!({
                "commandId": "RunPowerShellScript",
                "script": NLA_SCRIPT,
            });
            rest(
                "post",
                url(&format!("{vm}/runCommand"), COMPUTE_API),
                Some(&body),
            )
        }
        _ => return None,
    })
}

/// ARM's generic update of one property: `az resource update` GETs the resource and PUTs it
/// back whole with the one change (tags and every other field kept).
/// <https://learn.microsoft.com/en-us/cli/azure/resource#az-resource-update>
fn generic(id: &str, set: &str) -> String {
    format!(
        "az resource update --ids {} --set {}",
        shell_quote(id),
        shell_quote(&format!("properties.{set}"))
    )
}

/// Terraform (azurerm) for the fixes of this module (`None`: not one of them).
pub(crate) fn terraform(fix: &Fix) -> Option<String> {
    Some(match fix {
        Fix::SetNsgRuleDestination {
            rule, destination, ..
        } => format!(
            "# in the azurerm_network_security_rule that manages {rule}:\n\
             destination_address_prefix = {}",
            hcl(destination)
        ),
        Fix::DeleteNsgRule { nsg, rule } => format!(
            "# after just-in-time access or Bastion replaces it: remove the \
             azurerm_network_security_rule that manages {rule} (NSG {}) from the configuration \
             and apply",
            parts(nsg).2
        ),
        Fix::StaticPublicIp { public_ip } => {
            let (_, rg, name) = parts(public_ip);
            format!(
                "# in the configuration that manages it:\n\
                 resource \"azurerm_public_ip\" \"{}\" {{\n  name = {}\n  \
                 resource_group_name = {}\n  allocation_method = \"Static\"\n  # …its other \
                 arguments unchanged\n}}",
                label(&name),
                hcl(&name),
                hcl(&rg)
            )
        }
        Fix::DisableBastionFeature { bastion, feature } => {
            let (_, rg, name) = parts(bastion);
            let arg = match feature {
                BastionFeature::ShareableLink => "shareable_link_enabled",
                BastionFeature::IpConnect => "ip_connect_enabled",
            };
            format!(
                "# in the configuration that manages it:\n\
                 resource \"azurerm_bastion_host\" \"{}\" {{\n  name = {}\n  \
                 resource_group_name = {}\n  {arg} = false\n  # …its other arguments \
                 unchanged\n}}",
                label(&name),
                hcl(&name),
                hcl(&rg)
            )
        }
        Fix::NarrowDnatRuleSources {
            resource,
            collection,
            rule,
            sources: s,
            ..
        } => {
            let (_, _, name) = parts(resource);
            let (block, owner) = if classic(resource) {
                ("azurerm_firewall_nat_rule_collection", "rule")
            } else {
                (
                    "azurerm_firewall_policy_rule_collection_group",
                    "nat_rule_collection → rule",
                )
            };
            format!(
                "# in the {block} that manages {collection} ({name}), {owner} {}:\n\
                 source_addresses = {}\n# and no source_ip_groups",
                hcl(rule),
                hcl_list(s)
            )
        }
        Fix::SetAdminRuleAccess { rule, access, .. } => {
            let access = match access {
                AdminAccess::Allow => "Allow",
            };
            format!(
                "# in the azurerm_network_manager_admin_rule that manages {}:\n\
                 action = \"{access}\"\n\
                 # then deploy again (azurerm_network_manager_deployment)",
                parts(rule).2
            )
        }
        Fix::EnableNla { .. } => format!(
            "# a setting inside Windows, not an Azure resource; run:\n{}",
            az(fix).unwrap_or_default()
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_rule_parts_come_from_the_id() {
        let id = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/\
                  networkManagers/nm/securityAdminConfigurations/sac/ruleCollections/rc/rules/r1";
        let (m, c, rc) = admin_parts(id);
        assert_eq!((m.as_str(), c.as_str(), rc.as_str()), ("nm", "sac", "rc"));
        let text = az(&Fix::SetAdminRuleAccess {
            rule: id.into(),
            access: AdminAccess::Allow,
            region: Some("westeurope".into()),
        })
        .unwrap_or_default();
        assert!(text.contains("--resource-group rg-net"), "{text}");
        assert!(text.contains("--rule-name r1 --access Allow"), "{text}");
        assert!(text.contains("--target-locations westeurope"), "{text}");
    }

    #[test]
    fn classic_dnat_rules_are_recreated_with_their_own_fields() {
        let fix = Fix::NarrowDnatRuleSources {
            resource: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/\
                       azureFirewalls/fw"
                .into(),
            collection: "c".into(),
            rule: "r".into(),
            sources: vec![crate::rules::Source::YourPublicIp],
            recreate: Some(vec![("--protocols".into(), vec!["TCP".into()])]),
        };
        let text = az(&fix).unwrap_or_default();
        assert!(
            text.contains("az network firewall nat-rule delete"),
            "{text}"
        );
        assert!(
            text.contains("--source-addresses '<YOUR-PUBLIC-IP>/32' --protocols TCP"),
            "{text}"
        );
    }
}
