//! The mock Responses API server, driven by a raw HTTP client.

use std::time::{Duration, Instant};

use codex_agent_testkit::Error;
use codex_agent_testkit::mock_server::{Gate, MockResponse, MockServer};
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::http::{self, Exchange, WAIT};

/// How long a held stream must stay silent for the test to call it held.
const QUIET: Duration = Duration::from_millis(200);

async fn start() -> MockServer {
    MockServer::start().await.expect("start the mock server")
}

#[tokio::test]
async fn url_is_the_loopback_v1_base() {
    let mock = start().await;
    assert!(mock.addr().ip().is_loopback());
    assert_eq!(
        mock.url(),
        format!("http://127.0.0.1:{}/v1", mock.addr().port())
    );
}

#[tokio::test]
async fn responses_are_served_in_queue_order_as_sse() {
    let mock = start().await;
    let bodies = [
        Sse::message("resp-1", "first"),
        Sse::reply("resp-2", [sse::exec_command("call-1", "echo hi")]),
        Sse::from_events(sse::assistant_message_streamed("msg-3", &["a", "b"])),
    ];
    mock.push_all(bodies.clone());
    assert_eq!(mock.remaining(), 3);

    for body in &bodies {
        let response = http::post_responses(mock.addr()).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("text/event-stream"));
        assert!(response.complete);
        assert_eq!(response.body, body.render());
    }
    assert_eq!(mock.remaining(), 0);
    assert_eq!(mock.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn sse_framing_is_event_line_data_line_blank_line() {
    let mock = start().await;
    mock.push(Sse::message("resp-1", "Hi there!"));
    let response = http::post_responses(mock.addr()).await;

    let blocks: Vec<&str> = response
        .body
        .strip_suffix("\n\n")
        .expect("the body ends with a blank line")
        .split("\n\n")
        .collect();
    let mut types = Vec::new();
    for block in blocks {
        let (event, data) = block.split_once('\n').expect("two lines per event");
        let event = event.strip_prefix("event: ").expect("an event line");
        let data: Value =
            serde_json::from_str(data.strip_prefix("data: ").expect("a data line")).expect("JSON");
        assert_eq!(data["type"], json!(event));
        types.push(event.to_owned());
    }
    assert_eq!(
        types,
        [
            "response.created",
            "response.output_item.done",
            "response.completed"
        ]
    );
}

#[tokio::test]
async fn http_errors_carry_status_and_json_body() {
    let mock = start().await;
    mock.push_all([
        MockResponse::invalid_api_key(),
        MockResponse::insufficient_quota(),
        MockResponse::server_error().header("retry-after", "0"),
    ]);
    for (status, code) in [
        (401, "invalid_api_key"),
        (429, "insufficient_quota"),
        (500, "server_error"),
    ] {
        let response = http::post_responses(mock.addr()).await;
        assert_eq!(response.status, status);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_str(&response.body).expect("a JSON body");
        assert_eq!(body["error"]["code"], json!(code));
        if status == 500 {
            assert_eq!(response.header("retry-after"), Some("0"));
        }
    }
}

#[tokio::test]
async fn a_gate_holds_the_stream_until_released() {
    let mock = start().await;
    let gate = Gate::new();
    mock.push(MockResponse::sse(Sse::message("resp-1", "after the gate")).hold_after(1, &gate));

    let mut exchange = Exchange::send(mock.addr(), "POST", "/v1/responses", &[], "{}").await;
    gate.wait_reached(WAIT)
        .await
        .expect("the stream reaches the gate");
    exchange
        .read_until_contains("event: response.created")
        .await;
    assert!(
        !exchange.receives_within(QUIET).await,
        "nothing may follow while the gate is closed"
    );
    assert!(!gate.is_released());

    gate.release();
    let response = exchange.finish().await;
    assert!(response.complete);
    assert_eq!(
        response.body,
        Sse::message("resp-1", "after the gate").render()
    );
}

#[tokio::test]
async fn an_error_response_waits_for_its_gate() {
    let mock = start().await;
    let gate = Gate::new();
    mock.push(MockResponse::server_error().hold_after(0, &gate));

    let mut exchange = Exchange::send(mock.addr(), "POST", "/v1/responses", &[], "{}").await;
    gate.wait_reached(WAIT)
        .await
        .expect("the response reaches the gate");
    assert!(!exchange.receives_within(QUIET).await);
    gate.release();
    assert_eq!(exchange.finish().await.status, 500);
}

#[tokio::test]
async fn a_cut_off_stream_ends_without_the_final_chunk() {
    let mock = start().await;
    let body = Sse::message("resp-1", "never completed");
    mock.push(MockResponse::sse(body.clone()).cut_off_after(2));

    let response = http::post_responses(mock.addr()).await;
    assert_eq!(response.status, 200);
    assert!(!response.complete, "a cut stream has no terminating chunk");
    let first_two: String = body.events()[..2]
        .iter()
        .map(sse::SseEvent::render)
        .collect();
    assert_eq!(response.body, first_two);
    assert!(!response.body.contains("response.completed"));
}

#[tokio::test]
async fn an_empty_queue_answers_409_and_records_the_problem() {
    let mock = start().await;
    mock.push(Sse::message("resp-1", "only one"));
    assert_eq!(http::post_responses(mock.addr()).await.status, 200);

    let response = http::post_responses(mock.addr()).await;
    assert_eq!(response.status, 409);
    let body: Value = serde_json::from_str(&response.body).expect("a JSON body");
    assert_eq!(body["error"]["code"], json!("mock_queue_empty"));
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains("request #2"), "{message}");
    assert!(message.contains("queue is empty"), "{message}");
    let problems = mock.problems();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("queue is empty"));
}

