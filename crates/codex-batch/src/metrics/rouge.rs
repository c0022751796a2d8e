//! ROUGE-L as Google's `rouge-score` package computes it.

use super::ratio;

/// Precision, recall and F-measure of one ROUGE comparison, each in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RougeScore {
    /// LCS length / prediction tokens.
    pub precision: f64,
    /// LCS length / reference tokens.
    pub recall: f64,
    /// The harmonic mean of precision and recall (0.0 when both are 0.0).
    pub fmeasure: f64,
}

/// The tokens `rouge-score`'s default tokenizer makes of `text` without stemming:
/// lowercase (full Unicode lowercasing), then every maximal run of ASCII letters and digits
/// (`[a-z0-9]+`) is a token. Everything else, non-ASCII letters included, separates tokens
/// and is dropped: `"Café"` is the single token `caf`.
///
/// ```
/// use codex_agent_batch::metrics::rouge_tokens;
///
/// assert_eq!(rouge_tokens("Don't stop, 2024!"), ["don", "t", "stop", "2024"]);
/// ```
#[must_use]
pub fn rouge_tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect()
}

/// ROUGE-L of `prediction` against `reference`, as
/// `rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False).score(reference, prediction)`
/// computes it: the longest common subsequence of the [tokens](rouge_tokens) of both;
/// precision is its length over the prediction's tokens, recall over the reference's, the
/// F-measure their harmonic mean. When either side has no token, all three are 0.0.
///
/// Stemming is off (the package's default): `rouge-score`'s Porter stemmer is not
/// implemented here.
///
/// ```
/// use codex_agent_batch::metrics::rouge_l;
///
/// let score = rouge_l("the cat sat on the mat", "the cat is on the mat");
/// assert_eq!(score.precision, 5.0 / 6.0);
/// assert_eq!(score.recall, 5.0 / 6.0);
/// ```
#[must_use]
pub fn rouge_l(prediction: &str, reference: &str) -> RougeScore {
    let prediction = rouge_tokens(prediction);
    let reference = rouge_tokens(reference);
    if prediction.is_empty() || reference.is_empty() {
        return RougeScore::default();
    }
    let lcs = lcs_len(&reference, &prediction);
    let precision = ratio(lcs, prediction.len());
    let recall = ratio(lcs, reference.len());
    let fmeasure = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    RougeScore {
        precision,
        recall,
        fmeasure,
    }
}

/// The length of the longest common subsequence, in O(len(a) · len(b)) time and
/// O(len(b)) memory.
fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut previous = vec![0_usize; b.len() + 1];
    let mut current = vec![0_usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            current[j + 1] = if x == y {
                previous[j] + 1
            } else {
                previous[j + 1].max(current[j])
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcs_is_a_subsequence_not_a_substring() {
        let a: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let b: Vec<String> = ["a", "x", "c", "y", "d"].map(String::from).to_vec();
        assert_eq!(lcs_len(&a, &b), 3);
        assert_eq!(lcs_len(&b, &a), 3);
        assert_eq!(lcs_len(&a, &[]), 0);
    }

    #[test]
    fn non_ascii_letters_separate_tokens() {
        assert_eq!(rouge_tokens("Café über"), ["caf", "ber"]);
        assert!(rouge_tokens("我爱北京").is_empty());
    }
}
