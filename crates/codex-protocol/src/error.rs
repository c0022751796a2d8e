//! The one error type of this crate: [`ParseError`].
//!
//! A parse error never holds the whole offending line (lines can be megabytes): it holds the
//! line number when the caller knows it, a reason, and a bounded excerpt of at most
//! [`MAX_EXCERPT_CHARS`] characters taken around the position serde reported.

use std::fmt;

/// The most characters an excerpt in a [`ParseError`] ever holds.
pub const MAX_EXCERPT_CHARS: usize = 200;

/// Why a line or message could not be turned into a typed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not valid JSON (syntax error, invalid escape, truncated input, nesting too
    /// deep, not UTF-8).
    #[error("{}invalid JSON: {reason}; excerpt: `{excerpt}`", LinePrefix(*.line))]
    Json {
        /// 1-based line number, when the caller knows it.
        line: Option<u64>,
        /// What serde reported.
        reason: String,
        /// At most [`MAX_EXCERPT_CHARS`] characters of the input around the failure.
        excerpt: String,
    },
    /// The text is valid JSON but does not have the shape of the expected message: it is not
    /// an object, has no `type`, misses a required field or has a field of the wrong type.
    #[error("{}unexpected shape: {reason}; excerpt: `{excerpt}`", LinePrefix(*.line))]
    Shape {
        /// 1-based line number, when the caller knows it.
        line: Option<u64>,
        /// What was wrong, naming the field.
        reason: String,
        /// At most [`MAX_EXCERPT_CHARS`] characters of the input around the failure.
        excerpt: String,
    },
    /// Strict mode only: the message parsed, but holds values this crate does not model
    /// (unknown event, item, method, status or kind values, or unknown fields).
    #[error("{}strict mode rejected unknown {}; excerpt: `{excerpt}`", LinePrefix(*.line), .unknowns.join(", "))]
    Strict {
        /// 1-based line number, when the caller knows it.
        line: Option<u64>,
        /// Each unknown, as a path such as `item.type=future_item` or `usage.new_field`.
        unknowns: Vec<String>,
        /// At most [`MAX_EXCERPT_CHARS`] characters from the start of the input.
        excerpt: String,
    },
}

struct LinePrefix(Option<u64>);

impl fmt::Display for LinePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "line {n}: "),
            None => Ok(()),
        }
    }
}

impl ParseError {
    /// The 1-based line number, when known.
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::Json { line, .. } | Self::Shape { line, .. } | Self::Strict { line, .. } => *line,
        }
    }

    /// Sets the 1-based line number.
    #[must_use]
    pub fn with_line(mut self, number: u64) -> Self {
        match &mut self {
            Self::Json { line, .. } | Self::Shape { line, .. } | Self::Strict { line, .. } => {
                *line = Some(number);
            }
        }
        self
    }

    /// Replaces secrets in the excerpt and the reason (serde quotes bits of the input in its
    /// reasons) with the redactor's full rules. Every parse error built from codex's output
    /// goes through this before it leaves the SDK.
    #[must_use]
    pub fn redacted(mut self, redactor: &crate::secret::Redactor) -> Self {
        match &mut self {
            Self::Json {
                reason, excerpt, ..
            }
            | Self::Shape {
                reason, excerpt, ..
            } => {
                *reason = redactor.redact(reason);
                *excerpt = redactor.redact(excerpt);
            }
            Self::Strict {
                unknowns, excerpt, ..
            } => {
                for unknown in unknowns {
                    *unknown = redactor.redact(unknown);
                }
                *excerpt = redactor.redact(excerpt);
            }
        }
        self
    }

    /// The reason, without the line number or the excerpt.
    #[must_use]
    pub fn reason(&self) -> String {
        match self {
            Self::Json { reason, .. } | Self::Shape { reason, .. } => reason.clone(),
            Self::Strict { unknowns, .. } => format!("unknown {}", unknowns.join(", ")),
        }
    }

    /// The bounded excerpt of the input (at most [`MAX_EXCERPT_CHARS`] characters).
    #[must_use]
    pub fn excerpt(&self) -> &str {
        match self {
            Self::Json { excerpt, .. }
            | Self::Shape { excerpt, .. }
            | Self::Strict { excerpt, .. } => excerpt,
        }
    }

    /// Builds a [`ParseError`] from a `serde_json` error raised while reading `input`.
    ///
    /// Syntax, EOF and I/O class errors become [`ParseError::Json`]; data errors (missing
    /// field, wrong type) become [`ParseError::Shape`].
    pub(crate) fn from_serde(err: &serde_json::Error, input: &str) -> Self {
        let excerpt = excerpt_around(input, err.line(), err.column());
        let reason = err.to_string();
        match err.classify() {
            serde_json::error::Category::Data => Self::Shape {
                line: None,
                reason,
                excerpt,
            },
            _ => Self::Json {
                line: None,
                reason,
                excerpt,
            },
        }
    }

    /// Builds a [`ParseError::Shape`] with `reason` and an excerpt from the start of `input`.
    pub(crate) fn shape(reason: &str, input: &str) -> Self {
        Self::Shape {
            line: None,
            reason: reason.to_owned(),
            excerpt: excerpt_around(input, 0, 0),
        }
    }

    /// Builds a [`ParseError::Strict`] with an excerpt from the start of `input`.
    pub(crate) fn strict(unknowns: Vec<String>, input: &str) -> Self {
        Self::Strict {
            line: None,
            unknowns,
            excerpt: excerpt_around(input, 0, 0),
        }
    }
}

