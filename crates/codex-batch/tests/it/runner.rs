//! The runner through the library: concurrency on both transports, multi-turn tasks,
//! workspaces, retries, timeouts.

use std::time::Duration;

use codex_agent_batch::record::TaskStatus;
use codex_agent_batch::runner::{BatchTransport, Outcome};
use codex_agent_sdk::RetryPolicy;
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::MockResponse;
use codex_agent_testkit::sse::Sse;

use crate::support::{World, assert_each_once, simple_tasks};

/// How many tasks the concurrency test runs (`CODEX_BATCH_TEST_TASKS` overrides, for the
/// 200-task measurement).
fn task_count() -> usize {
    std::env::var("CODEX_BATCH_TEST_TASKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

async fn many_tasks_succeed(transport: BatchTransport) {
    let world = World::new().await;
    world.mock.repeat_forever(Sse::message("resp", "ok"));
    let n = task_count();
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(n));
    let (outcome, results) = world
        .run_library(&tasks, transport, |o| o.concurrency(8))
        .await;
    assert_eq!(outcome, Outcome::Drained);
    assert_each_once(&results, n);
    for result in &results {
        assert_eq!(result.status, TaskStatus::Succeeded, "{result:?}");
        assert_eq!(result.final_response, "ok");
        assert_eq!(result.attempts, 1);
        assert_eq!(result.expected, Some(serde_json::json!("ok")));
        assert!(
            result.items.by_type.contains_key("agent_message"),
            "{result:?}"
        );
        assert!(result.thread_id.is_some());
    }
    assert_eq!(world.mock.problems(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_at_concurrency_8_succeed_on_exec() {
    many_tasks_succeed(BatchTransport::Exec).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_at_concurrency_8_succeed_on_the_app_server() {
    many_tasks_succeed(BatchTransport::AppServer).await;
}

#[tokio::test]
async fn a_multi_turn_task_runs_its_prompts_in_order_in_a_copied_workspace() {
    let world = World::new().await;
    world.mock.push(Sse::message("r1", "first"));
    world.mock.push(Sse::message("r2", "{\"answer\":42}"));
    let template = world.dir.path().join("template");
    std::fs::create_dir_all(template.join("src")).expect("template dir");
    std::fs::write(template.join("src/lib.rs"), "fn main() {}").expect("template file");
    let line = serde_json::json!({
        "id": "t0",
        "prompt": ["one", "two"],
        "workspace": "template",
        "output_schema": {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]},
    });
    let tasks = world.task_file("tasks.jsonl", &[line.to_string()]);
    let (_, results) = world
        .run_library(&tasks, BatchTransport::Exec, |o| o.concurrency(1))
        .await;
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result.status, TaskStatus::Succeeded, "{result:?}");
    assert_eq!(result.final_response, "{\"answer\":42}");
    assert_eq!(result.structured, Some(serde_json::json!({"answer": 42})));
    let requests = world.mock.requests();
    assert_eq!(requests.len(), 2);
    let texts = requests[1].message_texts("user").join("\n");
    assert!(texts.contains("one") && texts.contains("two"), "{texts}");
    assert!(
        requests[1].text_format().is_some(),
        "the last turn is structured"
    );
    let copied = world
        .dir
        .path()
        .join("work")
        .join(codex_agent_batch::runner::task_dir_name("t0"))
        .join("src/lib.rs");
    assert_eq!(
        std::fs::read_to_string(copied).expect("copied"),
        "fn main() {}"
    );
}

#[tokio::test]
async fn retryable_failures_are_retried_and_others_are_not() {
    let world = World::with(CodexHomeOptions::default().retries(0, 0)).await;
    // t0: a 500 (retryable), then success. t1: a rejected key (not retryable).
    world.mock.push(MockResponse::server_error());
    world.mock.push(Sse::message("r1", "ok"));
    world.mock.push(MockResponse::invalid_api_key());
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(2));
    let (_, results) = world
        .run_library(&tasks, BatchTransport::Exec, |o| {
            o.concurrency(1)
                .retries(3)
                .backoff(RetryPolicy::new().initial_delay(Duration::from_millis(10)))
        })
        .await;
    assert_each_once(&results, 2);
    assert_eq!(results[0].status, TaskStatus::Succeeded, "{:?}", results[0]);
    assert_eq!(results[0].attempts, 2);
    assert_eq!(results[1].status, TaskStatus::Failed, "{:?}", results[1]);
    assert_eq!(results[1].attempts, 1);
    assert!(results[1].error.is_some());
}

#[tokio::test]
async fn a_task_over_its_time_limit_times_out_once() {
    let world = World::new().await;
    world
        .mock
        .push(MockResponse::from(Sse::message("r1", "late")).delay(Duration::from_secs(20)));
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(1));
    let started = std::time::Instant::now();
    let (_, results) = world
        .run_library(&tasks, BatchTransport::Exec, |o| {
            o.timeout(Duration::from_millis(1500)).retries(3)
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].status, TaskStatus::TimedOut, "{:?}", results[0]);
    assert_eq!(results[0].attempts, 1, "a turn timeout is not retried");
}
