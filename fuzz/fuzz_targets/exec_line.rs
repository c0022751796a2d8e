//! `codex exec --json` lines: [`parse_event_bytes`] and the strict parser never panic, and what
//! they report about a line (unknowns, the error's text) can be computed for any input.
#![no_main]

use codex_agent_protocol::Unknowns as _;
use codex_agent_protocol::exec::{parse_event_bytes, parse_event_strict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_event_bytes(data) {
        Ok(event) => drop(event.unknowns()),
        Err(error) => drop(error.with_line(7).to_string()),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(error) = parse_event_strict(text) {
            drop(error.to_string());
        }
    }
});
