//! `cargo xtask batch-bench [--tasks N] [--concurrency 1,4,8] [--transport exec,app-server]`:
//! throughput of `codex-agent-batch`'s runner and its own overhead per task, measured, never
//! asserted.
//!
//! The real codex CLI runs against the testkit's scripted model (one `ok` reply per turn,
//! answered at once) with a throwaway `CODEX_HOME`. For each transport and concurrency:
//!
//! - **direct**: the N one-turn tasks run straight through the facade, a new `Thread` and one
//!   `Thread::run` per task, at most `concurrency` at once, with a fresh empty working
//!   directory per task (the runner makes one too);
//! - **runner**: the same N tasks through `codex_agent_batch::runner::Runner` on a fresh
//!   SQLite store (claims, heartbeats, results, per-task directories), the store's creation
//!   left out.
//!
//! `--codex fake` runs the testkit's fake codex (this executable, replaying a four-line turn;
//! exec only) instead: turns then cost little more than a process, and the difference is the
//! runner's own work (store, claims, heartbeats, directories) with far less noise.
//!
//! It prints tasks per minute of both and the runner's overhead per task,
//! `(runner wall − direct wall) / N` (goal: under 5 ms), as a Markdown table. The runs are in
//! one process, so build with `--release` for numbers that mean something (`cargo run -p
//! xtask --release -- batch-bench`); from a debug build the table says so.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_agent_batch::runner::{BatchTransport, Outcome, Runner, RunnerOptions};
use codex_agent_batch::store::{RunSettings, Store};
use codex_agent_batch::task::TaskSet;
use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::sse::Sse;
use futures::StreamExt as _;

/// What the fake codex prints for every turn (`--codex fake`): a turn that costs nothing but
/// the process, so that what is left is the runner's own work.
const FAKE_TURN: [&str; 4] = [
    r#"{"type":"thread.started","thread_id":"019a0000-0000-7000-8000-0000000000b1"}"#,
    r#"{"type":"turn.started"}"#,
    r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"ok"}}"#,
    r#"{"type":"turn.completed","usage":{"input_tokens":3,"cached_input_tokens":0,"output_tokens":1}}"#,
];

/// Tasks per measurement by default.
const DEFAULT_TASKS: usize = 200;
/// Concurrencies measured by default.
const DEFAULT_CONCURRENCY: &[usize] = &[1, 4, 8];
/// The runner's overhead goal per task.
const GOAL_MS: f64 = 5.0;

struct Args {
    tasks: usize,
    concurrency: Vec<usize>,
    transports: Vec<BatchTransport>,
    /// `--codex fake`: the testkit's fake codex (this executable) instead of the real one.
    fake: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        tasks: DEFAULT_TASKS,
        concurrency: DEFAULT_CONCURRENCY.to_vec(),
        transports: vec![BatchTransport::Exec, BatchTransport::AppServer],
        fake: false,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--tasks" => {
                parsed.tasks = value()?.parse().map_err(|e| format!("--tasks: {e}"))?;
            }
            "--concurrency" => {
                parsed.concurrency = value()?
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().map(|n| n.max(1)))
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--concurrency: {e}"))?;
            }
            "--transport" => {
                parsed.transports = value()?
                    .split(',')
                    .map(|t| {
                        t.trim()
                            .parse::<BatchTransport>()
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--codex" => match value()?.as_str() {
                "fake" => parsed.fake = true,
                "real" => parsed.fake = false,
                other => return Err(format!("--codex is real or fake, got `{other}`")),
            },
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: cargo xtask batch-bench [--tasks N] [--concurrency 1,4,8] [--transport exec,app-server] [--codex real|fake]"
                ));
            }
        }
    }
    if parsed.tasks == 0 {
        return Err("--tasks must be at least 1".to_owned());
    }
    if parsed.fake && parsed.transports.contains(&BatchTransport::AppServer) {
        if parsed.transports.len() == 1 {
            return Err("--codex fake runs the exec transport only".to_owned());
        }
        parsed.transports.retain(|t| *t == BatchTransport::Exec);
    }
    Ok(parsed)
}

/// One measured configuration.
struct Row {
    transport: BatchTransport,
    concurrency: usize,
    direct: Duration,
    runner: Duration,
}

