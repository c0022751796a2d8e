//! [`Codex`], the entry point, and its [`CodexOptions`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::thread::Thread;
use crate::thread_options::ThreadOptions;
use codex_agent_exec::app_server::{
    AppServerOptions, RemoteEndpoint, Runtime, TraceContext, TraceSource,
};
use codex_agent_exec::{CodexBinary, Containment, Discovery, ExecOptions, Prestart, Secret};
use codex_agent_files::{Store, StoreOptions};
use codex_agent_telemetry::Telemetry;

/// How the SDK talks to codex.
///
/// Both transports yield the same [`ThreadEvent`](crate::ThreadEvent)s and
/// [`Turn`](crate::Turn)s for the same work; the app-server adds what `codex exec` cannot do.
///
/// | | [`Exec`](Self::Exec) | [`AppServer`](Self::AppServer) |
/// |---|---|---|
/// | process | one `codex exec --json` per turn | one `codex app-server` per [`Codex`], shared by its threads |
/// | deltas (`item.agent_message.delta`, …) | no | yes |
/// | [`TurnStream::interrupt`](crate::TurnStream::interrupt), [`steer`](crate::TurnStream::steer) | [`Error::Unsupported`] | yes |
/// | cancel, time limits, dropping the stream | kill the process group | interrupt the turn (`turn/interrupt`) |
/// | approvals ([`ThreadOptions::approval_handler`](crate::ThreadOptions::approval_handler)) | commands only (never file changes, permissions, user input or MCP elicitations), asked before they run through a `PreToolUse` hook (codex exec never asks; feature `mcp`) | whatever codex asks under the thread's approval policy |
/// | hooks ([`ThreadOptions::hooks`](crate::ThreadOptions::hooks)) | `PreToolUse`, `PostToolUse`, `UserPromptSubmit`, `SessionStart`, `Stop`, through the in-process MCP server (feature `mcp`) | the same, declared in the thread's `thread/start` config (feature `mcp`) |
/// | host tools ([`ThreadOptions::tools`](crate::ThreadOptions::tools)) | in-process MCP server, `mcp_tool_call` items (feature `mcp`) | `dynamicTools`, `dynamic_tool_call` items |
/// | base instructions | [`Error::Unsupported`] | yes |
///
/// [`Remote`](Self::Remote) is the app-server column over a WebSocket to a server started
/// elsewhere; see [`CodexOptions::remote`] for what differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// One `codex exec --json` process per turn (what the TypeScript SDK does).
    #[default]
    Exec,
    /// One `codex app-server` process per [`Codex`], started on the first turn and shared by
    /// its threads, speaking JSON-RPC on stdio (what the Python SDK does).
    AppServer,
    /// A `codex app-server --listen ws://IP:PORT` running elsewhere, reached over a
    /// WebSocket with its token: the app-server transport without a local process. Chosen by
    /// [`CodexOptions::remote`], which names the endpoint.
    Remote,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Exec => "exec",
            Self::AppServer => "app-server",
            Self::Remote => "remote",
        })
    }
}

/// Options for [`Codex::new`].
///
/// `Debug` never shows a secret: the API key and registered secrets print as `[REDACTED]`,
/// config values are left out (only their keys show), and the base URL is shown without
/// credentials or query values.
///
/// # What lands in argv
///
/// Config ([`config`](Self::config), [`config_entry`](Self::config_entry),
/// [`config_overrides`](Self::config_overrides)) and the [`base_url`](Self::base_url) become
/// `--config key=value` arguments of codex, which other users of the machine can read with
/// `ps`. Never put a secret there: give the API key with [`api_key`](Self::api_key) (it goes
/// into codex's environment), and a provider's key through an environment variable named by
/// its `env_key`.
#[derive(Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct CodexOptions {
    pub(crate) codex_path: Option<PathBuf>,
    pub(crate) exec: codex_agent_exec::CodexOptions,
    pub(crate) transport: Transport,
    pub(crate) remote: Option<RemoteEndpoint>,
    pub(crate) kill_grace: Option<Duration>,
    pub(crate) containment: Option<Containment>,
    /// [`prestart`](CodexOptions::prestart) turned off.
    pub(crate) no_prestart: bool,
    pub(crate) approval_timeout: Option<Duration>,
    pub(crate) attachment_store: StoreOptions,
    pub(crate) telemetry: Telemetry,
}

