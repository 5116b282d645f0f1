//! Operational endpoints: `/healthz` for load balancers, and the editor's
//! status page listing every current content error.
//!
//! The status page is off unless a token is configured, and answers only a
//! request that carries it (`Authorization: Bearer <token>`, the scheme in
//! any case, or `?token=<token>`), compared in constant time. Anything else,
//! a query that does not parse included, gets the 404 of an unknown path.
//! We never trust the client address: behind a reverse proxy every request
//! comes from loopback.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::cache::CachePolicy;
use super::error::AppError;
use super::layout::Chrome;
use super::respond::Page;
use crate::content::error::ContentError;
use crate::db;
use crate::db::reviews::HiddenRow;
use crate::publish::health::SyncProblem;
use crate::render::filters;

/// `GET /healthz`: the process is up and the database answers.
pub(crate) async fn healthz(State(state): State<AppState>) -> Result<Response, AppError> {
    sqlx::query("SELECT 1").execute(&state.db).await?;
    Ok((CachePolicy::NoStore, "ok\n").into_response())
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    chrome: Chrome,
    errors: Vec<ContentError>,
    hidden: Vec<HiddenRow>,
    now: time::OffsetDateTime,
    preview: bool,
    /// Why nothing new is published, while syncs fail.
    problem: Option<SyncProblem>,
}

/// `GET /status`: for editors only.
pub(crate) async fn status(
    State(state): State<AppState>,
    query: Result<Query<TokenQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let from_query = query.ok().and_then(|Query(query)| query.token);
    if !authorized(&state, &headers, from_query.as_deref()) {
        return Err(AppError::NotFound);
    }
    let mut tx = state.db.begin().await?;
    let errors = db::sources::errors(&mut *tx).await?;
    let hidden = db::reviews::hidden(&mut *tx, state.clock.now()).await?;
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        "/status",
        Some("Content status"),
        "Content errors and unpublished reviews.",
    )
    .await?;
    chrome.noindex = true;
    let page = StatusPage {
        chrome,
        errors,
        hidden,
        now: state.clock.now(),
        preview: state.options.drafts,
        problem: state.health.problem(),
    };
    Ok((
        [(
            header::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex"),
        )],
        Page::new(page).policy(CachePolicy::NoStore),
    )
        .into_response())
}

/// Whether a request carries the status token (`Authorization: Bearer`, or
/// `from_query` where the route takes `?token=`). Without a configured
/// token nobody is.
pub(crate) fn authorized(state: &AppState, headers: &HeaderMap, from_query: Option<&str>) -> bool {
    let Some(expected) = state.options.status_token.as_deref() else {
        return false;
    };
    let given = bearer_token(headers).or(from_query);
    given.is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
}

/// The token of `Authorization: Bearer <token>`. The scheme is compared
/// without regard to case, as RFC 9110 §11.1 has it, so `bearer` works too.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Compares secrets without an early exit (`subtle`), so response timing
/// does not reveal how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn compares_tokens() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
