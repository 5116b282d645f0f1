//! Every page, feed and sitemap is rendered once per content version and
//! then served from memory, with its ETag and Last-Modified. Its gzip and
//! brotli forms are made the first time a client asks for each, then kept
//! too. This is what lets a dynamic site answer as fast as a static file
//! server.
//!
//! The cache is bounded by bytes (least recently used pages go first), and a
//! content change empties it and moves on to a new generation. Each page
//! carries the generation it was rendered in, and only pages of the current
//! one are served: a render that read the old content and finishes after
//! the change is stored, but never served. (Swapping in a fresh cache would
//! do the same, but then every hit pays for a lock and a reference count.)

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;

use super::heads::RefusedHead;
use crate::clock::Clock;
use crate::db::pages::MenuLink;

/// Responses larger than this are served but not cached.
const MAX_CACHED_BODY: usize = 4 * 1024 * 1024;

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESSED_BODY: usize = 512;

/// A rendered response, ready to be sent many times.
#[derive(Clone)]
pub struct CachedPage {
    /// The cache generation this page was rendered in.
    generation: u64,
    /// The response's headers as the handler and the layers around it set
    /// them (content type, caching, security headers), ETag and Vary added.
    headers: HeaderMap,
    etag: HeaderValue,
    modified_at: Option<std::time::SystemTime>,
    identity: Bytes,
    gzip: Compressed,
    brotli: Compressed,
}

/// One compressed form of a page. Most pages are only ever asked for in
/// one coding (browsers all take brotli), so each form is made when first
/// asked for rather than when the page is rendered.
#[derive(Clone)]
enum Compressed {
    NotYet,
    /// Not a compressible type, too small, or no smaller once compressed.
    Useless,
    Ready(Bytes),
}

impl Compressed {
    fn len(&self) -> usize {
        match self {
            Compressed::Ready(bytes) => bytes.len(),
            Compressed::NotYet | Compressed::Useless => 0,
        }
    }
}

impl CachedPage {
    /// What the page costs the cache: every byte it holds, plus a little
    /// for the entry itself.
    fn weight(&self) -> u64 {
        (self.identity.len() + self.gzip.len() + self.brotli.len() + 256) as u64
    }
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<String, Arc<CachedPage>> for ByBytes {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        key.len() as u64 + page.weight()
    }
}

type Store = quick_cache::sync::Cache<String, Arc<CachedPage>, ByBytes>;

#[derive(Clone)]
pub struct PageCache {
    inner: Arc<Generations>,
}

struct Generations {
    store: Store,
    /// Moves on at every content change.
    current: AtomicU64,
    /// The navigation menu, with the generation it was read in.
    menu: Mutex<Option<(u64, Vec<MenuLink>)>>,
}

impl PageCache {
    pub fn new(capacity_bytes: u64) -> Self {
        let estimated_items = usize::try_from(capacity_bytes / 16_384)
            .unwrap_or(1024)
            .max(64);
        Self {
            inner: Arc::new(Generations {
                store: Store::with_weighter(estimated_items, capacity_bytes, ByBytes),
                current: AtomicU64::new(0),
                menu: Mutex::new(None),
            }),
        }
    }

    /// The current generation. Take it before the read of what is to be
    /// kept under it: then a change that lands meanwhile makes it stale.
    pub fn generation(&self) -> u64 {
        self.inner.current.load(Ordering::Acquire)
    }

    /// The navigation menu, if it was read in the current generation. For
    /// pages that are rendered each time (searches when the cache is off,
    /// or full), this saves a read on each.
    pub fn menu(&self) -> Option<Vec<MenuLink>> {
        let menu = self
            .inner
            .menu
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        menu.as_ref()
            .filter(|(generation, _)| *generation == self.generation())
            .map(|(_, links)| links.clone())
    }

    /// Keeps the menu read in `generation` (taken before the read began).
    pub fn keep_menu(&self, generation: u64, links: Vec<MenuLink>) {
        *self
            .inner
            .menu
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((generation, links));
    }

