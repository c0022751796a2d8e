//! OTLP export of the spans and metrics (feature `otlp`): [`Otlp`], over HTTP/protobuf, or
//! over gRPC with the feature `otlp-grpc`.
//!
//! ```no_run
//! use codex_agent_telemetry::otlp::{Otlp, OtlpOptions};
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! // Protocol, endpoints, headers and service name from `OTEL_EXPORTER_OTLP_*` /
//! // `OTEL_SERVICE_NAME`.
//! let otlp = Otlp::new(OtlpOptions::new())?;
//! let subscriber = tracing_subscriber::registry().with(otlp.layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
//! // ... run turns ...
//! otlp.shutdown()?; // flushes
//! # Ok::<(), codex_agent_telemetry::Error>(())
//! ```
//!
//! Install the subscriber globally, as above. A scoped one (`set_default`, `with_subscriber`)
//! sees only what is emitted on its thread or inside its future, not what the SDK's tasks emit
//! on the runtime's other threads; and when it is the process's only dispatcher, `tracing`
//! caches a callsite first hit outside its scope as disabled for good, so spans of later
//! turns can go missing.
//!
//! # Configuration
//!
//! Every knob can be set in code ([`OtlpOptions`]) or left to the standard variables, which
//! apply only where the code sets nothing:
//!
//! | variable | meaning |
//! |---|---|
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` (`_TRACES_` / `_METRICS_` variants first) | `http/protobuf` (default) or `grpc` |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL: HTTP appends `/v1/traces` / `/v1/metrics`; gRPC uses it as is (`http://host:4317`) |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_METRICS_ENDPOINT` | the full URL of one signal |
//! | `OTEL_EXPORTER_OTLP_HEADERS` (and `_TRACES_` / `_METRICS_`) | `key=value,…` sent with every export (HTTP headers or gRPC metadata) |
//! | `OTEL_SERVICE_NAME` | the resource's `service.name` |
//!
//! Header values are secrets (bearer tokens): they never appear in `Debug` output or errors.
//!
//! # gRPC
//!
//! The gRPC exporter (tonic, plain HTTP/2 without TLS) runs on the Tokio runtime it is built
//! in: call [`Otlp::new`] from inside a runtime, keep that runtime alive until
//! [`Otlp::shutdown`] returns, and call `shutdown` off the runtime's worker threads
//! (`tokio::task::spawn_blocking`), since it blocks until the last export is acknowledged.

use codex_agent_protocol::secret::{Redactor, Secret};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::{MetricsLayer, OpenTelemetrySpanExt as _};
use tracing_subscriber::Layer as _;
use tracing_subscriber::registry::LookupSpan;

use crate::error::Error;

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// Protobuf messages posted over HTTP (`http/protobuf`, port 4318).
    HttpProtobuf,
    /// gRPC (`grpc`, port 4317); needs the `otlp-grpc` feature.
    Grpc,
}

impl OtlpProtocol {
    /// The protocol's name in `OTEL_EXPORTER_OTLP_PROTOCOL`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HttpProtobuf => "http/protobuf",
            Self::Grpc => "grpc",
        }
    }

    /// Parses a value of `OTEL_EXPORTER_OTLP_PROTOCOL`: `grpc` or `http/protobuf`
    /// (`http/json` is not supported).
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "grpc" => Some(Self::Grpc),
            "http/protobuf" => Some(Self::HttpProtobuf),
            _ => None,
        }
    }
}

/// Where and as what [`Otlp`] exports.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct OtlpOptions {
    protocol: Option<OtlpProtocol>,
    endpoint: Option<String>,
    metrics_endpoint: Option<String>,
    service_name: Option<String>,
    /// Names and values; the values print as `[REDACTED]`.
    headers: Vec<(String, Secret)>,
}

