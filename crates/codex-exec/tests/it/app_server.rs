//! The app-server client against the real `codex app-server` (the supported version the
//! testkit selects, see `codex_agent_testkit::real_codex`) and the testkit's mock model: handshake,
//! turns, deltas, approvals, dynamic tools, interrupt, steer, and a server killed mid-turn.

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_agent_exec::app_server::{
    AppServer, AppServerOptions, CapabilitySource, Handlers, TurnStream,
};
use codex_agent_exec::{CodexBinary, CodexOptions, Error, ExecOptions, Version};
use codex_agent_protocol::app_server::{
    AskForApproval, CommandExecutionApprovalDecision, CommandExecutionStatus, DynamicFunctionTool,
    DynamicToolCallOutputContentItem, DynamicToolCallResponse, DynamicToolSpec, GetAccountParams,
    ListMcpServerStatusParams, ModelListParams, SandboxMode, ServerNotification, ThreadForkParams,
    ThreadItem, ThreadListParams, ThreadReadParams, ThreadResumeParams, ThreadStartParams,
    TurnStartParams, TurnStatus, TurnSteerParams, UserInput,
};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::{Gate, MockResponse, MockServer};
use codex_agent_testkit::sse::{self, Sse};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use serde_json::json;
use tempfile::TempDir;

use crate::support;

/// Bound for anything that should happen promptly against the mock model.
const WAIT: Duration = Duration::from_secs(30);

/// One test's world: a mock model, a `CODEX_HOME` pointing at it, a working directory.
struct World {
    mock: MockServer,
    home: CodexHome,
    workdir: TempDir,
}

impl World {
    async fn new() -> Self {
        let mock = MockServer::start().await.expect("start the mock model");
        let home =
            CodexHome::with_options(&mock, CodexHomeOptions::default()).expect("write CODEX_HOME");
        let workdir = tempfile::tempdir().expect("a working directory");
        Self {
            mock,
            home,
            workdir,
        }
    }

    fn codex_options(&self) -> CodexOptions {
        let mut env: Vec<(OsString, OsString)> = self.home.env();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                env.push((name.into(), value));
            }
        }
        CodexOptions::new().env(env)
    }

    async fn spawn(&self, options: AppServerOptions) -> AppServer {
        let codex = codex_agent_testkit::real_codex::real_codex().unwrap_or_else(|e| panic!("{e}"));
        let options = options.process(ExecOptions::new().kill_grace(Duration::from_millis(500)));
        tokio::time::timeout(
            WAIT,
            AppServer::spawn(&CodexBinary::new(codex), &self.codex_options(), options),
        )
        .await
        .expect("the handshake ends in time")
        .expect("codex app-server starts")
    }

    fn cwd(&self) -> String {
        self.workdir
            .path()
            .canonicalize()
            .expect("canonical working directory")
            .to_string_lossy()
            .into_owned()
    }

    fn thread_params(&self) -> ThreadStartParams {
        ThreadStartParams::default().cwd(self.cwd())
    }

    fn assert_no_mock_problems(&self) {
        assert_eq!(self.mock.problems(), Vec::<String>::new());
    }
}

async fn start_thread(server: &AppServer, params: ThreadStartParams) -> String {
    tokio::time::timeout(WAIT, server.thread_start(params))
        .await
        .expect("thread/start answers in time")
        .expect("thread/start succeeds")
        .thread
        .id
}

async fn start_turn(server: &AppServer, thread: &str, text: &str) -> TurnStream {
    tokio::time::timeout(
        WAIT,
        server.turn_start(TurnStartParams::new(thread, vec![UserInput::text(text)])),
    )
    .await
    .expect("turn/start answers in time")
    .expect("turn/start succeeds")
}

/// Every notification of the turn, in order, bounded by [`WAIT`].
async fn collect(turn: TurnStream) -> Vec<ServerNotification> {
    tokio::time::timeout(WAIT, turn.collect::<Vec<_>>())
        .await
        .expect("the turn completes in time")
        .into_iter()
        .map(|note| note.expect("no stream error").body)
        .collect()
}

fn completed_status(notes: &[ServerNotification]) -> TurnStatus {
    match notes.last() {
        Some(ServerNotification::TurnCompleted(done)) => done.turn.status.clone(),
        other => panic!("the last notification is not turn/completed: {other:?}"),
    }
}

