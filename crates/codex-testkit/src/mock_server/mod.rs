//! A scripted mock of the OpenAI Responses API, for driving the real codex CLI offline.
//!
//! [`MockServer::start`] listens on `127.0.0.1` only, on a free port. Tests queue
//! [`MockResponse`]s; each `POST /v1/responses` consumes the next one, in order. Every request is
//! captured as a [`CapturedRequest`] for assertions. `GET /v1/models` answers an empty list.
//!
//! Nothing hangs by accident: a `POST /v1/responses` with nothing queued gets a `409 Conflict`
//! whose error message names the problem, and the problem is recorded in
//! [`MockServer::problems`]. codex passes a 409's message on (`turn failed: unexpected status
//! 409 Conflict: codex-agent-testkit mock: request #2 … found no scripted response …`) and does
//! not retry it; a `500` would be retried and then reported as codex's own "high demand"
//! message, which hides what went wrong.
//! Unknown routes get a `404` and are recorded the same way.
//!
//! Dropping the server stops it: the listener and every open connection (held gates
//! included) are aborted.
//!
//! ```
//! use codex_agent_testkit::mock_server::{MockResponse, MockServer};
//! use codex_agent_testkit::sse::{self, Sse};
//!
//! # async fn demo() -> Result<(), codex_agent_testkit::Error> {
//! let mock = MockServer::start().await?;
//! mock.push(Sse::reply("resp-1", [sse::exec_command("call-1", "echo hi")]));
//! mock.push(Sse::message("resp-2", "done"));
//! mock.push(MockResponse::server_error());
//! // Point codex at `mock.url()` (see `CodexHome`), run it, then:
//! let requests = mock.wait_for_requests(2, std::time::Duration::from_secs(10)).await?;
//! assert!(requests[1].function_call_output("call-1").is_some());
//! # Ok(())
//! # }
//! ```

mod request;
mod response;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use request::CapturedRequest;
pub use response::{Gate, MockResponse, openai_error};

use crate::Error;
use crate::sse::Sse;
use response::Kind;

type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// The mock Responses API server. See the [module docs](self).
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

#[derive(Debug)]
struct State {
    inner: Mutex<Inner>,
    /// The number of captured requests, for [`MockServer::wait_for_requests`].
    captured: watch::Sender<usize>,
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<MockResponse>,
    repeat: Option<MockResponse>,
    requests: Vec<CapturedRequest>,
    problems: Vec<String>,
    responses_requests: usize,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated in a way that
        // matters to a test, so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MockServer {
    /// Starts a server on `127.0.0.1` on a free port, with an empty queue.
    ///
    /// Must be called inside a tokio runtime; the server's tasks run on it.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] when no loopback port can be bound.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing runs until it returns.
    pub async fn start() -> Result<Self, Error> {
        Self::start_on(0).await
    }

    /// Starts a server on `127.0.0.1:port`, with an empty queue: the way to bring a model
    /// server back where a stopped one was ([`addr`](Self::addr)), so that codex, configured
    /// with the old URL, reaches the new one. Port 0 picks a free port, like
    /// [`start`](Self::start).
    ///
    /// Must be called inside a tokio runtime; the server's tasks run on it.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] when the port cannot be bound.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing runs until it returns.
    pub async fn start_on(port: u16) -> Result<Self, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(Error::Bind)?;
        let addr = listener.local_addr().map_err(Error::Bind)?;
        let state = Arc::new(State {
            inner: Mutex::new(Inner::default()),
            captured: watch::Sender::new(0),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(Self {
            addr,
            state,
            accept,
        })
    }

    /// The base URL codex wants as the provider's `base_url`: `http://127.0.0.1:<port>/v1`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The listening address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `response` for the next unanswered `POST /v1/responses`.
    pub fn push(&self, response: impl Into<MockResponse>) {
        self.state.lock().queue.push_back(response.into());
    }

    /// Queues several responses, in order.
    pub fn push_all<R: Into<MockResponse>>(&self, responses: impl IntoIterator<Item = R>) {
        self.state
            .lock()
            .queue
            .extend(responses.into_iter().map(Into::into));
    }

    /// Answers every request with `response` once the queue is empty, forever (e.g. for retry
    /// tests). By default, an empty queue is an error (see the [module docs](self)).
    pub fn repeat_forever(&self, response: impl Into<MockResponse>) {
        self.state.lock().repeat = Some(response.into());
    }

    /// How many queued responses are still unused.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.state.lock().queue.len()
    }

