//! cargo fuzz run snapshot — drives `rdpaudit::fuzzing::snapshot` (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::snapshot(data));