    /// The page at `key`, if it was rendered from the current content.
    fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.inner.store.get(key)?;
        (page.generation == self.generation()).then_some(page)
    }

    fn insert(&self, key: &str, page: Arc<CachedPage>) {
        self.inner.store.insert(key.to_string(), page);
    }

    /// Forgets every page: called after any content change.
    pub fn invalidate(&self) {
        self.inner.current.fetch_add(1, Ordering::AcqRel);
        self.inner.store.clear();
    }

    /// Bytes held now (for the benchmark and the status page).
    pub fn weight(&self) -> u64 {
        self.inner.store.weight()
    }
}

/// Marks a response as one the cache may keep. Set on the reader routes by
/// `mark_cacheable`; files, health checks and the status page never are.
#[derive(Debug, Clone, Copy)]
struct Cacheable;

/// Middleware for the routes whose pages may be cached.
pub async fn mark_cacheable(request: Request, next: Next) -> Response<Body> {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(Cacheable);
    response
}

/// Puts the page cache in front of the whole site: a cached page is answered
/// before routing and before every layer, with the headers those layers
/// gave it when it was rendered (security headers included). Anything the
/// cache cannot answer goes on to `site` as if the cache were not there.
/// The clock says when an If-Modified-Since is in the future.
pub fn in_front(site: axum::Router, cache: PageCache, clock: Clock) -> axum::Router {
    use tower::Layer;
    let cached = axum::middleware::from_fn_with_state((cache, clock), serve_cached).layer(site);
    axum::Router::new().fallback_service(cached)
}

/// Middleware (see `in_front`): answers GET and HEAD from the cache when it
/// can, and caches the successful responses marked `Cacheable`. A handler
/// opts out with `Cache-Control: no-store`. A request with a body is never
/// answered from the cache: the limits behind it must see it; nor is the
/// stand-in for a refused head, a `GET /` that must get its error page.
pub async fn serve_cached(
    State((cache, clock)): State<(PageCache, Clock)>,
    request: Request,
    next: Next,
) -> Response<Body> {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || has_body(request.headers())
        || request.extensions().get::<RefusedHead>().is_some()
    {
        return next.run(request).await;
    }
    let uri = request.uri();
    let key = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // The hit path allocates nothing: the key is borrowed from the request.
    if let Some(page) = cache.get(key) {
        return respond(&cache, key, page, request.headers(), &clock);
    }
    // axum empties the body of a HEAD response inside the router, so what
    // comes back is no page to keep (kept, it blanked the page for every
    // GET after it): a HEAD that misses is answered, not cached.
    if request.method() == Method::HEAD {
        return next.run(request).await;
    }
    // Taken before rendering: if the content changes meanwhile, this page
    // belongs to the generation that is over.
    let generation = cache.generation();
    let key = key.to_string();
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK
        || response.extensions().get::<Cacheable>().is_none()
        || is_no_store(response.headers())
    {
        return response;
    }
    match into_cached_page(response, generation).await {
        Ok(page) => {
            let page = Arc::new(page);
            if page.identity.len() <= MAX_CACHED_BODY {
                cache.insert(&key, page.clone());
            }
            respond(&cache, &key, page, &request_headers, &clock)
        }
        Err(response) => response,
    }
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

fn is_no_store(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("no-store"))
}

async fn into_cached_page(
    response: Response<Body>,
    generation: u64,
) -> Result<CachedPage, Response<Body>> {
    let (parts, body) = response.into_parts();
    let Ok(rendered) = axum::body::to_bytes(body, MAX_CACHED_BODY * 4).await else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    // A rendered String grows by doubling, so its buffer can be up to twice
    // the page; an exact copy keeps the cache's byte count true.
    let identity = Bytes::copy_from_slice(&rendered);
    drop(rendered);
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    let content_type = headers
        .entry(header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/octet-stream"))
        .clone();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("public, max-age=60"));
    let modified_at = headers
        .get(header::LAST_MODIFIED)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());
    let etag = entity_tag(content_type.as_bytes(), &identity);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let compressed = if is_compressible(content_type.as_bytes(), &identity) {
        Compressed::NotYet
    } else {
        Compressed::Useless
    };
    Ok(CachedPage {
        generation,
        headers,
        etag,
        modified_at,
        identity,
        gzip: compressed.clone(),
        brotli: compressed,
    })
}

/// A weak validator: the gzip, brotli and identity forms of a page are the
/// same content, so one weak tag describes all three.
fn entity_tag(content_type: &[u8], body: &[u8]) -> HeaderValue {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(content_type);
    hasher.update(body);
    HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.digest()))
        .unwrap_or(HeaderValue::from_static("W/\"0\""))
}

