//! The web layer's one error type, and how it becomes a response.
//!
//! Policy: handlers return `Result<_, AppError>`. A reader's mistake (an
//! unknown slug, a malformed parameter) is a 4xx with a page in the site's
//! layout. Anything else is a 500 whose cause is logged here and never shown:
//! the client sees a plain apology, not a database message or a backtrace.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::cache::CachePolicy;
use super::layout::Chrome;
use super::metrics::RenderedFor;
use super::{AppState, heads};

/// What a handler can fail with. Only `NotFound` is the reader's doing;
/// the others are ours, and become a 500 whose cause goes to the log.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// No such review, page, tag or file, or an address no page has (a
    /// malformed page number, a year out of range): a 404.
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    /// A feed or the sitemap could not be written.
    #[error("feed error: {0}")]
    Feed(String),
    /// The metrics could not be written out.
    #[error("metrics error: {0}")]
    Metrics(#[from] std::fmt::Error),
    /// A share card could not be drawn.
    #[error("share card: {0}")]
    Card(#[from] crate::cards::CardError),
}

/// Carried by an error response so that the error-page layer, which has the
/// app state, can render it in the site's layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorPage {
    pub(crate) status: StatusCode,
}

impl AppError {
    /// The status the client gets; nothing else about the error reaches it.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Db(_)
            | AppError::Template(_)
            | AppError::Feed(_)
            | AppError::Metrics(_)
            | AppError::Card(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage { status });
        response
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView {
    chrome: Chrome,
    status: u16,
    heading: &'static str,
    message: &'static str,
}

impl ErrorView {
    fn text_for(status: axum::http::StatusCode) -> (&'static str, &'static str) {
        match status.as_u16() {
            404 => (
                "Page not found",
                "There is no review or page at this address. It may have moved, or the link may be mistyped.",
            ),
            400 => (
                "Bad request",
                "The address or form could not be understood.",
            ),
            405 => (
                "Method not allowed",
                "This address cannot be used that way.",
            ),
            414 | 431 => (
                "Request too large",
                "The address or the request headers are longer than this site accepts.",
            ),
            416 => (
                "Range not satisfiable",
                "The part of the file asked for is not in it.",
            ),
            429 => (
                "Too many searches",
                "The site is busy answering other searches. Please try again in a moment.",
            ),
            s if s >= 500 => (
                "Something went wrong",
                "The page could not be shown just now. Please try again in a moment.",
            ),
            _ => ("Request not handled", "This request could not be handled."),
        }
    }
}

/// Turns the bare error responses of `AppError`, and the plain-text ones
/// axum gives for a request it cannot route or parse (a 405, a path that is
/// not UTF-8), into pages in the site's layout; and answers the stand-in
/// for a request head hyper would have refused (see `heads`) with its page
/// without running the route. The menu is read if the database allows; an
/// error page must render even when the database is what failed.
pub(super) async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(heads::RefusedHead(status)) = request.extensions().get().copied() {
        return error_page(&state, "/", status).await;
    }
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let Some(status) = error_page_status(&response) else {
        return response;
    };
    let mut page = error_page(&state, &path, status).await;
    // A 405 must still say which methods the address takes, and a 416 how
    // long the file is.
    for name in [header::ALLOW, header::CONTENT_RANGE] {
        if let Some(value) = response.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    // `/metrics` counts the error by the route it happened on.
    if let Some(route) = response.extensions().get::<RenderedFor>() {
        page.extensions_mut().insert(route.clone());
    }
    page
}

/// The error page for `status`, never cached.
async fn error_page(state: &AppState, path: &str, status: StatusCode) -> Response {
    let menu = crate::db::pages::menu(&state.db).await.unwrap_or_default();
    let (heading, message) = ErrorView::text_for(status);
    let mut chrome = Chrome::with_menu(state, state.site.get(), menu, path, Some(heading), message);
    chrome.noindex = true;
    let view = ErrorView {
        chrome,
        status: status.as_u16(),
        heading,
        message,
    };
    let mut page = match view.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot render the error page");
            (status, heading).into_response()
        }
    };
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from(CachePolicy::NoStore),
    );
    page
}

/// The status to render a page for, if the response is a bare error.
fn error_page_status(response: &Response) -> Option<StatusCode> {
    if let Some(ErrorPage { status }) = response.extensions().get::<ErrorPage>() {
        return Some(*status);
    }
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    (status.is_client_error() || status.is_server_error())
        .then_some(status)
        .filter(|_| !is_html)
}