impl std::fmt::Debug for CodexOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodexOptions")
            .field("codex_path", &self.codex_path)
            .field("transport", &self.transport)
            .field("remote", &self.remote)
            .field("options", &self.exec)
            .field("kill_grace", &self.kill_grace)
            .field("containment", &self.containment)
            .field("prestart", &!self.no_prestart)
            .field("approval_timeout", &self.approval_timeout)
            .field("attachment_store", &self.attachment_store)
            .field("telemetry", &self.telemetry)
            .finish_non_exhaustive()
    }
}

impl CodexOptions {
    /// Default options: codex is discovered, the environment is inherited.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this codex binary.
    ///
    /// By default, codex is discovered: `CODEX_PATH`, then `codex` on `PATH`, then an npm or
    /// `PyPI` install (see [`Discovery`]).
    pub fn codex_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.codex_path = Some(path.into());
        self
    }

    /// Points codex at this OpenAI-compatible base URL (`--config openai_base_url=...`).
    ///
    /// By default, codex's own configuration decides.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.exec = self.exec.base_url(url);
        self
    }

    /// Passes this API key to codex as `CODEX_API_KEY` (in its environment, never in argv).
    /// It is redacted from every event, item, error and log line, and kept out of the
    /// commands the agent runs (see
    /// [`share_secrets_with_commands`](Self::share_secrets_with_commands)).
    ///
    /// By default, codex uses its own login.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.exec = self.exec.api_key(key);
        self
    }

    /// Registers one more secret value, redacted everywhere as the API key is (see
    /// [`codex_agent_exec::CodexOptions::secret`] for what is registered without asking).
    ///
    /// By default, see there.
    pub fn secret(mut self, value: impl Into<Secret>) -> Self {
        self.exec = self.exec.secret(value);
        self
    }

    /// Registers an environment variable whose value is a secret, whatever its name: its
    /// value is redacted everywhere and it is blanked in the agent's commands. A custom
    /// provider's `env_key` and an MCP server's `bearer_token_env_var` found in the config
    /// are registered without asking.
    ///
    /// By default, none beyond those.
    pub fn secret_env(mut self, name: impl Into<String>) -> Self {
        self.exec = self.exec.secret_env(name);
        self
    }

    /// Whether the commands the agent runs may see the secret environment variables.
    ///
    /// By default, `false`: codex hands its whole environment to every command, so the SDK
    /// blanks `CODEX_API_KEY`, `OPENAI_API_KEY` and every registered secret variable there
    /// (`--config shell_environment_policy.set.<NAME>=""`). The TypeScript SDK passes them
    /// on; `true` does the same.
    pub fn share_secrets_with_commands(mut self, share: bool) -> Self {
        self.exec = self.exec.share_secrets_with_commands(share);
        self
    }

    /// Sets config overrides from a nested object, flattened to `--config key=value` with
    /// TOML literals.
    ///
    /// By default, none.
    pub fn config(mut self, config: Map<String, Value>) -> Self {
        self.exec = self.exec.config(config);
        self
    }

    /// Adds one config override (`key` may be dotted).
    pub fn config_entry(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.exec = self.exec.config_entry(key, value);
        self
    }

    /// Adds raw `--config` overrides, passed verbatim (`key=<TOML>`).
    ///
    /// By default, none.
    pub fn config_overrides(
        mut self,
        overrides: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.exec = self.exec.config_overrides(overrides);
        self
    }

    /// Replaces codex's environment entirely with these variables (the SDK still adds the
    /// originator and the API key).
    ///
    /// By default, codex inherits this process's environment.
    pub fn env(
        mut self,
        vars: impl IntoIterator<Item = (impl Into<std::ffi::OsString>, impl Into<std::ffi::OsString>)>,
    ) -> Self {
        self.exec = self.exec.env(vars);
        self
    }

    /// Sets one variable of codex's environment, on top of this process's environment (or of
    /// [`env`](Self::env)'s, in either order of the calls); a later call for the same name
    /// wins. The SDK still adds the originator and the API key after it.
    ///
    /// By default, none.
    pub fn env_var(
        mut self,
        name: impl Into<std::ffi::OsString>,
        value: impl Into<std::ffi::OsString>,
    ) -> Self {
        self.exec = self.exec.env_var(name, value);
        self
    }

    /// Selects the transport. [`Transport::Remote`] also needs the endpoint: use
    /// [`remote`](Self::remote) instead.
    ///
    /// By default, [`Transport::Exec`].
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Runs every thread on a remote `codex app-server --listen ws://IP:PORT` (selects
    /// [`Transport::Remote`]): the same [`Thread`] and [`Turn`](crate::Turn) API as
    /// [`Transport::AppServer`], over a WebSocket with the endpoint's token.
    ///
    /// The server's own configuration, `CODEX_HOME`, credentials and filesystem apply (a
    /// thread's working directory is a path on the server). So the options that only shape a
    /// local process are refused by [`Codex::new`] with [`Error::Unsupported`]:
    /// [`codex_path`](Self::codex_path), [`env`](Self::env), [`base_url`](Self::base_url),
    /// [`api_key`](Self::api_key), [`config`](Self::config),
    /// [`config_entry`](Self::config_entry), [`config_overrides`](Self::config_overrides),
    /// [`secret_env`](Self::secret_env) and
    /// [`share_secrets_with_commands`](Self::share_secrets_with_commands). Not applicable and
    /// ignored: [`kill_grace`](Self::kill_grace) (there is no process to stop). The rest
    /// applies as on the app-server: approvals, host tools (`dynamicTools`), telemetry,
    /// [`secret`](Self::secret) values (redacted in what this SDK records; the token is
    /// redacted from everything the server sends), and attachments, which are staged on
    /// this machine and so reach the model only when the server shares the filesystem.
    ///
    /// When the socket drops, the turns in flight fail with [`Error::ProcessExit`] (no code,
    /// no signal: the connection is closed); the next turn reconnects and resumes its
    /// thread. A refused token is [`Error::RemoteUnauthorized`]; an unreachable or refusing
    /// server [`Error::Remote`].
    ///
    /// By default, none: codex runs locally.
    ///
    /// [`Thread`]: crate::Thread
    pub fn remote(mut self, endpoint: RemoteEndpoint) -> Self {
        self.remote = Some(endpoint);
        self.transport = Transport::Remote;
        self
    }

    /// How long codex gets to exit after `SIGTERM` before `SIGKILL`, when a turn is cancelled
    /// (exec) or the app-server is stopped.
    ///
    /// By default, 2 seconds.
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = Some(grace);
        self
    }

    /// The strongest [`Containment`] for the processes codex starts, on the local transports:
    /// when it cannot be set up here, the next weaker one that can is used.
    /// [`Containment::ProcessGroup`] turns the extra containment off. See
    /// [`codex_agent_exec::Containment`] for which guarantee holds where, and
    /// [`TurnStream::containment`](crate::TurnStream::containment) for the one in effect.
    /// Not applicable on [`Transport::Remote`].
    ///
    /// By default, [`Containment::CgroupV2`]: the best available
    /// ([`Containment::best_available`]).
    pub fn containment(mut self, containment: Containment) -> Self {
        self.containment = Some(containment);
        self
    }

    /// Whether each `codex exec` turn is started through a spare prepared during the turn
    /// before it ([`codex_agent_exec::Prestart`]): the containment scope, the parent-death
    /// signal and the shell entering the cgroup are ready, so a turn only hands codex its
    /// arguments, environment and directory (on Linux, with dash or `BusyBox` as `/bin/sh`).
    /// Codex runs exactly as it would otherwise; between turns, a `/bin/sh`, its scope's
    /// watcher and the scope wait, until the next turn or until the last clone of the
    /// [`Codex`] and its threads are dropped. The first turn is always direct. Not
    /// applicable on the app-server transports, which spawn once.
    ///
    /// By default, `true`.
    pub fn prestart(mut self, prestart: bool) -> Self {
        self.no_prestart = !prestart;
        self
    }

    /// The process options every local spawn of this [`Codex`] starts from: the kill grace and
    /// the containment.
    pub(crate) fn process_options(&self) -> ExecOptions {
        self.process_options_onto(ExecOptions::new())
    }

    /// `process` with the kill grace and the containment of these options.
    pub(crate) fn process_options_onto(&self, mut process: ExecOptions) -> ExecOptions {
        if let Some(grace) = self.kill_grace {
            process = process.kill_grace(grace);
        }
        if let Some(containment) = self.containment {
            process = process.containment(containment);
        }
        process
    }

    /// How long an approval handler may take to answer (app-server transport). After that the
    /// request gets the safe default answer (decline, grant nothing, no answers, a failed
    /// tool call), so a turn never waits forever. Tool calls have their own, shorter, timeout
    /// (see [`crate::registry`]).
    ///
    /// By default, 300 seconds.
    pub fn approval_timeout(mut self, timeout: Duration) -> Self {
        self.approval_timeout = Some(timeout);
        self
    }

    /// What the threads of this [`Codex`] record: the event log, the prices of usage, content
    /// capture on spans (see [`telemetry`](crate::telemetry)). Spans are emitted through
    /// `tracing` either way.
    ///
    /// By default, [`Telemetry::new`]: no event log, the built-in prices, no content.
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// The attachment store of this [`Codex`] (where [`TurnOptions::attach`] stages files,
    /// its quota and limits). It is opened, and what crashed processes left in it swept, on
    /// the first turn with attachments.
    ///
    /// By default, [`StoreOptions::new`]: the store lives in
    /// [`default_root`](crate::files::default_root) (`$XDG_CACHE_HOME/codex-sdk/attachments`,
    /// else `~/.cache/codex-sdk/attachments`, else a per-user directory in the system
    /// temporary directory), with a 4 GiB quota and files up to 512 MiB.
    ///
    /// [`TurnOptions::attach`]: crate::TurnOptions::attach
    pub fn attachment_store(mut self, options: StoreOptions) -> Self {
        self.attachment_store = options;
        self
    }
}