fn completed_items(notes: &[ServerNotification]) -> Vec<ThreadItem> {
    notes
        .iter()
        .filter_map(|note| match note {
            ServerNotification::ItemCompleted(done) => Some(done.item.clone()),
            _ => None,
        })
        .collect()
}

fn agent_texts(notes: &[ServerNotification]) -> Vec<String> {
    completed_items(notes)
        .into_iter()
        .filter_map(|item| match item {
            ThreadItem::AgentMessage(message) => Some(message.text),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_handshake_reports_version_and_capabilities() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let server = world.spawn(AppServerOptions::new()).await;
    let info = server.server_info();
    let version =
        codex_agent_testkit::real_codex::codex_version().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        info.version(),
        Some(&version.parse::<Version>().expect("a release version"))
    );
    assert!(
        info.user_agent()
            .starts_with(&format!("codex_sdk_rs/{version} ")),
        "{}",
        info.user_agent()
    );
    assert_eq!(
        std::path::Path::new(info.codex_home()),
        world.home.path().canonicalize().expect("canonical home")
    );
    assert_eq!(
        server.capabilities().source(),
        CapabilitySource::KnownRelease
    );
    assert!(
        server
            .capabilities()
            .supports("thread/start", "dynamicTools")
    );
    assert!(server.pid().is_some());
    let startup: Vec<&str> = server
        .startup_notifications()
        .iter()
        .map(|note| note.body.method())
        .collect();
    // Which of them arrive before the handshake ends depends on timing and on the machine
    // (`configWarning` says bubblewrap is missing from PATH); the fake-peer tests pin it.
    assert!(
        startup
            .iter()
            .all(|m| ["configWarning", "remoteControl/status/changed"].contains(m)),
        "{startup:?}"
    );
    server.shutdown().await.expect("codex exits cleanly");
}

#[tokio::test]
async fn a_clean_exit_reads_as_one() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let server = world.spawn(AppServerOptions::new()).await;
    let mut everything = server.subscribe_all();
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown ends in time")
        .expect("codex exits cleanly");
    let last = tokio::time::timeout(WAIT, async {
        loop {
            match everything.next().await {
                Some(Ok(_)) => {}
                other => return other,
            }
        }
    })
    .await
    .expect("the subscription ends promptly");
    let Some(Err(error)) = last else {
        panic!("the subscription ended without an error: {last:?}")
    };
    assert!(
        matches!(
            error,
            Error::AppServerClosed {
                code: Some(0),
                signal: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "codex app-server exited");
}

#[tokio::test]
async fn a_turn_streams_until_turn_completed_and_two_turns_share_history() {
    let _lock = support::shared().await;
    let world = World::new().await;
    world.mock.push(Sse::message("resp-1", "first answer"));
    world.mock.push(Sse::message("resp-2", "second answer"));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;

    let turn = start_turn(&server, &thread, "first question").await;
    assert_eq!(turn.thread_id(), thread);
    let turn_id = turn.turn_id().to_owned();
    let notes = collect(turn).await;
    let methods: Vec<&str> = notes.iter().map(ServerNotification::method).collect();
    assert_eq!(methods.first(), Some(&"turn/started"), "{methods:?}");
    assert_eq!(completed_status(&notes), TurnStatus::Completed);
    assert_eq!(agent_texts(&notes), ["first answer"]);
    for note in &notes {
        if let ServerNotification::ItemCompleted(done) = note {
            assert_eq!(done.turn_id, turn_id);
        }
    }

    let notes = collect(start_turn(&server, &thread, "second question").await).await;
    assert_eq!(agent_texts(&notes), ["second answer"]);
    let requests = world
        .mock
        .wait_for_requests(2, WAIT)
        .await
        .expect("two model calls");
    let second = &requests[1];
    let user = second.message_texts("user");
    assert!(user.iter().any(|t| t == "first question"), "{user:?}");
    assert!(user.iter().any(|t| t == "second question"), "{user:?}");
    assert_eq!(second.message_texts("assistant"), ["first answer"]);
    world.assert_no_mock_problems();
    server.shutdown().await.expect("codex exits cleanly");
}

#[tokio::test]
async fn agent_message_deltas_arrive_in_order() {
    let _lock = support::shared().await;
    let world = World::new().await;
    world.mock.push(Sse::reply(
        "resp-1",
        sse::assistant_message_streamed("msg-1", &["Paris ", "is ", "sunny."]),
    ));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;
    let notes = collect(start_turn(&server, &thread, "weather?").await).await;
    let deltas: Vec<String> = notes
        .iter()
        .filter_map(|note| match note {
            ServerNotification::AgentMessageDelta(delta) => Some(delta.delta.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Paris ", "is ", "sunny."]);
    assert_eq!(agent_texts(&notes), ["Paris is sunny."]);
}

/// Runs `touch f` under `approvalPolicy: untrusted`, answering the approval with `decision`.
/// Returns whether `f` exists afterwards, the command item's status, and how many approvals
/// were asked.
async fn touch_with_approval(
    decision: Option<CommandExecutionApprovalDecision>,
) -> (bool, Option<CommandExecutionStatus>, usize) {
    let _lock = support::shared().await;
    let world = World::new().await;
    world.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", "touch f")],
    ));
    world.mock.push(Sse::message("resp-2", "done"));
    let handlers = Handlers::new();
    let asked = Arc::new(AtomicUsize::new(0));
    if let Some(decision) = decision {
        let asked = Arc::clone(&asked);
        handlers.on_command_approval(move |params| {
            asked.fetch_add(1, Ordering::SeqCst);
            assert!(
                params
                    .command
                    .as_deref()
                    .is_some_and(|c| c.contains("touch f"))
            );
            let decision = decision.clone();
            async move { decision }
        });
    }
    let server = world
        .spawn(AppServerOptions::new().handlers(handlers))
        .await;
    let thread = start_thread(
        &server,
        world
            .thread_params()
            .approval_policy(AskForApproval::Untrusted)
            .sandbox(SandboxMode::WorkspaceWrite),
    )
    .await;
    let notes = collect(start_turn(&server, &thread, "make f").await).await;
    assert_eq!(completed_status(&notes), TurnStatus::Completed);
    let status = completed_items(&notes)
        .into_iter()
        .find_map(|item| match item {
            ThreadItem::CommandExecution(command) => Some(command.status),
            _ => None,
        });
    world.assert_no_mock_problems();
    let exists = world.workdir.path().join("f").exists();
    (exists, status, asked.load(Ordering::SeqCst))
}

#[tokio::test]
async fn an_accepted_approval_runs_the_command() {
    let (exists, status, asked) =
        touch_with_approval(Some(CommandExecutionApprovalDecision::Accept)).await;
    assert_eq!(
        (exists, status, asked),
        (true, Some(CommandExecutionStatus::Completed), 1)
    );
}

#[tokio::test]
async fn a_declined_approval_does_not_run_the_command() {
    let (exists, status, asked) =
        touch_with_approval(Some(CommandExecutionApprovalDecision::Decline)).await;
    assert_eq!(
        (exists, status, asked),
        (false, Some(CommandExecutionStatus::Declined), 1)
    );
}

#[tokio::test]
async fn without_a_handler_approvals_are_declined() {
    let (exists, status, asked) = touch_with_approval(None).await;
    assert_eq!(
        (exists, status, asked),
        (false, Some(CommandExecutionStatus::Declined), 0)
    );
}

#[tokio::test]
async fn a_dynamic_tool_output_reaches_the_model() {
    let _lock = support::shared().await;
    let world = World::new().await;
    world.mock.push(Sse::reply(
        "resp-1",
        [sse::function_call(
            "call-dyn-1",
            "lookup_weather",
            &json!({"city": "Paris"}),
        )],
    ));
    world
        .mock
        .push(Sse::message("resp-2", "It is sunny in Paris."));
    let handlers = Handlers::new();
    handlers.on_dynamic_tool_call(|call| async move {
        let text = format!("{} for {}: 21C sunny", call.tool, call.arguments["city"]);
        DynamicToolCallResponse::new(vec![DynamicToolCallOutputContentItem::text(text)], true)
    });
    let server = world
        .spawn(AppServerOptions::new().handlers(handlers))
        .await;
    let tool = DynamicFunctionTool::new(
        "lookup_weather",
        "Look up the weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}},
               "required": ["city"], "additionalProperties": false}),
    );
    let thread = start_thread(
        &server,
        world
            .thread_params()
            .dynamic_tools(vec![DynamicToolSpec::Function(tool)]),
    )
    .await;
    let notes = collect(start_turn(&server, &thread, "weather in Paris?").await).await;
    assert_eq!(agent_texts(&notes), ["It is sunny in Paris."]);
    let requests = world
        .mock
        .wait_for_requests(2, WAIT)
        .await
        .expect("two model calls");
    assert!(requests[0].tool_names().contains(&"lookup_weather"));
    assert_eq!(
        requests[1].function_call_output("call-dyn-1").as_deref(),
        Some("lookup_weather for \"Paris\": 21C sunny")
    );
    world.assert_no_mock_problems();
}

#[tokio::test]
async fn dynamic_tools_without_the_experimental_api_are_refused_with_a_typed_error() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let server = world
        .spawn(AppServerOptions::new().experimental_api(false))
        .await;
    let tool = DynamicFunctionTool::new("t", "a tool", json!({"type": "object"}));
    let error = server
        .thread_start(
            world
                .thread_params()
                .dynamic_tools(vec![DynamicToolSpec::Function(tool)]),
        )
        .await
        .expect_err("refused");
    assert_eq!(error.rpc_code(), Some(-32600), "{error}");
    assert!(error.to_string().contains("experimentalApi"), "{error}");
}

