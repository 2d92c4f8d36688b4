//! Secrets that rotate without a restart: the key file (`REFERRAL_FACTORY_API_KEY_FILE`) read
//! again on SIGHUP, the new key sent from the next upstream call on. (The previous JWT secret,
//! `DASHBOARD_JWT_SECRET_PREVIOUS`, is accepted beside the current one: see
//! [`crate::identity::JwtIdentity::also_accepting`].)

use crate::config::Config;
use crate::upstream::ApiKey;

/// Reads the key file `config` names again into `key`, and logs which key is in effect. A file
/// that cannot be read or is empty leaves the key as it was (and says so).
pub fn reload_key(config: &Config, key: &ApiKey) {
    let Some(path) = &config.api_key_file else {
        tracing::warn!(
            "SIGHUP: no REFERRAL_FACTORY_API_KEY_FILE to read again; the key is unchanged"
        );
        return;
    };
    match config.api_key() {
        Ok(Some(new)) if key.replace(new.as_str()) => tracing::info!(
            file = %path.display(),
            "SIGHUP: the key file was read again; its new key is used from the next upstream call"
        ),
        Ok(_) => {
            tracing::info!(file = %path.display(), "SIGHUP: the key file was read again; the key is unchanged")
        }
        Err(error) => {
            tracing::error!(%error, "SIGHUP: the key file could not be read again; the key in use is kept")
        }
    }
}

/// Reads the key file again each time the process gets SIGHUP, for as long as it runs.
#[cfg(unix)]
pub fn reload_key_on_sighup(config: Config, key: ApiKey) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("SIGHUP cannot be received; a rotated key file needs a restart");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            reload_key(&config, &key);
        }
    });
}
