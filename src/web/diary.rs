//! The diary: `GET /diary` (newest first, grouped by month, paginated),
//! `GET /diary/{year}` (a whole year on one page, which the feed's links
//! point into) and `GET /diary/feed.xml`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Date, OffsetDateTime};

use super::browse::{Pagination, page_path, parse_page};
use super::error::AppError;
use super::layout::{Chrome, FeedLink};
use super::respond::Page;
use super::{AppState, modified, urls};
use crate::db;
use crate::db::diary::{EntryRow, Span};
use crate::render::filters;
use crate::render::views::Stars;

/// Entries on a page of `/diary`.
pub(crate) const PER_PAGE: i64 = 50;
/// The most entries a year's page or the feed shows: more than anyone
/// logs in a year, and a bound on the page whatever the files hold.
const MAX_YEAR: i64 = 2000;
/// Entries in the diary feed.
const FEED_ITEMS: i64 = 50;

/// One entry as the diary shows it.
pub(crate) struct EntryView {
    /// Its fragment on the year's page, which the feed links to.
    pub(crate) anchor: String,
    pub(crate) watched: Date,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) film_href: String,
    pub(crate) stars: Option<Stars>,
    pub(crate) rewatch: bool,
    pub(crate) liked: bool,
    pub(crate) note_html: Option<String>,
    pub(crate) review_href: Option<String>,
}

impl From<EntryRow> for EntryView {
    fn from(row: EntryRow) -> Self {
        Self {
            anchor: anchor(&row),
            watched: row.watched,
            film_href: urls::film(&row.film_slug),
            film_title: row.film_title,
            film_year: row.film_year,
            stars: row.rating.map(Stars::from),
            rewatch: row.rewatch,
            liked: row.liked,
            note_html: row.note_html,
            review_href: row.review_slug.as_deref().map(urls::review),
        }
    }
}

/// `watched-2024-03-02-anora-2024-diary-2024-yaml-7`: the date, the film,
/// its file and its place there, so it stays put while other entries come
/// and go, and no two entries on a page share it.
fn anchor(row: &EntryRow) -> String {
    format!(
        "watched-{}-{}-{}-{}",
        row.watched,
        row.film_slug,
        slug::slugify(&row.source_path),
        row.position
    )
}

/// A month of entries, newest first.
struct Month {
    /// "March 2024"
    label: String,
    entries: Vec<EntryView>,
}

/// Groups entries (newest first) by month.
fn by_month(rows: Vec<EntryRow>) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    for row in rows {
        let label = filters::format_month_year(row.watched);
        match months.last_mut() {
            Some(month) if month.label == label => month.entries.push(row.into()),
            _ => months.push(Month {
                label,
                entries: vec![row.into()],
            }),
        }
    }
    months
}

/// A year with entries, linked from every diary page.
struct YearLink {
    year: i32,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "diary/index.html")]
struct DiaryPage {
    chrome: Chrome,
    heading: String,
    intro: String,
    months: Vec<Month>,
    years: Vec<YearLink>,
    pagination: Pagination,
}

/// `GET /diary`
pub(crate) async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    diary_page(&state, 1).await
}

/// `GET /diary/page/{n}` (page 1 is `/diary`).
pub(crate) async fn index_page(
    State(state): State<AppState>,
    Path(page): Path<String>,
) -> Result<Response, AppError> {
    let page = parse_page(&page)?;
    if page == 1 {
        return Ok(Redirect::permanent("/diary").into_response());
    }
    diary_page(&state, page).await
}

async fn diary_page(state: &AppState, page: i64) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let total = db::diary::count(&mut *tx, now, Span::All).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let rows =
        db::diary::entries(&mut *tx, now, Span::All, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let years = year_links(&mut tx, now, None).await?;
    let path = page_path("/diary", page);
    let title = match page {
        1 => "Diary".to_string(),
        n => format!("Diary, page {n}"),
    };
    let mut chrome = Chrome::new(
        state,
        &mut tx,
        &path,
        Some(&title),
        "Every film watched, newest first, with its rating.",
    )
    .await?;
    chrome.feeds.push(diary_feed_link(state));
    let pagination = Pagination::new("/diary", page, pages);
    chrome.prev.clone_from(&pagination.prev);
    chrome.next.clone_from(&pagination.next);
    let diary = DiaryPage {
        chrome,
        heading: "Diary".into(),
        intro: films_watched(total),
        months: by_month(rows),
        years,
        pagination,
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(diary).modified(modified).into_response())
}

/// `GET /diary/{year}`
pub(crate) async fn year(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<Response, AppError> {
    let year_value: i32 = year
        .parse()
        .ok()
        .filter(|y: &i32| crate::content::fields::YEARS.contains(y) && y.to_string() == year)
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let span = Span::Year(year_value);
    let total = db::diary::count(&mut *tx, now, span).await?;
    if total == 0 {
        return Err(AppError::NotFound);
    }
    let rows = db::diary::entries(&mut *tx, now, span, MAX_YEAR, 0).await?;
    let years = year_links(&mut tx, now, Some(year_value)).await?;
    let heading = format!("Diary: {year}");
    let mut chrome = Chrome::new(
        &state,
        &mut tx,
        &urls::diary_year(year_value),
        Some(&heading),
        &format!("Every film watched in {year}, with its rating."),
    )
    .await?;
    chrome.feeds.push(diary_feed_link(&state));
    let diary = DiaryPage {
        chrome,
        heading,
        intro: films_watched(total),
        months: by_month(rows),
        years,
        pagination: Pagination::new("", 1, 1),
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(diary).modified(modified).into_response())
}

async fn year_links(
    tx: &mut sqlx::SqliteConnection,
    now: OffsetDateTime,
    current: Option<i32>,
) -> Result<Vec<YearLink>, AppError> {
    Ok(db::stats::diary_years(&mut *tx, now)
        .await?
        .into_iter()
        .map(|row| YearLink {
            year: row.year,
            href: urls::diary_year(row.year),
            current: current == Some(row.year),
        })
        .collect())
}

/// "1 film watched", "312 films watched".
fn films_watched(count: i64) -> String {
    match count {
        1 => "1 film watched".to_string(),
        n => format!("{n} films watched"),
    }
}

fn diary_feed_link(state: &AppState) -> FeedLink {
    FeedLink {
        mime: "application/rss+xml",
        title: format!("{} — Diary (RSS)", state.site.get().title),
        href: "/diary/feed.xml".into(),
    }
}

/// The newest entries, for the feed.
pub(super) async fn latest(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<(Vec<EntryView>, OffsetDateTime), AppError> {
    let mut tx = state.db.begin().await?;
    let rows = db::diary::entries(&mut *tx, now, Span::All, FEED_ITEMS, 0).await?;
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok((rows.into_iter().map(EntryView::from).collect(), modified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_films_in_words() {
        assert_eq!(films_watched(1), "1 film watched");
        assert_eq!(films_watched(0), "0 films watched");
        assert_eq!(films_watched(312), "312 films watched");
    }
}
