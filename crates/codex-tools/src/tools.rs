//! Dynamic tools on the app-server transport: functions of your program the model can call.
//!
//! A [`DynamicTool`] is a name, a description, a JSON Schema for its arguments and an async
//! handler. Declared on a thread (in codex-sdk, `ThreadOptions::tool`), its
//! [`spec`](DynamicTool::spec) is sent with `thread/start` (`dynamicTools`); when the model
//! calls it, codex sends `item/tool/call`, the client runs the handler with the arguments
//! ([`DynamicTool::call`], or [`answer`](crate::answer) for the whole request), and answers
//! `{contentItems, success}`: the text parts become the model's function call output. The call
//! shows up in the turn as a `dynamic_tool_call` item.
//!
//! ```
//! use codex_tools::tools::{DynamicTool, ToolOutput};
//! use serde_json::json;
//!
//! let weather = DynamicTool::new(
//!     "lookup_weather",
//!     "Look up the current weather for a city.",
//!     json!({
//!         "type": "object",
//!         "properties": {"city": {"type": "string"}},
//!         "required": ["city"],
//!         "additionalProperties": false
//!     }),
//!     |arguments| async move {
//!         let city = arguments["city"].as_str().ok_or("no city")?;
//!         Ok(ToolOutput::text(format!("Sunny in {city}, 21 C")))
//!     },
//! );
//! assert_eq!(weather.name(), "lookup_weather");
//! ```
//!
//! With typed arguments, the schema is derived from a Rust type and the handler gets that type
//! ([`DynamicTool::typed`]):
//!
//! ```
//! use codex_tools::tools::{DynamicTool, ToolOutput};
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Place {
//!     /// The city, in English.
//!     city: String,
//! }
//!
//! let weather = DynamicTool::typed(
//!     "lookup_weather",
//!     "Look up the current weather for a city.",
//!     |place: Place| async move { Ok(ToolOutput::text(format!("Sunny in {}, 21 C", place.city))) },
//! );
//! # let _ = weather;
//! ```
//!
//! Dynamic tools are an experimental app-server feature (a client must opt into codex's
//! experimental API for them). `codex exec` has none: in codex-sdk, a thread that declares
//! tools fails on the exec transport with `Error::Unsupported`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use codex_protocol::app_server::{
    DynamicFunctionTool, DynamicToolCallOutputContentItem, DynamicToolCallResponse,
    DynamicToolSpec, InputImageContent,
};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a tool handler returns.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, String>> + Send>>;

type Handler = dyn Fn(Value) -> ToolFuture + Send + Sync;

/// A tool the model can call, implemented by an async function of this program.
#[derive(Clone)]
pub struct DynamicTool {
    name: String,
    description: String,
    input_schema: Value,
    handler: Arc<Handler>,
}

impl fmt::Debug for DynamicTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicTool")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("input_schema", &self.input_schema)
            .finish_non_exhaustive()
    }
}

impl DynamicTool {
    /// A tool: the model sees `name`, `description` and `input_schema` (the JSON Schema of
    /// the arguments object); a call runs `handler` with the arguments the model chose.
    ///
    /// The handler's `Ok` output is sent with `success: true`; an `Err` message is sent as
    /// the output text with `success: false`, so the model learns what went wrong.
    pub fn new<F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ToolOutput, String>> + Send + 'static,
    {
        Self {
            name: name.into(),
            description: description.into(),
            input_schema,
            handler: Arc::new(move |arguments| Box::pin(handler(arguments))),
        }
    }

