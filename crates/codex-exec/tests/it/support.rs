//! Shared helpers: spawning the fake codex, collecting streams with a time bound, and the
//! process-wide lock that keeps the file-descriptor census exact.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use codex_agent_exec::{Error, ExecOptions, ExecStream, ProcessSpec};
use codex_agent_protocol::exec::ThreadEvent;
use codex_agent_testkit::fake_codex::{self, SCRIPT_ENV, Script};
use codex_agent_testkit::process_watch::{self, ProcessState};
use futures::StreamExt;
use tempfile::TempDir;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The API key given to every fake; it must never show in an error.
pub(crate) const API_KEY: &str = "sk-test-0123456789abcdefSECRET";

/// Bound for anything that should happen promptly (a test fails instead of hanging).
pub(crate) const PROMPT: Duration = Duration::from_secs(20);

/// Tests that spawn take this lock shared; the descriptor census takes it exclusively, so no
/// other test opens pipes while it counts.
static PROCESS_LOCK: RwLock<()> = RwLock::const_new(());

pub(crate) async fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS_LOCK.read().await
}

/// [`shared`] for tests without a runtime.
pub(crate) fn shared_blocking() -> RwLockReadGuard<'static, ()> {
    PROCESS_LOCK.blocking_read()
}

pub(crate) async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS_LOCK.write().await
}

/// The fake codex executable (located and checked once per test process).
pub(crate) fn fake_program() -> PathBuf {
    static FAKE: OnceLock<PathBuf> = OnceLock::new();
    FAKE.get_or_init(|| fake_codex::locate("exec-fake-codex"))
        .clone()
}

/// A scratch directory for one turn: the script, pid files, reports.
pub(crate) struct Scratch {
    pub(crate) dir: TempDir,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("create a temp dir"),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A spec running the fake with `script`, the API key in its environment and a prompt.
    pub(crate) fn spec(&self, script: &Script) -> ProcessSpec {
        let script_path = script.write_to(self.dir.path()).expect("write the script");
        ProcessSpec::new(fake_program())
            .arg("exec")
            .arg("--experimental-json")
            .env(SCRIPT_ENV, script_path)
            .env("CODEX_API_KEY", API_KEY)
            .stdin("say hi")
    }
}

/// Collects every item of the stream, failing the test if it does not end within [`PROMPT`].
pub(crate) async fn collect(stream: ExecStream) -> Vec<Result<ThreadEvent, Error>> {
    tokio::time::timeout(PROMPT, stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends promptly")
}

/// The next item, failing the test if it does not come within [`PROMPT`].
pub(crate) async fn next(stream: &mut ExecStream) -> Option<Result<ThreadEvent, Error>> {
    tokio::time::timeout(PROMPT, stream.next())
        .await
        .expect("an item comes promptly")
}

/// Renders items as event types and error messages, to compare whole transcripts.
pub(crate) fn event_types(items: &[Result<ThreadEvent, Error>]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            Ok(event) => event.event_type().to_owned(),
            Err(error) => format!("error: {error}"),
        })
        .collect()
}

/// Reads the pid the fake wrote.
pub(crate) async fn pid_from(path: &Path) -> u32 {
    process_watch::read_pid(path, PROMPT)
        .await
        .expect("the fake writes its pid file")
}

/// Asserts that our direct child has been reaped.
pub(crate) async fn assert_reaped(pid: u32) {
    let state = process_watch::wait_gone(pid, PROMPT).await;
    assert_eq!(
        state,
        ProcessState::Gone,
        "codex (pid {pid}) is still there"
    );
}

/// Asserts that a grandchild is dead (gone or a zombie waiting for pid 1).
pub(crate) async fn assert_dead(pid: u32) {
    let state = process_watch::wait_dead(pid, PROMPT).await;
    assert!(state.is_dead(), "grandchild (pid {pid}) is still {state:?}");
}

/// Asserts that neither `Display` nor `Debug` of `error` holds the API key or a fragment
/// of it.
pub(crate) fn assert_no_secret(error: &Error) {
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!text.contains(API_KEY), "API key in {text}");
        assert!(!text.contains("SECRET"), "API key fragment in {text}");
    }
}

/// Default options for tests: short grace so escalation tests finish fast.
pub(crate) fn options() -> ExecOptions {
    ExecOptions::new().kill_grace(Duration::from_millis(300))
}

/// Every `tracing` event and span, at every level, rendered as text; installed for the current
/// thread (which runs every task of a `#[tokio::test]`) until the guard is dropped.
#[derive(Default)]
pub(crate) struct LogCapture {
    records: std::sync::Mutex<Vec<String>>,
    count: tokio::sync::watch::Sender<usize>,
}

impl LogCapture {
    pub(crate) fn install() -> (std::sync::Arc<Self>, tracing::subscriber::DefaultGuard) {
        let capture = std::sync::Arc::new(Self::default());
        let guard = tracing::subscriber::set_default(std::sync::Arc::clone(&capture));
        (capture, guard)
    }

    pub(crate) fn records(&self) -> Vec<String> {
        self.records.lock().expect("not poisoned").clone()
    }

    /// Waits (bounded by [`PROMPT`]) until a record contains `needle`.
    pub(crate) async fn wait_for(&self, needle: &str) {
        let mut count = self.count.subscribe();
        let seen = tokio::time::timeout(
            PROMPT,
            count.wait_for(|_| self.records().iter().any(|r| r.contains(needle))),
        )
        .await;
        assert!(
            matches!(seen, Ok(Ok(_))),
            "no log record with {needle:?} in {:#?}",
            self.records()
        );
    }

    fn push(&self, record: String) {
        self.records.lock().expect("not poisoned").push(record);
        self.count.send_modify(|n| *n += 1);
    }
}

/// Renders fields as ` name=value`.
struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for LogCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = format!("span {}", span.metadata().name());
        span.record(&mut Fields(&mut text));
        self.push(text);
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut text = "span record".to_owned();
        values.record(&mut Fields(&mut text));
        self.push(text);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = event.metadata().level().to_string();
        event.record(&mut Fields(&mut text));
        self.push(text);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
