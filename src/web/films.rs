//! `GET /film/{slug}`: everything the site holds about one film — every
//! review of it (a critic may review a film twice, years apart), every
//! viewing the diary logged with its rating, the lists it is on and its
//! release dates. The film has no file of its own: the page exists while
//! a visible review, a diary entry or a visible list names the film.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::Date;

use super::AppState;
use super::error::AppError;
use super::layout::Chrome;
use super::respond::Page;
use super::reviews::json_for_script;
use super::{modified, urls};
use crate::content::film;
use crate::db;
use crate::db::reviews::Listing;
use crate::render::filters;
use crate::render::views::{Card, PosterView, ReleaseView, Stars, tint};

/// One viewing in the film's rating history.
struct ViewingView {
    watched: Date,
    stars: Option<Stars>,
    rewatch: bool,
    liked: bool,
}

/// A list the film is on, and where.
struct ListLink {
    href: String,
    title: String,
    /// "No. 3" on a ranked list.
    rank: Option<i64>,
}

#[derive(Template)]
#[template(path = "films/show.html")]
struct FilmPage {
    chrome: Chrome,
    /// The poster of its newest review that has one; else the placeholder
    /// in the film's tint.
    poster: Option<PosterView>,
    tint: u8,
    film_title: String,
    film_year: Option<i32>,
    director: Option<String>,
    cards: Vec<Card>,
    viewings: Vec<ViewingView>,
    lists: Vec<ListLink>,
    releases: Vec<ReleaseView>,
    /// schema.org `Movie`, safe inside `<script>`.
    json_ld: String,
}

/// The most reviews a film page lists: far more than anyone writes of one
/// film, and a bound on the page whatever the content holds.
const MAX_REVIEWS: i64 = 50;

/// `GET /film/{slug}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let review_ids = db::films::review_ids(&mut *tx, &slug, now).await?;
    let rows = if review_ids.is_empty() {
        Vec::new()
    } else {
        let listing = Listing::Ids(review_ids.clone());
        // Newest first, as every listing.
        db::reviews::list(&mut *tx, now, &listing, MAX_REVIEWS, 0).await?
    };
    let (film_title, film_year, director) = match rows.first() {
        Some(row) => (row.film_title.clone(), row.film_year, row.director.clone()),
        None => {
            let name = db::films::name_elsewhere(&mut *tx, &slug, now)
                .await?
                .ok_or(AppError::NotFound)?;
            (name.film_title, name.film_year, None)
        }
    };
    let viewings = db::films::viewings(&mut *tx, &slug, now)
        .await?
        .into_iter()
        .map(|viewing| ViewingView {
            watched: viewing.watched,
            stars: viewing.rating.map(Stars::from),
            rewatch: viewing.rewatch,
            liked: viewing.liked,
        })
        .collect();
    let lists = db::films::lists_of(&mut *tx, &slug, now)
        .await?
        .into_iter()
        .map(|list| ListLink {
            href: urls::list(&list.slug),
            title: list.title,
            rank: list.ranked.then_some(list.position + 1),
        })
        .collect();
    let releases = releases(&mut tx, &review_ids, now.date()).await?;
    let ids = db::films::ids(&mut *tx, &slug).await?;
    let heading = match film_year {
        Some(year) => format!("{film_title} ({year})"),
        None => film_title.clone(),
    };
    let description = format!("Reviews, viewings and lists of {heading}.");
    let path = urls::film(&slug);
    let chrome = Chrome::new(&state, &mut tx, &path, Some(&heading), &description).await?;
    let json_ld = json_for_script(&SchemaMovie {
        context: "https://schema.org",
        kind: "Movie",
        name: film_title.clone(),
        url: chrome.canonical.clone(),
        date_created: film_year.map(|year| year.to_string()),
        same_as: film::same_as(ids.tmdb, ids.imdb.as_deref()),
    });
    let cards: Vec<Card> = rows.into_iter().map(Card::from).collect();
    let page = FilmPage {
        chrome,
        poster: cards.iter().find_map(|card| card.poster.clone()),
        tint: tint(&film_title),
        film_title,
        film_year,
        director,
        cards,
        viewings,
        lists,
        releases,
        json_ld,
    };
    let modified = modified::catalog(&mut tx, &state.options.content_dir, now).await?;
    Ok(Page::new(page).modified(modified).into_response())
}

/// The film's release dates as its reviews give them, one per region (the
/// earliest, should two reviews disagree), soonest first.
async fn releases(
    tx: &mut sqlx::SqliteConnection,
    review_ids: &[i64],
    today: Date,
) -> Result<Vec<ReleaseView>, AppError> {
    let mut releases: Vec<ReleaseView> = Vec::new();
    for row in db::reviews::releases_of(&mut *tx, review_ids).await? {
        let release = ReleaseView::from_row(row, today);
        match releases
            .iter_mut()
            .find(|known| known.region_slug == release.region_slug)
        {
            Some(known) if known.date > release.date => *known = release,
            Some(_) => {}
            None => releases.push(release),
        }
    }
    releases.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.region.cmp(&b.region)));
    Ok(releases)
}

/// schema.org `Movie`, linked to TMDB and IMDb where the content names it
/// there.
#[derive(Serialize)]
struct SchemaMovie {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    url: String,
    #[serde(rename = "dateCreated", skip_serializing_if = "Option::is_none")]
    date_created: Option<String>,
    #[serde(rename = "sameAs", skip_serializing_if = "Vec::is_empty")]
    same_as: Vec<String>,
}
