//! The facade over the app-server transport (`Transport::AppServer`): the real
//! `codex app-server` (each supported version) against the scripted mock model. Same `Turn`s
//! as the exec transport for the same work, plus deltas, approvals, dynamic tools, interrupt
//! and steer.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use codex_agent_protocol::exec::parse_event_strict;
use codex_agent_sdk::approval::{
    self, AlwaysAccept, ApprovalDecision, ApprovalFuture, ApprovalHandler, ApprovalRequest,
    CommandExecutionRequestApprovalParams, CommandPrefixPolicy,
};
use codex_agent_sdk::{
    ApprovalPolicy, CodexErrorInfo, CodexOptions, CommandExecutionStatus, Error, ItemDetails,
    SandboxMode, TextItemStatus, Thread, ThreadEvent, Transport, Turn, TurnOptions, TurnStatus,
    TurnStream,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::{Gate, MockResponse};
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::support::{Harness, WAIT, next_event, run, run_with};

/// A harness whose facade uses the app-server transport.
async fn harness() -> Harness {
    harness_with(CodexHomeOptions::default()).await
}

async fn harness_with(home: CodexHomeOptions) -> Harness {
    Harness::with(home, |options, _| options.transport(Transport::AppServer)).await
}

/// Every event of a stream until it ends, bounded by [`WAIT`].
async fn drain(stream: &mut TurnStream) -> Vec<Result<ThreadEvent, Error>> {
    let mut events = Vec::new();
    while let Some(event) = next_event(stream).await {
        events.push(event);
    }
    events
}

/// The items of a turn as wire JSON without their ids, which differ between the transports
/// (`item_0` for exec, the model's ids for the app-server).
fn items_without_ids(turn: &Turn) -> Value {
    turn.items
        .iter()
        .map(|item| {
            let mut value = serde_json::to_value(item).expect("items serialize");
            value.as_object_mut().expect("an object").remove("id");
            value
        })
        .collect()
}

#[tokio::test]
async fn a_plain_turn_has_the_same_shape_as_on_the_exec_transport() {
    let script = || {
        Sse::reply_with_usage(
            "resp-1",
            [
                sse::reasoning("rs-1", &["**Thinking** about greeting"]),
                sse::assistant_message("msg-1", "Hi there!"),
            ],
            &sse::Usage::new(42, 5).cached(12).reasoning(3),
        )
    };
    let exec = Harness::new().await;
    exec.mock.push(script());
    let app = harness().await;
    app.mock.push(script());

    let by_exec = run(&exec.start_thread(), "say hi")
        .await
        .expect("the exec turn completes");
    let by_app = run(&app.start_thread(), "say hi")
        .await
        .expect("the app-server turn completes");

    assert_eq!(items_without_ids(&by_app), items_without_ids(&by_exec));
    assert_eq!(
        items_without_ids(&by_app),
        json!([
            {"type": "reasoning", "text": "**Thinking** about greeting"},
            {"type": "agent_message", "text": "Hi there!"},
        ])
    );
    assert_eq!(by_app.final_response, by_exec.final_response);
    assert_eq!(by_app.status, TurnStatus::Completed);
    let mut app_usage = by_app.usage.expect("usage from thread/tokenUsage/updated");
    assert!(app_usage.model_context_window.is_some(), "{app_usage:?}");
    app_usage.model_context_window = None;
    assert_eq!(Some(app_usage), by_exec.usage);
    // The model sees the same prompt, and codex reports the facade's originator on both.
    let (exec_request, app_request) = (&exec.mock.requests()[0], &app.mock.requests()[0]);
    assert_eq!(
        app_request.message_texts("user").last(),
        exec_request.message_texts("user").last()
    );
    assert_eq!(app_request.header("originator"), Some("codex_sdk_rs"));
    exec.assert_no_mock_problems();
    app.assert_no_mock_problems();
}

#[tokio::test]
async fn the_output_schema_reaches_the_model_as_on_the_exec_transport() {
    let schema = json!({
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": false,
    });
    let exec = Harness::new().await;
    exec.mock.push(Sse::message("resp-1", r#"{"ok": true}"#));
    let app = harness().await;
    app.mock.push(Sse::message("resp-1", r#"{"ok": true}"#));

    let options = || TurnOptions::new().output_schema(schema.clone());
    let by_exec = run_with(&exec.start_thread(), "answer", options())
        .await
        .expect("the exec turn completes");
    let by_app = run_with(&app.start_thread(), "answer", options())
        .await
        .expect("the app-server turn completes");

    assert_eq!(by_app.final_response, by_exec.final_response);
    let app_format = app.mock.requests()[0].text_format().cloned();
    assert_eq!(app_format, exec.mock.requests()[0].text_format().cloned());
    assert_eq!(
        app_format.map(|format| format["schema"].clone()),
        Some(schema)
    );
    exec.assert_no_mock_problems();
    app.assert_no_mock_problems();
}

#[tokio::test]
async fn a_schema_that_is_not_an_object_is_refused_before_anything_is_sent() {
    let app = harness().await;
    let thread = app.start_thread();

    let error = run_with(
        &thread,
        "answer",
        TurnOptions::new().output_schema(json!([])),
    )
    .await
    .expect_err("a schema must be an object");

    assert!(
        matches!(
            &error,
            Error::InvalidOptions(codex_agent_sdk::exec::Error::OutputSchemaNotObject)
        ),
        "{error:?}"
    );
    assert_eq!(thread.id(), None, "no thread was started");
    assert!(app.mock.requests().is_empty());
}

#[tokio::test]
async fn two_turns_share_the_thread_history_and_one_process() {
    let h = harness().await;
    h.mock
        .push(Sse::message("resp-1", "The entry point is main.rs."));
    h.mock.push(Sse::message("resp-2", "It returns early."));
    let thread = h.start_thread();

    let mut first = thread
        .run_streamed("find the entry point", TurnOptions::new())
        .await
        .expect("the first turn starts");
    let first_pid = first.pid().expect("the app-server runs");
    let first_events = drain(&mut first).await;
    drop(first);
    let id = thread.id().expect("thread/start set the id");
    let mut second = thread
        .run_streamed("explain its errors", TurnOptions::new())
        .await
        .expect("the second turn starts");
    assert_eq!(second.pid(), Some(first_pid), "one app-server per Codex");
    let second_events = drain(&mut second).await;

    for events in [&first_events, &second_events] {
        let Some(Ok(ThreadEvent::ThreadStarted(started))) = events.first() else {
            panic!("every turn starts with thread.started: {events:?}");
        };
        assert_eq!(started.thread_id, id);
    }
    let requests = h.mock.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1]
            .message_texts("assistant")
            .contains(&"The entry point is main.rs.".to_owned()),
        "the second turn carries the first: {:?}",
        requests[1].message_texts("assistant")
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn deltas_stream_before_their_item_completes() {
    let h = harness().await;
    let mut events = sse::reasoning_streamed("rs-1", &["Plan"]);
    events.extend(sse::assistant_message_streamed(
        "msg-1",
        &["Paris ", "is ", "sunny."],
    ));
    h.mock.push(Sse::reply("resp-1", events));

    let mut stream = h
        .start_thread()
        .run_streamed("weather?", TurnOptions::new())
        .await
        .expect("the turn starts");
    let events: Vec<ThreadEvent> = drain(&mut stream)
        .await
        .into_iter()
        .map(|event| event.expect("no stream error"))
        .collect();

    let lines: Vec<String> = events.iter().map(ThreadEvent::to_json_line).collect();
    for line in &lines {
        // Every event, deltas included, is a line the strict parser takes back unchanged.
        let parsed = parse_event_strict(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(&parsed.to_json_line(), line);
    }
    let message_deltas: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            ThreadEvent::AgentMessageDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(message_deltas, ["Paris ", "is ", "sunny."]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ThreadEvent::ReasoningSummaryDelta(d) if d.delta == "Plan")),
        "{lines:#?}"
    );
    let position = |wanted: &dyn Fn(&ThreadEvent) -> bool| {
        events
            .iter()
            .position(wanted)
            .unwrap_or_else(|| panic!("missing event in {lines:#?}"))
    };
    let first_delta = position(&|e| matches!(e, ThreadEvent::AgentMessageDelta(_)));
    let message_done = position(
        &|e| matches!(e, ThreadEvent::ItemCompleted(c) if c.item.item_type() == "agent_message"),
    );
    assert!(first_delta < message_done, "{lines:#?}");
    let ThreadEvent::ItemCompleted(done) = &events[message_done] else {
        unreachable!()
    };
    let ItemDetails::AgentMessage(message) = &done.item.details else {
        panic!("{done:?}")
    };
    assert_eq!(message.text, "Paris is sunny.");
    h.assert_no_mock_problems();
}

/// Runs `touch f` under the `untrusted` policy with `handler` answering the approval; returns
/// whether `f` exists and the command item's final status.
async fn touch_with(handler: Option<Arc<dyn ApprovalHandler>>) -> (bool, CommandExecutionStatus) {
    let h = harness().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "touch f")],
    ));
    h.mock.push(Sse::message("resp-2", "done"));
    let mut options = h
        .thread_options()
        .approval_policy(ApprovalPolicy::Untrusted)
        .sandbox_mode(SandboxMode::WorkspaceWrite);
    if let Some(handler) = handler {
        options = options.approval_handler(Shared(handler));
    }
    let turn = run(&h.codex.start_thread(options), "make f")
        .await
        .expect("the turn completes");
    let status = turn
        .items
        .iter()
        .find_map(|item| match &item.details {
            ItemDetails::CommandExecution(c) => Some(c.status.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a command item: {:#?}", turn.items));
    h.assert_no_mock_problems();
    (h.workdir.path().join("f").exists(), status)
}

/// An approval handler behind an `Arc`, so a test can keep a reference to it.
struct Shared(Arc<dyn ApprovalHandler>);

impl ApprovalHandler for Shared {
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        self.0.command_execution(request)
    }
}

/// Counts the command approvals it is asked, and answers `decision`.
struct Counting {
    asked: AtomicUsize,
    decision: ApprovalDecision,
}

impl ApprovalHandler for Counting {
    fn command_execution<'a>(
        &'a self,
        request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        assert!(
            request
                .command
                .as_deref()
                .is_some_and(|c| c.contains("touch f")),
            "{request:?}"
        );
        Box::pin(async move { self.decision.clone() })
    }
}

#[tokio::test]
async fn an_accepted_command_runs() {
    let counting = Arc::new(Counting {
        asked: AtomicUsize::new(0),
        decision: ApprovalDecision::Accept,
    });
    let (exists, status) = touch_with(Some(counting.clone())).await;
    assert_eq!(
        (exists, status, counting.asked.load(Ordering::SeqCst)),
        (true, CommandExecutionStatus::Completed, 1)
    );
}

#[tokio::test]
async fn a_declined_command_does_not_run() {
    let counting = Arc::new(Counting {
        asked: AtomicUsize::new(0),
        decision: ApprovalDecision::Decline,
    });
    let (exists, status) = touch_with(Some(counting.clone())).await;
    assert_eq!(
        (exists, status, counting.asked.load(Ordering::SeqCst)),
        (false, CommandExecutionStatus::Declined, 1)
    );
}

#[tokio::test]
async fn an_approval_closure_declines_a_command() {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let handler = approval::from_fn(move |request: ApprovalRequest| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            match request.command() {
                Some(command) if command.contains("touch f") => ApprovalDecision::Decline,
                _ => ApprovalDecision::Accept,
            }
        }
    });
    let (exists, status) = touch_with(Some(Arc::new(handler))).await;
    assert_eq!(
        (exists, status, asked.load(Ordering::SeqCst)),
        (false, CommandExecutionStatus::Declined, 1)
    );
}

