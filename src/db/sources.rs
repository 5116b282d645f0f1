//! The `sources` table: every content file seen, its fingerprint and its
//! current error.

use sqlx::{FromRow, SqliteConnection, SqliteExecutor};

use crate::content::error::ContentError;

#[derive(Debug, Clone, FromRow)]
pub struct StoredSource {
    pub path: String,
    pub hash: String,
    pub mtime_ns: i64,
    pub size: i64,
    pub error_line: Option<i64>,
    pub error_field: Option<String>,
    pub error_reason: Option<String>,
}

impl StoredSource {
    pub fn error(&self) -> Option<ContentError> {
        let reason = self.error_reason.as_ref()?;
        Some(ContentError {
            path: self.path.clone(),
            line: self.error_line.and_then(|line| usize::try_from(line).ok()),
            field: self.error_field.clone(),
            reason: reason.clone(),
        })
    }
}

pub async fn all(conn: &mut SqliteConnection) -> sqlx::Result<Vec<StoredSource>> {
    sqlx::query_as(
        "SELECT path, hash, mtime_ns, size, error_line, error_field, error_reason FROM sources",
    )
    .fetch_all(conn)
    .await
}

/// The current content errors, by path: what the status page shows.
pub async fn errors(db: impl SqliteExecutor<'_>) -> sqlx::Result<Vec<ContentError>> {
    let rows: Vec<StoredSource> = sqlx::query_as(
        "SELECT path, hash, mtime_ns, size, error_line, error_field, error_reason
         FROM sources WHERE error_reason IS NOT NULL ORDER BY path",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.iter().filter_map(StoredSource::error).collect())
}

/// Records what was read from a file, and the error it has if any.
pub async fn record(
    conn: &mut SqliteConnection,
    path: &str,
    hash: &str,
    mtime_ns: i64,
    size: i64,
    error: Option<&ContentError>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sources (path, hash, mtime_ns, size, error_line, error_field, error_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, mtime_ns = excluded.mtime_ns,
             size = excluded.size, error_line = excluded.error_line,
             error_field = excluded.error_field, error_reason = excluded.error_reason",
    )
    .bind(path)
    .bind(hash)
    .bind(mtime_ns)
    .bind(size)
    .bind(
        error
            .and_then(|e| e.line)
            .and_then(|line| i64::try_from(line).ok()),
    )
    .bind(error.and_then(|e| e.field.as_deref()))
    .bind(error.map(|e| e.reason.as_str()))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut SqliteConnection, path: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sources WHERE path = ?")
        .bind(path)
        .execute(conn)
        .await?;
    Ok(())
}
