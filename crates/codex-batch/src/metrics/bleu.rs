//! BLEU as `sacrebleu` (2.x) computes it with its defaults: the `13a` tokenizer, no
//! lowercasing, n-grams up to 4, `exp` smoothing; sentence BLEU with effective order.

use std::collections::HashMap;

use super::squad::{is_py_space, py_split_whitespace};

/// The highest n-gram order BLEU counts (sacrebleu's default).
pub const MAX_NGRAM_ORDER: usize = 4;

/// `sacrebleu`'s floor for the logarithm of a zero precision (`my_log`).
const LOG_OF_ZERO: f64 = -9_999_999_999.0;

/// A BLEU score and the statistics it was computed from, with `sacrebleu`'s field names.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct BleuScore {
    /// BLEU on sacrebleu's scale, `0.0..=100.0`.
    pub score: f64,
    /// Matched n-grams per order (1 to 4), clipped by the reference counts.
    pub counts: [u64; MAX_NGRAM_ORDER],
    /// Hypothesis n-grams per order.
    pub totals: [u64; MAX_NGRAM_ORDER],
    /// The (smoothed) n-gram precisions, in percent.
    pub precisions: [f64; MAX_NGRAM_ORDER],
    /// The brevity penalty.
    pub bp: f64,
    /// Hypothesis length in tokens.
    pub sys_len: u64,
    /// Reference length in tokens.
    pub ref_len: u64,
}

/// The sufficient statistics of BLEU over any number of (hypothesis, reference) pairs:
/// lengths and matched and total n-gram counts. Add pairs, merge partial statistics (per
/// split, per worker), then compute the score.
///
/// ```
/// use codex_agent_batch::metrics::BleuStats;
///
/// let mut stats = BleuStats::default();
/// stats.add("The cat sat on the mat.", "The cat sat on the mat.");
/// stats.add("A dog.", "A dog barked.");
/// let bleu = stats.corpus_score();
/// assert!(bleu.score > 0.0 && bleu.score < 100.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BleuStats {
    sys_len: u64,
    ref_len: u64,
    correct: [u64; MAX_NGRAM_ORDER],
    total: [u64; MAX_NGRAM_ORDER],
}

impl BleuStats {
    /// Adds one hypothesis with its (single) reference; both are tokenized with
    /// [`tokenize_13a`] after trailing whitespace is removed, as sacrebleu does.
    pub fn add(&mut self, hypothesis: &str, reference: &str) {
        let hypothesis = tokenize_13a(hypothesis.trim_end_matches(is_py_space));
        let reference = tokenize_13a(reference.trim_end_matches(is_py_space));
        let hyp: Vec<&str> = py_split_whitespace(&hypothesis).collect();
        let reference: Vec<&str> = py_split_whitespace(&reference).collect();
        let ref_ngrams = ngram_counts(&reference);
        for (ngram, count) in ngram_counts(&hyp) {
            let order = ngram.len() - 1;
            self.total[order] += count;
            if let Some(available) = ref_ngrams.get(ngram) {
                self.correct[order] += count.min(*available);
            }
        }
        self.sys_len += hyp.len() as u64;
        self.ref_len += reference.len() as u64;
    }

    /// Adds the statistics of `other` (for example of another split or worker).
    pub fn merge(&mut self, other: &Self) {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for order in 0..MAX_NGRAM_ORDER {
            self.correct[order] += other.correct[order];
            self.total[order] += other.total[order];
        }
    }

    /// Corpus BLEU of the pairs added so far, as `sacrebleu.corpus_bleu` computes it (no
    /// effective order: a missing n-gram order scores 0).
    #[must_use]
    pub fn corpus_score(&self) -> BleuScore {
        self.score(false)
    }

    /// BLEU with effective order, as `sacrebleu.sentence_bleu` computes it for one pair:
    /// orders the hypothesis is too short to have are left out of the geometric mean.
    #[must_use]
    pub fn sentence_score(&self) -> BleuScore {
        self.score(true)
    }

    /// sacrebleu's `BLEU.compute_bleu` with `exp` smoothing, step by step in the same order,
    /// so that the values agree with it up to the last bits of `exp` and `ln`.
    #[expect(
        clippy::cast_precision_loss,
        reason = "token counts are far below 2^52, where f64 is exact"
    )]
    fn score(&self, effective_order: bool) -> BleuScore {
        let sys_len = self.sys_len as f64;
        let ref_len = self.ref_len as f64;
        let bp = if self.sys_len < self.ref_len {
            if self.sys_len > 0 {
                (1.0 - ref_len / sys_len).exp()
            } else {
                0.0
            }
        } else {
            1.0
        };
        let mut result = BleuScore {
            score: 0.0,
            counts: self.correct,
            totals: self.total,
            precisions: [0.0; MAX_NGRAM_ORDER],
            bp,
            sys_len: self.sys_len,
            ref_len: self.ref_len,
        };
        if self.correct.iter().all(|&c| c == 0) {
            return result;
        }
        let mut smooth = 1.0_f64;
        let mut eff_order = MAX_NGRAM_ORDER;
        for order in 0..MAX_NGRAM_ORDER {
            if self.total[order] == 0 {
                break;
            }
            if effective_order {
                eff_order = order + 1;
            }
            let total = self.total[order] as f64;
            result.precisions[order] = if self.correct[order] == 0 {
                smooth *= 2.0;
                100.0 / (smooth * total)
            } else {
                100.0 * self.correct[order] as f64 / total
            };
        }
        let log_sum = result.precisions[..eff_order].iter().fold(0.0, |sum, &p| {
            sum + if p == 0.0 { LOG_OF_ZERO } else { p.ln() }
        });
        result.score = bp * (log_sum / eff_order as f64).exp();
        result
    }
}

