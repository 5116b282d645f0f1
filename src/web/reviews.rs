//! A review's own URLs: the page, its release dates as calendar entries,
//! and the images of a page bundle.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use super::cache::CachePolicy;
use super::error::AppError;
use super::layout::Chrome;
use super::respond::{Page, set_last_modified};
use super::{AppState, assets, modified, related, releases, urls};
use crate::db;
use crate::db::changes::SurrogateKey;
use crate::db::reviews::ReviewRow;
use crate::render::views::{Card, PosterView, ReleaseView, Stars, TagView};
use crate::render::{body_images, filters};

/// Everything the review page shows.
struct ReviewView {
    slug: String,
    title: String,
    film_title: String,
    film_year: Option<i32>,
    director: Option<String>,
    director_slug: Option<String>,
    runtime_minutes: Option<u32>,
    poster_url: Option<String>,
    /// The poster as the page shows it (`None` for none, or one that
    /// cannot be used).
    poster: Option<PosterView>,
    /// "Poster for Anora"
    poster_alt: String,
    stars: Option<Stars>,
    spoilers: bool,
    /// Shown only in preview mode: the review is a draft or not yet due.
    hidden_reason: Option<&'static str>,
    published: OffsetDateTime,
    updated: Option<OffsetDateTime>,
    summary: String,
    author: String,
    body_html: String,
    tags: Vec<TagView>,
    releases: Vec<ReleaseView>,
    /// The film's page, where every review, viewing and list of it meets.
    film_href: Option<String>,
    /// The film on TMDB and IMDb, for the structured data.
    film_same_as: Vec<String>,
}

#[derive(Template)]
#[template(path = "reviews/show.html")]
pub(crate) struct ReviewPage {
    chrome: Chrome,
    review: ReviewView,
    /// schema.org `Review` as JSON, made safe to sit in a `<script>`.
    json_ld: String,
    /// "More by {director}": the director's other reviews.
    more_by: Vec<Card>,
    /// Reviews sharing its tags, rating or year (`db::related`).
    related: Vec<Card>,
}

/// The body with its local images in sizes (`render::body_images`): one
/// read of their facts, only for a body that has an image.
async fn sized_body(tx: &mut sqlx::SqliteConnection, row: &ReviewRow) -> Result<String, AppError> {
    if !row.body_html.contains("<img") {
        return Ok(row.body_html.clone());
    }
    let known: HashMap<String, PosterView> = db::images::body_images_of(&mut *tx, row.id)
        .await?
        .into_iter()
        .filter_map(|image| {
            let view = PosterView::new(Some(image.reference.clone()), &image.facts)?;
            Some((image.reference, view))
        })
        .collect();
    Ok(body_images::sized(&row.body_html, &known))
}

