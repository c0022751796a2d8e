//! [`AppServer`]: a connection to `codex app-server`, with typed calls; [`TurnStream`]: the
//! notifications of one turn.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use codex_agent_protocol::app_server::{
    ClientInfo, GetAccountParams, GetAccountResponse, InitializeCapabilities, InitializeParams,
    InitializeResponse, ListMcpServerStatusParams, ListMcpServerStatusResponse, ModelListParams,
    ModelListResponse, Notification, Response, ServerNotification, ThreadArchiveParams,
    ThreadArchiveResponse, ThreadForkParams, ThreadForkResponse, ThreadListParams,
    ThreadListResponse, ThreadReadParams, ThreadReadResponse, ThreadResumeParams,
    ThreadResumeResponse, ThreadSetNameParams, ThreadSetNameResponse, ThreadStartParams,
    ThreadStartResponse, ThreadUnarchiveParams, ThreadUnarchiveResponse, Turn,
    TurnCompletedNotification, TurnInterruptParams, TurnInterruptResponse, TurnStartParams,
    TurnStartResponse, TurnSteerParams, TurnSteerResponse,
};
use futures::stream::FusedStream;
use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

use super::capabilities::{Capabilities, ServerInfo};
use super::connection::{self, Inner, ProcessParts, Settings, TurnHook};
use super::handlers::Handlers;
use super::options::AppServerOptions;
use super::router::{Filter, Subscription};
use super::transport::Wire;
use crate::command::{config_args, env_plan};
use crate::{CodexBinary, CodexOptions, CommandSpec, EnvPlan, Error, ProcessSpec, supervisor};

/// The JSON-RPC code codex answers `turn/interrupt` with when no turn is running.
const INVALID_REQUEST: i64 = -32600;

/// A connection to `codex app-server`: typed requests, notification subscriptions, and the
/// handlers that answer the server's requests. See the [module docs](super) for the
/// guarantees.
///
/// Requests take `&self`: share the connection with an `Arc` to use it from several tasks.
/// Dropping it stops the app-server (`SIGTERM` to its process group, `SIGKILL` after the
/// grace period); every pending request and open subscription then fails with
/// [`Error::AppServerClosed`]. [`AppServer::shutdown`] ends it politely instead.
#[derive(Debug)]
pub struct AppServer {
    inner: Arc<Inner>,
    info: ServerInfo,
    capabilities: Capabilities,
    handlers: Handlers,
    request_timeout: Duration,
    exit_timeout: Duration,
    startup: Vec<Notification<ServerNotification>>,
}

impl Drop for AppServer {
    fn drop(&mut self) {
        self.inner.kill();
    }
}

/// Stops a connection whose handshake did not finish.
struct Connecting(Option<Arc<Inner>>);

impl Connecting {
    fn inner(&self) -> &Inner {
        self.0
            .as_deref()
            .expect("the connection is only taken out when the handshake succeeded")
    }

    fn finish(mut self) -> Arc<Inner> {
        self.0
            .take()
            .expect("the connection is taken out once, when the handshake succeeded")
    }
}

impl Drop for Connecting {
    fn drop(&mut self) {
        if let Some(inner) = &self.0 {
            inner.kill();
        }
    }
}

