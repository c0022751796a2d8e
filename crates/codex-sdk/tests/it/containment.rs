//! Containment: a command that detaches from codex (`setsid … &`, a double fork, `nohup`)
//! leaves no process behind when the stream is dropped, when the [`Codex`] is dropped, or
//! when the host program is killed with `SIGKILL`, on both local transports and in every
//! sandbox mode. Each check polls `/proc` for up to [`GONE_WITHIN`] (a bound, not a timing
//! assertion), and checks that no cgroup of the SDK is left behind.

use std::path::PathBuf;
use std::time::Duration;

use codex_agent_sdk::{Codex, CodexOptions, Containment, ThreadOptions, Transport, TurnOptions};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::fake_codex;
use codex_agent_testkit::mock_server::{Gate, MockResponse, MockServer};
use codex_agent_testkit::process_watch;
use codex_agent_testkit::sse::{self, Sse};
use futures::StreamExt as _;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{WAIT, codex_env, real_codex};

/// How long a detached process may outlive the stop.
const GONE_WITHIN: Duration = Duration::from_secs(3);

/// How the test stops the turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Drops the stream while the command runs.
    StreamDrop,
    /// Lets the turn complete with the command kept running by codex (a background
    /// terminal), then drops the thread and the [`Codex`].
    CodexDrop,
    /// Kills the host program with `SIGKILL` while the command runs.
    HostKill,
}

/// The three processes of the command: `detached` by `setsid` and `nohup` (its parent is the
/// shell, later `kept`), `double_forked` by a subshell that exits at once (an orphan), and
/// `kept`, the shell itself become a `sleep`.
struct Markers {
    detached: String,
    double_forked: String,
    kept: String,
}

impl Markers {
    fn new() -> Self {
        Self {
            detached: unique_sleep_duration(1),
            double_forked: unique_sleep_duration(2),
            kept: unique_sleep_duration(3),
        }
    }

    fn command(&self) -> String {
        let quiet = "</dev/null >/dev/null 2>&1";
        format!(
            "nohup setsid sleep {d} {quiet} & (setsid sleep {f} {quiet} &) ; exec sleep {k} {quiet}",
            d = self.detached,
            f = self.double_forked,
            k = self.kept,
        )
    }

    fn all(&self) -> [&str; 3] {
        [&self.detached, &self.double_forked, &self.kept]
    }
}

/// A `sleep` argument of about 600 seconds that no other process on the machine uses.
fn unique_sleep_duration(n: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .subsec_nanos();
    format!("60{n}.{}{nanos:09}", std::process::id())
}

/// Waits (bounded) until a process runs with exactly `sleep <duration>`; returns its pid.
async fn wait_for_sleep(duration: &str) -> u32 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(pid) = process_watch::find_by_argv(&["sleep", duration]) {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no process `sleep {duration}` within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Kills the processes of a failed test, so that a failure does not leave them running.
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        use rustix::process::{Pid, Signal, kill_process};
        for pid in &self.0 {
            if let Some(pid) = i32::try_from(*pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, Signal::KILL);
            }
        }
    }
}

/// The SDK's cgroups owned by `pid` (`codex-agent.<pid>.*` beside the test's own cgroup).
fn cgroups_of(pid: u32) -> Vec<PathBuf> {
    let Some(base) = cgroup_base() else {
        return Vec::new();
    };
    let prefix = format!("codex-agent.{pid}.");
    std::fs::read_dir(base)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// The own cgroup v2 directory of this process, where the SDK creates its cgroups here.
fn cgroup_base() -> Option<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        (right.split(' ').next()? == "cgroup2")
            .then(|| left.split(' ').nth(4).map(PathBuf::from))?
    })?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(mount.join(path.trim_start_matches('/')))
}

