//! The public API of every published crate, written down: `cargo xtask api [--bless]`.
//!
//! For each crate, rustdoc's JSON output (`--output-format json`, made available on the
//! pinned stable toolchain with `RUSTC_BOOTSTRAP=1`) is walked from the crate root along
//! public modules and re-exports, and every public item becomes one line of
//! `api/<crate>.txt`: its kind, its path as a user writes it, and a short fingerprint of its
//! signature (generics, parameters, return type, field types, attributes such as
//! `#[non_exhaustive]`), so that a changed signature changes the line. Trait implementations,
//! the auto traits included (`Send`, `Sync`, `Unpin`, …), are lines too. The file's first line
//! names the crate version the listing was recorded at.
//!
//! `verify`'s `api` step regenerates the listings and fails when one differs from the
//! committed file: the change has to be looked at and recorded (`--bless`). Recording
//! enforces the semver rule: when the committed listing belongs to a released version (one
//! with a dated `## [VERSION] - YYYY-MM-DD` entry in `CHANGELOG.md`) and the crate's version
//! was not bumped, the changed API is refused until it is.
//!
//! Why not `cargo semver-checks` or `cargo public-api`: both work here, but `cargo public-api`
//! wants a nightly toolchain, and `cargo semver-checks` needs a baseline (a published version
//! or a git revision; nothing is published and CI's clone may not carry history), takes about
//! 12 minutes to install on CI's two cores and about 1.5 minutes per crate to run. This check
//! reads the rustdoc JSON the toolchain already makes, in seconds, and it sees additions too.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::release::{Published, published_crates};
use crate::{cmd, project_root};

/// Where the listings live, relative to the workspace root.
pub(crate) const DIR: &str = "api";