/// An approval handler that panics.
struct Panicking;

impl ApprovalHandler for Panicking {
    fn command_execution<'a>(
        &'a self,
        _request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(async { panic!("the approval handler fails") })
    }
}

#[tokio::test]
async fn a_panicking_approval_handler_declines_and_the_turn_ends_with_an_error_event() {
    let h = harness().await;
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "touch f")],
    ));
    h.mock.push(Sse::message("resp-2", "done"));
    let options = h
        .thread_options()
        .approval_policy(ApprovalPolicy::Untrusted)
        .sandbox_mode(SandboxMode::WorkspaceWrite)
        .approval_handler(Panicking);
    let thread = h.codex.start_thread(options);
    let mut stream = thread
        .run_streamed("make f", TurnOptions::new())
        .await
        .expect("the turn starts");
    let events: Vec<ThreadEvent> = drain(&mut stream)
        .await
        .into_iter()
        .map(|event| event.expect("no stream error"))
        .collect();
    let errors: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            ThreadEvent::Error(error) => Some(error.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        [
            "the handler of `item/commandExecution/requestApproval` panicked; codex was sent the default answer (a decline)"
        ]
    );
    let turn = Turn::from_events(events).expect("the turn completes");
    let status = turn.items.iter().find_map(|item| match &item.details {
        ItemDetails::CommandExecution(c) => Some(c.status.clone()),
        _ => None,
    });
    assert_eq!(
        (
            h.workdir.path().join("f").exists(),
            status,
            turn.final_response.as_str()
        ),
        (false, Some(CommandExecutionStatus::Declined), "done")
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn ready_made_policies_decide() {
    assert_eq!(
        touch_with(None).await,
        (false, CommandExecutionStatus::Declined),
        "the default declines"
    );
    assert_eq!(
        touch_with(Some(Arc::new(AlwaysAccept))).await,
        (true, CommandExecutionStatus::Completed)
    );
    let policy = CommandPrefixPolicy::new().allow(["touch"]).deny(["rm"]);
    assert_eq!(
        touch_with(Some(Arc::new(policy))).await,
        (true, CommandExecutionStatus::Completed)
    );
    let policy = CommandPrefixPolicy::new()
        .deny(["touch"])
        .fallback(ApprovalDecision::Accept);
    assert_eq!(
        touch_with(Some(Arc::new(policy))).await,
        (false, CommandExecutionStatus::Declined)
    );
}

/// A model reply that streams a few deltas of a message, then holds until `gate` opens.
fn held_reply(gate: &Gate) -> MockResponse {
    MockResponse::sse(Sse::reply(
        "resp-1",
        sse::assistant_message_streamed("msg-1", &["Thinking ", "about ", "it"]),
    ))
    .hold_after(3, gate)
}

/// Runs one turn of `thread` to its end through the stream; returns the app-server's pid.
async fn drained_turn(thread: &Thread, prompt: &str) -> u32 {
    let mut stream = thread
        .run_streamed(prompt, TurnOptions::new())
        .await
        .expect("the turn starts");
    let pid = stream.pid().expect("the app-server runs");
    drain(&mut stream).await;
    pid
}

/// A turn of a new thread whose model reply is held after its first text delta (and, when
/// `then` is given, the model's reply to the thread's next call): the gate that releases the
/// reply, the thread, its stream and the events so far.
async fn held_turn(
    h: &Harness,
    then: Option<&str>,
) -> (Gate, Thread, TurnStream, Vec<ThreadEvent>) {
    let gate = Gate::new();
    h.mock.push(held_reply(&gate));
    if let Some(text) = then {
        h.mock.push(Sse::message("resp-2", text));
    }
    let thread = h.start_thread();
    let mut stream = thread
        .run_streamed("think", TurnOptions::new())
        .await
        .expect("the turn starts");
    let events = until_first_delta(&mut stream).await;
    (gate, thread, stream, events)
}

/// Reads events until the first agent message delta: the model is mid-stream.
async fn until_first_delta(stream: &mut TurnStream) -> Vec<ThreadEvent> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(stream)
            .await
            .expect("the turn goes on")
            .expect("no stream error");
        let delta = matches!(event, ThreadEvent::AgentMessageDelta(_));
        seen.push(event);
        if delta {
            return seen;
        }
    }
}

