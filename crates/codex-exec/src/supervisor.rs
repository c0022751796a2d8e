//! Spawning codex in its own process group and supervising it until it is reaped.
//!
//! [`spawn`] starts the child with piped stdio and three tasks on the current Tokio runtime:
//!
//! - the **stdin writer** writes the prompt and closes stdin (a child that exits without
//!   reading it is fine: a broken pipe is logged, not reported);
//! - the **stderr drain** fills the bounded, redacted tail ([`crate::stderr_tail`]);
//! - the **supervisor** owns the [`Child`]: it waits for the exit, a stop request (cancel,
//!   idle or exit timeout, the stream being dropped) or the turn timeout. To stop, it sends
//!   `SIGTERM` to the process group, waits the grace period, sends `SIGKILL`, reaps the child,
//!   and finally sends `SIGKILL` to the group again for anything the child left behind. It
//!   reports the [`Outcome`] on a oneshot channel after dropping the keep-alive guard (the
//!   output-schema temp dir), so that whoever sees the outcome sees the files gone.
//!
//! The stream reads stdout (through a reader thread that stays at most four chunks ahead of
//! it); nothing here buffers stdout, so a slow consumer slows codex through the pipe.
//!
//! # The parent-death signal
//!
//! Children are killed when their stream is dropped (by the supervisor task), when that task
//! itself is dropped (runtime shutdown: [`ProcessGroup`]'s `Drop` sends `SIGKILL` to the group
//! synchronously) and, for the leader, by Tokio's `kill_on_drop`. None of these can run when
//! this process is killed with `SIGKILL`; for that case, on Linux, codex is started with a
//! parent-death signal of `SIGKILL` ([`ExecOptions::parent_death_signal`]), through `setpriv`
//! and a dedicated spawner thread, as [`crate::parent_death`] explains. The signal reaches
//! codex only: what codex started itself is orphaned when codex is killed this way.

use std::any::Any;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::cancel::CancelHandle;
use crate::containment::{ChildEnv, Containment, OrphanKiller, Scope, Wrapping};
use crate::error::Error;
use crate::prestart::Prestart;
use crate::redact_url::redact_config_pair;
use crate::stderr_tail::{self, SharedTail, TailBuffer};
use codex_agent_protocol::secret::Redactor;

/// Default maximum length of one stdout line: 16 MiB.
pub const DEFAULT_MAX_LINE_LEN: usize = 16 * 1024 * 1024;
/// Default size of the stderr tail kept for error reports: 64 KiB.
pub const DEFAULT_STDERR_TAIL_LEN: usize = 64 * 1024;
/// Default time between `SIGTERM` and `SIGKILL` when stopping codex: 2 s.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(2);
/// Default time codex may run on after closing stdout, or keep its pipes open after exiting:
/// 5 s.
pub const DEFAULT_EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a turn may wait for an unreachable model server
/// ([`ExecOptions::offline_timeout`]): 60 s.
pub const DEFAULT_OFFLINE_TIMEOUT: Duration = Duration::from_mins(1);

/// Anything kept alive until the process is reaped (for example the temp dir holding the
/// output schema).
pub type KeepAlive = Box<dyn Any + Send>;

/// What to run: program, arguments, environment, working directory, stdin.
///
/// This is the plain data the argv builder produces; [`ExecStream::spawn`] runs it.
///
/// [`ExecStream::spawn`]: crate::ExecStream::spawn
#[must_use]
pub struct ProcessSpec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env_clear: bool,
    pub(crate) env: Vec<(OsString, Option<OsString>)>,
    pub(crate) current_dir: Option<PathBuf>,
    stdin: Vec<u8>,
    /// Hand stdin to the caller instead of writing `stdin` and closing it (the app-server's
    /// request channel).
    pub(crate) stdin_open: bool,
    keep_alive: Option<KeepAlive>,
    /// Values redacted from everything the child writes, besides the secret-looking variables.
    secrets: Vec<codex_agent_protocol::secret::Secret>,
}

