//! Remote app-servers: [`RemoteEndpoint`], a `codex app-server --listen ws://IP:PORT` that
//! this client connects to over a WebSocket instead of spawning.
//!
//! # What codex does (verified on codex-cli 0.169.0 and 0.171.0)
//!
//! - The server takes its token from a file: `--ws-auth capability-token --ws-token-file
//!   /abs/path` (or `--ws-token-sha256 HEX`, the digest of the token), or
//!   `--ws-auth signed-bearer-token --ws-shared-secret-file /abs/path` for HS256 JWTs.
//! - The client presents it as `Authorization: Bearer <token>` on the WebSocket upgrade
//!   request; a token in the query string is ignored. A missing token is answered `401
//!   missing websocket bearer token`, a wrong one `401 invalid websocket bearer token`; a
//!   request with a browser `Origin` header gets `403`.
//! - Each JSON-RPC message is one text frame. `GET /readyz` and `GET /healthz` answer `200`
//!   with an empty body, without authentication.
//!
//! # Reconnecting
//!
//! A connection is opened by [`Runtime`](super::Runtime) on the first turn. When the socket
//! drops, every request and turn in flight fails at once with [`Error::RemoteClosed`]
//! (naming the endpoint; there is no process, so no exit status or stderr); the turn is
//! not retried, since the server may have carried part of it out. The next turn opens a new
//! connection and resumes its thread there (`thread/resume`), as after a local app-server
//! died. Nothing reconnects in the background.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use codex_agent_protocol::secret::{REDACTED, Redactor, Secret};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::transport::WsStream;
use crate::Error;
use crate::redact_url::redact_url;

/// How long connecting to a remote endpoint (TCP, WebSocket upgrade) or its `/readyz` check
/// may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an HTTP answer the `/readyz` check and error messages read.
const MAX_ANSWER_LEN: usize = 4096;

/// A `codex app-server --listen ws://IP:PORT` to connect to, with its token.
///
/// `Debug` shows the URL and whether there is a token, never the token.
///
/// ```
/// use codex_agent_exec::app_server::RemoteEndpoint;
/// use std::time::Duration;
///
/// let endpoint = RemoteEndpoint::new("ws://127.0.0.1:4500")?
///     .token("s3cret")
///     .connect_timeout(Duration::from_secs(3));
/// assert_eq!(endpoint.url(), "ws://127.0.0.1:4500");
/// assert!(!format!("{endpoint:?}").contains("s3cret"));
/// # Ok::<(), codex_agent_exec::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct RemoteEndpoint {
    url: String,
    host: String,
    port: u16,
    token: Option<Secret>,
    connect_timeout: Duration,
}

