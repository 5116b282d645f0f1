//! Storage: one SQLite file, opened in WAL mode so readers never wait for the
//! sync that writes, with the schema from `migrations/` applied at start.
//!
//! SQL lives here, one module per table group, always parameterised.

pub mod changes;
pub(crate) mod diary;
pub(crate) mod films;
pub(crate) mod images;
pub(crate) mod lists;
pub(crate) mod meta;
pub mod pages;
pub(crate) mod related;
pub mod reviews;
pub mod search;
pub mod sources;
pub(crate) mod stats;
pub mod sync;
mod types;
mod visible;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Why the database could not be opened, or read at start. Every variant
/// names the file (`path`, as given on the command line), since the
/// message is what an operator reads when `marquee serve` stops.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite could not open or create the file: permissions, a full or
    /// read-only disk, or a file that is not a database.
    #[error("cannot open the database {path}: {source}")]
    Open {
        /// The database file.
        path: String,
        /// SQLite's own error, whose code tells the cases apart.
        source: sqlx::Error,
    },
    /// The schema in `migrations/` could not be applied: a schema we do not
    /// know, a half-applied migration, or no room to write it.
    #[error("cannot apply the schema migrations to {path}: {source}")]
    Migrate {
        /// The database file.
        path: String,
        /// sqlx's migration error.
        source: sqlx::migrate::MigrateError,
    },
    /// `PRAGMA quick_check` found damaged pages.
    #[error("the database {path} is damaged: {detail}")]
    Damaged {
        /// The database file.
        path: String,
        /// What the check reported, its lines joined by `; `.
        detail: String,
    },
    /// An unusable database could not be renamed out of the way, so no
    /// fresh one can be built in its place.
    #[error("cannot move the unusable database {path} aside: {source}")]
    MoveAside {
        /// The database file.
        path: String,
        /// Why the rename failed.
        source: std::io::Error,
    },
    /// Opened read-only (the disk full), the file turned out to hold no
    /// complete schema of this version, so there is nothing safe to serve.
    #[error("the database {path} is not complete or not of this version of Marquee")]
    NotCurrent {
        /// The database file.
        path: String,
    },
    /// A query at start (the content errors to report) failed.
    #[error("cannot read the database: {0}")]
    Read(sqlx::Error),
}

/// The database's connections. Each is a thread and its own page cache
/// (up to ~7 MB during a search that matches every review); on two cores,
/// four serve as many requests per second as eight, in half the memory.
pub(crate) const CONNECTIONS: u32 = 4;

