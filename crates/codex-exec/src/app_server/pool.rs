//! [`RemotePool`]: several remote app-servers, handed out least-loaded first, with the ones
//! that fail taken out and retried later with backoff.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::RemoteEndpoint;
use crate::Error;

/// The first wait before an endpoint that failed is checked again; it doubles on each
/// further failure up to [`DEFAULT_MAX_BACKOFF`] (both set by [`RemotePool::backoff`]).
pub const DEFAULT_MIN_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait before an endpoint that failed is checked again.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_mins(1);
/// How long a passed `/readyz` check counts before the endpoint is checked again when it is
/// handed out.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Several remote app-servers (`codex app-server --listen ws://IP:PORT`, each with its
/// token), handed out one [`Lease`] at a time.
///
/// - [`acquire`](Self::acquire) hands out the healthy endpoint with the fewest leases out
///   (the in-flight turns), the first in the list on a tie. An endpoint is healthy when its
///   last `GET /readyz` check passed; the check is repeated when the endpoint is handed out
///   and its last check is older than the check interval.
/// - An endpoint whose check fails, or whose lease is [marked failed](Lease::mark_failed)
///   (the connection broke, was refused), is taken out. It is checked again when an
///   `acquire` comes after its backoff (1 s, doubling to 60 s by default) and put back once
///   it passes.
/// - Dropping a lease gives its load back.
///
/// Cheap to clone: clones share the endpoints and their load.
///
/// ```no_run
/// use codex_agent_exec::app_server::{RemoteEndpoint, RemotePool};
///
/// # async fn demo() -> Result<(), codex_agent_exec::Error> {
/// let pool = RemotePool::new([
///     RemoteEndpoint::new("ws://10.0.0.1:4500")?.token("t1"),
///     RemoteEndpoint::new("ws://10.0.0.2:4500")?.token("t2"),
/// ])?;
/// let lease = pool.acquire().await?;
/// println!("running on {} (endpoint #{})", lease.endpoint().url(), lease.index());
/// // ... run the turn; on a connection error: lease.mark_failed();
/// drop(lease);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RemotePool {
    shared: Arc<Shared>,
}

struct Shared {
    endpoints: Vec<RemoteEndpoint>,
    state: Mutex<Vec<Slot>>,
    min_backoff: Duration,
    max_backoff: Duration,
    check_interval: Duration,
}

/// What the pool knows about one endpoint.
#[derive(Debug, Clone)]
struct Slot {
    in_flight: usize,
    health: Health,
    /// Turns handed out on this endpoint so far.
    handed_out: u64,
}

#[derive(Debug, Clone, Copy)]
enum Health {
    /// Never checked yet.
    Unknown,
    /// Passed its check at this moment.
    Healthy { checked: Instant },
    /// Failed; checked again from `retry_at` on, after waiting `backoff`.
    Failed {
        retry_at: Instant,
        backoff: Duration,
    },
    /// Being checked by an `acquire` right now.
    Checking { backoff: Option<Duration> },
}

impl fmt::Debug for RemotePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemotePool")
            .field("endpoints", &self.shared.endpoints)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// The state of one endpoint of a pool, from [`RemotePool::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointStatus {
    /// The endpoint's URL.
    pub url: String,
    /// Leases out now.
    pub in_flight: usize,
    /// Whether its last check passed (`false` also before its first check).
    pub healthy: bool,
    /// Leases handed out so far.
    pub handed_out: u64,
}

impl RemotePool {
    /// A pool of `endpoints`, in order of preference on equal load; nothing is checked yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEndpoint`] when there is no endpoint or one is listed twice.
    pub fn new(endpoints: impl IntoIterator<Item = RemoteEndpoint>) -> Result<Self, Error> {
        let endpoints: Vec<RemoteEndpoint> = endpoints.into_iter().collect();
        if endpoints.is_empty() {
            return Err(Error::InvalidEndpoint {
                endpoint: String::new(),
                reason: "a pool needs at least one endpoint",
            });
        }
        for (i, endpoint) in endpoints.iter().enumerate() {
            if endpoints[..i].contains(endpoint) {
                return Err(Error::InvalidEndpoint {
                    endpoint: endpoint.url().to_owned(),
                    reason: "the endpoint is listed twice",
                });
            }
        }
        let state = endpoints
            .iter()
            .map(|_| Slot {
                in_flight: 0,
                health: Health::Unknown,
                handed_out: 0,
            })
            .collect();
        Ok(Self {
            shared: Arc::new(Shared {
                endpoints,
                state: Mutex::new(state),
                min_backoff: DEFAULT_MIN_BACKOFF,
                max_backoff: DEFAULT_MAX_BACKOFF,
                check_interval: DEFAULT_CHECK_INTERVAL,
            }),
        })
    }