/// A model response that streams a few deltas, then holds until `gate` opens.
fn held_reply(gate: &Gate) -> MockResponse {
    MockResponse::sse(Sse::reply(
        "resp-1",
        sse::assistant_message_streamed("msg-1", &["Thinking ", "about ", "it"]),
    ))
    .hold_after(3, gate)
}

#[tokio::test]
async fn an_interrupt_mid_stream_completes_the_turn_as_interrupted() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let gate = Gate::new();
    world.mock.push(held_reply(&gate));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;
    let mut turn = start_turn(&server, &thread, "think").await;
    // Wait for the first delta: the model is mid-stream.
    loop {
        let note = tokio::time::timeout(WAIT, turn.next())
            .await
            .expect("a notification in time")
            .expect("the turn goes on")
            .expect("no stream error");
        if matches!(note.body, ServerNotification::AgentMessageDelta(_)) {
            break;
        }
    }
    server
        .turn_interrupt(&thread, turn.turn_id())
        .await
        .expect("turn/interrupt succeeds");
    let turn_id = turn.turn_id().to_owned();
    let notes = collect(turn).await;
    assert_eq!(completed_status(&notes), TurnStatus::Interrupted);
    // A second interrupt finds no active turn, which counts as success.
    server
        .turn_interrupt(&thread, &turn_id)
        .await
        .expect("interrupting an ended turn is fine");
    gate.release();
}

