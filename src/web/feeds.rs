//! The feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the newest reviews,
//! for the whole site and for each tag.
//!
//! A feed is gathered once into a [`Feed`] (titles, absolute links, dates,
//! and each review rendered for feed readers: absolute URLs, inline spoilers
//! replaced by a link to the site) and then written by the format's own
//! crate, or by serde for JSON, so that no escaping is done by hand. The
//! page cache in front of these routes adds the ETag, compression and 304s.

use std::collections::HashMap;

use askama::Template;
use atom_syndication::{FixedDateTime, Person, Text};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rss::extension::atom::AtomExtension;
use rss::extension::dublincore::DublinCoreExtension;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::browse::catalog_modified;
use super::cache::CachePolicy;
use super::error::AppError;
use super::reviews::{poster_url, set_last_modified};
use crate::content::markdown::{self, FeedTarget, Target};
use crate::content::site::Site;
use crate::db;
use crate::db::reviews::{ReleaseRow, ReviewRow, TagRow};
use crate::render::filters;
use crate::render::views::{ReleaseView, Stars};

/// Feed readers poll; five minutes keeps them current, and the ETag makes
/// each poll after that a 304 until something changes.
const FEED_CACHE_CONTROL: CachePolicy = CachePolicy::ForFiveMinutes;

const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";
const ATOM_TYPE: &str = "application/atom+xml; charset=utf-8";
/// JSON is always UTF-8 (RFC 8259), so the type carries no charset.
const JSON_FEED_TYPE: &str = "application/feed+json";
const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// One feed's content, whichever format it is written in.
struct Feed {
    title: String,
    description: String,
    /// BCP 47, from `site.toml`.
    language: String,
    author: String,
    /// The page the feed follows, absolute: the home page or a tag's page.
    home_url: String,
    /// Where this feed is served (`rel="self"`), absolute.
    self_url: String,
    /// When anything the feed shows last changed: the Last-Modified header,
    /// RSS `lastBuildDate` and Atom's feed-level `updated`.
    modified: OffsetDateTime,
    entries: Vec<Entry>,
}

/// One review as a feed item.
struct Entry {
    /// "Anora (2024) ★★★★★": what a reader scans in a list of items.
    title: String,
    /// The review's permalink, also its id.
    url: String,
    published: OffsetDateTime,
    updated: Option<OffsetDateTime>,
    author: String,
    /// The standfirst, plain text.
    summary: String,
    /// The whole review as the site shows it: rating, spoiler notice, body
    /// and release dates, with absolute URLs.
    content_html: String,
    /// Tag names, in the order the editor wrote them.
    tags: Vec<String>,
}

/// The HTML of one item's full content. A template rather than `format!`
/// so that every value is escaped.
#[derive(Template)]
#[template(path = "feeds/entry.html")]
struct EntryContent<'a> {
    /// The review's own headline (the item title is the film's).
    headline: &'a str,
    film_title: &'a str,
    stars: Option<&'a Stars>,
    /// Absolute.
    poster_url: Option<String>,
    spoilers: bool,
    /// The body rendered for feeds.
    body_html: &'a str,
    releases: Vec<ReleaseView>,
    /// The review's absolute URL; calendar links hang off it.
    page_url: &'a str,
}

/// `GET /feed.xml`
pub async fn site_rss(State(state): State<AppState>) -> Result<Response, AppError> {
    let feed = gather(&state, None, "/feed.xml").await?;
    Ok(feed_response(RSS_TYPE, to_rss(&feed)?, &feed))
}

/// `GET /atom.xml`
pub async fn site_atom(State(state): State<AppState>) -> Result<Response, AppError> {
    let feed = gather(&state, None, "/atom.xml").await?;
    Ok(feed_response(ATOM_TYPE, to_atom(&feed)?, &feed))
}

/// `GET /feed.json`
pub async fn site_json(State(state): State<AppState>) -> Result<Response, AppError> {
    let feed = gather(&state, None, "/feed.json").await?;
    Ok(feed_response(JSON_FEED_TYPE, to_json_feed(&feed)?, &feed))
}

