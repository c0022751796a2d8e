//! Attachments (`TurnOptions::attach`) on both transports against the real codex: an attached
//! text file is read by the agent's command, an attached image reaches the model as an image,
//! bad input fails before codex starts, and the store keeps nothing afterwards, however the
//! turn ended.

use std::path::Path;

use codex_agent_sdk::files::StoreOptions;
use codex_agent_sdk::{Attachment, Error, ItemDetails, Transport, TurnOptions};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::sse::{self, Sse};
use pretty_assertions::assert_eq;
use tempfile::TempDir;

use crate::support::{Harness, WAIT, next_event, run_with};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92, 0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A harness on `transport` whose attachment store lives in `store`.
async fn harness(transport: Transport, store: &TempDir) -> Harness {
    let root = store.path().to_path_buf();
    Harness::with(CodexHomeOptions::default(), move |options, _| {
        options
            .transport(transport)
            .attachment_store(StoreOptions::new().root(root))
    })
    .await
}

/// Asserts that the store at `root` holds nothing: no blob, manifest entry, view or
/// temporary file.
fn assert_store_empty(root: &Path) {
    for sub in ["blobs", "manifest", "sets", "tmp"] {
        let names: Vec<String> = std::fs::read_dir(root.join(sub))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names, Vec::<String>::new(), "{sub}");
    }
}

async fn an_attached_file_is_read_by_the_agent(transport: Transport) {
    let store = tempfile::tempdir().expect("store directory");
    let h = harness(transport, &store).await;
    let notes = h.workdir.path().join("notes.txt");
    std::fs::write(&notes, "the secret word is pelican\n").expect("write notes");
    // The view's name is only known once the turn starts: the command finds it by glob.
    let command = format!("cat {}/sets/*/0/notes.txt", store.path().display());
    h.mock.push(Sse::reply(
        "resp-1",
        [sse::exec_command("call-1", &command)],
    ));
    h.mock.push(Sse::message("resp-2", "pelican"));

    let turn = run_with(
        &h.start_thread(),
        "What is the secret word?",
        TurnOptions::new().attach(Attachment::file(&notes)),
    )
    .await
    .expect("the turn completes");

    let outputs: Vec<&str> = turn
        .items
        .iter()
        .filter_map(|item| match &item.details {
            ItemDetails::CommandExecution(c) => Some(c.aggregated_output.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs.len(), 1, "{:#?}", turn.items);
    assert!(
        outputs[0].ends_with("the secret word is pelican\n"),
        "{outputs:?}"
    );
    // The prompt lists the file by its path in the view.
    let first = h.mock.requests().into_iter().next().expect("a request");
    let texts = first.message_texts("user");
    let listing = texts
        .iter()
        .find(|t| t.contains("Attached files"))
        .unwrap_or_else(|| panic!("no listing in {texts:?}"));
    assert!(listing.contains("/0/notes.txt ("), "{listing}");
    assert!(listing.contains("27 bytes, text/plain"), "{listing}");
    assert_eq!(turn.final_response, "pelican");
    h.assert_no_mock_problems();
    assert_store_empty(store.path());
}

#[tokio::test]
async fn an_attached_file_is_read_by_the_agent_on_exec() {
    an_attached_file_is_read_by_the_agent(Transport::Exec).await;
}

#[tokio::test]
async fn an_attached_file_is_read_by_the_agent_on_the_app_server() {
    an_attached_file_is_read_by_the_agent(Transport::AppServer).await;
}

async fn an_attached_image_reaches_the_model_as_an_image(transport: Transport) {
    let store = tempfile::tempdir().expect("store directory");
    let h = harness(transport, &store).await;
    // The name says text; the content decides.
    let image = h.workdir.path().join("pixel.txt");
    std::fs::write(&image, PNG).expect("write the image");
    h.mock.push(Sse::message("resp-1", "a pixel"));

    let turn = run_with(
        &h.start_thread(),
        "describe",
        TurnOptions::new().attach(Attachment::image(&image)),
    )
    .await
    .expect("the turn completes");

    assert_eq!(turn.final_response, "a pixel");
    let request = h.mock.last_request().expect("one request");
    assert!(request.has_image_input(), "{:?}", request.input());
    h.assert_no_mock_problems();
    assert_store_empty(store.path());
}

#[tokio::test]
async fn an_attached_image_reaches_the_model_as_an_image_on_exec() {
    an_attached_image_reaches_the_model_as_an_image(Transport::Exec).await;
}

#[tokio::test]
async fn an_attached_image_reaches_the_model_as_an_image_on_the_app_server() {
    an_attached_image_reaches_the_model_as_an_image(Transport::AppServer).await;
}

async fn bad_input_fails_before_codex_starts(transport: Transport) {
    let store = tempfile::tempdir().expect("store directory");
    let h = harness(transport, &store).await;
    let text = h.workdir.path().join("text.txt");
    std::fs::write(&text, "not an image").expect("write");
    let missing = h.workdir.path().join("missing.txt");
    let cases = [
        (Attachment::file(&missing), missing.clone()),
        (Attachment::image(&text), text.clone()),
        (
            Attachment::file(h.workdir.path()),
            h.workdir.path().to_path_buf(),
        ),
    ];
    for (attachment, path) in cases {
        // A good attachment first: it must not stay behind either.
        let options = TurnOptions::new()
            .attach(Attachment::file(&text))
            .attach(attachment);
        let error = run_with(&h.start_thread(), "never sent", options)
            .await
            .expect_err("bad input");
        match &error {
            Error::Attachment(inner) => assert_eq!(inner.path(), path, "{error}"),
            other => panic!("{other:?}"),
        }
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
        assert_store_empty(store.path());
    }
    assert_eq!(h.mock.requests().len(), 0, "codex never started");
}

#[tokio::test]
async fn bad_input_fails_before_codex_starts_on_exec() {
    bad_input_fails_before_codex_starts(Transport::Exec).await;
}

#[tokio::test]
async fn bad_input_fails_before_codex_starts_on_the_app_server() {
    bad_input_fails_before_codex_starts(Transport::AppServer).await;
}

async fn a_dropped_turn_takes_its_attachments_along(transport: Transport) {
    let store = tempfile::tempdir().expect("store directory");
    let h = harness(transport, &store).await;
    let notes = h.workdir.path().join("notes.txt");
    std::fs::write(&notes, "notes").expect("write");
    h.mock.push(Sse::message("resp-1", "never read"));
    let thread = h.start_thread();
    let mut stream = tokio::time::timeout(
        WAIT,
        thread.run_streamed("hello", TurnOptions::new().attach(Attachment::file(&notes))),
    )
    .await
    .expect("the turn starts in time")
    .expect("the turn starts");
    let views = std::fs::read_dir(store.path().join("sets"))
        .expect("sets")
        .count();
    assert_eq!(views, 1, "the view exists while the turn runs");
    next_event(&mut stream)
        .await
        .expect("an event")
        .expect("not an error");
    drop(stream);
    assert_store_empty(store.path());
}

#[tokio::test]
async fn a_dropped_turn_takes_its_attachments_along_on_exec() {
    a_dropped_turn_takes_its_attachments_along(Transport::Exec).await;
}

#[tokio::test]
async fn a_dropped_turn_takes_its_attachments_along_on_the_app_server() {
    a_dropped_turn_takes_its_attachments_along(Transport::AppServer).await;
}
