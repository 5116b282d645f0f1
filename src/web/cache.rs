//! Every page, feed and sitemap is rendered once per content version and
//! then served from memory, with its ETag and Last-Modified. Its gzip and
//! brotli forms are made the first time a client asks for each, then kept
//! too. This is what lets a dynamic site answer as fast as a static file
//! server.
//!
//! The cache is bounded by bytes (least recently used pages go first), and a
//! content change swaps in a fresh, empty cache. Swapping rather than
//! clearing matters: a render that read the old content and finishes after
//! the change inserts into the old cache, which nobody reads any more.

use std::io::Write;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;

use super::AppState;

/// Responses larger than this are served but not cached.
const MAX_CACHED_BODY: usize = 4 * 1024 * 1024;

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESSED_BODY: usize = 512;

/// A rendered response, ready to be sent many times.
#[derive(Clone)]
pub struct CachedPage {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
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
    current: Arc<RwLock<Arc<Store>>>,
    capacity_bytes: u64,
}

impl PageCache {
    pub fn new(capacity_bytes: u64) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(new_store(capacity_bytes)))),
            capacity_bytes,
        }
    }

    fn store(&self) -> Arc<Store> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Forgets every page: called after any content change.
    pub fn invalidate(&self) {
        let fresh = Arc::new(new_store(self.capacity_bytes));
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
    }

    /// Bytes held now (for the benchmark and the status page).
    pub fn weight(&self) -> u64 {
        self.store().weight()
    }
}

fn new_store(capacity_bytes: u64) -> Store {
    let estimated_items = usize::try_from(capacity_bytes / 16_384)
        .unwrap_or(1024)
        .max(64);
    Store::with_weighter(estimated_items, capacity_bytes, ByBytes)
}

/// Middleware: answers GET and HEAD from the cache when it can, and caches
/// successful responses of the routes below it. A handler opts out with
/// `Cache-Control: no-store` (the status page does).
pub async fn serve_cached(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let store = state.cache.store();
    let uri = request.uri();
    let key = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // The hit path allocates nothing: the key is borrowed from the request.
    if let Some(page) = store.get(key) {
        return respond(&store, key, page, request.headers());
    }
    let key = key.to_string();
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || is_no_store(response.headers()) {
        return response;
    }
    match into_cached_page(response).await {
        Ok(page) => {
            let page = Arc::new(page);
            if page.identity.len() <= MAX_CACHED_BODY {
                store.insert(key.clone(), page.clone());
            }
            respond(&store, &key, page, &request_headers)
        }
        Err(response) => response,
    }
}

fn is_no_store(headers: &HeaderMap) -> bool {
    headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("no-store"))
}

async fn into_cached_page(response: Response<Body>) -> Result<CachedPage, Response<Body>> {
    let (parts, body) = response.into_parts();
    let Ok(rendered) = axum::body::to_bytes(body, MAX_CACHED_BODY * 4).await else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    // A rendered String grows by doubling, so its buffer can be up to twice
    // the page; an exact copy keeps the cache's byte count true.
    let identity = Bytes::copy_from_slice(&rendered);
    drop(rendered);
    let headers = &parts.headers;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let cache_control = headers
        .get(header::CACHE_CONTROL)
        .cloned()
        .unwrap_or(HeaderValue::from_static("public, max-age=60"));
    let modified_at = headers
        .get(header::LAST_MODIFIED)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());
    let etag = entity_tag(content_type.as_bytes(), &identity);
    let compressed = if is_compressible(content_type.as_bytes(), &identity) {
        Compressed::NotYet
    } else {
        Compressed::Useless
    };
    Ok(CachedPage {
        content_type,
        cache_control,
        etag,
        last_modified: headers.get(header::LAST_MODIFIED).cloned(),
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
    store: &Store,
    key: &str,
    mut page: Arc<CachedPage>,
    request: &HeaderMap,
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
    if matches!(form, Compressed::NotYet) && !not_modified(&page, request) {
        let compressed = compress(&page.identity, &encoding);
        let mut with_form = CachedPage::clone(&page);
        match encoding {
            Encoding::Brotli => with_form.brotli = compressed,
            _ => with_form.gzip = compressed,
        }
        page = Arc::new(with_form);
        // Replaces the entry, and its weight with it. Into the store this
        // request started with: after a content change that one is dead.
        store.insert(key.to_string(), page.clone());
    }
    let mut builder = Response::builder()
        .header(header::ETAG, page.etag.clone())
        .header(header::CACHE_CONTROL, page.cache_control.clone())
        .header(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(last_modified) = &page.last_modified {
        builder = builder.header(header::LAST_MODIFIED, last_modified.clone());
    }
    if not_modified(&page, request) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let (coding, body) = match (&encoding, &page.brotli, &page.gzip) {
        (Encoding::Brotli, Compressed::Ready(brotli), _) => (Some("br"), brotli.clone()),
        (Encoding::Gzip, _, Compressed::Ready(gzip)) => (Some("gzip"), gzip.clone()),
        _ => (None, page.identity.clone()),
    };
    if let Some(coding) = coding {
        builder = builder.header(header::CONTENT_ENCODING, coding);
    }
    builder
        .header(header::CONTENT_TYPE, page.content_type.clone())
        .body(Body::from(body))
        .unwrap_or_default()
}

/// RFC 9110 §13.1: If-None-Match (weak comparison) decides when present;
/// If-Modified-Since only when it is absent.
fn not_modified(page: &CachedPage, request: &HeaderMap) -> bool {
    if let Some(if_none_match) = request.get(header::IF_NONE_MATCH) {
        let Ok(tags) = if_none_match.to_str() else {
            return false;
        };
        let ours = weak_tag(page.etag.to_str().unwrap_or_default());
        return tags
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || weak_tag(tag) == ours);
    }
    let (Some(modified_at), Some(since)) =
        (page.modified_at, request.get(header::IF_MODIFIED_SINCE))
    else {
        return false;
    };
    since
        .to_str()
        .ok()
        .and_then(|since| httpdate::parse_http_date(since).ok())
        .is_some_and(|since| modified_at <= since)
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
            content_type: HeaderValue::from_static("text/html; charset=utf-8"),
            cache_control: HeaderValue::from_static("public, max-age=60"),
            etag: HeaderValue::from_static("W/\"1\""),
            last_modified: None,
            modified_at: None,
            identity: Bytes::copy_from_slice(body.as_bytes()),
            gzip: Compressed::NotYet,
            brotli: Compressed::NotYet,
        })
    }

    #[test]
    fn a_coding_is_made_when_first_asked_for_and_then_kept() {
        let store = new_store(1024 * 1024);
        let body = "<p>Anora</p>".repeat(200);
        store.insert("/".into(), page(&body));
        let identity = respond(&store, "/", store.get("/").unwrap(), &HeaderMap::new());
        assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(matches!(store.get("/").unwrap().brotli, Compressed::NotYet));

        let brotli = respond(&store, "/", store.get("/").unwrap(), &accepting("gzip, br"));
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        let kept = store.get("/").unwrap();
        assert_eq!(decoded(&kept.brotli, &Encoding::Brotli), body.as_bytes());
        assert!(matches!(kept.gzip, Compressed::NotYet), "gzip not made yet");
        assert!(store.weight() > body.len() as u64 + kept.brotli.len() as u64);

        let gzip = respond(&store, "/", kept, &accepting("gzip"));
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    }
}
