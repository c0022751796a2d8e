//! [`CancelHandle`]: cancel a turn from anywhere.

use std::fmt;

use tokio_util::sync::CancellationToken;

/// A cloneable handle that cancels a turn.
///
/// Cancelling kills the process group of the turn (`SIGTERM`, then `SIGKILL` after the grace
/// period) and makes its stream yield [`Error::Cancelled`](crate::Error::Cancelled). A handle
/// cancelled before or while the process is spawned is honoured: the stream yields
/// `Cancelled` and no process remains. One handle may be given to several turns to cancel them
/// together. Cancelling is permanent and idempotent.
#[derive(Clone, Default)]
pub struct CancelHandle {
    token: CancellationToken,
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelHandle {
    /// A new, not yet cancelled handle.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every turn this handle was given to.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Waits until the handle is cancelled.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the handle.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// A token cancelled with this handle, that can also be cancelled on its own.
    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }
}
