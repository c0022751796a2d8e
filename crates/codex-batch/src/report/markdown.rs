//! The Markdown rendering: the summary tables.

use std::fmt::Write as _;

use super::stats::{Group, Summary};
use super::{Status, human_cost, human_duration, human_metric, human_rate};

/// The columns of the by-split table, before one column per status.
pub(crate) const SPLIT_COLUMNS: [&str; 2] = ["split", "tasks"];

/// The columns of both tables after the status columns.
pub(crate) const MEASURE_COLUMNS: [&str; 6] = [
    "pass rate",
    "median duration",
    "p95 duration",
    "input tokens",
    "output tokens",
    "cost (USD)",
];

pub(crate) fn render(title: &str, summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape(title));

    out.push_str("## By split\n\n");
    let header: Vec<&str> = SPLIT_COLUMNS
        .into_iter()
        .chain(Status::ALL.iter().map(|s| s.label()))
        .chain(MEASURE_COLUMNS)
        .collect();
    table_header(&mut out, &header);
    for group in summary.by_split.iter().chain([&summary.total]) {
        let mut cells = vec![escape(&group.label), group.count.to_string()];
        cells.extend(Status::ALL.iter().map(|s| group.count_of(*s).to_string()));
        cells.extend(measures(group));
        table_row(&mut out, &cells);
    }

    out.push_str("\n## By status\n\n");
    let header: Vec<&str> = ["status", "tasks"]
        .into_iter()
        .chain(MEASURE_COLUMNS)
        .collect();
    table_header(&mut out, &header);
    for group in &summary.by_status {
        let mut cells = vec![escape(&group.label), group.count.to_string()];
        cells.extend(measures(group));
        table_row(&mut out, &cells);
    }

    let metrics = summary.metric_names();
    if !metrics.is_empty() {
        out.push_str("\n## Metrics (mean by split)\n\n");
        let escaped: Vec<String> = metrics.iter().map(|m| escape(m)).collect();
        let header: Vec<&str> = ["split"]
            .into_iter()
            .chain(escaped.iter().map(String::as_str))
            .collect();
        table_header(&mut out, &header);
        for group in summary.by_split.iter().chain([&summary.total]) {
            let mut cells = vec![escape(&group.label)];
            cells.extend(metrics.iter().map(|name| {
                group
                    .metrics
                    .get(*name)
                    .map_or_else(|| "-".to_owned(), |m| human_metric(m.mean))
            }));
            table_row(&mut out, &cells);
        }
    }
    out
}

/// The measure cells of a group, in [`MEASURE_COLUMNS`] order.
pub(crate) fn measures(group: &Group) -> Vec<String> {
    vec![
        human_rate(group.pass_rate),
        group
            .median_duration
            .map_or_else(|| "-".to_owned(), human_duration),
        group
            .p95_duration
            .map_or_else(|| "-".to_owned(), human_duration),
        group.input_tokens.to_string(),
        group.output_tokens.to_string(),
        human_cost(group.cost_usd),
    ]
}

fn table_header(out: &mut String, columns: &[&str]) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let rule: Vec<&str> = columns
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
}

fn table_row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// Makes task-provided text inert in a Markdown table cell: no column break (`|`), no line
/// break, no raw HTML, no emphasis, code or link markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(escape("a|b\nc <script>"), "a\\|b c &lt;script&gt;");
    }
}