    /// Every request received so far (all methods and paths), in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.state.lock().requests.clone()
    }

    /// The most recent request, if any.
    #[must_use]
    pub fn last_request(&self) -> Option<CapturedRequest> {
        self.state.lock().requests.last().cloned()
    }

    /// What went wrong on the server side: requests with nothing queued, unknown routes.
    /// Empty when the script matched what codex did.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        self.state.lock().problems.clone()
    }

    /// Waits until at least `count` requests have been captured and returns all of them.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when fewer than `count` arrive within `timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only observes the server.
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<CapturedRequest>, Error> {
        let mut captured = self.state.captured.subscribe();
        let arrived = tokio::time::timeout(timeout, captured.wait_for(|n| *n >= count))
            .await
            .is_ok();
        if !arrived {
            let got = *captured.borrow();
            return Err(Error::Timeout {
                what: format!("{count} requests to the mock server (got {got})"),
                waited: timeout,
            });
        }
        Ok(self.requests())
    }

    /// Stops the server and waits until its tasks are gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the server is stopped either way.
    pub async fn shutdown(mut self) {
        self.accept.abort();
        // The join error is the expected cancellation; `Drop` aborting again is harmless.
        let _ = (&mut self.accept).await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Accepts connections until aborted. Connection tasks live in a `JoinSet` owned by this
/// future, so aborting it aborts them too.
async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                let state = Arc::clone(&state);
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(Arc::clone(&state), request)
                    });
                    // A client that goes away mid-response is not the server's problem.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_finished) = connections.join_next() => {}
        }
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let json = serde_json::from_slice::<Value>(&body).ok();
    let path = parts.uri.path().to_owned();
    let captured = CapturedRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        json,
    };

    let route = path.trim_end_matches('/');
    let scripted = {
        let mut inner = state.lock();
        inner.requests.push(captured);
        let count = inner.requests.len();
        let scripted = if parts.method == Method::POST && route == "/v1/responses" {
            inner.responses_requests += 1;
            let number = inner.responses_requests;
            if let Some(response) = inner.queue.pop_front().or_else(|| inner.repeat.clone()) {
                Ok(response)
            } else {
                let problem = format!(
                    "request #{number} to POST /v1/responses found no scripted response: \
                     the queue is empty (queue more with MockServer::push)"
                );
                inner.problems.push(problem.clone());
                Err(json_response(
                    409,
                    &openai_error(
                        &format!("codex-agent-testkit mock: {problem}"),
                        "invalid_request_error",
                        "mock_queue_empty",
                    ),
                ))
            }
        } else if parts.method == Method::GET && route == "/v1/models" {
            Err(json_response(
                200,
                &json!({"object": "list", "data": [], "models": []}),
            ))
        } else {
            let problem = format!("no route for {} {path}", parts.method);
            inner.problems.push(problem.clone());
            Err(json_response(
                404,
                &openai_error(
                    &format!("codex-agent-testkit mock: {problem}"),
                    "invalid_request_error",
                    "mock_no_route",
                ),
            ))
        };
        state.captured.send_replace(count);
        scripted
    };
    Ok(match scripted {
        Ok(response) => respond(response).await,
        Err(fixed) => fixed,
    })
}

async fn respond(response: MockResponse) -> Response<Body> {
    if !response.delay.is_zero() {
        tokio::time::sleep(response.delay).await;
    }
    let MockResponse {
        kind,
        headers,
        holds,
        cut_off_after,
        ..
    } = response;
    let mut http = match kind {
        Kind::Json { status, body } => {
            for (_, gate) in &holds {
                gate.pass().await;
            }
            json_response(status, &body)
        }
        Kind::Sse(body) => {
            let mut http = Response::new(sse_body(&body, holds, cut_off_after));
            let headers = http.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            http
        }
    };
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            http.headers_mut().append(name, value);
        }
    }
    http
}

/// One step of an SSE body: an event to send, a gate to wait on, or the cut.
enum Step {
    Send(Bytes),
    Hold(Gate),
    Cut,
}

fn sse_body(body: &Sse, mut holds: Vec<(usize, Gate)>, cut_off_after: Option<usize>) -> Body {
    holds.sort_by_key(|(after, _)| *after);
    let mut holds = holds.into_iter().peekable();
    let mut steps = Vec::new();
    for (sent, event) in body.events().iter().enumerate() {
        while let Some((_, gate)) = holds.next_if(|(after, _)| *after <= sent) {
            steps.push(Step::Hold(gate));
        }
        if cut_off_after == Some(sent) {
            steps.push(Step::Cut);
            break;
        }
        steps.push(Step::Send(Bytes::from(event.render())));
    }
    if !matches!(steps.last(), Some(Step::Cut)) {
        steps.extend(holds.map(|(_, gate)| Step::Hold(gate)));
        if cut_off_after.is_some() {
            steps.push(Step::Cut);
        }
    }

    let frames = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
        loop {
            match steps.next()? {
                Step::Send(bytes) => return Some((Ok(Frame::data(bytes)), steps)),
                Step::Hold(gate) => gate.pass().await,
                // An error from the body makes hyper drop the connection without the final
                // chunk, which is what a network cut looks like to the client. Yielding first
                // lets hyper flush the events sent so far; it discards unflushed output when
                // the body fails.
                Step::Cut => {
                    tokio::task::yield_now().await;
                    let cut = std::io::Error::other("codex-agent-testkit mock: stream cut off");
                    return Some((Err(cut), Vec::new().into_iter()));
                }
            }
        }
    });
    BodyExt::boxed_unsync(StreamBody::new(frames.boxed()))
}

fn json_response(status: u16, body: &Value) -> Response<Body> {
    let full = Full::new(Bytes::from(body.to_string())).map_err(|never| match never {});
    let mut response = Response::new(BodyExt::boxed_unsync(full));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
