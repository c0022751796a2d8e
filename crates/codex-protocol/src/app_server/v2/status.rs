//! Read-only requests about what the server offers: `model/list` (the model catalog),
//! `account/read` (who is logged in) and `mcpServerStatus/list` (the configured MCP servers).
//!
//! Only the fields codex's schema requires, and a few useful optional ones, are modeled; the
//! rest stay in each struct's `extra` map.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::common::TagOnly;
use crate::app_server::macros::{string_enum, tagged_enum, wire_struct};

wire_struct! {
    /// `ModelListParams` of `model/list`: one page of the model catalog.
    #[derive(Default)]
    pub struct ModelListParams {
        /// The cursor from a previous page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cursor: Option<String>,
        /// The page size (a server default when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub limit: Option<i64>,
        /// Include models hidden from the default picker.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub include_hidden: Option<bool>,
        /// List the models of this configured provider instead of the default one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub model_provider: Option<String>,
    }
}

wire_struct! {
    /// `ReasoningEffortOption`: a reasoning effort a model offers.
    pub struct ReasoningEffortOption {
        /// The effort (`low`, `medium`, `high`, …).
        pub reasoning_effort: String,
        /// What it means for this model.
        pub description: String,
    }
}

wire_struct! {
    /// `Model`: one entry of the model catalog.
    pub struct Model {
        /// The catalog id.
        pub id: String,
        /// The model slug to pass as `model`.
        pub model: String,
        /// The display name.
        pub display_name: String,
        /// A description.
        pub description: String,
        /// Whether the default picker hides it.
        pub hidden: bool,
        /// Whether it is the default model.
        pub is_default: bool,
        /// The effort used when none is chosen.
        pub default_reasoning_effort: String,
        /// The efforts it offers.
        pub supported_reasoning_efforts: Vec<ReasoningEffortOption>,
        /// What a user turn may carry besides text; codex's default when absent is text and
        /// image. (The context window is not in the catalog: codex reports it per turn as
        /// `modelContextWindow` of `thread/tokenUsage/updated`.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub input_modalities: Option<Vec<InputModality>>,
    }
}

string_enum! {
    /// `InputModality`: a kind of user input a model accepts.
    pub enum InputModality {
        /// `text`
        Text = "text",
        /// `image`
        Image = "image",
        /// `audio`
        Audio = "audio",
    }
}

impl Model {
    /// The input modalities it accepts: the listed ones, else codex's default (text and
    /// image).
    #[must_use]
    pub fn accepted_input_modalities(&self) -> Vec<InputModality> {
        self.input_modalities
            .clone()
            .unwrap_or_else(|| vec![InputModality::Text, InputModality::Image])
    }
}

wire_struct! {
    /// `ModelListResponse`: one page of the model catalog.
    pub struct ModelListResponse {
        /// The models.
        pub data: Vec<Model>,
        /// The cursor of the next page; `None` on the last page.
        pub next_cursor: Option<String>,
    }
}

wire_struct! {
    /// `GetAccountParams` of `account/read`.
    #[derive(Default)]
    pub struct GetAccountParams {
        /// Refresh the token first (managed `ChatGPT` auth only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refresh_token: Option<bool>,
    }
}

string_enum! {
    /// `PlanType`: the `ChatGPT` plan of an account.
    pub enum PlanType {
        /// `free`
        Free = "free",
        /// `go`
        Go = "go",
        /// `plus`
        Plus = "plus",
        /// `pro`
        Pro = "pro",
        /// `prolite`
        Prolite = "prolite",
        /// `promax`
        Promax = "promax",
        /// `team`
        Team = "team",
        /// `self_serve_business_prolite`
        SelfServeBusinessProlite = "self_serve_business_prolite",
        /// `self_serve_business_usage_based`
        SelfServeBusinessUsageBased = "self_serve_business_usage_based",
        /// `business`
        Business = "business",
        /// `ent26`
        Ent26 = "ent26",
        /// `enterprise_cbp_automation`
        EnterpriseCbpAutomation = "enterprise_cbp_automation",
        /// `enterprise_cbp_usage_based`
        EnterpriseCbpUsageBased = "enterprise_cbp_usage_based",
        /// `enterprise`
        Enterprise = "enterprise",
        /// `edu`
        Edu = "edu",
        /// `edu_plus`
        EduPlus = "edu_plus",
        /// `edu_pro`
        EduPro = "edu_pro",
        /// `sci`
        Sci = "sci",
        /// `sci_plus`
        SciPlus = "sci_plus",
        /// `unknown`: codex does not know the plan. (Not to be confused with
        /// [`PlanType::Unknown`], a value this crate does not know.)
        Unspecified = "unknown",
    }
}

wire_struct! {
    /// Payload of [`Account::Chatgpt`].
    pub struct ChatgptAccount {
        /// The account's email, when known (always present, maybe `null`).
        #[schemars(required)]
        pub email: Option<String>,
        /// The plan.
        pub plan_type: PlanType,
    }
}

wire_struct! {
    /// Payload of [`Account::AmazonBedrock`].
    #[derive(Default)]
    pub struct AmazonBedrockAccount {
        /// Whether codex manages the credentials (default false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub uses_codex_managed_credentials: Option<bool>,
    }
}

