//! [`EventLog`]: every [`ThreadEvent`] as one NDJSON line, with its time, thread and turn,
//! in size-rotated files; [`replay`] reads them back.
//!
//! # Files
//!
//! The log lives in one directory: `events.ndjson` is written; when a line would take it
//! past [`EventLogOptions::max_bytes`], it becomes `events.1.ndjson`, the older ones move up
//! (`events.2.ndjson`, …) and those past [`EventLogOptions::retain`] are deleted.
//!
//! # Lines
//!
//! `{"ts":"2026-12-06T17:55:12.123Z","thread_id":"…","turn_id":"…","event":{…}}`, where
//! `event` is the exec wire form of the event. Every string in it went through the
//! [`Redactor`] first.
//!
//! # Crash safety and writers
//!
//! A line is written with one `write` on a file opened for appending, so a crash leaves at
//! most the last line torn: [`replay`] skips a last line without its newline, and opening the
//! log again cuts such a tail off before appending. Within one process, every [`EventLog`]
//! opened on the same directory shares one writer behind a mutex, so any number of threads
//! and tasks may append at once; lines never interleave.
//!
//! One process writes a directory at a time: the writer holds an exclusive advisory lock on
//! `events.lock` in it (`flock` on Unix, `LockFileEx` on Windows) for as long as an
//! [`EventLog`] on it is alive, and [`EventLog::open`] in a second process fails with
//! [`Error::LogInUse`] instead of racing the first one's rotation. Give each process its own
//! directory. [`replay`] takes no lock: it reads while a writer appends.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use codex_agent_protocol::exec::ThreadEvent;
use codex_agent_protocol::secret::Redactor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;

const CURRENT: &str = "events.ndjson";
/// The file whose lock marks the directory as written by one process.
const LOCK: &str = "events.lock";

/// Where and how an [`EventLog`] writes.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct EventLogOptions {
    dir: PathBuf,
    max_bytes: u64,
    retain: usize,
    redactor: Redactor,
}

impl EventLogOptions {
    /// A log in `dir` (created when missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_bytes: 16 * 1024 * 1024,
            retain: 5,
            redactor: Redactor::default(),
        }
    }

    /// Rotates the current file before a line would take it past this many bytes (a single
    /// longer line still gets a file of its own).
    ///
    /// By default, 16 MiB.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// How many rotated files to keep besides the current one; older ones are deleted.
    ///
    /// By default, 5.
    pub fn retain(mut self, files: usize) -> Self {
        self.retain = files;
        self
    }

    /// The redactor every string of a line goes through.
    ///
    /// By default, [`Redactor::default`] (the built-in patterns: bearer tokens, API keys).
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogRecord {
    /// When the SDK saw the event, RFC 3339 in UTC with milliseconds.
    pub ts: String,
    /// The thread, once known (`thread.started` carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The turn: the app-server's turn id, or `exec-<n>` (the thread's n-th turn of this
    /// process) on the exec transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// The event, redacted.
    pub event: ThreadEvent,
}

/// An NDJSON log of thread events; cheap to clone (clones share the writer).
#[derive(Clone)]
pub struct EventLog {
    writer: Arc<Mutex<Writer>>,
    redactor: Redactor,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("EventLog")
            .field("dir", &writer.dir)
            .field("max_bytes", &writer.max_bytes)
            .field("retain", &writer.retain)
            .finish_non_exhaustive()
    }
}

struct Writer {
    dir: PathBuf,
    max_bytes: u64,
    retain: usize,
    file: File,
    size: u64,
    /// `events.lock`, locked exclusively while this writer lives (closing it unlocks).
    _lock: File,
}

/// Writers by directory, so that two logs on one directory in this process share one.
fn writers() -> &'static Mutex<HashMap<PathBuf, Weak<Mutex<Writer>>>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Weak<Mutex<Writer>>>>> = OnceLock::new();
    WRITERS.get_or_init(Mutex::default)
}

