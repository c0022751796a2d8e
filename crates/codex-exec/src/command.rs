//! Building the `codex exec` command line and environment of one turn: [`ExecRequest`] →
//! [`CommandSpec`].
//!
//! The options mirror the TypeScript SDK 0.163.0 (`CodexOptions`, `ThreadOptions`,
//! `TurnOptions`), and the arguments come out in exactly its order and spelling, which the
//! golden table in `fixtures/ts-sdk-argv/` (captured from the real TypeScript SDK) checks:
//!
//! ```text
//! exec --experimental-json
//!   --config <k=v>…            CodexOptions::config, flattened to TOML literals
//!   --config <raw>…            CodexOptions::config_overrides, verbatim
//!   --config openai_base_url="<url>"
//!   --model <m>
//!   --thread-source <s>        only when not resuming
//!   --sandbox <mode>
//!   --cd <dir>
//!   --add-dir <dir>…
//!   --skip-git-repo-check
//!   --output-schema <tmp>/codex-output-schema-XXXXXX/schema.json
//!   --cyber-access-program <p>
//!   --config model_reasoning_effort="<e>"
//!   --config sandbox_workspace_write.network_access=<bool>
//!   --config web_search="<mode>"
//!   --config approval_policy="<p>"
//!   resume <thread id>
//!   --image <path>…
//! ```
//!
//! The prompt goes to stdin, never to argv. Later `--config` flags win, so thread options
//! override the same keys set through [`CodexOptions::config`].
//!
//! # `resume` and exec-level flags (verified with codex-cli 0.169.0)
//!
//! `codex exec resume` has no `--sandbox`, `--cd` or `--add-dir` of its own: placed after
//! `resume <id>` they are refused (`error: unexpected argument '--sandbox' found`, exit code 2).
//! Placed before `resume`, as the TypeScript SDK does, they are parsed as `exec` flags and
//! honoured by the resumed thread: a probe with `--sandbox danger-full-access --cd <B>
//! --add-dir /tmp resume <id>` sent `sandbox_mode: danger-full-access`, `cwd` `<B>` and both
//! workspace roots to the model. So this crate keeps the TypeScript form. `--image` must come
//! after `resume <id>`: it takes several values, and before `resume` it swallows `resume` and
//! the id as image paths, silently starting a new thread instead. A resumed thread does not
//! keep its sandbox mode: without `--sandbox`, codex falls back to its configured default.
//!
//! # Environment
//!
//! The child inherits this process's environment, or exactly [`CodexOptions::env`] when it is
//! set. On top of that: `CODEX_INTERNAL_ORIGINATOR_OVERRIDE=codex_sdk_rs` unless the
//! environment already sets it (the TypeScript SDK sends `codex_sdk_ts`), `CODEX_API_KEY` from
//! [`CodexOptions::api_key`], and the package PATH directories of the [`CodexBinary`]
//! prepended to `PATH` without duplicates.
//!
//! # Differences from the TypeScript SDK
//!
//! - `approval_policy = "untrusted"` makes codex 0.169.0 exit at startup (`approval_policy =
//!   "untrusted" is no longer supported`), so it is refused before spawning with
//!   [`Error::UnsupportedApprovalPolicy`].
//! - A resume id starting with `-` would be parsed as a flag (`--last` resumes another
//!   thread), so it is refused with [`Error::InvalidThreadId`].
//! - Values of the `Other` variants of the option enums are TOML-quoted in `--config` values;
//!   the TypeScript SDK pastes its strings between quotes unescaped. Both agree for every value
//!   codex knows.
//! - Config keys follow the order of [`serde_json::Map`]; see the `toml_literal` notes.
//!
//! Like the TypeScript SDK, empty strings count as unset for the base URL, API key, model,
//! working directory, sandbox mode, reasoning effort, web search mode, approval policy and
//! resume id, but not for the thread source or the Cyber access program.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;

use serde_json::{Map, Value};

use codex_agent_protocol::app_server::{ThreadResumeParams, ThreadStartParams, TurnStartParams};
use codex_agent_protocol::secret::Secret;

use crate::schema_file::{SchemaFile, check_schema};
use crate::toml_literal::{flatten_config, toml_string};
use crate::{CodexBinary, Error};

/// The environment variable codex reads its `originator` header value from.
pub const ORIGINATOR_ENV: &str = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE";

/// The originator this SDK reports, unless the environment sets [`ORIGINATOR_ENV`].
pub const ORIGINATOR: &str = "codex_sdk_rs";

/// The environment variable codex reads an API key from.
pub const API_KEY_ENV: &str = "CODEX_API_KEY";

/// The environment variable of the OpenAI API key, which codex also reads.
pub const OPENAI_API_KEY_ENV: &str = "OPENAI_API_KEY";

macro_rules! cli_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
            /// A value this crate does not know yet, passed to codex as written.
            Other(String),
        }

        impl $name {
            /// The spelling codex uses.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            /// Maps codex's spelling to a variant, anything else to `Other`.
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

cli_enum! {
    /// What commands run by the agent may touch (`--sandbox`).
    SandboxMode {
        /// `read-only`: read anywhere, write nowhere.
        ReadOnly => "read-only",
        /// `workspace-write`: write in the working directory and added directories.
        WorkspaceWrite => "workspace-write",
        /// `danger-full-access`: no sandbox.
        DangerFullAccess => "danger-full-access",
    }
}

cli_enum! {
    /// How hard the model reasons (`model_reasoning_effort`).
    ReasoningEffort {
        /// `minimal`.
        Minimal => "minimal",
        /// `low`.
        Low => "low",
        /// `medium`.
        Medium => "medium",
        /// `high`.
        High => "high",
        /// `xhigh`.
        XHigh => "xhigh",
        /// `max`.
        Max => "max",
        /// `ultra`.
        Ultra => "ultra",
        /// `persistent`.
        Persistent => "persistent",
    }
}

cli_enum! {
    /// Whether and how the agent may search the web (`web_search`).
    WebSearchMode {
        /// `disabled`.
        Disabled => "disabled",
        /// `cached`: results from OpenAI's index only.
        Cached => "cached",
        /// `live`: live web access.
        Live => "live",
    }
}

cli_enum! {
    /// When codex asks before running a command (`approval_policy`).
    ///
    /// `codex exec` cannot ask anyone, so in practice it behaves as `never`.
    ApprovalPolicy {
        /// `never`.
        Never => "never",
        /// `on-request`: the model decides when to ask.
        OnRequest => "on-request",
        /// `on-failure`: ask when a sandboxed command fails.
        OnFailure => "on-failure",
        /// `untrusted`: refused by codex 0.169.0 at startup, and therefore by this crate with
        /// [`Error::UnsupportedApprovalPolicy`]; kept for parity with the TypeScript SDK's type.
        Untrusted => "untrusted",
    }
}

cli_enum! {
    /// Experimental Cyber access program of a turn (`--cyber-access-program`, OpenAI provider
    /// only).
    CyberAccessProgram {
        /// `standard`.
        Standard => "standard",
        /// `daybreak_blue`.
        DaybreakBlue => "daybreak_blue",
        /// `daybreak_red`.
        DaybreakRed => "daybreak_red",
    }
}

/// Options shared by every thread, like the TypeScript SDK's `CodexOptions`.
///
/// The binary itself is chosen by [`crate::Discovery`].
#[derive(Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct CodexOptions {
    config: Map<String, Value>,
    config_overrides: Vec<String>,
    base_url: Option<String>,
    api_key: Option<Secret>,
    env: Option<BTreeMap<OsString, OsString>>,
    env_vars: BTreeMap<OsString, OsString>,
    secrets: Vec<Secret>,
    secret_env: Vec<String>,
    secret_env_vars: Vec<(String, Secret)>,
    share_secrets_with_commands: bool,
}

impl fmt::Debug for CodexOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Config values, raw overrides and the base URL may carry credentials: `Debug` shows
        // the keys, the shape of the URL, and how many secrets there are; never a value.
        f.debug_struct("CodexOptions")
            .field("config", &ConfigKeys(&self.config))
            .field("config_overrides", &OverrideKeys(&self.config_overrides))
            .field("base_url", &self.base_url.as_deref().map(DebugUrl))
            .field("api_key", &self.api_key)
            .field("env", &self.env.as_ref().map(EnvKeys))
            .field("env_vars", &EnvKeys(&self.env_vars))
            .field("secrets", &self.secrets.len())
            .field("secret_env", &self.secret_env)
            .field(
                "secret_env_vars",
                &self
                    .secret_env_vars
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .field(
                "share_secrets_with_commands",
                &self.share_secrets_with_commands,
            )
            .finish()
    }
}

