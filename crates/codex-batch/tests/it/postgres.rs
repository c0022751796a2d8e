//! PostgreSQL: a throwaway server started by the test itself (`initdb` and `postgres` from
//! Debian's `postgresql` package), three `codex-batch work` processes on one run, one killed
//! mid-run.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use codex_agent_batch::record::TaskStatus;
use codex_agent_batch::store::Store;
use codex_agent_testkit::mock_server::MockResponse;
use codex_agent_testkit::sse::Sse;
use tempfile::TempDir;

use crate::support::{WAIT, World, assert_each_once, real_codex, simple_tasks};

/// The directory of `initdb` and `postgres`; fails with what to install when missing.
fn pg_bin() -> PathBuf {
    let candidates = [
        "/usr/lib/postgresql/17/bin",
        "/usr/lib/postgresql/16/bin",
        "/usr/lib/postgresql/15/bin",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries not found in {candidates:?}; install Debian's \
                 postgresql-15 (`apt-get install postgresql-15`; .ci/run does it)"
            )
        })
}

/// The uid and gid of `name` from /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&name) && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

/// A command for a PostgreSQL binary; as root it runs as the `postgres` user (PostgreSQL
/// refuses to run as root).
#[expect(
    clippy::disallowed_methods,
    reason = "the test starts its own throwaway PostgreSQL server"
)]
fn pg_command(program: &Path, as_user: Option<(u32, u32)>) -> tokio::process::Command {
    match as_user {
        Some((uid, gid)) => {
            let mut command = tokio::process::Command::new("setpriv");
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg(program);
            command
        }
        None => tokio::process::Command::new(program),
    }
}

/// A running throwaway server; killed and removed on drop.
struct PgServer {
    _dir: TempDir,
    child: tokio::process::Child,
    url: String,
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl PgServer {
    async fn start() -> Self {
        let bin = pg_bin();
        let dir = tempfile::tempdir().expect("a directory for the server");
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let as_user = if root {
            let ids = user_ids("postgres")
                .expect("running as root, PostgreSQL needs the `postgres` user (from the postgresql package)");
            std::os::unix::fs::chown(dir.path(), Some(ids.0), Some(ids.1))
                .expect("chown the server directory");
            Some(ids)
        } else {
            None
        };
        let data = dir.path().join("data");
        let output = pg_command(&bin.join("initdb"), as_user)
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "batch",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ])
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run initdb");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("its address")
            .port();
        let child = pg_command(&bin.join("postgres"), as_user)
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args([
                "-F",
                "-c",
                "max_connections=60",
                "-c",
                "shared_buffers=16MB",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start postgres");
        let url = format!("postgres://batch@127.0.0.1:{port}/postgres");
        let server = Self {
            _dir: dir,
            child,
            url,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            use sqlx::Connection as _;
            if sqlx::PgConnection::connect(&server.url).await.is_ok() {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn task_count() -> usize {
    std::env::var("CODEX_BATCH_TEST_PG_TASKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60)
}

/// The one number `sql` selects.
async fn count(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_a_run_and_finish_a_killed_workers_tasks() {
    let server = PgServer::start().await;
    let world = World::new().await;
    world.mock.repeat_forever(
        MockResponse::from(Sse::message("resp", "ok")).delay(Duration::from_millis(100)),
    );
    let n = task_count();
    let tasks = world.task_file("tasks.jsonl", &simple_tasks(n));
    let tasks_arg = tasks.to_string_lossy().into_owned();
    let codex = real_codex().to_string_lossy().into_owned();
    let (code, stdout, stderr) = world
        .cli(&["submit", &tasks_arg, "--db", &server.url, "--run", "w"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), format!("run w: {n} task(s) queued"));

    let worker = |name: &str| {
        world.spawn_cli(&[
            "work",
            "--db",
            &server.url,
            "--run",
            "w",
            "--concurrency",
            "3",
            "--lease",
            "2",
            "--worker",
            name,
            "--codex",
            &codex,
        ])
    };
    let mut victim = worker("w1");
    let survivors = [worker("w2"), worker("w3")];

    // Kill w1 while it holds leases, after it finished some tasks.
    let pool = sqlx::PgPool::connect(&server.url).await.expect("connect");
    let deadline = Instant::now() + WAIT;
    let held: BTreeSet<String> = loop {
        assert!(
            Instant::now() < deadline,
            "w1 never held leases after finishing a task"
        );
        let done = count(
            &pool,
            "SELECT COUNT(*) FROM batch_results WHERE run = 'w' AND worker = 'w1'",
        )
        .await;
        // Kill only while w1 holds a lease: its three tasks start together and finish
        // together, so right after a completion it may hold none for a moment (which made
        // this test fail once in CI), and the kill would exercise nothing.
        let leased = count(&pool, "SELECT COUNT(*) FROM batch_tasks WHERE run = 'w' AND worker = 'w1' AND state = 'leased'").await;
        if done >= 2 && leased > 0 {
            victim.start_kill().expect("kill -9 w1");
            victim.wait().await.expect("reaped");
            let held: Vec<String> = sqlx::query_scalar(
                "SELECT task_id FROM batch_tasks WHERE run = 'w' AND worker = 'w1' AND state = 'leased'",
            )
            .fetch_all(&pool)
            .await
            .expect("leases");
            if !held.is_empty() {
                break held.into_iter().collect();
            }
            panic!("w1 held no lease when killed; the test could not exercise lease expiry");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    pool.close().await;

    for child in survivors {
        let output = tokio::time::timeout(WAIT, child.wait_with_output())
            .await
            .expect("the workers finish in time")
            .expect("a worker runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let store = Store::open(&server.url).await.expect("open the store");
    let results = store.results("w").await.expect("results");
    let status = store.status("w").await.expect("status");
    store.close().await;
    assert_each_once(&results, n);
    assert!(results.iter().all(|r| r.status == TaskStatus::Succeeded));
    for result in results.iter().filter(|r| held.contains(&r.task_id)) {
        assert_ne!(
            result.worker, "w1",
            "{} was finished by a survivor",
            result.task_id
        );
    }
    assert_eq!(
        (status.done, status.leased, status.queued),
        (n as u64, 0, 0)
    );
    let (code, stdout, _) = world
        .cli(&["status", "--db", &server.url, "--run", "w"])
        .await;
    assert_eq!(code, 0);
    assert!(stdout.contains(&format!("{n}/{n} done")), "{stdout}");
}
