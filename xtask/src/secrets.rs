//! The secrets audit: `cargo xtask secrets [--bless]`, and a step of `cargo xtask tidy`.
//!
//! Every place where text can leave the SDK is an item of a checklist,
//! [`LIST`] (`audit/secrets.txt`), with a verdict a person wrote after reading the code. The
//! items are found by parsing the sources of the published crates (`crates/*/src`, test code
//! left out) with `syn`:
//!
//! - `trace`: every `tracing` event or span macro (`tracing::debug!`, `info_span!`, …; also
//!   inside other macros such as `tokio::select!`), keyed by file, enclosing function and
//!   message; `instrument`: every `#[instrument]` function; `span-record`: every
//!   `span.record(FIELD, value)`;
//! - `error`: every variant of every `thiserror` error enum (and every error struct), with its
//!   format string and fields;
//! - `debug` and `display`: every hand-written `Debug` and `Display` implementation;
//! - `field`: every struct or variant field whose name says it may hold a secret (key, token,
//!   secret, password, auth, bearer, credential, cookie, header, env) and whose type is not
//!   `Secret` or a container of it. Numbers and booleans cannot hold one and are left out.
//!
//! Each item has a fingerprint: a hash of its tokens (doc comments left out), so an edit of
//! the item asks for a new review. A line of the checklist is
//! `KEY | FINGERPRINT | VERDICT`, where the verdict is `no-secret: <why>` or
//! `redacted: <how> (test: <file>::<fn>)`; the named test must exist, and it is the one that
//! plants a secret through the item. The check fails when an item is not listed, a listed item
//! is gone, an item changed since it was reviewed, or a verdict is `UNREVIEWED`. `--bless`
//! brings the list up to date without approving anything: new and changed items are written as
//! `UNREVIEWED` (a changed one keeps its old verdict after `was:` to help the reviewer), gone
//! ones are dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::{self, Visit};

use crate::project_root;

/// The checklist, relative to the workspace root.
pub(crate) const LIST: &str = "audit/secrets.txt";

/// What a line's verdict starts with when nobody has reviewed the item yet.
const UNREVIEWED: &str = "UNREVIEWED";

/// The tracing macros that emit an event or make a span.
const TRACING_MACROS: &[&str] = &[
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
];

/// Words of a field name (split at `_`) that say the field may hold a secret.
const SECRET_WORDS: &[&str] = &[
    "key",
    "keys",
    "apikey",
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "auth",
    "authorization",
    "authentication",
    "bearer",
    "credential",
    "credentials",
    "cookie",
    "cookies",
    "header",
    "headers",
    "env",
    "envs",
    "environment",
];

/// Types that cannot hold text, so a field of one of them holds no secret whatever its name.
const SCALARS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "Duration",
];

const USAGE: &str = "usage: cargo xtask secrets [--bless]";

/// `cargo xtask secrets [--bless]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let bless = match args {
        [] => false,
        [flag] if flag == "--bless" => true,
        _ => return Err(USAGE.to_owned()),
    };
    let root = project_root();
    if bless {
        let items = collect(&root)?;
        let path = root.join(LIST);
        let committed = fs::read_to_string(&path).unwrap_or_default();
        let entries = parse_list(&committed).map_err(|problems| problems.join("\n"))?;
        let (text, summary) = bless_list(&committed, &entries, &items);
        fs::create_dir_all(path.parent().unwrap_or(&root))
            .map_err(|err| format!("could not create the directory of {LIST}: {err}"))?;
        fs::write(&path, text).map_err(|err| format!("could not write {LIST}: {err}"))?;
        println!("secrets: {summary}");
        // The list may still hold unreviewed items: say so the same way the check does.
        check(&root).map(|summary| println!("secrets: {summary}"))
    } else {
        check(&root).map(|summary| println!("secrets: {summary}"))
    }
}

