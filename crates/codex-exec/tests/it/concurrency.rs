//! Many turns at once: all finish, and no descriptor or process is left behind.

use codex_agent_exec::ExecStream;
use codex_agent_testkit::fake_codex::{Script, exec_fixture};
use codex_agent_testkit::process_watch;
use futures::future::join_all;

use crate::support::{self, PROMPT, Scratch, assert_reaped, collect, event_types, pid_from};

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_turns_leak_nothing() {
    let _lock = support::exclusive().await;
    // Warm up once so lazily opened runtime descriptors (signal pipe, pidfd support probe) are
    // already counted.
    let warm = Scratch::new();
    collect(ExecStream::spawn(warm.spec(&Script::new()), &support::options()).expect("spawn"))
        .await;
    let before = process_watch::open_fds().expect("/proc/self/fd");

    let scratches: Vec<Scratch> = (0..32).map(|_| Scratch::new()).collect();
    let turns = scratches.iter().map(|scratch| async move {
        let script = Script::new()
            .pid_file(scratch.path("pid"))
            .fixture(exec_fixture("a-plain.jsonl"));
        let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
        event_types(&collect(stream).await)
    });
    let results = join_all(turns).await;
    for types in &results {
        assert_eq!(
            types,
            &[
                "thread.started",
                "turn.started",
                "item.completed",
                "turn.completed"
            ]
        );
    }
    for scratch in &scratches {
        assert_reaped(pid_from(&scratch.path("pid")).await).await;
    }
    drop(scratches);

    // Supervisor tasks drop their child handles just after reporting; wait for that.
    let deadline = tokio::time::Instant::now() + PROMPT;
    let mut after = process_watch::open_fds().expect("/proc/self/fd");
    while after > before && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        after = process_watch::open_fds().expect("/proc/self/fd");
    }
    // Other tests of this binary may hold a file open while `before` is counted, never one of
    // ours: `<=` keeps the check exact for leaks.
    assert!(
        after <= before,
        "file descriptors leaked: {before} before, {after} after"
    );
}
