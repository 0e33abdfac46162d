//! cargo fuzz run nsg — drives `rdpaudit::fuzzing::nsg`, the NSG evaluator against the
//! brute-force oracle (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::nsg(data));
