//! Telemetry through the facade, with the real codex on both transports: usage and cost per
//! thread, budgets that stop turns, the `GenAI` span tree, and the event log.

use codex_agent_sdk::telemetry::{BudgetLimit, EventLog, EventLogOptions, PricingTable, semconv};
use codex_agent_sdk::{
    Budget, CodexOptions, Error, ItemDetails, Telemetry, ThreadEvent, Transport, TurnOptions,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::{Gate, MockResponse};
use codex_agent_testkit::spans::SpanCapture;
use codex_agent_testkit::sse::{self, Sse};
use futures::StreamExt as _;
use pretty_assertions::assert_eq;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::support::{Harness, WAIT, next_event, run};

/// The model the testkit's `CODEX_HOME` configures, named in the thread options so that the
/// SDK can price it.
const MODEL: &str = "gpt-5.5";

/// A pricing file for [`MODEL`], as users override the built-in table.
fn pricing(dir: &std::path::Path) -> PricingTable {
    let path = dir.join("prices.json");
    std::fs::write(
        &path,
        r#"{"date": "2026-12-06", "models": {"gpt-5.5": {"input": 2.0, "cached_input": 0.5, "output": 8.0}}}"#,
    )
    .expect("write the pricing file");
    PricingTable::builtin()
        .merge_file(&path)
        .expect("a valid pricing file")
}

async fn harness(transport: Transport, telemetry: Telemetry) -> Harness {
    Harness::with(
        CodexHomeOptions::default(),
        move |options: CodexOptions, _| options.transport(transport).telemetry(telemetry),
    )
    .await
}

/// The cost of a scripted turn is the hand-computed value, on both transports.
#[tokio::test]
async fn the_cost_of_a_scripted_turn_is_the_hand_computed_value() {
    let prices = tempfile::tempdir().expect("tempdir");
    for transport in [Transport::Exec, Transport::AppServer] {
        let h = harness(transport, Telemetry::new().pricing(pricing(prices.path()))).await;
        h.mock.push(Sse::reply_with_usage(
            "resp-1",
            [sse::assistant_message("msg-1", "Hi")],
            &sse::Usage::new(1000, 200).cached(400).reasoning(50),
        ));
        let thread = h.codex.start_thread(h.thread_options().model(MODEL));
        let turn = run(&thread, "say hi").await.expect("the turn completes");
        assert_eq!(
            turn.usage.map(|u| u.input_tokens),
            Some(1000),
            "{transport}"
        );

        let usage = thread.usage();
        assert_eq!(
            (usage.turns, usage.total_tokens()),
            (1, 1200),
            "{transport}"
        );
        // 600 uncached * $2 + 400 cached * $0.5 + 200 output * $8, per million tokens.
        let expected = (600.0 * 2.0 + 400.0 * 0.5 + 200.0 * 8.0) / 1_000_000.0;
        let cost = usage.cost_usd.expect("the model is priced");
        assert!(
            (cost - expected).abs() < 1e-15,
            "{transport}: {cost} != {expected}"
        );
        h.assert_no_mock_problems();
    }
}

/// On exec, usage comes only with `turn.completed`: the turn that crosses a token budget
/// completes, the next one is refused before codex starts. A turn budget refuses likewise.
#[tokio::test]
async fn a_budget_stops_the_next_exec_turn() {
    let cases = [
        (Budget::new().max_tokens(40), BudgetLimit::Tokens(40)),
        (Budget::new().max_turns(1), BudgetLimit::Turns(1)),
    ];
    for (budget, limit) in cases {
        let h = harness(Transport::Exec, Telemetry::new()).await;
        h.mock.push(Sse::reply_with_usage(
            "resp-1",
            [sse::assistant_message("msg-1", "Hi")],
            &sse::Usage::new(42, 5),
        ));
        let thread = h.codex.start_thread(h.thread_options().budget(budget));
        run(&thread, "first")
            .await
            .expect("the first turn has room");
        let error = run(&thread, "second")
            .await
            .expect_err("the budget is used up");
        let Error::BudgetExceeded(exceeded) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(exceeded.limit, limit);
        assert_eq!(exceeded.usage.total_tokens(), 47);
        assert_eq!(
            h.mock.requests().len(),
            1,
            "the second turn never reached the model"
        );
    }
}

/// On the app-server, usage comes after each model call: a turn whose first call crosses the
/// token budget is interrupted before its second call is answered, and ends with
/// `BudgetExceeded`; the next turn is refused.
#[tokio::test]
async fn a_token_budget_interrupts_the_crossing_app_server_turn() {
    let h = harness(Transport::AppServer, Telemetry::new()).await;
    h.mock.push(Sse::reply_with_usage(
        "resp-1",
        [sse::exec_command("call-1", "echo budget")],
        &sse::Usage::new(500, 10),
    ));
    // The second model call is never answered: only the budget can end the turn.
    let gate = Gate::new();
    h.mock
        .push(MockResponse::sse(Sse::message("resp-2", "never")).hold_after(0, &gate));
    let thread = h
        .codex
        .start_thread(h.thread_options().budget(Budget::new().max_tokens(100)));

    let mut stream = thread
        .run_streamed("run a command", TurnOptions::new())
        .await
        .expect("the turn starts");
    let mut last = None;
    while let Some(event) = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the turn ends in time")
    {
        last = Some(event);
    }
    let error = last.expect("some event").expect_err("the turn was stopped");
    let Error::BudgetExceeded(exceeded) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(exceeded.limit, BudgetLimit::Tokens(100));
    assert_eq!(exceeded.usage.total_tokens(), 510);
    assert!(error.to_string().contains("100 tokens"), "{error}");

    let usage = thread.usage();
    assert_eq!((usage.turns, usage.total_tokens()), (1, 510));
    let refused = run(&thread, "again").await.expect_err("used up");
    assert!(matches!(refused, Error::BudgetExceeded(_)), "{refused:?}");
}

/// A USD budget on a model without a price is refused before anything starts.
#[tokio::test]
async fn a_usd_budget_needs_a_priced_model() {
    let h = harness(Transport::Exec, Telemetry::new()).await;
    let thread = h
        .codex
        .start_thread(h.thread_options().budget(Budget::new().max_usd(1.0)));
    let error = run(&thread, "hi").await.expect_err("unpriced");
    assert!(matches!(error, Error::Telemetry(_)), "{error:?}");
    assert_eq!(h.mock.requests().len(), 0);
}

/// A real turn with a command: the span tree thread → `invoke_agent codex` →
/// `execute_tool shell` with the `GenAI` attributes and parent links, no secret anywhere; and
/// the event log holds every event with its thread and turn, and replays.
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one real turn checked whole, on both transports"
)]
async fn a_real_turn_makes_the_span_tree_and_the_event_log() {
    let secret = "sk-proj-telemetrysecret12345678";
    for transport in [Transport::Exec, Transport::AppServer] {
        let logs = tempfile::tempdir().expect("tempdir");
        let log = EventLog::open(EventLogOptions::new(logs.path())).expect("open the log");
        let telemetry = Telemetry::new().event_log(log).capture_content(true);
        let h = harness(transport, telemetry).await;
        h.mock.push(Sse::reply_with_usage(
            "resp-1",
            [sse::exec_command("call-1", &format!("echo {secret}"))],
            &sse::Usage::new(30, 4),
        ));
        h.mock.push(Sse::reply_with_usage(
            "resp-2",
            [sse::assistant_message("msg-1", "done")],
            &sse::Usage::new(40, 2),
        ));

        let capture = SpanCapture::new();
        let subscriber = tracing_subscriber::registry().with(capture.layer());
        let _default = tracing::subscriber::set_default(subscriber);
        let thread = h.codex.start_thread(h.thread_options().model(MODEL));
        let mut stream = thread
            .run_streamed("run echo", TurnOptions::new())
            .await
            .expect("the turn starts");
        let mut events = Vec::new();
        while let Some(event) = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("the turn ends in time")
        {
            events.push(event.expect("no error"));
        }
        drop(stream);
        let thread_id = thread.id().expect("the thread started");

        let spans: Vec<_> = capture
            .spans()
            .into_iter()
            .filter(|s| s.target == "codex_agent_telemetry")
            .collect();
        let all = capture.spans();
        let index = |name: &str| {
            all.iter()
                .position(|s| {
                    s.target == "codex_agent_telemetry" && s.field("otel.name") == Some(name)
                })
                .unwrap_or_else(|| panic!("{transport}: no {name} span in {spans:#?}"))
        };
        let (thread_span, agent, tool) = (
            index("codex.thread"),
            index("invoke_agent codex"),
            index("execute_tool shell"),
        );
        assert_eq!(all[agent].parent, Some(thread_span), "{transport}");
        assert_eq!(all[tool].parent, Some(agent), "{transport}");
        let agent = &all[agent];
        for (name, value) in [
            (semconv::GEN_AI_OPERATION_NAME, "invoke_agent"),
            (semconv::GEN_AI_PROVIDER_NAME, "openai"),
            (semconv::GEN_AI_AGENT_NAME, "codex"),
            (semconv::GEN_AI_REQUEST_MODEL, MODEL),
            (semconv::GEN_AI_CONVERSATION_ID, thread_id.as_str()),
            (semconv::GEN_AI_USAGE_INPUT_TOKENS, "70"),
            (semconv::GEN_AI_USAGE_OUTPUT_TOKENS, "6"),
        ] {
            assert_eq!(agent.field(name), Some(value), "{transport}: {name}");
        }
        let tool = &all[tool];
        for (name, value) in [
            (semconv::GEN_AI_OPERATION_NAME, "execute_tool"),
            (semconv::GEN_AI_TOOL_NAME, "shell"),
            (semconv::GEN_AI_TOOL_TYPE, "function"),
            (semconv::CODEX_ITEM_STATUS, "completed"),
            (semconv::CODEX_COMMAND_EXIT_CODE, "0"),
        ] {
            assert_eq!(tool.field(name), Some(value), "{transport}: {name}");
        }
        let captured = format!("{all:?}");
        assert!(
            !captured.contains(secret),
            "{transport}: the secret leaks: {captured}"
        );

        let records = codex_agent_sdk::telemetry::replay(logs.path()).expect("the log replays");
        assert_eq!(records.len(), events.len(), "{transport}");
        let turn_id = records[0].turn_id.clone().expect("a turn id");
        for record in &records {
            assert_eq!(record.turn_id.as_ref(), Some(&turn_id), "{transport}");
            assert_eq!(
                record.thread_id.as_deref(),
                Some(thread_id.as_str()),
                "{transport}"
            );
        }
        assert!(matches!(records[0].event, ThreadEvent::ThreadStarted(_)));
        assert!(matches!(
            records.last().map(|r| &r.event),
            Some(ThreadEvent::TurnCompleted(_))
        ));
        let commands = records
            .iter()
            .filter(|r| {
                matches!(&r.event, ThreadEvent::ItemCompleted(e)
                    if matches!(e.item.details, ItemDetails::CommandExecution(_)))
            })
            .count();
        assert_eq!(commands, 1, "{transport}");
        let text = std::fs::read_to_string(logs.path().join("events.ndjson")).expect("read");
        assert!(
            !text.contains(secret),
            "{transport}: the secret is in the log"
        );
        h.assert_no_mock_problems();
    }
}

