//! Parse throughput: typed exec parsing vs the `serde_json` floor, over a synthetic stream.
//!
//! ```text
//! cargo bench -p codex-protocol --bench parse [-- EVENTS [RUNS]]
//! ```
//!
//! Builds a 200,000-event exec JSONL stream in memory (realistic payloads: command output of
//! a few KiB with many escapes, agent messages, reasoning, to-do lists, MCP calls, file
//! changes, usage), then times, per run and alternating, (a) `parse_event` on every line and
//! (b) `serde_json::from_str::<serde::de::IgnoredAny>` on every line, the floor any JSON reader
//! pays. Prints the medians and the ratio. Numbers are reported, never asserted.
#![expect(clippy::print_stdout, reason = "a benchmark report")]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use codex_protocol::exec::parse_event;

fn command_output(seed: usize) -> String {
    let mut out = String::new();
    for i in 0..(2 + seed % 9) {
        let _ = writeln!(
            out,
            "line {i}: \"quoted\" path C:\\\\tmp\\\\x tab\there é✓ {}",
            "result=ok; ".repeat(1 + (seed + i) % 5)
        );
    }
    out
}

/// One turn's worth of lines; `events` counts lines written.
fn push_turn(lines: &mut Vec<String>, turn: usize) {
    let esc = |s: &str| serde_json::to_string(s).unwrap_or_default();
    lines.push(format!(
        r#"{{"type":"thread.started","thread_id":"01a1fd14-d7a7-70d3-a8a3-{turn:012x}"}}"#
    ));
    lines.push(r#"{"type":"turn.started"}"#.to_owned());
    lines.push(format!(
        r#"{{"type":"item.completed","item":{{"id":"item_0","type":"reasoning","text":{}}}}}"#,
        esc("**Planning** the change\n\nLook at `src/lib.rs` first, then run the tests.")
    ));
    for c in 0..3 {
        let id = format!("item_{}", c + 1);
        let cmd = esc(&format!(
            "/bin/bash -lc 'cargo test -p crate{c} -- --nocapture'"
        ));
        lines.push(format!(
            r#"{{"type":"item.started","item":{{"id":"{id}","type":"command_execution","command":{cmd},"aggregated_output":"","exit_code":null,"status":"in_progress"}}}}"#
        ));
        lines.push(format!(
            r#"{{"type":"item.completed","item":{{"id":"{id}","type":"command_execution","command":{cmd},"aggregated_output":{},"exit_code":{},"status":"{}"}}}}"#,
            esc(&command_output(turn + c)),
            c % 2,
            if c % 2 == 0 { "completed" } else { "failed" }
        ));
    }
    lines.push(r#"{"type":"item.started","item":{"id":"item_4","type":"todo_list","items":[{"text":"Inspect the repo","completed":true},{"text":"Write the code","completed":false},{"text":"Run the tests","completed":false}]}}"#.to_owned());
    lines.push(r#"{"type":"item.completed","item":{"id":"item_5","type":"mcp_tool_call","server":"demo","tool":"echo","arguments":{"text":"ping"},"result":{"content":[{"type":"text","text":"echo: ping"}],"structured_content":{"echoed":"ping"}},"error":null,"status":"completed"}}"#.to_owned());
    lines.push(r#"{"type":"item.completed","item":{"id":"item_6","type":"file_change","changes":[{"path":"/work/repo/src/lib.rs","kind":"update"},{"path":"/work/repo/src/new.rs","kind":"add"}],"status":"completed"}}"#.to_owned());
    lines.push(format!(
        r#"{{"type":"item.completed","item":{{"id":"item_7","type":"agent_message","text":{}}}}}"#,
        esc("Done. I ran the tests:\n- `crate0` passes\n- `crate1` fails with \"assertion failed\"\nSee the diff above.")
    ));
    lines.push(r#"{"type":"turn.completed","usage":{"input_tokens":24000,"cached_input_tokens":20000,"cache_write_input_tokens":0,"output_tokens":850,"reasoning_output_tokens":300}}"#.to_owned());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let events = args.first().copied().unwrap_or(200_000);
    let runs = args.get(1).copied().unwrap_or(7);

    let mut lines = Vec::with_capacity(events + 16);
    let mut turn = 0;
    while lines.len() < events {
        push_turn(&mut lines, turn);
        turn += 1;
    }
    lines.truncate(events);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();

    // Everything must parse, or the comparison is meaningless.
    for line in &lines {
        if let Err(e) = parse_event(line) {
            println!("synthetic line does not parse: {e}");
            std::process::exit(1);
        }
    }

    let mut typed = Vec::new();
    let mut floor = Vec::new();
    let mut value = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        for line in &lines {
            black_box(parse_event(black_box(line)).ok());
        }
        typed.push(start.elapsed());
        let start = Instant::now();
        for line in &lines {
            black_box(serde_json::from_str::<serde::de::IgnoredAny>(black_box(line)).ok());
        }
        floor.push(start.elapsed());
        let start = Instant::now();
        for line in &lines {
            black_box(serde_json::from_str::<serde_json::Value>(black_box(line)).ok());
        }
        value.push(start.elapsed());
    }
    let (t, f, v) = (median(typed), median(floor), median(value));
    #[expect(clippy::cast_precision_loss, reason = "a human-readable report")]
    let mb = bytes as f64 / 1e6;
    let cell = |d: Duration| {
        format!(
            "{:.1} ms ({:.0} MB/s)",
            d.as_secs_f64() * 1e3,
            mb / d.as_secs_f64()
        )
    };
    println!(
        "| stream | events | MB | typed `parse_event` | `IgnoredAny` floor | typed / floor | `serde_json::Value` (untyped) |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| synthetic exec JSONL, median of {runs} | {events} | {mb:.1} | {} | {} | {:.2}x | {} |",
        cell(t),
        cell(f),
        t.as_secs_f64() / f.as_secs_f64(),
        cell(v)
    );
}
