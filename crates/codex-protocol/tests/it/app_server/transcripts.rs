//! LIVE CAPTURE transcripts of `codex app-server` 0.169.0 (`fixtures/codex-0.169.0/app-server/`,
//! see `fixtures/codex-0.169.0/APP-SERVER.md`): every message in both directions parses with
//! zero errors and zero unknowns, serializes back to the same JSON value, and re-parses to the
//! same typed value; responses parse as the typed result of the request they answer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use codex_agent_protocol::Unknowns;
use codex_agent_protocol::app_server::{
    ClientMessage, ClientRequestResult, RequestId, ServerMessage, ServerNotification,
    ServerRequest, ServerRequestResult, ThreadItem, ThreadStatus, parse_client_message,
    parse_client_message_strict, parse_server_message, parse_server_message_strict,
};
use expect_test::expect_file;
use pretty_assertions::assert_eq;
use serde_json::Value;

use super::fixtures;

/// Every transcript (not the HTTP request logs of the mock model).
fn transcripts() -> Vec<PathBuf> {
    crate::live_transcripts_in("codex-0.169.0/app-server", 9)
}

/// One transcript line: `{"seq", "dir": "client->server" | "server->client", "t_ms", "msg"}`.
struct Line {
    seq: u64,
    from_client: bool,
    msg: Value,
}

fn read_lines(path: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(path).expect("transcript is readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("transcript line is JSON");
            let from_client = match v["dir"].as_str() {
                Some("client->server") => true,
                Some("server->client") => false,
                other => panic!("unexpected dir {other:?} in {}", path.display()),
            };
            Line {
                seq: v["seq"].as_u64().expect("seq"),
                from_client,
                msg: v["msg"].clone(),
            }
        })
        .collect()
}

fn item_label(item: &ThreadItem) -> String {
    match item {
        ThreadItem::CommandExecution(c) => {
            format!("commandExecution {:?}", c.status.as_str().unwrap_or("?"))
        }
        ThreadItem::DynamicToolCall(d) => format!(
            "dynamicToolCall {} {:?}",
            d.tool,
            d.status.as_str().unwrap_or("?")
        ),
        other => other.type_name().to_owned(),
    }
}

fn summarize_server(msg: &ServerMessage, pending: &HashMap<(bool, RequestId), String>) -> String {
    match msg {
        ServerMessage::Request(r) => {
            let mut s = format!("< request #{} {}", r.id, r.body.method());
            if let ServerRequest::CommandExecutionRequestApproval(p) = &r.body {
                let decisions: Vec<String> = p
                    .available_decisions
                    .iter()
                    .flatten()
                    .map(|d| d.name().unwrap_or("?").to_owned())
                    .collect();
                let _ = write!(s, " reason={} decisions={decisions:?}", p.reason.is_some());
            }
            s
        }
        ServerMessage::Notification(n) => {
            let mut s = format!("< {}", n.body.method());
            match &n.body {
                ServerNotification::ItemStarted(i) => {
                    let _ = write!(s, " {}", item_label(&i.item));
                }
                ServerNotification::ItemCompleted(i) => {
                    let _ = write!(s, " {}", item_label(&i.item));
                }
                ServerNotification::ThreadStatusChanged(t) => match &t.status {
                    ThreadStatus::Active(a) => {
                        let flags: Vec<&str> = a
                            .active_flags
                            .iter()
                            .map(|f| f.as_str().unwrap_or("?"))
                            .collect();
                        let _ = write!(s, " active {flags:?}");
                    }
                    other => {
                        let _ = write!(s, " {}", other.type_name());
                    }
                },
                ServerNotification::TurnCompleted(t) => {
                    let _ = write!(
                        s,
                        " {} items={}",
                        t.turn.status.as_str().unwrap_or("?"),
                        t.turn.items.len()
                    );
                    if let Some(e) = &t.turn.error {
                        let _ = write!(
                            s,
                            " error={:?}",
                            e.codex_error_info.as_ref().and_then(|i| i.name())
                        );
                    }
                }
                ServerNotification::Error(e) => {
                    let _ = write!(
                        s,
                        " willRetry={} info={:?}",
                        e.will_retry,
                        e.error.codex_error_info.as_ref().and_then(|i| i.name())
                    );
                }
                _ => {}
            }
            s
        }
        ServerMessage::Response(r) => {
            let method = pending
                .get(&(true, r.id.clone()))
                .map_or("?", String::as_str);
            format!("< result #{} ({method})", r.id)
        }
        ServerMessage::Error(e) => {
            format!("< error #{} {} {:?}", e.id, e.error.code, e.error.message)
        }
        other => format!("< {other:?}"),
    }
}

