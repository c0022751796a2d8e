//! The secrets test: keys given three ways (`CodexOptions::api_key`, the environment, a
//! custom provider's `env_key`), a model server that echoes them in its messages and in its
//! HTTP 401 body, and a command that prints them and dumps its environment. No key may appear
//! in the `Debug` of a public type, a streamed event on either transport, a `Turn`, an error's
//! `Display`/`Debug`/source chain/stderr tail, anything a TRACE subscriber records, or the
//! environment of the agent's commands.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use codex_agent_sdk::{
    CodexOptions, Error, ThreadEvent, ThreadOptions, Transport, TurnCollector, TurnOptions,
};
use codex_agent_testkit::codex_home::{CodexHome, CodexHomeOptions};
use codex_agent_testkit::mock_server::{MockResponse, openai_error};
use codex_agent_testkit::sse::{self, Sse};

use crate::support::{Harness, WAIT, next_event};

/// Through `CodexOptions::api_key`.
const API_KEY: &str = "apikey-7f3e9c2b5d1a4e60";
/// Through the environment, as `OPENAI_API_KEY`.
const ENV_KEY: &str = "envkey-0b8d6e2f4a9c1357";
/// Through a custom provider's `env_key`, a variable with an innocent name.
const PROVIDER_KEY: &str = "provkey-5c2e8a0f7d3b9146";
const PROVIDER_VAR: &str = "MOCKPROV_CRED";

const KEYS: [&str; 3] = [API_KEY, ENV_KEY, PROVIDER_KEY];

/// Everything every tracing event records, at TRACE, for the whole test process.
fn trace_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&log);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || SharedWriter(Arc::clone(&writer)))
            .finish();
        // nextest runs each test in its own process; under `cargo test` another test may have
        // set it first, and then its subscriber records instead (this test still runs).
        let _ = tracing::subscriber::set_global_default(subscriber);
        log
    })
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for key in KEYS {
        assert!(!text.contains(key), "a key leaks through {what}: {text}");
    }
}

fn assert_clean_error(error: &Error) {
    assert_clean("an error's Display", &error.to_string());
    assert_clean("an error's Debug", &format!("{error:?} {error:#?}"));
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        assert_clean("an error's source chain", &format!("{inner} {inner:?}"));
        source = inner.source();
    }
    if let Some(tail) = error.stderr_tail() {
        assert_clean("a stderr tail", tail);
    }
}

async fn harness(transport: Transport, log_dir: &std::path::Path) -> Harness {
    let log = codex_agent_sdk::telemetry::EventLog::open(
        codex_agent_sdk::telemetry::EventLogOptions::new(log_dir),
    )
    .expect("open the event log");
    Harness::with(CodexHomeOptions::default(), |options, home| {
        let mut env: Vec<_> = crate::support::codex_env(home);
        env.push(("OPENAI_API_KEY".into(), ENV_KEY.into()));
        env.push((PROVIDER_VAR.into(), PROVIDER_KEY.into()));
        // The mock provider now reads its key from a variable whose name says nothing.
        let options: CodexOptions = options
            .env(env)
            .api_key(API_KEY)
            .config_entry(
                format!("model_providers.{}.env_key", CodexHome::PROVIDER_ID),
                PROVIDER_VAR,
            )
            .transport(transport)
            // Everything the event log writes is checked too.
            .telemetry(codex_agent_sdk::Telemetry::new().event_log(log));
        options
    })
    .await
}