impl EventLog {
    /// Opens (or creates) the log; a torn last line left by a crash is cut off. Logs opened on
    /// the same directory in this process share one writer (the first one's size and
    /// retention apply).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the directory or file cannot be created or opened,
    /// [`Error::LogInUse`] when another process writes the directory.
    pub fn open(options: EventLogOptions) -> Result<Self, Error> {
        std::fs::create_dir_all(&options.dir).map_err(|e| Error::io(&options.dir, e))?;
        let dir = options
            .dir
            .canonicalize()
            .map_err(|e| Error::io(&options.dir, e))?;
        let mut registry = writers().lock().unwrap_or_else(PoisonError::into_inner);
        registry.retain(|_, writer| writer.strong_count() > 0);
        let writer = if let Some(writer) = registry.get(&dir).and_then(Weak::upgrade) {
            writer
        } else {
            let lock = lock_dir(&dir)?;
            let (file, size) = open_current(&dir)?;
            let writer = Arc::new(Mutex::new(Writer {
                dir: dir.clone(),
                max_bytes: options.max_bytes,
                retain: options.retain,
                file,
                size,
                _lock: lock,
            }));
            registry.insert(dir, Arc::downgrade(&writer));
            writer
        };
        Ok(Self {
            writer,
            redactor: options.redactor,
        })
    }

    /// Appends one event as one line, rotating first when the line would not fit.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the line cannot be written or the files cannot be rotated.
    pub fn append(
        &self,
        thread_id: Option<&str>,
        turn_id: Option<&str>,
        event: &ThreadEvent,
    ) -> Result<(), Error> {
        let mut event = serde_json::to_value(event).unwrap_or(Value::Null);
        redact_strings(&self.redactor, &mut event);
        let mut line = serde_json::to_string(&serde_json::json!({
            "ts": timestamp(SystemTime::now()),
            "thread_id": thread_id,
            "turn_id": turn_id,
            "event": event,
        }))
        .unwrap_or_default();
        line.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_line(line.as_bytes())
    }

    /// The log's files, oldest first (the current one last).
    #[must_use]
    pub fn files(&self) -> Vec<PathBuf> {
        let dir = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .dir
            .clone();
        files(&dir)
    }
}

impl Writer {
    fn write_line(&mut self, line: &[u8]) -> Result<(), Error> {
        let len = line.len() as u64;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        let path = self.dir.join(CURRENT);
        self.file.write_all(line).map_err(|e| Error::io(&path, e))?;
        self.size += len;
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), Error> {
        let rotated = |n: usize| self.dir.join(format!("events.{n}.ndjson"));
        let remove = |path: PathBuf| match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
            _ => Ok(()),
        };
        let current = self.dir.join(CURRENT);
        if self.retain == 0 {
            remove(current)?;
        } else {
            remove(rotated(self.retain))?;
            for n in (1..self.retain).rev() {
                let from = rotated(n);
                if from.exists() {
                    std::fs::rename(&from, rotated(n + 1)).map_err(|e| Error::io(&from, e))?;
                }
            }
            std::fs::rename(&current, rotated(1)).map_err(|e| Error::io(&current, e))?;
        }
        let (file, size) = open_current(&self.dir)?;
        self.file = file;
        self.size = size;
        Ok(())
    }
}

/// Takes the directory's writer lock, without waiting.
fn lock_dir(dir: &Path) -> Result<File, Error> {
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::LogInUse {
            dir: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}

/// Opens the current file for appending, cutting off a torn last line.
fn open_current(dir: &Path) -> Result<(File, u64), Error> {
    let path = dir.join(CURRENT);
    let io = |e| Error::io(&path, e);
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        file.set_len(complete as u64).map_err(io)?;
    }
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok((file, complete as u64))
}

