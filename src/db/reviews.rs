//! Reading the review tables: `reviews`, `review_tags` and `release_dates`,
//! into typed rows (ratings, moments and dates, never integers and text to
//! decode again).
//!
//! Every read takes `now` so that scheduling is a comparison, not a
//! background job: a review whose time has come is simply visible (see
//! `visible`).

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};
use time::{Date, OffsetDateTime};

use super::visible;
use crate::content::review::{Rating, Review};

/// The columns of a listing card: enough for a list, none of the body.
const CARD_COLUMNS: &str = "r.id, r.slug, r.title, r.film_title, r.film_year, r.director,
     r.rating_halves AS rating, r.spoilers, r.summary, r.published_at AS published, r.poster,
     r.asset_base";

/// A review in a listing.
#[derive(Debug, Clone, FromRow)]
pub struct CardRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i32>,
    pub director: Option<String>,
    pub rating: Option<Rating>,
    pub spoilers: bool,
    pub summary: String,
    pub published: OffsetDateTime,
    pub poster: Option<String>,
    pub asset_base: Option<String>,
}

/// A whole review, as its page and the feeds show it.
#[derive(Debug, Clone, FromRow)]
pub struct ReviewRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub film_title: String,
    pub film_year: Option<i32>,
    pub director: Option<String>,
    pub director_slug: Option<String>,
    pub runtime_minutes: Option<u32>,
    pub poster: Option<String>,
    pub rating: Option<Rating>,
    pub spoilers: bool,
    pub draft: bool,
    pub published: OffsetDateTime,
    pub updated: Option<OffsetDateTime>,
    pub summary: String,
    pub author: Option<String>,
    pub asset_base: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    /// When its file last changed.
    pub modified: OffsetDateTime,
}

const REVIEW_COLUMNS: &str = "r.id, r.slug, r.title, r.film_title, r.film_year, r.director,
     r.director_slug, r.runtime_minutes, r.poster, r.rating_halves AS rating, r.spoilers, r.draft,
     r.published_at AS published, r.updated_at AS updated, r.summary, r.author, r.asset_base,
     r.body_markdown, r.body_html, r.modified_at AS modified";

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
    pub date: Date,
}

/// Which reviews a listing shows.
#[derive(Debug, Clone)]
pub enum Listing {
    All,
    /// A tag's slug.
    Tag(String),
    Rating(Rating),
    FilmYear(i32),
    /// A director's slug.
    Director(String),
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
        }
    }
}

/// `SELECT {columns} FROM reviews r WHERE` the review is visible `AND` in
/// the listing: the start of every listing query.
fn select_listed(columns: &str, now: OffsetDateTime, listing: &Listing) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(format!("SELECT {columns} FROM reviews r WHERE "));
    visible::push(&mut query, "r", now);
    listing.push_condition(&mut query);
    query
}

/// The newest visible reviews of a listing first.
const NEWEST_FIRST: &str = " ORDER BY r.published_at DESC, r.id DESC";

pub async fn list(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    listing: &Listing,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<CardRow>> {
    let mut query = select_listed(CARD_COLUMNS, now, listing);
    query
        .push(NEWEST_FIRST)
        .push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    query.build_query_as().fetch_all(db).await
}

pub async fn count(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    listing: &Listing,
) -> sqlx::Result<i64> {
    select_listed("COUNT(*)", now, listing)
        .build_query_scalar()
        .fetch_one(db)
        .await
}

/// A review by slug; hidden ones (drafts, scheduled) only when asked for,
/// which is the editor's preview mode.
pub async fn by_slug(
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
pub async fn latest_full(
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

/// A query over the tags of visible reviews: `SELECT {columns} FROM
/// review_tags t JOIN reviews r ... WHERE` visible.
fn select_visible_tags(columns: &str, now: OffsetDateTime) -> QueryBuilder<Sqlite> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {columns} FROM review_tags t JOIN reviews r ON r.id = t.review_id WHERE "
    ));
    visible::push(&mut query, "r", now);
    query
}

