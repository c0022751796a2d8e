//! [`Turn`], a finished turn, and [`TurnCollector`], which builds one from events.

use codex_agent_protocol::exec::{ItemDetails, ThreadEvent, ThreadItem, TurnStatus, Usage};

use crate::error::{self, Error};

/// A finished turn.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Turn {
    /// Every completed item, in order.
    pub items: Vec<ThreadItem>,
    /// The text of the last agent message (empty when there was none).
    pub final_response: String,
    /// Token usage of the turn, when codex reported it (summed over the turn's model calls
    /// on both transports).
    pub usage: Option<Usage>,
    /// How the turn ended: [`TurnStatus::Completed`], or [`TurnStatus::Interrupted`] when an
    /// interrupt (a `cancel` approval decision, another client) stopped it on the app-server
    /// transport; its items are then what was done before the interrupt.
    pub status: TurnStatus,
    /// Lines of codex's output that were not valid events (not JSON, too long, not UTF-8),
    /// skipped while the turn went on. Empty for a well-behaved codex.
    pub skipped: Vec<SkippedLine>,
}

/// A line of codex's output that [`Thread::run`](crate::Thread::run) skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedLine {
    /// The 1-based line number of codex's output, when known.
    pub line: Option<u64>,
    /// Why it was skipped, redacted.
    pub reason: String,
}

impl Turn {
    /// Builds a turn from the events of a whole turn, as [`Thread::run`](crate::Thread::run)
    /// does: for tests, replays, and events read from a log.
    ///
    /// # Errors
    ///
    /// As [`TurnCollector::finish`].
    ///
    /// ```
    /// use codex_agent_sdk::Turn;
    /// use codex_agent_sdk::protocol::exec::parse_event;
    ///
    /// let events = [
    ///     r#"{"type":"thread.started","thread_id":"t1"}"#,
    ///     r#"{"type":"turn.started"}"#,
    ///     r#"{"type":"item.completed","item":{"id":"i0","type":"agent_message","text":"hi"}}"#,
    ///     r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1,"reasoning_output_tokens":0}}"#,
    /// ]
    /// .map(|line| parse_event(line).expect("valid event"));
    /// let turn = Turn::from_events(events)?;
    /// assert_eq!(turn.final_response, "hi");
    /// # Ok::<(), codex_agent_sdk::Error>(())
    /// ```
    pub fn from_events(events: impl IntoIterator<Item = ThreadEvent>) -> Result<Self, Error> {
        let mut collector = TurnCollector::new();
        for event in events {
            collector.push(event);
        }
        collector.finish()
    }

    /// The final answer parsed into a `T`, as [`Thread::run_json`](crate::Thread::run_json)
    /// does: for a turn run with [`TurnOptions::output_type`](crate::TurnOptions::output_type),
    /// keeping the turn whether or not the answer parses. `null`s that strict mode let in for
    /// optional fields are dropped first, so a `#[serde(default)]` field reads as its default.
    ///
    /// # Errors
    ///
    /// [`Error::NoFinalResponse`] when the turn has no final answer,
    /// [`Error::SchemaMismatch`] with the path and a redacted excerpt when it does not parse
    /// into `T`, [`Error::UnsupportedSchema`] when `T` has no JSON Schema.
    pub fn parse_json<T: schemars::JsonSchema + serde::de::DeserializeOwned>(
        &self,
    ) -> Result<T, Error> {
        if self.final_response.is_empty() {
            return Err(Error::NoFinalResponse);
        }
        crate::thread::parse_final::<T>(&self.final_response, &crate::thread::schema_of::<T>()?)
    }
}

/// Builds a [`Turn`] from events pushed one at a time: keep one next to your own handling of
/// a [`TurnStream`](crate::TurnStream) to get the turn at the end.
#[derive(Debug, Default)]
pub struct TurnCollector {
    items: Vec<ThreadItem>,
    usage: Option<Usage>,
    status: Option<TurnStatus>,
    failed: Option<(String, Option<serde_json::Value>)>,
    skipped: Vec<SkippedLine>,
}

