//! Secret redaction for text that comes from the child (its stderr).
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

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Configured secrets shorter than this are not redacted literally: replacing every
/// occurrence of a two-letter "secret" would destroy the text and protect nothing.
pub const MIN_SECRET_LEN: usize = 4;

/// The fewest token characters after `sk-` for the text to count as a key.
pub(crate) const MIN_SK_TOKEN_LEN: usize = 8;

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
    fn debug_does_not_show_secrets() {
        let redactor = Redactor::new(["hunter2-secret"]);
        assert_eq!(format!("{redactor:?}"), "Redactor { secrets: 1 }");
    }
}
