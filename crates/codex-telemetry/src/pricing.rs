//! [`PricingTable`]: model → price per million tokens, and the cost of a [`Usage`].

use std::collections::BTreeMap;
use std::path::Path;

use codex_agent_protocol::exec::Usage;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The date the built-in prices were taken from OpenAI's published API prices. Prices change:
/// override them with [`PricingTable::merge_file`] or [`PricingTable::with`].
pub const BUILTIN_PRICING_DATE: &str = "2025-11-15";

/// Built-in prices in USD per million tokens: input, cached input, output.
const BUILTIN: &[(&str, f64, f64, f64)] = &[
    ("gpt-5", 1.25, 0.125, 10.0),
    ("gpt-5-codex", 1.25, 0.125, 10.0),
    ("gpt-5-mini", 0.25, 0.025, 2.0),
    ("gpt-5-nano", 0.05, 0.005, 0.4),
    ("gpt-5.1", 1.25, 0.125, 10.0),
    ("gpt-5.1-codex", 1.25, 0.125, 10.0),
    ("gpt-5.1-codex-mini", 0.25, 0.025, 2.0),
    ("gpt-4.1", 2.0, 0.5, 8.0),
    ("gpt-4.1-mini", 0.4, 0.1, 1.6),
    ("o3", 2.0, 0.5, 8.0),
    ("o4-mini", 1.1, 0.275, 4.4),
];

/// The price of one model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Price {
    /// Per million input tokens not served from the cache.
    pub input: f64,
    /// Per million input tokens served from the prompt cache.
    pub cached_input: f64,
    /// Per million output tokens (reasoning tokens included).
    pub output: f64,
}

impl Price {
    /// A price in USD per million input, cached input and output tokens.
    #[must_use]
    pub fn new(input: f64, cached_input: f64, output: f64) -> Self {
        Self {
            input,
            cached_input,
            output,
        }
    }

