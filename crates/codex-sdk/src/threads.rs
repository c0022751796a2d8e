//! Threads as data: list, read, fork, archive, rename, roll back and delete stored threads
//! ([`Codex::list_threads`] and its siblings), and what the app-server knows besides (models,
//! account, MCP server status).
//!
//! | operation | exec | app-server |
//! |---|---|---|
//! | [`list_threads`](Codex::list_threads), [`read_thread`](Codex::read_thread) | read from the rollout files under `$CODEX_HOME/sessions` | `thread/list`, `thread/read` |
//! | [`fork_thread`](Codex::fork_thread) | `codex exec fork <id>` (the whole thread; at a turn: [`Error::Unsupported`]) | `thread/fork` |
//! | [`archive_thread`](Codex::archive_thread), [`unarchive_thread`](Codex::unarchive_thread), [`rename_thread`](Codex::rename_thread), [`rollback_thread`](Codex::rollback_thread), [`delete_thread`](Codex::delete_thread), [`import_thread`](Codex::import_thread) | [`Error::Unsupported`] (codex indexes its threads in a database that rewriting files would leave wrong) | `thread/archive`, `thread/unarchive`, `thread/name/set`, `thread/revert`, `thread/delete`, `thread/start` + `thread/inject_items` |
//! | [`models`](Codex::models), [`account`](Codex::account), [`rate_limits`](Codex::rate_limits), [`mcp_server_status`](Codex::mcp_server_status) | [`Error::Unsupported`] | `model/list`, `account/read`, `account/rateLimits/read`, `mcpServerStatus/list` |
//! | [`set_goal`](Codex::set_goal), [`goal`](Codex::goal), [`clear_goal`](Codex::clear_goal), [`goal_events`](Codex::goal_events) | [`Error::Unsupported`] | `thread/goal/set`, `thread/goal/get`, `thread/goal/clear`, `thread/goal/updated` and `thread/goal/cleared` |
//!
//! Both transports give the same [`ThreadRecord`]: each turn's prompt and the items it
//! streamed, in the exec item model.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use codex_agent_exec::SessionStore;
use codex_agent_exec::app_server::AppServer;
use codex_agent_exec::{CodexBinary, ExecRequest, ExecStream, Input};
use codex_agent_protocol::app_server::{
    GetAccountParams, GetAccountResponse, ListMcpServerStatusParams, ListMcpServerStatusResponse,
    Model, ModelListParams, SortDirection, ThreadForkParams, ThreadListParams, ThreadReadParams,
    ThreadResumeParams, ThreadSortKey, ThreadSourceKind,
};
use codex_agent_protocol::exec::ThreadEvent;
use codex_agent_protocol::history::{EXPORT_VERSION, ThreadExport};
use codex_agent_protocol::history::{ThreadRecord, ThreadSummary};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt as _};

use crate::codex::{Backend, Codex, Transport};
use crate::error::Error;
use crate::thread::Thread;
use crate::thread_options::ThreadOptions;

/// Filters and page size of [`Codex::list_threads`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct ThreadListOptions {
    archived: bool,
    cwd: Option<String>,
    search: Option<String>,
    page_size: Option<u32>,
}

impl ThreadListOptions {
    /// Every thread that is not archived, newest first.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists archived threads instead.
    ///
    /// By default, `false`: archived threads are hidden.
    pub fn archived(mut self, archived: bool) -> Self {
        self.archived = archived;
        self
    }

    /// Only threads whose working directory is `cwd` (as codex recorded it, symlinks
    /// resolved).
    ///
    /// By default, threads of every directory.
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Only threads whose name or first prompt contains `term`.
    ///
    /// By default, no search.
    pub fn search(mut self, term: impl Into<String>) -> Self {
        self.search = Some(term.into());
        self
    }

    /// How many threads one request to the app-server fetches (the stream fetches the next
    /// page when this one is used up).
    ///
    /// By default, the app-server's default.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    fn matches(&self, summary: &ThreadSummary) -> bool {
        self.cwd.as_ref().is_none_or(|cwd| &summary.cwd == cwd)
            && self.search.as_ref().is_none_or(|term| {
                summary.preview.contains(term.as_str())
                    || summary
                        .name
                        .as_deref()
                        .is_some_and(|n| n.contains(term.as_str()))
            })
    }
}