impl CodexOptions {
    /// Creates the default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Config passed as `--config key=value` flags: nested objects become dotted keys, other
    /// values TOML literals, as in the TypeScript SDK. Replaces earlier config.
    ///
    /// By default, no config is passed.
    pub fn config(mut self, config: Map<String, Value>) -> Self {
        self.config = config;
        self
    }

    /// Sets one top-level config key, keeping the others.
    ///
    /// By default, no config is passed.
    pub fn config_entry(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }

    /// Raw `key=value` TOML strings passed verbatim as `--config` flags after
    /// [`config`](Self::config). Replaces earlier raw overrides.
    ///
    /// By default, none.
    pub fn config_overrides(
        mut self,
        overrides: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.config_overrides = overrides.into_iter().map(Into::into).collect();
        self
    }

    /// Base URL of the OpenAI API, passed as `--config openai_base_url="…"`. An empty string
    /// counts as unset, as in the TypeScript SDK.
    ///
    /// By default, codex's configured URL is used.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// API key, passed as `CODEX_API_KEY` in the child's environment (never in argv). An empty
    /// string counts as unset. Never shown by `Debug`.
    ///
    /// By default, codex uses its own login.
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into()).filter(|k: &Secret| !k.expose().is_empty());
        self
    }

    /// Registers one more secret value: it is redacted from every event, item, error and log
    /// line, as the API key is. Use it for keys codex reads through its own config (a custom
    /// provider's key given some other way, a token inside an MCP server's URL).
    ///
    /// By default, the SDK registers the API key, the values of the variables named by
    /// [`secret_env`](Self::secret_env), the variables named by `env_key` /
    /// `bearer_token_env_var` anywhere in the config, `CODEX_API_KEY`, `OPENAI_API_KEY`, and
    /// every variable of codex's environment whose name contains `API_KEY`, `TOKEN`,
    /// `SECRET` or `PASSWORD` (values of 8 bytes or more).
    pub fn secret(mut self, value: impl Into<Secret>) -> Self {
        self.secrets.push(value.into());
        self
    }

    /// Registers an environment variable whose value is a secret (whatever its name): its
    /// value in codex's environment is redacted everywhere, and it is kept out of the
    /// commands the agent runs (see
    /// [`share_secrets_with_commands`](Self::share_secrets_with_commands)).
    ///
    /// By default, see [`secret`](Self::secret).
    pub fn secret_env(mut self, name: impl Into<String>) -> Self {
        self.secret_env.push(name.into());
        self
    }

    /// Sets one variable of codex's environment to a secret value, on top of the inherited
    /// environment or [`env`](Self::env), and registers it as [`secret_env`](Self::secret_env)
    /// does: its value is redacted everywhere and kept out of the agent's commands. Used for
    /// the bearer token of the SDK's in-process MCP server. Setting a name again replaces it.
    ///
    /// By default, none.
    pub fn secret_env_var(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Self {
        let name = name.into();
        self.secret_env_vars.retain(|(n, _)| *n != name);
        self.secret_env.retain(|n| *n != name);
        self.secret_env.push(name.clone());
        self.secret_env_vars.push((name, value.into()));
        self
    }

    /// Whether the commands the agent runs may see the secret environment variables
    /// (`CODEX_API_KEY`, `OPENAI_API_KEY`, custom providers' `env_key`s,
    /// [`secret_env`](Self::secret_env)).
    ///
    /// By default, `false`: codex passes its whole environment to every command it runs, so
    /// an agent's `env` would print the key. The SDK sets each such variable that codex's
    /// environment holds to an empty value in the commands' environment, with
    /// `--config shell_environment_policy.set.<NAME>=""` before your own config (so your
    /// config can still override it). This is a deliberate difference from the TypeScript
    /// SDK, which passes the key on.
    pub fn share_secrets_with_commands(mut self, share: bool) -> Self {
        self.share_secrets_with_commands = share;
        self
    }

    /// The names of the variables of `env` that hold secrets: the fixed ones, the ones the
    /// config names through `env_key` / `bearer_token_env_var`, and
    /// [`secret_env`](Self::secret_env); only those `env` actually sets.
    #[must_use]
    pub fn secret_env_names(&self, env: &EnvPlan) -> Vec<String> {
        let mut names: Vec<String> = [API_KEY_ENV, OPENAI_API_KEY_ENV]
            .iter()
            .map(|n| (*n).to_owned())
            .chain(config_env_names(&self.config, &self.config_overrides))
            .chain(config_file_env_names(env))
            .chain(self.secret_env.iter().cloned())
            .filter(|name| env.get(name).is_some_and(|v| !v.is_empty()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The settings that only shape a local codex process (its argv and environment), by the
    /// name of their setter, in the order of the setters: what a remote app-server, whose
    /// own configuration applies, cannot honour. Registered [`secret`](Self::secret) values
    /// are not among them: they only redact.
    #[must_use]
    pub fn local_process_settings(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if !self.config.is_empty() {
            set.push("`CodexOptions::config`");
        }
        if !self.config_overrides.is_empty() {
            set.push("`CodexOptions::config_overrides`");
        }
        if self.base_url.is_some() {
            set.push("`CodexOptions::base_url`");
        }
        if self.api_key.is_some() {
            set.push("`CodexOptions::api_key`");
        }
        if self.env.is_some() {
            set.push("`CodexOptions::env`");
        }
        if !self.env_vars.is_empty() {
            set.push("`CodexOptions::env_var`");
        }
        if !self.secret_env.is_empty() {
            set.push("`CodexOptions::secret_env`");
        }
        if !self.secret_env_vars.is_empty() {
            set.push("`CodexOptions::secret_env_var`");
        }
        if self.share_secrets_with_commands {
            set.push("`CodexOptions::share_secrets_with_commands`");
        }
        set
    }

    /// The secrets to redact for a child with environment `env`: the API key, the registered
    /// secrets, and the values of [`secret_env_names`](Self::secret_env_names).
    #[must_use]
    pub fn secrets_for(&self, env: &EnvPlan) -> Vec<Secret> {
        let mut secrets: Vec<Secret> = self.api_key.iter().cloned().collect();
        secrets.extend(self.secrets.iter().cloned());
        for name in self.secret_env_names(env) {
            if let Some(value) = env.get(&name) {
                secrets.push(Secret::new(value.to_string_lossy()));
            }
        }
        secrets
    }

    /// The `CODEX_HOME` codex runs with: the one in [`env`](Self::env) when set, else this
    /// process's `CODEX_HOME`, else `~/.codex`; `None` when neither that nor `HOME` is set.
    #[must_use]
    pub fn codex_home(&self) -> Option<std::path::PathBuf> {
        let lookup = |name: &str| -> Option<OsString> {
            if let Some(value) = self.env_vars.get(std::ffi::OsStr::new(name)) {
                return Some(value.clone());
            }
            match &self.env {
                Some(env) => env.get(std::ffi::OsStr::new(name)).cloned(),
                None => std::env::var_os(name),
            }
        };
        lookup("CODEX_HOME")
            .filter(|home| !home.is_empty())
            .map(std::path::PathBuf::from)
            .or_else(|| lookup("HOME").map(|home| std::path::PathBuf::from(home).join(".codex")))
    }

    /// The complete environment of the child: when set, nothing is inherited from this
    /// process. Replaces an earlier environment; the variables of
    /// [`env_var`](Self::env_var) still apply on top of it.
    ///
    /// By default, the child inherits this process's environment.
    pub fn env(
        mut self,
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Sets one variable of the child's environment, on top of the inherited environment, or
    /// of [`env`](Self::env) when that is set (in either order of the calls). A later call for
    /// the same name wins. The SDK's own variables (the originator, the API key, the
    /// secrets of [`secret_env_var`](Self::secret_env_var), the package's `PATH`
    /// directories) are still applied after it.
    ///
    /// By default, none.
    pub fn env_var(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env_vars.insert(name.into(), value.into());
        self
    }
}

/// Options of a thread, like the TypeScript SDK's `ThreadOptions`.
///
/// # Lowering
///
/// One options model, two transports: [`ExecRequest::build`] turns [`CodexOptions`],
/// [`ThreadOptions`] and [`TurnOptions`] into the argv and environment of `codex exec`;
/// [`crate::app_server::AppServer::command`] turns [`CodexOptions`] into the argv and
/// environment of `codex app-server`, [`thread_start_params`](Self::thread_start_params) /
/// [`thread_resume_params`](Self::thread_resume_params) turn these options into
/// `thread/start` / `thread/resume` fields, and [`TurnOptions::turn_start_params`] turns the
/// turn's options into `turn/start` fields. An option a transport cannot honour is refused
/// with [`Error::Unsupported`], never dropped; the integration test `options_lowering` holds
/// one row per setter and fails for a setter without a row.
///
/// | Option | `codex exec` | app-server |
/// |---|---|---|
/// | [`CodexOptions::config`], [`config_entry`](CodexOptions::config_entry) | `--config k=v`… | same flags on `codex app-server` |
/// | [`CodexOptions::config_overrides`] | `--config <raw>`… | same |
/// | [`CodexOptions::base_url`] | `--config openai_base_url="…"` | same |
/// | [`CodexOptions::api_key`] | env `CODEX_API_KEY`, redacted, blanked for commands | same |
/// | [`CodexOptions::secret`] | redacted | same |
/// | [`CodexOptions::secret_env`] | redacted, blanked for commands | same |
/// | [`CodexOptions::share_secrets_with_commands`] | no `shell_environment_policy.set.*` flags | same |
/// | [`CodexOptions::env`] | the child's whole environment | same |
/// | [`model`](Self::model) | `--model` | `model` |
/// | [`thread_source`](Self::thread_source) | `--thread-source` (new threads) | `threadSource` (`thread/start` only) |
/// | [`sandbox_mode`](Self::sandbox_mode) | `--sandbox` | `sandbox` |
/// | [`working_directory`](Self::working_directory) | `--cd` | `cwd`, made absolute |
/// | [`additional_directories`](Self::additional_directories) | `--add-dir`… | `config.sandbox_workspace_write.writable_roots`, made absolute |
/// | [`skip_git_repo_check`](Self::skip_git_repo_check) | `--skip-git-repo-check` | not applicable: the app-server never checks for a Git repository |
/// | [`model_reasoning_effort`](Self::model_reasoning_effort) | `--config model_reasoning_effort=…` | `config.model_reasoning_effort` |
/// | [`network_access_enabled`](Self::network_access_enabled) | `--config sandbox_workspace_write.network_access=…` | `config.sandbox_workspace_write.network_access` |
/// | [`web_search_mode`](Self::web_search_mode), [`web_search_enabled`](Self::web_search_enabled) | `--config web_search=…` | `config.web_search` |
/// | [`approval_policy`](Self::approval_policy) | `--config approval_policy=…` (`untrusted` refused) | `approvalPolicy` |
/// | [`base_instructions`](Self::base_instructions) | refused: [`Error::Unsupported`] | `baseInstructions` |
/// | [`developer_instructions`](Self::developer_instructions) | `--config developer_instructions=…` | `developerInstructions` |
/// | [`TurnOptions::output_schema`] | `--output-schema <file>` | `outputSchema` of `turn/start` |
/// | [`TurnOptions::cyber_access_program`] | `--cyber-access-program` | `cyberAccessProgram` of `turn/start` |
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct ThreadOptions {
    model: Option<String>,
    thread_source: Option<String>,
    sandbox_mode: Option<SandboxMode>,
    working_directory: Option<PathBuf>,
    additional_directories: Vec<PathBuf>,
    skip_git_repo_check: bool,
    model_reasoning_effort: Option<ReasoningEffort>,
    network_access_enabled: Option<bool>,
    web_search_mode: Option<WebSearchMode>,
    web_search_enabled: Option<bool>,
    approval_policy: Option<ApprovalPolicy>,
    base_instructions: Option<String>,
    developer_instructions: Option<String>,
}

impl ThreadOptions {
    /// Creates the default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// The model (`--model`). An empty string counts as unset.
    ///
    /// By default, codex's configured model is used.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Source classification of a new thread (`--thread-source`); not sent when resuming.
    ///
    /// By default, codex classifies the thread itself.
    pub fn thread_source(mut self, source: impl Into<String>) -> Self {
        self.thread_source = Some(source.into());
        self
    }

    /// The sandbox (`--sandbox`).
    ///
    /// By default, the sandbox mode is left to codex's config (read-only unless configured).
    pub fn sandbox_mode(mut self, mode: SandboxMode) -> Self {
        self.sandbox_mode = Some(mode);
        self
    }

    /// The agent's working directory (`--cd`). An empty path counts as unset.
    ///
    /// By default, codex works in the child's current directory.
    pub fn working_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_directory = Some(dir.into());
        self
    }

    /// More writable directories (`--add-dir`, repeated). Replaces earlier ones.
    ///
    /// By default, none.
    pub fn additional_directories(
        mut self,
        dirs: impl IntoIterator<Item = impl Into<PathBuf>>,
    ) -> Self {
        self.additional_directories = dirs.into_iter().map(Into::into).collect();
        self
    }

    /// The directories set with [`additional_directories`](Self::additional_directories),
    /// as given.
    #[must_use]
    pub fn additional_directory_paths(&self) -> &[PathBuf] {
        &self.additional_directories
    }

    /// The model set with [`model`](Self::model), unless empty (which counts as unset).
    #[must_use]
    pub fn requested_model(&self) -> Option<&str> {
        self.model.as_deref().filter(|model| !model.is_empty())
    }

    /// Whether to run outside a Git repository (`--skip-git-repo-check`).
    ///
    /// By default, `false`: codex refuses to run outside a trusted directory.
    pub fn skip_git_repo_check(mut self, skip: bool) -> Self {
        self.skip_git_repo_check = skip;
        self
    }

    /// Reasoning effort (`--config model_reasoning_effort="…"`).
    ///
    /// By default, the model's default effort.
    pub fn model_reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.model_reasoning_effort = Some(effort);
        self
    }

    /// Network access in the `workspace-write` sandbox
    /// (`--config sandbox_workspace_write.network_access=…`).
    ///
    /// By default, left to codex's config.
    pub fn network_access_enabled(mut self, enabled: bool) -> Self {
        self.network_access_enabled = Some(enabled);
        self
    }

    /// Web search mode (`--config web_search="…"`); wins over
    /// [`web_search_enabled`](Self::web_search_enabled).
    ///
    /// By default, left to codex's config.
    pub fn web_search_mode(mut self, mode: WebSearchMode) -> Self {
        self.web_search_mode = Some(mode);
        self
    }

    /// Web search on (`web_search="live"`) or off (`web_search="disabled"`), when no
    /// [`web_search_mode`](Self::web_search_mode) is set.
    ///
    /// By default, left to codex's config.
    pub fn web_search_enabled(mut self, enabled: bool) -> Self {
        self.web_search_enabled = Some(enabled);
        self
    }

    /// Approval policy (`--config approval_policy="…"`). [`ApprovalPolicy::Untrusted`] is
    /// refused when the command is built, because codex 0.169.0 no longer starts with it.
    ///
    /// By default, left to codex (`codex exec` never asks).
    pub fn approval_policy(mut self, policy: ApprovalPolicy) -> Self {
        self.approval_policy = Some(policy);
        self
    }

    /// Replaces codex's base instructions (its system prompt) for this thread:
    /// `baseInstructions` of `thread/start`. `codex exec` has no such setting:
    /// [`ExecRequest::build`] refuses it with [`Error::Unsupported`].
    ///
    /// By default, codex's own instructions.
    pub fn base_instructions(mut self, text: impl Into<String>) -> Self {
        self.base_instructions = Some(text.into());
        self
    }

    /// Developer instructions added to the conversation: `--config
    /// developer_instructions="…"` for `codex exec`, `developerInstructions` of
    /// `thread/start`.
    ///
    /// By default, none beyond codex's config.
    pub fn developer_instructions(mut self, text: impl Into<String>) -> Self {
        self.developer_instructions = Some(text.into());
        self
    }
}

/// Options of one turn, like the TypeScript SDK's `TurnOptions`.
///
/// Cancellation is not an option here: dropping the turn's stream kills the process.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct TurnOptions {
    output_schema: Option<Value>,
    cyber_access_program: Option<CyberAccessProgram>,
}

impl TurnOptions {
    /// Creates the default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// JSON schema the final answer must follow (`--output-schema`, written to a private
    /// temporary file; `outputSchema` of `turn/start`); must be a JSON object.
    ///
    /// By default, the answer is free text.
    pub fn output_schema(mut self, schema: impl Into<Value>) -> Self {
        self.output_schema = Some(schema.into());
        self
    }

    /// Experimental Cyber access program of this turn (`--cyber-access-program`;
    /// `cyberAccessProgram` of `turn/start`).
    ///
    /// By default, the server's default.
    pub fn cyber_access_program(mut self, program: CyberAccessProgram) -> Self {
        self.cyber_access_program = Some(program);
        self
    }
}

/// One part of a turn's input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserInput {
    /// Text; the text parts of an input are joined with a blank line.
    Text(String),
    /// A local image file, attached with `--image`.
    LocalImage(PathBuf),
}

