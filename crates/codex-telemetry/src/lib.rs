//! Telemetry for codex-sdk-rs: `tracing` spans and metrics that follow the `OpenTelemetry`
//! `GenAI` semantic conventions, an NDJSON event log, usage with cost estimates, and budgets.
//!
//! The facade (`codex-agent-sdk`) drives this crate: `CodexOptions::telemetry` takes a
//! [`Telemetry`], `ThreadOptions::budget` a [`Budget`], and every turn feeds its events to a
//! [`TurnTracker`]. Used alone, the pieces are:
//!
//! - [`spans`](mod@spans): the span layout (thread → `invoke_agent codex` → `execute_tool
//!   {name}`), attribute names in [`semconv`]. Spans go to whatever `tracing` subscriber the
//!   application installs; export them to OpenTelemetry with `tracing-opentelemetry`'s layer.
//!   The facade and `codex-agent-tools` add `approval {kind}` and `hook {event}` spans under
//!   the turn (names in [`semconv`]).
//!   Metrics (token usage, durations, tool calls, turns by outcome) are `tracing` metric
//!   events beside them.
//! - [`event_log`]: [`EventLog`], every event as one redacted NDJSON line with its time,
//!   thread and turn, in size-rotated files; [`replay`] reads them back.
//! - [`PricingTable`]: model → price per million tokens, built in (dated
//!   [`BUILTIN_PRICING_DATE`]) and overridable from a file; [`Price::cost`] of a `Usage`.
//! - [`Budget`]: turns, tokens and USD per thread; [`BudgetExceeded`] when used up.
//!
//! ```
//! use codex_agent_protocol::exec::Usage;
//! use codex_agent_telemetry::{Price, PricingTable};
//!
//! let table = PricingTable::builtin().with("my-model", Price::new(1.0, 0.1, 4.0));
//! let mut usage = Usage::default();
//! usage.input_tokens = 1_000_000;
//! usage.cached_input_tokens = 500_000;
//! usage.output_tokens = 250_000;
//! // 0.5M uncached at $1 + 0.5M cached at $0.1 + 0.25M output at $4.
//! assert_eq!(table.cost("my-model", &usage), Some(0.5 + 0.05 + 1.0));
//! ```
//!
//! # Feature flags
//!
//! - `otlp` (off by default): [`otlp::Otlp`], OTLP/HTTP protobuf export of the spans and
//!   metrics, configured in code or by the standard `OTEL_EXPORTER_OTLP_*` /
//!   `OTEL_SERVICE_NAME` variables, and [`otlp::traceparent`]. Adds `opentelemetry`,
//!   `opentelemetry_sdk`, `opentelemetry-otlp` (with a blocking `reqwest` client, no TLS) and
//!   `tracing-opentelemetry`: a few dozen crates and some build time.
//! - `otlp-grpc` (off by default, implies `otlp`): OTLP over gRPC as well
//!   (`OtlpProtocol::Grpc`, or `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`). Adds `tonic` (HTTP/2 on
//!   hyper, no TLS) and `tokio`; the exporter then runs on the Tokio runtime it is built in.
//!
//! # Architecture
//!
//! Depends on `codex-agent-protocol` only, never spawns processes and installs no global
//! subscriber: spans are emitted with `tracing`, and the application decides where they go.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod budget;
mod error;
pub mod event_log;
#[cfg(feature = "otlp")]
pub mod otlp;
mod pricing;
pub mod semconv;
pub mod spans;

pub use budget::{Budget, BudgetExceeded, BudgetLimit, ThreadUsage};
pub use error::Error;
pub use event_log::{EventLog, EventLogOptions, LogRecord, replay};
pub use pricing::{BUILTIN_PRICING_DATE, Price, PricingTable};
pub use spans::{Telemetry, ThreadTracker, TurnTracker};

/// The W3C `traceparent` of the current `tracing` span, when an OpenTelemetry layer records
/// it (feature `otlp`; always `None` without it). The facade sends it as the `trace` of every
/// app-server request, so that codex parents its spans on the SDK's.
#[must_use]
pub fn current_traceparent() -> Option<String> {
    #[cfg(feature = "otlp")]
    {
        otlp::traceparent(&tracing::Span::current())
    }
    #[cfg(not(feature = "otlp"))]
    {
        None
    }
}
