//! The seam between one process and several instances.
//!
//! Four facilities hold state that several instances behind a load balancer must share: the
//! upstream budget's sliding log of calls ([`crate::budget::CallLog`]), the keyed rate limits
//! ([`crate::limit::LimitStore`]), the caches ([`crate::cache::CacheStore`]) and their
//! invalidation ([`crate::cache::Invalidation`]). Each is a trait with two implementations, one
//! in this process and one in Redis ([`crate::shared`]), chosen once where the application is
//! built ([`crate::backing::Backing`]); the code that uses a facility never asks which it has.
//!
//! This module holds what the traits have in common: the one way a backing fails, and the boxed
//! future their methods return (boxed so that a backing can be chosen at run time). A leaf.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a facility's method returns: a boxed future, so `dyn` backings can be chosen at run time.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A facility's backing could not be used (Redis unreachable, timed out, or answering errors);
/// the message is the client's, never a URL or a password. The in-process backings never fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Redis is unreachable: {0}")]
pub struct Unavailable(pub Arc<str>);
