//! Host tools on both transports, against the real codex: `dynamicTools` on the app-server,
//! the in-process MCP server on exec.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::tools::{Tool, ToolError};
use codex_agent_sdk::{
    ItemDetails, McpToolCallStatus, ThreadEvent, ThreadItem, Transport, Turn, TurnOptions,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::sse::{self, Sse, SseEvent};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{Harness, WAIT, next_event, run};

const BOTH: [Transport; 2] = [Transport::Exec, Transport::AppServer];

async fn harness(transport: Transport) -> Harness {
    Harness::with(CodexHomeOptions::default(), move |o, _| {
        o.transport(transport)
    })
    .await
}

/// The model calling `tool` (without namespace) as codex sees it on `transport`.
fn call(transport: Transport, call_id: &str, tool: &str, arguments: &Value) -> SseEvent {
    match transport {
        Transport::AppServer => sse::function_call(call_id, tool, arguments),
        _ => sse::mcp_tool_call(call_id, "host", tool, arguments),
    }
}

/// The tool calls of a turn: `(tool, succeeded)`.
fn tool_calls(turn: &Turn) -> Vec<(String, bool)> {
    turn.items
        .iter()
        .filter_map(|item| match &item.details {
            ItemDetails::DynamicToolCall(call) => {
                Some((call.tool.clone(), call.success == Some(true)))
            }
            // An MCP result with `isError: true` completes the item as `failed`.
            ItemDetails::McpToolCall(call) => Some((
                call.tool.clone(),
                call.status == McpToolCallStatus::Completed,
            )),
            _ => None,
        })
        .collect()
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

fn add() -> Tool {
    Tool::typed("add", "Adds two integers.", |i: Add| async move {
        Ok::<_, ToolError>((i.a + i.b).to_string())
    })
    .read_only(true)
}

#[tokio::test]
async fn a_typed_tool_result_reaches_the_model_on_both_transports() {
    for transport in BOTH {
        let h = harness(transport).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [call(transport, "call-1", "add", &json!({"a": 2, "b": 3}))],
        ));
        h.mock.push(Sse::message("resp-2", "2 + 3 = 5"));
        let tools = ToolRegistry::new().with(add()).expect("valid");
        let thread = h
            .codex
            .start_thread(h.thread_options().tools(tools.clone()));

        let turn = run(&thread, "add 2 and 3")
            .await
            .expect("the turn completes");

        assert_eq!(tool_calls(&turn), [("add".to_owned(), true)], "{transport}");
        let output = h.mock.requests()[1]
            .function_call_output("call-1")
            .unwrap_or_else(|| panic!("{transport}: the output goes back to the model"));
        assert!(output.contains('5'), "{transport}: {output}");
        assert_eq!(turn.final_response, "2 + 3 = 5");
        assert_eq!(tools.metrics()[0].calls(), 1);
        h.assert_no_mock_problems();
    }
}

#[tokio::test]
async fn handler_errors_and_bad_arguments_reach_the_model_as_errors() {
    for transport in BOTH {
        let h = harness(transport).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [call(
                transport,
                "call-bad",
                "add",
                &json!({"a": "two", "b": 3}),
            )],
        ));
        h.mock.push(Sse::reply(
            "resp-2",
            [call(transport, "call-err", "fail", &json!({}))],
        ));
        h.mock.push(Sse::message("resp-3", "both failed"));
        let tools = ToolRegistry::new()
            .with(add())
            .and_then(|r| {
                r.with(Tool::new(
                    "fail",
                    "Always fails.",
                    json!({"type": "object"}),
                    |_| async { Err::<String, _>(ToolError::new("the database is down")) },
                ))
            })
            .expect("valid");
        let thread = h
            .codex
            .start_thread(h.thread_options().tools(tools.clone()));

        let turn = run(&thread, "try")
            .await
            .expect("failed calls do not fail the turn");

        assert_eq!(
            tool_calls(&turn),
            [("add".to_owned(), false), ("fail".to_owned(), false)],
            "{transport}: {:#?}",
            turn.items
        );
        let requests = h.mock.requests();
        let bad = requests[1]
            .function_call_output("call-bad")
            .expect("bad output");
        assert!(
            bad.contains("invalid arguments for `add` at `a`"),
            "{transport}: {bad}"
        );
        let failed = requests[2]
            .function_call_output("call-err")
            .expect("error output");
        assert!(
            failed.contains("the database is down"),
            "{transport}: {failed}"
        );
        let errors: Vec<u64> = tools
            .metrics()
            .iter()
            .map(codex_agent_sdk::registry::ToolMetrics::errors)
            .collect();
        assert_eq!(errors, [1, 1]);
        h.assert_no_mock_problems();
    }
}