/// `GET /tags/{tag}/feed.xml`
pub async fn tag_rss(
    State(state): State<AppState>,
    Path(tag): Path<String>,
) -> Result<Response, AppError> {
    let feed = gather(&state, Some(&tag), &format!("/tags/{tag}/feed.xml")).await?;
    Ok(feed_response(RSS_TYPE, to_rss(&feed)?, &feed))
}

/// `GET /tags/{tag}/atom.xml`
pub async fn tag_atom(
    State(state): State<AppState>,
    Path(tag): Path<String>,
) -> Result<Response, AppError> {
    let feed = gather(&state, Some(&tag), &format!("/tags/{tag}/atom.xml")).await?;
    Ok(feed_response(ATOM_TYPE, to_atom(&feed)?, &feed))
}

fn feed_response(content_type: &'static str, body: Vec<u8>, feed: &Feed) -> Response {
    document(content_type, FEED_CACHE_CONTROL, body, Some(feed.modified))
}

/// A generated document (feed, sitemap, robots.txt) with its type, its
/// caching policy, and a Last-Modified the page cache turns into 304s.
pub(super) fn document(
    content_type: &'static str,
    cache_control: CachePolicy,
    body: Vec<u8>,
    last_modified: Option<OffsetDateTime>,
) -> Response {
    let mut response = (
        cache_control,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Some(at) = last_modified {
        set_last_modified(&mut response, at);
    }
    response
}

/// Reads the newest visible reviews (of a tag, if given) and prepares them
/// for any format. An unknown tag, or one only drafts carry, is a 404.
async fn gather(state: &AppState, tag: Option<&str>, self_path: &str) -> Result<Feed, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let site = state.site.get();
    let (title, description, home_path) = match tag {
        None => (site.title.clone(), site.tagline.clone(), "/".to_string()),
        Some(slug) => {
            let name = db::reviews::tag_name(&mut *tx, now, slug)
                .await?
                .ok_or(AppError::NotFound)?;
            (
                format!("{} — {name}", site.title),
                format!("Film reviews tagged {name} on {}.", site.title),
                format!("/tags/{slug}"),
            )
        }
    };
    let rows = db::reviews::latest_full(&mut *tx, now, tag, i64::from(site.feed_items)).await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut tags = by_review(db::reviews::tags_of(&mut *tx, &ids).await?, |t| t.review_id);
    let mut releases = by_review(db::reviews::releases_of(&mut *tx, &ids).await?, |r| {
        r.review_id
    });
    // A review leaving the feed changes it without any remaining item
    // changing: the catalog's time covers that. An `updated` in the future
    // counts as now, here and in each item (see `entry`).
    let modified = rows
        .iter()
        .map(changed_at)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .max(catalog_modified(&mut tx, now).await?)
        .min(now);
    let entries = rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            let tags = tags.remove(&id).unwrap_or_default();
            let releases = releases.remove(&id).unwrap_or_default();
            entry(&site, row, tags, releases, now)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let description = if description.trim().is_empty() {
        title.clone()
    } else {
        description
    };
    Ok(Feed {
        title: xml_safe(&title),
        description: xml_safe(&description),
        language: site.language.clone(),
        author: xml_safe(&site.author),
        home_url: site.url(&home_path),
        self_url: site.url(self_path),
        modified,
        entries,
    })
}

/// The last time a review's feed item could have changed.
fn changed_at(row: &ReviewRow) -> OffsetDateTime {
    let updated = row.updated.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    row.published.max(updated).max(row.modified)
}

/// Groups rows fetched for several reviews at once by their review.
fn by_review<T>(rows: Vec<T>, review_id: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(review_id(&row)).or_default().push(row);
    }
    grouped
}

