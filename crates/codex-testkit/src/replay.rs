//! Record/replay transports for `codex app-server` clients, in the transcript format of
//! `fixtures/codex-0.169.0/app-server/*.jsonl`: one JSON object per line,
//! `{"seq": n, "dir": "client->server" | "server->client", "t_ms": <ms since start>, "msg": <message>}`.
//!
//! * [`Replay`] plays the server side of a [`Transcript`] over an in-process pipe: it writes
//!   the recorded server messages and checks that each message the client writes matches the
//!   recorded one, so a client can be tested against a live capture without codex. Ids of the
//!   client's requests may differ from the recording (responses are rewritten to the ids the
//!   client used), JSON pointers can be excluded from the comparison
//!   ([`Replay::ignore`]), and recorded strings can be replaced ([`Replay::replace`], for
//!   paths).
//! * [`record`] wraps a client's reader and writer and records both directions as a
//!   [`Transcript`], for new captures.
//!
//! ```
//! use codex_agent_testkit::replay::{Replay, Transcript};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), codex_agent_testkit::Error> {
//! let transcript = Transcript::parse(concat!(
//!     r#"{"seq":1,"dir":"client->server","t_ms":0,"msg":{"id":7,"method":"thread/list","params":{}}}"#, "\n",
//!     r#"{"seq":2,"dir":"server->client","t_ms":1,"msg":{"id":7,"result":{"data":[]}}}"#, "\n",
//! ))?;
//! let (reader, mut writer, replay) = Replay::new(transcript).start();
//! writer.write_all(b"{\"id\":1,\"method\":\"thread/list\",\"params\":{}}\n").await.expect("write");
//! let mut lines = BufReader::new(reader).lines();
//! let answer = lines.next_line().await.expect("read").expect("a line");
//! assert_eq!(answer, r#"{"id":1,"result":{"data":[]}}"#);
//! writer.shutdown().await.expect("close"); // the end of the session
//! let report = replay.finish().await?;
//! assert_eq!((report.client_messages, report.server_messages), (1, 1));
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, ReadBuf,
    ReadHalf, WriteHalf,
};
use tokio::task::JoinHandle;

use crate::Error;

/// Which side wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Direction {
    /// `client->server`
    ClientToServer,
    /// `server->client`
    ServerToClient,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::ClientToServer => "client->server",
            Self::ServerToClient => "server->client",
        }
    }
}

/// One message of a transcript.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Entry {
    /// 1-based position in the transcript.
    pub seq: u64,
    /// Who wrote it.
    pub dir: Direction,
    /// Milliseconds since the start of the session.
    pub t_ms: f64,
    /// The message (a line that was no JSON is kept as a JSON string).
    pub msg: Value,
}

/// A recorded app-server session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    entries: Vec<Entry>,
}

impl Transcript {
    /// Parses the JSONL text of a transcript.
    ///
    /// # Errors
    ///
    /// [`Error::Transcript`] naming the first line that is not a transcript entry.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let fail = |reason: String| Error::Transcript {
                line: index + 1,
                reason,
            };
            let value: Value =
                serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
            let dir = match value.get("dir").and_then(Value::as_str) {
                Some("client->server") => Direction::ClientToServer,
                Some("server->client") => Direction::ServerToClient,
                other => return Err(fail(format!("`dir` is {other:?}"))),
            };
            let msg = value
                .get("msg")
                .cloned()
                .ok_or_else(|| fail("no `msg`".to_owned()))?;
            entries.push(Entry {
                seq: value
                    .get("seq")
                    .and_then(Value::as_u64)
                    .unwrap_or(entries.len() as u64 + 1),
                dir,
                t_ms: value
                    .get("t_ms")
                    .and_then(Value::as_f64)
                    .unwrap_or_default(),
                msg,
            });
        }
        Ok(Self { entries })
    }

    /// Reads and parses a transcript file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::Transcript`] when it is not a
    /// transcript.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The messages, in order.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The transcript as JSONL, one entry per line.
    #[must_use]
    pub fn to_jsonl(&self) -> String {
        self.entries
            .iter()
            .map(|e| {
                let mut line =
                    json!({"seq": e.seq, "dir": e.dir.as_str(), "t_ms": e.t_ms, "msg": e.msg})
                        .to_string();
                line.push('\n');
                line
            })
            .collect()
    }
}

/// What a finished replay saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Client messages checked against the transcript.
    pub client_messages: usize,
    /// Server messages written.
    pub server_messages: usize,
}

/// The server side of a [`Transcript`], replayed over an in-process pipe (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
#[must_use]
pub struct Replay {
    transcript: Transcript,
    ignored: Vec<String>,
    replacements: Vec<(String, String)>,
    read_timeout: Duration,
}

