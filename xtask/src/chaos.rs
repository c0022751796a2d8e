//! `cargo xtask chaos`: turns against the real codex and the scripted model with faults
//! injected at random moments; every run must end with a typed error or a recovered turn and
//! leave nothing behind.
//!
//! Each run starts a fresh host process (this executable as `__chaos-host`) that runs one
//! turn through `codex-agent-sdk` on one transport, with an attachment (staged in a store of
//! the run's own), an event log (4 KiB files, so that the turn rotates them) and a host tool:
//! the model calls the tool (it answers after a second), then asks for a command (`sleep 3`,
//! then `echo`; on the app-server the approval handler accepts it after half a second), then
//! answers. The parent owns the scripted model and injects one fault after a random delay (0
//! to 6 s: during the spawn, the handshake, the staging, the model stream, the tool call, the
//! approval, the command, the event log's writes):
//!
//! | fault | what happens |
//! |---|---|
//! | `none` | nothing: the baseline, which must end `ok` with every phase in the event log |
//! | `kill-codex` | `SIGKILL` to the codex process |
//! | `kill-model` | the scripted model server is shut down (the host's 10 s offline timeout ends the turn) |
//! | `kill-host` | `SIGKILL` to the host (the SDK's own process) |
//! | `drop-turn` | the host drops the turn's future (cancellation) |
//! | `full-disk` | `CODEX_HOME` on a nearly full 512 KiB tmpfs (root only) |
//! | `unwritable-home` | `CODEX_HOME` on a read-only tmpfs (root only) |
//!
//! A run passes when the host reports a finished turn or a typed error (or was the one
//! killed), within 90 s, without a panic; when, 3 s after the host is gone, no process the
//! run started is alive (found by an environment marker, so detached ones count) and the
//! host's private `TMPDIR` is empty; and when the state it wrote is whole: the event log
//! replays, and the attachment store, once swept, lists only blobs that are there with their
//! size (a host that was not killed leaves no staged set). A host killed with `SIGKILL`
//! cannot clean its temp files: those are counted apart, as `temp-after-host-kill`. The
//! hosts get an empty `HOME`, so that the machine's shell profile stays out of the commands.
//!
//! `cargo xtask chaos [--runs N] [--seed S] [--transport exec|app-server] [--fault F]...`;
//! 100 runs per transport by default. The report (runs, outcomes, failures by kind) is
//! printed and written to `target/chaos/report.json`. Not part of `verify`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codex_agent_sdk::approval::{
    ApprovalDecision, ApprovalFuture, ApprovalHandler, CommandExecutionRequestApprovalParams,
};
use codex_agent_sdk::files::{Store, StoreOptions};
use codex_agent_sdk::registry::ToolRegistry;
use codex_agent_sdk::telemetry::{EventLog, EventLogOptions};
use codex_agent_sdk::tools::{Tool, ToolError};
use codex_agent_sdk::{
    ApprovalPolicy, Attachment, Codex, CodexOptions, ItemDetails, SandboxMode, Telemetry,
    ThreadEvent, ThreadOptions, Transport, TurnOptions,
};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::process_watch;
use codex_agent_testkit::sse::{self, Sse};
use serde_json::{Value, json};

/// Runs per transport, by default.
const DEFAULT_RUNS: usize = 100;
/// The longest a host may take before the run counts as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(90);
/// How long the processes of a run may take to be gone after its host is.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);
/// The latest moment a fault is injected at, after the host starts.
const LATEST_FAULT_MS: u64 = 6_000;
/// The host tool of every run.
const NOTE_TOOL: &str = "chaos_note";
/// The hosts' offline timeout (`TurnOptions::offline_timeout`).
const OFFLINE_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment variable marking every process of a run.
const MARKER_ENV: &str = "CODEX_SDK_CHAOS_RUN";
/// What the model answers at the end of a turn.
const REPLY: &str = "chaos run finished";

const FAULTS: [&str; 7] = [
    "none",
    "kill-codex",
    "kill-model",
    "kill-host",
    "drop-turn",
    "full-disk",
    "unwritable-home",
];