fn entry(
    site: &Site,
    row: ReviewRow,
    tags: Vec<TagRow>,
    releases: Vec<ReleaseRow>,
    now: OffsetDateTime,
) -> Result<Entry, AppError> {
    let url = site.url(&format!("/reviews/{}", row.slug));
    let stars = row.rating.map(Stars::from);
    let body = markdown::render(
        &row.body_markdown,
        Target {
            asset_base: row.asset_base.as_deref(),
            feed: Some(FeedTarget {
                base_url: &site.base_url,
                page_url: &url,
            }),
            embed_hosts: &site.embed_hosts,
        },
    );
    let poster = poster_url(row.poster.as_deref(), row.asset_base.as_deref()).map(|poster| {
        if poster.starts_with('/') {
            site.url(&poster)
        } else {
            poster
        }
    });
    let content = EntryContent {
        headline: &row.title,
        film_title: &row.film_title,
        stars: stars.as_ref(),
        poster_url: poster,
        spoilers: row.spoilers,
        body_html: &body.html,
        releases: releases
            .into_iter()
            .map(|release| ReleaseView::from_row(release, now.date()))
            .collect(),
        page_url: &url,
    }
    .render()?;
    Ok(Entry {
        title: xml_safe(&item_title(&row.film_title, row.film_year, stars.as_ref())),
        // A feed reader takes a date after its own clock as a promise; the
        // page's byline shows the date as written.
        published: row.published.min(now),
        updated: row.updated.map(|updated| updated.min(now)),
        author: xml_safe(row.author.as_deref().unwrap_or(&site.author)),
        summary: xml_safe(&row.summary),
        content_html: xml_safe(&content),
        tags: tags.iter().map(|tag| xml_safe(&tag.name)).collect(),
        url,
    })
}

