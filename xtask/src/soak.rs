//! `cargo xtask soak`: many turns through one `Codex`, watching this process for leaks.
//!
//! Three phases, each on its own `Codex`:
//!
//! - `fake-exec`: `--fake-turns` turns (default 1,000) over the exec transport against the
//!   testkit's fake codex (this executable, replaying a four-line turn);
//! - `real-exec` and `real-app-server`: `--real-turns` turns (default 200) each against the
//!   real pinned codex and the scripted mock model, a new thread every ten turns. The model
//!   runs in a process of its own (`xtask __soak-model`): it keeps every request it receives,
//!   which would otherwise count as this process's growth.
//!
//! Every `--every` turns (default 50) this process's resident set, open file descriptors,
//! threads and live descendant processes are sampled. The report gives each phase's samples,
//! the RSS slope in MiB per 1,000 turns (least squares over the samples after the first,
//! which is the warm-up), and the leaks: descriptors, threads or descendants whose every sample
//! in the second half is above every sample in the first, and any descendant still alive once the phase's `Codex` is
//! dropped. Goal: flat, RSS growth under 1 MiB per 1,000 turns. The command fails on a leak;
//! a missed RSS goal is reported, not failed, since one run's slope is noisy.
//!
//! The report is printed and written to `target/soak/report.json`.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, Transport, TurnOptions};
use codex_agent_testkit::fake_codex::{SCRIPT_ENV, Script};
use codex_agent_testkit::process_watch;
use serde_json::{Value, json};

use crate::bench::turn_overhead::{PROMPT, REPLY};

/// Turns through the fake codex, by default.
const DEFAULT_FAKE_TURNS: usize = 1_000;
/// Turns through the real codex on each transport, by default.
const DEFAULT_REAL_TURNS: usize = 200;
/// Turns between samples, by default.
const DEFAULT_EVERY: usize = 50;
/// Turns on one thread before a new one is started (real codex phases).
const TURNS_PER_THREAD: usize = 10;
/// The RSS goal, in MiB per 1,000 turns.
const RSS_GOAL_MIB_PER_1000: f64 = 1.0;
/// How long the descendants of a dropped `Codex` may take to be gone.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// What the fake codex prints for every turn.
const FAKE_TURN: [&str; 4] = [
    r#"{"type":"thread.started","thread_id":"019a0000-0000-7000-8000-000000000001"}"#,
    r#"{"type":"turn.started"}"#,
    r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Hello from the fake codex."}}"#,
    r#"{"type":"turn.completed","usage":{"input_tokens":12,"cached_input_tokens":0,"output_tokens":6}}"#,
];

struct Args {
    fake_turns: usize,
    real_turns: usize,
    every: usize,
    phases: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        fake_turns: DEFAULT_FAKE_TURNS,
        real_turns: DEFAULT_REAL_TURNS,
        every: DEFAULT_EVERY,
        phases: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let value = it.next().ok_or_else(|| format!("{name} needs a number"))?;
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number, got {value:?}"))
        };
        match arg.as_str() {
            "--fake-turns" => parsed.fake_turns = number("--fake-turns")?,
            "--real-turns" => parsed.real_turns = number("--real-turns")?,
            "--every" => parsed.every = number("--every")?,
            "--phase" => parsed.phases.push(
                it.next()
                    .ok_or("--phase needs fake-exec, real-exec or real-app-server")?
                    .clone(),
            ),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo xtask soak [--fake-turns N] \
                     [--real-turns N] [--every N] [--phase fake-exec|real-exec|real-app-server]..."
                ));
            }
        }
    }
    for phase in &parsed.phases {
        if !matches!(
            phase.as_str(),
            "fake-exec" | "real-exec" | "real-app-server"
        ) {
            return Err(format!(
                "unknown phase {phase:?}; phases are fake-exec, real-exec, real-app-server"
            ));
        }
    }
    if parsed.phases.is_empty() {
        parsed.phases = ["fake-exec", "real-exec", "real-app-server"]
            .map(str::to_owned)
            .to_vec();
    }
    Ok(parsed)
}

/// `cargo xtask soak`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut phases = Vec::new();
    let mut leaks = Vec::new();
    for phase in &args.phases {
        let report = runtime.block_on(run_phase(phase, &args))?;
        println!("{}", report.summary());
        leaks.extend(report.leaks.iter().map(|l| format!("{phase}: {l}")));
        phases.push(report.to_json());
    }
    let report = json!({ "phases": phases, "leaks": leaks });
    let dir = crate::project_root().join("target/soak");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("report: {}", path.display());
    if leaks.is_empty() {
        println!("soak: no leak found");
        Ok(())
    } else {
        Err(format!("soak found leaks:\n  {}", leaks.join("\n  ")))
    }
}

