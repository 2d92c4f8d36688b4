//! The session endpoint as an axum handler: identity in, dashboard session out.
//!
//! Rust hosts mount it on their own router with their own [`IdentityProvider`] (their session
//! instead of a JWT):
//!
//! ```no_run
//! use axum::{Router, http::request::Parts};
//! use clap::Parser;
//! use referrer_dashboard_server::config::Config;
//! use referrer_dashboard_server::error::Error;
//! use referrer_dashboard_server::identity::{Identity, IdentityProvider};
//! use referrer_dashboard_server::{Overrides, api, backend};
//!
//! /// Reads the user from the host's own session (a header set by its auth middleware here).
//! struct FromMySession;
//!
//! impl IdentityProvider for FromMySession {
//!     async fn identify(&self, parts: &Parts) -> Result<Identity, Error> {
//!         let user = parts.headers.get("x-user-id").and_then(|v| v.to_str().ok())
//!             .ok_or(Error::Unauthenticated("not signed in"))?;
//!         Ok(Identity { subject: user.to_owned(), email: format!("{user}@example.com"), name: None })
//!     }
//! }
//!
//! # async fn host() -> Result<(), Box<dyn std::error::Error>> {
//! // REFERRAL_FACTORY_API_KEY, _CAMPAIGN_ID, DASHBOARD_DB, ... from the environment.
//! let config = Config::parse();
//! let dashboard = backend(&config, Overrides::default()).await?.dashboard;
//! let app: Router = Router::new()
//!     // ... the host's own routes ...
//!     .merge(api::router(dashboard, FromMySession));
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

use crate::dashboard::Dashboard;
use crate::error::Error;
use crate::identity::IdentityProvider;

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
pub fn router<I: IdentityProvider>(dashboard: Arc<Dashboard>, identity: I) -> Router {
    Router::new().route(ENDPOINT_PATH, endpoint(dashboard, identity))
}

/// `GET` handler for the session endpoint (SPEC §5), to mount at any path.
pub fn endpoint<I: IdentityProvider>(dashboard: Arc<Dashboard>, identity: I) -> MethodRouter {
    let identity = Arc::new(identity);
    get(move |parts: Parts, Query(query): Query<SessionQuery>| {
        let (dashboard, identity) = (dashboard.clone(), identity.clone());
        async move {
            match tokio::time::timeout(DEADLINE, serve(&dashboard, &*identity, &parts, query)).await
            {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => error.into_response(),
                Err(_) => Error::Timeout.into_response(),
            }
        }
    })
}

async fn serve<I: IdentityProvider>(
    dashboard: &Dashboard,
    identity: &I,
    parts: &Parts,
    query: SessionQuery,
) -> Result<Response, Error> {
    let who = identity.identify(parts).await?;
    let body = match query.cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => dashboard.page(&who, &cursor).await?,
        None => dashboard.session(&who).await?,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
