//! `cargo xtask bench [turn-overhead | app-server-vs-exec] [--runs N] [--turns N]`:
//! measurements reported side by side, never asserted.
//!
//! `turn-overhead` (the default): the per-turn cost of `thread.run()` over the bare `codex
//! exec` command on the same scenario. Both run the real pinned codex against the same
//! scripted mock model (one plain assistant message per turn) with the same throwaway
//! `CODEX_HOME`; runs alternate (bare, SDK, bare, SDK, ...) after two warm-up runs of each, so
//! drift on the machine hits both sides alike. The bare side is what a shell script would do:
//! spawn `codex exec --experimental-json --skip-git-repo-check`, write the prompt to stdin,
//! close it, read stdout to the end and wait. The SDK side is one `thread.run()` on a fresh
//! thread. Prints the medians and the ratio as a markdown table.
//!
//! `app-server-vs-exec`: a conversation of `--turns` turns (default 10) on one thread, over
//! the same mock model and `CODEX_HOME`. The exec side is `thread.run()` of codex-sdk, `--turns`
//! times on one `Thread` (one `codex exec` process per turn, `resume` from the second). The
//! app-server side is codex-exec's `AppServer`: one `codex app-server` process, spawned and
//! initialized, one `thread/start`, then `--turns` `turn/start`s each drained to
//! `turn/completed`; its total includes the spawn and the handshake. Sessions alternate after
//! one warm-up session of each; `--runs` sessions (default 5) are measured. Prints the median
//! totals and their ratio (goal: app-server at most 0.4× exec).
//!
//! Both write their numbers into `target/bench/report.json`, one key per scenario.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codex_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_testkit::codex_home::CodexHome;
use codex_testkit::mock_server::MockServer;
use codex_testkit::sse::Sse;

const PROMPT: &str = "say hi";

/// `cargo xtask bench`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut scenario = "turn-overhead";
    let mut runs = None;
    let mut turns = 10usize;
    let mut it = args.iter();
    let positive = |value: Option<&String>, flag: &str| {
        value
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .ok_or(format!("`{flag}` takes a positive number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "turn-overhead" => scenario = "turn-overhead",
            "app-server-vs-exec" => scenario = "app-server-vs-exec",
            "--runs" => runs = Some(positive(it.next(), "--runs")?),
            "--turns" => turns = positive(it.next(), "--turns")?,
            other => {
                return Err(format!(
                    "unknown bench argument `{other}`; usage: bench [turn-overhead | app-server-vs-exec] [--runs N] [--turns N]"
                ));
            }
        }
    }
    let codex = codex_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    match scenario {
        "app-server-vs-exec" => {
            runtime.block_on(app_server_vs_exec(&codex, runs.unwrap_or(5), turns))
        }
        _ => runtime.block_on(turn_overhead(&codex, runs.unwrap_or(20))),
    }
}

async fn turn_overhead(codex_path: &Path, runs: usize) -> Result<(), String> {
    let mock = MockServer::start().await.map_err(|e| e.to_string())?;
    mock.repeat_forever(Sse::message("resp-1", "Hello from the mock model."));
    let home = CodexHome::new(&mock).map_err(|e| e.to_string())?;
    let workdir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut env: Vec<(OsString, OsString)> = home.env();
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            env.push((key.into(), value));
        }
    }
    let sdk = Codex::new(CodexOptions::new().codex_path(codex_path).env(env.clone()))
        .map_err(|e| e.to_string())?;
    let thread_options = ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(workdir.path());

    let mut bare = Vec::new();
    let mut ours = Vec::new();
    for i in 0..runs + 2 {
        let b = bare_exec(codex_path, &env, workdir.path())?;
        let start = Instant::now();
        let turn = sdk
            .start_thread(thread_options.clone())
            .run(PROMPT, TurnOptions::new())
            .await
            .map_err(|e| format!("thread.run() failed: {e}"))?;
        let o = start.elapsed();
        if turn.final_response != "Hello from the mock model." {
            return Err(format!(
                "unexpected final response {:?}",
                turn.final_response
            ));
        }
        if i >= 2 {
            bare.push(b);
            ours.push(o);
        }
    }
    let (b, o) = (median(&mut bare), median(&mut ours));
    let ratio = o.as_secs_f64() / b.as_secs_f64();
    println!(
        "| scenario | runs | bare `codex exec` (median) | `thread.run()` (median) | overhead |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| plain message, real codex 0.169.0 + mock model | {runs} | {:.1} ms | {:.1} ms | {:+.1}% |",
        ms(b),
        ms(o),
        (ratio - 1.0) * 100.0
    );
    write_report(
        "turn_overhead",
        serde_json::json!({
            "runs": runs,
            "bare_exec_ms": { "median": ms(b), "samples": samples(&bare) },
            "thread_run_ms": { "median": ms(o), "samples": samples(&ours) },
            "ratio": ratio,
            "goal": "overhead under 3%",
        }),
    )
}

/// Sets `key` in `target/bench/report.json`, keeping the other scenarios' numbers.
fn write_report(key: &str, value: serde_json::Value) -> Result<(), String> {
    let dir = crate::project_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    let mut report = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    report[key] = value;
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\nwrote {}", path.display());
    Ok(())
}

