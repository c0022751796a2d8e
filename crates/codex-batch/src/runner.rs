//! The runner: claims tasks from the store, runs each as one thread, writes its result.
//!
//! Bounded concurrency (N claim-run-finish loops), a heartbeat extending this worker's leases,
//! per-task time limits, retries with backoff for retryable errors only (the facade's
//! [`codex_agent_sdk::Error::is_retryable`] decides, the same on every transport), a fresh
//! working directory per attempt, and a budget that stops taking tasks once spent. Cancelling
//! (Ctrl-C) stops taking tasks, cancels the running turns and puts their tasks back in the
//! queue: the run stays resumable.
//!
//! Tasks run on one [`Codex`] ([`Runner::new`]) or are spread over remote app-servers
//! ([`Runner::remote`] with [`Remotes`]): each attempt takes the least-loaded healthy endpoint
//! of a [`RemotePool`]; an attempt that fails at the connection level
//! ([`codex_agent_sdk::Error::Remote`]) takes its endpoint out of the pool and is retried, on
//! another endpoint, under the same retry policy as every retryable error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codex_agent_sdk::{
    Attachment, CancelHandle, Codex, CodexOptions, Lease, ReasoningEffort, RemotePool, RetryPolicy,
    SandboxMode, ThreadOptions, Transport, TurnOptions,
};
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::record::{ItemSummary, TaskResult, TaskStatus, TokenUsage};
use crate::store::{Claimed, Store};
use crate::task::Task;

/// How the runner reaches codex: one value, turned into the [`Codex`] every task's thread is
/// started on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchTransport {
    /// One `codex exec --json` process per turn.
    #[default]
    Exec,
    /// One `codex app-server` process shared by the worker's tasks.
    AppServer,
}

impl BatchTransport {
    /// Builds the [`Codex`] tasks run on, from the base options.
    ///
    /// # Errors
    ///
    /// [`Error::Codex`] when codex cannot be found or the options are refused.
    pub fn codex(self, base: CodexOptions) -> Result<Codex, Error> {
        let transport = match self {
            Self::Exec => Transport::Exec,
            Self::AppServer => Transport::AppServer,
        };
        Codex::new(base.transport(transport)).map_err(|e| Error::Codex(Box::new(e)))
    }
}

impl std::str::FromStr for BatchTransport {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "exec" => Ok(Self::Exec),
            "app-server" => Ok(Self::AppServer),
            other => Err(Error::InvalidOption {
                option: "--transport",
                reason: format!("{other:?} is not one of exec, app-server"),
            }),
        }
    }
}

/// Remote app-servers to spread tasks over: a [`RemotePool`] and one [`Codex`] per endpoint.
///
/// Each attempt of a task takes the pool's least-loaded healthy endpoint and runs on that
/// endpoint's [`Codex`] (its connection is kept between tasks).
///
/// ```no_run
/// use codex_agent_batch::runner::Remotes;
/// use codex_agent_sdk::{CodexOptions, RemoteEndpoint, RemotePool};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = RemotePool::new([
///     RemoteEndpoint::new("ws://10.0.0.1:4500")?.token("t1"),
///     RemoteEndpoint::new("ws://10.0.0.2:4500")?.token("t2"),
/// ])?;
/// let remotes = Remotes::new(pool, &CodexOptions::new())?;
/// remotes.check().await?; // a wrong token is an error here, before any task runs
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Remotes {
    pool: RemotePool,
    clients: Vec<Codex>,
}

