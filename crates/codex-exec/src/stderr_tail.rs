//! Draining the child's stderr: a bounded tail for error reports, and one `tracing` event
//! per line, both redacted.
//!
//! # Why redaction cannot leak a cut secret
//!
//! The tail keeps the last `limit` raw bytes and is redacted only when it is read, as a whole,
//! so a secret split across two reads is whole again by then. Two cuts remain, and each drops
//! the partial line it produces before redacting:
//!
//! - the window start, once older bytes were dropped: a secret that began before the window
//!   would otherwise survive as an unrecognisable but long suffix;
//! - the window end, when the tail is read before stderr reached end of file: a secret that
//!   was being written would otherwise survive as a prefix.
//!
//! A dropped partial line that has no newline at all (one line longer than the window) loses
//! only its leading (or trailing) run of non-whitespace characters, which is where a cut
//! token can be. Per-line events cut over-long lines the same way.
//!
//! # Terminal escapes
//!
//! codex colours its log records (`ESC[2m2026-…ESC[0m ESC[31mERROR…`) even when stderr is a
//! pipe. The tail and the per-line events are stripped of escape sequences (CSI, OSC and the
//! other ANSI forms) and of the remaining control characters other than tab, newline and
//! carriage return, before redaction, so that an escape inside a token cannot hide it from the
//! redactor and no error message can drive the reader's terminal.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::iter::Peekable;
use std::str::Chars;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, AsyncReadExt};

use codex_agent_protocol::secret::Redactor;

/// Longest stderr line emitted as one `tracing` event; the rest of a longer line is dropped.
pub(crate) const MAX_EVENT_LINE: usize = 8 * 1024;

/// How many bytes one read from stderr takes.
const READ_CHUNK: usize = 8 * 1024;

/// The last bytes of a stream, bounded.
#[derive(Debug)]
pub(crate) struct TailBuffer {
    bytes: VecDeque<u8>,
    limit: usize,
    /// The last byte dropped from the front, if any was: tells whether the window starts at
    /// a line boundary.
    last_dropped: Option<u8>,
    /// Whether the stream reached end of file.
    complete: bool,
}

impl TailBuffer {
    /// An empty tail keeping at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            bytes: VecDeque::new(),
            limit,
            last_dropped: None,
            complete: false,
        }
    }

    /// Appends a chunk, dropping the oldest bytes beyond the limit.
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.limit == 0 {
            if let Some(&last) = chunk.last() {
                self.last_dropped = Some(last);
            }
            return;
        }
        let chunk = if chunk.len() > self.limit {
            let skip = chunk.len() - self.limit;
            self.last_dropped = Some(chunk[skip - 1]);
            self.bytes.clear();
            &chunk[skip..]
        } else {
            chunk
        };
        let overflow = (self.bytes.len() + chunk.len()).saturating_sub(self.limit);
        if overflow > 0 {
            self.last_dropped = self.bytes.drain(..overflow).next_back();
        }
        self.bytes.extend(chunk);
    }

    /// Marks the stream as finished: the last line is complete even without a newline.
    pub(crate) fn mark_complete(&mut self) {
        self.complete = true;
    }

    /// The redacted text of the tail (see the module docs for the cuts).
    pub(crate) fn render(&self, redactor: &Redactor) -> String {
        let (front, back) = self.bytes.as_slices();
        let mut raw = Vec::with_capacity(self.bytes.len());
        raw.extend_from_slice(front);
        raw.extend_from_slice(back);
        let text = String::from_utf8_lossy(&raw);
        let mut text: &str = &text;
        if self.last_dropped.is_some_and(|b| b != b'\n') {
            text = match text.find('\n') {
                Some(i) => &text[i + 1..],
                None => text.trim_start_matches(|c: char| !c.is_whitespace()),
            };
        }
        if !self.complete {
            text = match text.rfind('\n') {
                Some(i) => &text[..=i],
                None => text.trim_end_matches(|c: char| !c.is_whitespace()),
            };
        }
        redactor.redact(&strip_ansi(text))
    }
}

