//! Property tests: round-trips for every variant, and no panics on any input. They live in
//! the crate because the payload structs are `#[non_exhaustive]`: only the crate itself can
//! build them field by field.

use crate::exec::*;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", "[a-z_ \\\\\"\n\t\u{0}-\u{1f}é✓😀]{0,24}"]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn json() -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

/// Extra fields whose names cannot collide with modeled ones (`x_` prefix).
fn extra() -> BoxedStrategy<Map<String, Value>> {
    prop::collection::btree_map("x_[a-z]{1,5}", json(), 0..3)
        .prop_map(|m| m.into_iter().collect())
        .boxed()
}

/// MCP content blocks of every kind; an unknown one is any JSON that is not a valid block.
fn mcp_content() -> BoxedStrategy<McpContent> {
    let opt = || proptest::option::of(text());
    prop_oneof![
        (text(), extra()).prop_map(|(text, extra)| {
            let mut block = McpTextContent::new(text);
            block.extra = extra;
            McpContent::Text(block)
        }),
        (text(), text(), extra(), any::<bool>()).prop_map(|(data, mime, extra, audio)| {
            let mut block = McpMediaContent::new(data, mime);
            block.extra = extra;
            if audio {
                McpContent::Audio(block)
            } else {
                McpContent::Image(block)
            }
        }),
        (
            text(),
            text(),
            opt(),
            opt(),
            opt(),
            any::<Option<u64>>(),
            extra()
        )
            .prop_map(|(uri, name, title, description, mime_type, size, extra)| {
                let mut link = McpResourceLink::new(uri, name);
                link.title = title;
                link.description = description;
                link.mime_type = mime_type;
                link.size = size;
                link.extra = extra;
                McpContent::ResourceLink(Box::new(link))
            }),
        (text(), opt(), opt(), opt(), extra(), extra()).prop_map(
            |(uri, mime_type, text, blob, inner, outer)| {
                let mut contents = McpResourceContents::new(uri);
                contents.mime_type = mime_type;
                contents.text = text;
                contents.blob = blob;
                contents.extra = inner;
                let mut block = McpEmbeddedResource::new(contents);
                block.extra = outer;
                McpContent::Resource(Box::new(block))
            }
        ),
        json()
            .prop_filter("not a valid block", |value| {
                McpContent::from_value(value.clone()).is_unknown()
            })
            .prop_map(McpContent::Unknown),
    ]
    .boxed()
}

fn open<T: std::fmt::Debug>(
    known: &'static [&'static str],
    from: fn(&str) -> T,
) -> impl Strategy<Value = T> {
    prop_oneof![prop::sample::select(known), Just("future_value")].prop_map(from)
}

