//! Hostile readers and hostile text: security headers on every response,
//! XSS payloads in every front-matter field and in the body, path traversal,
//! odd methods and malformed requests, request limits, the editor's status
//! page, and failures (a panic, a broken database) that must become error
//! pages in the site's layout without leaking internals.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::routing::get;
use common::{Options, TestResponse, TestSite, text_of};
use marquee::content::markdown::{self, Target};
use marquee::web::security::Limits;
use marquee::web::{AppState, WebOptions};
use proptest::prelude::*;
use scraper::{ElementRef, Html};

// ---------------------------------------------------------------------------
// What "inert" means for a page
// ---------------------------------------------------------------------------

/// Elements that must never reach a reader, whoever wrote the content.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "template",
    "portal",
];

/// Attributes whose value is fetched or navigated to.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "ping",
];

/// A URL a browser would run or render as a document: after dropping the
/// whitespace and control characters browsers ignore, it starts with a
/// script or data scheme.
fn is_dangerous_url(value: &str) -> bool {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|scheme| cleaned.starts_with(scheme))
}

/// Fails if the page holds anything that could run: a script other than
/// JSON-LD (which must parse), an event handler, an inline style, a
/// dangerous URL, a frame or plugin, a form other than the site's search.
fn assert_inert(page: &str, body: &str) {
    assert_inert_but_embeds(page, body, &[]);
}

/// `assert_inert`, except that an iframe may show a player from one of
/// `embed_hosts`, sandboxed and with nothing but the attributes a kept
/// embed may have.
fn assert_inert_but_embeds(page: &str, body: &str, embed_hosts: &[String]) {
    let html = Html::parse_document(body);
    for element in html
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let name = element.value().name();
        if name == "iframe" && !embed_hosts.is_empty() {
            assert_sandboxed_embed(page, element, embed_hosts);
        } else {
            assert!(
                !FORBIDDEN_ELEMENTS.contains(&name),
                "{page}: a <{name}> element got through"
            );
        }
        match name {
            "script" => {
                assert_eq!(
                    element.value().attr("type"),
                    Some("application/ld+json"),
                    "{page}: a <script> that is not JSON-LD"
                );
                let json: String = element.text().collect();
                serde_json::from_str::<serde_json::Value>(&json).unwrap_or_else(|error| {
                    panic!("{page}: JSON-LD does not parse ({error}): {json}")
                });
            }
            "form" => assert_eq!(
                element.value().attr("action"),
                Some("/search"),
                "{page}: a form other than search"
            ),
            "meta" => assert!(
                element.value().attr("http-equiv").is_none(),
                "{page}: <meta http-equiv>"
            ),
            "link" => {
                let rel = element.value().attr("rel").unwrap_or_default();
                assert!(
                    [
                        "stylesheet",
                        "icon",
                        "alternate",
                        "canonical",
                        "prev",
                        "next"
                    ]
                    .contains(&rel),
                    "{page}: <link rel={rel}>"
                );
            }
            _ => {}
        }
        for (attribute, value) in element.value().attrs() {
            let attribute = attribute.to_ascii_lowercase();
            assert!(
                !attribute.starts_with("on"),
                "{page}: event handler {attribute}={value:?} on <{name}>"
            );
            assert_ne!(attribute, "style", "{page}: inline style on <{name}>");
            if URL_ATTRIBUTES.contains(&attribute.as_str()) {
                assert!(
                    !is_dangerous_url(value),
                    "{page}: {attribute}={value:?} on <{name}>"
                );
            }
            if attribute == "srcset" {
                for candidate in value.split(',') {
                    assert!(
                        !is_dangerous_url(candidate.trim()),
                        "{page}: srcset {value:?}"
                    );
                }
            }
        }
    }
}