/// `cargo xtask batch-bench`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    let codex = if args.fake {
        std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?
    } else {
        codex_agent_testkit::real_codex::real_codex().map_err(|e| e.to_string())?
    };
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let fake_script = if args.fake {
        let mut script = codex_agent_testkit::fake_codex::Script::new();
        for line in FAKE_TURN {
            script = script.line(line);
        }
        Some(script.write_to(scratch.path()).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let rows = runtime.block_on(async {
        let mock = MockServer::start().await.map_err(|e| e.to_string())?;
        mock.repeat_forever(Sse::message("resp", "ok"));
        let home = CodexHome::new(&mock).map_err(|e| e.to_string())?;
        let mut env: Vec<(OsString, OsString)> = home.env();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                env.push((name.into(), value));
            }
        }
        if let Some(script) = &fake_script {
            env.push((
                codex_agent_testkit::fake_codex::SCRIPT_ENV.into(),
                script.clone().into_os_string(),
            ));
        }
        let base = CodexOptions::new().codex_path(&codex).env(env);
        let mut rows = Vec::new();
        for &transport in &args.transports {
            for &concurrency in &args.concurrency {
                eprintln!(
                    "batch-bench: {} tasks on {} at concurrency {concurrency}",
                    args.tasks,
                    transport_name(transport)
                );
                let codex = transport
                    .codex(base.clone())
                    .map_err(|e| format!("cannot build codex: {e}"))?;
                // One warm-up task, so that neither side pays the first start (page cache,
                // the app-server's spawn) for the other.
                direct(&codex, 1, 1).await?;
                let direct_wall = direct(&codex, args.tasks, concurrency).await?;
                let codex = transport
                    .codex(base.clone())
                    .map_err(|e| format!("cannot build codex: {e}"))?;
                direct(&codex, 1, 1).await?;
                let runner_wall = through_runner(codex, args.tasks, concurrency).await?;
                let row = Row {
                    transport,
                    concurrency,
                    direct: direct_wall,
                    runner: runner_wall,
                };
                // Printed as it comes, so that an interrupted run keeps what it measured.
                eprintln!("batch-bench: {}", line(&row, args.tasks));
                rows.push(row);
            }
        }
        let problems = mock.problems();
        if !problems.is_empty() {
            return Err(format!(
                "the scripted model saw unexpected requests: {problems:?}"
            ));
        }
        Ok::<_, String>(rows)
    })?;
    println!("{}", table(&rows, args.tasks, args.fake));
    Ok(())
}

fn transport_name(transport: BatchTransport) -> &'static str {
    match transport {
        BatchTransport::AppServer => "app-server",
        _ => "exec",
    }
}

/// Runs `tasks` one-turn threads straight through the facade, `concurrency` at once; the wall
/// time.
async fn direct(codex: &Codex, tasks: usize, concurrency: usize) -> Result<Duration, String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let results: Vec<Result<(), String>> = futures::stream::iter(0..tasks)
        .map(|i| {
            let dir = root.path().join(format!("t{i}"));
            async move {
                tokio::fs::create_dir_all(&dir)
                    .await
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let thread = codex.start_thread(
                    ThreadOptions::new()
                        .skip_git_repo_check(true)
                        .working_directory(&dir),
                );
                let turn = thread
                    .run(format!("task {i}"), TurnOptions::new())
                    .await
                    .map_err(|e| format!("a direct turn failed: {}", e.report()))?;
                if turn.final_response == "ok" {
                    Ok(())
                } else {
                    Err(format!("unexpected reply {:?}", turn.final_response))
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = start.elapsed();
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(wall)
}

/// Runs the same tasks through the runner on a fresh SQLite store; the wall time of
/// `Runner::run` plus the runner's creation.
async fn through_runner(
    codex: Codex,
    tasks: usize,
    concurrency: usize,
) -> Result<Duration, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut lines = String::new();
    for i in 0..tasks {
        let _ = writeln!(lines, "{{\"id\":\"t{i}\",\"prompt\":\"task {i}\"}}");
    }
    let path = dir.path().join("tasks.jsonl");
    std::fs::write(&path, lines).map_err(|e| e.to_string())?;
    let set = TaskSet::load(&path).map_err(|e| e.to_string())?;
    let store = Arc::new(
        Store::open_sqlite(&dir.path().join("state.db"))
            .await
            .map_err(|e| e.to_string())?,
    );
    let chosen: Vec<_> = set
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t, None))
        .collect();
    store
        .create_or_resume(
            "bench",
            &set.manifest,
            &RunSettings { split: None },
            &chosen,
        )
        .await
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let runner = Runner::new(
        Arc::clone(&store),
        "bench",
        codex,
        RunnerOptions::new(dir.path().join("work")).concurrency(concurrency),
    )
    .await
    .map_err(|e| e.to_string())?;
    let outcome = runner.run().await.map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    if outcome != Outcome::Drained {
        return Err(format!("the run ended {outcome:?}"));
    }
    let status = store.status("bench").await.map_err(|e| e.to_string())?;
    store.close().await;
    if status.succeeded != tasks as u64 {
        return Err(format!("not every task succeeded: {status:?}"));
    }
    Ok(wall)
}

fn table(rows: &[Row], tasks: usize, fake: bool) -> String {
    let mut out = String::new();
    let profile = if cfg!(debug_assertions) {
        " (debug build: rerun with --release for real numbers)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "\n{tasks} one-turn tasks, {}{profile}\n",
        if fake {
            "the fake codex"
        } else {
            "the real codex against the scripted model"
        }
    );
    out.push_str("| transport | concurrency | direct tasks/min | runner tasks/min | direct wall s | runner wall s | runner overhead ms/task (goal < 5) |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let _ = writeln!(out, "{}", line(row, tasks));
    }
    out
}

/// One row of the table.
#[expect(clippy::cast_precision_loss, reason = "task counts are small")]
fn line(row: &Row, tasks: usize) -> String {
    let per_min = |wall: Duration| tasks as f64 * 60.0 / wall.as_secs_f64();
    let overhead = (row.runner.as_secs_f64() - row.direct.as_secs_f64()) * 1000.0 / tasks as f64;
    let mark = if overhead < GOAL_MS { "" } else { " ✗" };
    format!(
        "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {overhead:.2}{mark} |",
        transport_name(row.transport),
        row.concurrency,
        per_min(row.direct),
        per_min(row.runner),
        row.direct.as_secs_f64(),
        row.runner.as_secs_f64(),
    )
}