/// Waits (bounded) until no cgroup of `pid` is left.
async fn assert_no_cgroups_of(pid: u32) {
    let deadline = tokio::time::Instant::now() + GONE_WITHIN;
    loop {
        let left = cgroups_of(pid);
        if left.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "cgroups left behind: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The world of one check: a mock model, a `CODEX_HOME` with the sandbox mode, a working
/// directory.
struct World {
    mock: MockServer,
    home: CodexHome,
    workdir: TempDir,
    /// An empty `HOME`: the login shell of codex's commands then sources no profile of the
    /// machine's user (whose tools may take their time, or wait on a lock).
    user_home: TempDir,
}

impl World {
    async fn new(sandbox: &str) -> Self {
        let mock = MockServer::start().await.expect("start the mock server");
        let home =
            CodexHome::with_options(&mock, CodexHomeOptions::default().sandbox_mode(sandbox))
                .expect("write CODEX_HOME");
        let workdir = tempfile::tempdir().expect("a working directory");
        let user_home = tempfile::tempdir().expect("a HOME");
        Self {
            mock,
            home,
            workdir,
            user_home,
        }
    }

    /// The environment of codex (and of the host program).
    fn env(&self) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        let mut env = codex_env(&self.home);
        env.retain(|(name, _)| name != "HOME");
        env.push(("HOME".into(), self.user_home.path().into()));
        env
    }

    /// Scripts the model: the command, then an answer that is held forever (`held`) or
    /// given.
    fn script(&self, markers: &Markers, held: bool) -> Gate {
        let yield_ms = if held { 60_000 } else { 500 };
        self.mock.push(Sse::reply(
            "resp-1",
            [sse::function_call(
                "call-1",
                "exec_command",
                &json!({"cmd": markers.command(), "yield_time_ms": yield_ms}),
            )],
        ));
        let gate = Gate::new();
        let answer = MockResponse::sse(Sse::message("resp-2", "done"));
        self.mock.push(if held {
            answer.hold_after(0, &gate)
        } else {
            answer
        });
        gate
    }
}

async fn check(transport: Transport, sandbox: &str, stop: Stop) {
    check_with(transport, sandbox, stop, Containment::CgroupV2).await;
}

/// [`check`] with `containment` asked for (the default is [`Containment::CgroupV2`]).
async fn check_with(transport: Transport, sandbox: &str, stop: Stop, containment: Containment) {
    let world = World::new(sandbox).await;
    let markers = Markers::new();
    let _gate = world.script(&markers, stop != Stop::CodexDrop);
    let pids = match stop {
        Stop::HostKill => host_kill(&world, transport, &markers, containment).await,
        Stop::StreamDrop | Stop::CodexDrop => {
            in_process(&world, transport, &markers, stop, containment).await
        }
    };
    let _cleanup = KillOnDrop(pids.clone());
    for (pid, marker) in pids.iter().zip(markers.all()) {
        let state = process_watch::wait_dead(*pid, GONE_WITHIN).await;
        assert!(
            state.is_dead(),
            "{transport:?}, {sandbox}, {stop:?}: `sleep {marker}` (pid {pid}) is still \
             {state:?} {GONE_WITHIN:?} after the stop"
        );
    }
}

/// Runs the turn in this process, stops it with `stop`, returns the pids of the markers.
async fn in_process(
    world: &World,
    transport: Transport,
    markers: &Markers,
    stop: Stop,
    containment: Containment,
) -> Vec<u32> {
    let codex = Codex::new(
        CodexOptions::new()
            .codex_path(real_codex())
            .env(world.env())
            .transport(transport)
            .containment(containment),
    )
    .expect("the facade finds codex");
    let thread = codex.start_thread(
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(world.workdir.path()),
    );
    let mut stream = thread
        .run_streamed("go", TurnOptions::new())
        .await
        .expect("the turn starts");
    let expected = match containment {
        Containment::CgroupV2 => Containment::best_available(),
        other => other,
    };
    assert_eq!(stream.containment(), Some(expected));
    let mut pids = Vec::new();
    for marker in markers.all() {
        pids.push(wait_for_sleep(marker).await);
    }
    match stop {
        Stop::StreamDrop => {
            drop(stream);
            // The app-server lives on with the `Codex`: the orphans go at the turn's end.
            let alive = codex;
            let _cleanup = KillOnDrop(pids.clone());
            for (pid, marker) in pids.iter().zip(markers.all()) {
                let state = process_watch::wait_dead(*pid, GONE_WITHIN).await;
                assert!(
                    state.is_dead(),
                    "{transport:?}, StreamDrop: `sleep {marker}` (pid {pid}) is still \
                     {state:?} {GONE_WITHIN:?} after the drop, with the Codex alive"
                );
            }
            drop((thread, alive));
        }
        Stop::CodexDrop => {
            let rest = tokio::time::timeout(WAIT, stream.by_ref().collect::<Vec<_>>())
                .await
                .expect("the turn completes");
            assert!(rest.iter().all(Result::is_ok), "{rest:#?}");
            drop(stream);
            if transport == Transport::AppServer {
                // codex keeps the command and the process it started; only the orphan went.
                let kept = [pids[0], pids[2]].map(process_watch::state);
                assert_eq!(kept, [process_watch::ProcessState::Alive; 2]);
            }
            drop(thread);
            drop(codex);
        }
        Stop::HostKill => unreachable!("the host runs in its own process"),
    }
    assert_no_cgroups_of(std::process::id()).await;
    pids
}

/// Runs the turn in `sdk-containment-host`, kills it with `SIGKILL` while the command runs,
/// returns the pids of the markers.
#[expect(
    clippy::disallowed_methods,
    reason = "the host is the SDK process under test: it cannot be spawned through codex-agent-exec"
)]
async fn host_kill(
    world: &World,
    transport: Transport,
    markers: &Markers,
    containment: Containment,
) -> Vec<u32> {
    let host = fake_codex::locate("sdk-containment-host");
    let mut child = tokio::process::Command::new(host)
        .arg(real_codex())
        .arg(match transport {
            Transport::AppServer => "app-server",
            _ => "exec",
        })
        .arg(world.workdir.path())
        .arg(containment.as_str())
        .env_clear()
        .envs(world.env())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start sdk-containment-host");
    let host_pid = child.id().expect("the host runs");
    let mut pids = Vec::new();
    for marker in markers.all() {
        pids.push(wait_for_sleep(marker).await);
    }
    child.kill().await.expect("SIGKILL the host and reap it");
    let _cleanup = KillOnDrop(pids.clone());
    for (pid, marker) in pids.iter().zip(markers.all()) {
        let state = process_watch::wait_dead(*pid, GONE_WITHIN).await;
        assert!(
            state.is_dead(),
            "{transport:?}, HostKill: `sleep {marker}` (pid {pid}) is still {state:?} \
             {GONE_WITHIN:?} after the host was killed"
        );
    }
    assert_no_cgroups_of(host_pid).await;
    pids
}

