//! Source-text checks that neither rustc nor clippy make, plus the dependency direction.
//!
//! Over every `.rs` file under `crates/` and `xtask/`:
//! - the file starts with `//!` docs (tests, binaries and examples too);
//! - no ignored or should-panic tests: assert on `Err` instead;
//! - no bare allow attributes: exceptions are `expect` attributes with a reason;
//! - no `unwrap` calls outside tests, where tests are `tests/`, `benches/` and `examples/`
//!   directories, items marked `#[cfg(test)]` and the files of `#[cfg(test)] mod name;`;
//! - every file that calls the testkit's real-codex locator is in the real-codex tier, which
//!   `verify` runs under every supported codex version ([`real_codex_tests`]).
//!
//! It also runs the secrets audit ([`secrets::check`], `audit/secrets.txt`).
//!
//! The checks run on a copy of the source with comments and literal contents blanked out
//! ([`blank_non_code`]), so documentation and strings may mention what code may not use.
//! The brace matching is textual, not a parser: good enough for rustfmt-formatted code.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{deps, project_root, real_codex_tests, secrets};

/// The directories whose `.rs` files are checked, relative to the workspace root.
const ROOTS: &[&str] = &["crates", "xtask"];

/// Top-level directories of a crate that hold only test, bench or example code.
const TEST_DIRS: &[&str] = &["tests", "benches", "examples"];

/// Code patterns that are never allowed, with the reason printed on a hit.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "#[ignore",
        "ignored test: a test that cannot run must fail with a clear message",
    ),
    (
        "#[should_panic",
        "should-panic test: assert on the `Err` explicitly",
    ),
    (
        "#[allow(",
        "bare allow: use `#[expect(lint, reason = \"...\")]`",
    ),
    (
        "#![allow(",
        "bare allow: use `#![expect(lint, reason = \"...\")]`",
    ),
];

/// `cargo xtask tidy`: runs [`check`].
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`tidy` takes no arguments, got `{arg}`"));
    }
    check()
}

