//! The review tables: `reviews`, `review_tags` and `release_dates`.
//!
//! Every read takes `now` (unix seconds) so that scheduling is a comparison,
//! not a background job: a review whose time has come is simply visible.

use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
// Dynamic SQL here is only ever `format!` of the constant fragments in this
// file; every value travels as a bound parameter.
use sqlx::{AssertSqlSafe, FromRow, Sqlite, SqliteConnection, SqliteExecutor};

use crate::content::review::Review;

/// Only reviews a reader may see: not drafts, and published by now.
const VISIBLE: &str = "r.draft = 0 AND r.published_at <= ?1";

/// The columns of a listing card: enough for a list, none of the body.
const CARD_COLUMNS: &str =
    "r.id, r.slug, r.title, r.film_title, r.film_year, r.director, r.rating_halves,
     r.spoilers, r.summary, r.published_at, r.poster, r.asset_base";

#[derive(Debug, Clone, FromRow)]
pub struct CardRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i64>,
    pub director: Option<String>,
    pub rating_halves: Option<i64>,
    pub spoilers: bool,
    pub summary: String,
    pub published_at: i64,
    pub poster: Option<String>,
    pub asset_base: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i64>,
    pub director: Option<String>,
    pub director_slug: Option<String>,
    pub runtime_minutes: Option<i64>,
    pub poster: Option<String>,
    pub rating_halves: Option<i64>,
    pub spoilers: bool,
    pub draft: bool,
    pub published_at: i64,
    pub updated_at: Option<i64>,
    pub summary: String,
    pub author: Option<String>,
    pub asset_base: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    pub modified_at: i64,
}

const REVIEW_COLUMNS: &str = "r.id, r.slug, r.title, r.film_title, r.film_year, r.director, r.director_slug,
     r.runtime_minutes, r.poster, r.rating_halves, r.spoilers, r.draft, r.published_at, r.updated_at,
     r.summary, r.author, r.asset_base, r.body_markdown, r.body_html, r.modified_at";

#[derive(Debug, Clone, FromRow)]
pub struct TagRow {
    pub review_id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ReleaseRow {
    pub review_id: i64,
    pub region: String,
    pub region_slug: String,
    /// ISO date, `2024-11-01`.
    pub date: String,
}

/// Which reviews a listing shows.
#[derive(Debug, Clone)]
pub enum Listing {
    All,
    /// A tag's slug.
    Tag(String),
    /// Half stars, 1..=10.
    Rating(i64),
    FilmYear(i64),
    /// A director's slug.
    Director(String),
}

impl Listing {
    /// The extra condition, always on parameter `?2`.
    fn condition(&self) -> &'static str {
        match self {
            Listing::All => "?2 IS NULL",
            Listing::Tag(_) => "r.id IN (SELECT review_id FROM review_tags WHERE slug = ?2)",
            Listing::Rating(_) => "r.rating_halves = ?2",
            Listing::FilmYear(_) => "r.film_year = ?2",
            Listing::Director(_) => "r.director_slug = ?2",
        }
    }

    /// Binds `now` (`?1`) and the listing's own parameter (`?2`).
    fn bind<'q, O: for<'r> FromRow<'r, SqliteRow>>(
        &self,
        sql: String,
        now: i64,
    ) -> QueryAs<'q, Sqlite, O, SqliteArguments> {
        let query = sqlx::query_as(AssertSqlSafe(sql)).bind(now);
        match self {
            Listing::All => query.bind(None::<i64>),
            Listing::Tag(slug) | Listing::Director(slug) => query.bind(slug.clone()),
            Listing::Rating(value) | Listing::FilmYear(value) => query.bind(*value),
        }
    }
}

// ----- reading -----

pub async fn list(
    db: impl SqliteExecutor<'_>,
    now: i64,
    listing: &Listing,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<CardRow>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM reviews r WHERE {VISIBLE} AND {}
         ORDER BY r.published_at DESC, r.id DESC LIMIT ?3 OFFSET ?4",
        listing.condition()
    );
    listing
        .bind(sql, now)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await
}

pub async fn count(db: impl SqliteExecutor<'_>, now: i64, listing: &Listing) -> sqlx::Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM reviews r WHERE {VISIBLE} AND {}",
        listing.condition()
    );
    let (count,): (i64,) = listing.bind(sql, now).fetch_one(db).await?;
    Ok(count)
}

/// A review by slug; hidden ones (drafts, scheduled) only when asked for,
/// which is the editor's preview mode.
pub async fn by_slug(
    db: impl SqliteExecutor<'_>,
    slug: &str,
    now: i64,
    include_hidden: bool,
) -> sqlx::Result<Option<ReviewRow>> {
    let sql =
        format!("SELECT {REVIEW_COLUMNS} FROM reviews r WHERE r.slug = ?2 AND (?3 OR ({VISIBLE}))");
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .bind(slug)
        .bind(include_hidden)
        .fetch_optional(db)
        .await
}