impl fmt::Debug for ProcessSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Environment values may be secrets (the API key): only names are shown.
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| {
                let k = k.to_string_lossy();
                if v.is_some() {
                    format!("{k}=…")
                } else {
                    format!("-{k}")
                }
            })
            .collect();
        f.debug_struct("ProcessSpec")
            .field("program", &self.program)
            .field("args", &DebugArgs(&self.args))
            .field("env_clear", &self.env_clear)
            .field("env", &env)
            .field("current_dir", &self.current_dir)
            .field("stdin_len", &self.stdin.len())
            .field("stdin_open", &self.stdin_open)
            .field("keep_alive", &self.keep_alive.is_some())
            .field("secrets", &self.secrets)
            .finish()
    }
}

/// Arguments for `Debug`: the values of `--config key=value` (and `-c`) go through
/// [`redact_config_pair`], so a header, a token or a URL credential in an override is not
/// shown. Also meant for the `Debug` of other types holding argv.
pub(crate) struct DebugArgs<'a>(pub(crate) &'a [OsString]);

impl fmt::Debug for DebugArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut after_config = false;
        for arg in self.0 {
            let text = arg.to_string_lossy();
            match text.strip_prefix("--config=") {
                Some(pair) => list.entry(&format!("--config={}", redact_config_pair(pair))),
                None if after_config => list.entry(&redact_config_pair(&text)),
                None => list.entry(&text),
            };
            after_config = matches!(&*text, "--config" | "-c");
        }
        list.finish()
    }
}

impl ProcessSpec {
    /// Runs `program`, with no arguments, the parent's environment, the parent's working
    /// directory and an empty stdin.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env_clear: false,
            env: Vec::new(),
            current_dir: None,
            stdin: Vec::new(),
            stdin_open: false,
            keep_alive: None,
            secrets: Vec::new(),
        }
    }

    /// Redacts `secret` from the child's stderr, events and errors. By default, the values of
    /// environment variables named like secrets (`API_KEY`, `TOKEN`, `SECRET`, `PASSWORD`)
    /// and the secrets of [`ExecOptions::redact`] are.
    pub fn secret(mut self, secret: codex_agent_protocol::secret::Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts from an empty environment instead of the parent's. By default, the parent's
    /// environment is inherited.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// Sets a variable. Values of variables whose name contains `API_KEY`, `TOKEN`, `SECRET`
    /// or `PASSWORD` are redacted from stderr and errors.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    /// Removes a variable inherited from the parent.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.env.push((key.into(), None));
        self
    }

    /// Sets the working directory. By default, the parent's is used.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Bytes written to stdin, which is then closed. By default, stdin is closed at once.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    /// Keeps stdin open and hands it to the caller ([`Spawned::stdin`]) instead of writing
    /// [`ProcessSpec::stdin`] and closing it.
    pub(crate) fn stdin_open(mut self) -> Self {
        self.stdin_open = true;
        self
    }

    /// Keeps `value` alive until the process has been reaped, then drops it. By default,
    /// nothing is kept.
    pub fn keep_alive(mut self, value: impl Any + Send) -> Self {
        self.keep_alive = Some(Box::new(value));
        self
    }

    /// The program to run.
    #[must_use]
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The arguments.
    #[must_use]
    pub fn get_args(&self) -> &[OsString] {
        &self.args
    }

    /// Values of environment variables that look like secrets.
    fn secret_env_values(&self) -> impl Iterator<Item = String> + '_ {
        self.env.iter().filter_map(|(k, v)| {
            let name = k.to_string_lossy().to_ascii_uppercase();
            let secret = ["API_KEY", "TOKEN", "SECRET", "PASSWORD"]
                .iter()
                .any(|s| name.contains(s));
            // Short values of such variables (`true`, `none`) are settings, not secrets:
            // redacting them literally would mangle every event that mentions them.
            v.as_ref()
                .filter(|v| secret && v.len() >= MIN_ENV_SECRET_LEN)
                .map(|v| v.to_string_lossy().into_owned())
        })
    }
}

/// The shortest value of a secret-looking environment variable that is redacted literally.
const MIN_ENV_SECRET_LEN: usize = 8;

