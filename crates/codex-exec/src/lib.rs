//! Process supervision for the OpenAI Codex CLI.
//!
//! This is the only crate of the workspace that spawns processes: binary discovery, argv and
//! environment building, streaming `codex exec --json`, cancellation and time limits.
//!
//! # Process lifetime
//!
//! Every child runs in its own process group. Dropping the stream of a turn, cancelling it
//! through a cancel handle, or hitting a time limit sends `SIGTERM` to the whole group, waits a
//! grace period, sends `SIGKILL` and reaps the child, so neither codex nor the tools it started
//! outlive the turn. When codex exits on its own, whatever it left in its group is killed too.
//! If the Tokio runtime shuts down first, the group gets `SIGKILL` synchronously.
//!
//! None of that can run if this process itself is killed with `SIGKILL`. For that case, on
//! Linux, codex gets a parent-death signal (`PR_SET_PDEATHSIG`) of `SIGKILL`, so it dies with
//! this process however this process dies. Setting it between `fork` and `exec` would take
//! `unsafe` code, which this workspace forbids, so codex is started through util-linux's
//! `setpriv --pdeathsig KILL -- <codex> <args…>`, which sets the signal and executes codex in
//! the same process: pid, process group, `argv[0]`, stdio and spawn errors are the same as
//! without it. The signal is tied to the forking *thread*, so children are forked by one
//! dedicated thread that lives as long as the process, whichever thread calls
//! [`ExecStream::spawn`]. It is on by default ([`ExecOptions::parent_death_signal`]) and takes
//! effect when a `setpriv` supporting `--pdeathsig` is installed (util-linux 2.33 or later,
//! looked for once per process in `/usr/bin`, `/bin` and `PATH`); without one, codex is started
//! directly, a debug event says so, and codex is orphaned in that case. Known gaps: the signal
//! reaches codex but not the processes codex starts, and a `SIGKILL` arriving in the
//! millisecond between the `fork` and `setpriv` setting the signal still orphans codex.
//!
//! On Windows (compiled, not yet tested) there are no process groups: only codex itself is
//! killed, and there is no grace period.
//!
//! # Containment
//!
//! codex starts the agent's commands in sessions of their own, outside its process group, so
//! a command that runs `setsid sleep 600 &` (or forks twice, or daemonizes) would outlive the
//! group kill. Each spawned process therefore gets a scope, the strongest [`Containment`]
//! that works here ([`Containment::best_available`], chosen with
//! [`ExecOptions::containment`], reported by [`ExecStream::containment`]):
//!
//! | [`Containment`] | Where | Caught | This process killed with `SIGKILL` |
//! |---|---|---|---|
//! | [`CgroupV2`](Containment::CgroupV2) | Linux with cgroup v2 where a cgroup can be created beside this process's own (root, or a delegated subtree such as a systemd user scope) | every descendant, however it detaches | a watcher process kills the cgroup |
//! | [`EnvironmentTag`](Containment::EnvironmentTag) | Linux without a usable cgroup | every descendant that keeps the `CODEX_AGENT_SCOPE` variable it inherited (`setsid`, double forks, `nohup`, daemons do; `env -i` does not) | a watcher process kills the tagged processes |
//! | [`ProcessGroup`](Containment::ProcessGroup) | elsewhere, or when asked for | codex and its process group | codex only (parent-death signal) |
//!
//! A cgroup is entered before codex runs, without `unsafe` code: the child is started as
//! `/bin/sh -c 'echo 0 > "$1" … exec "$@"' sh <cgroup>/cgroup.procs <shell variables…> -- [setpriv …] <codex> <args…>`,
//! and the shell puts back the variables it changed itself (`IFS`, `PPID`, `PWD`, ...) and
//! executes codex in the same process, so its pid, `argv[0]` and environment are kept. When
//! the process has been reaped, whatever is left in the scope is killed and the cgroup removed;
//! each scope has a watcher, a `/bin/sh` outside it that does the same if this process dies
//! first. Cgroups left by dead processes are removed by the first spawn of the next one. On
//! the app-server, what a turn detached from codex is killed when the last running turn ends
//! ([`app_server::AppServer::containment`]).
//!
//! The cost, measured with `examples/spawn_cost.rs` (the whole life of a `/bin/true` through
//! [`ExecStream`], spawn to the stream's end after the cleanup; medians of 200 runs, three
//! rounds, debug build, on a 2-core machine under a load of about 8): 2.9 to 3.9 ms with the
//! process group only, 4.5 to 7.6 ms with a cgroup, 4.8 to 7.6 ms with the tag (its cleanup
//! reads `/proc/*/environ`, so it grows with the number of processes on the machine). That is
//! 2 to 4 ms per spawn (two `/bin/sh` processes, a `mkdir` and an `rmdir`), against the
//! hundreds of milliseconds codex takes to start. The migration into the cgroup adds an RCU
//! grace period on top (up to 20 ms, see [`Containment`]).
//!
//! A [`Prestart`] ([`ExecOptions::prestart`]) takes all of that off the spawns after the
//! first: the wrappers of the next spawn (scope, watcher, `setpriv`, the shell in its cgroup)
//! are started beside the previous spawn, and the spawn only hands the program, its
//! arguments, environment and working directory over to the waiting shell, which executes it
//! in its own process. The SDK's `Codex` keeps one for its `codex exec` turns. Measured with
//! the same example (release build, medians of 200, idle 2-core VM), a spawn with the spare
//! ready takes 1.8, 2.8 and 3.2 ms (process group, tag, cgroup; starting the next spare
//! beside it included) against 2.2, 3.2 and 3.9 ms direct, and back to back 2.2, 2.9 and
//! 3.5 ms. Those spawns migrate into cgroups back to back, so none waits for an
//! RCU grace period; a turn that starts a while after the previous one does when spawned
//! directly, and does not through the spare.
//!
//! # Other programs
//!
//! [`run_to_completion`] runs any program under the same supervision (process group, time
//! limit, cancel, kill on drop, parent-death signal) and collects its stdout whole: batch
//! runs use it for user scorer commands, so that this crate stays the only one that spawns.
//!
//! # `codex app-server`
//!
//! [`app_server::AppServer`] is a JSON-RPC client for `codex app-server --listen stdio://`,
//! started and supervised like `codex exec` but kept running across threads and turns: typed
//! requests, notification subscriptions, answers to approvals and dynamic tool calls, steering
//! and interrupts.
//!
//! # Supported codex versions
//!
//! codex-cli 0.169.0 through 0.171.0, except 0.170.0 (its npm package names platform packages
//! that were never published, so it does not install). The `codex exec --json` stream format
//! is the same in both supported releases; the app-server protocol is the one of
//! `codex_agent_protocol::app_server`, which parses what either sends. The tests that run the real
//! CLI run against 0.169.0 and 0.171.0.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod app_server;
mod cancel;
mod command;
mod containment;
mod discovery;
mod error;
mod framing;
#[cfg(fuzzing)]
pub mod fuzzing;
mod output;
#[cfg(target_os = "linux")]
mod parent_death;
mod piped;
mod prestart;
mod redact_url;
mod schema_file;
mod sessions;
mod stderr_tail;
mod stdout_thread;
mod stream;
mod supervisor;
mod toml_literal;
mod version;

