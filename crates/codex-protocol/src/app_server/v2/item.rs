//! Thread items: [`ThreadItem`] and the vocabularies of its variants.
//!
//! Items reach the client in `item/started` and `item/completed` (and in
//! [`Turn::items`](super::Turn::items)). Every variant carries `id` and, as codex 0.169 sends
//! them (though its JSON schema does not list them), `startedAtMs` and `completedAtMs`.
//! Optional fields are written by codex as `null` when unset and are written back the same way.

use serde_json::Value;

use super::moderation::AgentMessageModeration;
use super::turn::UserInput;
use crate::app_server::macros::{string_enum, tagged_enum, wire_struct};

string_enum! {
    /// `MessagePhase` of an agent message.
    pub enum MessagePhase {
        /// `commentary`: intermediate narration.
        Commentary = "commentary",
        /// `partial_answer`
        PartialAnswer = "partial_answer",
        /// `final_answer`
        FinalAnswer = "final_answer",
    }
}

string_enum! {
    /// `AgentMessageDelivery`.
    pub enum AgentMessageDelivery {
        /// `async`: delivered outside a turn.
        Async = "async",
    }
}

string_enum! {
    /// `CommandExecutionStatus`.
    pub enum CommandExecutionStatus {
        /// `inProgress`
        InProgress = "inProgress",
        /// `completed` (any exit code; see `exitCode`)
        Completed = "completed",
        /// `failed`: the command could not run or exited non-zero under a sandbox denial.
        Failed = "failed",
        /// `declined`: the approval was declined.
        Declined = "declined",
    }
}

string_enum! {
    /// `CommandExecutionSource`: who started the command.
    #[derive(Default)]
    pub enum CommandExecutionSource {
        /// `agent` (the default when absent)
        #[default]
        Agent = "agent",
        /// `userShell`
        UserShell = "userShell",
        /// `unifiedExecStartup`
        UnifiedExecStartup = "unifiedExecStartup",
        /// `unifiedExecInteraction`
        UnifiedExecInteraction = "unifiedExecInteraction",
    }
}

string_enum! {
    /// `PatchApplyStatus` of a file change.
    pub enum PatchApplyStatus {
        /// `inProgress`
        InProgress = "inProgress",
        /// `completed`
        Completed = "completed",
        /// `failed`
        Failed = "failed",
        /// `declined`
        Declined = "declined",
    }
}

string_enum! {
    /// `McpToolCallStatus`.
    pub enum McpToolCallStatus {
        /// `inProgress`
        InProgress = "inProgress",
        /// `completed`
        Completed = "completed",
        /// `failed`
        Failed = "failed",
    }
}

string_enum! {
    /// `DynamicToolCallStatus`.
    pub enum DynamicToolCallStatus {
        /// `inProgress`
        InProgress = "inProgress",
        /// `completed`
        Completed = "completed",
        /// `failed`
        Failed = "failed",
    }
}

wire_struct! {
    /// Payload of [`CommandAction::Read`].
    pub struct ReadCommandAction {
        /// The command text.
        pub command: String,
        /// The file name.
        pub name: String,
        /// The file path.
        pub path: String,
    }
}

wire_struct! {
    /// Payload of [`CommandAction::ListFiles`].
    pub struct ListFilesCommandAction {
        /// The command text.
        pub command: String,
        /// The listed directory.
        pub path: Option<String>,
    }
}

wire_struct! {
    /// Payload of [`CommandAction::Search`].
    pub struct SearchCommandAction {
        /// The command text.
        pub command: String,
        /// Where it searches.
        pub path: Option<String>,
        /// What it searches for.
        pub query: Option<String>,
    }
}

wire_struct! {
    /// Payload of [`CommandAction::Unclassified`].
    pub struct UnclassifiedCommandAction {
        /// The command text.
        pub command: String,
    }
}

tagged_enum! {
    /// `CommandAction`: what codex understood a shell command to do.
    pub enum CommandAction {
        /// `read {command, name, path}`
        Read("read", ReadCommandAction),
        /// `listFiles {command, path}`
        ListFiles("listFiles", ListFilesCommandAction),
        /// `search {command, path, query}`
        Search("search", SearchCommandAction),
        /// Wire `unknown {command}`: codex could not classify the command. (Not to be confused
        /// with [`CommandAction::Unknown`], a variant this crate does not know.)
        Unclassified("unknown", UnclassifiedCommandAction),
    }
}

wire_struct! {
    /// Payload of [`PatchChangeKind::Update`].
    pub struct UpdatePatchChange {
        /// The new path when the file was moved (wire name `move_path`).
        pub move_path: Option<String> => "move_path",
    }
}

