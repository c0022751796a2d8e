//! `cargo xtask demo batch`: the `codex-batch` command on `fixtures/batch/tasks.jsonl`, with
//! the real codex CLI against a scripted model on `127.0.0.1`. No API key, no network.
//!
//! It builds `codex-batch`, starts `codex_agent_testkit`'s mock Responses API with one scripted
//! answer per turn of the fixture (in task order: the run uses concurrency 1 so the answers
//! meet their prompts), writes a throwaway `CODEX_HOME` pointing at it, and runs
//! `codex-batch run`, `status` and `export --format csv` in a temporary directory, printing
//! each command and its output.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::{MockResponse, MockServer};
use codex_agent_testkit::sse::{self, Sse};

use crate::{cmd, project_root};

/// One scripted reply per turn of `fixtures/batch/tasks.jsonl`, in task-file order.
fn script(mock: &MockServer) {
    let thinking = Duration::from_millis(150);
    let reply = |sse: Sse| MockResponse::from(sse).delay(thinking);
    mock.push(reply(Sse::message("r1", "Paris")));
    mock.push(reply(Sse::message("r2", "42")));
    // The typo task: a patch, then the answer.
    mock.push(reply(Sse::reply(
        "r3",
        [sse::apply_patch(
            "call-1",
            "*** Begin Patch\n*** Update File: greeting.txt\n@@\n-Hello, wrold!\n+Hello, world!\n*** End Patch\n",
        )],
    )));
    mock.push(reply(Sse::message("r4", "Fixed wrold to world.")));
    mock.push(reply(Sse::message("r5", "Yellow.")));
    mock.push(reply(Sse::message("r6", "Banana")));
    mock.push(reply(Sse::message("r7", "{\"planet\":\"Jupiter\"}")));
}

/// `cargo xtask demo batch`.
pub(crate) fn run() -> Result<(), String> {
    println!("codex-batch demo: a batch run of the real codex CLI against a scripted local model");
    println!("(no API key, no network)\n");
    let codex = codex_agent_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
    let mut build = cmd::cargo([
        "build",
        "--quiet",
        "-p",
        "codex-agent-batch",
        "--bin",
        "codex-batch",
    ]);
    cmd::run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), Into::into);
    let binary = target.join("debug").join("codex-batch");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let mock = MockServer::start().await.map_err(|e| e.to_string())?;
        script(&mock);
        let home = CodexHome::new(&mock).map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut env: Vec<(OsString, OsString)> = home.env();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                env.push((name.into(), value));
            }
        }
        let tasks = project_root().join("fixtures/batch/tasks.jsonl");
        let tasks = tasks.to_string_lossy().into_owned();
        let codex = codex.to_string_lossy().into_owned();
        let dir_arg = dir.path().join("runs").to_string_lossy().into_owned();
        let steps: [Vec<&str>; 3] = [
            vec![
                "run",
                &tasks,
                "--run",
                "demo",
                "--dir",
                &dir_arg,
                "--concurrency",
                "1",
                "--codex",
                &codex,
                "--log-every",
                "1",
            ],
            vec!["status", "--run", "demo", "--dir", &dir_arg],
            vec![
                "export", "--run", "demo", "--dir", &dir_arg, "--format", "csv",
            ],
        ];
        for args in steps {
            let binary = binary.clone();
            let env = env.clone();
            let workdir = dir.path().to_path_buf();
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            tokio::task::spawn_blocking(move || run_step(&binary, &args, &env, &workdir))
                .await
                .map_err(|e| e.to_string())??;
        }
        let problems = mock.problems();
        if !problems.is_empty() {
            return Err(format!(
                "the scripted model saw unexpected requests: {problems:?}"
            ));
        }
        Ok(())
    })
}

fn run_step(
    binary: &Path,
    args: &[String],
    env: &[(OsString, OsString)],
    dir: &Path,
) -> Result<(), String> {
    println!("$ codex-batch {}", args.join(" "));
    let status = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .status()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    println!();
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "codex-batch {} failed: {status}",
            args.first().map_or("", String::as_str)
        ))
    }
}
