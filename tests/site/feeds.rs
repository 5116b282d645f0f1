//! A subscriber's story: the site's RSS, Atom and JSON feeds and each tag's
//! feeds carry the newest reviews in full (rating, spoiler notice, release
//! dates, absolute links, inline spoilers left on the site), never a draft
//! or a review before its time, survive hostile text, and answer feed
//! readers' conditional and compressed requests. Search engines get a
//! sitemap and a robots.txt pointing to it.
//!
//! Feeds are read with feed-rs (what a reader sees) and, for XML, first with
//! roxmltree, which rejects anything that is not well-formed.

use crate::common;

use std::io::Read;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, Utc};
use common::{Options, TestSite, review};
use feed_rs::model::{Entry, Feed, FeedType};
use http_body_util::BodyExt;
use time::macros::datetime;
use tower::ServiceExt;

const BASE: &str = "https://films.example";
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// The sample reviews as feed titles, newest first.
const SAMPLE_TITLES: [&str; 4] = [
    "Paper Lanterns (2026) ★★★★",
    "The Brutalist (2024) ★★★½",
    "Anora (2024) ★★★★★",
    "Perfect Days (2023) ★★★★½",
];

const SPOILER_NOTICE: &str = "This review may reveal later elements of the plot.";

/// Fetches a feed, checks its status and type, checks that XML is
/// well-formed, and parses it as a feed reader would.
async fn feed(site: &TestSite, path: &str, content_type: &str) -> (Feed, String) {
    let response = site.get(path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some(content_type),
        "{path}"
    );
    if content_type.contains("xml")
        && let Err(error) = roxmltree::Document::parse(&response.body)
    {
        panic!("{path} is not well-formed XML: {error}\n{}", response.body);
    }
    let parsed = feed_rs::parser::parse(response.body.as_bytes())
        .unwrap_or_else(|error| panic!("{path} does not parse as a feed: {error}"));
    (parsed, response.body)
}

async fn rss(site: &TestSite, path: &str) -> (Feed, String) {
    feed(site, path, "application/rss+xml; charset=utf-8").await
}

async fn atom(site: &TestSite, path: &str) -> (Feed, String) {
    feed(site, path, "application/atom+xml; charset=utf-8").await
}

async fn json_feed(site: &TestSite) -> (Feed, String) {
    feed(site, "/feed.json", "application/feed+json").await
}

/// All three site feeds, parsed.
async fn site_feeds(site: &TestSite) -> Vec<(&'static str, Feed)> {
    vec![
        ("/feed.xml", rss(site, "/feed.xml").await.0),
        ("/atom.xml", atom(site, "/atom.xml").await.0),
        ("/feed.json", json_feed(site).await.0),
    ]
}

fn titles(feed: &Feed) -> Vec<String> {
    feed.entries.iter().map(title_of).collect()
}

fn title_of(entry: &Entry) -> String {
    entry
        .title
        .as_ref()
        .map(|title| title.content.clone())
        .unwrap_or_default()
}

fn entry_titled<'a>(feed: &'a Feed, title: &str) -> &'a Entry {
    feed.entries
        .iter()
        .find(|entry| title_of(entry) == title)
        .unwrap_or_else(|| panic!("no entry {title:?} in {:?}", titles(feed)))
}

fn content_of(entry: &Entry) -> String {
    entry
        .content
        .as_ref()
        .and_then(|content| content.body.clone())
        .expect("the entry carries its full content")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Every `href` and `src` in an HTML fragment.
fn urls_in(html: &str) -> Vec<String> {
    let fragment = scraper::Html::parse_fragment(html);
    let selector = scraper::Selector::parse("a[href], img[src]").unwrap();
    fragment
        .select(&selector)
        .filter_map(|element| {
            element
                .value()
                .attr("href")
                .or_else(|| element.value().attr("src"))
        })
        .map(str::to_string)
        .collect()
}

fn text_in(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    fragment
        .root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A response with its body as bytes, for compressed bodies.
async fn fetch_bytes(
    site: &TestSite,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = site
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body.to_vec())
}

fn named<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |child| child.tag_name().name() == name)
}

fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &'a str) -> Option<&'a str> {
    named(node, name).next().and_then(|child| child.text())
}

#[tokio::test]
async fn every_site_feed_lists_the_sample_reviews_newest_first() {
    let site = TestSite::sample().await;
    for (path, feed) in site_feeds(&site).await {
        assert_eq!(titles(&feed), SAMPLE_TITLES, "{path}");
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some("Marquee"),
            "{path}"
        );
        let anora = entry_titled(&feed, "Anora (2024) ★★★★★");
        let url = format!("{BASE}/reviews/anora");
        assert_eq!(anora.id, url, "{path}");
        assert!(
            anora.links.iter().any(|link| link.href == url),
            "{path}: {:?}",
            anora.links
        );
        assert_eq!(anora.published, Some(utc("2024-10-18T00:00:00Z")), "{path}");
        let categories: Vec<&str> = anora.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(
            categories,
            ["Drama", "Romance", "New York", "Cannes 2024"],
            "{path}"
        );
        let summary = anora.summary.as_ref().expect("a summary").content.clone();
        assert!(
            text_in(&summary).starts_with("An anti-Fairytale of New York, Anora is"),
            "{path}: {summary}"
        );
        for entry in &feed.entries {
            assert!(
                entry.links.iter().all(|link| link.href.starts_with(BASE)),
                "{path}: {:?}",
                entry.links
            );
        }
    }
}

#[tokio::test]
async fn rss_channel_has_self_link_guids_and_dates() {
    let site = TestSite::sample().await;
    let (_, body) = rss(&site, "/feed.xml").await;
    let doc = roxmltree::Document::parse(&body).unwrap();
    let channel = doc
        .descendants()
        .find(|node| node.has_tag_name("channel"))
        .expect("a channel");
    assert_eq!(child_text(channel, "title"), Some("Marquee"));
    assert_eq!(child_text(channel, "link"), Some("https://films.example/"));
    assert_eq!(
        child_text(channel, "description"),
        Some("Film reviews, written in markdown")
    );
    assert_eq!(child_text(channel, "language"), Some("en-GB"));
    let built = child_text(channel, "lastBuildDate").expect("lastBuildDate");
    DateTime::parse_from_rfc2822(built).expect("lastBuildDate is RFC 822");
    let self_link = channel
        .children()
        .find(|node| node.has_tag_name((ATOM_NS, "link")))
        .expect("atom:link");
    assert_eq!(self_link.attribute("rel"), Some("self"));
    assert_eq!(
        self_link.attribute("href"),
        Some("https://films.example/feed.xml")
    );
    assert_eq!(self_link.attribute("type"), Some("application/rss+xml"));

    let items: Vec<_> = named(channel, "item").collect();
    assert_eq!(items.len(), 4);
    let anora = items[2];
    assert_eq!(
        child_text(anora, "pubDate"),
        Some("Fri, 18 Oct 2024 00:00:00 +0000")
    );
    for item in items {
        let guid = named(item, "guid").next().expect("a guid");
        // RSS 2.0: a guid without the attribute is a permalink.
        assert_eq!(guid.attribute("isPermaLink").unwrap_or("true"), "true");
        assert_eq!(guid.text(), child_text(item, "link"));
        let published = child_text(item, "pubDate").expect("pubDate");
        DateTime::parse_from_rfc2822(published).expect("pubDate is RFC 822");
        assert!(
            child_text(item, "encoded").is_some(),
            "content:encoded is present"
        );
    }
}