/// Compares the sources under `root` with the committed checklist; on success, a one-line
/// summary of the items by kind.
pub(crate) fn check(root: &Path) -> Result<String, String> {
    let items = collect(root)?;
    let committed = fs::read_to_string(root.join(LIST)).map_err(|err| {
        format!("could not read {LIST}: {err}; create it with `cargo xtask secrets --bless`")
    })?;
    let entries = parse_list(&committed).map_err(|problems| problems.join("\n"))?;
    let problems = compare(&items, &entries, |test| test_exists(root, test));
    if problems.is_empty() {
        Ok(summary(&entries))
    } else {
        Err(format!(
            "the secrets audit ({LIST}) found {} problem(s):\n  {}\n\
             Read each item's code; `cargo xtask secrets --bless` writes new and changed items as \
             UNREVIEWED and drops gone ones; then replace each UNREVIEWED with \
             `no-secret: <why>` or `redacted: <how> (test: <file>::<fn>)`, naming a test that \
             plants a secret through the item.",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// "N items: a trace, b error, …", counted from the reviewed list.
fn summary(entries: &[Entry]) -> String {
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for entry in entries {
        let kind = entry.key.split(' ').next().unwrap_or_default();
        let counts = kinds.entry(kind).or_default();
        counts.0 += 1;
        if entry.verdict.starts_with("redacted:") {
            counts.1 += 1;
        }
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, (all, redacted))| format!("{kind} {all} ({redacted} redacted)"))
        .collect();
    format!("{} items reviewed: {}", entries.len(), parts.join(", "))
}

/// Whether `test` (`path/to/file.rs::name`, relative to `root`) names a function that exists.
fn test_exists(root: &Path, test: &str) -> bool {
    let Some((file, name)) = test.rsplit_once("::") else {
        return false;
    };
    fs::read_to_string(root.join(file)).is_ok_and(|text| {
        text.contains(&format!("fn {name}(")) || text.contains(&format!("fn {name}<"))
    })
}

/// One audited place in the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    /// The kind, then where it is and what it is: `trace crates/x/src/a.rs::f warn!("…")`.
    key: String,
    /// A hash of the item's tokens.
    fingerprint: String,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    key: String,
    fingerprint: String,
    verdict: String,
}

/// Parses the checklist: `KEY | FINGERPRINT | VERDICT` lines; `#` comments and blank lines are
/// skipped. Malformed lines are problems.
fn parse_list(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, " | ");
        let (Some(key), Some(fingerprint), Some(verdict)) =
            (parts.next(), parts.next(), parts.next())
        else {
            problems.push(format!(
                "{LIST}:{}: not `KEY | FINGERPRINT | VERDICT`: {line}",
                index + 1
            ));
            continue;
        };
        if !seen.insert(key.to_owned()) {
            problems.push(format!("{LIST}:{}: `{key}` is listed twice", index + 1));
        }
        entries.push(Entry {
            key: key.to_owned(),
            fingerprint: fingerprint.to_owned(),
            verdict: verdict.trim().to_owned(),
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// Every difference between the sources' items and the checklist, and every verdict that does
/// not approve its item. `test_exists` says whether a test named by a verdict exists.
fn compare(items: &[Item], entries: &[Entry], test_exists: impl Fn(&str) -> bool) -> Vec<String> {
    let listed: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.key.as_str(), e)).collect();
    let found: BTreeSet<&str> = items.iter().map(|item| item.key.as_str()).collect();
    let mut problems = Vec::new();
    for item in items {
        match listed.get(item.key.as_str()) {
            None => problems.push(format!("new, not in the list: {}", item.key)),
            Some(entry) if entry.fingerprint != item.fingerprint => problems.push(format!(
                "changed since it was reviewed (fingerprint {} is now {}), review it again: {}",
                entry.fingerprint, item.fingerprint, item.key
            )),
            Some(entry) => {
                if let Err(why) = check_verdict(&entry.verdict, &test_exists) {
                    problems.push(format!("{why}: {}", item.key));
                }
            }
        }
    }
    for entry in entries {
        if !found.contains(entry.key.as_str()) {
            problems.push(format!("listed but gone from the sources: {}", entry.key));
        }
    }
    problems
}

/// `Ok` when `verdict` approves its item: `no-secret: <why>`, or `redacted: <how>` naming at
/// least one test, each of which exists.
fn check_verdict(verdict: &str, test_exists: &impl Fn(&str) -> bool) -> Result<(), String> {
    if verdict.starts_with(UNREVIEWED) {
        return Err("UNREVIEWED".to_owned());
    }
    if let Some(why) = verdict.strip_prefix("no-secret:") {
        return if why.trim().is_empty() {
            Err("`no-secret:` without a reason".to_owned())
        } else {
            Ok(())
        };
    }
    let Some(how) = verdict.strip_prefix("redacted:") else {
        return Err(format!(
            "the verdict `{verdict}` is neither `no-secret: <why>` nor `redacted: <how> (test: <file>::<fn>)`"
        ));
    };
    let tests = named_tests(how);
    if tests.is_empty() {
        return Err("a `redacted:` verdict names no `test: <file>::<fn>`".to_owned());
    }
    match tests.iter().find(|test| !test_exists(test)) {
        Some(missing) => Err(format!("the test `{missing}` does not exist")),
        None => Ok(()),
    }
}

/// The `<file>::<fn>` names after each `test:` in a verdict (comma-separated, up to `)`).
fn named_tests(how: &str) -> Vec<String> {
    let mut tests = Vec::new();
    for (start, _) in how.match_indices("test:") {
        let rest = &how[start + "test:".len()..];
        let list = rest.split(')').next().unwrap_or_default();
        tests.extend(
            list.split(',')
                .map(str::trim)
                .filter(|name| name.contains("::"))
                .map(str::to_owned),
        );
    }
    tests
}

/// The new checklist text: the committed header and verdicts, new and changed items marked
/// [`UNREVIEWED`], gone items dropped. Never approves anything. Also returns what changed.
fn bless_list(committed: &str, entries: &[Entry], items: &[Item]) -> (String, String) {
    let listed: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut header = String::new();
    for line in committed
        .lines()
        .take_while(|line| line.trim().is_empty() || line.starts_with('#'))
    {
        header.push_str(line);
        header.push('\n');
    }
    let mut text = if header.trim().is_empty() {
        "# The secrets audit: see xtask/src/secrets.rs (`cargo xtask secrets`).\n\n".to_owned()
    } else {
        header
    };
    let (mut added, mut changed) = (0, 0);
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for item in sorted {
        let verdict = match listed.get(item.key.as_str()) {
            Some(entry) if entry.fingerprint == item.fingerprint => entry.verdict.clone(),
            Some(entry) => {
                changed += 1;
                let old = entry.verdict.trim_start_matches(UNREVIEWED).trim();
                let old = old.strip_prefix("was:").unwrap_or(old).trim();
                if old.is_empty() {
                    UNREVIEWED.to_owned()
                } else {
                    format!("{UNREVIEWED} was: {old}")
                }
            }
            None => {
                added += 1;
                UNREVIEWED.to_owned()
            }
        };
        let _ = writeln!(text, "{} | {} | {verdict}", item.key, item.fingerprint);
    }
    let found: BTreeSet<&str> = items.iter().map(|item| item.key.as_str()).collect();
    let dropped = entries
        .iter()
        .filter(|entry| !found.contains(entry.key.as_str()))
        .count();
    (
        text,
        format!(
            "{added} new and {changed} changed item(s) written as UNREVIEWED, {dropped} gone item(s) dropped"
        ),
    )
}

/// Every item of the published crates under `root`: the `src` directories of `crates/*`
/// whose manifest does not say `publish = false`.
fn collect(root: &Path) -> Result<Vec<Item>, String> {
    let crates_dir = root.join("crates");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&crates_dir)
        .map_err(|err| format!("cannot list {}: {err}", crates_dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| {
            fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| !manifest.contains("publish = false"))
        })
        .collect();
    dirs.sort();
    let mut items = Vec::new();
    for dir in dirs {
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files)?;
        files.sort();
        let mut sources = Vec::new();
        for path in files {
            let text = fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            let file = syn::parse_file(&text)
                .map_err(|err| format!("cannot parse {}: {err}", path.display()))?;
            sources.push((path, file));
        }
        // `#[cfg(test)] mod name;` makes a whole file test code.
        let mut test_files = BTreeSet::new();
        for (path, file) in &sources {
            let dir = module_dir(path);
            for item in &file.items {
                if let syn::Item::Mod(module) = item
                    && module.content.is_none()
                    && is_cfg_test(&module.attrs)
                {
                    test_files.insert(dir.join(format!("{}.rs", module.ident)));
                    test_files.insert(dir.join(module.ident.to_string()));
                }
            }
        }
        for (path, file) in &sources {
            if test_files.iter().any(|test| path.starts_with(test)) {
                continue;
            }
            let shown = path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            items.extend(items_of_file(&shown, file));
        }
    }
    Ok(dedup_keys(items))
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|err| format!("cannot list {}: {err}", dir.display()))? {
        let path = entry
            .map_err(|err| format!("cannot list {}: {err}", dir.display()))?
            .path();
        if path.is_dir() {
            rust_files(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// The directory holding the files of the child modules of the module in `path`.
fn module_dir(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new(""));
    match path.file_stem().and_then(|stem| stem.to_str()) {
        Some("lib" | "main" | "mod") | None => parent.to_path_buf(),
        Some(stem) => parent.join(stem),
    }
}

/// Makes keys unique: the second item with a key gets ` #2`, and so on.
fn dedup_keys(items: Vec<Item>) -> Vec<Item> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    items
        .into_iter()
        .map(|mut item| {
            let count = seen.entry(item.key.clone()).or_default();
            *count += 1;
            if *count > 1 {
                item.key = format!("{} #{count}", item.key);
            }
            item
        })
        .collect()
}

/// The items of one parsed file, shown as `shown` in keys.
fn items_of_file(shown: &str, file: &syn::File) -> Vec<Item> {
    let mut collector = Collector {
        file: shown,
        scope: Vec::new(),
        items: Vec::new(),
    };
    collector.visit_file(file);
    collector.items
}

struct Collector<'a> {
    file: &'a str,
    /// Inline modules, impl types and functions around the current node.
    scope: Vec<String>,
    items: Vec<Item>,
}

