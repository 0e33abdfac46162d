//! A live ARM collection adds each list's pages to the model as they arrive, the lists in a fixed
//! order (the VMs' last): the resources read keep that one order whatever order the answers
//! come in, and a list that fails after some of its pages were added takes them back out, so a
//! failed list still adds nothing.
//!
//! The real binary runs against mock-arm over HTTP (5 items a page, 20 ms a request).

mod common;

use mock_arm::{EmptyPage, Faults, LoggedRequest, Throttle};
use serde_json::Value;

use common::generated_live;
use common::live::{assert_code, json_of, live, serve};

const VM: &str = "Microsoft.Compute/virtualMachines";
const NIC: &str = "Microsoft.Network/networkInterfaces";

/// A live `audit -o json --save-snapshot` of `doc` with `faults`, exiting `code`: (report,
/// saved snapshot, the mock's request log).
fn audit_saving(doc: &Value, faults: Faults, code: i32) -> (Value, Value, Vec<LoggedRequest>) {
    let server = serve(doc, |c| {
        c.page_size(5)
            .latency(std::time::Duration::from_millis(20))
            .faults(faults)
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("saved.json");
    let out = live(&server, "audit")
        .args(["-o", "json", "--fail-on", "never", "--all-subscriptions"])
        .arg("--save-snapshot")
        .arg(&saved)
        .output()
        .expect("run");
    assert_code(&out, code);
    let text = std::fs::read_to_string(&saved).expect("snapshot saved");
    let saved = serde_json::from_str(&text).expect("JSON");
    (json_of(&out), saved, server.requests())
}

fn ids(snap: &Value) -> Vec<String> {
    snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The resource types in the order read, each run of one type once (`a b a`).
fn kinds(snap: &Value) -> String {
    let mut out: Vec<&str> = Vec::new();
    for r in snap["resources"].as_array().expect("resources") {
        let t = r["type"].as_str().unwrap_or_default();
        let t = t.rsplit('/').next().unwrap_or(t);
        if out.last() != Some(&t) {
            out.push(t);
        }
    }
    out.join(" ")
}

fn of_type(snap: &Value, t: &str) -> usize {
    snap["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| {
            r["type"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(t))
        })
        .count()
}

/// The first request for `t` answered 429 (`Retry-After: 1`): that list ends last.
fn late(t: &str) -> Faults {
    Faults::none().throttle(Throttle::first(1).only_type(t))
}

/// The VM list held back, then the NIC list: the lists end in two different orders, and the
/// resources read (as `--save-snapshot` writes them) are the same, in the same order, with the
/// same report. Added in the order the lists ended, the NICs would come after the VMs in one
/// run and before them in the other.
#[test]
fn the_resources_keep_one_order_whatever_order_the_lists_end_in() {
    let doc = generated_live(30, 1, 7);
    let (report_a, a, _) = audit_saving(&doc, late(VM), 0);
    let (report_b, b, _) = audit_saving(&doc, late(NIC), 0);
    assert_eq!(of_type(&a, VM), 30, "every VM was read");
    assert_eq!(of_type(&a, NIC), of_type(&doc, NIC), "every NIC was read");
    assert!(
        ids(&a) == ids(&b),
        "one order, whichever list ended last: {} / {}",
        kinds(&a),
        kinds(&b)
    );
    assert_eq!(report_a["vms"], report_b["vms"]);
    let mut want = ids(&doc);
    let mut got = ids(&a);
    want.sort();
    got.sort();
    assert_eq!(got, want, "what was read is the estate");
}

/// The NIC list's second page is HTTP 200 without its array: the list fails after its first
/// page was added to the model, and takes that page back out. The VMs still name their NICs, so
/// each one is then read by id, those of the first page too (had the page stayed, they would
/// not be asked for); the report says the list failed (exit 3: incomplete) and is otherwise
/// the clean run's.
#[test]
fn a_list_that_fails_after_its_first_page_takes_it_back_out() {
    let doc = generated_live(12, 1, 3);
    let nics = of_type(&doc, NIC);
    assert!(nics > 5, "the NIC list has a second page");
    let faults = Faults::none().later_empty_page(NIC, EmptyPage::ErrorBody);
    let (report, saved, requests) = audit_saving(&doc, faults, 3);
    let by_id = requests
        .iter()
        .filter(|r| r.route == "get" && r.resource_type.as_deref() == Some(NIC))
        .count();
    assert_eq!(by_id, nics, "every NIC read by id, the first page's too");
    assert_eq!(of_type(&saved, NIC), nics, "each NIC once");
    assert_eq!(report["complete"], false);
    let diagnostics = report["diagnostics"].to_string();
    assert!(diagnostics.contains(NIC), "{diagnostics}");
    let (clean, _, _) = audit_saving(&doc, Faults::none(), 0);
    assert_eq!(report["vms"], clean["vms"]);
}