type Page = Result<(Vec<ThreadSummary>, Option<String>), Error>;

/// The stream of [`Codex::list_threads`]: [`ThreadSummary`]s, newest update first, fetched
/// a page at a time. Dropping it stops fetching.
#[must_use = "a stream does nothing unless polled"]
pub struct ThreadList {
    buffered: VecDeque<ThreadSummary>,
    fetch: Option<BoxFuture<'static, Page>>,
    next: Option<Box<dyn FnMut(String) -> BoxFuture<'static, Page> + Send>>,
}

impl std::fmt::Debug for ThreadList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadList")
            .field("buffered", &self.buffered.len())
            .field("fetching", &self.fetch.is_some())
            .finish_non_exhaustive()
    }
}

impl Stream for ThreadList {
    type Item = Result<ThreadSummary, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(summary) = this.buffered.pop_front() {
                return Poll::Ready(Some(Ok(summary)));
            }
            let Some(fetch) = this.fetch.as_mut() else {
                return Poll::Ready(None);
            };
            match fetch.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.fetch = None;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Ok((page, cursor))) => {
                    this.buffered.extend(page);
                    this.fetch = match (cursor, this.next.as_mut()) {
                        (Some(cursor), Some(next)) => Some(next(cursor)),
                        _ => None,
                    };
                }
            }
        }
    }
}

/// Every source an SDK or a person starts threads from (`thread/list` lists only
/// interactive ones unless told).
const LISTED_SOURCES: [ThreadSourceKind; 4] = [
    ThreadSourceKind::Cli,
    ThreadSourceKind::Vscode,
    ThreadSourceKind::Exec,
    ThreadSourceKind::AppServer,
];

fn unsupported(operation: &'static str) -> Error {
    Error::Unsupported {
        operation,
        transport: Transport::Exec,
    }
}

impl Codex {
    fn sessions(&self) -> Result<SessionStore, Error> {
        self.inner
            .options
            .exec
            .codex_home()
            .map(SessionStore::new)
            .ok_or_else(|| Error::from_exec(codex_agent_exec::Error::NoCodexHome))
    }

    /// The live app-server, or [`Error::Unsupported`] naming `operation` on exec.
    pub(crate) async fn server(
        &self,
        operation: &'static str,
    ) -> Result<std::sync::Arc<AppServer>, Error> {
        match &self.inner.backend {
            Backend::Exec(_) => Err(unsupported(operation)),
            Backend::AppServer(runtime) => runtime.server().await.map_err(Error::from_exec),
        }
    }

