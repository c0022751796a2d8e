//! `cargo xtask parity [--scenario <pattern>]...`: runs every scenario of `fixtures/parity/` on
//! the official TypeScript SDK and on codex-agent-sdk, against the same real codex and the same kind
//! of scripted model, and diffs what each did.
//!
//! 1. Installs `@openai/codex-sdk@0.163.0` and `@openai/codex@<version>` (with its platform
//!    binary) into `target/parity/` with npm, once; later runs reuse them. The codex version is
//!    the one the tests use: `codex_agent_testkit::real_codex::DEFAULT_CODEX_VERSION` (0.171.0), or
//!    another supported one named by `CODEX_SDK_TEST_CODEX_VERSION`.
//! 2. For each scenario ([`scenario`]) and each of its modes (`streamed`, `run`), runs it once
//!    per SDK ([`observe`]): a fresh `MockServer` with the scenario's replies, a fresh
//!    `CODEX_HOME` and working directory, an argv-recording shim in front of the real codex,
//!    and a driver: `xtask/parity/driver.mjs` on node for the TypeScript SDK,
//!    `xtask __parity-driver` ([`driver`]) for codex-agent-sdk.
//! 3. Normalizes what legitimately differs between runs ([`normalize`]: ids, temporary paths,
//!    ports, durations, clock readings) and diffs the two observations ([`diff`]): the streamed
//!    events or the `run()` result, the error category, the argv and environment each SDK gave
//!    codex, and the HTTP requests the mock received.
//! 4. Explains intended differences with `fixtures/parity/allowlist.json`, writes
//!    `target/parity/report.md`, `target/parity/report.json` and every observation under
//!    `target/parity/observations/`, and fails on any unexplained difference, failed run or
//!    unmet scenario expectation.
//!
//! `--scenario` takes a name or a `*` pattern and may repeat. The MCP scenario uses the
//! testkit's MCP server (`codex_agent_testkit::mcp_server`), served by this executable as
//! `xtask __mcp-echo-server`, so it needs no separate build.

mod diff;
pub(crate) mod driver;
mod normalize;
mod observe;
mod scenario;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::{cmd, project_root};
use diff::{Allowlist, Difference, glob};
use observe::{Context, Observation, Sdk};
use scenario::{Mode, Scenario};

/// The TypeScript SDK compared with.
const SDK_VERSION: &str = "0.163.0";

/// The codex CLI both SDKs run: the version the tests select (see the module docs).
pub(crate) fn codex_version() -> Result<&'static str, String> {
    codex_agent_testkit::real_codex::codex_version().map_err(|e| e.to_string())
}

/// `cargo xtask parity`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let patterns = parse_args(args)?;
    let root = project_root();
    let out = root.join("target/parity");
    let codex_version = codex_version()?;
    let (sdk_js, codex) = install(&out, codex_version)?;
    let node = cmd::output(Command::new("node").arg("--version"))?
        .trim()
        .to_owned();
    let fixtures = root.join("fixtures/parity");
    let scenarios: Vec<Scenario> = scenario::load(&fixtures)?
        .into_iter()
        .filter(|s| patterns.is_empty() || patterns.iter().any(|p| glob(p, &s.name)))
        .collect();
    if scenarios.is_empty() {
        return Err(format!("no scenario matches {patterns:?}"));
    }
    let allowlist = Allowlist::load(&fixtures.join("allowlist.json"))?;
    let mut base_env = Vec::new();
    for name in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(name) {
            base_env.push((name.to_owned(), value.to_string_lossy().into_owned()));
        }
    }
    let context = Context {
        codex,
        sdk_js,
        driver_mjs: root.join("xtask/parity/driver.mjs"),
        xtask: std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?,
        base_env,
    };
    let observations = out.join("observations");
    if observations.exists() {
        std::fs::remove_dir_all(&observations)
            .map_err(|e| format!("cannot clear {}: {e}", observations.display()))?;
    }
    std::fs::create_dir_all(&observations)
        .map_err(|e| format!("cannot create {}: {e}", observations.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let started = Instant::now();
    let mut results = Vec::new();
    for scenario in &scenarios {
        for &mode in &scenario.modes {
            let result =
                runtime.block_on(compare(&context, scenario, mode, &allowlist, &observations));
            println!(
                "parity: {:<24} {:<9} {}",
                scenario.name,
                mode.as_str(),
                result.status()
            );
            results.push(result);
        }
    }
    let report = Report {
        scenarios: &scenarios,
        results: &results,
        allowlist: &allowlist,
        node: &node,
        codex_version,
        seconds: started.elapsed().as_secs_f64(),
    };
    let markdown = report.markdown();
    write(&out.join("report.md"), &markdown)?;
    let json = serde_json::to_string_pretty(&report.json()).map_err(|e| e.to_string())?;
    write(&out.join("report.json"), &(json + "\n"))?;
    println!("\n{}", report.summary_table());
    println!(
        "wrote {} and {}",
        out.join("report.md").display(),
        out.join("report.json").display()
    );
    let failed = results.iter().filter(|r| !r.passed()).count();
    if failed > 0 {
        return Err(format!(
            "{failed} of {} runs differ without explanation or failed; see target/parity/report.md",
            results.len()
        ));
    }
    Ok(())
}

fn parse_args(args: &[String]) -> Result<Vec<String>, String> {
    let mut patterns = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--scenario" => patterns.push(
                it.next()
                    .ok_or("`--scenario` needs a name or pattern")?
                    .clone(),
            ),
            other => {
                return Err(format!(
                    "unknown parity argument `{other}`; usage: parity [--scenario <pattern>]..."
                ));
            }
        }
    }
    Ok(patterns)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The npm platform package of codex for this machine: its name suffix and target triple.
