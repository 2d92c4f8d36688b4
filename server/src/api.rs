//! The session endpoint as an axum handler: identity in, dashboard session out.
//!
//! Rust hosts mount it on their own router with their own [`IdentityProvider`]:
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, http::request::Parts};
//! use referrer_dashboard_server::{api, dashboard::Dashboard, error::Error, identity::{Identity, IdentityProvider}};
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
//! fn routes(dashboard: Arc<Dashboard>) -> Router {
//!     Router::new().route("/api/referral-dashboard", api::endpoint(dashboard, FromMySession))
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::Query;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde::Deserialize;

use crate::dashboard::Dashboard;
use crate::error::Error;
use crate::identity::IdentityProvider;

/// The most a session request may take: under the widget's own 15 s timeout, so the widget
/// hears our error instead of timing out blind.
pub const DEADLINE: Duration = Duration::from_secs(13);

#[derive(Deserialize)]
struct SessionQuery {
    cursor: Option<String>,
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
