//! Films: the `review_films` table, and the queries that gather what the
//! reviews, the diary and lists say about one film for its page.
//!
//! A film page is asked for by its slug; everything written under that
//! slug belongs to it, and so does everything that shares a TMDB or IMDb
//! id with something written under it (`film_ids`), so a film logged under
//! another title still joins.

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;

use crate::content::review::Review;
use crate::db::diary::push_seen;
use crate::db::visible;

/// Records the film of the review loaded from `source_path` (just written
/// in the same transaction), and the diary entry its `watched` date stands
/// for: one round trip, as each costs a sync of thousands of reviews.
/// A draft's viewing is not recorded; a scheduled review's is seen from
/// its publication (`visible_from`).
pub(crate) async fn record_review_film(
    conn: &mut SqliteConnection,
    source_path: &str,
    review: &Review,
    modified_at: i64,
) -> sqlx::Result<()> {
    let key = review.film.key.as_ref();
    let watched = review
        .watched
        .filter(|_| !review.draft && key.is_some())
        .map(|date| date.to_string());
    sqlx::query(
        "DELETE FROM review_films WHERE review_id = (SELECT id FROM reviews WHERE source_path = ?1);
         INSERT INTO review_films (review_id, film_slug, tmdb, imdb)
             SELECT id, ?2, ?3, ?4 FROM reviews WHERE source_path = ?1 AND ?2 IS NOT NULL;
         DELETE FROM diary_entries WHERE source_path = ?1;
         INSERT INTO diary_entries (source_path, position, watched, film_title, film_year, film_slug,
             tmdb, imdb, rating_halves, rewatch, liked, note_html, review_slug, modified_at, visible_from)
         SELECT ?1, 0, ?5, ?6, ?7, ?2, ?3, ?4, ?8, 0, 0, NULL, ?9, ?10, ?11 WHERE ?5 IS NOT NULL;",
    )
    .bind(source_path)
    .bind(key.map(|key| key.slug.as_str()))
    .bind(key.and_then(|key| key.tmdb))
    .bind(key.and_then(|key| key.imdb.as_deref()))
    .bind(watched)
    .bind(&review.film.title)
    .bind(review.film.year)
    .bind(review.rating)
    .bind(&review.slug)
    .bind(modified_at)
    .bind(review.published.unix_timestamp())
    .execute(conn)
    .await?;
    Ok(())
}

/// The start of every film query: the ids that anything written under the
/// film's slug gives it (`film_query` binds the slug).
const FILM_IDS: &str = "WITH film_ids AS (
         SELECT tmdb, imdb FROM review_films WHERE film_slug = ";

/// `WITH film_ids AS (...) {select}`: a query whose `{alias}` rows belong
/// to the film are those that `push_match` picks.
fn film_query(slug: &str, select: &str) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(FILM_IDS);
    query
        .push_bind(slug.to_string())
        .push(" UNION SELECT tmdb, imdb FROM diary_entries WHERE film_slug = ")
        .push_bind(slug.to_string())
        .push(" UNION SELECT tmdb, imdb FROM list_items WHERE film_slug = ")
        .push_bind(slug.to_string())
        .push(") ")
        .push(select);
    query
}

/// Appends the condition that an `alias` row (with `film_slug`, `tmdb`,
/// `imdb`) is of the film.
fn push_match(query: &mut QueryBuilder<Sqlite>, alias: &'static str, slug: &str) {
    query
        .push(format!("({alias}.film_slug = "))
        .push_bind(slug.to_string())
        .push(format!(
            " OR {alias}.tmdb IN (SELECT tmdb FROM film_ids WHERE tmdb IS NOT NULL)
             OR {alias}.imdb IN (SELECT imdb FROM film_ids WHERE imdb IS NOT NULL))"
        ));
}

/// The visible reviews of a film.
pub(crate) async fn review_ids(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<i64>> {
    let mut query = film_query(
        slug,
        "SELECT f.review_id FROM review_films f
         JOIN reviews r INDEXED BY reviews_visibility ON r.id = f.review_id WHERE ",
    );
    push_match(&mut query, "f", slug);
    query.push(" AND ");
    visible::push(&mut query, "r", now);
    query.build_query_scalar().fetch_all(db).await
}

/// A film's tmdb and imdb ids, for its structured data.
#[derive(Debug, Clone, Default, FromRow)]
pub(crate) struct FilmIds {
    pub(crate) tmdb: Option<i64>,
    pub(crate) imdb: Option<String>,
}

/// The ids anything written under the slug gives the film.
pub(crate) async fn ids(db: impl SqliteExecutor<'_>, slug: &str) -> sqlx::Result<FilmIds> {
    film_query(
        slug,
        "SELECT MIN(tmdb) AS tmdb, MIN(imdb) AS imdb FROM film_ids",
    )
    .build_query_as()
    .fetch_one(db)
    .await
}

/// The film of a review: its page's slug and its ids.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ReviewFilm {
    pub(crate) film_slug: String,
    pub(crate) tmdb: Option<i64>,
    pub(crate) imdb: Option<String>,
}