#[tokio::test]
async fn steered_input_joins_the_running_turn() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let gate = Gate::new();
    world.mock.push(held_reply(&gate));
    world.mock.push(Sse::message("resp-2", "steered answer"));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;
    let turn = start_turn(&server, &thread, "think").await;
    gate.wait_reached(WAIT)
        .await
        .expect("the model is mid-stream");
    let steer = TurnSteerParams::new(
        &thread,
        turn.turn_id(),
        vec![UserInput::text("also: be brief")],
    );
    let steered = server.turn_steer(steer).await.expect("turn/steer succeeds");
    assert_eq!(steered.turn_id, turn.turn_id());
    gate.release();
    let notes = collect(turn).await;
    assert_eq!(completed_status(&notes), TurnStatus::Completed);
    let user_texts: Vec<String> = completed_items(&notes)
        .into_iter()
        .filter_map(|item| match item {
            ThreadItem::UserMessage(message) => {
                Some(serde_json::to_string(&message.content).expect("content serializes"))
            }
            _ => None,
        })
        .collect();
    assert!(
        user_texts.iter().any(|t| t.contains("also: be brief")),
        "{user_texts:?}"
    );
    let requests = world
        .mock
        .wait_for_requests(2, WAIT)
        .await
        .expect("two model calls");
    let user = requests[1].message_texts("user");
    assert!(user.iter().any(|t| t == "also: be brief"), "{user:?}");
    world.assert_no_mock_problems();
}

