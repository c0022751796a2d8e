//! Image input: a local PNG becomes an `input_image` of the user message.

use codex_agent_sdk::{Input, TurnOptions, UserInput};
use codex_agent_testkit::sse::Sse;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use crate::support::{Harness, WAIT};

/// A valid 4x4 RGB PNG.
const PNG: [u8; 79] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26, 0x93, 0x09,
    0x29, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0x00, 0x04,
    0xff, 0x21, 0x24, 0x82, 0xf5, 0x1f, 0xca, 0xc5, 0x2a, 0x03, 0x00, 0x9e, 0xa3, 0x0f, 0xf1, 0xdf,
    0x8a, 0x14, 0xd9, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// [`PNG`] in base64.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFklEQVR4nGP4zwAE/yEkgvUfysUqAwCeow/x34oU2QAAAABJRU5ErkJggg==";

#[tokio::test]
async fn a_local_png_is_sent_as_input_image() {
    let h = Harness::new().await;
    h.mock.push(Sse::message("resp-1", "a tiny picture"));
    let path = h.workdir().join("pic.png");
    std::fs::write(&path, PNG).expect("write the PNG");
    let input = Input::from(vec![
        UserInput::Text("describe".to_owned()),
        UserInput::LocalImage(path.clone()),
        UserInput::Text("the image".to_owned()),
    ]);

    let turn = tokio::time::timeout(WAIT, h.start_thread().run(input, TurnOptions::new()))
        .await
        .expect("the turn ends in time")
        .expect("the turn completes");
    assert_eq!(turn.final_response, "a tiny picture");

    let request = h.mock.last_request().expect("one request");
    assert!(request.has_image_input());
    let user_message: &Value = request
        .input()
        .iter()
        .rev()
        .find(|item| item["role"] == "user")
        .expect("a user message");
    assert_eq!(
        user_message["content"],
        json!([
            {"type": "input_text", "text": format!("<image name=[Image #1] path=\"{}\">", path.display())},
            {"type": "input_image", "image_url": format!("data:image/png;base64,{PNG_BASE64}"), "detail": "original"},
            {"type": "input_text", "text": "</image>"},
            {"type": "input_text", "text": "describe\n\nthe image"},
        ])
    );
    h.assert_no_mock_problems();
}
