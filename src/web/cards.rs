//! Share cards on the web: the `og:image` each page names, and the routes
//! that serve the cards (`crate::cards` draws and keeps them).
//!
//! A card's URL carries the hash of what it shows, so it is served
//! `immutable` for a year. A URL whose hash is no longer the card's (the
//! review changed) is a 404 rather than a redirect: an immutable address
//! must never show another picture, and whoever shares the page again gets
//! the new URL from it.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sqlx::SqliteConnection;

use super::cache::CachePolicy;
use super::error::AppError;
use super::layout::OgImage;
use super::{AppState, assets, urls};
use crate::cards::{CARD_HEIGHT, CARD_WIDTH, Card, ReviewCard, SiteCard};
use crate::db;
use crate::db::reviews::{Listing, ReviewRow};
use crate::render::filters;

/// The `og:image` of a review's page.
pub(crate) async fn review_image(
    state: &AppState,
    conn: &mut SqliteConnection,
    row: &ReviewRow,
) -> Result<OgImage, AppError> {
    let card = review_card(state, conn, row).await?;
    let year = card
        .year
        .map(|year| format!(" ({year})"))
        .unwrap_or_default();
    let rating = card
        .rating
        .map(|rating| format!(" Rated {} out of 5 stars.", rating.stars_label()))
        .unwrap_or_default();
    let alt = format!("{}{year}: {}.{rating}", card.film_title, card.headline);
    let card = Card::Review(card);
    let path = format!("/cards/reviews/{}-{}.png", row.slug, card.hash());
    Ok(image(state, &path, alt))
}

/// The `og:image` of the home page and the tag pages.
pub(crate) async fn site_image(
    state: &AppState,
    conn: &mut SqliteConnection,
) -> Result<OgImage, AppError> {
    let card = site_card(state, conn).await?;
    let alt = if card.tagline.is_empty() {
        card.title.clone()
    } else {
        format!("{}: {}", card.title, card.tagline)
    };
    let path = format!("/cards/site-{}.png", Card::Site(card).hash());
    Ok(image(state, &path, alt))
}

fn image(state: &AppState, path: &str, alt: String) -> OgImage {
    OgImage {
        url: state.site.get().url(path),
        width: CARD_WIDTH,
        height: CARD_HEIGHT,
        alt,
    }
}

/// `GET /cards/reviews/{slug}-{hash}.png`
pub(crate) async fn review(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let (slug, hash) = file
        .strip_suffix(".png")
        .and_then(|stem| stem.rsplit_once('-'))
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let row = db::reviews::by_slug(&mut *tx, slug, state.clock.now(), state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = Card::Review(review_card(&state, &mut tx, &row).await?);
    drop(tx);
    serve(&state, &card, hash).await
}

/// `GET /cards/site-{hash}.png`
pub(crate) async fn site(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let hash = file
        .strip_prefix("site-")
        .and_then(|rest| rest.strip_suffix(".png"))
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let card = Card::Site(site_card(&state, &mut tx).await?);
    drop(tx);
    serve(&state, &card, hash).await
}

async fn serve(state: &AppState, card: &Card, hash: &str) -> Result<Response, AppError> {
    if card.hash() != hash {
        return Err(AppError::NotFound);
    }
    let png = state.cards.png(card).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, CachePolicy::Immutable.into()),
        ],
        png,
    )
        .into_response())
}

async fn review_card(
    state: &AppState,
    conn: &mut SqliteConnection,
    row: &ReviewRow,
) -> Result<ReviewCard, AppError> {
    let poster = match poster_file(state, conn, row).await? {
        Some((root, base, relative)) => {
            let cards = state.cards.clone();
            tokio::task::spawn_blocking(move || {
                assets::confined(&root, &base, &relative).and_then(|real| cards.poster(real))
            })
            .await
            .ok()
            .flatten()
        }
        None => None,
    };
    Ok(ReviewCard {
        slug: row.slug.clone(),
        site_name: state.site.get().title.clone(),
        film_title: row.film_title.clone(),
        year: row.film_year,
        headline: row.title.clone(),
        rating: row.rating,
        poster,
    })
}

/// Where a local poster may be: its folder's root, the folder, and the
/// path under it (for `assets::confined`). Remote posters are not
/// fetched: the card shows the placeholder.
async fn poster_file(
    state: &AppState,
    conn: &mut SqliteConnection,
    row: &ReviewRow,
) -> Result<Option<(PathBuf, PathBuf, String)>, AppError> {
    let Some(url) = urls::poster(row.poster.as_deref(), row.asset_base.as_deref()) else {
        return Ok(None);
    };
    if let Some(relative) = url.strip_prefix("/static/") {
        let root = state.assets.dir().to_path_buf();
        return Ok(Some((root.clone(), root, relative.to_string())));
    }
    let bundled = row
        .asset_base
        .as_deref()
        .and_then(|base| url.strip_prefix(base));
    let Some(relative) = bundled else {
        return Ok(None);
    };
    let Some(source) = db::reviews::source_path(&mut *conn, row.id).await? else {
        return Ok(None);
    };
    let root = state.options.content_dir.clone();
    let folder = std::path::Path::new(&source)
        .parent()
        .map(|folder| root.join(folder))
        .unwrap_or_else(|| root.clone());
    Ok(Some((root, folder, relative.to_string())))
}

async fn site_card(state: &AppState, conn: &mut SqliteConnection) -> Result<SiteCard, AppError> {
    let count = db::reviews::count(&mut *conn, state.clock.now(), &Listing::All).await?;
    let site = state.site.get();
    Ok(SiteCard {
        title: site.title.clone(),
        tagline: site.tagline.clone(),
        count: filters::format_review_count(count),
    })
}
