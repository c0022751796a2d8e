//! The app-server client against a scripted in-process peer (`AppServer::connect` over a
//! duplex pipe): what the real codex does not do on demand — unknown and malformed server
//! requests, errors, timeouts, slow subscribers, early notifications, handler failures, the
//! peer going away.

use std::time::Duration;

use codex_agent_exec::Error;
use codex_agent_exec::app_server::{
    AppServer, AppServerOptions, CapabilitySource, Handlers, METHOD_NOT_FOUND, Subscription,
    TurnStream,
};
use codex_agent_protocol::app_server::{
    CommandExecutionApprovalDecision, ServerNotification, ThreadStartParams, TurnStartParams,
    UserInput,
};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};

use crate::support;

/// Bound for anything that should happen promptly in-process.
const WAIT: Duration = Duration::from_secs(10);

/// The server side of the pipe, driven by the test.
struct Peer {
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    write: WriteHalf<DuplexStream>,
}

impl Peer {
    /// The next message the client wrote.
    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("the client writes in time")
            .expect("reading the pipe works")
            .expect("the client did not close the pipe");
        serde_json::from_str(&line).expect("the client writes JSON")
    }

    /// Whether the client closed its side.
    async fn at_eof(&mut self) -> bool {
        tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("the client closes in time")
            .expect("reading the pipe works")
            .is_none()
    }

    async fn send(&mut self, message: Value) {
        self.send_raw(&message.to_string()).await;
    }

    /// Sends one line as is (a newline is added).
    async fn send_raw(&mut self, text: &str) {
        let mut line = text.to_owned();
        line.push('\n');
        self.write
            .write_all(line.as_bytes())
            .await
            .expect("the client reads the pipe");
    }

    /// Answers the request `request` (as received) with `result`.
    async fn answer(&mut self, request: &Value, result: Value) {
        self.send(json!({"id": request["id"], "result": result}))
            .await;
    }

    /// Receives a request and checks its method.
    async fn expect_request(&mut self, method: &str) -> Value {
        let request = self.recv().await;
        assert_eq!(request["method"], method, "{request}");
        request
    }
}

const USER_AGENT: &str = "codex_sdk_rs/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_sdk_rs; 0.1.0)";

/// Connects a client to a fresh peer and runs the handshake, with `before_answer` sent by the
/// peer between `initialize` and its response.
async fn connect_with(options: AppServerOptions, before_answer: Vec<Value>) -> (AppServer, Peer) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (client_read, client_write) = tokio::io::split(client);
    let (server_read, server_write) = tokio::io::split(server);
    let mut peer = Peer {
        lines: BufReader::new(server_read).lines(),
        write: server_write,
    };
    let connecting = tokio::spawn(AppServer::connect(client_read, client_write, options));
    let initialize = peer.expect_request("initialize").await;
    assert_eq!(initialize["id"], 1);
    assert_eq!(
        initialize["params"],
        json!({
            "clientInfo": {"name": "codex_sdk_rs", "title": "Codex SDK for Rust", "version": env!("CARGO_PKG_VERSION")},
            "capabilities": {"experimentalApi": true},
        })
    );
    for message in before_answer {
        peer.send(message).await;
    }
    peer.answer(
        &initialize,
        json!({"userAgent": USER_AGENT, "codexHome": "/h", "platformFamily": "unix", "platformOs": "linux"}),
    )
    .await;
    assert_eq!(peer.recv().await, json!({"method": "initialized"}));
    let server = tokio::time::timeout(WAIT, connecting)
        .await
        .expect("the handshake ends in time")
        .expect("the task runs")
        .expect("the handshake succeeds");
    (server, peer)
}

async fn connect(options: AppServerOptions) -> (AppServer, Peer) {
    connect_with(options, Vec::new()).await
}

async fn next(subscription: &mut Subscription) -> Option<Result<ServerNotification, Error>> {
    tokio::time::timeout(WAIT, subscription.next())
        .await
        .expect("the subscription yields in time")
        .map(|item| item.map(|note| note.body))
}

