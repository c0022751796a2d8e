//! The scenario files `fixtures/parity/*.json`: what both SDKs are asked to do, and what the
//! scripted model answers.
//!
//! A scenario holds the SDK options in the TypeScript SDK's own spelling (`codex`, `thread`, and
//! per turn `input` and `turn`), handed to the node driver as they are and translated option by
//! option by the Rust driver ([`super::driver`]); the `CODEX_HOME` the run gets ([`Home`]); the
//! files its working directory starts with ([`Setup`]); and the model's side as data
//! ([`Response`], [`Event`]), turned into `codex_agent_testkit::sse` builders here.
//!
//! Strings in the options may use `<WORKDIR>`, the run's working directory; every scenario
//! runs with `workingDirectory: "<WORKDIR>"` and `skipGitRepoCheck: true` unless its `thread`
//! says otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::mock_server::{Gate, MockResponse, openai_error};
use codex_agent_testkit::sse::{self, Sse, SseEvent, StepStatus};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    /// The file name without `.json`; filled in by [`load`].
    #[serde(skip)]
    pub(crate) name: String,
    /// What the scenario covers, for the report.
    pub(crate) description: String,
    /// Which SDK entry points run: `streamed` (`runStreamed` / `run_streamed`) and `run`.
    #[serde(default = "both_modes")]
    pub(crate) modes: Vec<Mode>,
    /// The `CODEX_HOME` of every run.
    #[serde(default)]
    pub(crate) home: Home,
    /// Files and directories created in the working directory before the run.
    #[serde(default)]
    pub(crate) setup: Setup,
    /// The TypeScript SDK's `CodexOptions` (without `codexPathOverride`).
    #[serde(default)]
    pub(crate) codex: Map<String, Value>,
    /// The TypeScript SDK's `ThreadOptions`, over the defaults (see the [module docs](self)).
    #[serde(default)]
    pub(crate) thread: Map<String, Value>,
    /// The turns, run one after the other on one thread.
    pub(crate) turns: Vec<TurnSpec>,
    /// The model's replies to the `POST /v1/responses` of every turn, in order.
    pub(crate) responses: Vec<Response>,
}

fn both_modes() -> Vec<Mode> {
    vec![Mode::Streamed, Mode::Run]
}

/// An SDK entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    /// `runStreamed` / `run_streamed`: every event.
    Streamed,
    /// `run`: the collected turn.
    Run,
}

impl Mode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Streamed => "streamed",
            Self::Run => "run",
        }
    }
}

/// One turn of a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TurnSpec {
    /// A prompt, or `[{type: "text", text}, {type: "local_image", path}]`.
    pub(crate) input: Value,
    /// The TypeScript SDK's `TurnOptions` (without `signal`).
    #[serde(default)]
    pub(crate) turn: Map<String, Value>,
    /// `resume_by_id`: run this turn on a thread object made with `resumeThread(<id of the
    /// thread so far>)` instead of the same thread object.
    #[serde(default)]
    pub(crate) thread: Option<String>,
    /// Abort the turn: `{"after_events": n}` once n events arrived (streamed mode), or
    /// `{"when_held": true}` once the model's reply is held on its gate (both modes).
    #[serde(default)]
    pub(crate) abort: Option<Abort>,
    /// The error category both SDKs must end this turn with, in every mode (a string) or per
    /// mode (`{"streamed": …, "run": …}`); none by default.
    #[serde(default)]
    pub(crate) expect_error: Option<ExpectError>,
    /// codex-agent-sdk's expected error category where it deliberately differs from the TypeScript
    /// SDK (as `expect_error`; a missing mode expects no error). Overrides `expect_error` for
    /// codex-agent-sdk only; the difference itself must be in the allow-list.
    #[serde(default)]
    pub(crate) expect_error_rs: Option<ExpectError>,
    /// The types of the turn's completed items, in order, when given.
    #[serde(default)]
    pub(crate) expect_items: Option<Vec<String>>,
}

/// The expected error category of a turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum ExpectError {
    /// The same in both modes.
    Always(String),
    /// Per mode; a missing mode expects no error.
    PerMode {
        /// In streamed mode.
        #[serde(default)]
        streamed: Option<String>,
        /// In run mode.
        #[serde(default)]
        run: Option<String>,
    },
}

impl TurnSpec {
    /// The error category expected in `mode` of codex-agent-sdk (`rust`) or the TypeScript SDK.
    pub(crate) fn expected_error(&self, mode: Mode, rust: bool) -> Option<&str> {
        let expectation = match (&self.expect_error_rs, rust) {
            (Some(rs), true) => Some(rs),
            _ => self.expect_error.as_ref(),
        };
        match (expectation, mode) {
            (None, _) => None,
            (Some(ExpectError::Always(category)), _) => Some(category),
            (Some(ExpectError::PerMode { streamed, .. }), Mode::Streamed) => streamed.as_deref(),
            (Some(ExpectError::PerMode { run, .. }), Mode::Run) => run.as_deref(),
        }
    }
}

