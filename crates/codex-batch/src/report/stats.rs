//! The summary of a report: rows grouped by split and by status.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Row, Status};

/// The label of the group of rows that have no split.
pub(crate) const NO_SPLIT: &str = "(none)";

/// The summary of a run's rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Every row.
    pub total: Group,
    /// One group per split, sorted by name; rows without a split form the group `(none)`.
    pub by_split: Vec<Group>,
    /// One group per status that occurs, in [`Status::ALL`] order.
    pub by_status: Vec<Group>,
}

/// Statistics of a group of rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Group {
    /// The split name, the status name, or `all`.
    pub label: String,
    /// Number of rows.
    pub count: usize,
    /// Number of rows per status (statuses with no row are absent).
    pub statuses: BTreeMap<Status, usize>,
    /// Succeeded rows over attempted rows (all but skipped and pending); `None` when no row
    /// was attempted.
    pub pass_rate: Option<f64>,
    /// Median duration of the attempted rows, interpolated linearly between the closest ranks
    /// (numpy's default percentile); `None` when no row was attempted.
    #[serde(serialize_with = "serialize_ms")]
    pub median_duration: Option<Duration>,
    /// 95th percentile duration of the attempted rows, interpolated the same way.
    #[serde(serialize_with = "serialize_ms")]
    pub p95_duration: Option<Duration>,
    /// Sum of input tokens.
    pub input_tokens: u64,
    /// Sum of output tokens.
    pub output_tokens: u64,
    /// Sum of the known costs in US dollars; `None` when no row has one.
    pub cost_usd: Option<f64>,
    /// The mean of each metric over the rows that have it, by metric name.
    pub metrics: BTreeMap<String, MetricMean>,
}

/// The mean of one metric over a group.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct MetricMean {
    /// How many rows of the group have the metric.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
}

impl Summary {
    /// Groups `rows` by split and by status.
    #[must_use]
    pub fn of(rows: &[Row]) -> Self {
        let mut splits: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        let mut statuses: BTreeMap<Status, Vec<&Row>> = BTreeMap::new();
        for row in rows {
            splits
                .entry(row.split.as_deref().unwrap_or(NO_SPLIT))
                .or_default()
                .push(row);
            statuses.entry(row.status).or_default().push(row);
        }
        Self {
            total: Group::of("all", rows.iter()),
            by_split: splits
                .into_iter()
                .map(|(split, rows)| Group::of(split, rows.into_iter()))
                .collect(),
            by_status: statuses
                .into_iter()
                .map(|(status, rows)| Group::of(status.label(), rows.into_iter()))
                .collect(),
        }
    }

    /// Every metric name any row has, sorted.
    #[must_use]
    pub fn metric_names(&self) -> Vec<&str> {
        self.total.metrics.keys().map(String::as_str).collect()
    }
}

impl Group {
    fn of<'a>(label: &str, rows: impl Iterator<Item = &'a Row>) -> Self {
        let mut group = Self {
            label: label.to_owned(),
            count: 0,
            statuses: BTreeMap::new(),
            pass_rate: None,
            median_duration: None,
            p95_duration: None,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: None,
            metrics: BTreeMap::new(),
        };
        let mut durations = Vec::new();
        let mut sums: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for row in rows {
            group.count += 1;
            *group.statuses.entry(row.status).or_default() += 1;
            if row.status.attempted() {
                durations.push(row.duration);
            }
            group.input_tokens = group.input_tokens.saturating_add(row.input_tokens);
            group.output_tokens = group.output_tokens.saturating_add(row.output_tokens);
            if let Some(cost) = row.cost_usd {
                *group.cost_usd.get_or_insert(0.0) += cost;
            }
            for (name, value) in &row.metrics {
                let sum = sums.entry(name.clone()).or_default();
                sum.0 += 1;
                sum.1 += value;
            }
        }
        let succeeded = group.count_of(Status::Succeeded);
        group.pass_rate = (!durations.is_empty()).then(|| ratio(succeeded, durations.len()));
        durations.sort_unstable();
        group.median_duration = percentile(&durations, 0.5);
        group.p95_duration = percentile(&durations, 0.95);
        group.metrics = sums
            .into_iter()
            .map(|(name, (count, sum))| {
                let mean = sum / ratio(count, 1);
                (name, MetricMean { count, mean })
            })
            .collect();
        group
    }

    /// How many rows of the group have `status`.
    #[must_use]
    pub fn count_of(&self, status: Status) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

#[expect(
    clippy::cast_precision_loss,
    reason = "task counts are far below 2^52, where f64 is exact"
)]
fn ratio(numerator: usize, denominator: usize) -> f64 {
    numerator as f64 / denominator as f64
}

/// The `q`-quantile of `sorted` (ascending), interpolated linearly between the two closest
/// ranks: rank `q · (n − 1)`, as numpy's `percentile` does by default.
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    let rank = q * ratio(last, 1);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "rank is in 0..=last"
    )]
    let below = rank.floor() as usize;
    let above = (below + 1).min(last);
    let fraction = rank - rank.floor();
    let low = sorted[below].as_secs_f64();
    let high = sorted[above].as_secs_f64();
    Some(Duration::from_secs_f64(low + (high - low) * fraction))
}

#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with passes a reference to the field"
)]
fn serialize_ms<S: serde::Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => serializer.serialize_f64(duration.as_secs_f64() * 1000.0),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], 50) == 2.5; ([1, 2, 3, 4], 95) == 3.85.
        let sorted = ms(&[1000, 2000, 3000, 4000]);
        assert_eq!(percentile(&sorted, 0.5), Some(Duration::from_millis(2500)));
        let p95 = percentile(&sorted, 0.95).expect("non-empty");
        assert!((p95.as_secs_f64() - 3.85).abs() < 1e-9, "{p95:?}");
        assert_eq!(percentile(&ms(&[7]), 0.95), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
