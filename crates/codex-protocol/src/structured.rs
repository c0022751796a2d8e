//! Structured output that cannot be rejected: JSON Schemas normalized to OpenAI strict mode.
//!
//! The Responses API checks `text.format` schemas in strict mode and answers
//! `400 invalid_json_schema` (which codex reports as a failed turn) when a schema breaks its
//! rules. Schemas derived from Rust types break them routinely: optional fields are not listed
//! in `required`, objects allow additional properties, integer formats such as `uint32` are
//! unknown, enums with data use `oneOf`. [`strict_schema`] rewrites a schema so that it obeys
//! the rules, and rejects, naming the path, what strict mode cannot express at all.
//!
//! The rules applied:
//!
//! - every object gets `additionalProperties: false` and lists every property in `required`;
//!   properties that were optional become nullable (`anyOf: [schema, {"type": "null"}]`, or a
//!   `"null"` added to a `type` list);
//! - `oneOf` becomes `anyOf`; a single-entry `allOf` is inlined;
//! - keywords strict mode does not support are dropped (`default`, `examples`, `$schema`,
//!   `deprecated`, `readOnly`, `writeOnly`, `$comment`, `contentEncoding`,
//!   `contentMediaType`), and so are `format` values it does not know (`uint32`, `int64`,
//!   `double`, ...);
//! - rejected, with the path: boolean subschemas (`true`/`false`, what `serde_json::Value`
//!   fields produce), free-form maps (`additionalProperties` with a schema, `HashMap` fields),
//!   `patternProperties`, `not`, `if`/`then`/`else`, multi-entry `allOf`, and a root that is not
//!   an object.

use serde_json::{Map, Value, json};

/// Why a schema cannot be made strict, with the JSON pointer of the offending subschema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    /// JSON pointer into the schema (`""` is the root).
    pub path: String,
    /// What strict mode cannot express there.
    pub reason: String,
}

impl std::fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{}: {}", path, self.reason)
    }
}

const DROPPED: &[&str] = &[
    "default",
    "examples",
    "$schema",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
    "contentEncoding",
    "contentMediaType",
];

const KNOWN_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Removes from `answer` the `null`s that [`strict_schema`] let in: a property that `schema`
/// (the schema *before* [`strict_schema`]) does not require and that the answer sets to `null`
/// is removed, so that it reads as absent. Strict mode makes every property required and the
/// optional ones nullable, so a model answers an optional field with `null`; the type the
/// schema was derived from may not take `null` there (a `#[serde(default)]` field that is not
/// an `Option`) but does take its absence.
///
/// Follows `properties`, array `items` and local `$ref`s (`#/$defs/…`, `#/definitions/…`)
/// along the answer; inside alternatives (`anyOf`, `oneOf`) nothing is removed, since which
/// one the answer took is not known.
pub fn drop_optional_nulls(schema: &Value, answer: &mut Value) {
    drop_nulls_at(schema, schema, answer);
}

fn drop_nulls_at(root: &Value, schema: &Value, answer: &mut Value) {
    let Some(schema) = resolve(root, schema) else {
        return;
    };
    match answer {
        Value::Object(fields) => {
            let Some(Value::Object(properties)) = schema.get("properties") else {
                return;
            };
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            fields.retain(|name, value| {
                !(value.is_null()
                    && properties.contains_key(name)
                    && !required.contains(&name.as_str()))
            });
            for (name, value) in fields.iter_mut() {
                if let Some(property) = properties.get(name) {
                    drop_nulls_at(root, property, value);
                }
            }
        }
        Value::Array(elements) => {
            if let Some(items) = schema.get("items") {
                for element in elements {
                    drop_nulls_at(root, items, element);
                }
            }
        }
        _ => {}
    }
}

/// `schema`, or the local definition its `$ref` names (`None` for a reference elsewhere).
/// Chains of references are followed a bounded number of times.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..16 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Some(schema);
        };
        schema = root.pointer(reference.strip_prefix('#')?)?;
    }
    None
}

