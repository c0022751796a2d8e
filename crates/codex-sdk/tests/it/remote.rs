//! The remote transport: real `codex app-server --listen ws://127.0.0.1:PORT` processes with
//! capability tokens (started by the testkit), each with its own `CODEX_HOME` pointing at the
//! scripted mock model, driven through `CodexOptions::remote` and a `RemotePool`.
//!
//! Token auth over WebSocket works the same on every supported codex (0.169.0 and 0.171.0
//! both take `--ws-auth capability-token --ws-token-file`), so no test depends on the version.

use std::time::Duration;

use codex_agent_sdk::exec::Error as ExecError;
use codex_agent_sdk::{
    Codex, CodexOptions, Error, RemoteEndpoint, RemotePool, ThreadOptions, Transport, TurnOptions,
};
use codex_agent_testkit::codex_home::CodexHome;
use codex_agent_testkit::mock_server::{Gate, MockResponse, MockServer};
use codex_agent_testkit::remote_server::RemoteAppServer;
use codex_agent_testkit::sse::Sse;
use tempfile::TempDir;

use crate::support::{WAIT, assert_no_secret, codex_env, next_event, real_codex};

const TOKEN_A: &str = "remote-token-a-0123456789abcdef";
const TOKEN_B: &str = "remote-token-b-0123456789abcdef";

/// A remote app-server with its own `CODEX_HOME` pointing at `mock`.
struct Peer {
    server: RemoteAppServer,
    /// Kept alive for the server: dropping it removes the directory.
    _home: CodexHome,
}

async fn peer(mock: &MockServer, token: &str) -> Peer {
    let home = CodexHome::new(mock).expect("write CODEX_HOME");
    let server = RemoteAppServer::start(&real_codex(), &codex_env(&home), Some(token))
        .await
        .unwrap_or_else(|error| panic!("start codex app-server --listen ws://: {error}"));
    Peer {
        server,
        _home: home,
    }
}

fn endpoint(peer: &Peer, token: &str) -> RemoteEndpoint {
    RemoteEndpoint::new(peer.server.url())
        .expect("a ws:// URL")
        .token(token)
        .connect_timeout(Duration::from_secs(10))
}

fn remote_codex(endpoint: RemoteEndpoint) -> Codex {
    Codex::new(CodexOptions::new().remote(endpoint)).expect("a remote facade needs no binary")
}

fn thread_options(workdir: &TempDir) -> ThreadOptions {
    ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(workdir.path())
}

/// Runs one turn on a new thread of `codex`, bounded by [`WAIT`].
async fn one_turn(codex: &Codex, workdir: &TempDir, prompt: &str) -> Result<String, Error> {
    let thread = codex.start_thread(thread_options(workdir));
    let turn = tokio::time::timeout(WAIT, thread.run(prompt, TurnOptions::new()))
        .await
        .expect("the turn ends in time")?;
    Ok(turn.final_response)
}

/// How many TCP connections this test process has open (established) to `port` on
/// loopback: its own sockets (`/proc/self/fd`) matched against `/proc/net/tcp`.
fn connections_to(port: u16) -> usize {
    let own: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_owned(),
            )
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode
            fields.len() > 9 && fields[2] == remote && fields[3] == "01" && own.contains(fields[9])
        })
        .count()
}

/// Asserts that nothing of the server's process group still runs.
fn assert_gone(peer: &Peer) {
    assert_eq!(
        peer.server.group_members(),
        Vec::<u32>::new(),
        "processes of codex app-server {} outlived it",
        peer.server.pid()
    );
}

#[tokio::test]
async fn turns_run_over_a_websocket_with_a_token() {
    let mock = MockServer::start().await.expect("start the mock server");
    let mut peer = peer(&mock, TOKEN_A).await;
    let workdir = tempfile::tempdir().expect("a working directory");
    mock.push(Sse::message("resp-1", "Hello from afar"));
    mock.push(Sse::message("resp-2", "Second turn"));

    let codex = remote_codex(endpoint(&peer, TOKEN_A));
    assert!(codex.binary().is_none(), "codex runs on the server");
    let thread = codex.start_thread(thread_options(&workdir));
    let first = tokio::time::timeout(WAIT, thread.run("hi", TurnOptions::new()))
        .await
        .expect("in time")
        .expect("the first turn completes over the WebSocket");
    assert_eq!(first.final_response, "Hello from afar");
    let second = tokio::time::timeout(WAIT, thread.run("again", TurnOptions::new()))
        .await
        .expect("in time")
        .expect("the thread goes on on the same connection");
    assert_eq!(second.final_response, "Second turn");
    assert!(thread.id().is_some());
    assert_eq!(mock.requests().len(), 2);

    // Shutting a remote Codex down closes its connection only: the server keeps running, and
    // the next turn connects again and resumes the thread there.
    assert_eq!(connections_to(peer.server.port()), 1, "one connection");
    codex
        .shutdown()
        .await
        .expect("the connection closes cleanly");
    assert_eq!(
        connections_to(peer.server.port()),
        0,
        "shutdown() closed the connection"
    );
    assert!(
        !codex_agent_testkit::process_watch::state(peer.server.pid()).is_dead(),
        "the remote server keeps running"
    );
    mock.push(Sse::message("resp-3", "Third turn"));
    let third = tokio::time::timeout(WAIT, thread.run("once more", TurnOptions::new()))
        .await
        .expect("in time")
        .expect("the thread goes on over a new connection");
    assert_eq!(third.final_response, "Third turn");
    assert_eq!(mock.problems(), Vec::<String>::new());

    drop((thread, codex));
    peer.server.kill();
    assert_gone(&peer);
}

