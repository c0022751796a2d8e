//! The MCP client against the reference peer, `@modelcontextprotocol/server-everything`
//! (installed by `codex_agent_testkit::mcp_everything`), over stdio and streamable HTTP; and a
//! real codex turn calling an imported tool through the SDK's own MCP server.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_agent_sdk::mcp::{
    self, Error, ExecLauncher, ImportOptions, LaunchSpec, McpClient, McpClientOptions,
    McpTransport, ProcessLauncher, TRUNCATION_MARKER,
};
use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::{ItemDetails, McpContent, McpToolCallStatus, Transport};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::process_watch::{ProcessState, read_pid, wait_gone};
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{Harness, WAIT, run};

/// `dist/index.js` of server-everything; fails (never skips) when it cannot be installed.
fn everything() -> PathBuf {
    codex_agent_testkit::mcp_everything::server_everything()
        .unwrap_or_else(|error| panic!("{error}"))
}

fn options(name: &str) -> McpClientOptions {
    McpClientOptions::new()
        .name(name)
        .handshake_timeout(Duration::from_secs(20))
        .request_timeout(Duration::from_secs(20))
        .restart_backoff(Duration::from_millis(50))
}

/// A running server-everything in `streamableHttp` mode, stopped (and reaped) when dropped.
struct HttpServer {
    url: String,
    _process: Box<dyn codex_agent_sdk::mcp::LaunchedProcess>,
}

async fn http_server() -> HttpServer {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let spec = LaunchSpec::new("node")
        .args([everything().into_os_string(), "streamableHttp".into()])
        .env("PORT", port.to_string());
    let process = ExecLauncher
        .launch(spec)
        .expect("start server-everything over HTTP");
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server-everything did not listen on port {port}: {}",
            process.stderr_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    HttpServer {
        url: format!("http://127.0.0.1:{port}/mcp"),
        _process: process,
    }
}

fn stdio() -> McpTransport {
    mcp::stdio("node", [everything().into_os_string(), "stdio".into()])
}

/// Both transports: the stdio transport, and HTTP with the server that serves it.
async fn both() -> Vec<(&'static str, McpTransport, Option<HttpServer>)> {
    let server = http_server().await;
    let http = McpTransport::http(server.url.clone());
    vec![("stdio", stdio(), None), ("http", http, Some(server))]
}

#[tokio::test]
async fn tools_are_listed_and_called_over_both_transports() {
    for (name, transport, _server) in both().await {
        let client = McpClient::connect(transport, options(name))
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let info = client.server_info().await.expect("info");
        assert!(!info.name.is_empty() && info.tools, "{name}: {info:?}");
        let tools: Vec<String> = client
            .tools()
            .iter()
            .map(|tool| tool.name.clone())
            .collect();
        for expected in ["echo", "get-sum", "trigger-long-running-operation"] {
            assert!(
                tools.iter().any(|tool| tool == expected),
                "{name}: {tools:?}"
            );
        }

        let echo = client
            .call_tool("echo", json!({"message": "hi"}))
            .await
            .expect("echo");
        assert_eq!(
            (echo.is_error, echo.text()),
            (false, "Echo: hi".to_owned()),
            "{name}"
        );
        let sum = client
            .call_tool("get-sum", json!({"a": 2, "b": 3}))
            .await
            .expect("get-sum");
        assert!(!sum.is_error && sum.text().contains('5'), "{name}: {sum:?}");
        let failed = client
            .call_tool("echo", json!({}))
            .await
            .expect("a failed call is Ok");
        assert!(failed.is_error, "{name}: {failed:?}");
        assert!(failed.into_tool_result().is_err(), "{name}");

        if info.resources {
            let resources = client.list_resources().await.expect("resources");
            assert!(!resources.is_empty(), "{name}");
            let contents = client.read_resource(&resources[0].uri).await.expect("read");
            assert!(!contents.is_empty(), "{name}");
        }
        if info.prompts {
            assert!(
                !client.list_prompts().await.expect("prompts").is_empty(),
                "{name}"
            );
        }
        client.shutdown().await;
        assert!(matches!(
            client.call_tool("echo", json!({"message": "late"})).await,
            Err(Error::Gone { .. })
        ));
    }
}