fn summarize_client(msg: &ClientMessage, pending: &HashMap<(bool, RequestId), String>) -> String {
    match msg {
        ClientMessage::Request(r) => format!("> request #{} {}", r.id, r.body.method()),
        ClientMessage::Notification(n) => format!("> {}", n.body.method()),
        ClientMessage::Response(r) => {
            let method = pending
                .get(&(false, r.id.clone()))
                .map_or("?", String::as_str);
            format!("> result #{} ({method}) {}", r.id, r.result)
        }
        ClientMessage::Error(e) => format!("> error #{} {}", e.id, e.error.code),
        other => format!("> {other:?}"),
    }
}

/// Checks one transcript and returns its summary.
fn check_transcript(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name");
    let mut out = format!("== {name}\n");
    // Requests by (sent by the client?, id) -> method, to type the responses.
    let mut pending: HashMap<(bool, RequestId), String> = HashMap::new();
    for line in read_lines(path) {
        let text = line.msg.to_string();
        let at = format!("{name} seq {}", line.seq);
        let summary = if line.from_client {
            let msg = parse_client_message_strict(&text).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(
                serde_json::to_value(&msg).expect("serializes"),
                line.msg,
                "{at}: re-serialized value"
            );
            assert_eq!(
                parse_client_message(&msg.to_line()).expect("re-parses"),
                msg,
                "{at}: parse(serialize)"
            );
            match &msg {
                ClientMessage::Request(r) => {
                    pending.insert((true, r.id.clone()), r.body.method().to_owned());
                }
                ClientMessage::Response(r) => {
                    let method = pending
                        .get(&(false, r.id.clone()))
                        .unwrap_or_else(|| panic!("{at}: no server request #{}", r.id));
                    let typed = ServerRequestResult::from_result(method, r.result.clone())
                        .unwrap_or_else(|e| panic!("{at}: {e}"));
                    assert!(
                        !typed.is_unknown(),
                        "{at}: result of {method} is not modeled"
                    );
                    assert_eq!(
                        typed.unknowns(),
                        Vec::<String>::new(),
                        "{at}: unknowns in the result"
                    );
                    assert_eq!(
                        serde_json::to_value(&typed).expect("serializes"),
                        r.result,
                        "{at}: typed result"
                    );
                }
                _ => {}
            }
            summarize_client(&msg, &pending)
        } else {
            let msg = parse_server_message_strict(&text).unwrap_or_else(|e| panic!("{at}: {e}"));
            assert_eq!(
                serde_json::to_value(&msg).expect("serializes"),
                line.msg,
                "{at}: re-serialized value"
            );
            assert_eq!(
                parse_server_message(&msg.to_line()).expect("re-parses"),
                msg,
                "{at}: parse(serialize)"
            );
            match &msg {
                ServerMessage::Request(r) => {
                    pending.insert((false, r.id.clone()), r.body.method().to_owned());
                }
                ServerMessage::Response(r) => {
                    let method = pending
                        .get(&(true, r.id.clone()))
                        .unwrap_or_else(|| panic!("{at}: no client request #{}", r.id));
                    let typed = ClientRequestResult::from_result(method, r.result.clone())
                        .unwrap_or_else(|e| panic!("{at}: {e}"));
                    assert!(
                        !typed.is_unknown(),
                        "{at}: result of {method} is not modeled"
                    );
                    assert_eq!(
                        typed.unknowns(),
                        Vec::<String>::new(),
                        "{at}: unknowns in the result"
                    );
                    assert_eq!(
                        serde_json::to_value(&typed).expect("serializes"),
                        r.result,
                        "{at}: typed result"
                    );
                }
                _ => {}
            }
            summarize_server(&msg, &pending)
        };
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

#[test]
fn live_transcripts_parse_strictly_and_round_trip() {
    let mut summary = String::new();
    for path in transcripts() {
        summary.push_str(&check_transcript(&path));
    }
    expect_file!["../snapshots/app_server_transcripts.txt"].assert_eq(&summary);
}

#[test]
fn initialize_result_gives_the_server_version() {
    let path = fixtures().join("codex-0.169.0/app-server/as-plain.jsonl");
    let line = read_lines(&path)
        .into_iter()
        .find(|l| !l.from_client)
        .expect("a server line");
    let ServerMessage::Response(r) = parse_server_message(&line.msg.to_string()).expect("parses")
    else {
        panic!("the first server line is the initialize result");
    };
    let ClientRequestResult::Initialize(init) =
        ClientRequestResult::from_result("initialize", r.result).expect("typed")
    else {
        panic!("initialize result");
    };
    assert_eq!(init.server_version(), Some("0.169.0"));
    assert_eq!(init.platform_os, "linux");
}
