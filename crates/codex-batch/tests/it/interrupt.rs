//! Stopping a run: Ctrl-C (`SIGINT`) on `codex-batch run` with turns in flight, and
//! `--budget-usd`; both leave the run resumable, and the same command then completes it with
//! every task exactly once.

use std::path::Path;
use std::time::{Duration, Instant};

use codex_agent_batch::record::{TaskResult, TaskStatus};
use codex_agent_batch::store::{RunStatus, Store};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::{Gate, MockResponse};
use codex_agent_testkit::process_watch;
use codex_agent_testkit::sse::{Sse, Usage, assistant_message};

use crate::support::{WAIT, World, assert_each_once, real_codex, simple_tasks};

fn read_results(path: &Path) -> Vec<TaskResult> {
    std::fs::read_to_string(path)
        .expect("the results file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a result line"))
        .collect()
}

async fn status_of(db: &Path, run: &str) -> RunStatus {
    let store = Store::open_sqlite(db).await.expect("open the store");
    let status = store.status(run).await.expect("the run's status");
    store.close().await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_interrupts_running_tasks_and_the_same_command_resumes() {
    const N: usize = 6;
    // codex's shell snapshot runs `bash -lc` in a session of its own, out of reach of the
    // process-group kill, and a codex killed while taking it leaves it behind: turned off,
    // every process under codex-batch is codex's process group.
    let world = World::with(CodexHomeOptions::default().feature("shell_snapshot", false)).await;
    // Every turn is held until the gate opens, which it never does: the turns are long.
    let gate = Gate::new();
    world
        .mock
        .repeat_forever(MockResponse::from(Sse::message("resp", "ok")).hold_after(0, &gate));
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(N));
    let tasks_arg = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let args = [
        "run",
        &tasks_arg,
        "--run",
        "int",
        "--concurrency",
        "2",
        "--codex",
        &codex,
    ];
    let mut child = world.spawn_cli(&args);
    let pid = child.id().expect("codex-batch runs");
    // Both running tasks reached the model: two turns are in flight.
    let deadline = Instant::now() + WAIT;
    while world.mock.requests().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the turns never reached the model"
        );
        assert!(
            child.try_wait().expect("poll codex-batch").is_none(),
            "codex-batch ended early"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let codex_processes = process_watch::descendants(pid);
    assert!(
        !codex_processes.is_empty(),
        "codex processes run under codex-batch"
    );
    let pid_arg =
        rustix::process::Pid::from_raw(i32::try_from(pid).expect("a pid")).expect("a positive pid");
    rustix::process::kill_process(pid_arg, rustix::process::Signal::INT).expect("send SIGINT");
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("codex-batch stops in time after Ctrl-C")
        .expect("codex-batch runs");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("stopping: no new tasks, cancelling the running ones"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cancelled; run the same command again to resume"),
        "{stderr}"
    );
    assert_eq!(
        world.mock.requests().len(),
        2,
        "no task was started after Ctrl-C"
    );
    for codex_pid in codex_processes {
        let state = process_watch::wait_dead(codex_pid, WAIT).await;
        assert!(
            state.is_dead(),
            "codex process {codex_pid} outlived codex-batch"
        );
    }
    let db = world.dir.path().join("codex-batch-runs/int/state.db");
    let status = status_of(&db, "int").await;
    assert_eq!(
        (status.done, status.leased, status.queued),
        (0, 0, N as u64),
        "the interrupted tasks are back in the queue, none has a result: {status:?}"
    );

    // The model answers at once now; the same command finishes the run.
    world.mock.repeat_forever(Sse::message("resp", "ok"));
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 0, "{stderr}");
    let results = read_results(&world.dir.path().join("codex-batch-runs/int/results.ndjson"));
    assert_each_once(&results, N);
    assert!(
        results.iter().all(|r| r.status == TaskStatus::Succeeded),
        "{results:?}"
    );
    drop(gate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_stops_starting_tasks_and_a_higher_one_resumes() {
    const N: usize = 8;
    // A priced model: the built-in table knows gpt-5.
    let world = World::with(CodexHomeOptions::default().model("gpt-5")).await;
    // 100k input and 10k output tokens per task: $0.225 at gpt-5's prices.
    let usage = Usage::new(100_000, 10_000);
    world.mock.repeat_forever(Sse::reply_with_usage(
        "resp",
        [assistant_message("msg", "ok")],
        &usage,
    ));
    let lines: Vec<String> = (0..N)
        .map(|i| format!(r#"{{"id":"t{i}","prompt":"task {i}","thread":{{"model":"gpt-5"}}}}"#))
        .collect();
    let tasks = world.task_file("tasks.jsonl", &lines);
    let tasks_arg = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let run = |budget: &'static str| {
        [
            "run".to_owned(),
            tasks_arg.clone(),
            "--run".to_owned(),
            "b".to_owned(),
            "--concurrency".to_owned(),
            "1".to_owned(),
            "--budget-usd".to_owned(),
            budget.to_owned(),
            "--codex".to_owned(),
            codex.clone(),
        ]
    };
    let args = run("0.5");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("the budget is spent; raise --budget-usd and run again to resume"),
        "{stderr}"
    );
    let results = read_results(&world.dir.path().join("codex-batch-runs/b/results.ndjson"));
    let per_task = results
        .first()
        .and_then(|r| r.cost_usd)
        .expect("a priced result");
    assert!((per_task - 0.225).abs() < 1e-9, "{per_task}");
    // One task at a time: the run stops right after the task that crossed $0.50, the third.
    assert_eq!(results.len(), 3, "{results:?}");
    let spent: f64 = results.iter().filter_map(|r| r.cost_usd).sum();
    assert!(spent >= 0.5 && spent - per_task < 0.5, "{spent}");
    let db = world.dir.path().join("codex-batch-runs/b/state.db");
    let status = status_of(&db, "b").await;
    assert_eq!((status.done, status.leased, status.queued), (3, 0, 5));

    // The same budget stops at once, starting nothing; a higher one finishes the run.
    let requests = world.mock.requests().len();
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(world.mock.requests().len(), requests, "nothing started");
    let args = run("100");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 0, "{stderr}");
    let results = read_results(&world.dir.path().join("codex-batch-runs/b/results.ndjson"));
    assert_each_once(&results, N);
    assert!(results.iter().all(|r| r.status == TaskStatus::Succeeded));
}
