//! The one way a handler answers with a page or a document, as the axum
//! `templates` example has it: the handler says what to render, when it last
//! changed and how long it may be kept; rendering, `Last-Modified` and
//! `Cache-Control` are written here, once, instead of the same lines in
//! every handler.

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

use super::cache::{CachePolicy, Shows};
use super::error::AppError;
use crate::db::changes::SurrogateKey;

/// An HTML page from a template.
pub(crate) struct Page<T> {
    template: T,
    modified: Option<OffsetDateTime>,
    policy: Option<CachePolicy>,
    shows: Option<Shows>,
}

impl<T: Template> Page<T> {
    pub(crate) fn new(template: T) -> Self {
        Self {
            template,
            modified: None,
            policy: None,
            shows: None,
        }
    }

    /// What the page shows that a change may touch, beyond the site
    /// (`db::changes`): the page cache keeps it through other changes.
    /// Without this, any change to the catalog drops it.
    pub(crate) fn shows(mut self, keys: impl IntoIterator<Item = SurrogateKey>) -> Self {
        self.shows = Some(Shows(keys.into_iter().collect()));
        self
    }

    /// When what the page shows last changed: its `Last-Modified`, which
    /// the page cache turns into 304s.
    pub(crate) fn modified(mut self, at: OffsetDateTime) -> Self {
        self.modified = Some(at);
        self
    }

    /// How long it may be kept; without one, the page cache's default for
    /// pages applies.
    pub(crate) fn policy(mut self, policy: CachePolicy) -> Self {
        self.policy = Some(policy);
        self
    }
}

impl<T: Template> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        let html = match self.template.render() {
            Ok(html) => html,
            Err(error) => return AppError::from(error).into_response(),
        };
        let mut response = Html(html).into_response();
        if let Some(policy) = self.policy {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, policy.into());
        }
        if let Some(at) = self.modified {
            set_last_modified(&mut response, at);
        }
        if let Some(shows) = self.shows {
            response.extensions_mut().insert(shows);
        }
        response
    }
}

/// A generated document (a feed, the sitemap, robots.txt, a calendar): its
/// type, its bytes, its caching policy and when it last changed.
pub(crate) struct Document {
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) policy: CachePolicy,
    pub(crate) modified: Option<OffsetDateTime>,
}

impl IntoResponse for Document {
    fn into_response(self) -> Response {
        let mut response = (
            self.policy,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            )],
            self.body,
        )
            .into_response();
        if let Some(at) = self.modified {
            set_last_modified(&mut response, at);
        }
        response
    }
}

/// Sets `Last-Modified`. A moment later than now is lowered to now by the
/// layer that guards every response (`cache::conditional`).
pub(crate) fn set_last_modified(response: &mut Response, at: OffsetDateTime) {
    let time = std::time::SystemTime::from(at);
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(time)) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
}
