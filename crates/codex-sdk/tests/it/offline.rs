//! A model server that goes away: codex 0.169–0.171 wait for the network forever
//! (`Reconnecting... waiting for network`), whatever the retry settings; the offline timeout
//! ends the turn with a typed error, on both transports, and a server that comes back within
//! it lets the turn finish.

use std::time::{Duration, Instant};

use codex_agent_sdk::{
    Codex, CodexOptions, Error, ThreadEvent, ThreadOptions, TimeoutKind, Transport, TurnOptions,
};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::MockServer;
use codex_agent_testkit::process_watch;
use codex_agent_testkit::sse::Sse;
use futures::StreamExt as _;

use crate::support::{WAIT, codex_env, next_event, real_codex};

/// The offline timeout of the tests that end a turn with it.
const OFFLINE: Duration = Duration::from_secs(3);

/// A `CODEX_HOME` pointing at a model server that was stopped, and a [`Codex`] on
/// `transport` using it; the port the server had, to bring it back on.
struct Offline {
    /// First, so that it is dropped first: its codex stops before its home goes.
    codex: Codex,
    _home: CodexHome,
    workdir: tempfile::TempDir,
    port: u16,
}

impl Offline {
    async fn new(transport: Transport) -> Self {
        let mock = MockServer::start().await.expect("start the mock server");
        let port = mock.addr().port();
        let home = CodexHome::new(&mock).expect("write CODEX_HOME");
        mock.shutdown().await;
        let codex = Codex::new(
            CodexOptions::new()
                .codex_path(real_codex())
                .env(codex_env(&home))
                .transport(transport),
        )
        .expect("the facade finds codex");
        Self {
            codex,
            _home: home,
            workdir: tempfile::tempdir().expect("a working directory"),
            port,
        }
    }

    fn thread_options(&self) -> ThreadOptions {
        ThreadOptions::new()
            .skip_git_repo_check(true)
            .working_directory(self.workdir.path())
    }

    /// A model server on the old port, answering `reply` once.
    async fn bring_back(&self, reply: &str) -> MockServer {
        let mock = MockServer::start_on(self.port)
            .await
            .expect("the model server's port is free again");
        mock.push(Sse::message("resp-back", reply));
        mock
    }
}

fn is_waiting_for_network(event: &ThreadEvent) -> bool {
    matches!(event, ThreadEvent::Error(error)
        if error.message.starts_with("Reconnecting... waiting for network"))
}

/// The model server is gone for good: the turn ends with `Timeout { kind: Offline }` soon
/// after the limit, having shown codex's reconnect errors, and nothing of it is left running.
async fn check_gone_for_good(transport: Transport) {
    let world = Offline::new(transport).await;
    let thread = world.codex.start_thread(world.thread_options());
    let started = Instant::now();
    let mut stream = tokio::time::timeout(
        WAIT,
        thread.run_streamed("say hi", TurnOptions::new().offline_timeout(Some(OFFLINE))),
    )
    .await
    .expect("the turn starts in time")
    .expect("the turn starts");
    let pid = stream.pid().expect("codex runs");
    let mut reconnects = 0;
    let error = loop {
        match next_event(&mut stream).await {
            Some(Ok(event)) => reconnects += usize::from(is_waiting_for_network(&event)),
            Some(Err(error)) => break error,
            None => panic!("{transport:?}: the stream ended without the offline error"),
        }
    };
    let took = started.elapsed();
    let Error::Timeout { limit, kind } = &error else {
        panic!("{transport:?}: expected Timeout, got {error:?}");
    };
    assert_eq!(*limit, OFFLINE, "{error}");
    // The error says why: codex's last report, which names the failed connection.
    let TimeoutKind::Offline {
        reason: Some(reason),
    } = kind
    else {
        panic!("{transport:?}: expected an offline timeout with codex's report, got {kind:?}");
    };
    assert!(
        reason.contains("waiting for network") && error.to_string().contains(reason.as_str()),
        "{transport:?}: {error}"
    );
    assert!(
        error.is_retryable(),
        "a model server may come back: {error}"
    );
    assert!(
        error.to_string().contains("model server"),
        "{transport:?}: {error}"
    );
    assert!(
        reconnects >= 1,
        "{transport:?}: codex's `waiting for network` errors come before the timeout"
    );
    assert!(
        took >= OFFLINE,
        "{transport:?}: ended after {took:?}, before the offline timeout"
    );
    assert!(
        stream.next().await.is_none(),
        "{transport:?}: the error ends the stream"
    );
    drop(stream);
    if transport == Transport::Exec {
        let state = process_watch::wait_dead(pid, WAIT).await;
        assert!(
            state.is_dead(),
            "exec: codex (pid {pid}) is still {state:?}"
        );
    } else {
        // The app-server lives on and the turn was interrupted: with the model back, the
        // thread's next turn runs.
        let mock = world.bring_back("back online").await;
        let turn = tokio::time::timeout(WAIT, thread.run("again", TurnOptions::new()))
            .await
            .expect("the next turn ends in time")
            .expect("the next turn completes");
        assert_eq!(turn.final_response, "back online");
        assert!(
            stream_pid_alive(pid),
            "app-server: the shared app-server survives the offline turn"
        );
        mock.shutdown().await;
    }
}

fn stream_pid_alive(pid: u32) -> bool {
    process_watch::state(pid) == process_watch::ProcessState::Alive
}

#[tokio::test]
async fn exec_a_model_server_gone_for_good_ends_the_turn_at_the_offline_timeout() {
    check_gone_for_good(Transport::Exec).await;
}

#[tokio::test]
async fn app_server_a_model_server_gone_for_good_ends_the_turn_at_the_offline_timeout() {
    check_gone_for_good(Transport::AppServer).await;
}

/// The model server comes back after codex's first reconnect error, within the offline
/// timeout: codex's next attempt reaches it and the turn completes.
async fn check_back_in_time(transport: Transport) {
    let world = Offline::new(transport).await;
    let thread = world.codex.start_thread(world.thread_options());
    let mut stream = tokio::time::timeout(
        WAIT,
        thread.run_streamed(
            "say hi",
            TurnOptions::new().offline_timeout(Some(Duration::from_secs(25))),
        ),
    )
    .await
    .expect("the turn starts in time")
    .expect("the turn starts");
    let mut mock = None;
    let mut answer = None;
    while let Some(event) = next_event(&mut stream).await {
        let event = event.unwrap_or_else(|e| panic!("{transport:?}: the turn failed: {e:?}"));
        if is_waiting_for_network(&event) && mock.is_none() {
            mock = Some(world.bring_back("made it").await);
        }
        if let ThreadEvent::ItemCompleted(done) = &event
            && let codex_agent_sdk::ItemDetails::AgentMessage(message) = &done.item.details
        {
            answer = Some(message.text.clone());
        }
    }
    assert!(
        mock.is_some(),
        "{transport:?}: codex reported the server gone"
    );
    assert_eq!(answer.as_deref(), Some("made it"), "{transport:?}");
    if let Some(mock) = mock {
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn exec_a_model_server_back_within_the_offline_timeout_lets_the_turn_finish() {
    check_back_in_time(Transport::Exec).await;
}

#[tokio::test]
async fn app_server_a_model_server_back_within_the_offline_timeout_lets_the_turn_finish() {
    check_back_in_time(Transport::AppServer).await;
}
