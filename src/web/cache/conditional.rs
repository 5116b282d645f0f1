//! Conditional requests (RFC 9110 §13): the validators a kept page carries
//! (a weak ETag and its Last-Modified) and the rules that turn a client's
//! `If-None-Match` or `If-Modified-Since` into a 304. Feed readers poll, so
//! most of their requests end here, with no body sent. The static files
//! use the same rules, so these helpers are shared with `assets`.

use std::time::SystemTime;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Response, header};

use super::page::CachedPage;
use crate::clock::Clock;

/// A weak validator: the gzip, brotli and identity forms of a page are the
/// same content, so one weak tag describes all three.
pub(super) fn entity_tag(content_type: &[u8], body: &[u8]) -> HeaderValue {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(content_type);
    hasher.update(body);
    HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.digest()))
        .unwrap_or(HeaderValue::from_static("W/\"0\""))
}

/// RFC 9110 §13.1: If-None-Match (weak comparison) decides when present;
/// If-Modified-Since only when it is absent. The clock is read only then.
pub(super) fn not_modified(page: &CachedPage, request: &HeaderMap, clock: &Clock) -> bool {
    if let Some(if_none_match) = request.get(header::IF_NONE_MATCH) {
        return none_match(if_none_match, page.etag.to_str().unwrap_or_default());
    }
    let Some(modified_at) = page.modified_at else {
        return false;
    };
    if_modified_since(request, clock.now().into()).is_some_and(|since| modified_at <= since)
}

/// Whether an If-None-Match header names `etag` (or is `*`), compared
/// weakly as RFC 9110 §13.1.2 asks for GET and HEAD.
pub(crate) fn none_match(if_none_match: &HeaderValue, etag: &str) -> bool {
    let Ok(tags) = if_none_match.to_str() else {
        return false;
    };
    let ours = weak_tag(etag);
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || weak_tag(tag) == ours)
}

fn weak_tag(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// The request's If-Modified-Since date, unless it is later than `now`:
/// RFC 9110 §13.1.3 has a server ignore such a date, since a validator
/// from the future (a client's bad clock, or a Last-Modified a server once
/// got wrong) would otherwise turn every answer until then into a 304.
pub(crate) fn if_modified_since(request: &HeaderMap, now: SystemTime) -> Option<SystemTime> {
    request
        .get(header::IF_MODIFIED_SINCE)?
        .to_str()
        .ok()
        .and_then(|since| httpdate::parse_http_date(since).ok())
        .filter(|since| *since <= now)
}

/// Keeps every Last-Modified the site sends at or before the clock's now.
/// A review `updated` (or, in preview, `published`) in the future, or a
/// file whose mtime is, would otherwise date a response after its own
/// `Date`, and a client that stores it (libcurl, and so newsboat) would
/// then take every later change for no change. Applied to every response
/// before the page cache keeps it, so the cache never holds a later one.
pub(crate) async fn clamp_last_modified(
    State(clock): State<Clock>,
    mut response: Response<Body>,
) -> Response<Body> {
    let now: SystemTime = clock.now().into();
    let later = response
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok())
        .is_some_and(|modified| modified > now);
    if later && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
    response
}