/// A loopback OTLP receiver, over HTTP ([`Receiver::start`](receiver::Receiver::start)):
/// decodes every `ExportTraceServiceRequest` posted to `/v1/traces` and every
/// `ExportMetricsServiceRequest` posted to `/v1/metrics`; or over gRPC
/// ([`Receiver::start_grpc`](receiver::Receiver::start_grpc)): a tonic server implementing the
/// collector's `TraceService` and `MetricsService` on one port.
pub(crate) mod receiver {
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex, PoisonError};

    use http_body_util::{BodyExt as _, Full};
    use hyper::body::{Bytes, Incoming};
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::metrics::v1::Metric;
    use opentelemetry_proto::tonic::trace::v1::Span;
    use prost::Message as _;

    pub(crate) struct Receiver {
        pub(crate) endpoint: String,
        pub(crate) metrics_endpoint: String,
        spans: Arc<Mutex<Vec<Span>>>,
        metrics: Arc<Mutex<Vec<Metric>>>,
        /// The `authorization` header (HTTP) or metadata (gRPC) of every export.
        authorizations: Arc<Mutex<Vec<String>>>,
        received: Arc<tokio::sync::Notify>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for Receiver {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl Receiver {
        pub(crate) async fn start() -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind the receiver");
            let addr = listener.local_addr().expect("an address");
            let spans = Arc::new(Mutex::new(Vec::new()));
            let metrics = Arc::new(Mutex::new(Vec::new()));
            let received = Arc::new(tokio::sync::Notify::new());
            let authorizations = Arc::new(Mutex::new(Vec::new()));
            let (shared, notify) = (Arc::clone(&spans), Arc::clone(&received));
            let shared_metrics = Arc::clone(&metrics);
            let shared_authorizations = Arc::clone(&authorizations);
            let task = tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let spans = Arc::clone(&shared);
                    let metrics = Arc::clone(&shared_metrics);
                    let authorizations = Arc::clone(&shared_authorizations);
                    let notify = Arc::clone(&notify);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let sinks = (
                                Arc::clone(&spans),
                                Arc::clone(&metrics),
                                Arc::clone(&authorizations),
                            );
                            handle(sinks, Arc::clone(&notify), request)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            Self {
                endpoint: format!("http://{addr}/v1/traces"),
                metrics_endpoint: format!("http://{addr}/v1/metrics"),
                spans,
                metrics,
                authorizations,
                received,
                task,
            }
        }

        /// A gRPC receiver: `endpoint` and `metrics_endpoint` are both its address
        /// (`http://127.0.0.1:PORT`), as gRPC exporters take it.
        pub(crate) fn start_grpc() -> Self {
            let incoming = tonic::transport::server::TcpIncoming::bind(([127, 0, 0, 1], 0).into())
                .expect("bind the gRPC receiver");
            let addr = incoming.local_addr().expect("an address");
            let collector = grpc::Collector::default();
            let (spans, metrics, authorizations, received) = (
                Arc::clone(&collector.spans),
                Arc::clone(&collector.metrics),
                Arc::clone(&collector.authorizations),
                Arc::clone(&collector.received),
            );
            let task = tokio::spawn(async move {
                let _ = tonic::transport::Server::builder()
                    .serve_with_incoming(grpc::Routes::new(collector), incoming)
                    .await;
            });
            Self {
                endpoint: format!("http://{addr}"),
                metrics_endpoint: format!("http://{addr}"),
                spans,
                metrics,
                authorizations,
                received,
                task,
            }
        }

        /// The `authorization` values the exports carried.
        pub(crate) fn authorizations(&self) -> Vec<String> {
            self.authorizations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        /// Waits, up to `limit`, until the spans received satisfy `done`.
        pub(crate) async fn wait_for(
            &self,
            limit: std::time::Duration,
            done: impl Fn(&[Span]) -> bool,
        ) -> Vec<Span> {
            let wait = async {
                loop {
                    let notified = self.received.notified();
                    let spans = self.spans();
                    if done(&spans) {
                        return spans;
                    }
                    notified.await;
                }
            };
            match tokio::time::timeout(limit, wait).await {
                Ok(spans) => spans,
                Err(_) => self.spans(),
            }
        }

        pub(crate) fn metrics(&self) -> Vec<Metric> {
            self.metrics
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        pub(crate) fn spans(&self) -> Vec<Span> {
            self.spans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    type Sinks = (
        Arc<Mutex<Vec<Span>>>,
        Arc<Mutex<Vec<Metric>>>,
        Arc<Mutex<Vec<String>>>,
    );

    async fn handle(
        (spans, metrics, authorizations): Sinks,
        received: Arc<tokio::sync::Notify>,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let is_metrics = request.uri().path() == "/v1/metrics";
        if let Some(value) = request.headers().get("authorization") {
            authorizations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        let body = request
            .into_body()
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_default();
        if is_metrics {
            let decoded =
                ExportMetricsServiceRequest::decode(body).expect("valid OTLP metrics protobuf");
            let mut metrics = metrics.lock().unwrap_or_else(PoisonError::into_inner);
            for resource in decoded.resource_metrics {
                for scope in resource.scope_metrics {
                    metrics.extend(scope.metrics);
                }
            }
            drop(metrics);
            received.notify_waiters();
            return Ok(Response::builder()
                .header("content-type", "application/x-protobuf")
                .body(Full::new(Bytes::new()))
                .expect("a response"));
        }
        let decoded = ExportTraceServiceRequest::decode(body).expect("valid OTLP protobuf");
        {
            let mut spans = spans.lock().unwrap_or_else(PoisonError::into_inner);
            for resource in decoded.resource_spans {
                for scope in resource.scope_spans {
                    spans.extend(scope.spans);
                }
            }
        }
        received.notify_waiters();
        Ok(Response::builder()
            .header("content-type", "application/x-protobuf")
            .body(Full::new(Bytes::new()))
            .expect("a response"))
    }

    /// The gRPC side: the collector services, on one port.
    mod grpc {
        use std::convert::Infallible;
        use std::sync::{Arc, Mutex, PoisonError};
        use std::task::{Context, Poll};

        use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
            MetricsService, MetricsServiceServer,
        };
        use opentelemetry_proto::tonic::collector::metrics::v1::{
            ExportMetricsServiceRequest, ExportMetricsServiceResponse,
        };
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
            TraceService, TraceServiceServer,
        };
        use opentelemetry_proto::tonic::collector::trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
        };
        use opentelemetry_proto::tonic::metrics::v1::Metric;
        use opentelemetry_proto::tonic::trace::v1::Span;
        use tonic::codegen::{BoxFuture, Service, http};

        /// What the services received.
        #[derive(Clone, Default)]
        pub(super) struct Collector {
            pub(super) spans: Arc<Mutex<Vec<Span>>>,
            pub(super) metrics: Arc<Mutex<Vec<Metric>>>,
            pub(super) authorizations: Arc<Mutex<Vec<String>>>,
            pub(super) received: Arc<tokio::sync::Notify>,
        }

        impl Collector {
            fn authorization<T>(&self, request: &tonic::Request<T>) {
                if let Some(value) = request.metadata().get("authorization") {
                    self.authorizations
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(value.to_str().unwrap_or("(not ASCII)").to_owned());
                }
            }
        }

        #[tonic::async_trait]
        impl TraceService for Collector {
            async fn export(
                &self,
                request: tonic::Request<ExportTraceServiceRequest>,
            ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
                self.authorization(&request);
                {
                    let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
                    for resource in request.into_inner().resource_spans {
                        for scope in resource.scope_spans {
                            spans.extend(scope.spans);
                        }
                    }
                }
                self.received.notify_waiters();
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
        }

        #[tonic::async_trait]
        impl MetricsService for Collector {
            async fn export(
                &self,
                request: tonic::Request<ExportMetricsServiceRequest>,
            ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
                self.authorization(&request);
                {
                    let mut metrics = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
                    for resource in request.into_inner().resource_metrics {
                        for scope in resource.scope_metrics {
                            metrics.extend(scope.metrics);
                        }
                    }
                }
                self.received.notify_waiters();
                Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
            }
        }

        /// Both services on one port, routed by the gRPC path's service name.
        #[derive(Clone)]
        pub(super) struct Routes {
            trace: TraceServiceServer<Collector>,
            metrics: MetricsServiceServer<Collector>,
        }

        impl Routes {
            pub(super) fn new(collector: Collector) -> Self {
                Self {
                    trace: TraceServiceServer::new(collector.clone()),
                    metrics: MetricsServiceServer::new(collector),
                }
            }
        }

        impl Service<http::Request<tonic::body::Body>> for Routes {
            type Response = http::Response<tonic::body::Body>;
            type Error = Infallible;
            type Future = BoxFuture<Self::Response, Self::Error>;

            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
                let metrics = format!(
                    "/{}/",
                    opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::SERVICE_NAME
                );
                if request.uri().path().starts_with(&metrics) {
                    self.metrics.call(request)
                } else {
                    self.trace.call(request)
                }
            }
        }
    }
}

/// The OTLP/HTTP export of a real turn with a command and a host tool, on both transports:
/// the receiver decodes the thread → `invoke_agent codex` (CLIENT) → `execute_tool shell` and
/// `execute_tool note` tree, in one trace, with correct parent links and the `GenAI`
/// attributes, the metrics, and no secret in any attribute, metric or event log record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_export_delivers_the_span_tree_of_a_real_turn() {
    use codex_agent_sdk::telemetry::otlp::OtlpOptions;

    for transport in [Transport::Exec, Transport::AppServer] {
        let receiver = receiver::Receiver::start().await;
        let options = OtlpOptions::new()
            .endpoint(&receiver.endpoint)
            .metrics_endpoint(&receiver.metrics_endpoint)
            .service_name("codex-sdk-test");
        export_a_real_turn(transport, &receiver, options).await;
    }
}

/// The same over gRPC: a tonic collector decodes the same span tree and metrics, and gets the
/// bearer token set in code as metadata, which the options never print.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_grpc_export_delivers_the_span_tree_of_a_real_turn() {
    use codex_agent_sdk::telemetry::otlp::{OtlpOptions, OtlpProtocol};

    let receiver = receiver::Receiver::start_grpc();
    let token = "Bearer otlp-grpc-token-0123456789";
    let options = OtlpOptions::new()
        .protocol(OtlpProtocol::Grpc)
        .endpoint(&receiver.endpoint)
        .metrics_endpoint(&receiver.metrics_endpoint)
        .service_name("codex-sdk-test")
        .header("Authorization", token);
    let debug = format!("{options:?}");
    assert!(!debug.contains("otlp-grpc-token"), "{debug}");
    export_a_real_turn(Transport::AppServer, &receiver, options).await;
    let authorizations = receiver.authorizations();
    assert!(
        !authorizations.is_empty() && authorizations.iter().all(|a| a == token),
        "{authorizations:?}"
    );
}

