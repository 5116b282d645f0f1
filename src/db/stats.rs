//! The numbers of `/stats` and `/stats/{year}` that come from the diary:
//! films watched per year and month, rewatches, the most-watched
//! directors, and a year in review. Each is one aggregate over an index
//! range of `diary_entries` (a year is a range of its date index).

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteExecutor};
use time::OffsetDateTime;

use crate::content::rating::Rating;
use crate::db::diary::push_seen;
use crate::db::visible;

/// `d.watched` within `year` (a range of the date index), and the entry
/// seen by `now`.
fn push_year(query: &mut QueryBuilder<Sqlite>, year: i32, now: OffsetDateTime) {
    query
        .push("d.watched >= ")
        .push_bind(format!("{year:04}-01-01"))
        .push(" AND d.watched <= ")
        .push_bind(format!("{year:04}-12-31"))
        .push(" AND ");
    push_seen(query, "d", now);
}

/// A year of the diary: films watched and how many were rewatches.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct YearCount {
    pub(crate) year: i32,
    pub(crate) watched: i64,
    pub(crate) rewatches: i64,
}

/// Every year of the diary, newest first.
pub(crate) async fn diary_years(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<YearCount>> {
    let mut query = QueryBuilder::new(
        "SELECT CAST(substr(d.watched, 1, 4) AS INTEGER) AS year, COUNT(*) AS watched,
             SUM(d.rewatch) AS rewatches
         FROM diary_entries d WHERE ",
    );
    push_seen(&mut query, "d", now);
    query.push(" GROUP BY year ORDER BY year DESC");
    query.build_query_as().fetch_all(db).await
}

/// Films watched in each month of `year` that has any, January first.
pub(crate) async fn months(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    year: i32,
) -> sqlx::Result<Vec<(i32, i64)>> {
    let mut query = QueryBuilder::new(
        "SELECT CAST(substr(d.watched, 6, 2) AS INTEGER) AS month, COUNT(*)
         FROM diary_entries d WHERE ",
    );
    push_year(&mut query, year, now);
    query.push(" GROUP BY month ORDER BY month");
    query.build_query_as().fetch_all(db).await
}

/// How many of `year`'s viewings had each rating, lowest first.
pub(crate) async fn ratings(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    year: i32,
) -> sqlx::Result<Vec<(Rating, i64)>> {
    let mut query =
        QueryBuilder::new("SELECT d.rating_halves, COUNT(*) FROM diary_entries d WHERE ");
    push_year(&mut query, year, now);
    query
        .push(" AND d.rating_halves IS NOT NULL GROUP BY d.rating_halves ORDER BY d.rating_halves");
    query.build_query_as().fetch_all(db).await
}

/// A film of the year in review, with its best rating that year.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct TopFilm {
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) film_slug: String,
    pub(crate) rating: Rating,
}

/// The best-rated films watched in `year`, each once.
pub(crate) async fn top_rated(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    year: i32,
    limit: i64,
) -> sqlx::Result<Vec<TopFilm>> {
    let mut query = QueryBuilder::new(
        "SELECT MIN(d.film_title) AS film_title, MIN(d.film_year) AS film_year, d.film_slug,
             MAX(d.rating_halves) AS rating
         FROM diary_entries d WHERE d.rating_halves IS NOT NULL AND ",
    );
    push_year(&mut query, year, now);
    query
        .push(" GROUP BY d.film_slug ORDER BY rating DESC, MIN(d.watched), d.film_slug LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}

/// How many visible reviews were published in `year`.
pub(crate) async fn reviews_written(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    year: i32,
) -> sqlx::Result<i64> {
    let start = time::Date::from_calendar_date(year, time::Month::January, 1)
        .map_or(i64::MIN, |day| day.midnight().assume_utc().unix_timestamp());
    let end = time::Date::from_calendar_date(year + 1, time::Month::January, 1)
        .map_or(i64::MAX, |day| day.midnight().assume_utc().unix_timestamp());
    let mut query = QueryBuilder::new("SELECT COUNT(*) FROM reviews r WHERE ");
    visible::push(&mut query, "r", now);
    query
        .push(" AND r.published_at >= ")
        .push_bind(start)
        .push(" AND r.published_at < ")
        .push_bind(end);
    query.build_query_scalar().fetch_one(db).await
}

/// A director and how many diary entries are of their films.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct DirectorCount {
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) watched: i64,
}

/// The directors most watched in the diary, as the films' visible reviews
/// name them (a diary entry names no director of its own). Read from the
/// diary out (`CROSS JOIN` keeps that order), with the reviews' columns from
/// an index that holds them (migration 0011).
pub(crate) async fn most_watched_directors(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<DirectorCount>> {
    let mut query = QueryBuilder::new(
        "SELECT MIN(r.director) AS name, r.director_slug AS slug,
             COUNT(DISTINCT d.source_path || '#' || d.position) AS watched
         FROM diary_entries d
         CROSS JOIN review_films f ON f.film_slug = d.film_slug
         CROSS JOIN reviews r INDEXED BY reviews_directors ON r.id = f.review_id
         WHERE r.director_slug IS NOT NULL AND ",
    );
    visible::push(&mut query, "r", now);
    query.push(" AND ");
    push_seen(&mut query, "d", now);
    query
        .push(" GROUP BY r.director_slug ORDER BY watched DESC, slug LIMIT ")
        .push_bind(limit);
    query.build_query_as().fetch_all(db).await
}
