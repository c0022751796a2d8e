//! `stream` and `collect`: a long synthetic turn through each SDK, one process per run.
//!
//! The stream is `codex_agent_testkit::synthetic::exec_stream(events)` written to
//! `target/bench/stream-<events>.jsonl` (200,000 events are about 58 MB), replayed by the fake
//! codex (`codex_agent_testkit::fake_codex`, run by `bench-child` with a script; it writes and
//! flushes one line at a time, as codex does). Every run is a fresh process so that its peak RSS is its
//! own: the `bench-child` executable of this package (`src/bench/child.rs`, which links
//! codex-agent-sdk and the testkit's fake and nothing else of xtask) for codex-agent-sdk and
//! the floor,
//! `node xtask/bench/driver.mjs` for the TypeScript SDK. Runs alternate between the sides, in
//! a rotating order, after one warm-up round.
//!
//! - `stream`: codex-agent-sdk's `run_streamed` vs the TypeScript SDK's `runStreamed` vs the floor
//!   (the same bytes from the same fake, parsed with `serde_json::from_str::<IgnoredAny>` per
//!   line): wall time and peak RSS. For information, the same parsing straight from the file
//!   (no fake, no pipe) shows how much of the floor the fake and the pipe are, and the typed
//!   parse from the file (`parse_event` per line) is compared with that `IgnoredAny` parse.
//! - `collect`: `run()` collecting the same stream: peak RSS (and wall time) of both SDKs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use codex_agent_testkit::fake_codex::Script;
use serde_json::Value;

/// One run of one side.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    /// Events (stream) or items (collect) the side saw.
    pub(super) count: u64,
    /// From just before the turn starts to its end, measured inside the process.
    pub(super) stream_ms: f64,
    /// The process's peak RSS.
    pub(super) peak_rss_kib: f64,
    /// From spawn to exit, measured by this process.
    pub(super) process_ms: f64,
}

/// A side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// codex-agent-sdk.
    Ours,
    /// `@openai/codex-sdk`.
    Ts,
    /// No SDK: read and parse each line.
    Floor,
    /// No process: read and parse each line of the stream file.
    Parse,
    /// No process: read each line of the stream file and parse it into a typed event.
    ParseTyped,
}

/// What the stream benchmarks run on.
#[derive(Debug)]
pub(super) struct Setup {
    /// `bench-child`: the fake codex of every side, and the Rust side.
    pub(super) child: PathBuf,
    /// The TypeScript SDK's `dist/index.js`.
    pub(super) sdk_js: PathBuf,
    /// `xtask/bench/driver.mjs`.
    pub(super) driver_mjs: PathBuf,
    /// The fake codex's script.
    pub(super) script: PathBuf,
    /// The stream the fake replays.
    pub(super) stream: PathBuf,
}

/// Writes the stream and the fake's script under `dir`; returns the script, the stream and
/// its size in bytes.
pub(super) fn prepare(dir: &Path, events: usize) -> Result<(PathBuf, PathBuf, u64), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stream = dir.join(format!("stream-{events}.jsonl"));
    let bytes = codex_agent_testkit::synthetic::write_exec_stream(&stream, events)
        .map_err(|e| format!("cannot write {}: {e}", stream.display()))?;
    let script = Script::new()
        .fixture(&stream)
        .write_to(dir)
        .map_err(|e| format!("cannot write the fake's script: {e}"))?;
    Ok((script, stream, bytes))
}

/// `runs` measured rounds (after one warm-up round) of `sides`, each round in a rotated order;
/// `collect` selects `run()` instead of streaming. Returns the samples per side, in `sides`
/// order.
pub(super) fn measure(
    setup: &Setup,
    sides: &[Side],
    collect: bool,
    runs: usize,
) -> Result<Vec<Vec<Sample>>, String> {
    let mut samples = vec![Vec::new(); sides.len()];
    for round in 0..=runs {
        for offset in 0..sides.len() {
            let index = (round + offset) % sides.len();
            let sample = run_once(setup, sides[index], collect)?;
            if round > 0 {
                samples[index].push(sample);
            }
        }
        if round > 0 {
            eprint!(".");
        }
    }
    eprintln!();
    Ok(samples)
}

fn run_once(setup: &Setup, side: Side, collect: bool) -> Result<Sample, String> {
    let role = if collect { "collect" } else { "stream" };
    let mut command = match side {
        Side::Ours | Side::Floor | Side::Parse | Side::ParseTyped => {
            let mut command = Command::new(&setup.child);
            command.arg(match side {
                Side::Floor => "floor",
                Side::Parse => "parse",
                Side::ParseTyped => "parse-typed",
                _ => role,
            });
            command
        }
        Side::Ts => {
            let mut command = Command::new("node");
            command
                .arg(&setup.driver_mjs)
                .arg(&setup.sdk_js)
                .arg(role)
                .arg(&setup.child);
            command
        }
    };
    command
        .arg(if matches!(side, Side::Parse | Side::ParseTyped) {
            &setup.stream
        } else {
            &setup.script
        })
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("cannot start the {side:?} bench child: {e}"))?;
    let process_ms = started.elapsed().as_secs_f64() * 1e3;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the {side:?} bench child failed ({}): {stdout}",
            output.status
        ));
    }
    let json: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("the {side:?} bench child printed {stdout:?}: {e}"))?;
    let field = |name: &str| json[name].as_f64();
    let count = if collect {
        &json["items"]
    } else {
        &json["events"]
    };
    Ok(Sample {
        count: count.as_u64().unwrap_or_default(),
        stream_ms: field("stream_ms").ok_or("no stream_ms")?,
        peak_rss_kib: field("peak_rss_kib").ok_or("no peak_rss_kib (is /proc mounted?)")?,
        process_ms,
    })
}
