//! Runs one turn with the SDK's spans and metrics exported over OTLP (HTTP/protobuf or gRPC),
//! configured by the standard environment variables, and prints the trace id and the
//! thread's usage.
//!
//! ```sh
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 OTEL_SERVICE_NAME=my-agent \
//!   cargo run -p codex-agent-sdk --features otlp --example telemetry -- "Explain this repository"
//! OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 \
//!   cargo run -p codex-agent-sdk --features otlp-grpc --example telemetry -- "Explain this repository"
//! ```
//!
//! The protocol comes from `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` by default, or
//! `grpc`). Over HTTP, the endpoint comes from `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full
//! URL), else `OTEL_EXPORTER_OTLP_ENDPOINT` (with `/v1/traces` appended), else
//! `http://localhost:4318/v1/traces` (metrics likewise, with `METRICS` and `/v1/metrics`);
//! over gRPC from the same variables used as they are, else `http://localhost:4317`. Headers
//! (`OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20…`) go with every export; the service
//! name comes from `OTEL_SERVICE_NAME`. With
//! `--transport app-server`, codex also receives the trace context with every request, so
//! its own spans (when its `[otel]` config exports them) join the same trace.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::process::ExitCode;

use codex_agent_sdk::telemetry::otlp::{self, Otlp, OtlpOptions};
use codex_agent_sdk::{Codex, CodexOptions, Telemetry, ThreadOptions, Transport, TurnOptions};
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

mod cli;

#[tokio::main]
async fn main() -> ExitCode {
    let Some((transport, args)) = cli::args() else {
        return usage();
    };
    let [prompt] = args.as_slice() else {
        return usage();
    };
    match run(transport, prompt).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(transport: Transport, prompt: &str) -> Result<(), Box<dyn std::error::Error>> {
    // Inside the runtime: the gRPC exporter runs on it.
    let otlp = Otlp::new(OtlpOptions::new())?;
    eprintln!("exporting over OTLP {}", otlp.protocol().as_str());
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(otlp.layer()))?;

    let root = tracing::info_span!("telemetry example");
    let trace_id = otlp::trace_id(&root).unwrap_or_default();
    let usage = async {
        let codex = Codex::new(
            CodexOptions::new()
                .transport(transport)
                .telemetry(Telemetry::new()),
        )?;
        let thread = codex.start_thread(
            ThreadOptions::new()
                .working_directory(std::env::current_dir().unwrap_or_else(|_| ".".into()))
                .skip_git_repo_check(true),
        );
        let turn = thread.run(prompt, TurnOptions::new()).await?;
        println!("{}", turn.final_response);
        Ok::<_, codex_agent_sdk::Error>(thread.usage())
    }
    .instrument(root.clone())
    .await?;
    drop(root);
    println!("trace id: {trace_id}");
    println!("tokens: {}", usage.total_tokens());
    // Export what is buffered before exiting (a blocking HTTP call).
    tokio::task::spawn_blocking(move || otlp.shutdown()).await??;
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: telemetry {} <prompt>", cli::TRANSPORT_USAGE);
    ExitCode::from(2)
}