    /// The first and the longest wait before a failed endpoint is checked again.
    ///
    /// By default, [`DEFAULT_MIN_BACKOFF`] (1 s) doubling up to [`DEFAULT_MAX_BACKOFF`]
    /// (60 s). Only before the pool is cloned or used; later calls change nothing.
    #[must_use]
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.min_backoff = min;
            shared.max_backoff = max.max(min);
        }
        self
    }

    /// How long a passed check counts; an endpoint handed out later is checked again first.
    /// `Duration::ZERO` checks on every [`acquire`](Self::acquire).
    ///
    /// By default, [`DEFAULT_CHECK_INTERVAL`] (10 s). Only before the pool is cloned or used.
    #[must_use]
    pub fn check_interval(mut self, interval: Duration) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.check_interval = interval;
        }
        self
    }

    /// The endpoints, in the order given.
    pub fn endpoints(&self) -> &[RemoteEndpoint] {
        &self.shared.endpoints
    }

    /// The load and health of each endpoint, in the order given.
    #[must_use]
    pub fn status(&self) -> Vec<EndpointStatus> {
        self.lock()
            .iter()
            .zip(&self.shared.endpoints)
            .map(|(slot, endpoint)| EndpointStatus {
                url: endpoint.url().to_owned(),
                in_flight: slot.in_flight,
                healthy: matches!(slot.health, Health::Healthy { .. }),
                handed_out: slot.handed_out,
            })
            .collect()
    }

    /// Hands out the least-loaded healthy endpoint, checking (`GET /readyz`, concurrently)
    /// the endpoints that were never checked, whose check is stale, or whose backoff is over.
    ///
    /// # Errors
    ///
    /// [`Error::NoHealthyEndpoint`] when every endpoint failed its check or waits for its
    /// retry.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future hands nothing out; an endpoint whose check was
    /// interrupted is checked again by the next call.
    pub async fn acquire(&self) -> Result<Lease, Error> {
        let due = self.take_due(Instant::now());
        if !due.is_empty() {
            let mut guard = Unchecking {
                pool: self,
                indices: due.clone(),
            };
            let checks = due.iter().map(|&i| self.shared.endpoints[i].check_ready());
            let results = futures::future::join_all(checks).await;
            // Finished: the results below replace the `Checking` marks.
            guard.indices.clear();
            let now = Instant::now();
            let mut state = self.lock();
            for (&i, result) in due.iter().zip(results) {
                match result {
                    Ok(()) => state[i].health = Health::Healthy { checked: now },
                    Err(error) => {
                        tracing::debug!(
                            endpoint = self.shared.endpoints[i].url(),
                            %error,
                            "a remote codex app-server failed its readiness check"
                        );
                        self.fail(&mut state[i], now);
                    }
                }
            }
        }
        let mut state = self.lock();
        let best = state
            .iter()
            .enumerate()
            .filter(|(_, slot)| matches!(slot.health, Health::Healthy { .. }))
            .min_by_key(|(i, slot)| (slot.in_flight, *i))
            .map(|(i, _)| i);
        let Some(index) = best else {
            return Err(Error::NoHealthyEndpoint {
                endpoints: state.len(),
            });
        };
        state[index].in_flight += 1;
        state[index].handed_out += 1;
        Ok(Lease {
            pool: self.clone(),
            index,
        })
    }

    /// Marks the endpoints due for a check as being checked and returns them.
    fn take_due(&self, now: Instant) -> Vec<usize> {
        let interval = self.shared.check_interval;
        let mut state = self.lock();
        let mut due = Vec::new();
        for (i, slot) in state.iter_mut().enumerate() {
            let backoff = match slot.health {
                Health::Unknown => None,
                Health::Healthy { checked } if now.duration_since(checked) >= interval => None,
                Health::Failed { retry_at, backoff } if now >= retry_at => Some(backoff),
                Health::Healthy { .. } | Health::Failed { .. } | Health::Checking { .. } => {
                    continue;
                }
            };
            slot.health = Health::Checking { backoff };
            due.push(i);
        }
        due
    }

    /// Takes an endpoint out until its (doubled) backoff is over.
    fn fail(&self, slot: &mut Slot, now: Instant) {
        let previous = match slot.health {
            Health::Failed { backoff, .. }
            | Health::Checking {
                backoff: Some(backoff),
            } => Some(backoff),
            _ => None,
        };
        let backoff = previous.map_or(self.shared.min_backoff, |b| {
            (b * 2).min(self.shared.max_backoff)
        });
        slot.health = Health::Failed {
            retry_at: now + backoff,
            backoff,
        };
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        // Every update is a single field assignment: the state stays consistent.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Puts endpoints whose check was interrupted (the `acquire` future dropped) back to
/// "never checked", so that the next `acquire` checks them.
struct Unchecking<'a> {
    pool: &'a RemotePool,
    indices: Vec<usize>,
}