pub async fn tag_counts(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<TagCount>> {
    let mut query = select_visible_tags("t.slug, MIN(t.name) AS name, COUNT(*) AS reviews", now);
    query.push(" GROUP BY t.slug ORDER BY reviews DESC, t.slug");
    query.build_query_as().fetch_all(db).await
}

/// The display name of a tag, if any visible review carries it.
pub async fn tag_name(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
    slug: &str,
) -> sqlx::Result<Option<String>> {
    let mut query = select_visible_tags("MIN(t.name)", now);
    query.push(" AND t.slug = ").push_bind(slug.to_string());
    query.build_query_scalar().fetch_one(db).await
}

/// The display name of a director, if any visible review is of their film.
pub async fn director_name(
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
pub async fn rating_distribution(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<(Rating, i64)>> {
    let mut query = select_listed("r.rating_halves, COUNT(*)", now, &Listing::All);
    query
        .push(" AND r.rating_halves IS NOT NULL GROUP BY r.rating_halves ORDER BY r.rating_halves");
    query.build_query_as().fetch_all(db).await
}

/// Reviews published per calendar year (UTC), newest year first.
pub async fn reviews_per_year(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<(i32, i64)>> {
    let mut query = select_listed(
        "CAST(strftime('%Y', r.published_at, 'unixepoch') AS INTEGER) AS year, COUNT(*)",
        now,
        &Listing::All,
    );
    query.push(" GROUP BY year ORDER BY year DESC");
    query.build_query_as().fetch_all(db).await
}

/// The newest moment at which the visible set changed by the clock alone:
/// the latest `published_at` that has passed. Listings' Last-Modified is the
/// later of this and the last sync that changed reviews.
pub async fn latest_published_at(
    db: impl SqliteExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    select_listed("MAX(r.published_at)", now, &Listing::All)
        .build_query_scalar()
        .fetch_one(db)
        .await
}

/// The next moment a scheduled review goes live, for the scheduler.
pub async fn next_scheduled_after(
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
pub struct SitemapRow {
    pub slug: String,
    pub modified: OffsetDateTime,
}

/// A visible review's own change: its file, its `updated` and its
/// publication, whichever is latest.
const CHANGED: &str = "MAX(r.modified_at, COALESCE(r.updated_at, 0), r.published_at)";

pub async fn sitemap(
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
pub async fn tag_sitemap(
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
    pub slug: String,
    pub title: String,
    pub draft: bool,
    pub published: OffsetDateTime,
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
pub async fn source_path(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT source_path FROM reviews WHERE id = ?")
        .bind(review_id)
        .fetch_optional(db)
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
    let tags: Vec<(&str, &str)> = review
        .tags
        .iter()
        .map(|tag| (tag.slug.as_str(), tag.name.as_str()))
        .collect();
    let releases: Vec<(&str, &str, String)> = review
        .releases
        .iter()
        .map(|release| {
            (
                release.region.name.as_str(),
                release.region.slug.as_str(),
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
    .bind(review.film.director.as_ref().map(|director| director.name.as_str()))
    .bind(review.film.director.as_ref().map(|director| director.slug.as_str()))
    .bind(review.film.runtime_minutes)
    .bind(review.film.poster.as_deref())
    .bind(review.rating)
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
    .bind(
        review
            .tags
            .iter()
            .map(|tag| tag.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
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

    /// The upsert binds one list of values to several statements by number
    /// (see `upsert`): this pins every column to the value it must get.
    #[tokio::test]
    async fn every_column_gets_its_own_value() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("reviews.db"))
            .await
            .unwrap();
        let text = "---\ntitle: Headline\nfilm:\n  title: Film Title\n  year: 1999\n  \
                    director: Ann Direc\n  runtime: 123\n  poster: poster.jpg\nrating: 4.5\n\
                    spoilers: true\npublished: 2024-10-18T09:00:00Z\nupdated: 2024-12-03\n\
                    draft: true\nsummary: Standfirst.\nauthor: Writer Name\nslug: the-slug\n\
                    tags: [Tag One, Tag Two]\n\
                    release_dates: [{region: Côte d'Ivoire, date: 2025-01-02}]\n---\nThe *body*.\n";
        let location = Location {
            path: "reviews/x/index.md",
            default_slug: "x",
            is_bundle: true,
            embed_hosts: &[],
        };
        let review = parse_review(text, location).unwrap();
        let mut conn = pool.acquire().await.unwrap();
        upsert(&mut conn, "reviews/x/index.md", &review, 1_700_000_000)
            .await
            .unwrap();
        type Columns = (
            String,
            String,
            String,
            String,
            i64,
            String,
            String,
            i64,
            String,
        );
        let row: Columns = sqlx::query_as(
            "SELECT source_path, slug, title, film_title, film_year, director, director_slug,
                 runtime_minutes, poster FROM reviews",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                "reviews/x/index.md".into(),
                "the-slug".into(),
                "Headline".into(),
                "Film Title".into(),
                1999,
                "Ann Direc".into(),
                "ann-direc".into(),
                123,
                "poster.jpg".into()
            )
        );
        type More = (
            i64,
            bool,
            bool,
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
        );
        let row: More = sqlx::query_as(
            "SELECT rating_halves, spoilers, draft, published_at, updated_at, summary, author,
                 asset_base, body_markdown, tags_text, modified_at FROM reviews",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            row,
            (
                9,
                true,
                true,
                1_729_242_000,
                1_733_184_000,
                "Standfirst.".into(),
                "Writer Name".into(),
                "/reviews/the-slug/".into(),
                "The *body*.\n".into(),
                "Tag One Tag Two".into(),
                1_700_000_000
            )
        );
        let (html, text): (String, String) =
            sqlx::query_as("SELECT body_html, body_text FROM reviews")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(html, review.body_html);
        assert_eq!(text, review.body_text);
        let tags: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT position, slug, name FROM review_tags ORDER BY position")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            tags,
            [
                (0, "tag-one".into(), "Tag One".into()),
                (1, "tag-two".into(), "Tag Two".into())
            ]
        );
        let releases: Vec<(String, String, String)> =
            sqlx::query_as("SELECT region, region_slug, date FROM release_dates")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            releases,
            [(
                "Côte d'Ivoire".into(),
                "cote-d-ivoire".into(),
                "2025-01-02".into()
            )]
        );
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
        // Two regions with one slug (content refuses them; the store must
        // still fail whole): the last statement of the write fails.
        let mut clashing = review(
            "[Comedy]",
            "[{region: UK, date: 2024-10-18}, {region: US, date: 2024-11-01}]",
        );
        clashing.releases[1].region.slug = clashing.releases[0].region.slug.clone();
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