/// The input of a turn: a prompt or a list of parts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A plain prompt.
    Text(String),
    /// Text and image parts.
    Items(Vec<UserInput>),
}

impl From<&str> for Input {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Input {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&String> for Input {
    fn from(text: &String) -> Self {
        Self::Text(text.clone())
    }
}

impl From<std::borrow::Cow<'_, str>> for Input {
    fn from(text: std::borrow::Cow<'_, str>) -> Self {
        Self::Text(text.into_owned())
    }
}

impl From<UserInput> for Input {
    fn from(item: UserInput) -> Self {
        Self::Items(vec![item])
    }
}

impl From<Vec<UserInput>> for Input {
    fn from(items: Vec<UserInput>) -> Self {
        Self::Items(items)
    }
}

impl Input {
    /// Checks that every local image is a file. codex itself only tells the model that it
    /// could not read a missing image, and the turn goes on without it; the facade calls this
    /// before a turn starts, on both transports. (The lowerings do not: they build commands,
    /// and touch no file.)
    ///
    /// # Errors
    ///
    /// [`Error::ImageNotFound`] naming the first image that is not a file.
    pub fn check_images(&self) -> Result<(), Error> {
        let Self::Items(items) = self else {
            return Ok(());
        };
        for item in items {
            if let UserInput::LocalImage(path) = item
                && !path.is_file()
            {
                return Err(Error::ImageNotFound { path: path.clone() });
            }
        }
        Ok(())
    }

