//! Threads continue: a second turn on the same `Thread`, and a thread resumed by id, both send
//! the earlier turns' history.

use codex_agent_testkit::sse::Sse;
use pretty_assertions::assert_eq;

use crate::support::{Harness, run};

#[tokio::test]
async fn later_turns_carry_the_history() {
    let h = Harness::new().await;
    h.mock.push_all([
        Sse::message("resp-1", "I will remember banana."),
        Sse::message("resp-2", "The word was banana."),
        Sse::message("resp-3", "Still banana."),
    ]);
    let thread = h.start_thread();

    let first = run(&thread, "remember the word banana")
        .await
        .expect("first turn");
    assert_eq!(first.final_response, "I will remember banana.");
    let id = thread.id().expect("the first turn set the id");

    let second = run(&thread, "what was the word?")
        .await
        .expect("second turn on the same Thread");
    assert_eq!(second.final_response, "The word was banana.");
    assert_eq!(thread.id().as_deref(), Some(id.as_str()), "same thread");

    let resumed = h.codex.resume_thread(&id, h.thread_options());
    assert_eq!(resumed.id().as_deref(), Some(id.as_str()));
    let third = run(&resumed, "and now?")
        .await
        .expect("turn on the resumed thread");
    assert_eq!(third.final_response, "Still banana.");

    let requests = h.mock.requests();
    assert_eq!(requests.len(), 3);
    let last_user = |i: usize| requests[i].message_texts("user").last().cloned();
    assert_eq!(last_user(0).as_deref(), Some("remember the word banana"));
    assert_eq!(requests[0].message_texts("assistant"), Vec::<String>::new());
    assert_eq!(last_user(1).as_deref(), Some("what was the word?"));
    assert_eq!(
        requests[1].message_texts("assistant"),
        ["I will remember banana."]
    );
    assert_eq!(last_user(2).as_deref(), Some("and now?"));
    assert_eq!(
        requests[2].message_texts("assistant"),
        ["I will remember banana.", "The word was banana."]
    );
    for request in &requests {
        assert_eq!(request.header("thread-id"), Some(id.as_str()));
    }
    h.assert_no_mock_problems();
}
