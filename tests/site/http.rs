//! HTTP details: ranges on files, conditional requests and the dates they
//! compare, files that must never leave their folder, and the one binary
//! that carries its own stylesheet.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite};

/// A bundle with a short "video" whose bytes are easy to slice.
const CLIP: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

async fn site_with_a_clip() -> TestSite {
    site_with_a_clip_at(common::NOW).await
}

/// The bundle with a clip, at `now` (the files carry the real time).
async fn site_with_a_clip_at(now: time::OffsetDateTime) -> TestSite {
    TestSite::build(
        Options {
            now,
            ..Options::default()
        },
        &[
            (
                "reviews/clip/index.md",
                &common::review("With a clip", "Clip", "", "Body."),
            ),
            ("reviews/clip/trailer.mp4", CLIP),
        ],
    )
    .await
}

// ---------------------------------------------------------------------------
// Range requests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_range_of_a_bundle_file_is_a_206_with_those_bytes() {
    let site = site_with_a_clip().await;
    let response = site
        .get_with("/reviews/clip/trailer.mp4", &[("range", "bytes=10-15")])
        .await;
    assert_eq!(response.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.body, CLIP[10..=15]);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes 10-15/{}", CLIP.len()).as_str())
    );
    assert_eq!(response.header("content-type"), Some("video/mp4"));

    let suffix = site
        .get_with("/reviews/clip/trailer.mp4", &[("range", "bytes=-4")])
        .await;
    assert_eq!(suffix.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(suffix.body, CLIP[CLIP.len() - 4..]);
}

#[tokio::test]
async fn an_unsatisfiable_range_of_a_bundle_file_is_a_416() {
    let site = site_with_a_clip().await;
    let response = site
        .get_with("/reviews/clip/trailer.mp4", &[("range", "bytes=500-600")])
        .await;
    assert_eq!(response.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes */{}", CLIP.len()).as_str())
    );
}

/// A site whose own static folder does not exist: every static file is
/// the built-in one.
fn with_static_dir(site: &TestSite, dir: &std::path::Path) -> axum::Router {
    let mut state = site.site.state.clone();
    state.assets = std::sync::Arc::new(marquee::web::assets::Assets::load(dir));
    state.cache = marquee::web::cache::PageCache::new(1 << 20);
    marquee::router(state)
}

