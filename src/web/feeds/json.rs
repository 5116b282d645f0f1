//! JSON Feed 1.1, written by serde.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Feed, JSON_FEED_VERSION};
use crate::web::error::AppError;

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

pub(super) fn write(feed: &Feed) -> Result<Vec<u8>, AppError> {
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
