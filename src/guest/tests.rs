//! Unit tests of the guest output parser and the firewall decision.

use super::firewall::{firewall_allows, Firewall, FirewallProfile, FirewallRule};
use super::*;

fn profile(name: &str, enabled: bool, default: &str, allow_rules: bool) -> FirewallProfile {
    FirewallProfile {
        name: Some(name.into()),
        enabled: Some(enabled),
        default_inbound_action: Some(default.into()),
        allow_inbound_rules: Some(allow_rules),
        active: Some(false),
    }
}

fn active(mut p: FirewallProfile) -> FirewallProfile {
    p.active = Some(true);
    p
}

fn rule(profiles: &[&str], ports: &[&str]) -> FirewallRule {
    FirewallRule {
        name: Some("r".into()),
        display_name: None,
        profiles: profiles.iter().map(|s| s.to_string()).collect(),
        local_ports: ports.iter().map(|s| s.to_string()).collect(),
        remote_addresses: vec!["Any".into()],
    }
}

fn fw(
    profiles: Vec<FirewallProfile>,
    allow: Vec<FirewallRule>,
    block: Vec<FirewallRule>,
) -> Firewall {
    Firewall {
        profiles: Some(profiles),
        allow_rules: Some(allow),
        block_rules: Some(block),
    }
}

fn public_block() -> FirewallProfile {
    active(profile("Public", true, "Block", true))
}

// --- firewall decision ---

