//! Metrics of a task's result against its expected answer, and user scorers.
//!
//! Text metrics compare a final response (the *prediction*) with the task's `expected`
//! answer (the *reference*). Each one reproduces a reference implementation exactly,
//! checked by tests on fixed pairs against values those implementations computed
//! (`fixtures/batch/metrics/`, with the script that computed them):
//!
//! | Metric | Function | Reference | Scale |
//! |---|---|---|---|
//! | exact match | [`exact_match`] | SQuAD v2.0 evaluation script, `compute_exact` | bool |
//! | token F1 | [`token_f1`] | SQuAD v2.0 evaluation script, `compute_f1` | `0.0..=1.0` |
//! | ROUGE-L | [`rouge_l`] | `rouge-score` 0.1.2, `RougeScorer(["rougeL"], use_stemmer=False)` | `0.0..=1.0` |
//! | BLEU | [`sentence_bleu`], [`corpus_bleu`], [`BleuStats`] | `sacrebleu` 2.6.0 defaults (13a, `exp` smoothing) | `0.0..=100.0` |
//!
//! [`TextScores::compute`] runs the four on one pair. Structured tasks are checked against
//! their `output_schema` with [`SchemaValidator`]. A [`Scorer`] runs a user's command that
//! reads the task's result as JSON on stdin and prints a score.

mod bleu;
mod rouge;
mod schema;
mod scorer;
mod squad;

use std::collections::BTreeMap;

pub use bleu::{BleuScore, BleuStats, MAX_NGRAM_ORDER, corpus_bleu, sentence_bleu, tokenize_13a};
pub use rouge::{RougeScore, rouge_l, rouge_tokens};
pub use schema::{SchemaValidator, SchemaViolation};
pub use scorer::{DEFAULT_SCORER_TIMEOUT, MAX_SCORER_OUTPUT, Scorer};
pub use squad::{exact_match, normalize_answer, token_f1};

/// The metric names [`TextScores::to_map`] uses, in the order of the report's columns.
pub const TEXT_METRICS: [&str; 4] = ["exact_match", "f1", "rouge_l", "bleu"];

/// The text metrics of one (prediction, reference) pair.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TextScores {
    /// [`exact_match`].
    pub exact_match: bool,
    /// [`token_f1`], `0.0..=1.0`.
    pub f1: f64,
    /// The F-measure of [`rouge_l`], `0.0..=1.0`.
    pub rouge_l: f64,
    /// [`sentence_bleu`], `0.0..=100.0`.
    pub bleu: f64,
}

impl TextScores {
    /// Computes every text metric of `prediction` against `reference`.
    ///
    /// ```
    /// use codex_agent_batch::metrics::TextScores;
    ///
    /// let scores = TextScores::compute("Paris.", "paris");
    /// assert!(scores.exact_match);
    /// assert_eq!(scores.f1, 1.0);
    /// ```
    #[must_use]
    pub fn compute(prediction: &str, reference: &str) -> Self {
        Self {
            exact_match: exact_match(prediction, reference),
            f1: token_f1(prediction, reference),
            rouge_l: rouge_l(prediction, reference).fmeasure,
            bleu: sentence_bleu(prediction, reference).score,
        }
    }

    /// The scores by the names of [`TEXT_METRICS`] (exact match as 1.0 or 0.0), the shape a
    /// report row keeps them in.
    #[must_use]
    pub fn to_map(&self) -> BTreeMap<String, f64> {
        let values = [
            if self.exact_match { 1.0 } else { 0.0 },
            self.f1,
            self.rouge_l,
            self.bleu,
        ];
        TEXT_METRICS
            .iter()
            .zip(values)
            .map(|(name, value)| ((*name).to_owned(), value))
            .collect()
    }
}

/// `numerator / denominator` in floating point, as Python's true division of two ints.
#[expect(
    clippy::cast_precision_loss,
    reason = "token counts are far below 2^52, where f64 is exact"
)]
pub(crate) fn ratio(numerator: usize, denominator: usize) -> f64 {
    numerator as f64 / denominator as f64
}
