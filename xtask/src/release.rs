//! Packaging and releases: what `cargo package` makes of every library crate, and
//! `cargo xtask release [--dry-run] [--skip-verify] VERSION`.
//!
//! `verify`'s `package` step ([`package_step`]) runs `cargo package --workspace`, which packs
//! every library crate and builds each one from its own `.crate` file (cargo's default
//! verification; the internal dependencies resolve to the other freshly packed crates through
//! cargo's local registry overlay), then prints each `.crate` size and fails when one is over
//! [`MAX_CRATE_BYTES`]. To that overlay the workspace crates are registry crates, which cargo
//! takes to be immutable per version: it keeps what it unpacked of them under
//! `$CARGO_HOME/registry/src/` and what it built of them in the target directory, and an
//! earlier run's copies of the same version would stand in for today's code. So the step
//! builds in an emptied `target/package-verify` and clears those extractions before and after
//! ([`clear_overlay_extractions`]); `release` does the same for `cargo publish --dry-run`.
//!
//! `release VERSION` bumps the one workspace version (`[workspace.package]` and every internal
//! dependency in `[workspace.dependencies]`), checks that `CHANGELOG.md` has a `## [VERSION]`
//! entry, records the public API listings under the new version (`cargo xtask api --bless`),
//! runs `cargo xtask verify` and `cargo publish --dry-run` for every crate in dependency
//! order, and prints what it would publish. It never publishes. With `--dry-run` all of it
//! happens in a temporary copy of the workspace and the checkout is left untouched; without
//! it the bump stays in the checkout for you to commit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{cmd, project_root};

/// The largest `.crate` file `verify` accepts.
pub(crate) const MAX_CRATE_BYTES: u64 = 1024 * 1024;

/// A workspace crate that is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) name: String,
    pub(crate) version: String,
    /// Workspace crates it depends on (normal and build dependencies).
    pub(crate) depends_on: BTreeSet<String>,
}

/// The published crates of the workspace at `root`, in dependency order (a crate after
/// everything it depends on), from `cargo metadata`.
pub(crate) fn published_crates(root: &Path) -> Result<Vec<Published>, String> {
    let mut command = cmd::cargo(["metadata", "--format-version", "1", "--no-deps"]);
    command.current_dir(root);
    let metadata: Value = serde_json::from_str(&cmd::output(&mut command)?)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    parse_published(&metadata)
}

/// [`published_crates`] from parsed `cargo metadata --no-deps` output.
fn parse_published(metadata: &Value) -> Result<Vec<Published>, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata output has no `packages` array")?;
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut crates = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().ok_or("a package without a name")?;
        // `publish = false` reads as an empty registry list.
        if package["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let version = package["version"]
            .as_str()
            .ok_or_else(|| format!("package `{name}` has no version"))?;
        let depends_on = package["dependencies"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|dep| dep["kind"].as_str() != Some("dev"))
            .filter_map(|dep| dep["name"].as_str())
            .filter(|dep| names.contains(dep))
            .map(str::to_owned)
            .collect();
        crates.insert(
            name.to_owned(),
            Published {
                name: name.to_owned(),
                version: version.to_owned(),
                depends_on,
            },
        );
    }
    dependency_order(crates)
}

/// Orders crates so that each comes after its dependencies; names break ties.
fn dependency_order(mut crates: BTreeMap<String, Published>) -> Result<Vec<Published>, String> {
    let mut ordered = Vec::with_capacity(crates.len());
    let mut done = BTreeSet::new();
    while !crates.is_empty() {
        let ready: Vec<String> = crates
            .values()
            .filter(|krate| {
                krate
                    .depends_on
                    .iter()
                    .all(|dep| done.contains(dep) || !crates.contains_key(dep))
            })
            .map(|krate| krate.name.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&str> = crates.keys().map(String::as_str).collect();
            return Err(format!(
                "the published crates depend on each other in a cycle: {}",
                names.join(", ")
            ));
        }
        for name in ready {
            if let Some(krate) = crates.remove(&name) {
                done.insert(name);
                ordered.push(krate);
            }
        }
    }
    Ok(ordered)
}

/// The target directory cargo uses for the workspace at `root`.
fn target_directory(root: &Path) -> Result<PathBuf, String> {
    let mut command = cmd::cargo(["metadata", "--format-version", "1", "--no-deps"]);
    command.current_dir(root);
    let metadata: Value = serde_json::from_str(&cmd::output(&mut command)?)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata output has no `target_directory`".to_owned())
}