fn delta(text: &str) -> Value {
    json!({"method": "item/agentMessage/delta",
           "params": {"threadId": "t", "turnId": "u", "itemId": "m", "delta": text}})
}

fn turn(id: &str, status: &str) -> Value {
    json!({"id": id, "rootTurnId": id, "items": [], "itemsView": "notLoaded", "status": status,
           "error": null, "startedAt": null, "completedAt": null, "durationMs": null})
}

#[tokio::test]
async fn the_handshake_parses_the_version_and_keeps_startup_notifications() {
    let warning = json!({"method": "configWarning", "params": {"summary": "careful", "details": null}, "emittedAtMs": 1});
    let (server, _peer) = connect_with(AppServerOptions::new(), vec![warning]).await;
    let info = server.server_info();
    assert_eq!(
        info.version().map(ToString::to_string).as_deref(),
        Some("0.169.0")
    );
    assert_eq!((info.codex_home(), info.platform_os()), ("/h", "linux"));
    assert_eq!(
        server.capabilities().source(),
        CapabilitySource::KnownRelease
    );
    assert_eq!(server.pid(), None);
    let startup: Vec<&str> = server
        .startup_notifications()
        .iter()
        .map(|n| n.body.method())
        .collect();
    assert_eq!(startup, ["configWarning"]);
}

#[tokio::test]
async fn the_handshake_sends_opt_outs_and_the_chosen_client_info() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (client_read, client_write) = tokio::io::split(client);
    let (server_read, server_write) = tokio::io::split(server);
    let mut peer = Peer {
        lines: BufReader::new(server_read).lines(),
        write: server_write,
    };
    let options = AppServerOptions::new()
        .client_info("my_app", "9.9.9")
        .client_title("")
        .experimental_api(false)
        .opt_out_notification_methods(["account/rateLimits/updated"]);
    let connecting = tokio::spawn(AppServer::connect(client_read, client_write, options));
    let initialize = peer.expect_request("initialize").await;
    assert_eq!(
        initialize["params"],
        json!({
            "clientInfo": {"name": "my_app", "version": "9.9.9"},
            "capabilities": {"experimentalApi": false, "optOutNotificationMethods": ["account/rateLimits/updated"]},
        })
    );
    // A development build: the version does not say what it supports, and there is no binary
    // to probe over a transport.
    peer.answer(
        &initialize,
        json!({"userAgent": "my_app/0.0.0 (x)", "codexHome": "/h", "platformFamily": "unix", "platformOs": "linux"}),
    )
    .await;
    let server = connecting.await.expect("the task runs").expect("connected");
    assert_eq!(server.capabilities().source(), CapabilitySource::Unknown);
    assert!(!server.capabilities().supports("thread/start", "cwd"));
}