#[tokio::test]
async fn a_long_running_call_reports_progress_and_times_out_cancelled() {
    for (name, transport, _server) in both().await {
        let client = McpClient::connect(
            transport,
            options(name).request_timeout(Duration::from_millis(2500)),
        )
        .await
        .unwrap_or_else(|error| panic!("{name}: {error}"));
        let progress = Arc::new(Mutex::new(Vec::new()));
        let seen = progress.clone();
        let result = client
            .call_tool_with_progress(
                "trigger-long-running-operation",
                json!({"duration": 60, "steps": 60}),
                move |update| seen.lock().expect("lock").push(update.progress),
            )
            .await;
        assert!(
            matches!(result, Err(Error::Timeout { .. })),
            "{name}: {result:?}"
        );
        assert!(
            !progress.lock().expect("lock").is_empty(),
            "{name}: no progress seen"
        );
        // The server goes on serving.
        let echo = client
            .call_tool("echo", json!({"message": "after"}))
            .await
            .expect("echo");
        assert_eq!(echo.text(), "Echo: after", "{name}");
    }
}

#[tokio::test]
async fn a_dropped_call_is_cancelled_and_the_client_goes_on() {
    let client = McpClient::connect(stdio(), options("everything"))
        .await
        .expect("connect");
    let call = client.call_tool(
        "trigger-long-running-operation",
        json!({"duration": 60, "steps": 6}),
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call)
            .await
            .is_err()
    );
    let echo = client
        .call_tool("echo", json!({"message": "next"}))
        .await
        .expect("echo");
    assert_eq!(echo.text(), "Echo: next");
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test kills the server from outside"
)]
fn kill_9(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[tokio::test]
async fn a_killed_server_fails_the_call_in_flight_and_is_restarted() {
    let client = McpClient::connect(stdio(), options("everything"))
        .await
        .expect("connect");
    let first = client.server_pid().expect("a stdio server has a pid");
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool(
                    "trigger-long-running-operation",
                    json!({"duration": 60, "steps": 60}),
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    kill_9(first);

    let result = tokio::time::timeout(WAIT, in_flight)
        .await
        .expect("no hang")
        .expect("join");
    assert!(
        matches!(result, Err(Error::Disconnected { .. })),
        "{result:?}"
    );
    let echo = client
        .call_tool("echo", json!({"message": "again"}))
        .await
        .expect("after restart");
    assert_eq!(echo.text(), "Echo: again");
    assert_eq!(client.restarts(), 1);
    assert_eq!(wait_gone(first, WAIT).await, ProcessState::Gone);

    let second = client.server_pid().expect("the restarted server");
    assert_ne!(second, first);
    drop(client);
    assert_eq!(
        wait_gone(second, WAIT).await,
        ProcessState::Gone,
        "dropping the client reaps the server"
    );
}

/// A command that writes its pid to `dir/pid`, then runs `rest`.
fn shell_server(dir: &Path, rest: &str) -> McpTransport {
    let script = format!("echo $$ > '{}'\n{rest}", dir.join("pid").display());
    McpTransport::stdio(
        Arc::new(ExecLauncher),
        LaunchSpec::new("/bin/sh").args(["-c", script.as_str()]),
    )
}

#[tokio::test]
async fn a_server_that_is_not_mcp_is_a_handshake_error_and_is_reaped() {
    for (case, rest) in [
        (
            "garbage",
            "echo 'this is not JSON-RPC'; echo '{\"nope\": 1}'; exec sleep 60",
        ),
        ("exits at once", "echo 'bye' >&2; exit 3"),
        ("never answers", "exec sleep 60"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = options(case).handshake_timeout(Duration::from_secs(2));
        let result = tokio::time::timeout(
            WAIT,
            McpClient::connect(shell_server(dir.path(), rest), options),
        )
        .await
        .unwrap_or_else(|_| panic!("{case}: connect hung"));
        let Err(Error::Handshake { server, message }) = result else {
            panic!("{case}: {result:?}");
        };
        assert_eq!(server, case);
        assert!(!message.is_empty());
        let pid = read_pid(&dir.path().join("pid"), WAIT)
            .await
            .expect("the pid file");
        assert_eq!(
            wait_gone(pid, WAIT).await,
            ProcessState::Gone,
            "{case}: reaped"
        );
    }
}

#[tokio::test]
async fn an_oversize_result_is_truncated_with_a_marker() {
    let client = McpClient::connect(stdio(), options("everything").max_result_bytes(64))
        .await
        .expect("connect");
    let result = client
        .call_tool("echo", json!({"message": "x".repeat(1000)}))
        .await
        .expect("echo");
    assert!(result.truncated);
    let text = result.text();
    assert!(text.ends_with(TRUNCATION_MARKER), "{text}");
    assert!(text.len() < 64 + TRUNCATION_MARKER.len() + 2, "{text}");
}

#[tokio::test]
async fn a_codex_turn_calls_an_imported_tool_and_a_denied_tool_stays_hidden() {
    for (name, transport, _server) in both().await {
        let h = Harness::with(CodexHomeOptions::default(), |o, _| {
            o.transport(Transport::Exec)
        })
        .await;
        h.mock.push(Sse::reply(
            "resp-1",
            [sse::tool_search_call("ts-1", "echo sum env", 10)],
        ));
        h.mock.push(Sse::reply(
            "resp-2",
            [sse::mcp_tool_call(
                "call-1",
                "everything",
                "echo",
                &json!({"message": "ping"}),
            )],
        ));
        h.mock.push(Sse::message("resp-3", "it echoed"));
        let client = McpClient::connect(transport, options("everything"))
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let tools = ToolRegistry::new();
        let import = mcp::import(
            &client,
            &tools,
            ImportOptions::new()
                .allow("echo")
                .allow("get-sum")
                .allow("get-env")
                .deny("get-env"),
        )
        .expect("import");
        assert_eq!(import.names(), ["echo", "get-sum"], "{name}");
        let thread = h
            .codex
            .start_thread(h.thread_options().tools(tools.clone()));

        let turn = run(&thread, "echo ping").await.expect("the turn completes");

        let calls: Vec<_> = turn
            .items
            .iter()
            .filter_map(|item| match &item.details {
                ItemDetails::McpToolCall(call) => Some((
                    call.server.clone(),
                    call.tool.clone(),
                    call.status == McpToolCallStatus::Completed,
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            calls,
            [("everything".to_owned(), "echo".to_owned(), true)],
            "{name}"
        );
        let requests = h.mock.requests();
        let found: Vec<String> = requests[1]
            .input_items_of_type("tool_search_output")
            .iter()
            .map(ToString::to_string)
            .collect();
        let found = found.join("\n");
        // codex offers `get-sum` as `get_sum`; the denied `get-env` would be `get_env`.
        assert!(
            found.contains("\"get_sum\"") && found.contains("\"echo\""),
            "{name}: {found}"
        );
        assert!(
            !found.contains("get_env") && !found.contains("get-env"),
            "{name}: the denied tool reached the model: {found}"
        );
        let output = requests[2]
            .function_call_output("call-1")
            .expect("the echo output");
        assert!(output.contains("Echo: ping"), "{name}: {output}");
        assert_eq!(
            tools
                .metrics()
                .iter()
                .map(codex_agent_sdk::registry::ToolMetrics::calls)
                .sum::<u64>(),
            1,
            "{name}"
        );
        h.assert_no_mock_problems();
    }
}

#[test]
fn the_pass_through_declares_a_required_server_to_codex() {
    assert_eq!(
        mcp::codex_server_config("node", &["server.js", "stdio"]),
        json!({"command": "node", "args": ["server.js", "stdio"], "required": true})
    );
}

/// Checks one block of a server-everything answer: typed, with what the tool sends.
fn assert_typed(transport: Transport, tool: &str, block: &McpContent) {
    let extra = match block {
        McpContent::Text(text) => {
            assert!(!text.text.is_empty());
            &text.extra
        }
        McpContent::Image(image) => {
            assert_eq!(image.mime_type, "image/png", "{transport:?}");
            assert!(image.data.starts_with("iVBOR"), "{transport:?}: base64 PNG");
            &image.extra
        }
        McpContent::ResourceLink(link) => {
            assert!(link.uri.starts_with("demo://resource/"), "{link:?}");
            assert!(
                !link.name.is_empty() && link.mime_type.is_some(),
                "{link:?}"
            );
            &link.extra
        }
        McpContent::Resource(resource) => {
            assert!(resource.resource.uri.starts_with("demo://resource/"));
            assert!(resource.resource.text.is_some(), "{resource:?}");
            &resource.extra
        }
        other => panic!("{transport:?}: an untyped block {other:?}"),
    };
    if tool == "get-annotated-message" {
        assert!(
            extra.contains_key("annotations"),
            "{transport:?}: {block:?}"
        );
    }
}

/// A real codex turn (both transports) calling server-everything's tools that answer with each
/// kind of MCP content block: the blocks arrive typed, MCP's `annotations` in their `extra`.
#[tokio::test]
async fn mcp_content_blocks_arrive_typed_on_both_transports() {
    for transport in [Transport::Exec, Transport::AppServer] {
        let home = CodexHomeOptions::default().mcp_server(
            "everything",
            "node",
            [
                everything().to_string_lossy().into_owned(),
                "stdio".to_owned(),
            ],
        );
        let h = Harness::with(home, |o, _| o.transport(transport)).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [sse::tool_search_call(
                "ts-1",
                "image resource links annotated",
                20,
            )],
        ));
        // codex offers server-everything's `get-tiny-image` as `get_tiny_image`.
        h.mock.push(Sse::reply(
            "resp-2",
            [
                sse::mcp_tool_call("call-1", "everything", "get_tiny_image", &json!({})),
                sse::mcp_tool_call(
                    "call-2",
                    "everything",
                    "get_resource_links",
                    &json!({"count": 1}),
                ),
                sse::mcp_tool_call(
                    "call-3",
                    "everything",
                    "get_resource_reference",
                    &json!({"resourceType": "Text", "resourceId": 1}),
                ),
                sse::mcp_tool_call(
                    "call-4",
                    "everything",
                    "get_annotated_message",
                    &json!({"messageType": "success", "includeImage": true}),
                ),
            ],
        ));
        h.mock.push(Sse::message("resp-3", "done"));
        let thread = h.start_thread();
        let turn = run(&thread, "show me").await.expect("the turn completes");
        h.assert_no_mock_problems();
        let mut seen = Vec::new();
        for item in &turn.items {
            let ItemDetails::McpToolCall(call) = &item.details else {
                continue;
            };
            let result = call
                .result
                .as_ref()
                .unwrap_or_else(|| panic!("{transport:?}: {} has a result", call.tool));
            let kinds: Vec<&str> = result
                .content
                .iter()
                .map(McpContent::content_type)
                .collect();
            seen.push((call.tool.clone(), kinds));
            for block in &result.content {
                assert_typed(transport, &call.tool, block);
            }
        }
        seen.sort();
        assert_eq!(
            seen,
            [
                ("get-annotated-message".to_owned(), vec!["text", "image"]),
                (
                    "get-resource-links".to_owned(),
                    vec!["text", "resource_link"]
                ),
                (
                    "get-resource-reference".to_owned(),
                    vec!["text", "resource", "text"]
                ),
                ("get-tiny-image".to_owned(), vec!["text", "image", "text"]),
            ],
            "{transport:?}"
        );
    }
}
