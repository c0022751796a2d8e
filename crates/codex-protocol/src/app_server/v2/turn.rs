//! Turns: [`Turn`], its status and error, user input, and the `turn/start`, `turn/steer` and
//! `turn/interrupt` requests.

use serde_json::{Map, Value};

use super::common::{
    ApprovalsReviewer, AskForApproval, Personality, ReasoningSummary, SandboxPolicy,
};
use super::item::ThreadItem;
use crate::app_server::macros::{open_enum, string_enum, tagged_enum, wire_struct};

string_enum! {
    /// `TurnStatus`.
    pub enum TurnStatus {
        /// `completed`: the turn ended normally.
        Completed = "completed",
        /// `interrupted`: `turn/interrupt` (or a `cancel` approval decision) stopped it.
        Interrupted = "interrupted",
        /// `failed`: see [`Turn::error`].
        Failed = "failed",
        /// `inProgress`
        InProgress = "inProgress",
    }
}

string_enum! {
    /// `TurnItemsView`: how much of [`Turn::items`] a payload carries.
    #[derive(Default)]
    pub enum TurnItemsView {
        /// `notLoaded`: no items (the `turn/start` response, `turn/started`, failed turns).
        NotLoaded = "notLoaded",
        /// `summary`: only the final items (`turn/completed`).
        Summary = "summary",
        /// `full`: every item (the default when absent).
        #[default]
        Full = "full",
    }
}

string_enum! {
    /// `NonSteerableTurnKind`: why an active turn cannot be steered.
    pub enum NonSteerableTurnKind {
        /// `review`
        Review = "review",
        /// `compact`
        Compact = "compact",
    }
}

wire_struct! {
    /// The payload of the HTTP-related [`CodexErrorInfo`] variants.
    pub struct HttpErrorDetails {
        /// The upstream HTTP status, when there was one.
        pub http_status_code: Option<i64>,
    }
}

wire_struct! {
    /// The payload of [`CodexErrorInfo::ActiveTurnNotSteerable`].
    pub struct ActiveTurnNotSteerable {
        /// The kind of the active turn.
        pub turn_kind: NonSteerableTurnKind,
    }
}

open_enum! {
    /// `CodexErrorInfo`: a machine-readable classification of a [`TurnError`].
    pub enum CodexErrorInfo {
        /// `contextWindowExceeded`
        ContextWindowExceeded = "contextWindowExceeded",
        /// `sessionBudgetExceeded`
        SessionBudgetExceeded = "sessionBudgetExceeded",
        /// `usageLimitExceeded`
        UsageLimitExceeded = "usageLimitExceeded",
        /// `rateLimitExceeded`
        RateLimitExceeded = "rateLimitExceeded",
        /// `flexUnavailable`
        FlexUnavailable = "flexUnavailable",
        /// `serverOverloaded`
        ServerOverloaded = "serverOverloaded",
        /// `modelNotFound`
        ModelNotFound = "modelNotFound",
        /// `policyCapacityUnavailable`
        PolicyCapacityUnavailable = "policyCapacityUnavailable",
        /// `cyberPolicy`
        CyberPolicy = "cyberPolicy",
        /// `bioPolicy` (codex 0.171 on)
        BioPolicy = "bioPolicy",
        /// `misalignmentPolicyViolation`
        MisalignmentPolicyViolation = "misalignmentPolicyViolation",
        /// `tooManyDenials`
        TooManyDenials = "tooManyDenials",
        /// `internalServerError` (for example an upstream HTTP 500 after retries)
        InternalServerError = "internalServerError",
        /// `unauthorized`
        Unauthorized = "unauthorized",
        /// `badRequest`
        BadRequest = "badRequest",
        /// `threadRollbackFailed`
        ThreadRollbackFailed = "threadRollbackFailed",
        /// `sandboxError`
        SandboxError = "sandboxError",
        /// `other`
        Other = "other",
        /// `inferenceHookDenied`
        InferenceHookDenied = "inferenceHookDenied",
        ;
        /// `{"httpConnectionFailed": {httpStatusCode}}`
        HttpConnectionFailed("httpConnectionFailed", HttpErrorDetails),
        /// `{"responseStreamConnectionFailed": {httpStatusCode}}`
        ResponseStreamConnectionFailed("responseStreamConnectionFailed", HttpErrorDetails),
        /// `{"responseStreamDisconnected": {httpStatusCode}}`
        ResponseStreamDisconnected("responseStreamDisconnected", HttpErrorDetails),
        /// `{"responseTooManyFailedAttempts": {httpStatusCode}}`
        ResponseTooManyFailedAttempts("responseTooManyFailedAttempts", HttpErrorDetails),
        /// `{"activeTurnNotSteerable": {turnKind}}`
        ActiveTurnNotSteerable("activeTurnNotSteerable", ActiveTurnNotSteerable),
    }
}