impl Collector<'_> {
    fn push(&mut self, kind: &str, what: &str, tokens: &str) {
        let place = if self.scope.is_empty() {
            self.file.to_owned()
        } else {
            format!("{}::{}", self.file, self.scope.join("::"))
        };
        let key = if what.is_empty() {
            format!("{kind} {place}")
        } else {
            format!("{kind} {place} {what}")
        };
        // ` | ` separates a line's parts; keys are one line.
        let key = key.replace(" | ", " / ").replace(['\n', '\r'], " ");
        self.items.push(Item {
            key,
            fingerprint: fingerprint(tokens),
        });
    }

    /// A `tracing` macro, or the tracing macros inside another macro's tokens.
    fn tracing_macro(&mut self, mac: &syn::Macro) {
        let segments: Vec<String> = mac
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if let Some(name) = tracing_macro_name(&segments) {
            self.push_tracing(&name, &mac.tokens);
        } else {
            self.nested_tracing(mac.tokens.clone());
        }
    }

    fn push_tracing(&mut self, name: &str, tokens: &TokenStream) {
        let message = message_of(tokens).unwrap_or_else(|| "<no message>".to_owned());
        self.push(
            "trace",
            &format!("{name}!({message})"),
            &strip_docs(tokens.clone()).to_string(),
        );
    }

    /// Finds `tracing::name!(…)` in the tokens of a macro syn does not parse.
    fn nested_tracing(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tree) in trees.iter().enumerate() {
            if let TokenTree::Group(group) = tree {
                self.nested_tracing(group.stream());
                continue;
            }
            let TokenTree::Ident(ident) = tree else {
                continue;
            };
            // `tracing :: name ! (…)`: the path is the ident, `:`, `:`, ident before `!`.
            let name = ident.to_string();
            let is_prefixed = i >= 3
                && matches!(&trees[i - 3], TokenTree::Ident(first) if first == "tracing")
                && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
            if !is_prefixed || !TRACING_MACROS.contains(&name.as_str()) {
                continue;
            }
            if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(args))) =
                (trees.get(i + 1), trees.get(i + 2))
                && bang.as_char() == '!'
            {
                self.push_tracing(&name, &args.stream());
            }
        }
    }

    fn error_type(&mut self, name: &str, attrs: &[syn::Attribute], fields: &syn::Fields) {
        let mut tokens = attrs_tokens(attrs);
        tokens.push_str(&fields_tokens(fields));
        self.push("error", name, &tokens);
    }

    /// The fields of `owner` whose names say they may hold a secret.
    fn secret_fields(&mut self, owner: &str, derives: &str, fields: &syn::Fields) {
        for field in fields {
            let Some(ident) = &field.ident else { continue };
            let name = ident.to_string();
            let name = name.trim_start_matches("r#");
            if !name
                .split('_')
                .any(|word| SECRET_WORDS.contains(&word.to_ascii_lowercase().as_str()))
            {
                continue;
            }
            let ty = field.ty.to_token_stream();
            if holds_secret_type(&ty) || is_scalar(&field.ty) {
                continue;
            }
            let tokens = format!("{} : {ty} {derives}", attrs_tokens(&field.attrs));
            self.push("field", &format!("{owner}.{name}"), &tokens);
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            _ => return visit::visit_item(self, item),
        };
        if !is_cfg_test(attrs) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        self.scope.push(module.ident.to_string());
        visit::visit_item_mod(self, module);
        self.scope.pop();
    }

    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        self.instrument(&function.attrs, &function.sig);
        self.scope.push(function.sig.ident.to_string());
        visit::visit_item_fn(self, function);
        self.scope.pop();
    }

    fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
        if is_cfg_test(&function.attrs) {
            return;
        }
        self.instrument(&function.attrs, &function.sig);
        self.scope.push(function.sig.ident.to_string());
        visit::visit_impl_item_fn(self, function);
        self.scope.pop();
    }

    fn visit_trait_item_fn(&mut self, function: &'ast syn::TraitItemFn) {
        self.scope.push(function.sig.ident.to_string());
        visit::visit_trait_item_fn(self, function);
        self.scope.pop();
    }

    fn visit_item_impl(&mut self, block: &'ast syn::ItemImpl) {
        let ty = type_name(&block.self_ty);
        let trait_name = block.trait_.as_ref().and_then(|(path, _)| {
            path.segments
                .last()
                .map(|segment| segment.ident.to_string())
        });
        if let Some(kind @ ("Debug" | "Display")) = trait_name.as_deref() {
            let body: String = block
                .items
                .iter()
                .map(|item| strip_docs(item.to_token_stream()).to_string())
                .collect::<Vec<_>>()
                .join(" ");
            self.push(
                &kind.to_ascii_lowercase(),
                &format!("impl {kind} for {ty}"),
                &body,
            );
        }
        self.scope.push(match trait_name {
            Some(name) => format!("<{ty} as {name}>"),
            None => ty,
        });
        visit::visit_item_impl(self, block);
        self.scope.pop();
    }

    fn visit_item_enum(&mut self, item: &'ast syn::ItemEnum) {
        let derives = derives(&item.attrs);
        let name = item.ident.to_string();
        let is_error = derives.split(' ').any(|d| d == "Error");
        for variant in &item.variants {
            let owner = format!("{name}::{}", variant.ident);
            if is_error {
                let mut attrs = item
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("error"))
                    .cloned()
                    .collect::<Vec<_>>();
                attrs.extend(variant.attrs.iter().cloned());
                self.error_type(&owner, &attrs, &variant.fields);
            }
            self.secret_fields(&owner, &derives, &variant.fields);
        }
        visit::visit_item_enum(self, item);
    }

    fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
        let derives = derives(&item.attrs);
        let name = item.ident.to_string();
        if derives.split(' ').any(|d| d == "Error") {
            self.error_type(&name, &item.attrs, &item.fields);
        }
        self.secret_fields(&name, &derives, &item.fields);
        visit::visit_item_struct(self, item);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tracing_macro(mac);
        visit::visit_macro(self, mac);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "record"
            && call.args.len() == 2
            && let Some(field) = call.args.first().and_then(span_field)
        {
            self.push(
                "span-record",
                &format!("record({field})"),
                &call.to_token_stream().to_string(),
            );
        }
        visit::visit_expr_method_call(self, call);
    }
}