fn is_compressible(content_type: &[u8], body: &[u8]) -> bool {
    let textual = [
        b"text/".as_slice(),
        b"application/rss",
        b"application/atom",
        b"application/json",
        b"application/feed",
        b"application/xml",
        b"image/svg",
    ]
    .iter()
    .any(|prefix| content_type.starts_with(prefix));
    textual && body.len() >= MIN_COMPRESSED_BODY
}

/// `body` in `encoding`, or `Useless` when that saves nothing.
fn compress(body: &[u8], encoding: &Encoding) -> Compressed {
    let compressed = match encoding {
        Encoding::Gzip => {
            let mut gzip = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3),
                flate2::Compression::new(6),
            );
            gzip.write_all(body).and_then(|()| gzip.finish()).ok()
        }
        Encoding::Brotli => {
            let mut brotli = Vec::with_capacity(body.len() / 3);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 6,
                lgwin: 20,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &body[..], &mut brotli, &params)
                .ok()
                .map(|_| brotli)
        }
        Encoding::Identity => None,
    };
    match compressed {
        Some(compressed) if compressed.len() < body.len() => {
            Compressed::Ready(Bytes::copy_from_slice(&compressed))
        }
        _ => Compressed::Useless,
    }
}

/// The page in the best coding the client takes, compressing it first (and
/// keeping the result in the cache) if it is the first to ask for that one.
fn respond(
    cache: &PageCache,
    key: &str,
    mut page: Arc<CachedPage>,
    request: &HeaderMap,
    clock: &Clock,
) -> Response<Body> {
    let accepted = accepted_encodings(request);
    let encoding = if accepted.brotli && !matches!(page.brotli, Compressed::Useless) {
        Encoding::Brotli
    } else if accepted.gzip && !matches!(page.gzip, Compressed::Useless) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    };
    let form = match encoding {
        Encoding::Brotli => &page.brotli,
        Encoding::Gzip => &page.gzip,
        Encoding::Identity => &Compressed::Useless,
    };
    let not_modified = not_modified(&page, request, clock);
    if matches!(form, Compressed::NotYet) && !not_modified {
        let compressed = compress(&page.identity, &encoding);
        let mut with_form = CachedPage::clone(&page);
        match encoding {
            Encoding::Brotli => with_form.brotli = compressed,
            _ => with_form.gzip = compressed,
        }
        page = Arc::new(with_form);
        // Replaces the entry, and its weight with it. The page keeps its
        // generation: if the content changed meanwhile, it is not served.
        cache.insert(key, page.clone());
    }
    let mut headers = page.headers.clone();
    if not_modified {
        headers.remove(header::CONTENT_TYPE);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.headers_mut() = headers;
        return response;
    }
    let (coding, body) = match (&encoding, &page.brotli, &page.gzip) {
        (Encoding::Brotli, Compressed::Ready(brotli), _) => (Some("br"), brotli.clone()),
        (Encoding::Gzip, _, Compressed::Ready(gzip)) => (Some("gzip"), gzip.clone()),
        _ => (None, page.identity.clone()),
    };
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}