#[tokio::test]
async fn server_requests_without_a_handler_get_safe_defaults_and_unknown_ones_an_error() {
    let (_server, mut peer) = connect(AppServerOptions::new()).await;
    peer.send(json!({"id": 0, "method": "attestation/generate", "params": {}}))
        .await;
    let answer = peer.recv().await;
    assert_eq!(answer["id"], 0);
    assert_eq!(answer["error"]["code"], METHOD_NOT_FOUND);
    assert!(answer.get("result").is_none(), "{answer}");

    peer.send(json!({"id": 1, "method": "item/commandExecution/requestApproval",
        "params": {"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1, "command": "rm -rf /"}}))
        .await;
    assert_eq!(
        peer.recv().await,
        json!({"id": 1, "result": {"decision": "decline"}})
    );

    peer.send(json!({"id": "s-2", "method": "item/tool/call",
        "params": {"threadId": "t", "turnId": "u", "callId": "c", "namespace": null, "tool": "lookup", "arguments": {}}}))
        .await;
    let answer = peer.recv().await;
    assert_eq!(answer["id"], "s-2");
    assert_eq!(answer["result"]["success"], false);

    // A known method whose params do not parse is still answered.
    peer.send(
        json!({"id": 3, "method": "item/fileChange/requestApproval", "params": {"threadId": 5}}),
    )
    .await;
    let answer = peer.recv().await;
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(3), json!(-32602))
    );
}

#[tokio::test]
async fn malformed_lines_are_logged_without_their_secrets() {
    let (capture, _guard) = support::LogCapture::install();
    let (_server, mut peer) = connect(AppServerOptions::new()).await;
    // Without a process, the built-in patterns apply: OpenAI keys, bearer tokens, `*API_KEY=`.
    let secrets = [
        "ABCDEFGHIJKLMNOP",
        "tok.en-123",
        "v4lue-secret",
        "IDSECRET9876",
    ];
    peer.send_raw("garbage sk-proj-ABCDEFGHIJKLMNOP and Bearer tok.en-123")
        .await;
    peer.send_raw(r#"{"method": "turn/completed", "params": {"threadId": 5, "x": "OPENAI_API_KEY=v4lue-secret"}}"#)
        .await;
    // A value of the wrong type: serde quotes it whole in its reason.
    peer.send(
        json!({"id": "sk-IDSECRET9876", "method": "item/fileChange/requestApproval",
                     "params": {"threadId": "sk-proj-ABCDEFGHIJKLMNOP"}}),
    )
    .await;
    // Every line before the answer to the malformed request was read and logged.
    let answer = peer.recv().await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
    let records = capture.records();
    let warnings: Vec<&String> = records
        .iter()
        .filter(|r| r.contains("malformed") || r.contains("no JSON-RPC"))
        .collect();
    assert_eq!(warnings.len(), 3, "{records:#?}");
    for record in &records {
        for secret in secrets {
            assert!(!record.contains(secret), "{secret} in {record}");
        }
    }
    assert!(
        warnings
            .iter()
            .any(|r| r.contains("garbage [REDACTED] and Bearer [REDACTED]")),
        "{warnings:#?}"
    );
    // The answer quotes the redacted reason too.
    assert!(!answer.to_string().contains("ABCDEFGHIJKLMNOP"), "{answer}");
}

#[tokio::test]
async fn handlers_that_time_out_or_panic_give_way_to_the_default() {
    let handlers = Handlers::new();
    handlers.on_command_approval(|params| async move {
        if params.item_id == "slow" {
            std::future::pending::<()>().await;
        }
        panic!("a handler bug");
    });
    let options = AppServerOptions::new()
        .handlers(handlers)
        .server_request_timeout(Duration::from_millis(200));
    let (_server, mut peer) = connect(options).await;
    for (id, item) in [(7, "slow"), (8, "panics")] {
        peer.send(
            json!({"id": id, "method": "item/commandExecution/requestApproval",
            "params": {"threadId": "t", "turnId": "u", "itemId": item, "startedAtMs": 1}}),
        )
        .await;
        assert_eq!(
            peer.recv().await,
            json!({"id": id, "result": {"decision": "decline"}})
        );
    }
}

#[tokio::test]
async fn handlers_added_while_connected_answer_at_once() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    server
        .handlers()
        .on_command_approval(|_| async { CommandExecutionApprovalDecision::AcceptForSession });
    peer.send(
        json!({"id": 0, "method": "item/commandExecution/requestApproval",
        "params": {"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1}}),
    )
    .await;
    assert_eq!(
        peer.recv().await,
        json!({"id": 0, "result": {"decision": "acceptForSession"}})
    );
}

#[tokio::test]
async fn error_responses_are_typed_and_no_active_turn_counts_as_interrupted() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    let start = tokio::spawn(async move {
        let result = server.thread_start(ThreadStartParams::default()).await;
        (server, result)
    });
    let request = peer.expect_request("thread/start").await;
    peer.send(json!({"id": request["id"], "error": {"code": -32600, "message": "bad cwd", "data": {"why": 1}}}))
        .await;
    let (server, result) = start.await.expect("the task runs");
    match result {
        Err(Error::Rpc {
            method,
            code,
            message,
            data,
        }) => {
            assert_eq!(
                (method.as_str(), code, message.as_str()),
                ("thread/start", -32600, "bad cwd")
            );
            assert_eq!(data, Some(json!({"why": 1})));
        }
        other => panic!("unexpected: {other:?}"),
    }

    let interrupt = tokio::spawn(async move {
        let result = server.turn_interrupt("t", "u").await;
        (server, result)
    });
    let request = peer.expect_request("turn/interrupt").await;
    assert_eq!(request["params"], json!({"threadId": "t", "turnId": "u"}));
    peer.send(json!({"id": request["id"], "error": {"code": -32600, "message": "no active turn to interrupt"}}))
        .await;
    let (_server, result) = interrupt.await.expect("the task runs");
    result.expect("no active turn is success");
}

#[tokio::test]
async fn a_request_times_out_and_its_late_answer_is_dropped() {
    let options = AppServerOptions::new().request_timeout(Duration::from_millis(200));
    let (server, mut peer) = connect(options).await;
    let error = server
        .request("thread/list", Some(json!({})))
        .await
        .expect_err("nobody answers");
    assert!(
        matches!(&error, Error::RequestTimeout { method, limit } if method == "thread/list" && *limit == Duration::from_millis(200)),
        "{error:?}"
    );
    let late = peer.expect_request("thread/list").await;
    peer.answer(
        &late,
        json!({"data": [], "nextCursor": null, "backwardsCursor": null}),
    )
    .await;
    let read = tokio::spawn(async move {
        server
            .request_with_timeout("thread/read", Some(json!({"threadId": "t"})), WAIT)
            .await
    });
    let request = peer.expect_request("thread/read").await;
    peer.answer(&request, json!({"ok": true})).await;
    assert_eq!(
        read.await.expect("the task runs").expect("answered"),
        json!({"ok": true})
    );
}

#[tokio::test]
async fn a_slow_subscriber_lags_without_blocking_responses_or_others() {
    let options = AppServerOptions::new().subscription_capacity(2);
    let (server, mut peer) = connect(options).await;
    let mut slow = server.subscribe_all();
    let mut thread = server.subscribe_thread("t");
    for text in ["1", "2", "3"] {
        peer.send(delta(text)).await;
        // The thread subscriber keeps up; the slow one does not read.
        assert!(matches!(
            next(&mut thread).await,
            Some(Ok(ServerNotification::AgentMessageDelta(_)))
        ));
    }
    // The reader is not blocked: a response still arrives.
    let list = tokio::spawn(async move {
        let result = server.request("thread/list", None).await;
        (server, result)
    });
    let request = peer.expect_request("thread/list").await;
    peer.answer(&request, json!({"data": []})).await;
    let (_server, result) = list.await.expect("the task runs");
    assert_eq!(result.expect("answered"), json!({"data": []}));

    let mut seen = Vec::new();
    while let Some(item) = next(&mut slow).await {
        seen.push(match item {
            Ok(ServerNotification::AgentMessageDelta(d)) => d.delta,
            Ok(other) => other.method().to_owned(),
            Err(error) => error.to_string(),
        });
    }
    assert_eq!(
        seen,
        [
            "1",
            "2",
            "a notification subscriber fell more than 2 notifications behind and was closed"
        ]
    );
}

/// Starts a turn on thread `t`; the peer sends `early` before the `turn/start` response.
async fn start_turn_with_early(
    server: AppServer,
    peer: &mut Peer,
    early: Vec<Value>,
) -> (AppServer, TurnStream) {
    let start = tokio::spawn(async move {
        let turn = server
            .turn_start(TurnStartParams::new("t", vec![UserInput::text("hi")]))
            .await;
        (server, turn)
    });
    let request = peer.expect_request("turn/start").await;
    assert_eq!(
        request["params"],
        json!({"threadId": "t", "input": [{"type": "text", "text": "hi", "text_elements": []}]})
    );
    for message in early {
        peer.send(message).await;
    }
    peer.answer(&request, json!({"turn": turn("u", "inProgress")}))
        .await;
    let (server, turn) = start.await.expect("the task runs");
    (server, turn.expect("turn/start succeeds"))
}

#[tokio::test]
async fn notifications_before_the_turn_start_response_reach_the_turn() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    let started = json!({"method": "turn/started", "params": {"threadId": "t", "turn": turn("u", "inProgress")}});
    let other_thread = json!({"method": "item/agentMessage/delta",
        "params": {"threadId": "t2", "turnId": "x", "itemId": "m", "delta": "not mine"}});
    let (_server, turn_stream) = start_turn_with_early(
        server,
        &mut peer,
        vec![started, delta("early"), other_thread],
    )
    .await;
    assert_eq!(turn_stream.turn_id(), "u");
    peer.send(delta("late")).await;
    peer.send(json!({"method": "turn/completed", "params": {"threadId": "t", "turn": turn("u", "completed")}}))
        .await;
    peer.send(delta("after the end")).await;
    let notes: Vec<String> = tokio::time::timeout(WAIT, turn_stream.collect::<Vec<_>>())
        .await
        .expect("the turn ends")
        .into_iter()
        .map(|n| match n.expect("no error").body {
            ServerNotification::AgentMessageDelta(d) => d.delta,
            other => other.method().to_owned(),
        })
        .collect();
    assert_eq!(notes, ["turn/started", "early", "late", "turn/completed"]);
}

#[tokio::test]
async fn completion_returns_the_final_turn() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    let done = json!({"method": "turn/completed", "params": {"threadId": "t", "turn": turn("u", "interrupted")}});
    let (_server, turn_stream) = start_turn_with_early(server, &mut peer, vec![done]).await;
    let completed = turn_stream.completion().await.expect("completed");
    assert_eq!(completed.turn.id, "u");
    assert_eq!(completed.turn.status.as_str(), Some("interrupted"));
}

#[tokio::test]
async fn the_peer_going_away_fails_everything_at_once() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    let mut all = server.subscribe_all();
    let (server, turn_stream) = start_turn_with_early(server, &mut peer, Vec::new()).await;
    let pending = tokio::spawn(async move {
        let result = server.request("thread/list", None).await;
        (server, result)
    });
    peer.expect_request("thread/list").await;
    drop(peer);
    let (server, result) = pending.await.expect("the task runs");
    assert!(
        matches!(
            result,
            Err(Error::AppServerClosed {
                code: None,
                signal: None,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(matches!(
        next(&mut all).await,
        Some(Err(Error::AppServerClosed { .. }))
    ));
    assert!(next(&mut all).await.is_none());
    let turn_items: Vec<_> = turn_stream.collect().await;
    assert!(
        matches!(turn_items.as_slice(), [Err(Error::AppServerClosed { .. })]),
        "{turn_items:?}"
    );
    // Later calls fail at once.
    let later = server.thread_start(ThreadStartParams::default()).await;
    assert!(
        matches!(later, Err(Error::AppServerClosed { .. })),
        "{later:?}"
    );
    let mut late = server.subscribe_thread("t");
    assert!(matches!(
        next(&mut late).await,
        Some(Err(Error::AppServerClosed { .. }))
    ));
    assert_eq!(
        later.expect_err("closed").to_string(),
        "the connection to codex app-server is closed"
    );
}

#[tokio::test]
async fn shutdown_closes_the_pipe_and_waits_for_the_peer() {
    let (server, mut peer) = connect(AppServerOptions::new()).await;
    let shutdown = tokio::spawn(server.shutdown());
    assert!(peer.at_eof().await);
    drop(peer);
    tokio::time::timeout(WAIT, shutdown)
        .await
        .expect("shutdown ends in time")
        .expect("the task runs")
        .expect("a clean close");
}

#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    fn assert_types<T: Send + Sync>() {}
    fn check(server: &AppServer) {
        send(&server.request("m", None));
        send(&server.thread_start(ThreadStartParams::default()));
        send(&server.turn_start(TurnStartParams::new("t", Vec::new())));
        send(&server.turn_interrupt("t", "u"));
        send_sync(&server.subscribe_all());
    }
    let _ = check;
    assert_types::<AppServer>();
    assert_types::<TurnStream>();
    assert_types::<Subscription>();
    assert_types::<Handlers>();
}