/// The scripted model in a process of its own (`xtask __soak-model`), so that what it keeps
/// (every request it captured) is not counted in this process's RSS, with a `CODEX_HOME`
/// pointing at it and an empty working directory.
struct ModelRig {
    model: std::process::Child,
    _home: codex_agent_testkit::codex_home::CodexHome,
    workdir: tempfile::TempDir,
    env: Vec<(OsString, OsString)>,
}

impl ModelRig {
    fn start() -> Result<Self, String> {
        use std::io::BufRead as _;
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
        let mut model = std::process::Command::new(exe)
            .arg("__soak-model")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the model process: {e}"))?;
        let mut url = String::new();
        let stdout = model
            .stdout
            .take()
            .ok_or("the model process has no stdout")?;
        std::io::BufReader::new(stdout)
            .read_line(&mut url)
            .map_err(|e| format!("cannot read the model's address: {e}"))?;
        let url = url.trim().to_owned();
        if !url.starts_with("http://") {
            let _ = model.kill();
            let _ = model.wait();
            return Err(format!(
                "the model process printed {url:?}, not its address"
            ));
        }
        let home = codex_agent_testkit::codex_home::CodexHome::for_url(
            &url,
            codex_agent_testkit::codex_home::CodexHomeOptions::default(),
        )
        .map_err(|e| e.to_string())?;
        let workdir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut env = home.env();
        for key in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(key) {
                env.push((key.into(), value));
            }
        }
        Ok(Self {
            model,
            _home: home,
            workdir,
            env,
        })
    }

    fn thread_options(&self) -> ThreadOptions {
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(self.workdir.path())
    }
}

impl Drop for ModelRig {
    fn drop(&mut self) {
        // Closing its stdin ends the model process.
        drop(self.model.stdin.take());
        let _ = self.model.wait();
    }
}

/// `xtask __soak-model`: the scripted model answering every turn with [`REPLY`]; prints its
/// base URL, then serves until stdin is closed.
pub(crate) fn model(_args: &[String]) -> Result<(), String> {
    use std::io::Read as _;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mock = runtime
        .block_on(codex_agent_testkit::mock_server::MockServer::start())
        .map_err(|e| e.to_string())?;
    mock.repeat_forever(codex_agent_testkit::sse::Sse::message("resp-1", REPLY));
    println!("{}", mock.url());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    runtime.block_on(mock.shutdown());
    Ok(())
}

/// One sample of this process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    turns: usize,
    rss_kib: u64,
    fds: usize,
    threads: usize,
    descendants: usize,
    elapsed_s: f64,
}

struct PhaseReport {
    name: String,
    turns: usize,
    samples: Vec<Sample>,
    after_drop_descendants: usize,
    leaks: Vec<String>,
    slope_mib_per_1000: Option<f64>,
    wall_s: f64,
}