/// `GET /reviews/{slug}`
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Page<ReviewPage>, AppError> {
    let mut tx = state.db.begin().await?;
    let now = state.clock.now();
    let row = db::reviews::by_slug(&mut *tx, &slug, now, state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    let tags = db::reviews::tags_of(&mut *tx, &[row.id]).await?;
    let releases = db::reviews::releases_of(&mut *tx, &[row.id]).await?;
    let film = db::films::of_review(&mut *tx, row.id).await?;
    let more_by = related::more_by(&mut tx, row.director_slug.as_deref(), &row.slug, now).await?;
    let related = related::related(&mut tx, row.id, now).await?;
    let poster_facts = db::images::poster_of(&mut *tx, row.id).await?;
    let body_html = sized_body(&mut tx, &row).await?;
    let site = state.site.get();
    let today = now.date();
    let hidden_reason = if row.draft {
        Some("Draft")
    } else if row.published > now {
        Some("Scheduled")
    } else {
        None
    };
    let releases: Vec<ReleaseView> = releases
        .into_iter()
        .map(|release| ReleaseView::from_row(release, today))
        .collect();
    // "More by" and "Related" show other reviews: their changes are the
    // page's too, and no others (the page cache keeps it through them).
    let shown: Vec<&str> = more_by
        .iter()
        .chain(&related)
        .map(|card| card.slug.as_str())
        .collect();
    let last_modified = last_modified(&row, &releases)
        .max(modified::layout(&mut tx, &state.options.content_dir).await?)
        .max(db::reviews::newest_modified(&mut *tx, &shown).await?);
    let shows = shows(&row, &tags, &shown);
    let og_image = super::cards::review_image(&state, &mut tx, &row).await?;
    let poster_url = urls::poster(row.poster.as_deref(), row.asset_base.as_deref());
    let review = ReviewView {
        poster: PosterView::new(poster_url.clone(), &poster_facts),
        poster_url,
        poster_alt: format!("Poster for {}", row.film_title),
        stars: row.rating.map(Stars::from),
        hidden_reason,
        published: row.published,
        updated: row.updated,
        author: row.author.clone().unwrap_or_else(|| site.author.clone()),
        tags: tags.into_iter().map(TagView::from).collect(),
        releases,
        film_href: film.as_ref().map(|film| urls::film(&film.film_slug)),
        film_same_as: film.map_or_else(Vec::new, |film| {
            crate::content::film::same_as(film.tmdb, film.imdb.as_deref())
        }),
        slug: row.slug,
        title: row.title,
        film_title: row.film_title,
        film_year: row.film_year,
        director: row.director,
        director_slug: row.director_slug,
        runtime_minutes: row.runtime_minutes,
        spoilers: row.spoilers,
        summary: row.summary,
        body_html,
    };
    let path = urls::review(&review.slug);
    let page_title = match review.film_year {
        Some(year) => format!("{} ({year}) — {}", review.film_title, review.title),
        None => format!("{} — {}", review.film_title, review.title),
    };
    let mut chrome =
        Chrome::new(&state, &mut tx, &path, Some(&page_title), &review.summary).await?;
    chrome.og_type = "article";
    chrome.og_image = Some(og_image);
    chrome.noindex = hidden_reason.is_some();
    let json_ld = json_for_script(&schema_review(&chrome, &review));
    let page = ReviewPage {
        chrome,
        review,
        json_ld,
        more_by,
        related,
    };
    Ok(Page::new(page).modified(last_modified).shows(shows))
}

/// What the page shows that a change may touch (`db::changes`): the
/// review, the reviews of "More by" and "Related", and what decides which
/// those are (its tags, its film's year, its director). A change to any
/// other review leaves the page cached.
fn shows(row: &ReviewRow, tags: &[db::reviews::TagRow], shown: &[&str]) -> Vec<SurrogateKey> {
    let mut keys = vec![SurrogateKey::Review(row.slug.clone())];
    keys.extend(
        shown
            .iter()
            .map(|slug| SurrogateKey::Review((*slug).to_string())),
    );
    keys.extend(tags.iter().map(|tag| SurrogateKey::Tag(tag.slug.clone())));
    keys.extend(row.film_year.map(SurrogateKey::Year));
    keys.extend(row.director_slug.clone().map(SurrogateKey::Director));
    keys
}

/// The review page changes when its file does, and when one of its release
/// dates passes (the box then says "Released"); the caller adds changes to
/// what every page shares.
fn last_modified(row: &ReviewRow, releases: &[ReleaseView]) -> OffsetDateTime {
    let passed_release = releases
        .iter()
        .filter(|release| release.released)
        .map(|release| release.date.midnight().assume_utc())
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    row.modified.max(row.published).max(passed_release)
}

fn absolute(chrome: &Chrome, url: &str) -> String {
    if url.starts_with('/') {
        chrome.url(url)
    } else {
        url.to_string()
    }
}

/// schema.org structured data, shaped as Google's review snippet rules ask:
/// a `Review` of a `Movie`, with a `Rating` on the 0.5–5 scale.
#[derive(Serialize)]
struct SchemaReview {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    url: String,
    #[serde(rename = "datePublished")]
    date_published: String,
    #[serde(rename = "dateModified", skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    author: SchemaPerson,
    #[serde(rename = "reviewBody")]
    review_body: String,
    #[serde(rename = "itemReviewed")]
    item_reviewed: SchemaMovie,
    #[serde(rename = "reviewRating", skip_serializing_if = "Option::is_none")]
    review_rating: Option<SchemaRating>,
}

#[derive(Serialize)]
struct SchemaPerson {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
struct SchemaMovie {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    #[serde(rename = "dateCreated", skip_serializing_if = "Option::is_none")]
    date_created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    director: Option<SchemaPerson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(rename = "sameAs", skip_serializing_if = "Vec::is_empty")]
    same_as: Vec<String>,
}

#[derive(Serialize)]
struct SchemaRating {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "ratingValue")]
    rating_value: String,
    #[serde(rename = "bestRating")]
    best_rating: &'static str,
    #[serde(rename = "worstRating")]
    worst_rating: &'static str,
}