impl TurnCollector {
    /// An empty collector.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event.
    pub fn push(&mut self, event: ThreadEvent) {
        match event {
            ThreadEvent::ItemCompleted(e) => {
                // A turn's items are all held until it ends, so the slack of the last growth
                // is part of `run()`'s peak memory: grow by a quarter instead of doubling
                // (large blocks grow in place, so the smaller steps cost few copies).
                if self.items.len() == self.items.capacity() {
                    self.items
                        .reserve_exact((self.items.capacity() / 4).max(MIN_ITEMS_GROWTH));
                }
                let mut item = e.item;
                shrink(&mut item);
                self.items.push(item);
            }
            ThreadEvent::TurnCompleted(e) => {
                self.usage = Some(e.usage);
                self.status = Some(e.status.unwrap_or(TurnStatus::Completed));
            }
            ThreadEvent::TurnFailed(e) => {
                self.failed = Some((e.error.message, e.error.codex_error_info));
            }
            _ => {}
        }
    }

    /// Records a stream error that the turn survives (an invalid line); returns the error
    /// back when it ends the turn.
    ///
    /// # Errors
    ///
    /// Every error but [`Error::Protocol`].
    pub fn skip(&mut self, error: Error) -> Result<(), Error> {
        match &error {
            Error::Protocol(source) => {
                let line = match source {
                    codex_agent_exec::Error::Parse(parse) => parse.line(),
                    codex_agent_exec::Error::LineTooLong { line, .. }
                    | codex_agent_exec::Error::InvalidUtf8 { line, .. } => Some(*line),
                    _ => None,
                };
                tracing::warn!(?line, error = %source, "skipped a line of codex's output");
                self.skipped.push(SkippedLine {
                    line,
                    reason: source.to_string(),
                });
                Ok(())
            }
            _ => Err(error),
        }
    }

    /// The turn.
    ///
    /// # Errors
    ///
    /// [`Error::TurnFailed`] when codex reported `turn.failed`, [`Error::TransportClosed`]
    /// when the events ended without `turn.completed`.
    pub fn finish(self) -> Result<Turn, Error> {
        if let Some((message, info)) = self.failed {
            return Err(Error::TurnFailed {
                message: error::redact(&message, None),
                codex_error_info: info.and_then(|info| serde_json::from_value(info).ok()),
            });
        }
        let (Some(usage), Some(status)) = (self.usage, self.status) else {
            return Err(Error::TransportClosed);
        };
        let final_response = self
            .items
            .iter()
            .rev()
            .find_map(|i| match &i.details {
                ItemDetails::AgentMessage(m) => Some(m.text.clone()),
                _ => None,
            })
            .unwrap_or_default();
        Ok(Turn {
            items: self.items,
            final_response,
            usage: Some(usage),
            status,
            skipped: self.skipped,
        })
    }
}

/// The fewest items [`TurnCollector`] makes room for at once.
const MIN_ITEMS_GROWTH: usize = 16;

/// Drops the spare capacity of an item's lists (a deserialized list grows by doubling, so a
/// list of two file changes holds room for four), since a collected item is kept for the
/// rest of the turn.
fn shrink(item: &mut ThreadItem) {
    match &mut item.details {
        ItemDetails::FileChange(change) => change.changes.shrink_to_fit(),
        ItemDetails::TodoList(list) => list.items.shrink_to_fit(),
        ItemDetails::McpToolCall(call) => {
            if let Some(result) = &mut call.result {
                result.content.shrink_to_fit();
            }
        }
        ItemDetails::CollabToolCall(call) => call.receiver_thread_ids.shrink_to_fit(),
        _ => {}
    }
}

/// A finished turn whose final answer was parsed into a `T`
/// ([`Thread::run_json`](crate::Thread::run_json)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JsonTurn<T> {
    /// The parsed final answer.
    pub value: T,
    /// The whole turn: items, usage, status, the raw final response.
    pub turn: Turn,
}

impl<T> JsonTurn<T> {
    /// The parsed answer, without the turn.
    pub fn into_value(self) -> T {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use codex_agent_protocol::exec::parse_event;

    use super::*;

    #[test]
    fn collected_items_keep_little_spare_room() {
        let line = r#"{"type":"item.completed","item":{"id":"item_0","type":"file_change","changes":[{"path":"/a","kind":"add"},{"path":"/b","kind":"update"}],"status":"completed"}}"#;
        let mut collector = TurnCollector::new();
        // Doubling would leave room for 2,048 items.
        let count = 1100;
        for _ in 0..count {
            collector.push(parse_event(line).expect("a valid event"));
        }
        assert_eq!(collector.items.len(), count);
        assert!(
            collector.items.capacity() <= count * 5 / 4,
            "room for {} items",
            collector.items.capacity()
        );
        for item in &collector.items {
            let ItemDetails::FileChange(change) = &item.details else {
                panic!("not a file change: {item:?}");
            };
            assert_eq!(change.changes.capacity(), change.changes.len());
        }
    }
}