impl fmt::Debug for RemoteEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteEndpoint")
            .field("url", &self.url)
            .field("token", &self.token)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RemoteEndpoint {
    /// Endpoints are equal when their URLs are.
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

impl Eq for RemoteEndpoint {}

impl RemoteEndpoint {
    /// An endpoint at `url`: `ws://HOST:PORT` with an optional path; no token, the
    /// [`DEFAULT_CONNECT_TIMEOUT`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] for another scheme (`wss://` included: this client has no
    /// TLS; tunnel with SSH as codex advises), a missing port, credentials or a query in the
    /// URL (a token belongs in [`token`](Self::token), where it stays out of logs).
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        let url = url.into();
        // The URL is refused, and its userinfo, query or fragment is where a token would be:
        // the error shows none of them.
        let invalid = |reason| Error::InvalidEndpoint {
            endpoint: refused_url(&url),
            reason,
        };
        let Some(rest) = url.strip_prefix("ws://") else {
            return Err(invalid("only `ws://HOST:PORT` endpoints are supported"));
        };
        if rest.contains(['?', '#']) {
            return Err(invalid(
                "a query or fragment is not allowed; give the token with `RemoteEndpoint::token`",
            ));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(invalid(
                "credentials in the URL are not allowed; give the token with `RemoteEndpoint::token`",
            ));
        }
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(invalid("the port is missing"));
        };
        let Ok(port) = port.parse::<u16>() else {
            return Err(invalid("the port is not a number from 0 to 65535"));
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid("the host is missing"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            url,
            token: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    /// The token the server was started with (`--ws-auth capability-token`), or a signed JWT
    /// (`--ws-auth signed-bearer-token`), sent as `Authorization: Bearer <token>` on the
    /// upgrade request and redacted from everything the server sends.
    ///
    /// By default, no token: only a server started without `--ws-auth` accepts that.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How long the TCP connection and the WebSocket upgrade, or the `/readyz` check, may take.
    ///
    /// By default, [`DEFAULT_CONNECT_TIMEOUT`] (10 seconds).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// The URL as given.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether a token is set.
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The redactor of what this endpoint sends: the token and the built-in patterns.
    pub(crate) fn redactor(&self) -> Arc<Redactor> {
        Arc::new(Redactor::from_secrets(self.token.iter()))
    }

    /// `GET /readyz`: whether the server accepts connections now.
    ///
    /// # Errors
    ///
    /// [`Error::RemoteUnreachable`], [`Error::RemoteTimeout`], and [`Error::RemoteRefused`]
    /// with the status when it is not `200`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future closes the connection.
    pub async fn check_ready(&self) -> Result<(), Error> {
        let check = async {
            let mut tcp = self.tcp().await?;
            let request = format!(
                "GET /readyz HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
                self.host_header(),
                self.port
            );
            tcp.write_all(request.as_bytes())
                .await
                .map_err(|source| self.unreachable(source))?;
            let mut answer = Vec::new();
            (&mut tcp)
                .take(MAX_ANSWER_LEN as u64)
                .read_to_end(&mut answer)
                .await
                .map_err(|source| self.unreachable(source))?;
            let status = parse_status(&answer);
            match status {
                Some(200) => Ok(()),
                _ => Err(Error::RemoteRefused {
                    endpoint: self.url.clone(),
                    status,
                    reason: status.map_or_else(
                        || "`GET /readyz` got no HTTP answer".to_owned(),
                        |status| format!("`GET /readyz` answered {status}"),
                    ),
                }),
            }
        };
        self.bounded(check).await
    }

    /// Connects and upgrades to a WebSocket, presenting the token.
    pub(crate) async fn open(&self, max_message_len: usize) -> Result<WsStream, Error> {
        let open = async {
            let tcp = self.tcp().await?;
            let _ = tcp.set_nodelay(true);
            let mut request = self
                .url
                .as_str()
                .into_client_request()
                .map_err(|error| self.refused(None, &error.to_string()))?;
            if let Some(token) = &self.token {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| Error::InvalidEndpoint {
                        endpoint: self.url.clone(),
                        reason: "the token is not a valid HTTP header value",
                    })?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            let config = WebSocketConfig::default()
                .max_message_size(Some(max_message_len))
                .max_frame_size(Some(max_message_len));
            match tokio_tungstenite::client_async_with_config(request, tcp, Some(config)).await {
                Ok((ws, _response)) => Ok(ws),
                Err(error) => Err(self.upgrade_error(error)),
            }
        };
        self.bounded(open).await
    }

    async fn tcp(&self) -> Result<TcpStream, Error> {
        TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|source| self.unreachable(source))
    }

    async fn bounded<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        tokio::time::timeout(self.connect_timeout, work)
            .await
            .unwrap_or_else(|_elapsed| {
                Err(Error::RemoteTimeout {
                    endpoint: self.url.clone(),
                    limit: self.connect_timeout,
                })
            })
    }

    fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    fn unreachable(&self, source: io::Error) -> Error {
        Error::RemoteUnreachable {
            endpoint: self.url.clone(),
            source,
        }
    }

    fn refused(&self, status: Option<u16>, reason: &str) -> Error {
        Error::RemoteRefused {
            endpoint: self.url.clone(),
            status,
            reason: self.redactor().redact(reason),
        }
    }

    /// Classifies a failed upgrade: `401` is a refused token, another status a refused
    /// connection, an IO error an unreachable server.
    fn upgrade_error(&self, error: tungstenite::Error) -> Error {
        match error {
            tungstenite::Error::Http(response) => {
                let status = response.status().as_u16();
                let body = response
                    .body()
                    .as_deref()
                    .map(|body| String::from_utf8_lossy(body).trim().to_owned())
                    .filter(|body| !body.is_empty());
                if status == 401 {
                    Error::RemoteUnauthorized {
                        endpoint: self.url.clone(),
                        reason: self
                            .redactor()
                            .redact(body.as_deref().unwrap_or("401 Unauthorized")),
                    }
                } else {
                    let reason = match body {
                        Some(body) => format!("the upgrade was answered {status}: {body}"),
                        None => format!("the upgrade was answered {status}"),
                    };
                    self.refused(Some(status), &reason)
                }
            }
            tungstenite::Error::Io(source) => self.unreachable(source),
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => self
                .unreachable(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the server closed the connection during the WebSocket upgrade",
                )),
            other => self.refused(None, &other.to_string()),
        }
    }
}

