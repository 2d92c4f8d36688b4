//! `GET /healthz`: liveness, and what this instance depends on, in one small JSON body.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::dashboard::SessionBuilder;

/// 200 `{"status": "ok", ...}` with the mode, the store and how the platform has treated us; or
/// 503 `{"status": "degraded", "reason": ...}` while the shared state (Redis) is unreachable.
/// Asks the backing each time, so it also sees it come back.
pub async fn healthz(sessions: Arc<SessionBuilder>, mode: &'static str) -> Response {
    let mut body = json!({
        "status": "ok",
        "mode": mode,
        "store": sessions.store_engine(),
        "upstream": sessions.upstream_health(),
    });
    if let Some(pause) = sessions.budget_pause().await {
        // Asked of the shared log: every instance says the same.
        body["budget"] = json!({
            "paused_for_secs": crate::retry_after::secs(pause.left),
            "reason": if pause.lost { crate::budget::LOST } else { "the platform answered 429" },
        });
    }
    let mut status = StatusCode::OK;
    match sessions.backing().check().await {
        None => {}
        Some(Ok(())) => body["shared"] = json!({"redis": "reachable"}),
        Some(Err(why)) => {
            status = StatusCode::SERVICE_UNAVAILABLE;
            body["status"] = "degraded".into();
            body["reason"] = format!(
                "{why}; answering from this instance's copies (stale) and refusing new upstream calls"
            )
            .into();
            body["shared"] = json!({"redis": "unreachable"});
        }
    }
    (status, axum::Json(body)).into_response()
}
