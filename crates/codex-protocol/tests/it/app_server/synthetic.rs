//! SYNTHETIC cases — hand-written messages for what the live captures cannot show: methods,
//! item types, enum values and fields a newer codex may send, string and integer ids
//! (including 0), malformed input, and the wire shapes of client-built values.

use codex_agent_protocol::app_server::ClientInfo;
use codex_agent_protocol::app_server::{
    ClientMessage, ClientRequest, ClientRequestResult, CodexErrorInfo,
    CommandExecutionApprovalDecision, CommandExecutionRequestApprovalResponse, DynamicFunctionTool,
    DynamicToolCallOutputContentItem, DynamicToolCallResponse, DynamicToolSpec, ErrorResponse,
    ExecpolicyAmendment, InitializeCapabilities, InitializeParams, Notification, Request,
    RequestId, Response, ServerMessage, ServerNotification, ServerRequest, ServerRequestResult,
    ThreadItem, ThreadStartParams, TurnStartParams, TurnStatus, UserInput, parse_client_message,
    parse_client_message_strict, parse_server_message, parse_server_message_strict,
};
use std::fmt::Write as _;

use codex_agent_protocol::{ParseError, Unknowns};
use expect_test::{Expect, expect, expect_file};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// Parses a server line leniently and strictly, checks the round trip, and renders what
/// came out: the message kind and method, the unknowns, and the strict outcome.
fn check_server(line: &str, expect: &Expect) {
    let rendered = match parse_server_message(line) {
        Ok(msg) => {
            let input: Value = serde_json::from_str(line).expect("test input is JSON");
            assert_eq!(
                serde_json::to_value(&msg).expect("serializes"),
                input,
                "round trip of {line}"
            );
            assert_eq!(
                parse_server_message(&msg.to_line()).expect("re-parses"),
                msg
            );
            let strict = match parse_server_message_strict(line) {
                Ok(_) => "strict ok".to_owned(),
                Err(e) => format!("strict: {e}"),
            };
            format!(
                "{} {:?} id={:?}\nunknowns={:?}\n{strict}",
                kind(&msg),
                msg.method(),
                msg.id(),
                msg.unknowns()
            )
        }
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&rendered);
}

fn kind(msg: &ServerMessage) -> &'static str {
    match msg {
        ServerMessage::Request(_) => "request",
        ServerMessage::Notification(_) => "notification",
        ServerMessage::Response(_) => "response",
        ServerMessage::Error(_) => "error",
        _ => "other",
    }
}

