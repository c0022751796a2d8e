//! A slow consumer slows codex through the pipe: nothing between them buffers without bound.

use codex_agent_exec::ExecStream;
use codex_agent_testkit::fake_codex::{Script, Step};
use codex_agent_testkit::process_watch;
use serde::Deserialize;

use crate::support::{self, PROMPT, Scratch, collect, next};

/// What the fake's `flood` step reports.
#[derive(Debug, Deserialize)]
struct Report {
    blocks: usize,
    written: usize,
    done: bool,
    pipe_size: Option<usize>,
}

/// Bytes the stream itself reads ahead at most: its line buffer (`framing::READ_CHUNK`, 64 KiB)
/// and the four 64 KiB chunks of its stdout reader thread (`stdout_thread`: two queued, one
/// held by the thread while the queue is full, one being framed).
const READ_AHEAD: usize = 5 * 64 * 1024;

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_slow_consumer_blocks_the_writer() {
    let _lock = support::shared().await;
    let scratch = Scratch::new();
    let report_path = scratch.path("flood.json");
    let line = format!(r#"{{"type":"flood","pad":"{}"}}"#, "y".repeat(1000));
    let count = 2000;
    let script = Script::new().step(Step::Flood {
        line: line.clone(),
        count,
        report: report_path.clone(),
    });
    let mut stream = ExecStream::spawn(scratch.spec(&script), &support::options()).expect("spawn");

    // Take enough items that the stream has read several times (a read takes at most 64 KiB,
    // about 63 lines).
    let consumed = 200;
    for _ in 0..consumed {
        assert!(matches!(next(&mut stream).await, Some(Ok(_))));
    }
    // Now the consumer pauses. The fake goes on until the pipe is full and reports a block
    // with at least `consumed` lines written; if something drained the pipe behind the
    // consumer's back, it writes everything and reports `done` instead.
    let mut report: Report;
    let deadline = tokio::time::Instant::now() + PROMPT;
    loop {
        let text = process_watch::wait_for_file(&report_path, PROMPT)
            .await
            .expect("flood report");
        report = serde_json::from_str(&text).expect("report json");
        if report.written >= consumed || report.done || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        !report.done,
        "the fake wrote all {count} lines while the consumer took {consumed}: {report:?}"
    );
    assert!(
        report.written >= consumed && report.blocks >= 1,
        "{report:?}"
    );
    let line_len = line.len() + 1;
    let pipe = report.pipe_size.unwrap_or(64 * 1024);
    let bound = consumed + (pipe + READ_AHEAD) / line_len + 2;
    assert!(
        report.written <= bound,
        "written {} > bound {bound}: {report:?}",
        report.written
    );

    // Everything still arrives, in full.
    let rest = collect(stream).await;
    assert_eq!(rest.len(), count - consumed);
    assert!(rest.iter().all(Result::is_ok));
}
