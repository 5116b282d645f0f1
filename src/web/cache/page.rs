//! A kept page: a rendered response turned, once, into everything a hit
//! needs (headers, validators, the body and its compressed forms), so that
//! serving it again is copying reference-counted bytes.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;

use super::CachePolicy;
use super::compress::is_compressible;
use super::conditional::entity_tag;
use super::negotiate::Coding;
use crate::web::metrics::RenderedFor;

/// What a page depends on, as CDNs that purge by key read it (Fastly,
/// Varnish's xkey); the cache reads it too.
pub(crate) static SURROGATE_KEY: axum::http::HeaderName =
    axum::http::HeaderName::from_static("surrogate-key");

/// Responses larger than this are served but not cached.
pub(super) const MAX_CACHED_BODY: usize = 4 * 1024 * 1024;

/// A rendered response, ready to be sent many times.
#[derive(Clone)]
pub(super) struct CachedPage {
    /// The cache generation this page was rendered in.
    pub(super) generation: u64,
    /// What it shows that a change may touch: its `Surrogate-Key`
    /// (`db::changes`), which the cache drops it by.
    pub(super) keys: Box<[String]>,
    /// The response's headers as the handler and the layers around it set
    /// them (content type, caching, security headers), ETag and Vary added.
    pub(super) headers: HeaderMap,
    pub(super) etag: HeaderValue,
    pub(super) modified_at: Option<std::time::SystemTime>,
    pub(super) identity: Bytes,
    /// The route it was rendered for, given back to each response made
    /// from it so that `/metrics` counts hits by route too.
    pub(super) route: Option<RenderedFor>,
    pub(super) gzip: Compressed,
    pub(super) brotli: Compressed,
}

/// One compressed form of a page. Most pages are only ever asked for in
/// one coding (browsers all take brotli), so each form is made when first
/// asked for rather than when the page is rendered.
#[derive(Clone)]
pub(super) enum Compressed {
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
    /// Keeps a rendered response rendered in `generation`. Its body is
    /// read whole; a body that cannot be read becomes a 500 to send.
    pub(super) async fn from_response(
        response: Response<Body>,
        generation: u64,
    ) -> Result<CachedPage, Response<Body>> {
        let (parts, body) = response.into_parts();
        let route = parts.extensions.get::<RenderedFor>().cloned();
        let Ok(rendered) = axum::body::to_bytes(body, MAX_CACHED_BODY * 4).await else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        // A rendered String grows by doubling, so its buffer can be up to
        // twice the page; an exact copy keeps the cache's byte count true.
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
            .or_insert(CachePolicy::ForAMinute.into());
        let modified_at = headers
            .get(header::LAST_MODIFIED)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        let keys = headers
            .get(&SURROGATE_KEY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect();
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
            keys,
            headers,
            etag,
            modified_at,
            identity,
            route,
            gzip: compressed.clone(),
            brotli: compressed,
        })
    }

    /// The page's form in `coding`; identity has no compressed form.
    pub(super) fn form(&self, coding: Coding) -> &Compressed {
        match coding {
            Coding::Brotli => &self.brotli,
            Coding::Gzip => &self.gzip,
            Coding::Identity => &Compressed::Useless,
        }
    }

    /// Whether the page has, or may yet have, a useful form in `coding`.
    pub(super) fn may_have(&self, coding: Coding) -> bool {
        coding == Coding::Identity || !matches!(self.form(coding), Compressed::Useless)
    }

    /// A copy of the page with its form in `coding` set to `form`.
    pub(super) fn with_form(&self, coding: Coding, form: Compressed) -> CachedPage {
        let mut page = self.clone();
        match coding {
            Coding::Brotli => page.brotli = form,
            Coding::Gzip => page.gzip = form,
            Coding::Identity => {}
        }
        page
    }

    /// How many compressed forms have been made and kept.
    pub(super) fn forms_made(&self) -> usize {
        [&self.gzip, &self.brotli]
            .into_iter()
            .filter(|form| matches!(form, Compressed::Ready(_)))
            .count()
    }

    /// What the page costs the cache: every byte it holds, plus a little
    /// for the entry itself.
    pub(super) fn weight(&self) -> u64 {
        let keys: usize = self.keys.iter().map(String::len).sum();
        (self.identity.len() + self.gzip.len() + self.brotli.len() + keys + 256) as u64
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A compressible page showing `keys`, with no form made yet.
    pub(in crate::web::cache) fn page(body: &str, keys: &[&str]) -> std::sync::Arc<CachedPage> {
        std::sync::Arc::new(CachedPage {
            generation: 0,
            keys: keys.iter().map(|key| (*key).to_string()).collect(),
            headers: HeaderMap::from_iter([(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )]),
            etag: HeaderValue::from_static("W/\"1\""),
            modified_at: None,
            identity: Bytes::copy_from_slice(body.as_bytes()),
            route: None,
            gzip: Compressed::NotYet,
            brotli: Compressed::NotYet,
        })
    }

    async fn kept(body: String, content_type: &'static str) -> CachedPage {
        let response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
        CachedPage::from_response(response, 7).await.ok().unwrap()
    }

    #[tokio::test]
    async fn a_kept_page_has_its_validator_vary_and_a_default_policy() {
        let page = kept("<p>Anora</p>".into(), "text/html").await;
        assert_eq!(page.generation, 7);
        assert_eq!(page.headers[header::ETAG], page.etag);
        assert_eq!(page.headers[header::VARY], "accept-encoding");
        assert_eq!(
            page.headers[header::CACHE_CONTROL],
            "public, max-age=60, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400"
        );
        assert!(page.headers.get(header::CONTENT_LENGTH).is_none());
    }

    #[tokio::test]
    async fn only_large_enough_text_may_be_compressed() {
        let small = kept("<p>Anora</p>".into(), "text/html").await;
        assert!(!small.may_have(Coding::Brotli) && !small.may_have(Coding::Gzip));
        let large = kept("<p>Anora</p>".repeat(200), "text/html").await;
        assert!(large.may_have(Coding::Brotli) && large.may_have(Coding::Gzip));
        assert!(large.may_have(Coding::Identity));
        let image = kept("\0".repeat(4096), "image/png").await;
        assert!(!image.may_have(Coding::Brotli) && image.may_have(Coding::Identity));
    }
}
