//! `cargo xtask bench [turn-overhead] [--runs N]`: measurements reported side by side, never
//! asserted.
//!
//! `turn-overhead`: the per-turn cost of `thread.run()` over the bare `codex exec` command on
//! the same scenario. Both run the real pinned codex against the same scripted mock model
//! (one plain assistant message per turn) with the same throwaway `CODEX_HOME`; runs alternate
//! (bare, SDK, bare, SDK, ...) after two warm-up runs of each, so drift on the machine hits both
//! sides alike. The bare side is what a shell script would do: spawn `codex exec
//! --experimental-json --skip-git-repo-check`, write the prompt to stdin, close it, read stdout
//! to the end and wait. The SDK side is one `thread.run()` on a fresh thread. Prints the medians
//! and the ratio as a markdown table and writes `target/bench/report.json`.

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
    let mut runs = 20usize;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "turn-overhead" => {}
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("`--runs` takes a positive number")?;
            }
            other => {
                return Err(format!(
                    "unknown bench argument `{other}`; usage: bench [turn-overhead] [--runs N]"
                ));
            }
        }
    }
    let codex = codex_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(turn_overhead(&codex, runs))
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
    let report = serde_json::json!({
        "turn_overhead": {
            "runs": runs,
            "bare_exec_ms": { "median": ms(b), "samples": bare.iter().map(|d| ms(*d)).collect::<Vec<_>>() },
            "thread_run_ms": { "median": ms(o), "samples": ours.iter().map(|d| ms(*d)).collect::<Vec<_>>() },
            "ratio": ratio,
            "goal": "overhead under 3%",
        }
    });
    let dir = crate::project_root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\nwrote {}", path.display());
    Ok(())
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
