//! Thread goals (`thread/goal/set|get|clear` and the `thread/goal/updated|cleared`
//! notifications) and the account's rate limits: app-server only; exec has no way to reach
//! them, so there they are [`Error::Unsupported`].

use std::pin::Pin;
use std::task::{Context, Poll};

use codex_agent_exec::app_server::Subscription;
use codex_agent_protocol::app_server::{
    GetAccountRateLimitsParams, GetAccountRateLimitsResponse, ServerNotification, ThreadGoal,
    ThreadGoalClearParams, ThreadGoalGetParams, ThreadGoalMutationOrigin, ThreadGoalSetParams,
    ThreadGoalStatus,
};
use futures::Stream;

use crate::codex::Codex;
use crate::error::Error;
use crate::thread::Thread;
use crate::threads::not_found;

/// What [`Codex::set_goal`] changes: fields left unset stay as they are (for a new goal,
/// an objective is needed).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct GoalUpdate {
    objective: Option<String>,
    status: Option<ThreadGoalStatus>,
    token_budget: Option<i64>,
}

impl GoalUpdate {
    /// A change of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What codex is to achieve.
    ///
    /// By default, the objective is left as it is.
    pub fn objective(mut self, objective: impl Into<String>) -> Self {
        self.objective = Some(objective.into());
        self
    }

    /// The goal's status (for example [`ThreadGoalStatus::Paused`] to stop codex from working
    /// towards it, [`ThreadGoalStatus::Active`] to resume).
    ///
    /// By default, the status is left to codex (`active` for a new goal).
    pub fn status(mut self, status: ThreadGoalStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The most tokens codex may spend on the goal; codex marks it `budgetLimited` when they
    /// are used up.
    ///
    /// By default, the budget is left as it is (none for a new goal).
    pub fn token_budget(mut self, tokens: i64) -> Self {
        self.token_budget = Some(tokens);
        self
    }

    fn params(self, thread_id: &str) -> ThreadGoalSetParams {
        let mut params = ThreadGoalSetParams::new(thread_id);
        params.objective = self.objective;
        params.status = self.status;
        params.token_budget = self.token_budget;
        // The SDK acts for its caller: codex treats a change without origin as unauthorized.
        params.origin = Some(ThreadGoalMutationOrigin::User);
        params
    }
}

/// A change of a thread's goal, from [`GoalEvents`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GoalEvent {
    /// The goal was set or changed (`thread/goal/updated`), by a client or by codex in a
    /// turn.
    Updated {
        /// The goal as it is now.
        goal: ThreadGoal,
        /// The turn that changed it, when a turn did.
        turn_id: Option<String>,
    },
    /// The goal was removed (`thread/goal/cleared`).
    Cleared,
}

/// The stream of [`Codex::goal_events`]: every change of one thread's goal from the moment
/// it was created. It ends when the app-server closes (with its error). Dropping it
/// unsubscribes.
#[must_use = "a stream does nothing unless polled"]
#[derive(Debug)]
pub struct GoalEvents {
    subscription: Subscription,
}

impl Stream for GoalEvents {
    type Item = Result<GoalEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.subscription).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(Error::from_exec(error))));
                }
                Poll::Ready(Some(Ok(note))) => match note.body {
                    ServerNotification::ThreadGoalUpdated(updated) => {
                        return Poll::Ready(Some(Ok(GoalEvent::Updated {
                            goal: updated.goal,
                            turn_id: updated.turn_id,
                        })));
                    }
                    ServerNotification::ThreadGoalCleared(_) => {
                        return Poll::Ready(Some(Ok(GoalEvent::Cleared)));
                    }
                    _ => {}
                },
            }
        }
    }
}

impl Codex {
    /// Sets or changes the goal of the thread `id` (`thread/goal/set`) and returns it as
    /// codex stored it. An `active` goal makes codex keep working on the thread when it is
    /// idle. App-server only.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the goal may still be set.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; [`Error::ThreadNotFound`]; the app-server's errors
    /// (for example a new goal without an objective).
    pub async fn set_goal(&self, id: &str, update: GoalUpdate) -> Result<ThreadGoal, Error> {
        let server = self.server("setting a thread goal").await?;
        server
            .thread_goal_set(update.params(id))
            .await
            .map(|response| response.goal)
            .map_err(|e| not_found(e, id))
    }

    /// The goal of the thread `id`, if it has one (`thread/goal/get`). App-server only.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// As [`Codex::set_goal`].
    pub async fn goal(&self, id: &str) -> Result<Option<ThreadGoal>, Error> {
        let server = self.server("reading a thread goal").await?;
        server
            .thread_goal_get(ThreadGoalGetParams::new(id))
            .await
            .map(|response| response.goal)
            .map_err(|e| not_found(e, id))
    }

    /// Removes the goal of the thread `id` (`thread/goal/clear`); `false` when it had none.
    /// App-server only.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future forgets the request; the goal may still be cleared.
    ///
    /// # Errors
    ///
    /// As [`Codex::set_goal`].
    pub async fn clear_goal(&self, id: &str) -> Result<bool, Error> {
        let server = self.server("clearing a thread goal").await?;
        let mut params = ThreadGoalClearParams::new(id);
        params.origin = Some(ThreadGoalMutationOrigin::User);
        server
            .thread_goal_clear(params)
            .await
            .map(|response| response.cleared)
            .map_err(|e| not_found(e, id))
    }

    /// The changes of the goal of the thread `id` from now on, whoever makes them.
    /// App-server only.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: subscribing changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; the app-server's start-up errors.
    pub async fn goal_events(&self, id: &str) -> Result<GoalEvents, Error> {
        let server = self.server("watching a thread goal").await?;
        Ok(GoalEvents {
            subscription: server.subscribe_thread(id),
        })
    }

    /// The account's usage against its rate limits (`account/rateLimits/read`). App-server
    /// only.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] on exec; the app-server's errors (codex refuses when no
    /// `ChatGPT` account is logged in, for example with an API key).
    pub async fn rate_limits(&self) -> Result<GetAccountRateLimitsResponse, Error> {
        let server = self.server("reading rate limits").await?;
        server
            .account_rate_limits_read(GetAccountRateLimitsParams::default())
            .await
            .map_err(Error::from_exec)
    }
}

impl Thread {
    /// Sets or changes this thread's goal: see [`Codex::set_goal`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::set_goal`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::set_goal`].
    pub async fn set_goal(&self, update: GoalUpdate) -> Result<ThreadGoal, Error> {
        let id = self.id().ok_or(Error::ThreadNotStarted)?;
        self.codex().set_goal(&id, update).await
    }

    /// This thread's goal: see [`Codex::goal`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: reading changes nothing.
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::goal`].
    pub async fn goal(&self) -> Result<Option<ThreadGoal>, Error> {
        let id = self.id().ok_or(Error::ThreadNotStarted)?;
        self.codex().goal(&id).await
    }

    /// Removes this thread's goal: see [`Codex::clear_goal`].
    ///
    /// # Cancel safety
    ///
    /// As [`Codex::clear_goal`].
    ///
    /// # Errors
    ///
    /// [`Error::ThreadNotStarted`] before the first turn; as [`Codex::clear_goal`].
    pub async fn clear_goal(&self) -> Result<bool, Error> {
        let id = self.id().ok_or(Error::ThreadNotStarted)?;
        self.codex().clear_goal(&id).await
    }
}
