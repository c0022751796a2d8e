//! A synthetic `codex exec --json` stream of any length, with realistic payloads, for
//! benchmarks.
//!
//! [`exec_stream`] repeats one made-up turn until it has the requested number of lines: a
//! `thread.started`, a `turn.started`, a reasoning item, three commands (`item.started` and
//! `item.completed`, with a few KiB of output full of quotes, backslashes, tabs and non-ASCII
//! text), a to-do list, an MCP call, a file change, an agent message and a `turn.completed`
//! with usage. Every line parses with `codex_agent_protocol::exec::parse_event`, strict mode
//! included. 200,000 lines are about 57 MB.
//!
//! SYNTHETIC — shaped after the live captures in `fixtures/codex-0.169.0/`, but bigger: a
//! benchmark needs volume, and no real turn prints this much.
//!
//! ```
//! let lines = codex_agent_testkit::synthetic::exec_stream(30);
//! assert_eq!(lines.len(), 30);
//! assert!(lines[0].starts_with(r#"{"type":"thread.started""#));
//! ```

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::Path;

/// The output of a made-up command: a few lines with escapes and non-ASCII text.
fn command_output(seed: usize) -> String {
    let mut out = String::new();
    for i in 0..(2 + seed % 9) {
        // `writeln!` to a `String` cannot fail.
        let _ = writeln!(
            out,
            "line {i}: \"quoted\" path C:\\\\tmp\\\\x tab\there é✓ {}",
            "result=ok; ".repeat(1 + (seed + i) % 5)
        );
    }
    out
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Appends one turn's lines (14 of them) to `lines`.
fn push_turn(lines: &mut Vec<String>, turn: usize) {
    lines.push(format!(
        r#"{{"type":"thread.started","thread_id":"01a1fd14-d7a7-70d3-a8a3-{turn:012x}"}}"#
    ));
    lines.push(r#"{"type":"turn.started"}"#.to_owned());
    lines.push(format!(
        r#"{{"type":"item.completed","item":{{"id":"item_0","type":"reasoning","text":{}}}}}"#,
        json_string("**Planning** the change\n\nLook at `src/lib.rs` first, then run the tests.")
    ));
    for c in 0..3 {
        let id = format!("item_{}", c + 1);
        let cmd = json_string(&format!(
            "/bin/bash -lc 'cargo test -p crate{c} -- --nocapture'"
        ));
        lines.push(format!(
            r#"{{"type":"item.started","item":{{"id":"{id}","type":"command_execution","command":{cmd},"aggregated_output":"","exit_code":null,"status":"in_progress"}}}}"#
        ));
        lines.push(format!(
            r#"{{"type":"item.completed","item":{{"id":"{id}","type":"command_execution","command":{cmd},"aggregated_output":{},"exit_code":{},"status":"{}"}}}}"#,
            json_string(&command_output(turn + c)),
            c % 2,
            if c % 2 == 0 { "completed" } else { "failed" }
        ));
    }
    lines.push(r#"{"type":"item.started","item":{"id":"item_4","type":"todo_list","items":[{"text":"Inspect the repo","completed":true},{"text":"Write the code","completed":false},{"text":"Run the tests","completed":false}]}}"#.to_owned());
    lines.push(r#"{"type":"item.completed","item":{"id":"item_5","type":"mcp_tool_call","server":"demo","tool":"echo","arguments":{"text":"ping"},"result":{"content":[{"type":"text","text":"echo: ping"}],"structured_content":{"echoed":"ping"}},"error":null,"status":"completed"}}"#.to_owned());
    lines.push(r#"{"type":"item.completed","item":{"id":"item_6","type":"file_change","changes":[{"path":"/work/repo/src/lib.rs","kind":"update"},{"path":"/work/repo/src/new.rs","kind":"add"}],"status":"completed"}}"#.to_owned());
    lines.push(format!(
        r#"{{"type":"item.completed","item":{{"id":"item_7","type":"agent_message","text":{}}}}}"#,
        json_string(
            "Done. I ran the tests:\n- `crate0` passes\n- `crate1` fails with \"assertion failed\"\nSee the diff above."
        )
    ));
    lines.push(r#"{"type":"turn.completed","usage":{"input_tokens":24000,"cached_input_tokens":20000,"cache_write_input_tokens":0,"output_tokens":850,"reasoning_output_tokens":300}}"#.to_owned());
}

/// The first `events` lines of the synthetic stream (see the [module docs](self)), without
/// newlines.
///
/// The stream is a sequence of whole turns cut at `events` lines, so unless `events` is a
/// multiple of 14 the last turn is incomplete: benchmarks that need a clean end pick a
/// multiple, or append their own `turn.completed`.
#[must_use]
pub fn exec_stream(events: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(events + 16);
    let mut turn = 0;
    while lines.len() < events {
        push_turn(&mut lines, turn);
        turn += 1;
    }
    lines.truncate(events);
    lines
}

/// Writes [`exec_stream`]`(events)` to `path`, one line each, and returns the number of bytes
/// written.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_exec_stream(path: &Path, events: usize) -> io::Result<u64> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    let mut bytes = 0u64;
    for line in exec_stream(events) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        bytes += line.len() as u64 + 1;
    }
    out.flush()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_parses_strictly() {
        let lines = exec_stream(14 * 3 + 5);
        assert_eq!(lines.len(), 47);
        for line in &lines {
            codex_agent_protocol::exec::parse_event_strict(line)
                .unwrap_or_else(|e| panic!("{e}: {line}"));
        }
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("turn.completed"))
                .count(),
            3
        );
    }

    #[test]
    fn writes_what_it_generates() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("stream.jsonl");
        let bytes = write_exec_stream(&path, 20).expect("written");
        let text = std::fs::read_to_string(&path).expect("read back");
        assert_eq!(bytes, text.len() as u64);
        assert_eq!(text.lines().collect::<Vec<_>>(), exec_stream(20));
    }
}