/// A host tool that takes a text: `note`.
fn note_tool() -> codex_agent_sdk::tools::Tool {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Note {
        text: String,
    }
    codex_agent_sdk::tools::Tool::typed("note", "Takes a note.", |note: Note| async move {
        Ok::<_, codex_agent_sdk::tools::ToolError>(format!("noted {} bytes", note.text.len()))
    })
    .read_only(true)
}

/// One real turn on `transport` with a command and a host tool (each given a secret, and
/// content capture on), exported with `options` to `receiver`, checked whole.
#[expect(
    clippy::too_many_lines,
    reason = "one real turn checked whole: spans, links, attributes, metrics, secrets"
)]
async fn export_a_real_turn(
    transport: Transport,
    receiver: &receiver::Receiver,
    options: codex_agent_sdk::telemetry::otlp::OtlpOptions,
) {
    use codex_agent_sdk::registry::ToolRegistry;
    use codex_agent_sdk::telemetry::otlp::Otlp;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;

    let secret = "sk-proj-otlpsecretvalue12345678";
    let otlp = Otlp::new(options).expect("the exporter builds");
    let logs = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(EventLogOptions::new(logs.path())).expect("open the log");
    let h = harness(
        transport,
        Telemetry::new().capture_content(true).event_log(log),
    )
    .await;
    h.mock.push(Sse::reply_with_usage(
        "resp-1",
        [sse::exec_command("call-1", &format!("echo {secret}"))],
        &sse::Usage::new(30, 4),
    ));
    let arguments = serde_json::json!({"text": format!("remember {secret}")});
    let host_call = match transport {
        Transport::AppServer => sse::function_call("call-2", "note", &arguments),
        _ => sse::mcp_tool_call("call-2", "host", "note", &arguments),
    };
    h.mock.push(Sse::reply_with_usage(
        "resp-2",
        [host_call],
        &sse::Usage::new(20, 1),
    ));
    h.mock.push(Sse::reply_with_usage(
        "resp-3",
        [sse::assistant_message("msg-1", "done")],
        &sse::Usage::new(20, 1),
    ));
    let tools = ToolRegistry::new().with(note_tool()).expect("a valid tool");
    let subscriber = tracing_subscriber::registry().with(otlp.layer());
    let guard = tracing::subscriber::set_default(subscriber);
    let thread = h
        .codex
        .start_thread(h.thread_options().model(MODEL).tools(tools));
    run(&thread, "run echo and take a note")
        .await
        .expect("the turn completes");
    let thread_id = thread.id().expect("started");
    drop(thread);
    drop(guard);
    tokio::task::spawn_blocking(move || otlp.shutdown())
        .await
        .expect("no panic")
        .expect("the spans are flushed");

    let spans = receiver.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let find = |name: &str| {
        let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
        assert_eq!(found.len(), 1, "{transport}: one {name} in {names:?}");
        found[0]
    };
    let (thread_span, agent, tool, host) = (
        find("codex.thread"),
        find("invoke_agent codex"),
        find("execute_tool shell"),
        find("execute_tool note"),
    );
    assert_eq!(agent.parent_span_id, thread_span.span_id, "{transport}");
    assert_eq!(tool.parent_span_id, agent.span_id, "{transport}");
    assert_eq!(host.parent_span_id, agent.span_id, "{transport}");
    assert!(thread_span.parent_span_id.is_empty(), "{transport}");
    for span in [agent, tool, host] {
        assert_eq!(span.trace_id, thread_span.trace_id, "{transport}");
    }
    // SpanKind: CLIENT = 3, INTERNAL = 1.
    assert_eq!((agent.kind, tool.kind, host.kind), (3, 1, 1), "{transport}");
    let attribute = |span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str| {
        span.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.clone())
    };
    let text = |value: &str| Some(Any::StringValue(value.to_owned()));
    assert_eq!(
        attribute(agent, semconv::GEN_AI_OPERATION_NAME),
        text("invoke_agent")
    );
    assert_eq!(
        attribute(agent, semconv::GEN_AI_PROVIDER_NAME),
        text("openai")
    );
    assert_eq!(
        attribute(agent, semconv::GEN_AI_CONVERSATION_ID),
        text(&thread_id)
    );
    assert_eq!(attribute(agent, semconv::GEN_AI_REQUEST_MODEL), text(MODEL));
    assert_eq!(
        attribute(agent, semconv::GEN_AI_USAGE_INPUT_TOKENS),
        Some(Any::IntValue(70))
    );
    assert_eq!(
        attribute(agent, semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
        Some(Any::IntValue(6))
    );
    assert_eq!(
        attribute(tool, semconv::GEN_AI_OPERATION_NAME),
        text("execute_tool")
    );
    assert_eq!(attribute(tool, semconv::GEN_AI_TOOL_NAME), text("shell"));
    // The call id is the item's id: the model's call id on the app-server, exec's own item
    // numbering (`item_N`, in order) on exec.
    let call_ids = match transport {
        Transport::AppServer => ["call-1", "call-2"],
        _ => ["item_0", "item_1"],
    };
    assert_eq!(
        attribute(tool, semconv::GEN_AI_TOOL_CALL_ID),
        text(call_ids[0]),
        "{transport}"
    );
    assert_eq!(
        attribute(tool, semconv::CODEX_COMMAND_EXIT_CODE),
        Some(Any::IntValue(0))
    );
    // The host tool: a dynamic tool (`function`) on the app-server, a tool of the SDK's MCP
    // server (`extension`) on exec.
    let host_type = match transport {
        Transport::AppServer => "function",
        _ => "extension",
    };
    for (key, value) in [
        (semconv::GEN_AI_OPERATION_NAME, "execute_tool"),
        (semconv::GEN_AI_TOOL_NAME, "note"),
        (semconv::GEN_AI_TOOL_CALL_ID, call_ids[1]),
        (semconv::GEN_AI_TOOL_TYPE, host_type),
        (semconv::CODEX_ITEM_STATUS, "completed"),
    ] {
        assert_eq!(attribute(host, key), text(value), "{transport}: {key}");
    }
    let captured = attribute(host, semconv::GEN_AI_TOOL_CALL_ARGUMENTS);
    let Some(Any::StringValue(captured)) = captured else {
        panic!("{transport}: the host tool's arguments are captured: {captured:?}");
    };
    assert!(captured.contains("[REDACTED]"), "{transport}: {captured}");
    let log = std::fs::read_to_string(logs.path().join("events.ndjson")).expect("the event log");
    assert!(
        log.contains(&format!("\"{}\"", call_ids[1])),
        "{transport}: the log has the host call"
    );
    let everything = format!("{spans:?} {:?} {log}", receiver.metrics());
    assert!(
        !everything.contains(secret),
        "{transport}: the secret reached the collector or the log"
    );
    check_metrics(&receiver.metrics());
}