    /// The input as `turn/start` and `turn/steer` take it: one part per text and per image,
    /// in order (the app-server lowering of what [`ExecRequest`] sends on stdin and with
    /// `--image`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a kind of input the app-server lowering does not know.
    pub fn app_server_input(
        &self,
    ) -> Result<Vec<codex_agent_protocol::app_server::UserInput>, Error> {
        use codex_agent_protocol::app_server::UserInput as Wire;
        match self {
            Self::Text(text) => Ok(vec![Wire::text(text.clone())]),
            Self::Items(items) => items
                .iter()
                .map(|item| match item {
                    UserInput::Text(text) => Ok(Wire::text(text.clone())),
                    UserInput::LocalImage(path) => {
                        Ok(Wire::local_image(path.to_string_lossy().into_owned()))
                    }
                })
                .collect(),
        }
    }

    /// The prompt (text parts joined with `"\n\n"`) and the image paths, in order.
    fn normalize(&self) -> (String, Vec<&PathBuf>) {
        match self {
            Self::Text(text) => (text.clone(), Vec::new()),
            Self::Items(items) => {
                let mut texts = Vec::new();
                let mut images = Vec::new();
                for item in items {
                    match item {
                        UserInput::Text(text) => texts.push(text.as_str()),
                        UserInput::LocalImage(path) => images.push(path),
                    }
                }
                (texts.join("\n\n"), images)
            }
        }
    }
}

/// Everything needed to build the command of one turn; [`ExecRequest::build`] turns it into
/// a [`CommandSpec`].
///
/// ```
/// use codex_agent_exec::{CodexBinary, ExecRequest, SandboxMode, ThreadOptions};
///
/// let codex = CodexBinary::new("/usr/local/bin/codex");
/// let thread = ThreadOptions::new().sandbox_mode(SandboxMode::ReadOnly);
/// let input = "list the files".into();
/// let spec = ExecRequest::new(&input).thread_options(&thread).build(&codex)?;
/// assert_eq!(spec.args(), ["exec", "--experimental-json", "--sandbox", "read-only"]);
/// assert_eq!(spec.stdin(), "list the files");
/// # Ok::<(), codex_agent_exec::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ExecRequest<'a> {
    input: &'a Input,
    codex: Option<&'a CodexOptions>,
    thread: Option<&'a ThreadOptions>,
    turn: Option<&'a TurnOptions>,
    resume: Option<&'a str>,
    fork: Option<&'a str>,
    inherited_env: Option<Vec<(OsString, OsString)>>,
    bypass_hook_trust: bool,
}

impl fmt::Debug for ExecRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inherited environment may hold keys: only its names are shown.
        let env_names: Option<Vec<_>> = self
            .inherited_env
            .as_ref()
            .map(|vars| vars.iter().map(|(name, _)| name).collect());
        f.debug_struct("ExecRequest")
            .field("input", &self.input)
            .field("codex", &self.codex)
            .field("thread", &self.thread)
            .field("turn", &self.turn)
            .field("resume", &self.resume)
            .field("fork", &self.fork)
            .field("inherited_env", &env_names)
            .finish()
    }
}

impl<'a> ExecRequest<'a> {
    /// A request for `input` with default options.
    pub fn new(input: &'a Input) -> Self {
        Self {
            input,
            codex: None,
            thread: None,
            turn: None,
            resume: None,
            fork: None,
            inherited_env: None,
            bypass_hook_trust: false,
        }
    }

    /// The options shared by all threads.
    ///
    /// By default, [`CodexOptions::default`].
    pub fn codex_options(mut self, options: &'a CodexOptions) -> Self {
        self.codex = Some(options);
        self
    }

    /// The options of the thread.
    ///
    /// By default, [`ThreadOptions::default`].
    pub fn thread_options(mut self, options: &'a ThreadOptions) -> Self {
        self.thread = Some(options);
        self
    }

    /// The options of this turn.
    ///
    /// By default, [`TurnOptions::default`].
    pub fn turn_options(mut self, options: &'a TurnOptions) -> Self {
        self.turn = Some(options);
        self
    }

    /// Continues an existing thread (`resume <id>`); an empty id counts as a new thread, as
    /// in the TypeScript SDK.
    ///
    /// By default, a new thread is started.
    pub fn resume(mut self, thread_id: &'a str) -> Self {
        self.resume = Some(thread_id);
        self
    }

    /// Forks an existing thread into a new one (`fork <id>`, codex 0.169.0 and later) and
    /// runs the turn on the fork; an empty prompt forks without running a turn (codex then
    /// prints only `thread.started` with the new id). Takes precedence over
    /// [`resume`](Self::resume).
    ///
    /// By default, no fork.
    pub fn fork(mut self, thread_id: &'a str) -> Self {
        self.fork = Some(thread_id);
        self
    }

    /// Passes `--dangerously-bypass-hook-trust`: codex runs the hooks of this invocation
    /// without a persisted trust entry (codex-agent-sdk sets it when the hooks are its own, declared
    /// with `--config`, and filters out the two `error` items codex then reports).
    ///
    /// By default, not passed: codex skips untrusted hooks silently.
    pub fn bypass_hook_trust(mut self, bypass: bool) -> Self {
        self.bypass_hook_trust = bypass;
        self
    }

