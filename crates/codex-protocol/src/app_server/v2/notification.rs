//! Params of the server notifications.
//!
//! Optional fields are written by codex as `null` when unset (and written back the same
//! way), except where a field says it is omitted.

use serde_json::Value;

use super::common::TextRange;
use super::item::ThreadItem;
use super::thread::{Thread, ThreadStatus};
use super::turn::{Turn, TurnError};
use crate::app_server::RequestId;
use crate::app_server::macros::{string_enum, tagged_enum, wire_struct};

wire_struct! {
    /// `ErrorNotification` (`error`): a turn hit an error. When `willRetry` is true codex
    /// retries by itself and the turn goes on; otherwise `turn/completed` with status
    /// `failed` follows.
    pub struct ErrorNotification {
        /// The error.
        pub error: TurnError,
        /// Whether codex retries.
        pub will_retry: bool,
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
    }
}

wire_struct! {
    /// `ThreadStartedNotification` (`thread/started`): a thread was created or loaded.
    pub struct ThreadStartedNotification {
        /// The thread.
        pub thread: Thread,
    }
}

wire_struct! {
    /// `ThreadStatusChangedNotification` (`thread/status/changed`).
    pub struct ThreadStatusChangedNotification {
        /// The thread.
        pub thread_id: String,
        /// The new status.
        pub status: ThreadStatus,
    }
}

wire_struct! {
    /// Payload of [`ThreadUnreadPosition::Turn`].
    pub struct UnreadTurnPosition {
        /// The first unread turn.
        pub turn_id: String,
    }
}

tagged_enum! {
    /// `ThreadUnreadPosition`: where unread content starts.
    pub enum ThreadUnreadPosition {
        /// `threadStart`: everything is unread.
        ThreadStart("threadStart", super::common::TagOnly),
        /// `turn {turnId}`
        Turn("turn", UnreadTurnPosition),
    }
}

wire_struct! {
    /// `ThreadReadState`.
    pub struct ThreadReadState {
        /// A revision that changes with every update.
        pub revision: String,
        /// Where unread content starts, if anything is unread.
        pub first_unread: Option<ThreadUnreadPosition>,
    }
}

wire_struct! {
    /// `ThreadReadStateChangedNotification` (`thread/readState/changed`).
    pub struct ThreadReadStateChangedNotification {
        /// The thread.
        pub thread_id: String,
        /// The new read state.
        pub read_state: ThreadReadState,
    }
}

wire_struct! {
    /// `ThreadArchivedNotification` (`thread/archived`).
    pub struct ThreadArchivedNotification {
        /// The thread.
        pub thread_id: String,
    }
}

wire_struct! {
    /// `ThreadUnarchivedNotification` (`thread/unarchived`).
    pub struct ThreadUnarchivedNotification {
        /// The thread.
        pub thread_id: String,
    }
}

wire_struct! {
    /// `ThreadClosedNotification` (`thread/closed`): the thread was unloaded.
    pub struct ThreadClosedNotification {
        /// The thread.
        pub thread_id: String,
    }
}

wire_struct! {
    /// `ThreadNameUpdatedNotification` (`thread/name/updated`).
    pub struct ThreadNameUpdatedNotification {
        /// The thread.
        pub thread_id: String,
        /// The new name (`null` when cleared).
        pub thread_name: Option<String>,
    }
}

wire_struct! {
    /// `TokenUsageBreakdown`: token counts.
    pub struct TokenUsageBreakdown {
        /// All tokens.
        pub total_tokens: i64,
        /// Input tokens.
        pub input_tokens: i64,
        /// Input tokens served from cache.
        pub cached_input_tokens: i64,
        /// Input tokens written to cache (0 when absent).
        #[serde(default)]
        pub cache_write_input_tokens: i64,
        /// Output tokens.
        pub output_tokens: i64,
        /// Output tokens spent on reasoning.
        pub reasoning_output_tokens: i64,
    }
}

wire_struct! {
    /// `ThreadTokenUsage`.
    pub struct ThreadTokenUsage {
        /// Cumulative for the thread.
        pub total: TokenUsageBreakdown,
        /// The last model call.
        pub last: TokenUsageBreakdown,
        /// The model's context window, when known.
        pub model_context_window: Option<i64>,
    }
}