#[test]
fn firewall_allow_rule_allows() {
    let f = fw(
        vec![public_block()],
        vec![rule(&["Any"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(true));
}

#[test]
fn firewall_no_rule_default_block_blocks() {
    let f = fw(vec![public_block()], vec![], vec![]);
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_not_configured_default_blocks() {
    let f = fw(
        vec![active(profile("Public", true, "NotConfigured", true))],
        vec![],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_default_allow_allows() {
    let f = fw(
        vec![active(profile("Public", true, "Allow", true))],
        vec![],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(true));
}

#[test]
fn firewall_disabled_profile_lets_everything_in() {
    let mut p = active(profile("Public", false, "Block", false));
    p.allow_inbound_rules = Some(false);
    let f = fw(vec![p], vec![], vec![rule(&["Any"], &["3389"])]);
    assert_eq!(firewall_allows(&f, 3389), Some(true));
}

#[test]
fn firewall_shields_up_blocks_even_with_allow_rule() {
    let f = fw(
        vec![active(profile("Public", true, "Allow", false))],
        vec![rule(&["Any"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_block_rule_beats_allow_rule() {
    let f = fw(
        vec![public_block()],
        vec![rule(&["Any"], &["3389"])],
        vec![rule(&["Public"], &["Any"])],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_block_rule_beats_default_allow() {
    let f = fw(
        vec![active(profile("Public", true, "Allow", true))],
        vec![],
        vec![rule(&["Any"], &["3000-4000"])],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_rule_for_another_profile_does_not_apply() {
    let f = fw(
        vec![profile("Domain", true, "Block", true), public_block()],
        vec![rule(&["Domain", "Private"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
    // A block rule for another profile does not block either.
    let f = fw(
        vec![public_block()],
        vec![rule(&["Any"], &["3389"])],
        vec![rule(&["Domain"], &["3389"])],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(true));
}

#[test]
fn firewall_profile_names_match_case_insensitively() {
    let f = fw(
        vec![public_block()],
        vec![rule(&["public"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(true));
}

#[test]
fn firewall_rule_on_another_port_does_not_apply() {
    let f = fw(
        vec![public_block()],
        vec![rule(&["Any"], &["3389", "5985-5986"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3390), Some(false));
    assert_eq!(firewall_allows(&f, 5986), Some(true));
    let any = fw(vec![public_block()], vec![rule(&["Any"], &["any"])], vec![]);
    assert_eq!(firewall_allows(&any, 3390), Some(true));
    let rpc = fw(vec![public_block()], vec![rule(&["Any"], &["RPC"])], vec![]);
    assert_eq!(firewall_allows(&rpc, 3389), Some(false));
}

#[test]
fn firewall_mixed_active_profiles_is_unknown() {
    let f = fw(
        vec![
            active(profile("Private", true, "Block", true)),
            public_block(),
        ],
        vec![rule(&["Private"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), None);
}

#[test]
fn firewall_all_profiles_when_none_active() {
    let mut f = fw(
        vec![
            profile("Domain", true, "Block", true),
            profile("Private", true, "Block", true),
            profile("Public", true, "Block", true),
        ],
        vec![rule(&["Domain"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), None);
    f.allow_rules = Some(vec![rule(&["Domain", "Private", "Public"], &["3389"])]);
    assert_eq!(firewall_allows(&f, 3389), Some(true));
    f.allow_rules = Some(vec![]);
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_only_active_profiles_count() {
    // Domain (inactive) has no firewall at all; Public (active) blocks.
    let f = fw(
        vec![profile("Domain", false, "Block", true), public_block()],
        vec![],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(false));
}

#[test]
fn firewall_unknowns() {
    assert_eq!(firewall_allows(&Firewall::default(), 3389), None);
    // Rule lists unknown: cannot tell, unless the profile decides alone.
    let f = Firewall {
        profiles: Some(vec![public_block()]),
        allow_rules: None,
        block_rules: None,
    };
    assert_eq!(firewall_allows(&f, 3389), None);
    let off = Firewall {
        profiles: Some(vec![active(profile("Public", false, "Block", true))]),
        allow_rules: None,
        block_rules: None,
    };
    assert_eq!(firewall_allows(&off, 3389), Some(true));
    // Missing default action: unknown without a matching allow rule.
    let mut p = public_block();
    p.default_inbound_action = None;
    let f = fw(vec![p.clone()], vec![], vec![]);
    assert_eq!(firewall_allows(&f, 3389), None);
    let f = fw(vec![p], vec![rule(&["Any"], &["3389"])], vec![]);
    assert_eq!(firewall_allows(&f, 3389), Some(true));
    // A profile without a name: rules for `Any` apply, rules for named profiles cannot tell.
    let mut p = public_block();
    p.name = None;
    let f = fw(vec![p.clone()], vec![rule(&["Domain"], &["3389"])], vec![]);
    assert_eq!(firewall_allows(&f, 3389), None);
    let f = fw(
        vec![p],
        vec![rule(&["Domain"], &["3389"]), rule(&["Any"], &["3389"])],
        vec![],
    );
    assert_eq!(firewall_allows(&f, 3389), Some(true));
    // Enabled unknown: only a verdict that holds either way.
    let mut p = public_block();
    p.enabled = None;
    let f = fw(vec![p.clone()], vec![rule(&["Any"], &["3389"])], vec![]);
    assert_eq!(firewall_allows(&f, 3389), Some(true));
    let f = fw(vec![p], vec![], vec![]);
    assert_eq!(firewall_allows(&f, 3389), None);
}

#[test]
fn firewall_section_parses_leniently() {
    let v: Firewall = serde_json::from_str(
        r#"{"profiles":{"name":"Public","enabled":"True","defaultInboundAction":4,
            "allowInboundRules":1,"active":true},
            "allowRules":{"name":"x","profiles":"Domain, Public","localPorts":3389},
            "blockRules":[]}"#,
    )
    .unwrap();
    let p = &v.profiles.as_ref().unwrap()[0];
    assert_eq!(p.enabled, Some(true));
    assert_eq!(p.default_inbound_action.as_deref(), Some("Block"));
    assert_eq!(p.allow_inbound_rules, Some(true));
    let r = &v.allow_rules.as_ref().unwrap()[0];
    assert_eq!(r.profiles, vec!["Domain", "Public"]);
    assert_eq!(r.local_ports, vec!["3389"]);
    assert_eq!(firewall_allows(&v, 3389), Some(true));
    // A rule in an odd shape makes its list unknown, not empty.
    let v: Firewall =
        serde_json::from_str(r#"{"profiles":[],"allowRules":[],"blockRules":[1]}"#).unwrap();
    assert_eq!(v.block_rules, None);
}

// --- mapping ---

const HEALTHY: &str = r#"{"schema":"rdpaudit.guest/1","rdpTcp":{"portNumber":3389,"securityLayer":2,"userAuthentication":1,"fEnableWinStation":1},"fDenyTSConnections":{"local":0,"policy":null},"termService":{"status":"Running","startType":"Manual"},"listeners":[{"address":"0.0.0.0","port":3389},{"address":"::","port":3389}],"firewall":{"profiles":[{"name":"Domain","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},{"name":"Private","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},{"name":"Public","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":true}],"allowRules":[{"name":"RemoteDesktop-UserMode-In-TCP","displayName":"Remote Desktop - User Mode (TCP-In)","profiles":["Any"],"localPorts":["3389"],"remoteAddresses":["Any"]}],"blockRules":[]},"errors":[]}"#;

fn healthy_facts() -> GuestFacts {
    GuestFacts {
        rdp_port: Some(3389),
        rdp_enabled: Some(true),
        term_service_running: Some(true),
        listening: Some(true),
        firewall_allows_rdp: Some(true),
        nla: Some(true),
        error: None,
    }
}

/// The healthy object with one JSON pointer replaced.
fn with(pointer: &str, value: Value) -> String {
    let mut v: Value = serde_json::from_str(HEALTHY).unwrap();
    *v.pointer_mut(pointer).unwrap() = value;
    v.to_string()
}

#[test]
fn healthy_output_gives_every_fact() {
    assert_eq!(parse_output(HEALTHY, ""), healthy_facts());
    // Warnings on stderr do not matter when stdout is good.
    assert_eq!(parse_output(HEALTHY, "WARNING: x"), healthy_facts());
}

#[test]
fn rdp_port_from_port_number() {
    let f = parse_output(&with("/rdpTcp/portNumber", 3390.into()), "");
    assert_eq!(f.rdp_port, Some(3390));
    // The listeners are on 3389, not on the port: not listening.
    assert_eq!(f.listening, Some(false));
    // The rule covers 3389 only.
    assert_eq!(f.firewall_allows_rdp, Some(false));
    assert_eq!(f.error, None);
    // A numeric string (REG_SZ) is accepted too.
    let f = parse_output(&with("/rdpTcp/portNumber", "3389".into()), "");
    assert_eq!(f.rdp_port, Some(3389));
}

#[test]
fn invalid_port_is_unknown_with_a_note() {
    for (bad, shown) in [
        (Value::from(70000), "70000 is not a TCP port"),
        (Value::from(0), "0 is not a TCP port"),
        (Value::from(-1), "-1 is not a TCP port"),
        (Value::from(3389.5), "`3389.5` is not a number"),
        (Value::from("abc"), "`abc` is not a number"),
        (Value::from(true), "`true` is not a number"),
    ] {
        let f = parse_output(&with("/rdpTcp/portNumber", bad), "");
        assert_eq!(f.rdp_port, None);
        assert_eq!(f.listening, None);
        assert_eq!(f.firewall_allows_rdp, None);
        let err = f.error.unwrap();
        assert!(
            err.starts_with("unknown: rdpPort, listening, firewallAllowsRdp;"),
            "{err}"
        );
        assert!(err.contains(shown), "{err}");
    }
}

#[test]
fn rdp_enabled_policy_wins_over_local() {
    let cases = [
        (Value::from(0), Value::Null, Some(true)),
        (Value::from(1), Value::Null, Some(false)),
        (Value::from(0), Value::from(1), Some(false)),
        (Value::from(1), Value::from(0), Some(true)),
        (Value::Null, Value::from(1), Some(false)),
        (Value::Null, Value::Null, None),
        (Value::from(2), Value::Null, None),
    ];
    for (local, policy, expected) in cases {
        let mut v: Value = serde_json::from_str(HEALTHY).unwrap();
        v["fDenyTSConnections"] = serde_json::json!({"local": local, "policy": policy});
        let f = parse_output(&v.to_string(), "");
        assert_eq!(f.rdp_enabled, expected, "local {local} policy {policy}");
        assert_eq!(f.error.is_some(), expected.is_none());
    }
}

#[test]
fn term_service_running_from_status() {
    let f = parse_output(&with("/termService/status", "Stopped".into()), "");
    assert_eq!(f.term_service_running, Some(false));
    let f = parse_output(&with("/termService/status", "StartPending".into()), "");
    assert_eq!(f.term_service_running, Some(false));
    let f = parse_output(&with("/termService/status", 4.into()), "");
    assert_eq!(f.term_service_running, Some(true));
    let f = parse_output(
        &with("/termService", Value::Null).replace(
            r#""errors":[]"#,
            r#""errors":["termService: Cannot find any service with service name 'TermService'."]"#,
        ),
        "",
    );
    assert_eq!(f.term_service_running, None);
    assert_eq!(
        f.error.as_deref(),
        Some("unknown: termServiceRunning; termService: Cannot find any service with service name 'TermService'.")
    );
}

#[test]
fn listening_means_a_listener_on_the_rdp_port() {
    let f = parse_output(&with("/listeners", serde_json::json!([])), "");
    assert_eq!(f.listening, Some(false));
    assert_eq!(f.error, None);
    let f = parse_output(
        &with(
            "/listeners",
            serde_json::json!({"address": "10.0.0.4", "port": "3389"}),
        ),
        "",
    );
    assert_eq!(f.listening, Some(true));
    let f = parse_output(&with("/listeners", Value::Null), "");
    assert_eq!(f.listening, None);
    assert_eq!(
        f.error.as_deref(),
        Some("unknown: listening; the script reported no error")
    );
    let f = parse_output(&with("/listeners", "x".into()), "");
    assert_eq!(f.listening, None);
    assert!(f.error.unwrap().contains("`listeners` is not a list"));
}

#[test]
fn nla_from_user_authentication() {
    let f = parse_output(&with("/rdpTcp/userAuthentication", 0.into()), "");
    assert_eq!(f.nla, Some(false));
    assert_eq!(f.error, None);
    let f = parse_output(&with("/rdpTcp/userAuthentication", Value::Null), "");
    assert_eq!(f.nla, None);
    // NLA is not a key fact: no error for it alone.
    assert_eq!(f.error, None);
}

#[test]
fn firewall_null_gives_partial_facts_and_the_script_errors() {
    let text = with("/firewall", Value::Null).replace(
        r#""errors":[]"#,
        r#""errors":["firewall: Access is denied.","activeProfile: x"]"#,
    );
    let f = parse_output(&text, "");
    assert_eq!(
        f,
        GuestFacts {
            firewall_allows_rdp: None,
            error: Some(
                "unknown: firewallAllowsRdp; firewall: Access is denied.; activeProfile: x".into()
            ),
            ..healthy_facts()
        }
    );
}

#[test]
fn sections_in_odd_shapes_are_unknown() {
    let f = parse_output(&with("/rdpTcp", serde_json::json!([1, 2])), "");
    assert_eq!(f.rdp_port, None);
    assert_eq!(f.nla, None);
    assert_eq!(f.rdp_enabled, Some(true));
    assert!(f.error.unwrap().contains("`rdpTcp` is not an object"));
}

#[test]
fn script_errors_are_ignored_when_key_facts_are_known() {
    let text = HEALTHY.replace(r#""errors":[]"#, r#""errors":["activeProfile: x"]"#);
    assert_eq!(parse_output(&text, ""), healthy_facts());
}

#[test]
fn finds_the_json_line_among_noise() {
    let text = format!("\u{feff}\r\nWARNING: something\r\n{{not json\r\n{HEALTHY}\r\n\r\n");
    assert_eq!(parse_output(&text, ""), healthy_facts());
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(HEALTHY).unwrap()).unwrap();
    assert_eq!(parse_output(&pretty, ""), healthy_facts());
}

#[test]
fn unusable_output_gives_only_an_error() {
    let only_error = |e: &str| GuestFacts {
        error: Some(e.into()),
        ..Default::default()
    };
    assert_eq!(
        parse_output("", ""),
        only_error("the script printed nothing")
    );
    assert_eq!(
        parse_output(" \r\n", "At line:1 char:1\r\n+ oops"),
        only_error("the script printed nothing (stderr: At line:1 char:1 + oops)")
    );
    let long_err = "x".repeat(300);
    let e = parse_output("", &long_err).error.unwrap();
    assert_eq!(
        e.chars().count(),
        "the script printed nothing (stderr: )".len() + 201
    );
    assert_eq!(
        parse_output("Access is denied.", ""),
        only_error("the output is not JSON: Access is denied.")
    );
    let e = parse_output(r#"{"schema":"rdpaudit.guest/1","rdpTcp":"#, "")
        .error
        .unwrap();
    assert!(e.starts_with("the output is not JSON ("), "{e}");
    assert_eq!(
        parse_output(r#"{"schema":"other/2"}"#, ""),
        only_error("the output is `other/2`, not rdpaudit.guest/1")
    );
    assert_eq!(
        parse_output(r#"{"a":1}"#, ""),
        only_error("the output is a JSON object without a `schema`, not rdpaudit.guest/1")
    );
}

#[test]
fn cut_output_is_recognised() {
    let long = format!(
        "{{\"schema\":\"rdpaudit.guest/1\",\"errors\":[\"{}\"]}}",
        "x".repeat(5000)
    );
    let tail = &long[long.len() - 4096..];
    let e = parse_output(tail, "").error.unwrap();
    assert!(e.starts_with("the output was cut:"), "{e}");
    // Cut exactly at an inner `{`: the line starts like an object but is not one.
    let inner = format!("{{\"a\":\"{}\"}}]}}", "y".repeat(4100));
    let e = parse_output(&inner, "").error.unwrap();
    assert!(e.starts_with("the output was cut:"), "{e}");
}

#[test]
fn never_panics_on_odd_text() {
    for text in [
        "{",
        "}",
        "{}",
        "{\"schema\":null}",
        "{\"schema\":\"rdpaudit.guest/1\"}",
        "{\"schema\":\"rdpaudit.guest/1\",\"rdpTcp\":{\"portNumber\":1e400}}",
        "{\"schema\":\"rdpaudit.guest/1\",\"firewall\":{\"profiles\":\"x\"}}",
        "\u{feff}",
        "\u{feff}{\"schema\":\"rdpaudit.guest/1\",\"errors\":\"one\"}",
    ] {
        let f = parse_output(text, "é");
        assert!(f.error.is_some(), "{text}");
    }
}

// --- Run Command result ---

#[test]
fn split_by_code_not_position() {
    let body = br#"{"value":[
        {"code":"ComponentStatus/StdErr/succeeded","message":"err text"},
        {"code":"ComponentStatus/StdOut/succeeded","message":"out text"}]}"#;
    assert_eq!(
        split_run_command_result(body),
        Ok(("out text".into(), "err text".into()))
    );
}

#[test]
fn split_missing_stderr_is_empty() {
    let body = br#"{"value":[{"code":"ComponentStatus/StdOut/succeeded","message":"out"}]}"#;
    assert_eq!(
        split_run_command_result(body),
        Ok(("out".into(), String::new()))
    );
    let body = br#"{"value":[]}"#;
    assert_eq!(
        split_run_command_result(body),
        Ok((String::new(), String::new()))
    );
}

#[test]
fn split_accepts_the_operation_status_shape() {
    let body = br#"{"startTime":"2025-01-01T00:00:00Z","status":"Succeeded",
        "properties":{"output":{"value":[
          {"code":"ComponentStatus/StdOut/succeeded","message":"out"},
          {"code":"ComponentStatus/StdErr/succeeded","message":""}]}},
        "name":"x"}"#;
    assert_eq!(
        split_run_command_result(body),
        Ok(("out".into(), String::new()))
    );
}

#[test]
fn split_rejects_garbage() {
    let e = split_run_command_result(b"<html>502</html>").unwrap_err();
    assert!(e.starts_with("the Run Command result is not JSON"), "{e}");
    assert_eq!(
        split_run_command_result(b"[1]"),
        Err("the Run Command result is not a JSON object".into())
    );
    assert_eq!(
        split_run_command_result(br#"{"value":"x"}"#),
        Err("the Run Command result has no `value` array".into())
    );
    assert_eq!(
        split_run_command_result(br#"{"status":"InProgress"}"#),
        Err(
            "the Run Command result has no output (`value` array); operation status InProgress"
                .into()
        )
    );
    // Entries without codes or messages are skipped, not fatal.
    assert_eq!(
        split_run_command_result(br#"{"value":[1,{"code":5},{"message":"m"}]}"#),
        Ok((String::new(), String::new()))
    );
}

// --- the script ---

#[test]
fn script_is_compiled_in_and_split_into_lines() {
    let lines = script_lines();
    assert!(lines.len() > 50);
    assert!(lines.iter().all(|l| !l.contains('\r') && !l.contains('\n')));
    assert!(SCRIPT.contains(OUTPUT_SCHEMA));
    // Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page.
    assert!(SCRIPT.is_ascii());
}

#[test]
fn script_is_read_only() {
    let lower = SCRIPT.to_ascii_lowercase();
    for verb in [
        "set-",
        "new-",
        "enable-",
        "disable-",
        "start-",
        "stop-",
        "restart-",
        "remove-",
        "rename-",
        "copy-",
        "move-",
        "clear-",
        "out-file",
        "add-content",
        "invoke-",
        "register-",
        "reg add",
        "reg delete",
        "netsh",
    ] {
        assert!(!lower.contains(verb), "the script contains `{verb}`");
    }
    assert!(!SCRIPT.contains(" > "), "the script redirects to a file");
    assert!(!SCRIPT.contains(">>"), "the script redirects to a file");
}
