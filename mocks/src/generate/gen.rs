//! The generator: one seeded random stream drawn in a fixed order, the sink resources go to,
//! and the loop over subscriptions. The resources themselves are made in [`super::estate`],
//! [`super::compute`] and [`super::network`] (`impl Gen` blocks).

use crate::dice::uuid_like;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of VMs in total.
    pub vms: usize,
    /// Seed: the same options give the same snapshot.
    pub seed: u64,
    /// Number of subscriptions the VMs are spread over (at least 1).
    pub subscriptions: usize,
    /// Add a hub per subscription: VPN gateway (P2S pool, S2S connection), a jump box,
    /// peerings with every VNet (`hubspoke`).
    pub hub_spoke: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            vms: 100,
            seed: 1,
            subscriptions: 1,
            hub_spoke: false,
        }
    }
}

/// What `rdpaudit --guest` found on a VM.
pub(super) struct GuestFacts {
    pub rdp_port: u16,
    pub rdp_enabled: bool,
    pub term_service_running: bool,
    pub listening: bool,
    pub firewall_allows_rdp: bool,
    pub nla: bool,
}

impl Serialize for GuestFacts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({
            "rdpPort": self.rdp_port, "rdpEnabled": self.rdp_enabled,
            "termServiceRunning": self.term_service_running, "listening": self.listening,
            "firewallAllowsRdp": self.firewall_allows_rdp, "nla": self.nla
        })
        .serialize(s)
    }
}

pub(super) type Rng = Xoshiro256PlusPlus;

/// The `subscriptions` entries; their ids come from a generator of their own so that the
/// resources do not depend on how the subscriptions are written.
pub(super) fn subscription_bodies(opts: &GenerateOptions) -> Vec<Value> {
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

pub(super) type Sink<'a> = &'a mut dyn FnMut(Value) -> std::io::Result<()>;

/// Guest facts by VM id (sorted, as a JSON object without preserved order serialises them).
pub(super) type Guest = BTreeMap<String, GuestFacts>;

/// Generates every resource into `sink`; returns the guest facts.
pub(super) fn run(opts: &GenerateOptions, sink: Sink<'_>) -> std::io::Result<Guest> {
    let subscriptions = subscription_bodies(opts);
    let mut g = Gen {
        rng: Rng::seed_from_u64(opts.seed),
        sink,
        vnet_counter: 0,
        pip_counter: 0,
        guest: Guest::new(),
        hub_spoke: opts.hub_spoke,
        subscription_index: 0,
    };
    let subs = subscriptions.len();
    for (s, body) in subscriptions.iter().enumerate() {
        let share = opts.vms / subs + usize::from(s < opts.vms % subs);
        let sid = body["subscriptionId"].as_str().unwrap_or_default();
        g.subscription_index = s;
        g.subscription(sid, share)?;
    }
    Ok(g.guest)
}

/// The generator: one seeded random stream, drawn in a fixed order (the order of every draw is
/// part of the output), and the sink resources go to.
pub(super) struct Gen<'a> {
    pub rng: Rng,
    sink: Sink<'a>,
    /// VNets so far over all subscriptions (their address spaces do not overlap).
    pub vnet_counter: usize,
    /// Public addresses handed out so far.
    pub pip_counter: usize,
    pub guest: Guest,
    /// `--hub-spoke`: add a hub to every subscription.
    pub hub_spoke: bool,
    /// The subscription being generated (numbers its hub's address space).
    pub subscription_index: usize,
}

/// A weak ETag, as ARM's network resources carry.
pub(super) fn etag(rng: &mut Rng) -> String {
    format!("W/\"{}\"", uuid_like(rng))
}

impl Gen<'_> {
    pub(super) fn emit(&mut self, v: Value) -> std::io::Result<()> {
        (self.sink)(v)
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        rand::RngExt::random_bool(&mut self.rng, p)
    }

    pub(super) fn etag(&mut self) -> String {
        etag(&mut self.rng)
    }

    pub(super) fn uuid(&mut self) -> String {
        uuid_like(&mut self.rng)
    }

    /// A reference id as a live ARM body may spell it: mostly verbatim, sometimes with the
    /// resource group upper-cased (clients must compare ids case-insensitively).
    pub(super) fn reference(&mut self, id: &str) -> String {
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
