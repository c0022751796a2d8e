//! The app-server client replays every LIVE CAPTURE transcript of
//! `fixtures/codex-0.169.0/app-server/` without codex: the testkit's replay transport plays
//! the recorded server and checks that each message the client writes matches the recorded
//! client message (ids of requests aside). The client is driven with the recorded requests'
//! params and answers server requests as the recording did, so what it writes must be what
//! the capture's client wrote.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_agent_exec::Error;
use codex_agent_exec::app_server::{AppServer, AppServerOptions, Handlers};
use codex_agent_protocol::app_server::{ThreadStartParams, TurnStartParams, TurnStatus};
use codex_agent_testkit::replay::{Direction, Replay, Transcript};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

fn transcripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/codex-0.169.0/app-server");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the app-server fixtures exist")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            path.extension().is_some_and(|e| e == "jsonl") && !name.ends_with(".requests.jsonl")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 9, "found only {} transcripts", files.len());
    files
}

/// What the replayed session ended with.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// `thread/start` was refused with this code.
    Refused(i64),
    /// The turn completed with this status.
    Turn(TurnStatus),
}

/// The recorded client messages of a transcript.
struct Recorded {
    initialize: Value,
    requests: Vec<Value>,
    /// Answers to server requests, by method, in order.
    answers: HashMap<String, VecDeque<Value>>,
}

fn recorded(transcript: &Transcript) -> Recorded {
    let mut server_methods: HashMap<String, String> = HashMap::new();
    let mut initialize = Value::Null;
    let mut requests = Vec::new();
    let mut answers: HashMap<String, VecDeque<Value>> = HashMap::new();
    for entry in transcript.entries() {
        let msg = &entry.msg;
        match (entry.dir, msg.get("method").and_then(Value::as_str)) {
            (Direction::ServerToClient, Some(method)) if msg.get("id").is_some() => {
                server_methods.insert(msg["id"].to_string(), method.to_owned());
            }
            (Direction::ClientToServer, Some("initialize")) => initialize = msg.clone(),
            (Direction::ClientToServer, Some("initialized")) => {}
            (Direction::ClientToServer, Some(_)) => requests.push(msg.clone()),
            (Direction::ClientToServer, None) => {
                let method = server_methods[&msg["id"].to_string()].clone();
                answers
                    .entry(method)
                    .or_default()
                    .push_back(msg["result"].clone());
            }
            _ => {}
        }
    }
    Recorded {
        initialize,
        requests,
        answers,
    }
}

/// Replays one transcript through the client; returns how the session ended.
async fn replay(path: &Path) -> Outcome {
    let transcript = Transcript::load(path).expect("a transcript");
    let recorded = recorded(&transcript);
    let client_info = &recorded.initialize["params"]["clientInfo"];
    let capabilities = recorded.initialize["params"].get("capabilities");
    let mut replay = Replay::new(transcript.clone());
    if capabilities.is_none() {
        // The capture's client sent no capabilities; this client always sends them.
        replay = replay.ignore("/params/capabilities");
    }
    let experimental = capabilities.is_some_and(|c| c["experimentalApi"] == true);

    let handlers = Handlers::new();
    for (method, answers) in recorded.answers {
        let answers = Arc::new(Mutex::new(answers));
        handlers.set(method, move |_request| {
            let answer = answers
                .lock()
                .expect("the answers lock")
                .pop_front()
                .expect("one recorded answer per server request");
            async move { Ok(answer) }
        });
    }
    let options = AppServerOptions::new()
        .client_info(
            client_info["name"].as_str().expect("a name"),
            client_info["version"].as_str().expect("a version"),
        )
        .client_title(client_info["title"].as_str().unwrap_or_default())
        .experimental_api(experimental)
        .handlers(handlers);

    let (reader, writer, handle) = replay.start();
    let server = tokio::time::timeout(WAIT, AppServer::connect(reader, writer, options))
        .await
        .expect("the handshake ends in time")
        .expect("the handshake succeeds");
    assert_eq!(
        server
            .server_info()
            .version()
            .map(ToString::to_string)
            .as_deref(),
        Some("0.169.0")
    );

    let mut outcome = None;
    for request in &recorded.requests {
        let params = request["params"].clone();
        match request["method"].as_str() {
            Some("thread/start") => {
                let params: ThreadStartParams =
                    serde_json::from_value(params).expect("recorded thread/start params");
                match server.thread_start(params).await {
                    Ok(_) => {}
                    Err(Error::Rpc { code, .. }) => outcome = Some(Outcome::Refused(code)),
                    Err(other) => panic!("{}: thread/start failed: {other}", path.display()),
                }
            }
            Some("turn/start") => {
                let params: TurnStartParams =
                    serde_json::from_value(params).expect("recorded turn/start params");
                let turn = server
                    .turn_start(params)
                    .await
                    .expect("turn/start succeeds");
                let completed = tokio::time::timeout(WAIT, turn.completion())
                    .await
                    .expect("the turn completes in time")
                    .expect("the turn stream ends with turn/completed");
                outcome = Some(Outcome::Turn(completed.turn.status));
            }
            other => panic!("{}: no driver for {other:?}", path.display()),
        }
    }
    // The capture's client closed stdin after ~0.3 s of trailing notifications: shutting down
    // reads them all first, because the replay writes them before waiting for end of input.
    let mut all = server.subscribe_all();
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown ends in time")
        .expect("a clean close");
    // Whatever the subscription got, it ends with the closed connection.
    let rest: Vec<_> = tokio::time::timeout(WAIT, all.by_ref().collect::<Vec<_>>())
        .await
        .expect("the subscription ends");
    assert!(
        matches!(rest.last(), Some(Err(Error::AppServerClosed { .. }))),
        "{rest:?}"
    );
    let report = handle
        .finish()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(report.client_messages >= 2, "{report:?}");
    outcome.expect("the session ends with an outcome")
}

#[tokio::test]
async fn every_live_transcript_replays_through_the_client() {
    let mut outcomes = Vec::new();
    for path in transcripts() {
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_owned();
        outcomes.push((name, replay(&path).await));
    }
    let expected = [
        ("as-approval-decline", Outcome::Turn(TurnStatus::Completed)),
        (
            "as-approval-escalated",
            Outcome::Turn(TurnStatus::Completed),
        ),
        (
            "as-approval-untrusted",
            Outcome::Turn(TurnStatus::Completed),
        ),
        ("as-dynamic-tool-no-experimental", Outcome::Refused(-32600)),
        ("as-dynamic-tool", Outcome::Turn(TurnStatus::Completed)),
        ("as-plain", Outcome::Turn(TurnStatus::Completed)),
        ("as-sandbox-denied", Outcome::Turn(TurnStatus::Completed)),
        ("as-shell", Outcome::Turn(TurnStatus::Completed)),
        ("as-turn-failed", Outcome::Turn(TurnStatus::Failed)),
    ];
    let expected: Vec<(String, Outcome)> = expected
        .into_iter()
        .map(|(name, outcome)| (name.to_owned(), outcome))
        .collect();
    assert_eq!(outcomes, expected);
}
