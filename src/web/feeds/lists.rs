//! The lists' feed (`/lists/feed.xml`, RSS): one item per visible list,
//! newest first. Lists have a feed of their own rather than items in the
//! review feeds, whose readers subscribed to reviews.

use askama::Template;

use super::gather::xml_safe;
use super::{Entry, Feed};
use crate::db;
use crate::db::lists::{ItemRow, ListRow};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{modified, urls};

/// What a feed reader shows of one list: its introduction and its films.
#[derive(Template)]
#[template(path = "feeds/list_entry.html")]
struct ListContent<'a> {
    list: &'a ListRow,
    items: Vec<(ItemRow, String)>,
}

pub(super) async fn gather(state: &AppState) -> Result<Feed, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let site = state.site.get();
    let limit = usize::try_from(site.feed_items).unwrap_or(usize::MAX);
    let lists: Vec<ListRow> = db::lists::visible_lists(&mut *tx, now)
        .await?
        .into_iter()
        .take(limit)
        .collect();
    let mut entries = Vec::with_capacity(lists.len());
    for list in &lists {
        let items = db::lists::items(&mut *tx, list.id, now)
            .await?
            .into_iter()
            .map(|item| {
                let url = site.url(&urls::film(&item.film_slug));
                (item, url)
            })
            .collect();
        let content = ListContent { list, items }.render()?;
        entries.push(Entry {
            title: xml_safe(&list.title),
            url: site.url(&urls::list(&list.slug)),
            published: list.published,
            updated: list.updated,
            author: xml_safe(&site.author),
            summary: xml_safe(&list.description),
            content_html: xml_safe(&content),
            tags: Vec::new(),
        });
    }
    let modified = lists
        .iter()
        .map(|list| list.modified)
        .max()
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .max(modified::catalog(&mut tx, &state.options.content_dir, now).await?)
        .min(now);
    Ok(Feed {
        title: format!("{} — Lists", site.title),
        description: format!("Lists of films by {}.", site.author),
        language: site.language.clone(),
        author: site.author.clone(),
        home_url: site.url("/lists"),
        self_url: site.url("/lists/feed.xml"),
        modified,
        entries,
    })
}
