//! rdpaudit: thin binary; everything else is the library.

/// Allocation was the largest cost in the profile (malloc/free ≈ 35 % of cycles on a 10,000-VM
/// audit, docs/performance.md): mimalloc's thread-local free lists cut it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rdpaudit::cli::main().into()
}
