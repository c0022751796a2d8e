//! Stages files into an attachment store, persistently, and prints each one's checksum and
//! media type: `stage --root DIR [--repeat N] FILE...`. With `--stdin NAME` it stages its
//! standard input under NAME instead, announcing `staging` first (the tests kill it there).
//!
//! ```sh
//! cargo run -p codex-agent-files --example stage -- --root /tmp/store notes.txt logo.png
//! ```
//!
//! With `--hold FILE` it attaches FILE to an ephemeral set, prints the view path, and holds
//! the set until its standard input closes.
//!
//! The tests of codex-agent-files run it as several processes at once against one store.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints its results"
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use codex_agent_files::{Store, StoreOptions};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut repeat = 1_usize;
    let mut stdin_name = None;
    let mut hold = None;
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => root = args.next().map(PathBuf::from),
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "--stdin" => stdin_name = args.next(),
            "--hold" => hold = args.next().map(PathBuf::from),
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let Some(root) = root.filter(|_| repeat > 0) else {
        eprintln!("usage: stage --root DIR [--repeat N] [--stdin NAME] FILE...");
        return ExitCode::from(2);
    };
    let store = match Store::open(StoreOptions::new().root(root)) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(file) = hold {
        let mut set = match store.new_set() {
            Ok(set) => set,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        match set.attach(&codex_agent_files::Attachment::file(file)) {
            Ok(attached) => println!("{}", attached.path.display()),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
        let _ = std::io::stdout().flush();
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        return ExitCode::SUCCESS;
    }
    if let Some(name) = stdin_name {
        println!("staging");
        let _ = std::io::stdout().flush();
        return match store.stage_reader(std::io::stdin().lock(), &name, None) {
            Ok(entry) => {
                println!("{} {}", entry.sha256, entry.media_type);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    for _ in 0..repeat {
        for file in &files {
            match store.stage(file, None) {
                Ok(entry) if repeat == 1 => println!("{} {}", entry.sha256, entry.media_type),
                Ok(_) => {}
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