impl Remotes {
    /// One [`Codex`] per endpoint of `pool`, each built from `base` with
    /// [`CodexOptions::remote`].
    ///
    /// # Errors
    ///
    /// [`Error::Codex`] when the facade refuses the options.
    pub fn new(pool: RemotePool, base: &CodexOptions) -> Result<Self, Error> {
        let clients = pool
            .endpoints()
            .iter()
            .map(|endpoint| {
                Codex::new(base.clone().remote(endpoint.clone()))
                    .map_err(|e| Error::Codex(Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { pool, clients })
    }

    /// The pool tasks are spread over.
    #[must_use]
    pub fn pool(&self) -> &RemotePool {
        &self.pool
    }

    /// Connects to every endpoint at once and checks that it accepts its token (an
    /// `account/read` request on the connection later turns use), so that a wrong token or an
    /// unreachable endpoint is reported before anything runs.
    ///
    /// # Errors
    ///
    /// [`Error::Remote`] for the first endpoint (in the pool's order) that refused its token
    /// or could not be reached; the others' problems are logged.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only closes the connections it was opening.
    pub async fn check(&self) -> Result<(), Error> {
        let checks = self.clients.iter().map(|codex| async move {
            match codex.account().await {
                // The server answered on an authenticated connection; what it answered does
                // not matter here.
                Ok(_) => Ok(()),
                Err(
                    e @ (codex_agent_sdk::Error::RemoteUnauthorized { .. }
                    | codex_agent_sdk::Error::Remote(_)),
                ) => Err(e),
                Err(other) => {
                    tracing::debug!(error = %other, "account/read failed on an authenticated connection");
                    Ok(())
                }
            }
        });
        let results = futures::future::join_all(checks).await;
        let mut first = None;
        for (endpoint, result) in self.pool.endpoints().iter().zip(results) {
            if let Err(source) = result {
                tracing::warn!(endpoint = endpoint.url(), error = %source.report(), "remote endpoint refused");
                first.get_or_insert(Error::Remote {
                    endpoint: endpoint.url().to_owned(),
                    source: Box::new(source),
                });
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// Where a runner's tasks run.
#[derive(Debug)]
enum Backend {
    One(Codex),
    Remote(Remotes),
}

impl Backend {
    /// The codex to run an attempt on, and the lease that holds its endpoint's load.
    async fn pick(&self) -> Result<(&Codex, Option<Lease>), codex_agent_sdk::Error> {
        match self {
            Self::One(codex) => Ok((codex, None)),
            Self::Remote(remotes) => {
                let lease = remotes
                    .pool
                    .acquire()
                    .await
                    .map_err(codex_agent_sdk::Error::Remote)?;
                Ok((&remotes.clients[lease.index()], Some(lease)))
            }
        }
    }
}

/// Options of a [`Runner`].
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct RunnerOptions {
    concurrency: usize,
    retries: u32,
    timeout: Option<Duration>,
    budget_usd: Option<f64>,
    lease: Duration,
    poll: Duration,
    wait_for_others: bool,
    backoff: RetryPolicy,
    work_root: PathBuf,
    worker: String,
}

impl RunnerOptions {
    /// Defaults, with per-task directories under `work_root`.
    pub fn new(work_root: impl Into<PathBuf>) -> Self {
        Self {
            concurrency: 4,
            retries: 2,
            timeout: None,
            budget_usd: None,
            lease: Duration::from_mins(1),
            poll: Duration::from_millis(500),
            wait_for_others: false,
            backoff: RetryPolicy::new(),
            work_root: work_root.into(),
            worker: default_worker_id(),
        }
    }

    /// Tasks running at once (at least 1). By default, 4.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Retries after a retryable failure (attempts = retries + 1). By default, 2.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Time limit of one attempt of a task, all its turns together. By default, none.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Stop taking tasks once the run's results cost this much (USD). By default, no budget.
    pub fn budget_usd(mut self, usd: f64) -> Self {
        self.budget_usd = Some(usd);
        self
    }

    /// How long a claim holds without a heartbeat; heartbeats come every third of it. A dead
    /// worker's tasks return to the queue this long after its last heartbeat. By default, 60 s.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
        self
    }

    /// Keep polling while other workers hold leases (for `work`, so that a dead worker's
    /// tasks are picked up when its leases expire). By default, stop when nothing is queued.
    pub fn wait_for_others(mut self, wait: bool) -> Self {
        self.wait_for_others = wait;
        self
    }

    /// How often to look again while waiting for others' leases. By default, 500 ms.
    pub fn poll(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// Backoff between attempts (its attempt count is ignored: see [`Self::retries`]). By
    /// default, the facade's [`RetryPolicy::new`].
    pub fn backoff(mut self, policy: RetryPolicy) -> Self {
        self.backoff = policy;
        self
    }

    /// The worker's name in leases and results. By default, `HOST:PID`.
    pub fn worker(mut self, name: impl Into<String>) -> Self {
        self.worker = name.into();
        self
    }

    /// The worker name in use.
    #[must_use]
    pub fn worker_name(&self) -> &str {
        &self.worker
    }
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Live counters of a runner, for progress bars and log lines.
#[derive(Debug, Default)]
pub struct Progress {
    /// Results written by this runner.
    pub done: AtomicU64,
    /// Of those, not succeeded.
    pub failed: AtomicU64,
    /// Tasks running now.
    pub running: AtomicU64,
    /// Tokens of this runner's results.
    pub tokens: AtomicU64,
    /// Cost of this runner's results, in micro-USD.
    pub cost_micro_usd: AtomicU64,
    /// Set when the budget stopped the runner.
    pub budget_reached: AtomicBool,
}

impl Progress {
    /// Cost so far in USD.
    #[must_use]
    pub fn cost_usd(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "micro-dollars, far below 2^52")]
        let micro = self.cost_micro_usd.load(Ordering::Relaxed) as f64;
        micro / 1e6
    }
}

/// How a runner ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// No task left to take.
    Drained,
    /// Cancelled (Ctrl-C); unfinished tasks are back in the queue.
    Cancelled,
    /// The budget was spent.
    BudgetReached,
}

/// Runs the tasks of one run from a store.
#[derive(Debug, Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    run: String,
    backend: Backend,
    options: RunnerOptions,
    progress: Arc<Progress>,
    spent_before: f64,
    cancel: CancellationToken,
    running: Mutex<Vec<(u64, CancelHandle)>>,
    next_handle: AtomicU64,
}

impl Runner {
    /// A runner for `run` (which must exist in `store`), running tasks on `codex`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`], [`Error::Database`].
    pub async fn new(
        store: Arc<Store>,
        run: &str,
        codex: Codex,
        options: RunnerOptions,
    ) -> Result<Self, Error> {
        Self::with_backend(store, run, Backend::One(codex), options).await
    }

    /// A runner for `run` (which must exist in `store`), spreading tasks over `remotes`,
    /// least-loaded endpoint first. Call [`Remotes::check`] first to refuse a wrong token
    /// before anything runs.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`], [`Error::Database`].
    pub async fn remote(
        store: Arc<Store>,
        run: &str,
        remotes: Remotes,
        options: RunnerOptions,
    ) -> Result<Self, Error> {
        Self::with_backend(store, run, Backend::Remote(remotes), options).await
    }

    async fn with_backend(
        store: Arc<Store>,
        run: &str,
        backend: Backend,
        options: RunnerOptions,
    ) -> Result<Self, Error> {
        store.open_run(run).await?;
        let spent_before = store.status(run).await?.cost_usd;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                run: run.to_owned(),
                backend,
                options,
                progress: Arc::new(Progress::default()),
                spent_before,
                cancel: CancellationToken::new(),
                running: Mutex::new(Vec::new()),
                next_handle: AtomicU64::new(0),
            }),
        })
    }

