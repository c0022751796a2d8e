//! Cancellation: dropping the stream, the cancel handle (before, during and after the spawn),
//! escalation to `SIGKILL`, and the process group (grandchildren) dying with codex.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use codex_agent_exec::{CancelHandle, Error, ExecOptions, ExecStream, ProcessSpec, SchemaFile};
use codex_agent_testkit::fake_codex::{Script, Step, exec_fixture};
use codex_agent_testkit::process_watch;
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{
    self, PROMPT, Scratch, assert_dead, assert_reaped, collect, event_types, next, pid_from,
};

/// A fake that prints a fixture, starts a grandchild, and hangs.
fn hanging_script(scratch: &Scratch, ignore_sigterm: bool) -> Script {
    let mut script = Script::new();
    if ignore_sigterm {
        script = script.step(Step::IgnoreSigterm);
    }
    script
        .step(Step::SpawnGrandchild {
            pid_file: scratch.path("grandchild"),
            inherit_stdio: true,
            ignore_sigterm,
        })
        .pid_file(scratch.path("pid"))
        .fixture(exec_fixture("a-plain.jsonl"))
        .hang()
}

#[tokio::test]
async fn dropping_the_stream_kills_the_group_and_removes_the_schema_dir() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let schema =
        SchemaFile::create_in(scratch.dir.path(), &json!({"type": "object"})).expect("schema");
    let schema_dir = schema.dir().to_owned();
    let spec = scratch
        .spec(&hanging_script(&scratch, false))
        .keep_alive(schema);
    let mut stream = ExecStream::spawn(spec, &support::options()).expect("spawn");
    assert!(matches!(next(&mut stream).await, Some(Ok(_))));
    drop(stream);
    assert_reaped(pid_from(&scratch.path("pid")).await).await;
    assert_dead(pid_from(&scratch.path("grandchild")).await).await;
    assert!(
        process_watch::wait_removed(&schema_dir, PROMPT).await,
        "schema dir left behind"
    );
}

#[tokio::test]
async fn the_cancel_handle_ends_the_stream_with_cancelled() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let mut stream = ExecStream::spawn(
        scratch.spec(&hanging_script(&scratch, false)),
        &support::options(),
    )
    .expect("spawn");
    let handle = stream.cancel_handle();
    assert!(matches!(next(&mut stream).await, Some(Ok(_))));
    let pid = pid_from(&scratch.path("pid")).await;
    // Cancel from elsewhere while the stream is idle.
    tokio::spawn(async move { handle.cancel() })
        .await
        .expect("cancel task");
    let rest = collect(stream).await;
    // Lines already in the pipe are not yielded after the cancel.
    assert_eq!(event_types(&rest), ["error: the turn was cancelled"]);
    assert!(matches!(rest[0], Err(Error::Cancelled)));
    // The stream reports Cancelled only after the process was reaped.
    assert_eq!(process_watch::state(pid), process_watch::ProcessState::Gone);
    assert_dead(pid_from(&scratch.path("grandchild")).await).await;
}

#[tokio::test]
async fn a_child_ignoring_sigterm_gets_sigkill_after_the_grace() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let handle = CancelHandle::new();
    let options = support::options()
        .kill_grace(Duration::from_millis(200))
        .cancel_handle(handle.clone());
    let mut stream =
        ExecStream::spawn(scratch.spec(&hanging_script(&scratch, true)), &options).expect("spawn");
    assert!(matches!(next(&mut stream).await, Some(Ok(_))));
    let pid = pid_from(&scratch.path("pid")).await;
    handle.cancel();
    let rest = collect(stream).await;
    assert!(
        matches!(rest.as_slice(), [Err(Error::Cancelled)]),
        "{rest:?}"
    );
    assert_reaped(pid).await;
    assert_dead(pid_from(&scratch.path("grandchild")).await).await;
}

