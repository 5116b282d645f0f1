//! What search needs from the store: the queue of reviews the search index
//! (`crate::search`) has not taken yet, the rows that feed it, and the
//! rows a results page shows.
//!
//! The queue is written by triggers on `reviews` (migration 0003) in the
//! sync's own transaction, so it is a crash-safe record of what the index
//! lacks: the publisher empties it only once the index has committed.

pub(crate) mod snippet;
pub(crate) mod titles;

use std::collections::HashMap;

use sqlx::{FromRow, QueryBuilder, SqliteExecutor, SqlitePool};
use time::OffsetDateTime;

use super::images::{POSTER_JOIN, PosterFacts, poster_facts};
use super::visible;
use crate::content::review::Rating;

use snippet::Term;
use titles::{FilmMatch, ListMatch, TitleSearch};

/// Marks a matched term in a snippet. Private-use characters cannot occur in
/// indexed text that matters to readers, and they are split out again before
/// rendering, so the snippet never carries markup through SQL.
pub(crate) const HIT_START: char = '\u{E000}';
/// Ends a matched term in a snippet (see `HIT_START`).
pub(crate) const HIT_END: char = '\u{E001}';

/// A review that matched, with what its result card shows.
#[derive(Debug, Clone)]
pub(crate) struct SearchHit {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) film_year: Option<i32>,
    pub(crate) rating: Option<Rating>,
    pub(crate) published: OffsetDateTime,
    /// Words of the body around the hits, marked with `HIT_START`/`HIT_END`.
    pub(crate) snippet: String,
    /// The poster as written, the bundle's address if it is one, and what
    /// the publisher knows of it: results show it as listings do.
    pub(crate) poster: Option<String>,
    pub(crate) asset_base: Option<String>,
    pub(crate) poster_facts: PosterFacts,
}

/// A result row as read, the body whole: the snippet is made from it.
#[derive(FromRow)]
struct HitRow {
    id: i64,
    slug: String,
    title: String,
    film_title: String,
    film_year: Option<i32>,
    rating: Option<Rating>,
    published: OffsetDateTime,
    body_text: String,
    poster: Option<String>,
    asset_base: Option<String>,
    #[sqlx(flatten)]
    poster_facts: PosterFacts,
    /// The same on every row (see `Constants`).
    #[sqlx(flatten)]
    constants: Constants,
}

/// What a results page reads from the store.
#[derive(Debug, Clone, Default)]
pub(crate) struct Results {
    /// The shown reviews, in the engine's order.
    pub(crate) hits: Vec<SearchHit>,
    /// Some written review is not in the index yet (see `incomplete`).
    pub(crate) incomplete: bool,
    /// The name of each tag slug asked for, as a review names it.
    pub(crate) tag_names: HashMap<String, String>,
    /// The films and lists the search names by title, when asked for.
    pub(crate) films: Vec<FilmMatch>,
    pub(crate) lists: Vec<ListMatch>,
}

/// The reviews `ids` names that a reader may see at `now`, in the order of
/// `ids`, each with its snippet; whether the index lacks some review; the
/// names of the tags `slugs`; and with `titles`, the films and lists it
/// names (`titles`). One statement, so one round trip and one snapshot:
/// each round trip to SQLite's threads costs about as much as reading the
/// twenty rows (BENCHMARKS.md). A review the index still knows but the
/// store no longer shows is left out.
pub(crate) async fn results(
    db: &SqlitePool,
    ids: &[i64],
    terms: &[Term],
    slugs: &[&str],
    titles: Option<TitleSearch<'_>>,
    now: OffsetDateTime,
) -> sqlx::Result<Results> {
    let mut sql = QueryBuilder::new(concat!(
        "SELECT r.id, r.slug, r.title, r.film_title, r.film_year, r.rating_halves AS rating,
                r.published_at AS published, r.body_text, r.poster, r.asset_base, ",
        poster_facts!(),
        ", ",
    ));
    push_constants(&mut sql, slugs, titles, now);
    sql.push(" FROM reviews r ")
        .push(POSTER_JOIN)
        .push(" WHERE r.id IN (SELECT value FROM json_each(")
        .push_bind(json(ids))
        .push(")) AND ");
    visible::push(&mut sql, "r", now);
    let mut rows: Vec<HitRow> = sql.build_query_as().fetch_all(db).await?;
    let constants = match rows.first_mut() {
        Some(first) => std::mem::take(&mut first.constants),
        // Nothing to show: the constants are asked for on their own.
        None => {
            let mut sql = QueryBuilder::new("SELECT ");
            push_constants(&mut sql, slugs, titles, now);
            sql.build_query_as().fetch_one(db).await?
        }
    };
    let mut by_id: HashMap<i64, HitRow> = rows.into_iter().map(|row| (row.id, row)).collect();
    let hits = ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|row| SearchHit {
            snippet: snippet::snippet(&row.body_text, terms),
            slug: row.slug,
            title: row.title,
            film_title: row.film_title,
            film_year: row.film_year,
            rating: row.rating,
            published: row.published,
            poster: row.poster,
            asset_base: row.asset_base,
            poster_facts: row.poster_facts,
        })
        .collect();
    Ok(Results {
        hits,
        incomplete: constants.incomplete,
        tag_names: names_from(&constants.tag_names),
        films: titles.map_or_else(Vec::new, |_| titles::films_from(&constants.films)),
        lists: titles.map_or_else(Vec::new, |asked| {
            titles::lists_from(&constants.lists, asked.text, asked.lists)
        }),
    })
}