/// `text` without terminal escape sequences and without control characters other than tab,
/// newline and carriage return (see the module docs). Borrows when there is nothing to strip.
pub(crate) fn strip_ansi(text: &str) -> Cow<'_, str> {
    let is_stripped = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.contains(is_stripped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_csi(&mut chars);
                }
                // OSC, DCS, SOS, PM and APC: a string up to the string terminator.
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_control_string(&mut chars);
                }
                // nF escapes (`ESC ( B`): intermediates, then one final character.
                Some('\u{20}'..='\u{2f}') => {
                    while chars
                        .next_if(|c| matches!(c, '\u{20}'..='\u{2f}'))
                        .is_some()
                    {}
                    chars.next_if(|c| matches!(c, '\u{30}'..='\u{7e}'));
                }
                // Two-character escapes (`ESC 7`, `ESC M`, `ESC c`).
                Some('\u{30}'..='\u{7e}') => {
                    chars.next();
                }
                // A lone ESC is dropped.
                _ => {}
            },
            // The 8-bit forms of CSI, and of OSC, DCS, SOS, PM and APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                skip_control_string(&mut chars);
            }
            c if is_stripped(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Skips the rest of a CSI sequence: parameters and intermediates, then the final character.
/// A character that cannot be part of it ends the sequence and is kept.
fn skip_csi(chars: &mut Peekable<Chars<'_>>) {
    while let Some(c) = chars.peek().copied() {
        match c {
            '\u{20}'..='\u{3f}' => {
                chars.next();
            }
            '\u{40}'..='\u{7e}' => {
                chars.next();
                return;
            }
            _ => return,
        }
    }
}

/// Skips the rest of a control string up to its terminator (BEL, `ESC \` or ST). An
/// unterminated one ends at the end of its line, so it cannot swallow the lines after it.
fn skip_control_string(chars: &mut Peekable<Chars<'_>>) {
    while let Some(c) = chars.peek().copied() {
        match c {
            '\u{7}' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                chars.next();
                chars.next_if_eq(&'\\');
                return;
            }
            '\n' => return,
            _ => {
                chars.next();
            }
        }
    }
}

/// The tail shared between the draining task and the stream.
pub(crate) type SharedTail = Arc<Mutex<TailBuffer>>;

/// Locks the tail; a panic while holding the lock cannot leave it inconsistent.
pub(crate) fn lock(tail: &SharedTail) -> std::sync::MutexGuard<'_, TailBuffer> {
    tail.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Splits a byte stream into lines of at most [`MAX_EVENT_LINE`] bytes for `tracing`.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    line: Vec<u8>,
    /// Inside a line that was already cut; its rest is dropped.
    discarding: bool,
}

impl LineSplitter {
    /// Feeds a chunk and calls `emit` with each finished line (redaction is up to `emit`).
    pub(crate) fn feed(&mut self, mut chunk: &[u8], mut emit: impl FnMut(&str)) {
        while !chunk.is_empty() {
            let (part, rest, ends_line) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                None => (chunk, &[][..], false),
            };
            chunk = rest;
            if !self.discarding {
                let room = MAX_EVENT_LINE - self.line.len();
                if part.len() > room {
                    self.line.extend_from_slice(&part[..room]);
                    let text = String::from_utf8_lossy(&self.line);
                    // The cut may split a token: drop its visible start too.
                    let kept = text.trim_end_matches(|c: char| !c.is_whitespace());
                    emit(&format!("{kept}[…]"));
                    self.line.clear();
                    self.discarding = true;
                } else {
                    self.line.extend_from_slice(part);
                }
            }
            if ends_line {
                if !self.discarding {
                    let text = String::from_utf8_lossy(&self.line);
                    emit(text.trim_end_matches('\r'));
                }
                self.line.clear();
                self.discarding = false;
            }
        }
    }

    /// Emits the last line if it had no newline.
    pub(crate) fn finish(&mut self, mut emit: impl FnMut(&str)) {
        if !self.discarding && !self.line.is_empty() {
            emit(&String::from_utf8_lossy(&self.line));
        }
        self.line.clear();
    }
}