/// Finds the codex binary for a local transport.
fn discover(options: &CodexOptions) -> Result<CodexBinary, Error> {
    let mut discovery = Discovery::from_env();
    if let Some(path) = &options.codex_path {
        discovery = discovery.codex_path(path.clone());
    }
    discovery.discover().map_err(Error::from_exec)
}

/// The app-server connection options shared by the spawned and the remote app-server.
fn app_server_options(options: &CodexOptions) -> AppServerOptions {
    let mut app_server = AppServerOptions::new().process(options.process_options());
    if let Some(timeout) = options.approval_timeout {
        app_server = app_server.server_request_timeout(timeout);
    }
    // Every request carries the trace context of the span it is sent in (the turn's), when
    // an OpenTelemetry layer records one.
    app_server.trace_source(TraceSource::new(|| {
        codex_agent_telemetry::current_traceparent().map(TraceContext::new)
    }))
}

/// The first option set that only shapes a local codex process (see
/// [`CodexOptions::remote`]).
fn local_only_option(options: &CodexOptions) -> Option<&'static str> {
    if options.codex_path.is_some() {
        return Some("`CodexOptions::codex_path`");
    }
    options.exec.local_process_settings().first().copied()
}

/// The entry point: finds codex and starts or resumes threads.
///
/// Cheap to clone; clones share the options and the binary.
#[derive(Debug, Clone)]
pub struct Codex {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) options: CodexOptions,
    pub(crate) backend: Backend,
    /// The spare of the next `codex exec` turn (exec transport, unless turned off).
    pub(crate) prestart: Option<Prestart>,
    /// The attachment store, opened on first use.
    pub(crate) store: std::sync::Mutex<Option<Store>>,
    /// The MCP server of host tools on the exec transport: started by the first exec turn
    /// with tools, stopped (port closed, tasks ended) when the last clone of the [`Codex`]
    /// and its threads are dropped.
    #[cfg(feature = "mcp")]
    pub(crate) tool_server: tokio::sync::OnceCell<codex_agent_tools::mcp::McpServer>,
    /// The bearer token of [`tool_server`](Self::tool_server), drawn up front: the shared
    /// app-server gets it in its environment when it starts, before any hook is served.
    #[cfg(feature = "mcp")]
    pub(crate) tool_token: Secret,
}