/// `verify`'s `package` step: pack and build every published crate from its `.crate`, print
/// the sizes, fail on a crate over [`MAX_CRATE_BYTES`].
pub(crate) fn package_step() -> Result<(), String> {
    let root = project_root();
    let crates = published_crates(&root)?;
    // `--allow-dirty`: verify runs on work in progress too; CI runs it on a clean clone.
    let mut command = cmd::cargo(["package", "--workspace", "--locked", "--allow-dirty"]);
    for excluded in unpublished(&root, &crates)? {
        command.args(["--exclude", &excluded]);
    }
    let verify_dir = run_fresh(&mut command, &target_directory(&root)?, &crates)?;
    let sizes = crate_sizes(&verify_dir, &crates)?;
    // The verification build is large and never reused: keep the `.crate` files only.
    remove_dir_if_there(&verify_dir.join("debug"))?;
    println!("{}", size_table(&sizes));
    check_sizes(&sizes)
}

/// Runs `command` (a `cargo package` or `cargo publish` of the workspace) with its
/// verification builds in an emptied `target/package-verify` ([`fresh_verify_dir`]) and none
/// of cargo's earlier extractions of `crates` ([`clear_overlay_extractions`], before and after,
/// so that the next run does not trip on this one's either); returns that directory.
fn run_fresh(
    command: &mut std::process::Command,
    target: &Path,
    crates: &[Published],
) -> Result<PathBuf, String> {
    let verify_dir = fresh_verify_dir(target)?;
    command.arg("--target-dir").arg(&verify_dir);
    let cargo_home = cargo_home()?;
    clear_overlay_extractions(&cargo_home, crates)?;
    let ran = cmd::run(command);
    clear_overlay_extractions(&cargo_home, crates)?;
    ran.map(|()| verify_dir)
}

/// `target/package-verify`, emptied: the target directory of `cargo package`'s and `cargo
/// publish --dry-run`'s verification builds.
///
/// Cargo fingerprints a registry crate by name and version, never by content, and in these
/// builds the workspace crates are registry crates (of the local overlay registry). In a
/// target directory that built them before, a dependent is checked against the old build of
/// an unchanged version, whatever changed since; so every run starts from an empty one.
fn fresh_verify_dir(target: &Path) -> Result<PathBuf, String> {
    let dir = target.join("package-verify");
    remove_dir_if_there(&dir)?;
    Ok(dir)
}

fn remove_dir_if_there(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(format!("could not remove {}: {err}", dir.display())),
    }
}

/// Cargo's home directory: `$CARGO_HOME`, else `$HOME/.cargo`.
fn cargo_home() -> Result<PathBuf, String> {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".cargo"))
        .ok_or_else(|| "neither CARGO_HOME nor HOME is set: cannot find cargo's home".to_owned())
}

/// Removes what cargo extracted of the workspace's own crates from the temporary local
/// registries of earlier `cargo package --workspace` / `cargo publish --workspace` runs, and
/// returns what it removed.
///
/// Cargo verifies a crate that depends on another workspace crate against the `.crate` it
/// just packed, through a local registry in `target/package/tmp-registry`, and unpacks that
/// `.crate` under `$CARGO_HOME/registry/src/-<hash of the registry's path>/<name>-<version>`.
/// It never unpacks again over a directory that is already there. So a second run from the
/// same checkout path (a CI runner's fixed clone path, with the cargo home kept between runs)
/// builds the dependents against the first run's sources of an unchanged version, and fails
/// as soon as a dependent uses anything added since. Local registries are the only sources
/// whose directory names start with `-` (they have no host); crates.io's never do, and
/// nothing but the workspace's own crates is touched.
fn clear_overlay_extractions(
    cargo_home: &Path,
    crates: &[Published],
) -> Result<Vec<PathBuf>, String> {
    let src = cargo_home.join("registry").join("src");
    let entries = match fs::read_dir(&src) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("could not list {}: {err}", src.display())),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let registry = entry.map_err(|err| format!("could not list {}: {err}", src.display()))?;
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for krate in crates {
            let unpacked = registry
                .path()
                .join(format!("{}-{}", krate.name, krate.version));
            match fs::remove_dir_all(&unpacked) {
                Ok(()) => removed.push(unpacked),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(format!(
                        "could not remove cargo's stale extraction {}: {err}",
                        unpacked.display()
                    ));
                }
            }
        }
        // A registry directory left empty goes too (one per checkout path that ever packed);
        // one with anything else in it stays.
        let _ = fs::remove_dir(registry.path());
    }
    removed.sort();
    Ok(removed)
}

