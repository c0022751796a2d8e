//! Reports: summary values, Markdown tables, self-contained and escaped HTML, CSV round
//! trips, JSON.

use std::time::Duration;

use codex_agent_batch::Error;
use codex_agent_batch::report::{Format, Report, Row, Status, rows_from_csv};
use pretty_assertions::assert_eq;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A small run: two splits, one row without a split, every status, a hostile task id.
fn rows() -> Vec<Row> {
    vec![
        Row::new("t1", Status::Succeeded)
            .split("train")
            .duration(ms(1000))
            .tokens(100, 10)
            .cost_usd(0.01)
            .metric("f1", 1.0)
            .metric("bleu", 100.0),
        Row::new("t2", Status::Failed)
            .split("train")
            .duration(ms(2000))
            .tokens(200, 20)
            .cost_usd(0.02)
            .attempts(3)
            .metric("f1", 0.5),
        Row::new("<script>alert('x')</script>", Status::Succeeded)
            .split("train")
            .duration(ms(3000))
            .tokens(300, 30),
        Row::new("t4", Status::TimedOut)
            .split("test")
            .duration(ms(4000))
            .tokens(400, 40)
            .cost_usd(0.04),
        Row::new("t5", Status::Skipped).split("test"),
        Row::new("t6", Status::Cancelled).duration(ms(500)),
    ]
}

#[test]
fn the_summary_groups_by_split_and_status() {
    let summary = Report::new("run", rows()).summary();
    let labels: Vec<&str> = summary.by_split.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["(none)", "test", "train"]);
    let train = &summary.by_split[2];
    assert_eq!(train.count, 3);
    assert_eq!(train.count_of(Status::Succeeded), 2);
    assert_eq!(train.count_of(Status::Failed), 1);
    assert_eq!(train.pass_rate, Some(2.0 / 3.0));
    assert_eq!(train.median_duration, Some(ms(2000)));
    // numpy.percentile([1, 2, 3], 95) == 2.9
    assert_eq!(train.p95_duration, Some(Duration::from_secs_f64(2.9)));
    assert_eq!((train.input_tokens, train.output_tokens), (600, 60));
    assert!((train.cost_usd.expect("costs") - 0.03).abs() < 1e-12);
    assert_eq!(train.metrics["f1"].count, 2);
    assert_eq!(train.metrics["f1"].mean, 0.75);
    assert_eq!(train.metrics["bleu"].count, 1);

    // The skipped task counts as a task but not as an attempt.
    let test = &summary.by_split[1];
    assert_eq!(test.count, 2);
    assert_eq!(test.pass_rate, Some(0.0));
    assert_eq!(test.median_duration, Some(ms(4000)));
    assert_eq!(test.cost_usd, Some(0.04));

    let none = &summary.by_split[0];
    assert_eq!(none.cost_usd, None);

    let statuses: Vec<&str> = summary.by_status.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        statuses,
        ["succeeded", "failed", "timed out", "cancelled", "skipped"]
    );
    assert_eq!(summary.total.count, 6);
    assert_eq!(summary.total.pass_rate, Some(2.0 / 5.0));
}

/// Splits a Markdown table line into cells, honouring `\|` escapes.
fn cells(line: &str) -> Vec<String> {
    let inner = line
        .trim()
        .strip_prefix('|')
        .and_then(|l| l.strip_suffix('|'))
        .unwrap_or_else(|| panic!("not a table line: {line:?}"));
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '|' if !escaped => cells.push(String::new()),
            _ => {
                escaped = c == '\\' && !escaped;
                cells.last_mut().expect("one cell").push(c);
            }
        }
    }
    cells.iter().map(|c| c.trim().to_owned()).collect()
}

/// The table under the heading `## {heading}`.
fn table<'a>(markdown: &'a str, heading: &str) -> Vec<&'a str> {
    let start = markdown
        .find(&format!("## {heading}\n"))
        .unwrap_or_else(|| panic!("no `{heading}` section"));
    markdown[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .collect()
}

#[test]
fn markdown_tables_have_their_columns() {
    let mut rows = rows();
    rows.push(Row::new("t7", Status::Succeeded).split("a|b"));
    let markdown = Report::new("nightly | run", rows)
        .render(Format::Markdown)
        .expect("renders");
    assert!(markdown.starts_with("# nightly \\| run\n"), "{markdown}");

    let split = table(&markdown, "By split");
    assert_eq!(
        cells(split[0]),
        [
            "split",
            "tasks",
            "succeeded",
            "failed",
            "timed out",
            "cancelled",
            "skipped",
            "pending",
            "pass rate",
            "median duration",
            "p95 duration",
            "input tokens",
            "output tokens",
            "cost (USD)"
        ]
    );
    for line in &split {
        assert_eq!(cells(line).len(), 14, "{line}");
    }
    let rows: Vec<Vec<String>> = split[2..].iter().map(|l| cells(l)).collect();
    let labels: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(labels, ["(none)", "a\\|b", "test", "train", "all"]);
    assert_eq!(
        rows[3],
        [
            "train", "3", "2", "1", "0", "0", "0", "0", "66.7%", "2.0 s", "2.9 s", "600", "60",
            "$0.0300"
        ]
    );

    let status = table(&markdown, "By status");
    assert_eq!(
        cells(status[0]),
        [
            "status",
            "tasks",
            "pass rate",
            "median duration",
            "p95 duration",
            "input tokens",
            "output tokens",
            "cost (USD)"
        ]
    );
    for line in &status {
        assert_eq!(cells(line).len(), 8, "{line}");
    }

    let metrics = table(&markdown, "Metrics (mean by split)");
    assert_eq!(cells(metrics[0]), ["split", "bleu", "f1"]);
    assert_eq!(cells(metrics[5]), ["train", "100.0000", "0.7500"]);
}