impl OtlpOptions {
    /// Options from the environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The transport of both signals.
    ///
    /// By default, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (for spans) or
    /// `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL` (for metrics), else `OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// else [`OtlpProtocol::HttpProtobuf`].
    pub fn protocol(mut self, protocol: OtlpProtocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Where spans go: over HTTP the full URL (`http://host:4318/v1/traces`), over gRPC the
    /// collector's address (`http://host:4317`).
    ///
    /// By default, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (with `/v1/traces` appended over HTTP), else `http://localhost:4318/v1/traces` (HTTP)
    /// or `http://localhost:4317` (gRPC).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Where metrics go: over HTTP the full URL (`http://host:4318/v1/metrics`), over gRPC
    /// the collector's address (`http://host:4317`).
    ///
    /// By default, `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (with `/v1/metrics` appended over HTTP), else `http://localhost:4318/v1/metrics`
    /// (HTTP) or `http://localhost:4317` (gRPC).
    pub fn metrics_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metrics_endpoint = Some(url.into());
        self
    }

    /// The resource's `service.name`.
    ///
    /// By default, `OTEL_SERVICE_NAME`, else the OpenTelemetry SDK's default
    /// (`unknown_service`).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Sends `name: value` with every export (an HTTP header, or gRPC metadata with the name
    /// lowercased), such as `authorization: Bearer …`. The value is kept as a [`Secret`]: it
    /// never shows in `Debug` output or in errors.
    ///
    /// By default, the headers of `OTEL_EXPORTER_OTLP_HEADERS` (and its `_TRACES_` /
    /// `_METRICS_` variants); headers set here are sent besides them.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The protocol of a signal: the option, else its variable, else the general one.
    fn resolve_protocol(&self, signal_var: &str) -> Result<OtlpProtocol, Error> {
        if let Some(protocol) = self.protocol {
            return Ok(protocol);
        }
        for var in [signal_var, "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let Ok(value) = std::env::var(var)
                && !value.trim().is_empty()
            {
                return OtlpProtocol::parse(&value).ok_or_else(|| Error::Export {
                    reason: format!(
                        "{var}={value:?} is not a supported OTLP protocol (use `grpc` or \
                         `http/protobuf`)"
                    ),
                });
            }
        }
        Ok(OtlpProtocol::HttpProtobuf)
    }

    /// Checks the headers set in code: token names, visible ASCII values.
    fn check_headers(&self) -> Result<(), Error> {
        for (name, value) in &self.headers {
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if name.is_empty() || !name.chars().all(token) {
                return Err(Error::Export {
                    reason: format!("invalid OTLP header name {name:?}"),
                });
            }
            let visible = |c: char| c == ' ' || c == '\t' || c.is_ascii_graphic();
            if !value.expose().chars().all(visible) {
                // The value is a secret: only its name is told.
                return Err(Error::Export {
                    reason: format!("the value of OTLP header {name:?} is not visible ASCII"),
                });
            }
        }
        Ok(())
    }
}

/// An OTLP span exporter with a batch processor (its own thread), a metric exporter with
/// a periodic reader (every 60 s, or `OTEL_METRIC_EXPORT_INTERVAL` ms), and the `tracing` layer
/// that feeds both. Nothing is installed globally: add [`layer`](Self::layer) to your
/// subscriber, and call [`shutdown`](Self::shutdown) before exiting to flush.
#[derive(Debug, Clone)]
pub struct Otlp {
    provider: SdkTracerProvider,
    meters: SdkMeterProvider,
    protocol: OtlpProtocol,
    /// Redacts the header values from the exporter's error messages.
    redactor: Redactor,
}