/// Workspace members that are not published (`publish = false`), for `--exclude`.
fn unpublished(root: &Path, published: &[Published]) -> Result<Vec<String>, String> {
    let mut command = cmd::cargo(["metadata", "--format-version", "1", "--no-deps"]);
    command.current_dir(root);
    let metadata: Value = serde_json::from_str(&cmd::output(&mut command)?)
        .map_err(|err| format!("cargo metadata printed invalid JSON: {err}"))?;
    let published: BTreeSet<&str> = published.iter().map(|p| p.name.as_str()).collect();
    Ok(metadata["packages"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|p| p["name"].as_str())
        .filter(|name| !published.contains(name))
        .map(str::to_owned)
        .collect())
}

/// Each crate with the size of its `target/package/<name>-<version>.crate`.
fn crate_sizes(target: &Path, crates: &[Published]) -> Result<Vec<(String, u64)>, String> {
    crates
        .iter()
        .map(|krate| {
            let path = target
                .join("package")
                .join(format!("{}-{}.crate", krate.name, krate.version));
            let size = fs::metadata(&path)
                .map_err(|err| format!("`cargo package` left no {}: {err}", path.display()))?
                .len();
            Ok((format!("{} {}", krate.name, krate.version), size))
        })
        .collect()
}

fn size_table(sizes: &[(String, u64)]) -> String {
    let width = sizes.iter().map(|(name, _)| name.len()).max().unwrap_or(5);
    let mut table = format!("{:<width$} {:>10}\n", "crate", ".crate KiB");
    for (name, bytes) in sizes {
        #[expect(clippy::cast_precision_loss, reason = "sizes are far below 2^52")]
        let kib = *bytes as f64 / 1024.0;
        let _ = writeln!(table, "{name:<width$} {kib:>10.1}");
    }
    table
}

fn check_sizes(sizes: &[(String, u64)]) -> Result<(), String> {
    let over: Vec<String> = sizes
        .iter()
        .filter(|(_, bytes)| *bytes > MAX_CRATE_BYTES)
        .map(|(name, bytes)| format!("{name} ({bytes} bytes)"))
        .collect();
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crates over {MAX_CRATE_BYTES} bytes: {}; trim their `include` lists",
            over.join(", ")
        ))
    }
}

/// What `release` was asked to do.
#[derive(Debug, PartialEq, Eq)]
struct ReleaseArgs {
    version: String,
    dry_run: bool,
    skip_verify: bool,
}

const RELEASE_USAGE: &str = "usage: cargo xtask release [--dry-run] [--skip-verify] VERSION";

fn parse_release_args(args: &[String]) -> Result<ReleaseArgs, String> {
    let mut version = None;
    let mut dry_run = false;
    let mut skip_verify = false;
    for arg in args {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--skip-verify" => skip_verify = true,
            flag if flag.starts_with('-') => {
                return Err(format!("unknown flag `{flag}`; {RELEASE_USAGE}"));
            }
            value if version.is_none() => version = Some(value.to_owned()),
            value => return Err(format!("unexpected argument `{value}`; {RELEASE_USAGE}")),
        }
    }
    let version = version.ok_or(RELEASE_USAGE)?;
    parse_version(&version)?;
    Ok(ReleaseArgs {
        version,
        dry_run,
        skip_verify,
    })
}

/// `MAJOR.MINOR.PATCH` as numbers; pre-release and build suffixes are refused (the
/// workspace has never used them).
fn parse_version(version: &str) -> Result<(u64, u64, u64), String> {
    let parts: Vec<&str> = version.split('.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return Err(format!("`{version}` is not a MAJOR.MINOR.PATCH version"));
    };
    let number = |part: &str| {
        part.parse::<u64>()
            .ok()
            .filter(|_| !part.is_empty() && (part == "0" || !part.starts_with('0')))
            .ok_or_else(|| format!("`{version}` is not a MAJOR.MINOR.PATCH version"))
    };
    Ok((number(major)?, number(minor)?, number(patch)?))
}