wire_struct! {
    /// `TurnError`: why a turn failed (in [`Turn::error`] and the `error` notification).
    pub struct TurnError {
        /// A human-readable message.
        pub message: String,
        /// The classification, when codex has one.
        pub codex_error_info: Option<CodexErrorInfo>,
        /// More detail, when available.
        pub additional_details: Option<String>,
        /// Details of a misalignment policy violation (kept as raw JSON).
        pub misalignment: Option<Value>,
    }
}

wire_struct! {
    /// `Turn`: one user request and everything the agent did for it.
    ///
    /// All optional fields are written by codex as `null` when unset, and are written back
    /// the same way.
    pub struct Turn {
        /// The turn id (a `UUIDv7`).
        pub id: String,
        /// The first turn of the chain of work this turn belongs to.
        pub root_turn_id: Option<String>,
        /// Items of the turn, as far as [`Turn::items_view`] says they are loaded.
        pub items: Vec<ThreadItem>,
        /// How much of `items` is loaded.
        #[serde(default)]
        pub items_view: TurnItemsView,
        /// The status.
        pub status: TurnStatus,
        /// Why the turn failed or was interrupted, if it did.
        pub error: Option<TurnError>,
        /// Unix seconds when the turn started.
        pub started_at: Option<i64>,
        /// Unix seconds when the turn completed.
        pub completed_at: Option<i64>,
        /// Duration in milliseconds, once completed.
        pub duration_ms: Option<i64>,
    }
}

string_enum! {
    /// `ImageDetail`: the resolution the model sees an image at.
    pub enum ImageDetail {
        /// `auto`
        Auto = "auto",
        /// `low`
        Low = "low",
        /// `high`
        High = "high",
        /// `original`
        Original = "original",
    }
}

wire_struct! {
    /// `ByteRange`: a byte range in a text.
    pub struct ByteRange {
        /// First byte.
        pub start: i64,
        /// One past the last byte.
        pub end: i64,
    }
}

wire_struct! {
    /// `TextElement`: a special span inside text input (for example a pasted attachment
    /// placeholder).
    pub struct TextElement {
        /// Where the span is in the UTF-8 text.
        pub byte_range: ByteRange,
        /// What the span stands for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub placeholder: Option<String>,
    }
}

wire_struct! {
    /// Payload of [`UserInput::Text`].
    pub struct TextInput {
        /// The text.
        pub text: String,
        /// Special spans inside the text (wire name `text_elements`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub text_elements: Option<Vec<TextElement>> => "text_elements",
    }
}

wire_struct! {
    /// Payload of [`UserInput::Image`]: either `url` or `fileId` is set.
    #[derive(Default)]
    pub struct ImageInput {
        /// An image URL (`https:` or `data:`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// An uploaded file id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub file_id: Option<String>,
        /// The detail level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<ImageDetail>,
    }
}

wire_struct! {
    /// Payload of [`UserInput::LocalImage`].
    pub struct LocalImageInput {
        /// The image file on the server's machine.
        pub path: String,
        /// The detail level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<ImageDetail>,
    }
}