struct Args {
    runs: usize,
    seed: u64,
    transports: Vec<String>,
    faults: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        runs: DEFAULT_RUNS,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        transports: Vec::new(),
        faults: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--runs" => {
                let v = value("--runs")?;
                parsed.runs = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--runs needs a positive number, got {v:?}"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                parsed.seed = v
                    .parse()
                    .map_err(|_| format!("--seed needs a number, got {v:?}"))?;
            }
            "--transport" => {
                let v = value("--transport")?;
                if !matches!(v.as_str(), "exec" | "app-server") {
                    return Err(format!("--transport is exec or app-server, got {v:?}"));
                }
                parsed.transports.push(v);
            }
            "--fault" => {
                let v = value("--fault")?;
                if !FAULTS.contains(&v.as_str()) {
                    return Err(format!(
                        "unknown fault {v:?}; faults are {}",
                        FAULTS.join(", ")
                    ));
                }
                parsed.faults.push(v);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo xtask chaos [--runs N] [--seed S] \
                     [--transport exec|app-server]... [--fault F]..."
                ));
            }
        }
    }
    if parsed.transports.is_empty() {
        parsed.transports = vec!["exec".to_owned(), "app-server".to_owned()];
    }
    if parsed.faults.is_empty() {
        parsed.faults = FAULTS.map(str::to_owned).to_vec();
    }
    Ok(parsed)
}

/// xorshift64*: enough randomness for fault moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `cargo xtask chaos`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    let codex = codex_agent_testkit::real_codex::real_codex().map_err(|e| e.to_string())?;
    let is_root = rustix_free_is_root();
    println!(
        "chaos: {} runs per transport on {}, seed {} (repeat with --seed {})",
        args.runs,
        args.transports.join(" and "),
        args.seed,
        args.seed
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut rng = Rng(args.seed | 1);
    let mut results = Vec::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for transport in &args.transports {
        for index in 0..args.runs {
            let fault = args.faults[index % args.faults.len()].clone();
            if !is_root && matches!(fault.as_str(), "full-disk" | "unwritable-home") {
                *tally
                    .entry(format!("{fault}: skipped (needs root)"))
                    .or_default() += 1;
                continue;
            }
            let delay_ms = rng.below(LATEST_FAULT_MS);
            let run = RunSpec {
                id: format!("{}-{transport}-{index}", std::process::id()),
                transport: transport.clone(),
                fault,
                delay_ms,
            };
            let result = runtime.block_on(one_run(&codex, &run))?;
            let line = format!(
                "{:>3} {:<10} {:<15} at {:>4} ms: {}{}",
                index,
                transport,
                run.fault,
                delay_ms,
                result.outcome,
                if result.problems.is_empty() {
                    String::new()
                } else {
                    format!("  PROBLEMS: {}", result.problems.join("; "))
                }
            );
            println!("{line}");
            *tally
                .entry(format!(
                    "{transport} {}: {}",
                    run.fault,
                    result.outcome_kind()
                ))
                .or_default() += 1;
            for problem in &result.problems {
                *failures
                    .entry(problem.split(':').next().unwrap_or(problem).to_owned())
                    .or_default() += 1;
            }
            results.push(json!({
                "run": run.id,
                "transport": transport,
                "fault": run.fault,
                "delay_ms": delay_ms,
                "outcome": result.outcome,
                "problems": result.problems,
                "temp_after_host_kill": result.temp_after_host_kill,
            }));
        }
    }
    let failed_runs = results
        .iter()
        .filter(|r| r["problems"].as_array().is_some_and(|p| !p.is_empty()))
        .count();
    print_summary(results.len(), failed_runs, &tally, &failures);
    let report = json!({
        "seed": args.seed,
        "runs": results.len(),
        "failed_runs": failed_runs,
        "outcomes": tally,
        "failures_by_kind": failures,
        "results": results,
    });
    let dir = crate::project_root().join("target/chaos");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("report: {}", path.display());
    if failed_runs == 0 {
        Ok(())
    } else {
        Err(format!("{failed_runs} chaos run(s) had problems"))
    }
}

/// The totals: outcomes per transport and fault, and failures by kind.
fn print_summary(
    runs: usize,
    failed_runs: usize,
    tally: &BTreeMap<String, usize>,
    failures: &BTreeMap<String, usize>,
) {
    println!("\nchaos: {runs} runs, {failed_runs} with problems");
    for (key, count) in tally {
        println!("  {count:>4}  {key}");
    }
    if !failures.is_empty() {
        println!("failures by kind:");
        for (kind, count) in failures {
            println!("  {count:>4}  {kind}");
        }
    }
}

