//! The bodies of the fuzz targets, one function each, so that `cargo fuzz` (the binaries in
//! `fuzz_targets/`) and the short mutation run of `cargo xtask verify` (`tests/smoke.rs`)
//! check the same properties.
#![forbid(unsafe_code)]

use codex_agent_protocol::Unknowns as _;
use codex_agent_protocol::app_server::{ServerMessage, parse_client_message, parse_server_message};
use codex_agent_protocol::exec::{parse_event_bytes, parse_event_strict};
use codex_agent_protocol::projection::TurnProjection;
use codex_agent_protocol::rollout::parse_rollout;

/// `codex exec --json` lines: [`parse_event_bytes`] and the strict parser never panic, and what
/// they report about a line (unknowns, the error's text) can be computed for any input. Under
/// `cargo fuzz`, the protocol crate's fast JSON path must also agree with `serde_json` on it
/// (`codex_agent_protocol::fuzzing::fast_json`).
pub fn exec_line(data: &[u8]) {
    #[cfg(fuzzing)]
    codex_agent_protocol::fuzzing::fast_json(data);
    match parse_event_bytes(data) {
        Ok(event) => drop(event.unknowns()),
        Err(error) => drop(error.with_line(7).to_string()),
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(error) = parse_event_strict(text)
    {
        drop(error.to_string());
    }
}

/// `codex app-server` JSON-RPC lines, one per input line: both directions' parsers never
/// panic, and the server's notifications drive a turn projection (the exec event model) that
/// never panics either, whatever order and shape they come in.
pub fn app_server_message(data: &[u8]) {
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
}

/// Rollout files (`~/.codex/sessions/**.jsonl`): [`parse_rollout`] never fails or panics, and
/// the thread record, metadata and unknowns it derives can be computed for any file.
pub fn rollout(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let rollout = parse_rollout(&text);
    drop(rollout.record());
    drop(rollout.unknowns());
    std::hint::black_box(rollout.newer_codex());
    std::hint::black_box(rollout.meta());
}

/// The newline framing of codex's stdout: however reads cut the bytes, whatever the maximum
/// line length, the line reader yields what splitting the whole input yields (see
/// `codex_agent_exec::fuzzing::framing`; only under `cargo fuzz`, which sets `--cfg fuzzing`;
/// codex-agent-exec's own tests mutate its seeds otherwise).
#[cfg(fuzzing)]
pub fn framing(data: &[u8]) {
    codex_agent_exec::fuzzing::framing(data);
}
