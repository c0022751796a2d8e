//! Normalization of what legitimately differs between two runs of the same scenario.
//!
//! Every string of an observation goes through [`Normalizer::string`]:
//!
//! - the run's own paths become placeholders: `<WORKDIR>`, `<CODEX_HOME>`, `<SHIM>` (the argv
//!   recorder), `<CODEX>` (the real binary), canonical forms included;
//! - the random part of the output schema's temporary directory becomes `<RANDOM>`
//!   (`/tmp/codex-output-schema-<RANDOM>/schema.json`);
//! - the mock's port becomes `<PORT>` (`127.0.0.1:<PORT>`);
//! - UUIDs (thread, turn, session, installation and message ids) become `<ID-1>`, `<ID-2>`, …
//!   in order of first appearance, so that equal ids stay equal and different ids different;
//! - command durations (`Wall time: 0.0123 seconds`) become `<T>`, and the random id codex
//!   gives each chunk of command output (`Chunk ID: e1084f`) becomes `<CHUNK>`;
//! - the date in codex's environment context (`<current_date>2026-11-21</current_date>`)
//!   becomes `<DATE>`, so a run that crosses midnight compares equal.
//!
//! Object keys holding clock readings ([`VOLATILE_KEYS`]) are removed, and JSON objects hidden
//! in strings (codex's `x-codex-turn-metadata` header) are parsed, so they are compared field
//! by field. Objects are walked in key order, so the numbering does not depend on how a side
//! ordered its keys.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Keys whose values are clock readings, removed wherever they appear.
pub(crate) const VOLATILE_KEYS: &[&str] = &["turn_started_at_unix_ms"];

/// Normalizes one observation; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct Normalizer {
    /// Literal replacements, longest first.
    literals: Vec<(String, &'static str)>,
    ids: BTreeMap<String, String>,
}

impl Normalizer {
    /// A normalizer replacing each `(text, placeholder)` literal.
    pub(crate) fn new(literals: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let mut literals: Vec<(String, &'static str)> = literals
            .into_iter()
            .filter(|(text, _)| !text.is_empty())
            .collect();
        literals.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        literals.dedup();
        Self {
            literals,
            ids: BTreeMap::new(),
        }
    }

    /// `value` with every string normalized and every volatile key removed.
    pub(crate) fn value(&mut self, value: &Value) -> Value {
        match value {
            Value::String(text) => {
                let normalized = self.string(text);
                match serde_json::from_str::<Value>(&normalized) {
                    Ok(Value::Object(inner)) => self.value(&Value::Object(inner)),
                    _ => Value::String(normalized),
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for key in keys {
                    if VOLATILE_KEYS.contains(&key.as_str()) {
                        continue;
                    }
                    let normalized = self.value(&map[key]);
                    out.insert(key.clone(), normalized);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// One string, normalized.
    pub(crate) fn string(&mut self, text: &str) -> String {
        let mut text = text.to_owned();
        for (literal, placeholder) in &self.literals {
            if text.contains(literal.as_str()) {
                text = text.replace(literal.as_str(), placeholder);
            }
        }
        text = replace_after(&text, "codex-output-schema-", |c| c != '/', "<RANDOM>");
        text = replace_after(&text, "127.0.0.1:", |c| c.is_ascii_digit(), "<PORT>");
        text = replace_after(
            &text,
            "Wall time: ",
            |c| c.is_ascii_digit() || c == '.',
            "<T>",
        );
        text = replace_after(&text, "Chunk ID: ", |c| c.is_ascii_hexdigit(), "<CHUNK>");
        text = replace_after(
            &text,
            "<current_date>",
            |c| c.is_ascii_digit() || c == '-',
            "<DATE>",
        );
        self.uuids(&text)
    }

    /// Replaces every UUID with its numbered placeholder.
    fn uuids(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i + UUID_LEN <= bytes.len() {
            if is_uuid(&bytes[i..i + UUID_LEN]) {
                out.push_str(&text[copied..i]);
                let uuid = text[i..i + UUID_LEN].to_ascii_lowercase();
                let next = self.ids.len() + 1;
                let placeholder = self
                    .ids
                    .entry(uuid)
                    .or_insert_with(|| format!("<ID-{next}>"));
                out.push_str(placeholder);
                i += UUID_LEN;
                copied = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}

const UUID_LEN: usize = 36;

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

/// Replaces the run of characters accepted by `keep` that follows each `marker` with
/// `placeholder` (when the run is not empty).
fn replace_after(
    text: &str,
    marker: &str,
    keep: impl Fn(char) -> bool,
    placeholder: &str,
) -> String {
    if !text.contains(marker) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let run = after.find(|c: char| !keep(c)).unwrap_or(after.len());
        if run > 0 {
            out.push_str(placeholder);
        }
        rest = &after[run..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_ports_ids_and_durations_become_placeholders() {
        let mut n = Normalizer::new([
            ("/tmp/parity.abc/work".to_owned(), "<WORKDIR>"),
            ("/tmp/parity.abc".to_owned(), "<RUN>"),
        ]);
        let value = json!({
            "b": "resume 01a1fd14-d7a7-70d3-a8a3-1c29061613ee in /tmp/parity.abc/work/x",
            "a": "http://127.0.0.1:41471/v1 thread 01A1FD14-D7A7-70D3-A8A3-1C29061613EE",
            "c": ["/tmp/codex-output-schema-Xy12Ab/schema.json", "Chunk ID: e1084f\nWall time: 0.0123 seconds", "<current_date>2026-11-21</current_date>"],
            "d": "{\"turn_started_at_unix_ms\":1795247364026,\"id\":\"0199a213-81c0-7800-8aa1-bbab2a035a53\"}",
            "turn_started_at_unix_ms": 5,
        });
        assert_eq!(
            n.value(&value),
            json!({
                "a": "http://127.0.0.1:<PORT>/v1 thread <ID-1>",
                "b": "resume <ID-1> in <WORKDIR>/x",
                "c": ["/tmp/codex-output-schema-<RANDOM>/schema.json", "Chunk ID: <CHUNK>\nWall time: <T> seconds", "<current_date><DATE></current_date>"],
                "d": {"id": "<ID-2>"},
            })
        );
    }

    #[test]
    fn text_without_markers_is_unchanged() {
        let mut n = Normalizer::new([]);
        assert_eq!(n.string("127.0.0.1: plain"), "127.0.0.1: plain");
        assert_eq!(n.string("not-a-uuid-0000"), "not-a-uuid-0000");
    }
}
