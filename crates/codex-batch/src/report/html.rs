//! The HTML rendering: one self-contained page.
//!
//! The page loads nothing: styles are inline, charts are inline SVG, there is no script, and
//! a Content Security Policy (`default-src 'none'`) says so to the browser, so that even a
//! string that escaped escaping could not load or run anything. Every task-provided string
//! goes through [`escape`].

use std::fmt::Write as _;

use super::markdown::{MEASURE_COLUMNS, measures};
use super::stats::Summary;
use super::{Row, Status, charts, human_cost, human_duration, human_metric};
use crate::Error;

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:0.5em 0 1.5em}\
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}\
th:first-child,td:first-child{text-align:left}\
th{background:#f0f3f7}\
tr.total td{font-weight:bold}\
td.succeeded{color:#17692e}td.failed,td.timed_out{color:#a11}\
figure{margin:1em 0}";

pub(crate) fn render(title: &str, summary: &Summary, rows: &[Row]) -> Result<String, Error> {
    let mut out = String::new();
    let title = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · codex-batch report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n"
    );
    summary_tables(&mut out, summary);
    out.push_str("<h2>Charts</h2>\n");
    for svg in [
        charts::duration_histogram(rows)?,
        charts::pass_rate_per_split(summary)?,
        charts::tokens_per_task(rows)?,
    ] {
        let _ = writeln!(out, "<figure>\n{svg}</figure>");
    }
    task_table(&mut out, summary, rows);
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

fn summary_tables(out: &mut String, summary: &Summary) {
    out.push_str("<h2>By split</h2>\n<table>\n<tr><th>split</th><th>tasks</th>");
    for status in Status::ALL {
        let _ = write!(out, "<th>{}</th>", status.label());
    }
    header_cells(out, &MEASURE_COLUMNS);
    out.push_str("</tr>\n");
    let last = summary.by_split.len();
    for (i, group) in summary.by_split.iter().chain([&summary.total]).enumerate() {
        let class = if i == last { " class=\"total\"" } else { "" };
        let _ = write!(
            out,
            "<tr{class}><td>{}</td><td>{}</td>",
            escape(&group.label),
            group.count
        );
        for status in Status::ALL {
            let _ = write!(out, "<td>{}</td>", group.count_of(status));
        }
        data_cells(out, &measures(group));
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<h2>By status</h2>\n<table>\n<tr><th>status</th><th>tasks</th>");
    header_cells(out, &MEASURE_COLUMNS);
    out.push_str("</tr>\n");
    for group in &summary.by_status {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            escape(&group.label),
            group.count
        );
        data_cells(out, &measures(group));
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    let metrics = summary.metric_names();
    if metrics.is_empty() {
        return;
    }
    out.push_str("<h2>Metrics (mean by split)</h2>\n<table>\n<tr><th>split</th>");
    let escaped: Vec<String> = metrics.iter().map(|m| escape(m)).collect();
    header_cells(out, &escaped);
    out.push_str("</tr>\n");
    for group in summary.by_split.iter().chain([&summary.total]) {
        let _ = write!(out, "<tr><td>{}</td>", escape(&group.label));
        let cells: Vec<String> = metrics
            .iter()
            .map(|name| {
                group
                    .metrics
                    .get(*name)
                    .map_or_else(|| "-".to_owned(), |m| human_metric(m.mean))
            })
            .collect();
        data_cells(out, &cells);
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn task_table(out: &mut String, summary: &Summary, rows: &[Row]) {
    let metrics = summary.metric_names();
    out.push_str(
        "<h2>Tasks</h2>\n<table>\n<tr><th>id</th><th>split</th><th>status</th><th>duration</th>\
         <th>input tokens</th><th>output tokens</th><th>cost (USD)</th><th>attempts</th>",
    );
    let escaped: Vec<String> = metrics.iter().map(|m| escape(m)).collect();
    header_cells(out, &escaped);
    out.push_str("</tr>\n");
    for row in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&row.id),
            escape(row.split.as_deref().unwrap_or("")),
            row.status.as_str(),
            row.status.label(),
            human_duration(row.duration),
            row.input_tokens,
            row.output_tokens,
            human_cost(row.cost_usd),
            row.attempts,
        );
        for name in &metrics {
            let cell = row
                .metrics
                .get(*name)
                .map_or_else(|| "-".to_owned(), |v| human_metric(*v));
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// Header cells of already escaped (or constant) text.
fn header_cells<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for cell in cells {
        let _ = write!(out, "<th>{}</th>", cell.as_ref());
    }
}

/// Data cells of text made by this crate (numbers, durations), escaped anyway.
fn data_cells(out: &mut String, cells: &[String]) {
    for cell in cells {
        let _ = write!(out, "<td>{}</td>", escape(cell));
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x') && \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp;&amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
