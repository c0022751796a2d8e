//! Shared setup: the real codex, a fresh mock model and `CODEX_HOME` per test, task files,
//! and the `codex-batch` binary.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use codex_agent_batch::record::TaskResult;
use codex_agent_batch::runner::{BatchTransport, Outcome, Runner, RunnerOptions};
use codex_agent_batch::store::{RunSettings, Store};
use codex_agent_batch::task::TaskSet;
use codex_agent_sdk::CodexOptions;
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::MockServer;
use tempfile::TempDir;

/// Bound for anything that should finish promptly.
pub(crate) const WAIT: Duration = Duration::from_mins(2);

/// The real codex of the selected supported version; fails (never skips) when unavailable.
pub(crate) fn real_codex() -> PathBuf {
    codex_agent_testkit::real_codex::real_codex().unwrap_or_else(|error| panic!("{error}"))
}

/// One test's world: a mock model, a `CODEX_HOME` pointing at it, and a scratch directory.
pub(crate) struct World {
    pub(crate) mock: MockServer,
    pub(crate) home: CodexHome,
    pub(crate) dir: TempDir,
}

impl World {
    pub(crate) async fn new() -> Self {
        Self::with(CodexHomeOptions::default()).await
    }

    pub(crate) async fn with(options: CodexHomeOptions) -> Self {
        let mock = MockServer::start().await.expect("start the mock server");
        let home = CodexHome::with_options(&mock, options).expect("write CODEX_HOME");
        let dir = tempfile::tempdir().expect("a scratch directory");
        Self { mock, home, dir }
    }

    /// The environment codex (and `codex-batch`) get: the home's variables, `PATH`, `HOME`.
    pub(crate) fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.home.env();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                env.push((name.into(), value));
            }
        }
        env
    }

    pub(crate) fn codex_options(&self) -> CodexOptions {
        CodexOptions::new().codex_path(real_codex()).env(self.env())
    }

    /// Writes `lines` as a task file in the scratch directory.
    pub(crate) fn task_file(&self, name: &str, lines: &[String]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").expect("write the task file");
        path
    }

    /// Runs every task of `tasks` through the library on a fresh SQLite store.
    pub(crate) async fn run_library(
        &self,
        tasks: &Path,
        transport: BatchTransport,
        configure: impl FnOnce(RunnerOptions) -> RunnerOptions,
    ) -> (Outcome, Vec<TaskResult>) {
        let set = TaskSet::load(tasks).expect("a valid task file");
        let store = Arc::new(
            Store::open_sqlite(&self.dir.path().join("state.db"))
                .await
                .expect("open the store"),
        );
        let chosen: Vec<_> = set
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t, None))
            .collect();
        store
            .create_or_resume("r", &set.manifest, &RunSettings { split: None }, &chosen)
            .await
            .expect("create the run");
        let codex = transport.codex(self.codex_options()).expect("codex");
        let options = configure(RunnerOptions::new(self.dir.path().join("work")));
        let runner = Runner::new(Arc::clone(&store), "r", codex, options)
            .await
            .expect("a runner");
        // A bound for a hang, not a speed check: a second per task on top, for the 200-task
        // measurement runs (`CODEX_BATCH_TEST_TASKS`) on a busy machine.
        let bound = WAIT + Duration::from_secs(u64::try_from(set.tasks.len()).unwrap_or(u64::MAX));
        let outcome = tokio::time::timeout(bound, runner.run())
            .await
            .expect("the run ends in time")
            .expect("the run succeeds");
        let results = store.results("r").await.expect("results");
        store.close().await;
        (outcome, results)
    }

    /// Starts `codex-batch` with `args`, in the scratch directory, with only this world's
    /// environment.
    #[expect(
        clippy::disallowed_methods,
        reason = "the test drives the codex-batch binary itself, and kills it"
    )]
    pub(crate) fn spawn_cli(&self, args: &[&str]) -> tokio::process::Child {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_codex-batch"))
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start codex-batch")
    }

    /// Runs `codex-batch` with `args` to its end: (exit code, stdout, stderr).
    pub(crate) async fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let child = self.spawn_cli(args);
        let output = tokio::time::timeout(WAIT, child.wait_with_output())
            .await
            .expect("codex-batch ends in time")
            .expect("codex-batch runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// `n` one-prompt tasks with ids `t0…`.
pub(crate) fn simple_tasks(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(r#"{{"id":"t{i}","prompt":"task {i}","expected":"ok","metadata":{{"n":{i}}}}}"#)
        })
        .collect()
}

/// Every task id of `results`, asserting each appears exactly once.
pub(crate) fn assert_each_once(results: &[TaskResult], n: usize) {
    let mut ids: Vec<&str> = results.iter().map(|r| r.task_id.as_str()).collect();
    ids.sort_unstable();
    let mut expected: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "every task id exactly once");
}
