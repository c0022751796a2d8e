//! Which process created an entry of the store, recorded in its name, and whether that process
//! still runs.
//!
//! On Linux a name starts with `<pid>-<start>-<pidns>-`: the pid, the process's start time
//! (field 22 of `/proc/<pid>/stat`, in clock ticks after boot, which tells a reused pid apart)
//! and the inode of its pid namespace. An entry is stale when its creator is dead: no process
//! with that pid, or one with another start time, in the same pid namespace. Age plays no part.
//! Elsewhere names start with `x<pid>-`, which never parses, so nothing is ever swept there.

/// The process that created an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Creator {
    pub(crate) pid: u32,
    /// Start time, in clock ticks after boot.
    pub(crate) start: u64,
    /// Inode of the pid namespace.
    pub(crate) pid_ns: u64,
}

impl Creator {
    /// This process; `None` when `/proc` does not tell (other platforms).
    pub(crate) fn current() -> Option<Self> {
        static CURRENT: std::sync::OnceLock<Option<Creator>> = std::sync::OnceLock::new();
        *CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Some(Self {
                pid,
                start: start_time(pid).ok().flatten()?,
                pid_ns: pid_namespace()?,
            })
        })
    }

    /// `<pid>-<start>-<pidns>-`.
    pub(crate) fn prefix(self) -> String {
        format!("{}-{}-{}-", self.pid, self.start, self.pid_ns)
    }

    /// The creator recorded at the start of `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let mut parts = name.splitn(4, '-');
        let creator = Self {
            pid: parts.next()?.parse().ok()?,
            start: parts.next()?.parse().ok()?,
            pid_ns: parts.next()?.parse().ok()?,
        };
        let rest = parts.next()?;
        (!rest.is_empty()).then_some(creator)
    }

    /// Whether this creator still runs. When `/proc` cannot tell, it counts as running.
    pub(crate) fn is_alive(self) -> bool {
        match start_time(self.pid) {
            Ok(Some(start)) => start == self.start,
            Ok(None) => false,
            Err(_) => true,
        }
    }
}

/// The name prefix of this process's entries.
pub(crate) fn prefix() -> String {
    Creator::current().map_or_else(|| format!("x{}-", std::process::id()), Creator::prefix)
}

/// Whether an entry named `name` was created by a dead process of our pid namespace (never
/// this process).
pub(crate) fn is_dead(name: &str) -> bool {
    let (Some(creator), Some(ours)) = (Creator::parse(name), Creator::current()) else {
        return false;
    };
    creator.pid_ns == ours.pid_ns && creator != ours && !creator.is_alive()
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`); `None` when there is no
/// such process.
fn start_time(pid: u32) -> std::io::Result<Option<u64>> {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    parse_start_time(&stat)
        .map(Some)
        .ok_or_else(|| std::io::Error::other(format!("unexpected /proc/{pid}/stat")))
}

/// Field 22 of a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may
/// hold spaces and parentheses itself: fields 3 on follow the last `)`.
fn parse_start_time(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// The inode of this process's pid namespace (`/proc/self/ns/pid` reads `pid:[<inode>]`).
fn pid_namespace() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    link.to_str()?
        .strip_prefix("pid:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_this_process_is_alive() {
        let ours = Creator::current().expect("/proc tells");
        let name = format!("{}7.part", ours.prefix());
        assert_eq!(Creator::parse(&name), Some(ours));
        assert!(ours.is_alive());
        assert!(!is_dead(&name), "our own entries are never stale");
        let reused = Creator {
            start: ours.start + 1,
            ..ours
        };
        assert!(!reused.is_alive(), "same pid, other start time: dead");
        assert!(is_dead(&format!("{}x", reused.prefix())));
        let other_ns = Creator {
            pid_ns: ours.pid_ns + 1,
            ..reused
        };
        assert!(!is_dead(&format!("{}x", other_ns.prefix())));
        for name in ["x12-a", "1-2-3-", "a-b-c-d", "blob"] {
            assert!(!is_dead(name), "{name}");
        }
    }

    #[test]
    fn start_time_is_field_22_even_with_odd_command_names() {
        let stat = "42 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19";
        assert_eq!(parse_start_time(stat), Some(777));
    }
}
