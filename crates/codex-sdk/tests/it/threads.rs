//! Threads as data: list, read, fork, archive, rename, roll back and export, on both
//! transports, and the rollout files real turns leave behind.

use std::path::{Path, PathBuf};

use codex_agent_protocol::rollout::parse_rollout;
use codex_agent_sdk::{
    CodexOptions, Error, GoalEvent, GoalUpdate, ThreadExport, ThreadGoalStatus, ThreadListOptions,
    ThreadSummary, Transport, Turn,
};
use codex_agent_testkit::codex_home::CodexHomeOptions;
use codex_agent_testkit::sse::{self, Sse};
use futures::{StreamExt as _, TryStreamExt as _};
use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::support::{Harness, WAIT, run};

async fn harness(transport: Transport) -> Harness {
    Harness::with(CodexHomeOptions::default(), move |options, _| {
        options.transport(transport)
    })
    .await
}

/// Every rollout file under `home/sessions`.
fn rollouts(home: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&home.join("sessions"), &mut out);
    out.sort();
    out
}

/// Runs a thread that touches every kind of item the mock can script: reasoning, a message,
/// a command, a patch.
async fn scripted_thread(h: &Harness) -> (String, Vec<Turn>) {
    h.mock.push_all([
        Sse::reply(
            "resp-1",
            [
                sse::reasoning("rs-1", &["**Thinking** about it"]),
                sse::exec_command("call-1", "echo hello"),
            ],
        ),
        Sse::message("resp-2", "The command said hello."),
        Sse::reply(
            "resp-3",
            [sse::apply_patch(
                "call-2",
                "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n",
            )],
        ),
        Sse::message("resp-4", "I wrote hello.txt."),
    ]);
    let thread = h.start_thread();
    let first = run(&thread, "say hello").await.expect("first turn");
    let second = run(&thread, "write hello.txt").await.expect("second turn");
    (thread.id().expect("an id"), vec![first, second])
}

/// Items as wire JSON without ids (exec numbers its items per process, `item_0`, …).
fn without_ids(items: &[codex_agent_sdk::ThreadItem]) -> Vec<Value> {
    items
        .iter()
        .map(|item| {
            let mut value = serde_json::to_value(item).expect("items serialize");
            value.as_object_mut().expect("an object").remove("id");
            value
        })
        .collect()
}

async fn list(h: &Harness, options: ThreadListOptions) -> Vec<ThreadSummary> {
    tokio::time::timeout(WAIT, h.codex.list_threads(options).try_collect())
        .await
        .expect("the list ends in time")
        .expect("the list")
}

/// Every rollout the turns left parses with no error and no unknown.
fn assert_rollouts_parse(h: &Harness) {
    let files = rollouts(h.home());
    assert!(!files.is_empty(), "codex wrote rollouts");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable rollout");
        let rollout = parse_rollout(&text);
        assert_eq!(rollout.errors, Vec::new(), "{}", file.display());
        assert_eq!(
            rollout.unknowns(),
            Vec::<String>::new(),
            "{}",
            file.display()
        );
    }
}

