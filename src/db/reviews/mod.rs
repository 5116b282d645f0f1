//! Reading the review tables: `reviews`, `review_tags` and `release_dates`,
//! into typed rows (ratings, moments and dates, never integers and text to
//! decode again).
//!
//! Every read takes `now` so that scheduling is a comparison, not a
//! background job: a review whose time has come is simply visible (see
//! `visible`).

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteExecutor};
use time::{Date, OffsetDateTime};

use crate::db::images::{POSTER_JOIN, PosterFacts, poster_facts};
use crate::db::visible;

mod write;

use crate::content::review::Rating;
pub(crate) use write::{delete_by_source, slug_claim, upsert};

/// The columns of a listing card: enough for a list, none of the body.
const CARD_COLUMNS: &str = concat!(
    "r.slug, r.title, r.film_title, r.film_year, r.director,
     r.rating_halves AS rating, r.spoilers, r.summary, r.published_at AS published, r.poster,
     r.asset_base, ",
    poster_facts!()
);

/// A review in a listing.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct CardRow {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) director: Option<String>,
    pub(crate) rating: Option<Rating>,
    pub(crate) spoilers: bool,
    pub(crate) summary: String,
    pub(crate) published: OffsetDateTime,
    /// The poster as written, and the bundle's address if it is one.
    pub(crate) poster: Option<String>,
    pub(crate) asset_base: Option<String>,
    /// What the publisher knows of the poster (`db::images`).
    #[sqlx(flatten)]
    pub(crate) poster_facts: PosterFacts,
}

/// A whole review, as its page and the feeds show it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ReviewRow {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) director: Option<String>,
    pub(crate) director_slug: Option<String>,
    pub(crate) runtime_minutes: Option<u32>,
    pub(crate) poster: Option<String>,
    pub(crate) rating: Option<Rating>,
    pub(crate) spoilers: bool,
    pub(crate) draft: bool,
    pub(crate) published: OffsetDateTime,
    pub(crate) updated: Option<OffsetDateTime>,
    pub(crate) summary: String,
    pub(crate) author: Option<String>,
    pub(crate) asset_base: Option<String>,
    pub(crate) body_markdown: String,
    pub(crate) body_html: String,
    /// When its file last changed.
    pub(crate) modified: OffsetDateTime,
}

const REVIEW_COLUMNS: &str = "r.id, r.slug, r.title, r.film_title, r.film_year, r.director,
     r.director_slug, r.runtime_minutes, r.poster, r.rating_halves AS rating, r.spoilers, r.draft,
     r.published_at AS published, r.updated_at AS updated, r.summary, r.author, r.asset_base,
     r.body_markdown, r.body_html, r.modified_at AS modified";

/// One tag of a review, for `tags_of`'s callers to group by `review_id`.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct TagRow {
    pub(crate) review_id: i64,
    pub(crate) slug: String,
    pub(crate) name: String,
}

/// One release date of a review, for the release box and the calendar;
/// `releases_of`'s callers group them by `review_id`.
#[derive(Debug, Clone, FromRow)]
pub struct ReleaseRow {
    /// The review it belongs to.
    pub review_id: i64,
    /// The region as the editor wrote it (`UK`, `Côte d'Ivoire`).
    pub region: String,
    /// The region's URL name, computed once by content (`cote-d-ivoire`).
    pub region_slug: String,
    /// The release day in that region.
    pub date: Date,
}

/// Which reviews a listing shows.
#[derive(Debug, Clone)]
pub(crate) enum Listing {
    All,
    /// A tag's slug.
    Tag(String),
    Rating(Rating),
    FilmYear(i32),
    /// A director's slug.
    Director(String),
    /// These reviews (a film's, a review's related ones).
    Ids(Vec<i64>),
}

impl Listing {
    /// Appends ` AND ` and the listing's own condition, if it has one.
    fn push_condition(&self, query: &mut QueryBuilder<Sqlite>) {
        match self {
            Listing::All => {}
            Listing::Tag(slug) => {
                query
                    .push(" AND r.id IN (SELECT review_id FROM review_tags WHERE slug = ")
                    .push_bind(slug.clone())
                    .push(")");
            }
            Listing::Rating(rating) => {
                query.push(" AND r.rating_halves = ").push_bind(*rating);
            }
            Listing::FilmYear(year) => {
                query.push(" AND r.film_year = ").push_bind(*year);
            }
            Listing::Director(slug) => {
                query
                    .push(" AND r.director_slug = ")
                    .push_bind(slug.clone());
            }
            Listing::Ids(ids) => {
                query
                    .push(" AND r.id IN (SELECT value FROM json_each(")
                    .push_bind(ids_json(ids))
                    .push("))");
            }
        }
    }
}

/// `SELECT {columns} FROM reviews r WHERE` the review is visible `AND` in
/// the listing: the start of every listing query.
fn select_listed(columns: &str, now: OffsetDateTime, listing: &Listing) -> QueryBuilder<Sqlite> {
    select_listed_joining(columns, "", now, listing)
}

