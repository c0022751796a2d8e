//! Captured requests ([`CapturedRequest`]) and the accessors tests assert with.

use serde_json::Value;

/// One HTTP request the mock server received, as codex sent it.
///
/// The JSON accessors read the Responses API request body (`model`, `input`, `tools`, `text`);
/// they return empty or `None` when the body is not JSON or lacks the field.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) json: Option<Value>,
}

impl CapturedRequest {
    /// The method, e.g. `POST`.
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path without the query, e.g. `/v1/responses`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query string without `?`, if any.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The first value of header `name` (case-insensitive). codex sends e.g. `originator`
    /// (`codex_exec` from `codex exec`), `authorization` (`Bearer <key>`), `user-agent`,
    /// `session-id`.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header, names lowercase, in arrival order.
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The raw body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON, if it is JSON.
    #[must_use]
    pub fn json(&self) -> Option<&Value> {
        self.json.as_ref()
    }

    /// The requested `model`.
    #[must_use]
    pub fn model(&self) -> Option<&str> {
        self.json.as_ref()?.get("model")?.as_str()
    }

    /// The `input` items: the conversation so far (messages, tool calls, tool outputs).
    #[must_use]
    pub fn input(&self) -> &[Value] {
        self.json
            .as_ref()
            .and_then(|json| json.get("input"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The `input` items whose `type` is `item_type`.
    #[must_use]
    pub fn input_items_of_type(&self, item_type: &str) -> Vec<&Value> {
        self.input()
            .iter()
            .filter(|item| item_type_of(item) == Some(item_type))
            .collect()
    }

    /// The texts of the `input` messages of `role` (`user`, `developer`, `assistant`), one
    /// entry per text content part, in order.
    #[must_use]
    pub fn message_texts(&self, role: &str) -> Vec<String> {
        self.input()
            .iter()
            .filter(|item| {
                item_type_of(item) == Some("message")
                    && item.get("role").and_then(Value::as_str) == Some(role)
            })
            .flat_map(|item| match item.get("content") {
                Some(Value::String(text)) => vec![text.clone()],
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|part| part.get("text").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The output codex reported for function call `call_id` (a `function_call_output`
    /// item), as text: a string output as is, a content array's text parts joined with `\n`.
    #[must_use]
    pub fn function_call_output(&self, call_id: &str) -> Option<String> {
        self.tool_output("function_call_output", call_id)
    }

    /// The output codex reported for custom (freeform) tool call `call_id`, e.g. an
    /// `apply_patch`, as text (see [`CapturedRequest::function_call_output`]).
    #[must_use]
    pub fn custom_tool_call_output(&self, call_id: &str) -> Option<String> {
        self.tool_output("custom_tool_call_output", call_id)
    }

    fn tool_output(&self, item_type: &str, call_id: &str) -> Option<String> {
        let item = self.input().iter().find(|item| {
            item_type_of(item) == Some(item_type)
                && item.get("call_id").and_then(Value::as_str) == Some(call_id)
        })?;
        Some(output_text(item.get("output")?))
    }

    /// The structured-output format, `text.format`: with `--output-schema`,
    /// `{type: "json_schema", strict: true, name: "codex_output_schema", schema}`.
    #[must_use]
    pub fn text_format(&self) -> Option<&Value> {
        self.json.as_ref()?.get("text")?.get("format")
    }

    /// Whether some `input` message carries an `input_image` part.
    #[must_use]
    pub fn has_image_input(&self) -> bool {
        self.input()
            .iter()
            .filter_map(|item| item.get("content").and_then(Value::as_array))
            .flatten()
            .any(|part| item_type_of(part) == Some("input_image"))
    }

    /// The names of the offered `tools`: a tool's `name`, or its `type` for hosted tools
    /// without one (`web_search`, `tool_search`).
    #[must_use]
    pub fn tool_names(&self) -> Vec<&str> {
        self.json
            .as_ref()
            .and_then(|json| json.get("tools"))
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|tool| {
                        tool.get("name")
                            .and_then(Value::as_str)
                            .or_else(|| item_type_of(tool))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn item_type_of(item: &Value) -> Option<&str> {
    item.get("type").and_then(Value::as_str)
}

fn output_text(output: &Value) -> String {
    match output {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        // Older codex versions sent `{content, success}`.
        Value::Object(fields) => fields
            .get("content")
            .map_or_else(|| output.to_string(), output_text),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(body: &Value) -> CapturedRequest {
        CapturedRequest {
            method: "POST".to_owned(),
            path: "/v1/responses".to_owned(),
            query: None,
            headers: vec![("originator".to_owned(), "codex_exec".to_owned())],
            body: body.to_string().into_bytes(),
            json: Some(body.clone()),
        }
    }

    #[test]
    fn reads_messages_outputs_and_format() {
        let req = request(&json!({
            "model": "gpt-5.5",
            "input": [
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
                {"type": "message", "role": "user", "content": [
                    {"type": "input_text", "text": "<image>"},
                    {"type": "input_image", "image_url": "data:image/png;base64,AA=="},
                    {"type": "input_text", "text": "say hi"},
                ]},
                {"type": "function_call_output", "call_id": "c1", "output": "Output:\nhello\n"},
                {"type": "function_call_output", "call_id": "c2", "output": [
                    {"type": "input_text", "text": "Wall time"}, {"type": "input_text", "text": "echo: ping"}]},
                {"type": "custom_tool_call_output", "call_id": "p1", "output": "Exit code: 0"},
            ],
            "tools": [{"type": "function", "name": "exec_command"}, {"type": "web_search"}],
            "text": {"format": {"type": "json_schema", "name": "codex_output_schema"}},
        }));
        assert_eq!(req.header("Originator"), Some("codex_exec"));
        assert_eq!(req.model(), Some("gpt-5.5"));
        assert_eq!(req.message_texts("user"), ["<image>", "say hi"]);
        assert_eq!(req.message_texts("developer"), ["rules"]);
        assert_eq!(
            req.function_call_output("c1").as_deref(),
            Some("Output:\nhello\n")
        );
        assert_eq!(
            req.function_call_output("c2").as_deref(),
            Some("Wall time\necho: ping")
        );
        assert_eq!(req.function_call_output("p1"), None);
        assert_eq!(
            req.custom_tool_call_output("p1").as_deref(),
            Some("Exit code: 0")
        );
        assert!(req.has_image_input());
        assert_eq!(req.tool_names(), ["exec_command", "web_search"]);
        assert_eq!(
            req.text_format().and_then(|format| format.get("name")),
            Some(&json!("codex_output_schema"))
        );
        assert_eq!(req.input_items_of_type("function_call_output").len(), 2);
    }

    #[test]
    fn non_json_body_reads_as_empty() {
        let mut req = request(&json!(null));
        req.json = None;
        assert!(req.input().is_empty());
        assert!(req.message_texts("user").is_empty());
        assert_eq!(req.text_format(), None);
        assert!(!req.has_image_input());
    }
}
