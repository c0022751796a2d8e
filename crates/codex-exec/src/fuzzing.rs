//! Entry points for the fuzz targets in `fuzz/` (built only with `--cfg fuzzing`, which
//! `cargo fuzz` sets): the parts of this crate that read untrusted bytes but are not public.

/// Checks the stdout framing on arbitrary bytes (see the `framing` fuzz target): the first two
/// bytes choose the maximum line length, the third how reads cut the rest.
///
/// # Panics
///
/// When the framing disagrees with splitting the whole input at once, which is the bug the
/// fuzzer looks for.
pub fn framing(input: &[u8]) {
    crate::framing::check_framing(input);
}
