//! The diary's feed (`/diary/feed.xml`, RSS): one item per film watched,
//! newest first, for readers who follow the log rather than the reviews.

use askama::Template;

use super::gather::{item_title, xml_safe};
use super::{Entry, Feed};
use crate::render::filters;
use crate::web::AppState;
use crate::web::diary::{self, EntryView};
use crate::web::error::AppError;
use crate::web::urls;

/// What a feed reader shows of one entry.
#[derive(Template)]
#[template(path = "feeds/diary_entry.html")]
struct DiaryEntryContent<'a> {
    entry: &'a EntryView,
    film_url: String,
    review_url: Option<String>,
}

pub(super) async fn gather(state: &AppState) -> Result<Feed, AppError> {
    let now = state.clock.now();
    let (entries, modified) = diary::latest(state, now).await?;
    let site = state.site.get();
    let entries = entries
        .iter()
        .map(|entry| {
            let content = DiaryEntryContent {
                entry,
                film_url: site.url(&entry.film_href),
                review_url: entry.review_href.as_deref().map(|href| site.url(href)),
            };
            let title = item_title(&entry.film_title, entry.film_year, entry.stars.as_ref());
            Ok(Entry {
                title: xml_safe(&title),
                url: site.url(&format!(
                    "{}#{}",
                    urls::diary_year(entry.watched.year()),
                    entry.anchor
                )),
                published: entry.watched.midnight().assume_utc(),
                updated: None,
                author: xml_safe(&site.author),
                summary: xml_safe(&format!(
                    "Watched {}{}",
                    filters::format_long_date(entry.watched),
                    if entry.rewatch { " (a rewatch)" } else { "" }
                )),
                content_html: xml_safe(&content.render()?),
                tags: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Feed {
        title: format!("{} — Diary", site.title),
        description: format!("Every film {} watched, as it was logged.", site.author),
        language: site.language.clone(),
        author: site.author.clone(),
        home_url: site.url("/diary"),
        self_url: site.url("/diary/feed.xml"),
        modified: modified.min(now),
        entries,
    })
}
