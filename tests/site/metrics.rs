//! `/metrics` as Prometheus scrapes it: behind the status token, in the
//! text format, with counters that move as the site is used.

use crate::common;

use axum::http::StatusCode;
use common::{Options, TestSite, review};

const TOKEN: &str = "metrics-token";

async fn site() -> TestSite {
    TestSite::build(
        Options {
            status_token: Some(TOKEN.into()),
            ..Options::default()
        },
        &[],
    )
    .await
}

/// The scraped samples, parsed by an independent Prometheus text parser.
async fn scrape(site: &TestSite) -> prometheus_parse::Scrape {
    let response = site
        .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let lines = response.body.lines().map(|line| Ok(line.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("Prometheus text")
}

/// The value of the sample `name` whose labels include `labels`.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(key, wanted)| sample.labels.get(key) == Some(*wanted))
        })
        .map(|sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn metrics_need_the_status_token() {
    let site = site().await;
    for headers in [vec![], vec![("authorization", "Bearer wrong")]] {
        assert_eq!(
            site.get_with("/metrics", &headers).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // Without a configured token there are no metrics at all.
    let open = TestSite::sample().await;
    assert_eq!(
        open.get_with("/metrics", &[("authorization", "Bearer ")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn counters_move_as_the_site_is_used() {
    let site = site().await;
    let before = scrape(&site).await;
    let route = [("route", "/reviews/:slug"), ("status", "200")];
    site.get("/reviews/anora").await;
    site.get("/reviews/anora").await;
    site.get("/reviews/the-brutalist").await;
    site.get("/reviews/no-such-review").await;
    let after = scrape(&site).await;
    let requests = "marquee_http_requests_total";
    assert_eq!(
        value(&after, requests, &route) - value(&before, requests, &route),
        3.0,
        "three pages by one route pattern, hits included"
    );
    assert_eq!(
        value(
            &after,
            requests,
            &[("route", "/reviews/:slug"), ("status", "404")]
        ),
        1.0
    );
    let cache = "marquee_page_cache_requests_total";
    assert_eq!(value(&after, cache, &[("result", "hit")]), 1.0);
    assert_eq!(value(&after, cache, &[("result", "miss")]), 2.0);
    assert!(value(&after, "marquee_page_cache_bytes", &[]) > 0.0);
    let latency = "marquee_http_request_duration_seconds_count";
    assert!(value(&after, latency, &[("route", "/reviews/:slug")]) >= 4.0);

    // A sync counts, and a broken file shows as a content error.
    let syncs = |scrape: &prometheus_parse::Scrape| {
        value(scrape, "marquee_syncs_total", &[("outcome", "ok")])
    };
    assert_eq!(value(&after, "marquee_content_errors", &[]), 0.0);
    site.write(
        "reviews/broken.md",
        &review("Broken", "Broken", "rating: eleven", "Text."),
    );
    site.sync_everything().await;
    let synced = scrape(&site).await;
    assert_eq!(syncs(&synced), syncs(&after) + 1.0);
    assert_eq!(value(&synced, "marquee_content_errors", &[]), 1.0);
}
