//! codex's stdout read on a thread of its own, with blocking reads.
//!
//! Read through the runtime, the pipe is registered with `epoll`, and Linux then wakes the
//! waiter on *every* write to the pipe (codex writes and flushes each line), whether or not
//! anyone wants the data yet: on a multi-thread runtime an idle worker sits in `epoll_wait`
//! and is woken per line, and hands each readiness to the thread polling the stream. Over the
//! 200,000-event bench stream that was 18,800 context switches against 1,900 on a
//! current-thread runtime (2,200 with this thread), and a sixth of `run_streamed`'s time. A thread that reads with
//! `poll` + `read` waits on the pipe only while it is empty, and reads up to 64 KiB at once;
//! while the consumer is behind, it waits on the bounded channel instead, and nobody is woken
//! by codex's writes. Backpressure is kept: at most four 64 KiB chunks are read ahead (two
//! queued, one held by the thread, one being framed), then the thread stops reading and codex
//! blocks on a full pipe, as before.
//!
//! The thread ends at end-of-file, at a read error (passed on), when the reader is dropped
//! (it looks at least every `STOP_CHECK` while the pipe is quiet, so a pipe that a detached
//! process keeps open does not keep the thread), or when the receiver is gone.
//!
//! Unix only; elsewhere the stream reads the runtime's `ChildStdout` directly.

/// What the exec stream reads codex's stdout from.
#[cfg(unix)]
pub(crate) type Stdout = ThreadedStdout;
/// What the exec stream reads codex's stdout from.
#[cfg(not(unix))]
pub(crate) type Stdout = tokio::process::ChildStdout;

/// codex's stdout as the exec stream reads it.
///
/// # Errors
///
/// When the pipe cannot be taken from the runtime or the thread cannot be started.
pub(crate) fn reader(stdout: tokio::process::ChildStdout) -> std::io::Result<Stdout> {
    #[cfg(unix)]
    {
        ThreadedStdout::spawn(stdout.into_owned_fd()?)
    }
    #[cfg(not(unix))]
    {
        Ok(stdout)
    }
}

#[cfg(unix)]
pub(crate) use threaded::ThreadedStdout;

#[cfg(unix)]
mod threaded {
    use std::io::{self, Read as _};
    use std::os::fd::OwnedFd;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;

    use tokio::io::{AsyncRead, ReadBuf};
    use tokio::sync::mpsc;

    use crate::framing::READ_CHUNK;

    /// Chunks waiting in the channel at most. With the one the thread holds while the channel
    /// is full and the one the reader is taking lines from, at most `QUEUED + 2` chunks of 64
    /// KiB are read ahead of the stream's own line buffer.
    const QUEUED: usize = 2;

    /// How often a thread waiting on a quiet pipe checks whether its reader was dropped.
    const STOP_CHECK: Duration = Duration::from_millis(100);

    /// The read side: an [`AsyncRead`] fed by the thread.
    #[derive(Debug)]
    pub(crate) struct ThreadedStdout {
        chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
        current: Vec<u8>,
        offset: usize,
        stop: Arc<AtomicBool>,
    }

    impl ThreadedStdout {
        /// Starts the thread reading `fd`.
        ///
        /// # Errors
        ///
        /// When the thread cannot be started.
        pub(crate) fn spawn(fd: OwnedFd) -> io::Result<Self> {
            // Reads must never block: the thread has to come back to notice a dropped reader
            // even when a detached process holds the pipe open without writing.
            rustix::io::ioctl_fionbio(&fd, true)?;
            let (tx, chunks) = mpsc::channel(QUEUED);
            let stop = Arc::new(AtomicBool::new(false));
            let thread_stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("codex-stdout".to_owned())
                .spawn(move || read_loop(fd, &tx, &thread_stop))?;
            Ok(Self {
                chunks,
                current: Vec::new(),
                offset: 0,
                stop,
            })
        }
    }

    impl Drop for ThreadedStdout {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    impl AsyncRead for ThreadedStdout {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = &mut *self;
            if this.offset == this.current.len() {
                match this.chunks.poll_recv(cx) {
                    Poll::Pending => return Poll::Pending,
                    // End of file (or the thread is gone): a read of nothing.
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(error)),
                    Poll::Ready(Some(Ok(chunk))) => {
                        this.current = chunk;
                        this.offset = 0;
                    }
                }
            }
            let rest = &this.current[this.offset..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.offset += n;
            Poll::Ready(Ok(()))
        }
    }

    /// The thread: wait until readable (bounded, to notice a dropped reader), read what is there,
    /// pass it on.
    fn read_loop(fd: OwnedFd, tx: &mpsc::Sender<io::Result<Vec<u8>>>, stop: &AtomicBool) {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: i64::try_from(STOP_CHECK.as_nanos()).unwrap_or(100_000_000),
        };
        let mut file = std::fs::File::from(fd);
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match file.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    let mut fds = [PollFd::new(&file, PollFlags::IN)];
                    match poll(&mut fds, Some(&timeout)) {
                        Ok(_) | Err(rustix::io::Errno::INTR) => {}
                        Err(errno) => {
                            let _ = tx.blocking_send(Err(io::Error::from(errno)));
                            return;
                        }
                    }
                }
                Err(error) => {
                    let _ = tx.blocking_send(Err(error));
                    return;
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use std::io::Write as _;
        use std::time::Instant;

        use tokio::io::AsyncReadExt as _;

        use super::*;

        #[tokio::test]
        async fn passes_every_byte_on_in_order_then_the_end() {
            let (reader, mut writer) = std::io::pipe().expect("a pipe");
            let mut stdout = ThreadedStdout::spawn(OwnedFd::from(reader)).expect("the thread");
            let expected: Vec<u8> = (0..20_000)
                .flat_map(|i| format!("line {i}: {}\n", "x".repeat(i % 300)).into_bytes())
                .collect();
            let sent = expected.clone();
            let writing = std::thread::spawn(move || {
                // One write per line, as codex flushes each.
                for line in sent.split_inclusive(|b| *b == b'\n') {
                    writer.write_all(line).expect("the reader is there");
                }
            });
            let mut got = Vec::new();
            stdout.read_to_end(&mut got).await.expect("no read error");
            writing.join().expect("the writer");
            assert_eq!(got.len(), expected.len());
            assert!(got == expected, "the bytes differ");
        }

        /// How many of this process's descriptors refer to the pipe `end` belongs to.
        fn ends_of(end: &impl std::os::fd::AsFd) -> usize {
            let inode = rustix::fs::fstat(end).expect("fstat").st_ino;
            let link = format!("pipe:[{inode}]");
            std::fs::read_dir("/proc/self/fd")
                .expect("/proc/self/fd")
                .flatten()
                .filter(|entry| {
                    std::fs::read_link(entry.path())
                        .is_ok_and(|target| target.as_os_str() == link.as_str())
                })
                .count()
        }

        #[tokio::test]
        async fn a_dropped_reader_lets_go_of_a_pipe_held_open() {
            // A detached process keeps codex's stdout open without writing: dropping the stream
            // must still end the thread, which closes its end of the pipe.
            let (reader, writer) = std::io::pipe().expect("a pipe");
            let stdout = ThreadedStdout::spawn(OwnedFd::from(reader)).expect("the thread");
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(ends_of(&writer), 2, "the thread holds the read end");
            drop(stdout);
            let deadline = Instant::now() + Duration::from_secs(5);
            while ends_of(&writer) != 1 {
                assert!(Instant::now() < deadline, "the thread still holds the pipe");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