wire_struct! {
    /// Payload of [`UserInput::Audio`]: either `url` or `fileId` is set.
    #[derive(Default)]
    pub struct AudioInput {
        /// An audio URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        /// An uploaded file id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub file_id: Option<String>,
    }
}

wire_struct! {
    /// Payload of [`UserInput::LocalAudio`].
    pub struct LocalAudioInput {
        /// The audio file on the server's machine.
        pub path: String,
    }
}

wire_struct! {
    /// Payload of [`UserInput::Skill`] and [`UserInput::Mention`].
    pub struct NamedPathInput {
        /// The name.
        pub name: String,
        /// The path.
        pub path: String,
    }
}

tagged_enum! {
    /// `UserInput`: one part of what the user sends in `turn/start` and `turn/steer`, and
    /// the content of `userMessage` items.
    pub enum UserInput {
        /// `text {text, text_elements?}`
        Text("text", TextInput),
        /// `image {url | fileId, detail?}`
        Image("image", ImageInput),
        /// `localImage {path, detail?}`
        LocalImage("localImage", LocalImageInput),
        /// `audio {url | fileId}`
        Audio("audio", AudioInput),
        /// `localAudio {path}`
        LocalAudio("localAudio", LocalAudioInput),
        /// `skill {name, path}`
        Skill("skill", NamedPathInput),
        /// `mention {name, path}`
        Mention("mention", NamedPathInput),
    }
}

impl UserInput {
    /// Text input with an empty `text_elements` list, as codex's own clients send it.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(TextInput {
            text: text.into(),
            text_elements: Some(Vec::new()),
            extra: Map::new(),
        })
    }

    /// A local image file.
    #[must_use]
    pub fn local_image(path: impl Into<String>) -> Self {
        Self::LocalImage(LocalImageInput {
            path: path.into(),
            detail: None,
            extra: Map::new(),
        })
    }

    /// An image by URL.
    #[must_use]
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::Image(ImageInput {
            url: Some(url.into()),
            ..ImageInput::default()
        })
    }
}

wire_struct! {
    /// `TurnStartParams` of `turn/start`: start a turn on a loaded thread.
    ///
    /// Overrides (`model`, `cwd`, `approvalPolicy`, `sandboxPolicy`, `effort`, `summary`,
    /// `personality`, `serviceTier`) stick to the thread for later turns;
    /// `serviceTierForTurn` applies to this turn only.
    pub struct TurnStartParams {
        /// The thread.
        pub thread_id: String,
        /// What the user says.
        pub input: Vec<UserInput>,
        /// Approval policy override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approval_policy: Option<AskForApproval>,
        /// Approvals reviewer override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub approvals_reviewer: Option<ApprovalsReviewer>,
        /// Working directory override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cwd: Option<String>,
        /// Reasoning effort override (`minimal`, `low`, `medium`, `high`, `xhigh`, …).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub effort: Option<String>,
        /// Model override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model: Option<String>,
        /// Personality override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub personality: Option<Personality>,
        /// Sandbox policy override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox_policy: Option<SandboxPolicy>,
        /// Service tier override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_tier: Option<String>,
        /// Service tier for this turn only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service_tier_for_turn: Option<String>,
        /// Reasoning summary override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub summary: Option<ReasoningSummary>,
        /// A JSON Schema the final answer must follow (any JSON; an explicit `null` is kept).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub output_schema: Option<Value>,
        /// A client-chosen id echoed on the `userMessage` item (`clientId`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_user_message_id: Option<String>,
        /// The turn this one continues.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parent_turn_id: Option<String>,
        /// The first turn of the chain of work.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub root_turn_id: Option<String>,
        /// What triggered the turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub turn_trigger: Option<String>,
        /// The output of a client-side tool to hand to the model (kept as raw JSON).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub tool_output: Option<Value>,
        /// Plugins to disable for the turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub disabled_plugin_ids: Option<Vec<String>>,
    }
}