wire_struct! {
    /// `ThreadTokenUsageUpdatedNotification` (`thread/tokenUsage/updated`): sent after each
    /// model call.
    pub struct ThreadTokenUsageUpdatedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The usage.
        pub token_usage: ThreadTokenUsage,
    }
}

wire_struct! {
    /// `TurnStartedNotification` (`turn/started`). May arrive before or after the
    /// `turn/start` response.
    pub struct TurnStartedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn (`inProgress`, no items).
        pub turn: Turn,
    }
}

wire_struct! {
    /// `TurnCompletedNotification` (`turn/completed`): the turn ended (`completed`,
    /// `interrupted` or `failed`). Its `items` hold only the final items (`itemsView:
    /// "summary"`).
    pub struct TurnCompletedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn: Turn,
    }
}

wire_struct! {
    /// `TurnDiffUpdatedNotification` (`turn/diff/updated`): the aggregated diff of the turn.
    pub struct TurnDiffUpdatedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The unified diff of all changes so far.
        pub diff: String,
    }
}

string_enum! {
    /// `TurnPlanStepStatus`.
    pub enum TurnPlanStepStatus {
        /// `pending`
        Pending = "pending",
        /// `inProgress`
        InProgress = "inProgress",
        /// `completed`
        Completed = "completed",
    }
}

wire_struct! {
    /// `TurnPlanStep`.
    pub struct TurnPlanStep {
        /// The step.
        pub step: String,
        /// Its status.
        pub status: TurnPlanStepStatus,
    }
}

wire_struct! {
    /// `TurnPlanUpdatedNotification` (`turn/plan/updated`): the agent's to-do list.
    pub struct TurnPlanUpdatedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// Why the plan changed.
        pub explanation: Option<String>,
        /// The steps.
        pub plan: Vec<TurnPlanStep>,
    }
}

wire_struct! {
    /// `ItemStartedNotification` (`item/started`).
    pub struct ItemStartedNotification {
        /// The item as it starts.
        pub item: ThreadItem,
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// Unix milliseconds.
        pub started_at_ms: i64,
    }
}

wire_struct! {
    /// `ItemCompletedNotification` (`item/completed`): the final state of an item.
    pub struct ItemCompletedNotification {
        /// The final item.
        pub item: ThreadItem,
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// Unix milliseconds.
        pub completed_at_ms: i64,
        /// Tokens the item's content takes, when known.
        pub content_token_count: Option<i64>,
    }
}

/// Declares a `{threadId, turnId, itemId, delta}` delta notification.
macro_rules! delta_notification {
    ($($(#[$meta:meta])* $name:ident;)*) => {
        $(wire_struct! {
            $(#[$meta])*
            pub struct $name {
                /// The thread.
                pub thread_id: String,
                /// The turn.
                pub turn_id: String,
                /// The item.
                pub item_id: String,
                /// The appended text.
                pub delta: String,
            }
        })*
    };
}

delta_notification! {
    /// `AgentMessageDeltaNotification` (`item/agentMessage/delta`): text appended to an
    /// `agentMessage` item.
    AgentMessageDeltaNotification;
    /// `PlanDeltaNotification` (`item/plan/delta`): text appended to a `plan` item.
    PlanDeltaNotification;
    /// `CommandExecutionOutputDeltaNotification` (`item/commandExecution/outputDelta`):
    /// output of a running command.
    CommandExecutionOutputDeltaNotification;
    /// `FileChangeOutputDeltaNotification` (`item/fileChange/outputDelta`).
    FileChangeOutputDeltaNotification;
}

wire_struct! {
    /// `ReasoningSummaryTextDeltaNotification` (`item/reasoning/summaryTextDelta`).
    pub struct ReasoningSummaryTextDeltaNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// The appended text.
        pub delta: String,
        /// Which summary part it belongs to.
        pub summary_index: i64,
    }
}

wire_struct! {
    /// `ReasoningSummaryPartAddedNotification` (`item/reasoning/summaryPartAdded`): a new
    /// summary part begins.
    pub struct ReasoningSummaryPartAddedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// The new part's index.
        pub summary_index: i64,
    }
}

wire_struct! {
    /// `ReasoningTextDeltaNotification` (`item/reasoning/textDelta`): raw reasoning text.
    pub struct ReasoningTextDeltaNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// The appended text.
        pub delta: String,
        /// Which content part it belongs to.
        pub content_index: i64,
    }
}

