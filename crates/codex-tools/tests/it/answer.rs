//! `answer` over every kind of server request: the live requests of the codex 0.169.0
//! app-server transcripts (`fixtures/codex-0.169.0/app-server/`) and hand-written ones for the
//! kinds no capture holds (`fixtures/synthetic/app-server/server-requests.jsonl`), each
//! answered by a few handler and tool setups. Every answer must parse strictly as the typed
//! result of its method.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use codex_agent_protocol::Unknowns as _;
use codex_agent_protocol::app_server::{
    ServerMessage, ServerRequest, ServerRequestResult, parse_server_message_strict,
};
use codex_agent_tools::approval::{
    AlwaysAccept, AlwaysDecline, ApprovalDecision, ApprovalHandler, ApprovalHandlers,
    McpServerElicitationAction, McpServerElicitationRequestResponse, ToolRequestUserInputAnswer,
    ToolRequestUserInputResponse,
};
use codex_agent_tools::registry::{ToolRegistry, ToolSession};
use codex_agent_tools::tools::{Tool, ToolError};
use expect_test::expect_file;
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every server request of the live app-server transcripts and of the synthetic set, named
/// by file and line.
fn sample_requests() -> Vec<(String, ServerRequest)> {
    let live = fixtures().join("codex-0.169.0/app-server");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&live)
        .expect("fixtures/codex-0.169.0/app-server exists")
        .map(|entry| entry.expect("readable dir entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            path.extension().is_some_and(|e| e == "jsonl") && !name.ends_with(".requests.jsonl")
        })
        .collect();
    files.sort();
    files.push(fixtures().join("synthetic/app-server/server-requests.jsonl"));
    let mut requests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture is readable");
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let value: Value = serde_json::from_str(line).expect("fixture line is JSON");
            // Transcript lines wrap the message: `{"seq", "dir", "t_ms", "msg"}`.
            let message = match value.get("msg") {
                Some(msg) if value["dir"] == "server->client" => msg.clone(),
                Some(_) => continue,
                None => value,
            };
            if message.get("method").is_none() || message.get("id").is_none() {
                continue;
            }
            let where_ = format!("{name}:{}", number + 1);
            // Strict: the synthetic requests must be shapes the protocol models, unknown
            // methods aside.
            let parsed = if message["method"] == "attestation/generate" {
                codex_agent_protocol::app_server::parse_server_message(&message.to_string())
            } else {
                parse_server_message_strict(&message.to_string())
            };
            match parsed {
                Ok(ServerMessage::Request(request)) => requests.push((where_, request.body)),
                other => panic!("{where_}: not a server request: {other:?}"),
            }
        }
    }
    requests
}

/// `lookup_weather`, with typed arguments.
fn tools() -> ToolSession {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Place {
        city: String,
    }
    ToolRegistry::new()
        .with(Tool::typed(
            "lookup_weather",
            "Look up the current weather for a city.",
            |place: Place| async move { Ok::<_, ToolError>(format!("Sunny in {}", place.city)) },
        ))
        .expect("a valid tool")
        .session()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// Closures for every kind: amend the exec policy with what codex proposes, accept patches
/// and permissions for the session, pick the first option of each question, fill in forms.
fn closures() -> ApprovalHandlers {
    ApprovalHandlers::new()
        .on_command(|request| async move {
            ApprovalDecision::AcceptWithExecpolicyAmendment(
                request.proposed_execpolicy_amendment.unwrap_or_default(),
            )
        })
        .on_file_change(|_| async { ApprovalDecision::AcceptForSession })
        .on_permissions(|request| async move {
            ApprovalDecision::AcceptForSession.for_permissions(&request)
        })
        .on_user_input(|request| async move {
            let answers: BTreeMap<_, _> = request
                .questions
                .iter()
                .filter_map(|q| {
                    let first = q.options.as_ref()?.first()?;
                    let answer = ToolRequestUserInputAnswer::new(vec![first.label.clone()]);
                    Some((q.id.clone(), answer))
                })
                .collect();
            ToolRequestUserInputResponse::new(answers)
        })
        .on_elicitation(|_| async {
            let mut response =
                McpServerElicitationRequestResponse::new(McpServerElicitationAction::Accept);
            response.content = Some(json!({"project": "sdk"}));
            response
        })
}

/// One answer, checked against the typed result of `method`, as one line.
fn render(
    method: &str,
    answer: Result<Value, codex_agent_protocol::app_server::JsonRpcError>,
) -> String {
    match answer {
        Ok(result) => {
            let typed = ServerRequestResult::from_result(method, result.clone())
                .unwrap_or_else(|e| panic!("the answer to {method} does not parse: {e}"));
            assert_eq!(typed.unknowns(), Vec::<String>::new(), "{method}: {result}");
            result.to_string()
        }
        Err(error) => format!("error {}: {}", error.code, error.message),
    }
}

#[test]
fn every_server_request_is_answered() {
    let tools = tools();
    let closures = closures();
    let none = ToolRegistry::new().session();
    let setups: [(&str, &dyn ApprovalHandler, &ToolSession); 3] = [
        ("default", &AlwaysDecline, &none),
        ("accept", &AlwaysAccept, &tools),
        ("closures", &closures, &tools),
    ];
    let requests = sample_requests();
    let mut out = String::new();
    for (where_, request) in &requests {
        let method = request.method();
        let thread = codex_agent_tools::thread_id(request);
        writeln!(out, "{where_} {method} thread={thread:?}").expect("write to a String");
        for (name, handler, tools) in setups {
            let answer = block_on(codex_agent_tools::answer(request.clone(), handler, tools));
            writeln!(out, "  {name}: {}", render(method, answer)).expect("write to a String");
        }
    }
    expect_file!["snapshots/answers.txt"].assert_eq(&out);

    let asked: Vec<&str> = requests.iter().map(|(_, r)| r.method()).collect();
    for method in codex_agent_tools::ANSWERED_METHODS {
        assert!(asked.contains(method), "no sample request of {method}");
    }
}

#[test]
fn futures_and_handlers_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let tools = tools();
    let request = sample_requests().remove(0).1;
    send(&codex_agent_tools::answer(request, &AlwaysDecline, &tools));
    send(&tools.call(None, "lookup_weather", json!({"city": "Paris"})));
    send_sync(&tools);
    send_sync(tools.registry());
    send_sync(&closures());
    send_sync(&codex_agent_tools::approval::from_fn(|_| async {
        ApprovalDecision::Decline
    }));
}

