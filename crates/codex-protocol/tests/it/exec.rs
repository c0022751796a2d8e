//! Exec JSONL tests: every live transcript parses strictly and round-trips; synthetic
//! forward-compatibility cases; property tests for round-trips and no-panic parsing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use codex_agent_protocol::exec::{
    CommandExecutionStatus, ItemDetails, McpContent, PatchChangeKind, ThreadEvent, WebSearchAction,
    parse_event, parse_event_bytes, parse_event_strict,
};
use codex_agent_protocol::{ParseError, RawJson, Unknowns};
use expect_test::{Expect, expect, expect_file};
use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::fixtures;

/// Every exec stdout transcript of the live capture set (not the HTTP request logs).
fn live_transcripts() -> Vec<PathBuf> {
    crate::live_transcripts_in("codex-0.169.0", 20)
}

/// A compact, stable one-line rendering of an event for snapshots.
fn summarize(event: &ThreadEvent) -> String {
    let mut s = event.event_type().to_owned();
    match event {
        ThreadEvent::TurnCompleted(t) => {
            let u = &t.usage;
            let _ = write!(
                s,
                " in={} cached={} cache_write={} out={} reasoning={}",
                u.input_tokens,
                u.cached_input_tokens,
                u.cache_write_input_tokens,
                u.output_tokens,
                u.reasoning_output_tokens
            );
        }
        ThreadEvent::TurnFailed(t) => {
            let _ = write!(s, " {:?}", t.error.message);
        }
        ThreadEvent::Error(e) => {
            let _ = write!(s, " {:?}", e.message);
        }
        _ => {}
    }
    if let Some(item) = event.item() {
        let _ = write!(s, " {} {}", item.id, item.item_type());
        match &item.details {
            ItemDetails::CommandExecution(c) => {
                let _ = write!(
                    s,
                    " status={} exit={:?} output_bytes={}",
                    c.status,
                    c.exit_code,
                    c.aggregated_output.len()
                );
            }
            ItemDetails::FileChange(f) => {
                let kinds: Vec<&str> = f.changes.iter().map(|c| c.kind.as_str()).collect();
                let _ = write!(s, " status={} kinds={kinds:?}", f.status);
            }
            ItemDetails::McpToolCall(m) => {
                let _ = write!(
                    s,
                    " {}/{} status={} result={} error={}",
                    m.server,
                    m.tool,
                    m.status,
                    m.result.is_some(),
                    m.error.is_some()
                );
            }
            ItemDetails::TodoList(t) => {
                let done = t.items.iter().filter(|i| i.completed).count();
                let _ = write!(s, " {done}/{} done", t.items.len());
            }
            ItemDetails::AgentMessage(m) => {
                let _ = write!(s, " chars={}", m.text.chars().count());
            }
            ItemDetails::WebSearch(w) => {
                let _ = write!(s, " search_id={:?} query={:?}", w.search_id, w.query);
            }
            _ => {}
        }
    }
    s
}

/// Parses every line of a transcript strictly; checks both round-trips; returns the summary.
fn check_transcript(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("transcript is UTF-8");
    let mut out = String::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let number = u64::try_from(n + 1).expect("line count fits u64");
        let event = parse_event_strict(line)
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.with_line(number)));
        assert_round_trips(&event, line);
        let _ = writeln!(out, "  {}", summarize(&event));
    }
    out
}

/// `parse(serialize(e)) == e`, and the serialized form is the same JSON value as the input.
fn assert_round_trips(event: &ThreadEvent, line: &str) {
    let written = event.to_json_line();
    assert_eq!(
        &parse_event(&written).expect("our own output parses"),
        event,
        "re-parse of {written}"
    );
    let original: Value = serde_json::from_str(line).expect("valid JSON");
    let rewritten: Value = serde_json::from_str(&written).expect("valid JSON");
    assert_eq!(rewritten, original, "re-serialization of {line}");
}

#[test]
fn every_live_exec_line_parses_strictly_and_round_trips() {
    let mut summary = String::new();
    for path in live_transcripts() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let _ = writeln!(summary, "{name}:");
        summary.push_str(&check_transcript(&path));
    }
    expect_file!["snapshots/exec_live_transcripts.txt"].assert_eq(&summary);
}

