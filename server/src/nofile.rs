//! The open-file limit: every connection holds a descriptor, and many systems start a process
//! with a soft limit of 1,024, so a thousand idle sockets would stop the accept loop (and
//! `/healthz` with it). The binary raises the soft limit to the hard one at start, and the
//! accept loop keeps its connections [`room`] below whatever limit is in force.

/// Raises this process's soft `RLIMIT_NOFILE` as far as the hard limit allows; the limit now in
/// force, or `None` where it cannot be read or raised.
pub fn raise() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// This process's soft `RLIMIT_NOFILE` (the one that fails an `accept`), or `None` where it
/// cannot be read.
pub fn current() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Descriptors kept back from client connections: the database, Redis, the platform's
/// connections (and in sandbox mode the sandbox's side of them), log files, the listener. A
/// quarter of the limit, at most 256: the database pool, Redis and a few dozen upstream
/// connections need far fewer.
pub fn headroom(limit: u64) -> u64 {
    (limit / 4).min(256)
}

/// How many client connections fit under the open-file `limit` with [`headroom`] to spare.
pub fn room(limit: u64) -> usize {
    usize::try_from(limit.saturating_sub(headroom(limit))).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_soft_limit_leaves_768_connections() {
        assert_eq!(room(1024), 768);
    }

    #[test]
    fn a_small_limit_keeps_a_quarter_back() {
        assert_eq!(room(256), 192);
        assert_eq!(room(0), 0);
    }

    #[test]
    fn a_large_limit_keeps_256_back() {
        assert_eq!(room(1 << 20), (1 << 20) - 256);
    }
}