/// The newest visible reviews with their bodies: what feeds carry.
pub async fn latest_full(
    db: impl SqliteExecutor<'_>,
    now: i64,
    tag: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ReviewRow>> {
    let listing = tag.map_or(Listing::All, |tag| Listing::Tag(tag.to_string()));
    let sql = format!(
        "SELECT {REVIEW_COLUMNS} FROM reviews r WHERE {VISIBLE} AND {}
         ORDER BY r.published_at DESC, r.id DESC LIMIT ?3",
        listing.condition()
    );
    listing.bind(sql, now).bind(limit).fetch_all(db).await
}

/// Tags of several reviews in one query (no N+1), in the order written.
pub async fn tags_of(db: impl SqliteExecutor<'_>, review_ids: &[i64]) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as(
        "SELECT review_id, slug, name FROM review_tags
         WHERE review_id IN (SELECT value FROM json_each(?)) ORDER BY review_id, position",
    )
    .bind(ids_json(review_ids))
    .fetch_all(db)
    .await
}

/// Release dates of several reviews, each review's sorted by date.
pub async fn releases_of(
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

#[derive(Debug, Clone, FromRow)]
pub struct TagCount {
    pub slug: String,
    pub name: String,
    pub reviews: i64,
}

pub async fn tag_counts(db: impl SqliteExecutor<'_>, now: i64) -> sqlx::Result<Vec<TagCount>> {
    let sql = format!(
        "SELECT t.slug, MIN(t.name) AS name, COUNT(*) AS reviews
         FROM review_tags t JOIN reviews r ON r.id = t.review_id
         WHERE {VISIBLE} GROUP BY t.slug ORDER BY reviews DESC, t.slug"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(db)
        .await
}

/// The display name of a tag, if any visible review carries it.
pub async fn tag_name(
    db: impl SqliteExecutor<'_>,
    now: i64,
    slug: &str,
) -> sqlx::Result<Option<String>> {
    let sql = format!(
        "SELECT MIN(t.name) FROM review_tags t JOIN reviews r ON r.id = t.review_id
         WHERE {VISIBLE} AND t.slug = ?2"
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(now)
        .bind(slug)
        .fetch_one(db)
        .await
}

pub async fn director_name(
    db: impl SqliteExecutor<'_>,
    now: i64,
    slug: &str,
) -> sqlx::Result<Option<String>> {
    let sql =
        format!("SELECT MIN(r.director) FROM reviews r WHERE {VISIBLE} AND r.director_slug = ?2");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(now)
        .bind(slug)
        .fetch_one(db)
        .await
}

/// (value, count) pairs for the stats page.
pub async fn rating_distribution(
    db: impl SqliteExecutor<'_>,
    now: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT r.rating_halves, COUNT(*) FROM reviews r
         WHERE {VISIBLE} AND r.rating_halves IS NOT NULL GROUP BY r.rating_halves ORDER BY r.rating_halves"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(db)
        .await
}

/// Reviews published per calendar year (UTC), newest year first.
pub async fn reviews_per_year(
    db: impl SqliteExecutor<'_>,
    now: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT CAST(strftime('%Y', r.published_at, 'unixepoch') AS INTEGER) AS year, COUNT(*)
         FROM reviews r WHERE {VISIBLE} GROUP BY year ORDER BY year DESC"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(db)
        .await
}

/// The newest moment at which the visible set changed by the clock alone:
/// the latest `published_at` that has passed. Listings' Last-Modified is the
/// later of this and the last sync that changed reviews.
pub async fn latest_published_at(
    db: impl SqliteExecutor<'_>,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let sql = format!("SELECT MAX(r.published_at) FROM reviews r WHERE {VISIBLE}");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(now)
        .fetch_one(db)
        .await
}

/// The next moment a scheduled review goes live, for the scheduler.
pub async fn next_scheduled_after(
    db: impl SqliteExecutor<'_>,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT MIN(published_at) FROM reviews WHERE draft = 0 AND published_at > ?")
        .bind(now)
        .fetch_one(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct SitemapRow {
    pub slug: String,
    pub modified_at: i64,
}

pub async fn sitemap(db: impl SqliteExecutor<'_>, now: i64) -> sqlx::Result<Vec<SitemapRow>> {
    let sql = format!(
        "SELECT r.slug, MAX(r.modified_at, COALESCE(r.updated_at, 0), r.published_at) AS modified_at
         FROM reviews r WHERE {VISIBLE} ORDER BY r.published_at DESC"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(db)
        .await
}

#[derive(Debug, Clone, FromRow)]
pub struct HiddenRow {
    pub slug: String,
    pub title: String,
    pub draft: bool,
    pub published_at: i64,
}

/// Drafts and scheduled reviews, for the editor's status page.
pub async fn hidden(db: impl SqliteExecutor<'_>, now: i64) -> sqlx::Result<Vec<HiddenRow>> {
    sqlx::query_as(
        "SELECT slug, title, draft, published_at FROM reviews
         WHERE draft = 1 OR published_at > ? ORDER BY published_at",
    )
    .bind(now)
    .fetch_all(db)
    .await
}

// ----- writing (inside the sync's transaction) -----

/// Which file holds a slug now, if any, and when its review is published:
/// its claim to the slug (see `content::slugs`).
pub async fn slug_claim(
    conn: &mut SqliteConnection,
    slug: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("SELECT source_path, published_at FROM reviews WHERE slug = ?")
        .bind(slug)
        .fetch_optional(conn)
        .await
}

/// Inserts or replaces the review loaded from `source_path`, with its tags
/// and release dates.
///
/// A sync stores thousands of reviews in a row, and every query is a round
/// trip to the thread that runs SQLite, which was a good part of a cold
/// load. So this is one query (sqlx runs its statements in turn, all
/// numbered `?N` parameters bound from one list), and the tags and the
/// release dates travel as JSON arrays that SQLite unpacks with `json_each`.
/// It runs inside a savepoint: if a statement fails (a slug taken), the
/// ones after it do not run and the ones before it are undone.
pub async fn upsert(
    conn: &mut SqliteConnection,
    source_path: &str,
    review: &Review,
    modified_at: i64,
) -> sqlx::Result<()> {
    let tags: Vec<(String, &str)> = review
        .tags
        .iter()
        .map(|name| (slug::slugify(name), name.as_str()))
        .collect();
    let releases: Vec<(&str, String, String)> = review
        .releases
        .iter()
        .map(|release| {
            (
                release.region.as_str(),
                slug::slugify(&release.region),
                release.date.to_string(),
            )
        })
        .collect();
    // sqlx binds a parameter missing from a statement's numbering to the
    // next value in line, so every statement's numbers start at ?1 and the
    // gaps come first: the path is ?1, the JSON arrays ?2 and ?3.
    let written = sqlx::query(
        "SAVEPOINT upsert_review;
         INSERT INTO reviews (source_path, slug, title, film_title, film_year, director, director_slug,
             runtime_minutes, poster, rating_halves, spoilers, draft, published_at, updated_at, summary,
             author, asset_base, body_markdown, body_html, body_text, tags_text, modified_at)
         VALUES (?1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
             ?21, ?22, ?23, ?24)
         ON CONFLICT (source_path) DO UPDATE SET slug = excluded.slug, title = excluded.title,
             film_title = excluded.film_title, film_year = excluded.film_year, director = excluded.director,
             director_slug = excluded.director_slug, runtime_minutes = excluded.runtime_minutes,
             poster = excluded.poster, rating_halves = excluded.rating_halves, spoilers = excluded.spoilers,
             draft = excluded.draft, published_at = excluded.published_at, updated_at = excluded.updated_at,
             summary = excluded.summary, author = excluded.author, asset_base = excluded.asset_base,
             body_markdown = excluded.body_markdown, body_html = excluded.body_html,
             body_text = excluded.body_text, tags_text = excluded.tags_text, modified_at = excluded.modified_at;
         DELETE FROM review_tags WHERE review_id = (SELECT id FROM reviews WHERE source_path = ?1);
         INSERT INTO review_tags (review_id, position, slug, name)
             SELECT (SELECT id FROM reviews WHERE source_path = ?1), key, value ->> 0, value ->> 1
             FROM json_each(?2);
         DELETE FROM release_dates WHERE review_id = (SELECT id FROM reviews WHERE source_path = ?1);
         INSERT INTO release_dates (review_id, region, region_slug, date)
             SELECT (SELECT id FROM reviews WHERE source_path = ?1), value ->> 0, value ->> 1, value ->> 2
             FROM json_each(?3);
         RELEASE upsert_review;",
    )
    .bind(source_path)
    .bind(json(&tags))
    .bind(json(&releases))
    .bind(&review.slug)
    .bind(&review.title)
    .bind(&review.film.title)
    .bind(review.film.year)
    .bind(review.film.director.as_deref())
    .bind(review.film.director.as_deref().map(slug::slugify))
    .bind(review.film.runtime_minutes)
    .bind(review.film.poster.as_deref())
    .bind(review.rating.map(|rating| i64::from(rating.halves())))
    .bind(review.spoilers)
    .bind(review.draft)
    .bind(review.published.unix_timestamp())
    .bind(review.updated.map(|updated| updated.unix_timestamp()))
    .bind(&review.summary)
    .bind(review.author.as_deref())
    .bind(review.asset_base.as_deref())
    .bind(&review.body_markdown)
    .bind(&review.body_html)
    .bind(&review.body_text)
    .bind(review.tags.join(" "))
    .bind(modified_at)
    .execute(&mut *conn)
    .await;
    if let Err(error) = written {
        // Some failures (a full disk) make SQLite roll back the whole
        // transaction, savepoint included; the first error is the one
        // that says what happened.
        let _ = sqlx::raw_sql("ROLLBACK TO upsert_review; RELEASE upsert_review;")
            .execute(&mut *conn)
            .await;
        return Err(error);
    }
    Ok(())
}

fn json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_string())
}

/// Indexes for search every review written since the last call, in one
/// statement (see migration 0002 for why not one by one). The sync calls it
/// before it commits.
pub async fn index_queued(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO review_search (rowid, title, film_title, director, tags_text, body_text)
         SELECT r.id, r.title, r.film_title, r.director, r.tags_text, r.body_text
         FROM search_queue q JOIN reviews r ON r.id = q.review_id",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM search_queue")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many written reviews wait to be indexed for search.
pub async fn queued(conn: &mut SqliteConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM search_queue")
        .fetch_one(conn)
        .await
}

/// Removes the review loaded from a file; returns whether there was one.
pub async fn delete_by_source(
    conn: &mut SqliteConnection,
    source_path: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM reviews WHERE source_path = ?")
        .bind(source_path)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// The file a review was loaded from, for serving a bundle's files.
pub async fn source_path(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT source_path FROM reviews WHERE id = ?")
        .bind(review_id)
        .fetch_optional(db)
        .await
}

/// Each tag with a visible review, and when the newest change among its
/// reviews happened: the tag pages of the sitemap.
pub async fn tag_sitemap(db: impl SqliteExecutor<'_>, now: i64) -> sqlx::Result<Vec<SitemapRow>> {
    let sql = format!(
        "SELECT t.slug, MAX(MAX(r.modified_at, COALESCE(r.updated_at, 0), r.published_at)) AS modified_at
         FROM review_tags t JOIN reviews r ON r.id = t.review_id
         WHERE {VISIBLE} GROUP BY t.slug ORDER BY t.slug"
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::review::{Location, parse_review};

    fn review(tags: &str, releases: &str) -> Review {
        let text = format!(
            "---\ntitle: Anora\nfilm:\n  title: Anora\npublished: 2024-10-18\n\
             tags: {tags}\nrelease_dates: {releases}\n---\nText.\n"
        );
        let location = Location {
            path: "reviews/anora.md",
            default_slug: "anora",
            is_bundle: false,
            embed_hosts: &[],
        };
        parse_review(&text, location).unwrap()
    }

    #[tokio::test]
    async fn a_rewritten_review_replaces_its_tags_and_release_dates() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let first = review(
            "[Drama, New York]",
            "[{region: US, date: 2024-10-18}, {region: UK, date: 2024-11-01}]",
        );
        upsert(&mut conn, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        let second = review("[Comedy]", "[]");
        upsert(&mut conn, "reviews/anora.md", &second, 0)
            .await
            .unwrap();

        let id: i64 = sqlx::query_scalar("SELECT id FROM reviews WHERE slug = 'anora'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let tags = tags_of(&pool, &[id]).await.unwrap();
        let names: Vec<&str> = tags.iter().map(|tag| tag.name.as_str()).collect();
        assert_eq!(names, ["Comedy"]);
        assert!(releases_of(&pool, &[id]).await.unwrap().is_empty());

        upsert(&mut conn, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        let releases = releases_of(&pool, &[id]).await.unwrap();
        let regions: Vec<&str> = releases.iter().map(|r| r.region_slug.as_str()).collect();
        assert_eq!(regions, ["us", "uk"]);
        assert_eq!(tags_of(&pool, &[id]).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_write_that_fails_half_way_leaves_the_review_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        let first = review("[Drama]", "[]");
        upsert(&mut tx, "reviews/anora.md", &first, 0)
            .await
            .unwrap();
        // Two regions with one slug: the last statement of the write fails.
        let clashing = review(
            "[Comedy]",
            "[{region: Côte d'Ivoire, date: 2024-10-18}, {region: Cote d'Ivoire, date: 2024-11-01}]",
        );
        let error = upsert(&mut tx, "reviews/anora.md", &clashing, 0)
            .await
            .unwrap_err();
        assert!(matches!(&error, sqlx::Error::Database(e) if e.is_unique_violation()));
        tx.commit().await.unwrap();

        let tags: Vec<String> = sqlx::query_scalar("SELECT name FROM review_tags")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(tags, ["Drama"]);
        let releases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM release_dates")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(releases, 0);
    }
}
