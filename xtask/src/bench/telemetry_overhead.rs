//! `telemetry-overhead`: the per-turn cost of exporting the SDK's telemetry over OTLP.
//!
//! Both sides run `thread.run()` on the real pinned codex against the scripted mock model (the
//! [`Rig`] of `turn-overhead`), on one facade, in pairs after two warm-up pairs; the order
//! within a pair alternates (off then on, on then off, ...) so that whatever favours the first
//! or the second turn of a pair favours both sides alike. The process has one global `tracing` subscriber, as an application that
//! exports has: the `codex-agent-telemetry` OTLP layer ([`Otlp`], HTTP/protobuf, batch span
//! processor and periodic metric reader) exporting to a loopback sink, behind a switch.
//! "Off" turns the switch off: every span and metric event of the turn is refused at its
//! callsite (the registry then allocates nothing), what a process without an exporter pays.
//! "On" turns it on: spans are built, recorded, batched and posted. The sink reads every
//! request whole and answers `200` (what a collector does with the data is not the SDK's
//! cost), and counts the turn spans it received: the "on" side must export every one.
//!
//! The subscriber is global, not scoped to the "on" turns (`with_subscriber`, `set_default`):
//! the SDK emits from tasks on the runtime's workers too, and tracing-core caches a callsite's
//! interest when the callsite is first hit. With a single scoped dispatcher registered, that
//! interest is asked of the thread's current default, so callsites first hit during an "off"
//! turn (no default) were cached as "never" and the "on" turns exported nothing. The switch is
//! a per-layer [`Filter`] whose callsite interest is always "sometimes", so nothing is cached
//! and it is asked at every span and event.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use codex_agent_sdk::telemetry::otlp::{Otlp, OtlpOptions, OtlpProtocol};
use codex_agent_sdk::{Telemetry, TurnOptions};
use tracing::subscriber::Interest;
use tracing_subscriber::layer::{Context, Filter, Layer as _, SubscriberExt as _};

use super::turn_overhead::{PROMPT, REPLY, Rig, ms};

/// The name of the SDK's turn span, as it appears (UTF-8) in the exported protobuf.
const TURN_SPAN: &[u8] = b"invoke_agent codex";

/// The samples of both sides, in milliseconds, warm-up runs left out.
#[derive(Debug)]
pub(super) struct Samples {
    pub(super) off_ms: Vec<f64>,
    pub(super) on_ms: Vec<f64>,
    /// What the sink received.
    pub(super) sink: Received,
    /// The trackers' work per synthetic turn, in microseconds: export off, on
    /// ([`tracker_cost`]).
    pub(super) tracker_us: (f64, f64),
}