/// `cargo xtask api [--bless]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let bless = match args {
        [] => false,
        [flag] if flag == "--bless" => true,
        _ => return Err("usage: cargo xtask api [--bless]".to_owned()),
    };
    let root = project_root();
    let changelog = fs::read_to_string(root.join("CHANGELOG.md"))
        .map_err(|err| format!("could not read CHANGELOG.md: {err}"))?;
    let crates = published_crates(&root)?;
    document(&root, &crates)?;
    let mut problems = Vec::new();
    for krate in crates {
        let listing = listing_of(&root, &krate)?;
        let path = root.join(DIR).join(format!("{}.txt", krate.name));
        let committed = fs::read_to_string(&path).ok();
        match judge(committed.as_deref(), &listing, &krate, &changelog) {
            Verdict::Same => println!("api: {} unchanged", krate.name),
            Verdict::Refused(why) => problems.push(why),
            Verdict::Changed(why) if bless => {
                fs::create_dir_all(root.join(DIR))
                    .map_err(|err| format!("could not create {DIR}/: {err}"))?;
                fs::write(&path, &listing)
                    .map_err(|err| format!("could not write {}: {err}", path.display()))?;
                println!("api: recorded {} ({why})", path.display());
            }
            Verdict::Changed(why) => problems.push(format!(
                "{why}; look at the change and record it with `cargo xtask api --bless`"
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// What a regenerated listing means for the committed one.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Same,
    /// Different, and recording it is allowed; the text says what changed.
    Changed(String),
    /// Different while the committed listing is of a released version that was not bumped.
    Refused(String),
}

fn judge(committed: Option<&str>, listing: &str, krate: &Published, changelog: &str) -> Verdict {
    let Some(committed) = committed else {
        return Verdict::Changed(format!("{DIR}/{}.txt does not exist yet", krate.name));
    };
    if committed == listing {
        return Verdict::Same;
    }
    let diff = line_diff(committed, listing);
    let recorded_at = committed
        .lines()
        .next()
        .and_then(|header| header.rsplit(' ').next())
        .unwrap_or_default();
    if recorded_at == krate.version && is_released(changelog, &krate.version) {
        return Verdict::Refused(format!(
            "the public API of {} changed, but {} is released and the version was not bumped \
             (bump it with `cargo xtask release`, then record the API):\n{diff}",
            krate.name, krate.version
        ));
    }
    Verdict::Changed(format!("the public API of {} changed:\n{diff}", krate.name))
}

/// Whether the changelog has a dated entry `## [VERSION] - YYYY-MM-DD` for `version`.
fn is_released(changelog: &str, version: &str) -> bool {
    let heading = format!("## [{version}] - ");
    changelog.lines().any(|line| {
        line.strip_prefix(&heading).is_some_and(|date| {
            let date = date.trim();
            date.len() == 10
                && date.chars().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                })
        })
    })
}

/// The lines only in `old` (`-`) and only in `new` (`+`), at most 40 of them.
fn line_diff(old: &str, new: &str) -> String {
    let old_lines: BTreeSet<&str> = old.lines().skip(1).collect();
    let new_lines: BTreeSet<&str> = new.lines().skip(1).collect();
    let mut out = String::new();
    let removed = old_lines.difference(&new_lines).map(|l| format!("  - {l}"));
    let added = new_lines.difference(&old_lines).map(|l| format!("  + {l}"));
    let all: Vec<String> = removed.chain(added).collect();
    for line in all.iter().take(40) {
        let _ = writeln!(out, "{line}");
    }
    if all.len() > 40 {
        let _ = writeln!(out, "  … and {} more", all.len() - 40);
    }
    out
}

/// Runs rustdoc's JSON output for every published crate at once (one build of the
/// dependencies, with the features unified as in `verify`).
fn document(root: &Path, crates: &[Published]) -> Result<(), String> {
    let mut command = cmd::cargo(["doc", "--quiet", "--no-deps", "--all-features"]);
    // A target directory of its own: `RUSTC_BOOTSTRAP` is part of every unit's fingerprint,
    // so sharing the normal one would rebuild everything on each switch.
    command.arg("--target-dir").arg(api_target(root)?);
    for krate in crates {
        command.args(["-p", &krate.name]);
    }
    // rustdoc's JSON output is unstable; the pinned stable toolchain makes it on request.
    command
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTDOCFLAGS", "-Z unstable-options --output-format json")
        .current_dir(root);
    cmd::run(&mut command)
}

/// The listing text of `krate` from the JSON [`document`] left.
fn listing_of(root: &Path, krate: &Published) -> Result<String, String> {
    let json_path = doc_dir(root)?.join(format!("{}.json", krate.name.replace('-', "_")));
    let text = fs::read_to_string(&json_path)
        .map_err(|err| format!("rustdoc left no {}: {err}", json_path.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not JSON: {err}", json_path.display()))?;
    let lines = public_items(&doc)?;
    let mut listing = format!("# {} public API at {}\n", krate.name, krate.version);
    for line in lines {
        listing.push_str(&line);
        listing.push('\n');
    }
    Ok(listing)
}

fn doc_dir(root: &Path) -> Result<PathBuf, String> {
    Ok(api_target(root)?.join("doc"))
}

/// `<target>/api`: where [`document`] builds.
fn api_target(root: &Path) -> Result<PathBuf, String> {
    let mut command = cmd::cargo(["metadata", "--format-version", "1", "--no-deps"]);
    command.current_dir(root);
    let metadata: Value = serde_json::from_str(&cmd::output(&mut command)?)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    metadata["target_directory"]
        .as_str()
        .map(|target| Path::new(target).join("api"))
        .ok_or_else(|| "cargo metadata output has no `target_directory`".to_owned())
}

/// The sorted listing lines of a rustdoc JSON document.
fn public_items(doc: &Value) -> Result<BTreeSet<String>, String> {
    let index = doc["index"]
        .as_object()
        .ok_or("rustdoc JSON without an `index`")?;
    let root = key(&doc["root"]).ok_or("rustdoc JSON without a `root`")?;
    let mut walker = Walker {
        index,
        lines: BTreeSet::new(),
        visiting: HashSet::new(),
    };
    let name = index
        .get(&root)
        .and_then(|item| item["name"].as_str())
        .ok_or("the root module has no name")?
        .to_owned();
    walker.item(&root, &name);
    Ok(walker.lines)
}

/// An id as the index's key (ids are numbers in recent formats, strings in older ones).
fn key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

struct Walker<'a> {
    index: &'a Map<String, Value>,
    lines: BTreeSet<String>,
    /// (id, path) pairs on the current walk, so re-export cycles end.
    visiting: HashSet<(String, String)>,
}

impl Walker<'_> {
    fn item(&mut self, id: &str, path: &str) {
        let Some(item) = self.index.get(id) else {
            return;
        };
        if !self.visiting.insert((id.to_owned(), path.to_owned())) {
            return;
        }
        let Some((kind, inner)) = item["inner"].as_object().and_then(|m| m.iter().next()) else {
            return;
        };
        match kind.as_str() {
            "module" => self.module(inner, path),
            "use" => self.reexport(inner, path),
            "struct" | "enum" | "union" => self.adt(kind, item, inner, path),
            "trait" => self.trait_(item, inner, path),
            _ => self.line(short_kind(kind), path, &signature(item)),
        }
        self.visiting.remove(&(id.to_owned(), path.to_owned()));
    }

    fn line(&mut self, kind: &str, path: &str, fingerprint: &str) {
        self.lines.insert(format!("{kind} {path} [{fingerprint}]"));
    }

    fn module(&mut self, inner: &Value, path: &str) {
        self.lines.insert(format!("mod {path}"));
        for child in inner["items"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(child_id) = key(child) else { continue };
            let Some(child) = self.index.get(&child_id) else {
                continue;
            };
            if child["visibility"].as_str() != Some("public") {
                continue;
            }
            let is_use = child["inner"].get("use").is_some();
            match child["name"].as_str() {
                // A re-export walks its target under its own name.
                _ if is_use => self.item(&child_id, path),
                Some(name) => self.item(&child_id, &format!("{path}::{name}")),
                None => {}
            }
        }
    }

    /// `inner` is a `use`; `path` is the module it sits in.
    fn reexport(&mut self, inner: &Value, path: &str) {
        let source = inner["source"].as_str().unwrap_or("?");
        let name = inner["name"].as_str().unwrap_or("?");
        let glob = inner["is_glob"].as_bool().unwrap_or(false);
        let target = key(&inner["id"]).filter(|id| self.index.contains_key(id));
        match (target, glob) {
            (Some(target), true) => {
                // The target module's public items appear directly in `path`.
                let module = self
                    .index
                    .get(&target)
                    .map(|m| m["inner"]["module"].clone());
                if let Some(module) = module.filter(|m| !m.is_null()) {
                    self.module(&module, path);
                }
            }
            (Some(target), false) => self.item(&target, &format!("{path}::{name}")),
            (None, true) => {
                self.lines.insert(format!("use {path}::* = {source}::*"));
            }
            (None, false) => {
                self.lines.insert(format!("use {path}::{name} = {source}"));
            }
        }
    }

    fn adt(&mut self, kind: &str, item: &Value, inner: &Value, path: &str) {
        let mut shape = item.clone();
        strip_members(&mut shape);
        self.line(kind, path, &fingerprint(&shape));
        // Fields of structs and unions, variants of enums.
        let members = match kind {
            "enum" => inner["variants"].as_array().cloned().unwrap_or_default(),
            _ => field_ids(&inner["kind"]),
        };
        for member in members {
            let Some(member) = key(&member).and_then(|id| self.index.get(&id)) else {
                continue;
            };
            let name = member["name"].as_str().unwrap_or("_");
            if kind == "enum" {
                let mut variant = member.clone();
                let fields = field_ids(&member["inner"]["variant"]["kind"]);
                strip_members(&mut variant);
                let field_types: Vec<String> = fields
                    .iter()
                    .filter_map(|f| key(f).and_then(|id| self.index.get(&id)))
                    .map(|f| format!("{}:{}", f["name"], fingerprint(&f["inner"])))
                    .collect();
                let print = format!("{}{}", fingerprint(&variant), field_types.join(","));
                self.line("variant", &format!("{path}::{name}"), &short_hash(&print));
            } else if member["visibility"].as_str() == Some("public") {
                self.line(
                    "field",
                    &format!("{path}.{name}"),
                    &fingerprint(&member["inner"]),
                );
            }
        }
        self.impls(
            inner["impls"].as_array().map_or(&[][..], Vec::as_slice),
            path,
        );
    }

    fn trait_(&mut self, item: &Value, inner: &Value, path: &str) {
        let mut shape = item.clone();
        strip_members(&mut shape);
        self.line("trait", path, &fingerprint(&shape));
        for member in inner["items"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(member) = key(member).and_then(|id| self.index.get(&id)) else {
                continue;
            };
            let name = member["name"].as_str().unwrap_or("_");
            self.line("trait-item", &format!("{path}::{name}"), &signature(member));
        }
    }

    fn impls(&mut self, impls: &[Value], owner: &str) {
        for id in impls {
            let Some(block) = key(id).and_then(|id| self.index.get(&id)) else {
                continue;
            };
            let imp = &block["inner"]["impl"];
            if !imp["blanket_impl"].is_null() {
                continue;
            }
            if let Some(name) = imp["trait"]["path"].as_str() {
                let negative = if imp["is_negative"].as_bool() == Some(true) {
                    "!"
                } else {
                    ""
                };
                let print = fingerprint(&serde_json::json!([imp["trait"], imp["generics"]]));
                self.line("impl", &format!("{negative}{name} for {owner}"), &print);
                continue;
            }
            for member in imp["items"].as_array().map_or(&[][..], Vec::as_slice) {
                let Some(member) = key(member).and_then(|id| self.index.get(&id)) else {
                    continue;
                };
                if member["visibility"].as_str() != Some("public") {
                    continue;
                }
                let name = member["name"].as_str().unwrap_or("_");
                let kind = member["inner"]
                    .as_object()
                    .and_then(|m| m.keys().next())
                    .map_or("item", String::as_str);
                self.line(
                    short_kind(kind),
                    &format!("{owner}::{name}"),
                    &signature(member),
                );
            }
        }
    }
}

/// The keyword a user knows an item kind by.
fn short_kind(kind: &str) -> &str {
    match kind {
        "function" => "fn",
        "type_alias" | "assoc_type" => "type",
        "constant" | "assoc_const" => "const",
        other => other,
    }
}

/// The ids of the fields of a struct/union/variant `kind` value (plain, tuple or struct).
fn field_ids(kind: &Value) -> Vec<Value> {
    let Some(object) = kind.as_object() else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for (shape, value) in object {
        match shape.as_str() {
            "plain" => ids.extend(value["fields"].as_array().cloned().unwrap_or_default()),
            "tuple" | "struct" => {
                if let Some(list) = value.as_array() {
                    ids.extend(list.iter().filter(|v| !v.is_null()).cloned());
                } else {
                    ids.extend(value["fields"].as_array().cloned().unwrap_or_default());
                }
            }
            _ => {}
        }
    }
    ids
}

/// The fingerprint of an item's signature: its `inner` and attributes, without docs.
fn signature(item: &Value) -> String {
    fingerprint(&serde_json::json!([
        item["inner"],
        item["attrs"],
        item["deprecation"]
    ]))
}

/// Drops what lists members by id (they get lines of their own) and what is not API.
fn strip_members(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        for noise in [
            "docs",
            "span",
            "links",
            "id",
            "crate_id",
            "impls",
            "items",
            "variants",
            "implementations",
            "fields",
        ] {
            object.remove(noise);
        }
        for child in object.values_mut() {
            strip_members(child);
        }
    } else if let Some(array) = value.as_array_mut() {
        for child in array {
            strip_members(child);
        }
    }
}

