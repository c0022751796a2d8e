//! The `codex-batch` binary: bad input refused before running, `kill -9` at three moments
//! then a resume, status and export.

use std::path::Path;
use std::time::{Duration, Instant};

use codex_agent_batch::record::{TaskResult, TaskStatus};
use codex_agent_batch::store::{RunStatus, Store};
use codex_agent_testkit::mock_server::MockResponse;
use codex_agent_testkit::sse::Sse;

use crate::support::{WAIT, World, assert_each_once, real_codex, simple_tasks};

fn read_results(path: &Path) -> Vec<TaskResult> {
    std::fs::read_to_string(path)
        .expect("the results file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a result line"))
        .collect()
}

#[tokio::test]
async fn a_bad_task_file_is_refused_with_every_bad_line() {
    let world = World::new().await;
    let tasks = world.task_file(
        "tasks.jsonl",
        &[
            r#"{"id":"a","prompt":"x"}"#.to_owned(),
            r#"{"id":"a","prompt":"y"}"#.to_owned(),
            r#"{"id":"b","promt":"y"}"#.to_owned(),
            "[1]".to_owned(),
        ],
    );
    let tasks = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let (code, _, stderr) = world
        .cli(&["run", &tasks, "--run", "bad", "--codex", &codex])
        .await;
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "has 4 bad line(s)",
        "line 2: id: duplicate id \"a\" (first on line 1)",
        "line 3: promt: unknown field",
        "line 3: prompt: missing",
        "line 4: (line): not a JSON object",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    }
    assert!(world.mock.requests().is_empty(), "nothing ran");
}

#[tokio::test]
async fn a_changed_task_file_is_refused_on_resume() {
    let world = World::new().await;
    world.mock.repeat_forever(Sse::message("resp", "ok"));
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(2));
    let tasks_arg = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let args = ["run", &tasks_arg, "--run", "c", "--codex", &codex];
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 0, "{stderr}");
    let requests = world.mock.requests().len();
    world.task_file("tasks.jsonl", &simple_tasks(3));
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("changed since run \"c\" began"), "{stderr}");
    assert_eq!(world.mock.requests().len(), requests, "nothing ran");
}

#[tokio::test]
async fn a_database_with_a_newer_schema_is_refused() {
    let world = World::new().await;
    let db = world.dir.path().join("newer.db");
    Store::open_sqlite(&db).await.expect("create").close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open directly");
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99, 'future', TRUE, x'00', 0)")
        .execute(&pool)
        .await
        .expect("pretend a newer codex-batch migrated it");
    pool.close().await;
    let error = Store::open_sqlite(&db).await.expect_err("newer schema");
    assert_eq!(
        error.to_string(),
        "the database schema is version 99, newer than the version 1 this codex-batch supports; upgrade codex-batch"
    );
    let db_arg = db.to_string_lossy().into_owned();
    let (code, _, stderr) = world.cli(&["status", "--db", &db_arg, "--run", "x"]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("newer than the version 1"), "{stderr}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let world = World::new().await;
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let url = format!("postgres://batch:hunter2@127.0.0.1:{port}/runs");
    let (code, _, stderr) = world.cli(&["status", "--db", &url, "--run", "x"]).await;
    assert_eq!(code, 1);
    assert!(!stderr.contains("hunter2"), "the password leaks: {stderr}");
    if cfg!(feature = "postgres") {
        assert!(
            stderr.contains("cannot open the database postgres://batch:[REDACTED]@127.0.0.1"),
            "{stderr}"
        );
    } else {
        assert!(
            stderr.contains("needs the `postgres` cargo feature"),
            "{stderr}"
        );
    }
}

/// The status of run `k`, when its store exists and answers.
async fn current_status(db: &Path) -> Option<RunStatus> {
    if !db.exists() {
        return None;
    }
    let store = Store::open_sqlite(db).await.ok()?;
    let status = store.status("k").await.ok();
    store.close().await;
    status
}

/// Polls the run's status until `moment` holds, or the process ends.
async fn wait_for(
    db: &Path,
    child: &mut tokio::process::Child,
    moment: impl Fn(&RunStatus) -> bool,
) -> RunStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "the moment never came");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("codex-batch ended ({status}) before the moment to kill it");
        }
        if let Some(status) = current_status(db).await.filter(|s| moment(s)) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_three_moments_then_resume_runs_every_task_exactly_once() {
    let world = World::new().await;
    world.mock.repeat_forever(
        MockResponse::from(Sse::message("resp", "ok")).delay(Duration::from_millis(200)),
    );
    let n: u64 = 30;
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(30));
    let tasks_arg = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let args = [
        "run",
        &tasks_arg,
        "--run",
        "k",
        "--concurrency",
        "4",
        "--codex",
        &codex,
    ];
    let db = world.dir.path().join("codex-batch-runs/k/state.db");
    let moments: [&dyn Fn(&RunStatus) -> bool; 3] = [
        &|s| s.leased > 0 && s.done == 0,
        &|s| s.done >= n / 3 && s.leased > 0,
        &|s| s.done >= 2 * n / 3 && s.leased > 0,
    ];
    for moment in moments {
        let mut child = world.spawn_cli(&args);
        let seen = wait_for(&db, &mut child, moment).await;
        child.start_kill().expect("kill -9");
        let status = child.wait().await.expect("reaped");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "killed at {seen:?}"
        );
    }
    let (code, _, stderr) = world.cli(&args).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("back in the queue"), "{stderr}");
    let results = read_results(&world.dir.path().join("codex-batch-runs/k/results.ndjson"));
    assert_each_once(&results, 30);
    assert!(results.iter().all(|r| r.status == TaskStatus::Succeeded));
    let store = Store::open_sqlite(&db).await.expect("open");
    let claims = store.claims("k").await.expect("claims");
    store.close().await;
    let mut per_task = std::collections::BTreeMap::<String, usize>::new();
    for (task, _) in &claims {
        *per_task.entry(task.clone()).or_default() += 1;
    }
    assert!(
        per_task.values().any(|&c| c > 1),
        "some task was running when a process was killed and ran again: {per_task:?}"
    );
    let (code, stdout, _) = world.cli(&["status", "--run", "k"]).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("30/30 done (30 succeeded"), "{stdout}");
    let (code, csv, _) = world
        .cli(&["export", "--run", "k", "--format", "csv"])
        .await;
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 31, "header and one row per task");
    let (code, json, stderr) = world
        .cli(&["report", "--run", "k", "--format", "json"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    assert_eq!(report["summary"]["total"]["count"], 30, "{json}");
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(30));
    let html = world.dir.path().join("report.html");
    let html_arg = html.to_string_lossy().into_owned();
    let (code, _, stderr) = world
        .cli(&[
            "report", "--run", "k", "--format", "html", "--out", &html_arg,
        ])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert_eq!(page.matches("<svg").count(), 3, "three charts");
    let (code, _, stderr) = world
        .cli(&["report", "--run", "k", "--format", "pdf"])
        .await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("unknown report format `pdf`"), "{stderr}");
}