impl TurnStartParams {
    /// Params for a turn with this input and no overrides.
    #[must_use]
    pub fn new(thread_id: impl Into<String>, input: Vec<UserInput>) -> Self {
        Self {
            thread_id: thread_id.into(),
            input,
            approval_policy: None,
            approvals_reviewer: None,
            cwd: None,
            effort: None,
            model: None,
            personality: None,
            sandbox_policy: None,
            service_tier: None,
            service_tier_for_turn: None,
            summary: None,
            output_schema: None,
            client_user_message_id: None,
            parent_turn_id: None,
            root_turn_id: None,
            turn_trigger: None,
            tool_output: None,
            disabled_plugin_ids: None,
            extra: Map::new(),
        }
    }

    /// Sets the model. By default the thread's model is kept.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets the reasoning effort. By default the thread's effort is kept.
    #[must_use]
    pub fn effort(mut self, effort: impl Into<String>) -> Self {
        self.effort = Some(effort.into());
        self
    }

    /// Sets the working directory. By default the thread's directory is kept.
    #[must_use]
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// Sets the approval policy. By default the thread's policy is kept.
    #[must_use]
    pub fn approval_policy(mut self, policy: AskForApproval) -> Self {
        self.approval_policy = Some(policy);
        self
    }

    /// Sets the sandbox policy. By default the thread's policy is kept.
    #[must_use]
    pub fn sandbox_policy(mut self, policy: SandboxPolicy) -> Self {
        self.sandbox_policy = Some(policy);
        self
    }

    /// Sets the JSON Schema of the final answer. By default the answer is free text.
    #[must_use]
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }

    /// Sets the client's id for the user message. By default there is none.
    #[must_use]
    pub fn client_user_message_id(mut self, id: impl Into<String>) -> Self {
        self.client_user_message_id = Some(id.into());
        self
    }
}

wire_struct! {
    /// `TurnStartResponse`: the result of `turn/start`. The turn is `inProgress` with no
    /// items; its `turn/started` notification may arrive before or after this response.
    pub struct TurnStartResponse {
        /// The new turn.
        pub turn: Turn,
    }
}

wire_struct! {
    /// `TurnSteerParams` of `turn/steer`: add input to the active turn. Fails with `-32600`
    /// when `expectedTurnId` is not the active turn.
    pub struct TurnSteerParams {
        /// The thread.
        pub thread_id: String,
        /// The turn the client believes is active.
        pub expected_turn_id: String,
        /// The added input (it appears as a `userMessage` item in the same turn).
        pub input: Vec<UserInput>,
        /// A client-chosen id echoed on the `userMessage` item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_user_message_id: Option<String>,
    }
}

impl TurnSteerParams {
    /// Steer params with no client message id.
    #[must_use]
    pub fn new(
        thread_id: impl Into<String>,
        expected_turn_id: impl Into<String>,
        input: Vec<UserInput>,
    ) -> Self {
        Self {
            thread_id: thread_id.into(),
            expected_turn_id: expected_turn_id.into(),
            input,
            client_user_message_id: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `TurnSteerResponse`: the result of `turn/steer`.
    pub struct TurnSteerResponse {
        /// The turn that received the input.
        pub turn_id: String,
    }
}

wire_struct! {
    /// `TurnInterruptParams` of `turn/interrupt`. Afterwards the turn completes with status
    /// `interrupted`; items still in flight get no `item/completed`. A second interrupt fails
    /// with `-32600 "no active turn to interrupt"`.
    pub struct TurnInterruptParams {
        /// The thread.
        pub thread_id: String,
        /// The turn to interrupt.
        pub turn_id: String,
    }
}

impl TurnInterruptParams {
    /// Interrupt params.
    #[must_use]
    pub fn new(thread_id: impl Into<String>, turn_id: impl Into<String>) -> Self {
        Self {
            thread_id: thread_id.into(),
            turn_id: turn_id.into(),
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `TurnInterruptResponse`: the (empty) result of `turn/interrupt`.
    #[derive(Default)]
    pub struct TurnInterruptResponse {}
}
