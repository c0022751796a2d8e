//! Strict mode: [`Unknowns`] walks a parsed message and lists everything this crate does not
//! model, each as a path.
//!
//! A path is built from wire names: `params.item.type=futureItem` (an `Unknown` variant of a
//! tagged union), `params.turn.status=paused` (an `Unknown` string value),
//! `params.thread.newField` (a key kept in an `extra` map), `method=future/method` (a method
//! this crate does not know), and `[3]` for array positions.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[cfg(doc)]
use crate::Unknowns;

/// The walk behind [`Unknowns`] for app-server types. It is implemented for the
/// primitives and containers the wire types use (which the crate-wide trait leaves alone), and
/// every generated type implements [`Unknowns`] by delegating to it.
pub(crate) trait Walk {
    /// Appends one entry per unknown under `path`.
    fn walk(&self, path: &str, out: &mut Vec<String>);
}

/// Joins a path and a field name with a dot.
pub(crate) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Walks one struct field, named by its wire name.
pub(crate) fn collect_field<T: Walk + ?Sized>(
    value: &T,
    path: &str,
    name: &str,
    out: &mut Vec<String>,
) {
    value.walk(&join(path, name), out);
}

/// Reports every key of an `extra` map.
pub(crate) fn extra_unknowns(path: &str, extra: &Map<String, Value>, out: &mut Vec<String>) {
    out.extend(extra.keys().map(|k| join(path, k)));
}

/// Reports an `Unknown` value as `path=value` (strings verbatim, anything else as bounded
/// compact JSON).
pub(crate) fn unknown_value(path: &str, value: &Value, out: &mut Vec<String>) {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => {
            let mut text = other.to_string();
            if text.len() > 80 {
                let mut cut = 80;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            text
        }
    };
    out.push(format!("{path}={shown}"));
}

/// The camelCase wire name of a `snake_case` Rust field name (`thread_id` → `threadId`).
pub(crate) fn camel_case(name: &'static str) -> Cow<'static, str> {
    if !name.contains('_') {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

impl<T: Walk> Walk for Option<T> {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.walk(path, out);
        }
    }
}

impl<T: Walk> Walk for Vec<T> {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.walk(&format!("{path}[{i}]"), out);
        }
    }
}

impl<T: Walk> Walk for Box<T> {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        (**self).walk(path, out);
    }
}

impl<T: Walk> Walk for BTreeMap<String, T> {
    fn walk(&self, path: &str, out: &mut Vec<String>) {
        for (k, v) in self {
            v.walk(&join(path, k), out);
        }
    }
}

/// Opaque values: nothing inside them is "unknown".
macro_rules! opaque {
    ($($t:ty),*) => {
        $(impl Walk for $t {
            fn walk(&self, _: &str, _: &mut Vec<String>) {}
        })*
    };
}

opaque!(String, bool, i64, u64, f64, Value, Map<String, Value>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_converts_snake_names() {
        assert_eq!(camel_case("thread_id"), "threadId");
        assert_eq!(camel_case("delta"), "delta");
        assert_eq!(
            camel_case("cache_write_input_tokens"),
            "cacheWriteInputTokens"
        );
    }

    #[test]
    fn unknown_values_are_bounded() {
        let mut out = Vec::new();
        unknown_value("x", &Value::String("paused".into()), &mut out);
        unknown_value("y", &serde_json::json!({ "k": "é".repeat(100) }), &mut out);
        assert_eq!(out[0], "x=paused");
        assert!(out[1].chars().count() < 90, "{}", out[1]);
    }
}
