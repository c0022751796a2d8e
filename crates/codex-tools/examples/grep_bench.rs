//! Measures the built-in `grep` tool against the `rg` binary (ripgrep) on the same query over
//! a generated tree of 50,000 files, both warm, and prints the medians and their ratio (goal:
//! `grep` within 1.5× of `rg`).
//!
//! ```sh
//! cargo run --release -p codex-agent-tools --features builtin --example grep_bench -- [--files N] [--runs N]
//! ```
//!
//! The tree (about 60 files per directory, 24 lines each, one file in 100 holding the needle)
//! is written to a temporary directory and removed at the end. `rg` reads the same tree with
//! `--no-config -n`, its output read through a pipe (ripgrep stops at the first match when
//! its output is `/dev/null`); `grep` runs with caps high enough to report every match.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use codex_agent_tools::builtin::{Grep, GrepOptions, GrepRequest};

const NEEDLE: &str = "needle_0xC0DE";

fn main() -> ExitCode {
    let mut files = 50_000_usize;
    let mut runs = 10_usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|value| value.parse().ok());
        match (arg.as_str(), value) {
            ("--files", Some(value)) => files = value,
            ("--runs", Some(value)) => runs = value,
            _ => {
                eprintln!("usage: grep_bench [--files N] [--runs N]");
                return ExitCode::from(2);
            }
        }
    }
    match run(files, runs.max(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(files: usize, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let expected = generate(dir.path(), files)?;
    let grep = Grep::new(
        dir.path(),
        GrepOptions::new()
            .max_matches(usize::MAX)
            .max_bytes(usize::MAX),
    );
    let request = GrepRequest::new(NEEDLE);
    let ours = || -> Result<usize, Box<dyn std::error::Error>> {
        Ok(grep.search(&request)?.matches.len())
    };
    let theirs = || rg(dir.path());
    // Warm both (page cache, code), and check they agree.
    let (a, b) = (ours()?, theirs()?);
    if a != expected || b != expected {
        return Err(format!("match counts differ: expected {expected}, grep {a}, rg {b}").into());
    }
    let mut grep_times = Vec::new();
    let mut rg_times = Vec::new();
    for _ in 0..runs {
        grep_times.push(time(&ours)?);
        rg_times.push(time(&theirs)?);
    }
    let (grep_median, rg_median) = (median(&mut grep_times), median(&mut rg_times));
    println!(
        "| files | matches | grep (median of {runs}) | rg (median of {runs}) | ratio | goal |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {files} | {expected} | {grep_median:.1?} | {rg_median:.1?} | {:.2}× | ≤ 1.5× |",
        grep_median.as_secs_f64() / rg_median.as_secs_f64()
    );
    Ok(())
}

/// Writes `files` files under `root` (about 60 per directory); returns how many lines hold
/// the needle.
fn generate(root: &Path, files: usize) -> std::io::Result<usize> {
    let mut needles = 0;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..files {
        let dir = root.join(format!("d{:03}/e{:02}", i / 3000, (i / 60) % 50));
        if i % 60 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        let mut text = String::new();
        for line in 0..24 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let _ = writeln!(
                text,
                "let value_{line} = compute({seed:x}, \"some text here\");"
            );
        }
        if i % 100 == 7 {
            let _ = writeln!(text, "// {NEEDLE} found here");
            needles += 1;
        }
        std::fs::write(dir.join(format!("f{i}.rs")), text)?;
    }
    Ok(needles)
}

#[expect(
    clippy::disallowed_methods,
    reason = "the benchmark runs the rg binary it compares against"
)]
fn rg(root: &Path) -> Result<usize, Box<dyn std::error::Error>> {
    let output = std::process::Command::new("rg")
        .args(["--no-config", "-n", NEEDLE])
        .arg(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("could not run rg ({error}); install ripgrep"))?;
    Ok(output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .count())
}

fn time(
    f: &impl Fn() -> Result<usize, Box<dyn std::error::Error>>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