fn assert_sandboxed_embed(page: &str, iframe: ElementRef<'_>, embed_hosts: &[String]) {
    let element = iframe.value();
    let src = element.attr("src").unwrap_or_default();
    assert!(
        markdown::is_embeddable(src, embed_hosts),
        "{page}: an iframe from {src:?} got through"
    );
    assert_eq!(
        element.attr("sandbox"),
        Some("allow-scripts allow-same-origin allow-popups allow-presentation"),
        "{page}"
    );
    assert_eq!(element.attr("loading"), Some("lazy"), "{page}");
    assert!(
        element
            .attr("title")
            .is_some_and(|title| !title.trim().is_empty()),
        "{page}: an untitled iframe"
    );
    for (attribute, _) in element.attrs() {
        assert!(
            [
                "src",
                "title",
                "width",
                "height",
                "allowfullscreen",
                "loading",
                "sandbox",
                "referrerpolicy"
            ]
            .contains(&attribute),
            "{page}: iframe attribute {attribute}"
        );
    }
    assert!(
        iframe.children().next().is_none(),
        "{page}: an iframe with content"
    );
}

// ---------------------------------------------------------------------------
// XSS payloads in every field
// ---------------------------------------------------------------------------

fn payloads() -> Vec<&'static str> {
    include_str!("../fixtures/xss-payloads.txt")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// A review whose every free-text field is `payload`, in TOML front matter
/// (written by the toml crate, so the payload arrives exactly as given).
fn hostile_review(payload: &str) -> String {
    let mut film = toml::Table::new();
    film.insert("title".into(), payload.into());
    film.insert("director".into(), payload.into());
    film.insert("year".into(), 2024.into());
    film.insert("poster".into(), payload.into());
    let mut release = toml::Table::new();
    release.insert("region".into(), payload.into());
    // Still to come, so the release box offers its calendar file.
    release.insert("date".into(), "2027-06-01".into());
    let mut front = toml::Table::new();
    front.insert("title".into(), payload.into());
    front.insert("summary".into(), payload.into());
    front.insert("author".into(), payload.into());
    front.insert("published".into(), "2024-06-01".into());
    front.insert("rating".into(), 3.into());
    front.insert(
        "tags".into(),
        toml::Value::Array(vec![payload.into(), "xss corpus".into()]),
    );
    front.insert(
        "release_dates".into(),
        toml::Value::Array(vec![release.into()]),
    );
    front.insert("film".into(), film.into());
    let front = toml::to_string(&front).expect("toml");
    format!(
        "+++\n{front}+++\n{payload}\n\nIn a paragraph: {payload}\n\n[link]({payload}) ![image]({payload})\n\n> {payload}\n"
    )
}

fn href_of(body: &str, selector: &str) -> Option<String> {
    common::attr_of(&Html::parse_document(body), selector, "href")
}