    /// The live counters.
    #[must_use]
    pub fn progress(&self) -> Arc<Progress> {
        Arc::clone(&self.inner.progress)
    }

    /// A token that, when cancelled, stops the runner: no new task is taken, running turns
    /// are cancelled and their tasks released back to the queue.
    #[must_use]
    pub fn cancel_token(&self) -> CancellationToken {
        self.inner.cancel.clone()
    }

    /// Runs until no task is left (or, with [`RunnerOptions::wait_for_others`], until every
    /// task is done), the budget is spent, or the cancel token fires.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping it drops the running turns (which kills or interrupts them)
    /// but leaves their leases to expire. Fire [`Runner::cancel_token`] instead.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the store fails; running tasks are cancelled and released first.
    pub async fn run(&self) -> Result<Outcome, Error> {
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&self.inner)));
        // Cancelling the token cancels the turns in flight (which kills or interrupts codex);
        // the loops then release their tasks and stop.
        let interrupter = {
            let inner = Arc::clone(&self.inner);
            tokio::spawn(async move {
                inner.cancel.cancelled().await;
                inner.cancel_running();
            })
        };
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..self.inner.options.concurrency {
            let inner = Arc::clone(&self.inner);
            loops.spawn(async move { worker_loop(&inner).await });
        }
        let mut result = Ok(());
        while let Some(joined) = loops.join_next().await {
            let outcome = joined.unwrap_or_else(|e| {
                Err(Error::Database {
                    context: "running a task",
                    reason: e.to_string(),
                })
            });
            if let Err(e) = outcome {
                if result.is_ok() {
                    result = Err(e);
                }
                self.inner.cancel.cancel();
                self.inner.cancel_running();
            }
        }
        heartbeat.abort();
        interrupter.abort();
        result?;
        if self.inner.cancel.is_cancelled() {
            Ok(Outcome::Cancelled)
        } else if self.inner.progress.budget_reached.load(Ordering::Relaxed) {
            Ok(Outcome::BudgetReached)
        } else {
            Ok(Outcome::Drained)
        }
    }
}

