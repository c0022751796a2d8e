//! Thread goals (stable in codex 0.169.0 and 0.171.0): an objective codex keeps working
//! towards across turns, with an optional token budget. `thread/goal/set`,
//! `thread/goal/get`, `thread/goal/clear`, and the notifications `thread/goal/updated` and
//! `thread/goal/cleared`.

use serde_json::Map;

use crate::app_server::macros::{string_enum, wire_struct};

string_enum! {
    /// `ThreadGoalStatus`: where a goal stands.
    pub enum ThreadGoalStatus {
        /// `active`: codex works towards it.
        Active = "active",
        /// `paused`
        Paused = "paused",
        /// `blocked`
        Blocked = "blocked",
        /// `usageLimited`: the account's usage limit stopped it.
        UsageLimited = "usageLimited",
        /// `budgetLimited`: its token budget is used up.
        BudgetLimited = "budgetLimited",
        /// `complete`
        Complete = "complete",
    }
}

string_enum! {
    /// `ThreadGoalMutationOrigin`: whether a person or codex's own goal lifecycle changed
    /// the goal. Codex treats a missing origin as not authorized by a user.
    pub enum ThreadGoalMutationOrigin {
        /// `user`
        User = "user",
        /// `automatic`
        Automatic = "automatic",
    }
}

wire_struct! {
    /// `ThreadGoal`: a thread's goal and what it has used so far.
    pub struct ThreadGoal {
        /// The thread.
        pub thread_id: String,
        /// What codex is to achieve.
        pub objective: String,
        /// Where it stands.
        pub status: ThreadGoalStatus,
        /// The token budget (`null`: no budget).
        #[serde(default)]
        pub token_budget: Option<i64>,
        /// Tokens used towards it.
        pub tokens_used: i64,
        /// Seconds spent on it.
        pub time_used_seconds: i64,
        /// Unix seconds when it was set.
        pub created_at: i64,
        /// Unix seconds of its last change.
        pub updated_at: i64,
    }
}

wire_struct! {
    /// `ThreadGoalSetParams` of `thread/goal/set`: creates or changes the goal; fields left
    /// `None` are left as they are.
    pub struct ThreadGoalSetParams {
        /// The thread.
        pub thread_id: String,
        /// The objective.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub objective: Option<String>,
        /// The status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<ThreadGoalStatus>,
        /// The token budget.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub token_budget: Option<i64>,
        /// Who changes it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub origin: Option<ThreadGoalMutationOrigin>,
    }
}

impl ThreadGoalSetParams {
    /// Params that change nothing yet on this thread (set the fields to change).
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            objective: None,
            status: None,
            token_budget: None,
            origin: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ThreadGoalSetResponse`: the goal as set.
    pub struct ThreadGoalSetResponse {
        /// The goal.
        pub goal: ThreadGoal,
    }
}

wire_struct! {
    /// `ThreadGoalGetParams` of `thread/goal/get`.
    pub struct ThreadGoalGetParams {
        /// The thread.
        pub thread_id: String,
    }
}

impl ThreadGoalGetParams {
    /// Params for this thread.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ThreadGoalGetResponse`: the goal, if the thread has one.
    pub struct ThreadGoalGetResponse {
        /// The goal (`null` when there is none).
        #[serde(default)]
        pub goal: Option<ThreadGoal>,
    }
}

wire_struct! {
    /// `ThreadGoalClearParams` of `thread/goal/clear`.
    pub struct ThreadGoalClearParams {
        /// The thread.
        pub thread_id: String,
        /// Who clears it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub origin: Option<ThreadGoalMutationOrigin>,
    }
}

impl ThreadGoalClearParams {
    /// Params for this thread.
    #[must_use]
    pub fn new(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            origin: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `ThreadGoalClearResponse`.
    pub struct ThreadGoalClearResponse {
        /// Whether there was a goal to clear.
        pub cleared: bool,
    }
}

wire_struct! {
    /// `ThreadGoalUpdatedNotification` (`thread/goal/updated`): the goal was set or changed,
    /// by a client or by codex during a turn.
    pub struct ThreadGoalUpdatedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn that changed it, if a turn did.
        #[serde(default)]
        pub turn_id: Option<String>,
        /// The goal as it is now.
        pub goal: ThreadGoal,
    }
}

wire_struct! {
    /// `ThreadGoalClearedNotification` (`thread/goal/cleared`).
    pub struct ThreadGoalClearedNotification {
        /// The thread.
        pub thread_id: String,
    }
}