fn platform() -> Result<(&'static str, &'static str), String> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Ok(("linux-x64", "x86_64-unknown-linux-musl")),
        ("linux", "aarch64") => Ok(("linux-arm64", "aarch64-unknown-linux-musl")),
        ("macos", "x86_64") => Ok(("darwin-x64", "x86_64-apple-darwin")),
        ("macos", "aarch64") => Ok(("darwin-arm64", "aarch64-apple-darwin")),
        (os, arch) => Err(format!("cargo xtask parity does not support {os}-{arch}")),
    }
}

fn json_version(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let json: Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_str().map(str::to_owned)
}

/// Installs the pinned SDK and codex `codex_version` into `dir` unless they are there
/// (another codex version there is replaced); returns the SDK's `dist/index.js` and the codex
/// binary.
///
/// `--omit=optional` skips the platform binary of the codex 0.163.0 the SDK depends on (the SDK
/// runs the `codex_version` binary through `codexPathOverride`); that version's platform
/// package is named explicitly, under the alias `@openai/codex` itself uses for it.
pub(crate) fn install(dir: &Path, codex_version: &str) -> Result<(PathBuf, PathBuf), String> {
    let (suffix, triple) = platform()?;
    let modules = dir.join("node_modules/@openai");
    let sdk = modules.join("codex-sdk");
    let vendor = modules.join(format!("codex-{suffix}/vendor/{triple}"));
    let codex = vendor.join("bin/codex");
    let installed = || {
        json_version(&sdk.join("package.json")).as_deref() == Some(SDK_VERSION)
            && json_version(&vendor.join("codex-package.json")).as_deref() == Some(codex_version)
            && codex.is_file()
    };
    if !installed() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        cmd::run(
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--save-exact",
                    "--omit=optional",
                ])
                .arg("--prefix")
                .arg(dir)
                .arg(format!("@openai/codex-sdk@{SDK_VERSION}"))
                .arg(format!("@openai/codex@{codex_version}"))
                .arg(format!(
                    "@openai/codex-{suffix}@npm:@openai/codex@{codex_version}-{suffix}"
                )),
        )?;
        if !installed() {
            return Err(format!(
                "npm install finished but {} or {} is missing or has another version",
                sdk.display(),
                codex.display()
            ));
        }
    }
    Ok((sdk.join("dist/index.js"), codex))
}

/// The outcome of one scenario in one mode.
#[derive(Debug)]
struct ModeResult {
    scenario: String,
    mode: Mode,
    /// Every difference, with the id of the allow-list entry explaining it.
    differences: Vec<(Difference, Option<String>)>,
    /// Failed runs and unmet expectations.
    errors: Vec<String>,
}

impl ModeResult {
    fn unexplained(&self) -> usize {
        self.differences
            .iter()
            .filter(|(_, id)| id.is_none())
            .count()
    }

    fn passed(&self) -> bool {
        self.errors.is_empty() && self.unexplained() == 0
    }

    fn status(&self) -> String {
        if !self.errors.is_empty() {
            format!("ERROR ({})", self.errors.len())
        } else if self.unexplained() > 0 {
            format!("DIFFERENT ({} unexplained)", self.unexplained())
        } else if self.differences.is_empty() {
            "identical".to_owned()
        } else {
            format!("allow-listed ({})", self.differences.len())
        }
    }
}