macro_rules! matrix {
    ($($name:ident: $transport:expr, $sandbox:literal, $stop:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                check($transport, $sandbox, $stop).await;
            }
        )*
    };
}

/// The fallback, asked for explicitly where cgroups would work.
macro_rules! tag_matrix {
    ($($name:ident: $transport:expr, $sandbox:literal, $stop:expr;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                check_with($transport, $sandbox, $stop, Containment::EnvironmentTag).await;
            }
        )*
    };
}

tag_matrix! {
    tag_exec_stream_drop_full_access: Transport::Exec, "danger-full-access", Stop::StreamDrop;
    tag_exec_codex_drop_full_access: Transport::Exec, "danger-full-access", Stop::CodexDrop;
    tag_exec_host_kill_full_access: Transport::Exec, "danger-full-access", Stop::HostKill;
    tag_exec_host_kill_workspace_write: Transport::Exec, "workspace-write", Stop::HostKill;
    tag_app_server_stream_drop_full_access: Transport::AppServer, "danger-full-access", Stop::StreamDrop;
    tag_app_server_codex_drop_full_access: Transport::AppServer, "danger-full-access", Stop::CodexDrop;
    tag_app_server_host_kill_full_access: Transport::AppServer, "danger-full-access", Stop::HostKill;
    tag_app_server_host_kill_workspace_write: Transport::AppServer, "workspace-write", Stop::HostKill;
}