#[test]
fn unknown_notification_method_is_kept() {
    check_server(
        r#"{"method":"thread/future/thing","params":{"threadId":"t","x":[1,2]},"emittedAtMs":5}"#,
        &expect![[r#"
            notification Some("thread/future/thing") id=None
            unknowns=["method=thread/future/thing"]
            strict: strict mode rejected unknown method=thread/future/thing; excerpt: `{"method":"thread/future/thing","params":{"threadId":"t","x":[1,2]},"emittedAtMs":5}`"#]],
    );
}

#[test]
fn unknown_server_request_keeps_its_id() {
    check_server(
        r#"{"method":"attestation/generate","id":7,"params":{"nonce":"n"}}"#,
        &expect![[r#"
            request Some("attestation/generate") id=Some(Integer(7))
            unknowns=["method=attestation/generate"]
            strict: strict mode rejected unknown method=attestation/generate; excerpt: `{"method":"attestation/generate","id":7,"params":{"nonce":"n"}}`"#]],
    );
    let ServerMessage::Request(r) =
        parse_server_message(r#"{"method":"x/y","id":"s-1"}"#).expect("parses")
    else {
        panic!("a request");
    };
    assert_eq!(r.id, RequestId::String("s-1".into()));
    assert!(matches!(&r.body, ServerRequest::Unknown { method, params: None } if method == "x/y"));
}

#[test]
fn unknown_item_type_is_kept_whole() {
    let line = r#"{"method":"item/completed","params":{"item":{"type":"hologram","id":"h1","beams":3},"threadId":"t","turnId":"u","completedAtMs":9,"contentTokenCount":null},"emittedAtMs":9}"#;
    check_server(
        line,
        &expect![[r#"
            notification Some("item/completed") id=None
            unknowns=["params.item.type=hologram"]
            strict: strict mode rejected unknown params.item.type=hologram; excerpt: `{"method":"item/completed","params":{"item":{"type":"hologram","id":"h1","beams":3},"threadId":"t","turnId":"u","completedAtMs":9,"contentTokenCount":null},"emittedAtMs":9}`"#]],
    );
    let ServerMessage::Notification(n) = parse_server_message(line).expect("parses") else {
        panic!()
    };
    let ServerNotification::ItemCompleted(c) = &n.body else {
        panic!("item/completed")
    };
    assert_eq!(c.item.id(), "h1");
    assert_eq!(
        c.item,
        ThreadItem::Unknown(json!({"type": "hologram", "id": "h1", "beams": 3}))
    );
}

#[test]
fn unknown_enum_values_and_fields_are_kept() {
    check_server(
        r#"{"method":"turn/completed","params":{"threadId":"t","newTop":1,"turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"partial","status":"paused","error":{"message":"m","codexErrorInfo":{"quotaExploded":{"n":1}},"additionalDetails":null,"misalignment":null},"startedAt":1,"completedAt":2,"durationMs":3}},"emittedAtMs":4}"#,
        &expect![[r#"
            notification Some("turn/completed") id=None
            unknowns=["params.turn.itemsView=partial", "params.turn.status=paused", "params.turn.error.codexErrorInfo={\"quotaExploded\":{\"n\":1}}", "params.newTop"]
            strict: strict mode rejected unknown params.turn.itemsView=partial, params.turn.status=paused, params.turn.error.codexErrorInfo={"quotaExploded":{"n":1}}, params.newTop; excerpt: `{"method":"turn/completed","params":{"threadId":"t","newTop":1,"turn":{"id":"u","rootTurnId":null,"items":[],"itemsView":"partial","status":"paused","error":{"message":"m","codexErrorInfo":{"quotaExpl`"#]],
    );
}

#[test]
fn codex_error_info_object_forms() {
    for (wire, expected) in [
        (
            json!("internalServerError"),
            CodexErrorInfo::InternalServerError,
        ),
        (
            json!({"httpConnectionFailed": {"httpStatusCode": 502}}),
            CodexErrorInfo::HttpConnectionFailed(
                serde_json::from_value(json!({"httpStatusCode": 502})).expect("details"),
            ),
        ),
        (
            json!({"responseStreamDisconnected": {"httpStatusCode": null}}),
            CodexErrorInfo::ResponseStreamDisconnected(
                serde_json::from_value(json!({"httpStatusCode": null})).expect("details"),
            ),
        ),
    ] {
        let parsed: CodexErrorInfo = serde_json::from_value(wire.clone()).expect("parses");
        assert_eq!(parsed, expected);
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), wire);
        assert!(parsed.unknowns().is_empty());
    }
    let odd: CodexErrorInfo = serde_json::from_value(json!({"a": 1, "b": 2})).expect("parses");
    assert!(odd.is_unknown());
    let bad = serde_json::from_value::<CodexErrorInfo>(json!({"httpConnectionFailed": 5}))
        .expect_err("known key, wrong payload");
    assert!(
        bad.to_string()
            .contains("CodexErrorInfo `httpConnectionFailed`"),
        "{bad}"
    );
}

#[test]
fn ids_are_integers_or_strings_and_zero_is_valid() {
    check_server(
        r#"{"id":0,"result":{}}"#,
        &expect![[r"
            response None id=Some(Integer(0))
            unknowns=[]
            strict ok"]],
    );
    check_server(
        r#"{"id":"abc","error":{"code":-32600,"message":"no active turn to interrupt"}}"#,
        &expect![[r#"
            error None id=Some(String("abc"))
            unknowns=[]
            strict ok"#]],
    );
    check_server(
        r#"{"id":1.5,"result":{}}"#,
        &expect![
            "error: unexpected shape: `id` must be an integer or a string, found 1.5; excerpt: `{\"id\":1.5,\"result\":{}}`"
        ],
    );
    assert_ne!(RequestId::from(1), RequestId::from("1"));
    assert_eq!(RequestId::from(0).to_string(), "0");
    assert_eq!(RequestId::from("a").to_string(), "\"a\"");
}

#[test]
fn error_data_and_envelope_extras_round_trip() {
    check_server(
        r#"{"id":3,"error":{"code":-32603,"message":"boom","data":null,"hint":"x"},"trace":{"t":1}}"#,
        &expect![[r#"
            error None id=Some(Integer(3))
            unknowns=["error.hint", "trace"]
            strict: strict mode rejected unknown error.hint, trace; excerpt: `{"id":3,"error":{"code":-32603,"message":"boom","data":null,"hint":"x"},"trace":{"t":1}}`"#]],
    );
}

#[test]
fn malformed_known_messages_are_shape_errors() {
    check_server(
        r#"{"method":"turn/started","emittedAtMs":1}"#,
        &expect![
            "error: unexpected shape: `turn/started` requires `params`; excerpt: `{\"method\":\"turn/started\",\"emittedAtMs\":1}`"
        ],
    );
    check_server(
        r#"{"method":"item/started","params":{"item":{"type":"agentMessage","id":"m"},"threadId":"t","turnId":"u","startedAtMs":1}}"#,
        &expect![
            "error: unexpected shape: params of `item/started`: ThreadItem `agentMessage`: missing field `text`; excerpt: `{\"method\":\"item/started\",\"params\":{\"item\":{\"type\":\"agentMessage\",\"id\":\"m\"},\"threadId\":\"t\",\"turnId\":\"u\",\"startedAtMs\":1}}`"
        ],
    );
    check_server(
        r#"{"method":"item/started","params":{"item":{"id":"m"},"threadId":"t","turnId":"u","startedAtMs":1}}"#,
        &expect![
            "error: unexpected shape: params of `item/started`: missing field `type`; excerpt: `{\"method\":\"item/started\",\"params\":{\"item\":{\"id\":\"m\"},\"threadId\":\"t\",\"turnId\":\"u\",\"startedAtMs\":1}}`"
        ],
    );
    check_server(
        "{\"method\":",
        &expect![
            "error: invalid JSON: EOF while parsing a value at line 1 column 10; excerpt: `{\"method\":`"
        ],
    );
    let err = parse_server_message(r#"{"method":"turn/started","params":{}}"#)
        .expect_err("missing fields");
    assert!(matches!(err, ParseError::Shape { .. }));
    assert_eq!(err.with_line(4).line(), Some(4));
}

#[test]
fn result_errors_name_the_method() {
    let err = ClientRequestResult::from_result("turn/steer", json!({"turn": 1}))
        .expect_err("wrong shape");
    assert_eq!(
        err.to_string(),
        "unexpected shape: result of `turn/steer`: missing field `turnId`; excerpt: `{\"turn\":1}`"
    );
    let unknown = ServerRequestResult::from_result("future/method", json!([1]))
        .expect("unknown methods are kept");
    assert!(unknown.is_unknown());
    assert_eq!(unknown.unknowns(), vec!["method=future/method".to_owned()]);
    assert_eq!(
        serde_json::to_value(&unknown).expect("serializes"),
        json!([1])
    );
}

#[test]
fn client_messages_build_to_codex_wire_shapes() {
    let init = ClientMessage::Request(Request::new(
        1,
        ClientRequest::Initialize(Box::new(
            InitializeParams::new(ClientInfo::new("my_sdk", "0.1.0").title("My SDK")).capabilities(
                InitializeCapabilities::default()
                    .experimental_api(true)
                    .opt_out_notification_methods(["thread/readState/changed"]),
            ),
        )),
    ));
    expect![[r#"{"id":1,"method":"initialize","params":{"clientInfo":{"name":"my_sdk","title":"My SDK","version":"0.1.0"},"capabilities":{"experimentalApi":true,"optOutNotificationMethods":["thread/readState/changed"]}}}"#]]
        .assert_eq(&init.to_line());

    let tool = DynamicToolSpec::Function(DynamicFunctionTool::new(
        "lookup_weather",
        "Weather.",
        json!({"type": "object"}),
    ));
    let start = ClientMessage::Request(Request::new(
        "s2",
        ClientRequest::ThreadStart(Box::new(
            ThreadStartParams::default()
                .model("gpt-5.5")
                .cwd("/w")
                .dynamic_tools(vec![tool]),
        )),
    ));
    expect![[r#"{"id":"s2","method":"thread/start","params":{"model":"gpt-5.5","cwd":"/w","dynamicTools":[{"type":"function","name":"lookup_weather","description":"Weather.","inputSchema":{"type":"object"}}]}}"#]]
        .assert_eq(&start.to_line());

    let turn = ClientMessage::Request(Request::new(
        3,
        ClientRequest::TurnStart(Box::new(TurnStartParams::new(
            "t",
            vec![UserInput::text("say hi"), UserInput::local_image("/p.png")],
        ))),
    ));
    expect![[r#"{"id":3,"method":"turn/start","params":{"threadId":"t","input":[{"type":"text","text":"say hi","text_elements":[]},{"type":"localImage","path":"/p.png"}]}}"#]]
        .assert_eq(&turn.to_line());

    let initialized = ClientMessage::Notification(Notification::new(
        codex_agent_protocol::app_server::ClientNotification::Initialized,
    ));
    expect![[r#"{"method":"initialized"}"#]].assert_eq(&initialized.to_line());

    for msg in [init, start, turn, initialized] {
        assert_eq!(
            parse_client_message_strict(&msg.to_line()).expect("strict"),
            msg
        );
    }
}

#[test]
fn approval_decisions_have_the_schema_shapes() {
    let cases = [
        (CommandExecutionApprovalDecision::Accept, json!("accept")),
        (
            CommandExecutionApprovalDecision::AcceptForSession,
            json!("acceptForSession"),
        ),
        (CommandExecutionApprovalDecision::Decline, json!("decline")),
        (CommandExecutionApprovalDecision::Cancel, json!("cancel")),
        (
            CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment(
                serde_json::from_value::<ExecpolicyAmendment>(
                    json!({"execpolicy_amendment": ["touch", "a"]}),
                )
                .expect("amendment"),
            ),
            json!({"acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch", "a"]}}),
        ),
    ];
    for (decision, wire) in cases {
        let response = CommandExecutionRequestApprovalResponse::new(decision.clone());
        assert_eq!(
            serde_json::to_value(&response).expect("serializes"),
            json!({ "decision": wire })
        );
        let back: CommandExecutionApprovalDecision = serde_json::from_value(wire).expect("parses");
        assert_eq!(back, decision);
    }
    let reply = ClientMessage::Response(Response::new(
        0,
        serde_json::to_value(DynamicToolCallResponse::new(
            vec![DynamicToolCallOutputContentItem::text("Sunny")],
            true,
        ))
        .expect("value"),
    ));
    expect![[
        r#"{"id":0,"result":{"contentItems":[{"text":"Sunny","type":"inputText"}],"success":true}}"#
    ]]
    .assert_eq(&reply.to_line());
    let refusal = ClientMessage::Error(ErrorResponse::new(4, -32601, "unsupported server request"));
    expect![[r#"{"id":4,"error":{"code":-32601,"message":"unsupported server request"}}"#]]
        .assert_eq(&refusal.to_line());
}

#[test]
fn client_side_unknowns_and_explicit_nulls() {
    // An explicit `null` of an any-typed optional field is kept; absent stays absent.
    let line = r#"{"id":9,"method":"turn/start","params":{"threadId":"t","input":[],"outputSchema":null,"newKnob":true}}"#;
    let msg = parse_client_message(line).expect("parses");
    assert_eq!(
        serde_json::to_value(&msg).expect("serializes"),
        serde_json::from_str::<Value>(line).expect("JSON")
    );
    assert_eq!(msg.unknowns(), vec!["params.newKnob".to_owned()]);
    let err = parse_client_message_strict(line).expect_err("strict rejects");
    assert!(
        matches!(&err, ParseError::Strict { unknowns, .. } if unknowns == &["params.newKnob"]),
        "{err}"
    );
    let future =
        parse_client_message(r#"{"method":"client/future","params":[1]}"#).expect("parses");
    assert_eq!(future.unknowns(), vec!["method=client/future".to_owned()]);
    let status: TurnStatus = serde_json::from_value(json!(42)).expect("any value");
    assert_eq!(status, TurnStatus::Unknown(json!(42)));
}

/// What a server message holds that the codex 0.171 cases are about: the moderation of an
/// agent message, the error classification of a turn, the `environmentId` of MCP items and
/// elicitations.
fn server_details(msg: &ServerMessage) -> String {
    match msg {
        ServerMessage::Notification(n) => match &n.body {
            ServerNotification::ItemCompleted(c) => match &c.item {
                ThreadItem::AgentMessage(m) => format!("moderation={:?}", m.moderation),
                ThreadItem::McpToolCall(m) => format!("environment_id={:?}", m.environment_id),
                other => format!("item {}", other.type_name()),
            },
            ServerNotification::TurnCompleted(c) => format!(
                "codex_error_info={:?}",
                c.turn.error.as_ref().map(|e| &e.codex_error_info)
            ),
            _ => String::new(),
        },
        ServerMessage::Request(r) => match &r.body {
            ServerRequest::McpServerElicitationRequest(e) => {
                format!("environment_id={:?}", e.environment_id)
            }
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// The same for client messages and results: `includedThreadIds` and `environmentId`.
fn client_details(msg: &ClientMessage) -> String {
    match msg {
        ClientMessage::Request(r) => match &r.body {
            ClientRequest::ThreadList(p) => {
                format!("included_thread_ids={:?}", p.included_thread_ids)
            }
            ClientRequest::McpServerStatusList(p) => {
                format!("environment_id={:?}", p.environment_id)
            }
            _ => String::new(),
        },
        _ => String::new(),
    }
}

fn result_details(result: &ClientRequestResult) -> String {
    match result {
        ClientRequestResult::McpServerStatusList(list) => {
            let ids: Vec<_> = list
                .data
                .iter()
                .map(|s| (s.name.as_str(), s.environment_id.as_deref()))
                .collect();
            format!("environment_ids={ids:?}")
        }
        _ => String::new(),
    }
}

fn strict_outcome<T>(result: Result<T, ParseError>) -> String {
    match result {
        Ok(_) => "strict ok".to_owned(),
        Err(ParseError::Strict { unknowns, .. }) => format!("strict rejects {unknowns:?}"),
        Err(e) => format!("strict: {e}"),
    }
}

/// SYNTHETIC — `fixtures/synthetic/app-server/codex-0.171-shapes.jsonl` (see the README
/// there): the shapes codex 0.171 changed or added next to codex 0.169's, and what a newer
/// codex may send. Every line parses leniently and round-trips; the snapshot records what each
/// became, its unknowns and the strict outcome.
#[test]
fn codex_0_171_shapes_parse_next_to_0_169_ones() {
    let path = super::fixtures().join("synthetic/app-server/codex-0.171-shapes.jsonl");
    let text = std::fs::read_to_string(&path).expect("the synthetic fixture exists");
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let case: Value = serde_json::from_str(line).expect("a JSON case");
        let note = case["note"].as_str().expect("a note");
        let msg = case["msg"].to_string();
        let _ = writeln!(out, "{}. {note}", index + 1);
        let rendered = match (case["dir"].as_str(), case["resultOf"].as_str()) {
            (Some("server->client"), Some(method)) => {
                let wire = case["msg"]["result"].clone();
                match ClientRequestResult::from_result(method, wire.clone()) {
                    Ok(result) => {
                        let back = serde_json::to_value(&result).expect("serializes");
                        assert_eq!(back, wire, "round trip of {line}");
                        format!(
                            "result of {method}\nunknowns={:?}\n{}",
                            result.unknowns(),
                            result_details(&result)
                        )
                    }
                    Err(e) => format!("error: {e}"),
                }
            }
            (Some("server->client"), None) => match parse_server_message(&msg) {
                Ok(parsed) => {
                    let back = serde_json::to_value(&parsed).expect("serializes");
                    assert_eq!(back, case["msg"], "round trip of {line}");
                    format!(
                        "{} {:?}\nunknowns={:?}\n{}\n{}",
                        kind(&parsed),
                        parsed.method(),
                        parsed.unknowns(),
                        strict_outcome(parse_server_message_strict(&msg)),
                        server_details(&parsed)
                    )
                }
                Err(e) => format!("error: {e}"),
            },
            (Some("client->server"), None) => match parse_client_message(&msg) {
                Ok(parsed) => {
                    let back = serde_json::to_value(&parsed).expect("serializes");
                    assert_eq!(back, case["msg"], "round trip of {line}");
                    format!(
                        "client {:?}\nunknowns={:?}\n{}\n{}",
                        parsed.method(),
                        parsed.unknowns(),
                        strict_outcome(parse_client_message_strict(&msg)),
                        client_details(&parsed)
                    )
                }
                Err(e) => format!("error: {e}"),
            },
            other => panic!("line {}: unexpected direction {other:?}", index + 1),
        };
        out.push_str(rendered.trim_end());
        out.push_str("\n\n");
    }
    expect_file!["../snapshots/app_server_codex_0_171_shapes.txt"].assert_eq(&out);
}
