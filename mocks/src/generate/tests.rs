use super::*;
use serde_json::json;
use std::collections::{HashMap, HashSet};

fn resources(doc: &Value) -> &Vec<Value> {
    doc["resources"].as_array().expect("resources array")
}

fn count(doc: &Value, ty: &str) -> usize {
    resources(doc).iter().filter(|r| r["type"] == ty).count()
}

#[test]
fn deterministic_for_a_seed() {
    let opts = GenerateOptions {
        vms: 60,
        seed: 42,
        subscriptions: 2,
        hub_spoke: false,
    };
    assert_eq!(generate(&opts), generate(&opts));
    assert_ne!(
        generate(&opts),
        generate(&GenerateOptions {
            seed: 43,
            ..opts.clone()
        })
    );
}

#[test]
fn streamed_output_equals_the_in_memory_document() {
    let opts = GenerateOptions {
        vms: 50,
        seed: 4,
        subscriptions: 2,
        hub_spoke: false,
    };
    for pretty in [false, true] {
        let mut buf = Vec::new();
        write_snapshot(&opts, pretty, &mut buf).expect("writes");
        let streamed: Value = serde_json::from_slice(&buf).expect("valid JSON");
        assert_eq!(streamed, generate(&opts));
    }
}

#[test]
fn proportions_are_realistic() {
    let doc = generate(&GenerateOptions {
        vms: 1000,
        seed: 7,
        subscriptions: 1,
        hub_spoke: false,
    });
    assert_eq!(count(&doc, "Microsoft.Compute/virtualMachines"), 1000);
    assert_eq!(count(&doc, "Microsoft.Network/networkInterfaces"), 1000);
    assert_eq!(count(&doc, "Microsoft.Network/networkSecurityGroups"), 200);
    assert_eq!(count(&doc, "Microsoft.Network/virtualNetworks"), 50);
    let pips = count(&doc, "Microsoft.Network/publicIPAddresses");
    assert!((650..=800).contains(&pips), "{pips} public IPs");
    assert!(count(&doc, "Microsoft.Network/loadBalancers") >= 2);
    assert!(count(&doc, "Microsoft.Network/bastionHosts") >= 1);
    assert!(count(&doc, "Microsoft.Network/routeTables") >= 10);
    let linux = resources(&doc)
        .iter()
        .filter(|r| r.pointer("/properties/storageProfile/osDisk/osType") == Some(&json!("Linux")))
        .count();
    assert!((50..=160).contains(&linux), "{linux} Linux VMs");
    let deallocated = resources(&doc)
        .iter()
        .filter(|r| r.to_string().contains("PowerState/deallocated"))
        .count();
    assert!(deallocated > 30, "{deallocated} deallocated");
    let nva = resources(&doc)
        .iter()
        .filter(|r| r.to_string().contains("\"VirtualAppliance\""))
        .count();
    assert!(nva >= 1, "no route table sends 0.0.0.0/0 to an appliance");
    for nsg in resources(&doc)
        .iter()
        .filter(|r| r["type"] == "Microsoft.Network/networkSecurityGroups")
    {
        let custom = nsg
            .pointer("/properties/securityRules")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        assert!((16..=25).contains(&custom));
        let defaults = nsg
            .pointer("/properties/defaultSecurityRules")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        assert_eq!(defaults, 6);
        let mut seen = HashSet::new();
        for r in nsg
            .pointer("/properties/securityRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = (
                r.pointer("/properties/direction").cloned(),
                r.pointer("/properties/priority").cloned(),
            );
            assert!(seen.insert(key), "duplicate priority in {}", nsg["name"]);
        }
    }
}

/// Every `{"id": ...}` reference resolves (case-insensitively) to a resource or to a child
/// inline in one, and ids are unique.
#[test]
fn every_reference_resolves() {
    let doc = generate(&GenerateOptions {
        vms: 400,
        seed: 3,
        subscriptions: 2,
        hub_spoke: false,
    });
    let mut known: HashSet<String> = HashSet::new();
    fn collect_ids(v: &Value, out: &mut HashSet<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(id)) = o.get("id") {
                    if o.contains_key("name") {
                        out.insert(id.to_ascii_lowercase());
                    }
                }
                o.values().for_each(|x| collect_ids(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| collect_ids(x, out)),
            _ => {}
        }
    }
    let mut top: HashMap<String, usize> = HashMap::new();
    for r in resources(&doc) {
        collect_ids(r, &mut known);
        *top.entry(r["id"].as_str().unwrap_or("").to_ascii_lowercase())
            .or_default() += 1;
    }
    assert!(top.values().all(|&n| n == 1), "duplicate resource ids");
    fn check_refs(v: &Value, known: &HashSet<String>, missing: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if o.len() == 1 {
                    if let Some(Value::String(id)) = o.get("id") {
                        // Managed disks are not part of the audited estate.
                        if !id.contains("/disks/") && !known.contains(&id.to_ascii_lowercase()) {
                            missing.push(id.clone());
                        }
                    }
                }
                o.values().for_each(|x| check_refs(x, known, missing));
            }
            Value::Array(a) => a.iter().for_each(|x| check_refs(x, known, missing)),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for r in resources(&doc) {
        check_refs(r, &known, &mut missing);
    }
    assert!(
        missing.is_empty(),
        "unresolved: {:?}",
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn hub_spoke_adds_a_gateway_a_jump_box_and_peerings_both_ways() {
    let plain = generate(&GenerateOptions {
        vms: 100,
        seed: 9,
        subscriptions: 1,
        hub_spoke: false,
    });
    let hub = generate(&GenerateOptions {
        vms: 100,
        seed: 9,
        subscriptions: 1,
        hub_spoke: true,
    });
    let vnets = count(&plain, "Microsoft.Network/virtualNetworks");
    assert_eq!(count(&plain, "Microsoft.Network/virtualNetworkGateways"), 0);
    assert_eq!(count(&hub, "Microsoft.Network/virtualNetworkGateways"), 1);
    assert_eq!(count(&hub, "Microsoft.Network/localNetworkGateways"), 1);
    assert_eq!(count(&hub, "Microsoft.Network/connections"), 1);
    assert_eq!(count(&hub, "Microsoft.Network/virtualNetworks"), vnets + 1);
    assert_eq!(
        count(
            &hub,
            "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
        ),
        2 * vnets
    );
    assert_eq!(
        count(&hub, "Microsoft.Compute/virtualMachines"),
        count(&plain, "Microsoft.Compute/virtualMachines") + 1
    );
}
