//! The Referral Factory master key: a newtype that prints as `***`, so it cannot reach a log,
//! an error message or a response.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderValue;

use super::UpstreamError;

/// The Referral Factory master key. Prints as `***` so it cannot reach a log or message.
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// Wraps the key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(Arc::from(key.into()))
    }

    pub(super) fn header(&self) -> Result<HeaderValue, UpstreamError> {
        let mut value = HeaderValue::try_from(["Bearer ", &self.0].concat())
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
}