/// How a turn is supervised: limits, time limits, cancellation and redaction.
#[derive(Clone)]
#[non_exhaustive]
#[must_use]
pub struct ExecOptions {
    pub(crate) max_line_len: usize,
    pub(crate) stderr_tail_len: usize,
    pub(crate) kill_grace: Duration,
    pub(crate) exit_timeout: Duration,
    pub(crate) turn_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) offline_timeout: Option<Duration>,
    pub(crate) cancel: Option<CancelHandle>,
    pub(crate) secrets: Vec<String>,
    pub(crate) parent_death_signal: bool,
    pub(crate) containment: Containment,
    pub(crate) prestart: Option<Prestart>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            stderr_tail_len: DEFAULT_STDERR_TAIL_LEN,
            kill_grace: DEFAULT_KILL_GRACE,
            exit_timeout: DEFAULT_EXIT_TIMEOUT,
            turn_timeout: None,
            idle_timeout: None,
            offline_timeout: Some(DEFAULT_OFFLINE_TIMEOUT),
            cancel: None,
            secrets: Vec::new(),
            parent_death_signal: true,
            containment: Containment::CgroupV2,
            prestart: None,
        }
    }
}

impl fmt::Debug for ExecOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecOptions")
            .field("max_line_len", &self.max_line_len)
            .field("stderr_tail_len", &self.stderr_tail_len)
            .field("kill_grace", &self.kill_grace)
            .field("exit_timeout", &self.exit_timeout)
            .field("turn_timeout", &self.turn_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("offline_timeout", &self.offline_timeout)
            .field("cancel", &self.cancel)
            .field("secrets", &self.secrets.len())
            .field("parent_death_signal", &self.parent_death_signal)
            .field("containment", &self.containment)
            .field("prestart", &self.prestart)
            .finish()
    }
}

