//! Release dates as calendars: the one event both calendars are made of,
//! `GET /releases` (what opens soon, per region, and what opened in the
//! last month) and `GET /releases.ics`, a calendar of every release date
//! of a published review to subscribe to. An event's UID is the review's
//! slug and the region's, the same in `/releases.ics` and in the review's
//! own per-region `.ics`, so a calendar app updates an event it has
//! rather than adding it twice, across restarts and rebuilds alike.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, EventLike};
use time::{Date, Duration, OffsetDateTime};

use super::AppState;
use super::cache::CachePolicy;
use super::error::AppError;
use super::layout::Chrome;
use super::respond::{Document, Page};
use super::{modified, urls};
use crate::content::site::Site;
use crate::db;
use crate::db::films::ReleaseRow;
use crate::render::filters;

/// What one calendar event says: a film opening in a region on a day.
pub(crate) struct ReleaseEvent<'a> {
    pub(crate) review_slug: &'a str,
    pub(crate) review_title: &'a str,
    pub(crate) film_title: &'a str,
    pub(crate) film_year: Option<i32>,
    pub(crate) region: &'a str,
    pub(crate) region_slug: &'a str,
    pub(crate) date: Date,
    /// When the review's file changed: the event's `DTSTAMP`.
    pub(crate) modified: OffsetDateTime,
}

/// The all-day event; `None` for a date the calendar crate cannot hold.
pub(crate) fn event(site: &Site, release: &ReleaseEvent<'_>) -> Option<icalendar::Event> {
    // The calendar crate speaks chrono.
    let date = chrono::NaiveDate::from_ymd_opt(
        release.date.year(),
        u32::from(u8::from(release.date.month())),
        u32::from(release.date.day()),
    )?;
    let page_url = site.url(&urls::review(release.review_slug));
    let year = release
        .film_year
        .map(|year| format!(" ({year})"))
        .unwrap_or_default();
    let stamp =
        chrono::DateTime::from_timestamp(release.modified.unix_timestamp(), 0).unwrap_or_default();
    let host = site
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or("marquee")
        .trim_end_matches('/');
    Some(
        icalendar::Event::new()
            .uid(&format!(
                "release-{}-{}@{host}",
                release.review_slug, release.region_slug
            ))
            .timestamp(stamp)
            .summary(&format!(
                "{}{year} releases in {}",
                release.film_title, release.region
            ))
            .description(&format!("{}\n{page_url}", release.review_title))
            .url(&page_url)
            .starts(date)
            .ends(date + chrono::Days::new(1))
            .done(),
    )
}

/// A calendar named `name` holding `events`, as iCalendar text.
pub(crate) fn calendar(name: &str, events: impl IntoIterator<Item = icalendar::Event>) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name);
    for event in events {
        calendar.push(event);
    }
    calendar.done().to_string()
}

impl<'a> From<&'a ReleaseRow> for ReleaseEvent<'a> {
    fn from(row: &'a ReleaseRow) -> Self {
        Self {
            review_slug: &row.review_slug,
            review_title: &row.review_title,
            film_title: &row.film_title,
            film_year: row.film_year,
            region: &row.region,
            region_slug: &row.region_slug,
            date: row.date,
            modified: row.modified,
        }
    }
}

/// How far back `/releases` shows films that have opened.
const RECENT_DAYS: i64 = 31;

/// One release on `/releases`.
struct ReleaseView {
    date: Date,
    film: String,
    film_href: String,
    review_href: String,
    out: bool,
}

/// A region's releases, soonest first.
struct RegionView {
    name: String,
    releases: Vec<ReleaseView>,
}

#[derive(Template)]
#[template(path = "releases.html")]
struct ReleasesPage {
    chrome: Chrome,
    regions: Vec<RegionView>,
}

/// `GET /releases`
pub(crate) async fn page(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let today = now.date();
    let from = today - Duration::days(RECENT_DAYS);
    let rows = db::films::releases(&mut *tx, now, Some(from)).await?;
    let mut regions: Vec<RegionView> = Vec::new();
    for row in rows {
        let view = ReleaseView {
            date: row.date,
            film: match row.film_year {
                Some(year) => format!("{} ({year})", row.film_title),
                None => row.film_title.clone(),
            },
            film_href: row
                .film_slug
                .as_deref()
                .map_or_else(|| urls::review(&row.review_slug), urls::film),
            review_href: urls::review(&row.review_slug),
            out: row.date <= today,
        };
        match regions.iter_mut().find(|region| region.name == row.region) {
            Some(region) => region.releases.push(view),
            None => regions.push(RegionView {
                name: row.region,
                releases: vec![view],
            }),
        }
    }
    regions.sort_by(|a, b| a.name.cmp(&b.name));
    let chrome = Chrome::new(
        &state,
        &mut tx,
        "/releases",
        Some("Release calendar"),
        "When the reviewed films open, region by region.",
    )
    .await?;
    // The page changes when a date passes (it moves to "out now", or off
    // the page), as well as with the catalog.
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now)
        .await?
        .max(today.midnight().assume_utc());
    Ok(Page::new(ReleasesPage { chrome, regions })
        .modified(modified)
        .into_response())
}

/// `GET /releases.ics`
pub(crate) async fn calendar_file(State(state): State<AppState>) -> Result<Document, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let rows = db::films::releases(&mut *tx, now, None).await?;
    let site = state.site.get();
    let events = rows
        .iter()
        .filter_map(|row| event(&site, &ReleaseEvent::from(row)));
    let body = calendar(&format!("{} — releases", site.title), events);
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Document {
        content_type: "text/calendar; charset=utf-8",
        body: body.into_bytes(),
        policy: CachePolicy::ForAnHour,
        modified: Some(modified),
    })
}
