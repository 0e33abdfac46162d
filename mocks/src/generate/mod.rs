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
//! drawn again from a saved copy of the generator, so memory stays at a few dozen bytes per VM.
//!
//! Layout: [`tables`] holds the vocabulary, [`rules`] the security rules, [`estate`] one
//! subscription's layout, [`compute`] VMs and NICs, [`network`] the network resource bodies.

mod compute;
mod estate;
mod network;
mod rules;
mod tables;
#[cfg(test)]
mod tests;

pub use rules::default_rules;

use crate::faults::uuid_like;
use compute::GuestFacts;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

type Rng = Xoshiro256PlusPlus;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of VMs in total.
    pub vms: usize,
    /// Seed: the same options give the same snapshot.
    pub seed: u64,
    /// Number of subscriptions the VMs are spread over (at least 1).
    pub subscriptions: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            vms: 100,
            seed: 1,
            subscriptions: 1,
        }
    }
}

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

/// The `subscriptions` entries; their ids come from a generator of their own so that the
/// resources do not depend on how the subscriptions are written.
fn subscription_bodies(opts: &GenerateOptions) -> Vec<Value> {
    let mut rng = Rng::seed_from_u64(opts.seed ^ 0x5eed_5eed);
    (0..opts.subscriptions.max(1))
        .map(|s| {
            let state = if s % 10 == 9 { "Warned" } else { "Enabled" };
            json!({
                "subscriptionId": uuid_like(&mut rng),
                "displayName": format!("Contoso Landing Zone {:02}", s + 1),
                "state": state
            })
        })
        .collect()
}

type Sink<'a> = &'a mut dyn FnMut(Value) -> std::io::Result<()>;

/// Guest facts by VM id (sorted, as a JSON object without preserved order serialises them).
type Guest = BTreeMap<String, GuestFacts>;

/// Generates every resource into `sink`; returns the guest facts.
fn run(opts: &GenerateOptions, sink: Sink<'_>) -> std::io::Result<Guest> {
    let subscriptions = subscription_bodies(opts);
    let mut g = Gen {
        rng: Rng::seed_from_u64(opts.seed),
        sink,
        vnet_counter: 0,
        pip_counter: 0,
        guest: Guest::new(),
    };
    let subs = subscriptions.len();
    for (s, body) in subscriptions.iter().enumerate() {
        let share = opts.vms / subs + usize::from(s < opts.vms % subs);
        let sid = body["subscriptionId"].as_str().unwrap_or_default();
        g.subscription(sid, share)?;
    }
    Ok(g.guest)
}

/// The generator: one seeded random stream, drawn in a fixed order (the order of every draw is
/// part of the output), and the sink resources go to.
struct Gen<'a> {
    rng: Rng,
    sink: Sink<'a>,
    /// VNets so far over all subscriptions (their address spaces do not overlap).
    vnet_counter: usize,
    /// Public addresses handed out so far.
    pip_counter: usize,
    guest: Guest,
}

/// A weak ETag, as ARM's network resources carry.
fn etag(rng: &mut Rng) -> String {
    format!("W/\"{}\"", uuid_like(rng))
}

impl Gen<'_> {
    fn emit(&mut self, v: Value) -> std::io::Result<()> {
        (self.sink)(v)
    }

    fn chance(&mut self, p: f64) -> bool {
        rand::RngExt::random_bool(&mut self.rng, p)
    }

    fn etag(&mut self) -> String {
        etag(&mut self.rng)
    }

    fn uuid(&mut self) -> String {
        uuid_like(&mut self.rng)
    }

    /// A reference id as a live ARM body may spell it: mostly verbatim, sometimes with the
    /// resource group upper-cased (clients must compare ids case-insensitively).
    fn reference(&mut self, id: &str) -> String {
        if !self.chance(0.1) {
            return id.to_owned();
        }
        let lower = id.to_ascii_lowercase();
        match (lower.find("/resourcegroups/"), lower.find("/providers/")) {
            (Some(a), Some(b)) if a < b => {
                let start = a + "/resourcegroups/".len();
                format!(
                    "{}{}{}",
                    &id[..start],
                    id[start..b].to_ascii_uppercase(),
                    &id[b..]
                )
            }
            _ => id.to_owned(),
        }
    }
}
