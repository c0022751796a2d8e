//! `codex app-server` JSON-RPC lines, one per input line: both directions' parsers never
//! panic, and the server's notifications drive a turn projection (the exec event model) that
//! never panics either, whatever order and shape they come in.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| codex_sdk_fuzz::app_server_message(data));
