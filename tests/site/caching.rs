//! The page cache as operators and CDNs see it: what makes an entry of its
//! own, and the `X-Cache` header that says where a response came from.

use crate::common;

use axum::http::StatusCode;
use common::{TestSite, text_of};

#[tokio::test]
async fn x_cache_says_whether_a_page_came_from_the_cache() {
    let site = TestSite::sample().await;
    let first = site.get("/reviews/anora").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-cache"), Some("miss"));
    let second = site.get("/reviews/anora").await;
    assert_eq!(second.header("x-cache"), Some("hit"));
    assert_eq!(second.body, first.body);
    // Files and the health check are never kept.
    for path in ["/static/style.css", "/healthz", "/no-such-page"] {
        for _ in 0..2 {
            assert_eq!(
                site.get(path).await.header("x-cache"),
                Some("pass"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn parameters_a_route_does_not_read_are_the_same_cached_page() {
    let site = TestSite::sample().await;
    for (path, junk) in [
        ("/reviews/anora", "/reviews/anora?utm_source=x"),
        ("/", "/?pollute=1"),
        ("/sitemap.xml", "/sitemap.xml?z=random"),
        ("/search?q=anora", "/search?utm=1&q=anora&x=2"),
    ] {
        let page = site.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let again = site.get(junk).await;
        assert_eq!(again.header("x-cache"), Some("hit"), "{junk}");
        assert_eq!(again.body, page.body, "{junk}");
    }
    // Thousands of junk parameters are one entry: the real page stays hit.
    for n in 0..2_000 {
        site.get(&format!("/?pollute={n}")).await;
    }
    assert_eq!(
        site.get("/reviews/anora").await.header("x-cache"),
        Some("hit")
    );
}

#[tokio::test]
async fn parameters_a_route_reads_still_make_their_own_pages() {
    let site = TestSite::sample().await;
    site.get("/").await;
    let paged = site.get("/?page=2").await;
    assert_eq!(paged.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(paged.header("location"), Some("/page/2"));

    let anora = site.get("/search?q=anora").await.html();
    let brutalist = site.get("/search?q=brutalist&utm=1").await.html();
    let first_film = |html| text_of(html, ".search-result .card-film");
    assert_eq!(first_film(&anora).as_deref(), Some("Anora (2024)"));
    assert_eq!(
        first_film(&brutalist).as_deref(),
        Some("The Brutalist (2024)")
    );
}