#[tokio::test]
async fn a_wrong_or_missing_token_is_refused_with_a_typed_error() {
    let mock = MockServer::start().await.expect("start the mock server");
    let peer = peer(&mock, TOKEN_A).await;
    let workdir = tempfile::tempdir().expect("a working directory");

    let wrong = remote_codex(endpoint(&peer, TOKEN_B));
    let error = one_turn(&wrong, &workdir, "hi")
        .await
        .expect_err("a wrong token is refused");
    let Error::RemoteUnauthorized { endpoint, source } = &error else {
        panic!("expected RemoteUnauthorized, got {error:?}");
    };
    assert_eq!(endpoint, &peer.server.url());
    assert!(
        matches!(&**source, ExecError::RemoteUnauthorized { reason, .. } if reason.contains("invalid")),
        "{source:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "the remote codex app-server at {} refused the token",
            peer.server.url()
        )
    );
    assert!(!error.is_retryable(), "a wrong token stays wrong");
    assert_no_secret(&error, TOKEN_B);
    assert_no_secret(&error, TOKEN_A);

    let missing = remote_codex(RemoteEndpoint::new(peer.server.url()).expect("a ws:// URL"));
    let error = one_turn(&missing, &workdir, "hi")
        .await
        .expect_err("a missing token is refused");
    assert!(
        matches!(&error, Error::RemoteUnauthorized { source, .. } if matches!(&**source, ExecError::RemoteUnauthorized { reason, .. } if reason.contains("missing"))),
        "{error:?}"
    );
    assert!(mock.requests().is_empty(), "nothing reached the model");
}

#[tokio::test]
async fn two_servers_share_turns_through_the_pool() {
    const TURNS: usize = 6;
    let mock = MockServer::start().await.expect("start the mock server");
    let a = peer(&mock, TOKEN_A).await;
    let b = peer(&mock, TOKEN_B).await;
    let workdir = tempfile::tempdir().expect("a working directory");
    for i in 0..TURNS {
        mock.push(Sse::message(&format!("resp-{i}"), "done"));
    }
    let endpoints = [endpoint(&a, TOKEN_A), endpoint(&b, TOKEN_B)];
    let clients: Vec<Codex> = endpoints.iter().cloned().map(remote_codex).collect();
    let pool = RemotePool::new(endpoints).expect("a pool of two");

    // Every lease is taken before any turn runs, so the load decides: A, B, A, B, …
    let mut leases = Vec::new();
    for _ in 0..TURNS {
        leases.push(pool.acquire().await.expect("a healthy endpoint"));
    }
    let turns = leases.into_iter().map(|lease| {
        let codex = clients[lease.index()].clone();
        let workdir = &workdir;
        async move {
            let response = one_turn(&codex, workdir, "work").await;
            (lease.index(), response)
        }
    });
    let results = futures::future::join_all(turns).await;
    let mut per_endpoint = [0usize; 2];
    for (index, response) in results {
        assert_eq!(response.expect("every turn completes"), "done");
        per_endpoint[index] += 1;
    }
    assert_eq!(
        per_endpoint,
        [TURNS / 2, TURNS / 2],
        "both servers got work"
    );
    let status = pool.status();
    assert_eq!(
        status
            .iter()
            .map(|s| (s.in_flight, s.handed_out))
            .collect::<Vec<_>>(),
        [(0, 3), (0, 3)],
        "dropped leases gave their load back"
    );
    assert_eq!(mock.problems(), Vec::<String>::new());
    drop(clients);
    drop((a, b));
}

