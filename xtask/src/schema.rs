//! `cargo xtask schema [--check]`: the JSON Schemas of codex-agent-protocol's public types.
//!
//! The types and their file stems come from [`codex_agent_protocol::schemas`]; each schema is
//! written pretty-printed, with a trailing newline, to `fixtures/schema/<stem>.json`. The
//! files are committed so reviewers see schema changes in diffs; `--check` regenerates them
//! in memory and fails naming every stale, missing or extra file (rust-analyzer's
//! `codegen --check`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::project_root;

/// Where the schemas live, relative to the workspace root.
const DIR: &str = "fixtures/schema";

/// File name → file contents.
type Files = BTreeMap<String, String>;

/// `cargo xtask schema [--check]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let check_only = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => {
            return Err(format!(
                "usage: cargo xtask schema [--check], got `{}`",
                args.join(" ")
            ));
        }
    };
    let dir = project_root().join(DIR);
    let expected = generate()?;
    if check_only {
        check(&dir, &expected)?;
        println!("schema: {} files in {DIR} are up to date", expected.len());
    } else {
        let changed = write(&dir, &expected)?;
        println!(
            "schema: {} files in {DIR}, {} changed",
            expected.len(),
            changed.len()
        );
        for line in changed {
            println!("  {line}");
        }
    }
    Ok(())
}

/// Fails naming each stale, missing or extra file in `dir`.
pub(crate) fn check(dir: &Path, expected: &Files) -> Result<(), String> {
    let problems = diff(expected, &read_dir(dir)?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{DIR} is out of date; run `cargo xtask schema` and commit the result:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Renders every schema codex-agent-protocol lists.
pub(crate) fn generate() -> Result<Files, String> {
    let mut files = Files::new();
    for (stem, schema) in codex_agent_protocol::schemas() {
        let mut text = serde_json::to_string_pretty(&schema)
            .map_err(|err| format!("cannot serialize the schema of {stem}: {err}"))?;
        text.push('\n');
        if files.insert(format!("{stem}.json"), text).is_some() {
            return Err(format!(
                "codex_agent_protocol::schemas() lists `{stem}` twice"
            ));
        }
    }
    Ok(files)
}

/// Makes `dir` hold exactly `expected`; returns what changed, one line per file.
fn write(dir: &Path, expected: &Files) -> Result<Vec<String>, String> {
    fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let actual = read_dir(dir)?;
    let mut changed = Vec::new();
    for (name, text) in expected {
        if actual.get(name) != Some(text) {
            let path = dir.join(name);
            fs::write(&path, text)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            changed.push(format!("wrote {name}"));
        }
    }
    for name in actual.keys().filter(|name| !expected.contains_key(*name)) {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(|err| format!("cannot remove {}: {err}", path.display()))?;
        changed.push(format!("removed {name}"));
    }
    Ok(changed)
}

/// The `.json` files in `dir`; a missing directory holds none.
fn read_dir(dir: &Path) -> Result<Files, String> {
    let mut files = Files::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(err) => return Err(format!("cannot list {}: {err}", dir.display())),
    };
    for entry in entries {
        let path = entry
            .map_err(|err| format!("cannot list {}: {err}", dir.display()))?
            .path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if path.is_file() && path.extension().is_some_and(|ext| ext == "json") {
            let text = fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            files.insert(name.to_owned(), text);
        }
    }
    Ok(files)
}

/// One line per file that differs between `expected` and `actual`.
fn diff(expected: &Files, actual: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, text) in expected {
        match actual.get(name) {
            None => problems.push(format!("{DIR}/{name} is missing")),
            Some(found) if found != text => problems.push(format!("{DIR}/{name} is stale")),
            Some(_) => {}
        }
    }
    for name in actual.keys().filter(|name| !expected.contains_key(*name)) {
        problems.push(format!(
            "{DIR}/{name} is extra: no type in codex_agent_protocol::schemas() writes it"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect()
    }

    #[test]
    fn diff_names_stale_missing_and_extra_files() {
        let expected = files(&[("A.json", "a\n"), ("B.json", "b\n"), ("C.json", "c\n")]);
        let actual = files(&[("A.json", "a\n"), ("B.json", "old\n"), ("D.json", "d\n")]);
        assert_eq!(
            diff(&expected, &actual),
            [
                "fixtures/schema/B.json is stale",
                "fixtures/schema/C.json is missing",
                "fixtures/schema/D.json is extra: no type in codex_agent_protocol::schemas() writes it",
            ]
        );
    }

    #[test]
    fn write_then_check_round_trips() -> Result<(), String> {
        let temp = tempfile::tempdir().map_err(|err| err.to_string())?;
        let dir = temp.path().join("schema");
        let expected = files(&[("A.json", "a\n"), ("B.json", "b\n")]);
        assert!(check(&dir, &expected).is_err());

        assert_eq!(write(&dir, &expected)?, ["wrote A.json", "wrote B.json"]);
        check(&dir, &expected)?;

        let fewer = files(&[("A.json", "a2\n")]);
        assert_eq!(write(&dir, &fewer)?, ["wrote A.json", "removed B.json"]);
        assert_eq!(read_dir(&dir)?, fewer);
        Ok(())
    }

    #[test]
    fn generated_schemas_are_pretty_json_with_a_trailing_newline() -> Result<(), String> {
        let schemas = codex_agent_protocol::schemas();
        let files = generate()?;
        assert_eq!(files.len(), schemas.len());
        for (stem, schema) in schemas {
            let text = &files[&format!("{stem}.json")];
            let parsed: serde_json::Value =
                serde_json::from_str(text).map_err(|err| format!("{stem}: {err}"))?;
            assert_eq!(parsed, schema.to_value(), "{stem}");
            assert!(
                text.starts_with("{\n  \"") && text.ends_with("}\n"),
                "{stem} is not pretty-printed"
            );
        }
        Ok(())
    }

    #[test]
    fn committed_schemas_are_up_to_date() -> Result<(), String> {
        check(&project_root().join(DIR), &generate()?)
    }
}