async fn secrets_never_leave_the_sdk(transport: Transport) {
    let log = Arc::clone(trace_log());
    let log_dir = tempfile::tempdir().expect("a directory for the event log");
    let h = harness(transport, log_dir.path()).await;
    let echo = KEYS.join(" ");
    // Turn 1: the model runs a command that prints the keys and dumps its environment, then
    // quotes the keys in its answer.
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command(
            "call-1",
            &format!(
                "echo {echo}; env > env.txt; echo \"cred=${PROVIDER_VAR} key=$CODEX_API_KEY\""
            ),
        )],
    ));
    h.mock.push(Sse::reply(
        "resp-2",
        [sse::assistant_message(
            "msg-1",
            &format!("The keys are {echo}."),
        )],
    ));
    // Turn 2: the server rejects the key and quotes every key, as real APIs do.
    h.mock.repeat_forever(MockResponse::error(
        401,
        openai_error(
            &format!("Incorrect API key provided: {echo}."),
            "invalid_request_error",
            "invalid_api_key",
        ),
    ));

    let options = ThreadOptions::new()
        .skip_git_repo_check(true)
        .working_directory(h.workdir.path());
    let thread = h.codex.start_thread(options.clone());

    let mut collector = TurnCollector::new();
    let mut stream = thread
        .run_streamed("show me the keys", TurnOptions::new())
        .await
        .expect("the turn starts");
    assert_clean("a TurnStream's Debug", &format!("{stream:?}"));
    while let Some(event) = next_event(&mut stream).await {
        let event = event.expect("turn 1 succeeds");
        let json = serde_json::to_string(&event).expect("events serialize");
        assert_clean("a streamed event", &json);
        assert_clean("an event's Debug", &format!("{event:?}"));
        collector.push(event);
    }
    drop(stream);
    let turn = collector.finish().expect("turn 1 completes");
    assert_clean("a Turn", &format!("{turn:?}"));
    assert!(
        turn.final_response.contains("[REDACTED]"),
        "the model's echo was redacted, not dropped: {}",
        turn.final_response
    );

    // The agent's command saw none of the keys in its environment.
    let env_dump = std::fs::read_to_string(h.workdir.path().join("env.txt"))
        .expect("the command dumped its environment");
    assert_clean("the environment of the agent's commands", &env_dump);
    assert!(
        env_dump.contains(&format!("{PROVIDER_VAR}=")),
        "the variable is there, blanked: {env_dump}"
    );

    // Turn 2 fails with the keys in the server's message: stream it, then `run` it.
    let mut stream = thread
        .run_streamed("again", TurnOptions::new())
        .await
        .expect("the turn starts");
    let mut saw_failure = false;
    while let Some(event) = next_event(&mut stream).await {
        match event {
            Ok(event) => {
                saw_failure |= matches!(event, ThreadEvent::TurnFailed(_));
                let json = serde_json::to_string(&event).expect("events serialize");
                assert_clean("a streamed failure event", &json);
            }
            Err(error) => assert_clean_error(&error),
        }
    }
    assert!(saw_failure, "turn 2 reported turn.failed");
    drop(stream);
    let error = tokio::time::timeout(WAIT, thread.run("once more", TurnOptions::new()))
        .await
        .expect("the turn ends in time")
        .expect_err("unauthorized");
    assert!(matches!(error, Error::TurnFailed { .. }), "{error:?}");
    assert_clean_error(&error);

    assert_public_debugs_are_clean(&h, &thread, &options);
    drop(thread);
    drop(h);
    let recorded =
        String::from_utf8_lossy(&log.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
    assert!(
        !recorded.is_empty(),
        "the TRACE subscriber recorded something"
    );
    assert_clean("a TRACE log record", &recorded);
    assert_event_log_is_clean(log_dir.path());
}

/// Everything the event log wrote: the turns are there, the keys are not.
fn assert_event_log_is_clean(dir: &std::path::Path) {
    let mut logged = String::new();
    for entry in std::fs::read_dir(dir).expect("the event log directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_file() {
            logged.push_str(&std::fs::read_to_string(&path).expect("an event log file"));
        }
    }
    assert!(
        logged.contains("turn.completed"),
        "the event log recorded the turns: {logged}"
    );
    assert_clean("the event log", &logged);
}

/// S1, S8: the `Debug` of every public type that holds options or secrets.
fn assert_public_debugs_are_clean(
    h: &Harness,
    thread: &codex_agent_sdk::Thread,
    options: &ThreadOptions,
) {
    for (what, debug) in [
        ("Codex", format!("{:?}", h.codex)),
        ("Thread", format!("{thread:?}")),
        ("ThreadOptions", format!("{options:?}")),
        (
            "CodexOptions",
            format!(
                "{:?}",
                CodexOptions::new()
                    .api_key(API_KEY)
                    .secret(ENV_KEY)
                    .base_url(format!("https://u:{PROVIDER_KEY}@h/v1?key={PROVIDER_KEY}"))
                    .config_entry("http_headers.Authorization", format!("Bearer {API_KEY}"))
                    .config_overrides([format!("x.token=\"{ENV_KEY}\"")])
            ),
        ),
    ] {
        assert_clean(what, &debug);
    }
}

#[tokio::test]
async fn secrets_never_leave_the_sdk_on_exec() {
    secrets_never_leave_the_sdk(Transport::Exec).await;
}

#[tokio::test]
async fn secrets_never_leave_the_sdk_on_the_app_server() {
    secrets_never_leave_the_sdk(Transport::AppServer).await;
}
