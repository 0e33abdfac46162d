//! The grammar of ports and prefixes (`model::net`): what is accepted, what is rejected, and
//! that a rejected value in a snapshot is a diagnostic naming the resource and the field.

mod common;

use rdpaudit::model::{parse_port, parse_port_item, parse_prefix};
use serde_json::Value;

#[test]
fn ports() {
    let accept: &[(&str, u16)] = &[
        ("0", 0),
        ("1", 1),
        ("22", 22),
        ("3389", 3389),
        ("65535", 65535),
        (" 3389 ", 3389), // surrounding whitespace is not part of the value
    ];
    for (text, want) in accept {
        assert_eq!(parse_port(text), Ok(*want), "{text:?}");
    }
    let reject = [
        "", "+3389", "-3389", "03389", "00", "65536", "99999", "123456", "3389.0", "3 389", "0x10",
        "3389a", "٣٣٨٩", "*", "any",
    ];
    for text in reject {
        assert!(parse_port(text).is_err(), "{text:?} must be rejected");
    }
}

#[test]
fn port_items() {
    let accept: &[(&str, (u16, u16))] = &[
        ("*", (0, 65535)),
        ("3389", (3389, 3389)),
        ("0", (0, 0)),
        ("0-65535", (0, 65535)),
        ("3380-3390", (3380, 3390)),
        ("3389-3389", (3389, 3389)),
        (" 3380-3390 ", (3380, 3390)),
    ];
    for (text, want) in accept {
        assert_eq!(parse_port_item(text), Ok(*want), "{text:?}");
    }
    let reject = [
        "",
        "+3389",
        "03389",
        "4000-3000",
        "3380 - 3390",
        "3380-",
        "-3390",
        "3380-3390-3400",
        "+1-2",
        "01-2",
        "1-02",
        "1-65536",
        "**",
        "Any",
        "any",
        "rdp",
        "3389,3390",
        "é",
    ];
    for text in reject {
        assert!(parse_port_item(text).is_err(), "{text:?} must be rejected");
    }
}

#[test]
fn prefixes() {
    let accept: &[(&str, &str)] = &[
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.0.0.0/0", "0.0.0.0/0"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("1.2.3.4", "1.2.3.4/32"),
        ("1.2.3.4/32", "1.2.3.4/32"),
        ("175.1.0.1/24", "175.1.0.0/24"), // host bits masked
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("::/0", "::/0"),
        ("2001:db8::/128", "2001:db8::/128"),
        (" 10.0.0.0/8 ", "10.0.0.0/8"),
    ];
    for (text, want) in accept {
        assert_eq!(
            parse_prefix(text).map(|n| n.to_string()).as_deref(),
            Some(*want),
            "{text:?}"
        );
    }
    let reject = [
        "",
        "10.0.0.0/",
        "10.0.0.0/08",
        "10.0.0.0/024",
        "10.0.0.0/+8",
        "10.0.0.0/-8",
        "10.0.0.0/33",
        "10.0.0.0/8/8",
        "10.0.0.0 /8",
        "10.0.0.0/ 8",
        "300.1.1.1",
        "010.0.0.1",
        "1.2.3",
        "2001:db8::/129",
        "2001:db8::/0128",
        "10.0.0.0/8é",
        "*",
        "Internet",
        "10.0.0.0-10.0.0.255",
    ];
    for text in reject {
        assert!(parse_prefix(text).is_none(), "{text:?} must be rejected");
    }
}

/// An NSG whose one custom rule has `field` set to `value`, audited: the diagnostics.
fn nsg_with(field: &str, value: &str) -> Vec<Value> {
    let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-1";
    let mut rule = serde_json::json!({
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "sourceAddressPrefix": "*", "sourcePortRange": "*",
        "destinationAddressPrefix": "*", "destinationPortRange": "3389",
    });
    rule[field] = Value::String(value.to_string());
    let snapshot = serde_json::json!([{
        "id": id, "type": "Microsoft.Network/networkSecurityGroups",
        "properties": {"securityRules": [{"name": "rdp", "properties": rule}]},
    }]);
    let out = common::live::audit_stdin(&snapshot, &[]);
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    r["diagnostics"].as_array().cloned().unwrap_or_default()
}

#[test]
fn values_outside_the_grammar_are_diagnostics_naming_resource_and_field() {
    let cases = [
        ("destinationPortRange", "+3389"),
        ("destinationPortRange", "03389"),
        ("sourcePortRange", "Any"),
        ("sourceAddressPrefix", "10.0.0.0/08"),
        ("destinationAddressPrefix", "10.0.0.0/024"),
    ];
    for (field, value) in cases {
        let d = nsg_with(field, value);
        assert_eq!(d.len(), 1, "{field}={value}: {d:?}");
        assert!(
            d[0]["scope"]
                .as_str()
                .is_some_and(|s| s.ends_with("/networkSecurityGroups/nsg-1")),
            "{d:?}"
        );
        let msg = d[0]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(&format!("field `properties.{field}`")) && msg.contains(value),
            "{field}={value}: {msg}"
        );
    }
    // The plain forms read cleanly.
    assert!(nsg_with("destinationPortRange", "3389").is_empty());
    assert!(nsg_with("sourceAddressPrefix", "10.0.0.0/8").is_empty());
}
