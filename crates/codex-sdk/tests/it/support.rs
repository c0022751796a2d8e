//! Shared setup: the real codex behind the facade, a fresh mock model, `CODEX_HOME` and working
//! directory per test, and bounded waits.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use codex_agent_sdk::{
    Codex, CodexOptions, Error, Thread, ThreadEvent, ThreadOptions, Turn, TurnOptions, TurnStream,
};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::MockServer;
use futures::StreamExt as _;
use tempfile::TempDir;

/// Bound for anything that should happen promptly; a real turn against the mock takes well
/// under a second, so hitting this means a hang.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// The real codex of the selected supported version (`codex_agent_testkit::real_codex`); the test
/// fails (never skips) when it is unavailable.
pub(crate) fn real_codex() -> PathBuf {
    codex_agent_testkit::real_codex::real_codex().unwrap_or_else(|error| panic!("{error}"))
}

/// The whole environment codex gets: the home's variables, `PATH` and `HOME`.
pub(crate) fn codex_env(home: &CodexHome) -> Vec<(OsString, OsString)> {
    let mut env = home.env();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    env
}

/// One test's world: a mock model, a `CODEX_HOME` pointing at it, a working directory, and a
/// [`Codex`] running the real binary with only that environment.
pub(crate) struct Harness {
    /// First, so that it is dropped first: its codex processes stop before their home goes.
    pub(crate) codex: Codex,
    pub(crate) mock: MockServer,
    /// Kept alive for the test: dropping it removes the directory (once no codex uses it).
    home: CodexHome,
    pub(crate) workdir: TempDir,
}

impl Harness {
    /// Default `CODEX_HOME` options and default facade options.
    pub(crate) async fn new() -> Self {
        Self::with(CodexHomeOptions::default(), |options, _| options).await
    }

    /// `home` for the `CODEX_HOME`, and `configure` applied to the facade options after the
    /// codex path and environment are set.
    pub(crate) async fn with(
        home: CodexHomeOptions,
        configure: impl FnOnce(CodexOptions, &CodexHome) -> CodexOptions,
    ) -> Self {
        let mock = MockServer::start().await.expect("start the mock server");
        let home = CodexHome::with_options(&mock, home).expect("write CODEX_HOME");
        let workdir = tempfile::tempdir().expect("a working directory");
        let options = CodexOptions::new()
            .codex_path(real_codex())
            .env(codex_env(&home));
        let codex = Codex::new(configure(options, &home)).expect("the facade finds codex");
        Self {
            codex,
            mock,
            home,
            workdir,
        }
    }

    /// The options every test uses: no git check, the fresh working directory.
    pub(crate) fn thread_options(&self) -> ThreadOptions {
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(self.workdir.path())
    }

    pub(crate) fn start_thread(&self) -> Thread {
        self.codex.start_thread(self.thread_options())
    }

    /// The working directory as codex sees it (symlinks resolved).
    pub(crate) fn workdir(&self) -> PathBuf {
        self.workdir
            .path()
            .canonicalize()
            .expect("canonical working directory")
    }

    /// The `CODEX_HOME` of this harness.
    pub(crate) fn home(&self) -> &std::path::Path {
        self.home.path()
    }

    /// The environment codex gets in this harness (for a second [`Codex`] on the same home).
    pub(crate) fn env(&self) -> Vec<(OsString, OsString)> {
        codex_env(&self.home)
    }

    /// Asserts that every request found a scripted response.
    pub(crate) fn assert_no_mock_problems(&self) {
        assert_eq!(self.mock.problems(), Vec::<String>::new());
    }
}

impl Drop for Harness {
    /// The shared rollout check: every rollout file the test's real codex left in its
    /// `CODEX_HOME` parses with no error and no unknown (a torn last line, from a turn that was
    /// killed, is allowed). Skipped while the test is already failing, so as not to hide its
    /// message.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let problems = rollout_problems(self.home.path());
        assert!(
            problems.is_empty(),
            "rollout files the reader does not fully understand:\n{}",
            problems.join("\n")
        );
    }
}

/// Every error and unknown in the rollout files under `home` (`sessions/` and
/// `archived_sessions/`), as `file: problem`.
pub(crate) fn rollout_problems(home: &std::path::Path) -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&home.join("sessions"), &mut files);
    walk(&home.join("archived_sessions"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            problems.push(format!("{}: unreadable", file.display()));
            continue;
        };
        let rollout = codex_agent_protocol::rollout::parse_rollout(&text);
        if let Some(dir) = std::env::var_os("CODEX_SDK_KEEP_BAD_ROLLOUTS")
            && (!rollout.errors.is_empty() || !rollout.unknowns().is_empty())
            && let Some(name) = file.file_name()
        {
            // Only with the variable set: keeps what the reader stumbled on, to model it.
            let _ = std::fs::copy(&file, std::path::Path::new(&dir).join(name));
        }
        for error in &rollout.errors {
            problems.push(format!(
                "{}: line {}: {}",
                file.display(),
                error.line,
                error.error
            ));
        }
        for unknown in rollout.unknowns() {
            problems.push(format!("{}: {unknown}", file.display()));
        }
    }
    problems
}

/// Runs one turn, bounded by [`WAIT`].
pub(crate) async fn run(thread: &Thread, prompt: &str) -> Result<Turn, Error> {
    run_with(thread, prompt, TurnOptions::new()).await
}

/// Runs one turn with `options`, bounded by [`WAIT`].
pub(crate) async fn run_with(
    thread: &Thread,
    prompt: &str,
    options: TurnOptions,
) -> Result<Turn, Error> {
    tokio::time::timeout(WAIT, thread.run(prompt, options))
        .await
        .expect("the turn ends in time")
}

/// The next event of a stream, bounded by [`WAIT`].
pub(crate) async fn next_event(stream: &mut TurnStream) -> Option<Result<ThreadEvent, Error>> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an event comes in time")
}

/// Every item of `turn` as wire JSON, to compare whole values.
pub(crate) fn items_json(turn: &Turn) -> serde_json::Value {
    serde_json::to_value(&turn.items).expect("items serialize")
}

/// Asserts that neither `Display` nor `Debug` of `error` contains `secret`.
pub(crate) fn assert_no_secret(error: &Error, secret: &str) {
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!text.contains(secret), "the secret leaks: {text}");
    }
}