/// The metrics of one turn with one successful `shell` call, one successful `note` call and
/// 70 input / 6 output tokens.
fn check_metrics(metrics: &[opentelemetry_proto::tonic::metrics::v1::Metric]) {
    use opentelemetry_proto::tonic::common::v1::KeyValue;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as Number;

    let attribute = |attributes: &[KeyValue], key: &str| {
        attributes.iter().find(|a| a.key == key).and_then(|a| {
            match a.value.as_ref()?.value.as_ref()? {
                Any::StringValue(text) => Some(text.clone()),
                _ => None,
            }
        })
    };
    let metric = |name: &str| {
        metrics
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| m.data.clone())
            .unwrap_or_else(|| {
                panic!(
                    "no {name} in {:?}",
                    metrics.iter().map(|m| &m.name).collect::<Vec<_>>()
                )
            })
    };
    // (token type, count, sum) of the token histogram.
    let Data::Histogram(tokens) = metric(semconv::GEN_AI_CLIENT_TOKEN_USAGE) else {
        panic!("a histogram");
    };
    let mut by_type: Vec<(Option<String>, u64, Option<f64>)> = tokens
        .data_points
        .iter()
        .map(|p| {
            (
                attribute(&p.attributes, semconv::GEN_AI_TOKEN_TYPE),
                p.count,
                p.sum,
            )
        })
        .collect();
    by_type.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        by_type,
        [
            (Some("input".to_owned()), 1, Some(70.0)),
            (Some("output".to_owned()), 1, Some(6.0)),
        ]
    );
    for (name, calls) in [
        (semconv::GEN_AI_CLIENT_OPERATION_DURATION, 1),
        (semconv::GEN_AI_EXECUTE_TOOL_DURATION, 2),
    ] {
        let Data::Histogram(histogram) = metric(name) else {
            panic!("{name}: a histogram");
        };
        let count: u64 = histogram.data_points.iter().map(|p| p.count).sum();
        assert_eq!(count, calls, "{name}");
    }
    for (name, key, values) in [
        (
            semconv::CODEX_TOOL_CALLS,
            semconv::GEN_AI_TOOL_NAME,
            &["note", "shell"][..],
        ),
        (
            semconv::CODEX_TURNS,
            semconv::CODEX_TURN_OUTCOME,
            &["completed"][..],
        ),
    ] {
        let Data::Sum(sum) = metric(name) else {
            panic!("{name}: a sum");
        };
        let mut points: Vec<(Option<String>, Option<Number>)> = sum
            .data_points
            .iter()
            .map(|p| (attribute(&p.attributes, key), p.value))
            .collect();
        points.sort_by(|a, b| a.0.cmp(&b.0));
        let expected: Vec<_> = values
            .iter()
            .map(|v| (Some((*v).to_owned()), Some(Number::AsInt(1))))
            .collect();
        assert_eq!(points, expected, "{name}");
    }
    assert!(metrics.iter().all(|m| m.name != semconv::CODEX_TOOL_ERRORS));
}

