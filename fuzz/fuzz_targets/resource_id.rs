//! cargo fuzz run resource_id — drives `rdpaudit::fuzzing::resource_id` (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::resource_id(data));
