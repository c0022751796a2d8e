//! The facade against the fake codex (no real codex, no model): collecting a replayed
//! transcript, and what a broken process turns into.

use std::path::PathBuf;

use codex_agent_sdk::{Codex, CodexOptions, Error, ThreadOptions, Turn, TurnOptions};
use codex_agent_testkit::fake_codex::{self, SCRIPT_ENV, Script};
use pretty_assertions::assert_eq;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{WAIT, items_json};

const KEY: &str = "sk-test-hermetic-0123456789SECRET";

/// A `Codex` on the fake codex playing `script`, with [`KEY`] as the API key; keep the
/// directory alive while it runs.
fn fake(script: &Script) -> (Codex, TempDir) {
    let dir = TempDir::new().expect("a temp dir");
    let script_path: PathBuf = script.write_to(dir.path()).expect("write the script");
    let codex = Codex::new(
        CodexOptions::new()
            .codex_path(fake_codex::locate("sdk-fake-codex"))
            .env([(SCRIPT_ENV, script_path)])
            .api_key(KEY),
    )
    .expect("the facade takes the fake");
    (codex, dir)
}

/// Runs one turn of the fake codex playing `script`, with [`KEY`] as the API key.
async fn run_fake(script: &Script) -> (Result<Turn, Error>, Option<String>) {
    let (codex, _dir) = fake(script);
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
        serde_json::to_value(&turn.usage).expect("usage serializes"),
        json!({"input_tokens": 120, "cached_input_tokens": 20, "cache_write_input_tokens": 0, "output_tokens": 30, "reasoning_output_tokens": 8})
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
    let Error::ProcessExit { code, signal, .. } = &error else {
        panic!("expected ProcessExit, got {error:?}");
    };
    assert_eq!((*code, *signal), (Some(2), None));
    assert_eq!(
        error.stderr_tail(),
        Some("Reading prompt from stdin...\nError: login rejected for key [REDACTED]\n")
    );
    // The tail is held once: `Debug` of the error does not repeat it.
    assert_eq!(format!("{error:?}").matches("login rejected").count(), 1);
    // F7: the first line says what went wrong, from codex's last stderr line.
    assert_eq!(
        error.to_string(),
        "codex exited with code 2: Error: login rejected for key [REDACTED]"
    );
    crate::support::assert_no_secret(&error, KEY);
    crate::support::assert_no_secret(&error, "SECRET");
}

/// One turn of the fake codex playing `script`, streamed: every item, errors included.
async fn stream_fake(script: &Script) -> Vec<Result<codex_agent_sdk::ThreadEvent, Error>> {
    use futures::StreamExt as _;
    let (codex, _dir) = fake(script);
    let thread = codex.start_thread(ThreadOptions::new());
    let stream = thread
        .run_streamed("say hi", TurnOptions::new())
        .await
        .expect("the turn starts");
    tokio::time::timeout(WAIT, stream.collect::<Vec<_>>())
        .await
        .expect("the turn ends in time")
}

const STARTED: &str = r#"{"type":"thread.started","thread_id":"t-1"}"#;
const TURN_STARTED: &str = r#"{"type":"turn.started"}"#;
const COMPLETED: &str = r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1,"reasoning_output_tokens":0}}"#;

/// R4: codex exec writes `turn.failed` and exits 1; the stream yields the event and ends,
/// as on the app-server, instead of a second `Err(ProcessExit)`.
#[tokio::test]
async fn a_failed_turn_ends_the_stream_once() {
    let script = Script::new()
        .line(STARTED)
        .line(TURN_STARTED)
        .line(r#"{"type":"turn.failed","error":{"message":"boom"}}"#)
        .stderr("Error: boom\n")
        .exit(1);
    let events = stream_fake(&script).await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(Result::is_ok), "{events:?}");
    assert!(matches!(
        events.last(),
        Some(Ok(codex_agent_sdk::ThreadEvent::TurnFailed(_)))
    ));
    let (result, _) = run_fake(&script).await;
    assert!(
        matches!(&result, Err(Error::TurnFailed { message, .. }) if message == "boom"),
        "{result:?}"
    );
}