/// codex exports its own spans (its `[otel]` config) to the same receiver; with the SDK's
/// trace context on every app-server request, codex's spans for the turn share the SDK's
/// trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_spans_join_the_sdk_trace_on_the_app_server() {
    use codex_agent_sdk::telemetry::otlp::{Otlp, OtlpOptions};

    let receiver = receiver::Receiver::start().await;
    let otlp = Otlp::new(
        OtlpOptions::new()
            .endpoint(&receiver.endpoint)
            .metrics_endpoint(&receiver.metrics_endpoint),
    )
    .expect("exporter");
    let exporter = serde_json::json!({
        "otlp-http": {"endpoint": receiver.endpoint, "protocol": "binary"}
    });
    let h = Harness::with(CodexHomeOptions::default(), move |options, _| {
        options
            .transport(Transport::AppServer)
            .config_entry("otel.trace_exporter", exporter)
    })
    .await;
    h.mock.push(Sse::message("resp-1", "hi"));
    let subscriber = tracing_subscriber::registry().with(otlp.layer());
    let guard = tracing::subscriber::set_default(subscriber);
    let thread = h.start_thread();
    let mut stream = thread
        .run_streamed("say hi", TurnOptions::new())
        .await
        .expect("the turn starts");
    let trace_id = codex_agent_sdk::telemetry::otlp::trace_id(&tracing::Span::current());
    assert_eq!(trace_id, None, "the test itself is in no span");
    while let Some(event) = tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the turn ends in time")
    {
        event.expect("no error");
    }
    drop(stream);
    drop(thread);
    drop(guard);
    tokio::task::spawn_blocking(move || otlp.shutdown())
        .await
        .expect("no panic")
        .expect("the spans are flushed");
    // codex's batch exporter sends on its own schedule; a graceful stop of the app-server
    // flushes it.
    h.codex.shutdown().await.expect("codex exits cleanly");

    let ours = receiver.spans();
    let agent = ours
        .iter()
        .find(|s| s.name == "invoke_agent codex")
        .expect("the SDK's turn span")
        .clone();
    let spans = receiver
        .wait_for(WAIT, |spans| {
            spans
                .iter()
                .any(|s| s.trace_id == agent.trace_id && s.parent_span_id == agent.span_id)
        })
        .await;
    let children: Vec<&str> = spans
        .iter()
        .filter(|s| s.trace_id == agent.trace_id && s.parent_span_id == agent.span_id)
        .map(|s| s.name.as_str())
        .collect();
    assert!(
        !children.is_empty(),
        "no codex span is a child of the SDK's turn span; {} spans received: {:?}",
        spans.len(),
        spans.iter().map(|s| &s.name).take(40).collect::<Vec<_>>()
    );
}