#[expect(
    clippy::too_many_lines,
    reason = "one strategy per item variant reads best in one place"
)]
fn item_details() -> BoxedStrategy<ItemDetails> {
    prop_oneof![
        (
            text(),
            proptest::option::of(open(MessagePhase::KNOWN, MessagePhase::from_wire)),
            proptest::option::of(open(TextItemStatus::KNOWN, TextItemStatus::from_wire)),
            extra()
        )
            .prop_map(|(text, phase, status, extra)| ItemDetails::AgentMessage(
                AgentMessageItem {
                    text,
                    phase,
                    status,
                    extra
                }
            )),
        (
            text(),
            proptest::option::of(text()),
            proptest::option::of(open(TextItemStatus::KNOWN, TextItemStatus::from_wire)),
            extra()
        )
            .prop_map(|(text, content, status, extra)| ItemDetails::Reasoning(
                ReasoningItem {
                    text,
                    content,
                    status,
                    extra
                }
            )),
        (
            text(),
            text(),
            any::<Option<i32>>(),
            open(
                CommandExecutionStatus::KNOWN,
                CommandExecutionStatus::from_wire
            ),
            (
                proptest::option::of(text()),
                any::<Option<u64>>(),
                proptest::option::of(text())
            ),
            extra()
        )
            .prop_map(
                |(
                    command,
                    aggregated_output,
                    exit_code,
                    status,
                    (cwd, duration_ms, process_id),
                    extra,
                )| {
                    ItemDetails::CommandExecution(CommandExecutionItem {
                        command,
                        aggregated_output,
                        exit_code,
                        status,
                        cwd,
                        duration_ms,
                        process_id,
                        extra,
                    })
                }
            ),
        (
            prop::collection::vec(
                (
                    text(),
                    open(PatchChangeKind::KNOWN, PatchChangeKind::from_wire),
                    proptest::option::of(text()),
                    proptest::option::of(text()),
                    extra()
                ),
                0..3
            ),
            open(PatchApplyStatus::KNOWN, PatchApplyStatus::from_wire),
            extra()
        )
            .prop_map(|(changes, status, extra)| {
                let changes = changes
                    .into_iter()
                    .map(|(path, kind, diff, move_path, extra)| FileUpdateChange {
                        path,
                        kind,
                        diff,
                        move_path,
                        extra,
                    })
                    .collect();
                ItemDetails::FileChange(FileChangeItem {
                    changes,
                    status,
                    extra,
                })
            }),
        (
            text(),
            text(),
            json(),
            proptest::option::of((
                prop::collection::vec(mcp_content(), 0..3),
                proptest::option::of(json()),
                proptest::option::of(json())
            )),
            proptest::option::of(text()),
            open(McpToolCallStatus::KNOWN, McpToolCallStatus::from_wire),
            any::<Option<u64>>(),
            extra()
        )
            .prop_map(
                |(server, tool, arguments, result, error, status, duration_ms, extra)| {
                    ItemDetails::McpToolCall(Box::new(McpToolCallItem {
                        server,
                        tool,
                        arguments: arguments.into(),
                        // A JSON `null` inside `Some` would read back as `None`: normalize.
                        result: result.map(|(content, structured, meta)| McpToolCallResult {
                            content,
                            structured_content: structured.filter(|v| !v.is_null()).map(Into::into),
                            meta: meta.filter(|v| !v.is_null()).map(Into::into),
                            extra: Map::new(),
                        }),
                        error: error.map(|message| McpToolCallError {
                            message,
                            extra: Map::new(),
                        }),
                        status,
                        duration_ms,
                        extra,
                    }))
                }
            ),
        (
            open(CollabTool::KNOWN, CollabTool::from_wire),
            text(),
            prop::collection::vec(text(), 0..3),
            proptest::option::of(text()),
            prop::collection::btree_map(
                text(),
                (
                    open(CollabAgentStatus::KNOWN, CollabAgentStatus::from_wire),
                    proptest::option::of(text())
                ),
                0..3
            ),
            open(CollabToolCallStatus::KNOWN, CollabToolCallStatus::from_wire),
        )
            .prop_map(
                |(tool, sender_thread_id, receiver_thread_ids, prompt, states, status)| {
                    let agents_states = states
                        .into_iter()
                        .map(|(k, (status, message))| {
                            (
                                k,
                                CollabAgentState {
                                    status,
                                    message,
                                    extra: Map::new(),
                                },
                            )
                        })
                        .collect();
                    ItemDetails::CollabToolCall(Box::new(CollabToolCallItem {
                        tool,
                        sender_thread_id,
                        receiver_thread_ids,
                        prompt,
                        agents_states,
                        status,
                        extra: Map::new(),
                    }))
                }
            ),
        (
            proptest::option::of(text()),
            text(),
            proptest::option::of(proptest::option::of(text())),
            extra()
        )
            .prop_map(|(search_id, query, action, extra)| {
                let action = action.map(|q| match q {
                    Some(q) => WebSearchAction::Search {
                        query: Some(q),
                        queries: None,
                    },
                    None => WebSearchAction::Other,
                });
                ItemDetails::WebSearch(WebSearchItem {
                    search_id,
                    query,
                    action,
                    extra,
                })
            }),
        prop::collection::vec((text(), any::<bool>()), 0..4).prop_map(|items| {
            let items = items
                .into_iter()
                .map(|(text, completed)| TodoItem {
                    text,
                    completed,
                    extra: Map::new(),
                })
                .collect();
            ItemDetails::TodoList(TodoListItem {
                items,
                extra: Map::new(),
            })
        }),
        (text(), extra())
            .prop_map(|(message, extra)| ItemDetails::Error(ErrorItem { message, extra })),
        (
            (text(), proptest::option::of(text()), json()),
            open(
                DynamicToolCallStatus::KNOWN,
                DynamicToolCallStatus::from_wire
            ),
            proptest::option::of(prop::collection::vec(json(), 0..3)),
            any::<Option<bool>>(),
            any::<Option<u64>>(),
            extra()
        )
            .prop_map(
                |(
                    (tool, namespace, arguments),
                    status,
                    content_items,
                    success,
                    duration_ms,
                    extra,
                )| {
                    ItemDetails::DynamicToolCall(Box::new(DynamicToolCallItem {
                        tool,
                        namespace,
                        arguments: arguments.into(),
                        status,
                        content_items,
                        success,
                        duration_ms,
                        extra,
                    }))
                }
            ),
        ("future_[a-z]{1,5}", extra()).prop_map(|(item_type, fields)| ItemDetails::Unknown(
            UnknownItem { item_type, fields }
        )),
    ]
    .boxed()
}