impl ExecOptions {
    /// Options with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest stdout line accepted, in bytes without the newline; a longer line is
    /// reported as [`Error::LineTooLong`] and skipped. By default, 16 MiB.
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes;
        self
    }

    /// How many trailing bytes of stderr are kept for error reports. By default, 64 KiB.
    pub fn stderr_tail_len(mut self, bytes: usize) -> Self {
        self.stderr_tail_len = bytes;
        self
    }

    /// Time between `SIGTERM` and `SIGKILL` when codex is stopped. By default, 2 s.
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    /// How long codex may keep running after closing stdout (then it is stopped and the turn
    /// fails with [`Error::ExitTimeout`]), and how long its pipes may stay open after it
    /// exited (then the rest of its output is abandoned). By default, 5 s.
    pub fn exit_timeout(mut self, timeout: Duration) -> Self {
        self.exit_timeout = timeout;
        self
    }

    /// Stops the turn with [`Error::TurnTimeout`] when it runs longer than this, counted from
    /// the spawn. By default, there is no turn timeout.
    pub fn turn_timeout(mut self, timeout: Duration) -> Self {
        self.turn_timeout = Some(timeout);
        self
    }

    /// Stops the turn with [`Error::IdleTimeout`] when codex prints no line for this long
    /// while the stream is waiting for one (time the consumer spends between polls does not
    /// count). Set it above the longest command codex may run: codex prints nothing while a
    /// command runs. By default, there is no idle timeout.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Stops the turn with [`Error::ModelUnreachable`] when codex has been unable to reach the
    /// model server for this long: codex 0.169–0.171 treat a refused or failed connection as
    /// the network being down and wait for it forever, reporting `Reconnecting... waiting for
    /// network` errors at growing intervals (5 s, 10 s, 20 s, …), whatever the provider's retry
    /// settings. The time counts from the first such error; any other event (the model
    /// answered) starts it afresh. `None` waits as long as codex does.
    ///
    /// By default, 60 s.
    pub fn offline_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.offline_timeout = timeout;
        self
    }

    /// Cancels the turn when `handle` is cancelled, including before or during the spawn. By
    /// default, the stream gets a handle of its own ([`ExecStream::cancel_handle`]).
    ///
    /// [`ExecStream::cancel_handle`]: crate::ExecStream::cancel_handle
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }

    /// Redacts `secret` (for example the API key) from stderr and errors, wherever it
    /// appears; values shorter than 4 bytes are ignored. Environment values of variables
    /// named like secrets are redacted anyway. By default, only built-in patterns (bearer
    /// tokens, `sk-` keys, `…API_KEY=` assignments) are redacted.
    pub fn redact(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// Whether codex is killed with `SIGKILL` when this process dies, however it dies (even
    /// killed with `SIGKILL` itself, when nothing else can clean up). Linux only: codex is
    /// started through util-linux's `setpriv --pdeathsig KILL`, which sets the signal and then
    /// executes codex in the same process, so its pid, `argv[0]`, stdio and errors are as
    /// without it. By default, this is on, and takes effect when a `setpriv` supporting
    /// `--pdeathsig` is installed (looked for once per process; without one, codex is started
    /// directly and a debug event says so). On other platforms, this does nothing.
    ///
    /// Linux ties the signal to the *thread* that forks, so codex is forked by a dedicated
    /// thread that lives as long as the process: whichever thread calls
    /// [`ExecStream::spawn`] (a runtime worker, a `spawn_blocking` thread that is retired
    /// when idle, a short-lived thread that entered the runtime), codex is killed only when
    /// the process dies. The signal is not passed on to the processes codex starts.
    ///
    /// [`ExecStream::spawn`]: crate::ExecStream::spawn
    pub fn parent_death_signal(mut self, enabled: bool) -> Self {
        self.parent_death_signal = enabled;
        self
    }

    /// The strongest [`Containment`] to use for the processes codex starts; when it cannot be
    /// set up here, the next weaker one that can is used (see [`Containment`] and the crate
    /// docs for the guarantee of each). [`Containment::ProcessGroup`] turns the extra
    /// containment off. The one in effect is reported by [`ExecStream::containment`].
    ///
    /// By default, [`Containment::CgroupV2`]: the best available
    /// ([`Containment::best_available`]).
    ///
    /// [`ExecStream::containment`]: crate::ExecStream::containment
    pub fn containment(mut self, containment: Containment) -> Self {
        self.containment = containment;
        self
    }

    /// Spawns through `prestart`: the wrappers of each spawn (the scope, its watcher, the
    /// parent-death signal, the shell that enters the cgroup) are started ahead of it, while
    /// the previous spawn runs, and the spawn only hands the program over to them. The child
    /// gets the same arguments, environment, working directory, scope and signal as without;
    /// see [`Prestart`] for when a spawn cannot use it (it is then direct). Share one
    /// [`Prestart`] across the spawns of a program, and drop it to kill the waiting spare.
    ///
    /// By default, none: every spawn starts its wrappers itself.
    pub fn prestart(mut self, prestart: &Prestart) -> Self {
        self.prestart = Some(prestart.clone());
        self
    }

    /// The strongest containment asked for ([`containment`](Self::containment)).
    #[must_use]
    pub fn get_containment(&self) -> Containment {
        self.containment
    }

    /// The turn timeout, if any.
    #[must_use]
    pub fn get_turn_timeout(&self) -> Option<Duration> {
        self.turn_timeout
    }

    /// The idle timeout, if any.
    #[must_use]
    pub fn get_idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// How long a turn may wait for an unreachable model server, if bounded
    /// ([`offline_timeout`](Self::offline_timeout)).
    #[must_use]
    pub fn get_offline_timeout(&self) -> Option<Duration> {
        self.offline_timeout
    }
}

/// Why the supervisor stopped the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The user's cancel handle.
    Cancelled,
    /// The stream was dropped.
    Dropped,
    /// The turn timeout elapsed.
    TurnTimeout,
    /// No stdout line within the idle timeout.
    IdleTimeout,
    /// codex waited for an unreachable model server longer than the offline timeout.
    Offline,
    /// stdout closed but the process did not exit.
    ExitTimeout,
}

/// How the process ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It exited on its own (or was killed by someone else).
    Exited(io::Result<ExitStatus>),
    /// The supervisor stopped it.
    Stopped(Reason),
}

/// State shared by the stream and the supervisor.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Cancelled by the user's handle or by [`Shared::request_stop`].
    stop: CancellationToken,
    reason: Mutex<Option<Reason>>,
}

