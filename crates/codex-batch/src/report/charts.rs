//! The charts of the HTML report, drawn as SVG with `plotters`.
//!
//! plotters' SVG backend writes text as `<text>` elements (with the fonts left to the
//! browser) and, without its `ttf` feature, measures text with a built-in estimate: drawing
//! needs no font file. It escapes every string it writes, task-provided split names included.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Row;
use super::stats::Summary;
use crate::Error;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 320;
const FONT: &str = "sans-serif";
const BAR: RGBColor = RGBColor(0x3b, 0x6e, 0xa5);
const BAR_LIGHT: RGBColor = RGBColor(0x9e, 0xc3, 0xe6);

/// The most bins of the duration histogram.
const MAX_BINS: usize = 30;

/// The histogram of the durations of attempted tasks, in seconds.
pub(crate) fn duration_histogram(rows: &[Row]) -> Result<String, Error> {
    const CHART: &str = "duration histogram";
    let seconds: Vec<f64> = rows
        .iter()
        .filter(|row| row.status.attempted())
        .map(|row| row.duration.as_secs_f64())
        .collect();
    let bins = histogram_bins(seconds.len());
    let max = seconds.iter().copied().fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let width = max / as_f64(bins);
    let mut counts = vec![0_u32; bins];
    for s in &seconds {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "s / width is in 0..=bins for a non-negative s"
        )]
        let bin = ((s / width) as usize).min(bins - 1);
        counts[bin] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(CHART, &e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Task duration", (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..max, 0..top + 1)
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("duration (s)")
            .y_desc("tasks")
            .label_style((FONT, 12))
            .draw()
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, count)| {
                let x0 = width * as_f64(i);
                Rectangle::new([(x0, 0), (x0 + width, *count)], BAR.filled())
            }))
            .map_err(|e| chart_error(CHART, &e))?;
        root.present().map_err(|e| chart_error(CHART, &e))?;
    }
    Ok(svg)
}

/// The pass rate of each split, in percent, each bar labelled with its split and rate.
pub(crate) fn pass_rate_per_split(summary: &Summary) -> Result<String, Error> {
    const CHART: &str = "pass rate";
    let splits: Vec<(&str, f64)> = summary
        .by_split
        .iter()
        .map(|group| (group.label.as_str(), group.pass_rate.unwrap_or(0.0) * 100.0))
        .collect();
    let slots = as_f64(splits.len().max(1));
    let label_style = TextStyle::from((FONT, 12)).pos(Pos::new(HPos::Center, VPos::Bottom));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(CHART, &e))?;
        // Room above 100% for the labels.
        let mut chart = ChartBuilder::on(&root)
            .caption("Pass rate per split", (FONT, 18))
            .margin(12)
            .x_label_area_size(20)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..slots, 0.0..112.0)
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("pass rate (%)")
            .y_label_formatter(&|rate| {
                if *rate <= 100.0 {
                    format!("{rate:.0}")
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 12))
            .draw()
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .draw_series(splits.iter().enumerate().map(|(i, (_, rate))| {
                let x = as_f64(i);
                Rectangle::new([(x + 0.1, 0.0), (x + 0.9, *rate)], BAR.filled())
            }))
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .draw_series(splits.iter().enumerate().map(|(i, (label, rate))| {
                Text::new(
                    format!("{label}: {rate:.1}%"),
                    (as_f64(i) + 0.5, rate + 1.0),
                    label_style.clone(),
                )
            }))
            .map_err(|e| chart_error(CHART, &e))?;
        root.present().map_err(|e| chart_error(CHART, &e))?;
    }
    Ok(svg)
}

/// Input and output tokens of each task, stacked, in the order of the rows.
pub(crate) fn tokens_per_task(rows: &[Row]) -> Result<String, Error> {
    const CHART: &str = "tokens per task";
    let n = u32::try_from(rows.len().max(1)).unwrap_or(u32::MAX);
    let top = rows.iter().map(Row::total_tokens).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| chart_error(CHART, &e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Tokens per task (dark: input, light: output)", (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0..n, 0..top + top / 20 + 1)
            .map_err(|e| chart_error(CHART, &e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("task (in run order)")
            .y_desc("tokens")
            .label_style((FONT, 12))
            .draw()
            .map_err(|e| chart_error(CHART, &e))?;
        let bars = rows.iter().zip(0_u32..).flat_map(|(row, i)| {
            [
                Rectangle::new([(i, 0), (i + 1, row.input_tokens)], BAR.filled()),
                Rectangle::new(
                    [(i, row.input_tokens), (i + 1, row.total_tokens())],
                    BAR_LIGHT.filled(),
                ),
            ]
        });
        chart
            .draw_series(bars)
            .map_err(|e| chart_error(CHART, &e))?;
        root.present().map_err(|e| chart_error(CHART, &e))?;
    }
    Ok(svg)
}

/// About the square root of the sample size (at least 1, at most [`MAX_BINS`]).
fn histogram_bins(samples: usize) -> usize {
    samples.isqrt().clamp(1, MAX_BINS)
}

#[expect(
    clippy::cast_precision_loss,
    reason = "bin and task counts are far below 2^52, where f64 is exact"
)]
fn as_f64(n: usize) -> f64 {
    n as f64
}

fn chart_error(chart: &'static str, error: &dyn std::fmt::Display) -> Error {
    Error::Chart {
        chart,
        reason: error.to_string(),
    }
}
