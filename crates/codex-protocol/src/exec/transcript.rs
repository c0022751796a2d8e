//! Checking a whole exec transcript: the logic behind the `check_transcript` example.

use std::fmt;

use super::parse_event;
use crate::ParseError;
use crate::wire::Unknowns;

/// What checking one exec JSONL transcript found.
///
/// Blank lines are skipped and not counted. An event counts as *unknown* when it holds
/// anything this crate does not model (see [`Unknowns`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TranscriptReport {
    /// Non-blank lines read.
    pub lines: u64,
    /// Lines that parsed into an event.
    pub events: u64,
    /// Events holding at least one unknown value or field.
    pub unknown: u64,
    /// Every line that did not parse, with its line number set.
    pub errors: Vec<ParseError>,
}

impl TranscriptReport {
    /// Checks every line of `text` (the contents of a `.jsonl` file).
    #[must_use]
    pub fn check(text: &str) -> Self {
        let mut report = Self::default();
        for (index, line) in text.split('\n').enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            report.lines += 1;
            match parse_event(line) {
                Ok(event) => {
                    report.events += 1;
                    if !event.unknowns().is_empty() {
                        report.unknown += 1;
                    }
                }
                Err(err) => report.errors.push(err.with_line(index as u64 + 1)),
            }
        }
        report
    }

    /// Whether the transcript fails the check: any error, or with `strict`, any unknown.
    #[must_use]
    pub fn fails(&self, strict: bool) -> bool {
        !self.errors.is_empty() || (strict && self.unknown > 0)
    }

    /// Renders the report for `file`: the summary line
    /// `<file>: <L> lines, <E> events, <U> unknown, <X> errors`, then one line per error.
    #[must_use]
    pub fn render<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        Rendered { report: self, file }
    }
}

struct Rendered<'a> {
    report: &'a TranscriptReport,
    file: &'a str,
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.report;
        writeln!(
            f,
            "{}: {} lines, {} events, {} unknown, {} errors",
            self.file,
            r.lines,
            r.events,
            r.unknown,
            r.errors.len()
        )?;
        for err in &r.errors {
            let line = err.line().unwrap_or_default();
            writeln!(f, "  line {line}: {}", err.reason())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_events_unknowns_and_errors() {
        let text = concat!(
            "{\"type\":\"turn.started\"}\n",
            "\n",
            "   \n",
            "{\"type\":\"future.event\"}\n",
            "garbage\n",
            "{\"type\":\"turn.started\"}",
        );
        let report = TranscriptReport::check(text);
        assert_eq!(
            (
                report.lines,
                report.events,
                report.unknown,
                report.errors.len()
            ),
            (4, 3, 1, 1)
        );
        assert_eq!(report.errors[0].line(), Some(5));
        assert!(report.fails(false));
        assert_eq!(
            report.render("t.jsonl").to_string(),
            "t.jsonl: 4 lines, 3 events, 1 unknown, 1 errors\n  line 5: expected value at line 1 column 1\n"
        );
    }

    #[test]
    fn strict_fails_on_unknowns_only() {
        let report = TranscriptReport::check("{\"type\":\"future.event\"}\n");
        assert!(!report.fails(false));
        assert!(report.fails(true));
    }
}
