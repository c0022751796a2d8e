//! The version of a codex binary, as printed by `codex --version` (`codex-cli 0.169.0`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A codex release version: `major.minor.patch` with an optional pre-release tag.
///
/// Ordering follows semantic versioning: a pre-release sorts before its release
/// (`0.170.0-alpha.2 < 0.170.0`), and pre-release tags compare field by field, numeric fields
/// numerically. Build metadata (`+…`) is ignored when parsing.
///
/// ```
/// use codex_agent_exec::Version;
///
/// let v: Version = "codex-cli 0.169.0".parse().expect("a codex version line");
/// assert_eq!(v, Version::new(0, 169, 0));
/// assert!(v >= Version::new(0, 163, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
    /// The patch version.
    pub patch: u64,
    /// The pre-release tag without its leading `-` (`alpha.2`), if any.
    pub pre: Option<String>,
}

impl Version {
    /// A release version without pre-release tag.
    #[must_use]
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    /// Parses the output of `codex --version`: the first token of the first non-empty line
    /// that reads as a version (`codex-cli 0.169.0` → `0.169.0`).
    pub(crate) fn from_version_output(output: &str) -> Option<Self> {
        output
            .lines()
            .flat_map(str::split_whitespace)
            .find_map(|token| parse_version(token.strip_prefix('v').unwrap_or(token)))
    }
}

/// The error of [`Version::from_str`]: the text is not a `codex --version` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseVersionError(());

impl fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a codex version (expected `major.minor.patch`)")
    }
}

impl std::error::Error for ParseVersionError {}

impl FromStr for Version {
    type Err = ParseVersionError;

    /// Accepts a bare version (`0.169.0`, `0.170.0-alpha.2`) or a whole `codex --version`
    /// line (`codex-cli 0.169.0`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_version_output(s).ok_or(ParseVersionError(()))
    }
}

fn parse_version(token: &str) -> Option<Version> {
    let token = token
        .split_once('+')
        .map_or(token, |(version, _build)| version);
    let (core, pre) = match token.split_once('-') {
        Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_owned())),
        Some(_) => return None,
        None => (token, None),
    };
    let mut parts = core.split('.');
    let mut number = || -> Option<u64> {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (major, minor, patch) = (number()?, number()?, number()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Version {
        major,
        minor,
        patch,
        pre,
    })
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => compare_pre(a, b),
            })
    }
}

/// Semantic-versioning precedence of two pre-release tags.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ordering = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn v(s: &str) -> Version {
        s.parse().expect("valid version")
    }

    #[test]
    fn parses_codex_version_output() {
        assert_eq!(v("codex-cli 0.169.0\n"), Version::new(0, 169, 0));
        assert_eq!(v("0.169.0"), Version::new(0, 169, 0));
        assert_eq!(v("codex-cli v1.2.3+build.7"), Version::new(1, 2, 3));
        assert_eq!(
            v("codex-cli 0.170.0-alpha.2"),
            Version {
                pre: Some("alpha.2".to_owned()),
                ..Version::new(0, 170, 0)
            }
        );
        assert_eq!(
            v("WARNING: something\ncodex-cli 0.169.0"),
            Version::new(0, 169, 0)
        );
        for bad in [
            "",
            "codex-cli",
            "codex-cli 0.169",
            "1.2.3.4",
            "1.x.3",
            "1.2.3-",
            "-1.2.3",
        ] {
            assert_eq!(
                bad.parse::<Version>(),
                Err(ParseVersionError(())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn orders_by_semver_precedence() {
        let ordered = [
            "0.9.9",
            "0.163.0",
            "0.169.0-alpha",
            "0.169.0-alpha.1",
            "0.169.0-alpha.2",
            "0.169.0-alpha.10",
            "0.169.0-alpha.beta",
            "0.169.0-beta",
            "0.169.0-rc.1",
            "0.169.0",
            "0.169.1",
            "0.170.0",
            "1.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("0.169.0-alpha.1").to_string(), "0.169.0-alpha.1");
    }
}