impl AppServer {
    /// Spawns `codex app-server --listen stdio://` and performs the handshake.
    ///
    /// The process gets the same treatment as `codex exec` (see the crate docs): the
    /// `--config` flags and environment built from `codex` ([`CodexOptions::config`], the
    /// raw overrides, the base URL, the API key as `CODEX_API_KEY`, the originator, the
    /// package's `PATH` directories), its own process group, the parent-death signal, and a
    /// redacted stderr tail for errors. Stdin stays open: it carries the requests.
    ///
    /// Must be called from within a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Spawn`]; [`Error::ConfigNull`] and [`Error::ConfigEmptyKey`] for bad config;
    /// [`Error::Cancelled`] when the cancel handle of [`AppServerOptions::process`] is already
    /// cancelled; the errors of the handshake: [`Error::AppServerClosed`] (codex exited, with
    /// its stderr tail), [`Error::RequestTimeout`], [`Error::Rpc`], [`Error::InvalidResult`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops the app-server.
    pub async fn spawn(
        binary: &CodexBinary,
        codex: &CodexOptions,
        options: AppServerOptions,
    ) -> Result<Self, Error> {
        let command = Self::command(binary, codex)?;
        let env = command.env().clone();
        let mut spec = ProcessSpec::from(command).stdin_open();
        if let Some(dir) = &options.current_dir {
            spec = spec.current_dir(dir);
        }
        let cancel = options.process.cancel.clone().unwrap_or_default();
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        // The app-server outlives turns: the turn and idle timeouts of `codex exec` do not
        // apply to it.
        let mut process = options.process.clone();
        process.turn_timeout = None;
        process.idle_timeout = None;
        // The process outlives the turn (or other span) it was started in: its span is a root
        // of its own, so that it does not keep a caller's span open for its whole life.
        let root = tracing::debug_span!(parent: None, "codex_app_server");
        let spawned = root.in_scope(|| supervisor::spawn(spec, &process, &cancel))?;
        let parts = ProcessParts {
            pid: spawned.pid,
            shared: spawned.shared,
            outcome: spawned.outcome,
            stderr_task: spawned.stderr_task,
            tail: spawned.tail,
            redactor: spawned.redactor,
            exit_timeout: options.process.exit_timeout,
            containment: spawned.containment,
            orphans: spawned.orphans,
        };
        let Some(stdin) = spawned.stdin else {
            parts.shared.request_stop(supervisor::Reason::Dropped);
            return Err(Error::Spawn {
                program: binary.path().to_path_buf(),
                source: std::io::Error::other("the stdin of codex app-server was not kept open"),
            });
        };
        let wire = Wire::Stream {
            reader: Box::new(spawned.stdout),
            writer: Box::new(stdin),
        };
        let inner = connection::start(wire, settings(&options), Some(parts), None);
        Self::handshake(Connecting(Some(inner)), &options, Some((binary, &env))).await
    }

    /// The command [`spawn`](Self::spawn) runs: `codex app-server --listen stdio://` with the
    /// `--config` flags, environment and secrets built from `codex`, exactly as for
    /// `codex exec` (see [`ThreadOptions`](crate::ThreadOptions#lowering) for the table).
    /// Stdin is empty here; `spawn` keeps it open as the request channel.
    ///
    /// The environment is [`CodexOptions::env`] when set, else this process's environment.
    ///
    /// # Errors
    ///
    /// [`Error::ConfigNull`] and [`Error::ConfigEmptyKey`] for bad config.
    pub fn command(binary: &CodexBinary, codex: &CodexOptions) -> Result<CommandSpec, Error> {
        let env = env_plan(codex, binary, None);
        let mut args: Vec<std::ffi::OsString> = ["app-server", "--listen", "stdio://"]
            .into_iter()
            .map(Into::into)
            .collect();
        args.extend(config_args(codex, &env)?);
        Ok(CommandSpec {
            program: binary.path().to_path_buf(),
            args,
            secrets: codex.secrets_for(&env),
            env,
            stdin: String::new(),
            schema_file: None,
        })
    }

