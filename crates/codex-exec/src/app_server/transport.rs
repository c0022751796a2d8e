//! The transport seam of a connection: how JSON-RPC messages travel, as one enum per
//! direction instead of branches in the connection.
//!
//! - **Stream** (a spawned `codex app-server --listen stdio://`, or a caller's byte pair): one
//!   message per line, newline-terminated, read through the bounded [`LineReader`].
//! - **WebSocket** (`codex app-server --listen ws://IP:PORT`): one message per text frame, no
//!   newline (verified against codex-cli 0.169.0 and 0.171.0). Pings are answered by
//!   tungstenite while the reader reads; a binary frame is taken as UTF-8 text; a close
//!   frame ends the connection like an end of file.

use std::io;
use std::task::{Context, Poll};

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::framing::{FrameError, LineReader};

/// A client WebSocket over plain TCP (`ws://`).
pub(crate) type WsStream = WebSocketStream<TcpStream>;

/// A boxed byte reader.
pub(crate) type BoxReader = Box<dyn AsyncRead + Send + Unpin>;
/// A boxed byte writer.
pub(crate) type BoxWriter = Box<dyn AsyncWrite + Send + Unpin>;

/// Both directions of a connection before it starts.
pub(crate) enum Wire {
    /// Newline-delimited JSON over a byte pair (stdio of a child, or a caller's transport).
    Stream {
        /// The server's lines.
        reader: BoxReader,
        /// The client's lines.
        writer: BoxWriter,
    },
    /// One JSON-RPC message per WebSocket text frame.
    WebSocket(Box<WsStream>),
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stream { .. } => "Wire::Stream",
            Self::WebSocket(_) => "Wire::WebSocket",
        })
    }
}

impl Wire {
    /// Splits into the reading and the writing half.
    pub(crate) fn split(self, max_message_len: usize) -> (FrameReader, FrameWriter) {
        match self {
            Self::Stream { reader, writer } => (
                FrameReader::Lines(LineReader::new(reader, max_message_len)),
                FrameWriter::Stream(writer),
            ),
            Self::WebSocket(ws) => {
                let (sink, stream) = (*ws).split();
                (
                    FrameReader::WebSocket {
                        stream,
                        frames: 0,
                        max_message_len,
                    },
                    FrameWriter::WebSocket(sink),
                )
            }
        }
    }
}

/// The reading half: one message at a time.
pub(crate) enum FrameReader {
    /// Lines of a byte stream.
    Lines(LineReader<BoxReader>),
    /// Frames of a WebSocket.
    WebSocket {
        stream: SplitStream<WsStream>,
        /// Messages read so far, for the numbers in [`FrameError`].
        frames: u64,
        max_message_len: usize,
    },
}

impl FrameReader {
    /// The next message, handed to `parse` while it is borrowed; `None` at the end (end of
    /// file, a close frame). [`FrameError::Io`] ends the reader.
    pub(crate) fn poll_message<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut parse: impl FnMut(&str) -> T,
    ) -> Poll<Option<Result<T, FrameError>>> {
        match self {
            Self::Lines(lines) => lines
                .poll_line(cx)
                .map(|line| line.map(|line| line.map(|(_, text)| parse(text)))),
            Self::WebSocket {
                stream,
                frames,
                max_message_len,
            } => loop {
                let message = match stream.poll_next_unpin(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Some(Err(FrameError::Io(io::Error::other(
                            error.to_string(),
                        )))));
                    }
                    Poll::Ready(Some(Ok(message))) => message,
                };
                let bytes = match message {
                    Message::Text(text) => text.into(),
                    Message::Binary(bytes) => bytes,
                    Message::Close(_) => return Poll::Ready(None),
                    // Control frames: tungstenite answers pings itself.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                };
                *frames += 1;
                let line = *frames;
                if bytes.len() > *max_message_len {
                    return Poll::Ready(Some(Err(FrameError::TooLong {
                        line,
                        limit: *max_message_len,
                    })));
                }
                return Poll::Ready(Some(match std::str::from_utf8(&bytes) {
                    Ok(text) => Ok(parse(text)),
                    Err(error) => Err(FrameError::InvalidUtf8 {
                        line,
                        valid_up_to: error.valid_up_to(),
                    }),
                }));
            },
        }
    }
}

/// The writing half.
pub(crate) enum FrameWriter {
    /// Lines to a byte stream.
    Stream(BoxWriter),
    /// Text frames to a WebSocket.
    WebSocket(SplitSink<WsStream, Message>),
}

impl FrameWriter {
    /// Sends one message; `text` ends with its newline, which a WebSocket frame leaves out.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a dropped send may have written part of the message.
    pub(crate) async fn send(&mut self, text: &str) -> io::Result<()> {
        match self {
            Self::Stream(writer) => {
                writer.write_all(text.as_bytes()).await?;
                writer.flush().await
            }
            Self::WebSocket(sink) => sink
                .send(Message::text(text.trim_end_matches('\n')))
                .await
                .map_err(|error| io::Error::other(error.to_string())),
        }
    }

    /// Closes the write side: end of file on a stream (codex app-server exits when it reads
    /// it), a close frame on a WebSocket.
    pub(crate) async fn close(&mut self) {
        match self {
            Self::Stream(writer) => {
                let _ = writer.shutdown().await;
            }
            Self::WebSocket(sink) => {
                let _ = sink.close().await;
            }
        }
    }
}