pub use cancel::CancelHandle;
pub use codex_agent_protocol::secret::{MIN_SECRET_LEN, REDACTED, Redactor, Secret};
pub use command::{
    API_KEY_ENV, ApprovalPolicy, CodexOptions, CommandSpec, CyberAccessProgram, EnvPlan,
    ExecRequest, Input, OPENAI_API_KEY_ENV, ORIGINATOR, ORIGINATOR_ENV, ReasoningEffort,
    SandboxMode, ThreadOptions, TurnOptions, UserInput, WebSearchMode,
};
pub use containment::Containment;
pub use discovery::{
    BinarySource, CODEX_PATH_ENV, CodexBinary, DEFAULT_VERSION_TIMEOUT, Discovery, Target,
};
pub use error::{Error, ErrorCategory, stderr_headline};
pub use output::{CompletedProcess, run_to_completion};

pub use piped::{ChildExit, PipedChild};
pub use prestart::Prestart;
pub use schema_file::SchemaFile;
pub use sessions::SessionStore;
pub use stream::ExecStream;
pub use supervisor::{
    DEFAULT_EXIT_TIMEOUT, DEFAULT_KILL_GRACE, DEFAULT_MAX_LINE_LEN, DEFAULT_OFFLINE_TIMEOUT,
    DEFAULT_STDERR_TAIL_LEN, ExecOptions, KeepAlive, ProcessSpec,
};
pub use version::{ParseVersionError, Version};
