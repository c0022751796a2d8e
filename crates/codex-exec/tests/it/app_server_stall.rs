//! Turns always end on the app-server runtime: a turn whose `turn/completed` never comes is
//! ended from `thread/read` with what codex recorded, and a codex that answers nothing is
//! stopped at the idle timeout (or after an unanswered check) with a typed error. The app-server
//! is the fake codex playing a JSON-RPC server (`Step::Respond`) with the results and
//! notifications of a live capture (`fixtures/codex-0.169.0/app-server/as-plain.jsonl`).

use std::ffi::OsString;
use std::time::Duration;

use codex_agent_exec::app_server::{
    AppServerOptions, Runtime, RuntimeTurn, ThreadSlot, TurnRequest,
};
use codex_agent_exec::{CodexBinary, CodexOptions, Error, ExecOptions, Input};
use codex_agent_protocol::app_server::{ServerMessage, parse_server_message};
use codex_agent_protocol::exec::{ThreadEvent, ThreadStarted};
use codex_agent_protocol::projection::TurnProjection;
use codex_agent_testkit::fake_codex::{SCRIPT_ENV, Script, Step};
use codex_agent_testkit::process_watch::{self, ProcessState};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::support::{self, PROMPT, Scratch};

/// The capture: the results the fake answers with, and the turn's notifications in order.
struct Capture {
    initialize: Value,
    thread_start: Value,
    turn_start: Value,
    notes: Vec<Value>,
}

impl Capture {
    fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/codex-0.169.0/app-server/as-plain.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("the capture is committed");
        let records: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("a capture record"))
            .collect();
        let method_of = |id: &Value| {
            records
                .iter()
                .find(|r| r["dir"] == "client->server" && r["msg"]["id"] == *id)
                .map(|r| r["msg"]["method"].clone())
                .expect("every answer has its request")
        };
        let result = |method: &str| {
            records
                .iter()
                .find(|r| {
                    r["dir"] == "server->client"
                        && r["msg"].get("result").is_some()
                        && method_of(&r["msg"]["id"]) == method
                })
                .map_or_else(
                    || panic!("the capture answers {method}"),
                    |r| r["msg"]["result"].clone(),
                )
        };
        let turn_id = result("turn/start")["turn"]["id"].clone();
        let notes = records
            .iter()
            .filter(|r| {
                r["dir"] == "server->client"
                    && r["msg"].get("method").is_some()
                    && r["msg"].get("id").is_none()
                    && (r["msg"]["params"]["turnId"] == turn_id
                        || r["msg"]["params"]["turn"]["id"] == turn_id)
            })
            .map(|r| r["msg"].clone())
            .collect();
        Self {
            initialize: result("initialize"),
            thread_start: result("thread/start"),
            turn_start: result("turn/start"),
            notes,
        }
    }

    fn thread_id(&self) -> String {
        self.thread_start["thread"]["id"]
            .as_str()
            .expect("a thread id")
            .to_owned()
    }

    fn turn_id(&self) -> String {
        self.turn_start["turn"]["id"]
            .as_str()
            .expect("a turn id")
            .to_owned()
    }

    /// The turn as `turn/completed` describes it (final status and items).
    fn completed_turn(&self) -> Value {
        self.notes
            .iter()
            .find(|n| n["method"] == "turn/completed")
            .map(|n| n["params"]["turn"].clone())
            .expect("the capture completes its turn")
    }

    /// `thread/read`'s result with `turn` as the thread's only turn.
    fn thread_read(&self, turn: &Value) -> Value {
        let mut thread = self.thread_start["thread"].clone();
        thread["turns"] = json!([turn]);
        json!({ "thread": thread })
    }

    /// The handshake, `thread/start` and `turn/start`, answered as codex did.
    fn script(&self) -> Script {
        Script::new()
            .skip_stdin()
            .step(respond("initialize", self.initialize.clone()))
            .step(respond("thread/start", self.thread_start.clone()))
            .step(respond("turn/start", self.turn_start.clone()))
    }

    /// What the runtime yields for the whole capture: `thread.started`, then the projection
    /// of every notification.
    fn expected_events(&self) -> Vec<ThreadEvent> {
        let mut projection = TurnProjection::new(self.turn_id());
        let mut events = vec![ThreadEvent::ThreadStarted(ThreadStarted::new(
            self.thread_id(),
        ))];
        for note in &self.notes {
            let ServerMessage::Notification(note) =
                parse_server_message(&note.to_string()).expect("the capture parses")
            else {
                panic!("not a notification: {note}");
            };
            events.extend(projection.on_notification(&note.body));
        }
        events
    }
}

fn respond(method: &str, result: Value) -> Step {
    Step::Respond {
        method: method.to_owned(),
        result,
    }
}

fn line(message: &Value) -> Step {
    Step::Line {
        text: message.to_string(),
    }
}

/// A runtime whose app-server is the fake running `script`.
fn runtime(scratch: &Scratch, script: &Script, options: AppServerOptions) -> Runtime {
    let script_path = script
        .write_to(scratch.dir.path())
        .expect("write the script");
    let env: Vec<(OsString, OsString)> = vec![
        (SCRIPT_ENV.into(), script_path.into_os_string()),
        ("CODEX_API_KEY".into(), support::API_KEY.into()),
    ];
    Runtime::new(
        CodexBinary::new(support::fake_program()),
        CodexOptions::new().env(env),
        options
            .capability_probe(false)
            .process(ExecOptions::new().kill_grace(Duration::from_millis(200))),
    )
}

