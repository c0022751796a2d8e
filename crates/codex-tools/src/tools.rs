//! Host tools: functions of your program the model can call, on both transports.
//!
//! A [`Tool`] is a name, a description, a JSON Schema for its input, optional annotations and
//! namespace, and an async handler. Tools live in a [`ToolRegistry`](crate::registry::ToolRegistry),
//! which a thread serves to codex: on the app-server transport as `dynamicTools` (calls arrive
//! as `item/tool/call` and show up as `dynamic_tool_call` items), on the exec transport from
//! an in-process MCP server (feature `mcp`; calls show up as `mcp_tool_call` items).
//!
//! A typed tool is one expression: the input type derives its schema, the handler gets it
//! parsed, and returns text, JSON or images, or an error the model sees as an error.
//!
//! ```
//! use codex_agent_tools::tools::{Tool, ToolError};
//!
//! /// Two numbers to add.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Add {
//!     a: i64,
//!     b: i64,
//! }
//!
//! let add = Tool::typed("add", "Adds two integers.", |input: Add| async move {
//!     let sum = input.a.checked_add(input.b).ok_or("the sum overflows")?;
//!     Ok::<_, ToolError>(sum.to_string())
//! })
//! .read_only(true)
//! .idempotent(true);
//! assert_eq!(add.name(), "add");
//! assert_eq!(add.input_schema().expect("strict")["required"], serde_json::json!(["a", "b"]));
//! ```
//!
//! An `async fn` works as well as a closure:
//!
//! ```
//! use codex_agent_tools::tools::{Tool, ToolError, ToolOutput};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Place {
//!     /// The city, in English.
//!     city: String,
//! }
//!
//! async fn weather(place: Place) -> Result<ToolOutput, ToolError> {
//!     Ok(ToolOutput::json(serde_json::json!({"city": place.city, "sky": "clear"})))
//! }
//!
//! let tool = Tool::typed("weather", "The weather in a city.", weather).namespace("meteo");
//! assert_eq!(tool.qualified_name(), "meteo/weather");
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use codex_agent_protocol::app_server::{
    DynamicFunctionTool, DynamicToolCallOutputContentItem, DynamicToolCallResponse,
    InputImageContent,
};
use codex_agent_protocol::structured::{self, SchemaIssue};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a tool handler returns, boxed.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ToolError>> + Send>>;

type Handler = dyn Fn(Value) -> ToolFuture + Send + Sync;

/// A tool the model can call, implemented by an async function of this program.
///
/// Cheap to clone (the handler is shared).
#[derive(Clone)]
pub struct Tool {
    name: String,
    namespace: Option<String>,
    description: String,
    /// The schema made strict, or why it cannot be (a registration error).
    input_schema: Result<Value, SchemaIssue>,
    annotations: ToolAnnotations,
    timeout: Option<Duration>,
    handler: Arc<Handler>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("description", &self.description)
            .field("input_schema", &self.input_schema)
            .field("annotations", &self.annotations)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Hints about a tool's behaviour, passed on to codex (MCP `annotations` on the exec
/// transport; the app-server's dynamic tools have no field for them, so they are not sent
/// there).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    pub read_only: Option<bool>,
    /// The tool may destroy data (meaningful when not read-only).
    pub destructive: Option<bool>,
    /// Calling it twice with the same input has no further effect.
    pub idempotent: Option<bool>,
}