/// Copies what the last commit wrote to the WAL into the database file, in
/// the background; readers and the next sync go on meanwhile (a PASSIVE
/// checkpoint waits for nobody). Without it the WAL would only grow.
pub(crate) fn checkpoint_soon(pool: &SqlitePool) {
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

impl DbError {
    /// Whether the file itself is the problem (not SQLite, damaged, or
    /// written by another program or another version of Marquee), as
    /// opposed to something passing (a lock, a full disk, permissions),
    /// where moving the file aside would be wrong.
    fn is_unusable_file(&self) -> bool {
        use sqlx::migrate::MigrateError;
        // SQLite's primary result codes: the schema conflicts with ours,
        // the file is damaged, the file is not a database.
        const SQLITE_ERROR: i64 = 1;
        const SQLITE_CORRUPT: i64 = 11;
        const SQLITE_NOTADB: i64 = 26;
        let primary_code = |error: &sqlx::Error| match error {
            sqlx::Error::Database(error) => error
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .map(|code| code & 0xff),
            _ => None,
        };
        match self {
            DbError::Open { source, .. } => {
                matches!(primary_code(source), Some(SQLITE_CORRUPT | SQLITE_NOTADB))
            }
            DbError::Migrate { source, .. } => match source {
                MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => {
                    matches!(
                        primary_code(error),
                        Some(SQLITE_ERROR | SQLITE_CORRUPT | SQLITE_NOTADB)
                    )
                }
                MigrateError::VersionMissing(_)
                | MigrateError::VersionMismatch(_)
                | MigrateError::Dirty(_) => true,
                _ => false,
            },
            DbError::Damaged { .. } => true,
            DbError::MoveAside { .. } | DbError::NotCurrent { .. } | DbError::Read(_) => false,
        }
    }

    /// Whether the database could not be opened for want of room or of a
    /// writable disk (full, read-only, failing), rather than for what the
    /// file holds: what it holds can then still be served, read-only.
    pub(crate) fn is_storage_trouble(&self) -> bool {
        // SQLite's primary result codes: read-only, I/O error, full,
        // cannot open (the shared-memory file of WAL mode).
        const SQLITE_READONLY: i64 = 8;
        const SQLITE_IOERR: i64 = 10;
        const SQLITE_FULL: i64 = 13;
        const SQLITE_CANTOPEN: i64 = 14;
        let source = match self {
            DbError::Open { source, .. } => source,
            DbError::Migrate {
                source:
                    sqlx::migrate::MigrateError::Execute(source)
                    | sqlx::migrate::MigrateError::ExecuteMigration(source, _),
                ..
            } => source,
            _ => return false,
        };
        match source {
            sqlx::Error::Database(error) => error
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .is_some_and(|code| {
                    matches!(
                        code & 0xff,
                        SQLITE_READONLY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
                    )
                }),
            sqlx::Error::Io(_) => true,
            _ => false,
        }
    }
}

/// Opens the database at `path`, rebuilding it when it is unusable.
///
/// The database is a cache of `content/`, so a file that is not SQLite, is
/// damaged, or holds a schema we do not know is moved aside (to
/// `<name>.corrupt-<time>`, with its `-wal` and `-shm`), and a fresh one is
/// created for the sync to fill. Either way the log says what happened.
pub(crate) async fn open_or_rebuild(path: &Path) -> Result<SqlitePool, DbError> {
    // A `-wal` left beside a deleted database is not replayed into the new
    // one: SQLite discards the journal of an empty database file.
    if !path.exists() {
        tracing::info!(db = %path.display(), "no database yet: building it from the content");
    }
    match open(path).await {
        Err(error) if error.is_unusable_file() => {
            let aside = move_aside(path)?;
            tracing::warn!(
                db = %path.display(),
                moved_to = %aside.display(),
                %error,
                "the database is unusable: moved it aside, rebuilding it from the content"
            );
            open(path).await
        }
        result => result,
    }
}

/// Opens (creating if needed) the database at `path`, brings its schema up
/// to date, and checks that its pages are sound.
pub(crate) async fn open(path: &Path) -> Result<SqlitePool, DbError> {
    let display = path.display().to_string();
    let untouched = left_clean(path);
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
        // A review's row holds ~28 KB of text: 16 KB pages store it in two
        // pages instead of eight, and a cold load makes a quarter of the
        // page writes (the writer's CPU fell by ~40%; 8 and 32 KB did less
        // well). It applies when the database is created.
        .page_size(16384)
        // Statement journals (a sync's every statement opens one) and
        // temporary sorts stay in memory instead of temporary files.
        .pragma("temp_store", "memory")
        // The sync checkpoints after it commits, in the background
        // (`checkpoint_soon`): copying a cold load's 300 MB from the WAL
        // into the database is then not part of the time to serving.
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", "67108864")
        .busy_timeout(Duration::from_secs(10));
    let pool = pool_options()
        .min_connections(1)
        .connect_with(options)
        .await
        .map_err(|source| DbError::Open {
            path: display.clone(),
            source,
        })?;
    let checked = async {
        sqlx::migrate!()
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate {
                path: display.clone(),
                source,
            })?;
        if untouched {
            Ok(())
        } else {
            check_pages(&pool, &display).await
        }
    }
    .await;
    match checked {
        Ok(()) => Ok(pool),
        Err(error) => {
            pool.close().await;
            Err(error)
        }
    }
}

/// The pool both `open`s share: `CONNECTIONS` connections, handed out
/// without a liveness test. sqlx pings an idle connection before handing it
/// out, which for SQLite is a round trip to the connection's own thread and
/// back: as many thread wake-ups as the statement itself, for a check that
/// has nothing to find (there is no server to lose). A connection that did
/// break is still caught by the ping sqlx makes when it is given back, and
/// closed there.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(CONNECTIONS)
        .test_before_acquire(false)
}

