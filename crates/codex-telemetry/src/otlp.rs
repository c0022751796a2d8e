//! OTLP export of the spans over HTTP/protobuf (feature `otlp`): [`Otlp`].
//!
//! ```no_run
//! use codex_telemetry::otlp::{Otlp, OtlpOptions};
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! // Endpoint and service name from `OTEL_EXPORTER_OTLP_*` / `OTEL_SERVICE_NAME`.
//! let otlp = Otlp::new(OtlpOptions::new())?;
//! let subscriber = tracing_subscriber::registry().with(otlp.layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
//! // ... run turns ...
//! otlp.shutdown()?; // flushes
//! # Ok::<(), codex_telemetry::Error>(())
//! ```

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::registry::LookupSpan;

use crate::error::Error;

/// Where and as what [`Otlp`] exports.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct OtlpOptions {
    endpoint: Option<String>,
    service_name: Option<String>,
}

impl OtlpOptions {
    /// Options from the environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The full URL spans are posted to (`http://host:4318/v1/traces`).
    ///
    /// By default, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// with `/v1/traces` appended, else `http://localhost:4318/v1/traces`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
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
}

/// An OTLP/HTTP span exporter with a batch processor (its own thread), and the `tracing`
/// layer that feeds it. Nothing is installed globally: add [`layer`](Self::layer) to your
/// subscriber, and call [`shutdown`](Self::shutdown) before exiting to flush.
#[derive(Debug, Clone)]
pub struct Otlp {
    provider: SdkTracerProvider,
}

impl Otlp {
    /// Builds the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Export`] when the exporter cannot be built (an invalid endpoint).
    pub fn new(options: OtlpOptions) -> Result<Self, Error> {
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary);
        if let Some(endpoint) = options.endpoint {
            exporter = exporter.with_endpoint(endpoint);
        }
        let exporter = exporter.build().map_err(|e| Error::Export {
            reason: e.to_string(),
        })?;
        let mut resource = Resource::builder();
        if let Some(name) = options.service_name {
            resource = resource.with_service_name(name);
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        Ok(Self { provider })
    }

    /// The layer that turns `tracing` spans into OpenTelemetry spans for this exporter
    /// (`otel.name` and `otel.kind` fields name the span and its kind).
    #[must_use]
    pub fn layer<S>(&self) -> impl tracing_subscriber::Layer<S> + use<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        tracing_opentelemetry::layer().with_tracer(self.provider.tracer("codex-sdk"))
    }

    /// Exports what is buffered and stops the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Export`] when the last export fails or the exporter was already shut down.
    pub fn shutdown(&self) -> Result<(), Error> {
        self.provider.shutdown().map_err(|e| Error::Export {
            reason: e.to_string(),
        })
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
