//! Real-codex smoke tier: the pinned `codex exec --json` against the mock server, configured
//! only through [`CodexHome`]. These tests fail (never skip) when the binary is unavailable.

use std::ffi::OsString;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use codex_agent_protocol::exec::{ItemDetails, ThreadEvent, parse_event_strict};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::{MockResponse, MockServer};
use codex_agent_testkit::real_codex::real_codex;
use codex_agent_testkit::sse::{self, Sse, StepStatus};
use pretty_assertions::assert_eq;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt as _;

/// A whole `codex exec` run takes well under a second against the mock.
const RUN_TIMEOUT: Duration = Duration::from_mins(1);

struct Run {
    status: ExitStatus,
    events: Vec<ThreadEvent>,
    stderr: String,
}

impl Run {
    /// Every completed item's payload.
    fn completed_items(&self) -> Vec<&ItemDetails> {
        self.events
            .iter()
            .filter_map(|event| match event {
                ThreadEvent::ItemCompleted(completed) => Some(&completed.item.details),
                _ => None,
            })
            .collect()
    }

    fn agent_messages(&self) -> Vec<&str> {
        self.completed_items()
            .into_iter()
            .filter_map(|item| match item {
                ItemDetails::AgentMessage(message) => Some(message.text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn assert_turn_completed(&self) {
        assert!(self.status.success(), "codex failed: {}", self.stderr);
        assert!(
            matches!(self.events.last(), Some(ThreadEvent::TurnCompleted(_))),
            "the last event is turn.completed: {:?}",
            self.events.last()
        );
    }
}

/// Runs `codex exec --json --skip-git-repo-check` in `cwd` with only the home's environment
/// plus `PATH` and `HOME`, writes `prompt` to stdin and closes it. Every stdout line must
/// parse in strict mode.
#[expect(
    clippy::disallowed_methods,
    reason = "the smoke tier runs the real codex binary directly, outside codex-agent-exec on purpose"
)]
async fn run_codex(home: &CodexHome, cwd: &Path, prompt: &str) -> Run {
    let codex = real_codex().unwrap_or_else(|error| panic!("{error}"));
    let mut env: Vec<(OsString, OsString)> = home.env();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    let mut child = tokio::process::Command::new(&codex)
        .args(["exec", "--json", "--skip-git-repo-check"])
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("spawn {}: {error}", codex.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(prompt.as_bytes())
        .await
        .expect("write the prompt");
    drop(stdin);
    let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("codex exits in time")
        .expect("wait for codex");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 stdout");
    let events = stdout
        .lines()
        .map(|line| parse_event_strict(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    Run {
        status: output.status,
        events,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

struct Setup {
    mock: MockServer,
    home: CodexHome,
    workdir: TempDir,
}

async fn setup(options: CodexHomeOptions) -> Setup {
    let mock = MockServer::start().await.expect("start the mock server");
    let home = CodexHome::with_options(&mock, options).expect("write CODEX_HOME");
    let workdir = tempfile::tempdir().expect("a working directory");
    Setup {
        mock,
        home,
        workdir,
    }
}

#[tokio::test]
async fn plain_message() {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default()).await;
    mock.push(Sse::reply_with_usage(
        "resp-1",
        [
            sse::reasoning("rs-1", &["**Thinking** about greeting"]),
            sse::assistant_message("msg-1", "Hi there!"),
        ],
        &sse::Usage::new(42, 5).cached(12).reasoning(3),
    ));

    let run = run_codex(&home, workdir.path(), "say hi").await;
    run.assert_turn_completed();
    assert_eq!(run.agent_messages(), ["Hi there!"]);
    let reasoning: Vec<&str> = run
        .completed_items()
        .into_iter()
        .filter_map(|item| match item {
            ItemDetails::Reasoning(reasoning) => Some(reasoning.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, ["**Thinking** about greeting"]);
    let Some(ThreadEvent::TurnCompleted(completed)) = run.events.last() else {
        unreachable!("checked by assert_turn_completed")
    };
    assert_eq!(
        (
            completed.usage.input_tokens,
            completed.usage.cached_input_tokens,
            completed.usage.output_tokens,
            completed.usage.reasoning_output_tokens
        ),
        (42, 12, 5, 3)
    );

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path(), "/v1/responses");
    assert_eq!(request.header("originator"), Some("codex_exec"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", CodexHome::API_KEY).as_str())
    );
    assert_eq!(request.model(), Some(CodexHome::MODEL));
    assert_eq!(
        request.message_texts("user").last().map(String::as_str),
        Some("say hi")
    );
    assert!(request.tool_names().contains(&"apply_patch"));
    assert_eq!(mock.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn exec_command_output_goes_back_to_the_model() {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default()).await;
    mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-exec-1", "echo hello-from-exec")],
    ));
    mock.push(Sse::message("resp-2", "ran it"));

    let run = run_codex(&home, workdir.path(), "run echo").await;
    run.assert_turn_completed();
    let command = run
        .completed_items()
        .into_iter()
        .find_map(|item| match item {
            ItemDetails::CommandExecution(command) => Some(command),
            _ => None,
        })
        .expect("a command_execution item");
    assert!(command.command.contains("echo hello-from-exec"));
    // `bash -lc` runs the user's login profile, which may print its own noise first.
    assert!(
        command.aggregated_output.ends_with("hello-from-exec\n"),
        "{}",
        command.aggregated_output
    );
    assert_eq!(command.exit_code, Some(0));
    assert_eq!(run.agent_messages(), ["ran it"]);

    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    let output = requests[1]
        .function_call_output("call-exec-1")
        .expect("a function_call_output for the command");
    assert!(output.contains("Process exited with code 0"), "{output}");
    assert!(output.contains("hello-from-exec"), "{output}");
    assert_eq!(mock.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn apply_patch_creates_the_file() {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default()).await;
    mock.push(Sse::reply(
        "resp-1",
        [sse::apply_patch(
            "call-patch-1",
            "*** Begin Patch\n*** Add File: hello.txt\n+hello world\n*** End Patch\n",
        )],
    ));
    mock.push(Sse::message("resp-2", "patched"));

    let run = run_codex(&home, workdir.path(), "create hello.txt").await;
    run.assert_turn_completed();
    assert_eq!(
        std::fs::read_to_string(workdir.path().join("hello.txt")).expect("hello.txt exists"),
        "hello world\n"
    );
    assert!(
        run.completed_items()
            .iter()
            .any(|item| matches!(item, ItemDetails::FileChange(_)))
    );
    let output = mock.requests()[1]
        .custom_tool_call_output("call-patch-1")
        .expect("a custom_tool_call_output for the patch");
    assert!(output.contains("A hello.txt"), "{output}");
}

#[tokio::test]
async fn update_plan_becomes_a_todo_list() {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default().update_plan(true)).await;
    mock.push(Sse::reply(
        "resp-1",
        [sse::update_plan(
            "call-plan-1",
            "starting",
            &[
                ("Inspect repo", StepStatus::Completed),
                ("Write fix", StepStatus::InProgress),
                ("Run tests", StepStatus::Pending),
            ],
        )],
    ));
    mock.push(Sse::message("resp-2", "planned"));

    let run = run_codex(&home, workdir.path(), "make a plan").await;
    run.assert_turn_completed();
    let todo = run
        .completed_items()
        .into_iter()
        .find_map(|item| match item {
            ItemDetails::TodoList(todo) => Some(todo),
            _ => None,
        })
        .expect("a todo_list item");
    let items: Vec<(&str, bool)> = todo
        .items
        .iter()
        .map(|item| (item.text.as_str(), item.completed))
        .collect();
    assert_eq!(
        items,
        [
            ("Inspect repo", true),
            ("Write fix", false),
            ("Run tests", false)
        ]
    );
    assert!(mock.requests()[0].tool_names().contains(&"update_plan"));
    assert_eq!(
        mock.requests()[1]
            .function_call_output("call-plan-1")
            .as_deref(),
        Some("Plan updated")
    );
}

#[tokio::test]
async fn http_401_fails_the_turn() {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default()).await;
    mock.repeat_forever(MockResponse::invalid_api_key());

    let run = run_codex(&home, workdir.path(), "say hi").await;
    assert_eq!(run.status.code(), Some(1), "stderr: {}", run.stderr);
    let Some(ThreadEvent::TurnFailed(failed)) = run.events.last() else {
        panic!("the last event is turn.failed: {:?}", run.events.last());
    };
    assert!(
        failed
            .error
            .message
            .starts_with("unexpected status 401 Unauthorized"),
        "{}",
        failed.error.message
    );
    assert!(
        failed.error.message.contains(&mock.url()),
        "{}",
        failed.error.message
    );
    assert_eq!(mock.requests().len(), 1, "zero retries: one request");
}

/// Runs one turn against `response` and returns the `turn.failed` message.
async fn failed_turn_message(response: MockResponse) -> String {
    let Setup {
        mock,
        home,
        workdir,
    } = setup(CodexHomeOptions::default()).await;
    mock.push(response);
    let run = run_codex(&home, workdir.path(), "say hi").await;
    assert_eq!(run.status.code(), Some(1), "stderr: {}", run.stderr);
    assert_eq!(mock.requests().len(), 1, "zero retries: one request");
    let Some(ThreadEvent::TurnFailed(failed)) = run.events.last() else {
        panic!("the last event is turn.failed: {:?}", run.events.last());
    };
    failed.error.message.clone()
}

#[tokio::test]
async fn a_cut_off_stream_fails_the_turn_with_a_transport_error() {
    let cut = MockResponse::sse(Sse::message("resp-1", "never finished")).cut_off_after(2);
    assert_eq!(
        failed_turn_message(cut).await,
        "stream disconnected before completion: Transport error: network error: error decoding \
         response body"
    );
}

#[tokio::test]
async fn a_stream_ending_without_completed_fails_the_turn() {
    let body = Sse::from_events([
        sse::response_created("resp-1"),
        sse::assistant_message("msg-1", "never finished"),
    ]);
    assert_eq!(
        failed_turn_message(MockResponse::sse(body)).await,
        "stream disconnected before completion: stream closed before response.completed"
    );
}
