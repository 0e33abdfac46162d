//! The routes of a route table.

use super::gen::{etag, Rng};
use rand::RngExt;
use serde_json::{json, Value};

/// The routes of a route table, ending with one to a KMS address over the Internet.
pub(super) fn routes(rng: &mut Rng, rt_id: &str, base: [u8; 3], nva: bool) -> Vec<Value> {
    let mut routes = Vec::new();
    let mut add = |rng: &mut Rng, name: &str, prefix: &str, hop: &str, ip: Option<String>| {
        let mut props = json!({"provisioningState": "Succeeded", "addressPrefix": prefix, "nextHopType": hop, "hasBgpOverride": false});
        if let (Some(ip), Some(o)) = (ip, props.as_object_mut()) {
            o.insert("nextHopIpAddress".into(), json!(ip));
        }
        routes.push(json!({
            "name": name, "id": format!("{rt_id}/routes/{name}"), "etag": etag(rng),
            "type": "Microsoft.Network/routeTables/routes", "properties": props
        }));
    };
    if nva {
        let appliance = format!("{}.{}.{}.4", base[0], base[1], base[2] + 4);
        add(
            rng,
            "default-to-nva",
            "0.0.0.0/0",
            "VirtualAppliance",
            Some(appliance),
        );
    }
    if rng.random_bool(0.6) {
        add(
            rng,
            "to-onprem",
            "192.168.0.0/16",
            "VirtualNetworkGateway",
            None,
        );
    }
    if rng.random_bool(0.3) {
        add(rng, "blackhole-legacy", "10.250.0.0/16", "None", None);
    }
    add(rng, "kms", "20.118.99.224/32", "Internet", None);
    routes
}
