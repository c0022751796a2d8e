//! Rollout files: every captured rollout parses with no error and no unknown, the thread each
//! records is snapshotted, and so is the Markdown export of a scripted two-turn thread.

use std::fmt::Write as _;

use codex_agent_protocol::history::{RecordProblem, ThreadExport, ThreadRecord, to_markdown};
use codex_agent_protocol::rollout::parse_rollout;
use expect_test::expect_file;
use pretty_assertions::assert_eq;

use crate::{fixtures, live_transcripts_in};

#[test]
fn every_captured_rollout_parses_without_errors_or_unknowns() {
    let mut out = String::new();
    for path in live_transcripts_in("rollouts", 4) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let rollout = parse_rollout(&text);
        assert_eq!(rollout.errors, Vec::new(), "{name}");
        assert_eq!(rollout.unknowns(), Vec::<String>::new(), "{name}");
        assert!(!rollout.torn_tail, "{name}");
        let record = rollout.record();
        let _ = writeln!(out, "== {name}");
        let _ = writeln!(
            out,
            "id={} cli={} source={} preview={:?} turns={}",
            record.id(),
            record.summary.cli_version,
            record.summary.source,
            record.summary.preview,
            record.turns.len()
        );
        for turn in &record.turns {
            let _ = writeln!(
                out,
                "turn status={:?} prompt={:?}",
                turn.status, turn.prompt
            );
            for item in &turn.items {
                let mut value = serde_json::to_value(item).expect("items serialize");
                value.as_object_mut().expect("an object").remove("id");
                let _ = writeln!(out, "  {value}");
            }
        }
    }
    // Paths and ids differ per capture; the items do not.
    expect_file!["snapshots/rollout_records.txt"].assert_eq(&out);
}

#[test]
fn a_bad_line_never_hides_the_rest_of_the_thread() {
    let path = fixtures().join("rollouts/codex-0.171.0-exec-two-turns.jsonl");
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let whole = parse_rollout(&text).record();
    let mut lines: Vec<&str> = text.lines().collect();
    // Corrupt a line in the middle (a token count: it holds no item), and tear the last one.
    let middle = lines
        .iter()
        .position(|l| l.contains("\"token_count\""))
        .expect("a token_count line");
    lines[middle] = "{\"type\": \"event_msg\", \"payload\": ";
    let last = lines.len() - 1;
    let torn = &lines[last][..lines[last].len() / 2];
    lines[last] = torn;
    let damaged = lines.join("\n");
    let rollout = parse_rollout(&damaged);
    assert!(rollout.torn_tail);
    assert_eq!(rollout.errors.len(), 1);
    assert_eq!(rollout.errors[0].line, middle as u64 + 1);
    let record = rollout.record();
    assert_eq!(record.problems.len(), 1);
    assert!(
        record.problems[0]
            .message
            .starts_with(&format!("line {}", middle + 1)),
        "{:?}",
        record.problems
    );
    // Every item is still there; only the last turn lost its end (the torn line).
    let items = |r: &codex_agent_protocol::history::ThreadRecord| {
        r.turns.iter().map(|t| t.items.clone()).collect::<Vec<_>>()
    };
    assert_eq!(items(&record), items(&whole));
}

#[test]
fn a_newer_codex_line_is_kept_as_unknown() {
    let text = concat!(
        "{\"type\":\"session_meta\",\"payload\":{\"id\":\"t1\",\"cli_version\":\"9.0.0\"}}\n",
        "{\"type\":\"future_line\",\"payload\":{\"x\":1}}\n",
        "{\"type\":\"event_msg\",\"payload\":{\"type\":\"future_event\"}}\n",
        "{\"type\":\"event_msg\",\"payload\":{\"type\":\"item_completed\",\"turn_id\":\"u\",\"item\":{\"type\":\"FutureItem\",\"id\":\"i\"}}}\n",
    );
    let rollout = parse_rollout(text);
    assert_eq!(rollout.errors, Vec::new());
    assert_eq!(
        rollout.unknowns(),
        [
            "line 2: type=future_line",
            "line 3: event_msg.type=future_event",
            "line 4: item_completed.item.type=FutureItem",
        ]
    );
    assert_eq!(rollout.newer_codex(), Some("9.0.0"));
    let record = rollout.record();
    assert_eq!(record.turns[0].items[0].item_type(), "FutureItem");
    let problems: Vec<(u64, &str)> = record
        .problems
        .iter()
        .map(|p: &RecordProblem| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        [(
            1,
            "written by codex 9.0.0, newer than 0.171.0 (the newest this crate knows): \
             what it added is not read"
        )]
    );
}

#[test]
fn only_a_newer_codex_is_reported() {
    let meta = |version: &str| {
        format!(
            "{{\"type\":\"session_meta\",\"payload\":{{\"id\":\"t1\",\"cli_version\":\"{version}\"}}}}\n"
        )
    };
    for (version, newer) in [
        ("0.169.0", false),
        ("0.171.0", false),
        ("0.171.1", true),
        ("0.172.0-alpha.2", true),
        ("1.0.0", true),
        ("not a version", false),
    ] {
        let rollout = parse_rollout(&meta(version));
        assert_eq!(rollout.newer_codex().is_some(), newer, "{version}");
        assert_eq!(
            rollout.record().problems.len(),
            usize::from(newer),
            "{version}"
        );
    }
}

#[test]
fn markdown_export_of_a_scripted_two_turn_thread() {
    let path = fixtures().join("rollouts/codex-0.171.0-exec-two-turns.jsonl");
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let record = parse_rollout(&text).record();
    expect_file!["snapshots/rollout_export.md"].assert_eq(&to_markdown(&record));
    let json = serde_json::to_string(&ThreadExport::new(record.clone())).expect("serializes");
    let back: ThreadExport = serde_json::from_str(&json).expect("round-trips");
    assert_eq!(back.version, 1);
    assert_eq!(back.thread, record);
}

#[test]
fn an_export_seeds_history_with_prompts_and_answers_in_order() {
    let path = fixtures().join("rollouts/codex-0.171.0-exec-two-turns.jsonl");
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let record: ThreadRecord = parse_rollout(&text).record();
    let items = record.response_items();
    let texts: Vec<(String, String)> = items
        .iter()
        .map(|item| {
            (
                item["role"].as_str().expect("a role").to_owned(),
                item["content"][0]["text"]
                    .as_str()
                    .expect("a text")
                    .to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("user", "say hello"),
        ("assistant", "The command said hello."),
        ("user", "write hello.txt"),
        ("assistant", "I wrote hello.txt."),
    ]
    .iter()
    .map(|(r, t)| ((*r).to_owned(), (*t).to_owned()))
    .collect();
    assert_eq!(texts, expected);
    assert!(items.iter().all(|i| i["type"] == "message"));
    assert_eq!(items[0]["content"][0]["type"], "input_text");
    assert_eq!(items[1]["content"][0]["type"], "output_text");
}
