//! Answering a request from a kept page: a 304 when the client's copy is
//! current, otherwise the body in the coding the request negotiates, that
//! coding's form made and kept first if this is the first reader to ask.
//! This is the hot path: it takes no lock and allocates nothing beyond
//! the response it returns.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::compress::{compress, encode};
use super::conditional::not_modified;
use super::negotiate::{Coding, Weights};
use super::page::{CachedPage, Compressed};
use super::store::PageCache;
use crate::clock::Clock;

/// The page at `key` as the request asks for it.
pub(super) fn respond(
    cache: &PageCache,
    key: &str,
    mut page: Arc<CachedPage>,
    request: &HeaderMap,
    clock: &Clock,
) -> Response<Body> {
    let weights = Weights::of(request);
    let coding = weights
        .best(|coding| page.may_have(coding))
        .unwrap_or(Coding::Identity);
    let mut headers = page.headers.clone();
    if not_modified(&page, request, clock) {
        headers.remove(header::CONTENT_TYPE);
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        *response.headers_mut() = headers;
        if let Some(route) = &page.route {
            response.extensions_mut().insert(route.clone());
        }
        return response;
    }
    if matches!(page.form(coding), Compressed::NotYet) {
        page = Arc::new(page.with_form(coding, compress(&page.identity, coding)));
        // Replaces the entry, and its weight with it. The page keeps its
        // generation: if the content changed meanwhile, it is not served.
        cache.insert(key, page.clone());
    }
    let (coding, body) = match page.form(coding) {
        Compressed::Ready(form) => (coding, form.clone()),
        Compressed::NotYet | Compressed::Useless => unkept_form(&page, &weights),
    };
    if let Some(name) = coding.content_encoding() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    if let Some(route) = &page.route {
        response.extensions_mut().insert(route.clone());
    }
    response
}

/// The page as it is, unless the client refuses that and takes a coding
/// whose form was not worth keeping (too small, or not text): then that
/// form, made for this response alone. A client that refuses every coding
/// gets the page as it is (see `negotiate`).
fn unkept_form(page: &CachedPage, weights: &Weights) -> (Coding, Bytes) {
    if weights.refuses_identity()
        && let Some(coding) = weights.best(|coding| coding != Coding::Identity)
        && let Some(form) = encode(&page.identity, coding)
    {
        return (coding, Bytes::from(form));
    }
    (Coding::Identity, page.identity.clone())
}

#[cfg(test)]
mod tests {
    use super::super::compress::tests::decoded;
    use super::super::page::tests::page;
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        HeaderMap::from_iter([(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        )])
    }

    fn ready(form: &Compressed) -> &[u8] {
        match form {
            Compressed::Ready(bytes) => bytes,
            Compressed::NotYet | Compressed::Useless => panic!("not made"),
        }
    }

    /// The page kept at `/` sent for a request with these headers: its
    /// Content-Encoding, and its body decoded.
    async fn sent(cache: &PageCache, request: &HeaderMap) -> (Option<String>, Vec<u8>) {
        let response = respond(
            cache,
            "/",
            cache.get("/").unwrap(),
            request,
            &Clock::system(),
        );
        assert_eq!(response.status(), StatusCode::OK);
        let coding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|value| value.to_str().unwrap().to_string());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let decoded = match coding.as_deref() {
            Some("br") => decoded(&body, Coding::Brotli),
            Some("gzip") => decoded(&body, Coding::Gzip),
            _ => body.to_vec(),
        };
        (coding, decoded)
    }

    #[test]
    fn a_coding_is_made_when_first_asked_for_and_then_kept() {
        let cache = PageCache::new(1024 * 1024);
        let clock = Clock::system();
        let body = "<p>Anora</p>".repeat(200);
        cache.insert("/", page(&body, &["site"]));
        let identity = respond(
            &cache,
            "/",
            cache.get("/").unwrap(),
            &HeaderMap::new(),
            &clock,
        );
        assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
        assert!(matches!(
            cache.get("/").unwrap().form(Coding::Brotli),
            Compressed::NotYet
        ));

        let brotli = respond(
            &cache,
            "/",
            cache.get("/").unwrap(),
            &accepting("gzip, br"),
            &clock,
        );
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        let kept = cache.get("/").unwrap();
        let kept_brotli = ready(kept.form(Coding::Brotli));
        assert_eq!(decoded(kept_brotli, Coding::Brotli), body.as_bytes());
        assert!(
            matches!(kept.form(Coding::Gzip), Compressed::NotYet),
            "gzip not made yet"
        );
        assert!(cache.weight() > body.len() as u64 + kept_brotli.len() as u64);

        let gzip = respond(&cache, "/", kept, &accepting("gzip"), &clock);
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    }

    #[tokio::test]
    async fn the_client_s_weights_choose_the_coding() {
        let cache = PageCache::new(1024 * 1024);
        let body = "<p>Anora</p>".repeat(200);
        cache.insert("/", page(&body, &["site"]));
        for (accept, coding) in [
            ("br;q=0.5, gzip", Some("gzip")),
            ("gzip;q=0.5, br", Some("br")),
            ("*", Some("br")),
            ("br;q=0, *", Some("gzip")),
            ("GZIP, Br;Q=0", Some("gzip")),
            ("identity, br;q=0.5", None),
            ("*;q=0, identity", None),
        ] {
            let (sent_in, decoded) = sent(&cache, &accepting(accept)).await;
            assert_eq!(sent_in.as_deref(), coding, "{accept}");
            assert_eq!(decoded, body.as_bytes(), "{accept}");
        }
    }

    #[tokio::test]
    async fn a_client_that_refuses_identity_gets_a_coding_even_when_it_saves_nothing() {
        let cache = PageCache::new(1024 * 1024);
        cache.insert("/", page("<p>Anora</p>", &["site"]));
        let (coding, decoded) = sent(&cache, &accepting("gzip, identity;q=0")).await;
        assert_eq!(coding.as_deref(), Some("gzip"));
        assert_eq!(decoded, b"<p>Anora</p>");
        assert!(
            matches!(
                cache.get("/").unwrap().form(Coding::Gzip),
                Compressed::Useless
            ),
            "the form that saves nothing is not kept"
        );
        let (coding, _) = sent(&cache, &accepting("*;q=0, br")).await;
        assert_eq!(coding.as_deref(), Some("br"));
    }

    #[tokio::test]
    async fn a_client_that_takes_nothing_the_server_has_gets_the_page_as_it_is() {
        let cache = PageCache::new(1024 * 1024);
        let body = "<p>Anora</p>".repeat(200);
        cache.insert("/", page(&body, &["site"]));
        for accept in ["identity;q=0, zstd", "*;q=0"] {
            let (coding, decoded) = sent(&cache, &accepting(accept)).await;
            assert_eq!(coding, None, "{accept}");
            assert_eq!(decoded, body.as_bytes(), "{accept}");
        }
    }
}
