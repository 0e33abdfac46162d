//! Deterministic randomness shared by the fault injector, Run Command and the generator: a
//! generator per request number, and uuid-shaped ids drawn from it.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// A generator for request `n`: independent of the order requests arrive in.
pub fn rng_for(seed: u64, n: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A uuid-shaped (version 4 layout) identifier, for `x-ms-request-id` and friends.
pub fn uuid_like(rng: &mut Xoshiro256PlusPlus) -> String {
    let a: u64 = rng.random();
    let b: u64 = rng.random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        8 + ((b >> 60) & 0x3),
        (b >> 48) & 0x0fff,
        b & 0xffff_ffff_ffff
    )
}