impl Tool {
    /// A tool with a hand-written input schema: a call runs `handler` with the arguments the
    /// model chose, as raw JSON.
    ///
    /// The schema is made strict-mode safe (see [`structured`]) when the tool is registered;
    /// a schema the normalizer refuses is a [`RegistrationError::Schema`](crate::registry::RegistrationError::Schema).
    #[expect(
        clippy::needless_pass_by_value,
        reason = "a schema is usually a `json!` literal; taking it by value reads best"
    )]
    pub fn new<F, Fut, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ToolError>> + Send + 'static,
        O: Into<ToolOutput>,
    {
        Self::with_handler(
            name.into(),
            description.into(),
            structured::strict_schema(&input_schema),
            Arc::new(move |arguments| {
                let call = handler(arguments);
                Box::pin(async move { call.await.map(Into::into) })
            }),
        )
    }

    /// A tool whose input is a `P`: the input schema is derived from `P` (its [`JsonSchema`]
    /// impl, doc comments included as descriptions) and made strict-mode safe; a call parses
    /// the model's arguments into a `P` before `handler` sees them.
    ///
    /// Arguments that do not parse never reach the handler: the call fails with an
    /// [`ToolErrorKind::InvalidArguments`] error naming the tool, the path of the offending
    /// field and what was wrong, which the model sees, so it can retry with better ones.
    /// `P` should be a struct (the model's arguments are a JSON object); optional fields
    /// become nullable and required, as strict mode wants, so the model sends `null` for them.
    pub fn typed<P, F, Fut, O>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Self
    where
        P: DeserializeOwned + JsonSchema + 'static,
        F: Fn(P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ToolError>> + Send + 'static,
        O: Into<ToolOutput>,
    {
        let name = name.into();
        let tool = name.clone();
        Self::with_handler(
            name,
            description.into(),
            structured::strict_schema(&derived_schema::<P>()),
            Arc::new(move |arguments| -> ToolFuture {
                match parse_arguments::<P>(&tool, arguments) {
                    Ok(arguments) => {
                        let call = handler(arguments);
                        Box::pin(async move { call.await.map(Into::into) })
                    }
                    Err(error) => Box::pin(std::future::ready(Err(error))),
                }
            }),
        )
    }

    fn with_handler(
        name: String,
        description: String,
        input_schema: Result<Value, SchemaIssue>,
        handler: Arc<Handler>,
    ) -> Self {
        Self {
            name,
            namespace: None,
            description,
            input_schema,
            annotations: ToolAnnotations::default(),
            timeout: None,
            handler,
        }
    }

    /// Puts the tool in a namespace: a `namespace` dynamic tool on the app-server, an MCP
    /// server of that name on exec (the model sees `mcp__<namespace>`).
    ///
    /// By default, no namespace (the registry's default MCP server, `host`, on exec).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Marks the tool as read-only (or not).
    ///
    /// By default, unspecified.
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.annotations.read_only = Some(read_only);
        self
    }

    /// Marks the tool as destructive (or not).
    ///
    /// By default, unspecified.
    #[must_use]
    pub fn destructive(mut self, destructive: bool) -> Self {
        self.annotations.destructive = Some(destructive);
        self
    }

    /// Marks the tool as idempotent (or not).
    ///
    /// By default, unspecified.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.annotations.idempotent = Some(idempotent);
        self
    }

    /// How long one call may take: after that the handler is dropped and the model gets a
    /// [`ToolErrorKind::Timeout`] error.
    ///
    /// By default, the registry's default timeout (see
    /// [`ToolRegistry::with_limits`](crate::registry::ToolRegistry::with_limits)).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The name the model calls.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace, if any.
    #[must_use]
    pub fn namespace_name(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// `namespace/name`, or `name` without a namespace: the key in a registry and in its
    /// metrics.
    #[must_use]
    pub fn qualified_name(&self) -> String {
        qualified(self.namespace.as_deref(), &self.name)
    }

    /// The description the model reads.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The strict-mode JSON Schema of the input, or why the schema cannot be made strict.
    ///
    /// # Errors
    ///
    /// The [`SchemaIssue`] the normalizer found.
    pub fn input_schema(&self) -> Result<&Value, &SchemaIssue> {
        self.input_schema.as_ref()
    }

    /// The annotations.
    #[must_use]
    pub fn annotations(&self) -> ToolAnnotations {
        self.annotations
    }

    /// The tool's own timeout, if set.
    #[must_use]
    pub fn timeout_limit(&self) -> Option<Duration> {
        self.timeout
    }

    /// The `function` entry of `dynamicTools` that declares this tool (without namespace).
    pub(crate) fn function_spec(&self) -> DynamicFunctionTool {
        DynamicFunctionTool::new(
            self.name.clone(),
            self.description.clone(),
            self.input_schema.clone().unwrap_or(Value::Null),
        )
    }

    /// Starts the handler on `arguments`. Panics in the handler's synchronous part happen
    /// here: callers run this inside a task.
    pub(crate) fn start(&self, arguments: Value) -> ToolFuture {
        (self.handler)(arguments)
    }
}

/// `namespace/name`, or `name`.
pub(crate) fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_owned(),
    }
}

/// The JSON Schema of `P`: subschemas inlined, without the `$schema` meta-schema key and the
/// root `title`, which codex drops before the schema reaches the model. The type's doc
/// comment stays, as the `description`.
fn derived_schema<P: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<P>();
    schema.remove("title");
    schema.to_value()
}

