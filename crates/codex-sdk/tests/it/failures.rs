//! Failed turns: model failures and HTTP errors become typed errors, without the API key.

use codex_agent_sdk::Error;
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::{MockResponse, openai_error};
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;

use crate::support::{Harness, assert_no_secret, codex_env, run};

#[tokio::test]
async fn response_failed_is_turn_failed_with_codex_message() {
    let h = Harness::new().await;
    h.mock.push(Sse::from_events([
        sse::response_created("resp-1"),
        sse::response_failed("resp-1", "invalid_prompt", "Invalid prompt: flagged"),
    ]));

    let error = run(&h.start_thread(), "say hi")
        .await
        .expect_err("the model failed");

    let Error::TurnFailed { message, .. } = &error else {
        panic!("expected TurnFailed, got {error:?}");
    };
    assert_eq!(message, "Invalid prompt: flagged");
    assert_eq!(error.to_string(), "turn failed: Invalid prompt: flagged");
    assert!(!error.is_retryable());
    assert_eq!(h.mock.requests().len(), 1);
}

#[tokio::test]
async fn http_401_fails_the_turn_without_revealing_the_key() {
    const KEY: &str = "sk-test-secret-0123456789abcdefghij";
    // The mock provider reads its key from its own variable: give it the secret the facade
    // also passes as CODEX_API_KEY, so that the secret really goes over the wire.
    let h = Harness::with(CodexHomeOptions::default(), |options, home| {
        let env = codex_env(home).into_iter().map(|(name, value)| {
            if name == CodexHome::API_KEY_VAR {
                (name, KEY.into())
            } else {
                (name, value)
            }
        });
        options.env(env).api_key(KEY)
    })
    .await;
    // Like the real API, the mock quotes the rejected key in its message.
    h.mock.repeat_forever(MockResponse::error(
        401,
        openai_error(
            &format!("Incorrect API key provided: {KEY}."),
            "invalid_request_error",
            "invalid_api_key",
        ),
    ));

    let error = run(&h.start_thread(), "say hi")
        .await
        .expect_err("unauthorized");

    let requests = h.mock.requests();
    assert_eq!(requests.len(), 1, "zero retries: one request");
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let Error::TurnFailed { message, .. } = &error else {
        panic!("expected TurnFailed, got {error:?}");
    };
    assert_eq!(
        message,
        &format!(
            "unexpected status 401 Unauthorized: Incorrect API key provided: [REDACTED]., url: {}/responses",
            h.mock.url()
        )
    );
    assert_no_secret(&error, KEY);
}