/// A short, stable hash of a JSON value without ids, spans and docs.
fn fingerprint(value: &Value) -> String {
    let mut value = value.clone();
    strip_ids(&mut value);
    short_hash(&value.to_string())
}

/// Removes `id` keys and spans/docs/links everywhere: ids shift when unrelated items change.
/// Lists of member ids (a tuple variant's fields, a struct's `fields`) keep their length and
/// which entries are hidden (`null`), not the ids: the members get lines of their own.
fn strip_ids(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        for noise in ["id", "span", "docs", "links"] {
            object.remove(noise);
        }
        for (key, child) in object.iter_mut() {
            if matches!(key.as_str(), "tuple" | "fields")
                && let Some(list) = child.as_array_mut()
            {
                for entry in list.iter_mut().filter(|entry| entry.is_number()) {
                    *entry = Value::from("member");
                }
            }
            strip_ids(child);
        }
    } else if let Some(array) = value.as_array_mut() {
        for child in array {
            strip_ids(child);
        }
    }
}

/// FNV-1a, 64 bits, as 8 hex digits of its top half: stable across runs and toolchains.
fn short_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(version: &str) -> Published {
        Published {
            name: "demo".into(),
            version: version.into(),
            depends_on: BTreeSet::new(),
        }
    }

    /// A small rustdoc JSON document: a root module with a struct (a public and a private
    /// field, an inherent method, a `Send` impl), a private module re-exported by name, and an
    /// external re-export.
    fn doc(method_returns: &str) -> Value {
        serde_json::json!({
            "root": 0,
            "index": {
                "0": {"name": "demo", "visibility": "public",
                      "inner": {"module": {"items": [1, 5, 7, 9]}}},
                "1": {"name": "Thing", "visibility": "public", "attrs": ["#[non_exhaustive]"],
                      "inner": {"struct": {"generics": {"params": []},
                          "kind": {"plain": {"fields": [2, 3], "has_stripped_fields": true}},
                          "impls": [4, 10]}}},
                "2": {"name": "size", "visibility": "public",
                      "inner": {"struct_field": {"primitive": "u64"}}},
                "3": {"name": "secret", "visibility": "default",
                      "inner": {"struct_field": {"primitive": "u8"}}},
                "4": {"name": null, "visibility": "default",
                      "inner": {"impl": {"trait": null, "blanket_impl": null, "items": [6]}}},
                "6": {"name": "get", "visibility": "public",
                      "inner": {"function": {"sig": {"output": {"primitive": method_returns}}}}},
                "10": {"name": null, "visibility": "default",
                      "inner": {"impl": {"trait": {"path": "Send", "id": 99, "args": null},
                          "blanket_impl": null, "is_negative": false, "items": []}}},
                "5": {"name": "hidden", "visibility": "default",
                      "inner": {"module": {"items": [8]}}},
                "8": {"name": "helper", "visibility": "public",
                      "inner": {"function": {"sig": {"output": null}}}},
                "7": {"name": null, "visibility": "public",
                      "inner": {"use": {"source": "hidden::helper", "name": "helper",
                          "id": 8, "is_glob": false}}},
                "9": {"name": null, "visibility": "public",
                      "inner": {"use": {"source": "serde_json", "name": "json",
                          "id": 1234, "is_glob": false}}}
            }
        })
    }

    #[test]
    fn the_listing_names_public_items_as_users_write_them() {
        let lines = public_items(&doc("u64")).expect("walks");
        let kinds: Vec<String> = lines
            .iter()
            .map(|l| l.split(" [").next().unwrap_or(l).to_owned())
            .collect();
        assert_eq!(
            kinds,
            [
                "field demo::Thing.size",
                "fn demo::Thing::get",
                "fn demo::helper",
                "impl Send for demo::Thing",
                "mod demo",
                "struct demo::Thing",
                "use demo::json = serde_json",
            ]
        );
    }

    #[test]
    fn a_changed_signature_changes_its_line_only() {
        let before = public_items(&doc("u64")).expect("walks");
        let after = public_items(&doc("u32")).expect("walks");
        let changed: Vec<&String> = before.symmetric_difference(&after).collect();
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert!(changed.iter().all(|l| l.starts_with("fn demo::Thing::get")));
    }

    #[test]
    fn member_ids_do_not_reach_fingerprints() {
        // rustdoc numbers items anew when unrelated private items come and go: a tuple
        // variant's fields are listed by those numbers, which must not change its line.
        let variant = |ids: [u64; 2]| {
            serde_json::json!({"variant": {"kind": {"tuple": [ids[0], null, ids[1]]},
                                           "discriminant": null}})
        };
        assert_eq!(
            fingerprint(&variant([10, 11])),
            fingerprint(&variant([870, 871]))
        );
        let three = serde_json::json!({"variant": {"kind": {"tuple": [10, 11, 12]},
                                                   "discriminant": null}});
        assert_ne!(fingerprint(&variant([10, 11])), fingerprint(&three));
        let plain = |ids: Vec<u64>| {
            serde_json::json!({"struct": {"kind": {"plain": {"fields": ids,
                                                             "has_stripped_fields": false}}}})
        };
        assert_eq!(
            fingerprint(&plain(vec![1, 2])),
            fingerprint(&plain(vec![5, 9]))
        );
        assert_ne!(
            fingerprint(&plain(vec![1, 2])),
            fingerprint(&plain(vec![1]))
        );
    }

    #[test]
    fn an_api_change_without_a_bump_is_refused_once_released() {
        let committed = "# demo public API at 0.2.0\nfn demo::a [1]\n";
        let changed = "# demo public API at 0.2.0\nfn demo::a [2]\n";
        let released = "## [0.2.0] - 2026-12-06\n";
        let unreleased = "## [Unreleased]\n";
        assert_eq!(
            judge(Some(committed), committed, &krate("0.2.0"), released),
            Verdict::Same
        );
        assert!(matches!(
            judge(Some(committed), changed, &krate("0.2.0"), released),
            Verdict::Refused(why) if why.contains("not bumped") && why.contains("fn demo::a [2]")
        ));
        // Not released yet: the change may be recorded.
        assert!(matches!(
            judge(Some(committed), changed, &krate("0.2.0"), unreleased),
            Verdict::Changed(_)
        ));
        // Bumped: the change may be recorded under the new version.
        let bumped = changed.replace("0.2.0", "0.3.0");
        assert!(matches!(
            judge(Some(committed), &bumped, &krate("0.3.0"), released),
            Verdict::Changed(_)
        ));
        assert!(matches!(
            judge(None, changed, &krate("0.2.0"), released),
            Verdict::Changed(_)
        ));
    }

    #[test]
    fn only_dated_entries_count_as_released() {
        assert!(is_released("## [0.2.0] - 2026-12-06", "0.2.0"));
        assert!(!is_released("## [0.2.0] - unreleased", "0.2.0"));
        assert!(!is_released("## [0.2.0]", "0.2.0"));
        assert!(!is_released("## [0.2.0] - 2026-12-06", "0.2.1"));
    }
}
