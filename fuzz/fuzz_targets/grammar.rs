//! cargo fuzz run grammar — drives `rdpaudit::fuzzing::grammar` (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::grammar(data));
