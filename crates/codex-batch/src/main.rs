//! `codex-batch`: resumable batch runs of the Codex agent.
//!
//! ```text
//! codex-batch run TASKS.jsonl --run NAME [--concurrency N] [--transport exec|app-server]
//!                 [--remote ws://HOST:PORT ... [--remote-token-file FILE ...]]
//!                 [--retries K] [--timeout S] [--budget-usd X] [--split NAME --seed N --ratios a,b,c]
//! codex-batch submit TASKS.jsonl --db postgres://… --run NAME
//! codex-batch work --db postgres://… --run NAME [--concurrency N]
//! codex-batch status [--db URL] --run NAME
//! codex-batch export [--db URL] --run NAME [--format ndjson|csv] [--out FILE]
//! ```
#![expect(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "a command-line tool prints"
)]

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use codex_agent_batch::Error;
use codex_agent_batch::export::{write_csv, write_ndjson};
use codex_agent_batch::report::{Format, Report, row_of};
use codex_agent_batch::runner::{
    BatchTransport, Outcome, Progress, Remotes, Runner, RunnerOptions,
};
use codex_agent_batch::store::{RunSettings, RunStatus, Store};
use codex_agent_batch::task::{SplitSpec, TaskSet};
use codex_agent_sdk::{Codex, CodexOptions, RemoteEndpoint, RemotePool};

/// The environment variable holding the token of every `--remote` endpoint when no
/// `--remote-token-file` is given.
const REMOTE_TOKEN_ENV: &str = "CODEX_BATCH_REMOTE_TOKEN";