/// The log files in `dir`, oldest first.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let n = name
                .to_str()?
                .strip_prefix("events.")?
                .strip_suffix(".ndjson")?
                .parse()
                .ok()?;
            Some((n, entry.path()))
        })
        .collect();
    rotated.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let mut all: Vec<PathBuf> = rotated.into_iter().map(|(_, path)| path).collect();
    let current = dir.join(CURRENT);
    if current.exists() {
        all.push(current);
    }
    all
}

/// Reads every record of the log in `dir`, oldest first, skipping a torn last line of each
/// file.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be read, [`Error::CorruptLog`] when a complete line does
/// not parse.
pub fn replay(dir: impl AsRef<Path>) -> Result<Vec<LogRecord>, Error> {
    let mut records = Vec::new();
    for path in files(dir.as_ref()) {
        records.extend(read_file(&path)?);
    }
    Ok(records)
}

/// Reads the records of one log file, skipping a torn last line.
///
/// # Errors
///
/// As [`replay`].
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<LogRecord>, Error> {
    let path = path.as_ref();
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut records = Vec::new();
    let mut lines = text.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((index, line)) = lines.next() {
        // The last piece has no newline after it: empty, or a torn line.
        if lines.peek().is_none() {
            break;
        }
        let record = serde_json::from_slice(line).map_err(|e| Error::CorruptLog {
            path: path.to_path_buf(),
            line: index + 1,
            reason: e.to_string(),
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Replaces secrets in every string of `value`.
pub(crate) fn redact_strings(redactor: &Redactor, value: &mut Value) {
    match value {
        Value::String(text) => {
            let redacted = redactor.redact(text);
            if redacted != *text {
                *text = redacted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(redactor, v)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_strings(redactor, v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// RFC 3339 in UTC with milliseconds.
pub(crate) fn timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use codex_agent_protocol::exec::{ThreadStarted, parse_event};
    use pretty_assertions::assert_eq;

    use super::*;

    fn event(text: &str) -> ThreadEvent {
        let line = serde_json::json!({
            "type": "item.completed",
            "item": {"id": "item_0", "type": "agent_message", "text": text},
        });
        parse_event(&line.to_string()).expect("an event")
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_123, "2000-02-29T00:00:00.123Z"),
            (1_796_579_712_500, "2026-12-06T17:55:12.500Z"),
        ];
        for (ms, expected) in cases {
            assert_eq!(timestamp(UNIX_EPOCH + Duration::from_millis(ms)), expected);
        }
    }

    /// 8 threads append at once into a log that rotates every few lines: every line is
    /// there exactly once, whole, and the retained files are the newest ones.
    #[test]
    fn rotation_under_eight_concurrent_writers_loses_no_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = EventLogOptions::new(dir.path())
            .max_bytes(4096)
            .retain(1000);
        let (threads, per_thread) = (8, 250);
        std::thread::scope(|scope| {
            for t in 0..threads {
                // Each thread opens its own handle: they share the one writer.
                let log = EventLog::open(options.clone()).expect("open");
                scope.spawn(move || {
                    for i in 0..per_thread {
                        let thread = format!("thread-{t}");
                        log.append(Some(&thread), Some("turn-1"), &event(&format!("{t}:{i}")))
                            .expect("append");
                    }
                });
            }
        });
        let log = EventLog::open(options).expect("open");
        let files = log.files();
        assert!(files.len() > 10, "rotated: {}", files.len());
        for file in &files {
            let size = std::fs::metadata(file).expect("metadata").len();
            assert!(size <= 4096, "{}: {size}", file.display());
        }
        let records = replay(dir.path()).expect("replay");
        assert_eq!(records.len(), threads * per_thread);
        let mut seen: Vec<String> = records
            .iter()
            .map(|r| match &r.event {
                ThreadEvent::ItemCompleted(e) => {
                    serde_json::to_value(&e.item).expect("item")["text"]
                        .as_str()
                        .expect("text")
                        .to_owned()
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        // Per writer, replay keeps the order of appends.
        for t in 0..threads {
            let own: Vec<&String> = seen
                .iter()
                .filter(|s| s.starts_with(&format!("{t}:")))
                .collect();
            let expected: Vec<String> = (0..per_thread).map(|i| format!("{t}:{i}")).collect();
            assert_eq!(own, expected.iter().collect::<Vec<_>>());
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), threads * per_thread);
    }

    /// A directory another process writes is refused with a clear error, and free again once
    /// that writer is gone. The other process is played by a second open file description of
    /// `events.lock`: `flock` locks conflict between descriptions exactly as between processes.
    #[test]
    fn a_directory_locked_by_another_writer_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(LOCK), "").expect("create the lock file");
        let other = File::open(dir.path().join(LOCK)).expect("open the lock file");
        other
            .try_lock()
            .expect("the other process locks the directory");

        let error = EventLog::open(EventLogOptions::new(dir.path())).expect_err("in use");
        let Error::LogInUse { dir: locked } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(locked, &dir.path().canonicalize().expect("canonical"));
        assert!(error.to_string().contains("another process"), "{error}");

        drop(other);
        let log = EventLog::open(EventLogOptions::new(dir.path())).expect("free again");
        log.append(None, None, &event("after")).expect("append");
        // While this process writes, the "other process" is refused in turn.
        let other = File::open(dir.path().join(LOCK)).expect("open the lock file");
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        assert_eq!(replay(dir.path()).expect("replay").len(), 1);
    }

    #[test]
    fn retention_keeps_the_newest_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log =
            EventLog::open(EventLogOptions::new(dir.path()).max_bytes(1).retain(2)).expect("open");
        for i in 0..5 {
            log.append(None, None, &event(&i.to_string()))
                .expect("append");
        }
        let names: Vec<String> = log
            .files()
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["events.2.ndjson", "events.1.ndjson", "events.ndjson"]
        );
        let texts: Vec<Value> = replay(dir.path())
            .expect("replay")
            .iter()
            .map(|r| serde_json::to_value(&r.event).expect("event")["item"]["text"].clone())
            .collect();
        assert_eq!(texts, ["2", "3", "4"]);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_cut_off_on_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = EventLogOptions::new(dir.path());
        let started = ThreadEvent::ThreadStarted(ThreadStarted::new("t-1"));
        {
            let log = EventLog::open(options.clone()).expect("open");
            log.append(Some("t-1"), None, &started).expect("append");
        }
        let current = dir.path().join(CURRENT);
        let mut file = OpenOptions::new()
            .append(true)
            .open(&current)
            .expect("open");
        file.write_all(br#"{"ts":"2026-12-06T00:00:00.000Z","ev"#)
            .expect("tear");
        let records = replay(dir.path()).expect("replay");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].event, started);
        assert_eq!(records[0].thread_id.as_deref(), Some("t-1"));

        let log = EventLog::open(options).expect("reopen");
        log.append(Some("t-1"), Some("u"), &started)
            .expect("append");
        assert_eq!(replay(dir.path()).expect("replay").len(), 2);

        // A complete line that does not parse is corruption, not a tear.
        std::fs::write(&current, "{\"nope\": 1}\n").expect("write");
        let error = replay(dir.path()).expect_err("corrupt");
        assert!(
            matches!(error, Error::CorruptLog { line: 1, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn secrets_are_redacted_in_every_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = "hunter2-very-secret-value";
        let log =
            EventLog::open(EventLogOptions::new(dir.path()).redactor(Redactor::new([secret])))
                .expect("open");
        log.append(
            None,
            None,
            &event(&format!("key {secret} and sk-proj-abcdefgh12345678")),
        )
        .expect("append");
        let text = std::fs::read_to_string(dir.path().join(CURRENT)).expect("read");
        assert!(
            !text.contains(secret) && !text.contains("sk-proj-abcdefgh12345678"),
            "{text}"
        );
        assert!(text.contains("[REDACTED]"), "{text}");
    }
}
