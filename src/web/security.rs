//! What every response passes through, as tower layers around the router:
//! security headers, limits on what one request may ask for, a timeout, a
//! cap on requests in flight, and panics turned into error pages.
//!
//! The headers are static `HeaderValue`s, so adding them costs no
//! allocation on the hot path (the page cache answers tens of thousands of
//! requests a second); the Content-Security-Policy, which names the site's
//! embed hosts, is built again only when the site settings change. The
//! limits that hyper enforces while reading a request (header size, how
//! long the headers may take) are set where the server is built, in
//! `server.rs`, from the same `Limits`.

use std::any::Any;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::{MakeHeaderValue, SetResponseHeaderLayer};
use tower_http::timeout::TimeoutLayer;

use super::error::ErrorPage;
use crate::content::site::{Site, SiteCell};

/// What one request may ask of the server. The defaults suit a public
/// site; tests shorten them to provoke each limit.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A request whose response has not started by then gets a 503. The
    /// slowest honest page (a cold search on a large site) takes a few
    /// tens of milliseconds.
    pub request_timeout: Duration,
    /// Requests handled at once. More wait for a turn, within the timeout,
    /// rather than all competing for the two cores and the database.
    pub max_in_flight: usize,
    /// Longest path plus query accepted, in bytes; longer gets a 414. No
    /// Marquee URL comes near it.
    pub max_uri_bytes: usize,
    /// Largest request body accepted (413 beyond). No route reads a body.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers) hyper accepts; a
    /// larger one gets a 431.
    pub max_header_bytes: usize,
    /// How long a client may take to send a request head, including the
    /// wait for the next request on a kept-alive connection. Stops slow
    /// clients from holding connections open forever.
    pub header_read_timeout: Duration,
    /// How long a shutdown waits for requests in flight before it stops
    /// anyway.
    pub shutdown_grace: Duration,
    /// How long a write to a client may wait for it to read before the
    /// connection is dropped: a client that asks for a large page and never
    /// reads it would otherwise hold the page in memory for as long as it
    /// keeps the connection open.
    pub write_timeout: Duration,
    /// Searches run at once (see `SearchPermits`); by default two per
    /// core, but never more than the database's connections. A search is
    /// about a millisecond of CPU and one statement (`db::search::results`),
    /// so it holds a connection for a fraction of its time: page renders
    /// get one within a statement's time. With one permit per core, a
    /// search's hand-offs between threads left the cores idle part of the
    /// time (1,070 searches/s at 140% CPU; 1,350 with two per core); the
    /// storm run in `scripts/bench` measured review pages at p99 24 ms
    /// with two per core against 20-42 ms with one.
    pub max_searches: usize,
    /// How long a search may wait for its turn before it is told to come
    /// back (429) instead.
    pub search_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_in_flight: 512,
            max_uri_bytes: 4096,
            max_body_bytes: 16 * 1024,
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(20),
            write_timeout: Duration::from_secs(30),
            max_searches: std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .saturating_mul(2)
                .min(crate::db::CONNECTIONS as usize),
            search_wait: Duration::from_secs(2),
        }
    }
}

/// Searches take turns at a few permits, so that however many clients
/// search, and however costly their queries, page renders keep a share of
/// the cores and the other database connections: thirty-two clients
/// searching for the most common word once left every uncached page
/// waiting on the database until it answered 503. A search that gets no permit within
/// `Limits::search_wait` is answered 429 with `Retry-After`, rather than
/// queued until the request timeout. Cached search pages never get here:
/// the page cache answers them first.
#[derive(Debug, Clone)]
pub(crate) struct SearchPermits {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl SearchPermits {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.max_searches.max(1))),
            wait: limits.search_wait,
        }
    }
}

/// Middleware for the search route: runs the search once it has a permit.
pub(crate) async fn take_turn(
    State(permits): State<SearchPermits>,
    request: Request,
    next: Next,
) -> Response {
    let turn = tokio::time::timeout(permits.wait, permits.permits.acquire_owned()).await;
    let Ok(Ok(_permit)) = turn else {
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut response = (
            status,
            [(header::RETRY_AFTER, HeaderValue::from_static("1"))],
        )
            .into_response();
        response.extensions_mut().insert(ErrorPage { status });
        return response;
    };
    next.run(request).await
}

/// No inline script, no plugins, no framing; styles and images from here
/// (posters may be external `https:` URLs). JSON-LD is a data block, not a
/// script, so `script-src 'none'` does not stop crawlers reading it. Frames
/// fall under `default-src 'none'` unless the site allows embed hosts.
/// `connect-src 'self'` lets tools such as Lighthouse fetch `/robots.txt`
/// from the page; with no script allowed, nothing on the page can connect.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     connect-src 'self'; media-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";
static NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
static REFERRER_POLICY: HeaderValue = HeaderValue::from_static("strict-origin-when-cross-origin");
static FRAME_OPTIONS: HeaderValue = HeaderValue::from_static("DENY");
static PERMISSIONS_POLICY: HeaderValue = HeaderValue::from_static(
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), \
     microphone=(), payment=(), usb=()",
);
static OPENER_POLICY: HeaderValue = HeaderValue::from_static("same-origin");
static STRICT_TRANSPORT_SECURITY: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// Wraps the routes (already wrapped in the error-page layer) in the
/// limits and the security headers, outermost first: a request meets them
/// top down, a response bottom up.
///
/// One `ServiceBuilder` makes one layer for the router: each separate
/// `Router::layer` call would box every route again, which cost a fifth of
/// the throughput of cached pages when measured.
pub(super) fn harden<S>(routes: Router<S>, site: SiteCell, limits: &Limits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes.layer(
        ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                ContentSecurityPolicy::new(site.clone()),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                NOSNIFF.clone(),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                REFERRER_POLICY.clone(),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                FRAME_OPTIONS.clone(),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("permissions-policy"),
                PERMISSIONS_POLICY.clone(),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("cross-origin-opener-policy"),
                OPENER_POLICY.clone(),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::STRICT_TRANSPORT_SECURITY,
                StrictTransport(site),
            ))
            .layer(middleware::from_fn_with_state(
                limits.max_uri_bytes,
                refuse_long_uris,
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                limits.request_timeout,
            ))
            .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
            .layer(GlobalConcurrencyLimitLayer::new(limits.max_in_flight)),
    )
}

