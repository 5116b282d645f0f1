//! The `diary_entries` table: a year's file replaced whole in a sync, and
//! read newest first for `/diary`, a year, and the diary feed.

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};
use time::{Date, OffsetDateTime};

use crate::content::diary::Diary;
use crate::content::rating::Rating;
use crate::db::visible;

/// Replaces the entries of the diary file at `source_path`, in one round
/// trip: the entries travel as one JSON array.
pub(crate) async fn replace(
    conn: &mut SqliteConnection,
    source_path: &str,
    diary: &Diary,
    modified_at: i64,
) -> sqlx::Result<()> {
    let entries: Vec<serde_json::Value> = diary
        .entries
        .iter()
        .map(|entry| {
            serde_json::json!([
                entry.date.to_string(),
                entry.film.title,
                entry.film.year,
                entry.film.key.slug,
                entry.film.key.tmdb,
                entry.film.key.imdb,
                entry.rating.map(Rating::halves),
                entry.rewatch,
                entry.liked,
                entry.note_html,
                entry.review,
            ])
        })
        .collect();
    let json = serde_json::to_string(&entries).unwrap_or_else(|_| "[]".to_string());
    sqlx::query(
        "DELETE FROM diary_entries WHERE source_path = ?1;
         INSERT INTO diary_entries (source_path, position, watched, film_title, film_year, film_slug,
             tmdb, imdb, rating_halves, rewatch, liked, note_html, review_slug, modified_at)
         SELECT ?1, key, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
             value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10, ?3
         FROM json_each(?2);",
    )
    .bind(source_path)
    .bind(json)
    .bind(modified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the entries of a diary file; returns whether it had any.
pub(crate) async fn delete_by_source(
    conn: &mut SqliteConnection,
    source_path: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM diary_entries WHERE source_path = ?")
        .bind(source_path)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// One entry as the diary pages and feed show it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct EntryRow {
    /// The diary file (or review) it comes from.
    pub(crate) source_path: String,
    pub(crate) position: i64,
    pub(crate) watched: Date,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) film_slug: String,
    pub(crate) rating: Option<Rating>,
    pub(crate) rewatch: bool,
    pub(crate) liked: bool,
    pub(crate) note_html: Option<String>,
    /// The review it links to, when that review is visible.
    pub(crate) review_slug: Option<String>,
}

/// Which entries a diary page shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Span {
    All,
    Year(i32),
}

/// `SELECT {entry} FROM diary_entries d LEFT JOIN` the visible review it
/// names `WHERE` it is in `span`.
fn select_entries(columns: &str, now: OffsetDateTime, span: Span) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {columns} FROM diary_entries d LEFT JOIN reviews r ON r.slug = d.review_slug AND "
    ));
    visible::push(&mut query, "r", now);
    query.push(" WHERE ");
    push_span(&mut query, span);
    query.push(" AND ");
    push_seen(&mut query, "d", now);
    query
}

/// Appends the condition that an `alias` entry may be seen by `now`: every
/// diary file's entry, and a review's viewing once the review is out.
pub(crate) fn push_seen(
    query: &mut QueryBuilder<Sqlite>,
    alias: &'static str,
    now: OffsetDateTime,
) {
    query
        .push(format!(
            "({alias}.visible_from IS NULL OR {alias}.visible_from <= "
        ))
        .push_bind(now.unix_timestamp())
        .push(")");
}

/// Appends the condition that a `d` entry is in `span`: a range of the
/// date index, not a function of each row.
fn push_span(query: &mut QueryBuilder<Sqlite>, span: Span) {
    match span {
        Span::All => query.push("1"),
        Span::Year(year) => query
            .push("d.watched >= ")
            .push_bind(format!("{year:04}-01-01"))
            .push(" AND d.watched <= ")
            .push_bind(format!("{year:04}-12-31")),
    };
}

const ENTRY_COLUMNS: &str = "d.source_path, d.position, d.watched, d.film_title, d.film_year,
     d.film_slug, d.rating_halves AS rating, d.rewatch, d.liked, d.note_html,
     r.slug AS review_slug";

/// Newest first; entries of one day in the order their file has them.
const NEWEST_FIRST: &str = " ORDER BY d.watched DESC, d.source_path DESC, d.position DESC";

/// One page of the entries in `span`, newest first.
pub(crate) async fn entries(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    span: Span,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<EntryRow>> {
    let mut query = select_entries(ENTRY_COLUMNS, now, span);
    query
        .push(NEWEST_FIRST)
        .push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    query.build_query_as().fetch_all(db).await
}

/// How many entries `span` holds.
pub(crate) async fn count(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    span: Span,
) -> sqlx::Result<i64> {
    let mut query = QueryBuilder::new("SELECT COUNT(*) FROM diary_entries d WHERE ");
    push_span(&mut query, span);
    query.push(" AND ");
    push_seen(&mut query, "d", now);
    query.build_query_scalar().fetch_one(db).await
}
