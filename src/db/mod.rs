//! Storage: one SQLite file, opened in WAL mode so readers never wait for the
//! sync that writes, with the schema from `migrations/` applied at start.
//!
//! SQL lives here, one module per table group, always parameterised.

pub mod meta;
pub mod pages;
pub mod reviews;
pub mod search;
pub mod sources;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("cannot apply the schema migrations to {path}: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// Copies what the last commit wrote to the WAL into the database file, in
/// the background; readers and the next sync go on meanwhile (a PASSIVE
/// checkpoint waits for nobody). Without it the WAL would only grow.
pub fn checkpoint_soon(pool: &SqlitePool) {
    let pool = pool.clone();
    tokio::spawn(async move {
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(%error, "cannot checkpoint the database");
        }
    });
}

/// Opens (creating if needed) the database at `path` and brings its schema
/// up to date.
pub async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    let display = path.display().to_string();
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(|source| DbError::Open {
            path: display.clone(),
            source,
        })?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL loses at most the last transactions on power loss,
        // never consistency; the files can always be re-synced.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Statement journals (a sync's every statement opens one) and
        // temporary sorts stay in memory instead of temporary files.
        // A review's row holds ~28 KB of text: 16 KB pages store it in two
        // pages instead of eight, and a cold load makes a quarter of the
        // page writes (the writer's CPU fell by ~40%; 8 and 32 KB did less
        // well). It applies when the database is created.
        .page_size(16384)
        .pragma("temp_store", "memory")
        // The sync checkpoints after it commits, in the background
        // (`checkpoint_soon`): copying a cold load's 300 MB from the WAL
        // into the database is then not part of the time to serving.
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", "67108864")
        .busy_timeout(Duration::from_secs(10));
    // Each connection is a thread and its own page cache (up to ~7 MB
    // during a search that matches every review). On two cores, four serve
    // as many requests per second as eight, in half the memory.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open {
            path: display.clone(),
            source,
        })?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|source| DbError::Migrate {
            path: display,
            source,
        })?;
    Ok(pool)
}
