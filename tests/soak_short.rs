//! A short fault soak in every `cargo test` (the long one is `scripts/soak`): a generated estate
//! served with random faults — 429, 500/503, reset connections, slow and truncated bodies, list
//! pages without their array — read live a few times with different seeds. Each run ends
//! either complete and equal to the offline audit of the same estate, or marked incomplete
//! (exit 3, `complete: false`, a diagnostic); never exit 0 with a smaller audit.
#![cfg(unix)]

mod common;

use mock_arm::{ChaosMode, Faults};
use serde_json::Value;

use common::live::{json_of, live, serve};

#[test]
fn live_runs_under_random_faults_are_complete_and_equal_or_incomplete() {
    let snap = common::generated_live(24, 2, 11);
    let mut offline = common::live::audit_offline(&snap);
    assert_eq!(offline["complete"], true);
    // The generated snapshot has no `securityAdminRules` section (the report says so in an
    // `info` notice); live collection reads each VNet's list, empty here, and has no notice.
    if let Some(d) = offline["diagnostics"].as_array_mut() {
        d.retain(|x| x["code"] != "AdminRulesNotCollected");
    }

    let modes = [
        ChaosMode::Throttle,
        ChaosMode::ServerError,
        ChaosMode::Reset,
        ChaosMode::Slow,
        ChaosMode::Truncate,
        ChaosMode::EmptyPage,
    ];
    let (mut complete, mut incomplete) = (0, 0);
    for seed in 1..=6u64 {
        let server = serve(&snap, |c| {
            c.page_size(5)
                .seed(seed)
                .faults(Faults::none().chaos(0.15, modes))
        });
        let out = live(&server, "audit")
            .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
            .output()
            .expect("run");
        let faults = server
            .requests()
            .iter()
            .filter_map(|r| r.fault.clone())
            .collect::<Vec<_>>();
        let r: Value = json_of(&out);
        match out.status.code() {
            Some(0) => {
                assert_eq!(r["complete"], true, "seed {seed}");
                assert_eq!(
                    r, offline,
                    "seed {seed}: complete but not the offline audit ({faults:?})"
                );
                complete += 1;
            }
            Some(3) => {
                assert_eq!(r["complete"], false, "seed {seed}");
                assert!(
                    r["diagnostics"].as_array().is_some_and(|d| !d.is_empty()),
                    "seed {seed}: incomplete without a diagnostic"
                );
                incomplete += 1;
            }
            code => panic!(
                "seed {seed}: exit {code:?} ({faults:?}): {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    // The seeds are fixed: both outcomes occur, so both branches above are exercised.
    assert!(
        complete > 0 && incomplete > 0,
        "{complete} complete, {incomplete} incomplete"
    );
}
