//! Every page, feed and sitemap is rendered once per content version and
//! then served from memory: with its ETag, its Last-Modified, and its gzip
//! and brotli forms computed once. This is what lets a dynamic site answer
//! as fast as a static file server.
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
pub struct CachedPage {
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
    modified_at: Option<std::time::SystemTime>,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

impl CachedPage {
    fn weight(&self) -> u64 {
        let compressed =
            self.gzip.as_ref().map_or(0, Bytes::len) + self.brotli.as_ref().map_or(0, Bytes::len);
        (self.identity.len() + compressed + 256) as u64
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
    let key = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let request_headers = request.headers().clone();
    let store = state.cache.store();
    if let Some(page) = store.get(&key) {
        return respond(&page, &request_headers);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || is_no_store(response.headers()) {
        return response;
    }
    match into_cached_page(response).await {
        Ok(page) => {
            let page = Arc::new(page);
            if page.identity.len() <= MAX_CACHED_BODY {
                store.insert(key, page.clone());
            }
            respond(&page, &request_headers)
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
    let Ok(identity) = axum::body::to_bytes(body, MAX_CACHED_BODY * 4).await else {
        return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
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
    let (gzip, brotli) = compress(&identity, content_type.as_bytes());
    Ok(CachedPage {
        content_type,
        cache_control,
        etag,
        last_modified: headers.get(header::LAST_MODIFIED).cloned(),
        modified_at,
        identity,
        gzip,
        brotli,
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

fn compress(body: &[u8], content_type: &[u8]) -> (Option<Bytes>, Option<Bytes>) {
    let compressible = [
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
    if !compressible || body.len() < MIN_COMPRESSED_BODY {
        return (None, None);
    }
    let mut gzip = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(6),
    );
    let gzip = gzip.write_all(body).and_then(|()| gzip.finish()).ok();
    let mut brotli = Vec::with_capacity(body.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: 20,
        ..Default::default()
    };
    let brotli = brotli::BrotliCompress(&mut &body[..], &mut brotli, &params)
        .ok()
        .map(|_| brotli);
    let smaller =
        |compressed: Vec<u8>| (compressed.len() < body.len()).then(|| Bytes::from(compressed));
    (gzip.and_then(smaller), brotli.and_then(smaller))
}

fn respond(page: &CachedPage, request: &HeaderMap) -> Response<Body> {
    let mut builder = Response::builder()
        .header(header::ETAG, page.etag.clone())
        .header(header::CACHE_CONTROL, page.cache_control.clone())
        .header(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(last_modified) = &page.last_modified {
        builder = builder.header(header::LAST_MODIFIED, last_modified.clone());
    }
    if not_modified(page, request) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let (encoding, body) = match preferred_encoding(request) {
        Encoding::Brotli if page.brotli.is_some() => (Some("br"), page.brotli.clone()),
        Encoding::Brotli | Encoding::Gzip if page.gzip.is_some() => {
            (Some("gzip"), page.gzip.clone())
        }
        _ => (None, None),
    };
    if let Some(encoding) = encoding {
        builder = builder.header(header::CONTENT_ENCODING, encoding);
    }
    builder
        .header(header::CONTENT_TYPE, page.content_type.clone())
        .body(Body::from(body.unwrap_or_else(|| page.identity.clone())))
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

/// The best coding the client accepts (q > 0), preferring brotli.
fn preferred_encoding(request: &HeaderMap) -> Encoding {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
    else {
        return Encoding::Identity;
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
    if accepts("br") {
        Encoding::Brotli
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
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

    #[test]
    fn negotiates_encodings() {
        assert_eq!(
            preferred_encoding(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")])),
            Encoding::Brotli
        );
        assert_eq!(
            preferred_encoding(&headers(&[(header::ACCEPT_ENCODING, "gzip, br;q=0")])),
            Encoding::Gzip
        );
        assert_eq!(
            preferred_encoding(&headers(&[(header::ACCEPT_ENCODING, "identity")])),
            Encoding::Identity
        );
        assert_eq!(preferred_encoding(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn compressed_forms_round_trip() {
        let body = "<p>Anora</p>".repeat(200);
        let (gzip, brotli) = compress(body.as_bytes(), b"text/html; charset=utf-8");
        let mut decoded = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&gzip.unwrap()[..]),
            &mut decoded,
        )
        .unwrap();
        assert_eq!(decoded, body);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli.unwrap()[..], &mut decoded).unwrap();
        assert_eq!(decoded, body.as_bytes());
        assert_eq!(compress(b"tiny", b"text/html"), (None, None));
        assert_eq!(compress(&[0u8; 4096], b"image/png"), (None, None));
    }
}
