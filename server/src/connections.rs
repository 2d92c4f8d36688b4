//! The caps on open connections (SPEC §6 "a connection limit"): one for the whole process and
//! one per client address, counted by the accept loop ([`crate::accept`]).
//!
//! Every connection holds a file descriptor and a read buffer for as long as it is open, and an
//! idle one costs its client nothing. Without a cap, one client opening a thousand idle sockets
//! took the process to its open-file limit: accepts failed, and `/healthz` stopped answering
//! for everyone. Now:
//! - over the **per-address** cap a connection is accepted and closed at once, so one address
//!   cannot take the room of everyone else: another client's `/healthz` still answers;
//! - at the **global** cap, which stays below the open-file limit so the process keeps
//!   descriptors for its database, Redis and the platform and never fails an accept, the accept
//!   loop closes the oldest idle connection to make room ([`crate::accept`]), so many addresses
//!   holding idle sockets cannot shut a new client out either; only when every connection has a
//!   request in flight is the new one closed at once.
//!
//! Closing at once rather than leaving the connection in the kernel's backlog until a slot
//! frees: a client (or a load balancer) learns straight away that this instance is full and can
//! go elsewhere, instead of waiting behind a queue of idle sockets it cannot see.
//!
//! The address is the TCP peer's. Behind a reverse proxy every connection comes from the proxy,
//! so peers listed in `DASHBOARD_TRUSTED_PROXIES` are not capped per address (the proxy caps its
//! own clients); the global cap still holds for them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::client_addr::TrustedProxies;

/// The default global cap. Eight times the requests handled at once
/// ([`crate::MAX_CONCURRENT_REQUESTS`]), because keep-alive connections mostly sit idle between
/// requests; at the [`crate::accept::MAX_READ_BUFFER`] of 32 KB each, at most 128 MB of read
/// buffers. Lowered at start to what the open-file limit leaves ([`crate::nofile::room`]).
pub const MAX_CONNECTIONS: usize = 4096;

/// The default cap per client address. A browser opens at most 6 connections to a host, and an
/// office or a carrier's NAT puts many users behind one address: 256 leaves room for them, while
/// one address can hold at most a sixteenth of the global cap.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

/// Why a connection was closed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The process holds its global cap of connections.
    Total,
    /// The client's address holds its cap.
    PerAddress,
}

/// The open connections, counted against the caps. Cheap to clone: clones share the counts.
#[derive(Debug, Clone)]
pub struct Connections {
    max: usize,
    per_address: usize,
    exempt: TrustedProxies,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

impl Connections {
    /// At most `max` connections in all and `per_address` from any one peer (0: no cap per
    /// address); peers in `exempt` are capped only by `max`.
    pub fn new(max: usize, per_address: usize, exempt: TrustedProxies) -> Self {
        Self {
            max,
            per_address,
            exempt,
            counts: Arc::default(),
        }
    }

    /// Counts a new connection from `peer`: a [`Slot`] that holds its place until dropped (when
    /// the connection ends), or why it must be closed.
    ///
    /// # Errors
    /// [`Refused`] when a cap is reached; nothing is counted then.
    pub fn admit(&self, peer: IpAddr) -> Result<Slot, Refused> {
        // An IPv4 client of a dual-stack listener arrives as ::ffff:a.b.c.d; one client, one
        // count.
        let peer = peer.to_canonical();
        let capped = self.per_address > 0 && !self.exempt.trusts(peer);
        let mut counts = self.lock();
        if counts.total >= self.max {
            return Err(Refused::Total);
        }
        if capped {
            let held = counts.by_address.get(&peer).copied().unwrap_or(0);
            if held >= self.per_address {
                return Err(Refused::PerAddress);
            }
        }
        counts.total += 1;
        *counts.by_address.entry(peer).or_insert(0) += 1;
        drop(counts);
        Ok(Slot {
            peer,
            counts: self.counts.clone(),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// Connections open now from `peer`.
    pub fn open_from(&self, peer: IpAddr) -> usize {
        let peer = peer.to_canonical();
        self.lock().by_address.get(&peer).copied().unwrap_or(0)
    }

    /// The global cap.
    pub fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        lock(&self.counts)
    }
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // The counts are updated in one step each: a panic elsewhere leaves them consistent.
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One open connection's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    peer: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.by_address.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                // No entry per address that ever connected: the map holds open peers only.
                counts.by_address.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_address_is_capped_and_another_still_gets_in() {
        let connections = Connections::new(10, 2, TrustedProxies::default());
        let first = connections.admit(ip("10.0.0.1"));
        let second = connections.admit(ip("10.0.0.1"));
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(
            connections.admit(ip("10.0.0.1")).err(),
            Some(Refused::PerAddress)
        );
        assert!(connections.admit(ip("10.0.0.2")).is_ok());
    }

    #[test]
    fn a_closed_connection_gives_its_place_back() {
        let connections = Connections::new(10, 1, TrustedProxies::default());
        let held = connections.admit(ip("10.0.0.1"));
        assert!(held.is_ok());
        assert!(connections.admit(ip("10.0.0.1")).is_err());
        drop(held);
        assert_eq!(connections.open(), 0);
        assert!(connections.admit(ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn the_global_cap_holds_across_addresses() {
        let connections = Connections::new(3, 2, TrustedProxies::default());
        let held: Vec<_> = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
            .iter()
            .map(|a| connections.admit(ip(a)))
            .collect();
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(
            connections.admit(ip("10.0.0.4")).err(),
            Some(Refused::Total)
        );
        assert_eq!(connections.open(), 3);
    }

    #[test]
    fn zero_per_address_means_no_cap_per_address() {
        let connections = Connections::new(100, 0, TrustedProxies::default());
        let held: Vec<_> = (0..100)
            .map(|_| connections.admit(ip("10.0.0.1")))
            .collect();
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(
            connections.admit(ip("10.0.0.1")).err(),
            Some(Refused::Total)
        );
    }

    #[test]
    fn a_trusted_proxy_is_capped_only_globally() {
        let proxies = TrustedProxies::new(["10.0.0.7".parse().unwrap()]);
        let connections = Connections::new(5, 1, proxies);
        let held: Vec<_> = (0..5).map(|_| connections.admit(ip("10.0.0.7"))).collect();
        assert!(held.iter().all(Result::is_ok));
        assert_eq!(
            connections.admit(ip("10.0.0.7")).err(),
            Some(Refused::Total)
        );
    }

    #[test]
    fn an_ipv4_client_counts_the_same_through_a_dual_stack_listener() {
        let connections = Connections::new(10, 1, TrustedProxies::default());
        let held = connections.admit(ip("192.0.2.1"));
        assert!(held.is_ok());
        assert_eq!(
            connections.admit(ip("::ffff:192.0.2.1")).err(),
            Some(Refused::PerAddress)
        );
        assert_eq!(connections.open_from(ip("::ffff:192.0.2.1")), 1);
    }
}