/// Opens a complete database to read what it holds without writing a byte:
/// for serving the site while the disk is full (or read-only), when the
/// normal `open` fails. SQLite's `immutable` mode reads the file without
/// the shared-memory index and the locks of WAL mode, which need room
/// beside the file; it assumes nothing writes the file meanwhile, which
/// holds as no sync runs on this pool. Commits still in a `-wal` left by a
/// crash are not seen: the pages are those of the last checkpoint.
pub(crate) async fn open_read_only(path: &Path) -> Result<SqlitePool, DbError> {
    let display = path.display().to_string();
    let open_error = |source| DbError::Open {
        path: display.clone(),
        source,
    };
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(open_error)?
        .filename(path)
        .read_only(true)
        .immutable(true);
    let pool = pool_options()
        .connect_with(options)
        .await
        .map_err(open_error)?;
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await
            .unwrap_or(None);
    let ours = sqlx::migrate!()
        .iter()
        .map(|migration| migration.version)
        .max();
    if applied.is_none() || applied != ours {
        pool.close().await;
        return Err(DbError::NotCurrent { path: display });
    }
    Ok(pool)
}

/// Closes the pool, which checkpoints the WAL into the database file and
/// removes it, then notes the file's size and modification time beside it.
/// The next `open` skips the page check if the file still matches the note
/// and no WAL is waiting; it removes the note either way, so a crash after
/// that start is checked at the next one.
pub(crate) async fn close_cleanly(pool: &SqlitePool, path: &Path) {
    pool.close().await;
    if let Some(stamp) = file_stamp(path) {
        let _ = std::fs::write(clean_note(path), stamp);
    }
}

/// Whether the database file is as the last clean shutdown left it. The
/// note is used once.
fn left_clean(path: &Path) -> bool {
    let note = clean_note(path);
    let recorded = std::fs::read_to_string(&note).ok();
    let _ = std::fs::remove_file(&note);
    let [wal, _] = journal_files(path);
    let no_wal = std::fs::metadata(wal).map_or(true, |metadata| metadata.len() == 0);
    no_wal && recorded.is_some() && recorded == file_stamp(path)
}

fn clean_note(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-clean");
    PathBuf::from(name)
}

/// The file's size and modification time (nanoseconds), as noted.
fn file_stamp(path: &Path) -> Option<String> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", metadata.len(), modified.as_nanos()))
}

/// `PRAGMA quick_check`: reads every page once so that a damaged file is
/// found at start, where it can be rebuilt, rather than as 500s on whichever
/// pages it hides in. For 10,000 reviews (340 MB) it takes ~0.25 s, most of
/// a warm start, so it is skipped when the file is exactly as a clean
/// shutdown left it (`close_cleanly`): after a crash, or when anything else
/// touched the file, it runs.
async fn check_pages(pool: &SqlitePool, display: &str) -> Result<(), DbError> {
    let damaged = |detail: String| DbError::Damaged {
        path: display.to_string(),
        detail,
    };
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(pool)
        .await
        .map_err(|error| damaged(error.to_string()))?;
    if problems.iter().all(|line| line == "ok") {
        Ok(())
    } else {
        Err(damaged(problems.join("; ")))
    }
}

/// The journal files beside a database: after a crash they hold its last
/// transactions.
fn journal_files(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// Renames the database and its journal files to `<name>.corrupt-<time>`
/// (and `-wal`, `-shm`), for anyone who wants to look at them.
fn move_aside(path: &Path) -> Result<PathBuf, DbError> {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{stamp}"));
    let mut aside = PathBuf::from(aside);
    let mut n = 1;
    while aside.exists() {
        n += 1;
        let mut numbered = path.as_os_str().to_owned();
        numbered.push(format!(".corrupt-{stamp}-{n}"));
        aside = PathBuf::from(numbered);
    }
    let fail = |source| DbError::MoveAside {
        path: path.display().to_string(),
        source,
    };
    std::fs::rename(path, &aside).map_err(fail)?;
    for (journal, moved) in journal_files(path).iter().zip(journal_files(&aside)) {
        match std::fs::rename(journal, moved) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(fail(error)),
            _ => {}
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_file_left_as_a_clean_shutdown_left_it_skips_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("marquee.db");
        let pool = open(&path).await.unwrap();
        close_cleanly(&pool, &path).await;
        assert!(left_clean(&path), "closed cleanly, untouched");
        assert!(!left_clean(&path), "the note is used once");

        let pool = open(&path).await.unwrap();
        close_cleanly(&pool, &path).await;
        // Same bytes, written again (as a backup tool restoring it would).
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, bytes).unwrap();
        assert!(!left_clean(&path), "written since");

        let pool = open(&path).await.unwrap();
        pool.close().await;
        assert!(
            !left_clean(&path),
            "closed without the note (as after a crash)"
        );
    }
}