/// `url` as an error about it shows it: the userinfo (`redact_url`'s rules) and the whole query
/// and fragment replaced by [`REDACTED`], since a refused URL may carry a token in any of them.
fn refused_url(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(at) => format!("{}{}{REDACTED}", redact_url(&url[..at]), &url[at..=at]),
        None => redact_url(url),
    }
}

/// The status code of an HTTP/1.x answer's status line.
fn parse_status(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(url: &str) -> &'static str {
        match RemoteEndpoint::new(url) {
            Err(Error::InvalidEndpoint { reason, .. }) => reason,
            other => panic!("{url}: expected InvalidEndpoint, got {other:?}"),
        }
    }

    /// A token put in a refused URL does not reach the error (secrets audit, `audit/secrets.txt`).
    #[test]
    fn refused_urls_do_not_show_their_credentials() {
        for (url, shown) in [
            ("ws://user:pw-3c9f1a@h:1", "ws://user:[REDACTED]@h:1"),
            ("ws://tok-3c9f1a@h:1/p", "ws://[REDACTED]@h:1/p"),
            ("ws://h:1/?t=tok-3c9f1a", "ws://h:1/?[REDACTED]"),
            ("ws://h:1/p#tok-3c9f1a", "ws://h:1/p#[REDACTED]"),
            (
                "wss://u:pw-3c9f1a@h:1/?k=v",
                "wss://u:[REDACTED]@h:1/?[REDACTED]",
            ),
        ] {
            let error = RemoteEndpoint::new(url).expect_err("refused");
            let Error::InvalidEndpoint { endpoint, .. } = &error else {
                panic!("{url}: expected InvalidEndpoint, got {error:?}");
            };
            assert_eq!(endpoint, shown);
            let text = format!("{error} {error:?}");
            assert!(!text.contains("3c9f1a"), "{text}");
        }
    }

    #[test]
    fn urls_are_validated() {
        assert_eq!(
            reason("wss://h:1"),
            "only `ws://HOST:PORT` endpoints are supported"
        );
        assert_eq!(
            reason("http://h:1"),
            "only `ws://HOST:PORT` endpoints are supported"
        );
        assert_eq!(reason("ws://h"), "the port is missing");
        assert_eq!(
            reason("ws://h:99999"),
            "the port is not a number from 0 to 65535"
        );
        assert_eq!(reason("ws://:80"), "the host is missing");
        assert!(reason("ws://user:pw@h:1").starts_with("credentials"));
        assert!(reason("ws://h:1/?token=x").starts_with("a query"));
        let ok = RemoteEndpoint::new("ws://[::1]:4500/path").expect("valid");
        assert_eq!(ok.url(), "ws://[::1]:4500/path");
        assert_eq!((ok.host.as_str(), ok.port), ("::1", 4500));
        assert_eq!(ok.host_header(), "[::1]");
    }

    #[test]
    fn debug_hides_the_token() {
        let endpoint = RemoteEndpoint::new("ws://127.0.0.1:1")
            .expect("valid")
            .token("very-secret-token-value");
        let debug = format!("{endpoint:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert!(debug.contains("ws://127.0.0.1:1"), "{debug}");
    }

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 503 Busy\r\n"), Some(503));
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        // Bound, then closed: nothing listens there.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let endpoint = RemoteEndpoint::new(format!("ws://127.0.0.1:{port}")).expect("valid");
        let error = endpoint.open(1024).await.expect_err("nothing listens");
        assert!(
            matches!(&error, Error::RemoteUnreachable { endpoint, .. } if endpoint.ends_with(&port.to_string())),
            "{error:?}"
        );
        let error = endpoint.check_ready().await.expect_err("nothing listens");
        assert!(
            matches!(error, Error::RemoteUnreachable { .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        // Accepts connections (the kernel does, from the backlog) but never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let endpoint = RemoteEndpoint::new(format!("ws://127.0.0.1:{port}"))
            .expect("valid")
            .connect_timeout(Duration::from_millis(200));
        let error = endpoint.open(1024).await.expect_err("no answer");
        assert!(
            matches!(error, Error::RemoteTimeout { limit, .. } if limit == Duration::from_millis(200)),
            "{error:?}"
        );
        drop(listener);
    }
}
