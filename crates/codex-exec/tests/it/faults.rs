//! One test per scripted fault of the fake codex: the exact error, the process reaped, the
//! schema temp dir removed, no secret in the error.

use std::time::Duration;

use codex_agent_exec::{Error, ExecStream, SchemaFile};
use codex_agent_protocol::exec::ThreadEvent;
use codex_agent_testkit::fake_codex::{Script, Step, exec_fixture};
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{
    self, API_KEY, Scratch, assert_dead, assert_no_secret, assert_reaped, collect, event_types,
    next, pid_from,
};

/// Event types of `a-plain.jsonl`.
const A_PLAIN: [&str; 4] = [
    "thread.started",
    "turn.started",
    "item.completed",
    "turn.completed",
];

#[tokio::test]
async fn replays_a_fixture_and_ends_clean() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .fixture(exec_fixture("a-plain.jsonl"));
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(event_types(&items), A_PLAIN);
    let Some(Ok(ThreadEvent::ItemCompleted(completed))) = items.get(2) else {
        panic!("third item is item.completed: {items:?}")
    };
    assert_eq!(completed.item.id, "item_0");
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn replays_many_items_with_a_delay_between_lines() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let fixture = exec_fixture("l1-many-items.jsonl");
    let expected = std::fs::read_to_string(&fixture)
        .expect("fixture")
        .lines()
        .count();
    let script = Script::new().line_delay_ms(1).fixture(fixture);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(items.len(), expected);
    assert!(items.iter().all(Result::is_ok), "{items:?}");
}

#[tokio::test]
async fn crash_after_two_lines_is_a_signal_error() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .line(r#"{"type":"thread.started","thread_id":"t1"}"#)
        .line(r#"{"type":"turn.started"}"#)
        .stderr(format!("about to crash with CODEX_API_KEY={API_KEY}\n"))
        .step(Step::Crash);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let mut items = collect(stream).await;
    let last = items.pop().expect("an error at the end");
    assert_eq!(event_types(&items), ["thread.started", "turn.started"]);
    let Err(Error::Signaled { signal, stderr }) = &last else {
        panic!("expected Signaled, got {last:?}")
    };
    assert_eq!(*signal, 9);
    assert_eq!(stderr, "about to crash with CODEX_API_KEY=[REDACTED]\n");
    assert_no_secret(last.as_ref().expect_err("error"));
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn exit_code_carries_the_redacted_stderr_tail() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let stderr = std::fs::read_to_string(exec_fixture("i3-http-401.stderr")).expect("fixture");
    let script = Script::new()
        .pid_file(&pid_file)
        .fixture(exec_fixture("i3-http-401.jsonl"))
        .stderr(stderr.clone())
        .stderr(format!(
            "request failed: key {API_KEY}, Authorization: Bearer tok.en-123\n"
        ))
        .stderr("OPENAI_API_KEY=sk-other-abcdefghijkl rejected\n")
        .exit(1);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let mut items = collect(stream).await;
    let last = items.pop().expect("an error at the end");
    assert_eq!(items.len(), 9);
    assert_eq!(
        event_types(&items).last().map(String::as_str),
        Some("turn.failed")
    );
    let Err(Error::Exited { code, stderr: tail }) = &last else {
        panic!("expected Exited, got {last:?}")
    };
    assert_eq!(*code, 1);
    assert_eq!(
        *tail,
        format!(
            "{stderr}request failed: key [REDACTED], Authorization: Bearer [REDACTED]\n\
             OPENAI_API_KEY=[REDACTED] rejected\n"
        )
    );
    let error = last.as_ref().expect_err("error");
    // The first line that is not one of codex's status lines.
    assert_eq!(
        error.to_string(),
        "codex exited with code 1: request failed: key [REDACTED], Authorization: Bearer [REDACTED]"
    );
    assert_eq!(error.stderr_tail(), Some(tail.as_str()));
    assert_no_secret(error);
    assert!(!format!("{error:?}").contains("tok.en-123"));
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn coloured_stderr_is_stripped_and_its_error_record_quoted() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    // LIVE CAPTURE (see the fixtures README): a WARNING line, then a coloured ERROR record.
    let stderr =
        std::fs::read_to_string(exec_fixture("app-server/as-turn-failed.stderr")).expect("fixture");
    assert!(stderr.contains('\x1b'), "the fixture is coloured");
    let script = Script::new().stderr(stderr).exit(1);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let mut items = collect(stream).await;
    let error = items.pop().expect("an error").expect_err("an error");
    let tail = error.stderr_tail().expect("a tail");
    assert!(!tail.contains('\x1b'), "{tail:?}");
    assert!(
        tail.ends_with(
            "2026-11-21T07:46:34.146030Z ERROR codex_app_server: Codex could not find \
             bubblewrap on PATH. Install bubblewrap with your OS package manager. See the \
             sandbox prerequisites: https://developers.openai.com/codex/concepts/sandboxing\
             #prerequisites. Codex will use the bundled bubblewrap in the meantime.\n"
        ),
        "{tail:?}"
    );
    assert_eq!(
        error.to_string(),
        "codex exited with code 1: Codex could not find bubblewrap on PATH. Install bubblewrap \
         with your OS package manager. See the sandbox prerequisites: \
         https://developers.openai.com/codex/concepts/sandboxing#prerequisites. Codex wi…"
    );
}

#[tokio::test]
async fn an_exit_after_only_status_lines_quotes_nothing() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    // LIVE CAPTURE: codex 0.169.0's whole stderr when a turn fails on HTTP 401 (the reason
    // went to stdout as `turn.failed`).
    let stderr = std::fs::read_to_string(exec_fixture("i3-http-401.stderr")).expect("fixture");
    let script = Script::new().stderr(stderr.clone()).exit(1);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let mut items = collect(stream).await;
    let error = items.pop().expect("an error").expect_err("an error");
    assert_eq!(error.to_string(), "codex exited with code 1");
    assert_eq!(error.stderr_tail(), Some(stderr.as_str()));
}

