//! The web layer's one error type, and how it becomes a response.
//!
//! Policy: handlers return `Result<_, AppError>`. A reader's mistake (an
//! unknown slug, a malformed parameter) is a 4xx with a page in the site's
//! layout. Anything else is a 500 whose cause is logged here and never shown:
//! the client sees a plain apology, not a database message or a backtrace.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("feed error: {0}")]
    Feed(String),
}

/// Carried by an error response so that the error-page layer, which has the
/// app state, can render it in the site's layout.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage {
    pub status: StatusCode,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Db(_) | AppError::Template(_) | AppError::Feed(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
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