    /// A tool whose arguments are a `P`: the input schema is derived from `P` (its
    /// [`JsonSchema`] impl, doc comments included as descriptions), and a call parses the
    /// model's arguments into a `P` before `handler` sees them.
    ///
    /// Arguments that do not parse never reach the handler: the call fails (`success:
    /// false`) with a text naming the tool, the path of the offending field and what was
    /// wrong, so the model can retry with better ones. `P` should be a struct (the model's
    /// arguments are a JSON object).
    ///
    /// codex 0.169.0 drops the schema keywords it does not model before the model sees them,
    /// among them `format`, `minimum` and `maximum`: the model may well send a `300` for a
    /// `u8`, which then fails to parse as described.
    ///
    /// ```
    /// use codex_tools::tools::{DynamicTool, ToolOutput};
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    ///
    /// /// Where to look up the weather.
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Place {
    ///     /// The city, in English.
    ///     city: String,
    /// }
    ///
    /// let weather = DynamicTool::typed(
    ///     "lookup_weather",
    ///     "Look up the current weather for a city.",
    ///     |place: Place| async move { Ok(ToolOutput::text(format!("Sunny in {}", place.city))) },
    /// );
    /// assert_eq!(weather.input_schema()["required"], serde_json::json!(["city"]));
    /// ```
    pub fn typed<P, F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Self
    where
        P: DeserializeOwned + JsonSchema + 'static,
        F: Fn(P) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ToolOutput, String>> + Send + 'static,
    {
        let name = name.into();
        let tool = name.clone();
        Self {
            name,
            description: description.into(),
            input_schema: input_schema::<P>(),
            handler: Arc::new(move |arguments| -> ToolFuture {
                match parse_arguments::<P>(&tool, arguments) {
                    Ok(arguments) => Box::pin(handler(arguments)),
                    Err(message) => Box::pin(std::future::ready(Err(message))),
                }
            }),
        }
    }

    /// The name the model calls.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description the model reads.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The JSON Schema of the arguments.
    #[must_use]
    pub fn input_schema(&self) -> &Value {
        &self.input_schema
    }

    /// The `dynamicTools` entry of `thread/start` that declares this tool.
    #[must_use]
    pub fn spec(&self) -> DynamicToolSpec {
        DynamicToolSpec::Function(DynamicFunctionTool::new(
            self.name.clone(),
            self.description.clone(),
            self.input_schema.clone(),
        ))
    }

    /// Runs the handler with `arguments` and builds the answer to `item/tool/call`: the
    /// handler's output with `success: true`, or its error message as the one text part with
    /// `success: false`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the handler's future; nothing is answered.
    pub async fn call(&self, arguments: Value) -> DynamicToolCallResponse {
        match (self.handler)(arguments).await {
            Ok(output) => DynamicToolCallResponse::new(output.items, true),
            Err(message) => DynamicToolCallResponse::new(
                vec![DynamicToolCallOutputContentItem::text(message)],
                false,
            ),
        }
    }
}

/// The JSON Schema of `P` as a tool's input schema: subschemas inlined, so that every
/// property reads on its own (recursive types keep their `$ref`s, which codex 0.169.0 passes
/// on), without the `$schema` meta-schema key and the root `title`, which codex drops before
/// the schema reaches the model as the function's `parameters`. The type's doc comment stays,
/// as the `description`.
fn input_schema<P: JsonSchema>() -> Value {
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
fn parse_arguments<P: DeserializeOwned>(tool: &str, arguments: Value) -> Result<P, String> {
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
        tracing::debug!(tool, %message, "dynamic tool arguments do not parse");
        message
    })
}

/// The answer for a call to a tool this thread did not declare.
pub(crate) fn unknown_tool(name: &str) -> DynamicToolCallResponse {
    DynamicToolCallResponse::new(
        vec![DynamicToolCallOutputContentItem::text(format!(
            "unknown tool `{name}`: this thread declares no such tool"
        ))],
        false,
    )
}