    /// The cost of `usage` in USD: uncached input (`input_tokens - cached_input_tokens`,
    /// as codex counts cached tokens inside the input) at [`input`](Self::input), cached
    /// input at [`cached_input`](Self::cached_input), output at [`output`](Self::output).
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "token counts stay far below 2^53, where f64 is exact"
    )]
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        (uncached as f64 * self.input
            + cached as f64 * self.cached_input
            + usage.output_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

/// Model → [`Price`]. [`PricingTable::builtin`] holds the prices of
/// [`BUILTIN_PRICING_DATE`]; a file can add or override models.
///
/// The file is JSON: `{"date": "2026-01-31", "models": {"gpt-5.5": {"input": 1.25,
/// "cached_input": 0.125, "output": 10.0}}}` (USD per million tokens; `date` is optional).
#[derive(Clone, PartialEq, Default)]
#[must_use]
pub struct PricingTable {
    date: Option<String>,
    models: BTreeMap<String, Price>,
}

/// The date and the number of models: the prices themselves would fill a `Debug` of the
/// options that hold the table ([`PricingTable::price`] reads them).
impl std::fmt::Debug for PricingTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PricingTable")
            .field("date", &self.date)
            .field("models", &self.models.len())
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricingFile {
    #[serde(default)]
    date: Option<String>,
    models: BTreeMap<String, Price>,
}

impl PricingTable {
    /// An empty table: every model is unpriced.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in prices, dated [`BUILTIN_PRICING_DATE`].
    pub fn builtin() -> Self {
        Self {
            date: Some(BUILTIN_PRICING_DATE.to_owned()),
            models: BUILTIN
                .iter()
                .map(|&(model, input, cached, output)| {
                    (model.to_owned(), Price::new(input, cached, output))
                })
                .collect(),
        }
    }

    /// Adds or replaces the price of `model`.
    pub fn with(mut self, model: impl Into<String>, price: Price) -> Self {
        self.models.insert(model.into(), price);
        self
    }

    /// Adds or replaces the models of a pricing file (see the type's docs for its shape);
    /// the file's `date`, when given, becomes the table's.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidPricing`] when it is not
    /// of the documented shape.
    pub fn merge_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file: PricingFile = serde_json::from_str(&text).map_err(|e| Error::InvalidPricing {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if file.date.is_some() {
            self.date = file.date;
        }
        self.models.extend(file.models);
        Ok(self)
    }

    /// The date of the prices: the built-in date, or the last merged file's.
    #[must_use]
    pub fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }

    /// The price of `model` (exact name).
    #[must_use]
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.models.get(model)
    }

    /// The cost of `usage` on `model` in USD, or `None` when the model is unpriced.
    #[must_use]
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.price(model).map(|price| price.cost(usage))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn debug_names_the_date_and_counts_the_models() {
        let table = PricingTable::builtin();
        let shown = format!("{table:?}");
        assert!(shown.starts_with("PricingTable { date: "), "{shown}");
        assert!(shown.len() < 80, "no prices in Debug: {shown}");
    }

    use super::*;

    fn usage(input: u64, cached: u64, output: u64) -> Usage {
        let mut usage = Usage::default();
        usage.input_tokens = input;
        usage.cached_input_tokens = cached;
        usage.output_tokens = output;
        usage
    }

    #[test]
    fn costs_are_the_hand_computed_values() {
        let table = PricingTable::builtin();
        // (model, input, cached, output, expected USD computed by hand)
        let cases = [
            // 1M uncached input at $1.25 + 1M output at $10.
            ("gpt-5", 1_000_000, 0, 1_000_000, 11.25),
            // 30 uncached * 1.25 + 12 cached * 0.125 + 5 * 10 = 37.5 + 1.5 + 50 = 89 µ$.
            ("gpt-5", 42, 12, 5, 0.000_089),
            // 900k uncached * 0.25 + 100k cached * 0.025 + 0 = 0.225 + 0.0025.
            ("gpt-5-mini", 1_000_000, 100_000, 0, 0.2275),
        ];
        for (model, input, cached, output, expected) in cases {
            let cost = table
                .cost(model, &usage(input, cached, output))
                .expect("priced");
            assert!(
                (cost - expected).abs() < 1e-12,
                "{model}: {cost} != {expected}"
            );
        }
        assert_eq!(table.cost("no-such-model", &usage(1, 0, 1)), None);
        assert_eq!(table.date(), Some(BUILTIN_PRICING_DATE));
    }

    #[test]
    fn a_file_overrides_and_adds_models() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("prices.json");
        std::fs::write(
            &path,
            r#"{"date": "2026-12-01", "models": {"gpt-5": {"input": 2.0, "cached_input": 0.2, "output": 20.0}, "gpt-5.5": {"input": 5.0, "cached_input": 0.5, "output": 40.0}}}"#,
        )
        .expect("write");
        let table = PricingTable::builtin().merge_file(&path).expect("valid");
        assert_eq!(table.date(), Some("2026-12-01"));
        assert_eq!(table.price("gpt-5"), Some(&Price::new(2.0, 0.2, 20.0)));
        assert_eq!(table.price("gpt-5.5"), Some(&Price::new(5.0, 0.5, 40.0)));
        assert_eq!(table.price("o3"), Some(&Price::new(2.0, 0.5, 8.0)));

        for bad in [
            r#"{"models": {"x": {"input": 1}}}"#,
            "nope",
            r#"{"modles": {}}"#,
        ] {
            std::fs::write(&path, bad).expect("write");
            let error = PricingTable::empty().merge_file(&path).expect_err(bad);
            assert!(matches!(error, Error::InvalidPricing { .. }), "{error:?}");
        }
        let missing = PricingTable::empty().merge_file(dir.path().join("none.json"));
        assert!(matches!(missing, Err(Error::Io { .. })), "{missing:?}");
    }
}