async fn get_from(router: &axum::Router, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = axum::http::Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = tower::ServiceExt::oneshot(
        router.clone(),
        request.body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Fetched {
        status,
        headers,
        body,
    }
}

/// A response with its body as bytes (a stylesheet compared byte for byte).
struct Fetched {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

fn stylesheet_bytes() -> Vec<u8> {
    std::fs::read(common::repo().join("static/style.css")).unwrap()
}

#[tokio::test]
async fn a_range_of_the_stylesheet_is_a_206_built_in_or_on_disk() {
    let site = TestSite::sample().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let css = stylesheet_bytes();
    let size = css.len();
    for (what, router) in [
        ("on disk", site.router.clone()),
        (
            "built in",
            with_static_dir(&site, &elsewhere.path().join("none")),
        ),
    ] {
        let home = get_from(&router, "/", &[]).await;
        let html = scraper::Html::parse_document(&String::from_utf8(home.body).unwrap());
        let href = common::attr_of(&html, "link[rel=stylesheet]", "href").unwrap();
        for path in [href.as_str(), "/static/style.css"] {
            let part = get_from(&router, path, &[("range", "bytes=5-24")]).await;
            assert_eq!(part.status, StatusCode::PARTIAL_CONTENT, "{what} {path}");
            assert_eq!(part.body, css[5..=24], "{what} {path}");
            assert_eq!(
                part.header("content-range"),
                Some(format!("bytes 5-24/{size}").as_str()),
                "{what} {path}"
            );
            assert_eq!(part.header("content-type"), Some("text/css"), "{what}");

            let beyond = get_from(&router, path, &[("range", "bytes=999999-")]).await;
            assert_eq!(
                beyond.status,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "{what} {path}"
            );
            assert_eq!(
                beyond.header("content-range"),
                Some(format!("bytes */{size}").as_str()),
                "{what} {path}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Files outside their folder
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn bundle_files_that_link_outside_content_are_never_served() {
    use std::os::unix::fs::symlink;
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/clip/index.md",
                &common::review("With a clip", "Clip", "", "Body."),
            ),
            ("reviews/clip/still.jpg", "STILL"),
            (
                "reviews/other/index.md",
                &common::review("Other", "Other", "", "Body."),
            ),
            ("reviews/other/poster.jpg", "POSTER"),
        ],
    )
    .await;
    let outside = tempfile::tempdir().unwrap();
    common::write_file(&outside.path().join("secret.jpg"), "TOPSECRET");
    let bundle = site.content().join("reviews/clip");
    // To a file outside, and a chain whose last link leads outside.
    symlink(outside.path().join("secret.jpg"), bundle.join("leak.jpg")).unwrap();
    symlink(outside.path().join("secret.jpg"), bundle.join("hop.jpg")).unwrap();
    symlink(bundle.join("hop.jpg"), bundle.join("chain.jpg")).unwrap();
    // To the content folder's parent, through a relative link.
    common::write_file(&site.dir.path().join("beside.jpg"), "TOPSECRET");
    symlink("../../../beside.jpg", bundle.join("up.jpg")).unwrap();
    // Inside content: another bundle's file, and one beside it.
    symlink("../other/poster.jpg", bundle.join("borrowed.jpg")).unwrap();
    symlink("still.jpg", bundle.join("alias.jpg")).unwrap();
    // Inside content, but not a bundle file really: the review's text.
    symlink("index.md", bundle.join("text.jpg")).unwrap();

    for name in ["leak.jpg", "chain.jpg", "up.jpg", "text.jpg"] {
        let response = site.get(&format!("/reviews/clip/{name}")).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{name}");
        assert!(!response.body.contains("TOPSECRET"), "{name}");
        assert!(!response.body.contains("With a clip\nfilm"), "{name}");
    }
    for (name, body) in [("alias.jpg", "STILL"), ("borrowed.jpg", "POSTER")] {
        let response = site.get(&format!("/reviews/clip/{name}")).await;
        assert_eq!(response.status, StatusCode::OK, "{name}");
        assert_eq!(response.body, body, "{name}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn static_files_that_link_outside_the_static_folder_are_never_served() {
    use std::os::unix::fs::symlink;
    let site = TestSite::sample().await;
    let root = tempfile::tempdir().unwrap();
    let own = root.path().join("static");
    let outside = root.path().join("outside");
    common::write_file(&own.join("extra.css"), "p{}");
    common::write_file(&outside.join("secret.css"), "TOPSECRET");
    symlink(outside.join("secret.css"), own.join("leak.css")).unwrap();
    symlink(&outside, own.join("folder")).unwrap();
    symlink(own.join("leak.css"), own.join("chain.css")).unwrap();
    symlink("extra.css", own.join("alias.css")).unwrap();
    let router = with_static_dir(&site, &own);

    for path in [
        "/static/leak.css",
        "/static/folder/secret.css",
        "/static/chain.css",
    ] {
        let response = get_from(&router, path, &[]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !String::from_utf8_lossy(&response.body).contains("TOPSECRET"),
            "{path}"
        );
    }
    let alias = get_from(&router, "/static/alias.css", &[]).await;
    assert_eq!(alias.status, StatusCode::OK);
    assert_eq!(alias.body, b"p{}");
}

// ---------------------------------------------------------------------------
// One program
// ---------------------------------------------------------------------------

#[test]
fn the_binary_serves_a_styled_site_from_an_empty_folder() {
    let data = tempfile::tempdir().unwrap();
    let content = data.path().join("content");
    common::copy_dir(&common::repo().join("content"), &content);
    let db = data.path().join("marquee.db");
    let empty = tempfile::tempdir().unwrap();
    let binary = common::Binary::serve(
        empty.path(),
        &[
            "--no-watch".as_ref(),
            "--content".as_ref(),
            content.as_os_str(),
            "--db".as_ref(),
            db.as_os_str(),
        ],
    );

    let home = common::wire_get(binary.addr, "/");
    assert_eq!(home.status, 200);
    let html = scraper::Html::parse_document(&home.text());
    let href = common::attr_of(&html, "link[rel=stylesheet]", "href").unwrap();
    assert_ne!(href, "/static/style.css", "the link is fingerprinted");
    let stylesheet = common::wire_get(binary.addr, &href);
    assert_eq!(stylesheet.status, 200, "{href}");
    assert_eq!(stylesheet.header("content-type"), Some("text/css"));
    assert_eq!(
        stylesheet.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(stylesheet.body, stylesheet_bytes());

    let favicon = common::wire_get(binary.addr, "/favicon.ico");
    assert_eq!(favicon.status, 200);
    assert_eq!(
        favicon.body,
        std::fs::read(common::repo().join("static/favicon.ico")).unwrap()
    );
}

#[tokio::test]
async fn a_file_in_the_static_folder_wins_over_the_built_in_one() {
    let site = TestSite::sample().await;
    let own = tempfile::tempdir().unwrap();
    common::write_file(&own.path().join("style.css"), "p{color:red}");
    common::write_file(&own.path().join("extra.css"), "em{}");
    let router = with_static_dir(&site, own.path());

    let home = get_from(&router, "/", &[]).await;
    let html = scraper::Html::parse_document(&String::from_utf8(home.body).unwrap());
    let href = common::attr_of(&html, "link[rel=stylesheet]", "href").unwrap();
    for path in [href.as_str(), "/static/style.css"] {
        let own_style = get_from(&router, path, &[]).await;
        assert_eq!(own_style.status, StatusCode::OK, "{path}");
        assert_eq!(own_style.body, b"p{color:red}", "{path}");
    }
    assert_eq!(
        get_from(&router, "/static/extra.css", &[]).await.body,
        b"em{}"
    );
    let favicon = get_from(&router, "/favicon.ico", &[]).await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(
        favicon.body,
        std::fs::read(common::repo().join("static/favicon.ico")).unwrap()
    );
}

// ---------------------------------------------------------------------------
// Content codings
// ---------------------------------------------------------------------------

/// A response's body decoded from the coding its Content-Encoding names.
fn decoded(response: &Fetched) -> Vec<u8> {
    let mut decoded = Vec::new();
    match response.header("content-encoding") {
        Some("br") => brotli::BrotliDecompress(&mut &response.body[..], &mut decoded).unwrap(),
        Some("gzip") => {
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(&response.body[..]),
                &mut decoded,
            )
            .unwrap();
        }
        None => decoded.clone_from(&response.body),
        Some(other) => panic!("unexpected coding {other}"),
    }
    decoded
}

/// `path` with one Accept-Encoding line per item of `accept`.
async fn get_accepting(site: &TestSite, path: &str, accept: &[&str]) -> Fetched {
    let headers: Vec<_> = accept
        .iter()
        .map(|line| ("accept-encoding", *line))
        .collect();
    get_from(&site.router, path, &headers).await
}

#[tokio::test]
async fn a_page_comes_in_the_coding_the_reader_weighs_highest() {
    let site = TestSite::sample().await;
    let plain = get_accepting(&site, "/reviews/anora", &[]).await;
    assert_eq!(plain.header("content-encoding"), None, "no Accept-Encoding");
    for (accept, coding) in [
        (&["br;q=0.5, gzip"][..], Some("gzip")),
        (&["gzip;q=0.5, br;q=0.9"], Some("br")),
        (&["*"], Some("br")),
        (&["br;q=0, *"], Some("gzip")),
        (&[" GZIP ; Q=0.8 ", "Br;q=0.9"], Some("br")),
        (&["gzip;q=0.5", "br;q=0"], Some("gzip")),
        (&["identity, gzip;q=0.5"], None),
        (&["zstd, *;q=0"], None),
    ] {
        let response = get_accepting(&site, "/reviews/anora", accept).await;
        assert_eq!(response.status, StatusCode::OK, "{accept:?}");
        assert_eq!(response.header("content-encoding"), coding, "{accept:?}");
        assert_eq!(
            response.header("vary"),
            Some("accept-encoding"),
            "{accept:?}"
        );
        assert_eq!(decoded(&response), plain.body, "{accept:?}");
    }
}

#[tokio::test]
async fn a_reader_that_refuses_identity_gets_even_a_small_page_compressed() {
    let site = TestSite::sample().await;
    let plain = get_accepting(&site, "/robots.txt", &[]).await;
    assert!(
        plain.body.len() < 512,
        "small enough not to be kept compressed"
    );
    for (accept, coding) in [("gzip, identity;q=0", "gzip"), ("br, *;q=0", "br")] {
        let response = get_accepting(&site, "/robots.txt", &[accept]).await;
        assert_eq!(
            response.header("content-encoding"),
            Some(coding),
            "{accept}"
        );
        assert_eq!(decoded(&response), plain.body, "{accept}");
    }
    let gzip = get_accepting(&site, "/robots.txt", &["gzip"]).await;
    assert_eq!(
        gzip.header("content-encoding"),
        None,
        "not worth it otherwise"
    );
}

// ---------------------------------------------------------------------------
// Conditional requests and the dates they compare
// ---------------------------------------------------------------------------

/// Later than any clock these tests run with.
const FUTURE: &str = "Thu, 01 Jan 2099 00:00:00 GMT";

#[tokio::test]
async fn an_if_modified_since_in_the_future_is_ignored() {
    // At the real time, so that the files' times are in the past.
    let site = site_with_a_clip_at(time::OffsetDateTime::now_utc()).await;
    for path in [
        "/",
        "/reviews/anora",
        "/feed.xml",
        "/reviews/clip/trailer.mp4",
    ] {
        let first = site.get(path).await;
        let last_modified = first.header("last-modified").unwrap().to_string();
        let revalidated = site
            .get_with(path, &[("if-modified-since", &last_modified)])
            .await;
        assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED, "{path}");
        let from_the_future = site.get_with(path, &[("if-modified-since", FUTURE)]).await;
        assert_eq!(from_the_future.status, StatusCode::OK, "{path}");
        assert!(!from_the_future.body.is_empty(), "{path}");
    }
}

fn date_in(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days))
        .date()
        .to_string()
}

fn not_after_now(what: &str, moment: std::time::SystemTime) {
    // HTTP dates have whole seconds; the clock has more.
    let now = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
    assert!(
        moment <= now,
        "{what}: {} is later than now",
        httpdate::fmt_http_date(moment)
    );
}

#[tokio::test]
async fn an_update_dated_in_the_future_counts_as_now() {
    let updated = date_in(40);
    let site = TestSite::build(
        Options {
            now: time::OffsetDateTime::now_utc(),
            ..Options::default()
        },
        &[(
            "reviews/ahead.md",
            &common::review(
                "Ahead of itself",
                "Ahead",
                &format!("updated: {updated}\n"),
                "Body.",
            ),
        )],
    )
    .await;
    for path in [
        "/reviews/ahead",
        "/",
        "/tags",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        let last_modified = response.header("last-modified").expect("Last-Modified");
        not_after_now(path, httpdate::parse_http_date(last_modified).unwrap());
    }
    for path in ["/feed.xml", "/atom.xml", "/feed.json"] {
        let feed = feed_rs::parser::parse(site.get(path).await.body.as_bytes()).unwrap();
        if let Some(updated) = feed.updated {
            not_after_now(path, updated.into());
        }
        let entry = feed
            .entries
            .iter()
            .find(|entry| entry.links.iter().any(|link| link.href.ends_with("/ahead")))
            .unwrap_or_else(|| panic!("{path}: no item for the review"));
        for moment in [entry.updated, entry.published].into_iter().flatten() {
            not_after_now(path, moment.into());
        }
    }
    let sitemap = site.get("/sitemap.xml").await.body;
    let sitemap = roxmltree::Document::parse(&sitemap).unwrap();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    for lastmod in sitemap
        .descendants()
        .filter(|node| node.has_tag_name("lastmod"))
    {
        let date = lastmod.text().unwrap();
        assert!(date <= today.as_str(), "sitemap lastmod {date}");
    }
    // The byline keeps the date as written.
    let review = site.get("/reviews/ahead").await.html();
    let byline = common::texts_of(&review, "time").join(" ");
    assert!(byline.contains(&updated[..4]), "{byline}");
}

#[tokio::test]
async fn a_scheduled_review_in_preview_is_not_modified_later_than_now() {
    let site = TestSite::build(
        Options {
            now: time::OffsetDateTime::now_utc(),
            drafts: true,
            ..Options::default()
        },
        &[(
            "reviews/soon.md",
            &format!(
                "---\ntitle: Soon\nfilm:\n  title: Soon\npublished: {}\n---\nBody.\n",
                date_in(10)
            ),
        )],
    )
    .await;
    let response = site.get("/reviews/soon").await;
    assert_eq!(response.status, StatusCode::OK);
    let last_modified = response.header("last-modified").unwrap();
    not_after_now("preview", httpdate::parse_http_date(last_modified).unwrap());
}

#[cfg(unix)]
#[tokio::test]
async fn a_file_dated_in_the_future_is_not_modified_later_than_now() {
    let site = site_with_a_clip_at(time::OffsetDateTime::now_utc()).await;
    let file = std::fs::File::options()
        .write(true)
        .open(site.content().join("reviews/clip/trailer.mp4"))
        .unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(86_400 * 30))
        .unwrap();
    let response = site.get("/reviews/clip/trailer.mp4").await;
    assert_eq!(response.status, StatusCode::OK);
    let last_modified = response.header("last-modified").unwrap();
    not_after_now(
        "bundle file",
        httpdate::parse_http_date(last_modified).unwrap(),
    );
}

// ---------------------------------------------------------------------------
// The status page
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case() {
    let token = "s3cret-editor-token";
    let site = TestSite::build(
        Options {
            status_token: Some(token.into()),
            ..Options::default()
        },
        &[],
    )
    .await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let authorization = format!("{scheme} {token}");
        let response = site
            .get_with("/status", &[("authorization", &authorization)])
            .await;
        assert_eq!(response.status, StatusCode::OK, "{scheme}");
        assert_eq!(
            common::text_of(&response.html(), "h1").as_deref(),
            Some("Content status")
        );
    }
    let wrong = site
        .get_with("/status", &[("authorization", "bearer not-the-token")])
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_status_query_that_does_not_parse_is_an_unknown_path() {
    let closed = TestSite::sample().await;
    let open = TestSite::build(
        Options {
            status_token: Some("s3cret".into()),
            ..Options::default()
        },
        &[],
    )
    .await;
    let unknown = closed.get("/no-such-page").await;
    for (what, site) in [
        ("no token configured", &closed),
        ("a token configured", &open),
    ] {
        let response = site.get("/status?token=a&token=b").await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{what}");
        assert_eq!(
            common::text_of(&response.html(), "h1"),
            common::text_of(&unknown.html(), "h1"),
            "{what}"
        );
    }
}

// ---------------------------------------------------------------------------
// Requests hyper would refuse by itself
// ---------------------------------------------------------------------------

/// An error page in the site's layout, with the headers every response has.
fn assert_our_error_page(what: &str, response: &common::WireResponse, status: u16, heading: &str) {
    assert_eq!(response.status, status, "{what}");
    let csp = response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert_eq!(
        response.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(response.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(response.header("permissions-policy").is_some(), "{what}");
    assert!(response.header("referrer-policy").is_some(), "{what}");
    assert_eq!(response.header("connection"), Some("close"), "{what}");
    let html = scraper::Html::parse_document(&response.text());
    assert_eq!(
        common::text_of(&html, "h1").as_deref(),
        Some(heading),
        "{what}"
    );
    assert_eq!(
        common::text_of(&html, ".site-title").as_deref(),
        Some("Marquee"),
        "{what}"
    );
}

async fn serving(site: &TestSite) -> common::Server {
    common::Server::start(
        site.router.clone(),
        marquee::web::security::Limits::default(),
    )
    .await
}

#[tokio::test]
async fn heads_hyper_would_refuse_get_our_headers_and_error_page() {
    let site = TestSite::sample().await;
    let server = serving(&site).await;
    let addr = server.addr;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "a target that is not UTF-8",
            b"GET /reviews/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
            "Bad request",
        ),
        (
            "101 headers",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
                "X-A: b\r\n".repeat(100)
            )
            .into_bytes(),
            431,
            "Request too large",
        ),
        (
            "a head over 16 KiB",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "x".repeat(20 * 1024)
            )
            .into_bytes(),
            431,
            "Request too large",
        ),
        (
            "not HTTP",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n".to_vec(),
            400,
            "Bad request",
        ),
    ];
    for (what, request, status, heading) in cases {
        let bytes = common::blocking(move || {
            common::exchange_bytes(addr, &request, std::time::Duration::from_secs(5))
        })
        .await;
        assert_our_error_page(what, &common::WireResponse::parse(&bytes), status, heading);
    }
    // 100 headers are still fine.
    let hundred = format!(
        "GET / HTTP/1.1\r\nConnection: close\r\n{}\r\n",
        "X-A: b\r\n".repeat(99)
    );
    let bytes = common::blocking(move || {
        common::exchange_bytes(addr, hundred.as_bytes(), std::time::Duration::from_secs(5))
    })
    .await;
    assert_eq!(common::WireResponse::parse(&bytes).status, 200);
}

