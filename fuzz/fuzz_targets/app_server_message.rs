//! `codex app-server` JSON-RPC lines, one per input line: both directions' parsers never
//! panic, and the server's notifications drive a turn projection (the exec event model) that
//! never panics either, whatever order and shape they come in.
#![no_main]

use codex_agent_protocol::app_server::{ServerMessage, parse_client_message, parse_server_message};
use codex_agent_protocol::projection::TurnProjection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut turn = TurnProjection::new("turn");
    for line in text.lines() {
        match parse_server_message(line) {
            Ok(ServerMessage::Notification(note)) => {
                drop(turn.on_notification(&note.body));
                drop(turn.running_processes());
            }
            Ok(other) => drop(format!("{other:?}")),
            Err(error) => drop(error.to_string()),
        }
        if let Err(error) = parse_client_message(line) {
            drop(error.to_string());
        }
    }
    std::hint::black_box(turn.usage());
});