/// Checks that every element opened is closed in order (void elements and `/>` aside) and
/// returns how many of each element there are.
fn check_nesting(html: &str) -> std::collections::BTreeMap<String, usize> {
    const VOID: [&str; 2] = ["meta", "br"];
    let mut stack: Vec<String> = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e)
            .expect("a tag ends");
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(!name.is_empty(), "a tag without a name: <{tag}>");
        *counts.entry(name.clone()).or_insert(0) += 1;
        if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    counts
}

#[test]
fn html_is_self_contained_escaped_and_has_three_charts() {
    let mut rows = rows();
    rows[3].split = Some("<img src=x onerror=alert(1)>".to_owned());
    rows[0].metrics.insert("<b>m</b>".to_owned(), 1.0);
    let html = Report::new("<title>run", rows)
        .render(Format::Html)
        .expect("renders");

    assert!(html.starts_with("<!DOCTYPE html>\n"));
    let counts = check_nesting(&html);
    assert_eq!(counts["svg"], 3, "{counts:?}");
    assert!(
        !counts.contains_key("script"),
        "a script element: {counts:?}"
    );
    assert!(!counts.contains_key("img"), "an img element: {counts:?}");
    assert!(!counts.contains_key("b"), "a b element: {counts:?}");
    assert!(counts["rect"] > 3, "bars are drawn: {counts:?}");
    assert!(counts["text"] > 3, "labels are drawn: {counts:?}");

    // Task-provided strings are there, escaped, in tables and in the chart's labels.
    assert!(html.contains("<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>"));
    assert!(html.contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>"));
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;: 0.0%\n</text>"),
        "the split's label in the pass rate chart"
    );
    assert!(html.contains("<th>&lt;b&gt;m&lt;/b&gt;</th>"));
    assert!(html.contains("<title>&lt;title&gt;run · codex-batch report</title>"));

    // Nothing is loaded from anywhere: no URL but the SVG namespace.
    let without_namespace = html.replace("http://www.w3.org/2000/svg", "");
    for needle in ["http:", "https:", "src=\"", "href=", "url(", "@import"] {
        assert!(!without_namespace.contains(needle), "found {needle:?}");
    }
    assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
}

#[test]
fn an_empty_run_renders_in_every_format() {
    let report = Report::new("empty", Vec::new());
    for format in ["md", "html", "json", "csv"] {
        let format: Format = format.parse().expect("a format");
        let text = report.render(format).expect("renders");
        assert!(!text.is_empty());
    }
    assert!(
        rows_from_csv(&report.to_csv().expect("csv"))
            .expect("reads")
            .is_empty()
    );
    check_nesting(&report.to_html().expect("html"));
}

#[test]
fn csv_round_trips() {
    let mut rows = rows();
    rows.push(
        Row::new("quote \" comma , newline \n tab \t é 👍", Status::Pending)
            .split("split, with \"quotes\"")
            .duration(Duration::new(3, 123_456_789))
            .tokens(u64::MAX, 0)
            .cost_usd(1e-12)
            .metric("rouge_l", 0.1 + 0.2)
            .metric("a metric, with a comma", -0.0),
    );
    let csv = Report::new("run", rows.clone())
        .render(Format::Csv)
        .expect("renders");
    assert_eq!(rows_from_csv(&csv).expect("reads back"), rows);
    assert!(csv.starts_with(
        "id,split,status,duration_ms,input_tokens,output_tokens,cost_usd,attempts,\
         \"metric:a metric, with a comma\",metric:bleu,metric:f1,metric:rouge_l\n"
    ));
}

#[test]
fn bad_csv_names_the_line_and_field() {
    let header = "id,split,status,duration_ms,input_tokens,output_tokens,cost_usd,attempts\n";
    let error = rows_from_csv(&format!(
        "{header}t1,,succeeded,1.0,1,2,,1\nt2,,exploded,1.0,1,2,,1\n"
    ))
    .expect_err("bad status");
    assert!(
        matches!(&error, Error::ReportCsv { line: 3, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "line 3 of the CSV report is not a task row: bad `status` field \"exploded\""
    );
    let error = rows_from_csv("id,status\nt1,succeeded\n").expect_err("missing columns");
    assert_eq!(
        error.to_string(),
        "line 1 of the CSV report is not a task row: the header has no `split` column"
    );
}

#[test]
fn json_holds_the_summary_and_the_rows() {
    let json = Report::new("run", rows())
        .render(Format::Json)
        .expect("renders");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["title"], "run");
    assert_eq!(value["summary"]["total"]["count"], 6);
    assert_eq!(value["summary"]["total"]["statuses"]["timed_out"], 1);
    assert_eq!(value["summary"]["by_split"][2]["median_duration"], 2000.0);
    assert_eq!(value["rows"][1]["attempts"], 3);
    assert_eq!(value["rows"][1]["duration_ms"], 2000.0);
    assert_eq!(value["rows"][2]["id"], "<script>alert('x')</script>");
    assert_eq!(value["rows"][5]["split"], serde_json::Value::Null);
}

#[test]
fn unknown_formats_and_statuses_are_errors() {
    let error = "pdf".parse::<Format>().expect_err("unknown");
    assert_eq!(
        error.to_string(),
        "unknown report format `pdf` (expected md, html, json or csv)"
    );
    assert_eq!(
        "timed out".parse::<Status>().expect("a label"),
        Status::TimedOut
    );
    assert_eq!(
        "timed_out".parse::<Status>().expect("a name"),
        Status::TimedOut
    );
    assert!("done".parse::<Status>().is_err());
}
