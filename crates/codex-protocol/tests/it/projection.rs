//! The projection on the LIVE CAPTURE transcripts of `codex app-server` 0.169.0
//! (`fixtures/codex-0.169.0/app-server/`, see `fixtures/codex-0.169.0/APP-SERVER.md`), without
//! a runtime: each turn's notifications go through a [`TurnProjection`] and the exec events
//! that come out are snapshotted. Where the capture set also has `codex exec --json` run on
//! the same scripted scenario, the projected turn is compared with exec's, which proves that
//! the projection yields what exec yields, up to the differences documented in
//! `codex_agent_protocol::projection`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use codex_agent_protocol::app_server::{ServerMessage, ServerNotification, parse_server_message};
use codex_agent_protocol::exec::{ThreadEvent, parse_event};
use codex_agent_protocol::projection::TurnProjection;
use expect_test::expect_file;
use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::fixtures;

/// Every app-server transcript (not the HTTP request logs of the mock model).
fn transcripts() -> Vec<PathBuf> {
    crate::live_transcripts_in("codex-0.169.0/app-server", 9)
}

/// The notifications of one turn of a transcript, as a turn subscription delivers them.
struct Turn {
    id: String,
    notes: Vec<ServerNotification>,
}

/// The turns of a transcript, in the order they were started: the ids `turn/start` answered
/// with, each with the server notifications naming it (`params.turnId` or `params.turn.id`),
/// which is how codex-agent-exec routes notifications to a turn.
fn turns(path: &Path) -> Vec<Turn> {
    let text = std::fs::read_to_string(path).expect("the transcript is readable");
    let records: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect();
    let turn_start_ids: Vec<&Value> = records
        .iter()
        .filter(|r| r["dir"] == "client->server" && r["msg"]["method"] == "turn/start")
        .map(|r| &r["msg"]["id"])
        .collect();
    let mut turns: Vec<Turn> = records
        .iter()
        .filter(|r| r["dir"] == "server->client" && turn_start_ids.contains(&&r["msg"]["id"]))
        .filter_map(|r| r["msg"].pointer("/result/turn/id").and_then(Value::as_str))
        .map(|id| Turn {
            id: id.to_owned(),
            notes: Vec::new(),
        })
        .collect();
    for record in records.iter().filter(|r| r["dir"] == "server->client") {
        let params = &record["msg"]["params"];
        let Some(turn_id) = params["turnId"]
            .as_str()
            .or_else(|| params.pointer("/turn/id").and_then(Value::as_str))
        else {
            continue;
        };
        let Some(turn) = turns.iter_mut().find(|t| t.id == turn_id) else {
            continue;
        };
        match parse_server_message(&record["msg"].to_string()) {
            Ok(ServerMessage::Notification(note)) => turn.notes.push(note.body),
            // Server requests name the turn too; they are answered, not projected.
            Ok(_) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    turns
}

/// Feeds a turn's notifications through a [`TurnProjection`]; the events it produced.
fn project(name: &str, turn: &Turn) -> Vec<ThreadEvent> {
    let mut projection = TurnProjection::new(turn.id.clone());
    let events = turn
        .notes
        .iter()
        .flat_map(|note| projection.on_notification(note))
        .collect();
    assert!(projection.is_done(), "{name}: the turn completes");
    assert_eq!(projection.turn_id(), turn.id);
    events
}

#[test]
fn live_transcripts_project_onto_exec_events() {
    let mut out = String::new();
    for path in transcripts() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name");
        let turns = turns(&path);
        if turns.is_empty() {
            let _ = writeln!(out, "== {name}: no turn");
        }
        for (n, turn) in turns.iter().enumerate() {
            let _ = writeln!(out, "== {name} turn {}", n + 1);
            for event in project(name, turn) {
                let _ = writeln!(out, "{}", event.to_json_line());
            }
        }
    }
    expect_file!["snapshots/projection_transcripts.txt"].assert_eq(&out);
}

/// An app-server scenario and the exec capture of the same scripted scenario.
struct SameScenario {
    app_server: &'static str,
    exec: &'static str,
    /// Ids of items the app-server scenario's mock script sends and the exec one's does not:
    /// a difference of the scripts, not of the projection.
    scripted_only: &'static [&'static str],
}

