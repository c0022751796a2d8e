//! Secrets as a type, and the one redactor every crate of the SDK uses.
//!
//! A [`Secret`] holds a key, a token or any other value that must never be shown: its `Debug`
//! and `Display` print [`REDACTED`], and the value is read only through
//! [`Secret::expose`]. The SDK stores every key it is given as a `Secret` and registers it
//! with a [`Redactor`], which is applied wherever text leaves the SDK: events, items, errors,
//! stderr tails and log records.
//!
//! A [`Redactor`] replaces, with [`REDACTED`]:
//!
//! - every occurrence of each configured secret value (the API key), literally;
//! - the token after `Bearer` (any case) and whitespace;
//! - `sk-` tokens (`sk-` at a word start followed by at least [`MIN_SK_TOKEN_LEN`] token
//!   characters), the shape of OpenAI keys;
//! - the value of assignments to names ending in `API_KEY` (`CODEX_API_KEY=…`,
//!   `OPENAI_API_KEY: "…"`).
//!
//! Redaction works on whole text; callers make sure no secret is cut by a buffer boundary
//! (see the stderr tail, which drops a partial first line).

use std::fmt;
use std::sync::Arc;

/// A secret value: an API key, a bearer token, a provider key.
///
/// `Debug` and `Display` print [`REDACTED`]; [`expose`](Self::expose) is the only way to the
/// value. Cheap to clone (the value is shared). Equality compares the values, so options
/// holding secrets can still be compared in tests.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The secret value itself. Every call site is a place where the secret leaves its box:
    /// keep them few (the SDK has one, where it builds codex's environment).
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Configured secrets shorter than this are not redacted literally: replacing every
/// occurrence of a two-letter "secret" would destroy the text and protect nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// The fewest token characters after `sk-` for the text to count as a key.
pub const MIN_SK_TOKEN_LEN: usize = 8;

/// Replaces secrets in text with [`REDACTED`]: each configured secret (at least
/// [`MIN_SECRET_LEN`] bytes long) literally, the token after `Bearer`, `sk-` keys, and values
/// assigned to names ending in `API_KEY`. Cheap to share behind an `Arc`; its `Debug` shows
/// how many secrets it holds, never the secrets.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Literal secrets, longest first so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for the given literal secrets (plus the built-in patterns).
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .map(Into::into)
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self { secrets }
    }

    /// A redactor for these [`Secret`]s (plus the built-in patterns).
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        Self::new(secrets.into_iter().map(|s| s.expose().to_owned()))
    }

    /// Adds one more literal secret (ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_owned());
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// How many literal secrets it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether it holds no literal secret (the built-in patterns still apply).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` contains one of the literal secrets. Cheap enough to run on every line
    /// of a stream before deciding to take the slow path.
    #[must_use]
    pub fn contains_secret(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// Returns `text` with every literal secret replaced by [`REDACTED`], without the
    /// built-in patterns. This is what events and items get: their text is the agent's work
    /// (command output, file contents), where a pattern such as `sk-…` may be legitimate, but
    /// a registered secret never is.
    #[must_use]
    pub fn redact_literal(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }

    /// Replaces every literal secret in every string (and object key) of a JSON value.
    /// Returns whether anything changed.
    pub fn redact_json_literal(&self, value: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                if self.contains_secret(text) {
                    *text = self.redact_literal(text);
                    true
                } else {
                    false
                }
            }
            Value::Array(items) => {
                let mut changed = false;
                for item in items {
                    changed |= self.redact_json_literal(item);
                }
                changed
            }
            Value::Object(map) => {
                let mut changed = false;
                if map.keys().any(|k| self.contains_secret(k)) {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        map.insert(self.redact_literal(&k), v);
                    }
                    changed = true;
                }
                for item in map.values_mut() {
                    changed |= self.redact_json_literal(item);
                }
                changed
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }

    /// Returns `text` with every secret replaced by [`REDACTED`].
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        redact_patterns(&out)
    }
}

/// Characters a bearer token may contain (RFC 6750 `b64token`).
fn is_bearer_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Characters of an `sk-` key.
fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// Characters of an environment variable name.
fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Replaces the built-in patterns in one left-to-right pass.
fn redact_patterns(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // Everything before `copied` has been written to `out`.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_name_char(bytes[i - 1]);
        if let Some((value_start, value_end)) = match_at(bytes, i, at_word_start) {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
            i = value_end;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// If a pattern starts at `i`, returns the byte range of the secret value to replace.
fn match_at(bytes: &[u8], i: usize, at_word_start: bool) -> Option<(usize, usize)> {
    if !at_word_start {
        return None;
    }
    let rest = &bytes[i..];
    if rest.len() >= 6 && rest[..6].eq_ignore_ascii_case(b"bearer") {
        let mut j = i + 6;
        let ws_start = j;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        let end = run_end(bytes, j, is_bearer_char);
        if j > ws_start && end > j {
            return Some((j, end));
        }
        return None;
    }
    if rest.starts_with(b"sk-") {
        let end = run_end(bytes, i + 3, is_key_char);
        if end - (i + 3) >= MIN_SK_TOKEN_LEN {
            return Some((i, end));
        }
        return None;
    }
    // `NAME_API_KEY` followed by `=` or `:`, optional whitespace and an optional quote.
    let name_end = run_end(bytes, i, is_name_char);
    let name = &bytes[i..name_end];
    if name.len() >= 7 && name[name.len() - 7..].eq_ignore_ascii_case(b"API_KEY") {
        let mut j = skip_blanks(bytes, name_end);
        // A quoted name (`"OPENAI_API_KEY": "…"`) closes its quote before the separator.
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            j = skip_blanks(bytes, j + 1);
        }
        if j < bytes.len() && matches!(bytes[j], b'=' | b':') {
            j = skip_blanks(bytes, j + 1);
            let quote = bytes.get(j).copied().filter(|b| matches!(b, b'"' | b'\''));
            if quote.is_some() {
                j += 1;
            }
            let end = match quote {
                // A quoted value runs to its closing quote, spaces included.
                Some(q) => run_end(bytes, j, |b| b != q && b != b'\n'),
                None => run_end(bytes, j, |b| {
                    !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b',')
                }),
            };
            if end > j {
                return Some((j, end));
            }
        }
    }
    None
}