#[tokio::test]
async fn a_handle_cancelled_before_the_spawn_spawns_nothing() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let handle = CancelHandle::new();
    handle.cancel();
    let script = Script::new().pid_file(scratch.path("pid")).hang();
    let stream = ExecStream::spawn(
        scratch.spec(&script),
        &support::options().cancel_handle(handle),
    )
    .expect("spawn");
    assert_eq!(stream.pid(), None);
    let items = collect(stream).await;
    assert!(
        matches!(items.as_slice(), [Err(Error::Cancelled)]),
        "{items:?}"
    );
    assert!(!scratch.path("pid").exists(), "no process was started");
}

#[tokio::test]
async fn a_cancel_racing_the_spawn_leaves_no_process() {
    let _lock = support::shared().await;
    for _ in 0..20 {
        let scratch = Scratch::new();
        let handle = CancelHandle::new();
        let barrier = Arc::new(Barrier::new(2));
        let canceller = {
            let (handle, barrier) = (handle.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                handle.cancel();
            })
        };
        let spec = scratch.spec(&Script::new().pid_file(scratch.path("pid")).hang());
        let options = support::options().cancel_handle(handle);
        barrier.wait();
        // The other thread cancels somewhere before, during or after the spawn.
        let stream = ExecStream::spawn(spec, &options).expect("spawn");
        let pid = stream.pid();
        canceller.join().expect("canceller");
        let items = collect(stream).await;
        assert!(
            matches!(items.as_slice(), [Err(Error::Cancelled)]),
            "{items:?}"
        );
        if let Some(pid) = pid {
            assert_eq!(process_watch::state(pid), process_watch::ProcessState::Gone);
        }
    }
}

#[tokio::test]
async fn a_cancel_after_the_end_changes_nothing() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = Script::new().fixture(exec_fixture("a-plain.jsonl"));
    let mut stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let handle = stream.cancel_handle();
    let mut count = 0;
    while let Some(item) = next(&mut stream).await {
        item.expect("no error");
        count += 1;
    }
    handle.cancel();
    assert_eq!(count, 4);
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn one_handle_cancels_several_turns() {
    let _lock = support::shared().await;
    let scratches: Vec<Scratch> = (0..3).map(|_| Scratch::new()).collect();
    let handle = CancelHandle::new();
    let options = support::options().cancel_handle(handle.clone());
    let streams: Vec<ExecStream> = scratches
        .iter()
        .map(|s| {
            ExecStream::spawn(
                s.spec(&Script::new().pid_file(s.path("pid")).hang()),
                &options,
            )
            .expect("spawn")
        })
        .collect();
    for scratch in &scratches {
        pid_from(&scratch.path("pid")).await;
    }
    handle.cancel();
    for stream in streams {
        let items = collect(stream).await;
        assert!(
            matches!(items.as_slice(), [Err(Error::Cancelled)]),
            "{items:?}"
        );
    }
}

#[tokio::test]
async fn spawning_outside_a_runtime_is_an_error() {
    let scratch = Scratch::new();
    let spec: ProcessSpec = scratch.spec(&Script::new());
    let result =
        std::thread::spawn(move || ExecStream::spawn(spec, &ExecOptions::new()).map(|_| ()))
            .join()
            .expect("thread");
    assert!(matches!(result, Err(Error::Spawn { .. })), "{result:?}");
}

/// When the runtime shuts down under a live stream, the supervisor task is dropped and its
/// guard kills the group synchronously; dropping the stream afterwards is harmless.
#[test]
fn a_runtime_shutdown_kills_the_group() {
    let _lock = support::shared_blocking();
    let scratch = Scratch::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stream = runtime.block_on(async {
        let mut stream = ExecStream::spawn(
            scratch.spec(&hanging_script(&scratch, true)),
            &support::options(),
        )
        .expect("spawn");
        assert!(matches!(next(&mut stream).await, Some(Ok(_))));
        stream
    });
    drop(runtime);
    drop(stream);
    let checker = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    checker.block_on(async {
        // Nobody is left to reap codex itself at once (Tokio's orphan queue will), so a zombie
        // counts as dead here.
        assert_dead(pid_from(&scratch.path("pid")).await).await;
        assert_dead(pid_from(&scratch.path("grandchild")).await).await;
    });
}
