//! The `sources` table: every content file seen, its fingerprint and its
//! current error.

use std::collections::HashMap;

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use crate::content::error::ContentError;
use crate::content::plan::Known;

/// A row of `sources`: a file's fingerprint and its current error.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub(crate) struct StoredSource {
    pub(crate) path: String,
    pub(crate) hash: String,
    pub(crate) mtime_ns: i64,
    pub(crate) size: i64,
    pub(crate) error_line: Option<i64>,
    pub(crate) error_field: Option<String>,
    pub(crate) error_reason: Option<String>,
    /// Its modification time if readers see what it holds (migration
    /// 0009); for a file with an error whose last good version stays
    /// published, that version's.
    pub(crate) public_mtime_ns: Option<i64>,
}

impl StoredSource {
    /// What to record for a file that was just read, with its error if any.
    pub(crate) fn read(
        path: &str,
        hash: &str,
        mtime_ns: i64,
        size: i64,
        error: Option<&ContentError>,
    ) -> Self {
        Self {
            public_mtime_ns: None,
            path: path.to_string(),
            hash: hash.to_string(),
            mtime_ns,
            size,
            error_line: error
                .and_then(|e| e.line)
                .and_then(|line| i64::try_from(line).ok()),
            error_field: error.and_then(|e| e.field.clone()),
            error_reason: error.map(|e| e.reason.clone()),
        }
    }

    /// The file's current error, if it has one (a reason is what makes one).
    pub(crate) fn error(&self) -> Option<ContentError> {
        let reason = self.error_reason.as_ref()?;
        Some(ContentError {
            path: self.path.clone(),
            line: self.error_line.and_then(|line| usize::try_from(line).ok()),
            field: self.error_field.clone(),
            reason: reason.clone(),
        })
    }
}

/// What the store knows of the files a sync looks at, by path: what it
/// plans against. `None`: every file it has seen. `Some(paths)`: the files
/// at or under those paths (a file, a bundle, a folder), and every file
/// with an error (a slug freed by this sync may fix one), read through the
/// path's index and `sources_with_errors`: a save of one file among 10,000
/// reads a few rows, not the table (which cost ~15 ms of each save).
pub(crate) async fn known(
    conn: &mut SqliteConnection,
    paths: Option<&[String]>,
) -> sqlx::Result<HashMap<String, Known>> {
    let rows: Vec<StoredSource> = match paths {
        None => {
            sqlx::query_as(
                "SELECT path, hash, mtime_ns, size, error_line, error_field, error_reason,
                     public_mtime_ns
                 FROM sources",
            )
            .fetch_all(conn)
            .await?
        }
        Some(paths) => {
            let paths: Vec<&str> = paths.iter().map(|path| path.trim_matches('/')).collect();
            sqlx::query_as(
                "SELECT path, hash, mtime_ns, size, error_line, error_field, error_reason,
                     public_mtime_ns
                 FROM sources WHERE error_reason IS NOT NULL
                 UNION
                 SELECT s.path, s.hash, s.mtime_ns, s.size, s.error_line, s.error_field,
                     s.error_reason, s.public_mtime_ns
                 FROM json_each(?1) p JOIN sources s
                     ON s.path = p.value OR (s.path >= p.value || '/' AND s.path < p.value || '0')",
            )
            .bind(serde_json::to_string(&paths).unwrap_or_else(|_| "[]".into()))
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let known = Known {
                error: row.error(),
                hash: row.hash,
                mtime_ns: row.mtime_ns,
                size: row.size,
                public_mtime_ns: row.public_mtime_ns,
            };
            (row.path, known)
        })
        .collect())
}

/// Which files a page's Last-Modified follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// What every page shares: `site.toml` and the standalone pages (the
    /// menu).
    Layout,
    /// Everything else: reviews and whatever lists them.
    Catalog,
}

/// The newest modification time, in nanoseconds since the epoch, of the
/// files of `part` as last read: a fact of the files, the same for every
/// instance that serves them, unlike the moment a sync ran. `pages/` is a
/// range of the primary key (`'0'` follows `'/'`), not a `LIKE`, which
/// SQLite would answer by reading every source: every page render asks
/// for the layout's time.
pub(crate) async fn newest_mtime(db: impl SqliteExecutor<'_>, part: Part) -> sqlx::Result<i64> {
    let sql = match part {
        Part::Layout => {
            "SELECT coalesce(max(mtime_ns), 0) FROM sources
             WHERE path = 'site.toml' OR (path >= 'pages/' AND path < 'pages0')"
        }
        // Only what readers see (migration 0009): one step of its index.
        Part::Catalog => "SELECT coalesce(max(public_mtime_ns), 0) FROM sources",
    };
    sqlx::query_scalar(sql).fetch_one(db).await
}

