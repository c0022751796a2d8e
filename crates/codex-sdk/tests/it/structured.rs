//! Structured output: `run_json::<T>()` sends a strict schema and parses the answer into `T`.

use codex_agent_sdk::{Error, TurnOptions};
use codex_agent_testkit::sse::Sse;
use pretty_assertions::assert_eq;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::support::{Harness, WAIT};

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Review {
    verdict: Verdict,
    score: u8,
    note: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    Approve,
    RequestChanges,
}

async fn run_review(h: &Harness) -> Result<Review, Error> {
    let thread = h.start_thread();
    tokio::time::timeout(
        WAIT,
        thread.run_json::<Review>("review the change", TurnOptions::new()),
    )
    .await
    .expect("the turn ends in time")
    .map(|typed| {
        // The turn comes with the value (F6): usage and items are not lost.
        assert!(typed.turn.usage.is_some());
        assert!(!typed.turn.items.is_empty());
        typed.value
    })
}

#[tokio::test]
async fn the_answer_parses_into_the_type_and_the_schema_is_strict() {
    let h = Harness::new().await;
    h.mock.push(Sse::message(
        "resp-1",
        r#"{"verdict": "request_changes", "score": 7, "note": null}"#,
    ));

    let review = run_review(&h).await.expect("the answer parses");

    assert_eq!(
        review,
        Review {
            verdict: Verdict::RequestChanges,
            score: 7,
            note: None,
        }
    );
    let requests = h.mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].text_format(),
        Some(&json!({
            "type": "json_schema",
            "name": "codex_output_schema",
            "strict": true,
            "schema": {
                "title": "Review",
                "type": "object",
                "properties": {
                    "verdict": {"$ref": "#/$defs/Verdict"},
                    "score": {"type": "integer", "minimum": 0, "maximum": 255},
                    "note": {"type": ["string", "null"]},
                },
                "required": ["note", "score", "verdict"],
                "additionalProperties": false,
                "$defs": {
                    "Verdict": {"type": "string", "enum": ["approve", "request_changes"]},
                },
            },
        }))
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn an_answer_of_the_wrong_shape_names_the_path() {
    let h = Harness::new().await;
    let answer = r#"{"verdict": "approve", "score": "high", "note": null}"#;
    h.mock.push(Sse::message("resp-1", answer));

    let error = run_review(&h).await.expect_err("`score` is not a number");

    let Error::SchemaMismatch {
        path,
        reason,
        excerpt,
    } = &error
    else {
        panic!("expected SchemaMismatch, got {error:?}");
    };
    assert_eq!(path, "score");
    assert!(
        reason.starts_with("invalid type: string \"high\", expected u8"),
        "{reason}"
    );
    assert_eq!(excerpt, answer);
}

/// A `#[serde(default)]` field that is not an `Option` is nullable in the strict schema, so
/// the model may answer it with `null`: that reads as the default, at any depth, instead of a
/// `SchemaMismatch`.
#[tokio::test]
async fn a_null_for_a_defaulted_field_reads_as_its_default() {
    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    struct Finding {
        file: String,
        #[serde(default)]
        line: u32,
    }
    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    struct Report {
        #[serde(default)]
        summary: String,
        #[serde(default)]
        tags: Vec<String>,
        findings: Vec<Finding>,
    }
    let h = Harness::new().await;
    h.mock.push(Sse::message(
        "resp-1",
        r#"{"summary": null, "tags": null, "findings": [{"file": "a.rs", "line": null}, {"file": "b.rs", "line": 3}]}"#,
    ));
    let thread = h.start_thread();
    let report = tokio::time::timeout(
        WAIT,
        thread.run_json::<Report>("report", TurnOptions::new()),
    )
    .await
    .expect("the turn ends in time")
    .expect("the nulls read as defaults")
    .value;
    assert_eq!(
        report,
        Report {
            summary: String::new(),
            tags: Vec::new(),
            findings: vec![
                Finding {
                    file: "a.rs".into(),
                    line: 0
                },
                Finding {
                    file: "b.rs".into(),
                    line: 3
                },
            ],
        }
    );
    let requests = h.mock.requests();
    assert_eq!(
        requests[0].text_format().expect("a schema")["schema"]["properties"]["summary"]["type"],
        json!(["string", "null"]),
        "the field is nullable in the schema sent"
    );
}

/// `TurnOptions::output_type` sends the schema `run_json` sends, and `Turn::parse_json` parses
/// the answer as `run_json` does, while the turn stays with the caller: an answer of the wrong
/// shape is a `SchemaMismatch`, and the items, usage and whole answer are still there.
#[tokio::test]
async fn output_type_and_parse_json_keep_the_turn_when_the_answer_does_not_parse() {
    let h = Harness::new().await;
    let wrong = r#"{"verdict": "approve", "score": "high", "note": null}"#;
    h.mock.push(Sse::message("resp-1", wrong));
    h.mock.push(Sse::message(
        "resp-2",
        r#"{"verdict": "approve", "score": 9, "note": "ok"}"#,
    ));
    let thread = h.start_thread();
    let run = |prompt: &'static str| {
        let options = TurnOptions::new()
            .output_type::<Review>()
            .expect("Review is strict-able");
        tokio::time::timeout(WAIT, thread.run(prompt, options))
    };

    let turn = run("review")
        .await
        .expect("in time")
        .expect("the turn runs");
    let error = turn
        .parse_json::<Review>()
        .expect_err("`score` is a string");
    assert!(
        matches!(&error, Error::SchemaMismatch { path, .. } if path == "score"),
        "{error:?}"
    );
    assert_eq!(turn.final_response, wrong, "the whole answer is kept");
    assert!(turn.usage.is_some());
    assert!(!turn.items.is_empty());

    let turn = run("again").await.expect("in time").expect("the turn runs");
    assert_eq!(
        turn.parse_json::<Review>().expect("parses"),
        Review {
            verdict: Verdict::Approve,
            score: 9,
            note: Some("ok".into()),
        }
    );

    let requests = h.mock.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let format = request.text_format().expect("a schema is sent");
        assert_eq!(format["strict"], json!(true));
        assert_eq!(format["schema"]["title"], json!("Review"));
        assert_eq!(
            format["schema"]["required"],
            json!(["note", "score", "verdict"])
        );
    }
}

/// `Turn::parse_json` on a turn without a final answer is `NoFinalResponse`, and a type strict
/// mode cannot express is refused by `output_type` before anything runs.
#[test]
fn parse_json_needs_an_answer_and_output_type_a_strict_type() {
    #[derive(Deserialize, JsonSchema)]
    struct FreeForm {
        #[expect(dead_code, reason = "only its schema is used")]
        fields: std::collections::HashMap<String, String>,
    }

    let events = [
        r#"{"type":"turn.started"}"#,
        r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}"#,
    ]
    .map(|line| codex_agent_protocol::exec::parse_event(line).expect("an event"));
    let turn = codex_agent_sdk::Turn::from_events(events).expect("a turn without an answer");
    assert_eq!(turn.final_response, "");
    assert!(matches!(
        turn.parse_json::<Review>(),
        Err(Error::NoFinalResponse)
    ));
    let error = TurnOptions::new()
        .output_type::<FreeForm>()
        .expect_err("a free-form map has no strict schema");
    assert!(matches!(error, Error::UnsupportedSchema(_)), "{error:?}");
}