#[tokio::test]
async fn xss_payloads_in_every_field_render_as_text_and_never_as_markup() {
    let payloads = payloads();
    let files: Vec<(String, String)> = payloads
        .iter()
        .enumerate()
        .map(|(index, payload)| {
            (
                format!("reviews/xss-{index:02}.md"),
                hostile_review(payload),
            )
        })
        .collect();
    let mut borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    // Feeds long enough to carry every hostile review.
    borrowed.push(("site.toml", "title = \"Marquee\"\nfeed_items = 100\n"));
    let site = TestSite::build(
        Options {
            status_token: Some("editor-token".into()),
            ..Options::default()
        },
        &borrowed,
    )
    .await;
    let errors = marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap();
    assert!(errors.is_empty(), "every hostile file loads: {errors:?}");

    for (index, payload) in payloads.iter().enumerate() {
        let path = format!("/reviews/xss-{index:02}");
        let response = site.get(&path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_inert(&path, &response.body);
        let html = response.html();
        // The payload is shown as written: escaped once, not mangled.
        let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(text_of(&html, "h1"), Some(collapse(payload)), "{path}");
        assert_eq!(
            text_of(&html, ".release-region"),
            Some(collapse(payload)),
            "{path}"
        );
        let title = text_of(&html, "title").unwrap();
        assert!(title.contains(&collapse(payload)), "{path}: {title}");
        // JSON-LD carries the exact strings, and nothing ends its element early.
        let json_ld: serde_json::Value = serde_json::from_str(
            &html
                .select(&scraper::Selector::parse("script[type='application/ld+json']").unwrap())
                .next()
                .expect("JSON-LD")
                .text()
                .collect::<String>(),
        )
        .unwrap();
        assert_eq!(json_ld["name"], *payload, "{path}");
        assert_eq!(json_ld["itemReviewed"]["name"], *payload, "{path}");
        assert_eq!(
            json_ld["itemReviewed"]["director"]["name"], *payload,
            "{path}"
        );
        assert_eq!(json_ld["author"]["name"], *payload, "{path}");

        // The pages that list this review by its tag and its director.
        for selector in [".tags a[rel=tag]", ".facts a[href^='/directors/']"] {
            let link = href_of(&response.body, selector).expect(selector);
            let listing = site.get(&link).await;
            assert_eq!(listing.status, StatusCode::OK, "{link}");
            assert_inert(&link, &listing.body);
        }
        // The release date as a calendar: one event, the region folded into
        // its text, never a line of its own.
        let ics_link = href_of(&response.body, "a.release-calendar").expect("calendar link");
        let ics = site.get(&ics_link).await;
        assert_eq!(ics.status, StatusCode::OK, "{ics_link}");
        assert_eq!(ics.body.matches("BEGIN:VEVENT").count(), 1, "{ics_link}");
        assert!(!ics.body.contains("\nBEGIN:VALARM"), "{ics_link}");
    }

    assert_feeds_hold_payloads_as_text(&site, &payloads).await;

    let mut listings = vec![
        "/".to_string(),
        "/tags".into(),
        "/tags/xss-corpus".into(),
        "/stats".into(),
        "/films/2024".into(),
        "/ratings/3".into(),
        "/search?q=alert".into(),
        "/search?q=script".into(),
        "/status?token=editor-token".into(),
    ];
    listings.extend((2..=6).map(|page| format!("/page/{page}")));
    listings.extend((2..=6).map(|page| format!("/tags/xss-corpus/page/{page}")));
    for path in listings {
        let response = site.get(&path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_inert(&path, &response.body);
    }
}

/// Every feed is well-formed, carries each payload as the exact text of
/// its title and headline, and its HTML content is inert; the sitemap is
/// well-formed.
async fn assert_feeds_hold_payloads_as_text(site: &TestSite, payloads: &[&str]) {
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/tags/xss-corpus/feed.xml",
        "/tags/xss-corpus/atom.xml",
    ] {
        let response = site.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        if path.ends_with(".xml") {
            roxmltree::Document::parse(&response.body)
                .unwrap_or_else(|error| panic!("{path} is not well-formed: {error}"));
        }
        let feed = feed_rs::parser::parse(response.body.as_bytes())
            .unwrap_or_else(|error| panic!("{path} does not parse: {error}"));
        for payload in payloads {
            let entry = feed
                .entries
                .iter()
                .find(|entry| {
                    entry.title.as_ref().is_some_and(|title| {
                        title.content.starts_with(&format!("{payload} (2024)"))
                    })
                })
                .unwrap_or_else(|| panic!("{path}: no entry titled {payload:?}"));
            let content = entry
                .content
                .as_ref()
                .and_then(|content| content.body.clone())
                .unwrap_or_else(|| panic!("{path}: no content for {payload:?}"));
            let page = format!("<!doctype html><html><body>{content}</body></html>");
            assert_inert(&format!("{path} {payload}"), &page);
            let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                text_of(&Html::parse_document(&page), ".review-headline strong"),
                Some(collapse(payload)),
                "{path}"
            );
        }
    }
    let sitemap = site.get("/sitemap.xml").await;
    let document = roxmltree::Document::parse(&sitemap.body).expect("a well-formed sitemap");
    let locations: Vec<&str> = document
        .descendants()
        .filter(|node| node.has_tag_name("loc"))
        .filter_map(|node| node.text())
        .collect();
    for index in 0..payloads.len() {
        let url = format!("https://films.example/reviews/xss-{index:02}");
        assert!(locations.contains(&url.as_str()), "{url} in the sitemap");
    }
}

#[test]
fn raw_html_payloads_in_markdown_are_sanitized() {
    for payload in payloads() {
        for target in [Target::default(), bundle_target()] {
            let html =
                markdown::render(&format!("{payload}\n\ntext {payload} text\n"), target).html;
            assert_inert(
                payload,
                &format!("<!doctype html><html><body>{html}</body></html>"),
            );
        }
        let hosts = embed_hosts();
        let html = markdown::render(
            &format!("{payload}\n\ntext {payload} text\n"),
            embeds_target(&hosts),
        )
        .html;
        assert_inert_but_embeds(
            payload,
            &format!("<!doctype html><html><body>{html}</body></html>"),
            &hosts,
        );
    }
}

