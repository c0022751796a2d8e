//! The newline framing of codex's stdout: however reads cut the bytes, whatever the maximum
//! line length, the line reader yields what splitting the whole input yields (see
//! `codex_agent_exec::fuzzing::framing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codex_sdk_fuzz::framing(data));
