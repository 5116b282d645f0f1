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
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
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