impl Collector<'_> {
    /// A `#[instrument]` or `#[tracing::instrument]` function: its arguments are recorded.
    fn instrument(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature) {
        for attr in attrs {
            let segments: Vec<String> = attr
                .path()
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if segments.last().is_some_and(|last| last == "instrument") {
                let tokens = format!(
                    "{} {}",
                    attr.to_token_stream(),
                    sig.inputs.to_token_stream()
                );
                self.push("instrument", &sig.ident.to_string(), &tokens);
            }
        }
    }
}

/// `name` when `segments` is a tracing macro's path: `tracing::name` or a bare `name`
/// imported from tracing is not used in this workspace, so only the prefixed form counts.
fn tracing_macro_name(segments: &[String]) -> Option<String> {
    match segments {
        [krate, name] if krate == "tracing" && TRACING_MACROS.contains(&name.as_str()) => {
            Some(name.clone())
        }
        _ => None,
    }
}

/// The message (or span name) of a tracing macro: its first top-level argument that is a
/// string literal on its own.
fn message_of(tokens: &TokenStream) -> Option<String> {
    let mut argument: Vec<TokenTree> = Vec::new();
    let mut trees = tokens.clone().into_iter().peekable();
    loop {
        let next = trees.next();
        let at_end = next.is_none();
        match next {
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(tree) => {
                argument.push(tree);
                continue;
            }
            None => {}
        }
        if let [TokenTree::Literal(literal)] = argument.as_slice() {
            let text = literal.to_string();
            if text.starts_with('"') || text.starts_with("r\"") || text.starts_with("r#") {
                return Some(text);
            }
        }
        argument.clear();
        if at_end {
            return None;
        }
    }
}