/// Reads `stderr` to end of file into `tail`, emitting each redacted line as a `debug` event.
///
/// # Cancel safety
///
/// Dropping the future stops draining; what was read is in the tail.
pub(crate) async fn drain(
    mut stderr: impl AsyncRead + Unpin,
    tail: SharedTail,
    redactor: Arc<Redactor>,
    pid: u32,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut lines = LineSplitter::default();
    let emit = |line: &str| {
        if tracing::enabled!(tracing::Level::DEBUG) {
            tracing::debug!(pid, line = %redactor.redact(&strip_ansi(line)), "codex stderr");
        }
    };
    loop {
        match stderr.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                lock(&tail).push(&buf[..n]);
                lines.feed(&buf[..n], emit);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::debug!(pid, error = %e, "reading codex stderr failed");
                break;
            }
        }
    }
    lines.finish(emit);
    lock(&tail).mark_complete();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_of(limit: usize, chunks: &[&[u8]], complete: bool, secrets: &[&str]) -> String {
        let mut tail = TailBuffer::new(limit);
        for chunk in chunks {
            tail.push(chunk);
        }
        if complete {
            tail.mark_complete();
        }
        tail.render(&Redactor::new(secrets.iter().copied()))
    }

    #[test]
    fn keeps_everything_under_the_limit() {
        assert_eq!(tail_of(64, &[b"one\n", b"two"], true, &[]), "one\ntwo");
    }

    #[test]
    fn secret_split_across_chunks_is_redacted() {
        let out = tail_of(
            64,
            &[b"key=abc-SEC", b"RET-xyz done\n"],
            true,
            &["abc-SECRET-xyz"],
        );
        assert_eq!(out, "key=[REDACTED] done\n");
    }

    #[test]
    fn secret_cut_by_the_window_start_leaves_no_fragment() {
        // The window (20 bytes) starts inside the secret: its suffix "RET-xyz-0123" must go.
        let secret = "abc-SECRET-xyz-0123";
        let input = format!("first {secret} end\nlast\n");
        let out = tail_of(20, &[input.as_bytes()], true, &[secret]);
        assert_eq!(out, "last\n");
        assert!(!out.contains("xyz"));
    }

    #[test]
    fn window_cut_inside_one_huge_line_drops_the_cut_token() {
        let secret = "sk-ABCDEFGHIJKLMNOP";
        let input = format!("{secret}QRSTUVWX tail words");
        let out = tail_of(20, &[input.as_bytes()], true, &[]);
        assert_eq!(out, " tail words");
    }

    #[test]
    fn window_starting_at_a_line_boundary_keeps_the_first_line() {
        let out = tail_of(8, &[b"012345\n", b"abc\ndef\n"], true, &[]);
        assert_eq!(out, "abc\ndef\n");
    }

    #[test]
    fn incomplete_tail_drops_a_half_written_last_line() {
        let out = tail_of(64, &[b"done\nBearer abcd"], false, &["abcdefghijkl"]);
        assert_eq!(out, "done\n");
    }

    #[test]
    fn oversized_chunk_keeps_its_end() {
        let out = tail_of(8, &[b"aaaa\nbbbbbbb\ncc"], true, &[]);
        assert_eq!(out, "cc");
    }

    #[test]
    fn zero_limit_keeps_nothing() {
        assert_eq!(tail_of(0, &[b"secret\n"], true, &[]), "");
    }

    #[test]
    fn strip_ansi_removes_escape_sequences_and_controls() {
        for (input, expected) in [
            ("plain\ttext\r\n", "plain\ttext\r\n"),
            ("\x1b[2mdim\x1b[0m \x1b[31;1mred\x1b[m", "dim red"),
            ("\x1b[?25lcursor\x1b[38;5;196mX", "cursorX"),
            ("\x1b]0;title\x07after", "after"),
            ("\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", "link"),
            ("\x1b]unterminated\nnext line", "\nnext line"),
            ("\x1b(Bcharset \x1b7saved\x1b8", "charset saved"),
            ("\u{9b}1mC1 CSI\u{9d}title\u{9c}!", "C1 CSI!"),
            (
                "bell\x07 back\x08space del\x7f lone\x1b",
                "bell backspace del lone",
            ),
            ("cut at the end \x1b[3", "cut at the end "),
            ("é \x1b[1mü\x1b[0m", "é ü"),
        ] {
            assert_eq!(strip_ansi(input), expected, "{input:?}");
        }
        assert!(matches!(strip_ansi("nothing"), Cow::Borrowed("nothing")));
    }

    #[test]
    fn tail_is_stripped_of_colours_before_it_is_redacted() {
        // LIVE CAPTURE — codex-cli 0.169.0, 2026-11, the second line of
        // fixtures/codex-0.169.0/app-server/as-turn-failed.stderr, with a token spliced in.
        let input = "\x1b[2m2026-11-21T07:46:34.146030Z\x1b[0m \x1b[31mERROR\x1b[0m \
                     \x1b[2mcodex_app_server\x1b[0m\x1b[2m:\x1b[0m Bearer \x1b[1mabc.def\x1b[0m \
                     rejected\n";
        assert_eq!(
            tail_of(1024, &[input.as_bytes()], true, &[]),
            "2026-11-21T07:46:34.146030Z ERROR codex_app_server: Bearer [REDACTED] rejected\n"
        );
    }

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            splitter.feed(chunk, |l| out.push(l.to_owned()));
        }
        splitter.finish(|l| out.push(l.to_owned()));
        out
    }

    #[test]
    fn splitter_joins_chunks_and_strips_cr() {
        assert_eq!(
            split(&[b"ab", b"c\r\nde", b"f\n", b"g"]),
            ["abc", "def", "g"]
        );
    }

    #[test]
    fn splitter_cuts_long_lines_without_a_token_fragment() {
        let mut long = b"word ".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_EVENT_LINE));
        long.extend_from_slice(b"\nnext\n");
        assert_eq!(split(&[&long]), ["word […]", "next"]);
    }

    /// Collects the `line` field of every event.
    #[derive(Default)]
    struct Lines(std::sync::Mutex<Vec<String>>);

    impl tracing::Subscriber for Lines {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Visit<'a>(&'a mut Vec<String>);
            impl tracing::field::Visit for Visit<'_> {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "line" {
                        self.0.push(format!("{value:?}"));
                    }
                }
            }
            event.record(&mut Visit(&mut self.0.lock().expect("not poisoned")));
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn each_stderr_line_becomes_a_redacted_debug_event() {
        let lines = Arc::new(Lines::default());
        let tail = Arc::new(Mutex::new(TailBuffer::new(1024)));
        let redactor = Arc::new(Redactor::new(["my-api-key-123"]));
        let input: &[u8] = b"\x1b[2mstarting\x1b[0m\nkey my-api-key-123 and Bearer abc\r\nlast";
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        tracing::subscriber::with_default(lines.clone(), || {
            runtime.block_on(drain(input, tail.clone(), redactor.clone(), 7));
        });
        let seen = lines.0.lock().expect("not poisoned").clone();
        assert_eq!(
            seen,
            ["starting", "key [REDACTED] and Bearer [REDACTED]", "last"]
        );
        assert_eq!(
            lock(&tail).render(&redactor),
            "starting\nkey [REDACTED] and Bearer [REDACTED]\r\nlast"
        );
    }
}