/// Turns a panic in a handler into a 500 that the error-page layer renders
/// in the site's layout. Without it the connection would just drop.
pub(super) fn catch_panics() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panic_page as fn(Box<dyn Any + Send + 'static>) -> Response)
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "CatchPanicLayer hands over the panic's payload by value"
)]
fn panic_page(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorPage { status });
    response
}

/// HSTS only makes sense, and is only honoured, over https: it is sent when
/// the site's base URL (which `site.toml` may change live) is https.
#[derive(Clone)]
struct StrictTransport(SiteCell);

impl<T> MakeHeaderValue<T> for StrictTransport {
    fn make_header_value(&mut self, _response: &T) -> Option<HeaderValue> {
        self.0
            .get()
            .base_url
            .starts_with("https://")
            .then(|| STRICT_TRANSPORT_SECURITY.clone())
    }
}

/// The Content-Security-Policy for the current site settings: the fixed
/// policy, plus `frame-src` with the embed hosts when there are any. Built
/// when the settings change (the `Arc<Site>` is then a new one) and cloned,
/// a reference count, for every other response.
#[derive(Clone)]
struct ContentSecurityPolicy {
    site: SiteCell,
    built: Arc<RwLock<(Arc<Site>, HeaderValue)>>,
}

impl ContentSecurityPolicy {
    fn new(site: SiteCell) -> Self {
        let current = site.get();
        let value = content_security_policy(&current);
        Self {
            site,
            built: Arc::new(RwLock::new((current, value))),
        }
    }
}

impl<T> MakeHeaderValue<T> for ContentSecurityPolicy {
    fn make_header_value(&mut self, _response: &T) -> Option<HeaderValue> {
        let current = self.site.get();
        {
            let built = self.built.read().unwrap_or_else(PoisonError::into_inner);
            if Arc::ptr_eq(&built.0, &current) {
                return Some(built.1.clone());
            }
        }
        let value = content_security_policy(&current);
        *self.built.write().unwrap_or_else(PoisonError::into_inner) = (current, value.clone());
        Some(value)
    }
}

/// The policy for `site`. Embed hosts are plain host names (`Site::parse`
/// refuses anything else), so they cannot add a directive or a wildcard.
fn content_security_policy(site: &Site) -> HeaderValue {
    if site.embed_hosts.is_empty() {
        return HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    }
    let mut policy = format!("{CONTENT_SECURITY_POLICY}; frame-src");
    for host in &site.embed_hosts {
        policy.push_str(" https://");
        policy.push_str(host);
    }
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        // Unreachable with validated hosts; without frame-src, frames are
        // blocked, which is the safe way to fail.
        HeaderValue::from_static(CONTENT_SECURITY_POLICY)
    })
}

/// 414 for a path and query longer than any Marquee URL; such requests are
/// probes, and would otherwise reach the database and the page cache.
async fn refuse_long_uris(
    State(max_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |path_and_query| path_and_query.as_str().len());
    if length > max_bytes {
        return (StatusCode::URI_TOO_LONG, "URI too long\n").into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use axum::middleware;
    use axum::routing::get;
    use tokio::sync::Notify;
    use tower::ServiceExt;

    use super::{Limits, SearchPermits, take_turn};

    #[test]
    fn searches_never_hold_more_than_the_database_connections() {
        let permits = Limits::default().max_searches;
        assert!(permits >= 1);
        assert!(permits <= crate::db::CONNECTIONS as usize, "{permits}");
    }

    /// A search route that holds its permit until told to finish.
    fn search_route(permits: SearchPermits, finish: Arc<Notify>) -> Router {
        let search = get(move || {
            let finish = finish.clone();
            async move {
                finish.notified().await;
                "results"
            }
        });
        Router::new()
            .route(
                "/search",
                search.layer(middleware::from_fn_with_state(permits, take_turn)),
            )
            .route("/reviews/anora", get(|| async { "a review" }))
    }

    fn get_request(path: &str) -> Request<Body> {
        Request::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn searches_take_turns_and_the_rest_of_the_site_does_not_wait() {
        let limits = Limits {
            max_searches: 1,
            search_wait: Duration::from_millis(100),
            ..Limits::default()
        };
        let finish = Arc::new(Notify::new());
        let app = search_route(SearchPermits::new(&limits), finish.clone());
        // The first search holds the only permit.
        let first = tokio::spawn(app.clone().oneshot(get_request("/search")));
        tokio::task::yield_now().await;
        // A second one waits its turn, then is told to come back.
        let second = app.clone().oneshot(get_request("/search")).await.unwrap();
        assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            second
                .headers()
                .get(header::RETRY_AFTER)
                .map(axum::http::HeaderValue::as_bytes),
            Some(&b"1"[..])
        );
        // Pages are not searches: they answer at once meanwhile.
        let page = app
            .clone()
            .oneshot(get_request("/reviews/anora"))
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        // Once the first search ends, the next one runs.
        finish.notify_one();
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
        let third = tokio::spawn(app.clone().oneshot(get_request("/search")));
        tokio::task::yield_now().await;
        finish.notify_one();
        assert_eq!(third.await.unwrap().unwrap().status(), StatusCode::OK);
    }
}