/// The current content errors, by path: what the status page shows.
pub async fn errors(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<ContentError>> {
    // An image that cannot be used is the review's error, though the review
    // is published: on its `film.poster` field, or on the body that shows
    // it (`db::images`; the message names the file).
    let rows: Vec<StoredSource> = sqlx::query_as(
        "SELECT path, hash, mtime_ns, size, error_line, error_field, error_reason,
             public_mtime_ns
         FROM sources WHERE error_reason IS NOT NULL
         UNION ALL
         SELECT i.review_path, '', 0, 0, NULL,
             CASE WHEN EXISTS (SELECT 1 FROM reviews r
                 WHERE r.source_path = i.review_path AND r.poster = i.reference)
             THEN 'film.poster' ELSE 'body' END,
             i.error, NULL
         FROM images i WHERE i.error IS NOT NULL
         ORDER BY 1",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.iter().filter_map(StoredSource::error).collect())
}

/// Records what was read from files, and their errors, in one statement:
/// a sync collects them and writes them before it commits. One statement
/// rather than one per file because each is a round trip to the thread
/// that runs SQLite, and a first load reads 10,000 files.
pub(crate) async fn record_all(
    conn: &mut SqliteConnection,
    sources: &[StoredSource],
) -> sqlx::Result<()> {
    if sources.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(sources).map_err(|error| sqlx::Error::Encode(error.into()))?;
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the
    // upsert, not to a join in the SELECT.
    sqlx::query(
        "INSERT INTO sources (path, hash, mtime_ns, size, error_line, error_field, error_reason,
             public_mtime_ns)
         SELECT value ->> 'path', value ->> 'hash', value ->> 'mtime_ns', value ->> 'size',
             value ->> 'error_line', value ->> 'error_field', value ->> 'error_reason',
             value ->> 'public_mtime_ns'
         FROM json_each(?) WHERE true
         ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, mtime_ns = excluded.mtime_ns,
             size = excluded.size, error_line = excluded.error_line,
             error_field = excluded.error_field, error_reason = excluded.error_reason,
             public_mtime_ns = excluded.public_mtime_ns",
    )
    .bind(rows)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a file that is gone, with its fingerprint and error.
pub(crate) async fn delete(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sources WHERE path = ?")
        .bind(path)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scoped_sync_knows_its_files_their_bundles_and_every_file_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("marquee.db"))
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let broken = ContentError::new("reviews/broken.md", "no title".to_string());
        let rows: Vec<StoredSource> = [
            "reviews/anora.md",
            "reviews/anorak.md",
            "reviews/bundle/index.md",
            "reviews/bundle/still.jpg",
            "reviews/bundled.md",
            "pages/about.md",
        ]
        .into_iter()
        .map(|path| StoredSource::read(path, "h", 1, 1, None))
        .chain([StoredSource::read(&broken.path, "h", 1, 1, Some(&broken))])
        .collect();
        record_all(&mut conn, &rows).await.unwrap();

        let scoped = |paths: &[&str]| {
            paths
                .iter()
                .map(|path| (*path).to_string())
                .collect::<Vec<_>>()
        };
        let known_paths = |known: HashMap<String, Known>| {
            let mut paths: Vec<String> = known.into_keys().collect();
            paths.sort();
            paths
        };
        let some = known(
            &mut conn,
            Some(&scoped(&["reviews/anora.md", "/reviews/bundle/"])),
        )
        .await
        .unwrap();
        assert!(some["reviews/broken.md"].error.is_some());
        assert_eq!(
            known_paths(some),
            [
                "reviews/anora.md",
                "reviews/broken.md",
                "reviews/bundle/index.md",
                "reviews/bundle/still.jpg"
            ]
        );
        let folder = known(&mut conn, Some(&scoped(&["pages"]))).await.unwrap();
        assert_eq!(known_paths(folder), ["pages/about.md", "reviews/broken.md"]);
        assert_eq!(known(&mut conn, None).await.unwrap().len(), rows.len());
    }
}