/// Returns `schema` rewritten to obey OpenAI strict mode.
///
/// # Errors
///
/// A [`SchemaIssue`] naming the first subschema strict mode cannot express.
pub fn strict_schema(schema: &Value) -> Result<Value, SchemaIssue> {
    let mut out = schema.clone();
    match out.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        _ => {
            return Err(SchemaIssue {
                path: String::new(),
                reason: "the root of an output schema must be an object (`\"type\": \"object\"`)"
                    .into(),
            });
        }
    }
    normalize(&mut out, "")?;
    Ok(out)
}

fn issue(path: &str, reason: impl Into<String>) -> SchemaIssue {
    SchemaIssue {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn normalize(schema: &mut Value, path: &str) -> Result<(), SchemaIssue> {
    let Value::Object(obj) = schema else {
        return Err(issue(
            path,
            "boolean subschemas (`true`/`false`, e.g. from a `serde_json::Value` field) are not allowed in strict mode",
        ));
    };
    for key in DROPPED {
        obj.remove(*key);
    }
    if let Some(Value::String(format)) = obj.get("format")
        && !KNOWN_FORMATS.contains(&format.as_str())
    {
        obj.remove("format");
    }
    for unsupported in [
        "patternProperties",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedProperties",
        "propertyNames",
    ] {
        if obj.contains_key(unsupported) {
            return Err(issue(
                path,
                format!("`{unsupported}` is not supported in strict mode"),
            ));
        }
    }
    if let Some(one_of) = obj.remove("oneOf") {
        obj.insert("anyOf".into(), one_of);
    }
    if let Some(all_of) = obj.remove("allOf") {
        match all_of {
            Value::Array(mut parts) if parts.len() == 1 => {
                if let Some(Value::Object(inner)) = parts.pop() {
                    for (k, v) in inner {
                        obj.entry(k).or_insert(v);
                    }
                }
                return normalize(schema, path);
            }
            _ => {
                return Err(issue(
                    path,
                    "`allOf` with several schemas is not supported in strict mode",
                ));
            }
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = obj.get_mut(key) {
            for (name, def) in defs.iter_mut() {
                normalize(def, &format!("{path}/{key}/{name}"))?;
            }
        }
    }
    if let Some(Value::Array(variants)) = obj.get_mut("anyOf") {
        for (i, v) in variants.iter_mut().enumerate() {
            normalize(v, &format!("{path}/anyOf/{i}"))?;
        }
    }
    if let Some(items) = obj.get_mut("items") {
        normalize(items, &format!("{path}/items"))?;
    }
    if let Some(Value::Array(items)) = obj.get_mut("prefixItems") {
        for (i, v) in items.iter_mut().enumerate() {
            normalize(v, &format!("{path}/prefixItems/{i}"))?;
        }
    }
    let is_object = match obj.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => obj.contains_key("properties"),
    };
    if is_object {
        normalize_object(obj, path)?;
    }
    Ok(())
}

fn normalize_object(obj: &mut Map<String, Value>, path: &str) -> Result<(), SchemaIssue> {
    match obj.get("additionalProperties") {
        Some(Value::Bool(true)) if !obj.contains_key("properties") => {
            return Err(issue(
                path,
                "free-form objects (maps) are not supported in strict mode",
            ));
        }
        None | Some(Value::Bool(_)) => {}
        Some(_) => {
            return Err(issue(
                path,
                "maps (`additionalProperties` with a schema, e.g. a `HashMap` field) are not supported in strict mode",
            ));
        }
    }
    obj.insert("additionalProperties".into(), Value::Bool(false));
    let required: Vec<String> = match obj.get("required") {
        Some(Value::Array(r)) => r
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let mut names = Vec::new();
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (name, prop) in props.iter_mut() {
            normalize(prop, &format!("{path}/properties/{name}"))?;
            if !required.contains(name) {
                make_nullable(prop);
            }
            names.push(Value::String(name.clone()));
        }
    }
    obj.insert("required".into(), Value::Array(names));
    if !obj.contains_key("properties") {
        obj.insert("properties".into(), json!({}));
    }
    Ok(())
}

fn make_nullable(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    let has_enum = obj.contains_key("enum");
    match obj.get_mut("type") {
        Some(Value::String(t)) if t == "null" => return,
        Some(Value::String(t)) if !has_enum => {
            let t = std::mem::take(t);
            obj.insert("type".into(), json!([t, "null"]));
            return;
        }
        Some(Value::Array(ts)) => {
            if !ts.iter().any(|t| t == "null") {
                ts.push(Value::String("null".into()));
            }
            if let Some(Value::Array(values)) = obj.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            return;
        }
        _ => {}
    }
    if let Some(Value::Array(variants)) = obj.get_mut("anyOf") {
        if !variants
            .iter()
            .any(|v| v.get("type") == Some(&json!("null")))
        {
            variants.push(json!({"type": "null"}));
        }
        return;
    }
    let inner = std::mem::take(obj);
    let description = inner.get("description").cloned();
    let mut wrapped = Map::new();
    if let Some(d) = description {
        wrapped.insert("description".into(), d);
    }
    wrapped.insert(
        "anyOf".into(),
        json!([Value::Object(inner), {"type": "null"}]),
    );
    *obj = wrapped;
}

/// Lists every strict-mode violation in `schema` (empty when it complies). Used by tests to
/// check [`strict_schema`]'s output, and available to callers who build schemas by hand.
#[must_use]
pub fn strict_violations(schema: &Value) -> Vec<SchemaIssue> {
    let mut out = Vec::new();
    if schema.get("type") != Some(&json!("object")) {
        out.push(issue("", "the root must be an object"));
    }
    violations(schema, "", &mut out);
    out
}

fn violations(schema: &Value, path: &str, out: &mut Vec<SchemaIssue>) {
    let Value::Object(obj) = schema else {
        out.push(issue(path, "boolean subschema"));
        return;
    };
    for key in obj.keys() {
        if DROPPED.contains(&key.as_str())
            || [
                "oneOf",
                "allOf",
                "not",
                "if",
                "then",
                "else",
                "patternProperties",
            ]
            .contains(&key.as_str())
        {
            out.push(issue(path, format!("unsupported keyword `{key}`")));
        }
    }
    if let Some(Value::String(f)) = obj.get("format")
        && !KNOWN_FORMATS.contains(&f.as_str())
    {
        out.push(issue(path, format!("unsupported format `{f}`")));
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        if obj.get("additionalProperties") != Some(&Value::Bool(false)) {
            out.push(issue(path, "object without `additionalProperties: false`"));
        }
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, prop) in props {
            if !required.contains(&name.as_str()) {
                out.push(issue(
                    path,
                    format!("property `{name}` is not in `required`"),
                ));
            }
            violations(prop, &format!("{path}/properties/{name}"), out);
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = obj.get(key) {
            for (name, def) in defs {
                violations(def, &format!("{path}/{key}/{name}"), out);
            }
        }
    }
    if let Some(Value::Array(vs)) = obj.get("anyOf") {
        for (i, v) in vs.iter().enumerate() {
            violations(v, &format!("{path}/anyOf/{i}"), out);
        }
    }
    if let Some(items) = obj.get("items") {
        violations(items, &format!("{path}/items"), out);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use schemars::{JsonSchema, schema_for};
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize, JsonSchema)]
    #[expect(dead_code, reason = "only the schema is used")]
    struct Review {
        /// One-line verdict.
        verdict: Verdict,
        score: u32,
        comments: Vec<Comment>,
        follow_up: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Deserialize, JsonSchema)]
    enum Verdict {
        Approve,
        RequestChanges,
    }

    #[derive(Deserialize, JsonSchema)]
    #[expect(dead_code, reason = "only the schema is used")]
    struct Comment {
        file: String,
        line: Option<u64>,
        severity: Severity,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    #[expect(dead_code, reason = "only the schema is used")]
    enum Severity {
        Nit,
        Bug { explanation: String },
    }

    #[test]
    fn derived_schemas_become_strict() {
        let raw = serde_json::to_value(schema_for!(Review)).expect("schema serializes");
        assert!(
            !strict_violations(&raw).is_empty(),
            "the raw derived schema is not strict: {raw}"
        );
        let strict = strict_schema(&raw).expect("normalizes");
        assert_eq!(strict_violations(&strict), Vec::new(), "{strict:#}");
        let required = strict["required"].as_array().expect("required list");
        assert_eq!(required.len(), 5);
        assert_eq!(
            strict["properties"]["follow_up"]["type"],
            json!(["string", "null"])
        );
    }

    #[test]
    fn free_form_values_and_maps_are_rejected_with_their_path() {
        #[derive(JsonSchema)]
        #[expect(dead_code, reason = "only the schema is used")]
        struct Loose {
            anything: serde_json::Value,
        }
        #[derive(JsonSchema)]
        #[expect(dead_code, reason = "only the schema is used")]
        struct Mapped {
            counts: HashMap<String, u32>,
        }
        let loose = serde_json::to_value(schema_for!(Loose)).expect("schema");
        let err = strict_schema(&loose).expect_err("`true` subschema");
        assert_eq!(err.path, "/properties/anything");
        let mapped = serde_json::to_value(schema_for!(Mapped)).expect("schema");
        let err = strict_schema(&mapped).expect_err("map");
        assert_eq!(err.path, "/properties/counts");
        assert!(err.reason.contains("maps"), "{err}");
    }

    /// A `#[serde(default)]` field that is not an `Option` becomes nullable in strict mode; the
    /// model's `null` for it is dropped so that the type reads its default, at any depth
    /// (through `$ref`s and arrays), while a required field's `null` stays.
    #[test]
    fn nulls_strict_mode_let_in_are_dropped_before_parsing() {
        #[derive(JsonSchema, serde::Deserialize, Debug, PartialEq)]
        struct Note {
            #[serde(default)]
            text: String,
            maybe: Option<u32>,
        }
        #[derive(JsonSchema, serde::Deserialize, Debug, PartialEq)]
        struct Answer {
            #[serde(default)]
            note: String,
            #[serde(default)]
            tags: Vec<String>,
            notes: Vec<Note>,
            first: Note,
            required_option: Option<String>,
        }
        let raw = serde_json::to_value(schema_for!(Answer)).expect("schema");
        let strict = strict_schema(&raw).expect("strict");
        assert_eq!(
            strict["properties"]["note"]["type"],
            json!(["string", "null"])
        );
        let mut answer = json!({
            "note": null,
            "tags": null,
            "notes": [{"text": null, "maybe": null}, {"text": "t", "maybe": 3}],
            "first": {"text": null, "maybe": 1},
            "required_option": null,
        });
        assert!(serde_json::from_value::<Answer>(answer.clone()).is_err());
        drop_optional_nulls(&raw, &mut answer);
        let parsed: Answer = serde_json::from_value(answer).expect("parses after the drop");
        assert_eq!(parsed.note, "");
        assert!(parsed.tags.is_empty());
        assert_eq!(
            parsed.notes,
            [
                Note {
                    text: String::new(),
                    maybe: None
                },
                Note {
                    text: "t".into(),
                    maybe: Some(3)
                },
            ]
        );
        assert_eq!(
            parsed.first,
            Note {
                text: String::new(),
                maybe: Some(1)
            }
        );
        assert_eq!(parsed.required_option, None);
    }

    #[test]
    fn non_object_roots_are_rejected() {
        let err = strict_schema(&json!({"type": "string"})).expect_err("root");
        assert_eq!(err.path, "");
    }
}
