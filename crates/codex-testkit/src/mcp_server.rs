//! A tiny stdio MCP server for tests: tools `echo` and `add`.
//!
//! The protocol is the Model Context Protocol's stdio transport: newline-delimited JSON-RPC
//! 2.0 on stdin and stdout. The server answers what codex 0.169.0 sends to an MCP server it
//! starts: `initialize` (echoing the client's protocol version), `ping`, `tools/list`,
//! `tools/call`, and empty `resources/list`, `resources/templates/list` and `prompts/list`.
//! Notifications (`notifications/initialized`, ...) get no answer; other methods get error
//! `-32601`. It exits at end of input.
//!
//! | tool | arguments | result |
//! |---|---|---|
//! | `echo` | `{text: string}` | text content `echo: <text>` |
//! | `add` | `{a: integer, b: integer}` | text content `<sum>`, `structuredContent {sum}` |
//!
//! Like the fake codex ([`crate::fake_codex`]), the logic lives here so that any crate can
//! turn a target it owns into the server: this crate's `mcp-echo-server` binary, or a
//! three-line example calling [`main`] that [`locate`] finds next to the test executable.
//! Register it with
//! [`CodexHomeOptions::mcp_server`](crate::codex_home::CodexHomeOptions::mcp_server).

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

/// The `serverInfo.name` the server reports.
pub const SERVER_NAME: &str = "codex-testkit-echo";

/// The protocol version answered when the client names none.
const DEFAULT_PROTOCOL_VERSION: &str = "2025-06-18";

/// With this variable set, the server prints its [`fingerprint`] and exits.
pub const FINGERPRINT_ENV: &str = "MCP_ECHO_SERVER_FINGERPRINT";

/// A hash of this module's source: equal in the test and in a server built from the same code.
#[must_use]
pub fn fingerprint() -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    include_str!("mcp_server.rs").hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// Finds the server executable cargo built for the running test (an example `name` of the
/// package under test, else a binary) and checks that it was built from this code, as
/// [`crate::fake_codex::locate`] does for the fake codex.
///
/// # Panics
///
/// When the executable is missing or stale: the message says how to build it.
#[must_use]
pub fn locate(name: &str) -> PathBuf {
    crate::built_binary::locate(name, FINGERPRINT_ENV, &fingerprint())
}

/// Serves stdin and stdout until end of input (exit code 0, or 1 when stdio fails); with
/// [`FINGERPRINT_ENV`] set, prints the [`fingerprint`] instead.
#[must_use]
pub fn main() -> ExitCode {
    if std::env::var_os(FINGERPRINT_ENV).is_some() {
        let _ = writeln!(io::stdout(), "{}", fingerprint());
        return ExitCode::SUCCESS;
    }
    match serve(io::stdin().lock(), io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(io::stderr(), "mcp-echo-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Reads JSON-RPC messages, one per line, from `input` and writes the answers to `output`,
/// one per line, flushing each. Lines that are not JSON are skipped.
///
/// # Errors
///
/// When reading or writing fails.
pub fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if let Some(answer) = answer(&message) {
            writeln!(output, "{answer}")?;
            output.flush()?;
        }
    }
    Ok(())
}

/// The answer to one message: `None` for notifications and responses.
#[must_use]
pub fn answer(message: &Value) -> Option<Value> {
    let id = message.get("id")?.clone();
    let method = message.get("method")?.as_str()?;
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => Ok(json!({
            "protocolVersion": params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or(DEFAULT_PROTOCOL_VERSION),
            "capabilities": {"tools": {"listChanged": false}},
            "serverInfo": {"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")},
        })),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools()})),
        "tools/call" => call(&params),
        "resources/list" => Ok(json!({"resources": []})),
        "resources/templates/list" => Ok(json!({"resourceTemplates": []})),
        "prompts/list" => Ok(json!({"prompts": []})),
        other => Err((-32601, format!("method not found: {other}"))),
    };
    Some(match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    })
}

fn tools() -> Value {
    let read_only = json!({"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false});
    json!([
        {
            "name": "echo",
            "description": "Echo the given text back.",
            "inputSchema": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": false,
            },
            "annotations": read_only,
        },
        {
            "name": "add",
            "description": "Add two integers.",
            "inputSchema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
                "additionalProperties": false,
            },
            "outputSchema": {
                "type": "object",
                "properties": {"sum": {"type": "integer"}},
                "required": ["sum"],
            },
            "annotations": read_only,
        },
    ])
}

fn call(params: &Value) -> Result<Value, (i64, String)> {
    let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
    match params.get("name").and_then(Value::as_str) {
        Some("echo") => {
            let text = arguments.get("text").and_then(Value::as_str).unwrap_or("");
            Ok(
                json!({"content": [{"type": "text", "text": format!("echo: {text}")}], "isError": false}),
            )
        }
        Some("add") => {
            let int = |name: &str| arguments.get(name).and_then(Value::as_i64);
            let (Some(a), Some(b)) = (int("a"), int("b")) else {
                return Err((-32602, "add needs integer arguments `a` and `b`".to_owned()));
            };
            let sum = a.saturating_add(b);
            Ok(json!({
                "content": [{"type": "text", "text": sum.to_string()}],
                "structuredContent": {"sum": sum},
                "isError": false,
            }))
        }
        other => Err((-32602, format!("unknown tool {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: u64, method: &str, params: &Value) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
    }

    #[test]
    fn a_session_answers_requests_and_skips_notifications() {
        let input = [
            request(0, "initialize", &json!({"protocolVersion": "2025-03-26"})),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            request(
                1,
                "tools/call",
                &json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
            ),
            request(
                2,
                "tools/call",
                &json!({"name": "echo", "arguments": {"text": "ping"}}),
            ),
            request(3, "nope", &json!({})),
        ]
        .iter()
        .flat_map(|m| [m.to_string(), "not json".to_owned()])
        .collect::<Vec<_>>()
        .join("\n");
        let mut output = Vec::new();
        serve(input.as_bytes(), &mut output).expect("in-memory stdio");
        let answers: Vec<Value> = String::from_utf8(output)
            .expect("UTF-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        assert_eq!(
            answers,
            [
                json!({"jsonrpc": "2.0", "id": 0, "result": {
                    "protocolVersion": "2025-03-26",
                    "capabilities": {"tools": {"listChanged": false}},
                    "serverInfo": {"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")},
                }}),
                json!({"jsonrpc": "2.0", "id": 1, "result": {
                    "content": [{"type": "text", "text": "5"}],
                    "structuredContent": {"sum": 5},
                    "isError": false,
                }}),
                json!({"jsonrpc": "2.0", "id": 2, "result": {
                    "content": [{"type": "text", "text": "echo: ping"}],
                    "isError": false,
                }}),
                json!({"jsonrpc": "2.0", "id": 3, "error": {
                    "code": -32601, "message": "method not found: nope",
                }}),
            ]
        );
    }

    #[test]
    fn tools_list_names_both_tools() {
        let answer = answer(&request(7, "tools/list", &json!({}))).expect("an answer");
        let names: Vec<&str> = answer["result"]["tools"]
            .as_array()
            .expect("a tool list")
            .iter()
            .filter_map(|tool| tool["name"].as_str())
            .collect();
        assert_eq!(names, ["echo", "add"]);
    }
}