impl Replay {
    /// A replay of `transcript` with every default.
    pub fn new(transcript: Transcript) -> Self {
        Self {
            transcript,
            ignored: Vec::new(),
            replacements: Vec::new(),
            read_timeout: Duration::from_secs(10),
        }
    }

    /// Leaves the value at JSON pointer `pointer` (into each client message, e.g.
    /// `/params/capabilities`) out of the comparison. By default, client messages must match
    /// the recording exactly, ids of requests aside.
    pub fn ignore(mut self, pointer: impl Into<String>) -> Self {
        self.ignored.push(pointer.into());
        self
    }

    /// Replaces `recorded` with `actual` inside every string of the transcript, both
    /// directions (for paths that differ between the capture and the test). By default,
    /// strings are replayed as recorded.
    pub fn replace(mut self, recorded: impl Into<String>, actual: impl Into<String>) -> Self {
        self.replacements.push((recorded.into(), actual.into()));
        self
    }

    /// How long the replay waits for each client message before failing. By default, 10 s.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Starts the server side on the current Tokio runtime. Returns the client's ends of the
    /// pipe (read the server's lines from the first, write the client's to the second) and the
    /// handle that reports the outcome.
    ///
    /// The replay writes the recorded server messages in order and, at each recorded client
    /// message, reads the client's next message and compares. After the last entry it waits
    /// for the client to shut its writer down (`AsyncWriteExt::shutdown`; dropping only the
    /// write half of a split pipe does not close it), then closes its own side. Extra
    /// messages are a mismatch.
    #[must_use = "the pipe ends and the handle are the only way to drive and check the replay"]
    pub fn start(
        self,
    ) -> (
        ReadHalf<DuplexStream>,
        WriteHalf<DuplexStream>,
        ReplayHandle,
    ) {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (reader, writer) = tokio::io::split(client);
        let task = tokio::spawn(self.serve(server));
        (reader, writer, ReplayHandle { task })
    }

    async fn serve(self, server: DuplexStream) -> Result<ReplayReport, Error> {
        let (read, mut write) = tokio::io::split(server);
        let mut lines = BufReader::new(read).lines();
        // Recorded request id (as JSON text) → the id the client used.
        let mut ids: HashMap<String, Value> = HashMap::new();
        let mut report = ReplayReport {
            client_messages: 0,
            server_messages: 0,
        };
        for entry in &self.transcript.entries {
            let mut recorded = entry.msg.clone();
            self.substitute(&mut recorded);
            match entry.dir {
                Direction::ServerToClient => {
                    if is_response(&recorded)
                        && let Some(id) = recorded.get("id").map(Value::to_string)
                        && let Some(actual) = ids.get(&id)
                    {
                        recorded["id"] = actual.clone();
                    }
                    let mut line = recorded.to_string();
                    line.push('\n');
                    // A client that stopped reading is reported at its next expected message.
                    let _ = write.write_all(line.as_bytes()).await;
                    report.server_messages += 1;
                }
                Direction::ClientToServer => {
                    let actual = self.next_client_message(&mut lines, entry.seq).await?;
                    let Some(mut actual) = actual else {
                        return Err(mismatch(entry.seq, &recorded, "end of input"));
                    };
                    let is_request =
                        recorded.get("method").is_some() && recorded.get("id").is_some();
                    if is_request {
                        if let (Some(recorded_id), Some(actual_id)) =
                            (recorded.get("id"), actual.get("id"))
                        {
                            ids.insert(recorded_id.to_string(), actual_id.clone());
                        }
                        remove(&mut recorded, "/id");
                        remove(&mut actual, "/id");
                    }
                    for pointer in &self.ignored {
                        remove(&mut recorded, pointer);
                        remove(&mut actual, pointer);
                    }
                    if recorded != actual {
                        return Err(mismatch(entry.seq, &recorded, &actual.to_string()));
                    }
                    report.client_messages += 1;
                }
            }
        }
        let seq = self.transcript.entries.last().map_or(0, |e| e.seq) + 1;
        if let Some(extra) = self.next_client_message(&mut lines, seq).await? {
            return Err(mismatch(seq, &json!("end of input"), &extra.to_string()));
        }
        let _ = write.shutdown().await;
        Ok(report)
    }

    async fn next_client_message(
        &self,
        lines: &mut tokio::io::Lines<BufReader<ReadHalf<DuplexStream>>>,
        seq: u64,
    ) -> Result<Option<Value>, Error> {
        let line = tokio::time::timeout(self.read_timeout, lines.next_line())
            .await
            .map_err(|_| Error::Timeout {
                what: format!("the client message recorded as seq {seq}"),
                waited: self.read_timeout,
            })?
            .map_err(|source| Error::Io {
                action: "read the client side of",
                path: "the replay pipe".into(),
                source,
            })?;
        Ok(line.map(|line| serde_json::from_str(&line).unwrap_or(Value::String(line))))
    }

