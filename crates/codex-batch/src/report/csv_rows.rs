//! Rows as CSV (both ways) and as JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{Row, Status};
use crate::Error;

/// The fixed columns, in order; metric columns follow.
const COLUMNS: [&str; 8] = [
    "id",
    "split",
    "status",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "attempts",
];

/// The prefix of metric columns.
const METRIC_PREFIX: &str = "metric:";

pub(crate) fn write(rows: &[Row]) -> Result<String, Error> {
    let metrics: BTreeSet<&str> = rows
        .iter()
        .flat_map(|row| row.metrics.keys().map(String::as_str))
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(metrics.iter().map(|m| format!("{METRIC_PREFIX}{m}")));
    writer.write_record(header).map_err(|e| write_error(&e))?;
    for row in rows {
        let fixed = [
            row.id.clone(),
            row.split.clone().unwrap_or_default(),
            row.status.as_str().to_owned(),
            exact_ms(row.duration),
            row.input_tokens.to_string(),
            row.output_tokens.to_string(),
            row.cost_usd.map(|c| c.to_string()).unwrap_or_default(),
            row.attempts.to_string(),
        ];
        let metric_fields = metrics.iter().map(|name| {
            row.metrics
                .get(*name)
                .map(ToString::to_string)
                .unwrap_or_default()
        });
        writer
            .write_record(fixed.into_iter().chain(metric_fields))
            .map_err(|e| write_error(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::ReportWrite {
        format: "csv",
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| Error::ReportWrite {
        format: "csv",
        reason: e.to_string(),
    })
}

fn write_error(error: &csv::Error) -> Error {
    Error::ReportWrite {
        format: "csv",
        reason: error.to_string(),
    }
}

/// Milliseconds with the nanoseconds as an exact decimal fraction (`1234.500000`), so that
/// reading it back gives the same [`Duration`].
fn exact_ms(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    format!("{}.{:06}", nanos / 1_000_000, nanos % 1_000_000)
}

fn parse_exact_ms(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: u64 = whole.parse().ok()?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<6}").parse().ok()?
    };
    Some(Duration::from_millis(ms) + Duration::from_nanos(u64::from(nanos)))
}

/// Reads rows back from the CSV that [`Report::to_csv`](super::Report::to_csv) wrote.
///
/// An empty `split` or `cost_usd` field is an absent value, as is an empty metric field.
///
/// # Errors
///
/// [`Error::ReportCsv`] naming the line and the field when the header lacks a column or a
/// field does not parse.
pub fn rows_from_csv(text: &str) -> Result<Vec<Row>, Error> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| csv_error(1, e.to_string()))?
        .clone();
    let position = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| csv_error(1, format!("the header has no `{name}` column")))
    };
    let columns: Vec<usize> = COLUMNS
        .iter()
        .map(|name| position(name))
        .collect::<Result<_, _>>()?;
    let metrics: Vec<(usize, &str)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.strip_prefix(METRIC_PREFIX).map(|name| (i, name)))
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            csv_error(line, e.to_string())
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |i: usize| record.get(columns[i]).unwrap_or_default();
        let bad =
            |name: &str, value: &str| csv_error(line, format!("bad `{name}` field {value:?}"));
        let number = |i: usize| -> Result<u64, Error> {
            field(i).parse().map_err(|_| bad(COLUMNS[i], field(i)))
        };
        let status: Status = field(2).parse().map_err(|_| bad("status", field(2)))?;
        let mut row = Row::new(field(0), status)
            .duration(parse_exact_ms(field(3)).ok_or_else(|| bad("duration_ms", field(3)))?)
            .tokens(number(4)?, number(5)?)
            .attempts(u32::try_from(number(7)?).map_err(|_| bad("attempts", field(7)))?);
        if !field(1).is_empty() {
            row = row.split(field(1));
        }
        if !field(6).is_empty() {
            row = row.cost_usd(field(6).parse().map_err(|_| bad("cost_usd", field(6)))?);
        }
        for (i, name) in &metrics {
            let value = record.get(*i).unwrap_or_default();
            if !value.is_empty() {
                let value: f64 = value.parse().map_err(|_| bad(name, value))?;
                row = row.metric(*name, value);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

fn csv_error(line: u64, reason: String) -> Error {
    Error::ReportCsv { line, reason }
}

/// A row as the JSON report writes it.
#[derive(serde::Serialize)]
pub(crate) struct JsonRow<'a> {
    id: &'a str,
    split: Option<&'a str>,
    status: Status,
    duration_ms: f64,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: Option<f64>,
    attempts: u32,
    metrics: &'a BTreeMap<String, f64>,
}

impl<'a> From<&'a Row> for JsonRow<'a> {
    fn from(row: &'a Row) -> Self {
        Self {
            id: &row.id,
            split: row.split.as_deref(),
            status: row.status,
            duration_ms: row.duration.as_secs_f64() * 1000.0,
            input_tokens: row.input_tokens,
            output_tokens: row.output_tokens,
            cost_usd: row.cost_usd,
            attempts: row.attempts,
            metrics: &row.metrics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_to_the_nanosecond() {
        for nanos in [
            0,
            1,
            999_999,
            1_000_000,
            1_234_567_891,
            u64::from(u32::MAX) * 3,
        ] {
            let duration = Duration::from_nanos(nanos);
            assert_eq!(parse_exact_ms(&exact_ms(duration)), Some(duration));
        }
        assert_eq!(parse_exact_ms("12"), Some(Duration::from_millis(12)));
        assert_eq!(parse_exact_ms("1.5"), Some(Duration::from_micros(1500)));
        assert_eq!(parse_exact_ms("1.5x"), None);
        assert_eq!(parse_exact_ms("-1"), None);
    }
}
