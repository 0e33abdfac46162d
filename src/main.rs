//! rdpaudit: thin binary; everything else is the library.

/// Allocation was the largest cost in the profile (malloc/free ≈ 35 % of cycles on a 10,000-VM
/// audit, docs/performance.md): mimalloc's thread-local free lists cut it. Its v2 (Cargo.toml)
/// gives freed pages back sooner than v3, for the same time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rdpaudit::cli::main().into()
}