/// The output of a tool call: text and image parts, in order.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ToolOutput {
    items: Vec<DynamicToolCallOutputContentItem>,
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

    /// Appends a text part.
    pub fn and_text(mut self, text: impl Into<String>) -> Self {
        self.items
            .push(DynamicToolCallOutputContentItem::text(text));
        self
    }

    /// Appends an image part (`https:` or `data:` URL).
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

    /// The parts.
    #[must_use]
    pub fn items(&self) -> &[DynamicToolCallOutputContentItem] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn echo() -> DynamicTool {
        DynamicTool::new(
            "echo",
            "Echoes its text.",
            json!({"type": "object", "properties": {"text": {"type": "string"}}}),
            |arguments| async move {
                match arguments["text"].as_str() {
                    Some(text) => {
                        Ok(ToolOutput::text(text).and_image_url("data:image/png;base64,AA"))
                    }
                    None => Err("`text` is missing".to_owned()),
                }
            },
        )
    }

    #[test]
    fn calls_answer_with_content_items_and_success() {
        futures::executor::block_on(async {
            let tool = echo();
            assert_eq!(
                serde_json::to_value(tool.call(json!({"text": "hi"})).await).expect("json"),
                json!({"contentItems": [
                    {"type": "inputText", "text": "hi"},
                    {"type": "inputImage", "imageUrl": "data:image/png;base64,AA"}
                ], "success": true})
            );
            assert_eq!(
                serde_json::to_value(tool.call(json!({})).await).expect("json"),
                json!({"contentItems": [{"type": "inputText", "text": "`text` is missing"}], "success": false})
            );
            assert_eq!(
                serde_json::to_value(tool.spec()).expect("json"),
                json!({"type": "function", "name": "echo", "description": "Echoes its text.",
                    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}})
            );
            assert_eq!(
                serde_json::to_value(unknown_tool("nope")).expect("json")["success"],
                false
            );
        });
    }

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

    fn lookup() -> DynamicTool {
        DynamicTool::typed("lookup", "Looks up.", |lookup: Lookup| async move {
            Ok(ToolOutput::text(format!("{lookup:?}")))
        })
    }

    #[test]
    fn typed_tools_derive_an_inline_schema() {
        expect_test::expect![[r#"
            {
              "description": "Where and when to look up the weather.",
              "properties": {
                "days": {
                  "description": "Days from today; today when absent.",
                  "format": "uint8",
                  "maximum": 255,
                  "minimum": 0,
                  "type": [
                    "integer",
                    "null"
                  ]
                },
                "place": {
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
                "place"
              ],
              "type": "object"
            }"#]]
        .assert_eq(&serde_json::to_string_pretty(lookup().input_schema()).expect("json"));
    }

    #[test]
    fn typed_tools_parse_their_arguments_or_say_what_is_wrong() {
        let tool = lookup();
        let output = |arguments: Value| {
            let response = futures::executor::block_on(tool.call(arguments));
            let text = match response.content_items.as_slice() {
                [DynamicToolCallOutputContentItem::InputText(text)] => text.text.clone(),
                other => panic!("one text part: {other:?}"),
            };
            (response.success, text)
        };
        expect_test::expect![[r#"
            [
                (
                    true,
                    "Lookup { place: Place { city: \"Paris\", country: \"FR\" }, days: Some(2) }",
                ),
                (
                    true,
                    "Lookup { place: Place { city: \"Paris\", country: \"FR\" }, days: None }",
                ),
                (
                    false,
                    "invalid arguments for `lookup` at `place`: missing field `country`",
                ),
                (
                    false,
                    "invalid arguments for `lookup` at `place.city`: invalid type: integer `3`, expected a string",
                ),
                (
                    false,
                    "invalid arguments for `lookup` at `days`: invalid value: integer `300`, expected u8",
                ),
                (
                    false,
                    "invalid arguments for `lookup`: missing field `place`",
                ),
                (
                    false,
                    "invalid arguments for `lookup`: invalid type: string \"Paris\", expected struct Lookup",
                ),
            ]
        "#]].assert_debug_eq(&[
            output(json!({"place": {"city": "Paris", "country": "FR"}, "days": 2})),
            output(json!({"place": {"city": "Paris", "country": "FR"}})),
            output(json!({"place": {"city": "Paris"}})),
            output(json!({"place": {"city": 3, "country": "FR"}})),
            output(json!({"place": {"city": "Paris", "country": "FR"}, "days": 300})),
            output(json!({})),
            output(json!("Paris")),
        ]);
    }
}
