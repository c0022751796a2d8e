//! Stopping turns: dropping the stream kills codex and the command it runs; time limits and
//! cancel handles end the turn with their own errors.

use std::time::Duration;

use codex_sdk::{CancelHandle, Error, ItemDetails, ThreadEvent, TimeoutKind, TurnOptions};
use codex_testkit::mock_server::{Gate, MockResponse};
use codex_testkit::process_watch::{self, ProcessState};
use codex_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{Harness, WAIT, next_event, run_with};

/// A model reply that sends `response.created`, then waits for `gate` (never released).
fn held(gate: &Gate) -> MockResponse {
    MockResponse::sse(Sse::message("resp-1", "too late")).hold_after(1, gate)
}

#[tokio::test]
async fn dropping_the_stream_kills_codex_and_its_command() {
    let h = Harness::new().await;
    // codex runs commands in a sandbox with its own pid namespace, so `$$` would not be a pid
    // of ours: the command is found by its unique argv instead.
    let duration = unique_sleep_duration();
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::function_call(
            "call-1",
            "exec_command",
            &json!({"cmd": format!("exec sleep {duration}"), "yield_time_ms": 60_000}),
        )],
    ));
    let gate = Gate::new();
    h.mock
        .push(MockResponse::sse(Sse::message("resp-2", "never")).hold_after(0, &gate));

    let thread = h.start_thread();
    let mut stream = thread
        .run_streamed("sleep for a while", TurnOptions::new())
        .await
        .expect("codex starts");
    let codex_pid = stream.pid().expect("codex runs");
    loop {
        let event = next_event(&mut stream)
            .await
            .expect("the turn goes on until the command starts")
            .expect("no error before the command starts");
        if let ThreadEvent::ItemStarted(started) = &event
            && matches!(started.item.details, ItemDetails::CommandExecution(_))
        {
            break;
        }
    }
    let sleep_pid = wait_for_process(&["sleep", &duration]).await;

    drop(stream);

    assert_eq!(
        process_watch::wait_gone(codex_pid, WAIT).await,
        ProcessState::Gone,
        "codex (pid {codex_pid}) is reaped"
    );
    let sleep_state = process_watch::wait_dead(sleep_pid, WAIT).await;
    assert!(
        sleep_state.is_dead(),
        "the command (pid {sleep_pid}) is still {sleep_state:?}"
    );
    assert!(
        !gate.is_reached(),
        "the model never got the command's output"
    );
}

/// A `sleep` argument of about 30 seconds that no other process on the machine uses.
fn unique_sleep_duration() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .subsec_nanos();
    format!("30.{}{nanos:09}", std::process::id())
}

/// Waits (bounded) until a process runs with exactly `argv` and returns its pid.
async fn wait_for_process(argv: &[&str]) -> u32 {
    let wanted: Vec<u8> = argv
        .iter()
        .flat_map(|arg| [arg.as_bytes(), b"\0"].concat())
        .collect();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = std::fs::read_dir("/proc")
            .expect("/proc is readable")
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted));
        if let Some(pid) = found {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no process {argv:?} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_turn_timeout_is_timeout() {
    let h = Harness::new().await;
    let gate = Gate::new();
    h.mock.push(held(&gate));
    let limit = Duration::from_secs(1);

    let thread = h.start_thread();
    let mut stream = thread
        .run_streamed("say hi", TurnOptions::new().turn_timeout(limit))
        .await
        .expect("codex starts");
    let pid = stream.pid().expect("codex runs");
    let error = loop {
        match next_event(&mut stream).await {
            Some(Ok(_)) => {}
            Some(Err(error)) => break error,
            None => panic!("the stream ended without an error"),
        }
    };

    let Error::Timeout { limit: hit, kind } = &error else {
        panic!("expected Timeout, got {error:?}");
    };
    assert_eq!(*hit, limit);
    assert_eq!(*kind, TimeoutKind::Turn);
    assert_eq!(error.to_string(), "the turn's time limit of 1s was hit");
    assert!(
        gate.is_reached(),
        "the time ran out while the model was held"
    );
    assert_eq!(next_event(&mut stream).await.map(|r| r.is_ok()), None);
    assert_eq!(
        process_watch::wait_gone(pid, WAIT).await,
        ProcessState::Gone
    );
}

#[tokio::test]
async fn the_idle_timeout_is_timeout() {
    let h = Harness::new().await;
    let gate = Gate::new();
    h.mock.push(held(&gate));
    let limit = Duration::from_millis(1500);

    let error = run_with(
        &h.start_thread(),
        "say hi",
        TurnOptions::new().idle_timeout(limit),
    )
    .await
    .expect_err("codex goes quiet while the model is held");

    let Error::Timeout { limit: hit, kind } = &error else {
        panic!("expected Timeout, got {error:?}");
    };
    assert_eq!(*hit, limit);
    assert_eq!(*kind, TimeoutKind::Idle);
    assert_eq!(error.to_string(), "the idle time limit of 1.500s was hit");
    // No fabricated source: the facade's error is the whole story.
    assert!(std::error::Error::source(&error).is_none());
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_fired_cancel_handle_is_cancelled() {
    let h = Harness::new().await;
    let gate = Gate::new();
    h.mock.push(held(&gate));
    let handle = CancelHandle::new();

    let thread = h.start_thread();
    let turn = run_with(
        &thread,
        "say hi",
        TurnOptions::new().cancel_handle(handle.clone()),
    );
    let cancel = async {
        gate.wait_reached(WAIT)
            .await
            .expect("the model request arrives");
        handle.cancel();
    };
    let (result, ()) = tokio::join!(turn, cancel);

    let error = result.expect_err("cancelled");
    assert!(matches!(error, Error::Cancelled), "{error:?}");
    assert_eq!(error.to_string(), "the turn was cancelled");
    assert!(!error.is_retryable());
}
