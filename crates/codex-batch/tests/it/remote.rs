//! `codex-batch run --remote`: tasks spread over real `codex app-server --listen ws://…`
//! processes with capability tokens (started by the testkit), each with its own scripted
//! model so that the test sees which server ran what.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codex_agent_batch::record::{TaskResult, TaskStatus};
use codex_agent_testkit::mock_server::MockResponse;
use codex_agent_testkit::remote_server::RemoteAppServer;
use codex_agent_testkit::sse::Sse;

use crate::support::{WAIT, World, assert_each_once, real_codex, simple_tasks};

const TOKEN_A: &str = "batch-remote-token-a-0123456789";
const TOKEN_B: &str = "batch-remote-token-b-0123456789";

/// A world whose model answers every turn with `ok` after `delay`, and a remote app-server
/// on it requiring `token`.
async fn peer(token: &str, delay: Duration) -> (World, RemoteAppServer) {
    let world = World::new().await;
    world
        .mock
        .repeat_forever(MockResponse::from(Sse::message("resp", "ok")).delay(delay));
    let server = RemoteAppServer::start(&real_codex(), &world.env(), Some(token))
        .await
        .unwrap_or_else(|error| panic!("start codex app-server --listen ws://: {error}"));
    (world, server)
}

fn token_file(world: &World, name: &str, token: &str) -> String {
    let path = world.dir.path().join(name);
    std::fs::write(&path, format!("{token}\n")).expect("write the token file");
    path.to_string_lossy().into_owned()
}

fn read_results(path: &Path) -> Vec<TaskResult> {
    std::fs::read_to_string(path)
        .expect("the results file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a result line"))
        .collect()
}

fn results_path(world: &World, run: &str) -> PathBuf {
    world
        .dir
        .path()
        .join("codex-batch-runs")
        .join(run)
        .join("results.ndjson")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_remote_app_servers_with_tokens_share_a_run() {
    const N: usize = 16;
    let (a, server_a) = peer(TOKEN_A, Duration::from_millis(100)).await;
    let (b, server_b) = peer(TOKEN_B, Duration::from_millis(100)).await;
    let tasks = a.task_file("tasks.jsonl", &simple_tasks(N));
    let tasks = tasks.to_string_lossy().into_owned();
    let file_a = token_file(&a, "token-a", TOKEN_A);
    let file_b = token_file(&a, "token-b", TOKEN_B);
    let (url_a, url_b) = (server_a.url(), server_b.url());
    let (code, _, stderr) = a
        .cli(&[
            "run",
            &tasks,
            "--run",
            "remote",
            "--concurrency",
            "4",
            "--remote",
            &url_a,
            "--remote",
            &url_b,
            "--remote-token-file",
            &file_a,
            "--remote-token-file",
            &file_b,
        ])
        .await;
    assert_eq!(code, 0, "{stderr}");
    for token in [TOKEN_A, TOKEN_B] {
        assert!(!stderr.contains(token), "a token leaks: {stderr}");
    }
    let results = read_results(&results_path(&a, "remote"));
    assert_each_once(&results, N);
    for result in &results {
        assert_eq!(result.status, TaskStatus::Succeeded, "{result:?}");
        assert_eq!(result.final_response, "ok");
    }
    let (on_a, on_b) = (a.mock.requests().len(), b.mock.requests().len());
    assert_eq!(on_a + on_b, N, "one model request per task");
    assert!(
        on_a > 0 && on_b > 0,
        "both servers got tasks: {on_a} and {on_b}"
    );
    assert_eq!(a.mock.problems(), Vec::<String>::new());
    assert_eq!(b.mock.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn a_wrong_token_is_refused_before_anything_runs() {
    let (a, server_a) = peer(TOKEN_A, Duration::ZERO).await;
    let (b, server_b) = peer(TOKEN_B, Duration::ZERO).await;
    let tasks = a.task_file("tasks.jsonl", &simple_tasks(4));
    let tasks = tasks.to_string_lossy().into_owned();
    let file_a = token_file(&a, "token-a", TOKEN_A);
    // The second endpoint is given the first one's token.
    let (url_a, url_b) = (server_a.url(), server_b.url());
    let (code, stdout, stderr) = a
        .cli(&[
            "run",
            &tasks,
            "--run",
            "wrong",
            "--remote",
            &url_a,
            "--remote",
            &url_b,
            "--remote-token-file",
            &file_a,
        ])
        .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "codex-batch: the remote endpoint {url_b} cannot take tasks"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "caused by: the remote codex app-server at {url_b} refused the token"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN_A), "the token leaks: {stderr}");
    let run_dir = a.dir.path().join("codex-batch-runs/wrong");
    assert!(
        !run_dir.join("state.db").exists(),
        "the run was not created"
    );
    assert!(!run_dir.join("results.ndjson").exists());
    assert!(a.mock.requests().is_empty(), "nothing ran");
    assert!(b.mock.requests().is_empty(), "nothing ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_of_an_endpoint_that_dies_are_retried_on_the_other() {
    const N: usize = 8;
    let (a, server_a) = peer(TOKEN_A, Duration::from_millis(100)).await;
    // B's model is slow, so B holds turns in flight when it is killed.
    let (b, mut server_b) = peer(TOKEN_A, Duration::from_secs(30)).await;
    let tasks = a.task_file("tasks.jsonl", &simple_tasks(N));
    let tasks = tasks.to_string_lossy().into_owned();
    let file = token_file(&a, "token", TOKEN_A);
    let (url_a, url_b) = (server_a.url(), server_b.url());
    let mut child = a.spawn_cli(&[
        "run",
        &tasks,
        "--run",
        "dies",
        "--concurrency",
        "2",
        "--remote",
        &url_a,
        "--remote",
        &url_b,
        "--remote-token-file",
        &file,
    ]);
    let deadline = Instant::now() + WAIT;
    while b.mock.requests().is_empty() {
        assert!(Instant::now() < deadline, "B never got a task");
        assert!(
            child.try_wait().expect("poll codex-batch").is_none(),
            "codex-batch ended before B got a task"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server_b.kill();
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("codex-batch ends in time")
        .expect("codex-batch runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let results = read_results(&results_path(&a, "dies"));
    assert_each_once(&results, N);
    assert!(
        results.iter().all(|r| r.status == TaskStatus::Succeeded),
        "{results:?}"
    );
    assert!(
        results.iter().any(|r| r.attempts > 1),
        "the task on B was retried: {results:?}"
    );
    assert_eq!(a.mock.requests().len(), N, "A finished every task");
}