/// `select_listed` with `joins` (or an `INDEXED BY`) after `FROM reviews r`.
fn select_listed_joining(
    columns: &str,
    joins: &str,
    now: OffsetDateTime,
    listing: &Listing,
) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(format!("SELECT {columns} FROM reviews r {joins} WHERE "));
    visible::push(&mut query, "r", now);
    listing.push_condition(&mut query);
    query
}

/// The newest visible reviews of a listing first.
const NEWEST_FIRST: &str = " ORDER BY r.published_at DESC, r.id DESC";

/// One page of a listing's cards, newest first.
pub(crate) async fn list(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    listing: &Listing,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<CardRow>> {
    let mut query = select_listed_joining(CARD_COLUMNS, POSTER_JOIN, now, listing);
    query
        .push(NEWEST_FIRST)
        .push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    query.build_query_as().fetch_all(db).await
}

/// How many visible reviews a listing has: its number of pages. A tag's or
/// a set's reviews are counted from the index of ids and visibility, not
/// their rows (a tag's count on 10,000 reviews: 1 ms reading the rows, 0.1
/// ms so); the other listings have partial indexes of their own.
pub(crate) async fn count(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    listing: &Listing,
) -> sqlx::Result<i64> {
    let index = match listing {
        Listing::Tag(_) | Listing::Ids(_) => "INDEXED BY reviews_visibility",
        Listing::All | Listing::Rating(_) | Listing::FilmYear(_) | Listing::Director(_) => "",
    };
    select_listed_joining("COUNT(*)", index, now, listing)
        .build_query_scalar()
        .fetch_one(db)
        .await
}

/// A review by slug; hidden ones (drafts, scheduled) only when asked for,
/// which is the editor's preview mode.
pub(crate) async fn by_slug(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
    include_hidden: bool,
) -> sqlx::Result<Option<ReviewRow>> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r WHERE r.slug = "
    ));
    query.push_bind(slug.to_string());
    if !include_hidden {
        query.push(" AND ");
        visible::push(&mut query, "r", now);
    }
    query.build_query_as().fetch_optional(db).await
}

/// The newest visible reviews with their bodies: what feeds carry.
pub(crate) async fn latest_full(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    tag: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    let listing = tag.map_or(Listing::All, |tag| Listing::Tag(tag.to_string()));
    let mut query = select_listed(REVIEW_COLUMNS, now, &listing);
    query.push(NEWEST_FIRST).push(" LIMIT ").push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// Tags of several reviews in one query (no N+1), in the order written.
pub(crate) async fn tags_of(
    db: impl SqliteExecutor<'_>,
    review_ids: &[i64],
) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as(
        "SELECT review_id, slug, name FROM review_tags
         WHERE review_id IN (SELECT value FROM json_each(?)) ORDER BY review_id, position",
    )
    .bind(ids_json(review_ids))
    .fetch_all(db)
    .await
}

/// Release dates of several reviews, each review's sorted by date.
pub(crate) async fn releases_of(
    db: impl SqliteExecutor<'_>,
    review_ids: &[i64],
) -> sqlx::Result<Vec<ReleaseRow>> {
    sqlx::query_as(
        "SELECT review_id, region, region_slug, date FROM release_dates
         WHERE review_id IN (SELECT value FROM json_each(?)) ORDER BY review_id, date, region",
    )
    .bind(ids_json(review_ids))
    .fetch_all(db)
    .await
}

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_string())
}

/// A tag on the tags page, with how many visible reviews carry it.
#[derive(Debug, Clone, FromRow)]
pub struct TagCount {
    /// The tag's URL name: its page is `/tags/{slug}`.
    pub slug: String,
    /// How the tag is shown; of names that share a slug, the first in
    /// byte order.
    pub name: String,
    /// Visible reviews with this tag.
    pub reviews: i64,
}

/// A query over the tags of visible reviews: `SELECT {columns} FROM
/// review_tags t JOIN reviews r ... WHERE` visible. Both tables are read
/// through indexes that hold every column asked for (a tag index holds the
/// review's id, as the table's key), never from a review's row, whose first
/// page holds the start of its body: `/tags` on 2,000 reviews took 8.4 ms
/// reading them and 0.75 ms so (75 and 3.9 ms on 10,000).
fn select_visible_tags(columns: &str, now: OffsetDateTime) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {columns} FROM review_tags t INDEXED BY review_tags_by_slug_name
         JOIN reviews r INDEXED BY reviews_visibility ON r.id = t.review_id WHERE "
    ));
    visible::push(&mut query, "r", now);
    query
}

