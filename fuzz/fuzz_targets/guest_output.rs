//! cargo fuzz run guest_output — drives `rdpaudit::fuzzing::guest_output` (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::guest_output(data));
