//! Exact match and token F1 with the answer normalization of the SQuAD evaluation script.

use std::collections::HashMap;

use super::ratio;

/// Normalizes an answer the way the official SQuAD evaluation script's `normalize_answer`
/// does: lowercase (full Unicode lowercasing), remove ASCII punctuation (Python's
/// `string.punctuation`), replace the whole words `a`, `an` and `the` with a space, and
/// collapse whitespace into single spaces (no leading or trailing space).
///
/// Word boundaries follow Python's Unicode `\b`: a word character is alphanumeric or `_`
/// (Rust's [`char::is_alphanumeric`], which agrees with Python's `str.isalnum` except for a
/// few combining marks). Whitespace is Python's `str.isspace` (Unicode `White_Space` plus the
/// ASCII separators `\x1c`–`\x1f`).
///
/// ```
/// use codex_agent_batch::metrics::normalize_answer;
///
/// assert_eq!(normalize_answer("  The Cat, an  apple!"), "cat apple");
/// ```
#[must_use]
pub fn normalize_answer(text: &str) -> String {
    let lowered = text.to_lowercase();
    let chars: Vec<char> = lowered
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    let without_articles = remove_articles(&chars);
    py_split_whitespace(&without_articles)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces every whole-word `a`, `an` or `the` with a space, as
/// `re.sub(r"\b(a|an|the)\b", " ", text)` does.
fn remove_articles(chars: &[char]) -> String {
    const ARTICLES: [&[char]; 3] = [&['a'], &['a', 'n'], &['t', 'h', 'e']];
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_word_char(chars[i - 1]);
        let article = starts_word
            .then(|| {
                ARTICLES.iter().find(|article| {
                    let end = i + article.len();
                    chars.get(i..end) == Some(**article)
                        && chars.get(end).is_none_or(|c| !is_word_char(*c))
                })
            })
            .flatten();
        if let Some(article) = article {
            out.push(' ');
            i += article.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Python's `\w` on Unicode strings.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Python's `str.isspace`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.split()` without arguments.
pub(crate) fn py_split_whitespace(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_py_space).filter(|token| !token.is_empty())
}

/// Whether `prediction` and `reference` are equal after [`normalize_answer`] (SQuAD's
/// `compute_exact`).
///
/// ```
/// use codex_agent_batch::metrics::exact_match;
///
/// assert!(exact_match("The Eiffel Tower.", "eiffel tower"));
/// assert!(!exact_match("Eiffel", "eiffel tower"));
/// ```
#[must_use]
pub fn exact_match(prediction: &str, reference: &str) -> bool {
    normalize_answer(prediction) == normalize_answer(reference)
}

/// Token F1 between `prediction` and `reference` as the SQuAD v2.0 evaluation script's
/// `compute_f1` computes it: both are [normalized](normalize_answer) and split on whitespace;
/// the overlap is the multiset intersection of the tokens; F1 is the harmonic mean of
/// overlap / prediction tokens and overlap / reference tokens. When either side has no
/// token, F1 is 1.0 if both have none and 0.0 otherwise.
///
/// ```
/// use codex_agent_batch::metrics::token_f1;
///
/// assert_eq!(token_f1("the cat sat", "a cat sat down"), 0.8);
/// assert_eq!(token_f1("", ""), 1.0);
/// ```
#[must_use]
pub fn token_f1(prediction: &str, reference: &str) -> f64 {
    let prediction = normalize_answer(prediction);
    let reference = normalize_answer(reference);
    let pred_tokens: Vec<&str> = prediction.split(' ').filter(|t| !t.is_empty()).collect();
    let ref_tokens: Vec<&str> = reference.split(' ').filter(|t| !t.is_empty()).collect();
    if pred_tokens.is_empty() || ref_tokens.is_empty() {
        return if pred_tokens == ref_tokens { 1.0 } else { 0.0 };
    }
    let mut available: HashMap<&str, usize> = HashMap::new();
    for token in &ref_tokens {
        *available.entry(token).or_default() += 1;
    }
    let mut same = 0_usize;
    for token in &pred_tokens {
        if let Some(count) = available.get_mut(token).filter(|count| **count > 0) {
            *count -= 1;
            same += 1;
        }
    }
    if same == 0 {
        return 0.0;
    }
    // The same operations in the same order as the reference script, so that the values
    // agree to the last bit where the platform's float arithmetic does.
    let precision = ratio(same, pred_tokens.len());
    let recall = ratio(same, ref_tokens.len());
    (2.0 * precision * recall) / (precision + recall)
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "the values are computed the same way, exactly"
)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_whole_words_only() {
        assert_eq!(normalize_answer("anthem a an the theory"), "anthem theory");
        assert_eq!(normalize_answer("The-end"), "theend");
        assert_eq!(normalize_answer("théa the"), "théa");
    }

    #[test]
    fn repeated_tokens_count_once_per_occurrence() {
        // Reference tokens: cat, is, on, mat; prediction: cat, cat. One match.
        let f1 = token_f1("the cat cat", "the cat is on the mat");
        let (p, r) = (0.5, 0.25);
        assert_eq!(f1, (2.0 * p * r) / (p + r));
    }
}
