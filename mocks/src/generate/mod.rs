//! A synthetic estate for benchmarks and soak tests: `mock-arm generate --vms N --seed S`.
//!
//! The shape follows a typical hub-less enterprise landing zone: per region a network resource
//! group (VNets, subnet NSGs, route tables, ASGs, Bastions), and application resource groups
//! (VMs, NICs, public IPs, NIC NSGs, load balancers). Proportions per VM: one NIC; ~70% with an
//! instance public IP (85% Standard); ~7% behind a load-balancer inbound NAT rule; ~10% Linux;
//! ~10% deallocated. About VMs/5 NSGs of ~20 custom rules plus the six default rules, about
//! VMs/20 VNets. Every reference resolves, back-links included (NSG → subnets/NICs, subnet →
//! ipConfigurations, public IP → ipConfiguration, route table → subnets), and some references
//! differ in case from the target id, as they do in live ARM.
//!
//! Deterministic: the output depends only on the options (one seeded generator, no clock).
//!
//! Streaming: resources are handed to a sink as soon as they are complete. The network
//! resources come last (they carry back-links to every NIC) and are kept until then in a
//! compact form: ids are rebuilt from indexes, and an NSG's rules or a route table's routes are
//! drawn again from a saved copy of the generator, so memory grows by well under 100 bytes per
//! VM (about 90 MB for a million VMs) rather than with the JSON.
//!
//! Layout: `gen` holds the generator and drives it, `tables` the vocabulary, `rules` the
//! security rules, `routes` route table routes, `estate` one subscription's layout, `compute`
//! VMs and NICs, `network` the network resource bodies, `hubspoke` the optional hub. Each file imports only
//! files listed before it (the layering test checks that there is no import circle).

mod compute;
mod doors;
mod estate;
mod gen;
mod hubspoke;
mod network;
mod routes;
mod rules;
mod tables;
#[cfg(test)]
mod tests;

pub use doors::add_doors;
pub use gen::GenerateOptions;
pub use rules::default_rules;

use gen::{run, subscription_bodies};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write;

const COLLECTED_AT: &str = "2026-01-15T02:00:00Z";

/// Generates a complete `rdpaudit.snapshot/1` document in memory.
pub fn generate(opts: &GenerateOptions) -> Value {
    let mut resources = Vec::with_capacity(opts.vms * 4);
    let guest = run(opts, &mut |v| {
        resources.push(v);
        Ok(())
    })
    .unwrap_or_default();
    json!({
        "schema": "rdpaudit.snapshot/1",
        "cloud": "public",
        "collectedAt": COLLECTED_AT,
        "subscriptions": subscription_bodies(opts),
        "resources": resources,
        "guest": serde_json::to_value(&guest).unwrap_or_default(),
        "diagnostics": []
    })
}

/// Writes the same document as [`generate`] without holding it in memory: each resource is
/// serialised as soon as it is complete, so memory does not grow with the size of the output
/// (a 10,000-VM estate is ~100 MB of JSON, a 1,000,000-VM one ~10 GB).
pub fn write_snapshot(
    opts: &GenerateOptions,
    pretty: bool,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let subscriptions = subscription_bodies(opts);
    write!(
        w,
        "{{\"schema\":\"rdpaudit.snapshot/1\",\"cloud\":\"public\",\"collectedAt\":\"{COLLECTED_AT}\""
    )?;
    w.write_all(b",\"subscriptions\":")?;
    write_value(w, &subscriptions, pretty)?;
    w.write_all(b",\"resources\":[")?;
    let mut first = true;
    let guest = run(opts, &mut |v| {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        if pretty {
            w.write_all(b"\n")?;
        }
        write_value(w, &v, pretty)
    })?;
    w.write_all(b"],\"guest\":")?;
    write_value(w, &guest, pretty)?;
    w.write_all(b",\"diagnostics\":[]}\n")?;
    w.flush()
}

fn write_value<T: Serialize + ?Sized>(
    w: &mut dyn Write,
    v: &T,
    pretty: bool,
) -> std::io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *w, v)?;
    } else {
        serde_json::to_writer(&mut *w, v)?;
    }
    Ok(())
}
