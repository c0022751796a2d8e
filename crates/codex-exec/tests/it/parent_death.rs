//! The parent-death signal (Linux): codex dies with the process that spawned it, even when
//! that process is killed with `SIGKILL`; it does not die with the thread that called
//! `ExecStream::spawn`; and the `setpriv` wrapper is invisible (pid, `argv[0]`, spawn errors).
//!
//! These tests need util-linux's `setpriv` (2.33 or later), as the default does.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use codex_agent_exec::{Error, ExecStream, ProcessSpec};
use codex_agent_testkit::fake_codex::{self, Script, Step, exec_fixture};
use codex_agent_testkit::process_watch;
use pretty_assertions::assert_eq;
use tokio::process::Child;

use crate::support::{self, PROMPT, Scratch, collect, event_types, fake_program, pid_from};

/// The parent process: `examples/exec-orphan-parent.rs`.
fn parent_program() -> PathBuf {
    static PARENT: OnceLock<PathBuf> = OnceLock::new();
    PARENT
        .get_or_init(|| fake_codex::locate("exec-orphan-parent"))
        .clone()
}

/// Starts the parent, which spawns the fake with `script` in `mode` (`on`: the defaults;
/// `off`: no parent-death signal, no containment; `contained`: containment only), and waits
/// forever.
#[expect(
    clippy::disallowed_methods,
    reason = "the parent is the SDK process under test: it cannot be spawned through codex-agent-exec"
)]
fn start_parent(script: &Path, mode: &str) -> Child {
    tokio::process::Command::new(parent_program())
        .arg(script)
        .arg(mode)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start exec-orphan-parent")
}

/// A fake that announces its pid, waits for the `go` file, announces its pid again in
/// `alive`, and hangs: a process that writes `alive` after `go` was created ran on.
fn announcing_script(scratch: &Scratch) -> PathBuf {
    Script::new()
        .pid_file(scratch.path("pid"))
        .step(Step::WaitForFile {
            path: scratch.path("go"),
        })
        .step(Step::PidFile {
            path: scratch.path("alive"),
        })
        .hang()
        .write_to(scratch.dir.path())
        .expect("write the script")
}

/// Sends `SIGKILL` to a process this test left running, when the test ends however it ends.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        use rustix::process::{Pid, Signal, kill_process};
        if let Some(pid) = i32::try_from(self.0).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::KILL);
        }
    }
}

#[tokio::test]
async fn codex_dies_when_its_parent_is_killed_with_sigkill() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let mut parent = start_parent(&announcing_script(&scratch), "on");
    let pid = pid_from(&scratch.path("pid")).await;
    let _cleanup = KillOnDrop(pid);
    parent.kill().await.expect("SIGKILL the parent and reap it");
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(
        state.is_dead(),
        "codex (pid {pid}) is still {state:?} after its parent was killed with SIGKILL; is \
         util-linux's setpriv (2.33 or later) installed?"
    );
}

/// Without the parent-death signal, the containment's watcher still kills codex when its
/// parent dies (cgroup or environment tag, whichever is available).
#[tokio::test]
async fn the_containment_watcher_kills_codex_when_its_parent_is_killed() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let mut parent = start_parent(&announcing_script(&scratch), "contained");
    let pid = pid_from(&scratch.path("pid")).await;
    let _cleanup = KillOnDrop(pid);
    parent.kill().await.expect("SIGKILL the parent and reap it");
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(
        state.is_dead(),
        "codex (pid {pid}) is still {state:?} after its parent was killed with SIGKILL"
    );
}

/// A codex handed over to a pre-started spare keeps the spare's parent-death signal (and is
/// the spare: same pid).
#[tokio::test]
async fn a_codex_handed_to_a_spare_dies_when_its_parent_is_killed_with_sigkill() {
    for (mode, what) in [
        ("prestart", "the parent-death signal"),
        ("prestart-contained", "the containment's watcher"),
    ] {
        let _lock = support::shared().await;
        let scratch = Scratch::new();
        let script = announcing_script(&scratch);
        let mut parent = start_parent(&script, mode);
        let pid = pid_from(&scratch.path("pid")).await;
        let _cleanup = KillOnDrop(pid);
        let spare = pid_from(&script.with_file_name("spare-pid")).await;
        assert_eq!(pid, spare, "{mode}: codex runs in the spare's process");
        parent.kill().await.expect("SIGKILL the parent and reap it");
        let state = process_watch::wait_dead(pid, PROMPT).await;
        assert!(
            state.is_dead(),
            "{mode}: codex (pid {pid}) is still {state:?} after its parent was killed with \
             SIGKILL; {what} should have killed it"
        );
    }
}

