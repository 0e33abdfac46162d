//! The speed floor of the offline benchmark (`scripts/bench`): read a JSON file and check that it
//! is JSON with `serde_json`, keeping nothing (`serde::de::IgnoredAny`). An audit has to do at
//! least this much, so the performance targets are ratios to it (docs/performance.md).
//!
//! `cargo run --release --example serde_floor -- FILE` exits 0 when the file is JSON, 1 if not.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: serde_floor FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("serde_floor: {}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serde_floor: {}: {e}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
