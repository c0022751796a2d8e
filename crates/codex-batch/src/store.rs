//! The run store: SQLite (bundled, one file) or PostgreSQL (feature `postgres`), through
//! `sqlx`, with migrations.
//!
//! # Model
//!
//! A run has a manifest (the task file's sha256 and line offsets) and one row per task in
//! `batch_tasks`, whose `state` is `queued`, `leased` (by a worker, until `lease_until_ms`) or
//! `done`. Workers claim one task at a time with one atomic statement (on PostgreSQL the
//! candidate row is picked with `FOR UPDATE SKIP LOCKED`, so workers never wait on each other;
//! on SQLite the statement runs under the database's single write lock). A claim takes a queued
//! task or one whose lease expired: a dead worker's tasks go back to the queue after the lease
//! timeout. Running workers extend their leases with heartbeats.
//!
//! **Exactly once**: a result is inserted with `ON CONFLICT DO NOTHING` keyed by run and task
//! id, in the same transaction that marks the task `done`; a `done` task is never claimed
//! again. Two workers that both finished a task (the first one's lease expired while it was
//! still working) leave one result, the first written.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Row as _, SqlSafeStr as _};

use crate::error::Error;
use crate::record::TaskResult;
use crate::task::{Manifest, Task};

/// The newest schema version this build knows (the number of its last migration).
pub const SCHEMA_VERSION: i64 = 1;

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "runs".into(),
        MigrationType::Simple,
        include_str!("../migrations/0001_runs.sql").into_sql_str(),
        false,
    )])
}

enum Backend {
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool; the SQL is shared (`$n`
/// placeholders work on both).
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            Backend::Postgres($pool) => $body,
        }
    };
}

/// A connection pool to the run store.
pub struct Store {
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What a run was started with, besides its tasks; a resume must match it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// The split this run takes (`--split`), with its parameters.
    pub split: Option<(String, crate::task::SplitSpec)>,
}

/// A run as stored.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's name.
    pub name: String,
    /// The task file's manifest when the run began.
    pub manifest: Manifest,
    /// The run's settings.
    pub settings: RunSettings,
}

/// A task leased to a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The task.
    pub task: Task,
    /// Its split, when the run is split.
    pub split: Option<String>,
    /// How many times it was claimed, this claim included (above 1 after a crash).
    pub claims: i64,
}

/// Progress of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunStatus {
    /// Tasks in the run.
    pub total: u64,
    /// Tasks waiting.
    pub queued: u64,
    /// Tasks leased and not finished (running, or held by a dead worker until its lease ends).
    pub leased: u64,
    /// Tasks with a result.
    pub done: u64,
    /// Results that succeeded.
    pub succeeded: u64,
    /// Results that failed.
    pub failed: u64,
    /// Results that timed out.
    pub timed_out: u64,
    /// Tokens of every result.
    pub tokens: u64,
    /// Estimated cost of every result, USD.
    pub cost_usd: f64,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The URL with any password replaced, for errors and logs. The query is hidden whole: it can
