//! Measures what containment adds to a spawn: the whole life of a process that does nothing
//! (`/bin/true`), from `ExecStream::spawn` to the stream's end (which comes after the reap and
//! the scope's cleanup), for each [`Containment`].
//!
//! ```text
//! cargo run --release -p codex-agent-exec --example spawn_cost
//! ```
//!
//! Prints the median and the 90th percentile of 200 runs per containment, after 10 warm-up
//! runs (the first spawn also probes `setpriv` and the cgroup mount); then the same through a
//! [`Prestart`] whose spare is ready when the timer starts (as it is for a turn that follows
//! another), and back to back (each spawn takes the spare started beside the previous one,
//! waiting for it when `/bin/true` ended before it was ready).
#![expect(
    clippy::print_stdout,
    reason = "an example reports its measurements on stdout"
)]

use std::time::{Duration, Instant};

use codex_agent_exec::{Containment, ExecOptions, ExecStream, Prestart, ProcessSpec};
use futures::StreamExt;

const RUNS: usize = 200;
const WARM_UP: usize = 10;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    runtime.block_on(async {
        println!("best available: {}", Containment::best_available());
        for containment in [
            Containment::ProcessGroup,
            Containment::EnvironmentTag,
            Containment::CgroupV2,
        ] {
            let direct = ExecOptions::new().containment(containment);
            let prestart = Prestart::new();
            let warm = direct.clone().prestart(&prestart);
            for (label, options, wait) in [
                ("direct", &direct, false),
                ("spare ready", &warm, true),
                ("back to back", &warm, false),
            ] {
                for _ in 0..WARM_UP {
                    once(options).await;
                }
                let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
                let mut got = None;
                for _ in 0..RUNS {
                    while wait && !prestart.is_ready() {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    let (time, used) = once(options).await;
                    times.push(time);
                    got = used;
                }
                times.sort();
                println!(
                    "{containment:>16} {label:>12} (in effect: {}): median {:?}, p90 {:?}",
                    got.map_or("none", Containment::as_str),
                    times[RUNS / 2],
                    times[RUNS * 9 / 10],
                );
            }
            println!("{:>29} handed to a spare: {}", "", prestart.handoffs());
        }
    });
}

/// One spawn of `/bin/true` read to its end; the containment in effect.
async fn once(options: &ExecOptions) -> (Duration, Option<Containment>) {
    let started = Instant::now();
    let mut stream = ExecStream::spawn(ProcessSpec::new("/bin/true"), options).expect("spawn");
    let used = stream.containment();
    while stream.next().await.is_some() {}
    (started.elapsed(), used)
}