/// When a turn is aborted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Abort {
    /// After this many events (streamed mode only).
    #[serde(default)]
    pub(crate) after_events: Option<usize>,
    /// Once a reply with `hold_after` reached its gate: the parent tells the driver on stdin.
    #[serde(default)]
    pub(crate) when_held: bool,
}

/// The `CODEX_HOME` options (see `codex_agent_testkit::codex_home::CodexHomeOptions`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Home {
    /// Offer the `update_plan` tool.
    #[serde(default)]
    pub(crate) update_plan: bool,
    /// Register the testkit's MCP server (`echo`, `add`) as `kit`.
    #[serde(default)]
    pub(crate) mcp: bool,
}

impl Home {
    /// The testkit options; `mcp_server` is the command line of the MCP server.
    pub(crate) fn options(&self, mcp_server: &(String, Vec<String>)) -> CodexHomeOptions {
        let mut options = CodexHomeOptions::default().update_plan(self.update_plan);
        if self.mcp {
            options = options.mcp_server("kit", mcp_server.0.clone(), mcp_server.1.clone());
        }
        options
    }
}

/// What the working directory holds before the run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Setup {
    /// Directories, relative to the working directory.
    #[serde(default)]
    pub(crate) dirs: Vec<String>,
    /// Files, relative to the working directory.
    #[serde(default)]
    pub(crate) files: BTreeMap<String, FileContent>,
}

/// A file's content.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum FileContent {
    /// UTF-8 text.
    Text(String),
    /// Bytes in standard base64.
    Base64(String),
}

impl Setup {
    /// Creates the directories and files in `workdir`.
    pub(crate) fn apply(&self, workdir: &Path) -> Result<(), String> {
        for dir in &self.dirs {
            let path = workdir.join(dir);
            std::fs::create_dir_all(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        }
        for (name, content) in &self.files {
            let path = workdir.join(name);
            let bytes = match content {
                FileContent::Text(text) => text.clone().into_bytes(),
                FileContent::Base64(data) => base64_decode(data)?,
            };
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// Standard base64 (padding optional) to bytes.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            other => return Err(format!("invalid base64 character `{}`", char::from(other))),
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap_or_default());
        }
    }
    Ok(out)
}

/// One scripted answer to a `POST /v1/responses`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Response {
    /// An HTTP error with the OpenAI error body.
    Http {
        /// The status.
        http_error: u16,
        /// `error.code`.
        code: String,
        /// `error.message`.
        message: String,
    },
    /// An SSE stream.
    Sse(SseResponse),
}

/// An SSE reply: by default `response.created`, the events, `response.completed`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SseResponse {
    /// The response id.
    pub(crate) id: String,
    /// The events between `response.created` and `response.completed`.
    pub(crate) events: Vec<Event>,
    /// Whether to wrap the events in `response.created` / `response.completed`.
    #[serde(default = "yes")]
    pub(crate) complete: bool,
    /// Token usage in `response.completed`: `[input, cached, output, reasoning]`.
    #[serde(default)]
    pub(crate) usage: Option<[u64; 4]>,
    /// Hold the stream after this many events (counting `response.created`) until the run
    /// ends; the abort scenarios abort while it is held.
    #[serde(default)]
    pub(crate) hold_after: Option<usize>,
}

fn yes() -> bool {
    true
}

/// One model event, as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Event {
    /// An assistant message.
    Message { id: String, text: String },
    /// A reasoning item with summary parts.
    Reasoning { id: String, summary: Vec<String> },
    /// An `exec_command` call.
    ExecCommand { call_id: String, cmd: String },
    /// An `apply_patch` call.
    ApplyPatch { call_id: String, patch: String },
    /// An `update_plan` call; steps are `[text, "pending" | "in_progress" | "completed"]`.
    UpdatePlan {
        call_id: String,
        explanation: String,
        steps: Vec<(String, String)>,
    },
    /// A call of an MCP server's tool.
    McpToolCall {
        call_id: String,
        server: String,
        tool: String,
        arguments: Value,
    },
    /// A hosted web search.
    WebSearchCall { id: String, query: String },
    /// `response.failed`.
    ResponseFailed { code: String, message: String },
}