#[test]
fn ts_sdk_results_hold_events_we_parse() {
    // The TS SDK's captured results contain the events it streamed; they must parse too.
    let dir = fixtures().join("codex-0.169.0/ts-sdk");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("ts-sdk fixtures exist") {
        let path = entry.expect("dir entry").path();
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let mut stack = vec![&doc];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(o) => {
                    if o.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.contains('.'))
                    {
                        let line = serde_json::to_string(v).expect("serializable");
                        parse_event_strict(&line)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        seen += 1;
                    } else {
                        stack.extend(o.values());
                    }
                }
                Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
    }
    assert!(
        seen > 10,
        "expected streamed events in the TS SDK captures, found {seen}"
    );
}

#[test]
fn synthetic_forward_compat_lines_parse_without_loss() {
    // SYNTHETIC — see fixtures/synthetic/README.md.
    let path = fixtures().join("synthetic/exec/forward-compat.jsonl");
    let text = std::fs::read_to_string(&path).expect("synthetic fixture exists");
    let mut out = String::new();
    for line in text.lines() {
        let event = parse_event(line).expect("lenient parse never fails on unknowns");
        // Duplicate `id` keys cannot be compared through `Value` (the last key wins there),
        // so compare our own re-parse, and the JSON value where keys are unique.
        let written = event.to_json_line();
        assert_eq!(parse_event(&written).expect("re-parse"), event);
        // The old `usage` line gains its defaulted counters on the way back, by design.
        let defaulted = line.starts_with(r#"{"type":"turn.completed""#);
        if !line.contains(r#""type":"web_search""#) && !defaulted {
            assert_round_trips(&event, line);
        }
        let strict = match parse_event_strict(line) {
            Ok(_) => "strict ok".to_owned(),
            Err(ParseError::Strict { unknowns, .. }) => format!("strict rejects {unknowns:?}"),
            Err(other) => panic!("unexpected strict error {other}"),
        };
        let _ = writeln!(out, "{} | {strict}", summarize(&event));
    }
    expect![[r#"
        thread.started | strict rejects ["timestamp"]
        turn.started | strict rejects ["turn_id"]
        item.started item_0 web_search search_id=Some("ws-1") query="" | strict ok
        item.completed item_0 web_search search_id=Some("ws-1") query="rust serde flatten" | strict ok
        item.started item_1 collab_tool_call | strict ok
        item.completed item_2 command_execution status=declined exit=None output_bytes=0 | strict ok
        item.completed item_3 mcp_tool_call demo/add status=completed result=true error=false | strict ok
        item.completed item_4 file_change status=failed kinds=["delete"] | strict ok
        item.completed item_5 future_item | strict rejects ["item.type=future_item"]
        item.completed item_6 command_execution status=queued exit=Some(0) output_bytes=0 | strict rejects ["item.status=queued", "item.sandbox"]
        item.completed item_7 file_change status=completed kinds=["rename"] | strict rejects ["item.changes[0].kind=rename", "item.changes[0].from"]
        item.completed item_8 agent_message chars=14 | strict ok
        item.plan.delta | strict rejects ["type=item.plan.delta"]
        turn.completed in=10 cached=0 cache_write=0 out=2 reasoning=0 | strict ok
    "#]]
    .assert_eq(&out);
}

#[test]
fn web_search_keeps_both_ids_and_writes_them_back_in_order() {
    let line = r#"{"type":"item.completed","item":{"id":"item_0","type":"web_search","id":"ws-1","query":"q","action":{"type":"search","query":"q"}}}"#;
    let event = parse_event_strict(line).expect("parses");
    let item = event.item().expect("an item");
    assert_eq!(item.id, "item_0");
    let ItemDetails::WebSearch(ws) = &item.details else {
        panic!("not a web search: {item:?}")
    };
    assert_eq!(ws.search_id.as_deref(), Some("ws-1"));
    assert_eq!(
        ws.action,
        Some(WebSearchAction::Search {
            query: Some("q".into()),
            queries: None
        })
    );
    assert_eq!(event.to_json_line(), line);
}

#[test]
fn sdk_synthesized_events_and_fields_round_trip_byte_for_byte() {
    // SYNTHETIC — the events and optional fields codex-agent-sdk's app-server transport writes;
    // `codex exec` never does.
    let lines = [
        r#"{"type":"item.agent_message.delta","item_id":"msg-1","delta":"Paris is "}"#,
        r#"{"type":"item.reasoning.summary_delta","item_id":"rs-1","delta":"**Thinking**","summary_index":0}"#,
        r#"{"type":"item.reasoning.text_delta","item_id":"rs-1","delta":"raw","content_index":1}"#,
        r#"{"type":"item.command_execution.output_delta","item_id":"call-1","delta":"hello\n"}"#,
        r#"{"type":"item.file_change.output_delta","item_id":"call-2","delta":"Success."}"#,
        r#"{"type":"item.completed","item":{"id":"msg-1","type":"agent_message","text":"Paris is ","phase":"final_answer","status":"interrupted"}}"#,
        r#"{"type":"item.completed","item":{"id":"call-1","type":"command_execution","command":"sleep 9","aggregated_output":"","exit_code":null,"status":"interrupted","cwd":"/w","duration_ms":41,"process_id":"98301"}}"#,
        r#"{"type":"item.completed","item":{"id":"call-3","type":"dynamic_tool_call","tool":"lookup","arguments":{"city":"Paris"},"status":"completed","content_items":[{"text":"21C","type":"inputText"}],"success":true,"duration_ms":0}}"#,
        r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":2,"reasoning_output_tokens":0,"model_context_window":258400},"status":"interrupted"}"#,
        r#"{"type":"turn.failed","error":{"message":"boom","codex_error_info":"internalServerError","additional_details":"HTTP 500"}}"#,
    ];
    let mut out = String::new();
    for line in lines {
        let event = parse_event_strict(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(event.to_json_line(), line);
        let _ = writeln!(out, "{} delta={}", summarize(&event), event.is_delta());
    }
    expect![[r#"
        item.agent_message.delta delta=true
        item.reasoning.summary_delta delta=true
        item.reasoning.text_delta delta=true
        item.command_execution.output_delta delta=true
        item.file_change.output_delta delta=true
        item.completed msg-1 agent_message chars=9 delta=false
        item.completed call-1 command_execution status=interrupted exit=None output_bytes=0 delta=false
        item.completed call-3 dynamic_tool_call delta=false
        turn.completed in=1 cached=0 cache_write=0 out=2 reasoning=0 delta=false
        turn.failed "boom" delta=false
    "#]]
    .assert_eq(&out);
}

#[test]
fn unknown_values_are_kept_verbatim() {
    let line = r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","exit_code":null,"status":"paused"}}"#;
    let event = parse_event(line).expect("parses");
    let Some(ItemDetails::CommandExecution(cmd)) = event.item().map(|i| &i.details) else {
        panic!("{event:?}")
    };
    assert_eq!(cmd.status, CommandExecutionStatus::Unknown("paused".into()));
    assert_eq!(event.unknowns(), vec!["item.status=paused".to_owned()]);
    assert_eq!(
        PatchChangeKind::from_wire("update"),
        PatchChangeKind::Update
    );
}

/// One row of the error table: the input and the expected `Display` of the error.
fn check_error(input: &str, expect: &Expect) {
    let err = parse_event(input).expect_err("must be rejected");
    assert!(err.excerpt().chars().count() <= codex_agent_protocol::MAX_EXCERPT_CHARS);
    expect.assert_eq(&err.with_line(3).to_string());
}

#[test]
fn malformed_lines_give_typed_errors_naming_the_problem() {
    check_error(
        "not json",
        &expect!["line 3: invalid JSON: expected ident at line 1 column 2; excerpt: `not json`"],
    );
    check_error(
        "[1,2]",
        &expect![
            "line 3: unexpected shape: invalid type: sequence, expected an exec event object at line 1 column 0; excerpt: `[1,2]`"
        ],
    );
    check_error(
        r#"{"thread_id":"x"}"#,
        &expect![[
            r#"line 3: unexpected shape: missing field `type` at line 1 column 17; excerpt: `{"thread_id":"x"}`"#
        ]],
    );
    check_error(
        r#"{"type":"thread.started"}"#,
        &expect![[
            r#"line 3: unexpected shape: missing field `thread_id` at line 1 column 25; excerpt: `{"type":"thread.started"}`"#
        ]],
    );
    check_error(
        r#"{"type":7}"#,
        &expect![[
            r#"line 3: unexpected shape: field `type` must be a string (invalid type: integer `7`, expected a string at line 1 column 9) at line 1 column 10; excerpt: `{"type":7}`"#
        ]],
    );
    check_error(
        r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","exit_code":"zero","status":"completed"}}"#,
        &expect![[
            r#"line 3: unexpected shape: invalid type: string "zero", expected i32 at line 1 column 124; excerpt: `","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","exit_code":"zero","status":"completed"}}`"#
        ]],
    );
    check_error(
        r#"{"type":"item.completed","item":{"type":"agent_message","text":"no id"}}"#,
        &expect![[
            r#"line 3: unexpected shape: missing field `id` at line 1 column 71; excerpt: `{"type":"item.completed","item":{"type":"agent_message","text":"no id"}}`"#
        ]],
    );
    // The hot item types read their fields without serde's flatten machinery, with the
    // same errors.
    check_error(
        r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","exit_code":0,"status":"completed"}}"#,
        &expect![[
            r#"line 3: unexpected shape: missing field `aggregated_output` at line 1 column 118; excerpt: `pleted","item":{"id":"i","type":"command_execution","command":"c","exit_code":0,"status":"completed"}}`"#
        ]],
    );
    check_error(
        r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"a","text":"b"}}"#,
        &expect![[
            r#"line 3: unexpected shape: duplicate field `text` at line 1 column 82; excerpt: `{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"a","text":"b"}}`"#
        ]],
    );
    check_error(
        r#"{"type":"item.completed","item":{"id":"i","type":"reasoning","text":"a","status":"done"},"item":{}}"#,
        &expect![[
            r#"line 3: unexpected shape: duplicate field `item` at line 1 column 95; excerpt: `{"type":"item.completed","item":{"id":"i","type":"reasoning","text":"a","status":"done"},"item":{}}`"#
        ]],
    );
    check_error(
        r#"{"type":"error","message":"bad \q escape"}"#,
        &expect![[
            r#"line 3: invalid JSON: invalid escape at line 1 column 33; excerpt: `{"type":"error","message":"bad \q escape"}`"#
        ]],
    );
    check_error(
        r#"{"type":"turn.completed","usage":{"input_tokens":1e400,"cached_input_tokens":0,"output_tokens":0}}"#,
        &expect![[
            r#"line 3: invalid JSON: number out of range at line 1 column 54; excerpt: `{"type":"turn.completed","usage":{"input_tokens":1e400,"cached_input_tokens":0,"output_tokens":0}}`"#
        ]],
    );
}

#[test]
fn huge_lines_give_bounded_excerpts() {
    let line = format!(r#"{{"type":"error","message":"{}"#, "x".repeat(5_000_000));
    let err = parse_event(&line).expect_err("unterminated string");
    assert!(err.excerpt().chars().count() <= codex_agent_protocol::MAX_EXCERPT_CHARS);
    assert!(err.to_string().len() < 1_000);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        r#"{{"type":"future","x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = parse_event(&deep).expect_err("recursion limit");
    assert!(err.reason().contains("recursion limit"), "{err}");
}

#[test]
fn invalid_utf8_is_a_typed_error() {
    let err =
        parse_event_bytes(b"{\"type\":\"error\",\"message\":\"\xff\"}").expect_err("not UTF-8");
    expect![[r#"invalid JSON: invalid UTF-8 at byte 27; excerpt: `{"type":"error","message":"`"#]]
        .assert_eq(&err.to_string());
}

/// MCP content blocks: every modeled kind is typed and written back byte for byte (the shapes
/// codex 0.169 and 0.171 pass on from server-everything); anything else, a malformed block of
/// a known kind included, is kept as its JSON value, and strict mode does not judge the server's data.
#[test]
fn mcp_content_blocks_are_typed_and_anything_else_is_kept_verbatim() {
    let typed = [
        (r#"{"type":"text","text":"echo: ping"}"#, "text"),
        (
            r#"{"type":"text","text":"ok","annotations":{"audience":["user"],"priority":0.7}}"#,
            "text",
        ),
        (
            r#"{"type":"image","data":"iVBORw0=","mimeType":"image/png"}"#,
            "image",
        ),
        (
            r#"{"type":"audio","data":"UklGRg==","mimeType":"audio/wav"}"#,
            "audio",
        ),
        (
            r#"{"type":"resource_link","uri":"demo://resource/1","name":"R 1","description":"d","mimeType":"text/plain"}"#,
            "resource_link",
        ),
        (
            r#"{"type":"resource","resource":{"uri":"demo://resource/1","mimeType":"text/plain","text":"hello"}}"#,
            "resource",
        ),
    ];
    for (block, kind) in typed {
        let content: McpContent = serde_json::from_str(block).expect("a block");
        assert!(!content.is_unknown(), "{block}");
        assert_eq!(content.content_type(), kind);
        assert_eq!(serde_json::to_string(&content).expect("writes"), block);
    }
    let kept = [
        r#"{"type":"text"}"#,
        r#"{"type":"image","data":"x"}"#,
        r#"{"type":"text","text":5}"#,
        r#"{"type":"video","url":"https://example.com/v.mp4"}"#,
        r#"{"no_type":true}"#,
        r#""just a string""#,
        "[1,2]",
    ];
    for block in kept {
        let content: McpContent = serde_json::from_str(block).expect("any JSON");
        assert!(content.is_unknown(), "{block}");
        // Kept as a `Value`: the same JSON, keys in `serde_json`'s order.
        assert_eq!(
            serde_json::to_value(&content).expect("writes"),
            serde_json::from_str::<Value>(block).expect("JSON")
        );
    }
    let line = r#"{"type":"item.completed","item":{"id":"item_0","type":"mcp_tool_call","server":"s","tool":"t","arguments":{},"result":{"content":[{"type":"video","url":"u"},{"type":"text","text":"a","annotations":{}}],"structured_content":null},"error":null,"status":"completed"}}"#;
    let event = parse_event_strict(line).expect("MCP blocks are not codex's protocol");
    assert_round_trips(&event, line);
    let ThreadEvent::ItemCompleted(done) = &event else {
        panic!("{event:?}")
    };
    let ItemDetails::McpToolCall(call) = &done.item.details else {
        panic!("{event:?}")
    };
    let content = &call.result.as_ref().expect("a result").content;
    assert_eq!(content[0].content_type(), "video");
    assert!(matches!(&content[1], McpContent::Text(text) if text.text == "a"));
}

#[test]
fn tool_payloads_are_kept_as_their_json_text() {
    // `"b"` before `"a"`, an escape, a nested array: the text is the wire's, compact.
    let line = r#"{"type":"item.completed","item":{"id":"item_0","type":"mcp_tool_call","server":"s","tool":"t","arguments":{"b":[1,2.5,{"x":null}],"a":"q\"uote"},"result":{"content":[],"structured_content":{"sum":5},"_meta":{"k":true}},"error":null,"status":"completed"}}"#;
    // The same line with whitespace and a signed number, which `fast_json` leaves to
    // `serde_json`: the same text comes out of both paths.
    let spaced = line
        .replace(r#""arguments":{"b":[1,"#, r#""arguments": { "b" : [ 1 ,"#)
        .replace(r#""sum":5"#, r#""sum": -5"#);
    for (text, sum) in [(line.to_owned(), "5"), (spaced, "-5")] {
        let event = parse_event_strict(&text).expect("an MCP call");
        let ThreadEvent::ItemCompleted(done) = &event else {
            panic!("{event:?}")
        };
        let ItemDetails::McpToolCall(call) = &done.item.details else {
            panic!("{event:?}")
        };
        assert_eq!(
            call.arguments.as_str(),
            r#"{"b":[1,2.5,{"x":null}],"a":"q\"uote"}"#
        );
        assert_eq!(call.arguments.to_value()["a"], "q\"uote");
        let result = call.result.as_ref().expect("a result");
        assert_eq!(
            result.structured_content.as_ref().map(RawJson::as_str),
            Some(format!(r#"{{"sum":{sum}}}"#).as_str())
        );
        assert_eq!(
            result.meta.as_ref().map(RawJson::as_str),
            Some(r#"{"k":true}"#)
        );
        // Written back as the values they are (keys sorted, as a `Value` writes them).
        let written: Value = serde_json::to_value(&event).expect("writes");
        let read: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(written, read);
    }
}
