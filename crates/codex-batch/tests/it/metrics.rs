//! The metrics against the values of the reference Python packages, and user scorers.
//!
//! `fixtures/batch/metrics/reference.json` was computed by
//! `fixtures/batch/metrics/compute_reference.py` from `pairs.jsonl` with `rouge-score` and
//! `sacrebleu` (the versions are recorded in the file); CI compares with it and needs no
//! Python.

use std::path::PathBuf;
use std::time::Duration;

use codex_agent_batch::Error;
use codex_agent_batch::metrics::{
    self, BleuScore, BleuStats, Scorer, TextScores, corpus_bleu, exact_match, normalize_answer,
    rouge_l, rouge_tokens, sentence_bleu, token_f1, tokenize_13a,
};
use codex_agent_sdk::CancelHandle;
use codex_agent_testkit::process_watch::{self, ProcessState};
use serde::Deserialize;
use serde_json::json;

/// Float values must agree to this (absolute, or relative for BLEU's 0–100 scale): the
/// operations are the reference's, in its order, so only `exp`/`ln` and Python's `sum` may
/// differ in the last bits.
const TOLERANCE: f64 = 1e-9;

#[derive(Debug, Deserialize)]
struct Reference {
    versions: serde_json::Value,
    pairs: Vec<Pair>,
    corpus_bleu: Bleu,
}

#[derive(Debug, Deserialize)]
struct Pair {
    prediction: String,
    reference: String,
    normalized_prediction: String,
    exact_match: bool,
    f1: f64,
    rouge_tokens: Vec<String>,
    rouge_l: Rouge,
    bleu_tokens: String,
    sentence_bleu: Bleu,
}

#[derive(Debug, Deserialize)]
struct Rouge {
    precision: f64,
    recall: f64,
    fmeasure: f64,
}

#[derive(Debug, Deserialize)]
struct Bleu {
    score: f64,
    counts: Vec<u64>,
    totals: Vec<u64>,
    precisions: Vec<f64>,
    bp: f64,
    sys_len: u64,
    ref_len: u64,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/batch/metrics")
}