/// A spare waiting for a spawn dies with its parent.
#[tokio::test]
async fn a_waiting_spare_dies_when_its_parent_is_killed_with_sigkill() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = announcing_script(&scratch);
    let mut parent = start_parent(&script, "prestart-idle");
    let spare = pid_from(&script.with_file_name("spare-pid")).await;
    let _cleanup = KillOnDrop(spare);
    parent.kill().await.expect("SIGKILL the parent and reap it");
    let state = process_watch::wait_dead(spare, PROMPT).await;
    assert!(
        state.is_dead(),
        "the spare (pid {spare}) is still {state:?} after its parent was killed with SIGKILL"
    );
}

#[tokio::test]
async fn without_the_parent_death_signal_and_containment_codex_outlives_its_parent() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let mut parent = start_parent(&announcing_script(&scratch), "off");
    let pid = pid_from(&scratch.path("pid")).await;
    let cleanup = KillOnDrop(pid);
    parent.kill().await.expect("SIGKILL the parent and reap it");
    // The parent has been reaped, so a parent-death signal would have been sent already, and
    // a process with `SIGKILL` pending never runs again: answering `go` proves it survived.
    std::fs::write(scratch.path("go"), "").expect("write go");
    let alive = process_watch::read_pid(&scratch.path("alive"), PROMPT).await;
    assert_eq!(alive, Some(pid), "the orphaned codex ran on");
    drop(cleanup);
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(state.is_dead(), "codex (pid {pid}) is still {state:?}");
}

/// Linux sends the signal when the forking *thread* exits: spawning from a thread that ends
/// while codex runs must not kill codex.
#[tokio::test(flavor = "multi_thread")]
async fn codex_survives_the_thread_that_spawned_it() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    // The fake announces itself (so `setpriv` has set the signal by then), then waits for
    // `go`, so it is still running when the thread has gone.
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .step(Step::WaitForFile {
            path: scratch.path("go"),
        })
        .fixture(exec_fixture("a-plain.jsonl"));
    let spec = scratch.spec(&script);
    let runtime = tokio::runtime::Handle::current();
    let (stream, pid, thread) = std::thread::spawn(move || {
        let _entered = runtime.enter();
        let stream = ExecStream::spawn(spec, &support::options());
        // The runtime's workers drive the timers of this wait.
        let pid = runtime.block_on(process_watch::read_pid(&pid_file, PROMPT));
        let thread = std::fs::read_link("/proc/thread-self").expect("read /proc/thread-self");
        (stream, pid, Path::new("/proc").join(thread))
    })
    .join()
    .expect("spawning thread");
    let stream = stream.expect("spawn");
    assert_eq!(
        pid,
        stream.pid(),
        "the fake announced the pid of the stream"
    );
    // The thread is gone from /proc only after the kernel has sent any parent-death signal.
    assert!(
        process_watch::wait_removed(&thread, PROMPT).await,
        "{} still exists",
        thread.display()
    );
    std::fs::write(scratch.path("go"), "").expect("write go");
    let items = collect(stream).await;
    assert!(
        !items.is_empty() && items.iter().all(Result::is_ok),
        "{:?}",
        event_types(&items)
    );
}

/// `pid()` is codex's pid and codex sees `argv[0]` exactly as given, with the wrapper.
#[tokio::test]
async fn the_wrapper_keeps_the_pid_and_argv0() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let record = scratch.path("record.json");
    let script = Script::new().pid_file(scratch.path("pid")).record(&record);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let pid = stream.pid();
    let items = collect(stream).await;
    assert!(items.is_empty(), "{:?}", event_types(&items));
    assert_eq!(pid, Some(pid_from(&scratch.path("pid")).await));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    let program = fake_program();
    assert_eq!(
        record["argv"],
        serde_json::json!([
            program.to_str().expect("utf-8 path"),
            "exec",
            "--experimental-json"
        ])
    );
}

/// A bare program name is looked up in the child's `PATH`, as without the wrapper; what
/// cannot be executed is a spawn error.
#[tokio::test]
async fn programs_are_looked_up_and_checked_like_execvp() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let program = fake_program();
    let dir = program.parent().expect("examples dir");
    let name = program.file_name().expect("file name");
    let spec = ProcessSpec::new(name).env("PATH", dir).env(
        fake_codex::SCRIPT_ENV,
        Script::new()
            .line(r#"{"type":"turn.started"}"#)
            .write_to(scratch.dir.path())
            .expect("script"),
    );
    let items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    assert_eq!(event_types(&items), ["turn.started"]);

    let not_executable = scratch.path("fake-codex-script.json");
    let missing_on_path = ProcessSpec::new(name).env("PATH", scratch.dir.path());
    let kinds = [ProcessSpec::new(&not_executable), missing_on_path].map(|spec| {
        match ExecStream::spawn(spec, &support::options()) {
            Err(Error::Spawn { source, .. }) => Some(source.kind()),
            other => panic!("expected a spawn error, got {other:?}"),
        }
    });
    assert_eq!(
        kinds,
        [
            Some(std::io::ErrorKind::PermissionDenied),
            Some(std::io::ErrorKind::NotFound)
        ]
    );
}
