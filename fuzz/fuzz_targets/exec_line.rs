//! `codex exec --json` lines: [`parse_event_bytes`] and the strict parser never panic, and what
//! they report about a line (unknowns, the error's text) can be computed for any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codex_sdk_fuzz::exec_line(data));
