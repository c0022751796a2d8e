//! The Rust side of `cargo xtask parity`: `xtask __parity-driver <job.json>`, the twin of
//! `xtask/parity/driver.mjs`.
//!
//! Both drivers read the same job (the scenario's options in the TypeScript SDK's spelling,
//! the codex path, the mode, the turns), run it on their SDK, and print one JSON document on
//! stdout: `{"turns": [{"events": [...], "result": {...}, "error": {...}, "threadId": "..."}]}`.
//! Events and items are printed as codex wrote them (codex-agent-sdk's types re-serialize
//! losslessly); `result` uses the TypeScript names (`items`, `finalResponse`, `usage`).
//! Errors become `{category, message, exitCode, signal}`, with the categories `turn_failed`,
//! `process_exit`, `aborted`, `protocol`, `invalid_options`, `spawn`, `other`.
//!
//! It runs as its own process, like the node driver, so that both start from the same
//! environment (the parent clears it and passes the same variables to both).

use std::path::PathBuf;

use codex_agent_sdk::{
    ApprovalPolicy, CancelHandle, Codex, CodexOptions, CyberAccessProgram, Error, Input,
    ReasoningEffort, SandboxMode, Thread, ThreadOptions, TurnOptions, UserInput, WebSearchMode,
};
use futures::StreamExt as _;
use serde_json::{Map, Value, json};

/// `xtask __parity-driver <job.json>`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let [job] = args else {
        return Err("usage: xtask __parity-driver <job.json>".to_owned());
    };
    let text = std::fs::read_to_string(job).map_err(|e| format!("cannot read {job}: {e}"))?;
    let job: Value = serde_json::from_str(&text).map_err(|e| format!("{job}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let output = runtime.block_on(drive(&job))?;
    println!("{output}");
    Ok(())
}

async fn drive(job: &Value) -> Result<Value, String> {
    let codex_path = job["codexPath"].as_str().ok_or("job without codexPath")?;
    let options = codex_options(object(&job["codex"])?)?.codex_path(codex_path);
    let codex = Codex::new(options).map_err(|e| format!("Codex::new failed: {e}"))?;
    let thread_options = thread_options(object(&job["thread"])?)?;
    let streamed = match job["mode"].as_str() {
        Some("streamed") => true,
        Some("run") => false,
        other => return Err(format!("unknown mode {other:?}")),
    };
    let mut thread = codex.start_thread(thread_options.clone());
    let mut turns = Vec::new();
    for spec in job["turns"].as_array().ok_or("job without turns")? {
        if spec["thread"].as_str() == Some("resume_by_id") {
            let id = thread
                .id()
                .ok_or("resume_by_id before the thread has an id")?;
            thread = codex.resume_thread(id, thread_options.clone());
        }
        let input = input(&spec["input"])?;
        let mut turn_options = turn_options(object(&spec["turn"])?)?;
        let abort = &spec["abort"];
        let cancel = CancelHandle::new();
        if !abort.is_null() {
            turn_options = turn_options.cancel_handle(cancel.clone());
        }
        if abort["when_held"].as_bool() == Some(true) {
            // The parent writes a line once the model's reply is held.
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                if std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                    cancel.cancel();
                }
            });
        }
        let after_events = abort["after_events"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok());
        let mut out = Map::new();
        if streamed {
            let (events, error) =
                streamed_turn(&thread, input, turn_options, after_events, &cancel).await;
            out.insert("events".to_owned(), Value::Array(events));
            out.insert(
                "error".to_owned(),
                error.map_or(Value::Null, |e| error_json(&e)),
            );
        } else {
            match thread.run(input, turn_options).await {
                Ok(turn) => {
                    let items: Vec<Value> = turn.items.iter().map(to_json).collect();
                    out.insert(
                        "result".to_owned(),
                        json!({
                            "items": items,
                            "finalResponse": turn.final_response,
                            "usage": turn.usage.as_ref().map_or(Value::Null, to_json),
                        }),
                    );
                    out.insert("error".to_owned(), Value::Null);
                }
                Err(error) => {
                    out.insert("error".to_owned(), error_json(&error));
                }
            }
        }
        out.insert(
            "threadId".to_owned(),
            thread.id().map_or(Value::Null, Value::from),
        );
        turns.push(Value::Object(out));
    }
    Ok(json!({ "turns": turns }))
}

/// Every event of a streamed turn, and the error that ended it, if any.
async fn streamed_turn(
    thread: &Thread,
    input: Input,
    options: TurnOptions,
    after_events: Option<usize>,
    cancel: &CancelHandle,
) -> (Vec<Value>, Option<Error>) {
    let mut events = Vec::new();
    let mut stream = match thread.run_streamed(input, options).await {
        Ok(stream) => stream,
        Err(error) => return (events, Some(error)),
    };
    while let Some(event) = stream.next().await {
        match event {
            Ok(event) => events.push(to_json(&event)),
            Err(error) => return (events, Some(error)),
        }
        if after_events == Some(events.len()) {
            cancel.cancel();
        }
    }
    (events, None)
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| json!({ "serialization error": e.to_string() }))
}

