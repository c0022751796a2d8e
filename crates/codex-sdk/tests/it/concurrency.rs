//! Independent threads run their turns at the same time, from spawned tasks.

use codex_agent_testkit::sse::Sse;
use pretty_assertions::assert_eq;

use crate::support::{Harness, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_threads_run_concurrently() {
    let mut harnesses = Vec::new();
    for i in 0..4 {
        let h = Harness::new().await;
        h.mock.push(Sse::message("resp-1", &format!("answer {i}")));
        harnesses.push(h);
    }
    let threads: Vec<_> = harnesses.iter().map(Harness::start_thread).collect();

    // Each turn runs in its own task: `Thread` and the future of `run` are `Send + 'static`.
    let tasks: Vec<_> = threads
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, thread)| {
            tokio::spawn(async move { run(&thread, &format!("question {i}")).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let turn = task.await.expect("the task does not panic");
        answers.push(turn.expect("every turn completes").final_response);
    }

    assert_eq!(answers, ["answer 0", "answer 1", "answer 2", "answer 3"]);
    let ids: std::collections::BTreeSet<String> = threads
        .iter()
        .map(|thread| thread.id().expect("a clone shares the id of its thread"))
        .collect();
    assert_eq!(ids.len(), 4, "four distinct threads");
    for (i, h) in harnesses.iter().enumerate() {
        let requests = h.mock.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].message_texts("user").last().cloned(),
            Some(format!("question {i}"))
        );
        h.assert_no_mock_problems();
    }
}
