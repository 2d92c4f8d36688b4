//! The open-file limit: every connection holds a descriptor, and many systems start a process
//! with a soft limit of 1,024, so a thousand idle sockets would stop the accept loop (and
//! `/healthz` with it). The binary raises the soft limit to the hard one at start.

/// Raises this process's soft `RLIMIT_NOFILE` as far as the hard limit allows; the limit now in
/// force, or `None` where it cannot be read or raised.
pub fn raise() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}