/// The columns of a results statement that are the same on every row:
/// subqueries SQLite evaluates once, asked in the same statement as the
/// rows so that one round trip and one snapshot give the whole page.
#[derive(Default, FromRow)]
struct Constants {
    /// See `Results::incomplete`.
    incomplete: bool,
    /// See `Results::tag_names`, as a JSON object.
    tag_names: String,
    /// See `Results::films` and `Results::lists`, as JSON arrays.
    films: String,
    lists: String,
}

/// Appends the constant columns (`Constants`): subqueries SQLite evaluates
/// once per statement.
fn push_constants(
    sql: &mut QueryBuilder<sqlx::Sqlite>,
    slugs: &[&str],
    titles: Option<TitleSearch<'_>>,
    now: OffsetDateTime,
) {
    sql.push("EXISTS (SELECT 1 FROM search_queue) AS incomplete, (");
    push_tag_names(sql, slugs, now);
    sql.push(") AS tag_names, ");
    match titles {
        Some(asked) => {
            titles::push_films(sql, asked.text, now, asked.films);
            sql.push(" AS films, ");
            titles::push_lists(sql, now);
        }
        None => {
            sql.push("'[]' AS films, ");
            sql.push("'[]'");
        }
    }
    sql.push(" AS lists");
}

/// A subquery giving `{slug: name}` for the tags `slugs`, named as `/tags`
/// names them: the first name in byte order among visible reviews.
fn push_tag_names(sql: &mut QueryBuilder<sqlx::Sqlite>, slugs: &[&str], now: OffsetDateTime) {
    sql.push(
        "SELECT json_group_object(slug, name) FROM (
             SELECT s.value AS slug, (
                 SELECT t.name FROM review_tags t INDEXED BY review_tags_by_slug_name
                 JOIN reviews r INDEXED BY reviews_visibility ON r.id = t.review_id
                 WHERE t.slug = s.value AND ",
    );
    visible::push(sql, "r", now);
    sql.push(" ORDER BY t.name LIMIT 1) AS name FROM json_each(")
        .push_bind(json(slugs))
        .push(") s) WHERE name IS NOT NULL");
}

fn names_from(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// How many written reviews wait for the index.
pub(crate) async fn queued_count(db: impl SqliteExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM search_queue")
        .fetch_one(db)
        .await
}

/// How many reviews the index should hold once the queue is empty: every
/// one but drafts (scheduled reviews are indexed, and filtered by time).
pub(crate) async fn indexable_count(db: impl SqliteExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM reviews WHERE draft = 0")
        .fetch_one(db)
        .await
}

/// Queues every review, for an index built anew.
pub(crate) async fn queue_all(db: impl SqliteExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO search_queue (review_id)
         SELECT id FROM reviews WHERE id NOT IN (SELECT review_id FROM search_queue)",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes reviews off the queue once the index has committed them.
pub(crate) async fn dequeue(db: impl SqliteExecutor<'_>, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM search_queue WHERE review_id IN (SELECT value FROM json_each(?))")
        .bind(json(ids))
        .execute(db)
        .await?;
    Ok(())
}

/// The identity an index notes in its commits, so that it is never taken
/// for another database's (migration 0003 draws it at random).
pub(crate) async fn identity(db: impl SqliteExecutor<'_>) -> sqlx::Result<String> {
    let value: i64 =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'search_index_identity'")
            .fetch_one(db)
            .await?;
    Ok(value.to_string())
}

/// A queued review: what the index takes, or `None` when it must drop it
/// (deleted, or a draft).
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) id: i64,
    pub(crate) row: Option<IndexRow>,
}

/// What the index holds of a review.
#[derive(Debug)]
pub(crate) struct IndexRow {
    pub(crate) title: String,
    pub(crate) film_title: String,
    pub(crate) director: Option<String>,
    pub(crate) body_text: String,
    pub(crate) rating: Option<Rating>,
    pub(crate) film_year: Option<i32>,
    /// Unix seconds.
    pub(crate) published_at: i64,
    /// (slug, name), in the editor's order.
    pub(crate) tags: Vec<(String, String)>,
}

#[derive(FromRow)]
struct QueuedRow {
    queued: i64,
    indexable: bool,
    #[sqlx(flatten)]
    row: IndexRowColumns,
}

/// `IndexRow`'s columns, null when the review is gone.
#[derive(FromRow)]
struct IndexRowColumns {
    title: Option<String>,
    film_title: Option<String>,
    director: Option<String>,
    body_text: Option<String>,
    rating: Option<Rating>,
    film_year: Option<i32>,
    published_at: Option<i64>,
    tags: Option<String>,
}

/// Up to `limit` queued reviews with ids above `after`, in id order.
pub(crate) async fn queued(
    db: impl SqliteExecutor<'_>,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<Queued>> {
    let rows: Vec<QueuedRow> = sqlx::query_as(
        "SELECT q.review_id AS queued, COALESCE(r.draft = 0, 0) AS indexable,
                r.title, r.film_title, r.director, r.body_text, r.rating_halves AS rating,
                r.film_year, r.published_at,
                (SELECT json_group_array(json_array(t.slug, t.name))
                 FROM (SELECT slug, name FROM review_tags WHERE review_id = r.id ORDER BY position) t
                ) AS tags
         FROM search_queue q LEFT JOIN reviews r ON r.id = q.review_id
         WHERE q.review_id > ? ORDER BY q.review_id LIMIT ?",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(QueuedRow::into_queued).collect())
}

impl QueuedRow {
    fn into_queued(self) -> Queued {
        let columns = self.row;
        let row = match (
            self.indexable,
            columns.title,
            columns.film_title,
            columns.body_text,
            columns.published_at,
        ) {
            (true, Some(title), Some(film_title), Some(body_text), Some(published_at)) => {
                Some(IndexRow {
                    title,
                    film_title,
                    director: columns.director,
                    body_text,
                    rating: columns.rating,
                    film_year: columns.film_year,
                    published_at,
                    tags: columns
                        .tags
                        .and_then(|tags| serde_json::from_str(&tags).ok())
                        .unwrap_or_default(),
                })
            }
            _ => None,
        };
        Queued {
            id: self.queued,
            row,
        }
    }
}

/// Values for `json_each`: one bound parameter, whatever their number.
fn json<T: serde::Serialize + ?Sized>(values: &T) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A moment, in unix seconds: the tests' reviews are published at 0.
    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    /// A review row with only what search reads.
    async fn insert(pool: &SqlitePool, slug: &str, body: &str, draft: bool) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO reviews (source_path, slug, title, film_title, spoilers, draft,
                 published_at, summary, body_markdown, body_html, body_text, tags_text, modified_at)
             VALUES (?1, ?2, 'Title', 'Film', 0, ?3, 0, '', ?4, ?4, ?4, '', 0) RETURNING id",
        )
        .bind(format!("reviews/{slug}.md"))
        .bind(slug)
        .bind(draft)
        .bind(body)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    async fn open() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("search.db"))
            .await
            .unwrap();
        (dir, pool)
    }

    /// (id, whether the index is to hold it) for each queued review.
    async fn queue(pool: &SqlitePool) -> Vec<(i64, bool)> {
        queued(pool, 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|queued| (queued.id, queued.row.is_some()))
            .collect()
    }

    #[tokio::test]
    async fn every_write_queues_the_review_until_the_index_takes_it() {
        let (_dir, pool) = open().await;
        let a = insert(&pool, "a", "About anora.", false).await;
        let draft = insert(&pool, "draft", "Not yet.", true).await;
        assert_eq!(queue(&pool).await, [(a, true), (draft, false)]);
        assert_eq!(queued_count(&pool).await.unwrap(), 2);

        dequeue(&pool, &[a, draft]).await.unwrap();
        assert_eq!(queued_count(&pool).await.unwrap(), 0);
        sqlx::query("UPDATE reviews SET body_text = 'About mikey.' WHERE id = ?")
            .bind(a)
            .execute(&pool)
            .await
            .unwrap();
        let row = queued(&pool, 0, 10).await.unwrap().remove(0).row.unwrap();
        assert_eq!(row.body_text, "About mikey.");
        dequeue(&pool, &[a]).await.unwrap();

        sqlx::query("DELETE FROM reviews WHERE id = ?")
            .bind(a)
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(queue(&pool).await, [(a, false)], "a deletion is queued too");
        assert_eq!(
            queued(&pool, a, 10).await.unwrap().len(),
            0,
            "after `after`"
        );
    }

    #[tokio::test]
    async fn results_keep_the_engines_order_and_only_what_is_visible() {
        let (_dir, pool) = open().await;
        let first = insert(&pool, "first", "One.", false).await;
        let second = insert(&pool, "second", "Two.", false).await;
        let draft = insert(&pool, "draft", "Three.", true).await;
        sqlx::query(
            "INSERT INTO review_tags (review_id, position, slug, name) VALUES (?, 0, 'noir', 'Noir')",
        )
        .bind(first)
        .execute(&pool)
        .await
        .unwrap();
        let found = results(
            &pool,
            &[second, draft, first, 999],
            &[],
            &["noir", "none"],
            None,
            at(10),
        )
        .await
        .unwrap();
        let slugs: Vec<&str> = found.hits.iter().map(|hit| hit.slug.as_str()).collect();
        assert_eq!(slugs, ["second", "first"]);
        assert!(found.incomplete, "the reviews are still queued");
        let noir = HashMap::from([("noir".to_string(), "Noir".to_string())]);
        assert_eq!(found.tag_names, noir);
        let nothing = results(&pool, &[], &[], &["noir"], None, at(10))
            .await
            .unwrap();
        assert!(nothing.hits.is_empty());
        assert!(nothing.incomplete);
        assert_eq!(nothing.tag_names, noir, "asked for even without hits");
        let before = results(&pool, &[first], &[], &["noir"], None, at(-10))
            .await
            .unwrap();
        assert!(before.hits.is_empty());
        assert!(
            before.tag_names.is_empty(),
            "a name only from a review a reader may see"
        );
    }

    #[tokio::test]
    async fn films_named_by_the_search_come_in_the_same_statement_with_or_without_hits() {
        let (_dir, pool) = open().await;
        let first = insert(&pool, "first", "One.", false).await;
        let draft = insert(&pool, "draft", "Two.", true).await;
        for (id, slug) in [(first, "film-2020"), (draft, "film-noir-2021")] {
            sqlx::query("INSERT INTO review_films (review_id, film_slug) VALUES (?, ?)")
                .bind(id)
                .bind(slug)
                .execute(&pool)
                .await
                .unwrap();
        }
        let asked = TitleSearch {
            text: "Film",
            films: 6,
            lists: 4,
        };
        let film = FilmMatch {
            slug: "film-2020".to_string(),
            title: "Film".to_string(),
            year: None,
        };
        for ids in [vec![first], vec![]] {
            let found = results(&pool, &ids, &[], &[], Some(asked), at(10))
                .await
                .unwrap();
            assert_eq!(found.hits.len(), ids.len());
            assert_eq!(
                found.films,
                std::slice::from_ref(&film),
                "the draft's film is not named"
            );
            assert!(found.lists.is_empty());
        }
        let unasked = results(&pool, &[first], &[], &[], None, at(10))
            .await
            .unwrap();
        assert!(unasked.films.is_empty());
    }

    #[tokio::test]
    async fn queue_all_queues_each_review_once() {
        let (_dir, pool) = open().await;
        let a = insert(&pool, "a", "A.", false).await;
        dequeue(&pool, &[a]).await.unwrap();
        let b = insert(&pool, "b", "B.", false).await;
        queue_all(&pool).await.unwrap();
        assert_eq!(queue(&pool).await, [(a, true), (b, true)]);
        assert_eq!(indexable_count(&pool).await.unwrap(), 2);
        assert!(!identity(&pool).await.unwrap().is_empty());
    }
}
