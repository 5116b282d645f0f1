//! The feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the newest reviews,
//! for the whole site and for each tag.
//!
//! A feed is gathered once into a [`Feed`] (titles, absolute links, dates,
//! and each review rendered for feed readers: absolute URLs, inline spoilers
//! replaced by a link to the site) and then written by the format's own
//! crate, or by serde for JSON, so that no escaping is done by hand. The
//! page cache in front of these routes adds the ETag, compression and 304s.

mod atom;
mod diary;
mod gather;
mod json;
mod lists;
mod rss;

use axum::extract::{Path, State};
use time::OffsetDateTime;

use super::cache::CachePolicy;
use super::error::AppError;
use super::respond::Document;
use super::{AppState, urls};
use gather::gather;

/// Feed readers poll; five minutes keeps them current, and the ETag makes
/// each poll after that a 304 until something changes.
const FEED_CACHE_CONTROL: CachePolicy = CachePolicy::ForFiveMinutes;

const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";
const ATOM_TYPE: &str = "application/atom+xml; charset=utf-8";
/// JSON is always UTF-8 (RFC 8259), so the type carries no charset.
const JSON_FEED_TYPE: &str = "application/feed+json";
const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

/// One feed's content, whichever format it is written in.
pub(super) struct Feed {
    pub(super) title: String,
    pub(super) description: String,
    /// BCP 47, from `site.toml`.
    pub(super) language: String,
    pub(super) author: String,
    /// The page the feed follows, absolute: the home page or a tag's page.
    pub(super) home_url: String,
    /// Where this feed is served (`rel="self"`), absolute.
    pub(super) self_url: String,
    /// When anything the feed shows last changed: the Last-Modified header,
    /// RSS `lastBuildDate` and Atom's feed-level `updated`.
    pub(super) modified: OffsetDateTime,
    pub(super) entries: Vec<Entry>,
}

/// One review as a feed item.
pub(super) struct Entry {
    /// "Anora (2024) ★★★★★": what a reader scans in a list of items.
    pub(super) title: String,
    /// The review's permalink, also its id.
    pub(super) url: String,
    pub(super) published: OffsetDateTime,
    pub(super) updated: Option<OffsetDateTime>,
    pub(super) author: String,
    /// The standfirst, plain text.
    pub(super) summary: String,
    /// The whole review as the site shows it: rating, spoiler notice, body
    /// and release dates, with absolute URLs.
    pub(super) content_html: String,
    /// Tag names, in the order the editor wrote them.
    pub(super) tags: Vec<String>,
}

/// `GET /feed.xml`
pub(crate) async fn site_rss(State(state): State<AppState>) -> Result<Document, AppError> {
    let feed = gather(&state, None, "/feed.xml").await?;
    Ok(feed_document(RSS_TYPE, rss::write(&feed)?, &feed))
}

/// `GET /atom.xml`
pub(crate) async fn site_atom(State(state): State<AppState>) -> Result<Document, AppError> {
    let feed = gather(&state, None, "/atom.xml").await?;
    Ok(feed_document(ATOM_TYPE, atom::write(&feed)?, &feed))
}

/// `GET /feed.json`
pub(crate) async fn site_json(State(state): State<AppState>) -> Result<Document, AppError> {
    let feed = gather(&state, None, "/feed.json").await?;
    Ok(feed_document(JSON_FEED_TYPE, json::write(&feed)?, &feed))
}

/// `GET /tags/{tag}/feed.xml`
pub(crate) async fn tag_rss(
    State(state): State<AppState>,
    Path(tag): Path<String>,
) -> Result<Document, AppError> {
    let feed = gather(&state, Some(&tag), &format!("{}/feed.xml", urls::tag(&tag))).await?;
    Ok(feed_document(RSS_TYPE, rss::write(&feed)?, &feed))
}

/// `GET /tags/{tag}/atom.xml`
pub(crate) async fn tag_atom(
    State(state): State<AppState>,
    Path(tag): Path<String>,
) -> Result<Document, AppError> {
    let feed = gather(&state, Some(&tag), &format!("{}/atom.xml", urls::tag(&tag))).await?;
    Ok(feed_document(ATOM_TYPE, atom::write(&feed)?, &feed))
}

/// `GET /diary/feed.xml`
pub(crate) async fn diary_rss(State(state): State<AppState>) -> Result<Document, AppError> {
    let feed = diary::gather(&state).await?;
    Ok(feed_document(RSS_TYPE, rss::write(&feed)?, &feed))
}

/// `GET /lists/feed.xml`
pub(crate) async fn lists_rss(State(state): State<AppState>) -> Result<Document, AppError> {
    let feed = lists::gather(&state).await?;
    Ok(feed_document(RSS_TYPE, rss::write(&feed)?, &feed))
}

fn feed_document(content_type: &'static str, body: Vec<u8>, feed: &Feed) -> Document {
    Document {
        content_type,
        body,
        policy: FEED_CACHE_CONTROL,
        modified: Some(feed.modified),
    }
}