impl Otlp {
    /// Builds the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Export`] when the exporter cannot be built: an invalid endpoint or header, an
    /// unsupported protocol in `OTEL_EXPORTER_OTLP_PROTOCOL`, gRPC without the `otlp-grpc`
    /// feature, or gRPC outside a Tokio runtime.
    pub fn new(options: OtlpOptions) -> Result<Self, Error> {
        options.check_headers()?;
        let redactor = Redactor::from_secrets(options.headers.iter().map(|(_, value)| value));
        let export_error = |e: &dyn std::fmt::Display| Error::Export {
            reason: redactor.redact(&e.to_string()),
        };
        let span_protocol = options.resolve_protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")?;
        let metric_protocol = options.resolve_protocol("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL")?;
        let exporter = span_exporter(span_protocol, &options).map_err(|e| export_error(&e))?;
        let metrics = metric_exporter(metric_protocol, &options).map_err(|e| export_error(&e))?;
        let mut resource = Resource::builder();
        if let Some(name) = options.service_name {
            resource = resource.with_service_name(name);
        }
        let resource = resource.build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.clone())
            .build();
        let meters = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        Ok(Self {
            provider,
            meters,
            protocol: span_protocol,
            redactor,
        })
    }

    /// The transport the spans go over.
    #[must_use]
    pub fn protocol(&self) -> OtlpProtocol {
        self.protocol
    }

    /// The layer that turns `tracing` spans into OpenTelemetry spans (`otel.name` and
    /// `otel.kind` fields name the span and its kind) and metric events into metrics, for
    /// this exporter.
    #[must_use]
    pub fn layer<S>(&self) -> impl tracing_subscriber::Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("codex-agent-sdk"))
            .and_then(MetricsLayer::new(self.meters.clone()))
    }

    /// Exports what is buffered and stops the exporter. Blocks until the last exports are
    /// acknowledged (or time out): call it off an async runtime's worker threads.
    ///
    /// # Errors
    ///
    /// [`Error::Export`] when the last export fails or the exporter was already shut down.
    pub fn shutdown(&self) -> Result<(), Error> {
        let spans = self.provider.shutdown();
        let metrics = self.meters.shutdown();
        spans.and(metrics).map_err(|e| Error::Export {
            reason: self.redactor.redact(&e.to_string()),
        })
    }
}

fn http_headers(options: &OtlpOptions) -> std::collections::HashMap<String, String> {
    options
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.expose().to_owned()))
        .collect()
}

fn span_exporter(
    protocol: OtlpProtocol,
    options: &OtlpOptions,
) -> Result<opentelemetry_otlp::SpanExporter, Box<dyn std::error::Error>> {
    use opentelemetry_otlp::WithHttpConfig as _;
    match protocol {
        OtlpProtocol::HttpProtobuf => {
            let mut exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
            if let Some(endpoint) = &options.endpoint {
                exporter = exporter.with_endpoint(endpoint);
            }
            if !options.headers.is_empty() {
                exporter = exporter.with_headers(http_headers(options));
            }
            Ok(exporter.build()?)
        }
        OtlpProtocol::Grpc => grpc::span_exporter(options),
    }
}

fn metric_exporter(
    protocol: OtlpProtocol,
    options: &OtlpOptions,
) -> Result<opentelemetry_otlp::MetricExporter, Box<dyn std::error::Error>> {
    use opentelemetry_otlp::WithHttpConfig as _;
    match protocol {
        OtlpProtocol::HttpProtobuf => {
            let mut exporter = opentelemetry_otlp::MetricExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
            if let Some(endpoint) = &options.metrics_endpoint {
                exporter = exporter.with_endpoint(endpoint);
            }
            if !options.headers.is_empty() {
                exporter = exporter.with_headers(http_headers(options));
            }
            Ok(exporter.build()?)
        }
        OtlpProtocol::Grpc => grpc::metric_exporter(options),
    }
}

#[cfg(feature = "otlp-grpc")]
mod grpc {
    //! The tonic exporters.

    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
    use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};

    use super::OtlpOptions;

    type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

    /// tonic's channel spawns its connection task on the current runtime.
    fn need_runtime() -> Result<()> {
        tokio::runtime::Handle::try_current()
            .map(drop)
            .map_err(|_| "the gRPC exporter must be built inside a Tokio runtime".into())
    }

    fn metadata(options: &OtlpOptions) -> Result<MetadataMap> {
        let mut map = MetadataMap::new();
        for (name, value) in &options.headers {
            let name = name.to_ascii_lowercase();
            let key = MetadataKey::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid gRPC metadata name {name:?}"))?;
            let value = MetadataValue::try_from(value.expose())
                .map_err(|_| format!("the value of gRPC metadata {name:?} is invalid"))?;
            map.insert(key, value);
        }
        Ok(map)
    }

    pub(super) fn span_exporter(options: &OtlpOptions) -> Result<opentelemetry_otlp::SpanExporter> {
        need_runtime()?;
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_metadata(metadata(options)?);
        if let Some(endpoint) = &options.endpoint {
            exporter = exporter.with_endpoint(endpoint);
        }
        Ok(exporter.build()?)
    }

    pub(super) fn metric_exporter(
        options: &OtlpOptions,
    ) -> Result<opentelemetry_otlp::MetricExporter> {
        need_runtime()?;
        let mut exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_metadata(metadata(options)?);
        if let Some(endpoint) = &options.metrics_endpoint {
            exporter = exporter.with_endpoint(endpoint);
        }
        Ok(exporter.build()?)
    }
}