tagged_enum! {
    /// `Account`: how codex authenticates.
    pub enum Account {
        /// `apiKey`: an API key.
        ApiKey("apiKey", TagOnly),
        /// `chatgpt {email, planType}`: a `ChatGPT` login.
        Chatgpt("chatgpt", ChatgptAccount),
        /// `amazonBedrock`
        AmazonBedrock("amazonBedrock", AmazonBedrockAccount),
        /// `gcp`: Google Cloud Vertex AI with externally managed credentials.
        Gcp("gcp", TagOnly),
    }
}

wire_struct! {
    /// `GetAccountResponse`: the result of `account/read`.
    pub struct GetAccountResponse {
        /// The account; `None` when nobody is logged in.
        pub account: Option<Account>,
        /// Whether the configured provider needs an OpenAI login.
        pub requires_openai_auth: bool,
    }
}

string_enum! {
    /// `McpServerStatusDetail`: how much `mcpServerStatus/list` fetches per server.
    pub enum McpServerStatusDetail {
        /// `full` (the default): tools, resources and templates.
        Full = "full",
        /// `toolsAndAuthOnly`
        ToolsAndAuthOnly = "toolsAndAuthOnly",
    }
}

wire_struct! {
    /// `ListMcpServerStatusParams` of `mcpServerStatus/list`.
    #[derive(Default)]
    pub struct ListMcpServerStatusParams {
        /// The cursor from a previous page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cursor: Option<String>,
        /// The page size (a server default when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub limit: Option<i64>,
        /// How much to fetch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<McpServerStatusDetail>,
        /// Only this server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub server_name: Option<String>,
        /// Reuse this thread's MCP connections.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thread_id: Option<String>,
        /// Select this environment's registration of the server; needs `server_name` and
        /// `thread_id` (codex 0.171 on: the field is not in codex 0.169's schema). By default, a
        /// named request uses the server older codex versions use.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub environment_id: Option<String>,
    }
}

string_enum! {
    /// `McpAuthStatus`: how codex authenticates to an MCP server.
    pub enum McpAuthStatus {
        /// `unknown`: codex does not know. (Not to be confused with
        /// [`McpAuthStatus::Unknown`], a value this crate does not know.)
        Unspecified = "unknown",
        /// `unsupported`
        Unsupported = "unsupported",
        /// `notLoggedIn`
        NotLoggedIn = "notLoggedIn",
        /// `bearerToken`
        BearerToken = "bearerToken",
        /// `oAuth`
        OAuth = "oAuth",
    }
}

string_enum! {
    /// `McpServerConnectionStatus`: the state of a thread's connection to an MCP server.
    pub enum McpServerConnectionStatus {
        /// `notStarted`
        NotStarted = "notStarted",
        /// `starting`
        Starting = "starting",
        /// `connected`
        Connected = "connected",
        /// `authenticationRequired`
        AuthenticationRequired = "authenticationRequired",
        /// `failed`
        Failed = "failed",
        /// `cancelled`
        Cancelled = "cancelled",
        /// `disabled`
        Disabled = "disabled",
    }
}

wire_struct! {
    /// `McpServerStatus`: one configured MCP server and what it offers.
    pub struct McpServerStatus {
        /// The server name (`[mcp_servers.<name>]`).
        pub name: String,
        /// How codex authenticates to it.
        pub auth_status: McpAuthStatus,
        /// Its tools by name (raw MCP tool objects: `name`, `inputSchema`, `description`, …).
        pub tools: BTreeMap<String, Value>,
        /// Its resources (raw MCP resource objects).
        pub resources: Vec<Value>,
        /// Its resource templates (raw MCP objects).
        pub resource_templates: Vec<Value>,
        /// The connection state of the thread runtime, when known.
        #[serde(default)]
        pub runtime_status: Option<McpServerConnectionStatus>,
        /// The environment that contributed this registration (codex 0.171 on); `None` for a
        /// thread-wide server and from codex 0.169, which omits the field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub environment_id: Option<String>,
    }
}

wire_struct! {
    /// `ListMcpServerStatusResponse`: one page of MCP server statuses.
    pub struct ListMcpServerStatusResponse {
        /// The servers.
        pub data: Vec<McpServerStatus>,
        /// The cursor of the next page; `None` on the last page.
        pub next_cursor: Option<String>,
    }
}

impl GetAccountParams {
    /// Params without a token refresh.
    #[must_use]
    pub fn new() -> Self {
        Self {
            refresh_token: None,
            extra: Map::new(),
        }
    }
}

wire_struct! {
    /// `GetAccountRateLimitsParams` of `account/rateLimits/read` (codex also accepts no
    /// params at all).
    #[derive(Default)]
    pub struct GetAccountRateLimitsParams {
        /// Skip the separate lookup of reset-credit details.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub exclude_reset_credit_details: Option<bool>,
    }
}

wire_struct! {
    /// `GetAccountRateLimitsResponse` of `account/rateLimits/read`: the account's usage
    /// against its limits.
    pub struct GetAccountRateLimitsResponse {
        /// The single-bucket view (the historical payload).
        pub rate_limits: super::notification::RateLimitSnapshot,
        /// Every bucket by its metered limit id (for example `codex`), when codex sends it.
        #[serde(default)]
        pub rate_limits_by_limit_id: Option<BTreeMap<String, super::notification::RateLimitSnapshot>>,
    }
}