#[tokio::test]
async fn threads_read_gives_the_items_the_turns_streamed() {
    for transport in [Transport::Exec, Transport::AppServer] {
        let h = harness(transport).await;
        let (id, turns) = scripted_thread(&h).await;
        let record = h.codex.read_thread(&id).await.expect("read the thread");
        assert_eq!(record.id(), id, "{transport}");
        assert_eq!(record.problems, Vec::new());
        assert_eq!(record.summary.preview, "say hello", "{transport}");
        let prompts: Vec<&str> = record.turns.iter().map(|t| t.prompt.as_str()).collect();
        assert_eq!(prompts, ["say hello", "write hello.txt"], "{transport}");
        for (stored, streamed) in record.turns.iter().zip(&turns) {
            assert_eq!(
                without_ids(&stored.items),
                without_ids(&streamed.items),
                "{transport}"
            );
        }
        assert_rollouts_parse(&h);
        // Another `Codex` on the same home (a new app-server, the thread not loaded there).
        let other = codex_agent_sdk::Codex::new(
            codex_agent_sdk::CodexOptions::new()
                .codex_path(crate::support::real_codex())
                .env(h.env())
                .transport(transport),
        )
        .expect("a second Codex");
        let again = other
            .read_thread(&id)
            .await
            .expect("read from another Codex");
        assert_eq!(again.turns, record.turns, "{transport}");
        let missing = h
            .codex
            .read_thread("01a24c80-0000-7000-8000-000000000000")
            .await;
        assert!(
            matches!(&missing, Err(Error::ThreadNotFound { id }) if id.starts_with("01a24c80")),
            "{transport}: {missing:?}"
        );
        // Not a thread id at all (the app-server's "invalid session id"): the same error.
        let bogus = h.codex.read_thread("not-a-uuid").await;
        assert!(
            matches!(&bogus, Err(Error::ThreadNotFound { id }) if id == "not-a-uuid"),
            "{transport}: {bogus:?}"
        );
    }
}

#[tokio::test]
async fn threads_list_newest_first_on_both_transports() {
    for transport in [Transport::Exec, Transport::AppServer] {
        let h = harness(transport).await;
        let mut ids = Vec::new();
        for (n, prompt) in ["first thread", "second thread", "third thread"]
            .iter()
            .enumerate()
        {
            h.mock.push(Sse::message(&format!("resp-{n}"), "ok"));
            let thread = h.start_thread();
            run(&thread, prompt).await.expect("a turn");
            ids.push(thread.id().expect("an id"));
        }
        let listed = list(&h, ThreadListOptions::new()).await;
        let listed_ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
        let mut newest_first: Vec<&str> = ids.iter().map(String::as_str).collect();
        newest_first.reverse();
        assert_eq!(listed_ids, newest_first, "{transport}");
        let previews: Vec<&str> = listed.iter().map(|s| s.preview.as_str()).collect();
        assert_eq!(
            previews,
            ["third thread", "second thread", "first thread"],
            "{transport}"
        );
        // One thread a page: the stream fetches three pages (and an empty last one on the
        // app-server) and gives the same list.
        let paged = list(&h, ThreadListOptions::new().page_size(1)).await;
        assert_eq!(paged, listed, "{transport}");
        let found = list(&h, ThreadListOptions::new().search("second")).await;
        assert_eq!(found.len(), 1, "{transport}: {found:?}");
        assert_eq!(found[0].id, ids[1]);
        assert_rollouts_parse(&h);
    }
}