/// The field a `span.record(FIELD, value)` call records: a string literal or a constant.
fn span_field(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Some(format!("{:?}", literal.value())),
        syn::Expr::Path(path) => {
            let last = path.path.segments.last()?.ident.to_string();
            last.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| {
                    path.path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::")
                })
        }
        _ => None,
    }
}

/// Whether the attributes hold `#[cfg(test)]`.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .meta
                .require_list()
                .is_ok_and(|list| list.tokens.to_string() == "test")
    })
}

/// The names in the `#[derive(…)]` attributes, last path segments, space-separated.
fn derives(attrs: &[syn::Attribute]) -> String {
    let mut names = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("derive")) {
        if let Ok(list) = attr.meta.require_list() {
            for tree in list.tokens.clone() {
                if let TokenTree::Ident(ident) = tree {
                    names.push(ident.to_string());
                }
            }
        }
    }
    // `thiserror::Error` gives `thiserror` and `Error`; the crate name says nothing.
    names.retain(|name| name != "thiserror" && name != "serde" && name != "std");
    names.join(" ")
}

/// The tokens of the attributes that are not doc comments.
fn attrs_tokens(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|attr| !attr.path().is_ident("doc"))
        .map(|attr| attr.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Field names, types and attributes (docs left out).
fn fields_tokens(fields: &syn::Fields) -> String {
    fields
        .iter()
        .map(|field| {
            format!(
                "{} {} : {}",
                attrs_tokens(&field.attrs),
                field
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                field.ty.to_token_stream()
            )
        })
        .collect::<Vec<_>>()
        .join(" , ")
}

/// `tokens` without `#[doc = …]` attributes (doc comments), at any depth.
fn strip_docs(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        if let TokenTree::Punct(pound) = &trees[i]
            && pound.as_char() == '#'
        {
            // `#[doc …]` or `#![doc …]`.
            let group_at = match trees.get(i + 1) {
                Some(TokenTree::Punct(bang)) if bang.as_char() == '!' => i + 2,
                _ => i + 1,
            };
            if let Some(TokenTree::Group(group)) = trees.get(group_at)
                && matches!(group.stream().into_iter().next(), Some(TokenTree::Ident(ident)) if ident == "doc")
            {
                i = group_at + 1;
                continue;
            }
        }
        match &trees[i] {
            TokenTree::Group(group) => {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), strip_docs(group.stream()));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// The name of a type as a key shows it: the last path segment, without generics.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        syn::Type::Reference(reference) => type_name(&reference.elem),
        other => other.to_token_stream().to_string().replace(' ', ""),
    }
}