/// Splits the first response off `bytes` by its Content-Length.
fn first_response(bytes: &[u8]) -> (common::WireResponse, &[u8]) {
    let head_end = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap()
        + 4;
    let head = common::WireResponse::parse(&bytes[..head_end]);
    let length: usize = head.header("content-length").unwrap().parse().unwrap();
    let end = head_end + length;
    (common::WireResponse::parse(&bytes[..end]), &bytes[end..])
}

#[tokio::test]
async fn a_refused_head_after_good_requests_on_one_connection_gets_our_page() {
    let site = TestSite::sample().await;
    let server = serving(&site).await;
    let addr = server.addr;
    // Two good requests (one with a body to skip) and a bad one, sent at
    // once, as a pipelining client would.
    let mut requests = b"GET /reviews/anora HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    requests.extend_from_slice(
        b"GET /tags HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nGET /\xff\xff",
    );
    requests.extend_from_slice(b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n");
    let bytes = common::blocking(move || {
        common::exchange_bytes(addr, &requests, std::time::Duration::from_secs(5))
    })
    .await;
    let (review, rest) = first_response(&bytes);
    assert_eq!(review.status, 200);
    let html = scraper::Html::parse_document(&review.text());
    assert_eq!(
        common::text_of(&html, "h1").as_deref(),
        Some("An anti-Fairytale of New York")
    );
    let (tags, rest) = first_response(rest);
    assert_eq!(tags.status, 200);
    assert_our_error_page(
        "the third",
        &common::WireResponse::parse(rest),
        400,
        "Bad request",
    );
}