tagged_enum! {
    /// `PatchChangeKind`.
    pub enum PatchChangeKind {
        /// `add`
        Add("add", super::common::TagOnly),
        /// `delete`
        Delete("delete", super::common::TagOnly),
        /// `update {move_path}`
        Update("update", UpdatePatchChange),
    }
}

wire_struct! {
    /// `FileUpdateChange`: one file of a file change.
    pub struct FileUpdateChange {
        /// The file.
        pub path: String,
        /// What happens to it.
        pub kind: PatchChangeKind,
        /// The unified diff.
        pub diff: String,
    }
}

wire_struct! {
    /// Payload of [`DynamicToolCallOutputContentItem::InputText`].
    pub struct InputTextContent {
        /// The text handed to the model.
        pub text: String,
    }
}

wire_struct! {
    /// Payload of [`DynamicToolCallOutputContentItem::InputImage`].
    pub struct InputImageContent {
        /// The image URL (`https:` or `data:`).
        pub image_url: String,
    }
}

wire_struct! {
    /// Payload of [`DynamicToolCallOutputContentItem::InputAudio`].
    pub struct InputAudioContent {
        /// The audio URL.
        pub audio_url: String,
    }
}

tagged_enum! {
    /// `DynamicToolCallOutputContentItem`: one part of a dynamic tool's output.
    pub enum DynamicToolCallOutputContentItem {
        /// `inputText {text}`: becomes the model's `function_call_output` text.
        InputText("inputText", InputTextContent),
        /// `inputImage {imageUrl}`
        InputImage("inputImage", InputImageContent),
        /// `inputAudio {audioUrl}`
        InputAudio("inputAudio", InputAudioContent),
    }
}

impl DynamicToolCallOutputContentItem {
    /// A text part.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::InputText(InputTextContent {
            text: text.into(),
            extra: serde_json::Map::new(),
        })
    }
}

wire_struct! {
    /// `McpToolCallResult`: what an MCP tool returned.
    pub struct McpToolCallResult {
        /// MCP content blocks (kept as raw JSON).
        pub content: Vec<Value>,
        /// Structured content, when the tool returned some (an explicit `null` is kept).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub structured_content: Option<Value>,
        /// MCP `_meta`, when present (an explicit `null` is kept).
        #[serde(default, deserialize_with = "crate::app_server::macros::present_value", skip_serializing_if = "Option::is_none")]
        pub meta: Option<Value> => "_meta",
    }
}

wire_struct! {
    /// `McpToolCallError`.
    pub struct McpToolCallError {
        /// What went wrong.
        pub message: String,
    }
}

wire_struct! {
    /// `HookPromptFragment`.
    pub struct HookPromptFragment {
        /// The hook run that produced it.
        pub hook_run_id: String,
        /// The text.
        pub text: String,
    }
}

wire_struct! {
    /// Payload of [`WebSearchAction::Search`].
    pub struct SearchWebAction {
        /// The query.
        pub query: Option<String>,
        /// Several queries.
        pub queries: Option<Vec<String>>,
    }
}

wire_struct! {
    /// Payload of [`WebSearchAction::OpenPage`].
    pub struct OpenPageWebAction {
        /// The page.
        pub url: Option<String>,
    }
}

wire_struct! {
    /// Payload of [`WebSearchAction::FindInPage`].
    pub struct FindInPageWebAction {
        /// The page.
        pub url: Option<String>,
        /// What is searched for.
        pub pattern: Option<String>,
    }
}