impl Drop for Unchecking<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        for &i in &self.indices {
            if matches!(state[i].health, Health::Checking { .. }) {
                state[i].health = Health::Unknown;
            }
        }
    }
}

/// One endpoint handed out by [`RemotePool::acquire`]; its load counts until the lease is
/// dropped.
pub struct Lease {
    pool: RemotePool,
    index: usize,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("index", &self.index)
            .field("endpoint", self.endpoint())
            .finish_non_exhaustive()
    }
}

impl Lease {
    /// The endpoint to run on.
    pub fn endpoint(&self) -> &RemoteEndpoint {
        &self.pool.shared.endpoints[self.index]
    }

    /// The endpoint's position in the pool's list, to pick a client kept per endpoint.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Takes the endpoint out of the pool (its connection broke or was refused); it is
    /// checked again after its backoff. The lease still counts until it is dropped.
    pub fn mark_failed(&self) {
        let mut state = self.pool.lock();
        self.pool.fail(&mut state[self.index], Instant::now());
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        let slot = &mut state[self.index];
        slot.in_flight = slot.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback HTTP server answering every request with `status`, until dropped.
    async fn readyz(status: u16) -> (RemoteEndpoint, tokio::task::JoinHandle<()>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        let endpoint = RemoteEndpoint::new(format!("ws://127.0.0.1:{port}")).expect("valid");
        (endpoint, task)
    }

    #[tokio::test]
    async fn least_loaded_first_and_failed_ones_out() {
        let (a, task_a) = readyz(200).await;
        let (b, task_b) = readyz(200).await;
        let (c, task_c) = readyz(503).await;
        let pool = RemotePool::new([a, b, c])
            .expect("pool")
            .backoff(Duration::from_hours(1), Duration::from_hours(1));
        let first = pool.acquire().await.expect("a healthy endpoint");
        let second = pool.acquire().await.expect("a healthy endpoint");
        let third = pool.acquire().await.expect("a healthy endpoint");
        assert_eq!((first.index(), second.index(), third.index()), (0, 1, 0));
        drop(second);
        assert_eq!(pool.acquire().await.expect("healthy").index(), 1);
        let status = pool.status();
        assert_eq!(
            status.iter().map(|s| s.healthy).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(status[0].in_flight, 2);
        assert_eq!(
            status[1].in_flight, 0,
            "the dropped leases gave their load back"
        );
        first.mark_failed();
        assert_eq!(pool.acquire().await.expect("healthy").index(), 1);
        drop((first, third));
        assert_eq!(
            pool.acquire().await.expect("healthy").index(),
            1,
            "the failed endpoint waits for its backoff"
        );
        for task in [task_a, task_b, task_c] {
            task.abort();
        }
    }

    #[tokio::test]
    async fn nothing_healthy_is_a_typed_error_and_recovery_is_retried() {
        let (a, task) = readyz(503).await;
        let pool = RemotePool::new([a])
            .expect("pool")
            .backoff(Duration::ZERO, Duration::ZERO);
        let error = pool.acquire().await.expect_err("nothing healthy");
        assert!(
            matches!(error, Error::NoHealthyEndpoint { endpoints: 1 }),
            "{error:?}"
        );
        task.abort();
        let _ = task.await;
        // The same port, now answering 200: after the (zero) backoff it is checked again.
        let url = pool.endpoints()[0]
            .url()
            .trim_start_matches("ws://")
            .to_owned();
        let listener = tokio::net::TcpListener::bind(&url).await.expect("rebind");
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        assert_eq!(pool.acquire().await.expect("recovered").index(), 0);
        server.abort();
    }

    #[test]
    fn empty_and_duplicate_pools_are_refused() {
        assert!(matches!(
            RemotePool::new([]),
            Err(Error::InvalidEndpoint { .. })
        ));
        let a = RemoteEndpoint::new("ws://127.0.0.1:1").expect("valid");
        assert!(matches!(
            RemotePool::new([a.clone(), a]),
            Err(Error::InvalidEndpoint { reason, .. }) if reason.contains("twice")
        ));
    }
}