impl PhaseReport {
    fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut text = format!(
            "soak {}: {} turns in {:.1} s\n  turns      rss MiB   fds  threads  children\n",
            self.name, self.turns, self.wall_s
        );
        for s in &self.samples {
            let _ = writeln!(
                text,
                "  {:>5}  {:>10.1}  {:>4}  {:>7}  {:>8}",
                s.turns,
                kib_to_mib(s.rss_kib),
                s.fds,
                s.threads,
                s.descendants
            );
        }
        let slope = self.slope_mib_per_1000.map_or_else(
            || "n/a (too few samples)".to_owned(),
            |slope| {
                let verdict = if slope < RSS_GOAL_MIB_PER_1000 {
                    "goal met"
                } else {
                    "goal MISSED"
                };
                format!(
                    "{slope:+.3} MiB per 1,000 turns (goal < {RSS_GOAL_MIB_PER_1000}: {verdict})"
                )
            },
        );
        let _ = writeln!(text, "  RSS slope: {slope}");
        let _ = writeln!(
            text,
            "  descendants after the Codex was dropped: {}",
            self.after_drop_descendants
        );
        let _ = write!(
            text,
            "  leaks: {}",
            if self.leaks.is_empty() {
                "none".to_owned()
            } else {
                self.leaks.join("; ")
            }
        );
        text
    }

    fn to_json(&self) -> Value {
        json!({
            "phase": self.name,
            "turns": self.turns,
            "wall_s": self.wall_s,
            "rss_slope_mib_per_1000_turns": self.slope_mib_per_1000,
            "rss_goal_mib_per_1000_turns": RSS_GOAL_MIB_PER_1000,
            "descendants_after_drop": self.after_drop_descendants,
            "leaks": self.leaks,
            "samples": self.samples.iter().map(|s| json!({
                "turns": s.turns,
                "rss_kib": s.rss_kib,
                "fds": s.fds,
                "threads": s.threads,
                "descendants": s.descendants,
                "elapsed_s": s.elapsed_s,
            })).collect::<Vec<_>>(),
        })
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "KiB counts of a process fit f64 exactly"
)]
fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn run_phase(name: &str, args: &Args) -> Result<PhaseReport, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
    // The rig (mock model, CODEX_HOME) only for the real phases; it outlives the Codex.
    let (rig, codex, turns, real) = match name {
        "fake-exec" => {
            let exe =
                std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
            let mut script = Script::new();
            for line in FAKE_TURN {
                script = script.line(line);
            }
            let script = script
                .write_to(scratch.path())
                .map_err(|e| format!("cannot write the fake's script: {e}"))?;
            let codex = Codex::new(CodexOptions::new().codex_path(exe).env([
                (OsString::from(SCRIPT_ENV), script.into_os_string()),
                marker(),
            ]))
            .map_err(|e| e.to_string())?;
            (None, codex, args.fake_turns, false)
        }
        "real-exec" | "real-app-server" => {
            let path = codex_agent_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
            let rig = ModelRig::start()?;
            let transport = if name == "real-exec" {
                Transport::Exec
            } else {
                Transport::AppServer
            };
            let codex = Codex::new(
                CodexOptions::new()
                    .codex_path(&path)
                    .env(rig.env.iter().cloned().chain([marker()]))
                    .transport(transport),
            )
            .map_err(|e| e.to_string())?;
            (Some(rig), codex, args.real_turns, true)
        }
        other => return Err(format!("unknown phase {other}")),
    };
    let thread_options = rig.as_ref().map_or_else(
        || ThreadOptions::new().skip_git_repo_check(true),
        ModelRig::thread_options,
    );
    println!(
        "soak {name}: {turns} turns, a sample every {} turns",
        args.every
    );

    let started = Instant::now();
    let mut samples = vec![sample(0, started)?];
    let mut thread = codex.start_thread(thread_options.clone());
    for turn in 1..=turns {
        if real && turn > 1 && (turn - 1) % TURNS_PER_THREAD == 0 {
            thread = codex.start_thread(thread_options.clone());
        }
        let result = thread
            .run(PROMPT, TurnOptions::new())
            .await
            .map_err(|e| format!("{name}: turn {turn} failed: {e}"))?;
        let expected = if real {
            REPLY
        } else {
            "Hello from the fake codex."
        };
        if result.final_response != expected {
            return Err(format!(
                "{name}: turn {turn} answered {:?}, expected {expected:?}",
                result.final_response
            ));
        }
        if turn % args.every == 0 || turn == turns {
            samples.push(sample(turn, started)?);
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    // Growth is judged while the Codex is alive, so that the processes can be named.
    let mut leaks = growth_leaks(&samples);
    drop(thread);
    drop(codex);
    // The model process is this process's child too: it goes first.
    drop(rig);
    let after_drop_descendants = drained_descendants().await?;
    if after_drop_descendants > 0 {
        leaks.push(format!(
            "{after_drop_descendants} descendant process(es) still alive {} s after the Codex was dropped",
            DRAIN_LIMIT.as_secs()
        ));
    }
    Ok(PhaseReport {
        name: name.to_owned(),
        turns,
        slope_mib_per_1000: rss_slope(&samples),
        samples,
        after_drop_descendants,
        leaks,
        wall_s,
    })
}

/// The descriptors, threads or descendants that kept growing; growing descendants are named.
fn growth_leaks(samples: &[Sample]) -> Vec<String> {
    let mut leaks = Vec::new();
    // A leak grows with the turns: every sample of the second half above every sample of the
    // first (the sample before the first turn left out, as nothing was spawned yet). What
    // comes and goes (tokio's blocking threads, the commands and shells of recent turns)
    // overlaps between the halves.
    let measured = samples.get(1..).unwrap_or_default();
    if measured.len() >= 2 {
        let (first, second) = measured.split_at(measured.len() / 2);
        for (what, of) in [
            (
                "open file descriptors",
                (|s: &Sample| s.fds) as fn(&Sample) -> usize,
            ),
            ("threads", |s: &Sample| s.threads),
            ("live descendant processes", |s: &Sample| s.descendants),
        ] {
            let high = first.iter().map(of).max().unwrap_or(0);
            let low = second.iter().map(of).min().unwrap_or(0);
            if low > high {
                leaks.push(format!(
                    "{what}: at least {low} in the second half, above the first half's highest {high}"
                ));
                if what == "live descendant processes" {
                    for pid in descendants(std::process::id()) {
                        leaks.push(format!("  alive: {pid} {}", cmdline(pid)));
                    }
                }
            }
        }
    }
    leaks
}

/// The least-squares slope of RSS over turns, in MiB per 1,000 turns, from the second sample
/// on (the first is taken before the first turn warmed anything up).
#[expect(
    clippy::cast_precision_loss,
    reason = "turn and KiB counts fit f64 exactly"
)]
fn rss_slope(samples: &[Sample]) -> Option<f64> {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .skip(1)
        .map(|s| (s.turns as f64, kib_to_mib(s.rss_kib)))
        .collect();
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxx > 0.0).then(|| sxy / sxx * 1000.0)
}

