//! rdpaudit: thin binary; everything else is the library.

fn main() -> std::process::ExitCode {
    rdpaudit::cli::main().into()
}
