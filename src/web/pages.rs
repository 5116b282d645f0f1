//! Standalone pages (`content/pages/<slug>.md`) at `/{slug}`, and the 404
//! page for everything no route claims.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, Section};
use super::respond::Page;
use super::{modified, urls};
use crate::db;
#[expect(
    unused_imports,
    reason = "askama resolves template filters through a `filters` module in scope"
)]
use crate::render::filters;

#[derive(Template)]
#[template(path = "pages/show.html")]
struct StandalonePage {
    chrome: Chrome,
    title: String,
    body_html: String,
    draft: bool,
}

/// `GET /{slug}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let page = db::pages::by_slug(&mut *tx, &slug, state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    let path = urls::page(&page.slug);
    let mut chrome =
        Chrome::new(&state, &mut tx, &path, Some(&page.title), &page.description).await?;
    chrome.section = Section::Page;
    chrome.noindex = page.draft;
    let modified_at = page
        .modified
        .max(modified::layout(&mut tx, &state.options.content_dir).await?);
    let view = StandalonePage {
        chrome,
        title: page.title,
        body_html: page.body_html,
        draft: page.draft,
    };
    // A standalone page shows itself and the site: no review's change
    // touches it.
    Ok(Page::new(view)
        .modified(modified_at)
        .shows([])
        .into_response())
}

/// Any path no route claims.
pub(crate) async fn not_found() -> AppError {
    AppError::NotFound
}