/// Whether the type mentions `Secret` (the type itself or a container of it).
fn holds_secret_type(ty: &TokenStream) -> bool {
    ty.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "Secret",
        TokenTree::Group(group) => holds_secret_type(&group.stream()),
        _ => false,
    })
}

/// Whether the type is a number, a boolean or a duration, or an `Option` of one.
fn is_scalar(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if SCALARS.contains(&last.ident.to_string().as_str()) {
        return true;
    }
    if last.ident == "Option"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let [syn::GenericArgument::Type(inner)] = args.args.iter().collect::<Vec<_>>().as_slice()
    {
        return is_scalar(inner);
    }
    false
}

/// A short, stable hash of the tokens (FNV-1a, folded to 32 bits).
fn fingerprint(tokens: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tokens
        .split_whitespace()
        .flat_map(|word| word.bytes().chain([b' ']))
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", (hash ^ (hash >> 32)) & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items of one inline source file.
    fn items(source: &str) -> Vec<Item> {
        let file = syn::parse_file(source).expect("the test source parses");
        dedup_keys(items_of_file("crates/x/src/lib.rs", &file))
    }

    fn keys(source: &str) -> Vec<String> {
        items(source).into_iter().map(|item| item.key).collect()
    }

    const SOURCE: &str = r#"
        #[derive(Debug, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            /// Docs do not count.
            #[error("codex exited with {code}")]
            Exited { code: i32, stderr: String },
            #[error(transparent)]
            Io(#[from] std::io::Error),
        }
        #[derive(Debug)]
        pub struct Options { api_key: Option<Secret>, env: Vec<(String, String)>, input_tokens: u64, name: String }
        impl std::fmt::Debug for Holder {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("Holder") }
        }
        impl Holder {
            fn spawn(&self, argv: &[String]) {
                tracing::debug!(argv = ?argv, "spawning codex");
                tokio::select! { _ = x => { tracing::warn!(line, "bad line") } }
                span.record("codex.outcome", outcome);
            }
        }
        #[cfg(test)]
        mod tests { fn t() { tracing::info!("test only"); } }
    "#;

    fn reviewed(items: &[Item]) -> Vec<Entry> {
        items
            .iter()
            .map(|item| Entry {
                key: item.key.clone(),
                fingerprint: item.fingerprint.clone(),
                verdict: "no-secret: checked".to_owned(),
            })
            .collect()
    }

    fn problems(items: &[Item], entries: &[Entry]) -> Vec<String> {
        compare(items, entries, |test| {
            test == "tests/it/secrets.rs::planted"
        })
    }

    #[test]
    fn finds_every_kind_of_item() {
        assert_eq!(
            keys(SOURCE),
            [
                "error crates/x/src/lib.rs Error::Exited",
                "error crates/x/src/lib.rs Error::Io",
                "field crates/x/src/lib.rs Options.env",
                "debug crates/x/src/lib.rs impl Debug for Holder",
                r#"trace crates/x/src/lib.rs::Holder::spawn debug!("spawning codex")"#,
                r#"trace crates/x/src/lib.rs::Holder::spawn warn!("bad line")"#,
                r#"span-record crates/x/src/lib.rs::Holder::spawn record("codex.outcome")"#,
            ]
        );
    }

    #[test]
    fn doc_comments_do_not_change_fingerprints_and_code_does() {
        let base = items(SOURCE);
        let documented = items(&SOURCE.replace("/// Docs do not count.", "/// Other docs."));
        assert_eq!(base, documented);
        let edited = items(&SOURCE.replace("argv = ?argv", "argv = ?argv, env = ?env"));
        assert_ne!(base[4].fingerprint, edited[4].fingerprint);
        assert_eq!(base[4].key, edited[4].key);
    }

    #[test]
    fn a_complete_reviewed_list_passes() {
        let items = items(SOURCE);
        assert_eq!(problems(&items, &reviewed(&items)), Vec::<String>::new());
    }

    #[test]
    fn a_missing_item_fails() {
        let items = items(SOURCE);
        let mut entries = reviewed(&items);
        entries.remove(0);
        assert_eq!(
            problems(&items, &entries),
            ["new, not in the list: error crates/x/src/lib.rs Error::Exited"]
        );
    }

    #[test]
    fn a_stale_item_fails() {
        let items = items(SOURCE);
        let entries = reviewed(&items);
        let fewer = &items[1..];
        assert_eq!(
            problems(fewer, &entries),
            ["listed but gone from the sources: error crates/x/src/lib.rs Error::Exited"]
        );
    }

    #[test]
    fn a_changed_item_fails() {
        let entries = reviewed(&items(SOURCE));
        let changed = items(&SOURCE.replace("stderr: String", "stderr: String, argv: Vec<String>"));
        let problems = problems(&changed, &entries);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("changed since it was reviewed")
                && problems[0].ends_with("Error::Exited"),
            "{problems:?}"
        );
    }

    #[test]
    fn unreviewed_and_unproven_verdicts_fail() {
        let items = &items(SOURCE)[..1];
        for (verdict, expected) in [
            ("UNREVIEWED", "UNREVIEWED"),
            ("UNREVIEWED was: no-secret: x", "UNREVIEWED"),
            ("no-secret:", "`no-secret:` without a reason"),
            ("fine", "the verdict `fine` is neither"),
            ("redacted: by the tail", "a `redacted:` verdict names no"),
            (
                "redacted: by the tail (test: tests/it/secrets.rs::gone)",
                "the test `tests/it/secrets.rs::gone` does not exist",
            ),
        ] {
            let mut entries = reviewed(items);
            entries[0].verdict = verdict.to_owned();
            let problems = problems(items, &entries);
            assert_eq!(problems.len(), 1, "{verdict}: {problems:?}");
            assert!(problems[0].starts_with(expected), "{verdict}: {problems:?}");
        }
        let mut entries = reviewed(items);
        entries[0].verdict =
            "redacted: the tail is redacted (test: tests/it/secrets.rs::planted)".to_owned();
        assert_eq!(problems(items, &entries), Vec::<String>::new());
    }

    #[test]
    fn bless_never_approves() {
        let items = items(SOURCE);
        let mut entries = reviewed(&items);
        entries.remove(0);
        entries[0].fingerprint = "00000000".to_owned();
        entries.push(Entry {
            key: "trace gone".to_owned(),
            fingerprint: "11111111".to_owned(),
            verdict: "no-secret: gone".to_owned(),
        });
        let (text, summary) = bless_list("# header\n\nold | x | y\n", &entries, &items);
        assert_eq!(
            summary,
            "1 new and 1 changed item(s) written as UNREVIEWED, 1 gone item(s) dropped"
        );
        let blessed = parse_list(&text).expect("the blessed list parses");
        assert!(text.starts_with("# header\n"), "{text}");
        assert_eq!(blessed.len(), items.len());
        let verdict = |key: &str| {
            blessed
                .iter()
                .find(|entry| entry.key.ends_with(key))
                .map(|entry| entry.verdict.clone())
        };
        assert_eq!(verdict("Error::Exited").as_deref(), Some("UNREVIEWED"));
        assert_eq!(
            verdict("Error::Io").as_deref(),
            Some("UNREVIEWED was: no-secret: checked")
        );
        assert_eq!(
            verdict("Options.env").as_deref(),
            Some("no-secret: checked")
        );
        // Blessing again changes nothing, and the list still fails.
        let (again, _) = bless_list(&text, &blessed, &items);
        assert_eq!(again, text);
        assert_eq!(problems(&items, &blessed).len(), 2);
    }

    #[test]
    fn malformed_lines_fail() {
        let problems = parse_list("# c\n\nkey only\na | b | c\na | b | c\n").expect_err("bad list");
        assert_eq!(
            problems,
            [
                format!("{LIST}:3: not `KEY | FINGERPRINT | VERDICT`: key only"),
                format!("{LIST}:5: `a` is listed twice"),
            ]
        );
    }

    #[test]
    fn messages_and_span_names() {
        for (tokens, expected) in [
            (r#"target: "x", a = 1, "msg {}", b"#, Some(r#""msg {}""#)),
            (
                r#""codex_app_server", pid = 3"#,
                Some(r#""codex_app_server""#),
            ),
            ("a = ?b", None),
        ] {
            let tokens: TokenStream = tokens.parse().expect("tokens");
            assert_eq!(message_of(&tokens).as_deref(), expected);
        }
    }
}