impl Shared {
    /// Asks the supervisor to stop the process; the first reason wins.
    pub(crate) fn request_stop(&self, reason: Reason) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(reason);
        drop(slot);
        self.stop.cancel();
    }

    /// The recorded reason; a stop without one came from the user's cancel handle.
    fn reason(&self) -> Reason {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or(Reason::Cancelled)
    }
}

/// A running child as the stream sees it.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub(crate) pid: u32,
    pub(crate) stdout: ChildStdout,
    pub(crate) outcome: oneshot::Receiver<Outcome>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) stderr_task: JoinHandle<()>,
    pub(crate) tail: SharedTail,
    pub(crate) redactor: Arc<Redactor>,
    /// The child's stdin, when the spec asked to keep it open.
    pub(crate) stdin: Option<ChildStdin>,
    /// The containment of the child's descendants.
    pub(crate) containment: Containment,
    /// Kills what detached from the child (the app-server's turn ends).
    pub(crate) orphans: OrphanKiller,
}

/// Spawns `spec` and its supervising tasks on the current runtime.
pub(crate) fn spawn(
    spec: ProcessSpec,
    options: &ExecOptions,
    cancel: &CancelHandle,
) -> Result<Spawned, Error> {
    let program = spec.program.clone();
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(Error::Spawn {
            program,
            source: io::Error::other("codex must be spawned from within a Tokio runtime"),
        });
    }
    let redactor = Arc::new(Redactor::new(
        options
            .secrets
            .iter()
            .cloned()
            .chain(spec.secrets.iter().map(|s| s.expose().to_owned()))
            .chain(spec.secret_env_values()),
    ));
    let Started {
        mut child,
        scope,
        records,
    } = start(&spec, options).map_err(|source| Error::Spawn {
        program: program.clone(),
        source,
    })?;
    let containment = scope.containment();
    let orphans = scope.orphan_killer();
    let pid = child.id().unwrap_or_default();
    let group = ProcessGroup::new(pid);
    // A root span that follows from the caller's: the supervising tasks outlive the turn by a
    // moment (reaping, the end of stderr), and a child span would hold the turn's span open
    // until they end, delaying its export.
    let span = tracing::debug_span!(parent: None, "codex", pid);
    span.follows_from(tracing::Span::current());
    // Handed to a pre-started spare: its pid is the spare's.
    let prestarted = !records.is_empty();
    tracing::debug!(parent: &span, program = %program.display(), %containment, prestarted, "spawned codex");

    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        // Unreachable with the piped stdio set in `build_command`; fail without leaking.
        drop(group);
        return Err(Error::Spawn {
            program,
            source: io::Error::other("child stdio was not piped"),
        });
    };
    let stdin = if spec.stdin_open {
        Some(stdin)
    } else {
        let bytes = if records.is_empty() {
            spec.stdin
        } else {
            // The spare reads its records, then codex the prompt, from the same pipe.
            let mut bytes = records;
            bytes.extend_from_slice(&spec.stdin);
            bytes
        };
        tokio::spawn(write_stdin(stdin, bytes, pid).instrument(span.clone()));
        None
    };

    let tail = Arc::new(Mutex::new(TailBuffer::new(options.stderr_tail_len)));
    let stderr_task = tokio::spawn(
        stderr_tail::drain(stderr, tail.clone(), redactor.clone(), pid).instrument(span.clone()),
    );

    let shared = Arc::new(Shared {
        stop: cancel.child_token(),
        reason: Mutex::new(None),
    });
    let (outcome_tx, outcome) = oneshot::channel();
    let supervisor = Supervisor {
        child,
        group,
        shared: shared.clone(),
        turn_timeout: options.turn_timeout,
        grace: options.kill_grace,
        keep_alive: spec.keep_alive,
        scope,
    };
    tokio::spawn(supervisor.run(outcome_tx).instrument(span));
    Ok(Spawned {
        pid,
        stdout,
        outcome,
        shared,
        stderr_task,
        tail,
        redactor,
        stdin,
        containment,
        orphans,
    })
}

