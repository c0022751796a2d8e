//! A minimal HTTP/1.1 client over `TcpStream`, so the mock server's tests see the exact bytes
//! on the wire (chunk framing, a cut connection) that a full client would hide.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Bounded wait for anything the server is expected to send.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// One request in flight on its own connection (`connection: close`).
pub(crate) struct Exchange {
    stream: TcpStream,
    raw: Vec<u8>,
    eof: bool,
}

/// A parsed response.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    /// The body with chunk framing removed.
    pub(crate) body: String,
    /// Whether the body ended properly (the final `0` chunk, or `content-length` bytes).
    pub(crate) complete: bool,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl Exchange {
    /// Sends `method path` with a JSON `body` and extra `headers`.
    pub(crate) async fn send(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect to the mock");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write the request");
        Self {
            stream,
            raw: Vec::new(),
            eof: false,
        }
    }

    /// Reads until the raw bytes received so far contain `needle`.
    pub(crate) async fn read_until_contains(&mut self, needle: &str) {
        tokio::time::timeout(WAIT, async {
            while !String::from_utf8_lossy(&self.raw).contains(needle) {
                assert!(
                    self.read_some().await,
                    "connection closed before {needle:?} arrived"
                );
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{needle:?} did not arrive within {WAIT:?}"));
    }

    /// Whether any byte arrives within `window`. Used to assert that a held stream stays
    /// held; a `false` answer is bounded by `window`, a `true` one returns at once.
    pub(crate) async fn receives_within(&mut self, window: Duration) -> bool {
        tokio::time::timeout(window, self.read_some()).await.is_ok()
    }

    /// Reads to end of stream and parses the response.
    pub(crate) async fn finish(mut self) -> RawResponse {
        tokio::time::timeout(WAIT, async { while self.read_some().await {} })
            .await
            .expect("the server closes the connection");
        parse(&self.raw)
    }

    /// Reads once; `false` at end of stream (or on a reset, which is how a cut looks).
    async fn read_some(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut buf = [0_u8; 8192];
        match self.stream.read(&mut buf).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
        }
    }
}

/// Sends a request and reads the whole response.
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    Exchange::send(addr, method, path, headers, body)
        .await
        .finish()
        .await
}

/// `POST /v1/responses` with a small JSON body.
pub(crate) async fn post_responses(addr: SocketAddr) -> RawResponse {
    request(addr, "POST", "/v1/responses", &[], r#"{"model":"m"}"#).await
}

fn parse(raw: &[u8]) -> RawResponse {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a complete response head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let (body, complete) = if chunked {
        dechunk(body)
    } else {
        let length = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse::<usize>().ok());
        (body.to_owned(), length.is_none_or(|n| n == body.len()))
    };
    RawResponse {
        status,
        headers,
        body,
        complete,
    }
}

/// Removes chunk framing; `complete` when the final zero-size chunk was seen.
fn dechunk(mut rest: &str) -> (String, bool) {
    let mut body = String::new();
    loop {
        let Some((size_line, after)) = rest.split_once("\r\n") else {
            return (body, false);
        };
        let Ok(size) = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
        else {
            return (body, false);
        };
        if size == 0 {
            return (body, true);
        }
        if after.len() < size {
            body.push_str(after);
            return (body, false);
        }
        body.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
}