/// Runs `scenario` in `mode` on both SDKs and compares.
async fn compare(
    context: &Context,
    scenario: &Scenario,
    mode: Mode,
    allowlist: &Allowlist,
    observations: &Path,
) -> ModeResult {
    let mut result = ModeResult {
        scenario: scenario.name.clone(),
        mode,
        differences: Vec::new(),
        errors: Vec::new(),
    };
    let mut observed: Vec<Observation> = Vec::new();
    for sdk in [Sdk::Ts, Sdk::Rs] {
        match observe::observe(context, scenario, mode, sdk).await {
            Ok(observation) => {
                let file = observations.join(format!(
                    "{}.{}.{}.json",
                    scenario.name,
                    mode.as_str(),
                    sdk.as_str()
                ));
                let text = serde_json::to_string_pretty(&json!({
                    "observation": observation.value,
                    "mock_problems": observation.mock_problems,
                    "driver_stderr": observation.stderr,
                }))
                .unwrap_or_default();
                if let Err(e) = write(&file, &text) {
                    result.errors.push(e);
                }
                for problem in &observation.mock_problems {
                    result
                        .errors
                        .push(format!("{}: mock: {problem}", sdk.as_str()));
                }
                result.errors.extend(
                    check_expectations(scenario, mode, sdk, &observation.value)
                        .into_iter()
                        .map(|e| format!("{}: {e}", sdk.as_str())),
                );
                observed.push(observation);
            }
            Err(e) => result.errors.push(format!("{}: {e}", sdk.as_str())),
        }
    }
    if let [ts, rs] = observed.as_slice() {
        result.differences = diff::diff(&ts.value, &rs.value)
            .into_iter()
            .map(|difference| {
                let id = allowlist
                    .explain(&scenario.name, mode.as_str(), &difference)
                    .map(|entry| entry.id.clone());
                (difference, id)
            })
            .collect();
    }
    result
}

