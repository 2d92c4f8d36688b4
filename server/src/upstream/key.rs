//! The Referral Factory master key: a newtype that prints as `***`, so it cannot reach a log,
//! an error message or a response.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use reqwest::header::HeaderValue;

use super::UpstreamError;

/// The Referral Factory master key. Prints as `***` so it cannot reach a log or message.
/// Clones share it: [`ApiKey::replace`] on one (a rotated key file read again) changes the key
/// every clone sends from the next call on.
#[derive(Clone)]
pub struct ApiKey(Arc<RwLock<Arc<str>>>);

impl ApiKey {
    /// Wraps the key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(Arc::new(RwLock::new(Arc::from(key.into()))))
    }

    /// Sends `key` from now on; whether it differs from the key sent until now.
    pub fn replace(&self, key: impl Into<String>) -> bool {
        let key: Arc<str> = Arc::from(key.into());
        let mut current = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let changed = *current != key;
        *current = key;
        changed
    }

    pub(super) fn header(&self) -> Result<HeaderValue, UpstreamError> {
        let key = self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut value = HeaderValue::try_from(["Bearer ", &key].concat())
            .map_err(|_| UpstreamError::Unauthorized)?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new("rf_live_SECRET");
        assert_eq!(format!("{key} {key:?}"), "*** ***");
    }

    #[test]
    fn a_replaced_key_is_sent_by_every_clone() {
        let key = ApiKey::new("rf_old");
        let clone = key.clone();
        assert!(!key.replace("rf_old"));
        assert!(key.replace("rf_new"));
        assert_eq!(clone.header().unwrap(), "Bearer rf_new");
    }
}