/// Whether this process runs as root (the tmpfs faults need `mount`).
fn rustix_free_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|rest| rest.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Environment variables, in order.
type Env = Vec<(OsString, OsString)>;

struct RunSpec {
    id: String,
    transport: String,
    fault: String,
    delay_ms: u64,
}

struct RunResult {
    outcome: String,
    problems: Vec<String>,
    temp_after_host_kill: usize,
}

impl RunResult {
    fn outcome_kind(&self) -> String {
        let kind = self.outcome.split(':').next().unwrap_or(&self.outcome);
        if self.problems.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind} (with problems)")
        }
    }
}

/// A tmpfs mounted for one run, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("codex-chaos-tmpfs.")
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.success() {
            return Err(format!("mount tmpfs failed ({status})"));
        }
        Ok(Self { dir, mounted: true })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn read_only(&self) -> Result<(), String> {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("remount read-only failed ({status})"))
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

/// The scripted model of every run: the host tool first (a second long), then the command,
/// then the answer.
async fn scripted_model(transport: &str) -> Result<MockServer, String> {
    let mock = MockServer::start().await.map_err(|e| e.to_string())?;
    let note = json!({"text": "chaos"});
    mock.push(Sse::reply(
        "resp-0",
        [if transport == "app-server" {
            sse::function_call("call-0", NOTE_TOOL, &note)
        } else {
            sse::mcp_tool_call("call-0", "host", NOTE_TOOL, &note)
        }],
    ));
    mock.push(Sse::reply(
        "resp-1",
        [sse::function_call(
            "call-1",
            "exec_command",
            &json!({"cmd": "sleep 3; echo chaos", "yield_time_ms": 10_000}),
        )],
    ));
    mock.repeat_forever(Sse::message("resp-2", REPLY));
    Ok(mock)
}