/// A real turn whose command needs an approval and runs under a `PreToolUse` hook, on both
/// transports, exported over OTLP: `approval command_execution` (decision `accept`) and
/// `hook PreToolUse` (outcome `allow`) spans in the turn's trace — the hook a child of the
/// turn span; the approval a child of the turn span on the app-server, and of the hook that
/// asks the handler on exec — and the `codex.approvals` / `codex.hooks` metrics by decision and
/// outcome.
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one real turn checked whole, on both transports"
)]
async fn approvals_and_hooks_are_spans_of_the_turn() {
    use codex_agent_sdk::approval::CommandPrefixPolicy;
    use codex_agent_sdk::hooks::{HookDecision, Hooks};
    use codex_agent_sdk::telemetry::otlp::{Otlp, OtlpOptions};
    use codex_agent_sdk::{ApprovalPolicy, SandboxMode};
    use opentelemetry_proto::tonic::common::v1::KeyValue;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;

    fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
        attributes.iter().find(|a| a.key == key).and_then(|a| {
            match a.value.as_ref()?.value.as_ref()? {
                Any::StringValue(text) => Some(text.clone()),
                _ => None,
            }
        })
    }

    for transport in [Transport::Exec, Transport::AppServer] {
        let receiver = receiver::Receiver::start().await;
        let otlp = Otlp::new(
            OtlpOptions::new()
                .endpoint(&receiver.endpoint)
                .metrics_endpoint(&receiver.metrics_endpoint),
        )
        .expect("the exporter builds");
        let h = harness(transport, Telemetry::new()).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [sse::exec_command("call-1", "touch approved.txt")],
        ));
        h.mock.push(Sse::message("resp-2", "done"));
        let mut options = h
            .thread_options()
            .sandbox_mode(SandboxMode::WorkspaceWrite)
            .approval_handler(CommandPrefixPolicy::new().allow(["touch"]))
            .hooks(Hooks::new().pre_tool_use("Bash", |_| async { HookDecision::Allow }));
        if transport == Transport::AppServer {
            // codex asks before every command that is not known to be safe.
            options = options.approval_policy(ApprovalPolicy::Untrusted);
        }
        // A current-thread runtime: the request handler and the hook server run on this
        // thread, under this subscriber.
        let subscriber = tracing_subscriber::registry().with(otlp.layer());
        let guard = tracing::subscriber::set_default(subscriber);
        let thread = h.codex.start_thread(options);
        run(&thread, "make approved.txt")
            .await
            .expect("the turn completes");
        drop(thread);
        drop(guard);
        tokio::task::spawn_blocking(move || otlp.shutdown())
            .await
            .expect("no panic")
            .expect("the spans are flushed");
        assert!(
            h.workdir.path().join("approved.txt").exists(),
            "{transport}: the approved command ran"
        );

        let spans = receiver.spans();
        let find = |name: &str| {
            spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
                panic!(
                    "{transport}: no {name} in {:?}",
                    spans.iter().map(|s| &s.name).collect::<Vec<_>>()
                )
            })
        };
        let (agent, approval, hook) = (
            find("invoke_agent codex"),
            find("approval command_execution"),
            find("hook PreToolUse"),
        );
        assert_eq!(hook.parent_span_id, agent.span_id, "{transport}");
        let approval_parent = match transport {
            Transport::Exec => &hook.span_id,
            _ => &agent.span_id,
        };
        assert_eq!(&approval.parent_span_id, approval_parent, "{transport}");
        assert_eq!(approval.trace_id, agent.trace_id, "{transport}");
        assert_eq!(
            text(&approval.attributes, semconv::CODEX_APPROVAL_KIND).as_deref(),
            Some("command_execution"),
            "{transport}"
        );
        assert_eq!(
            text(&approval.attributes, semconv::CODEX_APPROVAL_DECISION).as_deref(),
            Some("accept"),
            "{transport}"
        );
        assert_eq!(
            text(&hook.attributes, semconv::CODEX_HOOK_EVENT).as_deref(),
            Some("PreToolUse"),
            "{transport}"
        );
        assert_eq!(
            text(&hook.attributes, semconv::CODEX_HOOK_OUTCOME).as_deref(),
            Some("allow"),
            "{transport}"
        );
        assert!(approval.name.starts_with(semconv::APPROVAL_SPAN));
        assert!(hook.name.starts_with(semconv::HOOK_SPAN));

        let metrics = receiver.metrics();
        let points = |name: &str, keys: [&str; 2]| -> Vec<(Option<String>, Option<String>)> {
            let data = metrics
                .iter()
                .find(|m| m.name == name)
                .and_then(|m| m.data.clone());
            let Some(Data::Sum(sum)) = data else {
                panic!(
                    "{transport}: no sum {name} in {:?}",
                    metrics.iter().map(|m| &m.name).collect::<Vec<_>>()
                );
            };
            sum.data_points
                .iter()
                .map(|p| (text(&p.attributes, keys[0]), text(&p.attributes, keys[1])))
                .collect()
        };
        assert_eq!(
            points(
                semconv::CODEX_APPROVALS,
                [
                    semconv::CODEX_APPROVAL_KIND,
                    semconv::CODEX_APPROVAL_DECISION
                ]
            ),
            [(
                Some("command_execution".to_owned()),
                Some("accept".to_owned())
            )],
            "{transport}"
        );
        assert!(
            points(
                semconv::CODEX_HOOKS,
                [semconv::CODEX_HOOK_EVENT, semconv::CODEX_HOOK_OUTCOME]
            )
            .contains(&(Some("PreToolUse".to_owned()), Some("allow".to_owned()))),
            "{transport}"
        );
        assert!(
            points(semconv::CODEX_TURNS, [semconv::CODEX_TURN_OUTCOME, "none"])
                .contains(&(Some("completed".to_owned()), None)),
            "{transport}"
        );
        h.assert_no_mock_problems();
    }
}

