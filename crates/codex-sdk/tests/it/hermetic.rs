//! The facade against the fake codex (no real codex, no model): collecting a replayed
//! transcript, and what a broken process turns into.

use std::path::PathBuf;

use codex_sdk::{Codex, CodexOptions, Error, ThreadOptions, Turn, TurnOptions, Usage};
use codex_testkit::fake_codex::{self, SCRIPT_ENV, Script};
use pretty_assertions::assert_eq;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{WAIT, items_json};

const KEY: &str = "sk-test-hermetic-0123456789SECRET";

/// Runs one turn of the fake codex playing `script`, with [`KEY`] as the API key.
async fn run_fake(script: &Script) -> (Result<Turn, Error>, Option<String>) {
    let dir = TempDir::new().expect("a temp dir");
    let script_path: PathBuf = script.write_to(dir.path()).expect("write the script");
    let codex = Codex::new(
        CodexOptions::new()
            .codex_path(fake_codex::locate("sdk-fake-codex"))
            .env([(SCRIPT_ENV, script_path)])
            .api_key(KEY),
    )
    .expect("the facade takes the fake");
    let thread = codex.start_thread(ThreadOptions::new());
    let result = tokio::time::timeout(WAIT, thread.run("say hi", TurnOptions::new()))
        .await
        .expect("the turn ends in time");
    (result, thread.id())
}

#[tokio::test]
async fn run_collects_a_replayed_transcript() {
    let script = Script::new().fixture(fake_codex::exec_fixture("b-reasoning.jsonl"));

    let (result, id) = run_fake(&script).await;

    let turn = result.expect("the transcript completes");
    assert_eq!(
        items_json(&turn),
        json!([
            {"id": "item_0", "type": "reasoning", "text": "**Planning a greeting**\n\nThe user wants a greeting.\n**Choosing words**\n\nKeep it short."},
            {"id": "item_1", "type": "agent_message", "text": "Hi there!"},
        ])
    );
    assert_eq!(turn.final_response, "Hi there!");
    assert_eq!(
        turn.usage,
        Some(Usage {
            input_tokens: 120,
            cached_input_tokens: 20,
            cache_write_input_tokens: 0,
            output_tokens: 30,
            reasoning_output_tokens: 8,
            model_context_window: None,
            extra: serde_json::Map::new(),
        })
    );
    assert_eq!(id.as_deref(), Some("01a1fd14-d961-7f40-a2ce-0a19d514a2e6"));
}

#[tokio::test]
async fn a_clean_exit_without_turn_completed_is_transport_closed() {
    let script = Script::new()
        .line(r#"{"type":"thread.started","thread_id":"t-1"}"#)
        .line(r#"{"type":"turn.started"}"#)
        .line(r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"partial"}}"#);

    let (result, id) = run_fake(&script).await;

    let error = result.expect_err("no turn.completed");
    assert!(matches!(error, Error::TransportClosed), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(id.as_deref(), Some("t-1"));
}

#[tokio::test]
async fn a_non_zero_exit_is_process_exit_with_a_redacted_stderr_tail() {
    let script = Script::new()
        .line(r#"{"type":"thread.started","thread_id":"t-1"}"#)
        .stderr(format!(
            "Reading prompt from stdin...\nError: login rejected for key {KEY}\n"
        ))
        .exit(2);

    let (result, _) = run_fake(&script).await;

    let error = result.expect_err("codex exited with 2");
    let Error::ProcessExit {
        code,
        signal,
        stderr_tail,
        ..
    } = &error
    else {
        panic!("expected ProcessExit, got {error:?}");
    };
    assert_eq!((*code, *signal), (Some(2), None));
    assert_eq!(
        stderr_tail,
        "Reading prompt from stdin...\nError: login rejected for key [REDACTED]\n"
    );
    assert_eq!(error.stderr_tail(), Some(stderr_tail.as_str()));
    // F7: the first line says what went wrong, from codex's last stderr line.
    assert_eq!(
        error.to_string(),
        "codex exited with code 2: Error: login rejected for key [REDACTED]"
    );
    crate::support::assert_no_secret(&error, KEY);
    crate::support::assert_no_secret(&error, "SECRET");
}