#[tokio::test]
async fn anora_comes_in_full_with_rating_notice_and_release_dates() {
    let site = TestSite::sample().await;
    let mut contents = Vec::new();
    for (path, feed) in site_feeds(&site).await {
        let content = content_of(entry_titled(&feed, "Anora (2024) ★★★★★"));
        let text = text_in(&content);
        assert!(
            text.contains("Rating: ★★★★★ (5 out of 5 stars)"),
            "{path}: {text}"
        );
        assert!(text.contains(SPOILER_NOTICE), "{path}: {text}");
        assert!(text.contains("US: 18 October 2024"), "{path}: {text}");
        assert!(text.contains("UK: 1 November 2024"), "{path}: {text}");
        assert!(
            text.contains("An anti-Fairytale of New York, Anora is an emotional triumph")
                && text.contains("much like the hangover that follows Ani’s wild ride."),
            "{path}: the whole body"
        );
        let urls = urls_in(&content);
        assert!(
            urls.contains(&format!("{BASE}/reviews/anora/release/uk.ics")),
            "{path}: {urls:?}"
        );
        assert!(
            urls.iter().all(|url| url.starts_with(BASE)),
            "{path}: {urls:?}"
        );
        contents.push(content.trim().to_string());
    }
    assert!(
        contents.windows(2).all(|pair| pair[0] == pair[1]),
        "all three formats carry the same content"
    );
}

#[tokio::test]
async fn inline_spoilers_stay_on_the_site() {
    let site = TestSite::sample().await;
    for (path, feed) in site_feeds(&site).await {
        let content = content_of(entry_titled(&feed, "The Brutalist (2024) ★★★½"));
        let text = text_in(&content);
        assert!(!text.contains("It jumps decades ahead"), "{path}: {text}");
        assert!(!text.contains(SPOILER_NOTICE), "{path}: spoilers: false");
        let fragment = scraper::Html::parse_fragment(&content);
        let link = scraper::Selector::parse("a").unwrap();
        let hidden = fragment
            .select(&link)
            .find(|a| a.text().collect::<String>() == "Spoiler hidden — read it on the site")
            .unwrap_or_else(|| panic!("{path}: no spoiler link in {content}"));
        assert_eq!(
            hidden.value().attr("href"),
            Some("https://films.example/reviews/the-brutalist#spoiler-1"),
            "{path}"
        );
    }
    let page = site.get("/reviews/the-brutalist").await.body;
    assert!(
        page.contains("It jumps decades ahead"),
        "the page still has it"
    );
}