/// Starts one turn and collects its stream (bounded by [`PROMPT`]); returns the events, the
/// error that ended it if any, and the app-server's pid.
async fn run_turn(
    runtime: &Runtime,
    limits: &ExecOptions,
) -> (Vec<ThreadEvent>, Option<Error>, u32) {
    let thread_id = std::sync::Mutex::new(None);
    let mut slot = ThreadSlot::default();
    let input = Input::from("say hi");
    let turn: RuntimeTurn = tokio::time::timeout(
        PROMPT,
        runtime.start_turn(TurnRequest::new(&thread_id, &mut slot, &input).limits(limits)),
    )
    .await
    .expect("the turn starts in time")
    .expect("the turn starts");
    let pid = turn.pid().expect("a spawned app-server");
    let items = tokio::time::timeout(PROMPT, turn.collect::<Vec<_>>())
        .await
        .expect("the turn ends in time");
    let mut events = Vec::new();
    let mut error = None;
    for item in items {
        match item {
            Ok(event) => events.push(event),
            Err(e) => {
                assert!(error.is_none(), "two errors: {error:?}, {e}");
                error = Some(e);
            }
        }
    }
    (events, error, pid)
}

#[tokio::test]
async fn a_turn_whose_turn_completed_never_comes_ends_with_what_codex_recorded() {
    let _lock = support::shared().await;
    let capture = Capture::load();
    let scratch = Scratch::new();
    // Every notification but `turn/completed`, and but the final message's `item/completed`:
    // that item and the turn's end come from `thread/read`.
    let mut script = capture.script();
    for note in &capture.notes {
        let last_message =
            note["method"] == "item/completed" && note["params"]["item"]["type"] == "agentMessage";
        if note["method"] != "turn/completed" && !last_message {
            script = script.step(line(note));
        }
    }
    let script = script
        .step(respond(
            "thread/read",
            capture.thread_read(&capture.completed_turn()),
        ))
        .hang();
    let runtime = runtime(
        &scratch,
        &script,
        AppServerOptions::new().turn_probe_after(Duration::from_millis(300)),
    );
    let (events, error, pid) = run_turn(&runtime, &ExecOptions::new()).await;
    assert_eq!(error.map(|e| e.to_string()), None);
    assert_eq!(events, capture.expected_events());
    drop(runtime);
    assert_eq!(
        process_watch::wait_gone(pid, PROMPT).await,
        ProcessState::Gone
    );
}

#[tokio::test]
async fn a_turn_codex_reports_running_goes_on_until_it_completes() {
    let _lock = support::shared().await;
    let capture = Capture::load();
    let scratch = Scratch::new();
    let mut running = capture.turn_start["turn"].clone();
    running["status"] = json!("inProgress");
    let (last, before) = capture.notes.split_last().expect("notifications");
    assert_eq!(last["method"], "turn/completed");
    let mut script = capture.script();
    for note in before {
        script = script.step(line(note));
    }
    // Asked while it runs, codex says so; the turn waits, and `turn/completed` ends it.
    let script = script
        .step(respond("thread/read", capture.thread_read(&running)))
        .step(line(last))
        .hang();
    let runtime = runtime(
        &scratch,
        &script,
        AppServerOptions::new().turn_probe_after(Duration::from_millis(300)),
    );
    let (events, error, pid) = run_turn(&runtime, &ExecOptions::new()).await;
    assert_eq!(error.map(|e| e.to_string()), None);
    assert_eq!(events, capture.expected_events());
    drop(runtime);
    assert_eq!(
        process_watch::wait_gone(pid, PROMPT).await,
        ProcessState::Gone
    );
}

/// The turn starts, then codex neither writes nor exits (it ignores `thread/read` too).
fn hung_script(capture: &Capture) -> Script {
    let started = capture
        .notes
        .iter()
        .find(|n| n["method"] == "turn/started")
        .expect("turn/started");
    capture.script().step(line(started)).hang()
}

#[tokio::test]
async fn a_hung_codex_ends_the_turn_at_the_idle_timeout_and_is_stopped() {
    let _lock = support::shared().await;
    let capture = Capture::load();
    let scratch = Scratch::new();
    let runtime = runtime(&scratch, &hung_script(&capture), AppServerOptions::new());
    let limit = Duration::from_millis(800);
    let (events, error, pid) = run_turn(&runtime, &ExecOptions::new().idle_timeout(limit)).await;
    assert!(
        matches!(error, Some(Error::IdleTimeout { limit: l }) if l == limit),
        "{error:?}"
    );
    assert_eq!(events, capture.expected_events()[..2]);
    // Stopped by the turn, not by dropping the runtime.
    assert_eq!(
        process_watch::wait_gone(pid, PROMPT).await,
        ProcessState::Gone
    );
    drop(runtime);
}

#[tokio::test]
async fn without_an_idle_timeout_an_unanswered_check_stops_a_hung_codex() {
    let _lock = support::shared().await;
    let capture = Capture::load();
    let scratch = Scratch::new();
    let options = AppServerOptions::new()
        .turn_probe_after(Duration::from_millis(200))
        .request_timeout(Duration::from_millis(800));
    let runtime = runtime(&scratch, &hung_script(&capture), options);
    let (events, error, pid) = run_turn(&runtime, &ExecOptions::new()).await;
    assert!(
        matches!(error, Some(Error::AppServerClosed { .. })),
        "{error:?}"
    );
    assert_eq!(events, capture.expected_events()[..2]);
    assert_eq!(
        process_watch::wait_gone(pid, PROMPT).await,
        ProcessState::Gone
    );
    drop(runtime);
}
