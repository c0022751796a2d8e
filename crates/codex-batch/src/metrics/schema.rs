//! JSON Schema validity of a structured result, with the `jsonschema` crate.

use serde_json::Value;

use crate::Error;

/// The longest message kept per violation, in bytes: messages quote the offending value,
/// which may be large.
const MAX_MESSAGE_LEN: usize = 300;

/// A compiled `output_schema`, to check structured results against.
///
/// The draft is detected from `$schema` (Draft 4, 6, 7, 2019-09 and 2020-12 are supported;
/// without `$schema`, 2020-12). References to other documents (`$ref` to a URL or a file)
/// are not fetched: such a schema fails to compile with [`Error::InvalidSchema`], so
/// that checking a result never touches the network or the file system.
///
/// ```
/// use codex_agent_batch::metrics::SchemaValidator;
/// use serde_json::json;
///
/// let schema = json!({"type": "object", "required": ["answer"],
///                     "properties": {"answer": {"type": "integer"}}});
/// let validator = SchemaValidator::new(&schema)?;
/// assert!(validator.violations(&json!({"answer": 42})).is_empty());
/// let violations = validator.violations(&json!({"answer": "42"}));
/// assert_eq!(violations[0].instance_path, "/answer");
/// # Ok::<(), codex_agent_batch::Error>(())
/// ```
pub struct SchemaValidator {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

/// One way a value does not satisfy a schema.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct SchemaViolation {
    /// Where in the value, as a JSON Pointer (`""` for the value itself, `/answer/0`).
    pub instance_path: String,
    /// Which keyword of the schema, as a JSON Pointer (`/properties/answer/type`).
    pub schema_path: String,
    /// What is wrong, in words (at most 300 bytes).
    pub message: String,
}

impl SchemaValidator {
    /// Compiles `schema`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSchema`] when `schema` is not a valid JSON Schema or refers to
    /// another document.
    pub fn new(schema: &Value) -> Result<Self, Error> {
        jsonschema::validator_for(schema)
            .map(|validator| Self { validator })
            .map_err(|error| Error::InvalidSchema {
                reason: truncate(format!("{error} (at {})", error.schema_path())),
            })
    }

    /// Whether `value` satisfies the schema.
    #[must_use]
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// Every way `value` does not satisfy the schema; empty when it does.
    #[must_use]
    pub fn violations(&self, value: &Value) -> Vec<SchemaViolation> {
        self.validator
            .iter_errors(value)
            .map(|error| SchemaViolation {
                instance_path: error.instance_path().to_string(),
                schema_path: error.schema_path().to_string(),
                message: truncate(error.to_string()),
            })
            .collect()
    }
}

/// Cuts `text` to at most [`MAX_MESSAGE_LEN`] bytes, on a character boundary, marking the cut.
fn truncate(mut text: String) -> String {
    if text.len() > MAX_MESSAGE_LEN {
        let mut end = MAX_MESSAGE_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_invalid_schema_is_a_typed_error() {
        let error = SchemaValidator::new(&json!({"type": "no-such-type"})).expect_err("invalid");
        assert!(matches!(error, Error::InvalidSchema { .. }), "{error:?}");
    }

    #[test]
    fn remote_references_are_not_fetched() {
        let schema = json!({"$ref": "https://example.invalid/schema.json"});
        let error = SchemaValidator::new(&schema).expect_err("not fetched");
        assert!(matches!(error, Error::InvalidSchema { .. }), "{error:?}");
    }

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "array", "items": {"type": "string"}}},
            "required": ["a", "b", "c"],
            "additionalProperties": false
        });
        let validator = SchemaValidator::new(&schema).expect("compiles");
        let mut paths: Vec<String> = validator
            .violations(&json!({"a": 1.5, "b": ["x", 2], "d": true}))
            .into_iter()
            .map(|v| format!("{} {}", v.instance_path, v.schema_path))
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                " /additionalProperties",
                " /required",
                "/a /properties/a/type",
                "/b/1 /properties/b/items/type",
            ]
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let validator = SchemaValidator::new(&json!({"type": "integer"})).expect("compiles");
        let violations = validator.violations(&json!("é".repeat(1000)));
        assert!(violations[0].message.len() <= MAX_MESSAGE_LEN + '…'.len_utf8());
        assert!(violations[0].message.ends_with('…'));
    }
}