/// The `[workspace.package]` version of the root manifest text.
fn workspace_version(manifest: &str) -> Result<String, String> {
    let section = section(manifest, "[workspace.package]")
        .ok_or("the root Cargo.toml has no [workspace.package] table")?;
    section
        .lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("version")?.trim_start();
            let value = value.strip_prefix('=')?.trim();
            Some(value.trim_matches('"').to_owned())
        })
        .ok_or_else(|| "[workspace.package] has no version".to_owned())
}

/// The text of one `[table]` of a manifest, up to the next table header.
fn section<'a>(manifest: &'a str, header: &str) -> Option<&'a str> {
    let start = manifest.find(&format!("\n{header}\n"))? + 1;
    let body = &manifest[start + header.len()..];
    let end = body.find("\n[").map_or(body.len(), |i| i + 1);
    Some(&body[..end])
}

/// The root manifest with every occurrence of the workspace version moved from `from` to
/// `to`: `[workspace.package]`'s `version` and the `version` of every internal dependency
/// (those with a `path = "crates/…"`). Fails when nothing or something unexpected matched.
fn bump_manifest(manifest: &str, from: &str, to: &str) -> Result<String, String> {
    let mut out = String::with_capacity(manifest.len());
    let mut in_package = false;
    let mut bumped_package = false;
    let mut bumped_deps = 0usize;
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[workspace.package]";
        }
        let old = format!("\"{from}\"");
        let new = format!("\"{to}\"");
        if in_package && trimmed.starts_with("version") && trimmed.contains(&old) {
            out.push_str(&line.replacen(&old, &new, 1));
            bumped_package = true;
        } else if trimmed.contains("path = \"crates/") && trimmed.contains("version = ") {
            let old_dep = format!("version = {old}");
            if !trimmed.contains(&old_dep) {
                return Err(format!(
                    "an internal dependency is not at the workspace version {from}: `{trimmed}`"
                ));
            }
            out.push_str(&line.replacen(&old_dep, &format!("version = {new}"), 1));
            bumped_deps += 1;
        } else {
            out.push_str(line);
        }
    }
    if !bumped_package {
        return Err(format!(
            "no `version = \"{from}\"` in [workspace.package] to bump"
        ));
    }
    if bumped_deps == 0 {
        return Err("no internal dependency with a version to bump".to_owned());
    }
    Ok(out)
}

/// Whether the changelog has an entry headed `## [VERSION]`.
fn changelog_has(changelog: &str, version: &str) -> bool {
    let heading = format!("## [{version}]");
    changelog.lines().any(|line| line.starts_with(&heading))
}

/// `cargo xtask release [--dry-run] [--skip-verify] VERSION`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let args = parse_release_args(args)?;
    let root = project_root();
    let manifest_path = root.join("Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path)
        .map_err(|err| format!("could not read {}: {err}", manifest_path.display()))?;
    let current = workspace_version(&manifest)?;
    if parse_version(&args.version)? <= parse_version(&current)? {
        return Err(format!(
            "{} is not newer than the workspace version {current}",
            args.version
        ));
    }
    let changelog = fs::read_to_string(root.join("CHANGELOG.md"))
        .map_err(|err| format!("could not read CHANGELOG.md: {err}"))?;
    if !changelog_has(&changelog, &args.version) {
        return Err(format!(
            "CHANGELOG.md has no `## [{}]` entry; write it before releasing",
            args.version
        ));
    }
    let bumped = bump_manifest(&manifest, &current, &args.version)?;

    let copy = if args.dry_run {
        Some(copy_workspace(&root)?)
    } else {
        None
    };
    let workspace = copy.as_ref().map_or(root.as_path(), |dir| dir.path());
    // In a copy, build into the checkout's target directory: registry crates stay built.
    let target = target_directory(&root)?;
    let in_workspace = |mut command: std::process::Command| {
        command
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", &target);
        command
    };
    fs::write(workspace.join("Cargo.toml"), bumped)
        .map_err(|err| format!("could not write the bumped Cargo.toml: {err}"))?;
    println!(
        "release: {current} -> {} in {}{}",
        args.version,
        workspace.display(),
        if args.dry_run {
            " (a temporary copy)"
        } else {
            ""
        }
    );
    // The bump changes every internal version: let cargo rewrite the lock file's entries.
    cmd::run(&mut in_workspace(cmd::cargo([
        "update",
        "--workspace",
        "--offline",
    ])))?;

    // The listings of the public API carry the version: record them under the new one (a
    // bumped version may change its API).
    cmd::run(&mut in_workspace(cmd::cargo(["xtask", "api", "--bless"])))?;

    if args.skip_verify {
        println!("release: verify skipped (--skip-verify)");
    } else {
        cmd::run(&mut in_workspace(cmd::cargo(["xtask", "verify"])))?;
    }

    let crates = published_crates(workspace)?;
    let mut publish = in_workspace(cmd::cargo([
        "publish",
        "--dry-run",
        "--workspace",
        "--allow-dirty",
    ]));
    for excluded in unpublished(workspace, &crates)? {
        publish.args(["--exclude", &excluded]);
    }
    let verify_dir = run_fresh(&mut publish, &target, &crates)?;
    remove_dir_if_there(&verify_dir)?;
    // `cargo publish --dry-run` keeps no `.crate` files: pack them again (already verified)
    // to report their sizes.
    let mut pack = in_workspace(cmd::cargo([
        "package",
        "--workspace",
        "--no-verify",
        "--allow-dirty",
    ]));
    for excluded in unpublished(workspace, &crates)? {
        pack.args(["--exclude", &excluded]);
    }
    cmd::run(&mut pack)?;
    let sizes = crate_sizes(&target, &crates)?;
    println!("\nrelease {}: would publish, in this order:", args.version);
    println!("{}", size_table(&sizes));
    check_sizes(&sizes)?;
    println!("nothing was published");
    Ok(())
}