#[tokio::test]
async fn stderr_tail_window_never_leaks_a_cut_secret() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    // A line holding the key, then enough text that the 64-byte window starts inside it.
    let script = Script::new()
        .stderr(format!("first line with the key {API_KEY} in it\n"))
        .stderr("second line\n")
        .stderr("third and last line\n")
        .exit(2);
    let options = support::options().stderr_tail_len(64);
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let mut items = collect(stream).await;
    let Some(Err(Error::Exited { code: 2, stderr })) = items.pop() else {
        panic!("expected Exited")
    };
    assert_eq!(stderr, "second line\nthird and last line\n");
}

#[tokio::test]
async fn garbage_line_is_a_parse_error_and_the_stream_goes_on() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = Script::new()
        .line(r#"{"type":"thread.started","thread_id":"t1"}"#)
        .line("this is not json")
        .line(r#"{"type":"turn.started"}"#);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(items.len(), 3);
    let Err(Error::Parse(parse)) = &items[1] else {
        panic!("expected Parse, got {:?}", items[1])
    };
    assert_eq!(parse.line(), Some(2));
    assert!(items[0].is_ok() && items[2].is_ok(), "{items:?}");
}

#[tokio::test]
async fn over_long_line_is_reported_and_skipped() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = Script::new()
        .line(r#"{"type":"turn.started"}"#)
        .step(Step::LongLine { len: 100_000 })
        .line("")
        .line(r#"{"type":"turn.started"}"#);
    let options = support::options().max_line_len(1024);
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(
        event_types(&items),
        [
            "turn.started",
            "error: line 2 of the output of codex is longer than the limit of 1024 bytes",
            "turn.started",
        ]
    );
    assert!(matches!(
        items[1],
        Err(Error::LineTooLong {
            line: 2,
            limit: 1024
        })
    ));
}

#[tokio::test]
async fn line_over_the_default_limit_of_16_mib() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let limit = codex_agent_exec::DEFAULT_MAX_LINE_LEN;
    let script = Script::new()
        .step(Step::LongLine { len: limit })
        .step(Step::LongLine { len: limit + 1 })
        .line(r#"{"type":"turn.started"}"#);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(items.len(), 3);
    // A line of exactly the limit is read and parsed (it is not JSON).
    assert!(
        matches!(&items[0], Err(Error::Parse(p)) if p.line() == Some(1)),
        "{:?}",
        items[0]
    );
    assert!(matches!(items[1], Err(Error::LineTooLong { line: 2, limit: l }) if l == limit));
    assert!(items[2].is_ok());
}

#[tokio::test]
async fn invalid_utf8_is_reported_with_its_line() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let mut bytes = br#"{"type":"error","message":"bad "#.to_vec();
    bytes.extend_from_slice(b"\xff\xfe\"}\n");
    let script = Script::new()
        .line(r#"{"type":"turn.started"}"#)
        .step(Step::Raw { bytes })
        .line(r#"{"type":"turn.started"}"#);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(items.len(), 3);
    assert!(
        matches!(
            items[1],
            Err(Error::InvalidUtf8 {
                line: 2,
                valid_up_to: 31
            })
        ),
        "{:?}",
        items[1]
    );
    assert!(items[2].is_ok());
}

#[tokio::test]
async fn hang_forever_hits_the_turn_timeout() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .line(r#"{"type":"turn.started"}"#)
        .hang();
    let options = support::options().turn_timeout(Duration::from_millis(400));
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(
        event_types(&items),
        [
            "turn.started",
            "error: the turn did not finish within 0.400s"
        ]
    );
    assert!(
        matches!(items[1], Err(Error::TurnTimeout { limit }) if limit == Duration::from_millis(400))
    );
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn silence_hits_the_idle_timeout() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .line(r#"{"type":"turn.started"}"#)
        .hang();
    let options = support::options().idle_timeout(Duration::from_millis(300));
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(
        event_types(&items),
        ["turn.started", "error: codex printed nothing for 0.300s"]
    );
    assert!(
        matches!(items[1], Err(Error::IdleTimeout { limit }) if limit == Duration::from_millis(300))
    );
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn a_slow_consumer_does_not_trip_the_idle_timeout() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = Script::new().fixture(exec_fixture("a-plain.jsonl"));
    let options = support::options().idle_timeout(Duration::from_millis(200));
    let mut stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let mut types = Vec::new();
    while let Some(item) = next(&mut stream).await {
        types.push(item.expect("no error").event_type().to_owned());
        // The consumer is slower than the idle timeout; that time must not count.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(types, A_PLAIN);
}

#[tokio::test]
async fn closing_stdout_but_running_on_hits_the_exit_timeout() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let script = Script::new()
        .pid_file(&pid_file)
        .line(r#"{"type":"turn.started"}"#)
        .step(Step::CloseStdout)
        .hang();
    let options = support::options().exit_timeout(Duration::from_millis(300));
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let items = collect(stream).await;
    assert_eq!(
        event_types(&items),
        [
            "turn.started",
            "error: codex closed its output but did not exit within 0.300s"
        ]
    );
    assert!(matches!(items[1], Err(Error::ExitTimeout { .. })));
    assert_reaped(pid_from(&pid_file).await).await;
}

#[tokio::test]
async fn a_grandchild_holding_stdout_does_not_outlive_a_clean_exit() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let (pid_file, grandchild_file) = (scratch.path("pid"), scratch.path("grandchild"));
    let script = Script::new()
        .pid_file(&pid_file)
        .step(Step::SpawnGrandchild {
            pid_file: grandchild_file.clone(),
            inherit_stdio: true,
            ignore_sigterm: true,
        })
        .fixture(exec_fixture("a-plain.jsonl"));
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    // The grandchild keeps stdout and stderr open: the stream must still end, cleanly.
    let items = collect(stream).await;
    assert_eq!(event_types(&items), A_PLAIN);
    assert_reaped(pid_from(&pid_file).await).await;
    assert_dead(pid_from(&grandchild_file).await).await;
}

#[tokio::test]
async fn argv_env_and_stdin_reach_the_child() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let record = scratch.path("record.json");
    let script = Script::new().record(&record);
    let spec = scratch
        .spec(&script)
        .current_dir(scratch.dir.path())
        .env("EXTRA", "1")
        .env_remove("HOME");
    let items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    assert!(items.is_empty(), "{items:?}");
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    assert_eq!(
        recorded["argv"].as_array().map(|a| a[1..].to_vec()),
        Some(vec![json!("exec"), json!("--experimental-json")])
    );
    assert_eq!(recorded["stdin"], "say hi");
    assert_eq!(recorded["env"]["EXTRA"], "1");
    assert_eq!(recorded["env"]["CODEX_API_KEY"], API_KEY);
    assert_eq!(recorded["env"]["HOME"], serde_json::Value::Null);
    let cwd = std::fs::canonicalize(scratch.dir.path()).expect("canonical");
    assert_eq!(recorded["cwd"], cwd.display().to_string());
}

#[tokio::test]
async fn a_huge_prompt_does_not_deadlock_with_stdout() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let record = scratch.path("record.json");
    // The fake reads stdin to the end before writing; 8 MiB is far beyond any pipe buffer.
    let prompt = "p".repeat(8 * 1024 * 1024);
    let script = Script::new()
        .record(&record)
        .fixture(exec_fixture("a-plain.jsonl"));
    let spec = scratch.spec(&script).stdin(prompt.clone());
    let items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    assert_eq!(event_types(&items), A_PLAIN);
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    assert_eq!(recorded["stdin"].as_str().map(str::len), Some(prompt.len()));
}

#[tokio::test]
async fn a_child_that_never_reads_its_prompt_is_fine() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let script = Script::new()
        .skip_stdin()
        .fixture(exec_fixture("a-plain.jsonl"));
    let spec = scratch.spec(&script).stdin("p".repeat(4 * 1024 * 1024));
    let items = collect(ExecStream::spawn(spec, &support::options()).expect("spawn")).await;
    assert_eq!(event_types(&items), A_PLAIN);
}

#[tokio::test]
async fn a_missing_program_is_a_spawn_error() {
    let scratch = Scratch::new();
    let missing = scratch.path("no-such-codex");
    let error = ExecStream::spawn(
        codex_agent_exec::ProcessSpec::new(&missing),
        &support::options(),
    )
    .expect_err("spawn fails");
    let Error::Spawn { program, source } = &error else {
        panic!("expected Spawn, got {error:?}")
    };
    assert_eq!(program, &missing);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
}

#[tokio::test]
async fn the_schema_dir_lives_until_the_process_is_reaped() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let record = scratch.path("record.json");
    let schema =
        SchemaFile::create_in(scratch.dir.path(), &json!({"type": "object"})).expect("schema");
    let (schema_path, schema_dir) = (schema.path().to_owned(), schema.dir().to_owned());
    let script = Script::new()
        .record(&record)
        .line(r#"{"type":"turn.started"}"#)
        .stderr("failing\n")
        .exit(3);
    let spec = scratch
        .spec(&script)
        .arg("--output-schema")
        .arg(&schema_path)
        .keep_alive(schema);
    let mut stream = ExecStream::spawn(spec, &support::options()).expect("spawn");
    let first = next(&mut stream).await;
    assert!(
        matches!(first, Some(Ok(ThreadEvent::TurnStarted(_)))),
        "{first:?}"
    );
    // The file exists while codex runs (the fake records before printing).
    assert!(std::fs::read_to_string(&record).is_ok());
    let last = next(&mut stream).await;
    assert!(
        matches!(last, Some(Err(Error::Exited { code: 3, .. }))),
        "{last:?}"
    );
    assert!(
        !schema_dir.exists(),
        "the schema dir is removed once the turn ends"
    );
    assert!(next(&mut stream).await.is_none());
}

/// The fault behind the escalation test in `cancel.rs`: `SIGTERM` alone does not stop this
/// fake, so when it is gone after a cancel, `SIGKILL` did it.
#[cfg(unix)]
#[tokio::test]
async fn the_ignore_sigterm_fault_survives_sigterm() {
    use rustix::process::{Pid, Signal, kill_process};

    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let (pid_file, go) = (scratch.path("pid"), scratch.path("go"));
    let script = Script::new()
        .step(Step::IgnoreSigterm)
        .pid_file(&pid_file)
        .step(Step::WaitForFile { path: go.clone() })
        .line(r#"{"type":"turn.started"}"#);
    let stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");
    let pid = pid_from(&pid_file).await;
    let raw = Pid::from_raw(i32::try_from(pid).expect("pid fits")).expect("non-zero pid");
    kill_process(raw, Signal::TERM).expect("send SIGTERM");
    // The signal is pending before `kill` returns, so the fake handles it before it can see
    // the file; it prints its line only if it survived.
    std::fs::write(&go, "").expect("create the go file");
    let items = collect(stream).await;
    assert_eq!(event_types(&items), ["turn.started"]);
    assert_reaped(pid).await;
}

/// codex waiting for the network past the offline timeout: the error says what codex last
/// reported, with the registered key and bearer tokens redacted.
#[tokio::test]
async fn the_offline_error_carries_codex_s_last_report_redacted() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let pid_file = scratch.path("pid");
    let report = |n: u32| {
        json!({
            "type": "error",
            "message": format!(
                "Reconnecting... {n}/5 waiting for network (Connection failed: key {API_KEY}, \
                 header Bearer abc.def.ghi)"
            ),
        })
        .to_string()
    };
    let script = Script::new()
        .pid_file(&pid_file)
        .line(r#"{"type":"thread.started","thread_id":"t1"}"#)
        .line(r#"{"type":"turn.started"}"#)
        .line(report(1))
        .line(report(2))
        .step(Step::Hang);
    let options = support::options().offline_timeout(Some(Duration::from_millis(300)));
    let stream = ExecStream::spawn(scratch.spec(&script), &options).expect("spawn");
    let mut items = collect(stream).await;
    let last = items.pop().expect("an error at the end");
    let Err(
        error @ Error::ModelUnreachable {
            reason: Some(reason),
            ..
        },
    ) = &last
    else {
        panic!("expected ModelUnreachable with a report, got {last:?}")
    };
    assert!(
        reason.starts_with("Reconnecting... 2/5 waiting for network (Connection failed"),
        "the last report: {reason}"
    );
    assert!(error.to_string().contains(reason.as_str()), "{error}");
    assert_no_secret(error);
    assert!(
        !format!("{error} {error:?}").contains("abc.def.ghi"),
        "{error:?}"
    );
    assert_reaped(pid_from(&pid_file).await).await;
}
