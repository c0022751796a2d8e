//! NDJSON and CSV export of a run's results.

use std::io::Write;

use crate::record::{CSV_HEADER, TaskResult};

/// Writes one JSON object per result and line.
///
/// # Errors
///
/// What `out` returns.
pub fn write_ndjson(out: &mut impl Write, results: &[TaskResult]) -> std::io::Result<()> {
    for result in results {
        serde_json::to_writer(&mut *out, result)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes a header line and one CSV row per result.
///
/// # Errors
///
/// What `out` returns.
pub fn write_csv(out: &mut impl Write, results: &[TaskResult]) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for result in results {
        writeln!(out, "{}", result.csv_row())?;
    }
    Ok(())
}