/// carry the password too (`?password=…`, which PostgreSQL URLs accept).
fn redact_url(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, _)) => (base, "?[REDACTED]"),
        None => (url, ""),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("{url}{query}");
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return format!("{url}{query}");
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}:[REDACTED]@{host}{query}")
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// Opens (creating it if needed) the SQLite store at `path`, then migrates it.
    ///
    /// # Errors
    ///
    /// [`Error::DatabaseUnreachable`], [`Error::SchemaTooNew`], [`Error::Database`].
    pub async fn open_sqlite(path: &Path) -> Result<Self, Error> {
        let url = path.display().to_string();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30));
        // Switching a new file to WAL takes a lock the busy timeout does not cover: when
        // another process is creating the same store, connecting is tried again.
        let mut attempt = 1;
        let pool = loop {
            match sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(e) if attempt < CONNECT_ATTEMPTS && is_busy(&e) => {
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(Error::DatabaseUnreachable {
                        url,
                        reason: e.to_string(),
                    });
                }
            }
        };
        let store = Self {
            backend: Backend::Sqlite(pool),
            url,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the store a `--db` value names: `postgres://…` / `postgresql://…` (feature
    /// `postgres`), `sqlite://PATH`, or a plain file path.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedDatabase`] for PostgreSQL without the feature, and those of
    /// [`Store::open_sqlite`].
    pub async fn open(db: &str) -> Result<Self, Error> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Self::open_postgres(db).await;
        }
        let path = db.strip_prefix("sqlite://").unwrap_or(db);
        Self::open_sqlite(Path::new(path)).await
    }

    #[cfg(feature = "postgres")]
    async fn open_postgres(url: &str) -> Result<Self, Error> {
        let shown = redact_url(url);
        let unreachable = |e: sqlx::Error| Error::DatabaseUnreachable {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let options: sqlx::postgres::PgConnectOptions = url.parse().map_err(unreachable)?;
        // One direct connection first: a refused or unknown server fails at once instead of
        // after the pool's acquire timeout.
        {
            use sqlx::Connection as _;
            sqlx::PgConnection::connect_with(&options)
                .await
                .map_err(unreachable)?
                .close()
                .await
                .map_err(unreachable)?;
        }
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unreachable)?;
        let store = Self {
            backend: Backend::Postgres(pool),
            url: shown,
        };
        store.migrate().await?;
        Ok(store)
    }

    #[cfg(not(feature = "postgres"))]
    #[expect(clippy::unused_async, reason = "same signature as with the feature")]
    async fn open_postgres(url: &str) -> Result<Self, Error> {
        Err(Error::UnsupportedDatabase {
            url: redact_url(url),
            what: "the `postgres` cargo feature of codex-agent-batch",
        })
    }

    /// The newest migration applied to the database, or 0 on a fresh one.
    async fn applied_version(&self) -> Result<i64, Error> {
        let exists_sql = match &self.backend {
            Backend::Sqlite(_) => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
            }
        };
        let exists: i64 =
            on_pool!(self, pool => sqlx::query_scalar(exists_sql).fetch_one(pool).await)
                .map_err(|e| Error::db("reading the schema version", &e))?;
        if exists == 0 {
            return Ok(0);
        }
        let version: Option<i64> = on_pool!(self, pool => sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(pool).await)
            .map_err(|e| Error::db("reading the schema version", &e))?;
        Ok(version.unwrap_or(0))
    }

    /// Brings the schema to [`SCHEMA_VERSION`]. Several processes may open the same new
    /// store at once (`codex-batch run` and `codex-batch status`, workers starting together):
    /// a migration that loses that race fails, and is then checked and retried, so that each
    /// opener only sees an error when the schema does not end up current.
    async fn migrate(&self) -> Result<(), Error> {
        const ATTEMPTS: u32 = 5;
        let found = self.applied_version().await?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let migrator = migrator();
        let mut attempt = 1;
        loop {
            let Err(error) = on_pool!(self, pool => migrator.run(pool).await) else {
                return Ok(());
            };
            if self
                .applied_version()
                .await
                .is_ok_and(|version| version == SCHEMA_VERSION)
            {
                return Ok(());
            }
            if attempt == ATTEMPTS {
                return Err(Error::Database {
                    context: "migrating the schema",
                    reason: error.to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            attempt += 1;
        }
    }

    /// Creates the run with these tasks, or checks that an existing run of that name was made
    /// from the same task file and settings (a resume).
    ///
    /// # Errors
    ///
    /// [`Error::TasksChanged`] when the file's sha256 differs from the run's manifest,
    /// [`Error::RunMismatch`] when the settings differ, [`Error::Database`].
    pub async fn create_or_resume(
        &self,
        run: &str,
        manifest: &Manifest,
        settings: &RunSettings,
        tasks: &[(usize, &Task, Option<&str>)],
    ) -> Result<RunInfo, Error> {
        if let Some(existing) = self.find_run(run).await? {
            check_resume(&existing, manifest, settings)?;
            return Ok(existing);
        }
        let manifest_json = serde_json::to_string(manifest).unwrap_or_default();
        let settings_json = serde_json::to_string(settings).unwrap_or_default();
        let created = on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(|e| Error::db("starting a transaction", &e))?;
            let inserted = sqlx::query(
                "INSERT INTO batch_runs (name, created_ms, manifest, settings) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            )
            .bind(run)
            .bind(now_ms())
            .bind(&manifest_json)
            .bind(&settings_json)
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::db("creating the run", &e))?
            .rows_affected();
            if inserted == 1 {
                for (seq, task, split) in tasks {
                    let task_json = serde_json::to_string(task).unwrap_or_default();
                    sqlx::query(
                        "INSERT INTO batch_tasks (run, task_id, seq, split, task, state) VALUES ($1, $2, $3, $4, $5, 'queued')",
                    )
                    .bind(run)
                    .bind(&task.id)
                    .bind(i64::try_from(*seq).unwrap_or(i64::MAX))
                    .bind(*split)
                    .bind(task_json)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Error::db("queueing the tasks", &e))?;
                }
            }
            tx.commit().await.map_err(|e| Error::db("committing the run", &e))?;
            inserted == 1
        });
        if !created {
            // Another process created it at the same moment: treat as a resume.
            let existing = self.open_run(run).await?;
            check_resume(&existing, manifest, settings)?;
            return Ok(existing);
        }
        Ok(RunInfo {
            name: run.to_owned(),
            manifest: manifest.clone(),
            settings: settings.clone(),
        })
    }

    async fn find_run(&self, run: &str) -> Result<Option<RunInfo>, Error> {
        let row: Option<(String, String)> = on_pool!(self, pool => sqlx::query_as("SELECT manifest, settings FROM batch_runs WHERE name = $1").bind(run).fetch_optional(pool).await)
            .map_err(|e| Error::db("reading the run", &e))?;
        let Some((manifest, settings)) = row else {
            return Ok(None);
        };
        let corrupt = |e: serde_json::Error| Error::CorruptRecord {
            task_id: format!("(run {run})"),
            reason: e.to_string(),
        };
        Ok(Some(RunInfo {
            name: run.to_owned(),
            manifest: serde_json::from_str(&manifest).map_err(corrupt)?,
            settings: serde_json::from_str(&settings).map_err(corrupt)?,
        }))
    }

    /// The stored run.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`] when there is none of that name, [`Error::Database`].
    pub async fn open_run(&self, run: &str) -> Result<RunInfo, Error> {
        self.find_run(run).await?.ok_or_else(|| Error::UnknownRun {
            run: run.to_owned(),
        })
    }

    /// Leases the next task (queued, or leased with an expired lease) to `worker` for `lease`.
    ///
    /// # Errors
    ///
    /// [`Error::Database`], [`Error::CorruptRecord`].
    pub async fn claim(
        &self,
        run: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>, Error> {
        let now = now_ms();
        let sql = match &self.backend {
            Backend::Sqlite(_) => CLAIM_SQLITE,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => CLAIM_POSTGRES,
        };
        let row: Option<(String, Option<String>, String, i64)> = on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(|e| Error::db("starting a claim", &e))?;
            let row: Option<(String, Option<String>, String, i64)> = sqlx::query_as(sql)
                .bind(worker)
                .bind(now.saturating_add(ms(lease)))
                .bind(run)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| Error::db("claiming a task", &e))?;
            if let Some((task_id, ..)) = &row {
                sqlx::query("INSERT INTO batch_claims (run, task_id, worker, claimed_ms) VALUES ($1, $2, $3, $4)")
                    .bind(run)
                    .bind(task_id)
                    .bind(worker)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Error::db("logging a claim", &e))?;
            }
            tx.commit().await.map_err(|e| Error::db("committing a claim", &e))?;
            row
        });
        let Some((task_id, split, task, claims)) = row else {
            return Ok(None);
        };
        let task: Task = serde_json::from_str(&task).map_err(|e| Error::CorruptRecord {
            task_id,
            reason: e.to_string(),
        })?;
        Ok(Some(Claimed {
            task,
            split,
            claims,
        }))
    }

    /// Extends every lease `worker` holds in `run` to `lease` from now.
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn heartbeat(&self, run: &str, worker: &str, lease: Duration) -> Result<u64, Error> {
        let until = now_ms().saturating_add(ms(lease));
        on_pool!(self, pool => sqlx::query("UPDATE batch_tasks SET lease_until_ms = $1 WHERE run = $2 AND worker = $3 AND state = 'leased'")
            .bind(until).bind(run).bind(worker).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(|e| Error::db("extending leases", &e))
    }

    /// Puts every leased task of `run` back in the queue at once. Only for a process that
    /// knows it is the run's only worker (`codex-batch run` holding the run directory's lock):
    /// the leases it finds are a dead predecessor's.
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn requeue_leased(&self, run: &str) -> Result<u64, Error> {
        on_pool!(self, pool => sqlx::query("UPDATE batch_tasks SET state = 'queued', worker = NULL, lease_until_ms = NULL WHERE run = $1 AND state = 'leased'")
            .bind(run).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(|e| Error::db("requeueing leased tasks", &e))
    }

    /// Puts a leased task back in the queue (after Ctrl-C).
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn release(&self, run: &str, worker: &str, task_id: &str) -> Result<(), Error> {
        on_pool!(self, pool => sqlx::query("UPDATE batch_tasks SET state = 'queued', worker = NULL, lease_until_ms = NULL WHERE run = $1 AND task_id = $2 AND worker = $3 AND state = 'leased'")
            .bind(run).bind(task_id).bind(worker).execute(pool).await.map(|_| ()))
            .map_err(|e| Error::db("releasing a task", &e))
    }

    /// Writes a task's result and marks it done, in one transaction. Returns `false` when the
    /// task already had a result (that one is kept).
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn finish(&self, run: &str, result: &TaskResult) -> Result<bool, Error> {
        let record = serde_json::to_string(result).unwrap_or_default();
        let tokens = i64::try_from(result.usage.total()).unwrap_or(i64::MAX);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(|e| Error::db("starting a transaction", &e))?;
            let inserted = sqlx::query(
                "INSERT INTO batch_results (run, task_id, seq, worker, status, total_tokens, cost_usd, finished_ms, record) \
                 SELECT run, task_id, seq, $3, $4, $5, $6, $7, $8 FROM batch_tasks WHERE run = $1 AND task_id = $2 \
                 ON CONFLICT (run, task_id) DO NOTHING",
            )
            .bind(run)
            .bind(&result.task_id)
            .bind(&result.worker)
            .bind(result.status.as_str())
            .bind(tokens)
            .bind(result.cost_usd)
            .bind(now_ms())
            .bind(&record)
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::db("writing a result", &e))?
            .rows_affected();
            sqlx::query("UPDATE batch_tasks SET state = 'done', lease_until_ms = NULL WHERE run = $1 AND task_id = $2")
                .bind(run)
                .bind(&result.task_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::db("marking a task done", &e))?;
            tx.commit().await.map_err(|e| Error::db("committing a result", &e))?;
            Ok(inserted == 1)
        })
    }

    /// Progress of `run`.
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn status(&self, run: &str) -> Result<RunStatus, Error> {
        let by_state: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as("SELECT state, COUNT(*) FROM batch_tasks WHERE run = $1 GROUP BY state").bind(run).fetch_all(pool).await)
            .map_err(|e| Error::db("counting tasks", &e))?;
        let results: Vec<(String, i64, i64, Option<f64>)> = on_pool!(self, pool => sqlx::query_as("SELECT status, COUNT(*), CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT), SUM(cost_usd) FROM batch_results WHERE run = $1 GROUP BY status").bind(run).fetch_all(pool).await)
            .map_err(|e| Error::db("counting results", &e))?;
        let mut status = RunStatus::default();
        for (state, n) in by_state {
            let n = u64_of(n);
            status.total += n;
            match state.as_str() {
                "queued" => status.queued += n,
                "leased" => status.leased += n,
                _ => status.done += n,
            }
        }
        for (result, n, tokens, cost) in results {
            let n = u64_of(n);
            match result.as_str() {
                "succeeded" => status.succeeded += n,
                "timed_out" => status.timed_out += n,
                _ => status.failed += n,
            }
            status.tokens += u64_of(tokens);
            status.cost_usd += cost.unwrap_or(0.0);
        }
        Ok(status)
    }

    /// Every result of `run`, in task file order.
    ///
    /// # Errors
    ///
    /// [`Error::Database`], [`Error::CorruptRecord`].
    pub async fn results(&self, run: &str) -> Result<Vec<TaskResult>, Error> {
        let rows = on_pool!(self, pool => {
            sqlx::query("SELECT task_id, record FROM batch_results WHERE run = $1 ORDER BY seq")
                .bind(run)
                .fetch_all(pool)
                .await
                .map_err(|e| Error::db("reading results", &e))?
                .into_iter()
                .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)))
                .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
                .map_err(|e| Error::db("reading results", &e))?
        });
        rows.into_iter()
            .map(|(task_id, record)| {
                serde_json::from_str(&record).map_err(|e| Error::CorruptRecord {
                    task_id,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Every claim of `run` as (task id, worker), oldest first: who took what, crashes included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`].
    pub async fn claims(&self, run: &str) -> Result<Vec<(String, String)>, Error> {
        on_pool!(self, pool => sqlx::query_as("SELECT task_id, worker FROM batch_claims WHERE run = $1 ORDER BY claimed_ms").bind(run).fetch_all(pool).await)
            .map_err(|e| Error::db("reading claims", &e))
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
    }
}

fn check_resume(
    existing: &RunInfo,
    manifest: &Manifest,
    settings: &RunSettings,
) -> Result<(), Error> {
    if existing.manifest.sha256 != manifest.sha256 {
        return Err(Error::TasksChanged {
            run: existing.name.clone(),
            path: manifest.path.clone(),
            expected: existing.manifest.sha256.clone(),
            found: manifest.sha256.clone(),
        });
    }
    if &existing.settings != settings {
        return Err(Error::RunMismatch {
            run: existing.name.clone(),
            reason: format!(
                "it was started with split {:?}, now {:?}",
                existing.settings.split, settings.split
            ),
        });
    }
    Ok(())
}

const CLAIM_SQLITE: &str = "UPDATE batch_tasks SET state = 'leased', worker = $1, lease_until_ms = $2, claims = claims + 1 \
     WHERE run = $3 AND task_id = (SELECT task_id FROM batch_tasks WHERE run = $3 \
     AND (state = 'queued' OR (state = 'leased' AND lease_until_ms < $4)) ORDER BY seq LIMIT 1) \
     RETURNING task_id, split, task, claims";

#[cfg(feature = "postgres")]
const CLAIM_POSTGRES: &str = "UPDATE batch_tasks SET state = 'leased', worker = $1, lease_until_ms = $2, claims = claims + 1 \
     WHERE run = $3 AND task_id = (SELECT task_id FROM batch_tasks WHERE run = $3 \
     AND (state = 'queued' OR (state = 'leased' AND lease_until_ms < $4)) ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING task_id, split, task, claims";

/// How many times opening a SQLite store is tried while another process holds its lock.
const CONNECT_ATTEMPTS: u32 = 8;

/// Whether SQLite said the database is busy or locked (`SQLITE_BUSY`, `SQLITE_LOCKED`).
fn is_busy(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(sqlx::error::DatabaseError::code)
        .is_some_and(|code| {
            let primary = code.parse::<i64>().map_or(-1, |c| c & 0xff);
            primary == 5 || primary == 6
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5/db"),
            "postgres://u:[REDACTED]@h:5/db"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            redact_url("postgres://u@h/db?sslmode=require&password=pw-5e1d"),
            "postgres://u:[REDACTED]@h/db?[REDACTED]"
        );
        assert_eq!(
            redact_url("postgresql:///db?password=pw-5e1d"),
            "postgresql:///db?[REDACTED]"
        );
    }

    /// `codex-batch run` creating its store while `codex-batch status` (or a test) opens it:
    /// both must get a current store, whoever migrates first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_opens_of_one_store_all_succeed() {
        let dir = tempfile::tempdir().expect("temp dir");
        for round in 0..10 {
            let path = dir.path().join(format!("race-{round}.db"));
            let opens: Vec<_> = (0..4)
                .map(|_| {
                    let path = path.clone();
                    tokio::spawn(async move { Store::open_sqlite(&path).await })
                })
                .collect();
            for open in opens {
                let store = open
                    .await
                    .expect("the open task")
                    .unwrap_or_else(|e| panic!("round {round}: a racing open failed: {e}"));
                assert_eq!(
                    store.applied_version().await.expect("version"),
                    SCHEMA_VERSION
                );
                store.close().await;
            }
        }
    }
}