/// Every server request that asks the user is an approval of the turn, not only commands and
/// patches: the agent's question (`request_user_input`, which codex sends as
/// `item/tool/requestUserInput`) and its permission request (`request_permissions`, sent as
/// `item/permissions/requestApproval` under `on-request`) each get an `approval {kind}` span,
/// a child of the turn's span, with the decision; the answers reach the model. Both tools are
/// behind codex features (`default_mode_request_user_input`, `request_permissions_tool`).
#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one real turn with both requests, checked whole"
)]
async fn questions_and_permission_requests_are_approval_spans_of_the_turn() {
    use codex_agent_sdk::ApprovalPolicy;
    use codex_agent_sdk::approval::{
        ApprovalDecision, ApprovalHandlers, ToolRequestUserInputAnswer,
        ToolRequestUserInputResponse,
    };

    let h = Harness::with(CodexHomeOptions::default(), |options: CodexOptions, _| {
        options
            .transport(Transport::AppServer)
            .config_entry("features.default_mode_request_user_input", true)
            .config_entry("features.request_permissions_tool", true)
    })
    .await;
    let questions = serde_json::json!({"questions": [{
        "id": "branch",
        "header": "Branch",
        "question": "Which branch?",
        "options": [
            {"label": "main", "description": "The main branch."},
            {"label": "dev", "description": "The dev branch."}
        ]
    }]});
    let permissions = serde_json::json!({
        "permissions": {"network": {"enabled": true}},
        "reason": "fetch the crates"
    });
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::function_call(
            "call-q",
            "request_user_input",
            &questions,
        )],
    ));
    h.mock.push(Sse::reply(
        "resp-2",
        [sse::function_call(
            "call-p",
            "request_permissions",
            &permissions,
        )],
    ));
    h.mock.push(Sse::message("resp-3", "on main"));
    let handler = ApprovalHandlers::new()
        .on_permissions(|request| async move { ApprovalDecision::Accept.for_permissions(&request) })
        .on_user_input(|request| async move {
            let answers = request
                .questions
                .iter()
                .map(|q| {
                    (
                        q.id.clone(),
                        ToolRequestUserInputAnswer::new(vec!["main".to_owned()]),
                    )
                })
                .collect();
            ToolRequestUserInputResponse::new(answers)
        });
    let capture = SpanCapture::new();
    let subscriber = tracing_subscriber::registry().with(capture.layer());
    let _default = tracing::subscriber::set_default(subscriber);
    let thread = h.codex.start_thread(
        h.thread_options()
            .approval_policy(ApprovalPolicy::OnRequest)
            .approval_handler(handler),
    );
    let turn = run(&thread, "ask me").await.expect("the turn completes");
    assert_eq!(turn.final_response, "on main");
    let output = h.mock.requests()[1]
        .function_call_output("call-q")
        .expect("the answer goes back to the model");
    assert!(output.contains("main"), "{output}");
    let output = h.mock.requests()[2]
        .function_call_output("call-p")
        .expect("the grant goes back to the model");
    let grant: serde_json::Value = serde_json::from_str(&output).expect("the grant is JSON");
    assert_eq!(
        grant["permissions"]["network"],
        serde_json::json!({"enabled": true}),
        "{output}"
    );

    let spans = capture.spans();
    let agent = spans
        .iter()
        .position(|s| s.field("otel.name") == Some("invoke_agent codex"))
        .expect("a turn span");
    let approvals: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "approval")
        .map(|s| {
            (
                s.field("otel.name").map(str::to_owned),
                s.field(semconv::CODEX_APPROVAL_DECISION).map(str::to_owned),
                s.field(semconv::GEN_AI_TOOL_CALL_ID).map(str::to_owned),
                s.parent,
            )
        })
        .collect();
    assert_eq!(
        approvals,
        [
            (
                Some("approval user_input".to_owned()),
                Some("accept".to_owned()),
                Some("call-q".to_owned()),
                Some(agent),
            ),
            (
                Some("approval permissions".to_owned()),
                Some("accept".to_owned()),
                Some("call-p".to_owned()),
                Some(agent),
            )
        ]
    );
    h.assert_no_mock_problems();
}