#[tokio::test]
async fn a_hanging_tool_is_cancelled_at_its_timeout_and_the_turn_goes_on() {
    for transport in BOTH {
        let h = harness(transport).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [call(transport, "call-1", "hang", &json!({}))],
        ));
        h.mock.push(Sse::message("resp-2", "it hung"));
        let dropped = Arc::new(tokio::sync::Notify::new());
        let signal = Arc::clone(&dropped);
        let tools = ToolRegistry::new()
            .with(
                Tool::new(
                    "hang",
                    "Never answers.",
                    json!({"type": "object"}),
                    move |_| {
                        let guard = NotifyOnDrop(Arc::clone(&signal));
                        async move {
                            let _guard = guard;
                            std::future::pending::<Result<String, ToolError>>().await
                        }
                    },
                )
                .timeout(Duration::from_millis(500)),
            )
            .expect("valid");
        let thread = h.codex.start_thread(h.thread_options().tools(tools));
        let notified = dropped.notified();

        let turn = run(&thread, "hang").await.expect("the turn goes on");

        tokio::time::timeout(WAIT, notified)
            .await
            .expect("the handler's future is dropped");
        assert_eq!(turn.final_response, "it hung");
        let output = h.mock.requests()[1]
            .function_call_output("call-1")
            .expect("the timeout goes back to the model");
        assert!(
            output.contains("timed out after 500 ms"),
            "{transport}: {output}"
        );
    }
}

struct NotifyOnDrop(Arc<tokio::sync::Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_in_one_response_run_concurrently() {
    for transport in BOTH {
        let h = harness(transport).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [
                call(transport, "call-1", "slow", &json!({})),
                call(transport, "call-2", "slow", &json!({})),
            ],
        ));
        h.mock.push(Sse::message("resp-2", "both done"));
        let spans: Arc<Mutex<Vec<(Instant, Instant)>>> = Arc::default();
        let record = Arc::clone(&spans);
        let tools = ToolRegistry::new()
            .with(Tool::new(
                "slow",
                "Takes a while.",
                json!({"type": "object"}),
                move |_| {
                    let record = Arc::clone(&record);
                    async move {
                        let start = Instant::now();
                        tokio::time::sleep(Duration::from_millis(800)).await;
                        record.lock().expect("lock").push((start, Instant::now()));
                        Ok::<_, ToolError>("done")
                    }
                },
            ))
            .expect("valid");
        let thread = h.codex.start_thread(h.thread_options().tools(tools));

        let turn = run(&thread, "two at once")
            .await
            .expect("the turn completes");

        assert_eq!(turn.final_response, "both done");
        let spans = spans.lock().expect("lock").clone();
        assert_eq!(spans.len(), 2, "{transport}");
        let overlap = spans[0]
            .1
            .min(spans[1].1)
            .saturating_duration_since(spans[0].0.max(spans[1].0));
        assert!(
            overlap > Duration::from_millis(400),
            "{transport}: the calls overlap by {overlap:?} only"
        );
    }
}

/// The URL of the host tool server in the argv of the running `codex exec`.
fn tool_server_url(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("codex's argv");
    let argv = String::from_utf8_lossy(&cmdline);
    let start = argv
        .find("mcp_servers.host.url=\"")
        .unwrap_or_else(|| panic!("the MCP server is declared: {argv:?}"))
        + "mcp_servers.host.url=\"".len();
    argv[start..]
        .split('"')
        .next()
        .expect("a quoted URL")
        .to_owned()
}