impl Event {
    fn sse(&self, response_id: &str) -> Result<Vec<SseEvent>, String> {
        Ok(match self {
            Self::Message { id, text } => vec![sse::assistant_message(id, text)],
            Self::Reasoning { id, summary } => {
                let parts: Vec<&str> = summary.iter().map(String::as_str).collect();
                vec![sse::reasoning(id, &parts)]
            }
            Self::ExecCommand { call_id, cmd } => vec![sse::exec_command(call_id, cmd)],
            Self::ApplyPatch { call_id, patch } => vec![sse::apply_patch(call_id, patch)],
            Self::UpdatePlan {
                call_id,
                explanation,
                steps,
            } => {
                let steps = steps
                    .iter()
                    .map(|(text, status)| {
                        let status = match status.as_str() {
                            "pending" => StepStatus::Pending,
                            "in_progress" => StepStatus::InProgress,
                            "completed" => StepStatus::Completed,
                            other => return Err(format!("unknown plan step status `{other}`")),
                        };
                        Ok((text.as_str(), status))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                vec![sse::update_plan(call_id, explanation, &steps)]
            }
            Self::McpToolCall {
                call_id,
                server,
                tool,
                arguments,
            } => vec![sse::mcp_tool_call(call_id, server, tool, arguments)],
            Self::WebSearchCall { id, query } => sse::web_search_call(id, query),
            Self::ResponseFailed { code, message } => {
                vec![sse::response_failed(response_id, code, message)]
            }
        })
    }
}

impl Response {
    /// The mock response, and the gate it is held on, if any.
    pub(crate) fn mock(&self) -> Result<(MockResponse, Option<Gate>), String> {
        match self {
            Self::Http {
                http_error,
                code,
                message,
            } => Ok((
                MockResponse::error(
                    *http_error,
                    openai_error(message, "invalid_request_error", code),
                ),
                None,
            )),
            Self::Sse(reply) => {
                let mut events = Vec::new();
                for event in &reply.events {
                    events.extend(event.sse(&reply.id)?);
                }
                let body = if reply.complete {
                    let usage = reply.usage.map_or_else(sse::Usage::default, |u| {
                        sse::Usage::new(u[0], u[2]).cached(u[1]).reasoning(u[3])
                    });
                    Sse::reply_with_usage(&reply.id, events, &usage)
                } else {
                    Sse::from_events(
                        std::iter::once(sse::response_created(&reply.id)).chain(events),
                    )
                };
                let mut response = MockResponse::sse(body);
                let mut gate = None;
                if let Some(after) = reply.hold_after {
                    let held = Gate::new();
                    response = response.hold_after(after, &held);
                    gate = Some(held);
                }
                Ok((response, gate))
            }
        }
    }
}

impl Scenario {
    /// The thread options with the defaults filled in and `<WORKDIR>` replaced.
    pub(crate) fn thread_options(&self, workdir: &Path) -> Value {
        let mut thread = Map::new();
        thread.insert("workingDirectory".to_owned(), "<WORKDIR>".into());
        thread.insert("skipGitRepoCheck".to_owned(), true.into());
        thread.extend(self.thread.clone());
        substitute(&Value::Object(thread), workdir)
    }
}

/// Replaces `<WORKDIR>` in every string of `value`.
pub(crate) fn substitute(value: &Value, workdir: &Path) -> Value {
    let dir = workdir.to_string_lossy();
    match value {
        Value::String(text) => Value::String(text.replace("<WORKDIR>", &dir)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, workdir)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, workdir)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every `*.json` scenario under `dir` except `allowlist.json`, sorted by name.
pub(crate) fn load(dir: &Path) -> Result<Vec<Scenario>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "json")
                && path
                    .file_name()
                    .is_some_and(|name| name != "allowlist.json")
        })
        .collect();
    paths.sort();
    let mut scenarios = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut scenario: Scenario = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid scenario: {e}", path.display()))?;
        scenario.name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        for response in &scenario.responses {
            // Building the mock response checks the script (e.g. plan step statuses).
            response
                .mock()
                .map(drop)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGk="), Ok(b"hi".to_vec()));
        assert_eq!(base64_decode("aGk"), Ok(b"hi".to_vec()));
        assert_eq!(base64_decode("AAEC/w=="), Ok(vec![0, 1, 2, 255]));
        assert!(base64_decode("a*").is_err());
    }

    #[test]
    fn every_committed_scenario_loads() {
        let dir = crate::project_root().join("fixtures/parity");
        let scenarios = load(&dir).expect("the scenarios load");
        assert!(scenarios.len() >= 15, "{} scenarios", scenarios.len());
    }

    #[test]
    fn workdir_is_substituted_in_defaults_and_options() {
        let scenario: Scenario = serde_json::from_value(serde_json::json!({
            "description": "x",
            "thread": {"additionalDirectories": ["<WORKDIR>/a"], "skipGitRepoCheck": false},
            "turns": [{"input": "hi"}],
            "responses": [],
        }))
        .expect("a scenario");
        assert_eq!(
            scenario.thread_options(Path::new("/w")),
            serde_json::json!({
                "workingDirectory": "/w",
                "skipGitRepoCheck": false,
                "additionalDirectories": ["/w/a"],
            })
        );
    }
}
