//! The `lists` and `list_items` tables: a list's upsert with its films in
//! a sync, and the reads for `/lists`, a list's page, its feed and the
//! sitemap. Lists are visible as reviews are (`visible`).

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};
use time::OffsetDateTime;

use crate::content::list::List;
use crate::content::rating::Rating;
use crate::db::diary::push_seen;
use crate::db::visible;

/// Inserts or replaces the list loaded from `source_path` with its films,
/// in one round trip (the films travel as a JSON array).
pub(crate) async fn upsert(
    conn: &mut SqliteConnection,
    source_path: &str,
    list: &List,
    modified_at: i64,
) -> sqlx::Result<()> {
    let items: Vec<serde_json::Value> = list
        .items
        .iter()
        .map(|item| {
            serde_json::json!([
                item.film.title,
                item.film.year,
                item.film.key.slug,
                item.film.key.tmdb,
                item.film.key.imdb,
                item.note_html,
            ])
        })
        .collect();
    let json = serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_string());
    // As in the review upsert, every statement numbers from ?1 and the
    // values shared by several come first.
    sqlx::query(
        "INSERT INTO lists (source_path, slug, title, description, ranked, draft, published_at,
             updated_at, intro_html, modified_at)
         VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (source_path) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             description = excluded.description, ranked = excluded.ranked, draft = excluded.draft,
             published_at = excluded.published_at, updated_at = excluded.updated_at,
             intro_html = excluded.intro_html, modified_at = excluded.modified_at;
         DELETE FROM list_items WHERE list_id = (SELECT id FROM lists WHERE source_path = ?1);
         INSERT INTO list_items (list_id, position, film_title, film_year, film_slug, tmdb, imdb,
             note_html)
         SELECT (SELECT id FROM lists WHERE source_path = ?1), key, value ->> 0, value ->> 1,
             value ->> 2, value ->> 3, value ->> 4, value ->> 5
         FROM json_each(?2);",
    )
    .bind(source_path)
    .bind(json)
    .bind(&list.slug)
    .bind(&list.title)
    .bind(&list.description)
    .bind(list.ranked)
    .bind(list.draft)
    .bind(list.published.unix_timestamp())
    .bind(list.updated.map(OffsetDateTime::unix_timestamp))
    .bind(&list.intro_html)
    .bind(modified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the list loaded from a file; returns whether there was one.
pub(crate) async fn delete_by_source(
    conn: &mut SqliteConnection,
    source_path: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM lists WHERE source_path = ?")
        .bind(source_path)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// A list as `/lists`, its page and the feed show it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ListRow {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) ranked: bool,
    pub(crate) draft: bool,
    pub(crate) published: OffsetDateTime,
    pub(crate) updated: Option<OffsetDateTime>,
    pub(crate) intro_html: String,
    pub(crate) films: i64,
    /// The latest of its file's change, `updated` and publication.
    pub(crate) modified: OffsetDateTime,
}

const LIST_COLUMNS: &str = "l.id, l.slug, l.title, l.description, l.ranked, l.draft,
     l.published_at AS published, l.updated_at AS updated, l.intro_html,
     (SELECT COUNT(*) FROM list_items i WHERE i.list_id = l.id) AS films,
     MAX(l.modified_at, COALESCE(l.updated_at, 0), l.published_at) AS modified";

/// Every visible list, newest first.
pub(crate) async fn visible_lists(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ListRow>> {
    let mut query =
        QueryBuilder::<Sqlite>::new(format!("SELECT {LIST_COLUMNS} FROM lists l WHERE "));
    visible::push(&mut query, "l", now);
    query.push(" ORDER BY l.published_at DESC, l.slug");
    query.build_query_as().fetch_all(db).await
}

/// A list by slug; drafts and scheduled ones only in preview mode.
pub(crate) async fn by_slug(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: OffsetDateTime,
    include_hidden: bool,
) -> sqlx::Result<Option<ListRow>> {
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {LIST_COLUMNS} FROM lists l WHERE l.slug = "
    ));
    query.push_bind(slug.to_string());
    if !include_hidden {
        query.push(" AND ");
        visible::push(&mut query, "l", now);
    }
    query.build_query_as().fetch_optional(db).await
}

/// One film of a list, with the visible review of it, if there is one
/// (the newest, where the critic reviewed it twice).
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ItemRow {
    pub(crate) position: i64,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) film_slug: String,
    pub(crate) note_html: Option<String>,
    /// Its newest visible review, if any.
    pub(crate) review_id: Option<i64>,
    pub(crate) review_slug: Option<String>,
    /// The rating of its newest rated diary entry: the stars a film the
    /// critic logged but never reviewed still has.
    pub(crate) diary_rating: Option<Rating>,
}

/// A list's films in order, each with its newest visible review and its
/// latest diary rating.
pub(crate) async fn items(
    db: impl SqliteExecutor<'_>,
    list_id: i64,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ItemRow>> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT i.position, i.film_title, i.film_year, i.film_slug, i.note_html,
             r.id AS review_id, r.slug AS review_slug, (
                 SELECT d.rating_halves FROM diary_entries d
                 WHERE (d.film_slug = i.film_slug OR d.tmdb = i.tmdb OR d.imdb = i.imdb)
                     AND d.rating_halves IS NOT NULL AND ",
    );
    push_seen(&mut query, "d", now);
    query.push(
        " ORDER BY d.watched DESC, d.position DESC LIMIT 1) AS diary_rating
         FROM list_items i LEFT JOIN reviews r ON r.id = (
             SELECT r.id FROM review_films f JOIN reviews r ON r.id = f.review_id
             WHERE (f.film_slug = i.film_slug OR f.tmdb = i.tmdb OR f.imdb = i.imdb) AND ",
    );
    visible::push(&mut query, "r", now);
    query
        .push(" ORDER BY r.published_at DESC, r.slug LIMIT 1) WHERE i.list_id = ")
        .push_bind(list_id)
        .push(" ORDER BY i.position");
    query.build_query_as().fetch_all(db).await
}