async fn heartbeat(inner: Arc<Inner>) {
    let every = inner.options.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = inner
            .store
            .heartbeat(&inner.run, &inner.options.worker, inner.options.lease)
            .await
        {
            tracing::warn!(error = %e, "heartbeat failed");
        }
    }
}

impl Inner {
    fn cancel_running(&self) {
        let running = self
            .running
            .lock()
            .expect("the running list is never poisoned: no panics under its lock");
        for (_, handle) in running.iter() {
            handle.cancel();
        }
    }

    fn over_budget(&self) -> bool {
        self.options
            .budget_usd
            .is_some_and(|budget| self.spent_before + self.progress.cost_usd() >= budget)
    }
}

async fn worker_loop(inner: &Inner) -> Result<(), Error> {
    loop {
        if inner.cancel.is_cancelled() {
            return Ok(());
        }
        if inner.over_budget() {
            inner.progress.budget_reached.store(true, Ordering::Relaxed);
            return Ok(());
        }
        let claimed = inner
            .store
            .claim(&inner.run, &inner.options.worker, inner.options.lease)
            .await?;
        let Some(claimed) = claimed else {
            if inner.options.wait_for_others && inner.store.status(&inner.run).await?.leased > 0 {
                tokio::select! {
                    () = inner.cancel.cancelled() => return Ok(()),
                    () = tokio::time::sleep(inner.options.poll) => continue,
                }
            }
            return Ok(());
        };
        inner.progress.running.fetch_add(1, Ordering::Relaxed);
        let result = execute(inner, &claimed).await;
        inner.progress.running.fetch_sub(1, Ordering::Relaxed);
        match result {
            Some(result) => {
                if inner.store.finish(&inner.run, &result).await? {
                    count(&inner.progress, &result);
                }
            }
            None => {
                inner
                    .store
                    .release(&inner.run, &inner.options.worker, &claimed.task.id)
                    .await?;
            }
        }
    }
}

fn count(progress: &Progress, result: &TaskResult) {
    progress.done.fetch_add(1, Ordering::Relaxed);
    if result.status != TaskStatus::Succeeded {
        progress.failed.fetch_add(1, Ordering::Relaxed);
    }
    progress
        .tokens
        .fetch_add(result.usage.total(), Ordering::Relaxed);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a non-negative cost in micro-dollars"
    )]
    let micro = (result.cost_usd.unwrap_or(0.0).max(0.0) * 1e6).round() as u64;
    progress.cost_micro_usd.fetch_add(micro, Ordering::Relaxed);
}

/// What one attempt produced.
struct Attempt {
    final_response: String,
    structured: Option<serde_json::Value>,
    items: ItemSummary,
    usage: TokenUsage,
    cost_usd: Option<f64>,
    thread_id: Option<String>,
}

