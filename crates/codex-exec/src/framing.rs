//! Newline framing of the child's stdout, with a maximum line length.
//!
//! [`LineReader`] reads into one fixed buffer and hands out each line as a slice of that
//! buffer when it fits, so a line is copied only when it spans two reads. It never holds more
//! than the fixed buffer plus one line of at most the configured maximum: the rest of an
//! over-long line is discarded as it arrives, and reading goes on with the next line.
//!
//! Line numbers are 1-based and count every physical line, blank ones included, so they match
//! what an editor shows for a capture of the same output.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

/// How many bytes one read from stdout takes.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// Partial-line buffers larger than this are freed after use rather than kept for reuse.
const KEEP_PARTIAL_CAPACITY: usize = 1024 * 1024;

/// One framing failure; the reader goes on with the next line after any of them except
/// [`FrameError::Io`].
#[derive(Debug)]
pub(crate) enum FrameError {
    /// Line `line` exceeded `limit` bytes; its rest is skipped.
    TooLong { line: u64, limit: usize },
    /// Line `line` is not UTF-8.
    InvalidUtf8 { line: u64, valid_up_to: usize },
    /// Reading failed; the reader is at end of file from now on.
    Io(io::Error),
}

/// Where the bytes of a finished line are.
#[derive(Debug, Clone, Copy)]
enum Located {
    /// `buf[start..end]`.
    Buffer { start: usize, end: usize },
    /// The whole of `partial`.
    Partial,
}

