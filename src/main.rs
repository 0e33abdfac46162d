//! rdpaudit: thin binary; everything else is the library.

fn main() {
    std::process::exit(rdpaudit::cli::main());
}