async fn one_run(codex: &Path, run: &RunSpec) -> Result<RunResult, String> {
    let mock = scripted_model(&run.transport).await?;
    let home = CodexHome::with_options(&mock, CodexHomeOptions::default().retries(0, 0))
        .map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let workdir = scratch.path().join("work");
    let tmp = scratch.path().join("tmp");
    let log_dir = scratch.path().join("log");
    let store_dir = scratch.path().join("store");
    for dir in [&workdir, &tmp] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let attachment = workdir.join("notes.txt");
    std::fs::write(&attachment, "chaos attachment\n".repeat(64))
        .map_err(|e| format!("cannot write {}: {e}", attachment.display()))?;

    let (tmpfs, env) = run_env(run, &home, &tmp)?;

    let spec = json!({
        "codex": codex,
        "transport": run.transport,
        "workdir": workdir,
        "env": env.iter().map(|(k, v)| [k.to_string_lossy(), v.to_string_lossy()]).collect::<Vec<_>>(),
        "drop_after_ms": (run.fault == "drop-turn").then_some(run.delay_ms),
        "log_dir": log_dir,
        "store_dir": store_dir,
        "attachment": attachment,
    });
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let mut host = Command::new(exe)
        .arg("__chaos-host")
        .arg(spec.to_string())
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the chaos host: {e}"))?;
    let mut mock = Some(mock);
    let (status, host_killed, mut problems) = supervise(&mut host, run, &mut mock).await?;
    let report = read_host(&mut host);
    let outcome = match (&status, host_killed) {
        (_, true) => "host-killed".to_owned(),
        (None, false) => "hang".to_owned(),
        (Some(status), false) => {
            if let Some(report) = report {
                report
            } else {
                problems.push(format!(
                    "host-failed: the host exited {status} without a report"
                ));
                "host-failed".to_owned()
            }
        }
    };
    if outcome.starts_with("error:Other") || outcome.starts_with("panic") {
        problems.push(format!("untyped: {outcome}"));
    }

    // Nothing the run started may outlive it.
    let left = drain(&run.id).await;
    if !left.is_empty() {
        problems.push(format!(
            "leak: {} process(es) alive {} s after the host: {}",
            left.len(),
            DRAIN_LIMIT.as_secs(),
            left.iter()
                .map(|pid| format!("{pid} {}", crate::soak::cmdline(*pid)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for pid in &left {
            kill(*pid);
        }
    }
    problems.extend(check_state(&log_dir, &store_dir, host_killed));
    if run.fault == "none" {
        problems.extend(check_baseline(&outcome, &log_dir));
    }
    let temp_left = std::fs::read_dir(&tmp).map_or(0, Iterator::count);
    let mut temp_after_host_kill = 0;
    if temp_left > 0 {
        if host_killed {
            temp_after_host_kill = temp_left;
        } else {
            problems.push(format!(
                "temp: {temp_left} file(s) left in the host's TMPDIR"
            ));
        }
    }
    if let Some(mock) = mock.take() {
        mock.shutdown().await;
    }
    drop(tmpfs);
    Ok(RunResult {
        outcome,
        problems,
        temp_after_host_kill,
    })
}

/// The state the host wrote, whatever killed it: the event log replays (a torn last line is
/// skipped, nothing else may be), and the attachment store is consistent once swept (every
/// entry's blob is there, with its size); a host that was not killed left no staged set
/// behind.
fn check_state(log_dir: &Path, store_dir: &Path, host_killed: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if log_dir.exists()
        && let Err(e) = codex_agent_sdk::telemetry::replay(log_dir)
    {
        problems.push(format!("torn-state: the event log does not replay: {e}"));
    }
    if !store_dir.exists() {
        return problems;
    }
    let store = match Store::open(StoreOptions::new().root(store_dir)) {
        Ok(store) => store,
        Err(e) => {
            problems.push(format!("torn-state: the store does not open: {e}"));
            return problems;
        }
    };
    match store.sweep() {
        Ok(report) if report.sets > 0 && !host_killed => problems.push(format!(
            "staging: {} attachment set(s) left by a host that was not killed",
            report.sets
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("torn-state: the store does not sweep: {e}")),
    }
    match store.entries() {
        Ok(entries) => {
            for entry in entries {
                let blob = store.blob_path(&entry.sha256);
                let size = std::fs::metadata(&blob).map(|m| m.len()).ok();
                if size != Some(entry.size) {
                    problems.push(format!(
                        "torn-state: blob {} is {size:?} bytes, its entry says {}",
                        entry.sha256, entry.size
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("torn-state: the store's entries: {e}")),
    }
    problems
}

/// The unfaulted run: the turn ends `ok`, and its event log holds the host tool call, the
/// command and the answer (so the phases the faults aim at really happen).
fn check_baseline(outcome: &str, log_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome != "ok" {
        problems.push(format!("baseline: the unfaulted turn ended {outcome}"));
    }
    let records = codex_agent_sdk::telemetry::replay(log_dir).unwrap_or_default();
    let completed: Vec<&ItemDetails> = records
        .iter()
        .filter_map(|record| match &record.event {
            ThreadEvent::ItemCompleted(done) => Some(&done.item.details),
            _ => None,
        })
        .collect();
    let has = |what: &str, found: &dyn Fn(&ItemDetails) -> bool| {
        (!completed.iter().any(|d| found(d))).then(|| {
            let kinds: Vec<String> = completed
                .iter()
                .map(|d| format!("{d:?}").chars().take(200).collect())
                .collect();
            format!("baseline: no completed {what} in the event log (completed: {kinds:?})")
        })
    };
    problems.extend(has("host tool call", &|d| {
        matches!(
            d,
            ItemDetails::McpToolCall(_) | ItemDetails::DynamicToolCall(_)
        )
    }));
    problems.extend(has("command", &|d| {
        matches!(d, ItemDetails::CommandExecution(_))
    }));
    problems.extend(has("answer", &|d| {
        matches!(d, ItemDetails::AgentMessage(_))
    }));
    problems
}

/// The host's environment for `run`, and the tmpfs its `CODEX_HOME` lies on for the disk
/// faults.
fn run_env(run: &RunSpec, home: &CodexHome, tmp: &Path) -> Result<(Option<Tmpfs>, Env), String> {
    // The tmpfs faults put CODEX_HOME on a tmpfs holding the same config.
    let tmpfs = match run.fault.as_str() {
        "full-disk" | "unwritable-home" => {
            let fs = Tmpfs::mount("512k")?;
            std::fs::copy(home.config_path(), fs.path().join("config.toml"))
                .map_err(|e| format!("cannot copy the config: {e}"))?;
            if run.fault == "full-disk" {
                // Fill what is left, so that codex's first write fails.
                let filler = fs.path().join("filler");
                let _ = std::fs::write(&filler, vec![0_u8; 600 * 1024]);
            } else {
                fs.read_only()?;
            }
            Some(fs)
        }
        _ => None,
    };
    let mut env: Env = home.env();
    if let Some(fs) = &tmpfs {
        env.retain(|(k, _)| k != "CODEX_HOME");
        env.push(("CODEX_HOME".into(), fs.path().as_os_str().to_owned()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        env.push(("PATH".into(), path));
    }
    // An empty HOME: the login shell of codex's commands then sources no profile of the
    // machine (a profile that runs `pyenv init` can stall every command for a minute on a
    // lock a killed run left behind).
    let user_home = tmp.with_file_name("home");
    std::fs::create_dir_all(&user_home)
        .map_err(|e| format!("cannot create {}: {e}", user_home.display()))?;
    env.push(("HOME".into(), user_home.into_os_string()));
    env.push((MARKER_ENV.into(), run.id.clone().into()));
    env.push(("TMPDIR".into(), tmp.as_os_str().to_owned()));

    Ok((tmpfs, env))
}

/// Waits for the host, injecting the run's fault at its moment; the host's exit status (none
/// after a hang), whether the fault killed the host, and the problems seen.
async fn supervise(
    host: &mut Child,
    run: &RunSpec,
    mock: &mut Option<MockServer>,
) -> Result<(Option<std::process::ExitStatus>, bool, Vec<String>), String> {
    let host_pid = host.id();
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut host_killed = false;
    let fault_at = started + Duration::from_millis(run.delay_ms);
    let mut fault_done = !matches!(
        run.fault.as_str(),
        "kill-codex" | "kill-model" | "kill-host"
    );
    let status = loop {
        if let Some(status) = host.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > HANG_LIMIT {
            problems.push(format!(
                "hang: the host ran over {} s",
                HANG_LIMIT.as_secs()
            ));
            kill(host_pid);
            let _ = host.wait();
            break None;
        }
        if !fault_done && Instant::now() >= fault_at {
            fault_done = true;
            match run.fault.as_str() {
                "kill-codex" => {
                    if let Some(pid) = codex_process(host_pid) {
                        kill(pid);
                    }
                }
                "kill-model" => {
                    if let Some(mock) = mock.take() {
                        mock.shutdown().await;
                    }
                }
                "kill-host" => {
                    kill(host_pid);
                    host_killed = true;
                }
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    Ok((status, host_killed, problems))
}

/// The host's one-line report, `ok:…`, `error:<Kind>:…` or `cancelled`.
fn read_host(host: &mut Child) -> Option<String> {
    use std::io::Read as _;
    let mut out = String::new();
    host.stdout.take()?.read_to_string(&mut out).ok()?;
    let mut err = String::new();
    if let Some(mut stderr) = host.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    if err.contains("panicked") {
        return Some(format!(
            "panic: {}",
            err.lines().find(|l| l.contains("panicked")).unwrap_or("")
        ));
    }
    out.lines()
        .rev()
        .find(|l| l.starts_with("ok") || l.starts_with("error:") || l.starts_with("cancelled"))
        .map(str::to_owned)
}

/// The codex process below the host: the first descendant whose command line names codex.
fn codex_process(host: u32) -> Option<u32> {
    process_watch::descendants(host)
        .into_iter()
        .find(|pid| crate::soak::cmdline(*pid).contains("codex"))
}

fn kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Waits up to [`DRAIN_LIMIT`] for the processes marked with `run` to be gone; returns the
/// ones left.
async fn drain(run: &str) -> Vec<u32> {
    let deadline = Instant::now() + DRAIN_LIMIT;
    loop {
        let left = process_watch::with_env(MARKER_ENV, run);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `xtask __chaos-host <spec>`: one turn, reported as one line on stdout.
pub(crate) fn host(args: &[String]) -> Result<(), String> {
    let spec: Value = serde_json::from_str(args.first().ok_or("__chaos-host needs a spec")?)
        .map_err(|e| format!("bad spec: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let line = runtime.block_on(host_turn(&spec));
    println!("{line}");
    Ok(())
}

async fn host_turn(spec: &Value) -> String {
    let text = |key: &str| spec[key].as_str().unwrap_or_default().to_owned();
    let env: Vec<(String, String)> = spec["env"]
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let transport = if text("transport") == "app-server" {
        Transport::AppServer
    } else {
        Transport::Exec
    };
    // Small log files, so that the turn's events rotate them.
    let log = match EventLog::open(
        EventLogOptions::new(text("log_dir"))
            .max_bytes(4_096)
            .retain(64),
    ) {
        Ok(log) => log,
        Err(e) => return format!("error:Telemetry:{e}"),
    };
    let codex = match Codex::new(
        CodexOptions::new()
            .codex_path(PathBuf::from(text("codex")))
            .env(env)
            .transport(transport)
            .attachment_store(StoreOptions::new().root(text("store_dir")))
            .telemetry(Telemetry::new().event_log(log)),
    ) {
        Ok(codex) => codex,
        Err(e) => return format!("error:{}:{e}", kind_of(&e)),
    };
    let tools = match ToolRegistry::new().with(note_tool()) {
        Ok(tools) => tools,
        Err(e) => return format!("error:Tools:{e}"),
    };
    let mut options = ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(text("workdir"))
        .sandbox_mode(SandboxMode::DangerFullAccess)
        .tools(tools);
    // The app-server asks before each command: the handler takes half a second to accept.
    options = if transport == Transport::AppServer {
        options
            .approval_policy(ApprovalPolicy::Untrusted)
            .approval_handler(SlowAccept)
    } else {
        options.approval_policy(ApprovalPolicy::Never)
    };
    let thread = codex.start_thread(options);
    // A model server killed mid-turn leaves codex waiting for the network forever; the
    // offline timeout ends the turn (shorter than the default 60 s, to keep runs short).
    let turn = thread.run(
        "note it, then run the command",
        TurnOptions::new()
            .offline_timeout(Some(OFFLINE_TIMEOUT))
            .attach(Attachment::file(text("attachment"))),
    );
    let result = match spec["drop_after_ms"].as_u64() {
        Some(ms) => {
            let Ok(result) = tokio::time::timeout(Duration::from_millis(ms), turn).await else {
                // The turn's future is dropped: everything it started must go.
                drop(thread);
                drop(codex);
                return "cancelled".to_owned();
            };
            result
        }
        None => turn.await,
    };
    match result {
        Ok(turn) if turn.final_response == REPLY => "ok".to_owned(),
        Ok(turn) => format!("ok:unexpected answer {:?}", turn.final_response),
        Err(e) => format!("error:{}:{}", kind_of(&e), one_line(&e.to_string())),
    }
}

/// The host tool the model calls first: it answers after a second, so that faults land
/// while it runs.
fn note_tool() -> Tool {
    Tool::new(
        NOTE_TOOL,
        "Takes a note.",
        json!({"type": "object", "properties": {"text": {"type": "string"}}}),
        |_arguments| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok::<_, ToolError>("noted".to_owned())
        },
    )
}

/// Accepts every request after half a second, so that faults land while one is pending.
struct SlowAccept;

impl ApprovalHandler for SlowAccept {
    fn command_execution<'a>(
        &'a self,
        _request: &'a CommandExecutionRequestApprovalParams,
    ) -> ApprovalFuture<'a, ApprovalDecision> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            ApprovalDecision::Accept
        })
    }
}

/// The variant name of an error, from its `Debug` (which is redacted).
fn kind_of(error: &codex_agent_sdk::Error) -> String {
    let debug = format!("{error:?}");
    debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("Other")
        .to_owned()
}

fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rng_is_reproducible_and_bounded() {
        let mut a = Rng(0x2b);
        let mut b = Rng(0x2b);
        let xs: Vec<u64> = (0..100).map(|_| a.below(4_000)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.below(4_000)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| *x < 4_000));
        assert!(xs.iter().any(|x| *x != xs[0]));
    }

    #[test]
    fn arguments_are_checked() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(parse_args(&args(&["--fault", "nope"])).is_err());
        assert!(parse_args(&args(&["--transport", "ws"])).is_err());
        assert!(parse_args(&args(&["--runs", "0"])).is_err());
        let parsed = parse_args(&args(&[
            "--runs",
            "3",
            "--seed",
            "7",
            "--fault",
            "kill-host",
        ]))
        .expect("valid");
        assert_eq!((parsed.runs, parsed.seed), (3, 7));
        assert_eq!(parsed.faults, ["kill-host"]);
        assert_eq!(parsed.transports, ["exec", "app-server"]);
    }
}