tagged_enum! {
    /// `WebSearchAction`: what a web search item did.
    pub enum WebSearchAction {
        /// `search {query, queries}`
        Search("search", SearchWebAction),
        /// `openPage {url}`
        OpenPage("openPage", OpenPageWebAction),
        /// `findInPage {url, pattern}`
        FindInPage("findInPage", FindInPageWebAction),
        /// `other`
        Other("other", super::common::TagOnly),
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::UserMessage`].
    pub struct UserMessageItem {
        /// The item id.
        pub id: String,
        /// The client's id for the message (`clientUserMessageId` of `turn/start`).
        pub client_id: Option<String>,
        /// What the user sent.
        pub content: Vec<UserInput>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed (`null` in `item/started`).
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::HookPrompt`].
    pub struct HookPromptItem {
        /// The item id.
        pub id: String,
        /// The prompt fragments hooks contributed.
        pub fragments: Vec<HookPromptFragment>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::AgentMessage`]. Its text streams through
    /// `item/agentMessage/delta`; `item/completed` carries the whole text.
    pub struct AgentMessageItem {
        /// The item id.
        pub id: String,
        /// The text (empty in `item/started`).
        pub text: String,
        /// Commentary or final answer, when the model says.
        pub phase: Option<MessagePhase>,
        /// Moderation state; its display instruction parses in the shapes of codex 0.169
        /// and 0.171 (see [`AgentMessageDisplay`](super::AgentMessageDisplay)).
        pub moderation: Option<AgentMessageModeration>,
        /// Memory citations (kept as raw JSON).
        pub memory_citation: Option<Value>,
        /// How it is delivered.
        pub delivery: Option<AgentMessageDelivery>,
        /// Questions the message asks (kept as raw JSON).
        pub questions: Option<Value>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::FunctionCallOutput`].
    pub struct FunctionCallOutputItem {
        /// The item id.
        pub id: String,
        /// The function.
        pub name: String,
        /// Its namespace.
        pub namespace: Option<String>,
        /// The output: a string or content items (kept as raw JSON).
        pub output: Value,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::Plan`].
    pub struct PlanItem {
        /// The item id.
        pub id: String,
        /// The plan text.
        pub text: String,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::Reasoning`]. Summary text streams through
    /// `item/reasoning/summaryPartAdded` and `item/reasoning/summaryTextDelta`, raw reasoning
    /// through `item/reasoning/textDelta`.
    pub struct ReasoningItem {
        /// The item id.
        pub id: String,
        /// Summary parts.
        #[serde(default)]
        pub summary: Vec<String>,
        /// Raw reasoning parts.
        #[serde(default)]
        pub content: Vec<String>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::CommandExecution`]. Output streams through
    /// `item/commandExecution/outputDelta`.
    pub struct CommandExecutionItem {
        /// The item id (the model's call id).
        pub id: String,
        /// The command line as run (for example `/bin/bash -lc 'echo hello'`).
        pub command: String,
        /// Its working directory.
        pub cwd: String,
        /// The process id, once started.
        pub process_id: Option<String>,
        /// Who started it.
        #[serde(default)]
        pub source: CommandExecutionSource,
        /// The status.
        pub status: CommandExecutionStatus,
        /// What codex understood the command to do.
        pub command_actions: Vec<CommandAction>,
        /// Combined stdout and stderr, once known.
        pub aggregated_output: Option<String>,
        /// The exit code, once completed.
        pub exit_code: Option<i64>,
        /// The duration in milliseconds, once completed.
        pub duration_ms: Option<i64>,
        /// The plugin that ran it, if any.
        pub plugin_id: Option<String>,
        /// The script it ran, if any.
        pub script_path: Option<String>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::FileChange`].
    pub struct FileChangeItem {
        /// The item id.
        pub id: String,
        /// The files.
        pub changes: Vec<FileUpdateChange>,
        /// The status.
        pub status: PatchApplyStatus,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::McpToolCall`].
    pub struct McpToolCallItem {
        /// The item id.
        pub id: String,
        /// The MCP server.
        pub server: String,
        /// The tool.
        pub tool: String,
        /// The status.
        pub status: McpToolCallStatus,
        /// The arguments (raw JSON).
        pub arguments: Value,
        /// The result, on success.
        pub result: Option<McpToolCallResult>,
        /// The error, on failure.
        pub error: Option<McpToolCallError>,
        /// The duration in milliseconds, once completed.
        pub duration_ms: Option<i64>,
        /// The app context (kept as raw JSON).
        pub app_context: Option<Value>,
        /// The MCP app resource URI.
        pub mcp_app_resource_uri: Option<String>,
        /// The MCP app UI (kept as raw JSON).
        pub mcp_app_ui: Option<Value>,
        /// The plugin, if any.
        pub plugin_id: Option<String>,
        /// The tool's read-only hint.
        pub read_only_hint: Option<bool>,
        /// The environment whose MCP registration served the call (codex 0.171 on; absent
        /// from 0.169, and absent or `null` for a thread-wide server).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub environment_id: Option<String>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::DynamicToolCall`]. Between its `item/started` and
    /// `item/completed` the server sends the `item/tool/call` request the client answers.
    pub struct DynamicToolCallItem {
        /// The item id (the model's call id).
        pub id: String,
        /// The tool's namespace.
        pub namespace: Option<String>,
        /// The tool.
        pub tool: String,
        /// The arguments (raw JSON).
        pub arguments: Value,
        /// The status.
        pub status: DynamicToolCallStatus,
        /// What the client answered, once completed.
        pub content_items: Option<Vec<DynamicToolCallOutputContentItem>>,
        /// Whether the client reported success, once completed.
        pub success: Option<bool>,
        /// The duration in milliseconds, once completed.
        pub duration_ms: Option<i64>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::WebSearch`].
    pub struct WebSearchItem {
        /// The item id.
        pub id: String,
        /// The query.
        pub query: String,
        /// What the search did.
        pub action: Option<WebSearchAction>,
        /// Results (kept as raw JSON).
        pub results: Option<Value>,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::ImageView`].
    pub struct ImageViewItem {
        /// The item id.
        pub id: String,
        /// The image the agent looked at.
        pub path: String,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::Sleep`].
    pub struct SleepItem {
        /// The item id.
        pub id: String,
        /// How long the agent slept.
        pub duration_ms: i64,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::EnteredReviewMode`] and [`ThreadItem::ExitedReviewMode`].
    pub struct ReviewModeItem {
        /// The item id.
        pub id: String,
        /// The review text.
        pub review: String,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

wire_struct! {
    /// Payload of [`ThreadItem::ContextCompaction`].
    pub struct ContextCompactionItem {
        /// The item id.
        pub id: String,
        /// Unix milliseconds when the item started.
        pub started_at_ms: Option<i64>,
        /// Unix milliseconds when the item completed.
        pub completed_at_ms: Option<i64>,
    }
}

tagged_enum! {
    /// `ThreadItem`: one unit of a turn. The `type` values are camelCase.
    ///
    /// Variants this crate does not model (in 0.169: `collabAgentToolCall`,
    /// `subAgentActivity`, `imageGeneration`, and anything newer) parse as
    /// [`ThreadItem::Unknown`] with the whole object.
    pub enum ThreadItem {
        /// `userMessage`: what the user sent (also each `turn/steer` input).
        UserMessage("userMessage", UserMessageItem),
        /// `hookPrompt`: prompt text contributed by hooks.
        HookPrompt("hookPrompt", HookPromptItem),
        /// `agentMessage`: text from the agent.
        AgentMessage("agentMessage", AgentMessageItem),
        /// `functionCallOutput`: the output of a client-side function.
        FunctionCallOutput("functionCallOutput", FunctionCallOutputItem),
        /// `plan`: a plan in plan mode.
        Plan("plan", PlanItem),
        /// `reasoning`: reasoning summary and content.
        Reasoning("reasoning", ReasoningItem),
        /// `commandExecution`: a shell command.
        CommandExecution("commandExecution", CommandExecutionItem),
        /// `fileChange`: a patch.
        FileChange("fileChange", FileChangeItem),
        /// `mcpToolCall`: a call to an MCP tool.
        McpToolCall("mcpToolCall", McpToolCallItem),
        /// `dynamicToolCall`: a call to a tool the client registered (`dynamicTools`).
        DynamicToolCall("dynamicToolCall", DynamicToolCallItem),
        /// `webSearch`
        WebSearch("webSearch", WebSearchItem),
        /// `imageView`: the agent looked at an image.
        ImageView("imageView", ImageViewItem),
        /// `sleep`
        Sleep("sleep", SleepItem),
        /// `enteredReviewMode`
        EnteredReviewMode("enteredReviewMode", ReviewModeItem),
        /// `exitedReviewMode`
        ExitedReviewMode("exitedReviewMode", ReviewModeItem),
        /// `contextCompaction`: the conversation was compacted.
        ContextCompaction("contextCompaction", ContextCompactionItem),
    }
}

impl ThreadItem {
    /// The item id (for `Unknown`, its `id` field if it is a string, else `""`).
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::UserMessage(i) => &i.id,
            Self::HookPrompt(i) => &i.id,
            Self::AgentMessage(i) => &i.id,
            Self::FunctionCallOutput(i) => &i.id,
            Self::Plan(i) => &i.id,
            Self::Reasoning(i) => &i.id,
            Self::CommandExecution(i) => &i.id,
            Self::FileChange(i) => &i.id,
            Self::McpToolCall(i) => &i.id,
            Self::DynamicToolCall(i) => &i.id,
            Self::WebSearch(i) => &i.id,
            Self::ImageView(i) => &i.id,
            Self::Sleep(i) => &i.id,
            Self::EnteredReviewMode(i) | Self::ExitedReviewMode(i) => &i.id,
            Self::ContextCompaction(i) => &i.id,
            Self::Unknown(raw) => raw.get("id").and_then(Value::as_str).unwrap_or(""),
        }
    }
}