fn schema_review(chrome: &Chrome, review: &ReviewView) -> SchemaReview {
    let date = |moment: &OffsetDateTime| moment.date().to_string();
    SchemaReview {
        context: "https://schema.org",
        kind: "Review",
        name: review.title.clone(),
        url: chrome.canonical.clone(),
        date_published: date(&review.published),
        date_modified: review.updated.as_ref().map(date),
        author: SchemaPerson {
            kind: "Person",
            name: review.author.clone(),
        },
        review_body: review.summary.clone(),
        item_reviewed: SchemaMovie {
            kind: "Movie",
            name: review.film_title.clone(),
            date_created: review.film_year.map(|year| year.to_string()),
            director: review.director.clone().map(|name| SchemaPerson {
                kind: "Person",
                name,
            }),
            image: review
                .poster_url
                .as_deref()
                .map(|url| absolute(chrome, url)),
            same_as: review.film_same_as.clone(),
        },
        review_rating: review.stars.as_ref().map(|stars| SchemaRating {
            kind: "Rating",
            rating_value: stars.value.clone(),
            best_rating: "5",
            worst_rating: "0.5",
        }),
    }
}

/// JSON that can sit inside `<script>` whatever the strings hold: `<`, `>`
/// and `&` are written as JSON escapes, so `</script>` in a title cannot
/// end the element. The JSON value is unchanged.
pub fn json_for_script(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `GET /reviews/{slug}/release/{region}.ics`: one release date as an
/// all-day calendar event.
pub(crate) async fn release_calendar(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    let region_slug = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let row = db::reviews::by_slug(&mut *tx, &slug, now, state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    let release = db::reviews::releases_of(&mut *tx, &[row.id])
        .await?
        .into_iter()
        .find(|release| release.region_slug == region_slug)
        .ok_or(AppError::NotFound)?;
    let site = state.site.get();
    let event = releases::event(
        &site,
        &releases::ReleaseEvent {
            review_slug: &row.slug,
            review_title: &row.title,
            film_title: &row.film_title,
            film_year: row.film_year,
            region: &release.region,
            region_slug: &release.region_slug,
            date: release.date,
            modified: row.modified,
        },
    )
    .ok_or(AppError::NotFound)?;
    let body = releases::calendar(&format!("{} — {}", site.title, row.film_title), [event]);
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!(
                    "attachment; filename=\"{}-{}.ics\"",
                    row.slug, release.region_slug
                ))
                .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response();
    set_last_modified(&mut response, row.modified);
    Ok(response)
}

/// File types a page bundle may serve. Anything else beside `index.md`
/// (including the markdown itself, which may hold draft text) stays private.
const BUNDLE_FILE_TYPES: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "mp4", "webm", "vtt", "pdf",
];

/// `GET /reviews/{slug}/{file}`: an image or other file of a page bundle.
/// The file must be one of the bundle types both as asked for and as it
/// really is (a link named `still.jpg` to a review's `index.md` is not
/// served), and its real path must lie inside the content folder.
pub(crate) async fn bundle_file(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    if !is_bundle_file(std::path::Path::new(&file)) || file.contains(['/', '\\']) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let row = db::reviews::by_slug(&mut *tx, &slug, now, state.options.drafts)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.asset_base.is_none() {
        return Err(AppError::NotFound);
    }
    let source = db::reviews::source_path(&mut *tx, row.id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(tx);
    let folder = std::path::Path::new(&source)
        .parent()
        .ok_or(AppError::NotFound)?;
    let root = state.options.content_dir.clone();
    let bundle = root.join(folder);
    let real = tokio::task::spawn_blocking(move || assets::confined(&root, &bundle, &file))
        .await
        .ok()
        .flatten()
        .filter(|real| is_bundle_file(real))
        .ok_or(AppError::NotFound)?;
    Ok(assets::serve_file(real, request, CachePolicy::ForAnHour, now.into()).await)
}

fn is_bundle_file(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            BUNDLE_FILE_TYPES.contains(&extension.to_ascii_lowercase().as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_script_cannot_close_the_element() {
        let json = json_for_script(
            &serde_json::json!({ "name": "</script><script>alert(1)</script> & co" }),
        );
        assert!(!json.contains("</script>"), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }
}