/// Runs the source-text checks and the dependency-direction check.
pub(crate) fn check() -> Result<(), String> {
    let root = project_root();
    let sources = check_sources(&root);
    let dependencies = deps::check();
    let audit = secrets::check(&root);
    match (sources, dependencies, audit) {
        (Ok(count), Ok(()), Ok(audit)) => {
            println!(
                "tidy: {count} files clean, dependency direction holds, secrets audit: {audit}"
            );
            Ok(())
        }
        (sources, dependencies, audit) => Err([sources.err(), dependencies.err(), audit.err()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Checks every `.rs` file under [`ROOTS`] of `root`; returns how many files were checked.
fn check_sources(root: &Path) -> Result<usize, String> {
    let mut files = Vec::new();
    for dir in ROOTS {
        collect_rust_files(&root.join(dir), &mut files)?;
    }
    files.sort();

    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        let text = fs::read_to_string(&path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let code = blank_non_code(&text);
        sources.push((path, text, code));
    }
    // `#[cfg(test)] mod name;` makes a whole file (and its children) test code.
    let mut test_modules = BTreeSet::new();
    for (path, _, code) in &sources {
        let dir = child_module_dir(path);
        for name in cfg_test_items(code).external_modules {
            test_modules.insert(dir.join(format!("{name}.rs")));
            test_modules.insert(dir.join(name));
        }
    }

    let mut problems = Vec::new();
    for (path, text, code) in &sources {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let test_only =
            is_in_test_dir(path) || test_modules.iter().any(|module| path.starts_with(module));
        problems.extend(check_file(&shown, text, code, test_only));
        problems.extend(real_codex_tests::uncovered(&shown.replace('\\', "/"), code));
    }
    problems.extend(real_codex_tests::missing_paths(root));
    if problems.is_empty() {
        Ok(sources.len())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// Every check on one file; `test_only` files may call `unwrap`.
fn check_file(shown: &str, text: &str, code: &str, test_only: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let first = text.lines().map(str::trim).find(|line| !line.is_empty());
    if !first.is_some_and(|line| line.starts_with("//!")) {
        problems.push(format!(
            "{shown}:1: file does not start with `//!` module docs"
        ));
    }
    for (index, line) in code.lines().enumerate() {
        let number = index + 1;
        for (pattern, reason) in FORBIDDEN {
            if line.contains(pattern) {
                problems.push(format!("{shown}:{number}: {reason}"));
            }
        }
        if line.contains("cfg_attr(") && line.contains("allow(") {
            problems.push(format!(
                "{shown}:{number}: bare allow inside cfg_attr: use `expect` with a reason"
            ));
        }
    }
    if !test_only && !code.contains("#![cfg(test)]") {
        let test_ranges = cfg_test_items(code).ranges;
        for (offset, _) in code.match_indices(".unwrap()") {
            if !test_ranges.iter().any(|range| range.contains(&offset)) {
                let number = code[..offset].matches('\n').count() + 1;
                problems.push(format!(
                    "{shown}:{number}: `.unwrap()` outside tests: use `?` or `expect(\"<invariant>\")`"
                ));
            }
        }
    }
    problems
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        fs::read_dir(dir).map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rust_files(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// Whether `path` lies in a `tests/`, `benches/` or `examples/` directory at the top of its
/// crate (the nearest ancestor holding a `Cargo.toml`).
fn is_in_test_dir(path: &Path) -> bool {
    let Some(crate_root) = path
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("Cargo.toml").is_file())
    else {
        return false;
    };
    let Ok(relative) = path.strip_prefix(crate_root) else {
        return false;
    };
    relative
        .components()
        .next()
        .is_some_and(|top| TEST_DIRS.iter().any(|dir| top.as_os_str() == *dir))
}

/// The directory holding the files of the child modules of the module in `path`.
fn child_module_dir(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new(""));
    match path.file_stem().and_then(|stem| stem.to_str()) {
        Some("lib" | "main" | "mod") | None => parent.to_path_buf(),
        Some(stem) => parent.join(stem),
    }
}

/// The items under `#[cfg(test)]` in blanked code.
#[derive(Debug, Default, PartialEq, Eq)]
struct CfgTestItems {
    /// Byte ranges of inline items (`mod tests { ... }`, helper functions).
    ranges: Vec<std::ops::Range<usize>>,
    /// Names of modules declared as `mod name;`, whose code lives in another file.
    external_modules: Vec<String>,
}

fn cfg_test_items(code: &str) -> CfgTestItems {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let bytes = code.as_bytes();
    let mut items = CfgTestItems::default();
    let mut search_from = 0;
    while let Some(found) = code[search_from..].find(ATTRIBUTE) {
        let start = search_from + found;
        let item_start = start + ATTRIBUTE.len();
        // The item ends at its first `;` or at the brace matching its first `{`.
        let Some(stop) = code[item_start..].find(['{', ';']).map(|i| item_start + i) else {
            break;
        };
        if bytes[stop] == b';' {
            if let Some(name) = module_name(&code[item_start..stop]) {
                items.external_modules.push(name);
            }
            search_from = stop + 1;
            continue;
        }
        let mut depth = 0usize;
        let mut end = code.len();
        for (i, byte) in bytes.iter().enumerate().skip(stop) {
            match byte {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        items.ranges.push(start..end);
        search_from = end;
    }
    items
}

/// `name` when `item` (the text between an attribute and its `;`) declares `mod name`.
fn module_name(item: &str) -> Option<String> {
    let mut words = item.split_whitespace().skip_while(|word| *word != "mod");
    words.next()?;
    words.next().map(str::to_owned)
}

/// `text` with the contents of comments, string literals and character literals replaced by
/// spaces. Newlines are kept, so line numbers and byte offsets stay the same for ASCII text;
/// a blanked non-ASCII character becomes one space per UTF-8 byte.
fn blank_non_code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // `r`, the hashes and the opening quote stay; the contents are blanked.
            for &c in &chars[i..=i + hashes + 1] {
                out.push(c);
            }
            i += hashes + 2;
            while i < chars.len() {
                if chars[i] == '"'
                    && chars[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&c| c == '#')
                        .count()
                        == hashes
                {
                    out.push('"');
                    out.extend(std::iter::repeat_n('#', hashes));
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    blank(&mut out, c);
                }
                i += 1;
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal; anything else starting with `'` is a lifetime or label.
            out.push('\'');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    blank(&mut out, c);
                }
                i += 1;
            }
            if i < chars.len() {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The number of `#` when a raw string literal (`r"`, `r#"`, `br"`, `cr"`) starts at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if chars[i] != 'r' {
        return None;
    }
    let previous = i.checked_sub(1).map(|p| chars[p]);
    let prefix_ok = match previous {
        None => true,
        Some('b' | 'c') => !i.checked_sub(2).is_some_and(|p| is_ident_char(chars[p])),
        Some(p) => !is_ident_char(p),
    };
    if !prefix_ok {
        return None;
    }
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str, test_only: bool) -> Vec<String> {
        check_file("f.rs", text, &blank_non_code(text), test_only)
    }

    #[test]
    fn blanking_keeps_code_and_drops_comments_and_literals() {
        let text = "let a = \"x.unwrap()\"; // y.unwrap()\n/* a /* nested */ b */ let c = '\"';\n\
                    let d = r#\"q\"#; fn f<'a>(x: &'a str) {}\nlet e = '\\'';";
        let expected = "let a = \"          \";              \n                       let c = ' ';\n\
                        let d = r#\" \"#; fn f<'a>(x: &'a str) {}\nlet e = '  ';";
        assert_eq!(blank_non_code(text), expected);
    }

    #[test]
    fn blanking_keeps_offsets_for_non_ascii() {
        let text = "// é\nx.unwrap()";
        assert_eq!(blank_non_code(text).len(), text.len());
    }

    #[test]
    fn module_docs_are_required() {
        assert_eq!(
            problems("\n//! Docs.\nfn f() {}\n", false),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("/// Item docs.\nfn f() {}\n", false),
            ["f.rs:1: file does not start with `//!` module docs"]
        );
    }

    #[test]
    fn forbidden_attributes_are_reported_in_code_only() {
        let text = format!(
            "//! Docs mention {ig} and {al}.\n{ig}]\nfn a() {{}}\n{sp}]\nfn b() {{}}\n{al}x)]\nconst S: &str = \"{al}\";\n",
            ig = "#[ignore",
            sp = "#[should_panic",
            al = "#[allow(",
        );
        assert_eq!(
            problems(&text, true),
            [
                "f.rs:2: ignored test: a test that cannot run must fail with a clear message",
                "f.rs:4: should-panic test: assert on the `Err` explicitly",
                "f.rs:6: bare allow: use `#[expect(lint, reason = \"...\")]`",
            ]
        );
    }

    #[test]
    fn unwrap_is_reported_outside_cfg_test_only() {
        let text = "//! Docs.\nfn a() { x.unwrap(); }\n#[cfg(test)]\nmod tests {\n    fn b() { if t { y.unwrap(); } }\n}\n\
                    #[cfg(test)]\nfn helper() { z.unwrap(); }\nfn c() { w.unwrap(); }\n";
        assert_eq!(
            problems(text, false),
            [
                "f.rs:2: `.unwrap()` outside tests: use `?` or `expect(\"<invariant>\")`",
                "f.rs:9: `.unwrap()` outside tests: use `?` or `expect(\"<invariant>\")`",
            ]
        );
        assert_eq!(problems(text, true), Vec::<String>::new());
    }

    #[test]
    fn external_test_modules_are_found() {
        let code = blank_non_code(
            "#[cfg(test)]\nmod tests;\n#[cfg(test)]\n#[path = \"x.rs\"]\npub(crate) mod more;\n",
        );
        assert_eq!(cfg_test_items(&code).external_modules, ["tests", "more"]);
    }

    #[test]
    fn test_locations_follow_the_module_tree() {
        assert_eq!(
            child_module_dir(Path::new("c/src/lib.rs")),
            Path::new("c/src")
        );
        assert_eq!(
            child_module_dir(Path::new("c/src/exec/mod.rs")),
            Path::new("c/src/exec")
        );
        assert_eq!(
            child_module_dir(Path::new("c/src/exec.rs")),
            Path::new("c/src/exec")
        );
        let root = project_root();
        assert!(is_in_test_dir(
            &root.join("crates/codex-protocol/tests/it/main.rs")
        ));
        assert!(!is_in_test_dir(
            &root.join("crates/codex-protocol/src/lib.rs")
        ));
    }

    #[test]
    fn workspace_sources_are_tidy() {
        if let Err(problems) = check_sources(&project_root()) {
            panic!("{problems}");
        }
    }
}