matrix! {
    exec_stream_drop_read_only: Transport::Exec, "read-only", Stop::StreamDrop;
    exec_stream_drop_workspace_write: Transport::Exec, "workspace-write", Stop::StreamDrop;
    exec_stream_drop_full_access: Transport::Exec, "danger-full-access", Stop::StreamDrop;
    exec_codex_drop_read_only: Transport::Exec, "read-only", Stop::CodexDrop;
    exec_codex_drop_workspace_write: Transport::Exec, "workspace-write", Stop::CodexDrop;
    exec_codex_drop_full_access: Transport::Exec, "danger-full-access", Stop::CodexDrop;
    exec_host_kill_read_only: Transport::Exec, "read-only", Stop::HostKill;
    exec_host_kill_workspace_write: Transport::Exec, "workspace-write", Stop::HostKill;
    exec_host_kill_full_access: Transport::Exec, "danger-full-access", Stop::HostKill;
    app_server_stream_drop_read_only: Transport::AppServer, "read-only", Stop::StreamDrop;
    app_server_stream_drop_workspace_write: Transport::AppServer, "workspace-write", Stop::StreamDrop;
    app_server_stream_drop_full_access: Transport::AppServer, "danger-full-access", Stop::StreamDrop;
    app_server_codex_drop_read_only: Transport::AppServer, "read-only", Stop::CodexDrop;
    app_server_codex_drop_workspace_write: Transport::AppServer, "workspace-write", Stop::CodexDrop;
    app_server_codex_drop_full_access: Transport::AppServer, "danger-full-access", Stop::CodexDrop;
    app_server_host_kill_read_only: Transport::AppServer, "read-only", Stop::HostKill;
    app_server_host_kill_workspace_write: Transport::AppServer, "workspace-write", Stop::HostKill;
    app_server_host_kill_full_access: Transport::AppServer, "danger-full-access", Stop::HostKill;
}

/// The control: with containment off ([`Containment::ProcessGroup`]) and no sandbox, the
/// detached process escapes a dropped stream, as it did before containment (and as the
/// checks above would see).
#[tokio::test]
async fn without_containment_a_detached_command_escapes() {
    let world = World::new("danger-full-access").await;
    let markers = Markers::new();
    let _gate = world.script(&markers, true);
    let codex = Codex::new(
        CodexOptions::new()
            .codex_path(real_codex())
            .env(world.env())
            .containment(Containment::ProcessGroup),
    )
    .expect("the facade finds codex");
    let thread = codex.start_thread(
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(world.workdir.path()),
    );
    let stream = thread
        .run_streamed("go", TurnOptions::new())
        .await
        .expect("the turn starts");
    assert_eq!(stream.containment(), Some(Containment::ProcessGroup));
    let codex_pid = stream.pid().expect("codex runs");
    let mut pids = Vec::new();
    for marker in markers.all() {
        pids.push(wait_for_sleep(marker).await);
    }
    let _cleanup = KillOnDrop(pids.clone());
    drop(stream);
    assert_eq!(
        process_watch::wait_gone(codex_pid, WAIT).await,
        process_watch::ProcessState::Gone,
        "codex is reaped"
    );
    // codex's own kill of the command is done when codex is gone.
    assert_eq!(
        process_watch::state(pids[0]),
        process_watch::ProcessState::Alive,
        "`sleep {}` escaped",
        markers.detached
    );
}
