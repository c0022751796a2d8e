//! OTLP export of the spans and metrics over HTTP/protobuf (feature `otlp`): [`Otlp`].
//!
//! ```no_run
//! use codex_agent_telemetry::otlp::{Otlp, OtlpOptions};
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! // Endpoint and service name from `OTEL_EXPORTER_OTLP_*` / `OTEL_SERVICE_NAME`.
//! let otlp = Otlp::new(OtlpOptions::new())?;
//! let subscriber = tracing_subscriber::registry().with(otlp.layer());
//! tracing::subscriber::set_global_default(subscriber).expect("no subscriber yet");
//! // ... run turns ...
//! otlp.shutdown()?; // flushes
//! # Ok::<(), codex_agent_telemetry::Error>(())
//! ```

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::{MetricsLayer, OpenTelemetrySpanExt as _};
use tracing_subscriber::Layer as _;
use tracing_subscriber::registry::LookupSpan;

use crate::error::Error;

/// Where and as what [`Otlp`] exports.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct OtlpOptions {
    endpoint: Option<String>,
    metrics_endpoint: Option<String>,
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

    /// The full URL metrics are posted to (`http://host:4318/v1/metrics`).
    ///
    /// By default, `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// with `/v1/metrics` appended, else `http://localhost:4318/v1/metrics`.
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
}

/// An OTLP/HTTP span exporter with a batch processor (its own thread), a metric exporter with
/// a periodic reader (every 60 s, or `OTEL_METRIC_EXPORT_INTERVAL` ms), and the `tracing` layer
/// that feeds both. Nothing is installed globally: add [`layer`](Self::layer) to your
/// subscriber, and call [`shutdown`](Self::shutdown) before exiting to flush.
#[derive(Debug, Clone)]
pub struct Otlp {
    provider: SdkTracerProvider,
    meters: SdkMeterProvider,
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
        let mut metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary);
        if let Some(endpoint) = options.metrics_endpoint {
            metrics = metrics.with_endpoint(endpoint);
        }
        let metrics = metrics.build().map_err(|e| Error::Export {
            reason: e.to_string(),
        })?;
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
        Ok(Self { provider, meters })
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

    /// Exports what is buffered and stops the exporter.
    ///
    /// # Errors
    ///
    /// [`Error::Export`] when the last export fails or the exporter was already shut down.
    pub fn shutdown(&self) -> Result<(), Error> {
        let spans = self.provider.shutdown();
        let metrics = self.meters.shutdown();
        spans.and(metrics).map_err(|e| Error::Export {
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