fn embed_hosts() -> Vec<String> {
    vec!["player.vimeo.com".into(), "www.youtube-nocookie.com".into()]
}

fn embeds_target(hosts: &[String]) -> Target<'_> {
    Target {
        embed_hosts: hosts,
        ..Target::default()
    }
}

fn bundle_target() -> Target<'static> {
    Target {
        asset_base: Some("/reviews/bundle/"),
        feed: None,
        embed_hosts: &[],
    }
}

/// Hostile markdown mixed with iframes, on allowed hosts and not.
fn hostile_fragment_with_embeds() -> impl Strategy<Value = String> {
    let iframes = prop::sample::select(vec![
        "<iframe src=\"https://player.vimeo.com/video/1\" title=\"t\">",
        "<iframe src=https://www.youtube-nocookie.com/embed/x>",
        "<iframe src=\"https://evil.example/\">",
        "<iframe src=\"//player.vimeo.com/video/1\">",
        "<iframe src=\"https://player.vimeo.com@evil.example/\">",
        "<iframe src=\"javascript:alert(1)\">",
        "<iframe srcdoc=\"<script>alert(1)</script>\" src=\"https://player.vimeo.com/v\">",
        "<iframe title=\"",
        " sandbox=\"allow-top-navigation\"",
        " allowfullscreen onload=alert(1)",
        "</iframe>",
        "</iframe x>",
    ])
    .prop_map(str::to_string);
    prop::collection::vec(prop_oneof![hostile_fragment(), iframes], 0..12)
        .prop_map(|pieces| pieces.concat())
}

/// Pieces that hostile markdown is made of: tags, attributes, schemes,
/// entities, markdown syntax, quotes and breaks, combined at random.
fn hostile_fragment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"",
        "javascript:",
        "java\tscript:",
        "&#106;avascript:",
        "data:text/html,",
        "\">",
        "'",
        "\"",
        " onclick=",
        "<svg onload=x>",
        "<iframe src=",
        "<style>",
        "</style>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<div style=\"x\">",
        "</div>",
        "<p>",
        "[x](",
        ")",
        "![i](",
        "<",
        ">",
        "&",
        "\n",
        "\n\n",
        "# h {onclick=x}",
        "```spoiler\n",
        "```\n",
        "> ",
        "- ",
        "`",
        "*",
        "<b>",
        "</b>",
        "<details open ontoggle=x>",
        "<math>",
        "<noscript>",
        "<form action=",
        "<base href=",
        "<meta http-equiv=refresh content=0>",
        "{#id .class style=x}",
        "alert(1)",
        "x",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_markdown_renders_inert_html(markdown in hostile_fragment()) {
        for target in [Target::default(), bundle_target()] {
            let html = markdown::render(&markdown, target).html;
            assert_inert(&markdown, &format!("<!doctype html><html><body>{html}</body></html>"));
        }
    }

    #[test]
    fn only_sandboxed_players_from_embed_hosts_get_through(markdown in hostile_fragment_with_embeds()) {
        let hosts = embed_hosts();
        let html = markdown::render(&markdown, embeds_target(&hosts)).html;
        assert_inert_but_embeds(
            &markdown,
            &format!("<!doctype html><html><body>{html}</body></html>"),
            &hosts,
        );
    }

    #[test]
    fn json_ld_never_holds_a_tag_and_round_trips(text in any::<String>()) {
        let value = serde_json::json!({ "name": text });
        let json = marquee::web::reviews::json_for_script(&value);
        prop_assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), value);
    }
}

// ---------------------------------------------------------------------------
// Security headers
// ---------------------------------------------------------------------------

