//! `app-server-vs-exec`: a conversation of `--turns` turns (default 10) on one thread over one
//! `codex app-server`, against the same conversation over `codex exec`.
//!
//! Both run the real pinned codex against the mock model, home and environment of
//! `turn-overhead` ([`Rig`]). The exec side is `thread.run()` of codex-agent-sdk, `--turns` times on
//! one `Thread` (one `codex exec` process per turn, `resume` from the second). The app-server
//! side is codex-agent-exec's `AppServer`: one `codex app-server` process, spawned and initialized,
//! one `thread/start`, then `--turns` `turn/start`s each drained to `turn/completed`; its total
//! includes the spawn and the handshake, which are also reported apart. Sessions alternate
//! (exec, app-server, exec, ...) after one warm-up session of each, so drift on the machine hits
//! both sides alike. Goal: the app-server total at most 0.35× the exec total.

use std::path::Path;
use std::time::{Duration, Instant};

use codex_agent_exec::app_server::{AppServer, AppServerOptions};
use codex_agent_protocol::app_server::{ThreadStartParams, TurnStartParams, TurnStatus, UserInput};
use codex_agent_sdk::TurnOptions;

use super::turn_overhead::{PROMPT, REPLY, Rig, ms};

/// The totals of both sides per session, in milliseconds, the warm-up session left out.
#[derive(Debug)]
pub(super) struct Samples {
    /// `turns` × `thread.run()` on one thread over `codex exec`.
    pub(super) exec: Vec<f64>,
    /// Spawn, handshake, `thread/start` and `turns` turns over one `codex app-server`.
    pub(super) app_server: Vec<f64>,
    /// The part of `app_server` up to the started thread.
    pub(super) app_server_startup: Vec<f64>,
}

/// Runs `runs` alternating sessions of `turns` turns (after one warm-up session of each) and
/// returns their totals.
pub(super) async fn measure(
    codex_path: &Path,
    runs: usize,
    turns: usize,
) -> Result<Samples, String> {
    let rig = Rig::start().await?;
    let sdk = rig.sdk(codex_path)?;
    let thread_options = rig.thread_options();
    let binary = codex_agent_exec::CodexBinary::new(codex_path);
    let app_codex = codex_agent_exec::CodexOptions::new().env(rig.env.clone());
    let cwd = rig
        .workdir
        .path()
        .canonicalize()
        .map_err(|e| e.to_string())?
        .to_string_lossy()
        .into_owned();

    let mut samples = Samples {
        exec: Vec::new(),
        app_server: Vec::new(),
        app_server_startup: Vec::new(),
    };
    for i in 0..=runs {
        let start = Instant::now();
        let thread = sdk.start_thread(thread_options.clone());
        for _ in 0..turns {
            let turn = thread
                .run(PROMPT, TurnOptions::new())
                .await
                .map_err(|e| format!("thread.run() failed: {e}"))?;
            if turn.final_response != REPLY {
                return Err(format!(
                    "unexpected final response {:?}",
                    turn.final_response
                ));
            }
        }
        let exec = start.elapsed();
        let (app_server, startup) = app_server_session(&binary, &app_codex, &cwd, turns).await?;
        if i >= 1 {
            samples.exec.push(ms(exec));
            samples.app_server.push(ms(app_server));
            samples.app_server_startup.push(ms(startup));
        }
    }
    Ok(samples)
}

/// One app-server session: spawn and initialize, `thread/start`, `turns` turns. Returns the
/// total time and the time to the started thread.
async fn app_server_session(
    binary: &codex_agent_exec::CodexBinary,
    codex: &codex_agent_exec::CodexOptions,
    cwd: &str,
    turns: usize,
) -> Result<(Duration, Duration), String> {
    let start = Instant::now();
    let server = AppServer::spawn(binary, codex, AppServerOptions::new())
        .await
        .map_err(|e| format!("codex app-server did not start: {e}"))?;
    let thread = server
        .thread_start(ThreadStartParams::default().cwd(cwd))
        .await
        .map_err(|e| format!("thread/start failed: {e}"))?
        .thread
        .id;
    let startup = start.elapsed();
    for _ in 0..turns {
        let completed = server
            .turn_start(TurnStartParams::new(&thread, vec![UserInput::text(PROMPT)]))
            .await
            .map_err(|e| format!("turn/start failed: {e}"))?
            .completion()
            .await
            .map_err(|e| format!("the turn failed: {e}"))?;
        if completed.turn.status != TurnStatus::Completed {
            return Err(format!("a turn ended {:?}", completed.turn.status));
        }
    }
    let total = start.elapsed();
    server
        .shutdown()
        .await
        .map_err(|e| format!("codex app-server did not exit cleanly: {e}"))?;
    Ok((total, startup))
}