#[tokio::test]
async fn atom_feed_has_ids_dates_authors_and_links() {
    let extra = review(
        "Second thoughts",
        "Revisited",
        "rating: 3\nupdated: 2024-07-01T10:30:00Z\nsummary: Changed my mind.\n",
        "A second look.",
    );
    let site = TestSite::build(
        Options::default(),
        &[("reviews/revisited.md", extra.as_str())],
    )
    .await;
    let (feed, body) = atom(&site, "/atom.xml").await;
    assert_eq!(feed.feed_type, FeedType::Atom);
    let doc = roxmltree::Document::parse(&body).unwrap();
    let root = doc.root_element();
    assert!(root.has_tag_name((ATOM_NS, "feed")));
    assert_eq!(child_text(root, "id"), Some("https://films.example/"));
    let links: Vec<_> = named(root, "link")
        .map(|link| (link.attribute("rel"), link.attribute("href")))
        .collect();
    assert!(links.contains(&(Some("self"), Some("https://films.example/atom.xml"))));
    assert!(links.contains(&(Some("alternate"), Some("https://films.example/"))));
    assert!(feed.updated.is_some());

    let revisited = entry_titled(&feed, "Revisited (2024) ★★★");
    assert_eq!(revisited.published, Some(utc("2024-06-01T00:00:00Z")));
    assert_eq!(revisited.updated, Some(utc("2024-07-01T10:30:00Z")));
    assert_eq!(
        revisited.summary.as_ref().map(|s| s.content.as_str()),
        Some("Changed my mind.")
    );
    let anora = entry_titled(&feed, "Anora (2024) ★★★★★");
    assert_eq!(anora.updated, anora.published, "never updated");
    assert_eq!(
        anora.authors.first().and_then(|a| a.name.as_deref()),
        Some("The Marquee critic")
    );
    for entry in named(root, "entry") {
        let content = named(entry, "content").next().expect("content");
        assert_eq!(content.attribute("type"), Some("html"));
        assert!(child_text(entry, "published").is_some());
        assert!(child_text(entry, "updated").is_some());
    }

    let (json, body) = json_feed(&site).await;
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let item = value["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["title"] == "Revisited (2024) ★★★")
        .expect("the updated review");
    assert_eq!(item["date_modified"], "2024-07-01T10:30:00Z");
    assert_eq!(item["date_published"], "2024-06-01T00:00:00Z");
    assert_eq!(
        entry_titled(&json, "Revisited (2024) ★★★").updated,
        Some(utc("2024-07-01T10:30:00Z"))
    );
}

#[tokio::test]
async fn json_feed_is_version_1_1_with_every_field() {
    let site = TestSite::sample().await;
    let (feed, body) = json_feed(&site).await;
    assert_eq!(feed.feed_type, FeedType::JSON);
    let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
    assert_eq!(value["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(value["title"], "Marquee");
    assert_eq!(value["home_page_url"], "https://films.example/");
    assert_eq!(value["feed_url"], "https://films.example/feed.json");
    assert_eq!(value["language"], "en-GB");
    assert_eq!(value["authors"][0]["name"], "The Marquee critic");
    let items = value["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    let anora = &items[2];
    assert_eq!(anora["id"], "https://films.example/reviews/anora");
    assert_eq!(anora["url"], "https://films.example/reviews/anora");
    assert_eq!(anora["title"], "Anora (2024) ★★★★★");
    assert_eq!(anora["date_published"], "2024-10-18T00:00:00Z");
    assert!(anora.get("date_modified").is_none(), "never updated");
    assert_eq!(
        anora["tags"],
        serde_json::json!(["Drama", "Romance", "New York", "Cannes 2024"])
    );
    assert_eq!(anora["authors"][0]["name"], "The Marquee critic");
    assert!(
        anora["summary"]
            .as_str()
            .unwrap()
            .starts_with("An anti-Fairytale of New York")
    );
    assert!(
        anora["content_html"]
            .as_str()
            .unwrap()
            .contains(SPOILER_NOTICE)
    );
}

#[tokio::test]
async fn drafts_and_scheduled_reviews_wait_for_their_time() {
    let draft = review("Not yet", "Draft Film", "draft: true\n", "Unfinished.");
    let scheduled = review(
        "Coming soon",
        "Future Film",
        "rating: 2.5\n",
        "Written ahead.",
    )
    .replace("published: 2024-06-01", "published: 2026-12-01T09:00:00Z");
    let site = TestSite::build(
        Options::default(),
        &[
            ("reviews/draft-film.md", draft.as_str()),
            ("reviews/future-film.md", scheduled.as_str()),
        ],
    )
    .await;
    for (path, feed) in site_feeds(&site).await {
        assert_eq!(titles(&feed), SAMPLE_TITLES, "{path}");
    }
    let sitemap = site.get("/sitemap.xml").await.body;
    assert!(!sitemap.contains("future-film") && !sitemap.contains("draft-film"));

    site.clock.set(datetime!(2026-12-01 09:00 UTC));
    // The scheduler notices the clock and drops the cached feeds.
    eventually(&site, "/feed.xml", "Future Film (2024) ★★½").await;
    for (path, feed) in site_feeds(&site).await {
        let titles = titles(&feed);
        assert_eq!(titles[0], "Future Film (2024) ★★½", "{path}");
        assert!(
            !titles.iter().any(|title| title.starts_with("Draft Film")),
            "{path}"
        );
        assert_eq!(
            feed.entries[0].published,
            Some(utc("2026-12-01T09:00:00Z")),
            "{path}"
        );
    }
    let sitemap = site.get("/sitemap.xml").await.body;
    assert!(sitemap.contains("https://films.example/reviews/future-film"));
    assert!(!sitemap.contains("draft-film"));
}

/// Polls a feed until an entry with `title` appears.
async fn eventually(site: &TestSite, path: &str, title: &str) {
    common::eventually(Duration::from_secs(10), title, || async {
        let body = site.get(path).await.body;
        let feed = feed_rs::parser::parse(body.as_bytes()).ok()?;
        titles(&feed).iter().any(|t| t == title).then_some(())
    })
    .await;
}

#[tokio::test]
async fn tag_feeds_carry_only_their_tag() {
    let draft_only = review(
        "Hidden",
        "Hidden Film",
        "draft: true\ntags: [Secret]\n",
        "x",
    );
    let site = TestSite::build(
        Options::default(),
        &[("reviews/hidden.md", draft_only.as_str())],
    )
    .await;
    let (feed, body) = rss(&site, "/tags/tokyo/feed.xml").await;
    assert_eq!(titles(&feed), ["Perfect Days (2023) ★★★★½"]);
    assert_eq!(
        feed.title.as_ref().map(|t| t.content.as_str()),
        Some("Marquee — Tokyo")
    );
    let doc = roxmltree::Document::parse(&body).unwrap();
    let channel = doc
        .descendants()
        .find(|n| n.has_tag_name("channel"))
        .unwrap();
    assert_eq!(
        child_text(channel, "link"),
        Some("https://films.example/tags/tokyo")
    );
    let self_href = channel
        .children()
        .find(|n| n.has_tag_name((ATOM_NS, "link")))
        .and_then(|n| n.attribute("href"));
    assert_eq!(self_href, Some("https://films.example/tags/tokyo/feed.xml"));

    let (feed, body) = atom(&site, "/tags/tokyo/atom.xml").await;
    assert_eq!(titles(&feed), ["Perfect Days (2023) ★★★★½"]);
    let doc = roxmltree::Document::parse(&body).unwrap();
    let self_href = named(doc.root_element(), "link")
        .find(|n| n.attribute("rel") == Some("self"))
        .and_then(|n| n.attribute("href"));
    assert_eq!(self_href, Some("https://films.example/tags/tokyo/atom.xml"));

    let (drama, _) = rss(&site, "/tags/drama/feed.xml").await;
    assert_eq!(titles(&drama), SAMPLE_TITLES);
    let (romance, _) = atom(&site, "/tags/romance/atom.xml").await;
    assert_eq!(titles(&romance), ["Anora (2024) ★★★★★"]);

    for path in [
        "/tags/no-such-tag/feed.xml",
        "/tags/no-such-tag/atom.xml",
        "/tags/secret/feed.xml",
        "/tags/secret/atom.xml",
        "/tags/%00/feed.xml",
        "/tags/..%2F..%2Fetc/atom.xml",
    ] {
        assert_eq!(site.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Not UTF-8: axum refuses the path segment before the handler runs.
    let status = site.get("/tags/%ff/feed.xml").await.status;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn hostile_text_comes_out_intact_in_every_format() {
    let hostile = "---\n\
        title: \"Fish & Chips <b>]]> 🎬 Кино\"\n\
        film:\n  title: \"Брат & <Сестра> ]]> 🍿\"\n  year: 2024\n\
        rating: 4\n\
        published: 2024-06-01\n\
        tags: [\"Rock & Roll\", \"Кино <3\"]\n\
        summary: \"Less <than> & more ]]> 😀\"\n\
        author: \"Анна & <Co>\"\n\
        ---\n\
        Body with & and < and ]]> and 🎬 and Кириллица.\u{7}\n\n\
        ```\n<script>]]></script>\n```\n";
    let site = TestSite::build(Options::default(), &[("reviews/brat.md", hostile)]).await;
    let title = "Брат & <Сестра> ]]> 🍿 (2024) ★★★★";
    for (path, feed) in site_feeds(&site).await {
        let entry = entry_titled(&feed, title);
        let tags: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(tags, ["Rock & Roll", "Кино <3"], "{path}");
        let summary = entry.summary.as_ref().unwrap().content.clone();
        let summary = if path == "/feed.xml" {
            // RSS descriptions are HTML; the others are plain text.
            text_in(&summary)
        } else {
            summary
        };
        assert_eq!(summary, "Less <than> & more ]]> 😀", "{path}");
        let content = content_of(entry);
        let text = text_in(&content);
        assert!(
            text.contains("Fish & Chips <b>]]> 🎬 Кино"),
            "{path}: the headline, escaped: {text}"
        );
        assert!(
            text.contains("Body with & and < and ]]> and 🎬 and Кириллица."),
            "{path}: {text}"
        );
        assert!(text.contains("<script>]]></script>"), "{path}: {text}");
        let fragment = scraper::Html::parse_fragment(&content);
        let script = scraper::Selector::parse("script, b").unwrap();
        assert_eq!(fragment.select(&script).count(), 0, "{path}: {content}");
        if path != "/feed.json" {
            assert_eq!(
                entry.authors.first().and_then(|a| a.name.as_deref()),
                Some("Анна & <Co>"),
                "{path}"
            );
        }
    }
    let (_, body) = json_feed(&site).await;
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let item = value["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["title"] == title)
        .expect("the hostile review, found by its exact title");
    assert_eq!(item["authors"][0]["name"], "Анна & <Co>");
    let (tag_feed, _) = rss(&site, "/tags/kino-3/feed.xml").await;
    assert_eq!(titles(&tag_feed), [title]);
}

#[tokio::test]
async fn feed_items_setting_limits_every_feed() {
    let settings = "title = \"Marquee\"\nlanguage = \"en-GB\"\nfeed_items = 2\n";
    let site = TestSite::build(Options::default(), &[("site.toml", settings)]).await;
    for (path, feed) in site_feeds(&site).await {
        assert_eq!(titles(&feed), SAMPLE_TITLES[..2], "{path}");
    }
    let (drama, _) = rss(&site, "/tags/drama/feed.xml").await;
    assert_eq!(titles(&drama), SAMPLE_TITLES[..2]);
}

#[tokio::test]
async fn feeds_answer_conditional_and_compressed_requests() {
    let site = TestSite::sample().await;
    for path in [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/tags/drama/feed.xml",
        "/tags/drama/atom.xml",
        "/sitemap.xml",
    ] {
        let (status, headers, identity) = fetch_bytes(&site, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        assert!(header("cache-control").starts_with("public, max-age="));
        assert!(
            httpdate::parse_http_date(&last_modified).is_ok(),
            "{last_modified}"
        );

        let (status, _, body) = fetch_bytes(&site, path, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}: If-None-Match");
        assert!(body.is_empty(), "{path}: a 304 has no body");
        let (status, _, body) =
            fetch_bytes(&site, path, &[("if-modified-since", &last_modified)]).await;
        assert_eq!(
            status,
            StatusCode::NOT_MODIFIED,
            "{path}: If-Modified-Since"
        );
        assert!(body.is_empty());
        let (status, _, _) = fetch_bytes(
            &site,
            path,
            &[("if-modified-since", "Thu, 01 Jan 2004 00:00:00 GMT")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}: changed since 2004");

        let (_, headers, gzip) = fetch_bytes(&site, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(
            headers.get("content-encoding").unwrap(),
            "gzip",
            "{path}: gzip"
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, identity, "{path}: gzip round trip");

        let (_, headers, br) = fetch_bytes(&site, path, &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(headers.get("content-encoding").unwrap(), "br", "{path}: br");
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, identity, "{path}: brotli round trip");
    }
}

#[tokio::test]
async fn feed_last_modified_follows_the_newest_review() {
    let site = TestSite::sample().await;
    let response = site.get("/feed.xml").await;
    let last_modified =
        httpdate::parse_http_date(response.header("last-modified").unwrap()).unwrap();
    let paper_lanterns = std::time::UNIX_EPOCH
        + Duration::from_secs(datetime!(2026-11-20 0:00 UTC).unix_timestamp() as u64);
    assert!(
        last_modified >= paper_lanterns,
        "at least the newest publication"
    );
}

#[tokio::test]
async fn pages_advertise_the_feeds() {
    let site = TestSite::sample().await;
    let alternates = |html: &scraper::Html| {
        let selector = scraper::Selector::parse("link[rel=alternate]").unwrap();
        html.select(&selector)
            .map(|link| {
                (
                    link.value().attr("type").unwrap_or_default().to_string(),
                    link.value().attr("href").unwrap_or_default().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let home = alternates(&site.get("/").await.html());
    let expected = [
        ("application/rss+xml", "/feed.xml"),
        ("application/atom+xml", "/atom.xml"),
        ("application/feed+json", "/feed.json"),
    ];
    for (mime, path) in expected {
        assert!(
            home.contains(&(mime.to_string(), format!("{BASE}{path}"))),
            "{home:?}"
        );
        let response = site.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert!(response.header("content-type").unwrap().starts_with(mime));
    }
    let tag = alternates(&site.get("/tags/drama").await.html());
    for (mime, path) in [
        ("application/rss+xml", "/tags/drama/feed.xml"),
        ("application/atom+xml", "/tags/drama/atom.xml"),
    ] {
        assert!(
            tag.contains(&(mime.to_string(), format!("{BASE}{path}"))),
            "{tag:?}"
        );
        assert_eq!(site.get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn sitemap_lists_every_public_page() {
    let draft = review("Not yet", "Draft Film", "draft: true\n", "Unfinished.");
    let site = TestSite::build(
        Options::default(),
        &[("reviews/draft-film.md", draft.as_str())],
    )
    .await;
    let response = site.get("/sitemap.xml").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let doc = roxmltree::Document::parse(&response.body).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name((SITEMAP_NS, "urlset")));
    let mut locs = Vec::new();
    for url in named(root, "url") {
        let loc = child_text(url, "loc").expect("loc").to_string();
        let lastmod = child_text(url, "lastmod").expect("lastmod");
        assert!(
            time::Date::parse(
                lastmod,
                time::macros::format_description!("[year]-[month]-[day]")
            )
            .is_ok(),
            "{loc}: {lastmod}"
        );
        locs.push(loc);
    }
    let mut expected: Vec<String> = [
        "/",
        "/tags",
        "/reviews/paper-lanterns",
        "/reviews/the-brutalist",
        "/reviews/anora",
        "/reviews/perfect-days",
        "/about",
        "/lists",
        "/lists/best-of-2024",
        "/diary",
    ]
    .iter()
    .map(|path| format!("{BASE}{path}"))
    .collect();
    for tag in [
        "drama",
        "romance",
        "new-york",
        "cannes-2024",
        "festival",
        "debut",
        "tokyo",
        "slow-cinema",
        "epic",
        "architecture",
    ] {
        expected.push(format!("{BASE}/tags/{tag}"));
    }
    locs.sort();
    expected.sort();
    assert_eq!(locs, expected);
    let anora = named(root, "url")
        .find(|url| child_text(*url, "loc") == Some("https://films.example/reviews/anora"))
        .unwrap();
    assert!(child_text(anora, "lastmod").unwrap() >= "2024-10-18");
}

#[tokio::test]
async fn robots_txt_points_to_the_sitemap() {
    let site = TestSite::sample().await;
    let response = site.get("/robots.txt").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let lines: Vec<&str> = response.body.lines().collect();
    assert!(lines.contains(&"User-agent: *"), "{lines:?}");
    assert!(
        lines.contains(&"Sitemap: https://films.example/sitemap.xml"),
        "{lines:?}"
    );
    assert!(
        !lines.contains(&"Disallow: /"),
        "the site itself may be crawled"
    );
}
