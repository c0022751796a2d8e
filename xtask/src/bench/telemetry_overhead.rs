//! `telemetry-overhead`: the per-turn cost of exporting the SDK's telemetry over OTLP.
//!
//! Both sides run `thread.run()` on the real pinned codex against the scripted mock model (the
//! [`Rig`] of `turn-overhead`), on one facade; runs alternate (off, on, off, on, ...) after two
//! warm-up pairs. "Off" runs the turn with no `tracing` subscriber: the SDK's spans and metric
//! events are emitted and dropped at once. "On" runs it under a subscriber with the
//! `codex-agent-telemetry` OTLP layer ([`Otlp`], HTTP/protobuf, batch span processor and
//! periodic metric reader) exporting to a loopback sink, as an application would configure
//! it. The sink reads every request whole and answers `200`: what a collector does with the
//! data is not the SDK's cost.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Instant;

use codex_agent_sdk::TurnOptions;
use codex_agent_sdk::telemetry::otlp::{Otlp, OtlpOptions, OtlpProtocol};
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::layer::SubscriberExt as _;

use super::turn_overhead::{PROMPT, REPLY, Rig, ms};

/// The samples of both sides, in milliseconds, warm-up runs left out.
#[derive(Debug)]
pub(super) struct Samples {
    pub(super) off_ms: Vec<f64>,
    pub(super) on_ms: Vec<f64>,
    /// Export requests the sink received.
    pub(super) exports: usize,
}

/// Runs `runs` alternating pairs (after two warm-up pairs) and returns their times. Builds the
/// exporter inside `runtime` and shuts it down (flushing) after the last turn.
pub(super) fn measure(
    runtime: &tokio::runtime::Runtime,
    codex_path: &Path,
    runs: usize,
) -> Result<Samples, String> {
    let (addr, exports) = start_sink()?;
    let otlp = Otlp::new(
        OtlpOptions::new()
            .protocol(OtlpProtocol::HttpProtobuf)
            .endpoint(format!("http://{addr}/v1/traces"))
            .metrics_endpoint(format!("http://{addr}/v1/metrics"))
            .service_name("codex-sdk-bench"),
    )
    .map_err(|e| e.to_string())?;
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(otlp.layer()));
    let samples = runtime.block_on(async {
        let rig = Rig::start().await?;
        let sdk = rig.sdk(codex_path)?;
        let thread_options = rig.thread_options();
        let mut samples = Samples {
            off_ms: Vec::new(),
            on_ms: Vec::new(),
            exports: 0,
        };
        for i in 0..runs + 2 {
            for on in [false, true] {
                let thread = sdk.start_thread(thread_options.clone());
                let start = Instant::now();
                let turn = if on {
                    thread
                        .run(PROMPT, TurnOptions::new())
                        .with_subscriber(dispatch.clone())
                        .await
                } else {
                    thread.run(PROMPT, TurnOptions::new()).await
                }
                .map_err(|e| format!("thread.run() failed: {e}"))?;
                let elapsed = start.elapsed();
                if turn.final_response != REPLY {
                    return Err(format!(
                        "unexpected final response {:?}",
                        turn.final_response
                    ));
                }
                if i >= 2 {
                    let side = if on {
                        &mut samples.on_ms
                    } else {
                        &mut samples.off_ms
                    };
                    side.push(ms(elapsed));
                }
            }
        }
        Ok::<_, String>(samples)
    })?;
    otlp.shutdown().map_err(|e| e.to_string())?;
    let exports = *exports
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if exports == 0 {
        return Err("the OTLP sink received no export: the \"on\" side exported nothing".into());
    }
    Ok(Samples { exports, ..samples })
}

type Count = std::sync::Arc<std::sync::Mutex<usize>>;

/// Starts the loopback OTLP/HTTP sink on its own threads (they end with the process); returns
/// its address and the count of requests it answered.
fn start_sink() -> Result<(SocketAddr, Count), String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind the sink: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let count = Count::default();
    let shared = std::sync::Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = std::sync::Arc::clone(&shared);
            std::thread::spawn(move || serve(&stream, &count));
        }
    });
    Ok((addr, count))
}

/// Answers the HTTP/1.1 requests of one connection: each read whole (by `content-length`),
/// answered `200` with an empty body.
fn serve(stream: &TcpStream, count: &Count) {
    let Ok(read) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read);
    let mut writer = stream;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        *count
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let ok =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(ok).is_err() {
            return;
        }
    }
}
