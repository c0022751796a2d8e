//! Retrying turns that failed for transient reasons, with exponential backoff and jitter.

use std::future::Future;
use std::time::Duration;

use crate::error::Error;

/// How [`retry`] waits between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// 3 attempts, 250 ms first delay, delays doubling up to 8 s, with full jitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attempts in all, the first included (at least 1).
    ///
    /// By default, 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay before the second attempt; each later delay doubles.
    ///
    /// By default, 250 ms.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest delay between two attempts.
    ///
    /// By default, 8 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The delay before attempt `attempt + 1` (1-based `attempt`), with `jitter` in `[0, 1)`
    /// scaling it ("full jitter").
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .initial_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        exp.min(self.max_delay).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// Runs `op` until it succeeds, fails with an error that is not
/// [retryable](Error::is_retryable), or has run `policy`'s attempts.
///
/// # Cancel safety
///
/// Cancel safe between attempts; dropping it during an attempt drops that attempt's future.
///
/// # Errors
///
/// The last error.
pub async fn retry<T, F, Fut>(policy: RetryPolicy, mut op: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    let mut seed = jitter_seed();
    loop {
        match op().await {
            Err(err) if err.is_retryable() && attempt < policy.max_attempts => {
                seed = xorshift(seed);
                #[expect(clippy::cast_precision_loss, reason = "53 bits of jitter are plenty")]
                let jitter = (seed >> 11) as f64 / (1u64 << 53) as f64;
                tokio::time::sleep(policy.delay(attempt, jitter)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn jitter_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos) | 1
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn delays_double_and_are_capped() {
        let p = RetryPolicy::new()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        assert_eq!(p.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.delay(3, 1.0), Duration::from_millis(350));
        assert_eq!(p.delay(3, 0.5), Duration::from_millis(175));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_retryable_errors() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Error> = retry(RetryPolicy::new().max_attempts(4), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::TurnFailed {
                message: "We're currently experiencing high demand".into(),
                codex_error_info: None,
            })
        })
        .await;
        assert!(matches!(result, Err(Error::TurnFailed { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), Error> = retry(RetryPolicy::new(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::TurnFailed {
                message: "unexpected status 401 Unauthorized".into(),
                codex_error_info: None,
            })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