    /// The stored threads, newest update first, as a stream fetched a page at a time. On the
    /// exec transport they are read from the rollout files under `$CODEX_HOME/sessions`
    /// (`archived_sessions` for archived ones).
    ///
    /// Errors come as the stream's items: [`Error::Io`] when the files cannot be read, the
    /// app-server's errors on that transport.
    pub fn list_threads(&self, options: ThreadListOptions) -> ThreadList {
        match &self.inner.backend {
            Backend::Exec(_) => {
                let codex = self.clone();
                let fetch: BoxFuture<'static, Page> = Box::pin(async move {
                    let store = codex.sessions()?;
                    let all = store
                        .list_async(options.archived)
                        .await
                        .map_err(Error::from_exec)?;
                    Ok((
                        all.into_iter().filter(|s| options.matches(s)).collect(),
                        None,
                    ))
                });
                ThreadList {
                    buffered: VecDeque::new(),
                    fetch: Some(fetch),
                    next: None,
                }
            }
            Backend::AppServer(_) => {
                let codex = self.clone();
                let page = move |cursor: Option<String>| -> BoxFuture<'static, Page> {
                    let codex = codex.clone();
                    let options = options.clone();
                    Box::pin(async move {
                        let server = codex.server("listing threads").await?;
                        let mut params = ThreadListParams::default();
                        params.cursor = cursor;
                        params.limit = options.page_size.map(i64::from);
                        params.archived = Some(options.archived);
                        params.cwd = options.cwd.clone().map(serde_json::Value::String);
                        params.search_term.clone_from(&options.search);
                        params.source_kinds = Some(LISTED_SOURCES.to_vec());
                        params.sort_key = Some(ThreadSortKey::UpdatedAt);
                        params.sort_direction = Some(SortDirection::Desc);
                        let response =
                            server.thread_list(params).await.map_err(Error::from_exec)?;
                        let page = response
                            .data
                            .iter()
                            .map(ThreadSummary::from_app_server)
                            .collect();
                        Ok((page, response.next_cursor))
                    })
                };
                let first = page(None);
                ThreadList {
                    buffered: VecDeque::new(),
                    fetch: Some(first),
                    next: Some(Box::new(move |cursor| page(Some(cursor)))),
                }
            }
        }
    }

    /// The stored thread `id` with its turns and their items. A rollout line that cannot be
    /// read (exec) is listed in [`ThreadRecord::problems`], naming the line, and the rest of
    /// the thread is read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotFound`] for an id this `CODEX_HOME` does not have; [`Error::Io`]
    /// when a file cannot be read; the app-server's errors on that transport.
    pub async fn read_thread(&self, id: &str) -> Result<ThreadRecord, Error> {
        match &self.inner.backend {
            Backend::Exec(_) => self
                .sessions()?
                .read_async(id)
                .await
                .map_err(Error::from_exec),
            Backend::AppServer(_) => {
                let server = self.server("reading a thread").await?;
                let params: ThreadReadParams = serde_json::from_value(
                    serde_json::json!({ "threadId": id, "includeTurns": true }),
                )
                .map_err(|_| Error::ThreadNotFound { id: id.to_owned() })?;
                let response = server
                    .thread_read(params)
                    .await
                    .map_err(|e| not_found(e, id))?;
                Ok(ThreadRecord::from_app_server(&response.thread))
            }
        }
    }

    /// Forks the stored thread `id` into a new thread with its history (up to and including
    /// the turn `at_turn` when given, else all of it) and returns the new thread, resumed
    /// with `options`. Its next turn sends the earlier history to the model.
    ///
    /// On exec this runs `codex exec fork <id>` without a prompt, which only creates the
    /// fork; forking at a turn is [`Error::Unsupported`] there (`codex exec fork` has no
    /// such option).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request (on exec, stops codex); the fork may still be
    /// created.
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotFound`]; [`Error::Unsupported`] for `at_turn` on exec; the
    /// app-server's or codex's errors.
    pub async fn fork_thread(
        &self,
        id: &str,
        at_turn: Option<&str>,
        options: ThreadOptions,
    ) -> Result<Thread, Error> {
        if let Backend::Exec(binary) = &self.inner.backend {
            return self.fork_on_exec(binary, id, at_turn, options).await;
        }
        let server = self.server("forking a thread").await?;
        let mut params = ThreadForkParams::new(id);
        params.last_turn_id = at_turn.map(str::to_owned);
        let response = server
            .thread_fork(params)
            .await
            .map_err(|e| not_found(e, id))?;
        Ok(self.resume_thread(response.thread.id, options))
    }

    async fn fork_on_exec(
        &self,
        binary: &CodexBinary,
        id: &str,
        at_turn: Option<&str>,
        options: ThreadOptions,
    ) -> Result<Thread, Error> {
        if at_turn.is_some() {
            return Err(unsupported(
                "forking at a turn (`codex exec fork` forks the whole thread)",
            ));
        }
        // A typed error for an unknown id, before codex reports it in prose.
        self.sessions()?
            .read_async(id)
            .await
            .map_err(Error::from_exec)?;
        let input = Input::from("");
        let spec = ExecRequest::new(&input)
            .codex_options(&self.inner.options.exec)
            .thread_options(&options.exec)
            .fork(id)
            .build(binary)
            .map_err(Error::from_exec)?;
        let limits = self.inner.options.process_options();
        let mut stream = ExecStream::spawn(spec, &limits).map_err(Error::from_exec)?;
        let mut fork_id = None;
        // Without a prompt codex prints `thread.started` and exits without a turn, which the
        // stream reports as an incomplete turn once the fork has its id.
        while let Some(event) = stream.next().await {
            match event {
                Ok(ThreadEvent::ThreadStarted(started)) => fork_id = Some(started.thread_id),
                Ok(_) => {}
                Err(codex_agent_exec::Error::TurnIncomplete) if fork_id.is_some() => break,
                Err(error) => return Err(Error::from_exec(error)),
            }
        }
        let fork_id = fork_id.ok_or(Error::TransportClosed)?;
        Ok(self.resume_thread(fork_id, options))
    }

    /// Starts a new thread seeded with the conversation of `export` (each turn's prompt and
    /// the agent's messages, as model-visible history through `thread/inject_items`) and
    /// returns it, resumed with `options`; its next turn sends that history to the model.
    /// Commands, patches and tool calls are not replayed: the answers that followed them
    /// carry what the model learned. The new thread starts without turns of its own.
    ///
    /// On exec this is [`Error::Unsupported`]: `codex exec` cannot seed a thread's history,
    /// and writing a rollout file by hand would bypass the database codex indexes its
    /// threads in.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the requests; the thread may still be created, with or
    /// without the history.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec or for an export of a newer format than
    /// [`EXPORT_VERSION`](codex_agent_protocol::history::EXPORT_VERSION); the app-server's
    /// errors.
    pub async fn import_thread(
        &self,
        export: &ThreadExport,
        options: ThreadOptions,
    ) -> Result<Thread, Error> {
        let server = self.server("importing a thread").await?;
        if export.version > EXPORT_VERSION {
            return Err(Error::Unsupported {
                operation: "importing an export of a newer format version",
                transport: Transport::AppServer,
            });
        }
        let started = server
            .thread_start(options.exec.thread_start_params())
            .await
            .map_err(Error::from_exec)?;
        let id = started.thread.id.clone();
        let items = export.thread.response_items();
        if !items.is_empty() {
            server
                .thread_inject_items(id.as_str(), items)
                .await
                .map_err(Error::from_exec)?;
        }
        Ok(self.resume_thread(id, options))
    }

    /// Archives the thread `id`: it leaves the default list.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be archived.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; [`Error::ThreadNotFound`]; the app-server's errors.
    pub async fn archive_thread(&self, id: &str) -> Result<(), Error> {
        let server = self.server("archiving a thread").await?;
        server
            .thread_archive(id)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Brings the archived thread `id` back to the default list.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be restored.
    ///
    /// # Errors
    ///
    /// As [`Codex::archive_thread`].
    pub async fn unarchive_thread(&self, id: &str) -> Result<(), Error> {
        let server = self.server("unarchiving a thread").await?;
        server
            .thread_unarchive(id)
            .await
            .map(|_| ())
            .map_err(|e| not_found(e, id))
    }

    /// Names the thread `id`; the name shows in [`ThreadSummary::name`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the name may still be set.
    ///
    /// # Errors
    ///
    /// As [`Codex::archive_thread`].
    pub async fn rename_thread(&self, id: &str, name: impl Into<String>) -> Result<(), Error> {
        let server = self.server("renaming a thread").await?;
        server
            .thread_set_name(id, name)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Deletes the stored thread `id`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the thread may still be deleted.
    ///
    /// # Errors
    ///
    /// As [`Codex::archive_thread`].
    pub async fn delete_thread(&self, id: &str) -> Result<(), Error> {
        let server = self.server("deleting a thread").await?;
        server.thread_delete(id).await.map_err(|e| not_found(e, id))
    }

    /// Drops the last `turns` turns of the thread `id` from its history (`thread/revert`
    /// before the first of them); rolling back 0 turns does nothing, more turns than the
    /// thread has drops them all.
    ///
    /// A stored thread this `Codex`'s app-server has not loaded is loaded first
    /// (`thread/resume`), which makes that app-server its writer until it exits (see
    /// [`Error::ThreadBusy`]).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the turns may still be dropped.
    ///
    /// # Errors
    ///
    /// As [`Codex::archive_thread`]; [`Error::ThreadBusy`] when another codex process holds
    /// the thread.
    pub async fn rollback_thread(&self, id: &str, turns: usize) -> Result<(), Error> {
        let server = self.server("rolling back a thread").await?;
        if turns == 0 {
            return Ok(());
        }
        let record = self.read_thread(id).await?;
        let Some(first_dropped) = record
            .turns
            .len()
            .checked_sub(turns)
            .map_or(record.turns.first(), |i| record.turns.get(i))
        else {
            return Ok(());
        };
        match server.thread_revert(id, first_dropped.id.clone()).await {
            // Only an app-server that has the thread loaded reverts it; to any other it is
            // "not found" (codex 0.169–0.171), although it was just read: a stored thread this
            // one has not run (or loaded) is loaded first.
            Err(codex_agent_exec::Error::Rpc { message, .. })
                if message.contains("not found") || message.contains("not loaded") =>
            {
                server
                    .thread_resume(ThreadResumeParams::new(id))
                    .await
                    .map_err(|e| not_found(e, id))?;
                server
                    .thread_revert(id, first_dropped.id.clone())
                    .await
                    .map_err(|e| not_found(e, id))
            }
            reverted => reverted.map_err(|e| not_found(e, id)),
        }
    }

    /// The models codex offers, with what each supports (reasoning efforts, input
    /// modalities, …), every page fetched.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; the app-server's errors.
    pub async fn models(&self) -> Result<Vec<Model>, Error> {
        let server = self.server("listing models").await?;
        let mut models = Vec::new();
        let mut cursor = None;
        loop {
            let mut params = ModelListParams::default();
            params.cursor = cursor;
            let page = server.model_list(params).await.map_err(Error::from_exec)?;
            models.extend(page.data);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(models),
            }
        }
    }

    /// Who is logged in (`account/read`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; the app-server's errors.
    pub async fn account(&self) -> Result<GetAccountResponse, Error> {
        let server = self.server("reading the account").await?;
        server
            .account_read(GetAccountParams::default())
            .await
            .map_err(Error::from_exec)
    }

    /// The status of the configured MCP servers (first page).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; the app-server's errors.
    pub async fn mcp_server_status(&self) -> Result<ListMcpServerStatusResponse, Error> {
        let server = self.server("listing MCP server status").await?;
        server
            .mcp_server_status_list(ListMcpServerStatusParams::default())
            .await
            .map_err(Error::from_exec)
    }
}

/// An app-server error, as [`Error::ThreadNotFound`] when it says the thread does not exist.
pub(crate) fn not_found(error: codex_agent_exec::Error, id: &str) -> Error {
    let missing = matches!(&error, codex_agent_exec::Error::Rpc { message, .. }
        if message.contains("not found")
            || message.contains("not loaded")
            || message.contains("no rollout")
            || message.contains("invalid thread id")
            || message.contains("invalid session id"));
    if missing {
        Error::ThreadNotFound { id: id.to_owned() }
    } else {
        Error::from_exec(error)
    }
}

impl Thread {
    fn started_id(&self) -> Result<String, Error> {
        self.id().ok_or(Error::ThreadNotStarted)
    }

    /// This thread as stored: see [`Codex::read_thread`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::read_thread`].
    pub async fn read(&self) -> Result<ThreadRecord, Error> {
        self.codex().read_thread(&self.started_id()?).await
    }

    /// A fork of this thread: see [`Codex::fork_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::fork_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::fork_thread`].
    pub async fn fork(&self, at_turn: Option<&str>, options: ThreadOptions) -> Result<Self, Error> {
        self.codex()
            .fork_thread(&self.started_id()?, at_turn, options)
            .await
    }

    /// Archives this thread: see [`Codex::archive_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::archive_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::archive_thread`].
    pub async fn archive(&self) -> Result<(), Error> {
        self.codex().archive_thread(&self.started_id()?).await
    }

    /// Brings this archived thread back: see [`Codex::unarchive_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::unarchive_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::unarchive_thread`].
    pub async fn unarchive(&self) -> Result<(), Error> {
        self.codex().unarchive_thread(&self.started_id()?).await
    }

    /// Deletes this thread from storage: see [`Codex::delete_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::delete_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::delete_thread`].
    pub async fn delete(&self) -> Result<(), Error> {
        self.codex().delete_thread(&self.started_id()?).await
    }

    /// Names this thread: see [`Codex::rename_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::rename_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::rename_thread`].
    pub async fn rename(&self, name: impl Into<String>) -> Result<(), Error> {
        self.codex().rename_thread(&self.started_id()?, name).await
    }

    /// Drops this thread's last `turns` turns: see [`Codex::rollback_thread`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::rollback_thread`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::rollback_thread`].
    pub async fn rollback(&self, turns: usize) -> Result<(), Error> {
        self.codex()
            .rollback_thread(&self.started_id()?, turns)
            .await
    }
}