#[tokio::test]
async fn an_interrupt_mid_stream_completes_every_open_item() {
    let h = harness().await;
    let (gate, _thread, mut stream, mut events) = held_turn(&h, None).await;

    stream.interrupt().await.expect("turn/interrupt succeeds");
    events.extend(
        drain(&mut stream)
            .await
            .into_iter()
            .map(|event| event.expect("an interrupt is not an error")),
    );
    stream
        .interrupt()
        .await
        .expect("interrupting an ended turn is fine");
    drop(stream);
    gate.release();

    let ids = |wanted: fn(&ThreadEvent) -> bool| -> BTreeSet<String> {
        events
            .iter()
            .filter(|e| wanted(e))
            .filter_map(|e| e.item().map(|i| i.id.clone()))
            .collect()
    };
    let started = ids(|e| matches!(e, ThreadEvent::ItemStarted(_)));
    let completed = ids(|e| matches!(e, ThreadEvent::ItemCompleted(_)));
    assert!(!started.is_empty(), "{events:#?}");
    assert_eq!(started, completed, "every started item completes");
    let message = events
        .iter()
        .find_map(|e| match e {
            ThreadEvent::ItemCompleted(c) => match &c.item.details {
                ItemDetails::AgentMessage(m) => Some(m.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("the message completes");
    assert_eq!(message.status, Some(TextItemStatus::Interrupted));
    assert!(
        "Thinking about it".starts_with(&message.text) && !message.text.is_empty(),
        "the text streamed so far: {:?}",
        message.text
    );
    let Some(ThreadEvent::TurnCompleted(end)) = events.last() else {
        panic!("the stream ends with turn.completed: {events:#?}");
    };
    assert_eq!(end.status, Some(TurnStatus::Interrupted));
}

#[tokio::test]
async fn steered_input_joins_the_running_turn() {
    let h = harness().await;
    let (gate, _thread, mut stream, _) = held_turn(&h, Some("steered answer")).await;

    stream
        .steer("also: be brief")
        .await
        .expect("turn/steer succeeds");
    gate.release();
    let events: Vec<ThreadEvent> = drain(&mut stream)
        .await
        .into_iter()
        .map(|e| e.expect("no stream error"))
        .collect();

    assert!(
        matches!(events.last(), Some(ThreadEvent::TurnCompleted(c)) if c.status.is_none()),
        "{events:#?}"
    );
    let requests = h
        .mock
        .wait_for_requests(2, WAIT)
        .await
        .expect("two model calls");
    let users = requests[1].message_texts("user");
    assert!(users.iter().any(|t| t == "also: be brief"), "{users:?}");
    let items: Vec<&str> = events
        .iter()
        .filter_map(ThreadEvent::item)
        .map(codex_agent_sdk::ThreadItem::item_type)
        .collect();
    assert!(
        !items.contains(&"userMessage"),
        "the steer input is not reported as an item: {items:?}"
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn dropping_a_stream_interrupts_the_turn_and_keeps_the_process() {
    let h = harness().await;
    let (gate, thread, stream, _) = held_turn(&h, Some("next answer")).await;
    let pid = stream.pid().expect("the app-server runs");
    drop(stream);

    // The next turn waits for the interrupt of the dropped one, then runs on the same
    // process.
    let mut next = tokio::time::timeout(WAIT, thread.run_streamed("again", TurnOptions::new()))
        .await
        .expect("the next turn starts in time")
        .expect("the next turn starts");
    assert_eq!(next.pid(), Some(pid));
    let events = drain(&mut next).await;
    gate.release();
    let text = events.iter().find_map(|e| match e {
        Ok(ThreadEvent::ItemCompleted(c)) => match &c.item.details {
            ItemDetails::AgentMessage(m) => Some(m.text.clone()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(text.as_deref(), Some("next answer"), "{events:#?}");
}

#[tokio::test]
async fn a_cancel_handle_interrupts_and_run_returns_cancelled() {
    let h = harness().await;
    let gate = Gate::new();
    h.mock.push(held_reply(&gate));
    let thread = h.start_thread();
    let cancel = codex_agent_sdk::CancelHandle::new();
    let fire = cancel.clone();
    let waiter = gate.clone();
    tokio::spawn(async move {
        if waiter.wait_reached(WAIT).await.is_ok() {
            fire.cancel();
        }
    });

    let result = tokio::time::timeout(
        WAIT,
        thread.run("think", TurnOptions::new().cancel_handle(cancel)),
    )
    .await
    .expect("the turn ends in time");
    gate.release();

    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
}

#[tokio::test]
async fn an_idle_timeout_interrupts_the_turn_and_the_thread_goes_on() {
    let h = harness().await;
    let gate = Gate::new();
    h.mock.push(held_reply(&gate));
    h.mock.push(Sse::message("resp-2", "after the timeout"));
    let thread = h.start_thread();
    let limit = std::time::Duration::from_millis(500);

    let error = run_with(&thread, "think", TurnOptions::new().idle_timeout(limit))
        .await
        .expect_err("the model stalls");
    assert!(
        matches!(&error, Error::Timeout { limit: l, .. } if *l == limit),
        "{error:?}"
    );
    // The stalled turn was interrupted; the thread's next turn runs on the same process.
    let turn = run(&thread, "again")
        .await
        .expect("the next turn completes");
    gate.release();
    assert_eq!(turn.final_response, "after the timeout");
}

#[tokio::test]
async fn a_failed_turn_carries_codex_error_info() {
    let h = harness_with(CodexHomeOptions::default().retries(0, 0)).await;
    h.mock.push(MockResponse::server_error());

    let error = run(&h.start_thread(), "say hi")
        .await
        .expect_err("the model server fails");

    let Error::TurnFailed {
        message,
        codex_error_info,
    } = &error
    else {
        panic!("expected TurnFailed, got {error:?}");
    };
    assert!(!message.is_empty());
    assert_eq!(
        codex_error_info.as_ref(),
        Some(&CodexErrorInfo::InternalServerError),
        "{error}"
    );
    assert!(error.is_retryable());
}

/// A second `Codex` on the harness's home and mock, with an app-server of its own.
fn app_server_codex(h: &Harness) -> codex_agent_sdk::Codex {
    codex_on(h, Transport::AppServer)
}

/// Another `Codex` on the harness's `CODEX_HOME`, over `transport`.
fn codex_on(h: &Harness, transport: Transport) -> codex_agent_sdk::Codex {
    codex_agent_sdk::Codex::new(
        CodexOptions::new()
            .codex_path(crate::support::real_codex())
            .env(h.env())
            .transport(transport),
    )
    .expect("the facade finds codex")
}

#[tokio::test]
async fn a_resumed_thread_continues_on_a_new_process() {
    let h = harness().await;
    h.mock.push(Sse::message("resp-1", "First answer."));
    h.mock.push(Sse::message("resp-2", "Second answer."));
    // The first Codex and its app-server go away: an app-server holds the threads it loaded
    // ("already has an active writer" for any other).
    let (id, pid) = {
        let first = app_server_codex(&h).start_thread(h.thread_options());
        let pid = drained_turn(&first, "first question").await;
        (first.id().expect("an id"), pid)
    };
    let state = codex_agent_testkit::process_watch::wait_gone(pid, WAIT).await;
    assert!(
        state.is_dead(),
        "the first app-server stops with its Codex: {state:?}"
    );

    let resumed: Thread = app_server_codex(&h).resume_thread(&id, h.thread_options());
    let turn = run(&resumed, "second question")
        .await
        .expect("the resumed turn completes");

    assert_eq!(turn.final_response, "Second answer.");
    assert_eq!(resumed.id().as_deref(), Some(id.as_str()));
    let requests = h.mock.requests();
    assert!(
        requests[1]
            .message_texts("assistant")
            .contains(&"First answer.".to_owned()),
        "{:?}",
        requests[1].message_texts("assistant")
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn a_thread_an_app_server_holds_is_busy_for_other_processes_until_it_shuts_down() {
    let h = harness().await;
    h.mock.push(Sse::message("resp-1", "First answer."));
    h.mock.push(Sse::message("resp-2", "Second answer."));
    h.mock.push(Sse::message("resp-3", "Third answer."));
    let first_codex = app_server_codex(&h);
    let first = first_codex.start_thread(h.thread_options());
    let pid = drained_turn(&first, "first question").await;
    let id = first.id().expect("an id");

    // The first app-server is alive and holds the thread: a second one may not load it.
    let second_codex = app_server_codex(&h);
    let resumed: Thread = second_codex.resume_thread(&id, h.thread_options());
    let error = run(&resumed, "second question")
        .await
        .expect_err("the thread is held by the first app-server");
    assert!(
        matches!(&error, Error::ThreadBusy { id: busy } if *busy == id),
        "{error:?}"
    );
    assert!(error.to_string().contains("Codex::shutdown"), "{error}");
    // `codex exec resume` loads the thread through an in-process app-server of its own,
    // which the hold refuses the same way.
    let exec = codex_on(&h, Transport::Exec);
    let exec_resumed = exec.resume_thread(&id, h.thread_options());
    let error = run(&exec_resumed, "second question")
        .await
        .expect_err("the thread is held by the first app-server");
    assert!(
        matches!(&error, Error::ThreadBusy { id: busy } if *busy == id),
        "exec: {error:?}"
    );

    // A graceful stop: the first app-server exits on its own, and is gone when this returns.
    first_codex.shutdown().await.expect("codex exits cleanly");
    assert!(
        codex_agent_testkit::process_watch::state(pid).is_dead(),
        "the app-server is gone once shutdown returns: {:?}",
        codex_agent_testkit::process_watch::state(pid)
    );
    // Shutting down twice, or with no app-server running, is a no-op.
    first_codex.shutdown().await.expect("nothing left to stop");

    // Released: exec resumes it for a turn (and lets go at its end), then the second
    // app-server.
    let turn = run(&exec_resumed, "second question")
        .await
        .expect("exec resumes the released thread");
    assert_eq!(turn.final_response, "Second answer.");
    let turn = run(&resumed, "third question")
        .await
        .expect("the released thread resumes on the second app-server");
    assert_eq!(turn.final_response, "Third answer.");
    assert_eq!(resumed.id().as_deref(), Some(id.as_str()));
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn shutdown_mid_turn_ends_the_turn_and_the_next_turn_starts_a_new_app_server() {
    let h = harness().await;
    let (gate, thread, mut stream, _) = held_turn(&h, Some("After the restart.")).await;
    let pid = stream.pid().expect("the app-server runs");

    // The model is mid-reply and held: shutdown must neither wait for the turn nor hang.
    let stopped = tokio::time::timeout(WAIT, h.codex.shutdown())
        .await
        .expect("shutdown returns while a turn runs");
    assert!(
        codex_agent_testkit::process_watch::state(pid).is_dead(),
        "the app-server is gone once shutdown returns ({stopped:?}): {:?}",
        codex_agent_testkit::process_watch::state(pid)
    );
    let rest = drain(&mut stream).await;
    assert!(
        matches!(rest.last(), Some(Err(_))),
        "the running turn ends with an error: {rest:#?}"
    );
    drop(stream);
    gate.release();

    let turn = run(&thread, "again")
        .await
        .expect("the next turn starts a new app-server");
    assert_eq!(turn.final_response, "After the restart.");
}

#[tokio::test]
async fn an_app_server_killed_between_turns_is_replaced_by_the_next_turn() {
    let h = harness().await;
    h.mock.push(Sse::message("resp-1", "First answer."));
    h.mock.push(Sse::message("resp-2", "Second answer."));
    let thread = h.start_thread();
    let killed = drained_turn(&thread, "first question").await;

    kill(killed);
    assert_eq!(
        codex_agent_testkit::process_watch::wait_gone(killed, WAIT).await,
        codex_agent_testkit::process_watch::ProcessState::Gone,
        "the killed app-server is reaped"
    );
    // The very next turn starts a new app-server and resumes the thread on it.
    let mut second = tokio::time::timeout(
        WAIT,
        thread.run_streamed("second question", TurnOptions::new()),
    )
    .await
    .expect("the next turn starts in time")
    .expect("the next turn starts on a new app-server");
    let replacement = second.pid().expect("a new app-server runs");
    let events = drain(&mut second).await;

    assert_ne!(replacement, killed);
    let text = events.iter().find_map(|e| match e {
        Ok(ThreadEvent::ItemCompleted(c)) => match &c.item.details {
            ItemDetails::AgentMessage(m) => Some(m.text.clone()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(text.as_deref(), Some("Second answer."), "{events:#?}");
    let requests = h.mock.requests();
    assert!(
        requests[1]
            .message_texts("assistant")
            .contains(&"First answer.".to_owned()),
        "the resumed thread carries the first turn: {:?}",
        requests[1].message_texts("assistant")
    );
    h.assert_no_mock_problems();
}

/// Sends `SIGKILL` to `pid`.
#[expect(
    clippy::disallowed_methods,
    reason = "the test kills the app-server from outside, as a crash or the OOM killer would"
)]
fn kill(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL {pid}: {status}");
}

#[tokio::test]
async fn the_exec_transport_answers_interrupt_and_steer_with_unsupported() {
    let h = Harness::new().await;
    h.mock.push(Sse::message("resp-1", "Hi."));
    let mut stream = h
        .start_thread()
        .run_streamed("say hi", TurnOptions::new())
        .await
        .expect("the turn starts");

    for error in [
        stream.interrupt().await.expect_err("exec cannot interrupt"),
        stream.steer("more").await.expect_err("exec cannot steer"),
    ] {
        assert!(
            matches!(
                error,
                Error::Unsupported {
                    transport: Transport::Exec,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    assert_eq!(
        stream.steer("more").await.expect_err("exec").to_string(),
        "steering a turn is not supported by the exec transport"
    );
    drain(&mut stream).await;
}

#[test]
fn streams_and_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TurnStream>();
    send_sync::<Thread>();
    send_sync::<codex_agent_sdk::ThreadOptions>();
    let thread: Option<Thread> = None;
    if let Some(thread) = &thread {
        send(&thread.run("x", TurnOptions::new()));
        send(&thread.run_streamed("x", TurnOptions::new()));
    }
    let stream: Option<TurnStream> = None;
    if let Some(stream) = &stream {
        send(&stream.interrupt());
        send(&stream.steer("x"));
    }
    send_sync::<codex_agent_sdk::Codex>();
    send_sync::<codex_agent_sdk::TurnCollector>();
    send_sync::<codex_agent_sdk::exec::app_server::Runtime>();
    send_sync::<codex_agent_sdk::exec::app_server::RuntimeTurn>();
    let owned: Option<TurnStream> = None;
    if let Some(stream) = owned {
        send(&stream.collect_turn());
    }
    let runtime: Option<codex_agent_sdk::exec::app_server::RuntimeTurn> = None;
    if let Some(turn) = &runtime {
        send(&turn.interrupt());
    }
}

/// R2: a rejected key is not worth retrying, on the app-server as on exec (one attempt, and
/// `is_retryable()` is false), classified from codex's structured error.
#[tokio::test]
async fn http_401_is_not_retryable() {
    let h = harness_with(CodexHomeOptions::default().retries(0, 0)).await;
    h.mock.repeat_forever(MockResponse::error(
        401,
        codex_agent_testkit::mock_server::openai_error(
            "Incorrect API key provided.",
            "invalid_request_error",
            "invalid_api_key",
        ),
    ));

    let error = run(&h.start_thread(), "say hi")
        .await
        .expect_err("unauthorized");

    let Error::TurnFailed {
        codex_error_info, ..
    } = &error
    else {
        panic!("expected TurnFailed, got {error:?}");
    };
    assert!(codex_error_info.is_some(), "{error:?}");
    assert!(!error.is_retryable(), "{error:?}");
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let thread = h.start_thread();
    let result = codex_agent_sdk::retry(codex_agent_sdk::RetryPolicy::default(), || {
        attempts.fetch_add(1, Ordering::SeqCst);
        run(&thread, "say hi")
    })
    .await;
    assert!(result.is_err());
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "no retry of a 401");
}

#[tokio::test]
async fn resuming_a_thread_that_is_not_stored_or_not_an_id_is_thread_not_found_on_both_transports()
{
    let h = harness().await;
    let exec = codex_on(&h, Transport::Exec);
    // A well-formed id codex does not store, and ids that are no thread id at all (where
    // `codex exec resume` would have started a new thread and the app-server answered a raw
    // "invalid session id").
    let ids = ["00000000-0000-7000-8000-000000000000", "not-a-uuid", ""];
    for codex in [exec, app_server_codex(&h)] {
        for missing in ids {
            let error = run(&codex.resume_thread(missing, h.thread_options()), "hi")
                .await
                .expect_err("there is no such thread");
            assert!(
                matches!(&error, Error::ThreadNotFound { id } if id == missing),
                "{missing:?}: {error:?}"
            );
        }
    }
    assert_eq!(h.mock.requests().len(), 0, "no model call");
}