/// The transport seam: what differs between the transports is behind this enum and
/// codex-agent-exec's two runtimes, never in `if transport == …` branches.
#[derive(Debug)]
pub(crate) enum Backend {
    /// One `codex exec` of this binary per turn.
    Exec(CodexBinary),
    /// The shared `codex app-server`, spawned or remote, and its turn runtime.
    AppServer(Runtime),
}

impl Codex {
    /// Finds codex and keeps the options for every turn. With a [`remote`] endpoint nothing
    /// is looked for or connected to yet: the first turn connects.
    ///
    /// # Errors
    ///
    /// [`Error::BinaryNotFound`] listing every place searched; with a [`remote`] endpoint,
    /// [`Error::Unsupported`] naming an option that only shapes a local process, and
    /// [`Error::InvalidOptions`] for [`Transport::Remote`] without an endpoint.
    ///
    /// [`remote`]: CodexOptions::remote
    pub fn new(options: CodexOptions) -> Result<Self, Error> {
        #[cfg(feature = "mcp")]
        let tool_token =
            codex_agent_tools::mcp::McpServer::fresh_token().map_err(|e| Error::ToolServer {
                reason: e.to_string(),
            })?;
        let backend = match options.transport {
            Transport::Exec => Backend::Exec(discover(&options)?),
            Transport::AppServer => {
                let exec = options.exec.clone();
                // The hooks' MCP server checks this token; the app-server reads it from the
                // variable each thread's `bearer_token_env_var` names (never from argv).
                #[cfg(feature = "mcp")]
                let exec = exec.secret_env_var(crate::thread::TOOL_TOKEN_ENV, tool_token.clone());
                Backend::AppServer(Runtime::new(
                    discover(&options)?,
                    exec,
                    app_server_options(&options),
                ))
            }
            Transport::Remote => {
                let Some(endpoint) = options.remote.clone() else {
                    return Err(Error::InvalidOptions(
                        codex_agent_exec::Error::InvalidEndpoint {
                            endpoint: String::new(),
                            reason: "`Transport::Remote` needs an endpoint: use `CodexOptions::remote`",
                        },
                    ));
                };
                if let Some(operation) = local_only_option(&options) {
                    return Err(Error::Unsupported {
                        operation,
                        transport: Transport::Remote,
                    });
                }
                Backend::AppServer(Runtime::remote(endpoint, app_server_options(&options)))
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                prestart: (matches!(backend, Backend::Exec(_)) && !options.no_prestart)
                    .then(Prestart::new),
                options,
                backend,
                store: std::sync::Mutex::new(None),
                #[cfg(feature = "mcp")]
                tool_server: tokio::sync::OnceCell::new(),
                #[cfg(feature = "mcp")]
                tool_token,
            }),
        })
    }

    /// The codex binary in use; `None` on [`Transport::Remote`], where codex runs elsewhere.
    #[must_use]
    pub fn binary(&self) -> Option<&CodexBinary> {
        match &self.inner.backend {
            Backend::Exec(binary) => Some(binary),
            Backend::AppServer(runtime) => runtime.binary(),
        }
    }

    /// The remote endpoint, on [`Transport::Remote`].
    #[must_use]
    pub fn remote_endpoint(&self) -> Option<&RemoteEndpoint> {
        self.inner.options.remote.as_ref()
    }

    /// The attachment store of this `Codex`, opened (and swept) on first use. Its methods do
    /// blocking file IO.
    ///
    /// # Errors
    ///
    /// [`Error::Attachment`] when the store cannot be created or locked.
    pub fn attachment_store(&self) -> Result<Store, Error> {
        let mut slot = self
            .inner
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = &*slot {
            return Ok(store.clone());
        }
        let store =
            Store::open(self.inner.options.attachment_store.clone()).map_err(Error::Attachment)?;
        *slot = Some(store.clone());
        Ok(store)
    }

    /// Stops this `Codex`'s app-server and waits for it to exit: its input is closed, codex
    /// exits on its own (flushing what it writes on a graceful stop, such as telemetry), and
    /// is stopped when it has not within the exit timeout. The threads it had loaded are
    /// released for another `Codex` to resume (see [`Error::ThreadBusy`]). Turns still
    /// running on it end with an error; a later turn starts a new app-server and resumes its
    /// thread there. On [`Transport::Remote`] the connection is closed and the server keeps
    /// running; on [`Transport::Exec`] there is nothing to stop (each turn's process ends
    /// with the turn) and this returns at once. The in-process MCP server of host tools and
    /// hooks is not a process: it serves until the last clone of this `Codex` is dropped.
    ///
    /// Dropping the last clone of a `Codex` (and its threads and turns) also stops the
    /// app-server, without waiting for it.
    ///
    /// # Cancel safety
    ///
    /// Dropped while it waits for a turn that is starting the app-server, it does nothing.
    /// Dropped later, the app-server still ends: it is stopped when the last turn running on
    /// it is dropped (at once when there is none), or exits on its own sooner when its input
    /// was closed already.
    ///
    /// # Errors
    ///
    /// [`Error::ProcessExit`] when codex did not exit with code 0 (the message has its last
    /// stderr line).
    pub async fn shutdown(&self) -> Result<(), Error> {
        match &self.inner.backend {
            Backend::Exec(_) => Ok(()),
            Backend::AppServer(runtime) => runtime.shutdown().await.map_err(Error::from_exec),
        }
    }

    /// Starts a new thread; its id is known after its first turn starts.
    #[must_use]
    pub fn start_thread(&self, options: ThreadOptions) -> Thread {
        Thread::new(self.clone(), options, None)
    }

    /// Resumes a thread by id (threads persist under `$CODEX_HOME/sessions`): with `codex exec
    /// resume`, or `thread/resume` before the first turn on the app-server.
    ///
    /// Only one process may write to a thread at a time. A `codex app-server` holds every
    /// thread it loaded for as long as it lives, and a `codex exec` the thread of its turn for
    /// the turn. Resuming a thread another live process holds (the app-server of another
    /// [`Codex`] on the same `CODEX_HOME`, say) fails the first turn with
    /// [`Error::ThreadBusy`], on either transport. Resume it through the `Codex` that ran it,
    /// or stop that one first ([`Codex::shutdown`]). An id codex does not store, or one that
    /// is not a thread id at all (codex's are UUIDs), fails the first turn with
    /// [`Error::ThreadNotFound`]; the latter before anything is started.
    #[must_use]
    pub fn resume_thread(&self, id: impl Into<String>, options: ThreadOptions) -> Thread {
        Thread::new(self.clone(), options, Some(id.into()))
    }
}