/// Checks the scenario's `expect_error` and `expect_items` against one observation, so that a
/// scenario cannot pass by failing the same way on both sides.
fn check_expectations(
    scenario: &Scenario,
    mode: Mode,
    sdk: Sdk,
    observation: &Value,
) -> Vec<String> {
    let mut problems = Vec::new();
    let turns = observation["turns"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if turns.len() != scenario.turns.len() {
        problems.push(format!(
            "{} turns observed, {} expected",
            turns.len(),
            scenario.turns.len()
        ));
        return problems;
    }
    for (index, (spec, turn)) in scenario.turns.iter().zip(turns).enumerate() {
        let category = turn["error"]["category"].as_str();
        let expected_error = spec.expected_error(mode, sdk == Sdk::Rs);
        if category != expected_error {
            problems.push(format!(
                "turn {index}: error category {category:?}, expected {expected_error:?} (error: {})",
                turn["error"]
            ));
        }
        if mode == Mode::Run && expected_error.is_some() {
            // A failed run() has no items.
            continue;
        }
        if let Some(expected) = &spec.expect_items {
            let items: Vec<&str> = match mode {
                Mode::Run => turn["result"]["items"]
                    .as_array()
                    .map(|items| items.iter().filter_map(|i| i["type"].as_str()).collect())
                    .unwrap_or_default(),
                Mode::Streamed => turn["events"]
                    .as_array()
                    .map(|events| {
                        events
                            .iter()
                            .filter(|e| e["type"] == "item.completed")
                            .filter_map(|e| e["item"]["type"].as_str())
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            if items != *expected {
                problems.push(format!(
                    "turn {index}: items {items:?}, expected {expected:?}"
                ));
            }
        }
    }
    problems
}

/// Everything the reports are made of.
struct Report<'a> {
    scenarios: &'a [Scenario],
    results: &'a [ModeResult],
    allowlist: &'a Allowlist,
    node: &'a str,
    codex_version: &'a str,
    seconds: f64,
}

impl Report<'_> {
    fn counts(&self) -> (usize, usize, usize, usize) {
        let identical = self
            .results
            .iter()
            .filter(|r| r.passed() && r.differences.is_empty())
            .count();
        let allowed = self
            .results
            .iter()
            .filter(|r| r.passed() && !r.differences.is_empty())
            .count();
        let different = self
            .results
            .iter()
            .filter(|r| r.errors.is_empty() && r.unexplained() > 0)
            .count();
        let errors = self.results.iter().filter(|r| !r.errors.is_empty()).count();
        (identical, allowed, different, errors)
    }

    /// How often each allow-list entry was used, in file order.
    fn entry_uses(&self) -> Vec<(&diff::Entry, usize, Vec<String>)> {
        self.allowlist
            .entries
            .iter()
            .map(|entry| {
                let mut scenarios = Vec::new();
                let mut uses = 0;
                for result in self.results {
                    let n = result
                        .differences
                        .iter()
                        .filter(|(_, id)| id.as_deref() == Some(entry.id.as_str()))
                        .count();
                    if n > 0 {
                        uses += n;
                        if !scenarios.contains(&result.scenario) {
                            scenarios.push(result.scenario.clone());
                        }
                    }
                }
                (entry, uses, scenarios)
            })
            .collect()
    }

    fn summary_table(&self) -> String {
        let (identical, allowed, different, errors) = self.counts();
        let explained: usize = self
            .results
            .iter()
            .map(|r| r.differences.len() - r.unexplained())
            .sum();
        let unexplained: usize = self.results.iter().map(ModeResult::unexplained).sum();
        format!(
            "| scenarios | runs (scenario × mode) | identical | only allow-listed differences | unexplained differences | errors |\n\
             |---|---|---|---|---|---|\n\
             | {} | {} | {identical} | {allowed} ({explained} differences) | {different} ({unexplained} differences) | {errors} |\n",
            self.scenarios.len(),
            self.results.len(),
        )
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        // Writing to a `String` cannot fail.
        let _ = writeln!(
            md,
            "# Parity: codex-sdk-rs vs @openai/codex-sdk {SDK_VERSION}\n\n\
             Real codex {} against a scripted mock model, node {}, {:.0} s. \
             Generated by `cargo xtask parity`.\n",
            self.codex_version, self.node, self.seconds
        );
        md.push_str(&self.summary_table());
        md.push_str("\n| scenario | mode | status | what it covers |\n|---|---|---|---|\n");
        for result in self.results {
            let description = self
                .scenarios
                .iter()
                .find(|s| s.name == result.scenario)
                .map_or("", |s| s.description.as_str());
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} |",
                result.scenario,
                result.mode.as_str(),
                result.status(),
                description
            );
        }
        let failing: Vec<&ModeResult> = self.results.iter().filter(|r| !r.passed()).collect();
        if !failing.is_empty() {
            md.push_str("\n## Unexplained differences and errors\n");
            for result in failing {
                let _ = writeln!(
                    md,
                    "\n### `{}` ({})\n",
                    result.scenario,
                    result.mode.as_str()
                );
                for error in &result.errors {
                    let _ = writeln!(md, "- error: {}", excerpt(error));
                }
                for (difference, _) in result.differences.iter().filter(|(_, id)| id.is_none()) {
                    let _ = writeln!(
                        md,
                        "- `{}`: ts `{}`, rs `{}`",
                        difference.path,
                        excerpt(&diff::render(difference.ts.as_ref())),
                        excerpt(&diff::render(difference.rs.as_ref()))
                    );
                }
            }
        }
        md.push_str(
            "\n## Allow-listed differences (`fixtures/parity/allowlist.json`)\n\n\
             | id | differences | scenarios | reason |\n|---|---|---|---|\n",
        );
        for (entry, uses, scenarios) in self.entry_uses() {
            let where_ = if uses == 0 {
                "unused in this run".to_owned()
            } else {
                scenarios.join(", ")
            };
            let _ = writeln!(
                md,
                "| `{}` | {uses} | {where_} | {} |",
                entry.id, entry.reason
            );
        }
        md
    }

    fn json(&self) -> Value {
        let (identical, allowed, different, errors) = self.counts();
        let results: Vec<Value> = self
            .results
            .iter()
            .map(|r| {
                let differences: Vec<Value> = r
                    .differences
                    .iter()
                    .map(
                        |(d, id)| json!({"path": d.path, "ts": d.ts, "rs": d.rs, "allowed_by": id}),
                    )
                    .collect();
                json!({
                    "scenario": r.scenario,
                    "mode": r.mode.as_str(),
                    "status": r.status(),
                    "passed": r.passed(),
                    "errors": r.errors,
                    "differences": differences,
                })
            })
            .collect();
        let allowlist: Vec<Value> = self
            .entry_uses()
            .into_iter()
            .map(|(entry, uses, scenarios)| {
                json!({"id": entry.id, "uses": uses, "scenarios": scenarios, "reason": entry.reason})
            })
            .collect();
        json!({
            "sdk": format!("@openai/codex-sdk {SDK_VERSION}"),
            "codex": self.codex_version,
            "node": self.node,
            "seconds": self.seconds,
            "summary": {
                "scenarios": self.scenarios.len(),
                "runs": self.results.len(),
                "identical": identical,
                "allow_listed_only": allowed,
                "unexplained": different,
                "errors": errors,
            },
            "results": results,
            "allowlist": allowlist,
        })
    }
}

/// At most 300 characters of `text`, on one line.
fn excerpt(text: &str) -> String {
    let one_line = text.replace('\n', "\\n").replace('|', "\\|");
    if one_line.chars().count() > 300 {
        let cut: String = one_line.chars().take(300).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}