#[expect(
    clippy::too_many_lines,
    reason = "one strategy per event variant reads best in one place"
)]
fn event() -> BoxedStrategy<ThreadEvent> {
    let item = || (text(), item_details()).prop_map(|(id, details)| ThreadItem { id, details });
    let usage = (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<Option<u64>>(),
        extra(),
    )
        .prop_map(|(a, b, c, d, e, window, extra)| Usage {
            input_tokens: a,
            cached_input_tokens: b,
            cache_write_input_tokens: c,
            output_tokens: d,
            reasoning_output_tokens: e,
            model_context_window: window,
            extra,
        });
    let delta = || (text(), text(), extra());
    prop_oneof![
        (text(), extra()).prop_map(|(thread_id, extra)| ThreadEvent::ThreadStarted(
            ThreadStarted { thread_id, extra }
        )),
        extra().prop_map(|extra| ThreadEvent::TurnStarted(TurnStarted { extra })),
        (
            usage,
            proptest::option::of(open(TurnStatus::KNOWN, TurnStatus::from_wire)),
            extra()
        )
            .prop_map(
                |(usage, status, extra)| ThreadEvent::TurnCompleted(TurnCompleted {
                    usage,
                    status,
                    extra
                })
            ),
        (
            text(),
            // A JSON `null` inside `Some` would read back as `None`: normalize.
            proptest::option::of(json()).prop_map(|v| v.filter(|v| !v.is_null())),
            proptest::option::of(text()),
            extra()
        )
            .prop_map(|(message, codex_error_info, additional_details, extra)| {
                ThreadEvent::TurnFailed(TurnFailed {
                    error: TurnError {
                        message,
                        codex_error_info,
                        additional_details,
                        extra: Map::new(),
                    },
                    extra,
                })
            }),
        delta().prop_map(
            |(item_id, delta, extra)| ThreadEvent::AgentMessageDelta(ItemDelta {
                item_id,
                delta,
                extra
            })
        ),
        delta().prop_map(
            |(item_id, delta, extra)| ThreadEvent::CommandOutputDelta(ItemDelta {
                item_id,
                delta,
                extra
            })
        ),
        delta().prop_map(
            |(item_id, delta, extra)| ThreadEvent::FileChangeOutputDelta(ItemDelta {
                item_id,
                delta,
                extra
            })
        ),
        (delta(), any::<u64>()).prop_map(|((item_id, delta, extra), summary_index)| {
            ThreadEvent::ReasoningSummaryDelta(ReasoningSummaryDelta {
                item_id,
                delta,
                summary_index,
                extra,
            })
        }),
        (delta(), any::<u64>()).prop_map(|((item_id, delta, extra), content_index)| {
            ThreadEvent::ReasoningTextDelta(ReasoningTextDelta {
                item_id,
                delta,
                content_index,
                extra,
            })
        }),
        (item(), extra())
            .prop_map(|(item, extra)| ThreadEvent::ItemStarted(ItemEvent { item, extra })),
        (item(), extra())
            .prop_map(|(item, extra)| ThreadEvent::ItemUpdated(ItemEvent { item, extra })),
        (item(), extra())
            .prop_map(|(item, extra)| ThreadEvent::ItemCompleted(ItemEvent { item, extra })),
        (text(), extra())
            .prop_map(|(message, extra)| ThreadEvent::Error(StreamError { message, extra })),
        ("future\\.[a-z]{1,5}", extra()).prop_map(|(ty, mut raw)| {
            raw.insert("type".into(), Value::String(ty));
            ThreadEvent::Unknown(Value::Object(raw))
        }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_serialize_is_identity(event in event()) {
        let line = event.to_json_line();
        let parsed = parse_event(&line);
        prop_assert!(parsed.is_ok(), "{:?} from {}", parsed, line);
        prop_assert_eq!(parsed.ok(), Some(event));
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = parse_event_bytes(&bytes) {
            prop_assert!(e.excerpt().chars().count() <= crate::MAX_EXCERPT_CHARS);
        }
    }

    #[test]
    fn any_json_parses_or_fails_cleanly(value in json(), ty in prop::sample::select(vec![
        "thread.started", "turn.started", "turn.completed", "turn.failed", "item.started",
        "item.updated", "item.completed", "error", "item.agent_message.delta",
        "item.reasoning.summary_delta", "item.reasoning.text_delta",
        "item.command_execution.output_delta", "item.file_change.output_delta", "other",
    ])) {
        let mut obj = match value { Value::Object(o) => o, other => [("item".to_owned(), other)].into_iter().collect() };
        obj.insert("type".into(), Value::String(ty.into()));
        let _ = parse_event(&Value::Object(obj).to_string());
    }

    #[test]
    fn any_text_and_its_prefixes_parse_or_fail_cleanly(text in "\\PC{0,48}", prefix in "[{\\[\"a-z:,]{0,12}") {
        let line = format!("{prefix}{text}");
        for (i, _) in line.char_indices() {
            if let Err(e) = parse_event(&line[..i]) {
                prop_assert!(e.excerpt().chars().count() <= crate::MAX_EXCERPT_CHARS);
            }
        }
    }

    #[test]
    fn mutated_real_lines_never_panic(cut in 0usize..400, byte in any::<u8>()) {
        let line = r#"{"type":"item.completed","item":{"id":"item_0","type":"mcp_tool_call","server":"demo","tool":"echo","arguments":{"text":"ping"},"result":{"content":[{"type":"text","text":"echo: ping"}],"structured_content":null},"error":null,"status":"completed"}}"#;
        let mut bytes = line.as_bytes().to_vec();
        let at = cut % bytes.len();
        bytes[at] = byte;
        let _ = parse_event_bytes(&bytes);
        let _ = parse_event_bytes(&bytes[..at]);
    }
}