/// Starts the child in its scope (see [`crate::containment`]), through `setpriv` when it gets
/// a parent-death signal.
///
/// With a [`Prestart`] whose spare fits, the child is the spare, and the records it must read
/// before the prompt are returned too.
fn start(spec: &ProcessSpec, options: &ExecOptions) -> io::Result<Started> {
    #[cfg(target_os = "linux")]
    if let Some(prestart) = &options.prestart {
        use crate::prestart::{Key, Refill, child_env, hand_off};
        let key = Key {
            containment: options.containment,
            parent_death_signal: options.parent_death_signal,
        };
        // A missing program is the spawn error it would be without the spare.
        crate::parent_death::check_program(
            &spec.program,
            spec.current_dir.as_deref(),
            child_var(spec.env_clear, &spec.env, "PATH").as_deref(),
        )?;
        let env = child_env(spec);
        let handoff = hand_off(prestart, spec, &env, key);
        let refill = Refill::new(prestart, spec, env, key);
        let started = if let Some(handoff) = handoff {
            Started {
                child: handoff.child,
                scope: handoff.scope,
                records: handoff.records,
            }
        } else {
            let (child, scope) = start_direct(spec, options)?;
            Started {
                child,
                scope,
                records: Vec::new(),
            }
        };
        // The next spawn's spare starts now, beside this codex: a turn that follows this one
        // at once finds it ready (started at this one's end, it would still be entering its
        // cgroup). It costs codex little CPU: two `fork`s and four `exec`s of small programs
        // on a blocking thread.
        if let Some(refill) = refill {
            refill.start();
        }
        return Ok(started);
    }
    let (child, scope) = start_direct(spec, options)?;
    Ok(Started {
        child,
        scope,
        records: Vec::new(),
    })
}

/// A started child.
struct Started {
    child: Child,
    scope: Scope,
    /// What the child (a pre-started spare) reads before the prompt.
    records: Vec<u8>,
}

