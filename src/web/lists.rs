//! Lists: `GET /lists` (every visible list, newest first) and
//! `GET /lists/{slug}` (numbered when ranked; each film linked to its film
//! page, and shown as its review's card where the critic reviewed it).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use super::AppState;
use super::error::AppError;
use super::layout::{Chrome, FeedLink};
use super::respond::Page;
use super::reviews::json_for_script;
use super::{modified, urls};
use crate::db;
use crate::db::lists::{ItemRow, ListRow};
use crate::db::reviews::Listing;
use crate::render::filters;
use crate::render::views::{Card, PosterView, Stars, tint};

/// A list on `/lists`.
struct ListSummary {
    href: String,
    title: String,
    description: String,
    films: i64,
    ranked: bool,
    published: OffsetDateTime,
}

impl From<ListRow> for ListSummary {
    fn from(row: ListRow) -> Self {
        Self {
            href: urls::list(&row.slug),
            title: row.title,
            description: row.description,
            films: row.films,
            ranked: row.ranked,
            published: row.published,
        }
    }
}

#[derive(Template)]
#[template(path = "lists/index.html")]
struct ListsPage {
    chrome: Chrome,
    lists: Vec<ListSummary>,
}

/// `GET /lists`
pub(crate) async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let lists = db::lists::visible_lists(&mut *tx, now).await?;
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        "/lists",
        Some("Lists"),
        "Ranked and unranked selections of films.",
    )
    .await?;
    chrome.feeds.push(lists_feed_link(&state));
    let page = ListsPage {
        chrome,
        lists: lists.into_iter().map(ListSummary::from).collect(),
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(page).modified(modified).into_response())
}

/// One film of a list.
struct EntryView {
    /// Its place, from 1: shown when the list is ranked.
    rank: i64,
    film_title: String,
    film_year: Option<i32>,
    film_href: String,
    note_html: Option<String>,
    /// The card of its review, where there is one.
    card: Option<Card>,
    /// Without a review: the stars of its latest diary entry, and the
    /// placeholder's tint.
    diary_stars: Option<Stars>,
    tint: u8,
}

#[derive(Template)]
#[template(path = "lists/show.html")]
struct ListPage {
    chrome: Chrome,
    title: String,
    ranked: bool,
    /// Shown only in preview mode: the list is a draft or not yet due.
    hidden_reason: Option<&'static str>,
    published: OffsetDateTime,
    updated: Option<OffsetDateTime>,
    intro_html: String,
    entries: Vec<EntryView>,
    /// schema.org `ItemList`, safe inside `<script>`.
    json_ld: String,
}

/// `GET /lists/{slug}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let row = db::lists::by_slug(&mut *tx, &slug, now, state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = entries(&mut tx, row.id, now).await?;
    let hidden_reason = if row.draft {
        Some("Draft")
    } else if row.published > now {
        Some("Scheduled")
    } else {
        None
    };
    let path = urls::list(&row.slug);
    let mut chrome =
        Chrome::new(&state, &mut tx, &path, Some(&row.title), &row.description).await?;
    chrome.og_type = "article";
    chrome.noindex = hidden_reason.is_some();
    let json_ld = json_for_script(&item_list(&chrome, &row, &entries));
    let page = ListPage {
        chrome,
        title: row.title,
        ranked: row.ranked,
        hidden_reason,
        published: row.published,
        updated: row.updated,
        intro_html: row.intro_html,
        entries,
        json_ld,
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now)
        .await?
        .max(row.modified);
    Ok(Page::new(page).modified(modified).into_response())
}

/// A list's films, with the cards of those reviewed (one read for all).
async fn entries(
    tx: &mut sqlx::SqliteConnection,
    list_id: i64,
    now: OffsetDateTime,
) -> Result<Vec<EntryView>, AppError> {
    let items = db::lists::items(&mut *tx, list_id, now).await?;
    let ids: Vec<i64> = items.iter().filter_map(|item| item.review_id).collect();
    let cards: HashMap<String, Card> = if ids.is_empty() {
        HashMap::new()
    } else {
        let limit = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        db::reviews::list(&mut *tx, now, &Listing::Ids(ids), limit, 0)
            .await?
            .into_iter()
            .map(|row| (row.slug.clone(), Card::from(row)))
            .collect()
    };
    Ok(items
        .into_iter()
        .map(|item: ItemRow| EntryView {
            rank: item.position + 1,
            card: item
                .review_slug
                .as_ref()
                .and_then(|slug| cards.get(slug).cloned()),
            film_href: urls::film(&item.film_slug),
            diary_stars: item.diary_rating.map(Stars::from),
            tint: tint(&item.film_title),
            film_title: item.film_title,
            film_year: item.film_year,
            note_html: item.note_html,
        })
        .collect())
}

/// schema.org `ItemList`: the films in order, each at its film page.
#[derive(Serialize)]
struct SchemaItemList {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    description: String,
    url: String,
    #[serde(rename = "itemListOrder")]
    order: &'static str,
    #[serde(rename = "numberOfItems")]
    number_of_items: usize,
    #[serde(rename = "itemListElement")]
    elements: Vec<SchemaListItem>,
}

#[derive(Serialize)]
struct SchemaListItem {
    #[serde(rename = "@type")]
    kind: &'static str,
    position: i64,
    name: String,
    url: String,
}

fn item_list(chrome: &Chrome, row: &ListRow, entries: &[EntryView]) -> SchemaItemList {
    SchemaItemList {
        context: "https://schema.org",
        kind: "ItemList",
        name: row.title.clone(),
        description: row.description.clone(),
        url: chrome.canonical.clone(),
        order: if row.ranked {
            "https://schema.org/ItemListOrderAscending"
        } else {
            "https://schema.org/ItemListUnordered"
        },
        number_of_items: entries.len(),
        elements: entries
            .iter()
            .map(|entry| SchemaListItem {
                kind: "ListItem",
                position: entry.rank,
                name: match entry.film_year {
                    Some(year) => format!("{} ({year})", entry.film_title),
                    None => entry.film_title.clone(),
                },
                url: chrome.url(&entry.film_href),
            })
            .collect(),
    }
}

pub(super) fn lists_feed_link(state: &AppState) -> FeedLink {
    FeedLink {
        mime: "application/rss+xml",
        title: format!("{} — Lists (RSS)", state.site.get().title),
        href: "/lists/feed.xml".into(),
    }
}