#[tokio::test]
async fn repeat_forever_answers_every_request_after_the_queue() {
    let mock = start().await;
    mock.push(Sse::message("resp-1", "queued"));
    mock.repeat_forever(MockResponse::server_error());
    assert_eq!(http::post_responses(mock.addr()).await.status, 200);
    for _ in 0..3 {
        assert_eq!(http::post_responses(mock.addr()).await.status, 500);
    }
    assert_eq!(mock.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn a_delay_postpones_the_response() {
    let mock = start().await;
    let delay = Duration::from_millis(150);
    mock.push(MockResponse::sse(Sse::message("resp-1", "late")).delay(delay));
    let started = Instant::now();
    let response = http::post_responses(mock.addr()).await;
    assert!(started.elapsed() >= delay);
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn models_is_an_empty_list_and_unknown_routes_are_problems() {
    let mock = start().await;
    let models = http::request(mock.addr(), "GET", "/v1/models", &[], "").await;
    assert_eq!(models.status, 200);
    let body: Value = serde_json::from_str(&models.body).expect("a JSON body");
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["models"], json!([]));
    assert_eq!(mock.problems(), Vec::<String>::new());

    let other = http::request(mock.addr(), "POST", "/v1/chat/completions", &[], "{}").await;
    assert_eq!(other.status, 404);
    assert_eq!(mock.problems(), ["no route for POST /v1/chat/completions"]);
}

#[tokio::test]
async fn requests_are_captured_with_headers_and_json() {
    let mock = start().await;
    mock.push_all([Sse::message("r1", "one"), Sse::message("r2", "two")]);
    let body = json!({
        "model": "gpt-5.5",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say hi"}]},
            {"type": "function_call_output", "call_id": "call-1", "output": "Output:\nhello\n"},
            {"type": "custom_tool_call_output", "call_id": "patch-1", "output": "Success."},
        ],
        "text": {"format": {"type": "json_schema", "strict": true, "name": "codex_output_schema", "schema": {}}},
    });
    http::request(
        mock.addr(),
        "POST",
        "/v1/responses?trace=1",
        &[("originator", "codex_exec")],
        "{}",
    )
    .await;
    http::request(
        mock.addr(),
        "POST",
        "/v1/responses",
        &[("Authorization", "Bearer k")],
        &body.to_string(),
    )
    .await;

    let requests = mock.wait_for_requests(2, WAIT).await.expect("two requests");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method(), "POST");
    assert_eq!(requests[0].path(), "/v1/responses");
    assert_eq!(requests[0].query(), Some("trace=1"));
    assert_eq!(requests[0].header("Originator"), Some("codex_exec"));
    assert!(requests[0].input().is_empty());

    let last = mock.last_request().expect("a last request");
    assert_eq!(last.header("authorization"), Some("Bearer k"));
    assert_eq!(last.json(), Some(&body));
    assert_eq!(last.model(), Some("gpt-5.5"));
    assert_eq!(last.message_texts("user"), ["say hi"]);
    assert_eq!(
        last.function_call_output("call-1").as_deref(),
        Some("Output:\nhello\n")
    );
    assert_eq!(
        last.custom_tool_call_output("patch-1").as_deref(),
        Some("Success.")
    );
    assert_eq!(
        last.text_format().and_then(|f| f.get("name")),
        Some(&json!("codex_output_schema"))
    );
    assert!(!last.has_image_input());
}

#[tokio::test]
async fn waiting_for_too_many_requests_times_out() {
    let mock = start().await;
    let waited = mock.wait_for_requests(1, Duration::from_millis(50)).await;
    let Err(Error::Timeout { what, .. }) = waited else {
        panic!("expected a timeout, got {waited:?}");
    };
    assert_eq!(what, "1 requests to the mock server (got 0)");
}

#[tokio::test]
async fn shutdown_closes_the_listener_and_held_streams() {
    let mock = start().await;
    let gate = Gate::new();
    mock.push(MockResponse::sse(Sse::message("r1", "held")).hold_after(1, &gate));
    let addr = mock.addr();
    let exchange = Exchange::send(addr, "POST", "/v1/responses", &[], "{}").await;
    gate.wait_reached(WAIT)
        .await
        .expect("the stream reaches the gate");

    mock.shutdown().await;
    let held = exchange.finish().await;
    assert!(!held.complete, "the held stream is dropped, not finished");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