/// The category and details of an SDK error (see the [module docs](self)).
fn error_json(error: &Error) -> Value {
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(source) = cause {
        message.push_str(": ");
        message.push_str(&source.to_string());
        cause = source.source();
    }
    let (category, exit_code, signal) = match error {
        Error::TurnFailed { message: text, .. } => {
            message.clone_from(text);
            ("turn_failed", None, None)
        }
        Error::ProcessExit { code, signal, .. } => ("process_exit", *code, signal_name(*signal)),
        Error::Cancelled => ("aborted", None, None),
        Error::Protocol(_) => ("protocol", None, None),
        Error::InvalidOptions(_) => ("invalid_options", None, None),
        Error::Spawn(_) | Error::BinaryNotFound { .. } => ("spawn", None, None),
        _ => ("other", None, None),
    };
    json!({ "category": category, "message": message, "exitCode": exit_code, "signal": signal })
}

fn signal_name(signal: Option<i32>) -> Option<String> {
    let signal = signal?;
    Some(match signal {
        9 => "SIGKILL".to_owned(),
        15 => "SIGTERM".to_owned(),
        2 => "SIGINT".to_owned(),
        other => format!("signal {other}"),
    })
}

fn object(value: &Value) -> Result<Map<String, Value>, String> {
    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map.clone()),
        other => Err(format!("expected an object, got {other}")),
    }
}

fn string(key: &str, value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("`{key}` must be a string, got {value}"))
}

fn boolean(key: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("`{key}` must be a boolean, got {value}"))
}

fn strings(key: &str, value: &Value) -> Result<Vec<String>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("`{key}` must be an array"))?
        .iter()
        .map(|item| string(key, item))
        .collect()
}

/// The TypeScript `CodexOptions` as codex-agent-sdk options.
fn codex_options(map: Map<String, Value>) -> Result<CodexOptions, String> {
    let mut options = CodexOptions::new();
    for (key, value) in map {
        options = match key.as_str() {
            "config" => options.config(object(&value)?),
            "configOverrides" => options.config_overrides(strings(&key, &value)?),
            "baseUrl" => options.base_url(string(&key, &value)?),
            "apiKey" => options.api_key(string(&key, &value)?),
            "env" => {
                let vars = object(&value)?
                    .into_iter()
                    .map(|(name, value)| string(&name, &value).map(|value| (name, value)))
                    .collect::<Result<Vec<_>, String>>()?;
                options.env(vars)
            }
            other => {
                return Err(format!(
                    "the Rust driver does not know CodexOptions.{other}"
                ));
            }
        };
    }
    Ok(options)
}

/// The TypeScript `ThreadOptions` as codex-agent-sdk options.
fn thread_options(map: Map<String, Value>) -> Result<ThreadOptions, String> {
    let mut options = ThreadOptions::new();
    for (key, value) in map {
        options = match key.as_str() {
            "model" => options.model(string(&key, &value)?),
            "threadSource" => options.thread_source(string(&key, &value)?),
            "sandboxMode" => {
                options.sandbox_mode(SandboxMode::from(string(&key, &value)?.as_str()))
            }
            "workingDirectory" => options.working_directory(string(&key, &value)?),
            "additionalDirectories" => options
                .additional_directories(strings(&key, &value)?.into_iter().map(PathBuf::from)),
            "skipGitRepoCheck" => options.skip_git_repo_check(boolean(&key, &value)?),
            "modelReasoningEffort" => options
                .model_reasoning_effort(ReasoningEffort::from(string(&key, &value)?.as_str())),
            "networkAccessEnabled" => options.network_access_enabled(boolean(&key, &value)?),
            "webSearchMode" => {
                options.web_search_mode(WebSearchMode::from(string(&key, &value)?.as_str()))
            }
            "webSearchEnabled" => options.web_search_enabled(boolean(&key, &value)?),
            "approvalPolicy" => {
                options.approval_policy(ApprovalPolicy::from(string(&key, &value)?.as_str()))
            }
            other => {
                return Err(format!(
                    "the Rust driver does not know ThreadOptions.{other}"
                ));
            }
        };
    }
    Ok(options)
}

/// The TypeScript `TurnOptions` (without `signal`) as codex-agent-sdk options.
fn turn_options(map: Map<String, Value>) -> Result<TurnOptions, String> {
    let mut options = TurnOptions::new();
    for (key, value) in map {
        options = match key.as_str() {
            "outputSchema" => options.output_schema(value),
            "cyberAccessProgram" => options
                .cyber_access_program(CyberAccessProgram::from(string(&key, &value)?.as_str())),
            other => return Err(format!("the Rust driver does not know TurnOptions.{other}")),
        };
    }
    Ok(options)
}

/// A TypeScript `Input`: a string or `[{type: "text" | "local_image", ...}]`.
fn input(value: &Value) -> Result<Input, String> {
    if let Some(text) = value.as_str() {
        return Ok(Input::from(text));
    }
    let parts = value
        .as_array()
        .ok_or("input must be a string or an array")?;
    let parts = parts
        .iter()
        .map(|part| match part["type"].as_str() {
            Some("text") => string("text", &part["text"]).map(UserInput::Text),
            Some("local_image") => {
                string("path", &part["path"]).map(|path| UserInput::LocalImage(path.into()))
            }
            other => Err(format!("unknown input part type {other:?}")),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Input::from(parts))
}
