//! The `images` table (migration 0004): what the publisher learned of each
//! local poster, for pages to render without opening an image, for the web
//! to find a derivative's source, and for the status page's errors.

use sqlx::{FromRow, SqliteExecutor, SqlitePool};

/// The rows a statement reads: every row of `$table`, or (`named`) only
/// those of the reviews `?1` names, a JSON array of review names without
/// `.md` (`reviews/anora`), each the file `reviews/anora.md` or any file in
/// the bundle `reviews/anora/` (`0` sorts just after `/`). Driven from the
/// names, each is a probe of the path's index: a save reads its own
/// review's rows, not every review's (whose bodies lie between the row's
/// start and `body_images`: ~100 ms of each save on 10,000 reviews). The
/// names are a subquery's one column, so that none of `json_each`'s
/// (`value`, `root`, …) clashes with the table's. A macro, for `concat!`
/// into each statement (sqlx takes only literal SQL).
macro_rules! rows_of {
    (all, $table:literal, $column:literal) => {
        concat!(" FROM ", $table)
    };
    (named, $table:literal, $column:literal) => {
        concat!(
            " FROM (SELECT value AS name FROM json_each(?1)) p JOIN ",
            $table,
            " ON (",
            $column,
            " = p.name || '.md' OR (",
            $column,
            " >= p.name || '/' AND ",
            $column,
            " < p.name || '0'))"
        )
    };
}

/// A local image a review shows, its poster or one in its body: what the
/// publisher looks at after a sync.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Wanted {
    pub(crate) review_path: String,
    /// As the review names it: `film.poster` as written, or a body image
    /// as its HTML links it.
    pub(crate) reference: String,
    /// The bundle's address (`/reviews/anora/`), if the review is one.
    pub(crate) asset_base: Option<String>,
    /// In the body rather than the poster.
    pub(crate) in_body: bool,
}

/// Every local-looking poster reviews name (URLs are left out here; the
/// caller's `images::locate` decides the rest), and every local image in
/// their bodies (listed by the renderer, migration 0006); only those of
/// the reviews `only` names, if it does (see `rows_of`).
pub(crate) async fn wanted(
    db: impl SqliteExecutor<'_>,
    only: Option<&[String]>,
) -> sqlx::Result<Vec<Wanted>> {
    macro_rules! wanted {
        ($rows:ident) => {
            concat!(
                "SELECT r.source_path AS review_path, r.poster AS reference, r.asset_base,
                     0 AS in_body",
                rows_of!($rows, "reviews r", "r.source_path"),
                " WHERE r.poster IS NOT NULL AND r.poster NOT LIKE 'http://%'
                     AND r.poster NOT LIKE 'https://%'
                 UNION ALL
                 SELECT r.source_path, j.value, r.asset_base, 1",
                rows_of!($rows, "reviews r", "r.source_path"),
                ", json_each(r.body_images) j WHERE r.body_images <> '[]'"
            )
        };
    }
    match only {
        Some(names) => {
            sqlx::query_as(wanted!(named))
                .bind(json(names))
                .fetch_all(db)
                .await
        }
        None => sqlx::query_as(wanted!(all)).fetch_all(db).await,
    }
}

fn json(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".into())
}

/// A row of `images`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub(crate) struct StoredImage {
    pub(crate) review_path: String,
    pub(crate) reference: String,
    /// `content` or `static` (`images::Root::name`).
    pub(crate) root: String,
    pub(crate) file: String,
    pub(crate) mtime_ns: i64,
    pub(crate) size: i64,
    pub(crate) hash: Option<String>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    /// `jpeg`, `png` or `webp` (`images::Format::name`).
    pub(crate) format: Option<String>,
    pub(crate) error: Option<String>,
}

/// The columns of `StoredImage`, for `concat!` into each statement (sqlx
/// takes only literal SQL).
macro_rules! columns {
    () => {
        "review_path, reference, root, file, mtime_ns, size, hash, width, height, format, error"
    };
}

/// Every row, or those of the reviews `only` names (see `rows_of`).
pub(crate) async fn all(
    db: impl SqliteExecutor<'_>,
    only: Option<&[String]>,
) -> sqlx::Result<Vec<StoredImage>> {
    macro_rules! all {
        ($rows:ident) => {
            concat!(
                "SELECT ",
                columns!(),
                rows_of!($rows, "images", "review_path")
            )
        };
    }
    match only {
        Some(names) => {
            sqlx::query_as(all!(named))
                .bind(json(names))
                .fetch_all(db)
                .await
        }
        None => sqlx::query_as(all!(all)).fetch_all(db).await,
    }
}