#[tokio::test]
async fn a_killed_server_is_taken_out_and_turns_go_to_the_other() {
    let mock = MockServer::start().await.expect("start the mock server");
    let a = peer(&mock, TOKEN_A).await;
    let mut b = peer(&mock, TOKEN_B).await;
    let workdir = tempfile::tempdir().expect("a working directory");
    let endpoints = [endpoint(&a, TOKEN_A), endpoint(&b, TOKEN_B)];
    let clients: Vec<Codex> = endpoints.iter().cloned().map(remote_codex).collect();
    // Every hand-out is checked; a failed endpoint stays out for the whole test.
    let pool = RemotePool::new(endpoints)
        .expect("a pool of two")
        .check_interval(Duration::ZERO)
        .backoff(Duration::from_hours(1), Duration::from_hours(1));

    // B works, and its client has a live connection.
    mock.push(Sse::message("resp-b", "from b"));
    assert_eq!(
        one_turn(&clients[1], &workdir, "warm up")
            .await
            .expect("B answers"),
        "from b"
    );

    b.server.kill();
    assert_gone(&b);

    // B's client learns it on its next turn: a typed, retryable error naming the endpoint.
    let error = one_turn(&clients[1], &workdir, "hi")
        .await
        .expect_err("B is gone");
    assert!(matches!(error, Error::Remote(_)), "{error:?}");
    assert!(error.is_retryable(), "another endpoint may take the turn");
    assert!(
        format!("{error:?}").contains(&b.server.url()),
        "the error names the endpoint: {error:?}"
    );

    // The pool takes B out and hands every turn to A.
    for i in 0..4 {
        mock.push(Sse::message(&format!("resp-a-{i}"), "from a"));
        let lease = pool.acquire().await.expect("A is healthy");
        assert_eq!(lease.index(), 0, "turn {i} goes to the live server");
        let response = one_turn(&clients[lease.index()], &workdir, "work")
            .await
            .expect("A answers");
        assert_eq!(response, "from a");
    }
    let status = pool.status();
    assert_eq!(
        status.iter().map(|s| s.healthy).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(mock.problems(), Vec::<String>::new());
    drop(clients);
    drop(a);
}

#[tokio::test]
async fn a_socket_dropped_mid_turn_fails_the_turn_with_a_typed_error() {
    let mock = MockServer::start().await.expect("start the mock server");
    let mut peer = peer(&mock, TOKEN_A).await;
    let workdir = tempfile::tempdir().expect("a working directory");
    let gate = Gate::new();
    mock.push(MockResponse::sse(Sse::message("resp-1", "never")).hold_after(1, &gate));
    let codex = remote_codex(endpoint(&peer, TOKEN_A));
    let thread = codex.start_thread(thread_options(&workdir));
    let mut stream = tokio::time::timeout(WAIT, thread.run_streamed("hi", TurnOptions::new()))
        .await
        .expect("in time")
        .expect("the turn starts");
    gate.wait_reached(WAIT)
        .await
        .expect("the model call is in flight");

    peer.server.kill();
    assert_gone(&peer);
    let mut last = None;
    while let Some(event) = next_event(&mut stream).await {
        if let Err(error) = event {
            last = Some(error);
            break;
        }
    }
    let error = last.expect("the turn fails instead of ending quietly");
    let Error::Remote(ExecError::RemoteClosed { endpoint }) = &error else {
        panic!("expected Remote(RemoteClosed), got {error:?}");
    };
    assert_eq!(endpoint, &peer.server.url());
    assert!(error.is_retryable());
    gate.release();
}

#[test]
fn local_only_options_are_refused_on_the_remote_transport() {
    let endpoint = RemoteEndpoint::new("ws://127.0.0.1:9").expect("a ws:// URL");
    let refused = |options: CodexOptions| match Codex::new(options) {
        Err(Error::Unsupported {
            operation,
            transport: Transport::Remote,
        }) => operation,
        other => panic!("expected Unsupported on remote, got {other:?}"),
    };
    let remote = || CodexOptions::new().remote(endpoint.clone());
    assert_eq!(
        refused(remote().codex_path("/usr/bin/codex")),
        "`CodexOptions::codex_path`"
    );
    assert_eq!(refused(remote().env([("A", "1")])), "`CodexOptions::env`");
    assert_eq!(
        refused(remote().base_url("http://x/v1")),
        "`CodexOptions::base_url`"
    );
    assert_eq!(refused(remote().api_key("sk-x")), "`CodexOptions::api_key`");
    assert_eq!(
        refused(remote().config_entry("model", "m")),
        "`CodexOptions::config`"
    );
    assert_eq!(
        refused(remote().config_overrides(["model=\"m\""])),
        "`CodexOptions::config_overrides`"
    );
    assert_eq!(
        refused(remote().secret_env("X")),
        "`CodexOptions::secret_env`"
    );
    assert_eq!(
        refused(remote().share_secrets_with_commands(true)),
        "`CodexOptions::share_secrets_with_commands`"
    );
    // What applies on the server side, or only redacts, is accepted.
    let codex = Codex::new(
        remote()
            .secret("a-registered-secret-value")
            .approval_timeout(Duration::from_secs(5))
            .kill_grace(Duration::from_secs(1)),
    )
    .expect("accepted");
    assert_eq!(codex.remote_endpoint(), Some(&endpoint));
    assert!(matches!(
        Codex::new(CodexOptions::new().transport(Transport::Remote)),
        Err(Error::InvalidOptions(ExecError::InvalidEndpoint { .. }))
    ));
}