    /// The environment inherited when [`CodexOptions::env`] is not set, instead of this
    /// process's environment (for tests and for callers that curate it).
    ///
    /// By default, `std::env::vars_os()` at build time.
    pub fn inherited_env(
        mut self,
        vars: impl IntoIterator<Item = (impl Into<OsString>, impl Into<OsString>)>,
    ) -> Self {
        self.inherited_env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Validates the options, writes the output schema file if any, and returns the command.
    ///
    /// Checks come in the TypeScript SDK's order (output schema, then config), and all of
    /// them before anything is written.
    ///
    /// # Errors
    ///
    /// [`Error::OutputSchemaNotObject`], [`Error::ConfigNull`], [`Error::ConfigEmptyKey`],
    /// [`Error::UnsupportedApprovalPolicy`], [`Error::InvalidThreadId`], or
    /// [`Error::OutputSchemaFile`] when the schema file cannot be written.
    pub fn build(&self, binary: &CodexBinary) -> Result<CommandSpec, Error> {
        let default_codex = CodexOptions::default();
        let default_thread = ThreadOptions::default();
        let default_turn = TurnOptions::default();
        let codex = self.codex.unwrap_or(&default_codex);
        let thread = self.thread.unwrap_or(&default_thread);
        let turn = self.turn.unwrap_or(&default_turn);

        if let Some(schema) = &turn.output_schema {
            check_schema(schema)?;
        }
        if thread.base_instructions.is_some() {
            return Err(Error::Unsupported {
                option: "base instructions",
                transport: "exec",
            });
        }
        let env = env_plan(codex, binary, self.inherited_env.as_deref());
        let config = config_args(codex, &env)?;
        if let Some(policy) = &thread.approval_policy
            && policy.as_str() == ApprovalPolicy::Untrusted.as_str()
        {
            return Err(Error::UnsupportedApprovalPolicy {
                policy: policy.as_str().to_owned(),
            });
        }
        let fork = self.fork.filter(|id| !id.is_empty());
        let resume = if fork.is_some() {
            None
        } else {
            self.resume.filter(|id| !id.is_empty())
        };
        if let Some(id) = resume.or(fork)
            && id.starts_with('-')
        {
            return Err(Error::InvalidThreadId { id: id.to_owned() });
        }
        let schema_file = turn
            .output_schema
            .as_ref()
            .map(SchemaFile::create)
            .transpose()?;

        let (prompt, images) = self.input.normalize();
        let mut args = Args::default();
        args.push("exec");
        args.push("--experimental-json");
        args.0.extend(config);
        thread_flags(&mut args, thread, resume.is_some() || fork.is_some());
        if let Some(file) = &schema_file {
            args.pair("--output-schema", file.path());
        }
        if let Some(program) = &turn.cyber_access_program {
            args.pair("--cyber-access-program", program.as_str());
        }
        thread_config_flags(&mut args, thread);
        if self.bypass_hook_trust {
            args.push("--dangerously-bypass-hook-trust");
        }
        if let Some(id) = resume {
            args.push("resume");
            args.push(id);
        } else if let Some(id) = fork {
            args.push("fork");
            args.push(id);
        }
        for image in images {
            args.pair("--image", image);
        }

        let secrets = codex.secrets_for(&env);
        Ok(CommandSpec {
            program: binary.path().to_path_buf(),
            args: args.0,
            secrets,
            env,
            stdin: prompt,
            schema_file,
        })
    }
}

/// The `--config` flags every codex command gets from [`CodexOptions`], in order: the
/// secret variables blanked in the agent's commands (unless shared), the flattened
/// [`CodexOptions::config`], the raw [`CodexOptions::config_overrides`], then
/// `openai_base_url`. Shared by `codex exec` and `codex app-server`.
pub(crate) fn config_args(codex: &CodexOptions, env: &EnvPlan) -> Result<Vec<OsString>, Error> {
    let mut args = Args::default();
    if !codex.share_secrets_with_commands {
        for name in codex.secret_env_names(env) {
            args.config(
                &format!("shell_environment_policy.set.{}", toml_key(&name)),
                "\"\"",
            );
        }
    }
    for pair in flatten_config(&codex.config)? {
        args.pair("--config", pair);
    }
    for raw in &codex.config_overrides {
        args.pair("--config", raw);
    }
    if let Some(url) = non_empty(codex.base_url.as_deref()) {
        args.pair("--config", format!("openai_base_url={}", toml_string(url)));
    }
    Ok(args.0)
}

/// The environment of a codex child (see the module docs): `codex.env`, or `inherited`, or
/// this process's environment; the originator unless set; the API key; the package's PATH
/// directories. Shared by `codex exec` and `codex app-server`.
pub(crate) fn env_plan(
    codex: &CodexOptions,
    binary: &CodexBinary,
    inherited: Option<&[(OsString, OsString)]>,
) -> EnvPlan {
    let mut vars: BTreeMap<OsString, OsString> = match (&codex.env, inherited) {
        (Some(env), _) => env.clone(),
        (None, Some(inherited)) => inherited.iter().cloned().collect(),
        (None, None) => std::env::vars_os().collect(),
    };
    vars.extend(codex.env_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
    if vars
        .get(OsStr::new(ORIGINATOR_ENV))
        .is_none_or(|v| v.is_empty())
    {
        vars.insert(ORIGINATOR_ENV.into(), ORIGINATOR.into());
    }
    if let Some(key) = &codex.api_key {
        vars.insert(API_KEY_ENV.into(), key.expose().into());
    }
    for (name, value) in &codex.secret_env_vars {
        vars.insert(name.into(), value.expose().into());
    }
    if !binary.path_dirs().is_empty() {
        let dirs: Vec<OsString> = binary
            .path_dirs()
            .iter()
            .map(|d| d.clone().into_os_string())
            .collect();
        prepend_path(&mut vars, &dirs, cfg!(windows));
    }
    EnvPlan { vars }
}

/// Flags 5–10 of the TypeScript order: model, thread source (new threads only), sandbox,
/// working directory, additional directories, git check.
fn thread_flags(args: &mut Args, thread: &ThreadOptions, resume: bool) {
    if let Some(model) = non_empty(thread.model.as_deref()) {
        args.pair("--model", model);
    }
    if let Some(source) = &thread.thread_source
        && !resume
    {
        args.pair("--thread-source", source);
    }
    if let Some(mode) = non_empty(thread.sandbox_mode.as_ref().map(SandboxMode::as_str)) {
        args.pair("--sandbox", mode);
    }
    if let Some(dir) = &thread.working_directory
        && !dir.as_os_str().is_empty()
    {
        args.pair("--cd", dir);
    }
    for dir in &thread.additional_directories {
        args.pair("--add-dir", dir);
    }
    if thread.skip_git_repo_check {
        args.push("--skip-git-repo-check");
    }
}

/// Flags 13–16 of the TypeScript order: the thread options sent as `--config`.
fn thread_config_flags(args: &mut Args, thread: &ThreadOptions) {
    let effort = thread.model_reasoning_effort.as_ref();
    if let Some(effort) = non_empty(effort.map(ReasoningEffort::as_str)) {
        args.config("model_reasoning_effort", &toml_string(effort));
    }
    if let Some(enabled) = thread.network_access_enabled {
        args.config(
            "sandbox_workspace_write.network_access",
            &enabled.to_string(),
        );
    }
    let mode = non_empty(thread.web_search_mode.as_ref().map(WebSearchMode::as_str));
    let web_search = match (mode, thread.web_search_enabled) {
        (Some(mode), _) => Some(mode),
        (None, Some(true)) => Some("live"),
        (None, Some(false)) => Some("disabled"),
        (None, None) => None,
    };
    if let Some(mode) = web_search {
        args.config("web_search", &toml_string(mode));
    }
    if let Some(policy) = non_empty(thread.approval_policy.as_ref().map(ApprovalPolicy::as_str)) {
        args.config("approval_policy", &toml_string(policy));
    }
    if let Some(text) = &thread.developer_instructions {
        args.config("developer_instructions", &toml_string(text));
    }
}

/// The app-server lowering of the same options, side by side with the argv lowering above:
/// every [`ThreadOptions`] field becomes a `thread/start` (and `thread/resume`) field, or a
/// `config` override under the key `codex exec` sets it with `--config`. The one exception is
/// [`ThreadOptions::skip_git_repo_check`]: the app-server never checks for a Git repository,
/// so there is nothing to skip.
impl ThreadOptions {
    /// The fields of `thread/start` for these options.
    #[must_use]
    pub fn thread_start_params(&self) -> ThreadStartParams {
        let mut params = ThreadStartParams::default();
        params.model = non_empty(self.model.as_deref()).map(str::to_owned);
        params.cwd = self.absolute_cwd();
        params.approval_policy = self.wire_approval_policy();
        params.sandbox = self.wire_sandbox_mode();
        params.config = self.app_server_config();
        params.base_instructions.clone_from(&self.base_instructions);
        params
            .developer_instructions
            .clone_from(&self.developer_instructions);
        params.thread_source.clone_from(&self.thread_source);
        params
    }

    /// The fields of `thread/resume` for these options (the thread's turns are not asked
    /// for: `excludeTurns`). The thread source is not sent, as `codex exec resume` does not
    /// send it either.
    #[must_use]
    pub fn thread_resume_params(&self, thread_id: &str) -> ThreadResumeParams {
        // The same lowering as `thread/start`, field for field, minus what only a new thread
        // takes (its source).
        let start = self.thread_start_params();
        let mut params = ThreadResumeParams::new(thread_id);
        params.model = start.model;
        params.cwd = start.cwd;
        params.approval_policy = start.approval_policy;
        params.sandbox = start.sandbox;
        params.config = start.config;
        params.base_instructions = start.base_instructions;
        params.developer_instructions = start.developer_instructions;
        params.exclude_turns = Some(true);
        params
    }

    /// The approval policy; an empty one counts as unset, as for `codex exec`.
    fn wire_approval_policy<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        non_empty(self.approval_policy.as_ref().map(ApprovalPolicy::as_str)).map(wire_enum)
    }

    /// The sandbox mode; an empty one counts as unset, as for `codex exec`.
    fn wire_sandbox_mode<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        non_empty(self.sandbox_mode.as_ref().map(SandboxMode::as_str)).map(wire_enum)
    }

