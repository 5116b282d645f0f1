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
use crate::content::loader;
use crate::db;
use crate::db::sources::Part;

/// When any listing last changed: the newest of the files readers see in
/// the catalog, of the catalog's folders, and the last scheduled review
/// that went live by the clock.
pub(crate) async fn catalog(
    conn: &mut SqliteConnection,
    content: &Path,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, AppError> {
    let files = db::sources::newest_mtime(&mut *conn, Part::Catalog).await?;
    let published = db::reviews::latest_published_at(conn, now).await?;
    let folders = loader::folder_times(content)
        .into_iter()
        .filter(|(name, _)| !loader::is_layout_folder(name))
        .filter_map(|(_, time)| seconds(time))
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
    let folders = loader::folder_times(content)
        .into_iter()
        .filter(|(name, _)| loader::is_layout_folder(name))
        .filter_map(|(_, time)| seconds(time))
        .max();
    Ok(latest([Some(from_nanos(files)), folders]))
}

/// A modification time, whole seconds (what HTTP dates carry).
fn seconds(time: SystemTime) -> Option<OffsetDateTime> {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
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