/// The end of the run of bytes satisfying `pred` that starts at `start`.
fn run_end(bytes: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut j = start;
    while j < bytes.len() && pred(bytes[j]) {
        j += 1;
    }
    j
}

/// Skips spaces and tabs.
fn skip_blanks(bytes: &[u8], start: usize) -> usize {
    run_end(bytes, start, |b| matches!(b, b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(secrets: &[&str], input: &str, expected: &str) {
        let redactor = Redactor::new(secrets.iter().copied());
        pretty_assertions::assert_eq!(redactor.redact(input), expected);
    }

    #[test]
    fn literal_secrets_are_replaced_everywhere() {
        check(
            &["s3cr3t-key"],
            "a s3cr3t-key b s3cr3t-keys3cr3t-key",
            "a [REDACTED] b [REDACTED][REDACTED]",
        );
    }

    #[test]
    fn longer_secret_wins_over_its_prefix() {
        check(
            &["abcd", "abcdefgh"],
            "x abcdefgh y abcd",
            "x [REDACTED] y [REDACTED]",
        );
    }

    #[test]
    fn short_secrets_are_ignored() {
        check(&["ab", ""], "ab cab", "ab cab");
    }

    #[test]
    fn bearer_tokens() {
        check(
            &[],
            "Authorization: Bearer abc.def-ghi/+=",
            "Authorization: Bearer [REDACTED]",
        );
        check(
            &[],
            "authorization: bearer\tXYZ123 next",
            "authorization: bearer\t[REDACTED] next",
        );
        // Any word after "Bearer" is taken for a token: over-redacting is the safe side.
        check(&[], "a Bearer without token", "a Bearer [REDACTED] token");
        check(&[], "Bearer: none, Bearer", "Bearer: none, Bearer");
        check(&[], "unbearer tok", "unbearer tok");
    }

    #[test]
    fn sk_keys() {
        check(&[], "key sk-proj-ABCdef_12345 used", "key [REDACTED] used");
        check(&[], "(sk-abcdefgh)", "([REDACTED])");
        check(
            &[],
            "sk-short and task-1234567890",
            "sk-short and task-1234567890",
        );
    }

    #[test]
    fn api_key_assignments() {
        check(
            &[],
            "CODEX_API_KEY=abc123 rest",
            "CODEX_API_KEY=[REDACTED] rest",
        );
        check(
            &[],
            "export OPENAI_API_KEY='x y'",
            "export OPENAI_API_KEY='[REDACTED]'",
        );
        check(
            &[],
            r#"{"OPENAI_API_KEY": "v4lue"}"#,
            r#"{"OPENAI_API_KEY": "[REDACTED]"}"#,
        );
        check(
            &[],
            "AZURE_OPENAI_API_KEY = tok,",
            "AZURE_OPENAI_API_KEY = [REDACTED],",
        );
        check(&[], "CODEX_API_KEY is not set", "CODEX_API_KEY is not set");
    }

    #[test]
    fn non_ascii_text_survives() {
        check(
            &["geheim"],
            "é geheim ü Bearer ключ",
            "é [REDACTED] ü Bearer ключ",
        );
    }

    #[test]
    fn secret_type_hides_its_value() {
        let secret = Secret::new("sk-live-abcdefgh1234");
        assert_eq!(format!("{secret:?} {secret}"), "[REDACTED] [REDACTED]");
        assert_eq!(secret.expose(), "sk-live-abcdefgh1234");
    }

    #[test]
    fn json_strings_and_keys_are_redacted_literally() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("k3y-value"));
        let mut value = serde_json::json!({
            "a": ["x k3y-value y", 1, null],
            "k3y-value": {"b": "sk-notregistered1234"}
        });
        assert!(redactor.redact_json_literal(&mut value));
        assert_eq!(
            value,
            serde_json::json!({
                "a": ["x [REDACTED] y", 1, null],
                "[REDACTED]": {"b": "sk-notregistered1234"}
            })
        );
        let mut clean = serde_json::json!({"a": "nothing"});
        assert!(!redactor.redact_json_literal(&mut clean));
    }

    #[test]
    fn debug_does_not_show_secrets() {
        let redactor = Redactor::new(["hunter2-secret"]);
        assert_eq!(format!("{redactor:?}"), "Redactor { secrets: 1 }");
    }
}