/// R6 and S3: a line that is not an event does not end `run()`; it is reported in
/// `Turn::skipped`, and neither the report nor the streamed error shows the key it held.
#[tokio::test]
async fn run_carries_on_past_an_invalid_line_and_reports_it_redacted() {
    let script = Script::new()
        .line(STARTED)
        .line(TURN_STARTED)
        .line(format!("not json, key {KEY} Bearer abc.def"))
        .line(r#"{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"still here"}}"#)
        .line(COMPLETED);
    let (result, _) = run_fake(&script).await;
    let turn = result.expect("the turn completes despite the bad line");
    assert_eq!(turn.final_response, "still here");
    assert_eq!(turn.skipped.len(), 1, "{:?}", turn.skipped);
    assert_eq!(turn.skipped[0].line, Some(3));
    let shown = format!("{:?}", turn.skipped);
    assert!(
        !shown.contains(KEY) && !shown.contains("abc.def"),
        "{shown}"
    );

    let events = stream_fake(&script).await;
    let errors: Vec<&Error> = events.iter().filter_map(|e| e.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{events:?}");
    assert!(matches!(errors[0], Error::Protocol(_)), "{errors:?}");
    crate::support::assert_no_secret(errors[0], KEY);
    crate::support::assert_no_secret(errors[0], "abc.def");
}

/// S5: an option a transport cannot honour is refused, never dropped: base instructions on
/// exec, and an approval handler given answers exec cannot ask for (file changes) on exec (a
/// handler's command answers are honoured there through a `PreToolUse` hook: see `hooks.rs`).
#[tokio::test]
async fn options_a_transport_cannot_honour_are_unsupported() {
    let codex = Codex::new(CodexOptions::new().codex_path(fake_codex::locate("sdk-fake-codex")))
        .expect("the facade takes the fake");
    let base = codex.start_thread(ThreadOptions::new().base_instructions("terse"));
    let error = base
        .run("hi", TurnOptions::new())
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");

    let handlers = codex_agent_sdk::approval::ApprovalHandlers::new()
        .on_command(|_| async { codex_agent_sdk::approval::ApprovalDecision::Accept })
        .on_file_change(|_| async { codex_agent_sdk::approval::ApprovalDecision::Accept });
    let error = codex
        .start_thread(ThreadOptions::new().approval_handler(handlers))
        .run("edit x", TurnOptions::new())
        .await
        .expect_err("refused before starting");
    assert!(
        matches!(
            error,
            Error::Unsupported {
                transport: codex_agent_sdk::Transport::Exec,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "asking an approval handler about file changes is not supported by the exec transport"
    );
}

/// F1 and F8: a `String` prompt by reference; a thread's `Debug` does not dump its `Codex`.
#[tokio::test]
async fn a_string_prompt_by_reference_and_a_short_thread_debug() {
    let script = Script::new().fixture(fake_codex::exec_fixture("b-reasoning.jsonl"));
    let (codex, _dir) = fake(&script);
    let thread = codex.start_thread(ThreadOptions::new());
    let prompt = String::from("say hi");
    let turn = tokio::time::timeout(WAIT, thread.run(&prompt, TurnOptions::new()))
        .await
        .expect("in time")
        .expect("the turn completes");
    assert_eq!(turn.final_response, "Hi there!");
    let debug = format!("{thread:?}");
    assert!(!debug.contains("binary"), "{debug}");
    assert!(debug.starts_with("Thread { id: Some("), "{debug}");
}

/// F3: every type a public signature or an error variant mentions is nameable from
/// `codex_agent_sdk`, so a user never adds a second dependency to name one.
#[test]
fn the_facade_names_its_own_types() {
    fn named<T>() -> &'static str {
        std::any::type_name::<T>()
    }
    let names = [
        named::<codex_agent_sdk::ItemEvent>(),
        named::<codex_agent_sdk::TurnFailed>(),
        named::<codex_agent_sdk::StreamError>(),
        named::<codex_agent_sdk::BinarySource>(),
        named::<codex_agent_sdk::Secret>(),
        named::<codex_agent_sdk::TimeoutKind>(),
        named::<codex_agent_sdk::SkippedLine>(),
        named::<codex_agent_sdk::JsonTurn<()>>(),
        named::<codex_agent_sdk::structured::SchemaIssue>(),
        named::<codex_agent_sdk::exec::Error>(),
        named::<codex_agent_sdk::exec::ErrorCategory>(),
        named::<codex_agent_sdk::protocol::ParseError>(),
        named::<codex_agent_sdk::protocol::exec::ItemStatus>(),
        named::<codex_agent_sdk::protocol::projection::TurnProjection>(),
        named::<codex_agent_sdk::protocol::app_server::CodexErrorInfo>(),
        named::<codex_agent_sdk::approval::ApprovalRequest>(),
        named::<codex_agent_sdk::tools::Tool>(),
        named::<codex_agent_sdk::registry::ToolRegistry>(),
        named::<codex_agent_sdk::registry::RegistrationError>(),
    ];
    assert!(names.iter().all(|name| !name.is_empty()));
    // The payload of `Error::Protocol` is codex-agent-exec's error, and it can be matched on.
    let error = Error::Protocol(codex_agent_sdk::exec::Error::LineTooLong { line: 1, limit: 2 });
    assert!(matches!(
        error,
        Error::Protocol(codex_agent_sdk::exec::Error::LineTooLong { .. })
    ));
}

/// A missing local image is refused before the turn starts (codex would only tell the model
/// it could not read it), and a missing explicit binary at `Codex::new`, not at the first turn.
#[tokio::test]
async fn missing_files_are_refused_up_front() {
    let script = Script::new().fixture(fake_codex::exec_fixture("b-reasoning.jsonl"));
    let (codex, _dir) = fake(&script);
    let input = vec![
        codex_agent_sdk::UserInput::Text("what is this?".to_owned()),
        codex_agent_sdk::UserInput::LocalImage("/does/not/exist.png".into()),
    ];
    let error = codex
        .start_thread(ThreadOptions::new())
        .run(input, TurnOptions::new())
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::InvalidOptions(_)), "{error:?}");
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(
        cause.as_deref(),
        Some("the image `/does/not/exist.png` is not a file")
    );
    // A working directory that is not there: refused before codex starts, on exec and on a
    // local app-server alike.
    let app_server = Codex::new(
        CodexOptions::new()
            .codex_path(fake_codex::locate("sdk-fake-codex"))
            .transport(codex_agent_sdk::Transport::AppServer),
    )
    .expect("nothing starts yet");
    for codex in [&codex, &app_server] {
        let error = codex
            .start_thread(ThreadOptions::new().working_directory("/does/not/exist/dir"))
            .run("hi", TurnOptions::new())
            .await
            .expect_err("refused");
        assert!(matches!(error, Error::InvalidOptions(_)), "{error:?}");
        assert_eq!(
            std::error::Error::source(&error)
                .map(ToString::to_string)
                .as_deref(),
            Some("the working directory `/does/not/exist/dir` is not a directory")
        );
    }

    let error = Codex::new(CodexOptions::new().codex_path("/does/not/exist/codex"))
        .expect_err("no such binary");
    assert!(
        matches!(&error, Error::InvalidCodexPath { path, setting: "`CodexOptions::codex_path`", problem: "does not exist", inside: None } if path == std::path::Path::new("/does/not/exist/codex")),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`CodexOptions::codex_path` names `/does/not/exist/codex`, which does not exist: it must name the codex executable"
    );
    let folder = tempfile::tempdir().expect("temp dir");
    let error = Codex::new(CodexOptions::new().codex_path(folder.path()))
        .expect_err("a folder is no binary");
    assert!(
        matches!(
            &error,
            Error::InvalidCodexPath {
                problem: "is a directory",
                ..
            }
        ),
        "{error:?}"
    );
}