/// Runs a claimed task to a result, with retries; `None` when cancelled.
async fn execute(inner: &Inner, claimed: &Claimed) -> Option<TaskResult> {
    let task = &claimed.task;
    let attempts_allowed = inner.options.retries.saturating_add(1);
    let mut attempt = 0;
    let mut seed = jitter_seed(&task.id);
    loop {
        attempt += 1;
        let started = Instant::now();
        let handle = CancelHandle::new();
        let key = inner.next_handle.fetch_add(1, Ordering::Relaxed);
        inner
            .running
            .lock()
            .expect("the running list is never poisoned: no panics under its lock")
            .push((key, handle.clone()));
        // A cancel that came between the claim and the push is seen here.
        if inner.cancel.is_cancelled() {
            handle.cancel();
        }
        let outcome = match inner.backend.pick().await {
            Ok((codex, lease)) => {
                let outcome = run_attempt(inner, codex, task, attempt, &handle).await;
                if let (Some(lease), Err(AttemptError::Codex(codex_agent_sdk::Error::Remote(e)))) =
                    (&lease, &outcome)
                {
                    // The connection broke or was refused: take the endpoint out, so that the
                    // retry goes to another one.
                    tracing::warn!(task = %task.id, endpoint = lease.endpoint().url(), error = %e, "remote endpoint failed");
                    lease.mark_failed();
                }
                outcome
            }
            Err(e) => Err(AttemptError::Codex(e)),
        };
        inner
            .running
            .lock()
            .expect("the running list is never poisoned: no panics under its lock")
            .retain(|(k, _)| *k != key);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let base = |status, error: Option<String>| TaskResult {
            task_id: task.id.clone(),
            split: claimed.split.clone(),
            status,
            final_response: String::new(),
            structured: None,
            expected: task.expected.clone(),
            items: ItemSummary::default(),
            usage: TokenUsage::default(),
            cost_usd: None,
            duration_ms,
            attempts: attempt,
            error,
            thread_id: None,
            worker: inner.options.worker.clone(),
            metadata: task.metadata.clone(),
        };
        match outcome {
            Ok(done) => {
                let mut result = base(TaskStatus::Succeeded, None);
                result.final_response = done.final_response;
                result.structured = done.structured;
                result.items = done.items;
                result.usage = done.usage;
                result.cost_usd = done.cost_usd;
                result.thread_id = done.thread_id;
                return Some(result);
            }
            Err(_) if inner.cancel.is_cancelled() => return None,
            Err(AttemptError::Codex(e)) if e.is_retryable() && attempt < attempts_allowed => {
                tracing::info!(task = %task.id, attempt, error = %e, "retrying");
                seed = xorshift(seed);
                #[expect(clippy::cast_precision_loss, reason = "53 bits of jitter are plenty")]
                let jitter = (seed >> 11) as f64 / (1u64 << 53) as f64;
                let delay = inner.options.backoff.delay(attempt, jitter);
                tokio::select! {
                    () = inner.cancel.cancelled() => return None,
                    () = tokio::time::sleep(delay) => {}
                }
            }
            Err(AttemptError::Codex(e)) => {
                let status = if matches!(e, codex_agent_sdk::Error::Timeout { .. }) {
                    TaskStatus::TimedOut
                } else {
                    TaskStatus::Failed
                };
                return Some(base(status, Some(e.report().to_string())));
            }
            Err(AttemptError::Workspace(e)) => {
                return Some(base(TaskStatus::Failed, Some(e.to_string())));
            }
        }
    }
}

enum AttemptError {
    Codex(codex_agent_sdk::Error),
    Workspace(Error),
}