/// The pairs of the capture set. The approval and dynamic-tool scenarios have no exec
/// counterpart: exec neither asks for approvals nor has dynamic tools.
const SAME_SCENARIOS: [SameScenario; 4] = [
    SameScenario {
        app_server: "as-plain",
        exec: "a-plain",
        // The app-server script streams a reasoning summary before the answer.
        scripted_only: &["rs_as1"],
    },
    SameScenario {
        app_server: "as-shell",
        exec: "c-shell",
        scripted_only: &[],
    },
    SameScenario {
        app_server: "as-sandbox-denied",
        exec: "c2-sandbox-denied",
        scripted_only: &[],
    },
    SameScenario {
        // exec's capture allows two request retries, the app-server's one: both end with
        // the same single `error` and `turn.failed`.
        app_server: "as-turn-failed",
        exec: "i1-http-500",
        scripted_only: &[],
    },
];

/// What a `run()` of the turn keeps, as exec JSON without what only one side has: the
/// completed items without their ids (the app-server's `msg_…`, exec's `item_0`) and without
/// the app-server's additions, `error` events, and how the turn ended, usage and message
/// included.
fn comparable(events: &[ThreadEvent], scripted_only: &[&str]) -> Vec<Value> {
    const ADDITIONS: [&str; 5] = ["id", "cwd", "duration_ms", "process_id", "phase"];
    events
        .iter()
        .filter(|e| {
            matches!(
                e,
                ThreadEvent::ItemCompleted(_)
                    | ThreadEvent::Error(_)
                    | ThreadEvent::TurnCompleted(_)
                    | ThreadEvent::TurnFailed(_)
            )
        })
        .filter(|e| {
            e.item()
                .is_none_or(|i| !scripted_only.contains(&i.id.as_str()))
        })
        .map(|e| {
            let mut json = serde_json::to_value(e).expect("an event serializes");
            if let Some(item) = json.get_mut("item").and_then(Value::as_object_mut) {
                item.retain(|key, _| !ADDITIONS.contains(&key.as_str()));
            }
            if let Some(usage) = json.get_mut("usage").and_then(Value::as_object_mut) {
                usage.remove("model_context_window");
            }
            if let Some(error) = json.get_mut("error").and_then(Value::as_object_mut) {
                error.remove("codex_error_info");
                error.remove("additional_details");
            }
            json
        })
        .collect()
}

/// Projects the app-server scenario's turn and checks it against the exec capture.
fn check_same_as_exec(pair: &SameScenario) {
    let path = fixtures().join(format!(
        "codex-0.169.0/app-server/{}.jsonl",
        pair.app_server
    ));
    let [turn] = turns(&path).try_into().unwrap_or_else(|turns: Vec<Turn>| {
        panic!("{}: {} turns, expected one", pair.app_server, turns.len())
    });
    let projected = project(pair.app_server, &turn);
    let exec_path = fixtures().join(format!("codex-0.169.0/{}.jsonl", pair.exec));
    let exec: Vec<ThreadEvent> = std::fs::read_to_string(&exec_path)
        .expect("the exec capture is readable")
        .lines()
        .map(|line| parse_event(line).expect("an exec event"))
        .collect();
    for id in pair.scripted_only {
        assert!(
            projected
                .iter()
                .any(|e| e.item().is_some_and(|i| i.id == *id)),
            "{}: no item {id} to leave out",
            pair.app_server
        );
    }
    assert_eq!(
        comparable(&projected, pair.scripted_only),
        comparable(&exec, &[]),
        "{} projected vs {} from exec",
        pair.app_server,
        pair.exec
    );
}

#[test]
fn projected_turns_match_exec_on_the_same_scenario() {
    for pair in &SAME_SCENARIOS {
        check_same_as_exec(pair);
    }
}