/// The status code of a bare `POST` to `url` with `authorization` (if any).
async fn post_status(url: &str, authorization: Option<&str>) -> u16 {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let auth = authorization
        .map(|a| format!("authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8_lossy(&response);
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {response}"))
}

#[tokio::test]
async fn the_exec_tool_server_wants_its_token_and_leaves_nothing_behind() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();
    let h = harness(Transport::Exec).await;
    let tasks_with_mock = metrics.num_alive_tasks();
    h.mock.push(Sse::reply(
        "resp-1",
        [call(Transport::Exec, "call-1", "wait", &json!({}))],
    ));
    h.mock.push(Sse::message("resp-2", "done"));
    let release = Arc::new(tokio::sync::Notify::new());
    let entered = Arc::new(tokio::sync::Notify::new());
    let (r, e) = (Arc::clone(&release), Arc::clone(&entered));
    let tools = ToolRegistry::new()
        .with(Tool::new(
            "wait",
            "Waits.",
            json!({"type": "object"}),
            move |_| {
                let (release, entered) = (Arc::clone(&r), Arc::clone(&e));
                async move {
                    entered.notify_one();
                    release.notified().await;
                    Ok::<_, ToolError>("released")
                }
            },
        ))
        .expect("valid");
    let thread = h.codex.start_thread(h.thread_options().tools(tools));
    let mut stream = thread
        .run_streamed("wait", TurnOptions::new())
        .await
        .expect("the turn starts");
    let pid = stream.pid().expect("codex runs");
    let mut events = Vec::new();
    tokio::select! {
        () = entered.notified() => {}
        () = async { while let Some(event) = next_event(&mut stream).await { events.push(event); } } => {
            panic!("the turn ended before the tool ran: {events:?}");
        }
    }

    // Read once codex called the tool: right after the spawn, the child may not have
    // exec'd codex yet.
    let url = tool_server_url(pid);
    assert_eq!(post_status(&url, None).await, 401);
    assert_eq!(post_status(&url, Some("Bearer not-the-token")).await, 401);
    release.notify_one();
    while let Some(event) = next_event(&mut stream).await {
        event.expect("no error");
    }
    drop(stream);
    drop(thread);
    let codex = h.codex.clone();
    drop(h);
    drop(codex);

    let authority = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("an authority")
        .to_owned();
    let deadline = Instant::now() + WAIT;
    loop {
        let refused = tokio::net::TcpStream::connect(&authority).await.is_err();
        let tasks = metrics.num_alive_tasks();
        if refused && tasks <= baseline {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: port open {}, tasks {tasks} (baseline {baseline}, with the mock {tasks_with_mock})",
            !refused
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Median time from a tool call item's start to its completion, as the stream shows it, over
/// 20 calls of a tool that answers at once: the round trip codex → SDK → codex.
async fn median_call_latency(transport: Transport) -> Duration {
    const CALLS: usize = 20;
    let h = harness(transport).await;
    for i in 0..CALLS {
        h.mock.push(Sse::reply(
            &format!("resp-{i}"),
            [call(
                transport,
                &format!("call-{i}"),
                "add",
                &json!({"a": i, "b": 1}),
            )],
        ));
    }
    h.mock.push(Sse::message("resp-last", "done"));
    let tools = ToolRegistry::new().with(add()).expect("valid");
    let thread = h.codex.start_thread(h.thread_options().tools(tools));
    let mut stream = thread
        .run_streamed("add twenty times", TurnOptions::new())
        .await
        .expect("the turn starts");
    let mut started = std::collections::HashMap::new();
    let mut latencies = Vec::new();
    let is_call = |item: &ThreadItem| {
        matches!(
            item.details,
            ItemDetails::McpToolCall(_) | ItemDetails::DynamicToolCall(_)
        )
    };
    while let Some(event) = stream.next().await {
        match event.expect("no error") {
            ThreadEvent::ItemStarted(e) if is_call(&e.item) => {
                started.insert(e.item.id.clone(), Instant::now());
            }
            ThreadEvent::ItemCompleted(e) if is_call(&e.item) => {
                if let Some(start) = started.get(&e.item.id) {
                    latencies.push(start.elapsed());
                }
            }
            _ => {}
        }
    }
    assert_eq!(latencies.len(), CALLS, "{transport}");
    latencies.sort();
    latencies[CALLS / 2]
}

#[tokio::test]
#[expect(clippy::print_stdout, reason = "the measurement is the test's report")]
async fn per_call_latency_of_a_host_tool() {
    for transport in BOTH {
        let median = median_call_latency(transport).await;
        // A measurement, not a speed check (those live in `cargo xtask bench`).
        println!("host tool round trip on {transport}: median of 20 calls {median:?}");
    }
}

/// A tool registered after a thread's first turn: the next exec turn serves it (the model
/// calls it); on the app-server, whose dynamic tools are fixed at `thread/start`, the next turn
/// is refused with a typed error instead of silently hiding the tool.
#[tokio::test]
async fn tools_registered_after_the_first_turn() {
    for transport in BOTH {
        let h = harness(transport).await;
        h.mock.push(Sse::message("resp-1", "no tools needed"));
        let tools = ToolRegistry::new().with(add()).expect("valid");
        let thread = h
            .codex
            .start_thread(h.thread_options().tools(tools.clone()));
        run(&thread, "hello")
            .await
            .expect("the first turn completes");
        tools
            .register(Tool::new(
                "later",
                "Registered later.",
                json!({"type": "object"}),
                |_| async { Ok::<_, ToolError>("late answer") },
            ))
            .expect("valid");
        if transport == Transport::AppServer {
            let error = run(&thread, "use later").await.expect_err("refused");
            assert!(
                matches!(
                    error,
                    codex_agent_sdk::Error::Unsupported {
                        transport: Transport::AppServer,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                "changing a thread's tools after its first turn is not supported by the \
                     app-server transport"
            );
        } else {
            h.mock.push(Sse::reply(
                "resp-2",
                [call(transport, "call-1", "later", &json!({}))],
            ));
            h.mock.push(Sse::message("resp-3", "done"));
            let turn = run(&thread, "use later").await.expect("the turn completes");
            assert_eq!(tool_calls(&turn), [("later".to_owned(), true)]);
            let output = h.mock.requests()[2]
                .function_call_output("call-1")
                .expect("the output goes back to the model");
            assert!(output.contains("late answer"), "{output}");
        }
        h.assert_no_mock_problems();
    }
}
