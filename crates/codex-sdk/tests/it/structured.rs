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