/// The film a review is of, if its title makes a film page.
pub(crate) async fn of_review(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<Option<ReviewFilm>> {
    sqlx::query_as("SELECT film_slug, tmdb, imdb FROM review_films WHERE review_id = ?")
        .bind(review_id)
        .fetch_optional(db)
        .await
}

/// A list a film is on.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ListMention {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) ranked: bool,
    pub(crate) position: i64,
}

/// The visible lists the film is on, newest first.
pub(crate) async fn lists_of(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ListMention>> {
    let mut query = film_query(
        slug,
        "SELECT l.slug, l.title, l.ranked, MIN(i.position) AS position
         FROM list_items i JOIN lists l ON l.id = i.list_id WHERE ",
    );
    push_match(&mut query, "i", slug);
    query.push(" AND ");
    visible::push(&mut query, "l", now);
    query.push(" GROUP BY l.id ORDER BY l.published_at DESC, l.slug");
    query.build_query_as().fetch_all(db).await
}

/// What names a film that has no visible review: its newest diary entry,
/// else a list entry.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct FilmName {
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
}

/// The film's title and year as the diary or a visible list writes them.
pub(crate) async fn name_elsewhere(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Option<FilmName>> {
    let mut query = QueryBuilder::new(
        "SELECT film_title, film_year FROM (
             SELECT film_title, film_year, 0 AS rank, watched AS at FROM diary_entries d WHERE film_slug = ",
    );
    query.push_bind(slug.to_string()).push(" AND ");
    push_seen(&mut query, "d", now);
    query
        .push(
            " UNION ALL SELECT i.film_title, i.film_year, 1, '' FROM list_items i
             JOIN lists l ON l.id = i.list_id WHERE i.film_slug = ",
        )
        .push_bind(slug.to_string())
        .push(" AND ");
    visible::push(&mut query, "l", now);
    query.push(") ORDER BY rank, at DESC LIMIT 1");
    query.build_query_as().fetch_optional(db).await
}

/// One viewing in the film's history.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Viewing {
    pub(crate) watched: time::Date,
    pub(crate) rating: Option<crate::content::rating::Rating>,
    pub(crate) rewatch: bool,
    pub(crate) liked: bool,
}

/// Every diary entry of the film, oldest first: its rating over time.
pub(crate) async fn viewings(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<Viewing>> {
    let mut query = film_query(
        slug,
        "SELECT d.watched, d.rating_halves AS rating, d.rewatch, d.liked
         FROM diary_entries d WHERE ",
    );
    push_match(&mut query, "d", slug);
    query.push(" AND ");
    push_seen(&mut query, "d", now);
    query.push(" ORDER BY d.watched, d.source_path, d.position");
    query.build_query_as().fetch_all(db).await
}

/// A release date of a visible review's film, for `/releases` and its
/// calendar.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ReleaseRow {
    pub(crate) review_slug: String,
    pub(crate) review_title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    /// The film page, when the title makes one.
    pub(crate) film_slug: Option<String>,
    pub(crate) region: String,
    pub(crate) region_slug: String,
    pub(crate) date: time::Date,
    /// When the review's file last changed: the event's stamp.
    pub(crate) modified: OffsetDateTime,
}

/// Every release date of a visible review on or after `from` (all of them
/// without one), soonest first. A film reviewed twice has each region's
/// date once: from its newest review that gives one.
pub(crate) async fn releases(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    from: Option<time::Date>,
) -> sqlx::Result<Vec<ReleaseRow>> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT r.slug AS review_slug, r.title AS review_title, r.film_title, r.film_year,
             f.film_slug, d.region, d.region_slug, d.date, r.modified_at AS modified
         FROM release_dates d JOIN reviews r ON r.id = d.review_id
         LEFT JOIN review_films f ON f.review_id = r.id WHERE ",
    );
    visible::push(&mut query, "r", now);
    if let Some(from) = from {
        query.push(" AND d.date >= ").push_bind(from.to_string());
    }
    // Only the newest visible review of the film that dates it in the
    // region, should another do so too.
    query.push(
        " AND NOT EXISTS (SELECT 1 FROM review_films g JOIN reviews o ON o.id = g.review_id
             JOIN release_dates e ON e.review_id = o.id AND e.region_slug = d.region_slug
             WHERE g.film_slug = f.film_slug AND o.id != r.id AND ",
    );
    visible::push(&mut query, "o", now);
    query.push(
        " AND (o.published_at > r.published_at OR (o.published_at = r.published_at AND o.slug < r.slug)))
         ORDER BY d.date, r.film_title, d.region",
    );
    query.build_query_as().fetch_all(db).await
}