/// Starts the child and its wrappers now.
fn start_direct(spec: &ProcessSpec, options: &ExecOptions) -> io::Result<(Child, Scope)> {
    let scope = if options.containment == Containment::ProcessGroup {
        Scope::none()
    } else {
        Scope::open(
            options.containment,
            ChildEnv {
                shell_safe: shell_safe_env(spec),
            },
        )
    };
    let wrapping = scope.wrapping(&|name| child_var(spec.env_clear, &spec.env, name));
    #[cfg(target_os = "linux")]
    if options.parent_death_signal || !wrapping.prefix.is_empty() {
        use crate::parent_death;
        // Checked before `setpriv` is looked for: a missing program is reported as the spawn
        // error it would be without the wrappers, and no probe runs for it.
        parent_death::check_program(
            &spec.program,
            spec.current_dir.as_deref(),
            child_var(spec.env_clear, &spec.env, "PATH").as_deref(),
        )?;
        let setpriv = parent_death::setpriv().filter(|_| options.parent_death_signal);
        let command = build_command(spec, setpriv, wrapping);
        // Forked by the spawner thread, so that the parent-death signal is tied to it.
        return Ok((parent_death::spawn(command)?, scope));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = options;
    Ok((build_command(spec, None, wrapping).spawn()?, scope))
}

/// The value of `name` in the child's environment: the last value the spec sets or removes,
/// else the inherited one.
fn child_var(
    env_clear: bool,
    env: &[(OsString, Option<OsString>)],
    name: &str,
) -> Option<OsString> {
    match env.iter().rev().find(|(key, _)| key == name) {
        Some((_, value)) => value.clone(),
        None if env_clear => None,
        None => std::env::var_os(name),
    }
}

/// Whether every variable name of the child's environment is a shell identifier and none is
/// one a shell cannot pass on (`OPTIND`), so that the shell of the cgroup wrapper passes the
/// whole environment on.
fn shell_safe_env(spec: &ProcessSpec) -> bool {
    use crate::containment::shell_identifier as identifier;
    let set = spec
        .env
        .iter()
        .filter(|(_, value)| value.is_some())
        .map(|(key, _)| key.as_os_str());
    let removed = |name: &std::ffi::OsStr| {
        spec.env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .is_some_and(|(_, value)| value.is_none())
    };
    let inherited_ok = spec.env_clear
        || std::env::vars_os()
            .all(|(name, _)| identifier(&name) || removed(&name) || set.clone().any(|k| k == name));
    #[cfg(target_os = "linux")]
    let unsafe_var = crate::containment::SHELL_UNSAFE_VARS
        .iter()
        .any(|name| child_var(spec.env_clear, &spec.env, name).is_some());
    #[cfg(not(target_os = "linux"))]
    let unsafe_var = false;
    inherited_ok && set.clone().all(identifier) && !unsafe_var
}

/// Builds the command: piped stdio, its own process group, killed if dropped. With `setpriv`,
/// the command is `setpriv --pdeathsig KILL -- <program> <args…>`.
#[expect(
    clippy::disallowed_methods,
    reason = "this is the one place that spawns codex, so that process-group kill, env policy and reaping apply"
)]
pub(crate) fn build_command(
    spec: &ProcessSpec,
    setpriv: Option<&Path>,
    wrapping: Wrapping,
) -> Command {
    // The chain: [scope wrapper] [setpriv --pdeathsig KILL --] program args…
    let mut chain: Vec<OsString> = wrapping.prefix;
    #[cfg(target_os = "linux")]
    if let Some(setpriv) = setpriv {
        chain.push(setpriv.into());
        chain.extend(crate::parent_death::SETPRIV_ARGS.map(OsString::from));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = setpriv;
    chain.push(spec.program.clone().into_os_string());
    let (program, wrapped) = chain
        .split_first()
        .expect("the chain ends with the program");
    let mut command = Command::new(program);
    command.args(wrapped).args(&spec.args);
    if spec.env_clear {
        command.env_clear();
    }
    for (key, value) in &spec.env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    if let Some((key, value)) = wrapping.env {
        command.env(key, value);
    }
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    command
}

/// Writes the prompt and closes stdin.
///
/// # Cancel safety
///
/// Dropping the future closes stdin early.
async fn write_stdin(mut stdin: ChildStdin, bytes: Vec<u8>, pid: u32) {
    if bytes.is_empty() {
        return;
    }
    let result = async {
        stdin.write_all(&bytes).await?;
        stdin.shutdown().await
    }
    .await;
    match result {
        Ok(()) => {}
        // The child may exit (or be killed) without reading its stdin; its exit status says
        // what happened, not this.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            tracing::debug!(pid, "codex closed stdin before reading the whole prompt");
        }
        Err(e) => tracing::debug!(pid, error = %e, "writing the prompt to codex failed"),
    }
}

/// Owns the child until it is reaped.
struct Supervisor {
    child: Child,
    group: ProcessGroup,
    shared: Arc<Shared>,
    turn_timeout: Option<Duration>,
    grace: Duration,
    keep_alive: Option<KeepAlive>,
    /// Everything codex started, however it detached; closed after the reap.
    scope: Scope,
}

impl Supervisor {
    /// Waits for the exit or a reason to stop, then reports the outcome.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future (runtime shutdown) kills the process group with `SIGKILL` at once,
    /// through [`ProcessGroup`]'s `Drop`.
    async fn run(mut self, outcome_tx: oneshot::Sender<Outcome>) {
        enum Event {
            Exited(io::Result<ExitStatus>),
            Stop,
            TurnTimeout,
        }
        let turn_timeout = async {
            match self.turn_timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            biased;
            status = self.child.wait() => Event::Exited(status),
            () = self.shared.stop.cancelled() => Event::Stop,
            () = turn_timeout => Event::TurnTimeout,
        };
        let outcome = match event {
            Event::Exited(status) => {
                tracing::debug!(status = ?status, "codex exited");
                // Anything still in the group was started by codex and outlives it: kill it.
                self.group.signal(&mut self.child, Sig::Kill);
                Outcome::Exited(status)
            }
            Event::Stop => {
                let reason = self.shared.reason();
                self.terminate(reason).await;
                Outcome::Stopped(reason)
            }
            Event::TurnTimeout => {
                self.shared.request_stop(Reason::TurnTimeout);
                self.terminate(Reason::TurnTimeout).await;
                Outcome::Stopped(Reason::TurnTimeout)
            }
        };
        self.group.disarm();
        self.scope.close().await;
        drop(self.keep_alive.take());
        // The stream may be gone already; then nobody needs the outcome.
        let _ = outcome_tx.send(outcome);
    }