    /// Checks that the working directory, when one is set, is a directory here (for a codex
    /// on this machine; a remote app-server's paths are its own).
    ///
    /// # Errors
    ///
    /// [`Error::WorkingDirectoryNotFound`] when it is missing or not a directory.
    pub fn check_working_directory(&self) -> Result<(), Error> {
        match &self.working_directory {
            Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
                Err(Error::WorkingDirectoryNotFound { path: dir.clone() })
            }
            _ => Ok(()),
        }
    }

    /// The working directory, absolute: the app-server runs in its own directory, so a
    /// relative `--cd` would mean something else there.
    fn absolute_cwd(&self) -> Option<String> {
        let dir = self
            .working_directory
            .as_ref()
            .filter(|d| !d.as_os_str().is_empty())?;
        Some(absolute(dir))
    }

    /// The `config` overrides of `thread/start`: the options without a field of their own,
    /// under the keys `codex exec` sets them with `--config`.
    fn app_server_config(&self) -> Option<Map<String, Value>> {
        let mut config = Map::new();
        if let Some(effort) = non_empty(
            self.model_reasoning_effort
                .as_ref()
                .map(ReasoningEffort::as_str),
        ) {
            config.insert("model_reasoning_effort".into(), effort.into());
        }
        let mut workspace = Map::new();
        if let Some(enabled) = self.network_access_enabled {
            workspace.insert("network_access".into(), enabled.into());
        }
        if !self.additional_directories.is_empty() {
            let roots: Vec<Value> = self
                .additional_directories
                .iter()
                .map(|d| absolute(d).into())
                .collect();
            workspace.insert("writable_roots".into(), roots.into());
        }
        if !workspace.is_empty() {
            config.insert("sandbox_workspace_write".into(), workspace.into());
        }
        let mode = non_empty(self.web_search_mode.as_ref().map(WebSearchMode::as_str));
        let web_search = match (mode, self.web_search_enabled) {
            (Some(mode), _) => Some(mode),
            (None, Some(true)) => Some("live"),
            (None, Some(false)) => Some("disabled"),
            (None, None) => None,
        };
        if let Some(mode) = web_search {
            config.insert("web_search".into(), mode.into());
        }
        (!config.is_empty()).then_some(config)
    }
}

/// The app-server lowering of [`TurnOptions`], side by side with the argv lowering of
/// [`ExecRequest::build`].
impl TurnOptions {
    /// The `turn/start` request of a turn with these options: the output schema as
    /// `outputSchema`, the Cyber access program as `cyberAccessProgram`.
    ///
    /// # Errors
    ///
    /// [`Error::OutputSchemaNotObject`] when the output schema is not a JSON object, as
    /// [`ExecRequest::build`] refuses it.
    pub fn turn_start_params(
        &self,
        thread_id: impl Into<String>,
        input: Vec<codex_agent_protocol::app_server::UserInput>,
    ) -> Result<TurnStartParams, Error> {
        if let Some(schema) = &self.output_schema {
            check_schema(schema)?;
        }
        let mut params = TurnStartParams::new(thread_id, input);
        params.output_schema.clone_from(&self.output_schema);
        if let Some(program) = &self.cyber_access_program {
            // codex-cli 0.169.0's `TurnStartParams` has no typed field for it yet.
            params.extra.insert(
                "cyberAccessProgram".to_owned(),
                Value::String(program.as_str().to_owned()),
            );
        }
        Ok(params)
    }
}

/// A CLI enum's spelling read as the app-server's open enum of the same values (unknown
/// spellings become its `Unknown`, which the server then judges).
fn wire_enum<T: serde::de::DeserializeOwned>(value: &str) -> T {
    serde_json::from_value(Value::String(value.to_owned()))
        .expect("every app-server open enum reads any string")
}

/// `path` as an absolute path string, resolved against this process's working directory:
/// the app-server runs in its own directory, so a relative path would mean something else
/// there. A path that cannot be resolved is kept as it is.
fn absolute(path: &std::path::Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    };
    absolute.to_string_lossy().into_owned()
}

/// The environment variables the config names as holding secrets: the values of keys named
/// `env_key` (a model provider's key) or `bearer_token_env_var` (an MCP server's token), in
/// the nested config and in raw `key=value` overrides.
fn config_env_names(config: &Map<String, Value>, overrides: &[String]) -> Vec<String> {
    fn walk(map: &Map<String, Value>, out: &mut Vec<String>) {
        for (key, value) in map {
            let leaf = key.rsplit('.').next().unwrap_or(key);
            match value {
                Value::String(name) if is_secret_env_key(leaf) => out.push(name.clone()),
                Value::Object(inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut names = Vec::new();
    walk(config, &mut names);
    for raw in overrides {
        let Some((key, value)) = raw.split_once('=') else {
            continue;
        };
        let leaf = key.trim().rsplit('.').next().unwrap_or_default();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if is_secret_env_key(leaf) && !value.is_empty() {
            names.push(value.to_owned());
        }
    }
    names
}

/// The variables named by `env_key` / `bearer_token_env_var` in the `config.toml` codex will
/// read: `$CODEX_HOME/config.toml`, else `$HOME/.codex/config.toml`, from the child's
/// environment. A line scan, not a TOML parser: it finds `env_key = "NAME"` wherever the
/// file declares a provider or an MCP server, which is where those keys live. A missing or
/// unreadable file names nothing.
fn config_file_env_names(env: &EnvPlan) -> Vec<String> {
    let home = env.get("CODEX_HOME").map(PathBuf::from).or_else(|| {
        env.get("HOME")
            .map(|home| PathBuf::from(home).join(".codex"))
    });
    let Some(path) = home.map(|home| home.join("config.toml")) else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let leaf = key.trim().rsplit('.').next()?;
            let value = value.trim();
            let name = value.strip_prefix('"')?.split('"').next()?;
            (is_secret_env_key(leaf) && !name.is_empty()).then(|| name.to_owned())
        })
        .collect()
}

fn is_secret_env_key(leaf: &str) -> bool {
    matches!(leaf.trim_matches('"'), "env_key" | "bearer_token_env_var")
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_owned()
    } else {
        toml_string(name)
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn push(&mut self, arg: impl AsRef<OsStr>) {
        self.0.push(arg.as_ref().to_os_string());
    }

    fn pair(&mut self, flag: &str, value: impl AsRef<OsStr>) {
        self.push(flag);
        self.push(value);
    }

    fn config(&mut self, key: &str, literal: &str) {
        self.pair("--config", format!("{key}={literal}"));
    }
}

/// Puts `dirs` in front of `PATH`, dropping later copies of them, as the TypeScript SDK
/// does. On Windows the variable's name is case-insensitive: the `Path` spelling wins, other
/// spellings are removed.
fn prepend_path(vars: &mut BTreeMap<OsString, OsString>, dirs: &[OsString], windows: bool) {
    let key: OsString = if windows {
        let spellings: Vec<OsString> = vars
            .keys()
            .filter(|k| k.to_str().is_some_and(|k| k.eq_ignore_ascii_case("path")))
            .cloned()
            .collect();
        let key = if spellings.iter().any(|k| k == "Path") {
            OsString::from("Path")
        } else {
            spellings.last().cloned().unwrap_or_else(|| "PATH".into())
        };
        for other in spellings.iter().filter(|k| **k != key) {
            vars.remove(other);
        }
        key
    } else {
        "PATH".into()
    };
    let delimiter = if windows { ';' } else { ':' };
    let existing = vars
        .get(&key)
        .map(|v| split_path(v, delimiter))
        .unwrap_or_default();
    let mut joined = OsString::new();
    let kept = existing
        .iter()
        .filter(|e| !e.is_empty() && !dirs.contains(e));
    for (index, entry) in dirs.iter().chain(kept).enumerate() {
        if index > 0 {
            joined.push(delimiter.to_string());
        }
        joined.push(entry);
    }
    vars.insert(key, joined);
}

fn split_path(value: &OsStr, delimiter: char) -> Vec<OsString> {
    match value.to_str() {
        Some(text) => text.split(delimiter).map(OsString::from).collect(),
        None => std::env::split_paths(value)
            .map(PathBuf::into_os_string)
            .collect(),
    }
}

/// The environment of the child: the complete set of variables it starts with.
///
/// `Debug` shows the names only, since values may hold secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvPlan {
    vars: BTreeMap<OsString, OsString>,
}

impl EnvPlan {
    /// Every variable, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The value of one variable.
    #[must_use]
    pub fn get(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        self.vars.get(name.as_ref()).map(OsString::as_os_str)
    }

    /// How many variables there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl fmt::Debug for EnvPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EnvPlan")
            .field(&EnvKeys(&self.vars))
            .finish()
    }
}