/// Parses a tool's arguments into a `P`, or says what is wrong with them, naming the tool
/// and the path of the field that does not fit.
fn parse_arguments<P: DeserializeOwned>(tool: &str, arguments: Value) -> Result<P, ToolError> {
    serde_path_to_error::deserialize(arguments).map_err(|error| {
        let path = error.path().to_string();
        let message = if path == "." {
            format!("invalid arguments for `{tool}`: {}", error.inner())
        } else {
            format!(
                "invalid arguments for `{tool}` at `{path}`: {}",
                error.inner()
            )
        };
        tracing::debug!(tool, %message, "tool arguments do not parse");
        ToolError::with_kind(ToolErrorKind::InvalidArguments, message)
    })
}

/// The output of a tool call: text and image parts, in order, and optionally a JSON value
/// (MCP `structuredContent` on exec; on the app-server it reaches the model as the text part
/// [`json`](Self::json) adds).
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ToolOutput {
    items: Vec<DynamicToolCallOutputContentItem>,
    structured: Option<Value>,
}

impl ToolOutput {
    /// No parts.
    pub fn new() -> Self {
        Self::default()
    }

    /// One text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new().and_text(text)
    }

    /// A JSON value: one text part with its serialization, and the value itself as the
    /// structured content.
    pub fn json(value: Value) -> Self {
        let mut output = Self::text(value.to_string());
        output.structured = Some(value);
        output
    }

    /// Appends a text part.
    pub fn and_text(mut self, text: impl Into<String>) -> Self {
        self.items
            .push(DynamicToolCallOutputContentItem::text(text));
        self
    }

    /// Appends an image part given by URL (`https:` or `data:`). On exec, only `data:` URLs
    /// become MCP images; other URLs are sent as text.
    ///
    /// # Panics
    ///
    /// Never: any string is an image URL part.
    pub fn and_image_url(mut self, url: impl Into<String>) -> Self {
        let image: InputImageContent =
            serde_json::from_value(serde_json::json!({ "imageUrl": url.into() }))
                .expect("a string is an image URL");
        self.items
            .push(DynamicToolCallOutputContentItem::InputImage(image));
        self
    }

    /// Appends an image part from base64 data and its MIME type (a `data:` URL).
    pub fn and_image(self, mime_type: &str, base64: &str) -> Self {
        self.and_image_url(format!("data:{mime_type};base64,{base64}"))
    }

    /// The parts.
    #[must_use]
    pub fn items(&self) -> &[DynamicToolCallOutputContentItem] {
        &self.items
    }

    /// The structured value, when the output is [`json`](Self::json).
    #[must_use]
    pub fn structured(&self) -> Option<&Value> {
        self.structured.as_ref()
    }
}

impl From<String> for ToolOutput {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for ToolOutput {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<Value> for ToolOutput {
    fn from(value: Value) -> Self {
        Self::json(value)
    }
}

/// What kind of failure a [`ToolError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolErrorKind {
    /// The handler returned an error.
    Failed,
    /// The arguments did not match the tool's input type.
    InvalidArguments,
    /// No tool of that name is registered.
    UnknownTool,
    /// The call took longer than the tool's timeout and was dropped.
    Timeout,
    /// The turn ended (or was dropped) while the call ran.
    Cancelled,
    /// The handler panicked.
    Panicked,
}

/// A failed tool call, as the model sees it: the message is the call's output, marked as an
/// error (`success: false` on the app-server, `isError: true` over MCP).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    kind: ToolErrorKind,
    message: String,
}

impl ToolError {
    /// A handler's error with this message.
    pub fn new(message: impl fmt::Display) -> Self {
        Self::with_kind(ToolErrorKind::Failed, message.to_string())
    }