#[cfg(unix)]
#[tokio::test]
async fn a_server_killed_mid_turn_fails_streams_and_requests_with_its_stderr() {
    let _lock = support::shared().await;
    let world = World::new().await;
    let gate = Gate::new();
    world.mock.push(held_reply(&gate));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;
    let mut turn = start_turn(&server, &thread, "think").await;
    let mut everything = server.subscribe_all();
    gate.wait_reached(WAIT)
        .await
        .expect("the model is mid-stream");

    let pid = server.pid().expect("a spawned server has a pid");
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("pid fits")).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL codex");

    let error = tokio::time::timeout(WAIT, async {
        loop {
            match turn.next().await {
                Some(Ok(_)) => {}
                Some(Err(error)) => return error,
                None => panic!("the turn stream ended without an error"),
            }
        }
    })
    .await
    .expect("the stream fails promptly");
    match &error {
        Error::AppServerClosed { signal, stderr, .. } => {
            assert_eq!(*signal, Some(9), "{error}");
            assert!(!stderr.is_empty(), "no stderr tail in {error:?}");
        }
        other => panic!("unexpected error: {other:?}"),
    }
    let all = tokio::time::timeout(WAIT, async {
        loop {
            match everything.next().await {
                Some(Ok(_)) => {}
                other => return other,
            }
        }
    })
    .await
    .expect("the subscription fails promptly");
    assert!(
        matches!(all, Some(Err(Error::AppServerClosed { .. }))),
        "{all:?}"
    );
    let request = server.thread_start(world.thread_params()).await;
    assert!(
        matches!(
            request,
            Err(Error::AppServerClosed {
                signal: Some(9),
                ..
            })
        ),
        "{request:?}"
    );
    gate.release();
}

#[tokio::test]
async fn threads_can_be_named_listed_forked_archived_and_resumed_elsewhere() {
    let _lock = support::shared().await;
    let world = World::new().await;
    world.mock.push(Sse::message("resp-1", "first answer"));
    world
        .mock
        .push(Sse::message("resp-2", "answer after resume"));
    let server = world.spawn(AppServerOptions::new()).await;
    let thread = start_thread(&server, world.thread_params()).await;
    let notes = collect(start_turn(&server, &thread, "first question").await).await;
    assert_eq!(completed_status(&notes), TurnStatus::Completed);

    server
        .thread_set_name(&thread, "my thread")
        .await
        .expect("thread/name/set");
    let read = server
        .thread_read(ThreadReadParams::new(&thread))
        .await
        .expect("thread/read");
    assert_eq!(read.thread.name.as_deref(), Some("my thread"));
    let listed = server
        .thread_list(ThreadListParams::default())
        .await
        .expect("thread/list");
    assert!(listed.data.iter().any(|t| t.id == thread), "{listed:?}");
    let fork = server
        .thread_fork(ThreadForkParams::new(&thread))
        .await
        .expect("thread/fork");
    assert_ne!(fork.thread.id, thread);
    server
        .thread_archive(&thread)
        .await
        .expect("thread/archive");
    let unarchived = server
        .thread_unarchive(&thread)
        .await
        .expect("thread/unarchive");
    assert_eq!(unarchived.thread.id, thread);

    let models = server
        .model_list(ModelListParams::default())
        .await
        .expect("model/list");
    let account = server
        .account_read(GetAccountParams::new())
        .await
        .expect("account/read");
    let mcp = server
        .mcp_server_status_list(ListMcpServerStatusParams::default())
        .await
        .expect("mcpServerStatus/list");
    assert!(
        models.data.iter().any(|m| m.model == "gpt-5.5"),
        "{models:?}"
    );
    assert_eq!(models.data.iter().filter(|m| m.is_default).count(), 1);
    // The mock provider reads its key from an environment variable: no OpenAI login.
    assert_eq!(
        (account.account, account.requires_openai_auth),
        (None, false)
    );
    assert!(mcp.data.is_empty(), "no MCP server is configured: {mcp:?}");
    server.shutdown().await.expect("codex exits cleanly");

    // Another app-server process resumes the thread from its rollout.
    let other = world.spawn(AppServerOptions::new()).await;
    let resumed = other
        .thread_resume(ThreadResumeParams::new(&thread))
        .await
        .expect("thread/resume");
    assert_eq!(resumed.thread.id, thread);
    let notes = collect(start_turn(&other, &thread, "after resume").await).await;
    assert_eq!(agent_texts(&notes), ["answer after resume"]);
    let requests = world
        .mock
        .wait_for_requests(2, WAIT)
        .await
        .expect("two model calls");
    let user = requests[1].message_texts("user");
    assert!(user.iter().any(|t| t == "first question"), "{user:?}");
    world.assert_no_mock_problems();
}
