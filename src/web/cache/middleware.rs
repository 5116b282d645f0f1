//! Where the cache sits in the stack, which requests it answers and which
//! responses it keeps. It is in front of routing and every layer, so a
//! cached page costs a lookup; the reader routes mark the responses it may
//! keep, so files, health checks and the status page are never kept.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;

use super::flight::{Boarding, arrival};
use super::key::{RouteParams, cache_key};
use super::page::{CachedPage, MAX_CACHED_BODY, SURROGATE_KEY};
use super::policy::forbids_storing;
use super::respond::respond;
use super::store::PageCache;
use crate::clock::Clock;
use crate::db::changes::SurrogateKey;
use crate::web::heads::RefusedHead;

/// Marks a response as one the cache may keep. Set on the reader routes by
/// `mark_cacheable`; files, health checks and the status page never are.
#[derive(Debug, Clone, Copy)]
struct Cacheable;

/// What a page shows that a change may touch (`db::changes`), set by its
/// handler (`respond::Page::shows`). A page that says nothing shows the
/// site and the catalog: any change to a review, list or diary drops it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shows(pub(crate) BTreeSet<SurrogateKey>);

/// Cloudflare's name for `Surrogate-Key`, comma-separated.
static CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");

/// Labels a page with what it shows, for this cache and for a CDN's purge
/// by key: every page shows the site (its settings, the menu).
fn label(response: &mut Response<Body>) {
    let mut keys = response
        .extensions_mut()
        .remove::<Shows>()
        .map_or_else(|| BTreeSet::from([SurrogateKey::Catalog]), |shows| shows.0);
    keys.insert(SurrogateKey::Site);
    let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
    for (name, separator) in [(&SURROGATE_KEY, " "), (&CACHE_TAG, ",")] {
        if let Ok(value) = HeaderValue::from_str(&keys.join(separator)) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
}

/// Middleware for the routes whose pages may be cached.
pub(crate) async fn mark_cacheable(request: Request, next: Next) -> Response<Body> {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(Cacheable);
    response
}

/// Puts the page cache in front of the whole site: a cached page is answered
/// before routing and before every layer, with the headers those layers
/// gave it when it was rendered (security headers included). Anything the
/// cache cannot answer goes on to `site` as if the cache were not there.
/// The clock says when an If-Modified-Since is in the future; `routes`
/// which query parameters each route reads (see `key`).
pub(crate) fn in_front(
    site: axum::Router,
    cache: PageCache,
    clock: Clock,
    routes: RouteParams,
) -> axum::Router {
    use tower::Layer;
    let state = Front {
        cache,
        clock,
        routes,
    };
    let cached = axum::middleware::from_fn_with_state(state, serve_cached).layer(site);
    axum::Router::new().fallback_service(cached)
}

/// What the cache in front needs.
#[derive(Clone)]
struct Front {
    cache: PageCache,
    clock: Clock,
    routes: RouteParams,
}

/// Says whether a response came from the cache, as Varnish and CDNs do:
/// `hit` (from memory), `disk` (from the pages memory let go: `spill`),
/// `miss` (rendered now, and kept), or `pass` (never kept: files, errors,
/// other methods, the status page).
static X_CACHE: HeaderName = HeaderName::from_static("x-cache");

fn marked(mut response: Response<Body>, how: &'static str) -> Response<Body> {
    response
        .headers_mut()
        .insert(X_CACHE.clone(), HeaderValue::from_static(how));
    response
}

/// Middleware (see `in_front`): answers GET and HEAD from the cache when it
/// can, and caches the successful responses marked `Cacheable`. A handler
/// opts out with `CachePolicy::NoStore`. A request with a body is never
/// answered from the cache: the limits behind it must see it; nor is the
/// stand-in for a refused head, a `GET /` that must get its error page.
async fn serve_cached(
    State(Front {
        cache,
        clock,
        routes,
    }): State<Front>,
    request: Request,
    next: Next,
) -> Response<Body> {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || has_body(request.headers())
        || request.extensions().get::<RefusedHead>().is_some()
    {
        return marked(next.run(request).await, "pass");
    }
    // Borrowed from the request unless a search's parameters are kept.
    let key = cache_key(request.uri(), routes);
    if let Some(page) = cache.get(&key) {
        return marked(
            respond(&cache, &key, page, request.headers(), &clock),
            "hit",
        );
    }
    if let Some(page) = cache.get_spilled(&key) {
        return marked(
            respond(&cache, &key, page, request.headers(), &clock),
            "disk",
        );
    }
    // axum empties the body of a HEAD response inside the router, so what
    // comes back is no page to keep (kept, it blanked the page for every
    // GET after it): a HEAD that misses is answered, not cached.
    if request.method() == Method::HEAD {
        return marked(next.run(request).await, "pass");
    }
    // Taken before rendering: if the content changes meanwhile, this page
    // belongs to the generation that is over.
    let generation = cache.generation();
    // Another request may be rendering this page now: wait for its page
    // rather than render it again (`flight`). Dropped without a page (not
    // kept, or the render failed), the pilot lets the waiters render.
    let pilot = match cache.board(&key, generation) {
        Some(Boarding::Passenger(landed)) => {
            if let Some(page) = arrival(landed).await {
                return marked(
                    respond(&cache, &key, page, request.headers(), &clock),
                    "hit",
                );
            }
            None
        }
        Some(Boarding::Pilot(pilot)) => Some(pilot),
        None => None,
    };
    let key = key.into_owned();
    let request_headers = request.headers().clone();
    let mut response = next.run(request).await;
    if response.status() != StatusCode::OK
        || response.extensions().get::<Cacheable>().is_none()
        || forbids_storing(response.headers())
    {
        return marked(response, "pass");
    }
    label(&mut response);
    match CachedPage::from_response(response, generation).await {
        Ok(page) => {
            let page = Arc::new(page);
            if page.identity.len() <= MAX_CACHED_BODY {
                cache.insert(&key, page.clone());
                if let Some(pilot) = pilot {
                    pilot.land(Some(page.clone()));
                }
            }
            marked(
                respond(&cache, &key, page, &request_headers, &clock),
                "miss",
            )
        }
        Err(response) => marked(response, "pass"),
    }
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn only_marked_routes_are_kept() {
        use axum::routing::get;
        use tower::ServiceExt;

        let renders = Arc::new(AtomicUsize::new(0));
        let render = {
            let renders = renders.clone();
            move || {
                renders.fetch_add(1, Ordering::SeqCst);
                async { "<p>Anora</p>" }
            }
        };
        let cache = PageCache::new(1024 * 1024);
        let site = axum::Router::new()
            .route("/page", get(render.clone()))
            .route_layer(axum::middleware::from_fn(mark_cacheable))
            .route("/file", get(render));
        let app = in_front(site, cache, Clock::system(), &[]);
        for path in ["/page", "/page", "/file", "/file"] {
            let request = Request::builder().uri(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert_eq!(
            renders.load(Ordering::SeqCst),
            3,
            "the page once, the file twice"
        );
    }

    #[tokio::test]
    async fn requests_that_miss_a_page_together_are_answered_from_one_render() {
        use axum::routing::get;
        use tower::ServiceExt;

        let renders = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Notify::new());
        let render = {
            let (renders, release) = (renders.clone(), release.clone());
            move || {
                let (renders, release) = (renders.clone(), release.clone());
                async move {
                    renders.fetch_add(1, Ordering::SeqCst);
                    release.notified().await;
                    "<p>Anora</p>"
                }
            }
        };
        let cache = PageCache::new(1024 * 1024);
        let site = axum::Router::new()
            .route("/page", get(render))
            .route_layer(axum::middleware::from_fn(mark_cacheable));
        let app = in_front(site, cache.clone(), Clock::system(), &[]);
        let requests: Vec<_> = (0..8)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move {
                    let request = Request::builder().uri("/page").body(Body::empty()).unwrap();
                    app.oneshot(request).await.unwrap()
                })
            })
            .collect();
        // Wait, with a deadline, until one renders and seven wait for it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while cache.passengers("/page") < 7 {
            assert!(std::time::Instant::now() < deadline, "requests never met");
            tokio::task::yield_now().await;
        }
        release.notify_one();
        let mut sources = Vec::new();
        for request in requests {
            let response = request.await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            sources.push(response.headers()["x-cache"].to_str().unwrap().to_string());
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(body, "<p>Anora</p>");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1, "one render for eight");
        sources.sort();
        assert_eq!(
            sources,
            ["hit"; 7].into_iter().chain(["miss"]).collect::<Vec<_>>()
        );
    }
}