#[tokio::test]
async fn threads_archive_rename_fork_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    h.mock
        .push(Sse::message("resp-1", "I will remember banana."));
    let thread = h.start_thread();
    run(&thread, "remember banana").await.expect("a turn");
    let id = thread.id().expect("an id");

    thread.rename("fruit").await.expect("rename");
    let listed = list(&h, ThreadListOptions::new()).await;
    assert_eq!(listed[0].name.as_deref(), Some("fruit"));

    thread.archive().await.expect("archive");
    assert!(list(&h, ThreadListOptions::new()).await.is_empty());
    let archived = list(&h, ThreadListOptions::new().archived(true)).await;
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0].id, id);
    thread.unarchive().await.expect("unarchive");
    let back = list(&h, ThreadListOptions::new()).await;
    assert_eq!(
        back.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );

    let fork = thread.fork(None, h.thread_options()).await.expect("fork");
    let fork_id = fork.id().expect("the fork has an id");
    assert_ne!(fork_id, id);
    h.mock.push(Sse::message("resp-2", "It was banana."));
    run(&fork, "what was it?")
        .await
        .expect("a turn on the fork");
    let request = h.mock.last_request().expect("a request");
    assert_eq!(
        request.message_texts("assistant"),
        ["I will remember banana."]
    );
    assert_eq!(request.header("thread-id"), Some(fork_id.as_str()));
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_what_exec_cannot_change_is_unsupported() {
    let h = harness(Transport::Exec).await;
    h.mock.push(Sse::message("resp-1", "ok"));
    let thread = h.start_thread();
    run(&thread, "hello").await.expect("a turn");
    let unsupported = |result: Result<(), Error>| {
        assert!(
            matches!(
                result,
                Err(Error::Unsupported {
                    transport: Transport::Exec,
                    ..
                })
            ),
            "{result:?}"
        );
    };
    let id = thread.id().expect("an id");
    unsupported(thread.archive().await);
    unsupported(thread.rename("x").await);
    unsupported(thread.rollback(1).await);
    unsupported(
        thread
            .fork(Some("a-turn"), h.thread_options())
            .await
            .map(drop),
    );
    unsupported(h.codex.delete_thread(&id).await);
    unsupported(h.codex.models().await.map(drop));
    unsupported(h.codex.rate_limits().await.map(drop));
    unsupported(
        thread
            .set_goal(GoalUpdate::new().objective("x"))
            .await
            .map(drop),
    );
    unsupported(thread.goal().await.map(drop));
    unsupported(thread.clear_goal().await.map(drop));
    unsupported(h.codex.goal_events(&id).await.map(drop));
    let export = ThreadExport::new(thread.read().await.expect("read"));
    unsupported(
        h.codex
            .import_thread(&export, h.thread_options())
            .await
            .map(drop),
    );
    let not_started = h.start_thread().read().await;
    assert!(
        matches!(not_started, Err(Error::ThreadNotStarted)),
        "{not_started:?}"
    );
}

#[tokio::test]
async fn threads_models_and_account_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    let models = h.codex.models().await.expect("models");
    assert!(models.iter().any(|m| m.model == "gpt-5.5"), "{models:?}");
    h.codex.account().await.expect("account");
    h.codex.mcp_server_status().await.expect("mcp status");
}

#[tokio::test]
async fn threads_capture_rollouts() {
    for transport in [Transport::Exec, Transport::AppServer] {
        let h = harness(transport).await;
        scripted_thread(&h).await;
        if let Some(dir) = std::env::var_os("CODEX_SDK_CAPTURE_ROLLOUTS") {
            for (i, file) in rollouts(h.home()).into_iter().enumerate() {
                // Only with the variable set: the capture that made `fixtures/rollouts/`.
                let target = Path::new(&dir).join(format!("{transport}-{i}.jsonl"));
                std::fs::copy(&file, target).expect("copy");
            }
        }
    }
}

/// Runs `prompts` on a new thread, the mock answering each with `answer <n>`.
async fn answered_thread(h: &Harness, prompts: &[&str]) -> codex_agent_sdk::Thread {
    h.mock.push_all(
        (1..=prompts.len()).map(|n| Sse::message(&format!("resp-{n}"), &format!("answer {n}"))),
    );
    let thread = h.start_thread();
    for prompt in prompts {
        run(&thread, prompt).await.expect("a turn");
    }
    thread
}

/// The assistant texts the model got in the last request.
fn last_assistant_texts(h: &Harness) -> Vec<String> {
    h.mock
        .last_request()
        .expect("a request")
        .message_texts("assistant")
}