fn assert_security_headers(what: &str, response: &TestResponse) {
    let csp = response
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        // Lighthouse's SEO audit fetches /robots.txt from the page.
        "connect-src 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        response.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(response.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        response.header("referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    assert!(
        response
            .header("permissions-policy")
            .is_some_and(|policy| policy.contains("camera=()")),
        "{what}"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let site = TestSite::build(
        Options::default(),
        &[(
            "reviews/bundled/index.md",
            &common::review("B", "B", "", "Body."),
        )],
    )
    .await;
    common::write_file(&site.content().join("reviews/bundled/still.jpg"), "jpeg");
    let home = site.get("/").await;
    let etag = home.header("etag").unwrap().to_string();
    let stylesheet = common::attr_of(&home.html(), "link[rel=stylesheet]", "href").unwrap();
    let mut responses = vec![
        ("home".to_string(), home),
        ("home again, from the cache".into(), site.get("/").await),
        (
            "304".into(),
            site.get_with("/", &[("if-none-match", &etag)]).await,
        ),
        ("review".into(), site.get("/reviews/anora").await),
        ("stylesheet".into(), site.get(&stylesheet).await),
        ("favicon".into(), site.get("/favicon.ico").await),
        (
            "bundle file".into(),
            site.get("/reviews/bundled/still.jpg").await,
        ),
        (
            "calendar".into(),
            site.get("/reviews/anora/release/uk.ics").await,
        ),
        ("healthz".into(), site.get("/healthz").await),
        ("404".into(), site.get("/no/such/page").await),
        ("static 404".into(), site.get("/static/missing.css").await),
        ("status without a token".into(), site.get("/status").await),
        (
            "too long".into(),
            site.get(&format!("/{}", "a".repeat(5000))).await,
        ),
    ];
    responses.push((
        "405".into(),
        site.request(Request::post("/").body(Body::empty()).unwrap())
            .await,
    ));
    let statuses: Vec<u16> = responses.iter().map(|(_, r)| r.status.as_u16()).collect();
    assert_eq!(
        statuses,
        [
            200, 200, 304, 200, 200, 200, 200, 200, 200, 404, 404, 404, 414, 405
        ]
    );
    for (what, response) in &responses {
        assert_security_headers(what, response);
        assert!(
            response.header("strict-transport-security").is_some(),
            "{what}: the base URL is https"
        );
    }
}

#[tokio::test]
async fn hsts_only_when_the_base_url_is_https() {
    let site = TestSite::sample().await;
    let mut state = site.site.state.clone();
    state.site =
        marquee::content::site::SiteCell::new(Some("http://films.example".into()), site.args.addr);
    // Cached pages keep the headers they were first served with, so a
    // router with other settings gets a cache of its own.
    state.cache = marquee::web::cache::PageCache::new(1 << 20);
    let router = marquee::router(state);
    let response =
        tower::ServiceExt::oneshot(router, Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    assert!(response.headers().get("content-security-policy").is_some());
    let https = site.get("/").await;
    assert_eq!(
        https.header("strict-transport-security"),
        Some("max-age=31536000")
    );
}

// ---------------------------------------------------------------------------
// Requests that try to escape, confuse or overload
// ---------------------------------------------------------------------------

#[tokio::test]
async fn path_traversal_is_refused_on_static_files_and_bundles() {
    let site = TestSite::build(
        Options::default(),
        &[
            (
                "reviews/bundled/index.md",
                &common::review("B", "B", "draft: false\n", "Body."),
            ),
            ("reviews/secret.jpg", "TOPSECRET"),
            ("secret.jpg", "TOPSECRET"),
        ],
    )
    .await;
    common::write_file(&site.content().join("reviews/bundled/still.jpg"), "jpeg");
    common::write_file(&site.dir.path().join("secret.jpg"), "TOPSECRET");
    assert_eq!(
        site.get("/reviews/bundled/still.jpg").await.status,
        StatusCode::OK
    );
    let attempts = [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2E%2E%2FCargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/..%5c..%5cCargo.toml",
        "/static/%2e%2e%5c%2e%2e%5cCargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/%2F%2Fetc%2Fpasswd",
        "/static/C:%5cWindows%5cwin.ini",
        "/static/C:/Windows/win.ini",
        "/static/%00",
        "/static/style.css%00.png",
        "/static/%ff%fe",
        "/static/.%2e/.%2e/secret.jpg",
        "/reviews/bundled/..%2fsecret.jpg",
        "/reviews/bundled/%2e%2e%2fsecret.jpg",
        "/reviews/bundled/%2e%2e%2f%2e%2e%2fsecret.jpg",
        "/reviews/bundled/..%5csecret.jpg",
        "/reviews/bundled/..%5c..%5csecret.jpg",
        "/reviews/bundled/%2fetc%2fpasswd.jpg",
        "/reviews/bundled/%2e%2e",
        "/reviews/bundled/index.md",
        "/reviews/bundled/INDEX.MD",
        "/reviews/bundled/index.md%00.jpg",
        "/reviews/bundled/still.jpg%2f..%2f..%2fsecret.jpg",
        "/reviews/%2e%2e/secret.jpg",
        "/reviews/..%2f/secret.jpg",
    ];
    for path in attempts {
        let response = site.get(path).await;
        assert!(
            response.status.is_client_error(),
            "{path}: {}",
            response.status
        );
        assert!(!response.body.contains("TOPSECRET"), "{path}");
        assert!(!response.body.contains("[package]"), "{path}");
        assert!(!response.body.contains("root:"), "{path}");
    }
}

#[tokio::test]
async fn unknown_methods_get_405_with_allow_in_the_layout() {
    let site = TestSite::sample().await;
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO",
    ] {
        for path in ["/", "/reviews/anora", "/search?q=x", "/static/style.css"] {
            let request = Request::builder()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let response = site.request(request).await;
            assert_eq!(
                response.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            let allow = response.header("allow").unwrap_or_default();
            assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
            assert_eq!(
                text_of(&response.html(), ".site-title").as_deref(),
                Some("Marquee"),
                "{method} {path}: rendered in the layout"
            );
        }
    }
    let head = site
        .request(Request::head("/reviews/anora").body(Body::empty()).unwrap())
        .await;
    assert_eq!(head.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_paths_and_queries_get_clean_client_errors() {
    let site = TestSite::sample().await;
    let long = "a".repeat(5000);
    let cases = [
        (format!("/{long}"), 414),
        (format!("/search?q={long}"), 414),
        (format!("/reviews/{long}"), 414),
        ("/reviews/%ff%fe".to_string(), 400),
        ("/%c3%28".to_string(), 400),
        ("/tags/%80".to_string(), 400),
        ("/page/%ff".to_string(), 400),
        ("/page/99999999999999999999999".to_string(), 404),
        ("/page/-1".to_string(), 404),
        ("/ratings/NaN".to_string(), 404),
        ("/films/99999999999999999999".to_string(), 404),
        ("/?page=%ff".to_string(), 404),
    ];
    for (path, expected) in cases {
        let response = site.get(&path).await;
        let shown = &path[..path.len().min(60)];
        assert!(
            response.status.is_client_error(),
            "{shown}: {}",
            response.status
        );
        assert_eq!(response.status.as_u16(), expected, "{shown}");
        if expected != 414 {
            assert_eq!(
                text_of(&response.html(), ".site-title").as_deref(),
                Some("Marquee"),
                "{shown}: a page in the layout"
            );
        }
    }
}

/// Query strings as a browser or a bot might send them, including broken
/// percent-encoding and repeated keys.
fn query_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("q=".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("page=".to_string()),
        Just("%".to_string()),
        Just("+".to_string()),
        any::<u8>().prop_map(|byte| format!("%{byte:02X}")),
        "[a-zA-Z0-9*()-]{1,6}",
        prop::sample::select(vec!["NEAR", "AND", "OR", "NOT", "%22", "*", "%5E", ":"])
            .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn search_answers_any_query_with_a_page() {
    let rt = runtime();
    let site = rt.block_on(TestSite::sample());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(192));
    runner
        .run(&query_string(), |query| {
            let response = rt.block_on(site.get(&format!("/search?{query}")));
            prop_assert_eq!(response.status, StatusCode::OK, "{}", query);
            let site_title = text_of(&response.html(), ".site-title");
            prop_assert_eq!(site_title.as_deref(), Some("Marquee"), "{}", query);
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_search_text_becomes_a_query_the_engine_answers() {
    let rt = runtime();
    let site = rt.block_on(TestSite::sample());
    let index = site.site.state.search.clone();
    let now = site.clock.now().unix_timestamp();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    runner
        .run(&any::<String>(), |text| {
            let request = marquee::search::Request {
                text: text.clone(),
                page: 1,
                per_page: 20,
                ..Default::default()
            };
            let found = index.search(&request, now);
            prop_assert!(found.is_ok(), "{text:?}: {found:?}");
            Ok(())
        })
        .unwrap();
    // And whatever the text, the page renders it back, escaped, with a 200.
    for text in [
        "\"",
        "NEAR(",
        "*",
        "-",
        "a\"b*c",
        "\u{0}",
        "'; DROP TABLE reviews; --",
    ] {
        let query: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let response = rt.block_on(site.get(&format!("/search?q={query}")));
        assert_eq!(response.status, StatusCode::OK, "{text:?}");
    }
}

// ---------------------------------------------------------------------------
// Limits: body, timeout, concurrency
// ---------------------------------------------------------------------------

/// The sample site's state with other limits, and a router that adds
/// `extra` routes to the production layers.
fn with_limits(site: &TestSite, limits: Limits, extra: Router<AppState>) -> Router {
    let mut state = site.site.state.clone();
    state.options = Arc::new(WebOptions {
        limits,
        ..(*state.options).clone()
    });
    marquee::web::with_layers(extra, state)
}

async fn call(router: &Router, path: &str) -> TestResponse {
    use http_body_util::BodyExt;
    let response = tower::ServiceExt::oneshot(
        router.clone(),
        Request::get(path).body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    TestResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[tokio::test]
async fn a_large_request_body_is_refused() {
    let site = TestSite::sample().await;
    let request = Request::get("/")
        .header("content-length", "1048576")
        .body(Body::from(vec![b'x'; 1 << 20]))
        .unwrap();
    let response = site.request(request).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_security_headers("413", &response);
}

#[tokio::test]
async fn a_slow_request_times_out_with_a_503() {
    let site = TestSite::sample().await;
    let limits = Limits {
        request_timeout: Duration::from_millis(100),
        ..Limits::default()
    };
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let router = with_limits(&site, limits, slow);
    let started = Instant::now();
    let response = call(&router, "/slow").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_security_headers("503", &response);
}

#[tokio::test]
async fn requests_in_flight_are_capped() {
    let site = TestSite::sample().await;
    for cap in [1, 3] {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (now, max) = (in_flight.clone(), most.clone());
        let busy = Router::new().route(
            "/busy",
            get(move || {
                let (now, max) = (now.clone(), max.clone());
                async move {
                    let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(current, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    "done"
                }
            }),
        );
        let router = with_limits(
            &site,
            Limits {
                max_in_flight: cap,
                ..Limits::default()
            },
            busy,
        );
        let requests: Vec<_> = (0..10)
            .map(|_| {
                let router = router.clone();
                tokio::spawn(async move { call(&router, "/busy").await.status })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap(), StatusCode::OK);
        }
        assert_eq!(most.load(Ordering::SeqCst), cap, "cap {cap}");
    }
}

// ---------------------------------------------------------------------------
// Failures become error pages, never panics or stack traces
// ---------------------------------------------------------------------------

fn assert_error_page_in_layout(what: &str, response: &TestResponse) {
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
    let html = response.html();
    assert_eq!(
        text_of(&html, "h1").as_deref(),
        Some("Something went wrong"),
        "{what}"
    );
    assert_eq!(
        text_of(&html, ".site-title").as_deref(),
        Some("Marquee"),
        "{what}"
    );
    assert_eq!(response.header("cache-control"), Some("no-store"), "{what}");
    for leak in [
        "panicked",
        "secret detail",
        "sqlx",
        "no such table",
        "pool",
        "src/",
        "SQLITE",
    ] {
        assert!(
            !response.body.contains(leak),
            "{what}: the page mentions {leak:?}"
        );
    }
    assert_security_headers(what, response);
}

async fn explode() -> &'static str {
    panic!("secret detail of the crash")
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_page_and_the_server_goes_on() {
    let site = TestSite::sample().await;
    let routes = Router::new()
        .route("/explode", get(explode))
        .route("/fine", get(|| async { "fine" }));
    let router = with_limits(&site, Limits::default(), routes);
    let response = call(&router, "/explode").await;
    assert_error_page_in_layout("panic", &response);
    assert_eq!(call(&router, "/fine").await.body, "fine");
}

#[tokio::test]
async fn a_database_failure_becomes_a_500_page() {
    let site = TestSite::sample().await;
    sqlx::query("DROP TABLE review_tags")
        .execute(&site.site.state.db)
        .await
        .unwrap();
    let response = site.get("/reviews/anora").await;
    assert_error_page_in_layout("dropped table", &response);
    // A 500 is not cached: the page is not stuck once the cause is gone.
    assert_error_page_in_layout("again", &site.get("/reviews/anora").await);

    site.site.state.db.close().await;
    for path in ["/", "/reviews/the-brutalist", "/search?q=anora", "/healthz"] {
        let response = site.get(path).await;
        assert_error_page_in_layout(&format!("closed pool: {path}"), &response);
    }
}

// ---------------------------------------------------------------------------
// The editor's status page
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_status_page_needs_its_token() {
    let closed = TestSite::sample().await;
    assert_eq!(closed.get("/status").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        closed.get("/status?token=").await.status,
        StatusCode::NOT_FOUND
    );

    let token = "s3cret-editor-token";
    let site = TestSite::build(
        Options {
            status_token: Some(token.into()),
            ..Options::default()
        },
        &[],
    )
    .await;
    let refused = [
        ("/status".to_string(), None),
        ("/status?token=".to_string(), None),
        ("/status?token=s3cret-editor-toke".to_string(), None),
        ("/status?token=s3cret-editor-tokeN".to_string(), None),
        (
            "/status?token=s3cret-editor-token-and-more".to_string(),
            None,
        ),
        ("/status".to_string(), Some("Bearer s3cret-editor-toke")),
        ("/status".to_string(), Some("Bearer ")),
        ("/status".to_string(), Some(token)),
        (
            "/status".to_string(),
            Some("Basic czNjcmV0LWVkaXRvci10b2tlbg=="),
        ),
    ];
    for (path, authorization) in refused {
        let headers: Vec<(&str, &str)> = authorization
            .map(|value| ("authorization", value))
            .into_iter()
            .collect();
        let response = site.get_with(&path, &headers).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{path} {authorization:?}"
        );
        assert!(!response.body.contains("Content status"), "{path}");
    }
    let bearer = format!("Bearer {token}");
    for response in [
        site.get(&format!("/status?token={token}")).await,
        site.get_with("/status", &[("authorization", &bearer)])
            .await,
    ] {
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(response.header("x-robots-tag"), Some("noindex"));
    }
}

#[tokio::test]
async fn a_content_file_linked_from_outside_the_content_folder_is_never_read() {
    let site = TestSite::build(
        Options {
            sample_content: false,
            ..Options::default()
        },
        &[(
            "reviews/inside.md",
            &common::review("Inside", "Film", "", "Body."),
        )],
    )
    .await;
    // A secret outside content/ that happens to look like a review, and a
    // bundle folder that leads outside: neither may be published, and the
    // error must not quote them.
    let outside = site.dir.path().join("secret.md");
    std::fs::write(
        &outside,
        common::review("Secret title", "Film", "", "Secret body."),
    )
    .unwrap();
    let elsewhere = site.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::copy(&outside, elsewhere.join("index.md")).unwrap();
    let reviews = site.content().join("reviews");
    std::os::unix::fs::symlink(&outside, reviews.join("leak.md")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, reviews.join("bundle-leak")).unwrap();
    // A link that stays inside is followed like the file it names.
    std::os::unix::fs::symlink(reviews.join("inside.md"), reviews.join("alias.md")).unwrap();
    site.sync_everything().await;

    for path in ["/reviews/leak", "/reviews/bundle-leak"] {
        assert_eq!(site.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        text_of(&site.get("/reviews/alias").await.html(), "h1").as_deref(),
        Some("Inside")
    );
    let errors = marquee::db::sources::errors(&site.site.state.db)
        .await
        .unwrap();
    let paths: Vec<&str> = errors.iter().map(|error| error.path.as_str()).collect();
    assert_eq!(paths, ["reviews/bundle-leak/index.md", "reviews/leak.md"]);
    for error in &errors {
        assert!(
            error.reason.contains("outside the content folder"),
            "{error}"
        );
        assert!(!error.to_string().contains("Secret"), "{error}");
    }
    let checked = marquee::content::check(site.content()).unwrap();
    assert_eq!(checked.errors, errors, "check says the same");
}