fn reference() -> Reference {
    let path = fixtures().join("reference.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("reference.json parses")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * b.abs().max(1.0)
}

/// Compares one BLEU result with sacrebleu's, field by field, into `mismatches`.
fn check_bleu(what: &str, ours: &BleuScore, theirs: &Bleu, mismatches: &mut Vec<String>) {
    let same = close(ours.score, theirs.score)
        && close(ours.bp, theirs.bp)
        && ours.counts[..] == theirs.counts[..]
        && ours.totals[..] == theirs.totals[..]
        && ours.precisions.len() == theirs.precisions.len()
        && ours
            .precisions
            .iter()
            .zip(&theirs.precisions)
            .all(|(a, b)| close(*a, *b))
        && ours.sys_len == theirs.sys_len
        && ours.ref_len == theirs.ref_len;
    if !same {
        mismatches.push(format!("{what}: ours {ours:?}, sacrebleu {theirs:?}"));
    }
}

#[test]
fn the_fixture_is_the_twenty_pairs_of_pairs_jsonl() {
    let reference = reference();
    let pairs = std::fs::read_to_string(fixtures().join("pairs.jsonl")).expect("pairs.jsonl");
    let pairs: Vec<serde_json::Value> = pairs
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(pairs.len(), 20);
    assert_eq!(reference.pairs.len(), pairs.len());
    for (ours, theirs) in pairs.iter().zip(&reference.pairs) {
        assert_eq!(ours["prediction"], theirs.prediction.as_str());
        assert_eq!(ours["reference"], theirs.reference.as_str());
    }
    assert_eq!(
        reference.versions,
        json!({"python": "3.11.7", "rouge-score": "0.1.2", "sacrebleu": "2.6.0"}),
        "the versions the module docs name"
    );
}

#[test]
fn squad_exact_match_and_f1_equal_the_reference() {
    let mut mismatches = Vec::new();
    for (i, pair) in reference().pairs.iter().enumerate() {
        let (p, r) = (pair.prediction.as_str(), pair.reference.as_str());
        if normalize_answer(p) != pair.normalized_prediction {
            mismatches.push(format!(
                "{i}: normalized {:?}, reference {:?}",
                normalize_answer(p),
                pair.normalized_prediction
            ));
        }
        if exact_match(p, r) != pair.exact_match {
            mismatches.push(format!(
                "{i}: exact match {}, reference {}",
                exact_match(p, r),
                pair.exact_match
            ));
        }
        if !close(token_f1(p, r), pair.f1) {
            mismatches.push(format!("{i}: f1 {}, reference {}", token_f1(p, r), pair.f1));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn rouge_l_equals_rouge_score() {
    let mut mismatches = Vec::new();
    for (i, pair) in reference().pairs.iter().enumerate() {
        let tokens = rouge_tokens(&pair.prediction);
        if tokens != pair.rouge_tokens {
            mismatches.push(format!(
                "{i}: tokens {tokens:?}, rouge-score {:?}",
                pair.rouge_tokens
            ));
        }
        let ours = rouge_l(&pair.prediction, &pair.reference);
        let theirs = &pair.rouge_l;
        if !(close(ours.precision, theirs.precision)
            && close(ours.recall, theirs.recall)
            && close(ours.fmeasure, theirs.fmeasure))
        {
            mismatches.push(format!("{i}: ours {ours:?}, rouge-score {theirs:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn sentence_bleu_equals_sacrebleu() {
    let mut mismatches = Vec::new();
    for (i, pair) in reference().pairs.iter().enumerate() {
        let tokens = tokenize_13a(pair.prediction.trim_end());
        if tokens != pair.bleu_tokens {
            mismatches.push(format!(
                "{i}: 13a tokens {tokens:?}, sacrebleu {:?}",
                pair.bleu_tokens
            ));
        }
        let ours = sentence_bleu(&pair.prediction, &pair.reference);
        check_bleu(&format!("{i}"), &ours, &pair.sentence_bleu, &mut mismatches);
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn corpus_bleu_equals_sacrebleu() {
    let reference = reference();
    let ours = corpus_bleu(
        reference
            .pairs
            .iter()
            .map(|p| (p.prediction.as_str(), p.reference.as_str())),
    );
    let mut mismatches = Vec::new();
    check_bleu("corpus", &ours, &reference.corpus_bleu, &mut mismatches);
    assert!(mismatches.is_empty(), "{mismatches:#?}");

    // Merged partial statistics give the same corpus score as one pass.
    let (first, second) = reference.pairs.split_at(7);
    let mut merged = BleuStats::default();
    for part in [first, second] {
        let mut stats = BleuStats::default();
        for p in part {
            stats.add(&p.prediction, &p.reference);
        }
        merged.merge(&stats);
    }
    assert_eq!(merged.corpus_score(), ours);
}

#[test]
fn text_scores_bundle_the_four_metrics() {
    let scores = TextScores::compute("The cat sat on the mat.", "The cat is sitting on the mat.");
    let map = scores.to_map();
    assert_eq!(map.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut names = metrics::TEXT_METRICS.to_vec();
        names.sort_unstable();
        names
    });
    assert_eq!(map["exact_match"], 0.0);
    assert_eq!(
        map["f1"],
        token_f1("The cat sat on the mat.", "The cat is sitting on the mat.")
    );
    assert_eq!(
        map["rouge_l"],
        rouge_l("The cat sat on the mat.", "The cat is sitting on the mat.").fmeasure
    );
    assert_eq!(
        map["bleu"],
        sentence_bleu("The cat sat on the mat.", "The cat is sitting on the mat.").score
    );
}

// ---- scorer commands ----

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn a_scorer_reads_the_result_on_stdin_and_prints_a_score() {
    let scorer = Scorer::shell(
        r#"read -r line; case "$line" in *'"final_response":"42"'*) echo '{"score": 1, "why": "right"}';; *) echo 0;; esac"#,
    );
    runtime().block_on(async {
        let right = scorer
            .score(&json!({"id": "t1", "final_response": "42"}))
            .await;
        let wrong = scorer
            .score(&json!({"id": "t1", "final_response": "41"}))
            .await;
        assert_eq!(right.expect("scores"), 1.0);
        assert_eq!(wrong.expect("scores"), 0.0);
    });
}

#[test]
fn a_scorer_runs_in_its_directory_without_a_shell_too() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("score.txt"), " 0.25\n").expect("write");
    let scorer = Scorer::program("cat", ["score.txt"]).current_dir(dir.path());
    assert_eq!(scorer.command(), "cat score.txt");
    let score = runtime().block_on(scorer.score(&json!(null)));
    assert_eq!(score.expect("scores"), 0.25);
}

#[test]
fn a_failing_scorer_is_a_typed_error_with_its_stderr() {
    let scorer = Scorer::shell("echo 'no expected answer' >&2; exit 3");
    let error = runtime()
        .block_on(scorer.score(&json!({})))
        .expect_err("fails");
    match &error {
        Error::ScorerFailed { status, stderr, .. } => {
            assert_eq!(status, "exit code 3");
            assert!(stderr.contains("no expected answer"), "{stderr:?}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the scorer command `echo 'no expected answer' >&2; exit 3` failed: exit code 3: no expected answer"
    );
}

#[test]
fn a_scorer_that_prints_no_score_is_a_typed_error() {
    for (command, reason) in [
        ("echo great", "neither a number nor a JSON object"),
        ("echo '{\"points\": 3}'", "no `score` field"),
        ("true", "empty"),
        (
            "head -c 70000 /dev/zero | tr '\\0' 1",
            "more than 65536 bytes",
        ),
    ] {
        let error = runtime()
            .block_on(Scorer::shell(command).score(&json!({})))
            .expect_err(command);
        match &error {
            Error::ScorerOutput {
                reason: got,
                excerpt,
                ..
            } => {
                assert!(got.contains(reason), "{command}: {got}");
                assert!(
                    excerpt.len() <= 200,
                    "{command}: excerpt of {} bytes",
                    excerpt.len()
                );
            }
            other => panic!("{command}: expected BadOutput, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_scorer_program_is_a_spawn_error() {
    let error = runtime()
        .block_on(Scorer::program("/nonexistent/scorer", ["--x"]).score(&json!({})))
        .expect_err("cannot start");
    assert!(matches!(error, Error::ScorerSpawn { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the scorer command `/nonexistent/scorer --x` could not run"
    );
}

/// A scorer over its time limit is killed with what it started: nothing is left running.
#[test]
fn a_slow_scorer_is_killed_with_its_children() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pids = dir.path().join("pids");
    // The shell's pid, then the pid of the `sleep` it starts in the background.
    let command = format!(
        "echo $$ > '{0}'; sleep 30 & echo $! >> '{0}'; wait",
        pids.display()
    );
    let scorer = Scorer::shell(command).timeout(Duration::from_millis(300));
    runtime().block_on(async {
        let error = scorer.score(&json!({})).await.expect_err("times out");
        assert!(
            matches!(error, Error::ScorerTimeout { limit, .. } if limit == Duration::from_millis(300)),
            "{error:?}"
        );
        let pids = std::fs::read_to_string(&pids).expect("the scorer wrote its pids");
        let pids: Vec<u32> = pids.lines().map(|p| p.parse().expect("a pid")).collect();
        let [shell, sleep] = pids[..] else {
            panic!("two pids, got {pids:?}")
        };
        // The shell is our child: reaped by the time the error is returned.
        assert_eq!(process_watch::state(shell), ProcessState::Gone);
        // `sleep` got SIGKILL with the process group; orphaned, it may linger as a zombie.
        let sleep = process_watch::wait_dead(sleep, Duration::from_secs(10)).await;
        assert!(sleep.is_dead(), "the scorer's child still runs: {sleep:?}");
    });
}

#[test]
fn a_cancelled_scorer_is_a_typed_error() {
    let cancel = CancelHandle::new();
    cancel.cancel();
    let scorer = Scorer::shell("echo 1").cancel_handle(cancel);
    let error = runtime()
        .block_on(scorer.score(&json!({})))
        .expect_err("cancelled");
    assert!(matches!(error, Error::ScorerCancelled { .. }), "{error:?}");
}
