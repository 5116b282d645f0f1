//! When what a page shows last changed, for its `Last-Modified`: listings
//! and feeds change with the catalog (the review files, or a scheduled
//! review going live by the clock), every page with the layout (site
//! settings, the menu of standalone pages).
//!
//! Both are facts of the files, never of when this instance happened to
//! sync them: two instances serving the same `content/` (a shared volume,
//! or a copy that keeps modification times, as `rsync -a` does) give the
//! same Last-Modified, so a CDN in front of them never sees it flap. A
//! file's time is its modification time as last read; a file removed
//! leaves its folder's modification time moved on, so folders count too.

use std::path::Path;
use std::time::SystemTime;

use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::error::AppError;
use crate::db;
use crate::db::sources::Part;

/// When any listing last changed: the newest of the catalog's files and
/// folders, and the last scheduled review that went live by the clock.
pub(crate) async fn catalog(
    conn: &mut SqliteConnection,
    content: &Path,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, AppError> {
    let files = db::sources::newest_mtime(&mut *conn, Part::Catalog).await?;
    let published = db::reviews::latest_published_at(conn, now).await?;
    let folders = subfolders(content)
        .filter(|(name, _)| name != "pages")
        .map(|(_, modified)| modified)
        .max();
    Ok(latest([Some(from_nanos(files)), published, folders]))
}

/// When what every page shares last changed: `site.toml`, the standalone
/// pages, and the folders that hold them.
pub(crate) async fn layout(
    conn: &mut SqliteConnection,
    content: &Path,
) -> Result<OffsetDateTime, AppError> {
    let files = db::sources::newest_mtime(conn, Part::Layout).await?;
    let folders = [content.to_path_buf(), content.join("pages")]
        .iter()
        .filter_map(|folder| modified(folder))
        .max();
    Ok(latest([Some(from_nanos(files)), folders]))
}

/// The folders directly inside `content`, with their modification times.
fn subfolders(content: &Path) -> impl Iterator<Item = (String, OffsetDateTime)> {
    std::fs::read_dir(content)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter_map(|entry| {
            let modified = modified(&entry.path())?;
            Some((entry.file_name().to_string_lossy().into_owned(), modified))
        })
}

/// A path's modification time, whole seconds (what HTTP dates carry).
fn modified(path: &Path) -> Option<OffsetDateTime> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let seconds = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).ok()?).ok()
}

/// A modification time in nanoseconds as whole seconds.
fn from_nanos(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(nanos.div_euclid(1_000_000_000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The latest of some moments; the epoch if none.
fn latest<const N: usize>(moments: [Option<OffsetDateTime>; N]) -> OffsetDateTime {
    moments
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
