//! cargo fuzz run arm_page — drives `rdpaudit::fuzzing::arm_page` (see docs/reliability.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rdpaudit::fuzzing::arm_page(data));