    /// Performs the handshake over a caller's transport (`reader` yields the server's lines,
    /// `writer` takes the client's), for example a socket, an in-process pipe, or a
    /// record/replay transport in tests. No process is involved: [`AppServer::pid`] is
    /// `None`, and [`Error::AppServerClosed`] carries no exit status or stderr.
    ///
    /// # Errors
    ///
    /// The errors of the handshake: [`Error::AppServerClosed`], [`Error::RequestTimeout`],
    /// [`Error::Rpc`], [`Error::InvalidResult`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection.
    pub async fn connect<R, W>(
        reader: R,
        writer: W,
        options: AppServerOptions,
    ) -> Result<Self, Error>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let wire = Wire::Stream {
            reader: Box::new(reader),
            writer: Box::new(writer),
        };
        let inner = connection::start(wire, settings(&options), None, None);
        Self::handshake(Connecting(Some(inner)), &options, None).await
    }

    /// Connects to a remote `codex app-server --listen ws://IP:PORT` over a WebSocket,
    /// presenting the endpoint's token, and performs the handshake. The server's own
    /// configuration, `CODEX_HOME` and filesystem apply: nothing of [`CodexOptions`] is sent.
    /// No process is involved: [`AppServer::pid`] is `None`, dropping the client closes the
    /// socket, and a dropped socket fails everything in flight with
    /// [`Error::RemoteClosed`] (see [`RemoteEndpoint`](super::RemoteEndpoint) for the
    /// reconnect policy). The options' process settings do not apply.
    ///
    /// # Errors
    ///
    /// [`Error::RemoteUnreachable`], [`Error::RemoteTimeout`] (the endpoint's connect
    /// timeout), [`Error::RemoteUnauthorized`] for a wrong or missing token,
    /// [`Error::RemoteRefused`]; then the errors of the handshake.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection.
    pub async fn connect_remote(
        endpoint: &super::RemoteEndpoint,
        options: AppServerOptions,
    ) -> Result<Self, Error> {
        let ws = endpoint.open(options.process.max_line_len).await?;
        let wire = Wire::WebSocket(Box::new(ws));
        let inner = connection::start(wire, settings(&options), None, Some(endpoint));
        tracing::debug!(
            endpoint = endpoint.url(),
            "connected to a remote codex app-server"
        );
        Self::handshake(Connecting(Some(inner)), &options, None).await
    }

    /// `initialize`, then `initialized`; reads the version and the capabilities.
    async fn handshake(
        connecting: Connecting,
        options: &AppServerOptions,
        probe: Option<(&CodexBinary, &EnvPlan)>,
    ) -> Result<Self, Error> {
        let inner = connecting.inner();
        let mut client_info = ClientInfo::new(&options.client_name, &options.client_version);
        if let Some(title) = &options.client_title {
            client_info = client_info.title(title);
        }
        let mut capabilities =
            InitializeCapabilities::default().experimental_api(options.experimental_api);
        if !options.opt_out_notification_methods.is_empty() {
            capabilities = capabilities
                .opt_out_notification_methods(options.opt_out_notification_methods.clone());
        }
        let params = InitializeParams::new(client_info).capabilities(capabilities);
        let result = inner
            .request("initialize", Some(&params), options.request_timeout, None)
            .await?;
        let response: InitializeResponse = parse_result("initialize", result)?;
        inner.notify::<()>("initialized", None).await?;
        let info = ServerInfo::new(response);
        tracing::debug!(
            user_agent = info.user_agent(),
            "codex app-server initialized"
        );
        let capabilities = match (Capabilities::for_version(info.version()), probe) {
            (Some(known), _) => known,
            (None, Some((binary, env))) if options.capability_probe => {
                Capabilities::probe(binary, env, &options.process).await
            }
            (None, _) => Capabilities::unknown(),
        };
        let startup = inner.take_startup_notifications();
        Ok(Self {
            inner: connecting.finish(),
            info,
            capabilities,
            handlers: options.handlers.clone(),
            request_timeout: options.request_timeout,
            exit_timeout: options.process.exit_timeout,
            startup,
        })
    }

    /// `text` from the server, redacted with this connection's redactor (the process's
    /// secrets, or the remote endpoint's token, and the built-in patterns).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.inner.redact(text)
    }

    /// How many messages codex sent on this connection so far.
    pub(crate) fn messages_received(&self) -> u64 {
        self.inner.received()
    }

    /// Stops codex (its process group) because it stopped answering; every request and
    /// stream then fails with [`Error::AppServerClosed`].
    pub(crate) fn kill_hung(&self) {
        self.inner.kill_hung();
    }

    /// The process id of codex, when this client spawned it.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.inner.pid()
    }

    /// How the processes the app-server starts are contained (see
    /// [`Containment`](crate::Containment)), when this client spawned it. Besides the
    /// cleanup when the process ends, what a turn detached from codex (a member of the scope
    /// that does not descend from codex) is killed when the last running turn of
    /// [`Runtime`](super::Runtime) ends.
    #[must_use]
    pub fn containment(&self) -> Option<crate::Containment> {
        self.inner.containment()
    }

    /// Counts a turn as running until the guard is dropped (see [`containment`](Self::containment)).
    pub(crate) fn begin_turn(&self) -> Option<crate::containment::ActiveTurn> {
        self.inner.begin_turn()
    }

    /// What the server said about itself in the handshake (user agent, version, home).
    #[must_use]
    pub fn server_info(&self) -> &ServerInfo {
        &self.info
    }

    /// The request fields the running codex accepts.
    #[must_use]
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// Whether the connection is closed or closing: codex exited or closed its output, or the
    /// client stopped it. Every request then fails with [`Error::AppServerClosed`]; a
    /// connection open now may still close before the next request.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The handlers of server requests; add or replace handlers here while the connection
    /// runs.
    #[must_use]
    pub fn handlers(&self) -> &Handlers {
        &self.handlers
    }

    /// Notifications the server sent during the handshake, before anyone could subscribe
    /// (`configWarning`, `remoteControl/status/changed`), at most the subscription capacity.
    #[must_use]
    pub fn startup_notifications(&self) -> &[Notification<ServerNotification>] {
        &self.startup
    }

    /// Every notification from now on.
    pub fn subscribe_all(&self) -> Subscription {
        self.inner.subscribe(Filter::All)
    }

    /// Every notification of one thread from now on (its turns, items, status, token usage).
    pub fn subscribe_thread(&self, thread_id: impl Into<String>) -> Subscription {
        self.inner.subscribe(Filter::Thread(thread_id.into()))
    }

    /// Sends a request with raw params and returns its raw result, for methods without a
    /// typed call here. Uses the request timeout of the options.
    ///
    /// # Errors
    ///
    /// [`Error::Rpc`] when the server refuses it, [`Error::RequestTimeout`],
    /// [`Error::AppServerClosed`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the server may still carry it out.
    pub async fn request(&self, method: &str, params: Option<Value>) -> Result<Value, Error> {
        self.request_with_timeout(method, params, self.request_timeout)
            .await
    }

    /// [`AppServer::request`] with its own timeout.
    ///
    /// # Errors
    ///
    /// As [`AppServer::request`].
    ///
    /// # Cancel safety
    ///
    /// As [`AppServer::request`].
    pub async fn request_with_timeout(
        &self,
        method: &str,
        params: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, Error> {
        self.inner
            .request(method, params.as_ref(), timeout, None)
            .await
    }

    /// Sends a notification with raw params.
    ///
    /// # Errors
    ///
    /// [`Error::AppServerClosed`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the message is queued sends nothing.
    pub async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), Error> {
        self.inner.notify(method, params.as_ref()).await
    }

    async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, Error> {
        let result = self
            .inner
            .request(method, Some(params), self.request_timeout, None)
            .await?;
        parse_result(method, result)
    }

    /// `thread/start`: creates a thread. `thread/started` follows.
    ///
    /// # Errors
    ///
    /// [`Error::Rpc`] (for example `-32600 "thread/start.dynamicTools requires
    /// experimentalApi capability"`), [`Error::RequestTimeout`], [`Error::AppServerClosed`],
    /// [`Error::InvalidResult`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be created.
    pub async fn thread_start(
        &self,
        params: ThreadStartParams,
    ) -> Result<ThreadStartResponse, Error> {
        self.call("thread/start", &params).await
    }

    /// `thread/resume`: loads a stored thread into the server.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// As [`AppServer::thread_start`].
    pub async fn thread_resume(
        &self,
        params: ThreadResumeParams,
    ) -> Result<ThreadResumeResponse, Error> {
        self.call("thread/resume", &params).await
    }

    /// `thread/fork`: copies a thread into a new one.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// As [`AppServer::thread_start`].
    pub async fn thread_fork(&self, params: ThreadForkParams) -> Result<ThreadForkResponse, Error> {
        self.call("thread/fork", &params).await
    }

    /// `thread/list`: one page of stored threads.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: listing changes nothing.
    pub async fn thread_list(&self, params: ThreadListParams) -> Result<ThreadListResponse, Error> {
        self.call("thread/list", &params).await
    }

    /// `thread/read`: reads a stored thread without loading it.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    pub async fn thread_read(&self, params: ThreadReadParams) -> Result<ThreadReadResponse, Error> {
        self.call("thread/read", &params).await
    }

    /// `thread/archive`.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be archived.
    pub async fn thread_archive(&self, thread_id: impl Into<String>) -> Result<(), Error> {
        let _: ThreadArchiveResponse = self
            .call("thread/archive", &ThreadArchiveParams::new(thread_id))
            .await?;
        Ok(())
    }

    /// `thread/unarchive`: restores an archived thread.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be restored.
    pub async fn thread_unarchive(
        &self,
        thread_id: impl Into<String>,
    ) -> Result<ThreadUnarchiveResponse, Error> {
        self.call("thread/unarchive", &ThreadUnarchiveParams::new(thread_id))
            .await
    }

    /// `thread/name/set`. `thread/name/updated` follows.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the name may still be set.
    pub async fn thread_set_name(
        &self,
        thread_id: impl Into<String>,
        name: impl Into<String>,
    ) -> Result<(), Error> {
        let _: ThreadSetNameResponse = self
            .call(
                "thread/name/set",
                &ThreadSetNameParams::new(thread_id, name),
            )
            .await?;
        Ok(())
    }

    /// `thread/delete`: deletes a stored thread (its rollout file and index entry).
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be deleted.
    pub async fn thread_delete(&self, thread_id: impl Into<String>) -> Result<(), Error> {
        let params = serde_json::json!({ "threadId": thread_id.into() });
        self.request("thread/delete", Some(params)).await?;
        Ok(())
    }

    /// `thread/revert`: drops the turn `before_turn_id` and every later turn from the
    /// thread's history.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the turns may still be dropped.
    pub async fn thread_revert(
        &self,
        thread_id: impl Into<String>,
        before_turn_id: impl Into<String>,
    ) -> Result<(), Error> {
        let params = serde_json::json!({
            "threadId": thread_id.into(),
            "beforeTurnId": before_turn_id.into(),
        });
        self.request("thread/revert", Some(params)).await?;
        Ok(())
    }

    /// `turn/start`: starts a turn and returns the stream of its notifications, from
    /// `turn/started` to `turn/completed`, including those that arrived before the response.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the turn may still run (interrupt it with
    /// [`AppServer::turn_interrupt`] once its id is known from
    /// [`AppServer::subscribe_thread`]).
    pub async fn turn_start(&self, params: TurnStartParams) -> Result<TurnStream, Error> {
        let thread_id = params.thread_id.clone();
        let (sink, subscription) = self.inner.turn_channel();
        let hook = TurnHook {
            thread_id: thread_id.clone(),
            sink,
        };
        let result = self
            .inner
            .request(
                "turn/start",
                Some(&params),
                self.request_timeout,
                Some(hook),
            )
            .await?;
        let response: TurnStartResponse = parse_result("turn/start", result)?;
        Ok(TurnStream {
            subscription,
            thread_id,
            turn: response.turn,
        })
    }

    /// `turn/steer`: adds input to the running turn `expectedTurnId`; it shows up as a
    /// `userMessage` item of that turn.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`]; [`Error::Rpc`] with code `-32600` when that turn is
    /// not the running one.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the input may still be added.
    pub async fn turn_steer(&self, params: TurnSteerParams) -> Result<TurnSteerResponse, Error> {
        self.call("turn/steer", &params).await
    }

    /// `turn/interrupt`: stops a running turn, which then completes with status
    /// `interrupted`. A turn that is not running counts as interrupted: codex's `-32600 "no
    /// active turn to interrupt"` is success here.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the turn may still be interrupted.
    pub async fn turn_interrupt(
        &self,
        thread_id: impl Into<String>,
        turn_id: impl Into<String>,
    ) -> Result<(), Error> {
        let params = TurnInterruptParams::new(thread_id, turn_id);
        match self
            .call::<_, TurnInterruptResponse>("turn/interrupt", &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::Rpc { code, message, .. })
                if code == INVALID_REQUEST && message.contains("no active turn") =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// `thread/backgroundTerminals/terminate` (experimental API): stops one command codex
    /// keeps running for the thread. codex runs the model's commands (unified exec) as
    /// background terminals, which outlive the turn that started them, even an interrupted
    /// one; `process_id` is the `processId` of the command's `commandExecution` item. Returns
    /// whether a running command was stopped (`false` when it had already ended).
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`]; [`Error::Rpc`] with code `-32600` for a thread not
    /// loaded on this server or a malformed process id, or when the connection did not opt
    /// into the experimental API ([`AppServerOptions::experimental_api`]).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the command may still be stopped.
    pub async fn thread_background_terminals_terminate(
        &self,
        thread_id: impl Into<String>,
        process_id: impl Into<String>,
    ) -> Result<bool, Error> {
        let params = BackgroundTerminalParams {
            thread_id: thread_id.into(),
            process_id: process_id.into(),
        };
        let response: BackgroundTerminalTerminated = self
            .call("thread/backgroundTerminals/terminate", &params)
            .await?;
        Ok(response.terminated)
    }

    /// `model/list`: one page of the model catalog.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: listing changes nothing.
    pub async fn model_list(&self, params: ModelListParams) -> Result<ModelListResponse, Error> {
        self.call("model/list", &params).await
    }

    /// `account/read`: how codex authenticates, if at all.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, unless `refreshToken` is set: then the token may still be refreshed.
    pub async fn account_read(
        &self,
        params: GetAccountParams,
    ) -> Result<GetAccountResponse, Error> {
        self.call("account/read", &params).await
    }

    /// `mcpServerStatus/list`: one page of the configured MCP servers, with their tools.
    ///
    /// # Errors
    ///
    /// As [`AppServer::thread_start`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: listing changes nothing (codex may still start the servers to ask them).
    pub async fn mcp_server_status_list(
        &self,
        params: ListMcpServerStatusParams,
    ) -> Result<ListMcpServerStatusResponse, Error> {
        self.call("mcpServerStatus/list", &params).await
    }

    /// Closes stdin, waits (bounded by the exit timeout) for codex to exit, stopping it if
    /// it does not, and fails whatever is still pending with [`Error::AppServerClosed`].
    ///
    /// # Errors
    ///
    /// [`Error::AppServerClosed`] when codex did not exit with code 0 (its stderr tail
    /// included).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops the app-server, as dropping the client does.
    pub async fn shutdown(self) -> Result<(), Error> {
        self.close().await
    }

    /// [`AppServer::shutdown`] through a shared handle, for the runtime: other handles see a
    /// closed client afterwards.
    pub(crate) async fn close(&self) -> Result<(), Error> {
        // Closing the input waits for room in the write queue, which a codex that stopped
        // reading never makes: the exit timeout bounds both steps.
        let graceful = async {
            self.inner.close_input().await;
            self.inner.wait_closed().await
        };
        if tokio::time::timeout(self.exit_timeout, graceful)
            .await
            .is_err()
        {
            self.inner.kill_for_exit_timeout();
            self.inner.wait_closed().await;
        }
        match self.inner.closed() {
            Some(closed) if !closed.is_clean() => Err(closed.error()),
            _ => Ok(()),
        }
    }
}

fn settings(options: &AppServerOptions) -> Settings {
    Settings {
        max_line_len: options.process.max_line_len,
        write_queue_len: options.write_queue_len,
        subscription_capacity: options.subscription_capacity,
        server_request_timeout: options.server_request_timeout,
        handlers: options.handlers.clone(),
        trace_source: options.trace_source.clone(),
    }
}

/// `ThreadBackgroundTerminalsTerminateParams` (experimental).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackgroundTerminalParams {
    thread_id: String,
    process_id: String,
}

/// `ThreadBackgroundTerminalsTerminateResponse` (experimental).
#[derive(Deserialize)]
struct BackgroundTerminalTerminated {
    terminated: bool,
}

/// Parses a result into the method's response type.
pub(super) fn parse_result<T: DeserializeOwned>(method: &str, result: Value) -> Result<T, Error> {
    Response::new(0, result)
        .result_as()
        .map_err(|source| Error::InvalidResult {
            method: method.to_owned(),
            source,
        })
}

/// The notifications of one turn, from `turn/started` (even when it arrived before the
/// `turn/start` response) to `turn/completed`, which is the last item.
///
/// A [`Subscription`] with the turn attached: the same ordering, buffering and error
/// guarantees. Dropping it unsubscribes; the turn goes on (interrupt it with
/// [`AppServer::turn_interrupt`]).
#[must_use = "a turn stream buffers notifications until it is polled or dropped"]
#[derive(Debug)]
pub struct TurnStream {
    subscription: Subscription,
    thread_id: String,
    turn: Turn,
}

impl TurnStream {
    /// The thread.
    #[must_use]
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// The turn id.
    #[must_use]
    pub fn turn_id(&self) -> &str {
        &self.turn.id
    }

    /// The turn as the `turn/start` response described it (`inProgress`, no items).
    #[must_use]
    pub fn turn(&self) -> &Turn {
        &self.turn
    }

    /// Drains the stream and returns the `turn/completed` notification, whose turn has the
    /// final status (`completed`, `interrupted`, `failed`), error and items.
    ///
    /// # Errors
    ///
    /// The stream's error ([`Error::Lagged`], [`Error::AppServerClosed`]).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the stream; the turn goes on.
    pub async fn completion(mut self) -> Result<TurnCompletedNotification, Error> {
        while let Some(note) = self.next().await {
            if let ServerNotification::TurnCompleted(completed) = note?.body {
                return Ok(*completed);
            }
        }
        // A turn stream ends cleanly only after `turn/completed`.
        Err(Error::AppServerClosed {
            code: None,
            signal: None,
            stderr: String::new(),
        })
    }
}

impl Stream for TurnStream {
    type Item = Result<Notification<ServerNotification>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.subscription).poll_next(cx)
    }
}

impl FusedStream for TurnStream {
    fn is_terminated(&self) -> bool {
        self.subscription.is_terminated()
    }
}