/// A temporary copy of the workspace's tracked and untracked-but-not-ignored files, sharing
/// the checkout's target directory and installed codex CLIs.
fn copy_workspace(root: &Path) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix("codex-sdk-release.")
        .tempdir()
        .map_err(|err| format!("could not create a temporary directory: {err}"))?;
    let mut list = std::process::Command::new("git");
    list.args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ])
    .current_dir(root);
    let files = cmd::output(&mut list)?;
    for file in files.split('\0').filter(|f| !f.is_empty()) {
        let from = root.join(file);
        let to = dir.path().join(file);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|err| format!("could not create {}: {err}", parent.display()))?;
        }
        let meta = fs::symlink_metadata(&from)
            .map_err(|err| format!("could not read {}: {err}", from.display()))?;
        if meta.file_type().is_symlink() {
            let link = fs::read_link(&from)
                .map_err(|err| format!("could not read link {}: {err}", from.display()))?;
            std::os::unix::fs::symlink(link, &to)
                .map_err(|err| format!("could not link {}: {err}", to.display()))?;
        } else if meta.is_file() {
            fs::copy(&from, &to)
                .map_err(|err| format!("could not copy {}: {err}", from.display()))?;
        }
    }
    // The real-codex tests find the CLIs installed in the checkout.
    fs::create_dir_all(dir.path().join("target"))
        .map_err(|err| format!("could not create the copy's target directory: {err}"))?;
    let codex = root.join("target").join("codex");
    if codex.is_dir() {
        std::os::unix::fs::symlink(&codex, dir.path().join("target").join("codex"))
            .map_err(|err| format!("could not link the installed codex CLIs: {err}"))?;
    }
    println!("release: copied the workspace to {}", dir.path().display());
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\ncodex-agent-protocol = { path = \"crates/codex-protocol\", version = \"0.1.0\" }\ncodex-agent-testkit = { path = \"crates/codex-testkit\" }\nserde = { version = \"0.1.0\" }\n";

    #[test]
    fn only_the_workspace_crates_unpacked_from_local_registries_are_cleared() {
        let home = tempfile::tempdir().expect("temp dir");
        let src = home.path().join("registry").join("src");
        let stale = [
            src.join("-14cd1cce6819ff87").join("codex-agent-exec-0.1.0"),
            src.join("-d1f03c42d51bf21a").join("codex-agent-exec-0.1.0"),
            src.join("-d1f03c42d51bf21a").join("codex-agent-sdk-0.1.0"),
        ];
        let kept = [
            // crates.io's extraction of a crate with the same name and version.
            src.join("index.crates.io-1949cf8c6b5b557f")
                .join("codex-agent-exec-0.1.0"),
            // Another crate in a local registry, and another version of ours.
            src.join("-14cd1cce6819ff87").join("serde-1.0.0"),
            src.join("-14cd1cce6819ff87").join("codex-agent-exec-0.2.0"),
        ];
        for dir in stale.iter().chain(&kept) {
            fs::create_dir_all(dir.join("src")).expect("mkdir");
            fs::write(dir.join(".cargo-ok"), "{\"v\":1}").expect("write");
        }
        let crates = ["codex-agent-exec", "codex-agent-sdk"].map(|name| Published {
            name: name.to_owned(),
            version: "0.1.0".to_owned(),
            depends_on: BTreeSet::new(),
        });
        let removed = clear_overlay_extractions(home.path(), &crates).expect("clears");
        let mut expected = stale.to_vec();
        expected.sort();
        assert_eq!(removed, expected);
        assert!(stale.iter().all(|dir| !dir.exists()));
        assert!(kept.iter().all(|dir| dir.join(".cargo-ok").exists()));
        assert!(
            !src.join("-d1f03c42d51bf21a").exists(),
            "an emptied local registry directory is removed"
        );
        // Nothing left: a second pass removes nothing; a cargo home without sources is fine.
        assert!(
            clear_overlay_extractions(home.path(), &crates)
                .expect("clears")
                .is_empty()
        );
        let empty = tempfile::tempdir().expect("temp dir");
        assert!(
            clear_overlay_extractions(empty.path(), &crates)
                .expect("clears")
                .is_empty()
        );
    }

    #[test]
    fn the_bump_moves_the_package_and_internal_versions_only() {
        let bumped = bump_manifest(MANIFEST, "0.1.0", "0.2.0").expect("bumps");
        assert!(bumped.contains("[workspace.package]\nversion = \"0.2.0\""));
        assert!(bumped.contains("path = \"crates/codex-protocol\", version = \"0.2.0\""));
        // An external crate that happens to share the version is left alone.
        assert!(bumped.contains("serde = { version = \"0.1.0\" }"));
        assert_eq!(workspace_version(&bumped).expect("version"), "0.2.0");
    }

    #[test]
    fn a_stray_internal_version_is_an_error() {
        let stray = MANIFEST.replace(
            "crates/codex-protocol\", version = \"0.1.0\"",
            "crates/codex-protocol\", version = \"0.0.9\"",
        );
        let err = bump_manifest(&stray, "0.1.0", "0.2.0").expect_err("refused");
        assert!(err.contains("not at the workspace version"), "{err}");
    }

    #[test]
    fn versions_parse_strictly() {
        assert_eq!(parse_version("0.2.0"), Ok((0, 2, 0)));
        for bad in ["0.2", "v0.2.0", "0.02.0", "0.2.0-rc.1", "", "1.2.3.4"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        let args = parse_release_args(&["--dry-run".into(), "0.2.0".into()]).expect("args");
        assert_eq!(
            args,
            ReleaseArgs {
                version: "0.2.0".into(),
                dry_run: true,
                skip_verify: false
            }
        );
        assert!(parse_release_args(&["--publish".into(), "0.2.0".into()]).is_err());
        assert!(parse_release_args(&[]).is_err());
    }

    #[test]
    fn the_changelog_entry_is_found_by_its_heading() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-06\n";
        assert!(changelog_has(changelog, "0.2.0"));
        assert!(!changelog_has(changelog, "0.3.0"));
        assert!(!changelog_has("mentions [0.2.0] inline", "0.2.0"));
    }

    #[test]
    fn crates_come_after_their_dependencies() {
        let metadata = serde_json::json!({"packages": [
            {"name": "sdk", "version": "1.0.0", "publish": null,
             "dependencies": [{"name": "protocol", "kind": null}, {"name": "testkit", "kind": "dev"}]},
            {"name": "testkit", "version": "1.0.0", "publish": null,
             "dependencies": [{"name": "protocol", "kind": null}]},
            {"name": "protocol", "version": "1.0.0", "publish": null,
             "dependencies": [{"name": "testkit", "kind": "dev"}, {"name": "serde", "kind": null}]},
            {"name": "xtask", "version": "0.0.0", "publish": [], "dependencies": []}
        ]});
        let order: Vec<String> = parse_published(&metadata)
            .expect("ordered")
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(order, ["protocol", "sdk", "testkit"]);
    }

    #[test]
    fn sizes_over_the_limit_fail_naming_the_crate() {
        let sizes = vec![
            ("small 0.1.0".to_owned(), 10),
            ("big 0.1.0".to_owned(), MAX_CRATE_BYTES + 1),
        ];
        let err = check_sizes(&sizes).expect_err("too big");
        assert!(err.contains("big 0.1.0") && !err.contains("small"), "{err}");
        assert!(size_table(&sizes).contains("small 0.1.0"));
    }
}
