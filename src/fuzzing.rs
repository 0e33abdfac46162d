//! Entry points for coverage-guided fuzzing (`fuzz/`, cargo-fuzz) and for the smoke run that CI
//! does on every commit (`tests/fuzz_smoke.rs`). Each takes arbitrary bytes, drives one parser
//! of outside data end to end, and panics only when an invariant breaks — any other panic is a
//! bug the fuzzer reports. Not part of the library's API.

use std::collections::HashMap;

use crate::engine::types::{ResourceKind, UnusableState};
use crate::engine::{Nsgs, Options, Slot, Target, Unusable};
use crate::model::{parse_port, parse_port_item, parse_prefix, ResId};
use crate::pipeline::{self, Scope};
use crate::report::{self, CategoryFilter};

mod nsg_case;
pub mod nsg_oracle;

/// A snapshot: read it, audit it, render every format, and check what must always hold.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = crate::snapshot::as_text(data) else {
        return;
    };
    let Ok(snap) = crate::snapshot::parse(text) else {
        return;
    };
    let report = match pipeline::run(
        &snap.resources,
        snap.guest.clone(),
        &snap.diagnostics,
        Options::default(),
        CategoryFilter::All,
        &Scope::All,
    ) {
        Ok(r) => r,
        Err(e) => panic!("an audit of every VM cannot fail: {e}"),
    };
    let ids: Vec<String> = report.vms.iter().map(|v| v.id.id.to_lowercase()).collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "VMs are sorted by id");
    let json = report::json::render(&report);
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "the JSON report is JSON"
    );
    let sarif = report::sarif::render(&report);
    assert!(serde_json::from_str::<serde_json::Value>(&sarif).is_ok());
    let _ = report::csv::render(&report);
    let _ = report::markdown::render(&report);
    let html = report::html::render(&report);
    assert_eq!(html.matches("<script").count(), 1, "only rdpaudit's script");
    let _ = report::table::render(&report, false, Some(160));
    let _ = report::check::render(&report, false);
}

/// One ARM list page as the live client reads it.
pub fn arm_page(data: &[u8]) {
    let _ = crate::arm::fuzz_page(data);
}

/// A resource id: every accessor, on any string.
pub fn resource_id(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let id = ResId::new(&s);
    let folded = id.key().folded();
    assert_eq!(
        id.key(),
        crate::model::Key::of(&folded),
        "a key equals its case-folded text (ARM ids: ASCII)"
    );
    let _ = (id.name(), id.subscription(), id.resource_group());
    for child in [
        "subnets",
        "inboundNatRules",
        "frontendIPConfigurations",
        "ipConfigurations",
    ] {
        if let Some((parent, name)) = id.split_child(child) {
            assert!(
                id.key().starts_with(parent.key()),
                "{id:?} under {parent:?}"
            );
            assert!(!name.contains('/'), "{name}");
        }
    }
}

/// The port and prefix grammar: anything accepted round-trips through its canonical form.
pub fn grammar(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Some(net) = parse_prefix(&s) {
        let again = parse_prefix(&net.to_string());
        assert_eq!(again, Some(net), "{s:?} → {net} re-parses to itself");
    }
    if let Ok(p) = parse_port(&s) {
        assert_eq!(parse_port(&p.to_string()), Ok(p));
    }
    if let Ok((a, b)) = parse_port_item(&s) {
        assert!(a <= b, "{s:?}: a range is ordered");
        let text = if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        };
        if s.trim() != "*" {
            assert_eq!(parse_port_item(&text), Ok((a, b)));
        }
    }
}

/// The guest script's output and a Run Command result body (stdout, a NUL byte, stderr).
pub fn guest_output(data: &[u8]) {
    let _ = crate::guest::split_run_command_result(data);
    let (out, err) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let facts =
        crate::guest::parse_output(&String::from_utf8_lossy(out), &String::from_utf8_lossy(err));
    if let Some(port) = facts.rdp_port {
        assert!(port > 0, "port 0 is not a listening port");
    }
}

/// The NSG evaluator against the brute-force oracle ([`nsg_oracle`]): the bytes decode to the
/// candidate sources, both NSG levels, the SKU, the target and the tag and ASG expansions; every
/// address where some set involved changes must get the oracle's outcome.
pub fn nsg(data: &[u8]) {
    let case = nsg_case::decode(data);
    let (subnet, nic) = (slot_of(&case.subnet), slot_of(&case.nic));
    let nsgs = Nsgs {
        subnet: &subnet,
        nic: &nic,
        sku: case.standard_sku.then_some(crate::model::Sku::Standard),
    };
    let tags = nsg_oracle::tag_sets(&case.vnet_space, &case.asg_members);
    let target = Target {
        dest_ip: case.dest_ip,
        dest_port: nsg_oracle::PORT,
        dest_asgs: &case.dest_asgs,
        tags: &tags,
    };
    let probes = nsg_oracle::probes(&case.candidates, &nsgs, &target);
    if let Err(e) = nsg_oracle::check(&case.candidates, &nsgs, &target, probes) {
        panic!("the NSG evaluator disagrees with the oracle: {e}");
    }
}

fn slot_of((kind, nsg): &(nsg_case::SlotKind, crate::model::Nsg)) -> Slot<'_> {
    match kind {
        nsg_case::SlotKind::None => Slot::None,
        nsg_case::SlotKind::Present => Slot::Present(nsg),
        nsg_case::SlotKind::Unusable => Slot::Unusable(
            nsg.id.clone(),
            Unusable {
                what: ResourceKind::NetworkSecurityGroup,
                name: nsg.name.clone(),
                state: UnusableState::Dangling(nsg.id.id.clone()),
            },
        ),
    }
}

/// Every target by name, for the smoke run.
pub fn targets() -> HashMap<&'static str, fn(&[u8])> {
    let mut t: HashMap<&'static str, fn(&[u8])> = HashMap::new();
    t.insert("snapshot", snapshot);
    t.insert("arm_page", arm_page);
    t.insert("resource_id", resource_id);
    t.insert("grammar", grammar);
    t.insert("guest_output", guest_output);
    t.insert("nsg", nsg);
    t
}