/// Counts the n-grams of orders 1 to [`MAX_NGRAM_ORDER`] of `tokens`.
fn ngram_counts<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], u64> {
    let mut counts = HashMap::new();
    for n in 1..=MAX_NGRAM_ORDER.min(tokens.len()) {
        for ngram in tokens.windows(n) {
            *counts.entry(ngram).or_insert(0) += 1;
        }
    }
    counts
}

/// Sentence BLEU of `hypothesis` against `reference`, as
/// `sacrebleu.sentence_bleu(hypothesis, [reference])` computes it (13a tokenizer, `exp`
/// smoothing, effective order). On sacrebleu's scale, `0.0..=100.0`.
///
/// ```
/// use codex_agent_batch::metrics::sentence_bleu;
///
/// assert!((sentence_bleu("The cat sat on the mat.", "The cat sat on the mat.").score - 100.0).abs() < 1e-9);
/// assert_eq!(sentence_bleu("", "The cat.").score, 0.0);
/// ```
#[must_use]
pub fn sentence_bleu(hypothesis: &str, reference: &str) -> BleuScore {
    let mut stats = BleuStats::default();
    stats.add(hypothesis, reference);
    stats.sentence_score()
}

/// Corpus BLEU of (hypothesis, reference) pairs, as
/// `sacrebleu.corpus_bleu(hypotheses, [references])` computes it (13a tokenizer, `exp`
/// smoothing): statistics are summed over the pairs before the score is computed, so this
/// is not the mean of the sentence scores.
#[must_use]
pub fn corpus_bleu<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BleuScore {
    let mut stats = BleuStats::default();
    for (hypothesis, reference) in pairs {
        stats.add(hypothesis, reference);
    }
    stats.corpus_score()
}

/// Tokenizes `line` like sacrebleu's `13a` tokenizer (mteval-v13a): removes `<skipped>`,
/// joins `-` + newline, turns newlines into spaces, unescapes `&quot;`, `&amp;`, `&lt;` and
/// `&gt;`, splits off ASCII punctuation except `'` and `-`, splits off `.` and `,` unless they
/// sit between digits, splits off `-` after a digit, and joins the tokens with single spaces.
///
/// ```
/// use codex_agent_batch::metrics::tokenize_13a;
///
/// assert_eq!(tokenize_13a("It costs $1,000.50 in 2024-2025."), "It costs $ 1,000.50 in 2024 - 2025 .");
/// ```
#[must_use]
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let chars: Vec<char> = format!(" {line} ").chars().collect();
    // The four substitutions of sacrebleu's `TokenizerRegexp`, each a left-to-right scan
    // with `re.sub`'s non-overlapping matches.
    let chars = pad_symbols(&chars);
    let chars = substitute_pairs(
        &chars,
        |a, b| !a.is_ascii_digit() && is_period_or_comma(b),
        |a, b| [a, ' ', b, ' '],
    );
    let chars = substitute_pairs(
        &chars,
        |a, b| is_period_or_comma(a) && !b.is_ascii_digit(),
        |a, b| [' ', a, ' ', b],
    );
    let chars = substitute_pairs(
        &chars,
        |a, b| a.is_ascii_digit() && b == '-',
        |a, b| [a, ' ', b, ' '],
    );
    let text: String = chars.into_iter().collect();
    py_split_whitespace(&text).collect::<Vec<_>>().join(" ")
}

fn is_period_or_comma(c: char) -> bool {
    c == '.' || c == ','
}

/// The first rule of sacrebleu's `TokenizerRegexp`: a space on each side of the ASCII symbols
/// `{|}~[\]^_` and `` ` `` and ` !"#$%&()*+:;<=>?@/`.
fn pad_symbols(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() * 2);
    for &c in chars {
        if matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/') {
            out.extend([' ', c, ' ']);
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces every non-overlapping, leftmost pair of characters `(a, b)` for which `matches`
/// holds with `replace(a, b)`.
fn substitute_pairs(
    chars: &[char],
    matches: impl Fn(char, char) -> bool,
    replace: impl Fn(char, char) -> [char; 4],
) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + chars.len() / 2);
    let mut i = 0;
    while i < chars.len() {
        match chars.get(i + 1) {
            Some(&b) if matches(chars[i], b) => {
                out.extend(replace(chars[i], b));
                i += 2;
            }
            _ => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_commas_between_digits_stay() {
        assert_eq!(tokenize_13a("3.14, 2,5 and 1.0."), "3.14 , 2,5 and 1.0 .");
        assert_eq!(tokenize_13a("Also .5 and 7,"), "Also . 5 and 7 ,");
    }

    #[test]
    fn apostrophes_and_inner_hyphens_stay() {
        assert_eq!(
            tokenize_13a("Don't stop-believing;"),
            "Don't stop-believing ;"
        );
    }

    #[test]
    fn clipped_counts() {
        let mut stats = BleuStats::default();
        stats.add("the the the", "the cat");
        assert_eq!(stats.correct[0], 1);
        assert_eq!(stats.total, [3, 2, 1, 0]);
    }
}
