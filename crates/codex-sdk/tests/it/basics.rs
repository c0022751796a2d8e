//! Plain turns: the collected [`Turn`](codex_agent_sdk::Turn), the thread id and what the model
//! server sees.

use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{Harness, items_json, run};

#[tokio::test]
async fn a_plain_message_is_the_final_response() {
    let h = Harness::new().await;
    h.mock.push(Sse::reply_with_usage(
        "resp-1",
        [sse::assistant_message("msg-1", "Hi there!")],
        &sse::Usage::new(42, 5).cached(12).reasoning(3),
    ));
    let thread = h.start_thread();
    assert_eq!(thread.id(), None, "no id before the first turn");

    let turn = run(&thread, "say hi").await.expect("the turn completes");

    assert_eq!(
        items_json(&turn),
        json!([{"id": "item_0", "type": "agent_message", "text": "Hi there!"}])
    );
    assert_eq!(turn.final_response, "Hi there!");
    assert_eq!(
        serde_json::to_value(&turn.usage).expect("usage serializes"),
        json!({"input_tokens": 42, "cached_input_tokens": 12, "cache_write_input_tokens": 0, "output_tokens": 5, "reasoning_output_tokens": 3})
    );

    let requests = h.mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.header("originator"), Some("codex_sdk_rs"));
    assert_eq!(
        request.message_texts("user").last().map(String::as_str),
        Some("say hi")
    );
    let id = thread.id().expect("thread.started set the id");
    assert_eq!(request.header("thread-id"), Some(id.as_str()));
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn reasoning_comes_before_the_message() {
    let h = Harness::new().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [
            sse::reasoning("rs-1", &["**Thinking** about greeting", "then answering"]),
            sse::assistant_message("msg-1", "Hello."),
        ],
    ));

    let turn = run(&h.start_thread(), "say hi")
        .await
        .expect("the turn completes");

    assert_eq!(
        items_json(&turn),
        json!([
            {"id": "item_0", "type": "reasoning", "text": "**Thinking** about greeting\nthen answering"},
            {"id": "item_1", "type": "agent_message", "text": "Hello."},
        ])
    );
    assert_eq!(turn.final_response, "Hello.");
    h.assert_no_mock_problems();
}