#[cfg(not(feature = "otlp-grpc"))]
mod grpc {
    //! Without the `otlp-grpc` feature: a clear error.

    use super::OtlpOptions;

    const MISSING: &str =
        "OTLP over gRPC needs the `otlp-grpc` cargo feature of codex-agent-telemetry";

    pub(super) fn span_exporter(
        _: &OtlpOptions,
    ) -> Result<opentelemetry_otlp::SpanExporter, Box<dyn std::error::Error>> {
        Err(MISSING.into())
    }

    pub(super) fn metric_exporter(
        _: &OtlpOptions,
    ) -> Result<opentelemetry_otlp::MetricExporter, Box<dyn std::error::Error>> {
        Err(MISSING.into())
    }
}

/// The OpenTelemetry trace id of `span` as 32 hex digits, when a layer of [`Otlp`] (or any
/// `tracing-opentelemetry` layer) records it.
#[must_use]
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The W3C `traceparent` of `span` (`00-{trace id}-{span id}-{flags}`), when recorded.
#[must_use]
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn protocols_parse_as_the_variable_spells_them() {
        for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::Grpc] {
            assert_eq!(OtlpProtocol::parse(protocol.as_str()), Some(protocol));
        }
        assert_eq!(OtlpProtocol::parse(" grpc "), Some(OtlpProtocol::Grpc));
        assert_eq!(OtlpProtocol::parse("http/json"), None);
        assert_eq!(OtlpProtocol::parse("GRPC"), None);
    }

    /// A header value is a secret: not in `Debug`, not in the error about it.
    #[test]
    fn header_values_never_show() {
        let token = "Bearer very-secret-token-123";
        let options = OtlpOptions::new()
            .protocol(OtlpProtocol::HttpProtobuf)
            .header("authorization", token);
        let debug = format!("{options:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");

        let bad = format!("{token}\r\n");
        let error = Otlp::new(OtlpOptions::new().header("authorization", bad.as_str()))
            .expect_err("a CR LF is no header value");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("very-secret"), "{text}");
        assert!(text.contains("authorization"), "{text}");
        let error = Otlp::new(OtlpOptions::new().header("bad name", "x")).expect_err("a space");
        assert!(error.to_string().contains("bad name"), "{error}");
    }

    /// Over HTTP, the exporter needs no runtime, and sends the headers set in code.
    #[test]
    fn an_http_exporter_builds_without_a_runtime() {
        let otlp = Otlp::new(
            OtlpOptions::new()
                .protocol(OtlpProtocol::HttpProtobuf)
                .endpoint("http://127.0.0.1:9/v1/traces")
                .metrics_endpoint("http://127.0.0.1:9/v1/metrics")
                .header("authorization", "Bearer t"),
        )
        .expect("builds");
        assert_eq!(otlp.protocol(), OtlpProtocol::HttpProtobuf);
    }

    /// gRPC says what it needs: the feature, or (with it) a Tokio runtime.
    #[test]
    fn grpc_says_what_it_needs() {
        let error = Otlp::new(
            OtlpOptions::new()
                .protocol(OtlpProtocol::Grpc)
                .endpoint("http://127.0.0.1:9"),
        )
        .expect_err("no runtime here, or no feature");
        let expected = if cfg!(feature = "otlp-grpc") {
            "Tokio runtime"
        } else {
            "`otlp-grpc` cargo feature"
        };
        assert!(error.to_string().contains(expected), "{error}");
    }
}