    fn substitute(&self, value: &mut Value) {
        if self.replacements.is_empty() {
            return;
        }
        match value {
            Value::String(text) => {
                for (recorded, actual) in &self.replacements {
                    if text.contains(recorded.as_str()) {
                        *text = text.replace(recorded.as_str(), actual);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.substitute(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.substitute(v)),
            _ => {}
        }
    }
}

/// The outcome of a running [`Replay`].
#[derive(Debug)]
pub struct ReplayHandle {
    task: JoinHandle<Result<ReplayReport, Error>>,
}

impl ReplayHandle {
    /// Waits for the replay to end (the client closed its writer after the last recorded
    /// message, or something did not match).
    ///
    /// # Errors
    ///
    /// [`Error::ReplayMismatch`] for the first client message that differs from the
    /// recording (or is missing, or extra); [`Error::Timeout`] when the client did not write
    /// an expected message in time.
    ///
    /// # Panics
    ///
    /// When the replay task panicked, which is a bug of this crate.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe; the replay goes on in its task.
    pub async fn finish(self) -> Result<ReplayReport, Error> {
        self.task.await.expect("the replay task does not panic")
    }
}

fn is_response(message: &Value) -> bool {
    message.get("method").is_none()
        && (message.get("result").is_some() || message.get("error").is_some())
}

/// Removes the value at `pointer` (`/a/b`), if present.
fn remove(value: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    let target = if parent.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(parent)
    };
    if let Some(Value::Object(map)) = target {
        map.remove(key);
    }
}

fn mismatch(seq: u64, expected: &Value, actual: &str) -> Error {
    Error::ReplayMismatch {
        seq,
        expected: expected.to_string(),
        actual: actual.to_owned(),
    }
}

/// A recording in progress: see [`record`].
#[derive(Debug, Clone)]
pub struct Recording {
    inner: Arc<Mutex<RecordingState>>,
}

#[derive(Debug)]
struct RecordingState {
    started: Instant,
    entries: Vec<Entry>,
    /// Partial lines per direction: client-written, server-written.
    partial: [Vec<u8>; 2],
}

impl Recording {
    fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(RecordingState {
                started: Instant::now(),
                entries: Vec::new(),
                partial: [Vec::new(), Vec::new()],
            })),
        }
    }

    /// Everything recorded so far, complete lines only.
    #[must_use]
    pub fn transcript(&self) -> Transcript {
        let state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Transcript {
            entries: state.entries.clone(),
        }
    }

    fn feed(&self, dir: Direction, bytes: &[u8]) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = usize::from(dir == Direction::ServerToClient);
        state.partial[slot].extend_from_slice(bytes);
        while let Some(end) = state.partial[slot].iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = state.partial[slot].drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]);
            if text.trim().is_empty() {
                continue;
            }
            let msg =
                serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()));
            let t_ms = (state.started.elapsed().as_secs_f64() * 1e4).round() / 10.0;
            let seq = state.entries.len() as u64 + 1;
            state.entries.push(Entry {
                seq,
                dir,
                t_ms,
                msg,
            });
        }
    }
}

/// Records a client's session: wrap the reader it reads the server from and the writer it
/// writes to, hand the wrappers to the client, and read the [`Recording`] afterwards.
pub fn record<R, W>(reader: R, writer: W) -> (RecordingReader<R>, RecordingWriter<W>, Recording) {
    let recording = Recording::new();
    (
        RecordingReader {
            inner: reader,
            recording: recording.clone(),
        },
        RecordingWriter {
            inner: writer,
            recording: recording.clone(),
        },
        recording,
    )
}

/// A reader that records every line it passes on as a server message.
#[derive(Debug)]
pub struct RecordingReader<R> {
    inner: R,
    recording: Recording,
}

impl<R: AsyncRead + Unpin> AsyncRead for RecordingReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.recording
                .feed(Direction::ServerToClient, &buf.filled()[before..]);
        }
        polled
    }
}

