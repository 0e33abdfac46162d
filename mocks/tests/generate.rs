//! Pins the output of `mock-arm generate`: byte for byte, for a few option sets, through the
//! library and through the binary. The pinned digests were taken from the generator before it
//! was split into modules and made to stream; any change to the vocabulary tables, the order of
//! random draws or the JSON layout changes them. If a change is intended, update the digests
//! (and say so in the commit message: every benchmark estate changes with them).

mod common;

use common::BIN;
use mock_arm::generate::{write_snapshot, GenerateOptions};
use std::process::Command;

/// FNV-1a, 64 bits: small, stable across Rust versions and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn generated(vms: usize, seed: u64, subscriptions: usize, pretty: bool) -> Vec<u8> {
    let opts = GenerateOptions {
        vms,
        seed,
        subscriptions,
        hub_spoke: false,
    };
    let mut out = Vec::new();
    write_snapshot(&opts, pretty, &mut out).expect("writes to memory");
    out
}

#[test]
fn output_is_pinned() {
    let cases = [
        ((30, 7, 1, false), 293_734, 0xeb7e_b446_d6d1_db14_u64),
        ((30, 7, 1, true), 380_639, 0x01f4_8d8b_a7fa_61e2),
        ((30, 7, 3, false), 334_638, 0xf633_aa71_4f10_dab2),
        ((200, 1, 1, false), 1_900_081, 0x50b0_7a15_8b45_5d92),
    ];
    for ((vms, seed, subs, pretty), len, digest) in cases {
        let out = generated(vms, seed, subs, pretty);
        let what = format!("--vms {vms} --seed {seed} --subscriptions {subs} pretty={pretty}");
        assert_eq!(out.len(), len, "{what}: length changed");
        assert_eq!(fnv1a(&out), digest, "{what}: content changed");
    }
}

#[test]
fn binary_writes_the_pinned_output() {
    let out = std::env::temp_dir().join(format!("mock-arm-golden-{}.json", std::process::id()));
    let status = Command::new(BIN)
        .args(["generate", "--vms", "30", "--seed", "7", "--out"])
        .arg(&out)
        .status()
        .expect("runs");
    assert!(status.success());
    let bytes = std::fs::read(&out).expect("written");
    let _ = std::fs::remove_file(&out);
    assert_eq!(bytes.len(), 293_734);
    assert_eq!(fnv1a(&bytes), 0xeb7e_b446_d6d1_db14);
}

/// The digest is not blind: one seed apart gives another estate.
#[test]
fn digest_tells_estates_apart() {
    assert_ne!(
        fnv1a(&generated(30, 7, 1, false)),
        fnv1a(&generated(30, 8, 1, false))
    );
}