wire_struct! {
    /// `McpToolCallProgressNotification` (`item/mcpToolCall/progress`).
    pub struct McpToolCallProgressNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
        /// The item.
        pub item_id: String,
        /// The progress message.
        pub message: String,
    }
}

wire_struct! {
    /// `ServerRequestResolvedNotification` (`serverRequest/resolved`): a server request was
    /// answered (or withdrawn); a UI prompting for it can close.
    pub struct ServerRequestResolvedNotification {
        /// The thread.
        pub thread_id: String,
        /// The id of the server request.
        pub request_id: RequestId,
    }
}

wire_struct! {
    /// `ContextCompactedNotification` (`thread/compacted`).
    pub struct ContextCompactedNotification {
        /// The thread.
        pub thread_id: String,
        /// The turn.
        pub turn_id: String,
    }
}

wire_struct! {
    /// `RateLimitWindow`.
    pub struct RateLimitWindow {
        /// Percent of the window used.
        pub used_percent: i64,
        /// The window length in minutes.
        pub window_duration_mins: Option<i64>,
        /// Unix seconds when it resets.
        pub resets_at: Option<i64>,
    }
}

wire_struct! {
    /// `CreditsSnapshot`.
    pub struct CreditsSnapshot {
        /// Whether the account has credits.
        pub has_credits: bool,
        /// Whether credits are unlimited.
        pub unlimited: bool,
        /// The balance, as text.
        pub balance: Option<String>,
    }
}

wire_struct! {
    /// `RateLimitSnapshot`: a sparse rate-limit update; absent values do not clear earlier
    /// ones.
    pub struct RateLimitSnapshot {
        /// The limit id (for example `codex`).
        pub limit_id: Option<String>,
        /// The limit's display name.
        pub limit_name: Option<String>,
        /// The model slug the limit applies to.
        pub normal_model_slug: Option<String>,
        /// The primary window.
        pub primary: Option<RateLimitWindow>,
        /// The secondary window.
        pub secondary: Option<RateLimitWindow>,
        /// Credits.
        pub credits: Option<CreditsSnapshot>,
        /// The individual spend limit (kept as raw JSON).
        pub individual_limit: Option<Value>,
        /// Whether a spend control was reached.
        pub spend_control_reached: Option<bool>,
        /// The plan (`free`, `plus`, `pro`, `team`, …).
        pub plan_type: Option<String>,
        /// Which limit was reached.
        pub rate_limit_reached_type: Option<String>,
    }
}

wire_struct! {
    /// `AccountRateLimitsUpdatedNotification` (`account/rateLimits/updated`).
    pub struct AccountRateLimitsUpdatedNotification {
        /// The update.
        pub rate_limits: RateLimitSnapshot,
    }
}

string_enum! {
    /// `RemoteControlConnectionStatus`.
    pub enum RemoteControlConnectionStatus {
        /// `disabled`
        Disabled = "disabled",
        /// `connecting`
        Connecting = "connecting",
        /// `connected`
        Connected = "connected",
        /// `errored`
        Errored = "errored",
    }
}

wire_struct! {
    /// `RemoteControlStatusChangedNotification` (`remoteControl/status/changed`): sent at
    /// startup.
    pub struct RemoteControlStatusChangedNotification {
        /// The status.
        pub status: RemoteControlConnectionStatus,
        /// The server's name.
        pub server_name: String,
        /// The installation id.
        pub installation_id: String,
        /// The environment, when connected.
        pub environment_id: Option<String>,
    }
}

wire_struct! {
    /// `ConfigWarningNotification` (`configWarning`): a configuration problem, sent at
    /// startup (for example "Codex could not find bubblewrap on PATH").
    pub struct ConfigWarningNotification {
        /// A one-line summary.
        pub summary: String,
        /// Guidance or details.
        pub details: Option<String>,
        /// The config file at fault (omitted when there is none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub path: Option<String>,
        /// The range at fault in it (omitted when there is none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub range: Option<TextRange>,
    }
}

wire_struct! {
    /// `WarningNotification` (`warning`).
    pub struct WarningNotification {
        /// The message.
        pub message: String,
        /// The thread it concerns (omitted when global).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thread_id: Option<String>,
    }
}

wire_struct! {
    /// `DeprecationNoticeNotification` (`deprecationNotice`).
    pub struct DeprecationNoticeNotification {
        /// What is deprecated.
        pub summary: String,
        /// Migration guidance.
        pub details: Option<String>,
    }
}