/// A writer that records every line it passes on as a client message.
#[derive(Debug)]
pub struct RecordingWriter<W> {
    inner: W,
    recording: Recording,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for RecordingWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = polled {
            self.recording
                .feed(Direction::ClientToServer, &data[..written]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt as _;

    use super::*;

    fn transcript(lines: &[Value]) -> Transcript {
        let text: Vec<String> = lines.iter().map(Value::to_string).collect();
        Transcript::parse(&text.join("\n")).expect("a transcript")
    }

    #[tokio::test]
    async fn requests_are_matched_modulo_ids_and_ignored_pointers() {
        let recorded = transcript(&[
            json!({"seq": 1, "dir": "client->server", "t_ms": 0, "msg": {"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "a"}, "capabilities": {"x": 1}}}}),
            json!({"seq": 2, "dir": "server->client", "t_ms": 1, "msg": {"method": "configWarning", "params": {"summary": "/rec/path"}}}),
            json!({"seq": 3, "dir": "server->client", "t_ms": 2, "msg": {"id": 1, "result": {"home": "/rec/path"}}}),
            json!({"seq": 4, "dir": "server->client", "t_ms": 3, "msg": {"id": 0, "method": "item/tool/call", "params": {}}}),
            json!({"seq": 5, "dir": "client->server", "t_ms": 4, "msg": {"id": 0, "result": {"ok": true}}}),
        ]);
        let (mut reader, mut writer, handle) = Replay::new(recorded)
            .ignore("/params/capabilities")
            .replace("/rec/path", "/here")
            .start();
        writer
            .write_all(b"{\"id\":41,\"method\":\"initialize\",\"params\":{\"clientInfo\":{\"name\":\"a\"}}}\n")
            .await
            .expect("write");
        writer
            .write_all(b"{\"id\":0,\"result\":{\"ok\":true}}\n")
            .await
            .expect("write");
        writer.shutdown().await.expect("close");
        let mut text = String::new();
        reader.read_to_string(&mut text).await.expect("read");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(lines[0]["params"]["summary"], "/here");
        assert_eq!(lines[1], json!({"id": 41, "result": {"home": "/here"}}));
        assert_eq!(lines[2]["id"], 0);
        let report = handle.finish().await.expect("matched");
        assert_eq!((report.client_messages, report.server_messages), (2, 3));
    }

    #[tokio::test]
    async fn a_different_message_is_a_mismatch_naming_the_entry() {
        let recorded = transcript(&[
            json!({"seq": 1, "dir": "client->server", "t_ms": 0, "msg": {"method": "initialized"}}),
        ]);
        let (_reader, mut writer, handle) = Replay::new(recorded).start();
        writer
            .write_all(b"{\"method\":\"other\"}\n")
            .await
            .expect("write");
        let error = handle.finish().await.expect_err("mismatch");
        assert!(
            matches!(&error, Error::ReplayMismatch { seq: 1, actual, .. } if actual.contains("other")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn extra_client_messages_are_a_mismatch() {
        let (_reader, mut writer, handle) = Replay::new(Transcript::default()).start();
        writer
            .write_all(b"{\"method\":\"late\"}\n")
            .await
            .expect("write");
        let error = handle.finish().await.expect_err("extra message");
        assert!(
            matches!(error, Error::ReplayMismatch { seq: 1, .. }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_recording_replays_itself() {
        let (client, server) = tokio::io::duplex(4096);
        let (client_read, client_write) = tokio::io::split(client);
        let (mut reader, mut writer, recording) = record(client_read, client_write);
        let peer = tokio::spawn(async move {
            let (read, mut write) = tokio::io::split(server);
            let mut lines = BufReader::new(read).lines();
            while let Some(line) = lines.next_line().await.expect("read") {
                let request: Value = serde_json::from_str(&line).expect("JSON");
                let answer = json!({"id": request["id"], "result": {"echo": request["params"]}});
                write
                    .write_all(format!("{answer}\n").as_bytes())
                    .await
                    .expect("write");
            }
        });
        let mut answers = BufReader::new(&mut reader).lines();
        for id in 1..=2 {
            writer
                .write_all(format!("{{\"id\":{id},\"method\":\"m\",\"params\":{id}}}\n").as_bytes())
                .await
                .expect("write");
            answers.next_line().await.expect("read").expect("an answer");
        }
        writer.shutdown().await.expect("close");
        peer.await.expect("the peer ends");
        let recorded = recording.transcript();
        let dirs: Vec<Direction> = recorded.entries().iter().map(|e| e.dir).collect();
        assert_eq!(
            dirs,
            [
                Direction::ClientToServer,
                Direction::ServerToClient,
                Direction::ClientToServer,
                Direction::ServerToClient
            ]
        );
        let reparsed = Transcript::parse(&recorded.to_jsonl()).expect("round trip");
        assert_eq!(reparsed, recorded);

        let (mut reader, mut writer, handle) = Replay::new(reparsed).start();
        for id in 1..=2 {
            writer
                .write_all(format!("{{\"id\":{id},\"method\":\"m\",\"params\":{id}}}\n").as_bytes())
                .await
                .expect("write");
        }
        writer.shutdown().await.expect("close");
        let mut text = String::new();
        reader.read_to_string(&mut text).await.expect("read");
        assert_eq!(
            text,
            "{\"id\":1,\"result\":{\"echo\":1}}\n{\"id\":2,\"result\":{\"echo\":2}}\n"
        );
        handle.finish().await.expect("the recording replays");
    }
}