    pub(crate) fn with_kind(kind: ToolErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ToolErrorKind {
        self.kind
    }

    /// The message the model sees.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// The answer to `item/tool/call` for a call's result.
pub(crate) fn dynamic_response(result: Result<ToolOutput, ToolError>) -> DynamicToolCallResponse {
    match result {
        Ok(output) => DynamicToolCallResponse::new(output.items, true),
        Err(error) => DynamicToolCallResponse::new(
            vec![DynamicToolCallOutputContentItem::text(error.message)],
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    /// Where and when to look up the weather.
    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[expect(dead_code, reason = "read through Debug only")]
    struct Lookup {
        /// The place.
        place: Place,
        /// Days from today; today when absent.
        days: Option<u8>,
    }

    #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
    #[expect(dead_code, reason = "read through Debug only")]
    struct Place {
        /// The city, in English.
        city: String,
        country: String,
    }

    fn lookup() -> Tool {
        Tool::typed("lookup", "Looks up.", |lookup: Lookup| async move {
            Ok(ToolOutput::text(format!("{lookup:?}")))
        })
    }

    #[test]
    fn typed_tools_derive_a_strict_inline_schema() {
        expect_test::expect![[r#"
            {
              "additionalProperties": false,
              "description": "Where and when to look up the weather.",
              "properties": {
                "days": {
                  "description": "Days from today; today when absent.",
                  "maximum": 255,
                  "minimum": 0,
                  "type": [
                    "integer",
                    "null"
                  ]
                },
                "place": {
                  "additionalProperties": false,
                  "description": "The place.",
                  "properties": {
                    "city": {
                      "description": "The city, in English.",
                      "type": "string"
                    },
                    "country": {
                      "type": "string"
                    }
                  },
                  "required": [
                    "city",
                    "country"
                  ],
                  "type": "object"
                }
              },
              "required": [
                "days",
                "place"
              ],
              "type": "object"
            }"#]]
        .assert_eq(
            &serde_json::to_string_pretty(lookup().input_schema().expect("strict")).expect("json"),
        );
    }

    #[tokio::test]
    async fn typed_tools_parse_their_arguments_or_say_what_is_wrong() {
        let tool = lookup();
        let mut outputs = Vec::new();
        for arguments in [
            json!({"place": {"city": "Paris", "country": "FR"}, "days": 2}),
            json!({"place": {"city": "Paris", "country": "FR"}, "days": null}),
            json!({"place": {"city": "Paris"}}),
            json!({"place": {"city": 3, "country": "FR"}}),
            json!({"place": {"city": "Paris", "country": "FR"}, "days": 300}),
            json!({}),
            json!("Paris"),
        ] {
            outputs.push(match tool.start(arguments).await {
                Ok(output) => Ok(output.items()[0].clone()),
                Err(error) => Err((error.kind(), error.message().to_owned())),
            });
        }
        expect_test::expect![[r#"
            [
                Ok(
                    InputText(
                        InputTextContent {
                            text: "Lookup { place: Place { city: \"Paris\", country: \"FR\" }, days: Some(2) }",
                            extra: {},
                        },
                    ),
                ),
                Ok(
                    InputText(
                        InputTextContent {
                            text: "Lookup { place: Place { city: \"Paris\", country: \"FR\" }, days: None }",
                            extra: {},
                        },
                    ),
                ),
                Err(
                    (
                        InvalidArguments,
                        "invalid arguments for `lookup` at `place`: missing field `country`",
                    ),
                ),
                Err(
                    (
                        InvalidArguments,
                        "invalid arguments for `lookup` at `place.city`: invalid type: integer `3`, expected a string",
                    ),
                ),
                Err(
                    (
                        InvalidArguments,
                        "invalid arguments for `lookup` at `days`: invalid value: integer `300`, expected u8",
                    ),
                ),
                Err(
                    (
                        InvalidArguments,
                        "invalid arguments for `lookup`: missing field `place`",
                    ),
                ),
                Err(
                    (
                        InvalidArguments,
                        "invalid arguments for `lookup`: invalid type: string \"Paris\", expected struct Lookup",
                    ),
                ),
            ]
        "#]]
        .assert_debug_eq(&outputs);
    }

    #[test]
    fn outputs_and_errors_become_dynamic_tool_responses() {
        assert_eq!(
            serde_json::to_value(dynamic_response(Ok(
                ToolOutput::text("hi").and_image("image/png", "AA")
            )))
            .expect("json"),
            json!({"contentItems": [
                {"type": "inputText", "text": "hi"},
                {"type": "inputImage", "imageUrl": "data:image/png;base64,AA"}
            ], "success": true})
        );
        assert_eq!(
            serde_json::to_value(dynamic_response(Err("no city".into()))).expect("json"),
            json!({"contentItems": [{"type": "inputText", "text": "no city"}], "success": false})
        );
        let json = ToolOutput::from(json!({"sum": 3}));
        assert_eq!(json.structured(), Some(&json!({"sum": 3})));
        assert_eq!(
            json.items(),
            &[DynamicToolCallOutputContentItem::text("{\"sum\":3}")]
        );
    }
}
