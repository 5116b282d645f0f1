//! `/images/{hash}-{width}.{webp|jpg|png}`: a poster's derivatives, under
//! names that change when the source does, so browsers keep each one for a
//! year. A derivative the background has not made yet is made on this
//! request (once per source, however many ask at the same time).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::cache::CachePolicy;
use super::error::AppError;
use crate::db;
use crate::images::{self, DerivativeName};

/// `GET /images/{name}`: the derivative `name`, or a 404 for any name that
/// is not one of a current source's (the name is parsed strictly, so it
/// never reaches the file system as a path).
pub(crate) async fn derivative(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let name = DerivativeName::parse(&name).ok_or(AppError::NotFound)?;
    let row = db::images::by_hash(&state.db, &name.hash)
        .await?
        .ok_or(AppError::NotFound)?;
    let (source, facts) = state.imaging.source_of(&row).ok_or(AppError::NotFound)?;
    if !images::names(&facts).any(|candidate| candidate == name) {
        return Err(AppError::NotFound);
    }
    let bytes = match state
        .imaging
        .derivatives()
        .get(&name, &source, &facts)
        .await
    {
        Ok(bytes) => bytes,
        Err(error) => {
            // The source changed or broke since the facts were stored: the
            // next sync (or the worker) records it; this name is gone.
            tracing::warn!(review = %row.review_path, "image derivative: {error}");
            return Err(AppError::NotFound);
        }
    };
    let content_type = HeaderValue::from_static(name.format.mime());
    Ok((
        CachePolicy::Immutable,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response())
}