/// Every tag of a visible review, the most used first.
pub(crate) async fn tag_counts(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<TagCount>> {
    let mut query = select_visible_tags("t.slug, MIN(t.name) AS name, COUNT(*) AS reviews", now);
    query.push(" GROUP BY t.slug ORDER BY reviews DESC, t.slug");
    query.build_query_as().fetch_all(db).await
}

/// The display name of a tag, if any visible review carries it.
pub(crate) async fn tag_name(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    slug: &str,
) -> sqlx::Result<Option<String>> {
    let mut query = select_visible_tags("MIN(t.name)", now);
    query.push(" AND t.slug = ").push_bind(slug.to_string());
    query.build_query_scalar().fetch_one(db).await
}

/// The display name of a director, if any visible review is of their film.
pub(crate) async fn director_name(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    slug: &str,
) -> sqlx::Result<Option<String>> {
    let listing = Listing::Director(slug.to_string());
    select_listed("MIN(r.director)", now, &listing)
        .build_query_scalar()
        .fetch_one(db)
        .await
}

/// How many visible reviews have each rating, lowest first: the stats page.
pub(crate) async fn rating_distribution(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<(Rating, i64)>> {
    let mut query = select_listed("r.rating_halves, COUNT(*)", now, &Listing::All);
    query
        .push(" AND r.rating_halves IS NOT NULL GROUP BY r.rating_halves ORDER BY r.rating_halves");
    query.build_query_as().fetch_all(db).await
}

/// How many visible reviews there are of films from each year, newest
/// year first: the stats page, which links each year to its listing.
pub(crate) async fn films_per_year(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<(i32, i64)>> {
    let mut query = select_listed("r.film_year, COUNT(*)", now, &Listing::All);
    query.push(" AND r.film_year IS NOT NULL GROUP BY r.film_year ORDER BY r.film_year DESC");
    query.build_query_as().fetch_all(db).await
}

/// The newest moment at which the visible set changed by the clock alone:
/// the latest `published_at` that has passed. Listings' Last-Modified is the
/// later of this and the last sync that changed reviews.
pub(crate) async fn latest_published_at(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    select_listed("MAX(r.published_at)", now, &Listing::All)
        .build_query_scalar()
        .fetch_one(db)
        .await
}

/// The next moment a scheduled review goes live, for the scheduler.
pub(crate) async fn next_scheduled_after(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar("SELECT MIN(published_at) FROM reviews WHERE draft = 0 AND published_at > ?")
        .bind(now.unix_timestamp())
        .fetch_one(db)
        .await
}

/// A page of the sitemap and when it last changed.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct SitemapRow {
    pub(crate) slug: String,
    pub(crate) modified: OffsetDateTime,
}

/// A visible review's own change: its file, its `updated` and its
/// publication, whichever is latest.
const CHANGED: &str = "MAX(r.modified_at, COALESCE(r.updated_at, 0), r.published_at)";

/// Every visible review's address and latest change, newest first.
pub(crate) async fn sitemap(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<SitemapRow>> {
    let columns = format!("r.slug, {CHANGED} AS modified");
    let mut query = select_listed(&columns, now, &Listing::All);
    query.push(" ORDER BY r.published_at DESC");
    query.build_query_as().fetch_all(db).await
}

/// Each tag with a visible review, and when the newest change among its
/// reviews happened: the tag pages of the sitemap.
pub(crate) async fn tag_sitemap(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<SitemapRow>> {
    let columns = format!("t.slug, MAX({CHANGED}) AS modified");
    let mut query = select_visible_tags(&columns, now);
    query.push(" GROUP BY t.slug ORDER BY t.slug");
    query.build_query_as().fetch_all(db).await
}

/// A draft or scheduled review, for the editor's status page.
#[derive(Debug, Clone, FromRow)]
pub struct HiddenRow {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) draft: bool,
    pub(crate) published: OffsetDateTime,
}

/// Drafts and scheduled reviews, for the editor's status page.
pub async fn hidden(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<HiddenRow>> {
    sqlx::query_as(
        "SELECT slug, title, draft, published_at AS published FROM reviews
         WHERE draft = 1 OR published_at > ? ORDER BY published_at",
    )
    .bind(now.unix_timestamp())
    .fetch_all(db)
    .await
}

/// The file a review was loaded from, for serving a bundle's files.
pub(crate) async fn source_path(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT source_path FROM reviews WHERE id = ?")
        .bind(review_id)
        .fetch_optional(db)
        .await
}

/// The keys (`db::changes`) of the review stored from `source_path`, if
/// there is one: what a sync compares before and after it writes.
pub(crate) async fn keys_by_source(
    db: impl SqliteExecutor<'_>,
    source_path: &str,
) -> sqlx::Result<Option<crate::db::changes::ReviewKeys>> {
    sqlx::query_as(
        "SELECT r.slug, r.draft, r.film_year, r.director_slug,
             (SELECT json_group_array(slug) FROM review_tags WHERE review_id = r.id) AS tags
         FROM reviews r WHERE r.source_path = ?",
    )
    .bind(source_path)
    .fetch_optional(db)
    .await
}

/// The newest file time among the reviews `slugs` name: what a page
/// showing their cards changes with (the epoch for none).
pub(crate) async fn newest_modified(
    db: impl SqliteExecutor<'_>,
    slugs: &[&str],
) -> sqlx::Result<OffsetDateTime> {
    let newest: Option<i64> = sqlx::query_scalar(
        "SELECT max(modified_at) FROM reviews WHERE slug IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(slugs).unwrap_or_else(|_| "[]".into()))
    .fetch_one(db)
    .await?;
    Ok(newest
        .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH))
}