/// The event log shared by 8 threads whose turns run at once on one app-server: it rotates
/// at the configured size, and every event of every turn is there exactly once, whole, in its
/// thread's order (counted against the events the streams gave), and replays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_log_rotates_under_eight_concurrent_threads() {
    const THREADS: usize = 8;
    const MAX_BYTES: u64 = 2048;
    let logs = tempfile::tempdir().expect("tempdir");
    let log = EventLog::open(
        EventLogOptions::new(logs.path())
            .max_bytes(MAX_BYTES)
            .retain(10_000),
    )
    .expect("open the log");
    let h = harness(
        Transport::AppServer,
        Telemetry::new().event_log(log.clone()),
    )
    .await;
    h.mock.repeat_forever(Sse::message("resp-1", "hi"));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| h.codex.start_thread(h.thread_options()))
        .collect();
    let turns = threads.iter().map(|thread| async move {
        let mut stream = thread
            .run_streamed("say hi", TurnOptions::new())
            .await
            .expect("the turn starts");
        let mut events = Vec::new();
        while let Some(event) = next_event(&mut stream).await {
            events.push(event.expect("no error"));
        }
        (thread.id().expect("started"), events)
    });
    let streamed = futures::future::join_all(turns).await;

    let files = log.files();
    assert!(files.len() > 1, "the log rotated: {files:?}");
    for file in &files {
        let size = std::fs::metadata(file).expect("metadata").len();
        assert!(size <= MAX_BYTES, "{}: {size} bytes", file.display());
    }
    let records = codex_agent_sdk::telemetry::replay(logs.path()).expect("the log replays");
    let total: usize = streamed.iter().map(|(_, events)| events.len()).sum();
    assert_eq!(records.len(), total, "every event, once");
    for (thread_id, events) in &streamed {
        let logged: Vec<&ThreadEvent> = records
            .iter()
            .filter(|r| r.thread_id.as_deref() == Some(thread_id.as_str()))
            .map(|r| &r.event)
            .collect();
        assert_eq!(logged, events.iter().collect::<Vec<_>>(), "{thread_id}");
    }
    h.assert_no_mock_problems();
}

/// A thread made before its turn's subscriber is the default (a subscriber installed later, a
/// scoped one in a test) runs its turn under that subscriber, on both transports: the turn
/// span and its tool spans reach it. With two subscribers alive in the process (so a span
/// made with none gets a placeholder id instead of being disabled), the turn span used to
/// name the thread's span as its parent and `tracing-subscriber`'s registry panicked.
#[tokio::test(flavor = "current_thread")]
async fn a_thread_made_before_the_subscriber_runs_its_turn_under_it() {
    let _elsewhere = (
        tracing::Dispatch::new(tracing_subscriber::registry()),
        tracing::Dispatch::new(tracing_subscriber::registry()),
    );
    for transport in [Transport::Exec, Transport::AppServer] {
        let h = harness(transport, Telemetry::new()).await;
        h.mock.push(Sse::reply(
            "resp-1",
            [sse::exec_command("call-1", "echo hi")],
        ));
        h.mock.push(Sse::message("resp-2", "done"));
        let thread = h.codex.start_thread(h.thread_options().model(MODEL));

        let capture = SpanCapture::new();
        let default =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.layer()));
        let turn = tokio::time::timeout(WAIT, thread.run("run echo", TurnOptions::new()))
            .await
            .expect("the turn ends in time")
            .expect("the turn completes");
        drop(default);
        assert_eq!(turn.final_response, "done", "{transport:?}");

        let spans = capture.spans();
        let turn_span = spans
            .iter()
            .position(|s| s.field("otel.name") == Some(semconv::INVOKE_AGENT_SPAN))
            .unwrap_or_else(|| panic!("{transport:?}: no turn span in {spans:#?}"));
        assert!(
            spans.iter().any(|s| {
                s.field("gen_ai.operation.name") == Some("execute_tool")
                    && s.parent == Some(turn_span)
            }),
            "{transport:?}: no tool span under the turn in {spans:#?}"
        );
    }
}