/// Returns at most [`MAX_EXCERPT_CHARS`] characters of `input` around the 1-based
/// `line`/`column` serde reported (0 means unknown: the excerpt starts at the beginning).
pub(crate) fn excerpt_around(input: &str, line: usize, column: usize) -> String {
    // Find the byte offset of the reported position; serde's column counts bytes + 1.
    let mut offset = 0usize;
    if line > 1 {
        let mut seen = 1usize;
        for (i, b) in input.bytes().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == line {
                    offset = i + 1;
                    break;
                }
            }
        }
    }
    offset = offset
        .saturating_add(column.saturating_sub(1))
        .min(input.len());
    // serde may point into the middle of a multi-byte character.
    while !input.is_char_boundary(offset) {
        offset -= 1;
    }
    // Start up to half the budget before the failure, on a char boundary.
    let half = MAX_EXCERPT_CHARS / 2;
    let mut start = offset.saturating_sub(half * 4);
    while !input.is_char_boundary(start) {
        start += 1;
    }
    let before: Vec<(usize, char)> = input[start..offset.max(start)].char_indices().collect();
    if before.len() > half {
        start += before[before.len() - half].0;
    }
    input[start..].chars().take(MAX_EXCERPT_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_hides_secrets_in_excerpt_and_reason() {
        let err = crate::exec::parse_event("not json sk-proj-abcdefgh12345 Bearer tok3n")
            .expect_err("garbage");
        let shown = err.to_string();
        assert!(shown.contains("sk-proj-abcdefgh12345"), "{shown}");
        let redactor = crate::secret::Redactor::new(["tok3n"]);
        let shown = format!(
            "{:?} {}",
            err.clone().redacted(&redactor),
            err.redacted(&redactor)
        );
        assert!(
            !shown.contains("sk-proj") && !shown.contains("tok3n"),
            "{shown}"
        );
    }

    #[test]
    fn excerpt_is_bounded_and_char_safe() {
        let line = "é".repeat(10_000);
        let e = excerpt_around(&line, 1, 5001);
        assert!(e.chars().count() <= MAX_EXCERPT_CHARS);
        assert!(!e.is_empty());
    }

    #[test]
    fn excerpt_position_inside_a_multibyte_char_does_not_panic() {
        // Regression: serde reported a column inside `ੑ` (3 bytes) for this truncated line.
        assert_eq!(excerpt_around("{\"type\":\"ੑ", 1, 11), "{\"type\":\"ੑ");
        for column in 0..16 {
            let _ = excerpt_around("ੑੑé😀", 1, column);
        }
        assert!(crate::exec::parse_event("{\"type\":\"ੑ").is_err());
    }

    #[test]
    fn excerpt_of_short_input_is_the_input() {
        assert_eq!(excerpt_around("{\"a\":", 1, 6), "{\"a\":");
    }

    #[test]
    fn display_names_the_line_and_reason() {
        let err = ParseError::Shape {
            line: None,
            reason: "missing field `item`".into(),
            excerpt: "{}".into(),
        }
        .with_line(7);
        assert_eq!(
            err.to_string(),
            "line 7: unexpected shape: missing field `item`; excerpt: `{}`"
        );
        assert_eq!(err.line(), Some(7));
    }
}