#[derive(Parser)]
#[command(
    name = "codex-batch",
    version,
    about = "Resumable batch runs of the Codex agent"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs (or resumes) every task of a task file on this machine.
    Run {
        /// The task file (JSONL).
        tasks: PathBuf,
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        split: SplitArgs,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// Validates a task file and queues its tasks in a store, for `work` processes.
    Submit {
        /// The task file (JSONL).
        tasks: PathBuf,
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        split: SplitArgs,
    },
    /// Takes tasks of a submitted run until every task is done.
    Work {
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        work: WorkArgs,
    },
    /// Shows a run's progress.
    Status {
        #[command(flatten)]
        place: Place,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Renders a run's report: a summary by split and status (count, pass rate, median and
    /// p95 duration, tokens, cost, metric means against the tasks' expected answers) as
    /// Markdown, a self-contained HTML page with charts, JSON or CSV.
    Report {
        #[command(flatten)]
        place: Place,
        /// `md`, `html`, `json` or `csv`.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Writes a run's results as NDJSON or CSV.
    Export {
        #[command(flatten)]
        place: Place,
        /// `ndjson` or `csv`.
        #[arg(long, default_value = "ndjson")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where a run lives.
#[derive(Args)]
struct Place {
    /// The run's name.
    #[arg(long = "run")]
    run: String,
    /// The store: `postgres://…` or a SQLite file; by default `DIR/NAME/state.db`.
    #[arg(long)]
    db: Option<String>,
    /// The directory holding run directories.
    #[arg(long, default_value = "codex-batch-runs")]
    dir: PathBuf,
}

#[derive(Args)]
struct SplitArgs {
    /// Run only this split of the tasks (with --seed and --ratios).
    #[arg(long)]
    split: Option<String>,
    /// The split's seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The split's ratios, comma-separated (`train,test` for two, `train,val,test` for three).
    #[arg(long, value_delimiter = ',', default_value = "0.8,0.1,0.1")]
    ratios: Vec<f64>,
}

#[derive(Args)]
struct WorkArgs {
    /// Tasks running at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// `exec` or `app-server` (by default `exec`); not with --remote.
    #[arg(long)]
    transport: Option<String>,
    /// A remote `codex app-server --listen ws://HOST:PORT` to run tasks on; repeat it to
    /// spread tasks over several, least-loaded first.
    #[arg(long = "remote", value_name = "ws://HOST:PORT")]
    remote: Vec<String>,
    /// A file holding the token of a --remote endpoint: once for all of them, or once per
    /// --remote in the same order. Without it, the token comes from the environment variable
    /// `CODEX_BATCH_REMOTE_TOKEN`, if set.
    #[arg(long = "remote-token-file", value_name = "FILE")]
    remote_token_file: Vec<PathBuf>,
    /// Retries of a task after a retryable failure.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Time limit of one attempt of a task, in seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// Stop taking tasks once the results cost this much (USD).
    #[arg(long)]
    budget_usd: Option<f64>,
    /// The codex binary; by default it is discovered.
    #[arg(long)]
    codex: Option<PathBuf>,
    /// Lease length in seconds; a dead worker's tasks return to the queue this long after
    /// its last heartbeat.
    #[arg(long, default_value_t = 60.0)]
    lease: f64,
    /// Seconds between plain progress lines when standard error is not a terminal.
    #[arg(long, default_value_t = 10.0)]
    log_every: f64,
    /// The worker's name in leases and results; by default HOST:PID.
    #[arg(long)]
    worker: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("codex-batch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("codex-batch: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Run {
            tasks,
            place,
            split,
            work,
        } => run(&tasks, &place, &split, &work).await,
        Command::Submit {
            tasks,
            place,
            split,
        } => {
            let store = open_store(&place).await?;
            let queued = submit(&store, &tasks, &place.run, &split).await?;
            println!("run {}: {queued} task(s) queued", place.run);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Work { place, work } => {
            let target = target(&work).await?;
            let store = Arc::new(open_store(&place).await?);
            let work_root = run_dir(&place)?.join("work");
            let code = drive(&store, &place.run, &work, target, work_root, true).await?;
            store.close().await;
            Ok(code)
        }
        Command::Status { place, json } => {
            let store = open_store(&place).await?;
            store.open_run(&place.run).await?;
            let status = store.status(&place.run).await?;
            if json {
                println!("{}", serde_json::to_string(&status).unwrap_or_default());
            } else {
                println!("run {}: {}", place.run, status_line(&status));
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { place, format, out } => export(&place, &format, out.as_deref()).await,
        Command::Report { place, format, out } => report(&place, &format, out.as_deref()).await,
    }
}

async fn report(place: &Place, format: &str, out: Option<&Path>) -> Result<ExitCode, Error> {
    let format: Format = format.parse()?;
    let store = open_store(place).await?;
    store.open_run(&place.run).await?;
    let results = store.results(&place.run).await?;
    store.close().await;
    let rows = results.iter().map(row_of).collect();
    let text = Report::new(format!("codex-batch run {}", place.run), rows).render(format)?;
    if let Some(path) = out {
        write_atomically(path, text.as_bytes())?;
    } else {
        println!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(place: &Place, format: &str, out: Option<&Path>) -> Result<ExitCode, Error> {
    let store = open_store(place).await?;
    store.open_run(&place.run).await?;
    let results = store.results(&place.run).await?;
    store.close().await;
    let mut buffer = Vec::new();
    match format {
        "ndjson" => write_ndjson(&mut buffer, &results),
        "csv" => write_csv(&mut buffer, &results),
        other => {
            return Err(Error::InvalidOption {
                option: "--format",
                reason: format!("{other:?} is not one of ndjson, csv"),
            });
        }
    }
    .map_err(|e| Error::io("(export buffer)", e))?;
    if let Some(path) = out {
        write_atomically(path, &buffer)?;
    } else {
        use std::io::Write as _;
        std::io::stdout()
            .write_all(&buffer)
            .map_err(|e| Error::io("(stdout)", e))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn status_line(s: &RunStatus) -> String {
    format!(
        "{}/{} done ({} succeeded, {} failed, {} timed out), {} queued, {} leased, {} tokens, ${:.4}",
        s.done,
        s.total,
        s.succeeded,
        s.failed,
        s.timed_out,
        s.queued,
        s.leased,
        s.tokens,
        s.cost_usd
    )
}

fn check_run_name(run: &str) -> Result<(), Error> {
    let ok = !run.is_empty()
        && run.len() <= 128
        && !run.starts_with('.')
        && run
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            option: "--run",
            reason: format!(
                "{run:?} must be 1-128 characters of A-Z a-z 0-9 - _ . not starting with a dot"
            ),
        })
    }
}

fn run_dir(place: &Place) -> Result<PathBuf, Error> {
    check_run_name(&place.run)?;
    Ok(place.dir.join(&place.run))
}

async fn open_store(place: &Place) -> Result<Store, Error> {
    if let Some(db) = &place.db {
        return Store::open(db).await;
    }
    let dir = run_dir(place)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Store::open_sqlite(&dir.join("state.db")).await
}

fn split_settings(split: &SplitArgs) -> Result<RunSettings, Error> {
    let Some(name) = &split.split else {
        return Ok(RunSettings { split: None });
    };
    let spec = SplitSpec::new(split.seed, split.ratios.clone())?;
    if !spec.names.contains(name) {
        return Err(Error::InvalidSplit {
            reason: format!("{name:?} is not one of {}", spec.names.join(", ")),
        });
    }
    Ok(RunSettings {
        split: Some((name.clone(), spec)),
    })
}

/// Validates the task file and creates (or checks, on resume) the run; returns the number of
/// tasks in the run.
async fn submit(store: &Store, tasks: &Path, run: &str, split: &SplitArgs) -> Result<usize, Error> {
    check_run_name(run)?;
    let settings = split_settings(split)?;
    let set = TaskSet::load(tasks)?;
    let ids: Vec<&str> = set.tasks.iter().map(|t| t.id.as_str()).collect();
    let chosen: Vec<(usize, &codex_agent_batch::task::Task, Option<&str>)> = match &settings.split {
        None => set
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t, None))
            .collect(),
        Some((name, spec)) => {
            let assigned = spec.assign(&ids);
            set.tasks
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    let split = assigned.get(t.id.as_str()).copied()?;
                    (split == name.as_str()).then_some((i, t, Some(split)))
                })
                .collect()
        }
    };
    store
        .create_or_resume(run, &set.manifest, &settings, &chosen)
        .await?;
    Ok(chosen.len())
}

async fn run(
    tasks: &Path,
    place: &Place,
    split: &SplitArgs,
    work: &WorkArgs,
) -> Result<ExitCode, Error> {
    let dir = run_dir(place)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    // One `run` process per run directory: the lock dies with its holder (even on kill -9),
    // so leases found while holding it belong to a dead predecessor.
    let lock_path = dir.join("lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
    if lock.try_lock().is_err() {
        return Err(Error::InvalidOption {
            option: "--run",
            reason: format!(
                "run {:?} is already running in {}",
                place.run,
                dir.display()
            ),
        });
    }
    // Codex is found and every remote endpoint checked before the run is touched.
    let target = target(work).await?;
    let store = Arc::new(open_store(place).await?);
    submit(&store, tasks, &place.run, split).await?;
    if place.db.is_none() {
        let requeued = store.requeue_leased(&place.run).await?;
        if requeued > 0 {
            eprintln!(
                "codex-batch: {requeued} task(s) of an interrupted process back in the queue"
            );
        }
    }
    let code = drive(&store, &place.run, work, target, dir.join("work"), false).await?;
    let results = store.results(&place.run).await?;
    let mut ndjson = Vec::new();
    let mut csv = Vec::new();
    write_ndjson(&mut ndjson, &results).map_err(|e| Error::io("(export buffer)", e))?;
    write_csv(&mut csv, &results).map_err(|e| Error::io("(export buffer)", e))?;
    write_atomically(&dir.join("results.ndjson"), &ndjson)?;
    write_atomically(&dir.join("results.csv"), &csv)?;
    store.close().await;
    drop(lock);
    Ok(code)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn seconds(option: &'static str, s: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidOption {
        option,
        reason: format!("{s} is not a non-negative number of seconds"),
    })
}

/// Where tasks run: one codex, or remote app-servers.
enum Target {
    One(Codex),
    Remote(Remotes),
}

/// Builds the codex tasks run on from the options; remote endpoints are checked (token,
/// reachability) here, before anything runs.
async fn target(work: &WorkArgs) -> Result<Target, Error> {
    let mut codex_options = CodexOptions::new();
    if work.remote.is_empty() {
        if !work.remote_token_file.is_empty() {
            return Err(Error::InvalidOption {
                option: "--remote-token-file",
                reason: "it needs --remote".to_owned(),
            });
        }
        let transport: BatchTransport = work.transport.as_deref().unwrap_or("exec").parse()?;
        if let Some(path) = &work.codex {
            codex_options = codex_options.codex_path(path);
        }
        return Ok(Target::One(transport.codex(codex_options)?));
    }
    if work.transport.is_some() {
        return Err(Error::InvalidOption {
            option: "--transport",
            reason: "--remote runs tasks on remote app-servers: leave --transport out".to_owned(),
        });
    }
    let tokens = remote_tokens(work)?;
    let endpoints = work
        .remote
        .iter()
        .zip(tokens)
        .map(|(url, token)| {
            let endpoint = RemoteEndpoint::new(url.clone()).map_err(|e| Error::InvalidOption {
                option: "--remote",
                reason: e.to_string(),
            })?;
            Ok(match token {
                Some(token) => endpoint.token(token),
                None => endpoint,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let pool = RemotePool::new(endpoints).map_err(|e| Error::InvalidOption {
        option: "--remote",
        reason: e.to_string(),
    })?;
    let remotes = Remotes::new(pool, &codex_options)?;
    remotes.check().await?;
    Ok(Target::Remote(remotes))
}

/// The token of each `--remote`, in order: from `--remote-token-file` (once for all, or once
/// per endpoint), else from [`REMOTE_TOKEN_ENV`], else none.
fn remote_tokens(work: &WorkArgs) -> Result<Vec<Option<String>>, Error> {
    let read = |path: &PathBuf| -> Result<String, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let token = text.trim().to_owned();
        if token.is_empty() {
            return Err(Error::InvalidOption {
                option: "--remote-token-file",
                reason: format!("{} is empty", path.display()),
            });
        }
        Ok(token)
    };
    let n = work.remote.len();
    match work.remote_token_file.as_slice() {
        [] => {
            let token = std::env::var(REMOTE_TOKEN_ENV)
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            Ok(vec![token; n])
        }
        [one] => Ok(vec![Some(read(one)?); n]),
        files if files.len() == n => files.iter().map(|f| read(f).map(Some)).collect(),
        files => Err(Error::InvalidOption {
            option: "--remote-token-file",
            reason: format!(
                "{} given for {n} --remote endpoint(s): give one for all, or one per endpoint",
                files.len()
            ),
        }),
    }
}

async fn drive(
    store: &Arc<Store>,
    run: &str,
    work: &WorkArgs,
    target: Target,
    work_root: PathBuf,
    wait_for_others: bool,
) -> Result<ExitCode, Error> {
    let mut options = RunnerOptions::new(work_root)
        .concurrency(work.concurrency)
        .retries(work.retries)
        .lease(seconds("--lease", work.lease)?)
        .wait_for_others(wait_for_others);
    if let Some(t) = work.timeout {
        options = options.timeout(seconds("--timeout", t)?);
    }
    if let Some(b) = work.budget_usd {
        if !(b.is_finite() && b >= 0.0) {
            return Err(Error::InvalidOption {
                option: "--budget-usd",
                reason: format!("{b} is not a non-negative amount"),
            });
        }
        options = options.budget_usd(b);
    }
    if let Some(w) = &work.worker {
        options = options.worker(w.clone());
    }
    let runner = match target {
        Target::One(codex) => Runner::new(Arc::clone(store), run, codex, options).await?,
        Target::Remote(remotes) => Runner::remote(Arc::clone(store), run, remotes, options).await?,
    };
    let cancel = runner.cancel_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        eprintln!("codex-batch: stopping: no new tasks, cancelling the running ones");
        cancel.cancel();
    });
    let before = store.status(run).await?;
    let reporter = tokio::spawn(report_progress(
        runner.progress(),
        before,
        seconds("--log-every", work.log_every)?,
    ));
    let outcome = runner.run().await;
    reporter.abort();
    let _ = reporter.await;
    let status = store.status(run).await?;
    eprintln!("codex-batch: run {run}: {}", status_line(&status));
    match outcome? {
        Outcome::Cancelled => {
            eprintln!("codex-batch: cancelled; run the same command again to resume");
            Ok(ExitCode::from(130))
        }
        Outcome::BudgetReached => {
            eprintln!(
                "codex-batch: the budget is spent; raise --budget-usd and run again to resume"
            );
            Ok(ExitCode::from(3))
        }
        _ if status.failed + status.timed_out > 0 => Ok(ExitCode::from(4)),
        _ => Ok(ExitCode::SUCCESS),
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn report_progress(progress: Arc<Progress>, before: RunStatus, every: Duration) {
    let total = before.total;
    let done_before = before.done;
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        loop {
            bar.set_position(done_before + progress.done.load(Ordering::Relaxed));
            bar.set_message(progress_message(&progress));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    } else {
        loop {
            tokio::time::sleep(every).await;
            eprintln!(
                "codex-batch: {}/{} done, {}",
                done_before + progress.done.load(Ordering::Relaxed),
                total,
                progress_message(&progress)
            );
        }
    }
}

fn progress_message(progress: &Progress) -> String {
    format!(
        "{} running, {} failed, {} tokens, ${:.4}",
        progress.running.load(Ordering::Relaxed),
        progress.failed.load(Ordering::Relaxed),
        progress.tokens.load(Ordering::Relaxed),
        progress.cost_usd()
    )
}