/// One attempt: a fresh directory, a thread, one turn per prompt.
async fn run_attempt(
    inner: &Inner,
    codex: &Codex,
    task: &Task,
    attempt: u32,
    handle: &CancelHandle,
) -> Result<Attempt, AttemptError> {
    let dir = prepare_dir(&inner.options.work_root, task, attempt)
        .await
        .map_err(AttemptError::Workspace)?;
    let thread = codex.start_thread(thread_options(task, &dir));
    let deadline = inner.options.timeout.map(|t| Instant::now() + t);
    let turns = task.prompt.turns();
    let mut done = Attempt {
        final_response: String::new(),
        structured: None,
        items: ItemSummary::default(),
        usage: TokenUsage::default(),
        cost_usd: None,
        thread_id: None,
    };
    for (i, prompt) in turns.iter().enumerate() {
        let mut options = TurnOptions::new().cancel_handle(handle.clone());
        if let Some(deadline) = deadline {
            options = options.turn_timeout(deadline.saturating_duration_since(Instant::now()));
        }
        if i == 0 {
            for image in &task.images {
                options = options.attach(Attachment::image(image));
            }
            for file in &task.files {
                options = options.attach(Attachment::file(file));
            }
        }
        let last = i + 1 == turns.len();
        if let Some(schema) = task.output_schema.as_ref().filter(|_| last) {
            options = options.output_schema(schema.clone());
        }
        let turn = thread
            .run(prompt.as_str(), options)
            .await
            .map_err(AttemptError::Codex)?;
        done.items.add(&turn.items);
        if let Some(usage) = &turn.usage {
            done.usage.add(usage);
        }
        if last && task.output_schema.is_some() {
            done.structured = serde_json::from_str(&turn.final_response).ok();
        }
        done.final_response = turn.final_response;
    }
    done.cost_usd = thread.usage().cost_usd;
    done.thread_id = thread.id();
    Ok(done)
}

fn thread_options(task: &Task, dir: &Path) -> ThreadOptions {
    let mut options = ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(dir);
    if let Some(t) = &task.thread {
        if let Some(model) = &t.model {
            options = options.model(model.clone());
        }
        if let Some(mode) = &t.sandbox_mode {
            options = options.sandbox_mode(SandboxMode::from(mode.as_str()));
        }
        if let Some(effort) = &t.reasoning_effort {
            options = options.model_reasoning_effort(ReasoningEffort::from(effort.as_str()));
        }
        if let Some(text) = &t.developer_instructions {
            options = options.developer_instructions(text.clone());
        }
        if let Some(on) = t.network_access {
            options = options.network_access_enabled(on);
        }
    }
    options
}

/// The directory an attempt runs in: the task's `cwd` as it is, or a fresh directory under
/// `root` (a copy of the task's `workspace` template, or empty).
async fn prepare_dir(root: &Path, task: &Task, attempt: u32) -> Result<PathBuf, Error> {
    if let Some(cwd) = &task.cwd {
        return Ok(cwd.clone());
    }
    let dir = root.join(task_dir_name(&task.id));
    let template = task.workspace.clone();
    let dir2 = dir.clone();
    tokio::task::spawn_blocking(move || -> Result<(), Error> {
        if dir2.exists() {
            std::fs::remove_dir_all(&dir2).map_err(|e| Error::io(&dir2, e))?;
        }
        std::fs::create_dir_all(&dir2).map_err(|e| Error::io(&dir2, e))?;
        if let Some(template) = template {
            copy_tree(&template, &dir2)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::io(&dir, std::io::Error::other(e.to_string())))??;
    tracing::debug!(task = %task.id, attempt, dir = %dir.display(), "workspace ready");
    Ok(dir)
}

/// A file-system-safe, collision-free directory name for a task id.
#[must_use]
pub fn task_dir_name(id: &str) -> String {
    let readable: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect();
    let hash = crate::task::sha256_hex(id.as_bytes());
    format!("{readable}-{}", &hash[..12])
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&target).map_err(|e| Error::io(&target, e))?;
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
        }
        // Symlinks are not followed: a template must not reach outside itself.
    }
    Ok(())
}

fn jitter_seed(id: &str) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let hash = crate::task::sha256_hex(id.as_bytes());
    u64::from_str_radix(&hash[..16], 16).unwrap_or(1) ^ u64::from(nanos) | 1
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