/// RFC 9110 §13.1: If-None-Match (weak comparison) decides when present;
/// If-Modified-Since only when it is absent. The clock is read only then.
fn not_modified(page: &CachedPage, request: &HeaderMap, clock: &Clock) -> bool {
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

fn weak_tag(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[derive(Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// The compressed codings a client takes (q > 0).
#[derive(Debug, PartialEq, Eq)]
struct Accepted {
    brotli: bool,
    gzip: bool,
}

fn accepted_encodings(request: &HeaderMap) -> Accepted {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
    else {
        return Accepted {
            brotli: false,
            gzip: false,
        };
    };
    let accepts = |wanted: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|param| {
                let param = param.trim();
                param
                    .strip_prefix("q=")
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            coding.eq_ignore_ascii_case(wanted) && !refused
        })
    };
    Accepted {
        brotli: accepts("br"),
        gzip: accepts("gzip"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn accepting(value: &str) -> HeaderMap {
        headers(&[(header::ACCEPT_ENCODING, value)])
    }

    #[test]
    fn negotiates_encodings() {
        let both = Accepted {
            brotli: true,
            gzip: true,
        };
        assert_eq!(accepted_encodings(&accepting("gzip, deflate, br")), both);
        assert_eq!(
            accepted_encodings(&accepting("gzip, br;q=0")),
            Accepted {
                brotli: false,
                gzip: true
            }
        );
        let neither = Accepted {
            brotli: false,
            gzip: false,
        };
        assert_eq!(accepted_encodings(&accepting("identity")), neither);
        assert_eq!(accepted_encodings(&HeaderMap::new()), neither);
    }

    fn decoded(form: &Compressed, encoding: &Encoding) -> Vec<u8> {
        let Compressed::Ready(bytes) = form else {
            panic!("not compressed");
        };
        let mut decoded = Vec::new();
        match encoding {
            Encoding::Gzip => {
                std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(&bytes[..]),
                    &mut decoded,
                )
                .unwrap();
            }
            _ => brotli::BrotliDecompress(&mut &bytes[..], &mut decoded).unwrap(),
        }
        decoded
    }

    #[test]
    fn compressed_forms_round_trip() {
        let body = "<p>Anora</p>".repeat(200);
        for encoding in [Encoding::Gzip, Encoding::Brotli] {
            let form = compress(body.as_bytes(), &encoding);
            assert_eq!(decoded(&form, &encoding), body.as_bytes());
        }
        assert!(!is_compressible(b"text/html", b"tiny"));
        assert!(!is_compressible(b"image/png", &[0u8; 4096]));
    }

    fn page(body: &str) -> Arc<CachedPage> {
        Arc::new(CachedPage {
            generation: 0,
            headers: HeaderMap::from_iter([(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )]),
            etag: HeaderValue::from_static("W/\"1\""),
            modified_at: None,
            identity: Bytes::copy_from_slice(body.as_bytes()),
            gzip: Compressed::NotYet,
            brotli: Compressed::NotYet,
        })
    }

    #[test]
    fn a_coding_is_made_when_first_asked_for_and_then_kept() {
        let cache = PageCache::new(1024 * 1024);
        let clock = Clock::system();
        let body = "<p>Anora</p>".repeat(200);
        cache.insert("/", page(&body));
        let identity = respond(
            &cache,
            "/",
            cache.get("/").unwrap(),
            &HeaderMap::new(),
            &clock,
        );
        assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(matches!(cache.get("/").unwrap().brotli, Compressed::NotYet));

        let brotli = respond(
            &cache,
            "/",
            cache.get("/").unwrap(),
            &accepting("gzip, br"),
            &clock,
        );
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        let kept = cache.get("/").unwrap();
        assert_eq!(decoded(&kept.brotli, &Encoding::Brotli), body.as_bytes());
        assert!(matches!(kept.gzip, Compressed::NotYet), "gzip not made yet");
        assert!(cache.weight() > body.len() as u64 + kept.brotli.len() as u64);

        let gzip = respond(&cache, "/", kept, &accepting("gzip"), &clock);
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    }

    #[tokio::test]
    async fn only_marked_routes_are_kept() {
        use axum::routing::get;
        use std::sync::atomic::AtomicUsize;
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
        let app = in_front(site, cache, Clock::system());
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

    #[test]
    fn a_page_rendered_before_a_content_change_is_never_served() {
        let cache = PageCache::new(1024 * 1024);
        cache.insert("/", page("old"));
        assert!(cache.get("/").is_some());
        cache.invalidate();
        assert!(cache.get("/").is_none());
        // A render that started before the change finishes after it.
        cache.insert("/", page("old"));
        assert!(cache.get("/").is_none());
    }

    #[test]
    fn a_menu_read_before_a_content_change_is_never_used() {
        let cache = PageCache::new(0);
        let link = |title: &str| MenuLink {
            slug: title.to_lowercase(),
            title: title.into(),
        };
        assert!(cache.menu().is_none());
        let before = cache.generation();
        cache.keep_menu(before, vec![link("About")]);
        assert_eq!(cache.menu().unwrap()[0].title, "About");
        cache.invalidate();
        assert!(cache.menu().is_none());
        // A read that began before the change finishes after it.
        cache.keep_menu(before, vec![link("About")]);
        assert!(cache.menu().is_none());
        cache.keep_menu(cache.generation(), vec![link("Colophon")]);
        assert_eq!(cache.menu().unwrap()[0].title, "Colophon");
    }
}
