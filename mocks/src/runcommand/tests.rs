use super::body::timestamp;
use super::report::{padded_report, report, tail, Facts};
use super::*;
use serde_json::json;

#[test]
fn report_follows_the_documented_format() {
    let line = report(None);
    assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
    assert_eq!(
        line.trim_end(),
        concat!(
            r#"{"schema":"rdpaudit.guest/1","#,
            r#""rdpTcp":{"portNumber":3389,"securityLayer":2,"userAuthentication":1,"fEnableWinStation":1},"#,
            r#""fDenyTSConnections":{"local":0,"policy":null},"#,
            r#""termService":{"status":"Running","startType":"Manual"},"#,
            r#""listeners":[{"address":"0.0.0.0","port":3389},{"address":"::","port":3389}],"#,
            r#""firewall":{"#,
            r#""profiles":[{"name":"Domain","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},"#,
            r#"{"name":"Private","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":false},"#,
            r#"{"name":"Public","enabled":true,"defaultInboundAction":"Block","allowInboundRules":true,"active":true}],"#,
            r#""allowRules":[{"name":"RemoteDesktop-UserMode-In-TCP","displayName":"Remote Desktop - User Mode (TCP-In)","profiles":["Any"],"localPorts":["3389"],"remoteAddresses":["Any"]}],"#,
            r#""blockRules":[]},"#,
            r#""errors":[]}"#
        )
    );
}

#[test]
fn facts_default_and_listening_follows_the_service() {
    let f = Facts::of(Some(&json!({"termServiceRunning": false, "rdpPort": null})));
    assert_eq!(
        f,
        Facts {
            port: 3389,
            enabled: true,
            running: false,
            listening: false,
            firewall_allows: true,
            nla: true
        }
    );
    let f = Facts::of(Some(
        &json!({"termServiceRunning": false, "listening": true}),
    ));
    assert!(f.listening);
}

#[test]
fn tail_keeps_the_last_bytes_on_a_char_boundary() {
    assert_eq!(tail("abcdef", 4), "cdef");
    assert_eq!(tail("abc", 4), "abc");
    assert_eq!(tail("aé", 1), "");
    assert_eq!(tail("aéb", 2), "b");
    let padded = padded_report(None);
    assert!(padded.len() > RUN_COMMAND_OUTPUT_LIMIT + 1000);
    assert_eq!(tail(&padded, RUN_COMMAND_OUTPUT_LIMIT).len(), 4096);
}

#[test]
fn agent_readiness_and_power_state() {
    assert!(agent_ready(&json!({"statuses": []})));
    assert!(agent_ready(
        &json!({"vmAgent": {"statuses": [{"displayStatus": "Ready"}]}})
    ));
    assert!(!agent_ready(
        &json!({"vmAgent": {"statuses": [{"displayStatus": "Not Ready"}]}})
    ));
    assert!(!agent_ready(&json!({"vmAgent": {"statuses": []}})));
    assert_eq!(
        power_state(
            &json!({"statuses": [{"code": "ProvisioningState/succeeded"}, {"code": "PowerState/running"}]})
        ),
        Some("PowerState/running")
    );
    assert_eq!(power_state(&json!({"statuses": [{"code": "x"}]})), None);
}

#[test]
fn timestamps_use_computes_offset_form() {
    assert_eq!(
        timestamp(SystemTime::UNIX_EPOCH),
        "1970-01-01T00:00:00.0000000+00:00"
    );
}