    /// `SIGTERM` to the group, `SIGKILL` after the grace period, reap, `SIGKILL` to leftovers.
    async fn terminate(&mut self, reason: Reason) {
        let started = Instant::now();
        self.group.signal(&mut self.child, Sig::Term);
        let status = match tokio::time::timeout(self.grace, self.child.wait()).await {
            Ok(status) => status,
            Err(_elapsed) => {
                tracing::debug!(?reason, "codex ignored SIGTERM; sending SIGKILL");
                self.group.signal(&mut self.child, Sig::Kill);
                self.child.wait().await
            }
        };
        self.group.signal(&mut self.child, Sig::Kill);
        tracing::debug!(?reason, status = ?status, elapsed = ?started.elapsed(), "stopped codex");
    }
}

/// The two signals the supervisor sends.
#[derive(Debug, Clone, Copy)]
enum Sig {
    Term,
    Kill,
}

/// The child's process group (its pid is the group id); `SIGKILL`s the group when dropped
/// while armed.
#[derive(Debug)]
struct ProcessGroup {
    pid: u32,
    armed: bool,
}

impl ProcessGroup {
    fn new(pid: u32) -> Self {
        Self { pid, armed: true }
    }

    /// Signals every process of the group; a group that is already gone is fine.
    #[cfg(unix)]
    fn signal(&self, _child: &mut Child, sig: Sig) {
        kill_group(self.pid, sig);
    }

    /// Without process groups, only the child itself can be killed (and there is no
    /// `SIGTERM`: both signals kill).
    #[cfg(not(unix))]
    fn signal(&self, child: &mut Child, _sig: Sig) {
        let _ = child.start_kill();
    }

    /// The group has been dealt with; dropping no longer kills.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if self.armed {
            #[cfg(unix)]
            kill_group(self.pid, Sig::Kill);
        }
    }
}

#[cfg(unix)]
fn kill_group(pid: u32, sig: Sig) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let Some(group_id) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let signal = match sig {
        Sig::Term => Signal::TERM,
        Sig::Kill => Signal::KILL,
    };
    match kill_process_group(group_id, signal) {
        Ok(()) | Err(rustix::io::Errno::SRCH) => {}
        Err(e) => {
            tracing::warn!(pid, error = %e, ?sig, "signalling the codex process group failed");
        }
    }
}

/// Converts an exit status into the error it stands for, if any.
pub(crate) fn status_error(status: ExitStatus, stderr: impl FnOnce() -> String) -> Option<Error> {
    if status.success() {
        return None;
    }
    if let Some(code) = status.code() {
        return Some(Error::Exited {
            code,
            stderr: stderr(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return Some(Error::Signaled {
                signal,
                stderr: stderr(),
            });
        }
    }
    Some(Error::Exited {
        code: -1,
        stderr: stderr(),
    })
}

impl Reason {
    /// The error a turn stopped for this reason ends with.
    pub(crate) fn into_error(self, limits: &Limits) -> Error {
        match self {
            Self::Cancelled | Self::Dropped => Error::Cancelled,
            Self::TurnTimeout => Error::TurnTimeout {
                limit: limits.turn.unwrap_or_default(),
            },
            Self::IdleTimeout => Error::IdleTimeout {
                limit: limits.idle.unwrap_or_default(),
            },
            Self::ExitTimeout => Error::ExitTimeout { limit: limits.exit },
            Self::Offline => Error::ModelUnreachable {
                limit: limits.offline.unwrap_or_default(),
                reason: None,
            },
        }
    }
}

/// The time limits a stream needs to name in its errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) turn: Option<Duration>,
    pub(crate) idle: Option<Duration>,
    pub(crate) offline: Option<Duration>,
    pub(crate) exit: Duration,
}

impl From<&ExecOptions> for Limits {
    fn from(options: &ExecOptions) -> Self {
        Self {
            turn: options.turn_timeout,
            idle: options.idle_timeout,
            offline: options.offline_timeout,
            exit: options.exit_timeout,
        }
    }
}
