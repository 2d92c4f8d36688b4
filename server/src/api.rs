//! The session endpoint as an axum handler: identity in, dashboard session out.
//!
//! Rust hosts mount it on their own router with their own [`IdentityProvider`]: their own
//! session instead of a JWT. The identity must come from something the host itself issued and
//! checks (its session cookie looked up in its session store, here), never from a header or a
//! query parameter the browser sends as it likes: anyone can send `x-user-id: 42`.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use std::sync::{Arc, RwLock};
//!
//! use axum::{Router, http::header::COOKIE, http::request::Parts};
//! use clap::Parser;
//! use referrer_dashboard_server::config::Config;
//! use referrer_dashboard_server::error::Error;
//! use referrer_dashboard_server::identity::{Identity, IdentityProvider};
//! use referrer_dashboard_server::{Overrides, api, backend};
//!
//! /// A signed-in user as the host knows them.
//! struct User { id: u64, email: String, email_verified: bool, name: String }
//!
//! /// The host's own sessions: signed-in users by session id (its database or Redis in
//! /// production; a map here).
//! #[derive(Clone, Default)]
//! struct Sessions(Arc<RwLock<HashMap<String, User>>>);
//!
//! /// The user behind the host's `sid` session cookie.
//! struct FromMySession(Sessions);
//!
//! impl IdentityProvider for FromMySession {
//!     async fn identify(&self, parts: &Parts) -> Result<Identity, Error> {
//!         let sid = parts.headers.get_all(COOKIE).iter()
//!             .filter_map(|v| v.to_str().ok())
//!             .flat_map(|v| v.split(';'))
//!             .find_map(|c| c.trim().strip_prefix("sid="))
//!             .ok_or(Error::Unauthenticated("not signed in"))?;
//!         let sessions = self.0.0.read().map_err(|_| Error::Unauthenticated("no session store"))?;
//!         let user = sessions.get(sid).ok_or(Error::Unauthenticated("the session has ended"))?;
//!         Ok(Identity {
//!             subject: user.id.to_string(),
//!             email: user.email.clone(),
//!             name: Some(user.name.clone()),
//!             // Only what the host has verified: an unverified email cannot claim an
//!             // existing referral account (SPEC §6).
//!             email_verified: user.email_verified,
//!         })
//!     }
//! }
//!
//! # async fn host() -> Result<(), Box<dyn std::error::Error>> {
//! // REFERRAL_FACTORY_API_KEY, _CAMPAIGN_ID, DASHBOARD_DB, ... from the environment.
//! let config = Config::parse();
//! let sessions = Sessions::default();
//! let builder = backend(&config, Overrides::default()).await?.sessions;
//! let app: Router = Router::new()
//!     // ... the host's own routes, which sign users in and fill `sessions` ...
//!     .merge(api::router(builder, FromMySession(sessions)));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Query;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use serde::Deserialize;

use crate::client_addr::client_address;
use crate::dashboard::SessionBuilder;
use crate::error::Error;
use crate::identity::IdentityProvider;
use crate::limit::{self, Denied, Limiter};

/// The path of the session endpoint in the binary (SPEC §6).
pub const ENDPOINT_PATH: &str = "/api/referral-dashboard";

/// The most a session request may take: under the widget's own 15 s timeout, so the widget
/// hears our error instead of timing out blind.
pub const DEADLINE: Duration = Duration::from_secs(13);

#[derive(Deserialize)]
struct SessionQuery {
    cursor: Option<String>,
}

/// A router with the session endpoint at [`ENDPOINT_PATH`], for a host's own axum app.
pub fn router<I: IdentityProvider>(sessions: Arc<SessionBuilder>, identity: I) -> Router {
    Router::new().route(ENDPOINT_PATH, endpoint(sessions, identity))
}

/// `GET` handler for the session endpoint (SPEC §5), to mount at any path.
///
/// Requests that prove no identity are limited per client address when the server provides it
/// (`into_make_service_with_connect_info`, as [`crate::serve`] does).
pub fn endpoint<I: IdentityProvider>(sessions: Arc<SessionBuilder>, identity: I) -> MethodRouter {
    let identity = Arc::new(identity);
    let strangers = Arc::new(sessions.backing().limiter(limit::unauthenticated()));
    get(move |parts: Parts, Query(query): Query<SessionQuery>| {
        let (sessions, identity, strangers) =
            (sessions.clone(), identity.clone(), strangers.clone());
        async move {
            let served = serve(&sessions, &*identity, &strangers, &parts, query);
            match tokio::time::timeout(DEADLINE, served).await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    crate::telemetry::metrics::session_refused(error.kind());
                    error.into_response()
                }
                Err(_) => {
                    crate::telemetry::metrics::session_refused(Error::Timeout.kind());
                    Error::Timeout.into_response()
                }
            }
        }
    })
}

async fn serve<I: IdentityProvider>(
    sessions: &SessionBuilder,
    identity: &I,
    strangers: &Limiter,
    parts: &Parts,
    query: SessionQuery,
) -> Result<Response, Error> {
    let who = match identity.identify(parts).await {
        Ok(who) => who,
        Err(error) => {
            if let Some(address) = client_address(parts)
                && let Err(Denied::Wait(retry_after)) = strangers.admit(&address.to_string()).await
            {
                return Err(Error::RateLimited { retry_after });
            }
            return Err(error);
        }
    };
    let body = match query.cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => sessions.page(&who, &cursor).await?,
        None => sessions.session(&who).await?,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