/// Splits an [`AsyncRead`] into lines.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    reader: R,
    buf: Box<[u8]>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// The beginning of the current line when it spans reads.
    partial: Vec<u8>,
    /// `partial` was handed out and must be cleared before use.
    partial_taken: bool,
    /// Inside an over-long line whose error was already reported.
    discarding: bool,
    /// Number of the line being read.
    line: u64,
    max_line_len: usize,
    eof: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader of lines of at most `max_line_len` bytes (without the newline).
    pub(crate) fn new(reader: R, max_line_len: usize) -> Self {
        Self {
            reader,
            buf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            partial: Vec::new(),
            partial_taken: false,
            discarding: false,
            line: 1,
            max_line_len,
            eof: false,
        }
    }

    /// Polls for the next non-blank line: its number and text, without `\n` or `\r\n`.
    ///
    /// `Ready(None)` is end of file (a last line without a newline is still returned).
    pub(crate) fn poll_line(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(u64, &str), FrameError>>> {
        let (number, located) = loop {
            let (number, located) = match ready!(self.poll_raw_line(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok(found)) => found,
            };
            if !self.bytes(located).iter().all(u8::is_ascii_whitespace) {
                break (number, located);
            }
        };
        let bytes = self.bytes(located);
        Poll::Ready(Some(match std::str::from_utf8(bytes) {
            Ok(text) => Ok((number, text)),
            Err(e) => Err(FrameError::InvalidUtf8 {
                line: number,
                valid_up_to: e.valid_up_to(),
            }),
        }))
    }

    /// The bytes of a found line, without a trailing `\r`.
    fn bytes(&self, located: Located) -> &[u8] {
        let bytes = match located {
            Located::Buffer { start, end } => &self.buf[start..end],
            Located::Partial => &self.partial[..],
        };
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    }

    /// Polls for the next physical line, blank or not.
    fn poll_raw_line(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(u64, Located), FrameError>>> {
        if self.partial_taken {
            self.partial_taken = false;
            if self.partial.capacity() > KEEP_PARTIAL_CAPACITY {
                self.partial = Vec::new();
            } else {
                self.partial.clear();
            }
        }
        loop {
            if self.start < self.end {
                if let Some(found) = self.take_from_buffer() {
                    return Poll::Ready(Some(found));
                }
                continue;
            }
            if self.eof {
                return Poll::Ready(self.take_last_line().map(Ok));
            }
            self.start = 0;
            self.end = 0;
            let mut read_buf = ReadBuf::new(&mut self.buf);
            match ready!(Pin::new(&mut self.reader).poll_read(cx, &mut read_buf)) {
                Ok(()) => {
                    let n = read_buf.filled().len();
                    if n == 0 {
                        self.eof = true;
                    }
                    self.end = n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.partial.clear();
                    self.discarding = false;
                    return Poll::Ready(Some(Err(FrameError::Io(e))));
                }
            }
        }
    }

    /// Consumes buffered bytes; returns a line or an error once one is complete or too long.
    fn take_from_buffer(&mut self) -> Option<Result<(u64, Located), FrameError>> {
        let unread = &self.buf[self.start..self.end];
        let Some(i) = memchr::memchr(b'\n', unread) else {
            let (start, end) = (self.start, self.end);
            self.start = end;
            if self.discarding {
                return None;
            }
            if self.partial.len() + (end - start) > self.max_line_len {
                self.drop_partial();
                self.discarding = true;
                return Some(Err(self.too_long(self.line)));
            }
            self.partial.extend_from_slice(&self.buf[start..end]);
            return None;
        };
        let (start, end) = (self.start, self.start + i);
        self.start = end + 1;
        let number = self.line;
        self.line += 1;
        if self.discarding {
            self.discarding = false;
            return None;
        }
        if self.partial.is_empty() {
            if end - start > self.max_line_len {
                return Some(Err(self.too_long(number)));
            }
            return Some(Ok((number, Located::Buffer { start, end })));
        }
        if self.partial.len() + (end - start) > self.max_line_len {
            self.drop_partial();
            return Some(Err(self.too_long(number)));
        }
        self.partial.extend_from_slice(&self.buf[start..end]);
        self.partial_taken = true;
        Some(Ok((number, Located::Partial)))
    }

    /// At end of file: the last line if it had no newline.
    fn take_last_line(&mut self) -> Option<(u64, Located)> {
        if self.discarding {
            self.discarding = false;
            return None;
        }
        if self.partial.is_empty() {
            return None;
        }
        let number = self.line;
        self.line += 1;
        self.partial_taken = true;
        Some((number, Located::Partial))
    }

    fn drop_partial(&mut self) {
        self.partial = Vec::new();
    }

    fn too_long(&self, line: u64) -> FrameError {
        FrameError::TooLong {
            line,
            limit: self.max_line_len,
        }
    }
}

/// The framing property the fuzz target and its regression tests check: whatever the bytes,
/// the maximum line length and the way reads cut them (including reads that are not ready
/// yet), [`LineReader`] yields exactly what splitting the whole input at once yields, and
/// never panics.
#[cfg(any(test, fuzzing))]
pub(crate) fn check_framing(input: &[u8]) {
    let [max_hi, max_lo, seed, data @ ..] = input else {
        return;
    };
    let max_line_len = usize::from(u16::from_be_bytes([*max_hi, *max_lo]) % 512) + 1;
    let reader = fuzz_support::Cutter::new(data, *seed);
    let mut lines = LineReader::new(reader, max_line_len);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut got = Vec::new();
    loop {
        let pendings_before = lines.reader.pendings;
        match lines.poll_line(&mut cx) {
            Poll::Ready(None) => break,
            Poll::Ready(Some(Ok((n, text)))) => got.push((n, Ok(text.as_bytes().to_vec()))),
            Poll::Ready(Some(Err(FrameError::TooLong { line, limit }))) => {
                assert_eq!(limit, max_line_len);
                got.push((line, Err("too long")));
            }
            Poll::Ready(Some(Err(FrameError::InvalidUtf8 { line, .. }))) => {
                got.push((line, Err("utf8")));
            }
            Poll::Ready(Some(Err(FrameError::Io(e)))) => panic!("the cutter never fails: {e}"),
            Poll::Pending => {
                // Only a read that was not ready (and woke the task) may make the line
                // reader wait; any other `Pending` would never be woken.
                assert!(
                    lines.reader.pendings > pendings_before,
                    "the line reader returned Pending on its own"
                );
            }
        }
    }
    assert_eq!(got, fuzz_support::reference_lines(data, max_line_len));
}

/// The reader and the reference model behind [`check_framing`].
#[cfg(any(test, fuzzing))]
mod fuzz_support {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncRead, ReadBuf};

    /// Hands out `data` in reads whose sizes follow `seed`, now and then not ready (never twice
    /// in a row; it wakes the task at once, as a reader whose data just arrived does).
    pub(super) struct Cutter<'a> {
        data: &'a [u8],
        state: u32,
        was_pending: bool,
        /// How many reads were not ready.
        pub(super) pendings: u64,
    }

    impl<'a> Cutter<'a> {
        pub(super) fn new(data: &'a [u8], seed: u8) -> Self {
            Self {
                data,
                state: u32::from(seed) | 1,
                was_pending: false,
                pendings: 0,
            }
        }

        fn next(&mut self) -> u32 {
            // xorshift32: deterministic for a given input, so crashes reproduce.
            self.state ^= self.state << 13;
            self.state ^= self.state >> 17;
            self.state ^= self.state << 5;
            self.state
        }
    }

    impl AsyncRead for Cutter<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let roll = self.next();
            if roll.is_multiple_of(7) && !std::mem::replace(&mut self.was_pending, true) {
                cx.waker().wake_by_ref();
                self.pendings += 1;
                return Poll::Pending;
            }
            self.was_pending = false;
            let size = match roll % 4 {
                0 => 1,
                1 => (roll >> 8) as usize % 8 + 1,
                2 => (roll >> 8) as usize % 700 + 1,
                _ => usize::MAX,
            };
            let n = size.min(self.data.len()).min(buf.remaining());
            let (now, rest) = self.data.split_at(n);
            buf.put_slice(now);
            self.data = rest;
            Poll::Ready(Ok(()))
        }
    }

    /// What splitting the whole of `data` yields: each non-blank line (numbered from 1,
    /// without `\n` or a `\r` before it), or its error.
    pub(super) fn reference_lines(
        data: &[u8],
        max_line_len: usize,
    ) -> Vec<(u64, Result<Vec<u8>, &'static str>)> {
        let mut out = Vec::new();
        let mut pieces: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
        // A newline at the end does not start another line.
        if pieces.last().is_some_and(|last| last.is_empty()) {
            pieces.pop();
        }
        for (index, raw) in pieces.into_iter().enumerate() {
            let number = index as u64 + 1;
            if raw.len() > max_line_len {
                out.push((number, Err("too long")));
                continue;
            }
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match std::str::from_utf8(line) {
                Ok(_) => out.push((number, Ok(line.to_vec()))),
                Err(_) => out.push((number, Err("utf8"))),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    /// A reader that returns the given chunks one per read.
    struct Chunks(std::collections::VecDeque<Vec<u8>>);

    impl AsyncRead for Chunks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some(chunk) = self.0.pop_front() {
                buf.put_slice(&chunk);
            }
            Poll::Ready(Ok(()))
        }
    }

    /// Reads everything, rendering each line or error as a string.
    fn frames(chunks: &[&[u8]], max: usize) -> Vec<String> {
        let reader = Chunks(chunks.iter().map(|c| c.to_vec()).collect());
        let mut lines = LineReader::new(reader, max);
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        loop {
            match lines.poll_line(&mut cx) {
                Poll::Ready(None) => return out,
                Poll::Ready(Some(Ok((n, text)))) => out.push(format!("{n}:{text}")),
                Poll::Ready(Some(Err(FrameError::TooLong { line, limit }))) => {
                    out.push(format!("{line}:too long (>{limit})"));
                }
                Poll::Ready(Some(Err(FrameError::InvalidUtf8 { line, valid_up_to }))) => {
                    out.push(format!("{line}:utf8 at {valid_up_to}"));
                }
                Poll::Ready(Some(Err(FrameError::Io(e)))) => out.push(format!("io {e}")),
                Poll::Pending => unreachable!("the test reader is always ready"),
            }
        }
    }

    #[test]
    fn splits_strips_cr_and_skips_blank_lines() {
        assert_eq!(frames(&[b"a\r\n\n  \nb\nc"], 10), ["1:a", "4:b", "5:c"]);
    }

    #[test]
    fn joins_lines_across_reads() {
        assert_eq!(frames(&[b"ab", b"cd\ne", b"f\n"], 10), ["1:abcd", "2:ef"]);
    }

    #[test]
    fn over_long_line_in_one_read_is_reported_and_skipped() {
        assert_eq!(
            frames(&[b"ok\n0123456789X\nnext\n"], 10),
            ["1:ok", "2:too long (>10)", "3:next"]
        );
    }

    #[test]
    fn over_long_line_across_reads_is_reported_once_and_discarded() {
        let chunks: &[&[u8]] = &[b"012345", b"6789ABCD", b"EFGHIJ", b"KL\nafter\n"];
        assert_eq!(frames(chunks, 10), ["1:too long (>10)", "2:after"]);
    }

    #[test]
    fn over_long_last_line_without_newline() {
        assert_eq!(
            frames(&[b"a\n0123456789ABC"], 10),
            ["1:a", "2:too long (>10)"]
        );
    }

    #[test]
    fn line_of_exactly_the_limit_passes() {
        assert_eq!(frames(&[b"01234", b"56789\n"], 10), ["1:0123456789"]);
        assert_eq!(frames(&[b"0123456789\r\n"], 10), ["1:too long (>10)"]);
    }

    #[test]
    fn invalid_utf8_is_reported_and_reading_goes_on() {
        assert_eq!(
            frames(&[b"ab\xff\xfecd\n{}\n"], 10),
            ["1:utf8 at 2", "2:{}"]
        );
    }

    /// The fuzz target's property on its seeds (`fuzz/seeds/framing`) and on inputs it found
    /// worth keeping.
    #[test]
    fn framing_matches_splitting_the_whole_input() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/framing");
        let mut checked = 0;
        for entry in std::fs::read_dir(seeds).expect("the framing seeds are committed") {
            let path = entry.expect("a readable seed directory").path();
            check_framing(&std::fs::read(&path).expect("a readable seed"));
            checked += 1;
        }
        assert!(checked > 0, "no framing seeds in {seeds}");
        for input in [
            &b""[..],
            b"\0\0\0",
            b"\0\x01\x02a\nbb\n\r\n",
            b"\x01\xff\x07\xff\n\r\r\n x \n",
        ] {
            check_framing(input);
        }
    }

    /// The short fuzz run of the framing target (`cargo xtask fuzz` runs the long one):
    /// mutations of its seeds, without libFuzzer.
    #[test]
    fn framing_holds_on_mutated_seeds() {
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/framing");
        codex_agent_testkit::mutate::smoke(
            "framing",
            std::path::Path::new(seeds),
            20_000,
            check_framing,
        );
    }

    #[test]
    fn utf8_split_across_reads_is_fine() {
        let text = "é€".as_bytes();
        assert_eq!(
            frames(&[&text[..1], &text[1..3], &text[3..], b"\n"], 10),
            ["1:é€"]
        );
    }
}
