//! `turn-overhead`: the per-turn cost of `thread.run()` over the bare `codex exec` command on
//! the same scenario.
//!
//! Both run the real pinned codex against the same scripted mock model (one plain assistant
//! message per turn) with the same throwaway `CODEX_HOME`; runs alternate (bare, SDK, bare,
//! SDK, ...) after two warm-up runs of each, so drift on the machine hits both sides alike. The
//! bare side is what a shell script would do: spawn `codex exec --experimental-json
//! --skip-git-repo-check`, write the prompt to stdin, close it, read stdout to the end and
//! wait. The SDK side is one `thread.run()` on a fresh thread.
//!
//! The mock model, home and environment ([`Rig`]) are shared with
//! [`app_server_vs_exec`](super::app_server_vs_exec).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codex_agent_sdk::{Codex, CodexOptions, ThreadOptions, TurnOptions};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::sse::Sse;

/// The prompt of every turn of the real-codex scenarios.
pub(crate) const PROMPT: &str = "say hi";
/// What the mock model answers every turn of the real-codex scenarios.
pub(crate) const REPLY: &str = "Hello from the mock model.";

/// What the real-codex scenarios run codex in: a mock model answering every turn with
/// [`REPLY`], a throwaway `CODEX_HOME` pointing codex at it, an empty working directory and the
/// environment codex gets (the home's variables, `PATH`, and `HOME` set to an empty directory).
///
/// `HOME` is empty so that what is measured does not depend on the dotfiles of whoever runs the
/// bench: codex snapshots the user's login shell when it starts, which runs `~/.bashrc`. On the
/// machine this bench was written on that ran `pyenv init` and `pyenv rehash` in every codex
/// process, about 25 ms a turn on both sides, and a rehash killed with its codex left pyenv's
/// lock behind, after which every later rehash waited in a loop of `sleep`s that outlived its
/// turn and ran into the next ones.
pub(crate) struct Rig {
    // Kept alive for codex; dropping them stops the mock and deletes the homes.
    _mock: MockServer,
    _home: CodexHome,
    _user_home: tempfile::TempDir,
    pub(crate) workdir: tempfile::TempDir,
    pub(crate) env: Vec<(OsString, OsString)>,
}

impl Rig {
    pub(crate) async fn start() -> Result<Self, String> {
        let mock = MockServer::start().await.map_err(|e| e.to_string())?;
        mock.repeat_forever(Sse::message("resp-1", REPLY));
        let home = CodexHome::new(&mock).map_err(|e| e.to_string())?;
        let workdir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let user_home = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut env: Vec<(OsString, OsString)> = home.env();
        if let Some(path) = std::env::var_os("PATH") {
            env.push(("PATH".into(), path));
        }
        env.push(("HOME".into(), user_home.path().into()));
        Ok(Self {
            _mock: mock,
            _home: home,
            _user_home: user_home,
            workdir,
            env,
        })
    }

    /// A facade on the real codex at `codex_path` with this rig's environment.
    pub(super) fn sdk(&self, codex_path: &Path) -> Result<Codex, String> {
        Codex::new(
            CodexOptions::new()
                .codex_path(codex_path)
                .env(self.env.clone()),
        )
        .map_err(|e| e.to_string())
    }

    /// Thread options for this rig's working directory, outside any git repository.
    pub(crate) fn thread_options(&self) -> ThreadOptions {
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(self.workdir.path())
    }
}

/// The samples of both sides, in milliseconds, warm-up runs left out.
#[derive(Debug)]
pub(super) struct Samples {
    pub(super) bare_ms: Vec<f64>,
    pub(super) sdk_ms: Vec<f64>,
}

/// Runs `runs` alternating pairs (after two warm-up pairs) and returns their times.
pub(super) async fn measure(codex_path: &Path, runs: usize) -> Result<Samples, String> {
    let rig = Rig::start().await?;
    let sdk = rig.sdk(codex_path)?;
    let thread_options = rig.thread_options();

    let mut samples = Samples {
        bare_ms: Vec::new(),
        sdk_ms: Vec::new(),
    };
    for i in 0..runs + 2 {
        let bare = bare_exec(codex_path, &rig.env, rig.workdir.path())?;
        let start = Instant::now();
        let turn = sdk
            .start_thread(thread_options.clone())
            .run(PROMPT, TurnOptions::new())
            .await
            .map_err(|e| format!("thread.run() failed: {e}"))?;
        let ours = start.elapsed();
        if turn.final_response != REPLY {
            return Err(format!(
                "unexpected final response {:?}",
                turn.final_response
            ));
        }
        if i >= 2 {
            samples.bare_ms.push(ms(bare));
            samples.sdk_ms.push(ms(ours));
        }
    }
    Ok(samples)
}

/// One bare `codex exec` turn, as a shell script would run it.
fn bare_exec(codex: &Path, env: &[(OsString, OsString)], dir: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new(codex)
        .args(["exec", "--experimental-json", "--skip-git-repo-check"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot spawn {}: {e}", codex.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(PROMPT.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains("turn.completed") {
        return Err(format!(
            "bare codex exec failed ({}): {stdout}",
            output.status
        ));
    }
    Ok(elapsed)
}

/// `d` in milliseconds.
pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
