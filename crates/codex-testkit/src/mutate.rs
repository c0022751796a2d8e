//! A small mutation fuzzer for short fuzz runs inside `cargo test`: the committed seeds of a
//! `cargo fuzz` target (`fuzz/seeds/<target>/`) are mutated many times (bit flips, byte
//! changes, insertions and deletions of bytes and JSON-ish tokens, duplicated ranges,
//! splices of two seeds) and each result is handed to the target's body.
//!
//! It is no replacement for libFuzzer (no coverage feedback): it gives `cargo xtask verify`
//! a quick look at inputs near the seeds on every run, while `cargo xtask fuzz` does the
//! long, guided runs. A body that panics fails the run with the PRNG seed, the iteration and
//! the input (as hex), and the input is written to `target/fuzz-smoke/` to be kept as a
//! regression test.
//!
//! The PRNG seed comes from `CODEX_FUZZ_SMOKE_SEED` when set (to repeat a run), else from the
//! clock; it is printed either way.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Tokens that JSON parsers treat specially, inserted whole.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"18446744073709551616",
    b"\\u0000",
    b"\\ud800",
    b"\"type\":",
    b"\"method\":",
    b"\"id\":",
    b"\n",
    b"\r\n",
    b"\xff",
    b"\xe2\x82",
];

/// A xorshift PRNG: deterministic for a seed, good enough to pick mutations.
#[derive(Debug, Clone)]
pub struct Mutator {
    state: u64,
}

impl Mutator {
    /// A mutator whose choices follow from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self { state: seed | 1 }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        // The remainder of a u64 by a usize fits in a usize.
        usize::try_from(self.next() % bound as u64).unwrap_or(0)
    }

    /// `input` with one to four random mutations applied; `corpus` provides splice partners.
    #[must_use]
    pub fn mutate(&mut self, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut out = input.to_vec();
        let rounds = 1 + self.below(4);
        for _ in 0..rounds {
            self.mutate_once(&mut out, corpus);
        }
        out
    }

    fn mutate_once(&mut self, out: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let len = out.len();
        match self.below(8) {
            0 if len > 0 => {
                let at = self.below(len);
                out[at] ^= 1 << self.below(8);
            }
            1 if len > 0 => {
                let at = self.below(len);
                out[at] = self.next().to_le_bytes()[0];
            }
            2 => {
                let at = self.below(len + 1);
                let byte = self.next().to_le_bytes()[0];
                out.insert(at, byte);
            }
            3 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(16));
                out.drain(at..at + n);
            }
            4 if len > 0 => {
                let at = self.below(len);
                let n = 1 + self.below((len - at).min(64));
                let copy = out[at..at + n].to_vec();
                let to = self.below(len + 1);
                out.splice(to..to, copy);
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[self.below(corpus.len())];
                let keep = self.below(len + 1);
                let from = self.below(other.len() + 1);
                out.truncate(keep);
                out.extend_from_slice(&other[from..]);
            }
            6 if len > 0 => {
                // Repeat a digit or letter run, which makes numbers and strings long.
                let at = self.below(len);
                let times = 1 + self.below(40);
                let byte = out[at];
                out.splice(at..at, std::iter::repeat_n(byte, times));
            }
            _ => {
                let token = TOKENS[self.below(TOKENS.len())];
                let at = self.below(len + 1);
                out.splice(at..at, token.iter().copied());
            }
        }
    }
}

/// The files of `dir` (a seeds directory), sorted by name.
///
/// # Errors
///
/// [`Error::Io`] when the directory or a file cannot be read.
pub fn read_seeds(dir: &Path) -> Result<Vec<Vec<u8>>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action: "read",
            path,
            source,
        }
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    paths.sort();
    paths
        .iter()
        .filter(|path| path.is_file())
        .map(|path| std::fs::read(path).map_err(io(path)))
        .collect()
}

/// Runs `body` on every seed in `seeds_dir` and then on `iterations` mutations of them.
///
/// # Panics
///
/// When the seeds cannot be read or there are none, and when `body` panics: the message names
/// the target, the PRNG seed, the iteration and the input (hex), which is also written to
/// `target/fuzz-smoke/<target>-<iteration>` under the workspace root.
#[expect(
    clippy::print_stderr,
    reason = "the seed is printed for the test's output, to repeat a failing run"
)]
pub fn smoke(target: &str, seeds_dir: &Path, iterations: usize, body: impl Fn(&[u8])) {
    let seeds = read_seeds(seeds_dir).unwrap_or_else(|e| panic!("{target}: {e}"));
    assert!(
        !seeds.is_empty(),
        "{target}: no seeds in {}",
        seeds_dir.display()
    );
    let seed = std::env::var("CODEX_FUZZ_SMOKE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(clock_seed);
    eprintln!(
        "fuzz smoke {target}: {} seeds, {iterations} mutations, CODEX_FUZZ_SMOKE_SEED={seed}",
        seeds.len()
    );
    let mut mutator = Mutator::new(seed);
    let run = |iteration: usize, input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| body(input))).is_err() {
            let kept = keep_crash(target, iteration, input);
            panic!(
                "fuzz smoke {target}: the body panicked at iteration {iteration} \
                 (CODEX_FUZZ_SMOKE_SEED={seed}); input kept in {kept}; hex: {}",
                hex(input)
            );
        }
    };
    for (n, input) in seeds.iter().enumerate() {
        run(n, input);
    }
    for iteration in 0..iterations {
        let base = &seeds[mutator.below(seeds.len())];
        let input = mutator.mutate(base, &seeds);
        run(seeds.len() + iteration, &input);
    }
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // The low 64 bits vary the most.
    u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or(1)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Writes a crashing input under `target/fuzz-smoke/`; returns where, or why not.
fn keep_crash(target: &str, iteration: usize, input: &[u8]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-smoke");
    let path = dir.join(format!("{target}-{iteration}"));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input)) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not written: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_for_a_seed_and_vary() {
        let corpus = vec![b"{\"type\":\"turn.started\"}".to_vec(), b"[1,2]".to_vec()];
        let run = |seed| {
            let mut m = Mutator::new(seed);
            (0..200)
                .map(|_| m.mutate(&corpus[0], &corpus))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let outputs = run(7);
        assert!(outputs.iter().any(|o| o != &corpus[0]));
        let distinct: std::collections::HashSet<_> = outputs.iter().collect();
        assert!(distinct.len() > 100, "{} distinct of 200", distinct.len());
    }

    #[test]
    fn mutating_empty_input_works() {
        let mut m = Mutator::new(3);
        for _ in 0..1000 {
            drop(m.mutate(b"", &[]));
        }
    }

    #[test]
    fn a_panicking_body_fails_the_smoke_run_with_the_input() {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("a"), b"abc").expect("a seed");
        let result = catch_unwind(|| {
            smoke("selftest", dir.path(), 10_000, |input| {
                assert!(!input.contains(&b'{'), "found a brace");
            });
        });
        let message = result.expect_err("the body panics on some mutation");
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(text.contains("fuzz smoke selftest"), "{text}");
        assert!(text.contains("hex: "), "{text}");
        let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-smoke");
        for entry in std::fs::read_dir(&kept).expect("kept").flatten() {
            if entry.file_name().to_string_lossy().starts_with("selftest-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