/// "Anora (2024) ★★★★★": the film, its year and the rating, each if known.
fn item_title(film_title: &str, year: Option<i32>, stars: Option<&Stars>) -> String {
    [
        Some(film_title.to_string()),
        year.map(|year| format!("({year})")),
        stars.map(|stars| stars.glyphs.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// Drops the characters XML 1.0 cannot carry at all, not even escaped
/// (control characters other than tab and newlines, U+FFFE, U+FFFF), with
/// the content loader's own rule. Content is cleaned when it is loaded;
/// this also covers the site's text and anything stored before that rule,
/// since one stray character makes the whole feed unreadable.
fn xml_safe(text: &str) -> String {
    crate::content::fields::strip_controls(text).into_owned()
}

fn to_rss(feed: &Feed) -> Result<Vec<u8>, AppError> {
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        description: feed.description.clone(),
        language: Some(feed.language.clone()),
        last_build_date: Some(filters::rfc2822(&feed.modified)),
        atom_ext: Some(AtomExtension {
            links: vec![atom_link("self", &feed.self_url, "application/rss+xml")],
        }),
        items: feed.entries.iter().map(rss_item).collect(),
        ..Default::default()
    };
    channel
        .write_to(Vec::new())
        .map_err(|error| AppError::Feed(format!("RSS: {error}")))
}

fn rss_item(entry: &Entry) -> rss::Item {
    rss::Item {
        title: Some(entry.title.clone()),
        link: Some(entry.url.clone()),
        // Readers treat `description` as HTML, so the plain-text standfirst
        // is escaped: "Fish & Chips <3" must not become markup.
        description: Some(escape_html(&entry.summary)),
        content: Some(entry.content_html.clone()),
        pub_date: Some(filters::rfc2822(&entry.published)),
        // The crate writes a permalink guid without the attribute, which
        // RSS 2.0 defines as `isPermaLink="true"`.
        guid: Some(rss::Guid {
            value: entry.url.clone(),
            permalink: true,
        }),
        categories: entry
            .tags
            .iter()
            .map(|name| rss::Category {
                name: name.clone(),
                domain: None,
            })
            .collect(),
        // RSS's own `author` must be an e-mail address; `dc:creator` is
        // where readers look for a name.
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![entry.author.clone()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut escaped, text);
    escaped
}

fn atom_link(rel: &str, href: &str, mime_type: &str) -> atom_syndication::Link {
    atom_syndication::Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime_type.to_string()),
        ..Default::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Default::default()
    }
}

fn atom_time(moment: OffsetDateTime) -> FixedDateTime {
    chrono::DateTime::from_timestamp(moment.unix_timestamp(), 0)
        .unwrap_or_default()
        .fixed_offset()
}

fn to_atom(feed: &Feed) -> Result<Vec<u8>, AppError> {
    let atom = atom_syndication::Feed {
        title: Text::plain(feed.title.as_str()),
        id: feed.home_url.clone(),
        updated: atom_time(feed.modified),
        authors: vec![person(&feed.author)],
        links: vec![
            atom_link("alternate", &feed.home_url, "text/html"),
            atom_link("self", &feed.self_url, "application/atom+xml"),
        ],
        subtitle: Some(Text::plain(feed.description.as_str())),
        lang: Some(feed.language.clone()),
        entries: feed.entries.iter().map(atom_entry).collect(),
        ..Default::default()
    };
    atom.write_to(Vec::new())
        .map_err(|error| AppError::Feed(format!("Atom: {error}")))
}

fn atom_entry(entry: &Entry) -> atom_syndication::Entry {
    atom_syndication::Entry {
        title: Text::plain(entry.title.as_str()),
        id: entry.url.clone(),
        updated: atom_time(entry.updated.unwrap_or(entry.published)),
        published: Some(atom_time(entry.published)),
        authors: vec![person(&entry.author)],
        categories: entry
            .tags
            .iter()
            .map(|name| atom_syndication::Category {
                term: name.clone(),
                ..Default::default()
            })
            .collect(),
        links: vec![atom_link("alternate", &entry.url, "text/html")],
        summary: Some(Text::plain(entry.summary.as_str())),
        content: Some(atom_syndication::Content {
            value: Some(entry.content_html.clone()),
            content_type: Some("html".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), top level.
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    language: &'a str,
    authors: [JsonAuthor<'a>; 1],
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    tags: &'a [String],
    authors: [JsonAuthor<'a>; 1],
}

fn to_json_feed(feed: &Feed) -> Result<Vec<u8>, AppError> {
    let items = feed
        .entries
        .iter()
        .map(|entry| {
            Ok(JsonItem {
                id: &entry.url,
                url: &entry.url,
                title: &entry.title,
                content_html: &entry.content_html,
                summary: &entry.summary,
                date_published: rfc3339(entry.published)?,
                date_modified: entry.updated.map(rfc3339).transpose()?,
                tags: &entry.tags,
                authors: [JsonAuthor {
                    name: &entry.author,
                }],
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let json = JsonFeed {
        version: JSON_FEED_VERSION,
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: &feed.self_url,
        description: &feed.description,
        language: &feed.language,
        authors: [JsonAuthor { name: &feed.author }],
        items,
    };
    serde_json::to_vec(&json).map_err(|error| AppError::Feed(format!("JSON Feed: {error}")))
}

fn rfc3339(moment: OffsetDateTime) -> Result<String, AppError> {
    moment
        .format(&Rfc3339)
        .map_err(|error| AppError::Feed(format!("date {moment}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::review::Rating;

    #[test]
    fn item_titles_name_film_year_and_rating() {
        let stars = Rating::from_halves(10).map(Stars::from);
        assert_eq!(
            item_title("Anora", Some(2024), stars.as_ref()),
            "Anora (2024) ★★★★★"
        );
        assert_eq!(item_title("Anora", None, None), "Anora");
        assert_eq!(
            item_title(
                "Brat",
                None,
                Rating::from_halves(7).map(Stars::from).as_ref()
            ),
            "Brat ★★★½"
        );
    }

    #[test]
    fn xml_safe_keeps_text_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_safe("Fish & <Chips> ]]> 🎬 Кино\tok\n"),
            "Fish & <Chips> ]]> 🎬 Кино\tok\n"
        );
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\u{FFFF}d"), "abcd");
    }
}