#[tokio::test]
async fn threads_fork_on_exec_carries_the_history() {
    let h = harness(Transport::Exec).await;
    let thread = answered_thread(&h, &["one", "two"]).await;
    let id = thread.id().expect("an id");
    let fork = thread.fork(None, h.thread_options()).await.expect("fork");
    let fork_id = fork.id().expect("the fork has an id at once");
    assert_ne!(fork_id, id);
    h.mock.push(Sse::message("resp-3", "forked"));
    run(&fork, "three").await.expect("a turn on the fork");
    assert_eq!(last_assistant_texts(&h), ["answer 1", "answer 2"]);
    assert_eq!(
        h.mock
            .last_request()
            .and_then(|r| r.header("thread-id").map(str::to_owned)),
        Some(fork_id.clone())
    );
    // The fork is a thread of its own in the list; the original is unchanged.
    let listed = list(&h, ThreadListOptions::new()).await;
    assert!(listed.iter().any(|s| s.id == fork_id), "{listed:?}");
    let original = h.codex.read_thread(&id).await.expect("read");
    assert_eq!(original.turns.len(), 2);
    let missing = h
        .codex
        .fork_thread(
            "01a24c80-0000-7000-8000-000000000000",
            None,
            h.thread_options(),
        )
        .await;
    assert!(
        matches!(&missing, Err(Error::ThreadNotFound { id }) if id.starts_with("01a24c80")),
        "{missing:?}"
    );
    assert_rollouts_parse(&h);
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_fork_at_a_turn_carries_the_history_up_to_it() {
    let h = harness(Transport::AppServer).await;
    let thread = answered_thread(&h, &["one", "two", "three"]).await;
    let record = thread.read().await.expect("read");
    let second = record.turns[1].id.clone();
    let fork = thread
        .fork(Some(&second), h.thread_options())
        .await
        .expect("fork at the second turn");
    h.mock.push(Sse::message("resp-4", "forked"));
    run(&fork, "four").await.expect("a turn on the fork");
    assert_eq!(last_assistant_texts(&h), ["answer 1", "answer 2"]);
    let forked = fork.read().await.expect("read the fork");
    let prompts: Vec<&str> = forked.turns.iter().map(|t| t.prompt.as_str()).collect();
    assert_eq!(prompts, ["one", "two", "four"]);
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_rollback_and_delete_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    let thread = answered_thread(&h, &["one", "two", "three"]).await;
    let id = thread.id().expect("an id");
    thread.rollback(2).await.expect("roll back two turns");
    let record = thread.read().await.expect("read");
    let prompts: Vec<&str> = record.turns.iter().map(|t| t.prompt.as_str()).collect();
    assert_eq!(prompts, ["one"]);
    // The next turn's model request no longer carries the dropped turns.
    h.mock.push(Sse::message("resp-4", "after"));
    run(&thread, "four")
        .await
        .expect("a turn after the rollback");
    assert_eq!(last_assistant_texts(&h), ["answer 1"]);

    thread.delete().await.expect("delete");
    assert!(list(&h, ThreadListOptions::new()).await.is_empty());
    let gone = h.codex.read_thread(&id).await;
    assert!(
        matches!(&gone, Err(Error::ThreadNotFound { id: missing }) if *missing == id),
        "{gone:?}"
    );
    let again = h.codex.delete_thread(&id).await;
    assert!(
        matches!(&again, Err(Error::ThreadNotFound { .. })),
        "{again:?}"
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn a_stored_thread_another_app_server_ran_rolls_back() {
    let h = harness(Transport::AppServer).await;
    let id = {
        let thread = answered_thread(&h, &["one", "two", "three"]).await;
        thread.id().expect("an id")
    };
    // The app-server that ran it stops; a new one has never loaded the thread.
    h.codex.shutdown().await.expect("codex exits cleanly");
    let other = codex_agent_sdk::Codex::new(
        CodexOptions::new()
            .codex_path(crate::support::real_codex())
            .env(h.env())
            .transport(Transport::AppServer),
    )
    .expect("the facade finds codex");
    other
        .rollback_thread(&id, 2)
        .await
        .expect("the stored thread is loaded and rolled back");
    let record = other.read_thread(&id).await.expect("read");
    let prompts: Vec<&str> = record.turns.iter().map(|t| t.prompt.as_str()).collect();
    assert_eq!(prompts, ["one"]);
    // The same app-server, which loaded it, runs its next turn without the dropped ones.
    h.mock.push(Sse::message("resp-4", "after"));
    run(&other.resume_thread(&id, h.thread_options()), "four")
        .await
        .expect("a turn after the rollback");
    assert_eq!(last_assistant_texts(&h), ["answer 1"]);
    // A thread that does not exist is still not found.
    let missing = other
        .rollback_thread("00000000-0000-7000-8000-000000000000", 1)
        .await;
    assert!(
        matches!(&missing, Err(Error::ThreadNotFound { .. })),
        "{missing:?}"
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_import_an_export_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    let thread = answered_thread(&h, &["remember banana", "and apple"]).await;
    let export = ThreadExport::new(thread.read().await.expect("read"));
    let json = serde_json::to_string(&export).expect("export as JSON");
    let back: ThreadExport = serde_json::from_str(&json).expect("read the export back");
    let imported = h
        .codex
        .import_thread(&back, h.thread_options())
        .await
        .expect("import");
    let new_id = imported.id().expect("the import has an id at once");
    assert_ne!(Some(new_id.as_str()), thread.id().as_deref());
    h.mock.push(Sse::message("resp-3", "banana and apple"));
    run(&imported, "what were they?").await.expect("a turn");
    let request = h.mock.last_request().expect("a request");
    assert_eq!(request.message_texts("assistant"), ["answer 1", "answer 2"]);
    let users = request.message_texts("user");
    let position = |text: &str| users.iter().position(|u| u == text);
    assert!(
        position("remember banana") < position("and apple")
            && position("and apple") < position("what were they?")
            && position("remember banana").is_some(),
        "{users:?}"
    );
    assert_eq!(request.header("thread-id"), Some(new_id.as_str()));

    let mut newer = back.clone();
    newer.version += 1;
    let refused = h.codex.import_thread(&newer, h.thread_options()).await;
    assert!(
        matches!(refused, Err(Error::Unsupported { .. })),
        "{refused:?}"
    );
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_goals_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    let thread = answered_thread(&h, &["hello"]).await;
    let id = thread.id().expect("an id");
    assert_eq!(thread.goal().await.expect("no goal yet"), None);
    let mut events = h.codex.goal_events(&id).await.expect("subscribe");
    // Paused, so that codex does not start working on it against the mock.
    let goal = thread
        .set_goal(
            GoalUpdate::new()
                .objective("ship the release")
                .status(ThreadGoalStatus::Paused)
                .token_budget(50_000),
        )
        .await
        .expect("set the goal");
    assert_eq!(goal.thread_id, id);
    assert_eq!(goal.objective, "ship the release");
    assert_eq!(goal.status, ThreadGoalStatus::Paused);
    assert_eq!(goal.token_budget, Some(50_000));
    assert_eq!(thread.goal().await.expect("get"), Some(goal.clone()));
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
        .expect("an event");
    assert!(
        matches!(&event, GoalEvent::Updated { goal: updated, .. } if updated.objective == goal.objective),
        "{event:?}"
    );
    assert!(thread.clear_goal().await.expect("clear"));
    assert_eq!(thread.goal().await.expect("get"), None);
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event in time")
        .expect("the stream goes on")
        .expect("an event");
    assert_eq!(event, GoalEvent::Cleared);
    assert!(!thread.clear_goal().await.expect("clear again"));
    h.assert_no_mock_problems();
}

#[tokio::test]
async fn threads_rate_limits_need_an_account_on_the_app_server() {
    let h = harness(Transport::AppServer).await;
    // The test home logs in with an API key: codex has no ChatGPT rate limits to give.
    let result = h.codex.rate_limits().await;
    assert!(matches!(&result, Err(Error::Rpc { .. })), "{result:?}");
    let models = h.codex.models().await.expect("models");
    assert!(
        models
            .iter()
            .all(|m| !m.accepted_input_modalities().is_empty()),
        "{models:?}"
    );
}
