//! `bench-child <role> <script>`: the measured side of `cargo xtask bench`'s stream
//! benchmarks, one process per run, so that its peak RSS is its own. An executable of its
//! own, linking codex-agent-sdk, the testkit's fake codex and nothing else of xtask: its RSS is
//! what a program using the SDK holds, not xtask's other tools (about 2 MiB more, measured).
//!
//! Roles:
//!
//! - `stream`: codex-agent-sdk's `run_streamed` over the fake codex, counting events;
//! - `collect`: codex-agent-sdk's `run`, collecting the turn;
//! - `floor`: no SDK: spawns the fake the same way, reads its stdout line by line and parses
//!   each line with `serde_json::from_str::<IgnoredAny>`, the least any JSON reader pays;
//! - `parse`: no process at all: the same reading and parsing, straight from the stream file
//!   (its argument is the file, not the script), to show what the fake and the pipe cost;
//! - `parse-typed`: the same reading straight from the file, each line parsed into a typed
//!   event with `codex_agent_protocol::exec::parse_event`: what the typed parse costs over
//!   the `parse` floor.
//!
//! The fake codex of every side (this one, the floor and the node driver) is this executable
//! with `FAKE_CODEX_SCRIPT=<script>` in its environment (see `main`), passed through the SDK's
//! `env` option exactly as the node driver passes it.
//!
//! It prints `{"events", "items", "stream_ms", "peak_rss_kib"}`: `stream_ms` from just before
//! the turn starts to the moment its result is in hand (the end of the stream, or `run()`
//! returning), with the turn, the thread and the client still alive, as the node driver
//! measures (process start-up excluded, and teardown too: freeing a collected turn and
//! stopping the client come after the clock, on both sides alike), and the peak resident set
//! size of this process (`VmHWM` in `/proc/self/status`, which is what the node driver reads
//! too; the fake codex, a child, is not counted).

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: its result on stdout, its failure on stderr"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "the floor spawns the fake codex without the SDK, as a shell script would"
)]

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_agent_testkit::fake_codex::SCRIPT_ENV;
use futures::StreamExt as _;
use serde_json::json;

fn main() -> ExitCode {
    // The bench's fake codex, replaying its stream.
    if std::env::var_os(SCRIPT_ENV).is_some() {
        return codex_agent_testkit::fake_codex::main();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-child: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `bench-child <stream|collect|floor|parse|parse-typed> <script or stream file>`.
fn run(args: &[String]) -> Result<(), String> {
    let [role, script] = args else {
        return Err(
            "usage: bench-child <stream|collect|floor|parse|parse-typed> <script>".to_owned(),
        );
    };
    let fake = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let script = Path::new(script);
    let started = Instant::now();
    let (events, items, stream_ms) = match role.as_str() {
        "floor" => (floor(&fake, script)?, 0, elapsed_ms(started)),
        "parse" | "parse-typed" => {
            let file = std::fs::File::open(script)
                .map_err(|e| format!("cannot open {}: {e}", script.display()))?;
            (
                parse_lines(file, role == "parse-typed")?,
                0,
                elapsed_ms(started),
            )
        }
        "stream" | "collect" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            runtime.block_on(sdk(&fake, script, role == "collect", started))?
        }
        other => return Err(format!("unknown bench role `{other}`")),
    };
    println!(
        "{}",
        json!({
            "events": events,
            "items": items,
            "stream_ms": stream_ms,
            "peak_rss_kib": peak_rss_kib(),
        })
    );
    Ok(())
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// One turn through codex-agent-sdk: the number of events (`run_streamed`) or items (`run`),
/// and the milliseconds from `started` to the end of the stream or the return of `run()`
/// (what is dropped afterwards is not timed).
async fn sdk(
    fake: &Path,
    script: &Path,
    collect: bool,
    started: Instant,
) -> Result<(usize, usize, f64), String> {
    let codex = Codex::new(
        CodexOptions::new()
            .codex_path(fake)
            .env([(SCRIPT_ENV, script.as_os_str())]),
    )
    .map_err(|e| e.to_string())?;
    let thread = codex.start_thread(ThreadOptions::new());
    if collect {
        let turn = thread
            .run("bench", TurnOptions::new())
            .await
            .map_err(|e| format!("run() failed: {e}"))?;
        let stream_ms = elapsed_ms(started);
        return Ok((0, turn.items.len(), stream_ms));
    }
    let mut stream = thread
        .run_streamed("bench", TurnOptions::new())
        .await
        .map_err(|e| format!("run_streamed() failed: {e}"))?;
    let mut events = 0;
    while let Some(event) = stream.next().await {
        event.map_err(|e| format!("the stream failed after {events} events: {e}"))?;
        events += 1;
    }
    Ok((events, 0, elapsed_ms(started)))
}

/// The floor: the fake's stdout, line by line, each line parsed and ignored.
fn floor(fake: &Path, script: &Path) -> Result<usize, String> {
    let mut child = Command::new(fake)
        .args(["exec", "--experimental-json"])
        .env_clear()
        .env(SCRIPT_ENV, script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the fake codex: {e}"))?;
    let stdout = child.stdout.take().ok_or("the fake has no stdout")?;
    let events = parse_lines(stdout, false)?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the fake codex failed ({status})"));
    }
    Ok(events)
}

/// Reads `input` line by line, parsing each line into `IgnoredAny` (or, when `typed`, into a
/// typed event, dropped at once as a streaming consumer would); returns the line count.
fn parse_lines(input: impl std::io::Read, typed: bool) -> Result<usize, String> {
    let mut reader = std::io::BufReader::new(input);
    let mut line = String::new();
    let mut events = 0;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(events);
        }
        let text = line.trim_end();
        if typed {
            codex_agent_protocol::exec::parse_event(text)
                .map_err(|e| format!("line {} is not an event: {e}", events + 1))?;
        } else {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| format!("line {} is not JSON: {e}", events + 1))?;
        }
        events += 1;
    }
}

/// `VmHWM` of this process in KiB, when `/proc` has it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
