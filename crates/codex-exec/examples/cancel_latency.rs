//! Measures how long a cancelled turn takes to be gone, with the default grace period and a
//! child that obeys `SIGTERM`.
//!
//! ```text
//! cargo run --release -p codex-agent-exec --example cancel_latency
//! ```
//!
//! This executable is its own fake codex: when `FAKE_CODEX_SCRIPT` is set it runs the script
//! (see `codex_agent_testkit::fake_codex`) instead of measuring. Each of the 20 runs spawns a fake
//! that writes its pid and hangs, then measures
//!
//! - **cancel**: from `CancelHandle::cancel` to the stream yielding `Error::Cancelled`, which
//!   it does only after the process was reaped;
//! - **drop**: from dropping the stream to `/proc/<pid>` disappearing (polled every 100 µs).
#![expect(
    clippy::print_stdout,
    reason = "an example reports its measurements on stdout"
)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use codex_agent_exec::{CancelHandle, Error, ExecOptions, ExecStream, ProcessSpec};
use codex_agent_testkit::fake_codex::{self, SCRIPT_ENV, Script};
use codex_agent_testkit::process_watch::{self, ProcessState};
use futures::StreamExt;

const RUNS: usize = 20;

fn main() -> ExitCode {
    if std::env::var_os(SCRIPT_ENV).is_some() {
        return fake_codex::main();
    }
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(measure());
    ExitCode::SUCCESS
}

async fn measure() {
    let mut cancel = Vec::with_capacity(RUNS);
    let mut drop_ = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        cancel.push(run(false).await);
        drop_.push(run(true).await);
    }
    report("cancel -> Cancelled (reaped)", &mut cancel);
    report("drop   -> /proc/<pid> gone  ", &mut drop_);
}

/// One turn against a hanging fake; returns the time from cancel (or drop) to gone.
async fn run(by_drop: bool) -> Duration {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pid_file = dir.path().join("pid");
    let script = Script::new().pid_file(&pid_file).hang();
    let script_path = script.write_to(dir.path()).expect("write the script");
    let exe = std::env::current_exe().expect("own path");
    let spec = ProcessSpec::new(exe)
        .env(SCRIPT_ENV, script_path)
        .stdin("prompt");
    let handle = CancelHandle::new();
    let options = ExecOptions::new().cancel_handle(handle.clone());
    let mut stream = ExecStream::spawn(spec, &options).expect("spawn the fake");
    let pid = process_watch::read_pid(&pid_file, Duration::from_secs(10))
        .await
        .expect("the fake starts");

    let started = Instant::now();
    if by_drop {
        drop(stream);
        while process_watch::state(pid) != ProcessState::Gone {
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        return started.elapsed();
    }
    handle.cancel();
    let item = stream.next().await;
    let elapsed = started.elapsed();
    assert!(matches!(item, Some(Err(Error::Cancelled))), "{item:?}");
    assert_eq!(process_watch::state(pid), ProcessState::Gone);
    elapsed
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "{what}: median {median:?}, min {:?}, max {:?} over {} runs (grace {:?})",
        samples[0],
        samples[samples.len() - 1],
        samples.len(),
        codex_agent_exec::DEFAULT_KILL_GRACE,
    );
}
