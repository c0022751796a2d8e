//! Properties: parsing never panics, whatever the input, and whatever parses serializes to a
//! line that parses back to the same value.

use std::sync::OnceLock;

use codex_agent_protocol::app_server::{
    ClientNotification, ClientRequest, ServerNotification, ServerRequest, parse_client_message,
    parse_server_message,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::fixtures;

/// Arbitrary JSON, biased towards the shapes codex uses (camelCase keys, small numbers).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[a-zA-Z/ ]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "inProgress",
            "completed",
            "failed",
            "accept",
            "text",
            "agentMessage",
            "idle",
            "active"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type", "id", "threadId", "turnId", "itemId", "item", "turn", "thread",
                    "status", "text", "delta", "error", "decision", "items", "input", "params",
                    "result", "method", "extra", "x",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A method name: a known one (of either direction) or a random one.
fn method() -> impl Strategy<Value = String> {
    let known: Vec<&'static str> = ServerNotification::KNOWN_METHODS
        .iter()
        .chain(ServerRequest::KNOWN_METHODS)
        .chain(ClientRequest::KNOWN_METHODS)
        .chain(ClientNotification::KNOWN_METHODS)
        .copied()
        .collect();
    prop_oneof![
        prop::sample::select(known).prop_map(str::to_owned),
        "[a-z/]{1,10}"
    ]
}

/// A JSON-RPC-shaped object with arbitrary parts.
fn message() -> impl Strategy<Value = String> {
    (
        method(),
        prop::option::of(json_value()),
        prop::option::of(prop_oneof![
            any::<i64>().prop_map(Value::from),
            "[a-z0-9]{0,4}".prop_map(Value::String),
            json_value()
        ]),
        prop::option::of(json_value()),
        0u8..4,
    )
        .prop_map(|(method, params, id, payload, shape)| {
            let mut m = Map::new();
            if let Some(id) = id {
                m.insert("id".into(), id);
            }
            match shape {
                0 | 1 => {
                    m.insert("method".into(), Value::String(method));
                    if let Some(p) = params {
                        m.insert("params".into(), p);
                    }
                    if shape == 1 {
                        m.insert("emittedAtMs".into(), json!(1));
                    }
                }
                2 => {
                    m.insert("result".into(), payload.unwrap_or(Value::Null));
                }
                _ => {
                    m.insert(
                        "error".into(),
                        payload.unwrap_or_else(|| json!({"code": 1, "message": "m"})),
                    );
                }
            }
            Value::Object(m).to_string()
        })
}

/// Every message line of every live transcript, as text (read once).
fn transcript_lines() -> &'static [String] {
    static LINES: OnceLock<Vec<String>> = OnceLock::new();
    LINES.get_or_init(read_transcript_lines)
}

fn read_transcript_lines() -> Vec<String> {
    let dir = fixtures().join("codex-0.169.0/app-server");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("transcripts exist") {
        let path = entry.expect("dir entry").path();
        let name = path.to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "jsonl") && !name.ends_with(".requests.jsonl") {
            for line in std::fs::read_to_string(&path).expect("readable").lines() {
                let v: Value = serde_json::from_str(line).expect("JSON");
                lines.push(v["msg"].to_string());
            }
        }
    }
    lines.sort();
    lines
}

/// Whatever parses re-serializes to a line that parses back to the same value.
fn round_trips(line: &str) -> Result<(), TestCaseError> {
    if let Ok(msg) = parse_server_message(line) {
        let again = parse_server_message(&msg.to_line());
        prop_assert_eq!(again.as_ref().ok(), Some(&msg), "server line {}", line);
    }
    if let Ok(msg) = parse_client_message(line) {
        let again = parse_client_message(&msg.to_line());
        prop_assert_eq!(again.as_ref().ok(), Some(&msg), "client line {}", line);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(line in "\\PC{0,200}") {
        let _ = parse_server_message(&line);
        let _ = parse_client_message(&line);
    }

    #[test]
    fn arbitrary_messages_never_panic_and_round_trip(line in message()) {
        round_trips(&line)?;
    }

    #[test]
    fn mutated_live_lines_never_panic(index in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let lines = transcript_lines();
        let line = lines[index.index(lines.len())].as_bytes();
        let at = cut.index(line.len());
        // Truncated.
        let _ = parse_server_message(&String::from_utf8_lossy(&line[..at]));
        // One byte replaced.
        let mut mutated = line.to_vec();
        mutated[at] = byte;
        let text = String::from_utf8_lossy(&mutated);
        let _ = parse_server_message(&text);
        let _ = parse_client_message(&text);
        round_trips(&text)?;
    }
}