/// Samples this process.
fn sample(turns: usize, started: Instant) -> Result<Sample, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    let field = |name: &str| -> Result<u64, String> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("/proc/self/status has no {name}"))
    };
    let fds = std::fs::read_dir("/proc/self/fd")
        .map_err(|e| format!("cannot list /proc/self/fd: {e}"))?
        .count();
    Ok(Sample {
        turns,
        rss_kib: field("VmRSS:")?,
        // The directory listing's own descriptor is counted; it is the same in every sample.
        fds,
        threads: usize::try_from(field("Threads:")?).unwrap_or(usize::MAX),
        descendants: descendants(std::process::id()).len(),
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// Waits up to [`DRAIN_LIMIT`] for this process's descendants to be gone; returns how many are
/// left.
async fn drained_descendants() -> Result<usize, String> {
    let deadline = Instant::now() + DRAIN_LIMIT;
    loop {
        let left = descendants(std::process::id());
        if left.is_empty() || Instant::now() >= deadline {
            for pid in &left {
                eprintln!("soak: still alive: {pid} {}", cmdline(*pid));
            }
            return Ok(left.len());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The environment variable every process a phase starts inherits (unless it clears its
/// environment), set to this process's pid: it finds the processes that left the tree.
const MARKER_ENV: &str = "CODEX_SDK_SOAK_PARENT";

fn marker() -> (OsString, OsString) {
    (MARKER_ENV.into(), std::process::id().to_string().into())
}

/// Every live process a phase started: the ones below this process, and the ones that left
/// the tree (a `setsid` or double-forked child, now under init) but carry [`MARKER_ENV`].
fn descendants(root: u32) -> Vec<u32> {
    let mut found = process_watch::descendants(root);
    for pid in process_watch::with_env(MARKER_ENV, &root.to_string()) {
        if pid != root && !found.contains(&pid) {
            found.push(pid);
        }
    }
    found
}

/// `pid`'s command line for a report: its arguments joined by spaces, cut at 160 characters.
pub(crate) fn cmdline(pid: u32) -> String {
    process_watch::cmdline(pid)
        .unwrap_or_default()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(160)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(turns: usize, rss_kib: u64) -> Sample {
        Sample {
            turns,
            rss_kib,
            fds: 10,
            threads: 4,
            descendants: 0,
            elapsed_s: 0.0,
        }
    }

    #[test]
    fn the_slope_skips_the_first_sample_and_is_in_mib_per_thousand_turns() {
        // 0 → 50 000 KiB jump at warm-up is ignored; then +1 MiB every 100 turns.
        let samples = [
            at(0, 1_000),
            at(100, 50_000),
            at(200, 51_024),
            at(300, 52_048),
        ];
        let slope = rss_slope(&samples).expect("enough samples");
        assert!((slope - 10.0).abs() < 1e-9, "slope {slope}");
        assert_eq!(rss_slope(&samples[..3]), None);
    }

    #[test]
    fn only_growth_across_the_halves_is_a_leak() {
        let with = |descendants: usize| Sample {
            descendants,
            ..at(0, 0)
        };
        // Comes and goes: not a leak.
        let steady = [with(0), with(18), with(21), with(18), with(20)];
        assert!(growth_leaks(&steady).is_empty());
        // Grows: a leak.
        let growing = [with(0), with(2), with(4), with(6), with(8)];
        let leaks = growth_leaks(&growing);
        assert!(
            leaks[0].starts_with("live descendant processes: at least 6"),
            "{leaks:?}"
        );
    }

    #[test]
    fn descendants_finds_children_of_children() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .expect("sh");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut found = Vec::new();
        while Instant::now() < deadline {
            found = descendants(std::process::id());
            if found.len() >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::process::Command::new("pkill")
            .args(["-P", &child.id().to_string()])
            .status();
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.len() >= 2, "found {found:?}");
        assert!(found.contains(&child.id()));
    }

    #[test]
    fn arguments_are_checked() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(parse_args(&args(&["--fake-turns", "0"])).is_err());
        assert!(parse_args(&args(&["--phase", "nope"])).is_err());
        let parsed =
            parse_args(&args(&["--real-turns", "20", "--phase", "real-exec"])).expect("valid");
        assert_eq!(parsed.real_turns, 20);
        assert_eq!(parsed.phases, ["real-exec"]);
        assert_eq!(parse_args(&[]).expect("valid").phases.len(), 3);
    }
}
