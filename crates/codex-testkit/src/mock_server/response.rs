//! Scripted responses ([`MockResponse`]) and the gates ([`Gate`]) that hold them.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::Error;
use crate::sse::Sse;

/// One scripted answer to a `POST /v1/responses`.
///
/// Either an SSE stream (`200`, `content-type: text/event-stream`) or an HTTP error with a JSON
/// body. Stream shaping: [`MockResponse::delay`] waits before anything is sent,
/// [`MockResponse::hold_after`] parks the stream on a [`Gate`], and
/// [`MockResponse::cut_off_after`] drops the connection midway.
///
/// ```
/// use codex_agent_testkit::mock_server::{Gate, MockResponse};
/// use codex_agent_testkit::sse::{self, Sse};
///
/// let gate = Gate::new();
/// let response = MockResponse::sse(Sse::message("resp-1", "hello"))
///     // Send `response.created`, then wait until the test calls `gate.release()`.
///     .hold_after(1, &gate);
/// # drop(response);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct MockResponse {
    pub(crate) kind: Kind,
    pub(crate) delay: Duration,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) holds: Vec<(usize, Gate)>,
    pub(crate) cut_off_after: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Sse(Sse),
    Json { status: u16, body: Value },
}

impl MockResponse {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            delay: Duration::ZERO,
            headers: Vec::new(),
            holds: Vec::new(),
            cut_off_after: None,
        }
    }

    /// A `200` SSE stream sending `body`.
    pub fn sse(body: Sse) -> Self {
        Self::new(Kind::Sse(body))
    }

    /// An HTTP error `status` with JSON `body` (conventionally
    /// `{"error": {"message", "type", "code"}}`).
    pub fn error(status: u16, body: Value) -> Self {
        Self::new(Kind::Json { status, body })
    }

    /// `401 Unauthorized`, code `invalid_api_key`.
    ///
    /// codex 0.169.0 treats it as retryable: with default retries it tries six times, then
    /// fails the turn with `unexpected status 401 Unauthorized: <message>, url: <url>`.
    pub fn invalid_api_key() -> Self {
        Self::error(
            401,
            openai_error(
                "Incorrect API key provided: dummy. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            ),
        )
    }

    /// `429 Too Many Requests`, code `insufficient_quota`, which codex does not retry
    /// ("Quota exceeded. Check your plan and billing details.").
    pub fn insufficient_quota() -> Self {
        Self::error(
            429,
            openai_error(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            ),
        )
    }

    /// `500 Internal Server Error`, type `server_error`; codex retries it per
    /// `request_max_retries` and then reports its own "high demand" message.
    pub fn server_error() -> Self {
        Self::error(
            500,
            openai_error(
                "The server had an error while processing your request.",
                "server_error",
                "server_error",
            ),
        )
    }

    /// Waits `delay` before sending anything, the status line included. By default, the
    /// response starts at once.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Adds a response header. By default, only `content-type` (and for SSE `cache-control`)
    /// is sent.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Holds the stream after its first `events` events (`0`: right after the headers) until
    /// `gate` is released. May be called several times, with several gates. On an error
    /// response, the whole response waits for the gate. By default, nothing is held.
    pub fn hold_after(mut self, events: usize, gate: &Gate) -> Self {
        self.holds.push((events, gate.clone()));
        self
    }

    /// Sends the first `events` events, then drops the connection without finishing the HTTP
    /// body, as a network cut would. codex 0.169.0 fails the turn with "stream disconnected
    /// before completion: Transport error: network error: error decoding response body"
    /// (after its stream retries). Ignored on an error response. By default, the whole body is
    /// sent.
    ///
    /// For a stream that ends cleanly but early, leave `response.completed` out of the
    /// [`Sse`] body instead: codex then reports "stream disconnected before completion: stream
    /// closed before response.completed".
    pub fn cut_off_after(mut self, events: usize) -> Self {
        self.cut_off_after = Some(events);
        self
    }

    /// The HTTP status this response sends.
    #[must_use]
    pub fn status(&self) -> u16 {
        match &self.kind {
            Kind::Sse(_) => 200,
            Kind::Json { status, .. } => *status,
        }
    }
}

impl From<Sse> for MockResponse {
    fn from(body: Sse) -> Self {
        Self::sse(body)
    }
}

/// The OpenAI error body: `{"error": {"message", "type", "param": null, "code"}}`.
#[must_use]
pub fn openai_error(message: &str, error_type: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": null, "code": code}})
}

/// A gate a scripted response waits on (see [`MockResponse::hold_after`]).
///
/// Clones share one gate. A released gate stays open: every stream that reaches it later
/// passes through.
#[derive(Debug, Clone)]
pub struct Gate {
    inner: Arc<GateInner>,
}

#[derive(Debug)]
struct GateInner {
    released: watch::Sender<bool>,
    reached: watch::Sender<bool>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A closed gate.
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(GateInner {
                released: watch::Sender::new(false),
                reached: watch::Sender::new(false),
            }),
        }
    }

    /// Opens the gate: held streams continue.
    pub fn release(&self) {
        self.inner.released.send_replace(true);
    }

    /// Whether [`Gate::release`] was called.
    #[must_use]
    pub fn is_released(&self) -> bool {
        *self.inner.released.borrow()
    }

    /// Whether a response has reached this gate (everything before it has been handed to the
    /// connection).
    #[must_use]
    pub fn is_reached(&self) -> bool {
        *self.inner.reached.borrow()
    }

    /// Waits until a response reaches this gate.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when no response reaches it within `timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only observes the gate.
    pub async fn wait_reached(&self, timeout: Duration) -> Result<(), Error> {
        let mut reached = self.inner.reached.subscribe();
        match tokio::time::timeout(timeout, reached.wait_for(|reached| *reached)).await {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::Timeout {
                what: "a response to reach the gate".to_owned(),
                waited: timeout,
            }),
        }
    }

    /// Called by the server: marks the gate reached and waits for its release.
    pub(crate) async fn pass(&self) {
        self.inner.reached.send_replace(true);
        let mut released = self.inner.released.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail with a closed channel.
        let _ = released.wait_for(|released| *released).await;
    }
}