/// Writes what changed and removes what no review names any more, in one
/// transaction.
pub(crate) async fn apply(
    db: &SqlitePool,
    written: &[StoredImage],
    removed: &[(String, String)],
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for (review_path, reference) in removed {
        sqlx::query("DELETE FROM images WHERE review_path = ? AND reference = ?")
            .bind(review_path)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
    }
    for image in written {
        sqlx::query(concat!(
            "INSERT OR REPLACE INTO images (",
            columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&image.review_path)
        .bind(&image.reference)
        .bind(&image.root)
        .bind(&image.file)
        .bind(image.mtime_ns)
        .bind(image.size)
        .bind(&image.hash)
        .bind(image.width)
        .bind(image.height)
        .bind(&image.format)
        .bind(&image.error)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Records that the source with `hash` cannot be decoded (found only when
/// its derivatives were made): its rows lose their facts and carry the
/// error, so pages stop offering sizes that cannot exist.
pub(crate) async fn failed(db: &SqlitePool, hash: &str, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE images SET hash = NULL, width = NULL, height = NULL, format = NULL, error = ?
         WHERE hash = ?",
    )
    .bind(error)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(())
}

/// One row of a usable source with this hash: where to read it.
pub(crate) async fn by_hash(
    db: impl SqliteExecutor<'_>,
    hash: &str,
) -> sqlx::Result<Option<StoredImage>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM images WHERE hash = ? AND error IS NULL LIMIT 1"
    ))
    .bind(hash)
    .fetch_optional(db)
    .await
}

/// One row per usable source (by hash): what the background makes
/// derivatives of.
pub(crate) async fn sources(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<StoredImage>> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM images WHERE hash IS NOT NULL GROUP BY hash"
    ))
    .fetch_all(db)
    .await
}

/// What a page needs of a review's poster, from `images` (all `None`
/// when the publisher has not looked at it yet, or it is a URL: then the
/// size is the one the editor gave, if any).
#[derive(Debug, Clone, Default, FromRow)]
pub(crate) struct PosterFacts {
    #[sqlx(rename = "poster_hash")]
    pub(crate) hash: Option<String>,
    #[sqlx(rename = "poster_width")]
    pub(crate) width: Option<u32>,
    #[sqlx(rename = "poster_height")]
    pub(crate) height: Option<u32>,
    #[sqlx(rename = "poster_format")]
    pub(crate) format: Option<String>,
    /// The poster cannot be used: pages show the placeholder.
    #[sqlx(rename = "poster_failed")]
    pub(crate) failed: bool,
}

/// The columns of `PosterFacts` for a review `r` whose poster row is
/// joined as `i` (`POSTER_JOIN`): the measured size, else the size the
/// editor gave a poster URL. A macro, for `concat!` into each statement
/// (sqlx takes only literal SQL).
macro_rules! poster_facts {
    () => {
        "i.hash AS poster_hash, coalesce(i.width, r.poster_width) AS poster_width,
         coalesce(i.height, r.poster_height) AS poster_height,
         i.format AS poster_format, i.error IS NOT NULL AS poster_failed"
    };
}
pub(crate) use poster_facts;

/// Joins a review `r`'s poster row as `i`.
pub(crate) const POSTER_JOIN: &str =
    "LEFT JOIN images i ON i.review_path = r.source_path AND i.reference = r.poster";

/// The facts of a review's poster.
pub(crate) async fn poster_of(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<PosterFacts> {
    let facts: Option<PosterFacts> = sqlx::query_as(concat!(
        "SELECT ",
        poster_facts!(),
        " FROM reviews r LEFT JOIN images i
             ON i.review_path = r.source_path AND i.reference = r.poster
         WHERE r.id = ?",
    ))
    .bind(review_id)
    .fetch_optional(db)
    .await?;
    Ok(facts.unwrap_or_default())
}

/// An image in a review's body, with what the publisher knows of it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct BodyImage {
    /// The `src` the body's HTML has.
    pub(crate) reference: String,
    #[sqlx(flatten)]
    pub(crate) facts: PosterFacts,
}

/// The facts of the images in a review's body that the publisher has
/// looked at (one not looked at yet is simply missing).
pub(crate) async fn body_images_of(
    db: impl SqliteExecutor<'_>,
    review_id: i64,
) -> sqlx::Result<Vec<BodyImage>> {
    sqlx::query_as(
        "SELECT i.reference, i.hash AS poster_hash, i.width AS poster_width,
             i.height AS poster_height, i.format AS poster_format,
             i.error IS NOT NULL AS poster_failed
         FROM reviews r, json_each(r.body_images) j
         JOIN images i ON i.review_path = r.source_path AND i.reference = j.value
         WHERE r.id = ?",
    )
    .bind(review_id)
    .fetch_all(db)
    .await
}