/// The `codex.approvals` metric events (`(kind, decision)`), as the telemetry layer reads them.
#[derive(Clone, Default)]
struct ApprovalCounts(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ApprovalCounts {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Fields(BTreeMap<String, String>);
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.insert(field.name().to_owned(), value.to_owned());
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.insert(field.name().to_owned(), format!("{value:?}"));
            }
        }
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        if fields
            .0
            .get("monotonic_counter.codex.approvals")
            .map(String::as_str)
            == Some("1")
        {
            let get = |key: &str| fields.0.get(key).cloned().unwrap_or_default();
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((get("codex.approval.kind"), get("codex.approval.decision")));
        }
    }
}

/// Every request that asks the user, whatever its kind (the permissions request included),
/// is answered in an `approval {kind}` span with its decision and counted in
/// `codex.approvals`; a dynamic tool call asks nobody and makes no approval span.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "both handler setups over every kind, checked whole"
)]
fn every_request_that_asks_the_user_has_a_span_and_a_count() {
    use codex_agent_testkit::spans::SpanCapture;
    use tracing_subscriber::layer::SubscriberExt as _;

    let requests = sample_requests();
    let first = |method: &str| {
        let (_, request) = requests
            .iter()
            .find(|(_, r)| r.method() == method)
            .unwrap_or_else(|| panic!("no sample {method}"));
        request.clone()
    };
    let asking = [
        "item/commandExecution/requestApproval",
        "item/fileChange/requestApproval",
        "item/permissions/requestApproval",
        "item/tool/requestUserInput",
        "mcpServer/elicitation/request",
    ];
    let tools = tools();
    let closures = closures();
    let setups: [(&str, &dyn ApprovalHandler); 2] =
        [("default", &AlwaysDecline), ("closures", &closures)];
    // With exactly one subscriber registered, `tracing-core` computes a callsite's interest
    // from the registering thread's default only: another test of this process hitting the
    // approval callsite first, with no subscriber, would cache "never" for it, and the spans
    // of the first setup below would be lost. A second live subscriber makes it ask them all.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let mut spans = Vec::new();
    let mut counts = Vec::new();
    for (setup, handler) in setups {
        let capture = SpanCapture::new();
        let metrics = ApprovalCounts::default();
        let subscriber = tracing_subscriber::registry()
            .with(capture.layer())
            .with(metrics.clone());
        tracing::subscriber::with_default(subscriber, || {
            for method in asking.iter().chain(&["item/tool/call"]) {
                let answer = block_on(codex_agent_tools::answer(first(method), handler, &tools));
                assert!(answer.is_ok(), "{setup} {method}: {answer:?}");
            }
        });
        for span in capture.spans() {
            assert_eq!(span.name, "approval", "{setup}: {span:?}");
            let field = |name: &str| span.field(name).unwrap_or("-").to_owned();
            spans.push(format!(
                "{setup}: {} kind={} decision={} call={}",
                field("otel.name"),
                field("codex.approval.kind"),
                field("codex.approval.decision"),
                field("gen_ai.tool.call.id"),
            ));
        }
        for (kind, decision) in metrics
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            counts.push(format!("{setup}: {kind} {decision}"));
        }
    }
    let call_id = |method: &str| match first(method) {
        ServerRequest::CommandExecutionRequestApproval(p) => p.item_id.clone(),
        ServerRequest::FileChangeRequestApproval(p) => p.item_id.clone(),
        ServerRequest::PermissionsRequestApproval(p) => p.item_id.clone(),
        ServerRequest::ToolRequestUserInput(p) => p.item_id.clone(),
        _ => "-".to_owned(),
    };
    let expected = |setup: &str, decisions: [&str; 5]| {
        let kinds = [
            "command_execution",
            "file_change",
            "permissions",
            "user_input",
            "elicitation",
        ];
        kinds
            .iter()
            .zip(asking)
            .zip(decisions)
            .map(|((kind, method), decision)| {
                (
                    format!(
                        "{setup}: approval {kind} kind={kind} decision={decision} call={}",
                        call_id(method)
                    ),
                    format!("{setup}: {kind} {decision}"),
                )
            })
            .collect::<Vec<_>>()
    };
    let (expected_spans, expected_counts): (Vec<String>, Vec<String>) =
        expected("default", ["decline"; 5])
            .into_iter()
            .chain(expected(
                "closures",
                [
                    "accept_with_execpolicy_amendment",
                    "accept_for_session",
                    "accept_for_session",
                    "accept",
                    "accept",
                ],
            ))
            .unzip();
    pretty_assertions::assert_eq!(spans, expected_spans);
    pretty_assertions::assert_eq!(counts, expected_counts);
}