/// Runs `runs` alternating pairs (after two warm-up pairs) and returns their times. Builds the
/// exporter, installs it as the process's global subscriber (so call this once per process),
/// and shuts it down (flushing) after the last turn.
pub(super) fn measure(
    runtime: &tokio::runtime::Runtime,
    codex_path: &Path,
    runs: usize,
) -> Result<Samples, String> {
    let (otlp, received) = exporter()?;
    // The in-process tracker measurement exports to a sink of its own, so that the real turns'
    // count stays exact.
    let (tracker_otlp, _) = exporter()?;
    let exporting = Arc::new(AtomicBool::new(false));
    let tracker_exporting = Arc::new(AtomicBool::new(false));
    let subscriber = tracing_subscriber::registry()
        .with(otlp.layer().with_filter(Switch(Arc::clone(&exporting))))
        .with(
            tracker_otlp
                .layer()
                .with_filter(Switch(Arc::clone(&tracker_exporting))),
        );
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| format!("cannot install the bench's subscriber: {e}"))?;
    let samples = runtime.block_on(async {
        let rig = Rig::start().await?;
        let sdk = rig.sdk(codex_path)?;
        let thread_options = rig.thread_options();
        let mut samples = Samples {
            off_ms: Vec::new(),
            on_ms: Vec::new(),
            sink: Received::default(),
            tracker_us: (0.0, 0.0),
        };
        for i in 0..runs + 2 {
            let order = if i % 2 == 0 {
                [false, true]
            } else {
                [true, false]
            };
            for on in order {
                exporting.store(on, Ordering::SeqCst);
                let thread = sdk.start_thread(thread_options.clone());
                let start = Instant::now();
                let turn = thread
                    .run(PROMPT, TurnOptions::new())
                    .await
                    .map_err(|e| format!("thread.run() failed: {e}"))?;
                let elapsed = start.elapsed();
                // The thread's span ends with the thread, inside its side.
                drop(thread);
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
        exporting.store(false, Ordering::SeqCst);
        Ok::<_, String>(samples)
    })?;
    let tracker_us = tracker_cost(&tracker_exporting)?;
    otlp.shutdown().map_err(|e| e.to_string())?;
    tracker_otlp.shutdown().map_err(|e| e.to_string())?;
    let sink = received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let turns = runs + 2;
    if sink.turn_spans != turns {
        return Err(format!(
            "the OTLP sink received {} turn spans for {turns} exported turns ({} trace and {} \
             metric requests): the \"on\" side did not export every turn",
            sink.turn_spans, sink.trace_requests, sink.metric_requests
        ));
    }
    if sink.metric_requests == 0 {
        return Err("the OTLP sink received no metrics".into());
    }
    Ok(Samples {
        sink,
        tracker_us,
        ..samples
    })
}

/// An OTLP/HTTP exporter to a new loopback sink, and what the sink receives.
fn exporter() -> Result<(Otlp, Count), String> {
    let (addr, received) = start_sink()?;
    let otlp = Otlp::new(
        OtlpOptions::new()
            .protocol(OtlpProtocol::HttpProtobuf)
            .endpoint(format!("http://{addr}/v1/traces"))
            .metrics_endpoint(format!("http://{addr}/v1/metrics"))
            .service_name("codex-sdk-bench"),
    )
    .map_err(|e| e.to_string())?;
    Ok((otlp, received))
}

/// Synthetic turns per side of [`tracker_cost`].
const TRACKER_TURNS: u32 = 4000;

/// The SDK's telemetry work on a turn's path, without codex and its noise: [`TRACKER_TURNS`]
/// synthetic turns (the testkit's 14-event turn: 5 tool calls, a message, usage), each on a
/// new thread as the real turns are, fed through the trackers the facade drives, with
/// `exporting` off and on (alternating quarters). Returns the mean microseconds per turn of
/// each side: off, on. The exporter's own thread works beside, off the turn's path.
fn tracker_cost(exporting: &AtomicBool) -> Result<(f64, f64), String> {
    let events = codex_agent_testkit::synthetic::exec_stream(14)
        .iter()
        .map(|line| codex_agent_protocol::exec::parse_event(line).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let telemetry = Telemetry::new();
    let mut seconds = [0.0_f64; 2];
    for quarter in 0..8 {
        let on = quarter % 2 == 1;
        exporting.store(on, Ordering::SeqCst);
        let start = Instant::now();
        for _ in 0..TRACKER_TURNS / 4 {
            let thread = telemetry
                .thread(Some("gpt-5"), None, None)
                .map_err(|e| e.to_string())?;
            let mut turn = thread.start_turn(None).map_err(|e| e.to_string())?;
            for event in &events {
                turn.on_event(event).map_err(|e| e.to_string())?;
            }
        }
        seconds[usize::from(on)] += start.elapsed().as_secs_f64();
    }
    exporting.store(false, Ordering::SeqCst);
    let per_turn = |total: f64| total * 1e6 / f64::from(TRACKER_TURNS);
    Ok((per_turn(seconds[0]), per_turn(seconds[1])))
}

/// The bench's switch: a per-layer filter that lets everything through while on, nothing
/// while off. Its callsite interest is "sometimes", so that it is asked every time.
struct Switch(Arc<AtomicBool>);

impl<S> Filter<S> for Switch {
    fn enabled(&self, _: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn callsite_enabled(&self, _: &'static tracing::Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
}

/// What the sink received.
#[derive(Debug, Clone, Default)]
pub(super) struct Received {
    /// Requests to `/v1/traces`.
    pub(super) trace_requests: usize,
    /// Requests to `/v1/metrics`.
    pub(super) metric_requests: usize,
    /// Bytes of protobuf, both signals.
    pub(super) bytes: usize,
    /// Turn spans (`invoke_agent codex`) in the trace requests.
    pub(super) turn_spans: usize,
}

type Count = Arc<std::sync::Mutex<Received>>;

/// Starts the loopback OTLP/HTTP sink on its own threads (they end with the process); returns
/// its address and what it received.
fn start_sink() -> Result<(SocketAddr, Count), String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind the sink: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let count = Count::default();
    let shared = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = Arc::clone(&shared);
            std::thread::spawn(move || serve(&stream, &count));
        }
    });
    Ok((addr, count))
}

/// Answers the HTTP/1.1 requests of one connection: each read whole (by `content-length`),
/// counted, and answered `200` with an empty body.
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
        let traces = line.split_whitespace().nth(1) == Some("/v1/traces");
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
        {
            let mut received = count
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            received.bytes += body.len();
            if traces {
                received.trace_requests += 1;
                received.turn_spans += body
                    .windows(TURN_SPAN.len())
                    .filter(|w| *w == TURN_SPAN)
                    .count();
            } else {
                received.metric_requests += 1;
            }
        }
        let ok =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(ok).is_err() {
            return;
        }
    }
}
