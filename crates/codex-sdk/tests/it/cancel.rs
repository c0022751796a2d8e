//! Stopping turns: dropping the stream kills codex and the command it runs; time limits and
//! cancel handles end the turn with their own errors. On the app-server transport, every way
//! of stopping a turn stops the command it runs, and the shared process lives on.

use std::time::Duration;

use codex_agent_sdk::{
    CancelHandle, Error, ItemDetails, ThreadEvent, TimeoutKind, Transport, TurnOptions, TurnStatus,
    TurnStream,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::{Gate, MockResponse};
use codex_agent_testkit::process_watch::{self, ProcessState};
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::json;
use tokio::time::Instant;

use crate::support::{Harness, WAIT, next_event, run, run_with};

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
    until_command_starts(&mut stream).await;
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

/// Reads events until a command item starts.
async fn until_command_starts(stream: &mut TurnStream) {
    loop {
        let event = next_event(stream)
            .await
            .expect("the turn goes on until the command starts")
            .expect("no error before the command starts");
        if let ThreadEvent::ItemStarted(started) = &event
            && matches!(started.item.details, ItemDetails::CommandExecution(_))
        {
            return;
        }
    }
}

/// How a test stops an app-server turn while the model's command runs.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Drop,
    CancelHandle,
    Interrupt,
    IdleTimeout,
}

/// How long the command of a stopped turn may outlive the stop.
const COMMAND_GONE_WITHIN: Duration = Duration::from_secs(3);

/// The idle limit of [`Stop::IdleTimeout`]: codex goes quiet while the command sleeps.
const IDLE: Duration = Duration::from_secs(2);

/// On the app-server transport: a first turn leaves a command running on purpose (codex
/// keeps it across turns); the second turn's command is stopped with `stop` while it runs.
/// The second command must be gone within [`COMMAND_GONE_WITHIN`], while the first one and
/// the shared app-server live on.
async fn check_app_server_stop(stop: Stop) {
    let h = Harness::with(CodexHomeOptions::default(), |options, _| {
        options.transport(Transport::AppServer)
    })
    .await;
    let (kept, stopped) = (unique_sleep_duration(), unique_sleep_duration());
    let sleep_call = |call_id: &str, duration: &str, yield_ms: u64| {
        sse::function_call(
            call_id,
            "exec_command",
            &json!({"cmd": format!("exec sleep {duration}"), "yield_time_ms": yield_ms}),
        )
    };
    h.mock
        .push(Sse::reply("resp-1", [sleep_call("call-kept", &kept, 500)]));
    h.mock
        .push(Sse::message("resp-2", "it runs in the background"));
    h.mock.push(Sse::reply(
        "resp-3",
        [sleep_call("call-stopped", &stopped, 60_000)],
    ));
    let gate = Gate::new();
    h.mock
        .push(MockResponse::sse(Sse::message("resp-4", "never")).hold_after(0, &gate));
    let thread = h.start_thread();
    run(&thread, "start a server")
        .await
        .expect("the first turn completes");
    let kept_pid = wait_for_process(&["sleep", &kept]).await;

    let cancel = CancelHandle::new();
    let mut options = TurnOptions::new().cancel_handle(cancel.clone());
    if let Stop::IdleTimeout = stop {
        options = options.idle_timeout(IDLE);
    }
    let mut stream = thread
        .run_streamed("sleep for a while", options)
        .await
        .expect("the turn starts");
    let server_pid = stream.pid().expect("the app-server runs");
    until_command_starts(&mut stream).await;
    let sleep_pid = wait_for_process(&["sleep", &stopped]).await;

    let (stopped_at, kept_stream) = stop_turn(stream, stop, &cancel).await;

    let state = process_watch::wait_dead(sleep_pid, COMMAND_GONE_WITHIN).await;
    assert!(
        state.is_dead(),
        "{stop:?}: the command (pid {sleep_pid}) is still {state:?} {:?} after the stop",
        stopped_at.elapsed()
    );
    assert_eq!(
        process_watch::state(kept_pid),
        ProcessState::Alive,
        "{stop:?}: the command an earlier turn left running is not the stopped turn's"
    );
    assert_eq!(
        process_watch::state(server_pid),
        ProcessState::Alive,
        "{stop:?}: the app-server is shared"
    );
    assert!(
        !gate.is_reached(),
        "the model never got the command's output"
    );
    drop(kept_stream);
}

/// Stops the turn of `stream` with `stop` and returns when it was stopped and the stream,
/// unless stopping it meant dropping it.
async fn stop_turn(
    mut stream: TurnStream,
    stop: Stop,
    cancel: &CancelHandle,
) -> (Instant, Option<TurnStream>) {
    let mut rest = Vec::new();
    match stop {
        Stop::Drop => {
            drop(stream);
            (Instant::now(), None)
        }
        Stop::CancelHandle => {
            cancel.cancel();
            let at = Instant::now();
            while let Some(event) = next_event(&mut stream).await {
                rest.push(event);
            }
            assert!(
                matches!(rest.last(), Some(Err(Error::Cancelled))),
                "{rest:#?}"
            );
            (at, Some(stream))
        }
        Stop::Interrupt => {
            stream.interrupt().await.expect("turn/interrupt succeeds");
            let at = Instant::now();
            while let Some(event) = next_event(&mut stream).await {
                rest.push(event);
            }
            assert!(
                matches!(rest.last(), Some(Ok(ThreadEvent::TurnCompleted(end)))
                    if end.status == Some(TurnStatus::Interrupted)),
                "{rest:#?}"
            );
            (at, Some(stream))
        }
        Stop::IdleTimeout => {
            while let Some(event) = next_event(&mut stream).await {
                let failed = event.is_err();
                rest.push(event);
                if failed {
                    break;
                }
            }
            assert!(
                matches!(rest.last(), Some(Err(Error::Timeout { limit, .. })) if *limit == IDLE),
                "{rest:#?}"
            );
            drop(stream);
            (Instant::now(), None)
        }
    }
}

#[tokio::test]
async fn dropping_an_app_server_stream_stops_its_command() {
    check_app_server_stop(Stop::Drop).await;
}

#[tokio::test]
async fn an_app_server_cancel_handle_stops_the_command() {
    check_app_server_stop(Stop::CancelHandle).await;
}

#[tokio::test]
async fn an_app_server_interrupt_stops_the_command() {
    check_app_server_stop(Stop::Interrupt).await;
}

#[tokio::test]
async fn an_app_server_idle_timeout_stops_the_command() {
    check_app_server_stop(Stop::IdleTimeout).await;
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
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = process_watch::find_by_argv(argv);
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
    // It would most likely run out again, repeating what it did: not retryable.
    assert!(!error.is_retryable());
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
