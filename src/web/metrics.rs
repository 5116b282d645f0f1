//! `GET /metrics`: what an operator's Prometheus scrapes, in the text
//! format, behind the status page's token (no token configured: 404).
//!
//! Requests are counted by route pattern (`/reviews/:slug`, never the
//! path a client made up, so the series stay few) and status, with a
//! latency histogram per route; `X-Cache` gives the page cache's hits,
//! misses and passes. Syncs come from `SyncHealth`, which the syncer
//! updates; the cache's bytes and the content error count are read when
//! scraped. The registry belongs to the state, not to the process, so two
//! sites in one test process never share a counter.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Instrument;

use super::AppState;
use super::cache::CachePolicy;
use super::error::AppError;
use super::status::authorized;
use crate::db;

/// A request's series: the route it matched and its status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    route: String,
    status: u16,
}

/// A latency series: the route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

/// The page cache's verdict, from `X-Cache`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Verdict {
    result: String,
}

/// The route pattern a response was rendered for, kept in its extensions
/// (and by the page cache beside a kept page) so that the outermost layer,
/// which runs before routing, can label it.
#[derive(Clone, Debug)]
pub(crate) struct RenderedFor(pub(crate) Arc<str>);

/// Every series Marquee exports, and the registry that writes them out.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    latency: Family<Route, Histogram>,
    cache: Family<Verdict, Counter>,
    cache_bytes: Gauge,
    spilled_bytes: Gauge,
    content_errors: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// The series, registered; `more` adds those other parts keep (syncs).
    pub(crate) fn new(more: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix("marquee");
        let requests = Family::<Answered, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route pattern and status",
            requests.clone(),
        );
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            // 50 µs to ~3 s.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 17))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route pattern",
            latency.clone(),
        );
        let cache = Family::<Verdict, Counter>::default();
        registry.register(
            "page_cache_requests",
            "GET and HEAD requests by the page cache's verdict: hit, disk (a page spilled to disk), miss (rendered and kept) or pass",
            cache.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register(
            "page_cache_bytes",
            "Bytes of pages the cache holds",
            cache_bytes.clone(),
        );
        let spilled_bytes = Gauge::default();
        registry.register(
            "page_cache_disk_bytes",
            "Bytes of pages the cache let go from memory and keeps on disk",
            spilled_bytes.clone(),
        );
        let content_errors = Gauge::default();
        registry.register(
            "content_errors",
            "Content files with an error, as the status page lists them",
            content_errors.clone(),
        );
        more(&mut registry);
        Self {
            registry,
            requests,
            latency,
            cache,
            cache_bytes,
            spilled_bytes,
            content_errors,
        }
    }

    fn observe(&self, route: &str, status: u16, seconds: f64, verdict: Option<&str>) {
        self.requests
            .get_or_create(&Answered {
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&Route {
                route: route.to_string(),
            })
            .observe(seconds);
        if let Some(verdict) = verdict {
            self.cache
                .get_or_create(&Verdict {
                    result: verdict.to_string(),
                })
                .inc();
        }
    }
}

/// Middleware, inside routing: notes the matched route pattern on the
/// response for `count`.
pub(crate) async fn note_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| RenderedFor(Arc::from(label_for(path.as_str()))));
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// A route pattern as a label: `/reviews/{slug}` as `/reviews/:slug`, and
/// `/static/{*path}` as `/static/*path`. Braces are valid in a label, but
/// some parsers of the text format stop at the first `}`.
fn label_for(pattern: &str) -> String {
    pattern
        .replace("{*", "*")
        .replace('{', ":")
        .replace('}', "")
}

/// Numbers requests for the logs.
static REQUESTS: AtomicU64 = AtomicU64::new(1);

/// Middleware, outermost (in front of the page cache): counts every
/// request with its route, status, latency and the cache's verdict, and
/// logs it at `debug`. The request runs in a span that carries its number,
/// so an error logged while answering it says which request it was.
pub(crate) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let method = request.method().clone();
    let span = tracing::debug_span!("request", id);
    let response = next.run(request).instrument(span.clone()).await;
    let route = response
        .extensions()
        .get::<RenderedFor>()
        .map_or("unmatched", |route| &route.0);
    let verdict = response
        .headers()
        .get("x-cache")
        .and_then(|value| value.to_str().ok());
    let took = started.elapsed();
    span.in_scope(|| {
        tracing::debug!(
            %method,
            route,
            status = response.status().as_u16(),
            micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            cache = verdict.unwrap_or("-"),
            "answered"
        );
    });
    state.metrics.observe(
        route,
        response.status().as_u16(),
        took.as_secs_f64(),
        verdict,
    );
    response
}

/// `GET /metrics`, for the holder of the status token.
pub(crate) async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !authorized(&state, &headers, None) {
        return Err(AppError::NotFound);
    }
    let errors = db::sources::errors(&state.db).await?.len();
    let metrics = &state.metrics;
    metrics
        .content_errors
        .set(i64::try_from(errors).unwrap_or(i64::MAX));
    metrics
        .cache_bytes
        .set(i64::try_from(state.cache.weight()).unwrap_or(i64::MAX));
    metrics
        .spilled_bytes
        .set(i64::try_from(state.cache.spilled_bytes()).unwrap_or(i64::MAX));
    let mut text = String::new();
    encode(&mut text, &metrics.registry)?;
    Ok((
        CachePolicy::NoStore,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn route_patterns_become_labels_without_braces() {
        assert_eq!(super::label_for("/reviews/{slug}"), "/reviews/:slug");
        assert_eq!(super::label_for("/static/{*path}"), "/static/*path");
        assert_eq!(super::label_for("/"), "/");
    }
}