/// Shows the names of an environment, never the values.
struct EnvKeys<'a>(&'a BTreeMap<OsString, OsString>);

impl fmt::Debug for EnvKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Shows the (dotted) keys of a config object, never the values: a value may be a header, a
/// token or a URL with credentials.
struct ConfigKeys<'a>(&'a Map<String, Value>);

impl fmt::Debug for ConfigKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn keys(prefix: &str, map: &Map<String, Value>, out: &mut Vec<String>) {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match value {
                    Value::Object(inner) if !inner.is_empty() => keys(&path, inner, out),
                    _ => out.push(path),
                }
            }
        }
        let mut out = Vec::new();
        keys("", self.0, &mut out);
        f.debug_set().entries(out).finish()
    }
}

/// Shows the keys of raw `key=value` overrides, never the values.
struct OverrideKeys<'a>(&'a [String]);

impl fmt::Debug for OverrideKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|raw| raw.split_once('=').map_or("<invalid>", |(k, _)| k.trim())),
            )
            .finish()
    }
}

/// Shows a URL without its credentials: user info, query and fragment are replaced.
struct DebugUrl<'a>(&'a str);

impl fmt::Debug for DebugUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", crate::redact_url::redact_url(self.0))
    }
}

/// The command of one `codex exec` turn ([`ExecRequest::build`]) or of a `codex app-server`
/// process ([`crate::app_server::AppServer::command`]): program, arguments, environment,
/// stdin, the secrets to redact and the schema file guard.
///
/// Keep it (or at least its schema file) alive until the process has exited: dropping it
/// removes the output schema directory.
#[non_exhaustive]
pub struct CommandSpec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env: EnvPlan,
    pub(crate) stdin: String,
    pub(crate) schema_file: Option<SchemaFile>,
    /// The secrets to redact from this command's output (see [`CodexOptions::secrets_for`]).
    pub(crate) secrets: Vec<Secret>,
}

impl fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `--config` values may carry credentials: they go through the config redaction.
        f.debug_struct("CommandSpec")
            .field("program", &self.program)
            .field("args", &crate::supervisor::DebugArgs(&self.args))
            .field("env", &self.env)
            .field("stdin_len", &self.stdin.len())
            .field("schema_file", &self.schema_file)
            .field("secrets", &self.secrets)
            .finish()
    }
}

impl CommandSpec {
    /// The program to run.
    #[must_use]
    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    /// The arguments, without the program.
    #[must_use]
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// The complete environment of the child.
    #[must_use]
    pub fn env(&self) -> &EnvPlan {
        &self.env
    }

    /// What to write to the child's stdin before closing it: the prompt.
    #[must_use]
    pub fn stdin(&self) -> &str {
        &self.stdin
    }

    /// The output schema file, when the turn has a schema.
    #[must_use]
    pub fn schema_file(&self) -> Option<&SchemaFile> {
        self.schema_file.as_ref()
    }

    /// The secrets redacted from everything the child writes (see
    /// [`CodexOptions::secrets_for`]).
    #[must_use]
    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn provider_keys_named_in_codex_home_config_are_secret_variables() {
        let home = tempfile::tempdir().expect("a temp dir");
        std::fs::write(
            home.path().join("config.toml"),
            "model_provider = \"corp\"\n[model_providers.corp]\nbase_url = \"https://x\"\nenv_key = \"CORP_GATEWAY_CRED\"\n\n[mcp_servers.docs]\nurl = \"https://y\"\nbearer_token_env_var = \"DOCS_PAT\"\n",
        )
        .expect("write config.toml");
        let codex = CodexOptions::new().env([
            ("CODEX_HOME", home.path().as_os_str()),
            (
                "CORP_GATEWAY_CRED",
                std::ffi::OsStr::new("corp-secret-123456"),
            ),
            ("DOCS_PAT", std::ffi::OsStr::new("docs-secret-654321")),
            ("UNRELATED", std::ffi::OsStr::new("plain-value-000000")),
        ]);
        let input = Input::from("x");
        let spec = build(&ExecRequest::new(&input).codex_options(&codex));
        assert_eq!(
            codex.secret_env_names(spec.env()),
            ["CORP_GATEWAY_CRED", "DOCS_PAT"]
        );
        let secrets: Vec<&str> = spec.secrets.iter().map(Secret::expose).collect();
        assert_eq!(secrets, ["corp-secret-123456", "docs-secret-654321"]);
    }

    fn os(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    fn build(request: &ExecRequest<'_>) -> CommandSpec {
        request
            .build(&CodexBinary::new("/bin/codex"))
            .expect("valid request")
    }

    #[test]
    fn every_option_in_typescript_order() {
        let codex = CodexOptions::new()
            .config_entry("approval_policy", "never")
            .config_overrides(["a.b=1"])
            .base_url("http://127.0.0.1:1/v1");
        let thread = ThreadOptions::new()
            .model("gpt-5.5")
            .thread_source("user")
            .sandbox_mode(SandboxMode::WorkspaceWrite)
            .working_directory("/w")
            .additional_directories(["/x", "/y"])
            .skip_git_repo_check(true)
            .model_reasoning_effort(ReasoningEffort::High)
            .network_access_enabled(false)
            .web_search_enabled(true)
            .approval_policy(ApprovalPolicy::OnRequest);
        let turn = TurnOptions::new().cyber_access_program(CyberAccessProgram::DaybreakBlue);
        let input = Input::Items(vec![
            UserInput::Text("a".into()),
            UserInput::LocalImage("/i.png".into()),
            UserInput::Text("b".into()),
        ]);
        let spec = build(
            &ExecRequest::new(&input)
                .codex_options(&codex)
                .thread_options(&thread)
                .turn_options(&turn)
                .resume("t-1")
                .inherited_env([("HOME", "/h")]),
        );
        assert_eq!(
            spec.args(),
            os(&[
                "exec",
                "--experimental-json",
                "--config",
                "approval_policy=\"never\"",
                "--config",
                "a.b=1",
                "--config",
                "openai_base_url=\"http://127.0.0.1:1/v1\"",
                "--model",
                "gpt-5.5",
                "--sandbox",
                "workspace-write",
                "--cd",
                "/w",
                "--add-dir",
                "/x",
                "--add-dir",
                "/y",
                "--skip-git-repo-check",
                "--cyber-access-program",
                "daybreak_blue",
                "--config",
                "model_reasoning_effort=\"high\"",
                "--config",
                "sandbox_workspace_write.network_access=false",
                "--config",
                "web_search=\"live\"",
                "--config",
                "approval_policy=\"on-request\"",
                "resume",
                "t-1",
                "--image",
                "/i.png",
            ])
        );
        assert_eq!(spec.stdin(), "a\n\nb");
        assert_eq!(spec.program(), std::path::Path::new("/bin/codex"));
    }

    #[test]
    fn untrusted_approval_is_refused_before_spawning() {
        let input = Input::from("x");
        for policy in [ApprovalPolicy::Untrusted, ApprovalPolicy::from("untrusted")] {
            let thread = ThreadOptions::new().approval_policy(policy);
            let err = ExecRequest::new(&input)
                .thread_options(&thread)
                .build(&CodexBinary::new("codex"))
                .expect_err("untrusted is refused");
            assert!(
                matches!(&err, Error::UnsupportedApprovalPolicy { policy } if policy == "untrusted")
            );
            assert!(
                err.to_string().contains("not supported by `codex exec`"),
                "{err}"
            );
        }
    }

    #[test]
    fn fork_replaces_resume_and_keeps_exec_flags_before_it() {
        let input = Input::from("");
        let thread = ThreadOptions::new()
            .thread_source("sdk")
            .skip_git_repo_check(true);
        let spec = ExecRequest::new(&input)
            .thread_options(&thread)
            .resume("t-1")
            .fork("t-2")
            .build(&CodexBinary::new("codex"))
            .expect("a fork command");
        let args: Vec<String> = spec
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args[args.len() - 3..],
            ["--skip-git-repo-check", "fork", "t-2"]
        );
        assert!(!args.iter().any(|a| a == "resume" || a == "--thread-source"));
        let err = ExecRequest::new(&input)
            .fork("--last")
            .build(&CodexBinary::new("codex"))
            .expect_err("flag-like id");
        assert!(matches!(&err, Error::InvalidThreadId { id } if id == "--last"));
    }

