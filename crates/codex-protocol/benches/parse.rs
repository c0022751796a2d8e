//! Parse throughput: typed exec parsing vs the `serde_json` floor, over a synthetic stream.
//!
//! ```text
//! cargo bench -p codex-agent-protocol --bench parse [-- EVENTS [RUNS]]
//! ```
//!
//! Builds a 200,000-event exec JSONL stream in memory with `codex_agent_testkit::synthetic`
//! (realistic payloads: command output of a few KiB with many escapes, agent messages,
//! reasoning, to-do lists, MCP calls, file changes, usage), then times, per run and
//! alternating, (a) `parse_event` on every line and (b)
//! `serde_json::from_str::<serde::de::IgnoredAny>` on every line, the floor any JSON reader
//! pays. Prints the medians and the ratio. Numbers are reported, never asserted.
#![expect(clippy::print_stdout, reason = "a benchmark report")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use codex_agent_protocol::exec::parse_event;

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

    let lines = codex_agent_testkit::synthetic::exec_stream(events);
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