/// The reply of the mock model in `app-server-vs-exec`.
const REPLY: &str = "Hello from the mock model.";

async fn app_server_vs_exec(codex_path: &Path, runs: usize, turns: usize) -> Result<(), String> {
    let mock = MockServer::start().await.map_err(|e| e.to_string())?;
    mock.repeat_forever(Sse::message("resp-1", REPLY));
    let home = CodexHome::new(&mock).map_err(|e| e.to_string())?;
    let workdir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut env: Vec<(OsString, OsString)> = home.env();
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            env.push((key.into(), value));
        }
    }
    let sdk = Codex::new(CodexOptions::new().codex_path(codex_path).env(env.clone()))
        .map_err(|e| e.to_string())?;
    let thread_options = ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(workdir.path());
    let binary = codex_exec::CodexBinary::new(codex_path);
    let app_codex = codex_exec::CodexOptions::new().env(env);
    let cwd = workdir
        .path()
        .canonicalize()
        .map_err(|e| e.to_string())?
        .to_string_lossy()
        .into_owned();

    let mut exec = Vec::new();
    let mut app = Vec::new();
    let mut app_startup = Vec::new();
    for i in 0..=runs {
        let start = Instant::now();
        let thread = sdk.start_thread(thread_options.clone());
        for _ in 0..turns {
            let turn = thread
                .run(PROMPT, TurnOptions::new())
                .await
                .map_err(|e| format!("thread.run() failed: {e}"))?;
            if turn.final_response != REPLY {
                return Err(format!(
                    "unexpected final response {:?}",
                    turn.final_response
                ));
            }
        }
        let exec_total = start.elapsed();
        let (app_total, startup) = app_server_session(&binary, &app_codex, &cwd, turns).await?;
        if i >= 1 {
            exec.push(exec_total);
            app.push(app_total);
            app_startup.push(startup);
        }
    }
    let (e, a, s) = (
        median(&mut exec),
        median(&mut app),
        median(&mut app_startup),
    );
    let ratio = a.as_secs_f64() / e.as_secs_f64();
    let per_turn =
        |total: Duration| ms(total) / f64::from(u32::try_from(turns).unwrap_or(u32::MAX));
    println!(
        "| scenario | sessions | `codex exec` + resume, total (median) | app-server, total incl. spawn (median) | ratio |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| {turns} turns on one thread, real codex 0.169.0 + mock model | {runs} | {:.0} ms ({:.1} ms/turn) | {:.0} ms ({:.0} ms start + {:.1} ms/turn) | {ratio:.2}× |",
        ms(e),
        per_turn(e),
        ms(a),
        ms(s),
        per_turn(a.saturating_sub(s)),
    );
    write_report(
        "app_server_vs_exec",
        serde_json::json!({
            "runs": runs,
            "turns": turns,
            "exec_total_ms": { "median": ms(e), "samples": samples(&exec) },
            "app_server_total_ms": { "median": ms(a), "samples": samples(&app) },
            "app_server_startup_ms": { "median": ms(s), "samples": samples(&app_startup) },
            "ratio": ratio,
            "goal": "app-server total at most 0.4x exec",
        }),
    )
}

/// One app-server session: spawn and initialize, `thread/start`, `turns` turns. Returns the
/// total time and the time to the started thread.
async fn app_server_session(
    binary: &codex_exec::CodexBinary,
    codex: &codex_exec::CodexOptions,
    cwd: &str,
    turns: usize,
) -> Result<(Duration, Duration), String> {
    use codex_exec::app_server::{AppServer, AppServerOptions};
    use codex_protocol::app_server::{ThreadStartParams, TurnStartParams, TurnStatus, UserInput};

    let start = Instant::now();
    let server = AppServer::spawn(binary, codex, AppServerOptions::new())
        .await
        .map_err(|e| format!("codex app-server did not start: {e}"))?;
    let thread = server
        .thread_start(ThreadStartParams::default().cwd(cwd))
        .await
        .map_err(|e| format!("thread/start failed: {e}"))?
        .thread
        .id;
    let startup = start.elapsed();
    for _ in 0..turns {
        let completed = server
            .turn_start(TurnStartParams::new(&thread, vec![UserInput::text(PROMPT)]))
            .await
            .map_err(|e| format!("turn/start failed: {e}"))?
            .completion()
            .await
            .map_err(|e| format!("the turn failed: {e}"))?;
        if completed.turn.status != TurnStatus::Completed {
            return Err(format!("a turn ended {:?}", completed.turn.status));
        }
    }
    let total = start.elapsed();
    server
        .shutdown()
        .await
        .map_err(|e| format!("codex app-server did not exit cleanly: {e}"))?;
    Ok((total, startup))
}

fn samples(durations: &[Duration]) -> Vec<f64> {
    durations.iter().map(|d| ms(*d)).collect()
}

/// One bare `codex exec` turn, as a shell script would run it.
fn bare_exec(codex: &Path, env: &[(OsString, OsString)], dir: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new(codex)
        .args(["exec", "--experimental-json", "--skip-git-repo-check"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn {}: {e}", codex.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(PROMPT.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains("turn.completed") {
        return Err(format!(
            "bare codex exec failed ({}): {stdout}",
            output.status
        ));
    }
    Ok(elapsed)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