    #[test]
    fn resume_ids_that_look_like_flags_are_refused() {
        let input = Input::from("x");
        let err = ExecRequest::new(&input)
            .resume("--last")
            .build(&CodexBinary::new("codex"))
            .expect_err("flag-like id");
        assert!(
            matches!(&err, Error::InvalidThreadId { id } if id == "--last"),
            "{err:?}"
        );
    }

    #[test]
    fn env_is_inherited_or_replaced_and_gets_originator_and_key() {
        let input = Input::from("x");
        let codex = CodexOptions::new().api_key("sk-test");
        let spec = build(
            &ExecRequest::new(&input)
                .codex_options(&codex)
                .inherited_env([("HOME", "/h"), (API_KEY_ENV, "old")]),
        );
        let vars: Vec<_> = spec.env().iter().collect();
        assert_eq!(
            vars,
            [
                (OsStr::new(API_KEY_ENV), OsStr::new("sk-test")),
                (OsStr::new(ORIGINATOR_ENV), OsStr::new(ORIGINATOR)),
                (OsStr::new("HOME"), OsStr::new("/h")),
            ]
        );

        let codex = CodexOptions::new().env([("ONLY", "1"), (ORIGINATOR_ENV, "mine")]);
        let spec = build(
            &ExecRequest::new(&input)
                .codex_options(&codex)
                .inherited_env([("HOME", "/h")]),
        );
        let vars: Vec<_> = spec.env().iter().collect();
        assert_eq!(
            vars,
            [
                (OsStr::new(ORIGINATOR_ENV), OsStr::new("mine")),
                (OsStr::new("ONLY"), OsStr::new("1"))
            ]
        );
    }

    #[test]
    fn env_var_adds_to_the_inherited_or_replaced_environment() {
        let input = Input::from("x");
        let codex = CodexOptions::new()
            .env_var("EXTRA", "1")
            .env_var("HOME", "/mine")
            .env_var("EXTRA", "2");
        let spec = build(
            &ExecRequest::new(&input)
                .codex_options(&codex)
                .inherited_env([("HOME", "/h"), ("KEPT", "k")]),
        );
        let vars: Vec<_> = spec.env().iter().collect();
        assert_eq!(
            vars,
            [
                (OsStr::new(ORIGINATOR_ENV), OsStr::new(ORIGINATOR)),
                (OsStr::new("EXTRA"), OsStr::new("2")),
                (OsStr::new("HOME"), OsStr::new("/mine")),
                (OsStr::new("KEPT"), OsStr::new("k")),
            ]
        );
        assert_eq!(
            codex.codex_home(),
            Some(std::path::PathBuf::from("/mine/.codex"))
        );

        // Before or after `env`, the variable lands on the replaced environment.
        for codex in [
            CodexOptions::new()
                .env_var("EXTRA", "1")
                .env([("ONLY", "1")]),
            CodexOptions::new()
                .env([("ONLY", "1")])
                .env_var("EXTRA", "1"),
        ] {
            let spec = build(
                &ExecRequest::new(&input)
                    .codex_options(&codex)
                    .inherited_env([("HOME", "/h")]),
            );
            let names: Vec<_> = spec.env().iter().map(|(k, _)| k).collect();
            assert_eq!(
                names,
                [
                    OsStr::new(ORIGINATOR_ENV),
                    "EXTRA".as_ref(),
                    "ONLY".as_ref()
                ]
            );
            assert!(format!("{codex:?}").contains("EXTRA"), "{codex:?}");
        }
        // Names only: a value never shows, and an API key set this way is a secret like any.
        let codex = CodexOptions::new().env_var(OPENAI_API_KEY_ENV, "sk-planted-123");
        assert!(
            !format!("{codex:?}").contains("sk-planted-123"),
            "{codex:?}"
        );
        let spec = build(
            &ExecRequest::new(&input)
                .codex_options(&codex)
                .inherited_env([("HOME", "/h")]),
        );
        assert!(
            codex
                .secrets_for(spec.env())
                .iter()
                .any(|secret| secret.expose() == "sk-planted-123"),
            "an API key set with env_var is redacted like one inherited"
        );
    }

    #[test]
    fn path_dirs_are_prepended_once() {
        let mut vars = BTreeMap::from([("PATH".into(), OsString::from("/a::/pkg:/b:/pkg"))]);
        prepend_path(&mut vars, &os(&["/pkg", "/pkg2"]), false);
        assert_eq!(vars[OsStr::new("PATH")], "/pkg:/pkg2:/a:/b");

        let mut vars = BTreeMap::new();
        prepend_path(&mut vars, &os(&["/pkg"]), false);
        assert_eq!(vars[OsStr::new("PATH")], "/pkg");
    }

    #[test]
    fn windows_path_spellings_collapse_onto_one_key() {
        let mut vars = BTreeMap::from([
            ("PATH".into(), OsString::from(r"C:\a")),
            ("Path".into(), OsString::from(r"C:\b;C:\pkg")),
        ]);
        prepend_path(&mut vars, &os(&[r"C:\pkg"]), true);
        assert_eq!(
            vars,
            BTreeMap::from([("Path".into(), OsString::from(r"C:\pkg;C:\b"))])
        );

        let mut vars = BTreeMap::from([("PaTh".into(), OsString::from(r"C:\a"))]);
        prepend_path(&mut vars, &os(&[r"C:\pkg"]), true);
        assert_eq!(
            vars,
            BTreeMap::from([("PaTh".into(), OsString::from(r"C:\pkg;C:\a"))])
        );
    }

    #[test]
    fn the_api_key_never_shows_in_debug_or_errors() {
        const KEY: &str = "sk-secret-4242";
        let codex = CodexOptions::new().api_key(KEY).env([("X", "1")]);
        let input = Input::from("x");
        let spec = build(&ExecRequest::new(&input).codex_options(&codex));
        assert_eq!(spec.env().get(API_KEY_ENV), Some(OsStr::new(KEY)));
        let debug = format!("{codex:?} {spec:?} {:?}", spec.env());
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");

        let failing = [
            TurnOptions::new().output_schema(json!([])),
            TurnOptions::new().output_schema(json!({})),
        ];
        let bad_codex = codex.clone().config_entry("k", Value::Null);
        for turn in &failing {
            let err = ExecRequest::new(&input)
                .codex_options(&bad_codex)
                .turn_options(turn)
                .build(&CodexBinary::new("codex"))
                .expect_err("invalid");
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(KEY), "{shown}");
        }
    }

    #[test]
    fn relative_paths_reach_the_app_server_absolute() {
        let cwd = std::env::current_dir().expect("a working directory");
        let lossy = |path: PathBuf| path.to_string_lossy().into_owned();
        let params = ThreadOptions::new()
            .working_directory("w")
            .additional_directories(["x", "/y"])
            .thread_start_params();
        assert_eq!(params.cwd, Some(lossy(cwd.join("w"))));
        let expected = json!({
            "sandbox_workspace_write": {"writable_roots": [lossy(cwd.join("x")), "/y"]},
        });
        assert_eq!(params.config.map(Value::Object), Some(expected));
    }

    #[test]
    fn enums_round_trip_their_spelling() {
        assert_eq!(SandboxMode::from("read-only"), SandboxMode::ReadOnly);
        assert_eq!(ReasoningEffort::from("xhigh"), ReasoningEffort::XHigh);
        assert_eq!(WebSearchMode::from("cached").to_string(), "cached");
        assert_eq!(
            CyberAccessProgram::from("daybreak_red"),
            CyberAccessProgram::DaybreakRed
        );
        assert_eq!(
            ApprovalPolicy::from("later"),
            ApprovalPolicy::Other("later".into())
        );
        assert_eq!(ApprovalPolicy::Other("later".into()).as_str(), "later");
    }
}
